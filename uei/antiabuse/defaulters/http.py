"""The non-payer protection API: every route signed by a CPO the policy admits.

Handlers decode, turn identifiers into tokens (the raw values go no further), call the
service and encode. Every route declares ``Caller.CPO``: the app's guard verifies, before the
body is decoded, that a CPO the policy admits signed it (granted BPPs only, or any subscribed
BPP) and leaves its id on ``request.state.caller``. Each handler is handed ``abuse``, an
``AbuseApi`` (the service and the network secret), by the app's dependencies
(``uei/app/dependencies.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, Response, Router, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.types import ASGIApp

from uei.access import CALLER, IN_STORE, ONCE, Caller
from uei.antiabuse.defaulters.bodies import (
    ActionBody,
    CaseAnswer,
    DisputeBody,
    ObservationBody,
    ReportBody,
    ResolveBody,
    StatusAnswer,
    StatusBody,
    check_presented,
    check_target,
    paise,
    tokens_of,
)
from uei.antiabuse.defaulters.ledger import Action, Case, standing
from uei.antiabuse.defaulters.metrics import STATUS_VERDICTS
from uei.antiabuse.defaulters.service import Defaulters
from uei.antiabuse.times import timestamp
from uei.beckn import Envelope, ack_body
from uei.errors import InvalidRequest
from uei.prebuilt import json_answer
from uei.tally import TALLY

__all__ = ["ROUTER", "AbuseApi"]

_encode = msgspec.json.Encoder().encode
_CPO = {CALLER: Caller.CPO, ONCE: True}
_STATUS = {CALLER: Caller.CPO, ONCE: IN_STORE}
"""A status query marks its signature in the store step that takes its query quota."""


@dataclass(frozen=True, slots=True)
class AbuseApi:
    defaulters: Defaulters
    secret: bytes


def _caller(request: Request[Any, Any, Any]) -> str:
    caller: str = request.state.caller
    return caller


def _case_answer(abuse: AbuseApi, case: Case) -> CaseAnswer:
    policy = abuse.defaulters.policy()
    return CaseAnswer(
        case.case_id, case.status.value, standing(case, abuse.defaulters.clock(), policy)
    )


@post(
    "/defaulters/report",
    tags=["defaulters"],
    summary="Report an unpaid session",
    status_code=201,
    responses={
        200: ResponseSpec(CaseAnswer, description="a retry of a report: the case stored before"),
        201: ResponseSpec(CaseAnswer, description="the case, created"),
    },
    opt=_CPO,
)
async def report(
    request: Request[Any, Any, Any], abuse: NamedDependency[AbuseApi], data: JSONBody[ReportBody]
) -> Response[CaseAnswer]:
    """Signed by the creditor CPO. Idempotent on (CPO, ``session_ref``): a retry answers the
    same case (200) instead of creating one (201); the same ref with other details is a 409.
    The case counts once the policy's notice period has passed since ``occurred_at``. While
    the store does not answer: 503 with ``Retry-After`` (a retry is safe)."""
    creditor = _caller(request)
    tokens = tokens_of(abuse.secret, data.identifiers, creditor)
    case, created = await abuse.defaulters.report(
        creditor,
        data.session_ref,
        paise(data.amount),
        data.amount.currency,
        timestamp(data.occurred_at, "occurred_at"),
        tokens,
    )
    return Response(_case_answer(abuse, case), status_code=201 if created else 200)


@post(
    "/observations",
    status_code=200,
    tags=["defaulters"],
    summary="Link identifiers",
    responses={200: ResponseSpec(Envelope, description="a Beckn ACK: the links are recorded")},
    opt=_CPO,
)
async def observations(
    request: Request[Any, Any, Any],
    abuse: NamedDependency[AbuseApi],
    data: JSONBody[ObservationBody],
) -> Response[bytes]:
    """Signed by a CPO: these identifiers were seen together (at registration, at a session).
    Evidence about a person flows along such links. Answers a Beckn ACK."""
    reporter = _caller(request)
    tokens = tokens_of(abuse.secret, data.identifiers, reporter)
    if len(tokens) < 2:
        raise InvalidRequest(
            "an observation links two or more different identifiers", "identifiers"
        )
    await abuse.defaulters.observe(
        reporter, tokens, timestamp(data.observed_at, "observed_at"), data.context
    )
    return Response(ack_body(), media_type="application/json")


@post(
    "/status",
    status_code=200,
    tags=["defaulters"],
    summary="Ask for a user's status",
    responses={200: ResponseSpec(StatusAnswer, description="Request fulfilled, document follows")},
    opt=_STATUS,
)
async def status(request: Request[Any, Any, Any], data: JSONBody[StatusBody]) -> ASGIApp:
    """Signed by a CPO, before a post-paid session: the identifiers the user presents now (at
    most 8, at most 2 of one kind) -> ``allow``, ``prepaid_only`` or ``block``, a score in
    [0, 1] and the reasons (which kinds matched, directly or over links, how strongly; the
    outstanding amount band, case count and age; the creditors when the policy discloses
    them). Never another CPO's customer identifiers. Each CPO's quota counts identifiers
    (429 with ``Retry-After``); every query is audited. ``path`` says how the answer was
    reached: ``store``, or the policy's ``on_store_error`` when the store did not answer."""
    abuse: AbuseApi = request.app.state.abuse  # a hot path: no dependency to resolve
    asker = _caller(request)
    check_presented(data.identifiers)
    tokens = tokens_of(abuse.secret, data.identifiers, asker)
    answer = await abuse.defaulters.status(
        asker,
        tokens,
        data.purpose,
        len(data.identifiers),
        replay=request.state.replay,  # marked in the query quota's store step (IN_STORE)
    )
    d = answer.decision
    shadow = "true" if answer.shadow else "false"
    TALLY.count(STATUS_VERDICTS, (d.verdict.value, shadow, answer.path.value))
    return json_answer(
        200,
        _encode(
            StatusAnswer(
                verdict=answer.enforced.value,
                score=d.score,
                reasons=d.reasons,
                case_count=d.case_count,
                disputed_cases=d.disputed_cases,
                phone_only=d.phone_only,
                path=answer.path.value,
                outstanding_band=d.outstanding_band,
                oldest_case_days=d.oldest_case_days,
                settle_with=d.settle_with,
                shadow_verdict=d.verdict.value if answer.shadow else None,
            )
        ),
    )  # a hot path: its bytes go out as they are (uei/prebuilt.py)


