"""The registry's section of the network policy (``registry:`` in ``policies.yaml``): its
types, decoded strictly. ``uei.app.policy`` composes every part's section and loads the file.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

from uei.options import NonNegative, Options, Positive
from uei.registry.model import ParticipantType

__all__ = [
    "ChallengePolicy",
    "DediPolicy",
    "KeyValidityPolicy",
    "LookupPolicy",
    "Networks",
    "Onboarding",
    "Persistence",
    "RegistryPolicy",
]


class Onboarding(StrEnum):
    OPEN = "open"
    ALLOWLIST = "allowlist"


class Networks(StrEnum):
    DENY = "deny"
    """Only public addresses: the registry is never a way into a private network."""
    ALLOW = "allow"
    """Private, loopback and link-local addresses too (local tours and tests)."""


class Persistence(StrEnum):
    WARN = "warn"
    """Say loudly at start when Redis does not persist every write (AOF off)."""
    REQUIRE = "require"
    """Refuse to start on a Redis that does not persist every write."""


class KeyValidityPolicy(Options, frozen=True):
    max_days: Annotated[int, msgspec.Meta(ge=1)] = 730
    """Longest valid_from..valid_until a subscriber may ask for."""
    default_days: Annotated[int, msgspec.Meta(ge=1)] = 365
    """Validity given when a subscriber does not say."""
    max_backdate_seconds: Annotated[int, msgspec.Meta(ge=0)] = 300
    """How far in the past a valid_from may lie (clock skew)."""
    max_pending: Annotated[int, msgspec.Meta(ge=1, le=100)] = 3
    """Keys one subscriber may have waiting for their challenge at once."""


class LookupPolicy(Options, frozen=True):
    max_age_seconds: Annotated[int, msgspec.Meta(ge=0)] = 60
    """Cache-Control max-age on the key path."""
    page_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 100
    max_page_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000
    cache_bytes: Annotated[int, msgspec.Meta(ge=0)] = 64 * 1024 * 1024
    """Most bytes of encoded lookup pages each replica keeps."""


class ChallengePolicy(Options, frozen=True):
    timeout_seconds: Positive = 5.0
    """One on_subscribe attempt may take this long in all: connect, send and read."""
    retry_after_seconds: list[NonNegative] = msgspec.field(
        default_factory=lambda: [0.0, 10.0, 60.0, 300.0, 1800.0]
    )
    """Delay before each attempt, from the subscribe; its length is the number of attempts."""
    accept_decrypted: bool = True
    """Answers that decrypt the challenge (ONDC, beckn-registry)."""
    accept_signed: bool = True
    """Answers that sign the challenge as sent (the Beckn protocol server)."""
    private_networks: Networks = Networks.DENY
    """Whether subscriber URLs may resolve to private, loopback or link-local addresses."""
    max_concurrent: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 32
    """Attempts in flight at once on one replica (each subscriber's one at a time)."""
    rechallenge_after_seconds: NonNegative = 60.0
    """An empty /subscribe restarts the schedule only this long after it last started."""


NetworkId = Annotated[str, msgspec.Meta(pattern=r"^[^/\s]+/[^/\s]+$", max_length=256)]
"""A DeDi ``{namespace}/{registry}`` id: two non-empty parts without spaces, one slash."""


class DediPolicy(Options, frozen=True):
    """The DeDi read API under ``/dedi`` (Beckn v2, beckn-onix's ``dediregistry`` plugin)."""

    ttl_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 60
    """``ttl`` in every DeDi answer: how long a client may cache a record (beckn-onix's plugin
    caches a lookup this long). Revocations reach webhooks and this registry's own replicas
    sooner."""
    description: str = "UEI network registry: EV charging participants and their keys"
    """The registry's description in DeDi registry metadata."""
    webhook_retry_seconds: Annotated[list[NonNegative], msgspec.Meta(max_length=20)] = (
        msgspec.field(default_factory=lambda: [60.0, 300.0, 1800.0, 7200.0, 86400.0])
    )
    """After a failed delivery, the delay before each retry; after the last fails the watch is
    disabled."""
    webhook_timeout_seconds: Positive = 5.0
    """One delivery may take this long in all (connect, send, read the status)."""
    max_watches: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 10
    """Watches one subscriber may hold at once."""


class RegistryPolicy(Options, frozen=True):
    onboarding: Onboarding = Onboarding.OPEN
    require_approval: bool = False
    """When true, passing the challenge waits for an operator's approve."""
    domains: list[str] = msgspec.field(default_factory=lambda: ["ev-charging:uei"])
    countries: list[str] = msgspec.field(default_factory=lambda: ["IND"])
    max_skew_seconds: NonNegative = 5.0
    """How far in the future a signature's created time may lie."""
    max_signature_lifetime_seconds: Positive = 3600.0
    """Longest validity (expires - created) a request signature may claim."""
    approve_types: list[ParticipantType] = msgspec.field(
        default_factory=lambda: [ParticipantType.BG]
    )
    """Roles that wait for an operator's approve in every onboarding mode."""
    persistence: Persistence = Persistence.WARN
    """What to do at start on a Redis that does not persist every write."""
    keys: KeyValidityPolicy = KeyValidityPolicy()
    lookup: LookupPolicy = LookupPolicy()
    challenge: ChallengePolicy = ChallengePolicy()
    network_memberships: Annotated[list[NetworkId], msgspec.Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: ["uei.network/ev-charging"]
    )
    """The networks every participant of this registry belongs to, as DeDi
    ``{namespace}/{registry}`` ids: each DeDi record's ``network_memberships`` (beckn-onix's
    ``allowedNetworkIDs`` is matched against it), and the DeDi registries the records are
    served under (``/dedi/lookup/{namespace}/{registry}``); the first names the records' own
    namespace and registry."""
    dedi: DediPolicy = DediPolicy()
