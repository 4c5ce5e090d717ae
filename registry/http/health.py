"""Liveness (no I/O) and readiness (store reachable, policy loaded)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.openapi import ResponseSpec

__all__ = ["Health", "healthz", "readyz"]


class Health(msgspec.Struct, omit_defaults=True):
    status: str
    detail: str = ""


@get("/healthz", tags=["operations"], summary="Liveness probe (no I/O)", sync_to_thread=False)
def healthz() -> Health:
    """The process is up and serving. Does no I/O; see ``/readyz`` for dependencies."""
    return Health(status="ok")


@get(
    "/readyz",
    tags=["operations"],
    summary="Readiness: store reachable, policy loaded",
    responses={503: ResponseSpec(Health, description="a store is unreachable")},
)
async def readyz(request: Request[Any, Any, Any]) -> Response[Health]:
    """503 while the store cannot be reached."""
    try:
        await request.app.state.registry.store.ping()
        await request.app.state.abuse.defaulters.store.ping()
    except Exception as exc:  # any store failure means not ready
        return Response(Health("unavailable", f"store: {type(exc).__name__}"), status_code=503)
    return Response(Health("ok", f"log at {request.app.state.registry.view.seq}"))
