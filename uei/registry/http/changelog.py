"""``GET /log``: the hash-chained change log, for caches that follow revocations."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from uei.access import CALLER, Caller
from uei.registry.changelog import GENESIS, LogEntry
from uei.registry.service import Registry
from uei.trust import sign_site_verification

__all__ = ["LogPage", "change_log", "head_message"]


class Head(msgspec.Struct):
    seq: int
    hash: str
    signature: str
    """Ed25519 by the registry's signing key over ``"{seq}:{hash}"`` (base64)."""


class LogPage(msgspec.Struct):
    entries: list[LogEntry]
    head: Head


def head_message(seq: int, hash_: str) -> str:
    return f"{seq}:{hash_}"


@get(
    "/log",
    tags=["lookup"],
    summary="The change log after a sequence number",
    opt={CALLER: Caller.PUBLIC},
)
async def change_log(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    after: Annotated[
        int,
        QueryParameter(ge=0, le=2**53 - 1, description="last sequence number already seen"),
    ] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> LogPage:
    """Entries after ``after`` (each: seq, at, subscriber, key, action, old and new status,
    actor, prev_hash, hash) and the signed head. ``uei log verify`` checks the whole chain."""
    entries = await registry.store.log_after(after, limit)
    head = await registry.store.head()
    seq, hash_ = (head.seq, head.hash) if head else (0, GENESIS)
    signature = sign_site_verification(
        head_message(seq, hash_), request.app.state.identity.keys.signing_key
    )
    return LogPage(entries=entries, head=Head(seq, hash_, signature))
