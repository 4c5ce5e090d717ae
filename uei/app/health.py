"""Liveness (no I/O) and readiness (store reachable, view describing the store, last policy
reload)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.openapi import ResponseSpec

from uei.access import CALLER, Caller

__all__ = ["Health", "healthz", "readyz"]


class Health(msgspec.Struct, omit_defaults=True):
    status: str
    detail: str = ""


@get(
    "/healthz",
    tags=["operations"],
    summary="Liveness probe (no I/O)",
    sync_to_thread=False,
    opt={CALLER: Caller.PUBLIC},
)
def healthz() -> Health:
    """The process is up and serving. Does no I/O; see ``/readyz`` for dependencies."""
    return Health(status="ok")


@get(
    "/readyz",
    tags=["operations"],
    summary="Readiness: store reachable, view describing the store",
    opt={CALLER: Caller.PUBLIC},
    responses={
        503: ResponseSpec(
            Health, description="a store is unreachable, or the view is being rebuilt"
        )
    },
)
async def readyz(request: Request[Any, Any, Any]) -> Response[Health]:
    """503 while a store cannot be reached, and while this replica's view does not describe
    the store (its log went back: until the view is rebuilt). The detail says where the view
    is in the log, what happened at the last rebuild, whether the store persists writes, and
    the last policy reload. A failed reload leaves the replica ready: it serves the last good
    policy, and the detail says which and why the new file was refused."""
    state = request.app.state
    try:
        await state.registry.store.ping()  # one backend holds every store
    except Exception as exc:  # any store failure means not ready
        return Response(Health("unavailable", f"store: {type(exc).__name__}"), status_code=503)
    ready, detail = state.registry.follower.readiness()
    detail = f"{detail}; {state.persistence}; {state.policy.readiness()}"
    if not ready:
        return Response(Health("unavailable", detail), status_code=503)
    return Response(Health("ok", detail))
