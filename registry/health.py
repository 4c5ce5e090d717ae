"""Liveness: answers without touching any store."""

from __future__ import annotations

import msgspec
from litestar import get

__all__ = ["Health", "healthz"]


class Health(msgspec.Struct):
    status: str


@get("/healthz", tags=["operations"], summary="Liveness probe (no I/O)", sync_to_thread=False)
def healthz() -> Health:
    """The process is up and serving. Does no I/O; see ``/readyz`` for dependencies."""
    return Health(status="ok")
