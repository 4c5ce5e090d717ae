"""The scraping-protection API: quota checks and events from the search path, and verdicts
for operators and BAPs.

Handlers decode, call the core, encode. The composition root hands in, on
``app.state.scraping``, a ``ScrapingApi``: the services, the network secret (for user
references) and how to check a BAP's own signature and know a BAP (the registry's, handed in:
this package never imports the registry). Each route declares its caller (``Caller.RELAY``,
``Caller.READER``); the app's guard verifies it and leaves a ``Relay`` or a ``Reader`` on
``request.state.caller``. Every relay's call is first metered against its own rule
(``relays.py``), then bound to the BAP it speaks for (``binding.py``: a gateway's word, or the
BAP's signed request a BPP forwards).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody

from uei.access import CALLER, ONCE, Caller
from uei.antiabuse.identity import user_token
from uei.antiabuse.quotas.relays import Metered, RelayMeter
from uei.antiabuse.quotas.rules import QuotaAction, ResolvedRule
from uei.antiabuse.quotas.service import CheckResult, Quotas, retry_key
from uei.antiabuse.scraping.binding import BoundEvent, Relay, bind_check, bind_event
from uei.antiabuse.scraping.events import Event, Search
from uei.antiabuse.scraping.wire import (
    BapReport,
    CheckAnswer,
    CheckBody,
    EventsAnswer,
    EventsBody,
)
from uei.antiabuse.stores import ScrapingStore
from uei.beckn import ABNORMAL_USAGE, QUOTA_EXCEEDED, ErrorCode, problem
from uei.errors import Forbidden, NotFound, QuotaState, RateLimited
from uei.trust import Verifier

__all__ = ["ROUTER", "Reader", "Relay", "ScrapingApi"]


class Reader(NamedTuple):
    subscriber_id: str
    operator: bool


@dataclass(frozen=True, slots=True)
class ScrapingApi:
    quotas: Quotas
    relays: RelayMeter
    store: ScrapingStore
    secret: bytes
    is_bap: Callable[[str], bool]
    """Whether a subscriber id is a SUBSCRIBED BAP."""
    bap_verifier: Callable[[], Verifier]
    """The check of a BAP's own signature on a request a relay forwards: a SUBSCRIBED BAP's
    valid registry key, the registry's time limits, no replay guard."""


def _api(request: Request[Any, Any, Any]) -> ScrapingApi:
    api: ScrapingApi = request.app.state.scraping
    return api


_RELAY = {CALLER: Caller.RELAY, ONCE: True}


