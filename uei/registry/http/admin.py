"""The operator API: allowlist, approve, suspend, reinstate, revoke, list subscribers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from uei.access import CALLER, ONCE, Caller
from uei.registry.changelog import Actor
from uei.registry.model import ParticipantType, RoleGrant, Status
from uei.registry.operations import SUBSCRIBER_ID
from uei.registry.records import iso
from uei.registry.service import Registry

__all__ = [
    "admin_action",
    "admin_allow",
    "admin_approve",
    "admin_grant",
    "admin_list",
    "admin_revoke_key",
]

Action = Literal["suspend", "reinstate", "revoke"]
Grant = Literal["defaulters"]
"""Services granted by an operator: ``defaulters``, the non-payer API."""
GrantChange = Literal["grant", "revoke"]


_READ = {CALLER: Caller.OPERATOR}
_WRITE = {CALLER: Caller.OPERATOR, ONCE: True}
"""Every route here is an operator's; the app's guard verifies it and leaves the ``Actor`` on
``request.state.caller``."""


def _operator(request: Request[Any, Any, Any]) -> Actor:
    operator: Actor = request.state.caller
    return operator


class RoleSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A role an operator allows or approves: a type, in one domain or (no domain) any."""

    type: Literal["BAP", "BPP", "BG"]
    domain: str | None = None

    def grant(self) -> RoleGrant:
        return RoleGrant(ParticipantType(self.type), self.domain)


class RequestIdBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    request_id: str | None = None
    """Any unique text, so two commands in one second never share a signature."""
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    """Why: recorded in the change log with the operator's id (the dashboard requires one)."""


class AllowBody(RequestIdBody, forbid_unknown_fields=True, kw_only=True):
    """The roles the allowlist entry allows, e.g. ``[{"type": "BPP", "domain":
    "ev-charging:uei"}]`` (no domain: any open domain)."""

    roles: Annotated[list[RoleSpec], msgspec.Meta(min_length=1, max_length=16)]


class ApproveBody(RequestIdBody, forbid_unknown_fields=True, kw_only=True):
    role: RoleSpec | None = None
    """The pending role to approve; a role of ``approve_types`` (e.g. BG) only this way."""


_SUBSCRIBER_ID = Parameter(
    pattern=f"^{SUBSCRIBER_ID}$", description="a host name: letters, digits, '.', '-', '_'"
)


class SubscriberSummary(msgspec.Struct):
    subscriber_id: str
    subscriber_url: str
    status: str
    roles: list[str]
    """granted roles, TYPE:domain:country:city"""
    pending_roles: list[str]
    """roles waiting for an operator's approve"""
    allowed: list[str]
    """the allowlist entry: TYPE:domain (* for any)"""
    grants: list[str]
    """services an operator granted, e.g. defaulters"""
    keys: dict[str, str]
    """unique_key_id -> PENDING / VALID / REVOKED"""
    challenge_passed: bool
    created: str
    updated: str


class StatusAnswer(msgspec.Struct):
    subscriber_id: str
    status: str


@get("/admin/subscribers", tags=["admin"], summary="List and filter subscribers", opt=_READ)
async def admin_list(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    status: FromQuery[Status | None] = None,
    type: FromQuery[str | None] = None,
    domain: FromQuery[str | None] = None,
) -> list[SubscriberSummary]:
    """Every subscriber whatever its status (filter by ``status``, ``type``, ``domain``).
    Signed by an operator key named in ``UEI_OPERATORS``."""
    out = []
    for sub in sorted(registry.view.subscribers(), key=lambda s: s.subscriber_id):
        if status is not None and sub.status is not status:
            continue
        if type is not None and all(r.type.value != type for r in sub.roles):
            continue
        if domain is not None and all(r.domain != domain for r in sub.roles):
            continue
        out.append(
            SubscriberSummary(
                subscriber_id=sub.subscriber_id,
                subscriber_url=sub.subscriber_url,
                status=sub.status.value,
                roles=[r.label() for r in sub.roles],
                pending_roles=[r.label() for r in sub.pending_roles],
                allowed=[g.label() for g in sub.allowed],
                grants=list(sub.grants),
                keys={k.unique_key_id: k.state.value for k in sub.keys},
                challenge_passed=sub.challenge_passed,
                created=iso(sub.created),
                updated=iso(sub.updated),
            )
        )
    return out


