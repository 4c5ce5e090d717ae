"""The scraping-protection API: quota checks and events from the search path, and verdicts
for operators and BAPs.

Handlers decode, call the core, encode. The composition root hands in, on
``app.state.scraping``, a ``ScrapingApi``: the services, the network secret (for user
references) and how to authenticate callers and know a BAP (the registry's, handed in: this
package never imports the registry).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, NamedTuple, cast

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody

from antiabuse.errors import Forbidden, InvalidRequest, NotFound
from antiabuse.identity import user_token
from antiabuse.scraping.events import Event, Funnel, FunnelKind, Search
from antiabuse.scraping.policy import QuotaAction, ResolvedRule
from antiabuse.scraping.quotas import CheckResult, Quotas, retry_key
from antiabuse.scraping.verdicts import BapVerdict
from antiabuse.stores import ScrapingStore
from antiabuse.times import MAX_EVENT_AGE_SECONDS, checked, timestamp
from trust import ABNORMAL_USAGE, QUOTA_EXCEEDED, ErrorCode, problem

__all__ = ["ROUTER", "Reader", "ScrapingApi"]

MAX_EVENTS = 1000
"""Events per ``POST /abuse/events`` batch."""

_SubscriberId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$")]
_MessageId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
_UserRef = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class Reader(NamedTuple):
    subscriber_id: str
    operator: bool


@dataclass(frozen=True, slots=True)
class ScrapingApi:
    quotas: Quotas
    store: ScrapingStore
    secret: bytes
    authenticate_relay: Callable[[Request[Any, Any, Any]], Awaitable[str]]
    """The SUBSCRIBED BG or BPP that signed the request (replays refused), or a 401."""
    authenticate_reader: Callable[[Request[Any, Any, Any]], Awaitable[Reader]]
    """An operator or a SUBSCRIBED participant that signed the request, or a 401."""
    is_bap: Callable[[str], bool]
    """Whether a subscriber id is a SUBSCRIBED BAP."""


def _api(request: Request[Any, Any, Any]) -> ScrapingApi:
    api: ScrapingApi = request.app.state.scraping
    return api


async def _signed_by_relay(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Before the body is decoded: a BG or BPP on the search path signed it."""
    request = cast("Request[Any, Any, Any]", connection)
    request.state.caller = await _api(request).authenticate_relay(request)


