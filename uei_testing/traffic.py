"""Synthetic EV-charging availability-search traffic with ground truth, for the scraping verdicts.

    python -m uei_testing.traffic --seed 7 --hours 24 --scale 1.0 --out traffic.jsonl

BAPs (apps) search a Beckn EV-charging network for chargers: a centre, a radius, relayed by a
gateway. Some of their users then select, init, confirm (and rarely cancel) an order at a CPO's
(BPP's) location. The events are the wire items of ``POST /abuse/events``, in time order.

Who is in it:

- honest apps of three sizes (``large``, ``medium``, ``small``). Their users live around hubs
  of Indian cities, search more in the morning and evening (IST) than at night, do one to four
  searches per session with slightly moved centres and sometimes a wider radius, and a fifth
  of sessions or so go on to book at a location near the last centre. A few honest apps behave
  in ways a naive detector may mistake for scraping (``BapTruth.style``):

  - ``map``: a map or aggregator app whose users pan across a city with a wide radius and
    rarely book;
  - ``fleet``: a taxi fleet's app: drivers search from a few depots around the clock, and book a
    lot;
  - ``telematics``: a car's head unit that refreshes availability every few minutes while
    driving (regular timing, drifting centre), and seldom books;
  - ``commuter``: everybody else.

- scrapers (competing CPOs learning which chargers are busy), each its own BAP:

  - ``sweeper``: a lattice of centres over a city's bounding box, a fixed radius, the sweep
    repeated around the clock at hundreds to thousands of searches an hour, no bookings;
  - ``poller``: a handful of centres at the busiest locations polled on a fixed period
    (30-300 s, small jitter), around the clock; at most a token select;
  - ``low_and_slow``: under any sensible quota (10-60 searches an hour), a coarse lattice or a
    few hotspots with jittered timing, flat over the day or over a daytime window only;
  - ``hidden``: a sweep or a poll run by one to three user references inside a real medium
    app's traffic (same BAP id); the app is labelled ``hidden`` and the scraping user
    references are in the truth.

Every BAP's randomness comes from its own generator derived from the seed, so the same seed
gives the same traffic, and changing how many scrapers there are does not change the honest
apps. ``scale`` multiplies the honest apps' volumes and the sweep rates; a poller's period and a
low-and-slow scraper's rate are what defines them and do not scale.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
import msgspec
import numpy as np
import numpy.typing as npt

from uei.antiabuse.scraping.events import Event, Funnel, FunnelKind, Search

__all__ = [
    "APPS",
    "CITIES",
    "CPOS",
    "DEFAULT_START",
    "FUNNEL_TYPES",
    "GATEWAYS",
    "IST",
    "LABELS",
    "BapTruth",
    "City",
    "Location",
    "Traffic",
    "events_by_bap",
    "generate",
    "main",
    "parse_at",
    "to_events",
    "truth_from_json",
    "truth_json",
]

IST = timezone(timedelta(hours=5, minutes=30), "IST")
DEFAULT_START = datetime(2026, 11, 2, tzinfo=IST).timestamp()
"""2026-11-02T00:00:00+05:30, a Monday."""
HOUR = 3600.0
_IST_OFFSET = 19800.0

LABELS = ("honest", "sweeper", "poller", "low_and_slow", "hidden")
SIZES = ("large", "medium", "small", "scraper")
FUNNEL_TYPES = ("select", "init", "confirm", "cancel")
GATEWAYS = ("bg.uei.example.in", "bg-south.uei.example.in")
"""The gateways that relay (and report) searches."""
CPOS = tuple(f"cpo-{i:02d}.example.in" for i in range(1, 13))
"""The CPOs (BPPs) whose locations are selected and booked."""

_KM_LAT = 110.574
_KM_LON = 111.320


@dataclass(frozen=True, slots=True)
class City:
    code: str
    name: str
    weight: float
    """Share of the country's EV-charging demand."""
    hubs: tuple[tuple[float, float, float], ...]
    """(lat, lon, weight) of the neighbourhoods people live and charge around."""
    spread_km: float
    """Standard deviation of the gaussian spread around a hub."""

    @property
    def lat(self) -> float:
        return self.hubs[0][0]

    def bbox(self, margin_km: float = 6.0) -> tuple[float, float, float, float]:
        """(south, west, north, east) around the hubs, ``margin_km`` wider on each side."""
        lats = [h[0] for h in self.hubs]
        lons = [h[1] for h in self.hubs]
        dlat = margin_km / _KM_LAT
        dlon = margin_km / (_KM_LON * math.cos(math.radians(self.lat)))
        return min(lats) - dlat, min(lons) - dlon, max(lats) + dlat, max(lons) + dlon