async def _within_its_rule(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Before the body is decoded, after the app's guard verified the relay: it is within its
    own rule (one unit a call; a malformed body is metered too)."""
    request = cast("Request[Any, Any, Any]", connection)
    caller: Relay = request.state.caller
    await _metered(_api(request), caller, 1)


def _user(api: ScrapingApi, bap: str, ref: str | None) -> str:
    return user_token(api.secret, bap, ref) if ref is not None else ""


def _structured(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _headers(result: CheckResult | Metered) -> dict[str, str]:
    """IETF httpapi ratelimit-headers: the rule as applied, and where the caller stands."""
    name = _structured(result.rule)
    headers = {
        "RateLimit-Policy": f"{name};q={result.limit};w={math.ceil(result.window_seconds)}",
        "RateLimit": f"{name};r={result.remaining};t={math.ceil(result.reset_seconds)}",
    }
    if not result.allowed:
        headers["Retry-After"] = str(max(1, math.ceil(result.retry_after)))
    return headers


async def _metered(api: ScrapingApi, caller: Relay, cost: int) -> None:
    """Take the caller's own rule first: over it, nothing else of the call happens."""
    metered = await api.relays.take(caller.subscriber_id, gateway=caller.gateway, cost=cost)
    if not metered.allowed:
        # a 429 quota-exceeded problem with the relay's own rule's headers
        quota = QuotaState(
            metered.rule,
            metered.limit,
            metered.window_seconds,
            metered.remaining,
            metered.reset_seconds,
        )
        raise RateLimited(metered.reason, metered.retry_after, quota)


@post(
    "/quota/check",
    status_code=200,
    tags=["scraping"],
    summary="May this BAP take this action now?",
    guards=[_within_its_rule],
    opt=_RELAY,
)
async def quota_check(
    request: Request[Any, Any, Any], data: JSONBody[CheckBody]
) -> Response[bytes]:
    """Signed by the BG or BPP relaying a BAP's request, before serving it. A gateway names
    the BAP, action, message id and search; a BPP forwards the BAP's own signed request
    (``bap_request``: its Authorization header as received and the base64 of the bytes it
    signed), from which they are read: without it a BPP is refused (403), and fields stated
    besides must agree with it (400 naming the field). Each relay's own calls are metered
    first (``quotas.relays``): over its rule, a 429 for the relay, no BAP's quota touched.

    Then takes quota from the BAP's rule for the action (its override, its tier's, or the
    default tier's; a wider search costs more) on the store's clock, shared by every replica,
    and applies the BAP's latest scraping verdict. Records the search for scoring. The same
    check again (``message_id`` and query) answers as before and costs nothing.

    ``200`` with ``decision: allow``, or ``429`` with ``decision: deny`` in a problem body
    (type ``quota-exceeded``, or ``abnormal-usage-detected`` for a blocked BAP) that is also
    a Beckn NACK. Both carry ``RateLimit-Policy`` and ``RateLimit``; a refusal carries
    ``Retry-After``, which the caller may relay to the BAP."""
    api = _api(request)
    caller: Relay = request.state.caller
    bound = await bind_check(data, caller, api.bap_verifier)
    if not api.is_bap(bound.bap_id):
        raise NotFound(f"{bound.bap_id} is not a subscribed BAP", "bap_id")
    search: Search | None = None
    if bound.query is not None:
        search = Search(
            at=api.quotas.clock(),
            lat=bound.query.lat,
            lon=bound.query.lon,
            radius_km=bound.query.radius_km,
            via=caller.subscriber_id,
            user=_user(api, bound.bap_id, bound.user_ref),
        )
    result = await api.quotas.check(
        bound.bap_id,
        bound.action,
        bound.message_id,
        search,
        dedupe_seconds=bound.dedupe_seconds,
    )
    shadow_deny = result.quota_exceeded and result.shadow_rule and not result.blocked
    answer = CheckAnswer(
        decision="allow" if result.allowed else "deny",
        limit=result.limit,
        remaining=result.remaining,
        reset=math.ceil(result.reset_seconds),
        verdict=result.verdict.value if result.verdict else "none",
        reasons=result.reasons,
        path=result.path.value,
        rule=result.rule,
        cost=result.cost,
        coarsen=result.coarsen,
        duplicate=result.duplicate,
        shadow_decision="deny" if shadow_deny else None,
        shadow_verdict=result.shadow_verdict.value if result.shadow_verdict else None,
    )
    headers = _headers(result)
    if result.allowed:
        return Response(msgspec.json.encode(answer), headers=headers, media_type="application/json")
    if result.blocked:
        kind, title, code = ABNORMAL_USAGE, "Abnormal usage detected", ErrorCode.ABNORMAL_USAGE
        message = f"{bound.bap_id} is blocked for scraping; " + "; ".join(result.reasons)
        scoring = api.quotas.scraping().score_every_seconds
        headers["Retry-After"] = str(max(1, math.ceil(scoring or 3600)))
    else:
        kind, title, code = QUOTA_EXCEEDED, "Quota exceeded", ErrorCode.RATE_LIMITED
        message = "; ".join(result.reasons)
    envelope = msgspec.to_builtins(problem(kind, title, 429, code, message))
    body = msgspec.to_builtins(answer) | envelope
    return Response(
        msgspec.json.encode(body),
        status_code=429,
        headers=headers,
        media_type="application/problem+json",
    )


def _keyed(bound: BoundEvent) -> tuple[str, Event]:
    """A search is known by the same key as when it was checked, so it counts once."""
    event = bound.event
    if isinstance(event, Search):
        return retry_key(QuotaAction.SEARCH, bound.message_id, event), event
    return bound.message_id, event


@post(
    "/events",
    status_code=200,
    tags=["scraping"],
    summary="Report searches and what followed them",
    guards=[_within_its_rule],
    opt=_RELAY,
)
async def events(request: Request[Any, Any, Any], data: JSONBody[EventsBody]) -> EventsAnswer:
    """Signed by a BG or BPP: a batch (at most 1000) of ``search``, ``select``, ``init``,
    ``confirm`` and ``cancel`` events, e.g. a gateway uploading its log with each event's
    own time. A BPP's events each carry the BAP's signed request (``bap_request``), which
    gives the event's type, BAP, message id, search, CPO and time (when the BAP signed it);
    without it the batch is refused (403). The relay's own rule is metered first, one unit
    per event. Scoring reads events by event time. Each event counts once per (BAP, type,
    message id), so a batch can be retried, and a search already checked is not counted
    again. A batch with a bad event is refused whole, naming it; nothing of it is recorded."""
    api = _api(request)
    caller: Relay = request.state.caller
    if len(data.events) > 1:  # one unit per event: the guard took the first
        await _metered(api, caller, len(data.events) - 1)
    verifier = api.bap_verifier()
    grouped: dict[str, list[tuple[str, Event]]] = {}
    for i, wire in enumerate(data.events):
        bound = await bind_event(
            wire, i, caller, verifier, lambda b, r: _user(api, b, r), api.quotas.clock()
        )
        if bound is None:
            continue
        if not api.is_bap(bound.bap_id):
            raise NotFound(f"{bound.bap_id} is not a subscribed BAP", f"events[{i}].bap_id")
        grouped.setdefault(bound.bap_id, []).append(_keyed(bound))
    keep = api.quotas.scraping().retention_seconds
    recorded = 0
    for bap, items in grouped.items():
        recorded += await api.store.record(bap, items, keep)
    return EventsAnswer(received=len(data.events), recorded=recorded)


@get(
    "/baps/{bap_id:str}",
    tags=["scraping"],
    summary="A BAP's scraping verdict, features and history",
    opt={CALLER: Caller.READER},
)
async def bap_report(request: Request[Any, Any, Any], bap_id: FromPath[str]) -> BapReport:
    """Signed by an operator, or by that BAP itself (any other caller gets a 403): the latest
    verdict (score, actions applied and in shadow, the features that contributed most against
    the network's typical range, every feature), earlier verdicts, and the quota rules that
    apply to it now."""
    api = _api(request)
    reader: Reader = request.state.caller
    if not reader.operator and reader.subscriber_id != bap_id:
        raise Forbidden("only operators and the BAP itself may read its verdicts", "bap_id")
    history = await api.store.verdict_history(bap_id, api.quotas.scraping().history)
    policy = api.quotas.quotas()

    def described(resolved: ResolvedRule) -> str:
        rule = resolved.rule
        shadow = ", shadow" if rule.shadow else ""
        return f"{rule.limit} per {rule.window_seconds:g} s ({resolved.name}{shadow})"

    return BapReport(
        bap_id=bap_id,
        verdict=history[0] if history else None,
        history=history[1:],
        quotas={a.value: described(policy.rule_for(bap_id, a)) for a in QuotaAction},
    )


ROUTER = Router("/abuse", route_handlers=[quota_check, events, bap_report])
