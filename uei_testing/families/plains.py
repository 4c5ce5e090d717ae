"""Family ``plains``: a district of the Indo-Gangetic plains on a foggy winter weekday (a
Tuesday in January, IST).

A district town on the near bank of a wide river (1.0-2.2 km of water, its centre line
meandering gently): an old walled bazaar (1-2 km in radius) where search density is highest,
a civil lines (2-4 km out, the district hospital and its ambulance depot inside it), a
railway station with its railway colony, 3-5 residential neighbourhoods, 3-6 marriage halls
and a wholesale grain market (the mandi, 2.5-4.5 km out), and a cantonment (1.2-2 km in
radius, 3-5.5 km out) whose interior nobody searches and where no charger stands. One road
bridge crosses the river near the town and a rail bridge 1.5-3 km along from it; the far bank
is a flood plain 5-10 km wide with no chargers and no searches but along the bridge's
approach road. A sugar-mill belt of 8-14 villages 10-30 km out, each with its mill and a
cane-truck yard, strung along 3-4 state highways from the town. A six-lane access-controlled
expressway passes 12-20 km from the town on the side away from the river (nearly parallel to
it, a few gentle bends), with 2-3 interchanges (each with a link road to the town), 2 toll
plazas and 2 wayside amenities (food courts with many chargers); an inland container depot
(the dedicated freight corridor's logistics terminal) 1.5-3 km off one interchange with an
electric-truck charging yard in rows of bays, and a freight route from it to the mandi; an
engineering university 6-10 km out on its own road. The expressway runs on to 3-5 far cities
150-500 km away (at least one each way) for the national apps. Distances and bearings are
seeded, so places move with the seed; every road bends round the cantonment, and a vehicle
only joins the expressway at an interchange. 70-120 charging sites owned by 6-9 CPOs
(``cpo-<name>.plains.example``): the expressway amenity operator's (``cpo-wayside``), the
ICD yard operator's (``cpo-icdyard``), the sugar cooperative's at the mills
(``cpo-sugarcoop``) and 3-6 public CPOs' (one of them runs the hospital's depot).

The day: dense fog 04:30-10:30 (highway traffic slows to 30-50 km/h, head units and trucks
refresh two or three times as often, people search a little more each time and trips start
later; the night and morning trains run hours late); office and shop hours 10:00-20:00 with
the bazaar's evening peak 17:00-21:00; a wedding-season evening (processions 19:00-24:00 crowd
the marriage halls); the mandi's trucks and traders at night 22:00-04:00; the university's
classes change on the hour 09:00-16:00.

Honest BAPs: a national aggregator (70-85% of its own traffic in the far cities); two or
three city apps of different sizes; two or three tiny new apps (under 30 searches a day); a
university student app (bursts at the class changes); the hospital's ambulance fleet console
(its depot's chargers every 10 minutes on the clock around the clock, booking 1 in 20); the
ICD yard's console (its electric-truck bays every 5 minutes on the clock 20:00-06:00, booking
most of those, and every 30 minutes by day); the sugar cooperative's console (the mills'
chargers every 15 minutes on the clock 06:00-22:00, booking 1 in 50); an expressway bus
operator (each bus trip a transaction, refreshing every 8-15 km, a wait of 20-40 minutes at
an amenity refreshing that spot every 3-6 minutes, one booking per 2-4 trips); an
electric-truck fleet's telematics (trucks on the expressway and the freight route, a
transaction per trip, refreshing every 5-10 km and every 2-4 km in the fog, queueing at a
toll plaza refreshing one spot); two brands of in-car head units driving the road network
(brand A through the gateway that reports transaction ids, one per trip, 5-10% of trips
book; brand B's gateway never reports them); a taxi-union app at the railway station (drivers
waiting for trains, late ones in the fog, poll from the stand every few minutes and book the
station's chargers often); 3-5 CPOs' own apps booking their own chargers.

Scrapers: a square lattice 2-3 km apart turned by a seeded angle over the whole district's
land on the town's side of the river (town, mills, expressway), visited along a Hilbert curve
in one of its eight orientations from a seeded start, exact nodes on odd seeds and 30-80 m off
them on even ones, hidden in a city app at 5-15% of its searches (``hidden_sweep``); a parked
head unit (a transaction per trip, like a head unit) driving the real roads from one rival
CPO's site to the next and waiting at each for 30-90 minutes refreshing that spot every 2-5
minutes, visiting all of that CPO's sites over the day and never booking (``poller``); a poll
of a random 40-70% of the amenities' and the ICD yard's chargers each round, gaps drawn in
8-20 minutes, hidden in the national aggregator (``hidden_poll``); a sweep of one lattice
over the town split over three BAP keys, key k taking rows k, k+3, k+6... (``sweeper``
each); a poller of the marriage halls' and the bazaar's chargers only 18:00-01:00, its radius
drawn per search in 0.5-3 km (``poller``); a booking scraper over the town booking 2-4% of its
searches and cancelling half its bookings (``booking_scraper``); a fog-hours scraper of
chargers' exact spots one every 4-9 minutes 04:30-10:30 only (``low_and_slow``), and on some
seeds a second one riding a tiny new app's key at one search every 10-20 minutes all day
(``low_and_slow``). Hidden scrapers send no user reference.

Gateways: ``bg.plains.example`` always reports transaction ids, ``bg2`` never, ``bg3`` as the
app chooses; an app uses one gateway or splits its traffic over two. User references from
all, some or none of an app's users.

Written by a separate session from a brief, independently of the detector's rules, as a
held-out family (never scored while it was written).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from uei.antiabuse.scraping.events import FunnelKind, Search
from uei_testing.families.world import (
    F64,
    HOUR,
    IST_OFFSET,
    KM_LAT,
    Sites,
    World,
    arrivals,
    ist_days,
    ist_hours,
    share_of,
)

NAME = "plains"
GATEWAYS = ("bg.plains.example", "bg2.plains.example", "bg3.plains.example")
"""``bg`` always reports transaction ids, ``bg2`` never, ``bg3`` as the app chooses."""
WAYSIDE_CPO = "cpo-wayside.plains.example"
"""The expressway amenity operator: the food courts' chargers."""
ICD_CPO = "cpo-icdyard.plains.example"
"""The inland container depot's operator: the electric-truck bays."""
COOP_CPO = "cpo-sugarcoop.plains.example"
"""The sugar cooperative: the chargers at the mills."""
PUBLIC_NAMES = ("doabvolt", "kohrawatt", "gangaplug", "sarsoncharge", "rabiamp", "khadirpower")
FOG = (4.5, 10.5)
BAZAAR_PEAK = (17.0, 21.0)
WEDDINGS = (19.0, 24.0)
MANDI_NIGHT = (22.0, 28.0)
"""22:00-04:00 (past 24 runs into the next day)."""
CLASSES = tuple(float(h) for h in range(9, 17))
"""Classes change on the hour 09:00-16:00."""
ICD_NIGHT = (20.0, 30.0)
"""The truck yard's night charging, 20:00-06:00."""
COOP_HOURS = (6.0, 22.0)
HALLS_POLL = (18.0, 25.0)
"""The halls poller's hours, 18:00-01:00."""
FAR_KM = 100.0
"""Anything further than this from the town is in a far city (or on the way to one)."""
# fmt: off
DAY = (0.35, 0.2, 0.12, 0.08, 0.08, 0.1, 0.18, 0.3, 0.45, 0.62, 1.0, 1.35,
       1.3, 1.2, 1.12, 1.12, 1.22, 1.6, 1.85, 1.95, 1.75, 1.2, 0.8, 0.55)
"""A January weekday in the town (IST hours): a late start in the fog, shops 10:00-20:00,
the bazaar's and the weddings' evening."""
ROADS = (0.3, 0.22, 0.2, 0.22, 0.25, 0.2, 0.22, 0.3, 0.4, 0.55, 1.15, 1.6,
         1.45, 1.25, 1.2, 1.2, 1.3, 1.45, 1.35, 1.15, 0.9, 0.7, 0.5, 0.38)
"""When vehicles set out: few in the fog, a rush once it lifts."""
FREIGHT = (1.3, 1.3, 1.2, 1.1, 0.9, 0.7, 0.6, 0.6, 0.6, 0.7, 0.9, 1.0,
           1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.2, 1.3, 1.4, 1.4)
"""Trucks run round the clock, more at night."""
# fmt: on
SPEEDS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "expressway": ((80.0, 100.0), (30.0, 50.0)),
    "highway": ((45.0, 65.0), (30.0, 45.0)),
    "town": ((15.0, 28.0), (10.0, 18.0)),
    "bridge": ((25.0, 40.0), (15.0, 25.0)),
    "lane": ((10.0, 20.0), (8.0, 14.0)),
}
"""km/h clear and in the fog, by the kind of road."""
KIND = {
    "expressway": "expressway",
    "link": "highway",
    "access": "highway",
    "freight": "highway",
    "highway": "highway",
    "approach": "highway",
    "town": "town",
    "bridge": "bridge",
    "lane": "lane",
}
Point = tuple[float, float]
Hub = tuple[float, float, float, float]
"""(x km east, y km north, spread km, weight)."""
Bool = npt.NDArray[np.bool_]


