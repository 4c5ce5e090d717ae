"""The event writer: searches and funnel steps as wire events, inside the traffic's span."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from uei_testing.traffic.cities import Location
from uei_testing.traffic.model import _rfc3339


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


class _Sink:
    """Wire events with their millisecond times; drops what falls outside [start, end)."""

    def __init__(self, start: float, end: float) -> None:
        self.lo = start * 1000.0
        self.hi = end * 1000.0
        self.events: list[dict[str, Any]] = []
        self.ms: list[int] = []

    def _time(self, t: float) -> int | None:
        ms = math.floor(t * 1000.0)
        return ms if self.lo <= ms < self.hi else None

    def search(
        self,
        rng: random.Random,
        bap: str,
        t: float,
        gps: str,
        radius: float,
        via: str,
        user: str | None,
    ) -> bool:
        ms = self._time(t)
        if ms is None:
            return False
        event: dict[str, Any] = {
            "type": "search",
            "bap_id": bap,
            "message_id": _uuid(rng),
            "at": _rfc3339(ms),
            "search": {"gps": gps, "radius_km": radius},
            "via": via,
        }
        if user:
            event["user_ref"] = user
        self.events.append(event)
        self.ms.append(ms)
        return True

    def funnel(
        self,
        rng: random.Random,
        kind: str,
        bap: str,
        t: float,
        location: Location,
        user: str | None,
    ) -> bool:
        ms = self._time(t)
        if ms is None:
            return False
        event: dict[str, Any] = {
            "type": kind,
            "bap_id": bap,
            "message_id": _uuid(rng),
            "at": _rfc3339(ms),
            "bpp_id": location.bpp_id,
            "location_id": location.location_id,
        }
        if user:
            event["user_ref"] = user
        self.events.append(event)
        self.ms.append(ms)
        return True

    def sorted(self) -> list[dict[str, Any]]:
        order = np.argsort(np.asarray(self.ms, dtype=np.int64), kind="stable")
        events = self.events
        return [events[i] for i in order.tolist()]


# -- the BAPs ---------------------------------------------------------------------------