async def _act(
    abuse: NamedDependency[AbuseApi],
    request: Request[Any, Any, Any],
    case_id: str,
    body: ActionBody | ResolveBody,
    action: Action,
) -> CaseAnswer:
    check_target(case_id, body)
    actor = _caller(request)
    return _case_answer(abuse, await abuse.defaulters.act(actor, case_id, action, body.request_id))


@post(
    "/defaulters/{case_id:str}/settle",
    status_code=200,
    tags=["defaulters"],
    summary="Mark a debt paid",
    opt=_CPO,
)
async def settle(
    request: Request[Any, Any, Any],
    abuse: NamedDependency[AbuseApi],
    case_id: FromPath[str],
    data: JSONBody[ActionBody],
) -> CaseAnswer:
    """Signed by the creditor: the user paid. The case stops counting at once. The body
    names the case (``case_id``, as in the path) and carries a unique ``request_id``."""
    return await _act(abuse, request, case_id, data, Action.SETTLE)


@post(
    "/defaulters/{case_id:str}/withdraw",
    status_code=200,
    tags=["defaulters"],
    summary="Withdraw a report",
    opt=_CPO,
)
async def withdraw(
    request: Request[Any, Any, Any],
    abuse: NamedDependency[AbuseApi],
    case_id: FromPath[str],
    data: JSONBody[ActionBody],
) -> CaseAnswer:
    """Signed by the creditor: the report was a mistake. The case stops counting at once.
    The body names the case (``case_id``) and carries a unique ``request_id``."""
    return await _act(abuse, request, case_id, data, Action.WITHDRAW)


@post(
    "/defaulters/{case_id:str}/dispute",
    status_code=200,
    tags=["defaulters"],
    summary="Dispute a case",
    opt=_CPO,
)
async def dispute(
    request: Request[Any, Any, Any],
    abuse: NamedDependency[AbuseApi],
    case_id: FromPath[str],
    data: JSONBody[DisputeBody],
) -> CaseAnswer:
    """Signed by any CPO, for the user in front of it: ``identifiers`` that user presents now
    (one must be named in the case, else 403). The case then supports at most the policy's
    dispute cap until the creditor resolves it, and stops counting if it never does. Each
    CPO's disputes are rate limited (``dispute.quota``: 429) and audited."""
    check_target(case_id, data)
    actor = _caller(request)
    check_presented(data.identifiers)
    tokens = tokens_of(abuse.secret, data.identifiers, actor)
    case = await abuse.defaulters.dispute(actor, case_id, tokens, data.request_id)
    return _case_answer(abuse, case)


@post(
    "/defaulters/{case_id:str}/resolve",
    status_code=200,
    tags=["defaulters"],
    summary="Resolve a dispute",
    opt=_CPO,
)
async def resolve(
    request: Request[Any, Any, Any],
    abuse: NamedDependency[AbuseApi],
    case_id: FromPath[str],
    data: JSONBody[ResolveBody],
) -> CaseAnswer:
    """Signed by the creditor: ``confirmed`` (the debt stands) or ``cancelled`` (void)."""
    action = Action.CONFIRM if data.outcome == "confirmed" else Action.CANCEL
    return await _act(abuse, request, case_id, data, action)


ROUTER = Router(
    "/abuse",
    route_handlers=[report, observations, status, settle, withdraw, dispute, resolve],
)
