"""The non-payer protection API: every route signed by a SUBSCRIBED BPP (a CPO).

Handlers decode, turn identifiers into tokens (the raw values go no further), call the
service and encode. The composition root hands in, on ``app.state.abuse``, an ``AbuseApi``:
the service, the network secret, and how to authenticate a CPO (the registry's resolver).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, cast

import msgspec
from litestar import Request, Response, Router, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody

from antiabuse.errors import InvalidIdentifier, InvalidRequest
from antiabuse.identity import IdentifierError, Kind, token
from antiabuse.ledger import Action, Case, Standing, standing
from antiabuse.service import Context, Defaulters, Purpose
from antiabuse.times import timestamp
from antiabuse.verdict import Reason, SettleWith
from trust import ack_body

__all__ = ["ROUTER", "AbuseApi", "Authenticate"]

Authenticate = Callable[[Request[Any, Any, Any]], Awaitable[str]]
"""Verify the request's Beckn signature (refusing replays); return the SUBSCRIBED BPP that
signed it, or raise ``trust.SignatureError``."""

_MAX_IDENTIFIERS = 16


@dataclass(frozen=True, slots=True)
class AbuseApi:
    defaulters: Defaulters
    secret: bytes
    authenticate: Authenticate


def _api(request: Request[Any, Any, Any]) -> AbuseApi:
    api: AbuseApi = request.app.state.abuse
    return api


async def _signed_by_bpp(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Before the body is decoded: who signed it (a guard runs before the handler's
    parameters, so an unsigned or wrongly signed request learns nothing about the body)."""
    request = cast("Request[Any, Any, Any]", connection)
    request.state.caller = await _api(request).authenticate(request)


def _caller(request: Request[Any, Any, Any]) -> str:
    caller: str = request.state.caller
    return caller