class SearchQuery(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    gps: str
    """``"lat,lon"`` in degrees, as in Beckn's ``location.gps``."""
    radius_km: Annotated[float, msgspec.Meta(gt=0, le=500)]


class CheckBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    bap_id: _SubscriberId
    """The BAP whose request is being relayed; the caller verified its signature."""
    action: QuotaAction
    message_id: _MessageId
    """The Beckn message id of the request checked: checking it again costs nothing."""
    search: SearchQuery | None = None
    """Required for ``search``: where and how wide (wider searches cost more)."""
    user_ref: _UserRef | None = None
    """The BAP's own (pseudonymous) reference for its user, if the BAP passes one."""


class CheckAnswer(msgspec.Struct, frozen=True, omit_defaults=True):
    decision: Literal["allow", "deny"]
    limit: int
    """Units per window of the rule as applied (a throttled BAP's is smaller)."""
    remaining: int
    reset: int
    """Seconds until the BAP's quota is full again."""
    verdict: str
    """The strongest scraping action applied to the BAP: none, flag, coarsen, throttle or
    block."""
    reasons: list[str]
    path: str
    """How it was decided: store, local (store unreachable: this replica's share of the
    rule), allow-on-error or deny-on-error."""
    rule: str
    cost: int
    coarsen: bool
    """Blur availability in the answer to this BAP (e.g. free/busy -> 'some available')."""
    duplicate: bool
    shadow_decision: str | None = None
    """In shadow mode: the decision that would have been enforced."""
    shadow_verdict: str | None = None


class WireEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    type: Literal["search", "select", "init", "confirm", "cancel"]
    bap_id: _SubscriberId
    message_id: _MessageId
    at: datetime
    """When it happened (features are computed on event time)."""
    search: SearchQuery | None = None
    """For ``search`` events."""
    bpp_id: _SubscriberId | None = None
    """For select, init, confirm and cancel: the CPO."""
    location_id: Annotated[str, msgspec.Meta(min_length=1, max_length=256)] | None = None
    via: _SubscriberId | None = None
    """For searches: who relayed it (default: the caller)."""
    user_ref: _UserRef | None = None


class EventsBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    events: Annotated[list[WireEvent], msgspec.Meta(min_length=1, max_length=MAX_EVENTS)]


class EventsAnswer(msgspec.Struct, frozen=True):
    received: int
    recorded: int
    """Events not seen before (an event is recorded once per BAP, type and message id)."""


class BapReport(msgspec.Struct, frozen=True, omit_defaults=True):
    bap_id: str
    verdict: BapVerdict | None
    """The latest scoring pass's verdict (none before the BAP's first scored window)."""
    history: list[BapVerdict]
    """Earlier verdicts, newest first."""
    quotas: dict[str, str]
    """action -> the rule that applies now, as ``<limit> per <window> s (<rule name>)``."""


def _point(query: SearchQuery, path: str) -> tuple[float, float]:
    lat_text, sep, lon_text = query.gps.partition(",")
    try:
        if not sep:
            raise ValueError
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise InvalidRequest("gps must be 'lat,lon' in degrees", f"{path}.gps") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidRequest("gps is outside -90..90, -180..180", f"{path}.gps")
    return lat, lon


def _user(api: ScrapingApi, bap: str, ref: str | None) -> str:
    return user_token(api.secret, bap, ref) if ref is not None else ""


def _structured(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _headers(result: CheckResult) -> dict[str, str]:
    """IETF httpapi ratelimit-headers: the rule as applied, and where the BAP stands."""
    name = _structured(result.rule)
    headers = {
        "RateLimit-Policy": f"{name};q={result.limit};w={math.ceil(result.window_seconds)}",
        "RateLimit": f"{name};r={result.remaining};t={math.ceil(result.reset_seconds)}",
    }
    if not result.allowed:
        headers["Retry-After"] = str(max(1, math.ceil(result.retry_after)))
    return headers


@post(
    "/quota/check",
    status_code=200,
    tags=["scraping"],
    summary="May this BAP take this action now?",
    guards=[_signed_by_relay],
)
async def quota_check(
    request: Request[Any, Any, Any], data: JSONBody[CheckBody]
) -> Response[bytes]:
    """Signed by the BG or BPP relaying a BAP's request, before serving it. Takes quota from
    the BAP's rule for the action (its override, its tier's, or the default tier's; a wider
    search costs more) on the store's clock, shared by every replica, and applies the BAP's
    latest scraping verdict. Records the search for scoring. The same ``message_id`` checked
    again answers as before and costs nothing.

    ``200`` with ``decision: allow``, or ``429`` with ``decision: deny`` in a problem body
    (type ``quota-exceeded``, or ``abnormal-usage-detected`` for a blocked BAP) that is also
    a Beckn NACK. Both carry ``RateLimit-Policy`` and ``RateLimit``; a refusal carries
    ``Retry-After``, which the caller may relay to the BAP."""
    api = _api(request)
    if not api.is_bap(data.bap_id):
        raise NotFound(f"{data.bap_id} is not a subscribed BAP", "bap_id")
    search: Search | None = None
    if data.action is QuotaAction.SEARCH:
        if data.search is None:
            raise InvalidRequest("a search check needs the search's gps and radius", "search")
        lat, lon = _point(data.search, "search")
        search = Search(
            at=api.quotas.clock(),
            lat=lat,
            lon=lon,
            radius_km=data.search.radius_km,
            via=request.state.caller,
            user=_user(api, data.bap_id, data.user_ref),
        )
    result = await api.quotas.check(data.bap_id, data.action, data.message_id, search)
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
        message = f"{data.bap_id} is blocked for scraping; " + "; ".join(result.reasons)
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


def _event(api: ScrapingApi, caller: str, i: int, wire: WireEvent) -> Event:
    where = f"events[{i}].at"
    at = checked(
        timestamp(wire.at, where),
        where,
        now=api.quotas.clock(),
        max_age=MAX_EVENT_AGE_SECONDS,
        too_old=f"is more than {MAX_EVENT_AGE_SECONDS / 86_400:g} days old; no scoring "
        "window reaches that far back",
    )
    user = _user(api, wire.bap_id, wire.user_ref)
    if wire.type == "search":
        if wire.search is None:
            raise InvalidRequest("a search event needs its search", f"events[{i}].search")
        lat, lon = _point(wire.search, f"events[{i}].search")
        via = wire.via or caller
        return Search(at, lat, lon, wire.search.radius_km, via, user)
    if wire.bpp_id is None or wire.location_id is None:
        field = "bpp_id" if wire.bpp_id is None else "location_id"
        raise InvalidRequest(f"a {wire.type} event needs {field}", f"events[{i}].{field}")
    return Funnel(at, FunnelKind(wire.type), wire.bpp_id, wire.location_id, user)


@post(
    "/events",
    status_code=200,
    tags=["scraping"],
    summary="Report searches and what followed them",
    guards=[_signed_by_relay],
)
async def events(request: Request[Any, Any, Any], data: JSONBody[EventsBody]) -> EventsAnswer:
    """Signed by a BG or BPP: a batch (at most 1000) of ``search``, ``select``, ``init``,
    ``confirm`` and ``cancel`` events with their own times, e.g. a gateway uploading its log.
    Scoring reads them by event time. Each event counts once per (BAP, type, message id), so
    a batch can be retried, and a search already checked is not counted again. A batch with
    a bad event is refused whole, naming it; nothing of it is recorded."""
    api = _api(request)
    caller: str = request.state.caller
    grouped: dict[str, list[tuple[str, Event]]] = {}
    for i, wire in enumerate(data.events):
        if not api.is_bap(wire.bap_id):
            raise NotFound(f"{wire.bap_id} is not a subscribed BAP", f"events[{i}].bap_id")
        event = _event(api, caller, i, wire)
        # a search is known by the same key as when it was checked, so it counts once
        key = (
            retry_key(QuotaAction.SEARCH, wire.message_id, event)
            if isinstance(event, Search)
            else wire.message_id
        )
        grouped.setdefault(wire.bap_id, []).append((key, event))
    keep = api.quotas.scraping().retention_seconds
    recorded = 0
    for bap, items in grouped.items():
        recorded += await api.store.record(bap, items, keep)
    return EventsAnswer(received=len(data.events), recorded=recorded)


@get(
    "/baps/{bap_id:str}",
    tags=["scraping"],
    summary="A BAP's scraping verdict, features and history",
)
async def bap_report(request: Request[Any, Any, Any], bap_id: FromPath[str]) -> BapReport:
    """Signed by an operator, or by that BAP itself (any other caller gets a 403): the latest
    verdict (score, actions applied and in shadow, the features that contributed most against
    the network's typical range, every feature), earlier verdicts, and the quota rules that
    apply to it now."""
    api = _api(request)
    reader = await api.authenticate_reader(request)
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
