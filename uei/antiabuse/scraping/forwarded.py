"""A BAP's own signed request, forwarded by a relay: verified with the BAP's registry key, and
read for who asks (``context.bap_id``), which message and action, and where it searches.

A BPP is a competitor of the CPOs a BAP's users compare, so it speaks for a BAP only with the
BAP's own words: ``bap_request`` carries the BAP's ``Authorization`` header as received and
the exact bytes it signed (base64). The signature is checked like any other (time window,
skew, lifetime, a SUBSCRIBED BAP's valid key) by the ``Verifier`` the composition root hands
in, without a replay guard: a gateway broadcasts one search to many BPPs and each may check
it, so the same signed request legitimately arrives more than once. What it spends is
deduplicated instead (its message id and query, kept as long as the signature is valid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

import msgspec

from uei.antiabuse.scraping.query import MAX_RADIUS_KM, Query, point
from uei.errors import Forbidden, InvalidRequest
from uei.trust import SignatureError, Verifier
from uei.trust.encoding import b64decode

__all__ = ["MAX_SIGNED_BODY", "BapRequest", "Forwarded", "agree", "open_forwarded"]

MAX_SIGNED_BODY = 64 * 1024
"""Bytes of a forwarded BAP body (a Beckn search is one or two KB)."""

T = TypeVar("T")


class BapRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    authorization: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    """The BAP's ``Authorization`` header value, as the relay received it."""
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SIGNED_BODY * 4 // 3 + 4)]
    """Standard base64 of the exact bytes the BAP signed (never re-serialized)."""


@dataclass(frozen=True, slots=True)
class Forwarded:
    """What the BAP signed, verified."""

    bap_id: str
    """``context.bap_id``, which is also the signer."""
    message_id: str
    action: str
    bpp_id: str | None
    """``context.bpp_id``: the BPP the request is addressed to (none for a broadcast search)."""
    search: Query | None
    """The first circle of ``message.intent.fulfillment.stops[].location``, if any."""
    created: int
    expires: int
    transaction_id: str | None = None
    """``context.transaction_id``, when the BAP sent one."""


# The parts of a Beckn request read here; everything else in the body is left alone.
class _Radius(msgspec.Struct, frozen=True):
    value: str | float
    unit: str = "km"
    type: str | None = None


class _Circle(msgspec.Struct, frozen=True):
    gps: str
    radius: _Radius | None = None


class _Location(msgspec.Struct, frozen=True):
    circle: _Circle | None = None


class _Stop(msgspec.Struct, frozen=True):
    location: _Location | None = None


class _Fulfillment(msgspec.Struct, frozen=True):
    stops: list[_Stop] = msgspec.field(default_factory=list)


class _Intent(msgspec.Struct, frozen=True):
    fulfillment: _Fulfillment | None = None


class _Message(msgspec.Struct, frozen=True):
    intent: _Intent | None = None


_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class _Context(msgspec.Struct, frozen=True):
    action: _Id
    bap_id: _Id
    message_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    bpp_id: _Id | None = None
    transaction_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None


class _Body(msgspec.Struct, frozen=True):
    context: _Context
    message: _Message | None = None


_decoder = msgspec.json.Decoder(_Body)
_STOPS = "message.intent.fulfillment.stops"


def _radius_km(radius: _Radius | None, where: str, path: str) -> float:
    if radius is None:
        raise InvalidRequest(f"{where}.radius is missing from the BAP's search", path)
    unit = radius.unit.strip().lower()
    if unit not in ("km", "m"):
        raise InvalidRequest(f"{where}.radius.unit is {radius.unit!r}: km or m", path)
    try:
        value = float(radius.value)
    except ValueError:
        raise InvalidRequest(f"{where}.radius.value is not a number", path) from None
    km = value / 1000 if unit == "m" else value
    if not 0 < km <= MAX_RADIUS_KM:
        raise InvalidRequest(f"{where}.radius is not in (0, {MAX_RADIUS_KM:g}] km", path)
    return km


def _search(message: _Message | None, path: str) -> Query | None:
    intent = message.intent if message is not None else None
    fulfillment = intent.fulfillment if intent is not None else None
    for i, stop in enumerate(fulfillment.stops if fulfillment is not None else []):
        circle = stop.location.circle if stop.location is not None else None
        if circle is None:
            continue
        where = f"{_STOPS}[{i}].location.circle"
        try:
            lat, lon = point(circle.gps, path)
        except InvalidRequest as exc:
            raise InvalidRequest(f"{where}.gps: {exc.message}", path) from None
        return Query(lat, lon, _radius_km(circle.radius, where, path))
    return None


async def open_forwarded(request: BapRequest, verifier: Verifier, path: str) -> Forwarded:
    """Verify ``request`` and read it; ``path`` names it in refusals (``bap_request``).

    A 400 for a body that is not base64 or not a Beckn request, a 403 for a signature that
    does not hold or a signer other than its ``context.bap_id``."""
    try:
        raw = b64decode(request.body, f"{path}.body")
    except ValueError as exc:
        raise InvalidRequest(str(exc), f"{path}.body") from None
    if len(raw) > MAX_SIGNED_BODY:
        raise InvalidRequest(f"the BAP's body is over {MAX_SIGNED_BODY} bytes", f"{path}.body")
    try:
        params = await verifier.verify(request.authorization, raw, once=False)
    except SignatureError as exc:
        raise Forbidden(
            f"the BAP's signature on the forwarded request is refused: {exc}",
            f"{path}.authorization",
        ) from None
    try:
        body = _decoder.decode(raw)
    except msgspec.DecodeError as exc:  # ValidationError included
        raise InvalidRequest(
            f"the BAP's signed body is not a Beckn request: {exc}", f"{path}.body"
        ) from None
    context = body.context
    if context.bap_id != params.subscriber_id:
        raise Forbidden(
            f"the request is signed by {params.subscriber_id} but its context.bap_id is "
            f"{context.bap_id}: a BAP's signature speaks only for itself",
            f"{path}.authorization",
        )
    return Forwarded(
        bap_id=context.bap_id,
        message_id=context.message_id,
        action=context.action,
        bpp_id=context.bpp_id,
        search=_search(body.message, f"{path}.body"),
        created=params.created,
        expires=params.expires,
        transaction_id=context.transaction_id,
    )


def agree(stated: T | None, signed: T, field: str) -> T:
    """The signed value; a 400 naming ``field`` when the caller also stated another."""
    if stated is not None and stated != signed:
        raise InvalidRequest(
            f"{field} is {stated!s} but the BAP's signed request says {signed!s}", field
        )
    return signed
