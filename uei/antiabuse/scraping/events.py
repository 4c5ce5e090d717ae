"""What the network saw a BAP do: searches (with their query) and what followed them.

Times are event times (unix seconds, when it happened), not arrival times: a gateway may upload
its logs late and an evaluation may replay history. ``user`` is a keyed token of the BAP's own
user reference (empty when the caller did not send one); raw references are never kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from enum import StrEnum

import msgspec

__all__ = [
    "Event",
    "Funnel",
    "FunnelKind",
    "Search",
    "decode_event",
    "encode_event",
    "split",
    "txn_digest",
]


class FunnelKind(StrEnum):
    SELECT = "select"
    INIT = "init"
    CONFIRM = "confirm"
    CANCEL = "cancel"


class Search(msgspec.Struct, frozen=True, array_like=True, tag="s"):
    """An availability search: where, how wide, who relayed it."""

    at: float
    lat: float
    lon: float
    radius_km: float
    via: str = ""
    """The subscriber that reported it (the BG, or the BPP on the search path)."""
    user: str = ""
    txn: str = ""
    """A digest of Beckn's ``context.transaction_id`` when the reporter sent one ('' when
    not): it ties the selects and bookings of a transaction to the searches it began with.
    Added last with a default, so events stored before it decode unchanged."""


class Funnel(msgspec.Struct, frozen=True, array_like=True, tag="f"):
    """A step after a search: the BAP selected, initiated, confirmed or cancelled an order with
    a CPO (``bpp_id``) at one of its locations."""

    at: float
    kind: FunnelKind
    bpp_id: str
    location_id: str
    user: str = ""
    txn: str = ""
    """As ``Search.txn``."""


Event = Search | Funnel


def txn_digest(bap: str, transaction_id: str | None) -> str:
    """What is stored of a transaction id: 12 hex digits of a BLAKE2b digest of (BAP, id),
    enough to tie one transaction's events together, never the id itself ('' for none)."""
    if not transaction_id:
        return ""
    h = hashlib.blake2b(digest_size=6, person=b"uei-txn")
    h.update(bap.encode())
    h.update(b"\0")
    h.update(transaction_id.encode())
    return h.hexdigest()


_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[Event] = msgspec.msgpack.Decoder(Event)


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes) -> Event:
    return _decoder.decode(data)


def split(events: Iterable[Event]) -> tuple[list[Search], list[Funnel]]:
    searches: list[Search] = []
    funnel: list[Funnel] = []
    for event in events:
        if isinstance(event, Search):
            searches.append(event)
        else:
            funnel.append(event)
    return searches, funnel
