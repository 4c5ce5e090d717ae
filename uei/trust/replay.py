"""Refuse a signature seen before inside its validity window.

Ed25519 is deterministic and ``created`` has one-second resolution, so two identical requests
signed in the same second carry the same header. Routes that change state or spend quota keep
every signature until it expires and refuse a repeat; read-only routes do not use a guard.
"""

from __future__ import annotations

import heapq
from typing import Protocol

from uei.trust.errors import Replayed
from uei.trust.header import SignatureParams

__all__ = ["MemoryReplayGuard", "PendingReplay", "ReplayGuard", "refuse_replay"]


class ReplayGuard(Protocol):
    async def first_use(self, signature: str, expires: int, now: float) -> bool:
        """Remember ``signature`` until ``expires``; True unless it is already remembered."""
        ...


class MemoryReplayGuard:
    """One process's guard: a dict of live signatures and a heap ordered by expiry."""

    def __init__(self) -> None:
        self._live: dict[str, int] = {}
        self._by_expiry: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._live)

    async def first_use(self, signature: str, expires: int, now: float) -> bool:
        while self._by_expiry and self._by_expiry[0][0] < now:
            _, old = heapq.heappop(self._by_expiry)
            self._live.pop(old, None)
        if signature in self._live:
            return False
        self._live[signature] = expires
        heapq.heappush(self._by_expiry, (expires, signature))
        return True


class PendingReplay:
    """A guard for one request whose replay mark a later store step makes atomically with its
    own writes (the quota check: one script marks the signature and takes quota). Verifying
    through it records the signature and lets it pass; whoever holds it must then refuse the
    request if the store says the signature was seen."""

    signature: str | None = None
    expires: int = 0

    async def first_use(self, signature: str, expires: int, now: float) -> bool:
        self.signature, self.expires = signature, expires
        return True


async def refuse_replay(guard: ReplayGuard, params: SignatureParams, now: float) -> None:
    """Raise ``Replayed`` when ``params`` was already used inside its window."""
    if not await guard.first_use(params.signature, params.expires, now):
        raise Replayed("sign each attempt anew")
