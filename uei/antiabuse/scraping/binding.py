"""Whom a relay's call speaks for: a gateway's word, or the BAP's own signed request.

Gateways (BG) are network infrastructure: the BAP, action, message and search they state are
taken as stated. A BPP is a competitor of the CPOs a BAP's users compare: it names a BAP only
by forwarding the BAP's signed request (``bap_request``, ``forwarded.py``), and what the call
is about is read from that request. Anything a caller states besides must agree with it (a
400 naming the field); a BPP cannot add what the BAP did not sign (a user reference, another
relay). Without ``bap_request`` a BPP's call is refused whole (403) and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from uei.antiabuse.quotas.rules import QuotaAction
from uei.antiabuse.scraping.events import Event, Funnel, FunnelKind, Search, txn_digest
from uei.antiabuse.scraping.forwarded import Forwarded, agree, open_forwarded
from uei.antiabuse.scraping.query import Query, SearchQuery, query
from uei.antiabuse.scraping.wire import CheckBody, EventType, WireEvent
from uei.antiabuse.times import MAX_EVENT_AGE_SECONDS, checked, timestamp
from uei.errors import Forbidden, InvalidRequest
from uei.trust import Verifier

__all__ = ["BoundCheck", "BoundEvent", "Relay", "bind_check", "bind_event", "forward_needed"]

_EVENT_TYPES: tuple[EventType, ...] = ("search", "select", "init", "confirm", "cancel")

UserToken = Callable[[str, str | None], str]
"""(BAP, its user reference or None) -> the keyed token stored for the user ('' for none)."""


class Relay(NamedTuple):
    """A SUBSCRIBED BG or BPP that signed a call on the search path."""

    subscriber_id: str
    gateway: bool
    """A BG (trusted to name the BAP), else a BPP (must forward the BAP's signed request)."""


def forward_needed(path: str) -> Forbidden:
    return Forbidden(
        "a BPP speaks for a BAP only by forwarding the BAP's own signed request: add "
        "bap_request {authorization: the BAP's Authorization header as received, body: "
        "base64 of the exact bytes it signed}",
        path,
    )


@dataclass(frozen=True, slots=True)
class BoundCheck:
    bap_id: str
    action: QuotaAction
    message_id: str
    query: Query | None
    user_ref: str | None
    dedupe_seconds: float | None
    """Keep the answer for retries this long at least (a forwarded request: while its
    signature is valid, so replaying it never spends twice)."""


@dataclass(frozen=True, slots=True)
class BoundEvent:
    bap_id: str
    message_id: str
    event: Event


def _addressed(caller: Relay, forwarded: Forwarded, path: str) -> None:
    """A BPP forwards what was sent to it: a request addressed to another BPP is not its."""
    if not caller.gateway and forwarded.bpp_id not in (None, caller.subscriber_id):
        raise Forbidden(
            f"the BAP addressed this request to {forwarded.bpp_id}, not to "
            f"{caller.subscriber_id}: a BPP forwards only requests sent to it",
            f"{path}.body",
        )


def _agree_search(stated: Query | None, signed: Query | None, field: str) -> None:
    if stated is None:
        return
    if signed is None or stated.describe() != signed.describe():
        said = f"searches {signed.describe()}" if signed is not None else "names no location"
        raise InvalidRequest(
            f"{field} is {stated.describe()} but the BAP's signed request {said}", field
        )


def _no_user_ref(caller: Relay, ref: str | None, field: str) -> None:
    if ref is not None and not caller.gateway:
        raise InvalidRequest(
            "a BAP's signed request carries no user reference: only a gateway passes user_ref",
            field,
        )


def _stated(search: SearchQuery | None, field: str) -> Query | None:
    return query(search, field) if search is not None else None


async def bind_check(
    body: CheckBody, caller: Relay, verifier: Callable[[], Verifier]
) -> BoundCheck:
    if body.bap_request is None:
        if not caller.gateway:
            raise forward_needed("bap_request")
        if body.bap_id is None:
            raise InvalidRequest("a check names the BAP (bap_id)", "bap_id")
        if body.action is None:
            raise InvalidRequest("a check names the action", "action")
        if body.message_id is None:
            raise InvalidRequest("a check names the Beckn message_id", "message_id")
        stated = _stated(body.search, "search")
        if body.action is QuotaAction.SEARCH and stated is None:
            raise InvalidRequest("a search check needs the search's gps and radius", "search")
        return BoundCheck(body.bap_id, body.action, body.message_id, stated, body.user_ref, None)
    check = verifier()
    forwarded = await open_forwarded(body.bap_request, check, "bap_request")
    _addressed(caller, forwarded, "bap_request")
    try:
        action = QuotaAction(forwarded.action)
    except ValueError:
        raise InvalidRequest(
            f"the BAP's context.action {forwarded.action!r} is not one quotas cover "
            f"({', '.join(QuotaAction)})",
            "bap_request.body",
        ) from None
    bap = agree(body.bap_id, forwarded.bap_id, "bap_id")
    message_id = agree(body.message_id, forwarded.message_id, "message_id")
    agree(body.action, action, "action")
    signed = forwarded.search if action is QuotaAction.SEARCH else None
    _agree_search(_stated(body.search, "search"), signed, "search")
    _no_user_ref(caller, body.user_ref, "user_ref")
    lifetime = forwarded.expires - forwarded.created + check.max_skew
    return BoundCheck(bap, action, message_id, signed, body.user_ref, lifetime)


def _reported(at: datetime, field: str, now: float) -> float:
    """A time a gateway states for an event: zoned, and within what scoring can use."""
    return checked(
        timestamp(at, field),
        field,
        now=now,
        max_age=MAX_EVENT_AGE_SECONDS,
        too_old=f"is more than {MAX_EVENT_AGE_SECONDS / 86_400:g} days old; no scoring "
        "window reaches that far back",
    )


def _event(
    kind: EventType,
    at: float,
    search: Query | None,
    via: str,
    bpp_id: str | None,
    wire: WireEvent,
    user: str,
    prefix: str,
    txn: str = "",
) -> Event:
    if kind == "search":
        if search is None:
            raise InvalidRequest("a search event needs its search", f"{prefix}.search")
        return Search(at, search.lat, search.lon, search.radius_km, via, user, txn)
    if bpp_id is None:
        raise InvalidRequest(f"a {kind} event needs bpp_id", f"{prefix}.bpp_id")
    if wire.location_id is None:
        raise InvalidRequest(f"a {kind} event needs location_id", f"{prefix}.location_id")
    return Funnel(at, FunnelKind(kind), bpp_id, wire.location_id, user, txn)


async def bind_event(
    wire: WireEvent, i: int, caller: Relay, verifier: Verifier, user: UserToken, now: float
) -> BoundEvent | None:
    """The event as the BAP's own request (or a gateway) says it happened; None for a
    forwarded search without a location (nothing to place it by)."""
    prefix = f"events[{i}]"
    if wire.bap_request is None:
        if not caller.gateway:
            raise forward_needed(f"{prefix}.bap_request")
        if wire.type is None or wire.bap_id is None or wire.message_id is None or wire.at is None:
            name = next(
                n for n in ("type", "bap_id", "message_id", "at") if getattr(wire, n) is None
            )
            raise InvalidRequest(f"an event needs {name}", f"{prefix}.{name}")
        at = _reported(wire.at, f"{prefix}.at", now)
        search = _stated(wire.search, f"{prefix}.search")
        via = wire.via or caller.subscriber_id
        event = _event(
            wire.type,
            at,
            search,
            via,
            wire.bpp_id,
            wire,
            user(wire.bap_id, wire.user_ref),
            prefix,
            txn_digest(wire.bap_id, wire.transaction_id),
        )
        return BoundEvent(wire.bap_id, wire.message_id, event)
    forwarded = await open_forwarded(wire.bap_request, verifier, f"{prefix}.bap_request")
    _addressed(caller, forwarded, f"{prefix}.bap_request")
    kind = next((k for k in _EVENT_TYPES if k == forwarded.action), None)
    if kind is None:
        raise InvalidRequest(
            f"the BAP's context.action {forwarded.action!r} is not an event type "
            f"({', '.join(_EVENT_TYPES)})",
            f"{prefix}.bap_request.body",
        )
    agree(wire.type, kind, f"{prefix}.type")
    bap = agree(wire.bap_id, forwarded.bap_id, f"{prefix}.bap_id")
    message_id = agree(wire.message_id, forwarded.message_id, f"{prefix}.message_id")
    transaction_id = forwarded.transaction_id
    if wire.transaction_id is not None:
        transaction_id = agree(
            wire.transaction_id, transaction_id or "", f"{prefix}.transaction_id"
        )
    if wire.at is not None:
        stated_at = timestamp(wire.at, f"{prefix}.at")
        if not forwarded.created - verifier.max_skew <= stated_at <= forwarded.expires:
            raise InvalidRequest(
                f"{prefix}.at is outside the BAP's signature ({forwarded.created}.."
                f"{forwarded.expires}): the event is when the BAP signed it",
                f"{prefix}.at",
            )
    signed = forwarded.search if kind == "search" else None
    _agree_search(_stated(wire.search, f"{prefix}.search"), signed, f"{prefix}.search")
    if kind == "search" and signed is None:
        return None
    _no_user_ref(caller, wire.user_ref, f"{prefix}.user_ref")
    if not caller.gateway and wire.via not in (None, caller.subscriber_id):
        raise InvalidRequest(
            f"{prefix}.via is {wire.via}: a BPP reports only what it relayed itself",
            f"{prefix}.via",
        )
    via = wire.via or caller.subscriber_id
    bpp_id = None
    if kind != "search":
        if forwarded.bpp_id is None:
            raise InvalidRequest(
                f"the BAP's {kind} names no context.bpp_id", f"{prefix}.bap_request.body"
            )
        bpp_id = agree(wire.bpp_id, forwarded.bpp_id, f"{prefix}.bpp_id")
    event = _event(
        kind,
        float(forwarded.created),
        signed,
        via,
        bpp_id,
        wire,
        user(bap, wire.user_ref),
        prefix,
        txn_digest(bap, transaction_id),
    )
    return BoundEvent(bap, message_id, event)
