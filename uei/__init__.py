"""The UEI registry and abuse protection service: one import package.

``uei.trust`` (Beckn crypto), ``uei.storage`` (what every domain's stores share), the domains
``uei.registry`` and ``uei.antiabuse``, and ``uei.app``, the composition root.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("uei-registry")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0"
