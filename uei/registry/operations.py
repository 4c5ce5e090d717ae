"""What each registry action does to a subscriber: pure functions, no I/O.

Each takes the current ``Subscriber`` (or None), the request, the policy and the time, and
returns an ``Outcome``: the new subscriber, the log drafts to append, and the key ids the store
must claim atomically. Refusals raise ``UeiError`` subclasses naming the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

from uei.errors import Conflict, Forbidden, InvalidRequest, NotFound
from uei.registry.changelog import CHALLENGE, Actor, Draft
from uei.registry.lifecycle import Event, transition
from uei.registry.model import (
    Attempt,
    Key,
    KeyState,
    ParticipantType,
    Role,
    RoleGrant,
    Status,
    Subscriber,
)
from uei.registry.policy import Onboarding, RegistryPolicy
from uei.registry.urls import check_url
from uei.trust import KeyFormatError, encode_key, load_encryption_public_key, load_verify_key

__all__ = [
    "MAX_ATTEMPTS_KEPT",
    "NOTHING_RESERVED",
    "SUBSCRIBER_ID",
    "Outcome",
    "Reserved",
    "SignedBy",
    "SubscribeRequest",
    "allow",
    "approve",
    "challenge_passed",
    "change_grant",
    "claim_attempt",
    "operator_action",
    "record_attempt",
    "revoke_key",
    "subscribe",
    "subscribe_signing_key",
]

DAY = 86400.0
MAX_ATTEMPTS_KEPT = 50
_CANNOT_ACT = frozenset({Status.SUSPENDED, Status.REVOKED})
"""A subscriber in these states changes nothing, whatever key it signs with."""
_NOT_CHALLENGED = _CANNOT_ACT
SUBSCRIBER_ID = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,253}[A-Za-z0-9])?"
_ID = re.compile(SUBSCRIBER_ID)
"""A subscriber_id: a host name or the like (it stands in keyIds and URL paths)."""
_KEY_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass(frozen=True)
class Reserved:
    """The registry's own identity: no subscriber may register under it or its key ids."""

    subscriber_ids: frozenset[str] = frozenset()
    key_ids: frozenset[str] = frozenset()

    def check(self, req: SubscribeRequest) -> None:
        if req.subscriber_id in self.subscriber_ids:
            raise Forbidden(
                f"{req.subscriber_id} is the registry's own subscriber_id; no subscriber may "
                "use it",
                "subscriber_id",
            )
        if req.unique_key_id is not None and req.unique_key_id in self.key_ids:
            raise Forbidden(
                f"{req.unique_key_id} is one of the registry's own key ids; choose another",
                "unique_key_id",
            )


class SubscribeRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A /subscribe body after aliases are resolved. Only subscriber_id is always there."""

    subscriber_id: str
    subscriber_url: str | None = None
    type: ParticipantType | None = None
    domain: str | None = None
    city: str | None = None
    country: str | None = None
    unique_key_id: str | None = None
    signing_public_key: str | None = None
    encr_public_key: str | None = None
    valid_from: float | None = None
    valid_until: float | None = None

    @property
    def is_empty(self) -> bool:
        """An empty /subscribe body: re-trigger the challenge."""
        return all(getattr(self, f) is None for f in self.__struct_fields__[1:])


@dataclass(frozen=True)
class Outcome:
    subscriber: Subscriber
    drafts: list[Draft] = field(default_factory=list)
    claim_key_ids: list[str] = field(default_factory=list)


def _status_draft(
    sub: Subscriber | None, new: Status, action: str, actor: Actor, sid: str
) -> list[Draft]:
    old = sub.status.value if sub is not None else None
    return [Draft(sid, action, actor, old, new.value)]


def _normalise_keys(req: SubscribeRequest) -> tuple[str, str]:
    if req.signing_public_key is None or req.encr_public_key is None:
        missing = "signing_public_key" if req.signing_public_key is None else "encr_public_key"
        raise InvalidRequest(f"{missing} is required with unique_key_id", missing)
    try:
        signing = encode_key(load_verify_key(req.signing_public_key, "signing_public_key"))
    except KeyFormatError as exc:
        raise InvalidRequest(str(exc), "signing_public_key") from None
    try:
        encryption = encode_key(load_encryption_public_key(req.encr_public_key, "encr_public_key"))
    except KeyFormatError as exc:
        raise InvalidRequest(str(exc), "encr_public_key") from None
    if signing == encryption:
        raise InvalidRequest(
            "encr_public_key must differ from signing_public_key", "encr_public_key"
        )
    return signing, encryption


def _validity(req: SubscribeRequest, policy: RegistryPolicy, now: float) -> tuple[float, float]:
    limits = policy.keys
    valid_from = req.valid_from if req.valid_from is not None else now
    valid_until = (
        req.valid_until if req.valid_until is not None else valid_from + limits.default_days * DAY
    )
    if valid_from < now - limits.max_backdate_seconds:
        raise InvalidRequest(
            f"valid_from lies more than {limits.max_backdate_seconds} s in the past", "valid_from"
        )
    if valid_until <= valid_from:
        raise InvalidRequest("valid_until must be after valid_from", "valid_until")
    if valid_until - valid_from > limits.max_days * DAY:
        raise InvalidRequest(
            f"a key may be valid for at most {limits.max_days} days", "valid_until"
        )
    return valid_from, valid_until


def _new_key(
    req: SubscribeRequest, existing: Subscriber | None, policy: RegistryPolicy, now: float
) -> Key | None:
    """The key the request adds, None when it names a key already there unchanged."""
    assert req.unique_key_id is not None
    signing, encryption = _normalise_keys(req)
    current = existing.key(req.unique_key_id) if existing is not None else None
    if current is not None:
        if (current.signing_public_key, current.encr_public_key) != (signing, encryption):
            raise Conflict(
                f"unique_key_id {req.unique_key_id} already names other keys; "
                "publish new keys under a new unique_key_id",
                "unique_key_id",
            )
        if current.state is KeyState.REVOKED:
            raise Conflict(f"key {req.unique_key_id} is revoked", "unique_key_id")
        return None
    valid_from, valid_until = _validity(req, policy, now)
    return Key(
        unique_key_id=req.unique_key_id,
        signing_public_key=signing,
        encr_public_key=encryption,
        valid_from=valid_from,
        valid_until=valid_until,
        state=KeyState.PENDING,
        created=now,
        updated=now,
        challenge_started_at=now,
        next_attempt_at=now,
    )


def _role(req: SubscribeRequest, policy: RegistryPolicy) -> Role | None:
    if req.type is None and req.domain is None and req.city is None:
        return None
    if req.type is None or req.domain is None:
        missing = "type" if req.type is None else "domain"
        raise InvalidRequest(f"{missing} is required to add a role", missing)
    if req.type is ParticipantType.BREG:
        raise Forbidden("type BREG is the registry's alone; no subscriber may take it", "type")
    if req.domain not in policy.domains:
        raise InvalidRequest(
            f"domain {req.domain!r} is not open on this network (open: "
            f"{', '.join(policy.domains)})",
            "domain",
        )
    country = req.country or policy.countries[0]
    if country not in policy.countries:
        raise InvalidRequest(f"country {country!r} is not served by this registry", "country")
    return Role(type=req.type, domain=req.domain, country=country, city=req.city or "*")


def _granted_at_once(existing: Subscriber | None, role: Role, policy: RegistryPolicy) -> bool:
    """Whether a role asked for is granted now (True) or waits for an operator's approve
    (False). A role is granted the way a subscriber is: an allowlist entry must name it, and
    ``approve_types`` and ``require_approval`` make it wait for an operator."""
    if policy.onboarding is Onboarding.ALLOWLIST and not any(
        grant.covers(role) for grant in (existing.allowed if existing else ())
    ):
        raise Forbidden(
            f"the allowlist entry of {existing.subscriber_id if existing else 'this subscriber'}"
            f" does not name the role {role.type.value} in {role.domain}; ask the operator "
            f"(uei admin allow ... --type {role.type.value})",
            "type",
        )
    return role.type not in policy.approve_types and not policy.require_approval


def _check_ids(req: SubscribeRequest) -> None:
    if not _ID.fullmatch(req.subscriber_id):
        raise InvalidRequest(
            "subscriber_id must be 1-255 letters, digits, '.', '-' or '_' (a host name)",
            "subscriber_id",
        )
    if req.unique_key_id is not None and not _KEY_ID.fullmatch(req.unique_key_id):
        raise InvalidRequest(
            "unique_key_id must be 1-128 letters, digits, '.', ':', '-' or '_'", "unique_key_id"
        )


def _restart_challenges(sub: Subscriber, now: float, policy: RegistryPolicy) -> tuple[Key, ...]:
    pending = [k for k in sub.keys if k.state is KeyState.PENDING]
    if not pending:
        raise Conflict("no key is waiting for its challenge; add a key to start one")
    wait = policy.challenge.rechallenge_after_seconds
    started = max(k.challenge_started_at or 0.0 for k in pending)
    if now < started + wait:
        raise Conflict(
            f"the challenge schedule started {now - started:.0f} s ago; an empty subscribe may "
            f"restart it {wait:g} s after it last started"
        )
    return tuple(
        msgspec.structs.replace(
            k, attempts_made=0, challenge_started_at=now, next_attempt_at=now, updated=now
        )
        if k.state is KeyState.PENDING
        else k
        for k in sub.keys
    )


NOTHING_RESERVED = Reserved()


@dataclass(frozen=True)
class SignedBy:
    """Who signed a subscriber's request: the key id and the public key it verified with."""

    subscriber_id: str
    unique_key_id: str
    signing_public_key: str

    @property
    def actor(self) -> Actor:
        return Actor.subscriber(self.subscriber_id)


