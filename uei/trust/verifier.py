"""The whole check a server runs on a signed request, with its I/O handed in.

Parse the header, resolve the key (an injected async resolver: the registry's store, or a
remote lookup), verify over the exact body at the injected clock's time, and, for routes that
change state or spend quota, refuse a replay.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nacl.signing import VerifyKey

from uei.trust.errors import Expired
from uei.trust.header import SignatureParams, parse_header
from uei.trust.replay import ReplayGuard, refuse_replay
from uei.trust.signing import DEFAULT_MAX_SKEW, verify

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
    max_lifetime: float | None = None
    """Refuse signatures valid for longer than this (``expires - created``), in seconds: a
    leaked header must not be a long-lived credential."""

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
        if self.max_lifetime is not None and params.expires - params.created > self.max_lifetime:
            raise Expired(
                f"valid for {params.expires - params.created} s (expires - created); "
                f"at most {self.max_lifetime:g} s is accepted"
            )
        if once:
            if self.replay_guard is None:
                raise RuntimeError("a route that refuses replays needs a replay guard")
            await refuse_replay(self.replay_guard, params, now)
        elif self.replay_guard is not None:
            # A signature covers the body, not the method or path: one first used on a read
            # is remembered, so it cannot then be spent once on a write. Reads may repeat.
            await self.replay_guard.first_use(params.signature, params.expires, now)
        return params