CITIES = (
    City(
        "BLR",
        "Bengaluru",
        0.24,
        (
            (12.9716, 77.5946, 1.0),  # MG Road
            (12.9352, 77.6245, 1.2),  # Koramangala
            (12.9698, 77.7500, 1.1),  # Whitefield
            (12.8452, 77.6602, 0.9),  # Electronic City
            (13.0358, 77.5970, 0.7),  # Hebbal
            (12.9250, 77.5938, 0.8),  # Jayanagar
            (12.9784, 77.6408, 0.9),  # Indiranagar
        ),
        2.5,
    ),
    City(
        "DEL",
        "Delhi NCR",
        0.24,
        (
            (28.6315, 77.2167, 1.0),  # Connaught Place
            (28.4950, 77.0895, 1.2),  # Gurugram Cyber City
            (28.5708, 77.3261, 1.0),  # Noida Sector 18
            (28.5921, 77.0460, 0.7),  # Dwarka
            (28.5245, 77.2066, 0.8),  # Saket
            (28.6692, 77.4538, 0.5),  # Ghaziabad
        ),
        3.0,
    ),
    City(
        "BOM",
        "Mumbai",
        0.18,
        (
            (19.0660, 72.8656, 1.1),  # BKC
            (19.1136, 72.8697, 1.0),  # Andheri
            (18.9953, 72.8302, 0.8),  # Lower Parel
            (19.1176, 72.9060, 0.8),  # Powai
            (19.0771, 72.9986, 0.6),  # Vashi
            (19.2183, 72.9781, 0.6),  # Thane
        ),
        2.0,
    ),
    City(
        "PNQ",
        "Pune",
        0.12,
        (
            (18.5913, 73.7389, 1.0),  # Hinjewadi
            (18.5515, 73.9348, 0.9),  # Kharadi
            (18.5362, 73.8940, 0.8),  # Koregaon Park
            (18.5590, 73.7868, 0.8),  # Baner
        ),
        2.5,
    ),
    City(
        "HYD",
        "Hyderabad",
        0.12,
        (
            (17.4435, 78.3772, 1.1),  # HITEC City
            (17.4401, 78.3489, 0.9),  # Gachibowli
            (17.4156, 78.4347, 0.8),  # Banjara Hills
            (17.4399, 78.4983, 0.7),  # Secunderabad
        ),
        2.5,
    ),
    City(
        "MAA",
        "Chennai",
        0.10,
        (
            (13.0418, 80.2341, 1.0),  # T Nagar
            (12.9010, 80.2279, 1.0),  # Sholinganallur (OMR)
            (13.0067, 80.2206, 0.8),  # Guindy
            (13.0850, 80.2101, 0.7),  # Anna Nagar
        ),
        2.5,
    ),
)