def _check_signer(sub: Subscriber, signed_by: SignedBy, now: float) -> None:
    """A subscriber acts only while it may and with a key valid now, in the copy being
    changed (the store's save refuses the change if that copy is no longer current)."""
    if sub.status in _CANNOT_ACT:
        raise Forbidden(
            f"{sub.subscriber_id} is {sub.status.value} and cannot change anything",
            "Authorization",
        )
    key = sub.key(signed_by.unique_key_id)
    if (
        key is None
        or not key.usable_at(now)
        or key.signing_public_key != signed_by.signing_public_key
    ):
        raise Forbidden(
            f"key {signed_by.unique_key_id} of {sub.subscriber_id} is not valid now "
            "(revoked, expired or not yet proven)",
            "Authorization",
        )


def _signed_as_required(
    existing: Subscriber | None, req: SubscribeRequest, signed_by: SignedBy, now: float
) -> None:
    """The request was signed with the key ``existing`` (the copy being changed) requires."""
    if subscribe_signing_key(existing, req, signed_by.unique_key_id, now) != (
        signed_by.signing_public_key
    ):
        raise Forbidden(
            f"the key that signed this request is not the one {req.subscriber_id} must sign "
            "with now",
            "Authorization",
        )


def _add_role(
    existing: Subscriber | None,
    req: SubscribeRequest,
    policy: RegistryPolicy,
    actor: Actor,
    status: Status,
) -> tuple[tuple[Role, ...], tuple[Role, ...], list[Draft]]:
    """(granted roles, pending roles, drafts) after the role the request asks for."""
    roles = existing.roles if existing else ()
    pending = existing.pending_roles if existing else ()
    role = _role(req, policy)
    if role is None or role in roles or role in pending:
        return roles, pending, []
    if _granted_at_once(existing, role, policy):
        roles, action = (*roles, role), "role_added"
    else:
        pending, action = (*pending, role), "role_requested"
    draft = Draft(req.subscriber_id, f"{action}:{role.label()}", actor, status.value, status.value)
    return roles, pending, [draft]


