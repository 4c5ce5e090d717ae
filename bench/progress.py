"""Progress for long runs: one line at a time to stderr, the tables stay on stdout."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
