"""Builders for registry tests: participants with real keys, subscribe requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from uei.registry.changelog import Actor
from uei.registry.model import Attempt, AttemptOutcome, ParticipantType
from uei.registry.operations import (
    SignedBy,
    SubscribeRequest,
    challenge_passed,
    change_grant,
    subscribe,
)
from uei.registry.policy import RegistryPolicy
from uei.registry.stores import RegistryStore
from uei.trust import KeySet, encode_key, generate_key_set

NOW = 1_790_000_000.0


@dataclass
class Participant:
    subscriber_id: str
    type: ParticipantType = ParticipantType.BPP
    url: str = "https://cpo.example/beckn"
    keys: KeySet = field(default_factory=generate_key_set)

    def request(self, keys: KeySet | None = None, /, **overrides: object) -> SubscribeRequest:
        keys = keys or self.keys
        fields: dict[str, object] = {
            "subscriber_id": self.subscriber_id,
            "subscriber_url": self.url,
            "type": self.type,
            "domain": "ev-charging:uei",
            "city": "std:080",
            "country": "IND",
            "unique_key_id": keys.unique_key_id,
            "signing_public_key": encode_key(keys.verify_key),
            "encr_public_key": encode_key(keys.encryption_public_key),
        }
        fields.update(overrides)
        return SubscribeRequest(**fields)  # type: ignore[arg-type]

    def signed_by(self, keys: KeySet | None = None) -> SignedBy:
        """The signer of a request signed with ``keys`` (default: its own)."""
        keys = keys or self.keys
        return SignedBy(self.subscriber_id, keys.unique_key_id, encode_key(keys.verify_key))


async def enrol(
    store: RegistryStore, participant: Participant, now: float, grants: Sequence[str] = ()
) -> None:
    """Store ``participant`` as SUBSCRIBED, as if it had passed the on_subscribe challenge
    (for tests and benchmarks about what comes after onboarding); its role is granted, as if
    an operator had approved it. ``grants``: services an operator granted it too (e.g.
    ``defaulters``), in the change log; none by default."""
    policy = RegistryPolicy(approve_types=[])
    out = subscribe(None, participant.request(), policy, now, participant.signed_by())
    attempt = Attempt(1, now, participant.keys.unique_key_id, AttemptOutcome.PASSED, 200)
    passed = challenge_passed(out.subscriber, attempt, policy)
    subscriber, drafts = passed.subscriber, out.drafts + passed.drafts
    for service in grants:
        granted = change_grant(subscriber, service, now, Actor.operator("ops"), granted=True)
        subscriber, drafts = granted.subscriber, drafts + granted.drafts
    await store.commit(subscriber, drafts, now, out.claim_key_ids)