def subscribe(
    existing: Subscriber | None,
    req: SubscribeRequest,
    policy: RegistryPolicy,
    now: float,
    signed_by: SignedBy,
    owner_of: dict[str, str | None] | None = None,
    reserved: Reserved = NOTHING_RESERVED,
) -> Outcome:
    """Register, add a key, change the URL, ask for a role, or (empty body) re-challenge.

    ``signed_by`` is checked against ``existing`` again (the store saves only if ``existing``
    is still current), so a key revoked or a subscriber suspended on any replica since the
    signature was checked changes nothing. ``owner_of`` maps key ids to the subscriber that
    holds them, for a clear early refusal; the store claims them atomically as well.
    """
    sid = req.subscriber_id
    reserved.check(req)
    _check_ids(req)
    if existing is None and policy.onboarding is Onboarding.ALLOWLIST:
        raise Forbidden(
            f"{sid} is not on this network's allowlist; ask the operator", "subscriber_id"
        )
    status = transition(existing.status if existing else None, Event.SUBSCRIBE)
    actor = signed_by.actor

    if req.is_empty:
        if existing is None:
            raise InvalidRequest("an empty subscribe needs a registered subscriber")
        _signed_as_required(existing, req, signed_by, now)
        keys = _restart_challenges(existing, now, policy)
        sub = msgspec.structs.replace(existing, keys=keys, status=status, updated=now)
        return Outcome(sub, _status_draft(existing, status, "rechallenge", actor, sid))

    new_registration = existing is None or not existing.keys
    if new_registration:
        for name in ("subscriber_url", "type", "domain", "unique_key_id"):
            if getattr(req, name) is None:
                raise InvalidRequest(f"{name} is required to register", name)

    drafts: list[Draft] = []
    claims: list[str] = []
    keys = existing.keys if existing else ()
    url = existing.subscriber_url if existing else ""

    if req.unique_key_id is not None:
        owner = (owner_of or {}).get(req.unique_key_id)
        if owner is not None and owner != sid:
            raise Conflict(
                f"unique_key_id {req.unique_key_id} belongs to another subscriber", "unique_key_id"
            )
        key = _new_key(req, existing, policy, now)
        if key is not None:
            waiting = sum(k.state is KeyState.PENDING for k in keys)
            if waiting >= policy.keys.max_pending:
                raise InvalidRequest(
                    f"{sid} already has {waiting} keys waiting for their challenge (at most "
                    f"{policy.keys.max_pending}); let one pass or revoke one first",
                    "unique_key_id",
                )
            keys = (*keys, key)
            claims.append(key.unique_key_id)
            drafts.append(
                Draft(sid, "key_added", actor, None, KeyState.PENDING.value, key.unique_key_id)
            )
    elif req.signing_public_key is not None or req.encr_public_key is not None:
        raise InvalidRequest("unique_key_id is required with public keys", "unique_key_id")

    roles, pending_roles, role_drafts = _add_role(existing, req, policy, actor, status)
    drafts += role_drafts
    wanted = check_url(req.subscriber_url) if req.subscriber_url is not None else url
    if wanted != url:  # (the service also checks where a URL resolves)
        if url:
            drafts.append(Draft(sid, "url_changed", actor, status.value, status.value))
        url = wanted

    if existing is None or existing.status is not status:
        drafts.insert(0, _status_draft(existing, status, "subscribe", actor, sid)[0])
    if not drafts:
        raise Conflict("nothing to change: the subscriber already has this key, URL and role")
    _signed_as_required(existing, req, signed_by, now)
    base = existing or Subscriber(
        subscriber_id=sid, subscriber_url="", status=status, created=now, updated=now
    )
    sub = msgspec.structs.replace(
        base,
        subscriber_url=url,
        status=status,
        updated=now,
        roles=roles,
        pending_roles=pending_roles,
        keys=keys,
    )
    return Outcome(sub, drafts, claims)


def subscribe_signing_key(
    existing: Subscriber | None, req: SubscribeRequest, signer_key_id: str, now: float
) -> str:
    """The public key a /subscribe must be signed with, or ``Forbidden`` saying why not.

    A subscriber with keys signs with one of its own: a currently valid key, or, while it has
    none, a key still waiting for its challenge. Only a subscriber with no keys at all (new,
    or allowed by an operator) proves possession with the key in its own body: anyone else's
    body key would let a stranger add keys to someone's registration.
    """
    if existing is not None and existing.keys:
        usable = [k for k in existing.keys if k.usable_at(now)]
        candidates = usable or [k for k in existing.keys if k.state is KeyState.PENDING]
        for key in candidates:
            if key.unique_key_id == signer_key_id:
                return key.signing_public_key
        kind = "currently valid" if usable else "pending"
        raise Forbidden(
            f"{existing.subscriber_id} must sign with one of its {kind} keys "
            f"({', '.join(k.unique_key_id for k in candidates) or 'none'})",
            "Authorization",
        )
    if req.unique_key_id != signer_key_id or req.signing_public_key is None:
        raise Forbidden(
            "a new subscriber signs with the signing key in its body: the keyId must name "
            "its unique_key_id",
            "Authorization",
        )
    return req.signing_public_key


def _replace_key(sub: Subscriber, key: Key) -> tuple[Key, ...]:
    return tuple(key if k.unique_key_id == key.unique_key_id else k for k in sub.keys)


def _pending_key(sub: Subscriber, unique_key_id: str) -> Key:
    key = sub.key(unique_key_id)
    if key is None:
        raise NotFound(f"{sub.subscriber_id} has no key {unique_key_id}", "unique_key_id")
    if key.state is not KeyState.PENDING:
        raise Conflict(f"key {unique_key_id} is {key.state.value}, not waiting for a challenge")
    return key


