"""The change log, page by page, with its hash chain verified by the service on each view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from uei.app.dashboard.kit import PAGE, PAGES, render
from uei.registry.changelog import GENESIS, ChainBroken, LogEntry, verify_chain
from uei.registry.http.changelog import head_message
from uei.registry.records import iso
from uei.registry.service import Registry
from uei.trust import ChallengeError, sign_site_verification, verify_site_verification

__all__ = ["PAGE_SIZE", "ChainCheck", "check_chain", "log_page"]

PAGE_SIZE = 50
_READ = 1000


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What verifying the whole log found: ``verified`` entries chain from genesis; when
    ``broken_at`` is set, that entry is the first that does not (``problem`` says why)."""

    verified: int
    broken_at: int | None
    problem: str
    head_seq: int
    head_hash: str
    head_signature: str
    head_signed: bool
    """The head's signature verifies with the registry's published signing key."""


async def check_chain(request: Request[Any, Any, Any], registry: Registry) -> ChainCheck:
    """Read the log from genesis in pages and verify each page after the last (the same
    ``verify_chain`` as ``uei log verify``), then sign the head as ``GET /log`` does and check
    that signature against the registry's public key."""
    last: LogEntry | None = None
    broken_at, problem = None, ""
    while True:
        batch = await registry.store.log_after(last.seq if last else 0, _READ)
        if not batch:
            break
        try:
            verify_chain(batch, last)
        except ChainBroken as exc:
            broken_at, problem = _first_bad(batch, last), str(exc)
            break
        last = batch[-1]
    head = await registry.store.head()
    seq, hash_ = (head.seq, head.hash) if head else (0, GENESIS)
    keys = request.app.state.identity.keys
    signature = sign_site_verification(head_message(seq, hash_), keys.signing_key)
    try:
        verify_site_verification(head_message(seq, hash_), signature, keys.verify_key)
        signed = True
    except ChallengeError:
        signed = False
    if broken_at is None and (last.seq if last else 0) != seq:
        broken_at = (last.seq if last else 0) + 1
        problem = f"the head is seq {seq}, not the last entry of the chain"
    verified = broken_at - 1 if broken_at is not None else (last.seq if last else 0)
    return ChainCheck(verified, broken_at, problem, seq, hash_, signature, signed)


def _first_bad(batch: list[LogEntry], prev: LogEntry | None) -> int:
    for i, entry in enumerate(batch):
        try:
            verify_chain([entry], batch[i - 1] if i else prev)
        except ChainBroken:
            return entry.seq
    return batch[-1].seq


@get("/log", opt=PAGE, include_in_schema=False)
async def log_page(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    before: Annotated[int | None, QueryParameter(ge=1, le=2**53 - 1)] = None,
) -> Template:
    """Entries newest first, ``PAGE_SIZE`` a page (``before``: older than that sequence
    number), and the whole chain's verification."""
    check = await check_chain(request, registry)
    top = min(before - 1, check.head_seq) if before is not None else check.head_seq
    start = max(0, top - PAGE_SIZE)
    entries = (await registry.store.log_after(start, top - start))[::-1] if top > 0 else []
    return render(
        request,
        "log.html",
        active="log",
        check=check,
        entries=entries,
        older=start if start > 0 else None,
        newer=top + PAGE_SIZE + 1 if top < check.head_seq else None,
        when=iso,
    )


PAGES.append(log_page)
