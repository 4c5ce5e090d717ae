"""The scraping-protection API: events from the search path, and verdicts for operators and
BAPs (the quota check is ``uei/antiabuse/quotas/http.py``).

Handlers decode, call the core, encode; each is handed ``scraping``, a ``ScrapingApi``, by the
app's dependencies (``uei/app/dependencies.py``). The event upload declares ``Caller.RELAY``
(the app's guard verifies the relay and meters its call against its own rule); a BAP's report
declares ``Caller.READER`` (an operator or the BAP itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from uei.access import CALLER, Caller
from uei.antiabuse.quotas.http import RELAY, QuotasApi, quota_check
from uei.antiabuse.quotas.rules import QuotaAction, ResolvedRule
from uei.antiabuse.quotas.service import retry_key
from uei.antiabuse.scraping.binding import BoundEvent, Relay, bind_event
from uei.antiabuse.scraping.events import Event, Search
from uei.antiabuse.scraping.wire import BapReport, EventsAnswer, EventsBody
from uei.antiabuse.stores import EventStore, VerdictStore
from uei.errors import Forbidden, NotFound

__all__ = ["ROUTER", "Reader", "Relay", "ScrapingApi"]


class Reader(NamedTuple):
    subscriber_id: str
    operator: bool


@dataclass(frozen=True, slots=True)
class ScrapingApi:
    search_path: QuotasApi
    """The quota service, the relays' meter and how to know and verify a BAP."""
    events: EventStore
    verdicts: VerdictStore


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
    opt=RELAY,
)
async def events(
    request: Request[Any, Any, Any],
    scraping: NamedDependency[ScrapingApi],
    data: JSONBody[EventsBody],
) -> EventsAnswer:
    """Signed by a BG or BPP: a batch (at most 1000) of ``search``, ``select``, ``init``,
    ``confirm`` and ``cancel`` events, e.g. a gateway uploading its log with each event's
    own time. A BPP's events each carry the BAP's signed request (``bap_request``), which
    gives the event's type, BAP, message id, search, CPO and time (when the BAP signed it);
    without it the batch is refused (403). The relay's own rule is metered first, one unit
    per event. Scoring reads events by event time. Each event counts once per (BAP, type,
    message id), so a batch can be retried, and a search already checked is not counted
    again. A batch with a bad event is refused whole, naming it; nothing of it is recorded."""
    api = scraping.search_path
    caller: Relay = request.state.caller
    if len(data.events) > 1:  # one unit per event: the guard took the first
        await api.relays.charge(caller.subscriber_id, caller.gateway, len(data.events) - 1)
    verifier = api.bap_verifier()
    grouped: dict[str, list[tuple[str, Event]]] = {}
    for i, wire in enumerate(data.events):
        bound = await bind_event(wire, i, caller, verifier, api.user, api.quotas.clock())
        if bound is None:
            continue
        if not api.is_bap(bound.bap_id):
            raise NotFound(f"{bound.bap_id} is not a subscribed BAP", f"events[{i}].bap_id")
        grouped.setdefault(bound.bap_id, []).append(_keyed(bound))
    keep = api.quotas.scraping().retention_seconds
    recorded = 0
    for bap, items in grouped.items():
        recorded += await scraping.events.record(bap, items, keep)
    return EventsAnswer(received=len(data.events), recorded=recorded)


@get(
    "/baps/{bap_id:str}",
    tags=["scraping"],
    summary="A BAP's scraping verdict, features and history",
    opt={CALLER: Caller.READER},
)
async def bap_report(
    request: Request[Any, Any, Any], scraping: NamedDependency[ScrapingApi], bap_id: FromPath[str]
) -> BapReport:
    """Signed by an operator, or by that BAP itself (any other caller gets a 403): the latest
    verdict (score, actions applied and in shadow, the features that contributed most against
    the network's typical range, every feature), earlier verdicts, and the quota rules that
    apply to it now."""
    api = scraping.search_path
    reader: Reader = request.state.caller
    if not reader.operator and reader.subscriber_id != bap_id:
        raise Forbidden("only operators and the BAP itself may read its verdicts", "bap_id")
    history = await scraping.verdicts.verdict_history(bap_id, api.quotas.scraping().history)
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