_RADII = (2.0, 3.0, 5.0, 10.0, 15.0, 25.0)
_RADIUS_WEIGHTS = (0.22, 0.08, 0.35, 0.25, 0.05, 0.05)
_COMMUTER_SHAPE = (
    0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.12, 0.30, 0.60, 0.85, 0.80, 0.65,
    0.60, 0.62, 0.60, 0.62, 0.70, 0.85, 0.98, 1.00, 0.90, 0.65, 0.40, 0.20,
)  # fmt: skip
"""Relative search rate by IST hour: quiet at night, peaks around 09:00 and 19:00."""
_FLEET_SHAPE = (
    0.70, 0.65, 0.60, 0.58, 0.60, 0.68, 0.78, 0.88, 0.95, 0.95, 0.90, 0.88,
    0.90, 0.92, 0.90, 0.92, 0.95, 1.00, 1.00, 0.98, 0.95, 0.90, 0.82, 0.75,
)  # fmt: skip
"""Taxi fleets charge around the clock, a little more in the day."""
_SESSION_LENGTHS = (1, 2, 3, 4)
_SESSION_WEIGHTS = (0.45, 0.30, 0.15, 0.10)
_PREFIXES = (
    "volt", "amp", "plug", "charge", "ev", "watt", "spark", "zap", "grid", "ion",
    "tork", "elec", "juice", "kilo", "bolt", "power", "green", "ohm", "current", "e",
)  # fmt: skip
_SUFFIXES = (
    "go", "hub", "way", "mate", "now", "map", "ride", "point", "dock", "nest",
    "path", "line", "bay", "spot", "ly", "ify", "kart", "sathi", "yatra", "zone",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BapTruth:
    bap_id: str
    label: str
    """honest, sweeper, poller, low_and_slow or hidden."""
    size: str
    """large, medium or small (an app), or scraper (a scraper's own BAP)."""
    scraper_users: frozenset[str]
    """The user_refs of the scraping user(s) inside a hidden BAP; empty otherwise."""
    style: str = ""
    """How the BAP behaves: commuter, map, fleet or telematics for an app (honest, or the
    host of a hidden scraper); for a scraper its pattern, e.g. sweep/snake/regular."""


@dataclass(frozen=True, slots=True)
class Traffic:
    start: float
    end: float
    baps: dict[str, BapTruth]
    events: list[dict[str, Any]]
    """Wire events (the items of ``POST /abuse/events``) sorted by time."""

    def is_scraping(self, event: dict[str, Any]) -> bool:
        """Was ``event`` made by a scraper (a scraper's BAP, or a hidden scraping user)?"""
        bap = self.baps[event["bap_id"]]
        if bap.label == "hidden":
            return event.get("user_ref") in bap.scraper_users
        return bap.label != "honest"

    def counts(self) -> dict[str, dict[str, int]]:
        """Per label: BAPs, events, searches and each funnel step (a hidden BAP's counts
        include its honest users; ``scraping`` counts the hidden scrapers' own events)."""
        found = {
            label: dict.fromkeys(("baps", "events", "search", *FUNNEL_TYPES, "scraping"), 0)
            for label in LABELS
        }
        for bap in self.baps.values():
            found[bap.label]["baps"] += 1
        for event in self.events:
            bap = self.baps[event["bap_id"]]
            row = found[bap.label]
            row["events"] += 1
            row[event["type"]] += 1
            if bap.label != "honest" and self.is_scraping(event):
                row["scraping"] += 1
        return found


@dataclass(frozen=True, slots=True)
class Location:
    location_id: str
    bpp_id: str
    city: int
    lat: float
    lon: float
    popularity: float
    """Relative demand: honest users pick popular locations more, pollers watch the top."""


# -- helpers ---------------------------------------------------------------------------


def _rfc3339(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def parse_at(at: str) -> float:
    """Unix seconds of a wire ``at`` (RFC 3339)."""
    return datetime.fromisoformat(at).timestamp()


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def _gps(lat: float, lon: float) -> str:
    return f"{lat:.6f},{lon:.6f}"


def _offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    return (
        lat + north_km / _KM_LAT,
        lon + east_km / (_KM_LON * math.cos(math.radians(lat))),
    )


def _ist_hour(t: float) -> float:
    return ((t + _IST_OFFSET) % 86400.0) / HOUR


def _shape_at(shape: Sequence[float], hours: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Linear interpolation of an hourly shape (value at the start of each hour), cyclic."""
    values = np.asarray((*shape, shape[0]), dtype=np.float64)
    return np.interp(hours, np.arange(25, dtype=np.float64), values)


def _loguniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _choose(rng: random.Random, cum: npt.NDArray[np.float64]) -> int:
    """An index drawn from cumulative weights ``cum``."""
    i = int(np.searchsorted(cum, rng.random() * float(cum[-1]), side="right"))
    return min(i, len(cum) - 1)


# -- the world: cities, CPOs and their locations ----------------------------------------


class _World:
    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:world")
        self.locations: list[Location] = []
        self.by_city: list[list[Location]] = [[] for _ in CITIES]
        city_weights = [c.weight for c in CITIES]
        for number, cpo in enumerate(CPOS, start=1):
            size = rng.lognormvariate(0, 0.7)
            present = min(len(CITIES), 2 + int(rng.random() * 5))
            cities: set[int] = set()
            while len(cities) < present:
                cities.add(rng.choices(range(len(CITIES)), city_weights)[0])
            for ci in sorted(cities):
                city = CITIES[ci]
                hub_weights = [h[2] for h in city.hubs]
                n = 3 + round(size * city.weight * 90 * rng.uniform(0.6, 1.4))
                for k in range(1, n + 1):
                    hub = rng.choices(city.hubs, hub_weights)[0]
                    lat, lon = _offset(
                        hub[0],
                        hub[1],
                        rng.gauss(0, city.spread_km * 1.1),
                        rng.gauss(0, city.spread_km * 1.1),
                    )
                    location = Location(
                        f"{city.code}-{number:02d}-{k:03d}",
                        cpo,
                        ci,
                        round(lat, 6),
                        round(lon, 6),
                        rng.lognormvariate(0, 0.9) * hub[2],
                    )
                    self.locations.append(location)
                    self.by_city[ci].append(location)
        self.lat = [np.array([x.lat for x in locs]) for locs in self.by_city]
        self.lon = [np.array([x.lon for x in locs]) for locs in self.by_city]
        self.pop = [np.array([x.popularity for x in locs]) for locs in self.by_city]

    def busiest(self, city: int, n: int) -> list[Location]:
        return sorted(self.by_city[city], key=lambda x: -x.popularity)[:n]

    def near(
        self, city: int, lat: float, lon: float, radius: float, rng: random.Random
    ) -> Location:
        """Where a user near (lat, lon) who searched within ``radius`` km goes: a location in the
        radius, the popular and the near ones more likely; the nearest if none is."""
        locs = self.by_city[city]
        dy = (self.lat[city] - lat) * _KM_LAT
        dx = (self.lon[city] - lon) * (_KM_LON * math.cos(math.radians(lat)))
        d = np.hypot(dx, dy)
        inside = d <= radius
        if not inside.any():
            return locs[int(np.argmin(d))]
        weights = np.where(inside, self.pop[city] * np.exp(-d / max(1.0, radius / 2)), 0.0)
        return locs[_choose(rng, np.cumsum(weights))]

    def city_of(self, lat: float, lon: float) -> int:
        best, found = math.inf, 0
        for ci, city in enumerate(CITIES):
            for hub in city.hubs:
                d = (hub[0] - lat) ** 2 + (hub[1] - lon) ** 2
                if d < best:
                    best, found = d, ci
        return found


def _lattice(city: City, step_km: float, margin_km: float = 6.0) -> list[tuple[float, float]]:
    """Row-major points ``step_km`` apart over ``city``'s bounding box, south-west first."""
    south, west, north, east = city.bbox(margin_km)
    dlat = step_km / _KM_LAT
    dlon = step_km / (_KM_LON * math.cos(math.radians(city.lat)))
    rows = int((north - south) / dlat) + 1
    cols = int((east - west) / dlon) + 1
    return [(south + r * dlat, west + c * dlon) for r in range(rows) for c in range(cols)]


def _snake(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Row-major points reordered boustrophedon (every other row backwards)."""
    rows: list[list[tuple[float, float]]] = []
    for p in points:
        if rows and rows[-1][0][0] == p[0]:
            rows[-1].append(p)
        else:
            rows.append([p])
    found: list[tuple[float, float]] = []
    for i, row in enumerate(rows):
        found += row if i % 2 == 0 else row[::-1]
    return found


# -- where the events go ----------------------------------------------------------------


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


@dataclass(slots=True)
class _App:
    """An app's plan: who it is and how its users behave."""

    bap_id: str
    size: str
    style: str
    peak: float
    """Searches per hour at the busiest hour (scaled)."""
    cities: tuple[float, ...]
    """Weight of each of CITIES among the app's users."""
    select: float
    init: float
    confirm: float
    cancel: float
    user_refs: bool
    user_format: str
    gateway: str
    gateway_share: float
    """Share of searches relayed by ``gateway`` (the rest by the other one)."""


class _Generator:
    def __init__(
        self,
        *,
        seed: int,
        start: float,
        end: float,
        scale: float,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.seed = seed
        self.start = start
        self.end = end
        self.scale = scale
        self.progress = progress
        self.world = _World(seed)
        self.sink = _Sink(start, end)
        self.baps: dict[str, BapTruth] = {}

    # -- randomness ----------------------------------------------------------------------

    def rngs(self, key: str) -> tuple[random.Random, np.random.Generator]:
        nkey = [self.seed, *(ord(c) for c in key)]
        return random.Random(f"{self.seed}:{key}"), np.random.default_rng(nkey)

    def via(self, rng: random.Random, gateway: str, share: float) -> str:
        if rng.random() < share:
            return gateway
        return GATEWAYS[1] if gateway == GATEWAYS[0] else GATEWAYS[0]

    def done(self, truth: BapTruth) -> None:
        self.baps[truth.bap_id] = truth
        if self.progress is not None:
            self.progress(1)

    # -- honest apps -----------------------------------------------------------------------

    def plan_app(self, bap_id: str, size: str, style: str, key: str) -> _App:
        rng, _ = self.rngs(f"plan:{key}")
        low, high = {"large": (2000, 8000), "medium": (200, 800), "small": (10, 100)}[size]
        weights = [c.weight for c in CITIES]
        if size == "large" or (size == "medium" and rng.random() < 0.4):
            cities = tuple(w * rng.uniform(0.6, 1.4) for w in weights)
        else:
            n = 1 if size == "small" or style == "fleet" else rng.randint(1, 3)
            chosen: set[int] = set()
            while len(chosen) < n:
                chosen.add(rng.choices(range(len(CITIES)), weights)[0])
            cities = tuple(weights[i] if i in chosen else 0.0 for i in range(len(CITIES)))
        select, init, confirm = rng.uniform(0.15, 0.30), rng.uniform(0.5, 0.7), 0.8
        if style == "map":
            select = rng.uniform(0.05, 0.09)
        elif style == "telematics":
            select = rng.uniform(0.08, 0.14)
        elif style == "fleet":
            select, init, confirm = rng.uniform(0.4, 0.55), 0.85, 0.9
        refs = size == "large" or style in ("fleet", "telematics") or rng.random() < 0.8
        return _App(
            bap_id=bap_id,
            size=size,
            style=style,
            peak=_loguniform(rng, low, high) * self.scale,
            cities=cities,
            select=select,
            init=init,
            confirm=confirm * rng.uniform(0.92, 1.05),
            cancel=rng.uniform(0.03, 0.07),
            user_refs=refs,
            user_format=rng.choice(("hex", "num", "uuid", "prefixed")),
            gateway=GATEWAYS[0] if rng.random() < 0.75 else GATEWAYS[1],
            gateway_share=rng.uniform(0.7, 1.0),
        )

    def user_refs(self, app: _App, n: int, rng: np.random.Generator) -> list[str]:
        raw = rng.integers(0, 2**62, size=n, dtype=np.int64).tolist()
        if app.user_format == "hex":
            return [f"u_{x & 0xFFFFFFFFFF:010x}" for x in raw]
        if app.user_format == "num":
            return [str(10_000_000 + x % 90_000_000) for x in raw]
        if app.user_format == "uuid":
            return [
                f"{x & 0xFFFFFFFF:08x}-{(x >> 32) & 0xFFFF:04x}-{(x >> 48) & 0xFFF:03x}0"
                for x in raw
            ]
        return [f"{app.bap_id.split('.')[0][:4].upper()}{x % 10**9:09d}" for x in raw]

    def arrivals(
        self,
        rate_per_hour: float,
        shape: Sequence[float],
        shift_h: float,
        nrng: np.random.Generator,
    ) -> npt.NDArray[np.float64]:
        """Poisson arrival times with an hourly rhythm, one-minute bins."""
        edges = np.arange(self.start, self.end, 60.0)
        hours = ((edges + 30.0 + _IST_OFFSET - shift_h * HOUR) % 86400.0) / HOUR
        width = np.minimum(60.0, self.end - edges)
        lam = rate_per_hour / HOUR * _shape_at(shape, hours) * width
        counts = nrng.poisson(lam)
        times = np.repeat(edges, counts) + nrng.random(int(counts.sum())) * np.repeat(width, counts)
        return np.sort(times)

    def app(self, app: _App, key: str, hidden_users: frozenset[str] = frozenset()) -> None:
        rng, nrng = self.rngs(f"app:{key}")
        shift = rng.uniform(-0.5, 0.5)
        mean_len = {"commuter": 1.9, "map": 3.5, "telematics": 4.5, "fleet": 1.3}[app.style]
        shape = _FLEET_SHAPE if app.style == "fleet" else _COMMUTER_SHAPE
        sessions = self.arrivals(app.peak / mean_len, shape, shift, nrng)
        n = len(sessions)
        if app.style == "fleet":
            n_users = rng.randint(20, 80)
        else:
            n_users = max(3, int(n / rng.uniform(1.3, 2.5)))
        city_w = np.asarray(app.cities) / sum(app.cities)
        home_city = nrng.choice(len(CITIES), size=n_users, p=city_w)
        homes: list[tuple[float, float]] = []
        for ci in home_city.tolist():
            city = CITIES[ci]
            hub = rng.choices(city.hubs, [h[2] for h in city.hubs])[0]
            homes.append(
                _offset(hub[0], hub[1], rng.gauss(0, city.spread_km), rng.gauss(0, city.spread_km))
            )
        activity = nrng.lognormal(0.0, 1.0, size=n_users)
        who = nrng.choice(n_users, size=n, p=activity / activity.sum()).tolist()
        refs: list[str | None]
        if app.user_refs:
            made = self.user_refs(app, n_users, nrng)
            refs = [None if r in hidden_users else r for r in made]
        else:
            refs = [None] * n_users
        depots: list[list[tuple[float, float]]] = [[] for _ in CITIES]
        if app.style == "fleet":
            for ci in range(len(CITIES)):
                if app.cities[ci] > 0:
                    city = CITIES[ci]
                    for _ in range(rng.randint(1, 3)):
                        hub = rng.choice(city.hubs)
                        depots[ci].append(
                            _offset(hub[0], hub[1], rng.gauss(0, 2.0), rng.gauss(0, 2.0))
                        )
        period = rng.uniform(120, 300)
        sink, world, bap = self.sink, self.world, app.bap_id
        for t0, u in zip(sessions.tolist(), who, strict=True):
            ci = int(home_city[u])
            city = CITIES[ci]
            user = refs[u]
            home = homes[u]
            t = t0
            if app.style == "commuter":
                if rng.random() < 0.65:
                    lat, lon = _offset(home[0], home[1], rng.gauss(0, 1.2), rng.gauss(0, 1.2))
                else:
                    hub = rng.choices(city.hubs, [h[2] for h in city.hubs])[0]
                    lat, lon = _offset(
                        hub[0], hub[1], rng.gauss(0, city.spread_km), rng.gauss(0, city.spread_km)
                    )
                radius = rng.choices(_RADII, _RADIUS_WEIGHTS)[0]
                for i in range(rng.choices(_SESSION_LENGTHS, _SESSION_WEIGHTS)[0]):
                    if i:
                        t += rng.uniform(5, 75)
                        lat, lon = _offset(lat, lon, rng.gauss(0, 0.7), rng.gauss(0, 0.7))
                        if rng.random() < 0.25 and radius < _RADII[-1]:
                            radius = _RADII[_RADII.index(radius) + 1]
                    via = self.via(rng, app.gateway, app.gateway_share)
                    sink.search(rng, bap, t, _gps(lat, lon), radius, via, user)
            elif app.style == "map":
                lat, lon = _offset(home[0], home[1], rng.gauss(0, 2.0), rng.gauss(0, 2.0))
                radius = rng.choices((10.0, 15.0, 25.0), (0.5, 0.3, 0.2))[0]
                heading = rng.uniform(0, 2 * math.pi)
                for i in range(rng.randint(2, 5)):
                    if i:
                        t += rng.uniform(3, 25)
                        heading += rng.gauss(0, 0.6)
                        step = radius * rng.uniform(0.4, 1.0)
                        lat, lon = _offset(
                            lat, lon, step * math.cos(heading), step * math.sin(heading)
                        )
                    via = self.via(rng, app.gateway, app.gateway_share)
                    sink.search(rng, bap, t, _gps(lat, lon), radius, via, user)
            elif app.style == "telematics":
                lat, lon = _offset(home[0], home[1], rng.gauss(0, 1.5), rng.gauss(0, 1.5))
                radius = 10.0
                heading = rng.uniform(0, 2 * math.pi)
                for i in range(rng.randint(3, 6)):
                    if i:
                        t += period * (1 + rng.gauss(0, 0.03))
                        heading += rng.gauss(0, 0.4)
                        step = rng.uniform(1.0, 2.5)
                        lat, lon = _offset(
                            lat, lon, step * math.cos(heading), step * math.sin(heading)
                        )
                    via = self.via(rng, app.gateway, app.gateway_share)
                    sink.search(rng, bap, t, _gps(lat, lon), radius, via, user)
            else:  # fleet
                if rng.random() < 0.55:
                    depot = rng.choice(depots[ci])
                    lat, lon = _offset(depot[0], depot[1], rng.gauss(0, 0.3), rng.gauss(0, 0.3))
                else:
                    hub = rng.choice(city.hubs)
                    lat, lon = _offset(
                        hub[0], hub[1], rng.gauss(0, city.spread_km), rng.gauss(0, city.spread_km)
                    )
                radius = rng.choice((5.0, 10.0))
                for i in range(1 if rng.random() < 0.7 else 2):
                    if i:
                        t += rng.uniform(10, 60)
                    via = self.via(rng, app.gateway, app.gateway_share)
                    sink.search(rng, bap, t, _gps(lat, lon), radius, via, user)
            if rng.random() < app.select:
                self.book(rng, app, t, world.near(ci, lat, lon, radius, rng), user)

    def book(
        self, rng: random.Random, app: _App, t: float, location: Location, user: str | None
    ) -> None:
        """The funnel after a session's last search at ``t``."""
        sink, bap = self.sink, app.bap_id
        t += rng.uniform(15, 240)
        sink.funnel(rng, "select", bap, t, location, user)
        if rng.random() >= app.init:
            return
        t += rng.uniform(20, 180)
        sink.funnel(rng, "init", bap, t, location, user)
        if rng.random() >= app.confirm:
            return
        t += rng.uniform(15, 120)
        sink.funnel(rng, "confirm", bap, t, location, user)
        if rng.random() < app.cancel:
            t += rng.uniform(120, 1800)
            sink.funnel(rng, "cancel", bap, t, location, user)

    # -- scrapers --------------------------------------------------------------------------

    def scraper_user(self, rng: random.Random) -> Callable[[], str | None]:
        """How a scraper's BAP fills user_ref: never, one constant, or a rotating pool."""
        mode = rng.choices(("none", "fixed", "rotating"), (0.4, 0.3, 0.3))[0]
        if mode == "none":
            return lambda: None
        if mode == "fixed":
            fixed = f"u_{rng.getrandbits(40):010x}"
            return lambda: fixed
        pool = [f"u_{rng.getrandbits(40):010x}" for _ in range(rng.randint(20, 200))]
        return lambda: rng.choice(pool)

    def sweeper(self, bap: str, key: str) -> None:
        rng, _ = self.rngs(f"sweeper:{key}")
        n_cities = 1 if rng.random() < 0.7 else rng.randint(2, 3)
        weights = [c.weight for c in CITIES]
        chosen = list(dict.fromkeys(rng.choices(range(len(CITIES)), weights, k=n_cities)))
        step = rng.uniform(1.0, 3.0)
        radius = float(max(1.0, round(step * rng.uniform(0.7, 1.5) * 2) / 2))
        order = rng.choices(("raster", "snake", "shuffled"), (0.45, 0.35, 0.2))[0]
        points: list[tuple[float, float]] = []
        for ci in chosen:
            grid = _lattice(CITIES[ci], step)
            points += _snake(grid) if order == "snake" else grid
        rate = _loguniform(rng, 300, 2500) * self.scale
        gap = HOUR / rate
        poisson = rng.random() < 0.3
        jitter = rng.uniform(0.02, 0.2)
        wobble = step * 0.1 if rng.random() < 0.3 else 0.0
        gateway, share = rng.choice(GATEWAYS), rng.uniform(0.9, 1.0)
        user = self.scraper_user(rng)
        gps = [_gps(lat, lon) for lat, lon in points]
        t = self.start + rng.uniform(0, gap)
        while t < self.end:
            sweep = list(range(len(points)))
            if order == "shuffled":
                rng.shuffle(sweep)
            for i in sweep:
                if wobble:
                    lat, lon = points[i]
                    lat, lon = _offset(
                        lat, lon, rng.uniform(-wobble, wobble), rng.uniform(-wobble, wobble)
                    )
                    where = _gps(lat, lon)
                else:
                    where = gps[i]
                via = self.via(rng, gateway, share)
                self.sink.search(rng, bap, t, where, radius, via, user())
                if poisson:
                    t += rng.expovariate(1 / gap)
                else:
                    t += gap * (1 + rng.uniform(-jitter, jitter))
                if t >= self.end:
                    break
            t += rng.uniform(0, 900)
        style = f"{order}/{'poisson' if poisson else 'regular'}{'+wobble' if wobble else ''}"
        self.done(BapTruth(bap, "sweeper", "scraper", frozenset(), style))

    def hotspots(self, rng: random.Random, ci: int, n: int) -> list[Location]:
        top = self.world.busiest(ci, max(n, 25))
        picked: list[Location] = []
        while len(picked) < min(n, len(top)):
            pick = rng.choices(top, [x.popularity for x in top])[0]
            if pick not in picked:
                picked.append(pick)
        return picked

    def poll(
        self,
        rng: random.Random,
        bap: str,
        spots: list[tuple[str, float]],
        period: float,
        via: Callable[[], str],
        user: Callable[[], str | None],
        window: tuple[float, float] | None = None,
    ) -> None:
        """Poll ``spots`` (gps, radius) every ``period`` seconds with a small jitter, either in
        a burst or staggered over the period; possibly with one outage."""
        sd = period * rng.uniform(0.002, 0.03)
        burst = rng.random() < 0.5
        offsets: list[float] = []
        for j in range(len(spots)):
            offsets.append(
                (offsets[-1] + rng.uniform(0.2, 1.5) if j else 0.0)
                if burst
                else j * period / len(spots)
            )
        outage = (0.0, 0.0)
        if rng.random() < 0.3:
            down = rng.uniform(self.start, self.end)
            outage = (down, down + rng.uniform(600, 3600))
        phase = self.start + rng.uniform(0, period)
        k = 0
        while True:
            base = phase + k * period
            if base >= self.end:
                return
            k += 1
            if outage[0] <= base < outage[1]:
                continue
            if window is not None and not window[0] <= _ist_hour(base) < window[1]:
                continue
            for (gps, radius), offset in zip(spots, offsets, strict=True):
                t = base + offset + rng.gauss(0, sd)
                self.sink.search(rng, bap, t, gps, radius, via(), user())

    def poller(self, bap: str, key: str) -> None:
        rng, _ = self.rngs(f"poller:{key}")
        ci = rng.choices(range(len(CITIES)), [c.weight for c in CITIES])[0]
        locations = self.hotspots(rng, ci, rng.randint(3, 15))
        radius = rng.choice((1.0, 1.5, 2.0, 3.0))
        spots = []
        for loc in locations:
            lat, lon = _offset(loc.lat, loc.lon, rng.uniform(-0.08, 0.08), rng.uniform(-0.08, 0.08))
            spots.append((_gps(lat, lon), radius))
        period = round(rng.uniform(30, 300) / 5) * 5
        gateway, share = rng.choice(GATEWAYS), rng.uniform(0.9, 1.0)
        user = self.scraper_user(rng)
        self.poll(rng, bap, spots, period, lambda: self.via(rng, gateway, share), user)
        if rng.random() < 0.4:
            self.token(rng, bap, rng.choice(locations), user())
        self.done(BapTruth(bap, "poller", "scraper", frozenset(), f"poll/{period:g}s"))

    def token(self, rng: random.Random, bap: str, location: Location, user: str | None) -> None:
        """A scraper's token booking attempt: one select, rarely an init."""
        t = rng.uniform(self.start, self.end)
        self.sink.funnel(rng, "select", bap, t, location, user)
        if rng.random() < 0.3:
            self.sink.funnel(rng, "init", bap, t + rng.uniform(20, 120), location, user)

    def low_and_slow(self, bap: str, key: str) -> None:
        rng, _ = self.rngs(f"low_and_slow:{key}")
        ci = rng.choices(range(len(CITIES)), [c.weight for c in CITIES])[0]
        rate = rng.uniform(10, 60)
        window: tuple[float, float] | None = None
        if rng.random() < 0.4:
            window = (rng.uniform(7.0, 9.5), rng.uniform(20.0, 23.0))
        pattern = "lattice" if rng.random() < 0.5 else "hotspot"
        locations = self.hotspots(rng, ci, rng.randint(5, 20))
        if pattern == "lattice":
            step = rng.uniform(2.0, 5.0)
            points = _lattice(CITIES[ci], step)
            radius = float(max(2.0, round(step * rng.uniform(0.8, 1.4))))
        else:
            points = [(x.lat, x.lon) for x in locations]
            radius = rng.choice((1.0, 2.0))
        gps = [_gps(lat, lon) for lat, lon in points]
        order = list(range(len(points)))
        rng.shuffle(order)
        gap = HOUR / rate
        poisson = rng.random() < 0.5
        gateway, share = rng.choice(GATEWAYS), rng.uniform(0.8, 1.0)
        user = self.scraper_user(rng)
        t = self.start + rng.uniform(0, gap)
        i = 0
        while t < self.end:
            if window is None or window[0] <= _ist_hour(t) < window[1]:
                via = self.via(rng, gateway, share)
                self.sink.search(rng, bap, t, gps[order[i % len(order)]], radius, via, user())
                i += 1
            t += rng.expovariate(1 / gap) if poisson else gap * rng.uniform(0.5, 1.5)
        if rng.random() < 0.2:
            self.token(rng, bap, rng.choice(locations), user())
        style = f"{pattern}/{'daytime' if window else 'flat'}"
        self.done(BapTruth(bap, "low_and_slow", "scraper", frozenset(), style))

    def hidden(self, bap: str, key: str) -> None:
        """A medium commuter app with a scraping user (or two or three) inside it."""
        app = self.plan_app(bap, "medium", "commuter", f"hidden:{key}")
        app.user_refs = True
        rng, nrng = self.rngs(f"hidden:{key}")
        scrapers = frozenset(self.user_refs(app, rng.randint(1, 3), nrng))
        self.app(app, f"hidden:{key}", scrapers)
        ci = rng.choices(range(len(CITIES)), app.cities)[0]
        users = sorted(scrapers)
        cycle = iter(range(1 << 62))

        def user() -> str:
            return users[next(cycle) % len(users)]

        def via() -> str:
            return self.via(rng, app.gateway, app.gateway_share)

        window = (rng.uniform(6.5, 8.0), rng.uniform(22.0, 23.5)) if rng.random() < 0.3 else None
        if rng.random() < 0.5:
            step = rng.uniform(1.5, 3.0)
            points = _snake(_lattice(CITIES[ci], step))
            radius = float(max(1.0, round(step * rng.uniform(0.8, 1.3))))
            gap = HOUR / (_loguniform(rng, 40, 300) * self.scale)
            t = self.start + rng.uniform(0, gap)
            i = 0
            while t < self.end:
                if window is None or window[0] <= _ist_hour(t) < window[1]:
                    lat, lon = points[i % len(points)]
                    self.sink.search(rng, bap, t, _gps(lat, lon), radius, via(), user())
                    i += 1
                t += gap * (1 + rng.uniform(-0.2, 0.2))
            style = "commuter+sweep"
        else:
            locations = self.hotspots(rng, ci, rng.randint(3, 10))
            radius = rng.choice((1.0, 2.0, 3.0))
            spots = [(_gps(x.lat, x.lon), radius) for x in locations]
            period = round(rng.uniform(60, 300) / 5) * 5
            self.poll(rng, bap, spots, period, via, user, window)
            style = f"commuter+poll/{period:g}s"
        self.done(BapTruth(bap, "hidden", "medium", scrapers, style))

    # -- all of it -------------------------------------------------------------------------

    def run(self, sweepers: int, pollers: int, low_and_slow: int, hidden: int) -> Traffic:
        rng = random.Random(f"{self.seed}:names")
        roles: list[tuple[str, str, str]] = []  # (label, size, style)
        roles += [("honest", "large", "commuter")] * 3
        roles += [("honest", "medium", "commuter")] * 7 + [("honest", "medium", "map")]
        roles += [("honest", "small", "commuter")] * 17
        roles += [("honest", "small", "fleet")] * 2 + [("honest", "small", "telematics")]
        roles += [("sweeper", "scraper", "")] * sweepers
        roles += [("poller", "scraper", "")] * pollers
        roles += [("low_and_slow", "scraper", "")] * low_and_slow
        roles += [("hidden", "medium", "commuter")] * hidden
        names = [p + s for p in _PREFIXES for s in _SUFFIXES]
        picked = rng.sample(names, min(len(names), len(roles)))
        picked += [f"app{i}" for i in range(len(roles) - len(picked))]
        counters: dict[str, int] = {}
        for (label, size, style), name in zip(roles, picked, strict=True):
            n = counters[f"{label}/{size}/{style}"] = counters.get(f"{label}/{size}/{style}", 0) + 1
            key = f"{size}:{style}:{n}"
            bap = f"{name}.example.in"
            if label == "honest":
                self.app(self.plan_app(bap, size, style, key), key)
                self.done(BapTruth(bap, "honest", size, frozenset(), style))
            elif label == "sweeper":
                self.sweeper(bap, str(n))
            elif label == "poller":
                self.poller(bap, str(n))
            elif label == "low_and_slow":
                self.low_and_slow(bap, str(n))
            else:
                self.hidden(bap, str(n))
        baps = dict(sorted(self.baps.items()))
        return Traffic(self.start, self.end, baps, self.sink.sorted())


def generate(
    *,
    seed: int = 7,
    hours: float = 24.0,
    start: float = DEFAULT_START,
    scale: float = 1.0,
    sweepers: int = 6,
    pollers: int = 6,
    low_and_slow: int = 8,
    hidden: int = 3,
    progress: Callable[[int], None] | None = None,
) -> Traffic:
    """``hours`` of traffic from ``start`` (unix seconds) with its ground truth, deterministic
    for a seed. ``progress`` is called with 1 each time a BAP is done (there are 31 apps plus
    the scrapers)."""
    if hours <= 0 or scale <= 0:
        raise ValueError("hours and scale must be positive")
    generator = _Generator(
        seed=seed, start=start, end=start + hours * HOUR, scale=scale, progress=progress
    )
    return generator.run(sweepers, pollers, low_and_slow, hidden)


APPS = 31
"""Honest apps (3 large, 8 medium, 20 small), not counting hidden scrapers' hosts."""


# -- reading it back --------------------------------------------------------------------


def _event(item: dict[str, Any], via_default: str) -> Event:
    at = parse_at(item["at"])
    user = item.get("user_ref") or ""
    if item["type"] == "search":
        query = item["search"]
        lat, lon = (float(x) for x in query["gps"].split(","))
        via = item.get("via") or via_default
        return Search(at, lat, lon, float(query["radius_km"]), via, user)
    return Funnel(at, FunnelKind(item["type"]), item["bpp_id"], item["location_id"], user)


def to_events(wire: Iterable[dict[str, Any]], via_default: str = "") -> list[Event]:
    """Wire events as ``uei.antiabuse.scraping.events`` values, in the same order (the BAP id is
    dropped: see ``events_by_bap``). ``user`` is the raw user_ref, not a keyed token."""
    return [_event(item, via_default) for item in wire]


def events_by_bap(wire: Iterable[dict[str, Any]], via_default: str = "") -> dict[str, list[Event]]:
    """``to_events`` grouped by BAP id."""
    found: dict[str, list[Event]] = {}
    for item in wire:
        found.setdefault(item["bap_id"], []).append(_event(item, via_default))
    return found


def truth_json(traffic: Traffic) -> dict[str, Any]:
    """The ground truth as JSON-able data (what ``--truth`` writes)."""
    return {
        "start": traffic.start,
        "end": traffic.end,
        "baps": {
            b.bap_id: {
                "label": b.label,
                "size": b.size,
                "style": b.style,
                "scraper_users": sorted(b.scraper_users),
            }
            for b in traffic.baps.values()
        },
    }


def truth_from_json(data: dict[str, Any]) -> dict[str, BapTruth]:
    return {
        bap: BapTruth(bap, v["label"], v["size"], frozenset(v["scraper_users"]), v.get("style", ""))
        for bap, v in data["baps"].items()
    }


# -- command line -----------------------------------------------------------------------


def _start(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        pass
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=IST)
    return parsed.timestamp()


@click.command()
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option("--hours", type=float, default=24.0, show_default=True, help="Hours of traffic.")
@click.option(
    "--start",
    default="2026-11-02T00:00:00+05:30",
    show_default=True,
    help="First instant: RFC 3339 (IST when no offset is given) or unix seconds.",
)
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiplies the honest apps' volumes and the sweep rates.",
)
@click.option("--sweepers", type=int, default=6, show_default=True, help="Lattice sweepers.")
@click.option("--pollers", type=int, default=6, show_default=True, help="Hotspot pollers.")
@click.option(
    "--low-and-slow", type=int, default=8, show_default=True, help="Scrapers under quota."
)
@click.option(
    "--hidden", type=int, default=3, show_default=True, help="Medium apps hiding a scraper."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Wire events as JSON lines (stdout when not given).",
)
@click.option(
    "--truth",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ground truth as JSON (default: OUT with the suffix .truth.json, if --out is given).",
)
def main(
    seed: int,
    hours: float,
    start: str,
    scale: float,
    sweepers: int,
    pollers: int,
    low_and_slow: int,
    hidden: int,
    out: Path | None,
    truth: Path | None,
) -> None:
    """Generate search traffic with ground truth: write the wire events (the items of
    POST /abuse/events) as JSON lines, the truth as JSON, and counts per label to stderr."""
    began = time.perf_counter()
    total = APPS + sweepers + pollers + low_and_slow + hidden
    with click.progressbar(length=total, label="generating", file=sys.stderr) as bar:
        traffic = generate(
            seed=seed,
            hours=hours,
            start=_start(start),
            scale=scale,
            sweepers=sweepers,
            pollers=pollers,
            low_and_slow=low_and_slow,
            hidden=hidden,
            progress=bar.update,
        )
    took = time.perf_counter() - began
    encoder = msgspec.json.Encoder()
    target = out.open("wb") if out is not None else sys.stdout.buffer
    try:
        with click.progressbar(traffic.events, label="writing", file=sys.stderr) as events:
            for event in events:
                target.write(encoder.encode(event) + b"\n")
    finally:
        if out is not None:
            target.close()
        else:
            target.flush()
    if truth is None and out is not None:
        truth = out.with_suffix(".truth.json")
    if truth is not None:
        truth.write_bytes(msgspec.json.format(encoder.encode(truth_json(traffic))))
    click.echo(f"generated {len(traffic.events)} events in {took:.1f} s", err=True)
    click.echo(
        f"{'label':<13}{'baps':>6}{'events':>9}{'search':>9}{'select':>8}{'init':>7}"
        f"{'confirm':>8}{'cancel':>7}{'scraping':>9}",
        err=True,
    )
    for label, row in traffic.counts().items():
        click.echo(
            f"{label:<13}{row['baps']:>6}{row['events']:>9}{row['search']:>9}{row['select']:>8}"
            f"{row['init']:>7}{row['confirm']:>8}{row['cancel']:>7}{row['scraping']:>9}",
            err=True,
        )
    if truth is not None:
        click.echo(f"truth: {truth}", err=True)


if __name__ == "__main__":
    main()
