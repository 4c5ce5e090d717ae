"""The operator API: allowlist, approve, suspend, reinstate, revoke, list subscribers."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from nacl.signing import VerifyKey

from registry.http.auth import authenticate, registry_of
from registry.identity import operator_key
from registry.model import Status
from registry.records import iso
from trust import SignatureParams

__all__ = ["admin_action", "admin_allow", "admin_list", "admin_revoke_key"]

Action = Literal["approve", "suspend", "reinstate", "revoke"]


async def _operator(request: Request[Any, Any, Any], *, once: bool) -> SignatureParams:
    operators = request.app.state.operators

    async def resolve(operator_id: str, kid: str) -> VerifyKey:
        return operator_key(operators, operator_id, kid)

    return await authenticate(request, resolve, once=once)


class SubscriberSummary(msgspec.Struct):
    subscriber_id: str
    subscriber_url: str
    status: str
    roles: list[str]
    keys: dict[str, str]
    """unique_key_id -> PENDING / VALID / REVOKED"""
    challenge_passed: bool
    created: str
    updated: str


class StatusAnswer(msgspec.Struct):
    subscriber_id: str
    status: str


@get("/admin/subscribers", tags=["admin"], summary="List and filter subscribers")
async def admin_list(
    request: Request[Any, Any, Any],
    status: FromQuery[Status | None] = None,
    type: FromQuery[str | None] = None,
    domain: FromQuery[str | None] = None,
) -> list[SubscriberSummary]:
    """Every subscriber whatever its status (filter by ``status``, ``type``, ``domain``).
    Signed by an operator key named in ``UEI_OPERATORS``."""
    await _operator(request, once=False)
    out = []
    for sub in sorted(registry_of(request).view.subscribers(), key=lambda s: s.subscriber_id):
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
                roles=[f"{r.type.value}:{r.domain}:{r.country}:{r.city}" for r in sub.roles],
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
    summary="Put a subscriber_id on the allowlist",
)
async def admin_allow(
    request: Request[Any, Any, Any], subscriber_id: FromPath[str]
) -> StatusAnswer:
    """With ``onboarding: allowlist``, only allowed subscriber ids may subscribe."""
    operator = await _operator(request, once=True)
    sub = await registry_of(request).allow(subscriber_id, f"operator:{operator.subscriber_id}")
    return StatusAnswer(sub.subscriber_id, sub.status.value)


@post(
    "/admin/subscribers/{subscriber_id:str}/{action:str}",
    status_code=200,
    tags=["admin"],
    summary="approve, suspend, reinstate or revoke a subscriber",
)
async def admin_action(
    request: Request[Any, Any, Any], subscriber_id: FromPath[str], action: FromPath[Action]
) -> StatusAnswer:
    """A lifecycle transition, recorded in the change log with the operator's id. Impossible
    transitions are refused (409) naming the current state."""
    operator = await _operator(request, once=True)
    sub = await registry_of(request).operator_action(
        subscriber_id, action, f"operator:{operator.subscriber_id}"
    )
    return StatusAnswer(sub.subscriber_id, sub.status.value)


@post(
    "/admin/subscribers/{subscriber_id:str}/keys/{unique_key_id:str}/revoke",
    status_code=200,
    tags=["admin"],
    summary="Revoke one key",
)
async def admin_revoke_key(
    request: Request[Any, Any, Any], subscriber_id: FromPath[str], unique_key_id: FromPath[str]
) -> StatusAnswer:
    """The key disappears from every lookup at once (every replica within one second)."""
    operator = await _operator(request, once=True)
    sub = await registry_of(request).revoke_key(
        subscriber_id, unique_key_id, f"operator:{operator.subscriber_id}"
    )
    return StatusAnswer(sub.subscriber_id, sub.status.value)
