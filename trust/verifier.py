"""The whole check a server runs on a signed request, with its I/O handed in.

Parse the header, resolve the key (an injected async resolver: the registry's store, or a
remote lookup), verify over the exact body at the injected clock's time, and, for routes that
change state or spend quota, refuse a replay.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nacl.signing import VerifyKey

from trust.header import SignatureParams, parse_header
from trust.replay import ReplayGuard, refuse_replay
from trust.signing import DEFAULT_MAX_SKEW, verify

__all__ = ["Clock", "KeyResolver", "Verifier"]

Clock = Callable[[], float]
"""Seconds since the epoch, injected so that tests control time."""

KeyResolver = Callable[[str, str], Awaitable[VerifyKey]]
"""(subscriber_id, unique_key_id) -> the currently valid key; raises ``UnknownKey`` if none."""


@dataclass(frozen=True, slots=True)
class Verifier:
    resolve: KeyResolver
    clock: Clock
    replay_guard: ReplayGuard | None = None
    max_skew: float = DEFAULT_MAX_SKEW

    async def verify(
        self, header: str, body: bytes, *, once: bool, claimed_digest: str | None = None
    ) -> SignatureParams:
        """Return who signed ``body``; raise a ``SignatureError`` saying why not.

        ``once`` asks for replay refusal (state-changing and quota-spending routes).
        """
        params = parse_header(header)
        now = self.clock()
        key = await self.resolve(params.subscriber_id, params.unique_key_id)
        verify(body, params, key, now=now, max_skew=self.max_skew, claimed_digest=claimed_digest)
        if once:
            if self.replay_guard is None:
                raise RuntimeError("a route that refuses replays needs a replay guard")
            await refuse_replay(self.replay_guard, params, now)
        return params