class Identifier(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: str
    """phone, upi_vpa, vin, chassis, battery_id, rfid, ocpp_id_tag or device."""
    value: str
    scope: str | None = None
    """For ``device``: the app (BAP subscriber id) the device id belongs to; default: the
    caller."""


_Identifiers = Annotated[list[Identifier], msgspec.Meta(min_length=1, max_length=_MAX_IDENTIFIERS)]


class Amount(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    value: str
    """Rupees as a decimal string, e.g. ``"420.00"``."""
    currency: str


class ReportBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    session_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    """The CPO's own reference for the unpaid session; a retry with it returns the same case."""
    amount: Amount
    occurred_at: datetime
    """When the session ended unpaid (the debt was due); the notice period runs from here."""
    identifiers: _Identifiers


class ObservationBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    observed_at: datetime
    context: Context
    identifiers: Annotated[
        list[Identifier], msgspec.Meta(min_length=2, max_length=_MAX_IDENTIFIERS)
    ]


class StatusBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    purpose: Purpose
    identifiers: _Identifiers


class ResolveBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    outcome: Annotated[str, msgspec.Meta(pattern="^(confirmed|cancelled)$")]
    """``confirmed``: the debt stands (the case counts again, and cannot be disputed again);
    ``cancelled``: it was not owed (the case is void)."""


class CaseAnswer(msgspec.Struct, frozen=True):
    case_id: str
    status: str
    standing: Standing
    """counts, in_notice (the notice period has not passed), expired or closed."""


class StatusAnswer(msgspec.Struct, frozen=True, omit_defaults=True):
    verdict: str
    """What to do now: allow, prepaid_only or block (``allow`` in shadow mode)."""
    score: float
    reasons: list[Reason]
    case_count: int
    disputed_cases: int
    phone_only: bool
    outstanding_band: str | None = None
    oldest_case_days: int | None = None
    settle_with: list[SettleWith] | None = None
    shadow_verdict: str | None = None
    """In shadow mode: the verdict that would have been enforced."""


def tokens_of(secret: bytes, identifiers: Sequence[Identifier], caller: str) -> list[str]:
    """Every identifier as a token, or ``InvalidIdentifier`` naming the first that fails."""
    found: list[str] = []
    for i, ident in enumerate(identifiers):
        try:
            kind = Kind(ident.kind)
        except ValueError:
            raise InvalidIdentifier(
                f"identifiers[{i}]: unknown kind {ident.kind[:32]!r}; one of "
                + ", ".join(k.value for k in Kind),
                f"identifiers[{i}].kind",
            ) from None
        try:
            found.append(str(token(secret, kind, ident.value, ident.scope or caller)))
        except IdentifierError as exc:
            raise InvalidIdentifier(
                f"identifiers[{i}] ({exc.kind}): {exc.reason}", f"identifiers[{i}].value"
            ) from None
    return list(dict.fromkeys(found))


def _paise(amount: Amount) -> int:
    if amount.currency != "INR":
        raise InvalidRequest("only INR debts are recorded", "amount.currency")
    try:
        value = Decimal(amount.value)
    except InvalidOperation:
        raise InvalidRequest("not a decimal amount, e.g. 420.00", "amount.value") from None
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidRequest("a positive amount with at most two decimals", "amount.value")
    if value > 10_000_000:
        raise InvalidRequest("larger than any charging session", "amount.value")
    return int(value * 100)


def _case_answer(api: AbuseApi, case: Case) -> CaseAnswer:
    policy = api.defaulters.policy()
    return CaseAnswer(
        case.case_id, case.status.value, standing(case, api.defaulters.clock(), policy)
    )


@post(
    "/defaulters/report",
    tags=["defaulters"],
    summary="Report an unpaid session",
)
async def report(
    request: Request[Any, Any, Any], data: JSONBody[ReportBody]
) -> Response[CaseAnswer]:
    """Signed by the creditor CPO. Idempotent on (CPO, ``session_ref``): a retry answers the
    same case (200) instead of creating one (201); the same ref with other details is a 409.
    The case counts once the policy's notice period has passed since ``occurred_at``."""
    api = _api(request)
    creditor = _caller(request)
    tokens = tokens_of(api.secret, data.identifiers, creditor)
    case, created = await api.defaulters.report(
        creditor,
        data.session_ref,
        _paise(data.amount),
        data.amount.currency,
        timestamp(data.occurred_at, "occurred_at"),
        tokens,
    )
    return Response(_case_answer(api, case), status_code=201 if created else 200)


@post("/observations", status_code=200, tags=["defaulters"], summary="Link identifiers")
async def observations(
    request: Request[Any, Any, Any], data: JSONBody[ObservationBody]
) -> Response[bytes]:
    """Signed by a CPO: these identifiers were seen together (at registration, at a session).
    Evidence about a person flows along such links. Answers a Beckn ACK."""
    api = _api(request)
    reporter = _caller(request)
    tokens = tokens_of(api.secret, data.identifiers, reporter)
    if len(tokens) < 2:
        raise InvalidRequest(
            "an observation links two or more different identifiers", "identifiers"
        )
    await api.defaulters.observe(
        reporter, tokens, timestamp(data.observed_at, "observed_at"), data.context
    )
    return Response(ack_body(), media_type="application/json")


@post("/status", status_code=200, tags=["defaulters"], summary="Ask for a user's status")
async def status(request: Request[Any, Any, Any], data: JSONBody[StatusBody]) -> StatusAnswer:
    """Signed by a CPO, before a post-paid session: the identifiers the user presents now ->
    ``allow``, ``prepaid_only`` or ``block``, a score in [0, 1] and the reasons (which kinds
    matched, directly or over links, how strongly; the outstanding amount band, case count
    and age; the creditors when the policy discloses them). Never another CPO's customer
    identifiers. Each CPO's queries are rate limited (429 with ``Retry-After``) and audited."""
    api = _api(request)
    asker = _caller(request)
    tokens = tokens_of(api.secret, data.identifiers, asker)
    answer = await api.defaulters.status(asker, tokens, data.purpose)
    d = answer.decision
    return StatusAnswer(
        verdict=answer.enforced.value,
        score=d.score,
        reasons=d.reasons,
        case_count=d.case_count,
        disputed_cases=d.disputed_cases,
        phone_only=d.phone_only,
        outstanding_band=d.outstanding_band,
        oldest_case_days=d.oldest_case_days,
        settle_with=d.settle_with,
        shadow_verdict=d.verdict.value if answer.shadow else None,
    )


async def _act(request: Request[Any, Any, Any], case_id: str, action: Action) -> CaseAnswer:
    api = _api(request)
    actor = _caller(request)
    return _case_answer(api, await api.defaulters.act(actor, case_id, action))


@post(
    "/defaulters/{case_id:str}/settle",
    status_code=200,
    tags=["defaulters"],
    summary="Mark a debt paid",
)
async def settle(request: Request[Any, Any, Any], case_id: FromPath[str]) -> CaseAnswer:
    """Signed by the creditor: the user paid. The case stops counting at once."""
    return await _act(request, case_id, Action.SETTLE)


@post(
    "/defaulters/{case_id:str}/withdraw",
    status_code=200,
    tags=["defaulters"],
    summary="Withdraw a report",
)
async def withdraw(request: Request[Any, Any, Any], case_id: FromPath[str]) -> CaseAnswer:
    """Signed by the creditor: the report was a mistake. The case stops counting at once."""
    return await _act(request, case_id, Action.WITHDRAW)


@post(
    "/defaulters/{case_id:str}/dispute",
    status_code=200,
    tags=["defaulters"],
    summary="Dispute a case",
)
async def dispute(request: Request[Any, Any, Any], case_id: FromPath[str]) -> CaseAnswer:
    """Signed by any CPO, on the user's behalf: the case supports at most the policy's
    dispute cap until the creditor resolves it, and stops counting if it never does."""
    return await _act(request, case_id, Action.DISPUTE)


@post(
    "/defaulters/{case_id:str}/resolve",
    status_code=200,
    tags=["defaulters"],
    summary="Resolve a dispute",
)
async def resolve(
    request: Request[Any, Any, Any], case_id: FromPath[str], data: JSONBody[ResolveBody]
) -> CaseAnswer:
    """Signed by the creditor: ``confirmed`` (the debt stands) or ``cancelled`` (void)."""
    action = Action.CONFIRM if data.outcome == "confirmed" else Action.CANCEL
    return await _act(request, case_id, action)


ROUTER = Router(
    "/abuse",
    route_handlers=[report, observations, status, settle, withdraw, dispute, resolve],
    guards=[_signed_by_bpp],
)