@post(
    "/admin/subscribers/{subscriber_id:str}/allow",
    status_code=200,
    tags=["admin"],
    opt=_WRITE,
    summary="Put a subscriber_id on the allowlist",
)
async def admin_allow(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    subscriber_id: Annotated[str, _SUBSCRIBER_ID],
    data: JSONBody[AllowBody],
) -> StatusAnswer:
    """With ``onboarding: allowlist``, only allowed subscriber ids may subscribe, and only in
    the roles their entry names. Allowing an existing subscriber names more roles."""
    operator = _operator(request)
    grants = [role.grant() for role in data.roles]
    sub = await registry.allow(subscriber_id, grants, operator, reason=data.reason)
    return StatusAnswer(sub.subscriber_id, sub.status.value)


@post(
    "/admin/subscribers/{subscriber_id:str}/approve",
    status_code=200,
    tags=["admin"],
    opt=_WRITE,
    summary="Approve a subscriber and its pending roles",
)
async def admin_approve(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    subscriber_id: FromPath[str],
    data: JSONBody[ApproveBody | None] = None,
) -> StatusAnswer:
    """Grant what waits: the subscriber (``require_approval``) and its pending roles; a role
    of ``approve_types`` (a gateway) only when ``role`` names it. Recorded in the change log
    with the operator's id."""
    operator = _operator(request)
    role = data.role.grant() if data is not None and data.role is not None else None
    reason = data.reason if data is not None else None
    sub = await registry.operator_action(subscriber_id, "approve", operator, role, reason=reason)
    return StatusAnswer(sub.subscriber_id, sub.status.value)


@post(
    "/admin/subscribers/{subscriber_id:str}/{action:str}",
    status_code=200,
    tags=["admin"],
    opt=_WRITE,
    summary="suspend, reinstate or revoke a subscriber",
)
async def admin_action(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    subscriber_id: FromPath[str],
    action: FromPath[Action],
    data: JSONBody[RequestIdBody | None] = None,
) -> StatusAnswer:
    """A lifecycle transition, recorded in the change log with the operator's id. Impossible
    transitions are refused (409) naming the current state."""
    operator = _operator(request)
    reason = data.reason if data is not None else None
    sub = await registry.operator_action(subscriber_id, action, operator, reason=reason)
    return StatusAnswer(sub.subscriber_id, sub.status.value)


@post(
    "/admin/subscribers/{subscriber_id:str}/keys/{unique_key_id:str}/revoke",
    status_code=200,
    tags=["admin"],
    opt=_WRITE,
    summary="Revoke one key",
)
async def admin_revoke_key(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    subscriber_id: FromPath[str],
    unique_key_id: FromPath[str],
) -> StatusAnswer:
    """The key disappears from every lookup at once (every replica within one second)."""
    operator = _operator(request)
    sub = await registry.revoke_key(subscriber_id, unique_key_id, operator)
    return StatusAnswer(sub.subscriber_id, sub.status.value)


@post(
    "/admin/subscribers/{subscriber_id:str}/grants/{service:str}/{change:str}",
    status_code=200,
    tags=["admin"],
    opt=_WRITE,
    summary="Grant a service to a subscriber, or revoke the grant",
)
async def admin_grant(
    request: Request[Any, Any, Any],
    registry: NamedDependency[Registry],
    subscriber_id: FromPath[str],
    service: FromPath[Grant],
    change: FromPath[GrantChange],
    data: JSONBody[RequestIdBody | None] = None,
) -> StatusAnswer:
    """``grant`` or ``revoke`` ``defaulters`` (the non-payer API, with ``defaulters.access:
    granted``): recorded in the change log with the operator's id; every replica follows it
    within a second."""
    operator = _operator(request)
    reason = data.reason if data is not None else None
    sub = await registry.change_grant(
        subscriber_id, service, operator, granted=change == "grant", reason=reason
    )
    return StatusAnswer(sub.subscriber_id, sub.status.value)
