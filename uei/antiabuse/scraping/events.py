"""What the network saw a BAP do: searches (with their query) and what followed them.

Times are event times (unix seconds, when it happened), not arrival times: a gateway may upload
its logs late and an evaluation may replay history. ``user`` is a keyed token of the BAP's own
user reference (empty when the caller did not send one); raw references are never kept.
"""

from __future__ import annotations

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


class Funnel(msgspec.Struct, frozen=True, array_like=True, tag="f"):
    """A step after a search: the BAP selected, initiated, confirmed or cancelled an order with
    a CPO (``bpp_id``) at one of its locations."""

    at: float
    kind: FunnelKind
    bpp_id: str
    location_id: str
    user: str = ""


Event = Search | Funnel

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
