"""Builders for registry tests: participants with real keys, subscribe requests."""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.model import ParticipantType
from registry.operations import SubscribeRequest
from trust import KeySet, encode_key, generate_key_set

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
