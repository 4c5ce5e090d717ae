"""Test support shared by ``tests/`` and ``bench/``: real Redis servers on loopback, registry
participants with real keys, the app on a chosen backend, and the conformance vectors.

Not part of the ``uei`` distribution (the wheel ships ``uei`` only), and ``uei`` never imports
it.
"""
