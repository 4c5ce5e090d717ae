"""Progress for long runs: one line at a time to stderr, the tables stay on stdout."""

from __future__ import annotations

import sys
from typing import Any

import click


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bar(length: int, label: str, **options: Any) -> Any:
    """A progress bar on stderr with its ETA (``click.progressbar``; ``options`` are its own)."""
    return click.progressbar(length=length, label=label, file=sys.stderr, show_eta=True, **options)
