"""The replay guard as a state machine against a model, and the Verifier's use of it."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from nacl.signing import SigningKey, VerifyKey

from uei.trust import MemoryReplayGuard, Replayed, UnknownKey, Verifier, sign_header


class ReplayGuardMachine(RuleBasedStateMachine):
    """Model: a signature is refused exactly while a previous use's expiry has not passed."""

    @initialize()
    def start(self) -> None:
        self.guard = MemoryReplayGuard()
        self.now = 1_000.0
        self.model: dict[str, int] = {}

    @rule(seconds=st.floats(min_value=0, max_value=50))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @rule(signature=st.sampled_from(["a", "b", "c", "d"]), ttl=st.integers(0, 60))
    def use(self, signature: str, ttl: int) -> None:
        expires = int(self.now) + ttl
        live = signature in self.model and self.model[signature] >= self.now
        first = asyncio.run(self.guard.first_use(signature, expires, self.now))
        assert first is not live
        if first:
            self.model[signature] = expires

    @invariant()
    def remembers_no_more_than_live_signatures(self) -> None:
        live = {s for s, e in self.model.items() if e >= self.now}
        assert len(self.guard) <= len(self.model)
        assert len(self.guard) >= 0 if not live else len(self.guard) >= 1


TestReplayGuard = ReplayGuardMachine.TestCase


def _verifier(key: SigningKey, now: float) -> Verifier:
    async def resolve(subscriber_id: str, unique_key_id: str) -> VerifyKey:
        if subscriber_id != "bap.example":
            raise UnknownKey(f"no valid key {subscriber_id}|{unique_key_id}")
        return key.verify_key

    return Verifier(resolve=resolve, clock=lambda: now, replay_guard=MemoryReplayGuard())


@pytest.mark.anyio
async def test_state_changing_routes_refuse_a_repeat_read_only_routes_accept_it() -> None:
    key = SigningKey.generate()
    body = b'{"session_ref":"s-1"}'
    header = sign_header(
        body, key, subscriber_id="bap.example", unique_key_id="k1", created=1_700_000_000
    )
    verifier = _verifier(key, 1_700_000_001)
    await verifier.verify(header, body, once=True)
    with pytest.raises(Replayed, match=r"^replayed: sign each attempt anew$"):
        await verifier.verify(header, body, once=True)
    await verifier.verify(header, body, once=False)  # a read may repeat any signature
    read = sign_header(
        body, key, subscriber_id="bap.example", unique_key_id="k1", created=1_700_000_001
    )
    await verifier.verify(read, body, once=False)
    await verifier.verify(read, body, once=False)
    # a signature first used on a read (it covers the body, not the route) is not spent
    # later on a write
    with pytest.raises(Replayed):
        await verifier.verify(read, body, once=True)


@pytest.mark.anyio
async def test_unknown_signer_is_refused_before_any_replay_bookkeeping() -> None:
    key = SigningKey.generate()
    header = sign_header(
        b"{}", key, subscriber_id="other", unique_key_id="k1", created=1_700_000_000
    )
    verifier = _verifier(key, 1_700_000_000)
    with pytest.raises(UnknownKey, match=r"no valid key other\|k1"):
        await verifier.verify(header, b"{}", once=True)
    assert verifier.replay_guard is not None
    assert len(verifier.replay_guard) == 0  # type: ignore[arg-type]