def claim_attempt(sub: Subscriber, unique_key_id: str, now: float, lease: float) -> Subscriber:
    """Take the next attempt: count it and hold the key for ``lease`` seconds. A suspended or
    revoked subscriber is not called."""
    if sub.status in _NOT_CHALLENGED:
        raise Conflict(f"{sub.subscriber_id} is {sub.status.value}: its keys are not challenged")
    key = _pending_key(sub, unique_key_id)
    if key.next_attempt_at is None or key.next_attempt_at > now:
        raise Conflict(f"no challenge attempt is due for key {unique_key_id}")
    held = msgspec.structs.replace(
        key, attempts_made=key.attempts_made + 1, next_attempt_at=now + lease
    )
    return msgspec.structs.replace(sub, keys=_replace_key(sub, held))


def record_attempt(sub: Subscriber, attempt: Attempt, policy: RegistryPolicy) -> Subscriber:
    """Keep a failed attempt and schedule the next one, if the policy allows one more."""
    key = _pending_key(sub, attempt.unique_key_id)
    schedule = policy.challenge.retry_after_seconds
    started = key.challenge_started_at if key.challenge_started_at is not None else attempt.at
    upcoming = (
        max(started + schedule[key.attempts_made], attempt.at)
        if key.attempts_made < len(schedule)
        else None
    )
    key = msgspec.structs.replace(key, next_attempt_at=upcoming, updated=attempt.at)
    attempts = (*sub.attempts, attempt)[-MAX_ATTEMPTS_KEPT:]
    return msgspec.structs.replace(sub, keys=_replace_key(sub, key), attempts=attempts)


def challenge_passed(
    sub: Subscriber, attempt: Attempt, policy: RegistryPolicy, actor: Actor = CHALLENGE
) -> Outcome:
    """The key is proven: it becomes VALID; a new subscriber becomes SUBSCRIBED (or waits)."""
    key = _pending_key(sub, attempt.unique_key_id)
    now = attempt.at
    valid = msgspec.structs.replace(key, state=KeyState.VALID, next_attempt_at=None, updated=now)
    waits = policy.require_approval and not sub.challenge_passed
    status = transition(sub.status, Event.AWAIT_APPROVAL if waits else Event.CHALLENGE_PASSED)
    drafts = [
        Draft(
            sub.subscriber_id,
            "key_verified",
            actor,
            key.state.value,
            KeyState.VALID.value,
            key.unique_key_id,
        )
    ]
    if status is not sub.status:
        drafts.append(
            Draft(sub.subscriber_id, "challenge_passed", actor, sub.status.value, status.value)
        )
    new = msgspec.structs.replace(
        sub,
        keys=_replace_key(sub, valid),
        status=status,
        updated=now,
        challenge_passed=True,
        attempts=(*sub.attempts, attempt)[-MAX_ATTEMPTS_KEPT:],
    )
    return Outcome(new, drafts)


def allow(
    existing: Subscriber | None,
    subscriber_id: str,
    grants: Sequence[RoleGrant],
    now: float,
    actor: Actor,
    reserved: Reserved = NOTHING_RESERVED,
) -> Outcome:
    """Put a subscriber_id on the allowlist with the roles it may take, or name more roles
    for one already there."""
    reserved.check(SubscribeRequest(subscriber_id=subscriber_id))
    _check_ids(SubscribeRequest(subscriber_id=subscriber_id))
    if not grants:
        raise InvalidRequest("name the roles the allowlist entry allows", "roles")
    if any(g.type is ParticipantType.BREG for g in grants):
        raise InvalidRequest("BREG is the registry's alone", "roles")
    if existing is None:
        status = transition(None, Event.ALLOW)
        sub = Subscriber(
            subscriber_id=subscriber_id,
            subscriber_url="",
            status=status,
            created=now,
            updated=now,
            allowed=tuple(dict.fromkeys(grants)),
        )
        drafts = _status_draft(None, status, "allow", actor, subscriber_id)
    else:
        added = tuple(g for g in dict.fromkeys(grants) if g not in existing.allowed)
        if not added:
            raise Conflict(f"{subscriber_id} is already allowed these roles")
        if existing.status is Status.REVOKED:
            transition(existing.status, Event.ALLOW)  # refuses, naming the state
        sub = msgspec.structs.replace(existing, allowed=existing.allowed + added, updated=now)
        drafts = []
    status_value = sub.status.value
    drafts += [
        Draft(subscriber_id, f"allow:{g.label()}", actor, status_value, status_value)
        for g in (sub.allowed if existing is None else added)
    ]
    return Outcome(sub, drafts)


