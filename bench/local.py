"""Where the bench runs: the repository's root and the loopback host."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