# -- shapes in the plane ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spot:
    x: float
    y: float
    r: float

    def near(self, x: F64, y: F64, margin: float = 0.0) -> Bool:
        return np.asarray(np.hypot(x - self.x, y - self.y) <= self.r + margin, dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class Line:
    """A polyline in km (east, north) and the distance along it at each vertex."""

    x: F64
    y: F64
    s: F64

    @staticmethod
    def of(points: Sequence[Point]) -> Line:
        xs, ys = [points[0][0]], [points[0][1]]
        for px, py in points[1:]:
            if math.hypot(px - xs[-1], py - ys[-1]) > 1e-9:
                xs.append(px)
                ys.append(py)
        x, y = np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)
        s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
        return Line(x, y, np.asarray(s, dtype=np.float64))

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def points(self) -> list[Point]:
        return list(zip(self.x.tolist(), self.y.tolist(), strict=True))

    def at(self, d: F64 | float) -> tuple[F64, F64]:
        q = np.clip(np.atleast_1d(np.asarray(d, dtype=np.float64)), 0.0, self.length)
        return (
            np.asarray(np.interp(q, self.s, self.x), dtype=np.float64),
            np.asarray(np.interp(q, self.s, self.y), dtype=np.float64),
        )

    def spot(self, d: float) -> Point:
        x, y = self.at(d)
        return float(x[0]), float(y[0])

    def gap(self, x: F64 | float, y: F64 | float) -> F64:
        """How far each point is from the line."""
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))[:, None]
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))[:, None]
        if self.x.size == 1:
            return np.asarray(np.hypot(px - self.x[0], py - self.y[0])[:, 0], dtype=np.float64)
        ax, ay = self.x[None, :-1], self.y[None, :-1]
        dx, dy = np.diff(self.x)[None, :], np.diff(self.y)[None, :]
        f = np.clip(((px - ax) * dx + (py - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0, 1)
        out = np.hypot(px - ax - f * dx, py - ay - f * dy).min(axis=1)
        return np.asarray(out, dtype=np.float64)

    def sample(self, step: float) -> tuple[F64, F64]:
        return self.at(np.linspace(0.0, self.length, max(2, math.ceil(self.length / step) + 1)))


@dataclass(frozen=True, slots=True)
class River:
    """A river in a frame turned by ``bearing``: ``u`` along it, ``v`` across it towards the
    far bank (the town is at the origin, on the near bank). Its centre line is ``v = off + amp
    sin(2 pi u / wave + phase)``; ``width`` km of water; the flood plain ``plain`` km wide
    beyond the far bank; all of it within ``span`` km of the town along the river."""

    bearing: float
    off: float
    amp: float
    wave: float
    phase: float
    width: float
    plain: float
    span: float

    def frame(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        c, s = math.cos(self.bearing), math.sin(self.bearing)
        return (
            np.asarray(px * c + py * s, dtype=np.float64),
            np.asarray(-px * s + py * c, dtype=np.float64),
        )

    def point(self, u: float, v: float) -> Point:
        c, s = math.cos(self.bearing), math.sin(self.bearing)
        return u * c - v * s, u * s + v * c

    def centre(self, u: float) -> float:
        return self.off + self.amp * math.sin(2 * math.pi * u / self.wave + self.phase)

    def across(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        """Each point's ``u`` and how far it is across the river from its centre line."""
        u, v = self.frame(x, y)
        mid = self.off + self.amp * np.sin(2 * np.pi * u / self.wave + self.phase)
        return u, np.asarray(v - mid, dtype=np.float64)

    def wet(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> Bool:
        u, a = self.across(x, y)
        return np.asarray(
            (np.abs(a) <= self.width / 2 + margin) & (np.abs(u) <= self.span), dtype=np.bool_
        )

    def on_plain(self, x: F64 | float, y: F64 | float) -> Bool:
        """On the flood plain (the far bank)."""
        u, a = self.across(x, y)
        h = self.width / 2
        return np.asarray(
            (a > h) & (a <= h + self.plain) & (np.abs(u) <= self.span), dtype=np.bool_
        )

    def near_side(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> Bool:
        """On the town's side of the river, at least ``margin`` km from the water."""
        u, a = self.across(x, y)
        return np.asarray((a < -self.width / 2 - margin) | (np.abs(u) > self.span), dtype=np.bool_)


def _polar(r: float, a: float) -> Point:
    return r * math.cos(a), r * math.sin(a)


def _dist(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _bend(a: Point, b: Point, off: float) -> Point:
    """The midpoint of a-b pushed ``off`` km to one side."""
    d = _dist(a, b)
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    return mx - off * (b[1] - a[1]) / d, my + off * (b[0] - a[0]) / d


def _skirt(points: Sequence[Point], c: Spot, clear: float) -> list[Point]:
    """A road bent round the disc ``c``: wherever a leg cuts within ``clear`` of it, a vertex
    pushed out beside it."""

    def leg(a: Point, b: Point, depth: int) -> list[Point]:
        dx, dy = b[0] - a[0], b[1] - a[1]
        f = ((c.x - a[0]) * dx + (c.y - a[1]) * dy) / max(dx * dx + dy * dy, 1e-12)
        f = min(1.0, max(0.0, f))
        qx, qy = a[0] + f * dx, a[1] + f * dy
        d = math.hypot(qx - c.x, qy - c.y)
        if d >= c.r + clear or depth > 4:
            return [b]
        if d < 1e-6:
            n = math.hypot(dx, dy)
            ux, uy = -dy / n, dx / n
        else:
            ux, uy = (qx - c.x) / d, (qy - c.y) / d
        p = (c.x + (c.r + 1.4 * clear) * ux, c.y + (c.r + 1.4 * clear) * uy)
        return [*leg(a, p, depth + 1), *leg(p, b, depth + 1)]

    out = [points[0]]
    for b in points[1:]:
        out += leg(out[-1], b, 0)
    return out


# -- geography ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plains:
    """The district in km east (``x``) and north (``y``) of the bazaar's centre."""

    lat: float
    lon: float
    km_lon: float
    bazaar: Spot
    river: River
    bridge: Line
    """The road bridge's deck, near bank to far bank."""
    rail_bridge: Line
    approach: Line
    """The bridge's approach road over the flood plain, the far bank to the plain's edge."""
    cantonment: Spot
    civil: Spot
    hospital: Point
    station: Point
    colony: Spot
    neighbourhoods: tuple[Hub, ...]
    halls: tuple[Point, ...]
    mandi: Point
    campus: Spot
    villages: tuple[Spot, ...]
    mills: tuple[Point, ...]
    """Each village's mill (and cane-truck yard), on its state highway."""
    expressway: Line
    """From the far cities on one side, past the district, to those on the other."""
    interchanges: tuple[float, ...]
    tolls: tuple[float, float]
    amenities: tuple[float, float]
    """Distances along the expressway."""
    icd: Point
    icd_interchange: int
    far: tuple[Hub, ...]
    roads: tuple[tuple[str, Line], ...]
    """Every road by its kind (``expressway``, ``link``, ``access``, ``freight``, ``highway``,
    ``town``, ``bridge``, ``approach``)."""
    reach: float
    """The district's radius round the town."""

    # -- coordinates ------------------------------------------------------------------------

    def ll(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        px = np.asarray(x, dtype=np.float64)
        py = np.asarray(y, dtype=np.float64)
        return (
            np.asarray(self.lat + py / KM_LAT, dtype=np.float64),
            np.asarray(self.lon + px / self.km_lon, dtype=np.float64),
        )

    def xy(self, lat: F64 | float, lon: F64 | float) -> tuple[F64, F64]:
        la = np.asarray(lat, dtype=np.float64)
        lo = np.asarray(lon, dtype=np.float64)
        return (
            np.asarray((lo - self.lon) * self.km_lon, dtype=np.float64),
            np.asarray((la - self.lat) * KM_LAT, dtype=np.float64),
        )

    # -- where things are -------------------------------------------------------------------

    def spot_on(self, d: float) -> Point:
        """A point on the expressway ``d`` km along it."""
        return self.expressway.spot(d)

    def closed(self, x: F64 | float, y: F64 | float) -> Bool:
        """Where nobody searches: the cantonment, the water (but the road bridge's deck), the
        flood plain (but its approach road)."""
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        wet = self.river.wet(px, py) & (self.bridge.gap(px, py) > 0.05)
        plain = self.river.on_plain(px, py) & (self.approach.gap(px, py) > 0.3)
        return np.asarray(self.cantonment.near(px, py) | wet | plain, dtype=np.bool_)

    def land(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> Bool:
        """The town's side of the river, ``margin`` km clear of the water and the cantonment."""
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        return np.asarray(
            self.river.near_side(px, py, margin) & ~self.cantonment.near(px, py, margin),
            dtype=np.bool_,
        )

    def people(self, rng: np.random.Generator, n: int, hubs: Sequence[Hub]) -> tuple[F64, F64]:
        """``n`` points around ``hubs`` (drawn by weight), none where nobody searches."""
        if n <= 0:
            return np.zeros(0), np.zeros(0)
        hs = np.asarray(hubs, dtype=np.float64)
        xs: list[F64] = []
        ys: list[F64] = []
        got = 0
        while got < n:
            m = 2 * (n - got) + 8
            pick = rng.choice(len(hs), size=m, p=hs[:, 3] / hs[:, 3].sum())
            x = hs[pick, 0] + rng.normal(0.0, 1.0, m) * hs[pick, 2]
            y = hs[pick, 1] + rng.normal(0.0, 1.0, m) * hs[pick, 2]
            ok = ~self.closed(x, y)
            xs.append(x[ok])
            ys.append(y[ok])
            got += int(ok.sum())
        return np.concatenate(xs)[:n], np.concatenate(ys)[:n]

    def roadside(self, rng: np.random.Generator, n: int) -> tuple[F64, F64]:
        """``n`` points along the bridge's approach road (the dhabas and the bus stops on it)."""
        xs: list[float] = []
        ys: list[float] = []
        while len(xs) < n:
            x, y = self.approach.spot(float(rng.uniform(0.3, self.approach.length - 0.5)))
            x, y = x + float(rng.normal(0, 0.08)), y + float(rng.normal(0, 0.08))
            if not self.closed(x, y)[0]:
                xs.append(x)
                ys.append(y)
        return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)

    def town_hubs(self) -> tuple[Hub, ...]:
        """Where the town's people are by day."""
        b, c, k = self.bazaar, self.civil, self.colony
        return (
            (0.0, 0.0, 0.5 * b.r, 2.4),
            (c.x, c.y, 0.6 * c.r, 0.8),
            (k.x, k.y, 0.6 * k.r, 0.5),
            (self.station[0], self.station[1], 0.2, 0.3),
            (self.hospital[0], self.hospital[1], 0.25, 0.3),
            *self.neighbourhoods,
            (self.mandi[0], self.mandi[1], 0.4, 0.12),
        )

    def outer_hubs(self) -> tuple[Hub, ...]:
        """The district outside the town: the campus, the villages, the ICD, the amenities."""
        cs = self.campus
        ax = [self.spot_on(a) for a in self.amenities]
        return (
            (cs.x, cs.y, 0.5 * cs.r, 0.3),
            *((v.x, v.y, 0.5 * v.r, 0.12) for v in self.villages),
            (self.icd[0], self.icd[1], 0.4, 0.08),
            *((px, py, 0.15, 0.1) for px, py in ax),
        )


def geography(seed: int) -> Plains:
    """The district of a seed."""
    rng = np.random.default_rng([seed, *b"plains-geography"])

    def u(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi))

    lat0, lon0 = u(25.2, 28.4), u(77.8, 85.2)
    km_lon = 111.320 * math.cos(math.radians(lat0))
    for _ in range(2000):
        got = _try_geography(rng, u, lat0, lon0, km_lon)
        if got is not None:
            return got
    raise RuntimeError(f"no plains geography for seed {seed}")


def _try_geography(
    rng: np.random.Generator,
    u: Callable[[float, float], float],
    lat0: float,
    lon0: float,
    km_lon: float,
) -> Plains | None:
    rb = u(1.0, 2.0)
    bazaar = Spot(0.0, 0.0, rb)
    width = u(1.0, 2.2)
    amp = u(0.2, 0.7)
    river = River(
        u(0, 2 * math.pi),
        rb + u(0.4, 1.2) + width / 2 + amp,
        amp,
        u(14.0, 30.0),
        u(0, 2 * math.pi),
        width,
        u(5.0, 10.0),
        60.0,
    )
    away = river.bearing - math.pi / 2
    """Straight away from the river."""

    def side(x: float, y: float, margin: float) -> bool:
        return bool(river.near_side(x, y, margin)[0])

    def toward(spread: float) -> float:
        """A bearing on the town's side: within ``spread`` of straight away from the river."""
        return away + u(-spread, spread)

    # the cantonment, the civil lines, the station, the hospital
    cr = u(1.2, 2.0)
    cant = Spot(*_polar(u(3.0, 5.5), toward(2.0)), cr)
    if not side(cant.x, cant.y, cr + 0.3) or math.hypot(cant.x, cant.y) - cr < rb + 0.4:
        return None

    def clear(x: float, y: float, margin: float, spots: Sequence[Spot] = (cant,)) -> bool:
        return side(x, y, margin) and all(
            math.hypot(x - s.x, y - s.y) > s.r + margin for s in spots
        )

    civr = u(0.7, 1.2)
    civil = Spot(*_polar(u(2.2, 4.0), toward(2.2)), civr)
    if not clear(civil.x, civil.y, civr + 0.3) or math.hypot(civil.x, civil.y) < rb + 0.4 * civr:
        return None
    ha = u(0, 2 * math.pi)
    hospital = (civil.x + 0.5 * civr * math.cos(ha), civil.y + 0.5 * civr * math.sin(ha))
    station = _polar(rb + u(0.2, 1.0), toward(2.4))
    if not clear(*station, 0.5, (cant, civil)):
        return None
    cb = math.atan2(station[1], station[0])
    colony = Spot(*_polar(math.hypot(*station) + u(0.4, 0.7), cb + u(-0.3, 0.3)), u(0.5, 0.8))
    if not clear(colony.x, colony.y, colony.r + 0.1):
        return None
    # neighbourhoods, marriage halls, the mandi, the campus
    hoods: list[Hub] = []
    for _k in range(int(rng.integers(3, 6))):
        hx, hy = _polar(u(1.6, 4.5), toward(2.4))
        if clear(hx, hy, 0.4):
            hoods.append((hx, hy, u(0.5, 1.0), u(0.6, 1.3)))
    if len(hoods) < 3:
        return None
    halls: list[Point] = []
    want = int(rng.integers(3, 7))
    for _k in range(40):
        hx, hy = _polar(u(1.6, 5.0), toward(2.5))
        if (
            clear(hx, hy, 0.35)
            and math.hypot(hx, hy) > rb + 0.2
            and all(_dist((hx, hy), p) > 0.8 for p in halls)
        ):
            halls.append((hx, hy))
        if len(halls) == want:
            break
    if len(halls) < want:
        return None
    mandi = _polar(u(2.5, 4.5), toward(2.2))
    if not clear(*mandi, 0.6) or any(_dist(mandi, p) < 0.8 for p in halls):
        return None
    camr = u(0.6, 1.0)
    campus = Spot(*_polar(u(6.0, 10.0), toward(1.6)), camr)
    if not clear(campus.x, campus.y, camr + 0.8):
        return None

    # the expressway: a few gentle bends past the district, on to the far cities
    e = u(13.5, 18.5)
    tilt = u(-0.16, 0.16)
    du, dv = math.cos(tilt), math.sin(tilt)
    pu, pv = e * math.sin(tilt), -e * math.cos(tilt)
    """The nearest point to the town (river frame), the road's direction (du, dv)."""

    def along(tau: float, off: float = 0.0) -> Point:
        return river.point(pu + tau * du - off * dv, pv + tau * dv + off * du)

    control = [(-48.0, u(-1.5, 1.5)), (-24.0, u(-1.0, 1.0)), (0.0, 0.0)]
    control += [(24.0, u(-1.0, 1.0)), (48.0, u(-1.5, 1.5))]
    taus = [c[0] for c in control]
    offs = [c[1] for c in control]

    def stretch(tau: float) -> Point:
        return along(tau, float(np.interp(tau, taus, offs)))

    def spaced(n: int, lo: float, hi: float, gap: float, taken: list[float]) -> list[float] | None:
        out: list[float] = []
        for _k in range(200):
            t = u(lo, hi)
            if all(abs(t - o) >= gap for o in [*taken, *out]):
                out.append(t)
            if len(out) == n:
                return sorted(out)
        return None

    ix = spaced(int(rng.integers(2, 4)), -26.0, 26.0, 9.0, [])
    if ix is None:
        return None
    tolls = spaced(2, -42.0, 42.0, 4.0, ix)
    if tolls is None:
        return None
    stops = spaced(2, -42.0, 42.0, 4.0, ix + tolls)
    if stops is None:
        return None
    marks = sorted({*taus, *ix, *tolls, *stops})
    district = [stretch(t) for t in marks]
    far: list[Hub] = []
    ends: dict[int, list[tuple[float, Point]]] = {-1: [], 1: []}
    n_far = int(rng.integers(3, 6))
    for k in range(n_far):
        sgn = (-1, 1)[k] if k < 2 else int(rng.choice([-1, 1]))
        length = u(160.0, 480.0) - 48.0
        a = u(0.0, 0.25)
        ang = tilt - sgn * a
        fu = (pu + sgn * 48 * du) + sgn * length * math.cos(ang)
        fv = (pv + sgn * 48 * dv) + sgn * length * math.sin(ang)
        p = river.point(fu, fv)
        if not 150.0 <= math.hypot(*p) <= 500.0:
            return None
        ends[sgn].append((length, p))
        far.append((p[0], p[1], u(2.0, 5.0), u(0.6, 1.4)))
    west = [p for _, p in sorted(ends[-1], reverse=True)]
    east = [p for _, p in sorted(ends[1])]
    expressway = Line.of([*west, *district, *east])

    def s_of(tau: float) -> float:
        return _arc(expressway, stretch(tau))

    ix_s = tuple(s_of(t) for t in ix)
    toll_s = (s_of(tolls[0]), s_of(tolls[1]))
    stop_s = (s_of(stops[0]), s_of(stops[1]))
    near = float(expressway.gap(0.0, 0.0)[0])
    if not 12.0 <= near <= 20.0:
        return None
    dx, dy = expressway.at(np.arange(s_of(-48.0), s_of(48.0), 0.5))
    if not river.near_side(dx, dy, 1.0).all() or cant.near(dx, dy, 1.0).any():
        return None
    # the ICD off one interchange, its road to the interchange, the freight route to the mandi
    k_icd = int(rng.integers(0, len(ix)))
    ip = stretch(ix[k_icd])
    side_of = float(rng.choice([-1.0, 1.0]))
    icd_off = float(np.interp(ix[k_icd], taus, offs)) + side_of * u(1.5, 3.0)
    icd = along(ix[k_icd] + u(-1.0, 1.0), icd_off)
    if _dist(icd, ip) > 3.2 or not clear(*icd, 1.0):
        return None

    # villages and their mills, strung along 3-4 state highways from the town
    villages: list[Spot] = []
    mills: list[Point] = []
    want = int(rng.integers(8, 15))
    for _k in range(800):
        vx, vy = _polar(u(10.0, 30.0), toward(2.3))
        vr = u(0.4, 0.9)
        mx, my = vx + u(-0.8, 0.8), vy + u(-0.8, 0.8)
        if not (clear(vx, vy, 2.0 + vr) and clear(mx, my, 2.0)):
            continue
        if min(expressway.gap(vx, vy)[0], expressway.gap(mx, my)[0]) < 1.5 + vr:
            continue
        if _dist((vx, vy), icd) < 3.5 or _dist((vx, vy), (campus.x, campus.y)) < 3.0:
            continue
        if any(_dist((vx, vy), (o.x, o.y)) < 3.5 for o in villages):
            continue
        if not 10.0 <= math.hypot(mx, my) <= 30.0:
            continue
        villages.append(Spot(vx, vy, vr))
        mills.append((mx, my))
        if len(villages) == want:
            break
    if len(villages) < want:
        return None
    order = sorted(range(want), key=lambda k: _turn(math.atan2(mills[k][1], mills[k][0]) - away))
    chains = int(rng.integers(3, 5))
    cuts = np.array_split(np.array(order), chains)
    centre: Point = (0.0, 0.0)
    roads: list[tuple[str, Line]] = [("expressway", expressway)]

    def road(kind: str, pts: Sequence[Point]) -> None:
        roads.append((kind, Line.of(_skirt(pts, cant, 0.25))))

    for cut in cuts:
        ks = sorted(cut.tolist(), key=lambda k: math.hypot(*mills[k]))
        pts: list[Point] = [centre]
        for k in ks:
            pts += [_bend(pts[-1], mills[k], u(-0.1, 0.1) * _dist(pts[-1], mills[k])), mills[k]]
        road("highway", pts)
    road(
        "highway", [centre, _bend(centre, (campus.x, campus.y), u(-0.8, 0.8)), (campus.x, campus.y)]
    )
    for t in ix:
        p = stretch(t)
        road("link", [centre, _bend(centre, p, u(-2.0, 2.0)), p])
    road("access", [icd, ip])
    road("freight", [icd, _bend(icd, mandi, u(-1.5, 1.5)), mandi])
    road("town", [centre, mandi])
    road("town", [centre, station])
    road("town", [centre, hospital])
    road("town", [centre, (civil.x, civil.y)])
    # the road bridge near the town, the rail bridge along from it
    ub = u(-1.5, 1.5)
    h = width / 2
    near_bank = river.point(ub, river.centre(ub) - h - 0.05)
    far_bank = river.point(ub, river.centre(ub) + h + 0.05)
    edge = river.point(ub, river.centre(ub) + h + river.plain + 0.5)
    bridge = Line.of([near_bank, far_bank])
    approach = Line.of([far_bank, edge])
    road("town", [centre, near_bank])
    roads.append(("bridge", bridge))
    roads.append(("approach", approach))
    ur = ub + float(rng.choice([-1.0, 1.0])) * u(1.5, 3.0)
    rail_bridge = Line.of(
        [river.point(ur, river.centre(ur) - h - 0.05), river.point(ur, river.centre(ur) + h + 0.05)]
    )
    plains = Plains(
        lat0,
        lon0,
        km_lon,
        bazaar,
        river,
        bridge,
        rail_bridge,
        approach,
        cant,
        civil,
        hospital,
        station,
        colony,
        tuple(hoods),
        tuple(halls),
        mandi,
        campus,
        tuple(villages),
        tuple(mills),
        expressway,
        ix_s,
        toll_s,
        stop_s,
        icd,
        k_icd,
        tuple(far),
        tuple(roads),
        max(max(math.hypot(*m) for m in mills) + 2.0, near + 6.0),
    )
    for kind, line in roads:
        if kind == "expressway":
            continue
        x, y = line.sample(0.05)
        if plains.closed(x, y).any() or cant.near(x, y, 0.15).any():
            return None
    return plains


def _turn(a: float) -> float:
    return math.remainder(a, 2 * math.pi)


def _arc(line: Line, p: Point) -> float:
    """The distance along ``line`` of its vertex at ``p``."""
    k = int(np.argmin(np.hypot(line.x - p[0], line.y - p[1])))
    return float(line.s[k])


# -- chargers -----------------------------------------------------------------------------------


GROUPS = (
    "bazaar",
    "town",
    "station",
    "hospital",
    "halls",
    "campus",
    "mandi",
    "mills",
    "icd",
    "amenity",
    "interchange",
    "far",
)


@dataclass(frozen=True, slots=True)
class Chargers:
    """The charging sites by group (see ``GROUPS``)."""

    groups: dict[str, Sites]
    cpos: tuple[str, ...]
    """The public CPOs (the three operators are ``WAYSIDE_CPO``, ``ICD_CPO``, ``COOP_CPO``)."""
    rival: str
    """The public CPO the parked head unit visits."""
    depot: str
    """The public CPO running the hospital's ambulance depot."""

    def of(self, *names: str) -> Sites:
        parts = [self.groups[n] for n in names]
        return Sites(
            [i for p in parts for i in p.ids],
            [c for p in parts for c in p.cpos],
            np.concatenate([p.lat for p in parts]),
            np.concatenate([p.lon for p in parts]),
        )

    @property
    def local(self) -> Sites:
        """Every site but the far cities'."""
        return self.of(*GROUPS[:-1])

    @property
    def every(self) -> Sites:
        return self.of(*GROUPS)

    @property
    def public(self) -> Sites:
        """The sites anyone books: not the depot's, not the truck yard's."""
        return self.of(
            "bazaar",
            "town",
            "station",
            "halls",
            "campus",
            "mandi",
            "mills",
            "amenity",
            "interchange",
        )

    def owned(self, cpo: str, sites: Sites | None = None) -> Sites:
        s = self.local if sites is None else sites
        keep = [k for k, o in enumerate(s.cpos) if o == cpo]
        return Sites([s.ids[k] for k in keep], [cpo] * len(keep), s.lat[keep], s.lon[keep])

    def total(self) -> int:
        return sum(len(s.ids) for s in self.groups.values())


def chargers(seed: int, g: Plains) -> Chargers:
    rng = np.random.default_rng([seed, *b"plains-chargers"])
    names = rng.permutation(PUBLIC_NAMES)[: int(rng.integers(3, 7))].tolist()
    cpos = tuple(f"cpo-{n}.plains.example" for n in names)
    rival, depot = cpos[0], cpos[1]
    while True:
        one = {
            "bazaar": int(rng.integers(4, 9)),
            "town": int(rng.integers(10, 19)),
            "station": int(rng.integers(2, 5)),
            "hospital": int(rng.integers(3, 7)),
            "campus": int(rng.integers(2, 5)),
            "mandi": int(rng.integers(2, 5)),
            "icd": int(rng.integers(10, 19)),
        }
        each = {
            "halls": [int(rng.integers(1, 3)) for _ in g.halls],
            "mills": [int(rng.integers(1, 4)) for _ in g.mills],
            "amenity": [int(rng.integers(6, 13)) for _ in g.amenities],
            "interchange": [int(rng.integers(1, 3)) for _ in g.interchanges],
            "far": [int(rng.integers(1, 3)) for _ in g.far],
        }
        if 70 <= sum(one.values()) + sum(map(sum, each.values())) <= 120:
            break
    xs: dict[str, F64] = {}
    ys: dict[str, F64] = {}

    def group(name: str, points: Sequence[Point], per: Sequence[int], spread: float) -> None:
        """``per[k]`` sites round ``points[k]``, none where nobody searches."""
        out_x: list[float] = []
        out_y: list[float] = []
        for (px, py), k in zip(points, per, strict=True):
            made = 0
            while made < k:
                x, y = px + float(rng.normal(0, spread)), py + float(rng.normal(0, spread))
                if g.land(x, y, 0.05)[0] and not g.closed(x, y)[0]:
                    out_x.append(x)
                    out_y.append(y)
                    made += 1
        xs[name], ys[name] = np.array(out_x), np.array(out_y)

    b = g.bazaar
    bx: list[float] = []
    by: list[float] = []
    while len(bx) < one["bazaar"]:
        x, y = float(rng.normal(0, 0.4 * b.r)), float(rng.normal(0, 0.4 * b.r))
        if math.hypot(x, y) < 0.9 * b.r and g.land(x, y, 0.05)[0]:
            bx.append(x)
            by.append(y)
    xs["bazaar"], ys["bazaar"] = np.array(bx), np.array(by)
    hubs = [(g.civil.x, g.civil.y), (g.colony.x, g.colony.y)]
    hubs += [(h[0], h[1]) for h in g.neighbourhoods]
    per = np.bincount(rng.integers(0, len(hubs), one["town"]), minlength=len(hubs)).tolist()
    group("town", hubs, per, 0.45)
    group("station", [g.station], [one["station"]], 0.04)
    group("hospital", [g.hospital], [one["hospital"]], 0.025)
    group("halls", g.halls, each["halls"], 0.04)
    group("campus", [(g.campus.x, g.campus.y)], [one["campus"]], 0.3 * g.campus.r)
    group("mandi", [g.mandi], [one["mandi"]], 0.12)
    group("mills", g.mills, each["mills"], 0.08)
    # the truck yard's bays: rows 12 m apart, bays 6 m apart along a row
    rows = int(rng.integers(3, 6))
    k = np.arange(one["icd"], dtype=np.float64)
    xs["icd"] = np.asarray(g.icd[0] + (k // rows) * 0.006, dtype=np.float64)
    ys["icd"] = np.asarray(g.icd[1] + (k % rows) * 0.012, dtype=np.float64)
    # the food courts just off the carriageway, the interchanges' chargers beside them
    courts = []
    for d in g.amenities:
        ax, ay = g.spot_on(d)
        bx2, by2 = g.spot_on(d + 0.2)
        n2 = math.hypot(bx2 - ax, by2 - ay)
        courts.append((ax - 0.09 * (by2 - ay) / n2, ay + 0.09 * (bx2 - ax) / n2))
    group("amenity", courts, each["amenity"], 0.025)
    links = []
    for d in g.interchanges:
        ax, ay = g.spot_on(d)
        f = 0.35 / math.hypot(ax, ay)
        links.append((ax * (1 - f), ay * (1 - f)))
    group("interchange", links, each["interchange"], 0.06)
    group("far", [(h[0], h[1]) for h in g.far], each["far"], 1.5)

    # owners: the rival gets 6-9 of the town's and the district's public sites
    public = ("bazaar", "town", "station", "halls", "campus", "mandi", "interchange")
    slots = [(name, j) for name in public for j in range(xs[name].size)]
    mine = {slots[j] for j in rng.permutation(len(slots))[: int(rng.integers(6, 10))].tolist()}
    others = cpos[1:]
    groups: dict[str, Sites] = {}
    for name in GROUPS:
        size = xs[name].size
        if name == "hospital":
            owners = [depot] * size
        elif name == "mills":
            owners = [COOP_CPO] * size
        elif name == "icd":
            owners = [ICD_CPO] * size
        elif name == "amenity":
            owners = [WAYSIDE_CPO] * size
        else:
            owners = [
                rival if (name, j) in mine else others[int(rng.integers(0, len(others)))]
                for j in range(size)
            ]
        lat, lon = g.ll(xs[name], ys[name])
        ids = [f"pl-{name}-{j:03d}" for j in range(size)]
        groups[name] = Sites(ids, owners, lat, lon)
    return Chargers(groups, cpos, rival, depot)


def _far(g: Plains, x: float, y: float) -> bool:
    """In a far city (or on the way to one)."""
    return math.hypot(x, y) > FAR_KM


# -- the road network ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    """A drive: the line driven and the kind of road of each of its legs."""

    line: Line
    kinds: tuple[str, ...]

    def where(self, p: Point) -> float:
        """The distance along the route of its vertex nearest ``p``."""
        return _arc(self.line, p)


@dataclass
class Network:
    """The roads as a graph: a vertex every half km or so in the district, joined only where
    roads meet (so the expressway only at its interchanges)."""

    g: Plains
    x: F64
    y: F64
    nbr: list[list[tuple[int, float, str]]]
    trees: dict[int, tuple[list[float], list[int], list[str]]] = field(default_factory=dict)

    @staticmethod
    def build(g: Plains) -> Network:
        index: dict[tuple[float, float], int] = {}
        xs: list[float] = []
        ys: list[float] = []
        nbr: list[list[tuple[int, float, str]]] = []

        def vertex(p: Point) -> int:
            key = (round(p[0], 6), round(p[1], 6))
            if key not in index:
                index[key] = len(xs)
                xs.append(p[0])
                ys.append(p[1])
                nbr.append([])
            return index[key]

        for kind, line in g.roads:
            pts = line.points()
            dense: list[Point] = [pts[0]]
            for a, b in itertools.pairwise(pts):
                d = _dist(a, b)
                parts = (
                    1 if max(math.hypot(*a), math.hypot(*b)) > g.reach + 10 else math.ceil(d / 0.5)
                )
                for k in range(1, parts):
                    f = k / parts
                    dense.append((a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])))
                dense.append(b)
            for a, b in itertools.pairwise(dense):
                i, j = vertex(a), vertex(b)
                d = _dist(a, b)
                nbr[i].append((j, d, kind))
                nbr[j].append((i, d, kind))
        return Network(g, np.array(xs), np.array(ys), nbr)

    def _tree(self, src: int) -> tuple[list[float], list[int], list[str]]:
        if src not in self.trees:
            dist = [math.inf] * len(self.nbr)
            prev = [-1] * len(self.nbr)
            how = [""] * len(self.nbr)
            dist[src] = 0.0
            heap = [(0.0, src)]
            while heap:
                d, i = heapq.heappop(heap)
                if d > dist[i]:
                    continue
                for j, step, kind in self.nbr[i]:
                    nd = d + step
                    if nd < dist[j] - 1e-12:
                        dist[j], prev[j], how[j] = nd, i, kind
                        heapq.heappush(heap, (nd, j))
            self.trees[src] = (dist, prev, how)
        return self.trees[src]

    def entry(self, p: Point) -> int:
        """The vertex nearest ``p`` with an open lane to it."""
        d = np.hypot(self.x - p[0], self.y - p[1])
        for k in np.argsort(d)[:12].tolist():
            if d[k] < 1e-6:
                return int(k)
            lane = Line.of([p, (float(self.x[k]), float(self.y[k]))])
            lx, ly = lane.sample(0.04)
            if not self.g.closed(lx, ly).any():
                return int(k)
        return int(np.argmin(d))

    def route(self, a: Point, b: Point) -> Route:
        i, j = self.entry(a), self.entry(b)
        _, prev, how = self._tree(i)
        chain = [j]
        kinds: list[str] = []
        while chain[-1] != i and prev[chain[-1]] >= 0:
            kinds.append(how[chain[-1]])
            chain.append(prev[chain[-1]])
        chain.reverse()
        kinds.reverse()
        pts = [(float(self.x[k]), float(self.y[k])) for k in chain]
        if _dist(a, pts[0]) > 1e-6:
            pts.insert(0, a)
            kinds.insert(0, "lane")
        if _dist(b, pts[-1]) > 1e-6:
            pts.append(b)
            kinds.append("lane")
        if len(pts) == 1:
            pts.append(b)
            kinds.append("lane")
        line = Line.of(pts)
        return Route(line, tuple(kinds[: max(1, line.x.size - 1)]))


# -- time ---------------------------------------------------------------------------------------


def hour_of(t: float) -> float:
    return ((t + IST_OFFSET) % 86_400.0) / HOUR


def in_hours(h: F64 | float, span: tuple[float, float]) -> Bool:
    """Whether IST hours ``h`` fall in ``span`` (which may run past 24 into the next day)."""
    x = np.atleast_1d(np.asarray(h, dtype=np.float64))
    lo, hi = span
    return np.asarray(((x >= lo) & (x < hi)) | ((x + 24 >= lo) & (x + 24 < hi)), dtype=np.bool_)


def within(t: float, span: tuple[float, float]) -> bool:
    """Whether the time ``t`` falls in ``span`` (IST hours, which may run past 24)."""
    h = hour_of(t)
    return span[0] <= h < span[1] or span[0] <= h + 24 < span[1]


def foggy(t: float) -> bool:
    return within(t, FOG)


def _windows(w: World, span: tuple[float, float]) -> list[tuple[float, float]]:
    """The world's stretches in ``span`` (IST hours), clipped to the world."""
    out = []
    for m in [ist_days(w)[0] - 86_400.0, *ist_days(w)]:
        a, b = max(w.start, m + span[0] * HOUR), min(w.end, m + span[1] * HOUR)
        if a < b:
            out.append((a, b))
    return out


def _within(
    w: World, rng: np.random.Generator, n: float, spans: Sequence[tuple[float, float]]
) -> F64:
    """About ``n`` a day spread evenly over the stretches ``spans`` (IST hours)."""
    parts: list[F64] = [np.zeros(0)]
    hours = sum(b - a for a, b in spans)
    for span in spans:
        for a, b in _windows(w, span):
            k = int(rng.poisson(n * (b - a) / HOUR / hours))
            parts.append(rng.uniform(a, b, k))
    return np.sort(np.concatenate(parts))


def _on_clock(w: World, period: float) -> list[float]:
    """Every ``period`` seconds on the IST clock from midnight."""
    first = ist_days(w)[0]
    k = max(0, math.ceil((w.start - first) / period))
    out = []
    while first + k * period < w.end:
        out.append(first + k * period)
        k += 1
    return out


# -- how an app reaches the network -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wiring:
    """An app's gateways (its share through each), whether its ``bg3`` traffic carries
    transaction ids, and which of its users send a user reference."""

    bap: str
    vias: tuple[str, ...]
    weights: tuple[float, ...]
    bg3_txn: bool
    users: int
    share: float
    """Users ``u < users * share`` send a reference."""

    def via(self, prng: random.Random) -> str:
        return prng.choices(self.vias, self.weights)[0]

    def txn(self, w: World, via: str, tag: str) -> str:
        if via == GATEWAYS[0] or (via == GATEWAYS[2] and self.bg3_txn):
            return w.txn(tag)
        return ""

    def user(self, u: int) -> str:
        return f"{self.bap}/u{u}" if u < self.users * self.share else ""


SETUPS = ((0,), (1,), (2,), (0, 1), (1, 2), (2, 0), (0, 2), (1, 0))


def _wire(
    prng: random.Random,
    bap: str,
    users: int,
    *,
    refs: float = 0.6,
    everyone: bool = False,
    gates: tuple[int, ...] | None = None,
    bg3_txn: bool | None = None,
) -> Wiring:
    """A gateway setup: one gateway or two (the first taking 55-90%); user references from
    every user (``everyone``), or with odds ``refs`` from all or some of them."""
    pick = prng.choice(SETUPS) if gates is None else gates
    vias = tuple(GATEWAYS[i] for i in pick)
    weights: tuple[float, ...] = (1.0,)
    if len(pick) == 2:
        first = prng.uniform(0.55, 0.9)
        weights = (first, 1 - first)
    if everyone:
        share = 1.0
    elif prng.random() < refs:
        share = 1.0 if prng.random() < 0.6 else prng.uniform(0.3, 0.8)
    else:
        share = 0.0
    three = prng.random() < 0.5 if bg3_txn is None else bg3_txn
    return Wiring(bap, vias, weights, three, users, share)


# -- honest apps --------------------------------------------------------------------------------


Where = Callable[[np.random.Generator, F64], tuple[F64, F64]]
"""Where an app's sessions are, given their times."""


@dataclass(frozen=True, slots=True)
class Habits:
    radii: tuple[float, ...]
    book: float
    confirm: float
    repeat: tuple[int, ...]


def _habits(prng: random.Random, book: tuple[float, float]) -> Habits:
    radii = tuple(prng.sample((1.0, 2.0, 3.0, 5.0, 8.0, 10.0), prng.randint(2, 4)))
    repeat = prng.choice(((1, 1, 2), (1, 2, 2, 3), (1, 1, 1, 2, 3)))
    return Habits(radii, prng.uniform(*book), prng.uniform(0.55, 0.9), repeat)


def _town_where(g: Plains, hubs: Sequence[Hub], *, roadside: float = 0.004) -> Where:
    """Around ``hubs``; the bazaar fuller in its evening peak, the marriage halls in the
    wedding hours, the mandi at night, a few on the bridge's approach road."""
    halls = [(hx, hy, 0.25, 1.0) for hx, hy in g.halls]
    bazaar = [(0.0, 0.0, 0.45 * g.bazaar.r, 1.0)]
    mandi = [(g.mandi[0], g.mandi[1], 0.35, 1.0)]

    def where(rng: np.random.Generator, t: F64) -> tuple[F64, F64]:
        h = ist_hours(t)
        x, y = g.people(rng, t.size, hubs)
        draw = rng.uniform(0, 1, t.size)
        moves = (
            (in_hours(h, BAZAAR_PEAK) & (draw < 0.3), bazaar),
            (in_hours(h, WEDDINGS) & (draw >= 0.3) & (draw < 0.6), halls),
            (in_hours(h, MANDI_NIGHT) & (draw >= 0.6) & (draw < 0.95), mandi),
        )
        for mask, where_to in moves:
            mx, my = g.people(rng, int(mask.sum()), where_to)
            x[mask], y[mask] = mx, my
        side = rng.uniform(0, 1, t.size) < roadside
        sx, sy = g.roadside(rng, int(side.sum()))
        x[side], y[side] = sx, sy
        return x, y

    return where


def _far_where(g: Plains, share: float, local: Where) -> Where:
    def where(rng: np.random.Generator, t: F64) -> tuple[F64, F64]:
        x, y = local(rng, t)
        far = rng.uniform(0, 1, t.size) < share
        fx, fy = g.people(rng, int(far.sum()), g.far)
        x[far], y[far] = fx, fy
        return x, y

    return where


def _evening(w: World, rng: np.random.Generator, per_day: float) -> F64:
    """Extra sessions: the bazaar's evening, the weddings, the mandi's night."""
    return np.concatenate(
        [
            _within(w, rng, 0.08 * per_day, [BAZAAR_PEAK]),
            _within(w, rng, 0.1 * per_day, [WEDDINGS]),
            _within(w, rng, 0.04 * per_day, [MANDI_NIGHT]),
        ]
    )


def _user(prng: random.Random, users: int) -> int:
    return min(users - 1, int(users * prng.random() ** 1.6))


def _sessions(
    w: World,
    g: Plains,
    wire: Wiring,
    h: Habits,
    t: F64,
    x: F64,
    y: F64,
    sites: Sites,
    prng: random.Random,
) -> int:
    """A session at each time and place: a search or a few at the spot (one more, often, in
    the fog, when people wait on the roads), widening now and then; with odds ``h.book`` a
    booking at the nearest site. Returns the searches made."""
    lat, lon = g.ll(x, y)
    made = 0
    for k in np.argsort(t, kind="stable").tolist():
        at = float(t[k])
        via = wire.via(prng)
        user = wire.user(_user(prng, wire.users))
        txn = wire.txn(w, via, "a")
        r = prng.choice(h.radii)
        n = prng.choice(h.repeat) + (1 if foggy(at) and prng.random() < 0.5 else 0)
        la, lo = float(lat[k]), float(lon[k])
        for _ in range(n):
            w.search(wire.bap, at, la, lo, r, via=via, user=user, txn=txn)
            at += prng.uniform(8, 120)
            if prng.random() < 0.2:
                r = min(50.0, 2 * r)
        made += n
        if prng.random() < h.book:
            j = sites.nearest(la, lo)
            w.book(
                wire.bap,
                at,
                sites.cpos[j],
                sites.ids[j],
                prng,
                confirm=h.confirm,
                user=user,
                txn=txn,
            )
    return made


def _app(
    w: World,
    g: Plains,
    wire: Wiring,
    h: Habits,
    searches: float,
    where: Where,
    sites: Sites,
    *,
    shape: Sequence[float] = DAY,
    evening: bool = True,
) -> int:
    """An app's ordinary sessions over the day: about ``searches`` searches."""
    rng = w.rng(f"app:{wire.bap}")
    prng = w.prng(f"app:{wire.bap}")
    per = float(np.mean(h.repeat)) + 0.1
    t = arrivals(rng, searches / per, w.start, w.end, shape)
    if evening:
        t = np.sort(np.concatenate([t, _evening(w, rng, searches / per)]))
    x, y = where(rng, t)
    return _sessions(w, g, wire, h, t, x, y, sites, prng)


def _national(w: World, g: Plains, c: Chargers) -> None:
    """The national aggregator: most of its own traffic in the far cities; it hides a poll
    of the amenities' and the truck yard's chargers."""
    prng = w.prng("national")
    share = prng.uniform(0.72, 0.83)
    bap = w.bap(
        "hidden_poll",
        "a poll of a random 40-70% of the expressway amenities' and the ICD yard's chargers "
        "each round, gaps drawn in 8-20 min, never booking, hidden in a national aggregator "
        f"({share:.0%} of its own traffic in the far cities)",
        "nat",
    )
    wire = _wire(
        prng, bap, prng.randint(2500, 4500), refs=0.8, gates=prng.choice(((0,), (0, 1), (2, 0)))
    )
    h = _habits(prng, (0.06, 0.12))
    local = _town_where(g, [*g.town_hubs(), *g.outer_hubs()])
    _app(w, g, wire, h, prng.uniform(4000, 5500), _far_where(g, share, local), c.every)
    s = c.of("amenity", "icd")
    radius = prng.choice((0.5, 1.0))
    t = w.start + prng.uniform(0, 900)
    while t < w.end:
        k = max(1, round(len(s.ids) * prng.uniform(0.4, 0.7)))
        via = wire.via(prng)
        txn = wire.txn(w, via, "q")
        for j in prng.sample(range(len(s.ids)), k):
            w.search(
                bap, t, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn, scraping=True
            )
            t += prng.uniform(1.0, 5.0)
        t += prng.uniform(480, 1200)


def _city_app(
    w: World, g: Plains, c: Chargers, key: str, size: float, style: str, label: str
) -> Wiring:
    prng = w.prng(f"city:{key}")
    bap = w.bap(label, style, "city")
    wire = _wire(prng, bap, int(size / prng.uniform(2.5, 5.0)))
    h = _habits(prng, (0.05, 0.12))
    hubs = [*g.town_hubs(), *g.outer_hubs()]
    _app(w, g, wire, h, size, _town_where(g, hubs), c.public)
    return wire


def _tiny(
    w: World, g: Plains, c: Chargers, k: int, label: str = "honest", style: str = ""
) -> Wiring:
    prng = w.prng(f"tiny:{k}")
    rng = w.rng(f"tiny:{k}")
    users = prng.randint(2, 6)
    bap = w.bap(label, style or f"tiny new app, {users} users", "tiny")
    wire = _wire(prng, bap, users)
    h = Habits(tuple(prng.sample((2.0, 3.0, 5.0), 2)), 0.15, 0.8, (1,))
    n = prng.randint(5, 20)
    pool = arrivals(rng, 500, w.start, w.end, DAY)
    t = np.sort(rng.choice(pool, n, replace=False))
    x, y = g.people(rng, n, g.town_hubs())
    _sessions(w, g, wire, h, t, x, y, c.public, prng)
    return wire


def _student(w: World, g: Plains, c: Chargers) -> None:
    """Students at the university: bursts in the minutes either side of each class change,
    a little in the hostel mornings and evenings."""
    prng = w.prng("student")
    rng = w.rng("student")
    bap = w.bap("honest", "university student app: bursts at class changes", "uni")
    wire = _wire(prng, bap, prng.randint(600, 1400), refs=0.8)
    h = Habits((1.0, 2.0, 3.0), prng.uniform(0.04, 0.09), 0.7, (1, 1, 2))
    n = prng.randint(500, 850)
    bursts = [(x - 1 / 6, x + 1 / 6) for x in CLASSES]
    t = np.concatenate(
        [_within(w, rng, 0.75 * n, bursts), _within(w, rng, 0.25 * n, [(7.5, 8.7), (16.5, 23.0)])]
    )
    cs = g.campus
    x, y = g.people(rng, t.size, [(cs.x, cs.y, 0.45 * cs.r, 4.0), (0.0, 0.0, g.bazaar.r, 0.6)])
    _sessions(w, g, wire, h, t, x, y, c.of("campus", "town", "bazaar"), prng)


def _cpo_app(w: World, g: Plains, c: Chargers, cpo: str) -> None:
    """A CPO's own app: its customers look round its chargers and book them."""
    prng = w.prng(f"cpo:{cpo}")
    rng = w.rng(f"cpo:{cpo}")
    name = cpo.removeprefix("cpo-").split(".")[0]
    bap = w.bap("honest", f"{name}'s own app, booking its own chargers", f"own{name[:4]}")
    wire = _wire(prng, bap, prng.randint(80, 300))
    own = c.owned(cpo, c.public)
    sx, sy = g.xy(own.lat, own.lon)
    hubs = [(float(a), float(b), 0.5, 1.0) for a, b in zip(sx, sy, strict=True)]
    h = Habits((2.0, 5.0), prng.uniform(0.15, 0.3), 0.85, (1, 1, 2))
    t = arrivals(rng, prng.uniform(150, 350), w.start, w.end, DAY)
    x, y = g.people(rng, t.size, hubs)
    _sessions(w, g, wire, h, t, x, y, own, prng)


def _taxi(w: World, g: Plains, c: Chargers) -> None:
    """The taxi union at the railway station: drivers wait at the stand for each train (the
    night and morning trains hours late in the fog), polling the station's chargers from their
    phones every few minutes, and often book one while they wait."""
    prng = w.prng("taxi")
    drivers = prng.randint(25, 60)
    bap = w.bap(
        "honest", "taxi-union app at the railway station: drivers waiting for trains", "taxi"
    )
    wire = _wire(prng, bap, drivers, refs=0.9)
    s = c.groups["station"]
    stand = (g.station[0] + 0.06, g.station[1] - 0.04)
    midnight = ist_days(w)[0]
    trains = sorted(prng.uniform(0, 24) for _ in range(prng.randint(16, 24)))
    for due in trains:
        late = prng.uniform(1.0, 4.0) if 2.0 <= due < 10.5 else prng.uniform(0.0, 0.4)
        arrive = midnight + (due + late) * HOUR
        for _ in range(prng.randint(3, 8)):
            u = prng.randrange(drivers)
            via, user = wire.via(prng), wire.user(u)
            txn = wire.txn(w, via, "x")
            t = arrive - prng.uniform(900, 2700)
            polls: list[float] = []
            while t < arrive + 300:
                lat, lon = g.ll(stand[0] + prng.gauss(0, 0.015), stand[1] + prng.gauss(0, 0.015))
                w.search(
                    bap,
                    t,
                    float(lat),
                    float(lon),
                    prng.choice((1.0, 2.0)),
                    via=via,
                    user=user,
                    txn=txn,
                )
                polls.append(t)
                t += prng.uniform(150, 420)
            if prng.random() < 0.55:
                j = prng.randrange(len(s.ids))
                w.book(
                    bap,
                    prng.choice(polls),
                    s.cpos[j],
                    s.ids[j],
                    prng,
                    confirm=0.9,
                    user=user,
                    txn=txn,
                )


# -- consoles -----------------------------------------------------------------------------------


Made = list[tuple[float, int, str, str]]
"""(time, site, txn, user) of each search a console made."""


def _round(
    w: World,
    wire: Wiring,
    t: float,
    s: Sites,
    order: Sequence[int],
    radius: float,
    prng: random.Random,
    *,
    user: str = "",
    gap: tuple[float, float] = (1.0, 4.0),
    scraping: bool = False,
    tag: str = "r",
) -> Made:
    """One search at each site of ``order`` in turn, one transaction for the round."""
    via = wire.via(prng)
    txn = wire.txn(w, via, tag)
    out: Made = []
    for j in order:
        w.search(
            wire.bap,
            t,
            float(s.lat[j]),
            float(s.lon[j]),
            radius,
            via=via,
            user=user,
            txn=txn,
            scraping=scraping,
        )
        if w.start <= t < w.end:
            out.append((t, j, txn, user))
        t += prng.uniform(*gap)
    return out


def _book_some(w: World, bap: str, made: Made, n: int, s: Sites, prng: random.Random) -> None:
    """Book after ``n`` of the searches ``made`` (those well before the day's end)."""
    early = [m for m in made if m[0] < w.end - 900]
    for at, j, txn, user in prng.sample(early, min(n, len(early))):
        w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=1.0, user=user, txn=txn)


def _ambulance(w: World, c: Chargers) -> None:
    """The hospital's ambulance fleet console: its depot's chargers every 10 minutes on the
    clock, day and night, booking 1 in 20."""
    prng = w.prng("ambulance")
    bap = w.bap(
        "honest",
        "hospital ambulance fleet console: its depot's chargers every 10 min on the clock "
        "around the clock, booking 1 in 20",
        "amb",
    )
    wire = _wire(prng, bap, 3, everyone=True, gates=(prng.randrange(3),))
    s = c.groups["hospital"]
    made: Made = []
    for t in _on_clock(w, 600.0):
        made += _round(
            w, wire, t + 2, s, range(len(s.ids)), 0.5, prng, user=wire.user(prng.randrange(3))
        )
    _book_some(w, bap, made, round(len(made) / 20), s, prng)


def _icd_console(w: World, c: Chargers) -> None:
    """The ICD yard's console: its electric-truck bays every 5 minutes on the clock through
    the night charging 20:00-06:00, booking most of them for the trucks plugging in, and
    every 30 minutes by day."""
    prng = w.prng("icd")
    night = prng.uniform(0.6, 0.85)
    bap = w.bap(
        "honest",
        "ICD yard console: its electric-truck bays every 5 min on the clock 20:00-06:00, "
        "booking most of those, every 30 min by day",
        "icd",
    )
    wire = _wire(prng, bap, 4, everyone=True, gates=prng.choice(((0,), (2,))), bg3_txn=True)
    s = c.groups["icd"]
    midnight = ist_days(w)[0]
    for t in _on_clock(w, 300.0):
        dark = within(t, ICD_NIGHT)
        if not dark and round(t - midnight) % 1800:
            continue
        user = wire.user(prng.randrange(4))
        for at, j, txn, _ in _round(w, wire, t + 1, s, range(len(s.ids)), 0.3, prng, user=user):
            if prng.random() < (night if dark else 0.02):
                w.book(bap, at, ICD_CPO, s.ids[j], prng, confirm=0.97, user=user, txn=txn)


def _coop_console(w: World, c: Chargers) -> None:
    """The sugar cooperative's console: the mills' chargers every 15 minutes on the clock
    06:00-22:00 (the crushing season's shifts), booking 1 in 50."""
    prng = w.prng("coop")
    bap = w.bap(
        "honest",
        "sugar cooperative console: the mills' chargers every 15 min on the clock 06:00-22:00, "
        "booking 1 in 50",
        "coop",
    )
    staff = prng.randint(2, 5)
    wire = _wire(prng, bap, staff, refs=0.7, gates=(prng.randrange(3),))
    s = c.groups["mills"]
    made: Made = []
    for t in _on_clock(w, 900.0):
        if within(t, COOP_HOURS):
            made += _round(
                w,
                wire,
                t + 3,
                s,
                range(len(s.ids)),
                1.0,
                prng,
                user=wire.user(prng.randrange(staff)),
            )
    _book_some(w, bap, made, round(len(made) / 50), s, prng)


# -- vehicles -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stop:
    """A halt on a drive: where (km along the route), how long (seconds) and the seconds
    between the refreshes made there while it waits."""

    at: float
    wait: float
    gap: tuple[float, float]


def _drive(
    w: World,
    g: Plains,
    wire: Wiring,
    route: Route,
    t: float,
    prng: random.Random,
    *,
    hop: Callable[[float], tuple[float, float]],
    speed: Callable[[str, float], float],
    radius: float,
    via: str,
    user: str,
    txn: str,
    stops: Sequence[Stop] = (),
    halted: list[float] | None = None,
    scraping: bool = False,
) -> tuple[float, bool]:
    """Refresh at the start and every ``hop(t)`` km along the route (at the end too), halting
    at each stop to refresh that spot again (``halted`` gets the time it reached each).
    Returns the time it arrived and whether any refresh fell in the world."""
    line = route.line
    pending = sorted(stops, key=lambda p: p.at)
    seen = False
    ss, xs, ys = line.s.tolist(), line.x.tolist(), line.y.tolist()
    last = len(ss) - 1

    def leg(d: float) -> int:
        return int(min(max(bisect.bisect_right(ss, d) - 1, 0), max(last - 1, 0)))

    def refresh(at: float, d: float) -> None:
        nonlocal seen
        k = leg(d)
        if last == 0 or d >= ss[-1]:
            x, y = xs[-1], ys[-1]
        else:
            f = (d - ss[k]) / (ss[k + 1] - ss[k])
            x, y = xs[k] + f * (xs[k + 1] - xs[k]), ys[k] + f * (ys[k + 1] - ys[k])
        w.search(
            wire.bap,
            at,
            g.lat + y / KM_LAT,
            g.lon + x / g.km_lon,
            radius,
            via=via,
            user=user,
            txn=txn,
            scraping=scraping,
        )
        seen = seen or w.start <= at < w.end

    d = 0.0
    refresh(t, d)
    while d < line.length - 1e-9:
        nxt = min(line.length, d + prng.uniform(*hop(t)))
        halt = None
        if pending and pending[0].at <= nxt:
            halt = pending.pop(0)
            nxt = max(d, halt.at)
        t += (nxt - d) / speed(route.kinds[min(leg(d), len(route.kinds) - 1)], t) * HOUR
        d = nxt
        refresh(t, d)
        if halt is not None:
            if halted is not None:
                halted.append(t)
            leave = t + halt.wait
            while t + halt.gap[1] <= leave:
                t += prng.uniform(*halt.gap)
                refresh(t, d)
            t = leave
    return t, seen


def _speeds(
    prng: random.Random, top: dict[str, float] | None = None
) -> Callable[[str, float], float]:
    """km/h on a kind of road at a time (``top``: a vehicle's own clear-weather ceiling)."""

    def speed(kind: str, t: float) -> float:
        clear, fog = SPEEDS[KIND[kind]]
        lo, hi = fog if foggy(t) else clear
        if top and not foggy(t) and KIND[kind] in top:
            hi = min(hi, top[KIND[kind]])
            lo = min(lo, hi - 10)
        return prng.uniform(lo, hi)

    return speed


def _places(g: Plains) -> tuple[list[Point], list[float]]:
    """Where cars go, and how often: the town's places, the villages, the campus, the ICD,
    the far cities, across the river (the marriage halls in the evening and the mandi at
    night are the drive's own draws)."""
    town: list[Point] = [
        (0.0, 0.0),
        g.station,
        g.hospital,
        (g.civil.x, g.civil.y),
        *((h[0], h[1]) for h in g.neighbourhoods),
    ]
    pts: list[Point] = [*town, *g.mills, (g.campus.x, g.campus.y), g.icd]
    wts = [0.5 / len(town)] * len(town) + [0.28 / len(g.mills)] * len(g.mills) + [0.07, 0.03]
    pts += [(f[0], f[1]) for f in g.far] + [g.approach.spot(g.approach.length)]
    wts += [0.06 / len(g.far)] * len(g.far) + [0.06]
    return pts, wts


def _head_units(w: World, g: Plains, c: Chargers, net: Network, brand: str, txns: bool) -> None:
    """A car brand's head units: each trip on the roads refreshes nearby chargers every 3-6
    km (1.5-3 km in the fog), and is one transaction where the gateway reports ids; 5-10% of
    trips book at the trip's end."""
    prng = w.prng(f"hu:{brand}")
    rng = w.rng(f"hu:{brand}")
    rate = prng.uniform(0.055, 0.095)
    gate = "reports transaction ids" if txns else "never reports transaction ids"
    bap = w.bap(
        "honest",
        f"{brand} in-car head units (a gateway that {gate}): refreshes every 3-6 km on the "
        f"roads, 1.5-3 km in the fog, {rate:.0%} of trips book",
        "hu",
    )
    cars = prng.randint(300, 700)
    wire = _wire(prng, bap, cars, refs=0.7 if txns else 0.4, gates=(0,) if txns else (1,))
    pts, wts = _places(g)
    starts = arrivals(rng, prng.uniform(380, 500), w.start - 2 * HOUR, w.end, ROADS)
    radius = prng.choice((5.0, 8.0, 10.0))
    s = c.public
    speed = _speeds(prng)

    def hop(t: float) -> tuple[float, float]:
        return (1.5, 3.0) if foggy(t) else (3.0, 6.0)

    for t0 in starts.tolist():
        a, b = prng.choices(range(len(pts)), wts, k=2)
        if a == b:
            continue
        there = pts[b]
        if within(t0, WEDDINGS) and prng.random() < 0.15:
            there = prng.choice(g.halls)  # to a wedding
        elif within(t0, MANDI_NIGHT) and prng.random() < 0.2:
            there = g.mandi  # grain to the mandi
        route = net.route(pts[a], there)
        via = wire.via(prng)
        txn = wire.txn(w, via, "h")
        user = wire.user(prng.randrange(cars))
        end, _ = _drive(
            w,
            g,
            wire,
            route,
            t0,
            prng,
            hop=hop,
            speed=speed,
            radius=radius,
            via=via,
            user=user,
            txn=txn,
        )
        if prng.random() < rate and not _far(g, *there):
            la, lo = g.ll(*there)
            j = s.nearest(float(la), float(lo))
            w.book(bap, end, s.cpos[j], s.ids[j], prng, confirm=0.8, user=user, txn=txn)


def _ends(g: Plains) -> tuple[list[Point], list[Point]]:
    """The far cities on either side of the district along the expressway."""
    mid = float(np.mean(g.interchanges))
    west: list[Point] = []
    east: list[Point] = []
    for f in g.far:
        (west if _arc(g.expressway, (f[0], f[1])) < mid else east).append((f[0], f[1]))
    return west, east


def _buses(w: World, g: Plains, c: Chargers, net: Network) -> None:
    """An expressway bus operator: buses between the far cities (and to the town's bus
    stand), each trip a transaction, refreshing every 8-15 km, halting 20-40 min at a wayside
    amenity where they refresh that spot every 3-6 min; one trip in 2-4 books a charger
    there."""
    prng = w.prng("bus")
    rng = w.rng("bus")
    ratio = prng.uniform(2.3, 3.7)
    bap = w.bap(
        "honest",
        "expressway bus operator: a transaction per trip, refreshes every 8-15 km, 20-40 min "
        f"halts at an amenity refreshing it every 3-6 min, one booking per {ratio:.1f} trips",
        "bus",
    )
    buses = prng.randint(30, 70)
    wire = _wire(prng, bap, buses, refs=0.8, gates=prng.choice(((0,), (0, 2))), bg3_txn=True)
    west, east = _ends(g)
    town: Point = (0.0, 0.0)
    s = c.groups["amenity"]
    speed = _speeds(prng, {"expressway": 85.0})
    courts = [g.spot_on(d) for d in g.amenities]
    trips: list[tuple[float, Point, str, str]] = []
    seen = 0
    for t0 in arrivals(rng, prng.uniform(40, 60), w.start - 9 * HOUR, w.end, ROADS).tolist():
        if prng.random() < 0.7:
            a, b = prng.choice(west), prng.choice(east)
        else:
            a, b = prng.choice(west + east), town
        if prng.random() < 0.5:
            a, b = b, a
        route = net.route(a, b)
        on = [p for p in courts if route.line.gap(*p)[0] < 1e-6]
        stops: list[Stop] = []
        halt: Point | None = None
        if on:
            halt = prng.choice(on)
            stops = [Stop(route.where(halt), prng.uniform(1200, 2400), (180.0, 360.0))]
        via = wire.via(prng)
        txn = wire.txn(w, via, "b")
        user = wire.user(prng.randrange(buses))
        halted: list[float] = []
        _, any_in = _drive(
            w,
            g,
            wire,
            route,
            t0,
            prng,
            hop=lambda _t: (8.0, 15.0),
            speed=speed,
            radius=prng.choice((5.0, 10.0)),
            via=via,
            user=user,
            txn=txn,
            stops=stops,
            halted=halted,
        )
        seen += any_in
        if halt is not None:
            trips.append((halted[0], halt, txn, user))
    eligible = [p for p in trips if w.start <= p[0] < w.end - 1800]
    for at, halt, txn, user in prng.sample(eligible, min(len(eligible), round(seen / ratio))):
        la, lo = g.ll(*halt)
        j = s.nearest(float(la), float(lo))
        w.book(bap, at + 120, s.cpos[j], s.ids[j], prng, confirm=1.0, user=user, txn=txn)


def _trucks(w: World, g: Plains, c: Chargers, net: Network) -> None:
    """An electric-truck fleet's telematics: long hauls on the expressway to and from the
    ICD (and through), shuttles on the freight route between the ICD and the mandi; a
    transaction per trip, refreshing every 5-10 km (2-4 km in the fog), queueing at the toll
    plazas refreshing that one spot; a few trips ending at the ICD book a bay."""
    prng = w.prng("truck")
    rng = w.rng("truck")
    bap = w.bap(
        "honest",
        "electric-truck fleet telematics: a transaction per trip on the expressway and the "
        "freight route, refreshes every 5-10 km (2-4 km in the fog), toll plaza queues",
        "truck",
    )
    trucks = prng.randint(40, 120)
    wire = _wire(
        prng, bap, trucks, everyone=True, gates=prng.choice(((0,), (2,), (0, 2))), bg3_txn=True
    )
    west, east = _ends(g)
    tolls = [g.spot_on(d) for d in g.tolls]
    speed = _speeds(prng, {"expressway": 72.0, "highway": 55.0})
    bays = c.groups["icd"]

    def hop(t: float) -> tuple[float, float]:
        return (2.0, 4.0) if foggy(t) else (5.0, 10.0)

    for t0 in arrivals(rng, prng.uniform(80, 120), w.start - 6 * HOUR, w.end, FREIGHT).tolist():
        night = within(t0, MANDI_NIGHT)
        pick = prng.random()
        if pick < (0.45 if night else 0.08):
            a, b = g.icd, g.mandi  # shuttles, most on the mandi's night
        elif pick < (0.75 if night else 0.6):
            a, b = prng.choice(west + east), g.icd
        else:
            a, b = prng.choice(west), prng.choice(east)
        if prng.random() < 0.5:
            a, b = b, a
        route = net.route(a, b)
        stops = [
            Stop(route.where(p), prng.uniform(300, 1200), (60.0, 200.0))
            for p in tolls
            if route.line.gap(*p)[0] < 1e-6
        ]
        via = wire.via(prng)
        txn = wire.txn(w, via, "e")
        user = wire.user(prng.randrange(trucks))
        end, _ = _drive(
            w,
            g,
            wire,
            route,
            t0,
            prng,
            hop=hop,
            speed=speed,
            radius=prng.choice((10.0, 20.0)),
            via=via,
            user=user,
            txn=txn,
            stops=stops,
        )
        if b == g.icd and prng.random() < 0.3:
            j = prng.randrange(len(bays.ids))
            w.book(bap, end, ICD_CPO, bays.ids[j], prng, confirm=0.9, user=user, txn=txn)


# -- scrapers hidden in apps --------------------------------------------------------------------


def lattice_plan(seed: int) -> tuple[float, float, int, int]:
    """The district lattice's step (km), turn (radians), its Hilbert curve's orientation (one
    of eight) and where on the curve the sweep starts (a fraction of it, in thousandths)."""
    rng = np.random.default_rng([seed, *b"plains-lattice"])
    return (
        float(rng.uniform(2.0, 3.0)),
        float(rng.uniform(0.05, math.pi / 2 - 0.05)),
        int(rng.integers(0, 8)),
        int(rng.integers(0, 1000)),
    )


def hilbert(n: int, i: int, j: int) -> int:
    """The position of cell (i, j) along the Hilbert curve over an ``n`` x ``n`` grid (``n``
    a power of two)."""
    d = 0
    half = n // 2
    while half:
        ri = 1 if i & half else 0
        rj = 1 if j & half else 0
        d += half * half * ((3 * ri) ^ rj)
        if rj == 0:
            if ri == 1:
                i, j = n - 1 - i, n - 1 - j
            i, j = j, i
        half //= 2
    return d


def lattice_nodes(g: Plains, step: float, turn: float, orient: int) -> tuple[F64, F64]:
    """The lattice's nodes over the district's land (``i a1 + j a2`` from the bazaar's centre,
    ``a1`` at ``turn``, ``a2`` square to it), in the order of the Hilbert curve turned to
    ``orient``."""
    m = int(g.reach / step) + 2
    gi, gj = np.meshgrid(np.arange(-m, m + 1), np.arange(-m, m + 1), indexing="ij")
    i, j = gi.ravel(), gj.ravel()
    c, s = math.cos(turn), math.sin(turn)
    x = step * (i * c - j * s)
    y = step * (i * s + j * c)
    keep = (np.hypot(x, y) <= g.reach) & g.land(x, y, 0.12)
    i, j, x, y = i[keep] + m, j[keep] + m, x[keep], y[keep]
    n = 1
    while n < 2 * m + 1:
        n *= 2
    a, b = (j, i) if orient & 1 else (i, j)
    a = n - 1 - a if orient & 2 else a
    b = n - 1 - b if orient & 4 else b
    order = np.argsort([hilbert(n, int(p), int(q)) for p, q in zip(a, b, strict=True)])
    return np.asarray(x[order], dtype=np.float64), np.asarray(y[order], dtype=np.float64)


def _own_searches(w: World, bap: str) -> int:
    return sum(1 for e in w.events[bap] if isinstance(e, Search))


def _hilbert_sweep(w: World, g: Plains, c: Chargers) -> None:
    """A city app hiding a sweep of the district's lattice along a Hilbert curve: bursts of
    consecutive nodes through the day, each burst taking up where the last stopped."""
    prng = w.prng("hilbert")
    step, turn, orient, start = lattice_plan(w.seed)
    share = prng.uniform(0.06, 0.14)
    exact = w.seed % 2 == 1
    size = prng.uniform(4500, 6000)
    wire = _city_app(
        w,
        g,
        c,
        "hilbert",
        size,
        f"a square lattice {step:.2f} km turned {math.degrees(turn):.1f} deg over the district "
        f"along a Hilbert curve, {'exact nodes' if exact else '30-80 m off its nodes'}, "
        f"{share:.0%} of a city app",
        "hidden_sweep",
    )
    x, y = lattice_nodes(g, step, turn, orient)
    total = share_of(_own_searches(w, wire.bap), share)
    radius = prng.choice((2.0, 2.5, 3.0))
    k = start * x.size // 1000
    bursts: list[int] = []
    while sum(bursts) < total:
        bursts.append(min(prng.randint(15, 50), total - sum(bursts)))
    slot = (w.end - w.start) / len(bursts)
    for b, n in enumerate(bursts):
        t = w.start + b * slot + prng.uniform(0, max(1.0, slot - n * 60.0 - 60))
        via = wire.via(prng)
        txn = wire.txn(w, via, "l")
        for _ in range(n):
            px, py = float(x[k % x.size]), float(y[k % x.size])
            if not exact:
                d, a = prng.uniform(0.03, 0.08), prng.uniform(0, 2 * math.pi)
                px, py = px + d * math.cos(a), py + d * math.sin(a)
            lat, lon = g.ll(px, py)
            w.search(wire.bap, t, float(lat), float(lon), radius, via=via, txn=txn, scraping=True)
            t += prng.uniform(20, 55)
            k += 1


# -- scrapers of their own ----------------------------------------------------------------------


def _parked(w: World, g: Plains, c: Chargers, net: Network) -> None:
    """A 'head unit' that drives the real roads from one rival CPO site to the next (a
    transaction per trip, refreshing every 2-5 km) and sits at each for 30-90 min refreshing
    that spot every 2-5 min; over the day it visits all the rival's sites, never booking."""
    prng = w.prng("parked")
    rival = c.owned(c.rival)
    name = c.rival.removeprefix("cpo-").split(".")[0]
    bap = w.bap(
        "poller",
        f"a parked head unit: drives from one of {name}'s {len(rival.ids)} sites to the next "
        "and waits 30-90 min at each refreshing it every 2-5 min, never booking",
        "car",
    )
    wire = _wire(prng, bap, 1, refs=0.5, gates=prng.choice(((0,), (2,))), bg3_txn=True)
    user = wire.user(0)
    radius = prng.choice((2.0, 5.0))
    sx, sy = g.xy(rival.lat, rival.lon)
    todo = list(range(len(rival.ids)))
    here: Point = (0.0, 0.0)
    t = w.start + prng.uniform(0, 1200)
    speed = _speeds(prng)
    while t < w.end:
        if not todo:  # round again, from the next site on
            todo = [k for k in range(len(rival.ids)) if _dist(here, (float(sx[k]), float(sy[k])))]
        j = min(todo, key=lambda k: _dist(here, (float(sx[k]), float(sy[k]))))
        todo.remove(j)
        site = (float(sx[j]), float(sy[j]))
        wait = prng.uniform(1800, 5400)
        via = wire.via(prng)
        txn = wire.txn(w, via, "v")
        route = net.route(here, site)
        t, _ = _drive(
            w,
            g,
            wire,
            route,
            t,
            prng,
            hop=lambda _t: (2.0, 5.0),
            speed=speed,
            radius=radius,
            via=via,
            user=user,
            txn=txn,
            scraping=True,
        )
        end = t + wait
        while True:
            t += prng.uniform(120, 300)
            if t > end:
                break
            w.search(
                bap,
                t,
                float(rival.lat[j]),
                float(rival.lon[j]),
                radius,
                via=via,
                user=user,
                txn=txn,
                scraping=True,
            )
        here = site
        t = end + prng.uniform(60, 300)


def rows_plan(seed: int) -> tuple[float, float]:
    """The town lattice's step and half-width (km) the three keys split by rows."""
    rng = np.random.default_rng([seed, *b"plains-rows"])
    return float(rng.uniform(0.7, 1.1)), float(rng.uniform(6.0, 8.5))


def row_nodes(g: Plains, step: float, half: float) -> tuple[F64, F64, npt.NDArray[np.int64]]:
    """The town lattice's nodes on land (a box of ``half`` km round the bazaar, rows east to
    west, numbered from the south), in raster order, and each one's row."""
    ticks = np.arange(-half, half + 1e-9, step)
    yy, xx = np.meshgrid(ticks, ticks, indexing="ij")
    rows = np.repeat(np.arange(ticks.size), ticks.size)
    x, y = xx.ravel(), yy.ravel()
    keep = g.land(x, y, 0.1)
    return (
        np.asarray(x[keep], dtype=np.float64),
        np.asarray(y[keep], dtype=np.float64),
        np.asarray(rows[keep], dtype=np.int64),
    )


def _split_sweep(w: World, g: Plains) -> None:
    """One lattice over the town swept by three BAP keys in step: key k takes rows k, k+3,
    k+6..., each its rows west to east, round after round."""
    prng = w.prng("rows")
    step, half = rows_plan(w.seed)
    x, y, rows = row_nodes(g, step, half)
    lat, lon = g.ll(x, y)
    period = prng.uniform(5400, 9000)
    first = w.start + prng.uniform(0, 1800)
    for k in range(3):
        bap = w.bap(
            "sweeper",
            f"a {step:.2f} km lattice over the town split over 3 BAP keys by interleaved rows "
            f"(key {k + 1} of 3: rows {k}, {k + 3}, {k + 6}...)",
            "row",
        )
        wire = _wire(prng, bap, 1, refs=0.3)
        mine = np.flatnonzero(rows % 3 == k).tolist()
        radius = prng.choice((0.5, 1.0))
        t0 = first + prng.uniform(0, 600)
        while t0 < w.end:
            via = wire.via(prng)
            txn = wire.txn(w, via, "w")
            t = t0
            for j in mine:
                w.search(
                    bap,
                    t,
                    float(lat[j]),
                    float(lon[j]),
                    radius,
                    via=via,
                    user=wire.user(0),
                    txn=txn,
                    scraping=True,
                )
                t += prng.uniform(8, 25)
            t0 += period * prng.uniform(0.9, 1.1)


def _halls_poller(w: World, c: Chargers) -> None:
    """The marriage halls' and the bazaar's chargers polled through the wedding evening,
    18:00-01:00 only, the radius drawn per search in 0.5-3 km."""
    prng = w.prng("halls")
    period = prng.uniform(240, 540)
    bap = w.bap(
        "poller",
        f"a poll of the marriage halls' and the bazaar's chargers every {period / 60:.0f} min, "
        "18:00-01:00 only, radius drawn per search in 0.5-3 km",
        "baraat",
    )
    wire = _wire(prng, bap, 1, refs=0.5)
    s = c.of("halls", "bazaar")
    for a, b in _windows(w, HALLS_POLL):
        t = a + prng.uniform(0, 120)
        while t < b - 90:
            via = wire.via(prng)
            txn = wire.txn(w, via, "m")
            for j in prng.sample(range(len(s.ids)), len(s.ids)):
                if t >= b:
                    break
                w.search(
                    bap,
                    t,
                    float(s.lat[j]),
                    float(s.lon[j]),
                    prng.uniform(0.5, 3.0),
                    via=via,
                    user=wire.user(0),
                    txn=txn,
                    scraping=True,
                )
                t += prng.uniform(2, 8)
            t += period * prng.uniform(0.85, 1.15)


def _booking_scraper(w: World, g: Plains, c: Chargers) -> None:
    """A sweep of the town's grid in a fresh order each round, booking 2-4% of its searches
    at the nearest charger and cancelling half those bookings a few minutes later."""
    prng = w.prng("booker")
    step = prng.uniform(0.7, 1.1)
    rate = prng.uniform(0.022, 0.038)
    bap = w.bap(
        "booking_scraper",
        f"a {step:.2f} km sweep of the town in a fresh order each round, books {rate:.1%} of "
        "its searches (2-4%) and cancels half its bookings",
        "book",
    )
    users = prng.randint(2, 5)
    wire = _wire(prng, bap, users, everyone=True, gates=prng.choice(((0,), (2,))), bg3_txn=True)
    ticks = np.arange(-6.0, 6.0 + 1e-9, step)
    gx, gy = np.meshgrid(ticks, ticks)
    x, y = gx.ravel(), gy.ravel()
    keep = (np.hypot(x, y) <= 6.0) & g.land(x, y, 0.1)
    lat, lon = g.ll(x[keep], y[keep])
    radius = prng.choice((2.0, 3.0))
    made: list[tuple[float, float, float, str, str]] = []
    t = w.start + prng.uniform(0, 120)
    order: list[int] = []
    while t < w.end:
        if not order:
            order = prng.sample(range(lat.size), lat.size)
        j = order.pop()
        via = wire.via(prng)
        txn = wire.txn(w, via, "k")
        user = wire.user(prng.randrange(users))
        w.search(
            bap, t, float(lat[j]), float(lon[j]), radius, via=via, user=user, txn=txn, scraping=True
        )
        made.append((t, float(lat[j]), float(lon[j]), txn, user))
        t += prng.uniform(40, 110)
    s = c.public
    early = [m for m in made if m[0] < w.end - 3600]
    picks = prng.sample(early, min(len(early), round(len(made) * rate)))
    for k, (at, la, lo, txn, user) in enumerate(picks):
        j = s.nearest(la, lo)
        for kind in (FunnelKind.SELECT, FunnelKind.INIT, FunnelKind.CONFIRM):
            at += prng.uniform(8, 40)
            w.funnel(bap, at, kind, s.cpos[j], s.ids[j], user=user, txn=txn)
        if k % 2 == 0:
            w.funnel(
                bap, at + prng.uniform(180, 1800), FunnelKind.CANCEL, s.cpos[j], s.ids[j], user=user
            )


def _exact_spots(
    w: World,
    wire: Wiring,
    s: Sites,
    spans: Sequence[tuple[float, float]],
    gap: tuple[float, float],
    prng: random.Random,
    radius: float,
    user: str,
    tag: str,
) -> None:
    """Chargers' exact spots in a random order (each once before any again), ``gap`` seconds
    apart, within the stretches ``spans``."""
    order: list[int] = []
    for a, b in spans:
        t = a + prng.uniform(0, gap[0])
        while t < b:
            if not order:
                order = prng.sample(range(len(s.ids)), len(s.ids))
            j = order.pop()
            via = wire.via(prng)
            w.search(
                wire.bap,
                t,
                float(s.lat[j]),
                float(s.lon[j]),
                radius,
                via=via,
                user=user,
                txn=wire.txn(w, via, tag),
                scraping=True,
            )
            t += prng.uniform(*gap)


def _fog_scraper(w: World, c: Chargers) -> None:
    prng = w.prng("fog")
    bap = w.bap(
        "low_and_slow",
        "a scraper of chargers' exact spots in the fog hours only (04:30-10:30), one every 4-9 min",
        "kohra",
    )
    wire = _wire(prng, bap, 1, everyone=True)
    _exact_spots(
        w,
        wire,
        c.local,
        _windows(w, FOG),
        (240.0, 540.0),
        prng,
        prng.choice((1.0, 2.0, 3.0)),
        wire.user(0),
        "f",
    )


def _ridden_tiny(w: World, g: Plains, c: Chargers) -> None:
    """A tiny new app's key that also carries one search at a charger's spot every 10-20
    minutes all day."""
    prng = w.prng("ridden")
    wire = _tiny(
        w,
        g,
        c,
        9,
        "low_and_slow",
        "tiny new app whose key also carries chargers' exact spots, one every 10-20 min all day "
        "(riding a tiny new app's key)",
    )
    _exact_spots(
        w,
        wire,
        c.local,
        [(w.start, w.end)],
        (600.0, 1200.0),
        prng,
        prng.choice((2.0, 3.0)),
        "",
        "t",
    )


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * HOUR)
    g = geography(seed)
    c = chargers(seed, g)
    net = Network.build(g)
    plan = w.prng("plan")
    owners = [p for p in c.cpos if len(c.owned(p, c.public).ids) >= 2]
    cities, tiny = plan.randint(2, 3), plan.randint(2, 3)
    ridden = plan.random() < 0.5
    cpo_apps = min(plan.randint(3, 5), len(owners))
    _national(w, g, c)
    sizes = [plan.uniform(1000, 1800), plan.uniform(2400, 3400), plan.uniform(4200, 5500)]
    for k, size in enumerate(sorted(plan.sample(sizes, cities))):
        _city_app(w, g, c, str(k), size, f"city app, about {size:.0f} searches a day", "honest")
    for k in range(tiny):
        _tiny(w, g, c, k)
    _student(w, g, c)
    _ambulance(w, c)
    _icd_console(w, c)
    _coop_console(w, c)
    _buses(w, g, c, net)
    _trucks(w, g, c, net)
    _head_units(w, g, c, net, "brand A", True)
    _head_units(w, g, c, net, "brand B", False)
    _taxi(w, g, c)
    for cpo in plan.sample(owners, cpo_apps):
        _cpo_app(w, g, c, cpo)
    _hilbert_sweep(w, g, c)
    _parked(w, g, c, net)
    _split_sweep(w, g)
    _halls_poller(w, c)
    _booking_scraper(w, g, c)
    _fog_scraper(w, c)
    if ridden:
        _ridden_tiny(w, g, c)
    return w.done()