def approve(
    sub: Subscriber,
    now: float,
    actor: Actor,
    policy: RegistryPolicy,
    grant: RoleGrant | None = None,
) -> Outcome:
    """Grant what waits for an operator: the subscriber itself (``require_approval``, once it
    has passed its challenge) and its pending roles. Without ``grant``, every pending role
    except those of ``approve_types`` (a gateway is approved only by naming it); with it,
    the pending roles it covers."""
    approving = [
        r
        for r in sub.pending_roles
        if (grant.covers(r) if grant is not None else r.type not in policy.approve_types)
    ]
    waits = sub.status is Status.UNDER_SUBSCRIPTION and policy.require_approval
    if grant is not None and not approving:
        raise Conflict(
            f"{sub.subscriber_id} has no role {grant.label()} waiting for approval (waiting: "
            f"{', '.join(r.label() for r in sub.pending_roles) or 'none'})",
            "type",
        )
    if not approving and not waits:
        hidden = [r.label() for r in sub.pending_roles]
        raise Conflict(
            f"nothing of {sub.subscriber_id} waits for approval"
            + (f" but {', '.join(hidden)}: name it with --type" if hidden else "")
        )
    status = sub.status
    drafts: list[Draft] = []
    if waits:
        if not sub.challenge_passed:
            raise Conflict(f"{sub.subscriber_id} has not passed its on_subscribe challenge yet")
        status = transition(sub.status, Event.APPROVE)
        drafts += _status_draft(sub, status, Event.APPROVE.value, actor, sub.subscriber_id)
    drafts += [
        Draft(sub.subscriber_id, f"role_approved:{r.label()}", actor, status.value, status.value)
        for r in approving
    ]
    new = msgspec.structs.replace(
        sub,
        status=status,
        updated=now,
        roles=sub.roles + tuple(approving),
        pending_roles=tuple(r for r in sub.pending_roles if r not in approving),
    )
    return Outcome(new, drafts)


def change_grant(
    sub: Subscriber, service: str, now: float, actor: Actor, *, granted: bool
) -> Outcome:
    """Grant a service to a subscriber (``granted``) or take it back, in the change log."""
    if sub.status is Status.REVOKED:
        raise Conflict(f"{sub.subscriber_id} is REVOKED")
    if (service in sub.grants) == granted:
        state = "already has" if granted else "has no"
        raise Conflict(f"{sub.subscriber_id} {state} the grant {service}", "grant")
    grants = (*sub.grants, service) if granted else tuple(g for g in sub.grants if g != service)
    action = f"{'grant' if granted else 'revoke_grant'}:{service}"
    status = sub.status.value
    new = msgspec.structs.replace(sub, grants=grants, updated=now)
    return Outcome(new, [Draft(sub.subscriber_id, action, actor, status, status)])


def operator_action(sub: Subscriber, event: Event, now: float, actor: Actor) -> Outcome:
    """suspend, reinstate, revoke: a lifecycle transition, recorded with who."""
    status = transition(sub.status, event)
    new = msgspec.structs.replace(sub, status=status, updated=now)
    return Outcome(new, _status_draft(sub, status, event.value, actor, sub.subscriber_id))


def revoke_key(
    sub: Subscriber,
    unique_key_id: str,
    now: float,
    actor: Actor,
    signed_by: SignedBy | None = None,
) -> Outcome:
    """Revoke one key. A subscriber (``signed_by``) acts only while it may, with a key valid
    now, and cannot revoke the key it signs with while it is the only valid one (it would lock
    itself out); an operator can."""
    if signed_by is not None:
        _check_signer(sub, signed_by, now)
    key = sub.key(unique_key_id)
    if key is None:
        raise NotFound(f"{sub.subscriber_id} has no key {unique_key_id}", "unique_key_id")
    if key.state is KeyState.REVOKED:
        raise Conflict(f"key {unique_key_id} is already revoked", "unique_key_id")
    others = [k for k in sub.keys if k.unique_key_id != unique_key_id and k.usable_at(now)]
    signed_with = signed_by.unique_key_id if signed_by is not None else None
    if signed_with == unique_key_id and not others:
        raise Conflict(
            f"key {unique_key_id} is the only valid key and cannot revoke itself; "
            "add and prove a new key first",
            "unique_key_id",
        )
    revoked = msgspec.structs.replace(
        key, state=KeyState.REVOKED, next_attempt_at=None, updated=now
    )
    new = msgspec.structs.replace(sub, keys=_replace_key(sub, revoked), updated=now)
    draft = Draft(
        sub.subscriber_id,
        "key_revoked",
        actor,
        key.state.value,
        KeyState.REVOKED.value,
        unique_key_id,
    )
    return Outcome(new, [draft])
