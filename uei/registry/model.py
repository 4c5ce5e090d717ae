"""The registry's data: subscribers, their roles and keys, as stored and as looked up."""

from __future__ import annotations

from enum import StrEnum

import msgspec

__all__ = [
    "Attempt",
    "AttemptOutcome",
    "Key",
    "KeyState",
    "ParticipantType",
    "Role",
    "RoleGrant",
    "Status",
    "Subscriber",
]


class Status(StrEnum):
    INITIATED = "INITIATED"
    UNDER_SUBSCRIPTION = "UNDER_SUBSCRIPTION"
    SUBSCRIBED = "SUBSCRIBED"
    SUSPENDED = "SUSPENDED"
    EXPIRED = "EXPIRED"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    REVOKED = "REVOKED"
    INVALID_SSL = "INVALID_SSL"


class ParticipantType(StrEnum):
    BAP = "BAP"
    BPP = "BPP"
    BG = "BG"
    BREG = "BREG"


class KeyState(StrEnum):
    PENDING = "PENDING"
    """Published by the subscriber, not yet proven by the on_subscribe challenge."""
    VALID = "VALID"
    REVOKED = "REVOKED"


class Role(msgspec.Struct, frozen=True):
    type: ParticipantType
    domain: str
    country: str
    city: str = "*"

    def label(self) -> str:
        return f"{self.type.value}:{self.domain}:{self.country}:{self.city}"


class RoleGrant(msgspec.Struct, frozen=True):
    """What an operator allows or approves: a type, in one domain or (None) any."""

    type: ParticipantType
    domain: str | None = None

    def covers(self, role: Role) -> bool:
        return role.type is self.type and self.domain in (None, role.domain)

    def label(self) -> str:
        return f"{self.type.value}:{self.domain or '*'}"


class AttemptOutcome(StrEnum):
    """What came of one on_subscribe call (stored and shown as these strings)."""

    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    BAD_RESPONSE = "bad_response"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    """The URL leads to an address the policy does not allow."""
    IN_PROGRESS = "in_progress"


class Attempt(msgspec.Struct, frozen=True):
    """One on_subscribe call and what came of it."""

    number: int
    at: float
    unique_key_id: str
    outcome: AttemptOutcome
    http_status: int | None = None
    error: str | None = None


class Key(msgspec.Struct, frozen=True):
    unique_key_id: str
    signing_public_key: str
    encr_public_key: str
    valid_from: float
    valid_until: float
    state: KeyState
    created: float
    updated: float
    attempts_made: int = 0
    challenge_started_at: float | None = None
    """When the current challenge schedule began (the subscribe that asked for it)."""
    next_attempt_at: float | None = None
    """When the next challenge attempt is due; None when none is scheduled."""

    def usable_at(self, now: float) -> bool:
        return self.state is KeyState.VALID and self.valid_from <= now <= self.valid_until


class Subscriber(msgspec.Struct, frozen=True):
    subscriber_id: str
    subscriber_url: str
    status: Status
    created: float
    updated: float
    roles: tuple[Role, ...] = ()
    """Granted roles: the only ones lookups return and callers are authorised by."""
    keys: tuple[Key, ...] = ()
    challenge_passed: bool = False
    version: int = 0
    """Incremented by every save; stores compare it to refuse lost updates."""
    attempts: tuple[Attempt, ...] = ()
    """The most recent challenge attempts, oldest first."""
    pending_roles: tuple[Role, ...] = ()
    """Roles asked for that wait for an operator's approve."""
    allowed: tuple[RoleGrant, ...] = ()
    """The allowlist entry: roles this subscriber may take without approval (allowlist
    onboarding)."""
    grants: tuple[str, ...] = ()
    """Services an operator granted it beyond its roles, e.g. ``defaulters`` (the non-payer
    API, with ``defaulters.access: granted``)."""

    def key(self, unique_key_id: str) -> Key | None:
        for key in self.keys:
            if key.unique_key_id == unique_key_id:
                return key
        return None
