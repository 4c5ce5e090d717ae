"""Subscribing, the challenge history, and a subscriber revoking its own key."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from uei.access import CALLER, ONCE, PENDING_KEYS, Caller
from uei.registry.http.auth import Registrant, SelfOrOperator
from uei.registry.http.bodies import SubscribeBody
from uei.registry.model import Attempt, Status
from uei.registry.records import iso
from uei.registry.service import Registry

__all__ = ["challenges", "revoke_own_key", "subscribe"]


_NOT_REVOKED = frozenset(s for s in Status if s is not Status.REVOKED)


class SubscribeAnswer(msgspec.Struct):
    status: str


@post(
    "/subscribe",
    status_code=200,
    tags=["onboarding"],
    summary="Register, add a key or role",
    opt={CALLER: Caller.REGISTRANT, ONCE: True},
)
async def subscribe(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    data: JSONBody[SubscribeBody | None] = None,
) -> SubscribeAnswer:
    """Signed by the subscriber: a new one with the signing key in its own body (proof of
    possession), an existing one with a valid key of its own. Adds a key (it is challenged
    before it is valid), changes the URL, adds a role. An empty body re-sends the challenge
    for pending keys. Answers the subscriber's status, e.g. ``UNDER_SUBSCRIPTION``."""
    # ``data`` documents the body in the schema; the guard resolved the same bytes
    registrant: Registrant = request.state.caller
    req, signed_by = registrant
    saved = await registry.subscribe(req, signed_by)
    return SubscribeAnswer(status=saved.status.value)


class AttemptView(msgspec.Struct):
    number: int
    at: str
    unique_key_id: str
    outcome: str
    http_status: int | None
    error: str | None


class KeyChallenge(msgspec.Struct):
    unique_key_id: str
    state: str
    attempts_made: int
    next_attempt_at: str | None


class ChallengeHistory(msgspec.Struct):
    subscriber_id: str
    status: str
    roles: list[str]
    """granted roles, TYPE:domain:country:city"""
    pending_roles: list[str]
    """roles waiting for an operator's approve"""
    keys: list[KeyChallenge]
    attempts: list[AttemptView]


def _attempt(a: Attempt) -> AttemptView:
    return AttemptView(a.number, iso(a.at), a.unique_key_id, a.outcome, a.http_status, a.error)


@get(
    "/subscribers/{subscriber_id:str}/challenges",
    tags=["onboarding"],
    summary="The on_subscribe attempts and their outcomes",
    opt={CALLER: Caller.SUBSCRIBER_SELF, PENDING_KEYS: True},
)
async def challenges(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    subscriber_id: FromPath[str],
) -> ChallengeHistory:
    """Every recent attempt (time, HTTP status, outcome, error) and each key's state. Signed
    by that subscriber (with any of its keys, pending ones too) or by an operator."""
    sub = await registry.challenges(subscriber_id)
    return ChallengeHistory(
        subscriber_id=sub.subscriber_id,
        status=sub.status.value,
        roles=[r.label() for r in sub.roles],
        pending_roles=[r.label() for r in sub.pending_roles],
        keys=[
            KeyChallenge(
                k.unique_key_id,
                k.state.value,
                k.attempts_made,
                iso(k.next_attempt_at) if k.next_attempt_at is not None else None,
            )
            for k in sub.keys
        ],
        attempts=[_attempt(a) for a in sub.attempts],
    )


@post(
    "/subscribers/{subscriber_id:str}/keys/{unique_key_id:str}/revoke",
    status_code=200,
    tags=["onboarding"],
    summary="A subscriber revokes one of its keys",
    opt={CALLER: Caller.SUBSCRIBER_SELF, ONCE: True},
)
async def revoke_own_key(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    subscriber_id: FromPath[str],
    unique_key_id: FromPath[str],
) -> SubscribeAnswer:
    """Signed with a valid key of the subscriber. A key cannot revoke itself while it is the
    only valid key."""
    caller: SelfOrOperator = request.state.caller
    actor, signed_by = caller
    saved = await registry.revoke_key(subscriber_id, unique_key_id, actor, signed_by)
    return SubscribeAnswer(status=saved.status.value)
