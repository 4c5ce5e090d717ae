"""Family ``mela``: a river-confluence pilgrimage city during a month-long religious fair, on an
ordinary fair day that holds one of the big bathing days' dawn (IST).

Two rivers meet and flow on as one: three arms of water (0.5-1.4 km wide, meandering gently) run
out from the confluence and split the land into three banks, the west bank between the two
upstream arms (the old city, 2.2-3 km in radius, 3.5-5 km from the confluence, with the railway
junction in it; a cantonment 8-11 km out where nobody searches and no charger stands; an airport
13-18 km out on its own road; the expressway's interchange), a north-east bank and a south-east
bank (a bank town on each). Nobody searches on the water. The fair's tent city stands on the
sandbanks within 4.5-6 km of the confluence: 25-55 numbered sectors on a grid of sand roads
(cells of 0.7-1 km, the grid turned by a seeded angle, numbered row by row), with the fair
authority's temporary chargers at about half of the sectors' offices; 5-8 bathing ghats on the
banks (the main one on the sangam nose, the tip of the west bank); 3-7 pontoon bridges that are
the only ways across the water; 4-6 parking lots at the fair's edges (two on the west bank, one
or two on each other bank), each with the shuttle operator's e-bus bays and a public charger,
and an e-bus and e-rickshaw shuttle route from the lot to a ghat on its own bank. An expressway
runs from the interchange to the state capital about 150 km away (charging plazas every 25-40
km); 4-6 far cities 200-700 km away for the national apps. Distances and bearings are seeded.
60-120 charging sites owned by 6-8 CPOs (``cpo-<name>.mela.example``): the fair authority's
power cell (``cpo-melapower``: the sectors'), the shuttle operator (``cpo-shuttlefleet``: the
lots' bays) and 4-6 public CPOs (the lots', the old city's, the junction's, the banks', the
airport's, the plazas' and the capital's).

The day: pilgrims pour in all night for the dawn bath, the crowd peaking 03:00-07:00 and easing
by 10:00, an ordinary fair afternoon and the evening aarti at the ghats 18:00-19:30; private
vehicles are barred from the sand roads and the pontoons 00:00-11:00 (cars park at the lots);
special trains reach the junction every 20-45 minutes from 20:00 to 07:00; a VIP movement closes
one pontoon bridge's road and the main ghat's shuttle route for 2.5-4 hours, starting between
10:00 and 12:00.

Honest BAPs: a national aggregator (75-88% of its traffic in the far cities); a six-city aggregator
(the fair city, the capital and four far cities); the fair's official pilgrim app (sectors, ghats
and lots, surging before dawn); one or two old-city apps and a capital-city app (apps in one city);
two or three tiny new apps (under 30 searches a day); the fair police and ambulance fleet's dispatch
(every 10 minutes on the clock it searches at each patrol vehicle running low, and books the nearest
charger when one drops below a fifth; VIP escorts wait at the barricade); the shuttle e-buses'
telematics (each bus loops its lot's route refreshing at the route's fixed stops, one transaction a
loop, booking its lot's bay every 4-7 loops); the e-rickshaw drivers' app (a driver low on charge
searches from a spot on their shuttle route, a third book); two brands of in-car head units
refreshing every 3-6 minutes on the move (brand A through gateways that report transaction ids, one
per trip, brand B's never; none on the water; at the VIP barricade a car refreshes the same spot
until it opens or the driver gives up); the shuttle operator's depot manager (every lot's bays from
the lot's spot on the clock, every 5 minutes in the dawn rush 01:00-09:00 and every 10 otherwise,
booking on a third of the rush rounds); the fair authority's power-cell console (its sector chargers
in sector order on the clock, every 5 minutes 02:00-08:00 and every 20 otherwise, a test booking
about 1 in 100-200 searches); the kalpvasis' app (month-long tent residents searching from their
tent's exact spot before the dawn bath and later); the akharas' procession coordinators (each
order's camp searched again and again before its slot in the bathing order, then the main ghat, most
booking a charger for the chariot); the sanitation fleet (electric tippers visiting a block of
consecutive sectors in number order at each sector's centre, twice a day, booking at the end of each
shift); 2-3 CPOs' own apps.

Scrapers (a rival CPO wanting to know, all day, which chargers are busy, without being caught):

- a crowd-cover sweep of the sector grid's corners (the sand roads' crossings) in sector order,
  only in the dawn bathing window and the evening aarti when the host's own traffic peaks, exact
  corners on odd seeds and 15-50 m off them on even ones, hidden in a pilgrim-services app at
  10-22% of its searches (``hidden_sweep``);
- a radius ladder: from anchors on a 3 km lattice over the fair city's land, in a fresh order
  each pass, each session one anchor searched at widening radii (1, 2, 3 ... km) seconds apart
  like a person widening a search, hidden in an old-city app at 8-15% (``hidden_sweep``);
- a pair-midpoint poll: a rival's and the junction's and lots' chargers paired off nearest
  first, each query at a pair's midpoint just wide enough for both, rounds with gamma-drawn gaps
  round 15-25 minutes, hidden in a trip planner for the drive from the capital (``hidden_poll``);
- a train-echo poll: the junction's and its nearest chargers polled twice after each special
  train's arrival (when the taxi app's own drivers swarm too), hidden in a taxi app
  (``hidden_poll``);
- a sliding-window poller: a ring of 12-20 chargers, each round the next window of 4-6 of them
  (advancing 2-3), gaps from a golden-ratio sequence in 3-12 minutes (``poller``);
- a crowd-echo poller of the ghat-side sectors' and the lots' chargers, its gap shrinking with
  the pilgrim crowd (2-4 minutes at the dawn peak, half an hour in the afternoon) (``poller``);
- a lattice random walk over the tent city: each search at a random dry neighbour of the last
  node on an exact 0.8-1.2 km lattice (``sweeper``);
- a bank split: three keys, each sweeping an exact lattice over its own bank in raster order at
  the same time, their rounds the same length (``sweeper`` each);
- a Halton sweep (quasi-random points of bases 2 and 3 over the old city and the banks' towns)
  that selects on about 1.5% of its searches and confirms two-thirds of those, under 6-10
  personas' user references (``booking_scraper``);
- a crowd mimic: 2-5 searches an hour on the pilgrim crowd's curve, each 20-60 m off a rival's
  or a sector's charger, each from a made-up pilgrim seen once or twice (``low_and_slow``); and
  on some seeds a slow Halton trickle over the capital, one search every 9-20 minutes, no user
  references (``low_and_slow``). Hidden scrapers send no user reference.

Gateways: ``bg.mela.example`` always reports transaction ids, ``bg2`` never, ``bg3`` as the app
chooses; an app uses one gateway or splits its traffic over two (``wire.Wiring``). User
references from all, some or none of an app's users.

Written by a separate session from a brief, independently of the detector's rules, as a held-out
family (never scored while it was written).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from uei.antiabuse.scraping.events import FunnelKind
from uei_testing.families import world
from uei_testing.families.wire import Habits, Wire, Wiring
from uei_testing.families.world import KM_LAT, Sites, Truth, World, arrivals, ist_hours

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
Point = tuple[float, float]
Hub = tuple[float, float, float, float]
"""(x, y, spread, weight) in km."""

NAME = "mela"
GATEWAYS = ("bg.mela.example", "bg2.mela.example", "bg3.mela.example")
MELA_CPO = "cpo-melapower.mela.example"
TRANSIT_CPO = "cpo-shuttlefleet.mela.example"
PUBLIC_NAMES = ("sangamvolt", "ghatplug", "kalashamp", "trivenicharge", "deepwatt", "reticharge")
HOUR = 3600.0
W_BANK, NE_BANK, SE_BANK = range(3)
BATH = (2.0, 8.0)
"""The dawn bathing window's rush (IST hours)."""
AARTI = (17.5, 20.0)
BAN = (0.0, 11.0)
"""No private vehicles on the sand roads and the pontoons."""
TRAINS = (20.0, 31.0)
"""Special trains arrive from 20:00 to 07:00."""
PHI = (math.sqrt(5.0) - 1.0) / 2.0

# fmt: off
PILGRIM = (1.2, 1.6, 2.2, 3.0, 3.6, 3.6, 3.2, 2.6, 2.0, 1.5, 1.2, 1.0,
           0.8, 0.7, 0.7, 0.8, 0.9, 1.1, 1.4, 1.3, 1.0, 0.9, 0.9, 1.0)
DAY = (0.3, 0.2, 0.2, 0.3, 0.45, 0.6, 0.8, 0.9, 1.0, 1.05, 1.1, 1.1,
       1.1, 1.15, 1.1, 1.0, 1.05, 1.2, 1.4, 1.45, 1.3, 1.0, 0.75, 0.45)
ROADS = (0.4, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.1, 1.0, 1.0,
         1.0, 1.05, 1.1, 1.0, 1.05, 1.2, 1.3, 1.2, 1.0, 0.8, 0.6, 0.5)
FAR = (0.2, 0.1, 0.08, 0.08, 0.15, 0.3, 0.55, 0.85, 1.1, 1.2, 1.2, 1.2,
       1.2, 1.2, 1.2, 1.2, 1.25, 1.35, 1.4, 1.35, 1.1, 0.8, 0.55, 0.35)
# fmt: on

WIRING = Wiring(
    GATEWAYS, ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (2, 0), (1, 0)), 0.5, (0.2, 0.85)
)


def hour_of(t: float) -> float:
    return float(ist_hours(np.array([t]))[0])


def in_span(t: float, span: tuple[float, float]) -> bool:
    h = hour_of(t)
    return span[0] <= h < span[1] or span[0] <= h + 24 < span[1]


def crowd(t: float) -> float:
    """The pilgrim crowd's weight at ``t`` (the ``PILGRIM`` shape, interpolated)."""
    h = hour_of(t)
    return float(np.interp(h, np.arange(25.0), np.array([*PILGRIM, PILGRIM[0]])))


# -- the land -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """A polyline in km."""

    x: F64
    y: F64
    s: F64

    @staticmethod
    def of(points: Sequence[Point]) -> Line:
        x = np.array([p[0] for p in points], dtype=np.float64)
        y = np.array([p[1] for p in points], dtype=np.float64)
        s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
        return Line(x, y, s)

    def length(self) -> float:
        return float(self.s[-1])

    def at(self, d: F64 | float) -> tuple[F64, F64]:
        return (
            np.asarray(np.interp(d, self.s, self.x), dtype=np.float64),
            np.asarray(np.interp(d, self.s, self.y), dtype=np.float64),
        )

    def spot(self, d: float) -> Point:
        x, y = self.at(d)
        return float(x), float(y)

    def gap(self, x: F64 | float, y: F64 | float) -> F64:
        """The distance of each point from the line."""
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        ax, ay, bx, by = self.x[:-1], self.y[:-1], self.x[1:], self.y[1:]
        dx, dy = bx - ax, by - ay
        ll = np.maximum(dx * dx + dy * dy, 1e-12)
        t = ((px[:, None] - ax) * dx + (py[:, None] - ay) * dy) / ll
        t = np.clip(t, 0.0, 1.0)
        cx, cy = ax + t * dx, ay + t * dy
        return np.asarray(np.hypot(px[:, None] - cx, py[:, None] - cy).min(axis=1))

    def sample(self, step: float) -> tuple[F64, F64]:
        return self.at(np.arange(0.0, self.length() + 1e-9, step))


@dataclass(frozen=True, slots=True)
class Place:
    x: float
    y: float
    r: float
    hubs: tuple[Hub, ...]


@dataclass(frozen=True, slots=True)
class Ellipse:
    x: float
    y: float
    a: float
    b: float
    angle: float

    def inside(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> Bool:
        dx, dy = np.asarray(x) - self.x, np.asarray(y) - self.y
        c, s = math.cos(self.angle), math.sin(self.angle)
        u, v = dx * c + dy * s, -dx * s + dy * c
        return np.asarray((u / (self.a + margin)) ** 2 + (v / (self.b + margin)) ** 2 < 1.0)


@dataclass(frozen=True, slots=True)
class River:
    """Three arms from the confluence (0, 0): the two upstream (north, south-west) and the one
    downstream (east), each a centre line and a half-width."""

    arms: tuple[Line, Line, Line]
    half: tuple[float, float, float]
    angles: tuple[float, float, float]
    """Each arm's bearing at the confluence (radians, from the x axis)."""
    segs: F64
    """Every arm's segments in one array: (x0, y0, dx, dy, length squared, half-width, the
    segment's least distance from the confluence)."""

    @staticmethod
    def of(arms: tuple[Line, Line, Line], half: tuple[float, float, float],
           angles: tuple[float, float, float]) -> River:  # fmt: skip
        rows = []
        for a, h in zip(arms, half, strict=True):
            dx, dy = np.diff(a.x), np.diff(a.y)
            ll = np.maximum(dx * dx + dy * dy, 1e-12)
            t = np.clip(-(a.x[:-1] * dx + a.y[:-1] * dy) / ll, 0.0, 1.0)
            r = np.hypot(a.x[:-1] + t * dx, a.y[:-1] + t * dy)
            rows.append(np.stack([a.x[:-1], a.y[:-1], dx, dy, ll, np.full(dx.size, h), r]))
        return River(arms, half, angles, np.concatenate(rows, axis=1))

    def gap(self, x: F64 | float, y: F64 | float) -> F64:
        """How far each point is from the water (negative on it)."""
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))[:, None]
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))[:, None]
        # every arm starts at the confluence, so a segment farther from it than twice the
        # farthest point (and the widest half-width) is never a point's nearest
        reach = 2 * float(np.hypot(px, py).max(initial=0.0)) + 1.0
        ax, ay, dx, dy, ll, h, _ = self.segs[:, self.segs[6] <= reach]
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / ll, 0.0, 1.0)
        return np.asarray((np.hypot(px - ax - t * dx, py - ay - t * dy) - h).min(axis=1))

    def wet(self, x: F64 | float, y: F64 | float) -> Bool:
        return np.asarray(self.gap(x, y) < 0.0)

    def bank(self, x: float, y: float) -> int:
        """Which bank a point is on, by its bearing from the confluence."""
        a = math.atan2(y, x) % (2 * math.pi)
        n, s, e = (v % (2 * math.pi) for v in self.angles)
        if (a - n) % (2 * math.pi) < (s - n) % (2 * math.pi):
            return W_BANK
        if (a - e) % (2 * math.pi) < (n - e) % (2 * math.pi):
            return NE_BANK
        return SE_BANK


@dataclass(frozen=True, slots=True)
class Grid:
    """The fair's sectors: cells of ``size`` km on a grid turned by ``angle``, in sector-number
    order (row by row)."""

    angle: float
    size: float
    cells: tuple[tuple[int, int], ...]

    def xy(self, u: float, v: float) -> Point:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return u * c - v * s, u * s + v * c

    def uv(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        return np.asarray(xa * c + ya * s), np.asarray(-xa * s + ya * c)

    def centre(self, k: int) -> Point:
        i, j = self.cells[k]
        return self.xy((i + 0.5) * self.size, (j + 0.5) * self.size)

    def centres(self) -> list[Point]:
        return [self.centre(k) for k in range(len(self.cells))]

    def corners(self) -> list[Point]:
        """The sand roads' crossings round the sectors, sector by sector in number order (each
        once, where first met)."""
        seen: dict[tuple[int, int], Point] = {}
        for i, j in self.cells:
            for a, b in ((i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)):
                if (a, b) not in seen:
                    seen[(a, b)] = self.xy(a * self.size, b * self.size)
        return list(seen.values())

    def sector_of(self, x: float, y: float) -> int | None:
        u, v = self.uv(x, y)
        key = (math.floor(float(u) / self.size), math.floor(float(v) / self.size))
        return self.cells.index(key) if key in self.cells else None


@dataclass(frozen=True, slots=True)
class Mela:
    lat: float
    lon: float
    river: River
    grid: Grid
    fair_r: float
    oldcity: Place
    station: Point
    cantonment: Ellipse
    airport: Point
    towns: tuple[Place, Place]
    """The north-east and the south-east bank towns."""
    ghats: tuple[Point, ...]
    """``ghats[0]`` is the main one, on the sangam nose."""
    lots: tuple[Point, ...]
    routes: tuple[Line, ...]
    """The shuttle route from each lot to a ghat on its own bank."""
    route_ghat: tuple[int, ...]
    pontoons: tuple[tuple[int, Point, Point], ...]
    """(arm, one end, the other end)."""
    roads: tuple[tuple[str, Line], ...]
    """(kind, line): ``expressway``, ``link`` (the old city to the interchange), ``airport``,
    ``city`` (the old city to the junction or a west-bank lot), ``bank`` (a bank town to its
    lots), ``crossing`` (over a pontoon: four points, the pontoon between the middle two)."""
    expressway: Line
    plazas: tuple[float, ...]
    capital: Place
    far: tuple[Hub, ...]

    def km_lon(self) -> float:
        return 111.320 * math.cos(math.radians(self.lat))

    def ll(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        lat = self.lat + np.asarray(y, dtype=np.float64) / KM_LAT
        lon = self.lon + np.asarray(x, dtype=np.float64) / self.km_lon()
        return np.asarray(lat), np.asarray(lon)

    def ll1(self, x: float, y: float) -> tuple[float, float]:
        return self.lat + y / KM_LAT, self.lon + x / self.km_lon()

    def xy(self, lat: F64 | float, lon: F64 | float) -> tuple[F64, F64]:
        x = (np.asarray(lon, dtype=np.float64) - self.lon) * self.km_lon()
        y = (np.asarray(lat, dtype=np.float64) - self.lat) * KM_LAT
        return np.asarray(x), np.asarray(y)

    def dry(self, x: F64 | float, y: F64 | float, margin: float = 0.03) -> Bool:
        """Land where people go: off the water and outside the cantonment (the rivers' arms
        end 30 km out: beyond 40 km all is land)."""
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        out = np.ones(px.size, dtype=np.bool_)
        near = np.flatnonzero(np.hypot(px, py) < 40.0)
        if near.size:
            qx, qy = px[near], py[near]
            out[near] = (self.river.gap(qx, qy) > margin) & ~self.cantonment.inside(qx, qy, margin)
        return out

    def people(self, rng: np.random.Generator, n: int, hubs: Sequence[Hub]) -> tuple[F64, F64]:
        """``n`` points round ``hubs`` by weight, all on dry land (the first hub's centre must
        be)."""
        h = np.array(hubs, dtype=np.float64)
        x, y = np.zeros(n), np.zeros(n)
        todo = np.ones(n, dtype=np.bool_)
        for _ in range(40):
            k = int(todo.sum())
            if not k:
                break
            pick = rng.choice(len(h), size=k, p=h[:, 3] / h[:, 3].sum())
            x[todo] = h[pick, 0] + rng.normal(0, 1, k) * h[pick, 2]
            y[todo] = h[pick, 1] + rng.normal(0, 1, k) * h[pick, 2]
            idx = np.flatnonzero(todo)
            todo[idx] = ~self.dry(x[idx], y[idx])
        x[todo], y[todo] = h[0, 0], h[0, 1]
        return x, y

    def bank_of(self, p: Point) -> int:
        return self.river.bank(*p)

    def lot_banks(self) -> list[int]:
        return [self.bank_of(p) for p in self.lots]


def _polar(r: float, a: float) -> Point:
    return r * math.cos(a), r * math.sin(a)


def _place(rng: np.random.Generator, x: float, y: float, r: float, n: int, core: float) -> Place:
    hubs: list[Hub] = [(x, y, core, 1.5)]
    for _ in range(n - 1):
        d, a = r * 0.75 * math.sqrt(float(rng.uniform(0.15, 1.0))), float(rng.uniform(0, 6.2832))
        hx, hy = x + d * math.cos(a), y + d * math.sin(a)
        hubs.append((hx, hy, float(rng.uniform(0.3, 0.25 * r + 0.4)), float(rng.uniform(0.4, 1.3))))
    return Place(x, y, r, tuple(hubs))


def _arm(rng: np.random.Generator, angle: float, length: float) -> Line:
    waves = [
        (float(rng.uniform(0.3, 0.9)), float(rng.uniform(3.0, 8.0)), float(rng.uniform(0, 6.3)))
        for _ in range(2)
    ]
    dx, dy = math.cos(angle), math.sin(angle)
    pts = []
    for s in np.arange(0.0, length + 0.01, 0.6).tolist():
        off = sum(a * math.sin(s / p + ph) for a, p, ph in waves) * min(1.0, s * s / 25)
        pts.append((s * dx - off * dy, s * dy + off * dx))
    return Line.of(pts)


def _mid(a: float, b: float) -> float:
    """The bearing halfway from ``a`` anticlockwise to ``b``."""
    return a + ((b - a) % (2 * math.pi)) / 2


def geography(seed: int) -> Mela:
    for attempt in range(400):
        g = _try_geography(np.random.default_rng([seed, 91, attempt]))
        if g is not None:
            return g
    raise RuntimeError("no mela fits")  # pragma: no cover


def _clear(g_dry: Callable[[F64, F64], Bool], line: Line, step: float = 0.05) -> bool:
    x, y = line.sample(step)
    return bool(g_dry(x, y).all())


def _try_geography(rng: np.random.Generator) -> Mela | None:
    def u(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi))

    lat, lon = u(25.2, 25.6), u(81.6, 82.1)
    an, asw, ae = u(1.3, 1.9), u(3.45, 4.0), u(-0.5, 0.1)
    half = (u(0.3, 0.5), u(0.25, 0.4), u(0.45, 0.7))
    arms = (_arm(rng, an, 30.0), _arm(rng, asw, 30.0), _arm(rng, ae, 30.0))
    river = River.of(arms, half, (an, asw, ae))
    bw, bne, bse = _mid(an, asw), _mid(ae, an), _mid(asw, ae)
    if (asw - an) % (2 * math.pi) < 1.6:
        return None
    fair_r = u(4.5, 6.0)
    ox, oy = _polar(u(3.5, 5.0), bw + u(-0.2, 0.2))
    oldcity = _place(rng, ox, oy, u(2.2, 3.0), int(rng.integers(3, 6)), u(0.6, 0.9))
    if float(river.gap(ox, oy)[0]) < 1.2:
        return None
    ca, cd = bw + u(-0.5, 0.5), u(8.0, 11.0)
    cx, cy = _polar(cd, ca)
    cant = Ellipse(cx, cy, u(1.2, 1.8), u(0.8, 1.2), u(0, math.pi))
    if float(river.gap(cx, cy)[0]) < cant.a + 0.8 or math.hypot(cx - ox, cy - oy) < 3.2:
        return None
    towns: list[Place] = []
    for b in (bne, bse):
        tx, ty = _polar(u(4.5, 6.5), b + u(-0.2, 0.2))
        r = u(1.4, 2.2)
        if float(river.gap(tx, ty)[0]) < r * 0.5 + 0.3:
            return None
        towns.append(_place(rng, tx, ty, r, int(rng.integers(2, 4)), u(0.4, 0.6)))

    def dry(x: F64 | float, y: F64 | float, margin: float = 0.03) -> Bool:
        return np.asarray((river.gap(x, y) > margin) & ~cant.inside(x, y, margin))

    sx, sy = ox + 0.0, oy + 0.0
    for _ in range(20):
        sx, sy = (a + b for a, b in zip((ox, oy), _polar(u(1.2, 2.0), u(0, 6.3)), strict=True))
        if bool(dry(sx, sy, 0.3)[0]):
            break
    else:
        return None
    # the sangam nose: the west bank's tip, where the main ghat is
    ds = np.arange(0.0, 3.0, 0.01)
    land = np.flatnonzero(river.gap(ds * math.cos(bw), ds * math.sin(bw)) > 0.04)
    if not land.size:
        return None
    nose = _polar(float(ds[land[0]]), bw)
    ghats: list[Point] = [nose]
    for _ in range(200):
        k = int(rng.integers(0, 3))
        d, side = u(0.8, 3.5), 1.0 if rng.uniform() < 0.5 else -1.0
        x0, y0 = arms[k].spot(d)
        x1, y1 = arms[k].spot(d + 0.2)
        nx_, ny_ = -(y1 - y0) / 0.2, (x1 - x0) / 0.2
        gx, gy = x0 + side * nx_ * (half[k] + 0.06), y0 + side * ny_ * (half[k] + 0.06)
        gg = float(river.gap(gx, gy)[0])
        if 0.02 < gg < 0.2 and all(math.dist((gx, gy), q) > 0.9 for q in ghats):
            ghats.append((gx, gy))
        if len(ghats) == 8:
            break
    ghats = ghats[: int(rng.integers(5, len(ghats) + 1))] if len(ghats) >= 5 else []
    if not ghats:
        return None
    # the sectors: sandbank cells near the water within the fair's reach
    ga, size = u(-0.4, 0.4), u(0.7, 1.0)
    grid0 = Grid(ga, size, ())
    n = math.ceil(fair_r / size) + 1
    ij = [(i, j) for j in range(-n, n) for i in range(-n, n)]
    cxy = np.array([grid0.xy((i + 0.5) * size, (j + 0.5) * size) for i, j in ij])
    gap = river.gap(cxy[:, 0], cxy[:, 1])
    ok = (np.hypot(cxy[:, 0], cxy[:, 1]) <= fair_r) & (gap > 0.25) & (gap < 2.6)
    ok &= np.hypot(cxy[:, 0] - ox, cxy[:, 1] - oy) >= oldcity.r * 0.55
    for t in towns:
        ok &= np.hypot(cxy[:, 0] - t.x, cxy[:, 1] - t.y) >= t.r * 0.6
    cells = [ij[k] for k in np.flatnonzero(ok).tolist()]
    grid = Grid(ga, size, tuple(cells))
    if not 25 <= len(cells) <= 55:
        return None
    banks = [river.bank(*grid.centre(k)) for k in range(len(cells))]
    if min(banks.count(b) for b in range(3)) < 3:
        return None
    # the parking lots at the fair's edges, two on the west bank and one or two on each other
    lots: list[Point] = []
    lot_bank: list[int] = []
    spans = {W_BANK: (an, asw), NE_BANK: (ae, an), SE_BANK: (asw, ae)}
    for b, want in (
        (W_BANK, 2),
        (NE_BANK, int(rng.integers(1, 3))),
        (SE_BANK, int(rng.integers(1, 3))),
    ):
        lo, hi = spans[b]
        got = 0
        for _ in range(60):
            a = lo + ((hi - lo) % (2 * math.pi)) * u(0.2, 0.8)
            px, py = _polar(fair_r + u(0.3, 1.5), a)
            if (
                bool(dry(px, py, 0.6)[0])
                and river.bank(px, py) == b
                and all(math.dist((px, py), q) >= 1.5 for q in lots)
            ):
                lots.append((px, py))
                lot_bank.append(b)
                got += 1
            if got == want:
                break
        if got < want:
            return None
    # each lot's shuttle route to a ghat on its own bank
    routes: list[Line] = []
    route_ghat: list[int] = []
    for p, b in zip(lots, lot_bank, strict=True):
        mine = [k for k, q in enumerate(ghats) if river.bank(*q) == b]
        mine.sort(key=lambda k: math.dist(p, ghats[k]))
        for k in mine:
            q = ghats[k]
            mx, my = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
            dx, dy = q[0] - p[0], q[1] - p[1]
            d = math.hypot(dx, dy)
            off = u(-0.3, 0.3)
            line = Line.of([p, (mx - dy / d * off, my + dx / d * off), q])
            if _clear(dry, line):
                routes.append(line)
                route_ghat.append(k)
                break
        else:
            return None
    # the pontoons: the only ways across the water
    pontoons: list[tuple[int, Point, Point]] = []
    per_arm = {0: int(rng.integers(1, 4)), 1: int(rng.integers(1, 3)), 2: int(rng.integers(1, 3))}
    sides = {0: (W_BANK, NE_BANK), 1: (W_BANK, SE_BANK), 2: (NE_BANK, SE_BANK)}
    for k in (0, 1, 2):
        at: list[float] = []
        for _ in range(80):
            d = u(1.0, 4.5)
            if any(abs(d - e) < 0.8 for e in at):
                continue
            x0, y0 = arms[k].spot(d)
            x1, y1 = arms[k].spot(d + 0.2)
            nx_, ny_ = -(y1 - y0) / 0.2, (x1 - x0) / 0.2
            r = half[k] + 0.08
            ends = [(x0 + nx_ * r, y0 + ny_ * r), (x0 - nx_ * r, y0 - ny_ * r)]
            if not all(bool(dry(*e, 0.01)[0]) for e in ends):
                continue
            got_b = [river.bank(*e) for e in ends]
            a, b = sides[k]
            if sorted(got_b) != sorted((a, b)):
                continue
            if got_b[0] != a:
                ends.reverse()
            pontoons.append((k, ends[0], ends[1]))
            at.append(d)
            if len(at) == per_arm[k]:
                break
        if len(at) < per_arm[k]:
            return None
    ne, se = towns
    anchors = {W_BANK: (ox, oy), NE_BANK: (ne.x, ne.y), SE_BANK: (se.x, se.y)}
    crossings: list[Line] = []
    for k, a_end, b_end in pontoons:
        a, b = sides[k]
        first, last = anchors[a], anchors[b]
        legs = (Line.of([first, a_end]), Line.of([b_end, last]))
        if not all(_clear(dry, leg) for leg in legs):
            return None
        crossings.append(Line.of([first, a_end, b_end, last]))
    # the airport and the expressway, on the west bank beyond the city
    aa = bw + u(-0.5, 0.5)
    airport = _polar(u(13.0, 18.0), aa)
    if not bool(dry(*airport, 1.0)[0]) or cant.inside(*airport, 1.5)[()]:
        return None
    amx, amy = (ox + airport[0]) / 2, (oy + airport[1]) / 2
    aroad = Line.of([(ox, oy), (amx + u(-2, 2), amy + u(-2, 2)), airport])
    ix, iy = (ox, oy)
    for _ in range(30):
        ix, iy = (
            a + b
            for a, b in zip(
                (ox, oy), _polar(oldcity.r + u(1.0, 2.0), bw + u(-0.6, 0.6)), strict=True
            )
        )
        if bool(dry(ix, iy, 0.5)[0]):
            break
    else:
        return None
    xa = math.atan2(iy - oy, ix - ox) + u(-0.3, 0.3)
    hx, hy = math.cos(xa), math.sin(xa)
    waves = [(u(0.8, 2.0), u(15, 40), u(0, 6.3)) for _ in range(2)]
    length = u(140, 160)

    def along(s: float) -> Point:
        off = sum(a * math.sin(s / p + ph) for a, p, ph in waves) * min(1.0, s * s / 100)
        return ix + s * hx - off * hy, iy + s * hy + off * hx

    expressway = Line.of([along(float(s)) for s in np.arange(0.0, length + 0.1, 1.0)])
    ex, ey = expressway.spot(expressway.length())
    capital = _place(
        rng, ex + u(-1, 1), ey + u(-1, 1), u(7.0, 10.0), int(rng.integers(5, 8)), u(0.9, 1.3)
    )
    plazas: list[float] = []
    d = u(15, 30)
    while d < expressway.length() - 10:
        plazas.append(d)
        d += u(25, 40)
    city_roads = [Line.of([(ox, oy), (sx, sy)])]
    city_roads += [
        Line.of([(ox, oy), p]) for p, b in zip(lots, lot_bank, strict=True) if b == W_BANK
    ]
    bank_roads = [
        Line.of([anchors[b], p]) for p, b in zip(lots, lot_bank, strict=True) if b != W_BANK
    ]
    link = Line.of([(ox, oy), (ix, iy)])
    for line in (aroad, link, *city_roads, *bank_roads):
        if not _clear(dry, line):
            return None
    xx, xy_ = expressway.sample(0.25)
    if not bool(dry(xx, xy_, 0.3).all()):
        return None
    far: list[Hub] = []
    while len(far) < int(rng.integers(4, 7)):
        fx, fy = _polar(u(200, 700), u(0, 2 * math.pi))
        if math.dist((fx, fy), (capital.x, capital.y)) > 120:
            far.append((fx, fy, u(3.0, 7.0), u(0.5, 1.5)))
    roads = (
        ("expressway", expressway),
        ("link", link),
        ("airport", aroad),
        *(("city", line) for line in city_roads),
        *(("bank", line) for line in bank_roads),
        *(("crossing", line) for line in crossings),
    )
    return Mela(
        lat,
        lon,
        river,
        grid,
        fair_r,
        oldcity,
        (sx, sy),
        cant,
        airport,
        (ne, se),
        tuple(ghats),
        tuple(lots),
        tuple(routes),
        tuple(route_ghat),
        tuple(pontoons),
        roads,
        expressway,
        tuple(plazas),
        capital,
        tuple(far),
    )


# -- the chargers -------------------------------------------------------------------------------


GROUPS = ("sectors", "bays", "lots", "city", "station", "airport", "banks", "plazas", "capital")


@dataclass(frozen=True, slots=True)
class Chargers:
    groups: dict[str, Sites]
    cpos: tuple[str, ...]
    publics: tuple[str, ...]
    sector: tuple[int, ...]
    """The sector of each of the sectors' chargers (in sector order)."""

    def of(self, *names: str) -> Sites:
        return join(*(self.groups[n] for n in names))

    def every(self) -> Sites:
        return self.of(*GROUPS)

    def public(self) -> Sites:
        return self.of("lots", "city", "station", "airport", "banks", "plazas", "capital")

    def fair(self) -> Sites:
        """Where the fair's people charge: the sectors, the lots and the old city."""
        return self.of("sectors", "lots", "city")

    def owned(self, cpo: str, s: Sites | None = None) -> Sites:
        s = self.every() if s is None else s
        k = [i for i, o in enumerate(s.cpos) if o == cpo]
        return pick(s, k)

    def total(self) -> int:
        return sum(len(s.ids) for s in self.groups.values())


def join(*sites: Sites) -> Sites:
    return Sites(
        [i for s in sites for i in s.ids],
        [o for s in sites for o in s.cpos],
        np.concatenate([s.lat for s in sites]),
        np.concatenate([s.lon for s in sites]),
    )


def pick(s: Sites, k: Sequence[int]) -> Sites:
    idx = list(k)
    return Sites([s.ids[i] for i in idx], [s.cpos[i] for i in idx], s.lat[idx], s.lon[idx])


def chargers(seed: int, g: Mela) -> Chargers:
    rng = np.random.default_rng([seed, 92])
    names = [str(n) for n in rng.choice(PUBLIC_NAMES, int(rng.integers(4, 7)), replace=False)]
    publics = tuple(f"cpo-{n}.mela.example" for n in names)
    groups: dict[str, Sites] = {}

    def make(name: str, x: F64, y: F64, owner: str | Sequence[str] | None = None) -> None:
        lat, lon = g.ll(x, y)
        if owner is None:
            owners = [publics[int(i)] for i in rng.integers(0, len(publics), x.size)]
        elif isinstance(owner, str):
            owners = [owner] * x.size
        else:
            owners = list(owner)
        ids = [f"ml-{name}-{i:03d}" for i in range(x.size)]
        groups[name] = Sites(ids, owners, lat, lon)

    # the fair authority's temporary chargers at about half the sectors' offices
    n = len(g.grid.cells)
    want = int(np.clip(round(n * rng.uniform(0.4, 0.55)), 14, 26))
    chosen = sorted(rng.choice(n, size=want, replace=False).tolist())
    sx, sy = [], []
    for k in chosen:
        cx, cy = g.grid.centre(k)
        for _ in range(20):
            d, a = rng.uniform(0.1, 0.3) * g.grid.size, rng.uniform(0, 2 * math.pi)
            px, py = cx + d * math.cos(a), cy + d * math.sin(a)
            if bool(g.dry(px, py, 0.05)[0]) and g.grid.sector_of(px, py) == k:
                break
        else:
            px, py = cx, cy
        sx.append(px)
        sy.append(py)
    make("sectors", np.array(sx), np.array(sy), MELA_CPO)
    bx: list[float] = []
    by: list[float] = []
    for lot in g.lots:  # the shuttle operator's bays beside each lot
        for k in range(int(rng.integers(1, 3))):
            bx.append(lot[0] + 0.06 * (k + 1))
            by.append(lot[1] - 0.04)
    make("bays", np.array(bx), np.array(by), TRANSIT_CPO)
    make(
        "lots",
        np.array([p[0] for p in g.lots]) - 0.05,
        np.array([p[1] for p in g.lots]) + 0.06,
    )
    make("city", *g.people(rng, int(rng.integers(16, 25)), g.oldcity.hubs))
    ns = int(rng.integers(2, 4))
    make(
        "station",
        g.station[0] + 0.07 * np.arange(ns, dtype=np.float64),
        g.station[1] + 0.03 * np.arange(ns, dtype=np.float64),
    )
    na = int(rng.integers(2, 4))
    concession = publics[int(rng.integers(0, len(publics)))]
    make(
        "airport",
        g.airport[0] + 0.1 * np.arange(na, dtype=np.float64),
        np.full(na, g.airport[1]),
        concession,
    )
    hubs = (*g.towns[0].hubs, *g.towns[1].hubs)
    make("banks", *g.people(rng, int(rng.integers(7, 13)), hubs))
    make("plazas", *g.expressway.at(np.array(g.plazas)))
    make("capital", *g.people(rng, int(rng.integers(10, 17)), g.capital.hubs))
    sector = tuple(chosen)
    return Chargers(groups, (MELA_CPO, TRANSIT_CPO, *publics), publics, sector)


# -- times --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timetable:
    vip: tuple[float, float]
    """The VIP movement's closure (IST hours)."""
    vip_pontoon: int
    trains: tuple[float, ...]
    """Special trains' arrivals (IST hours from the day's midnight; past 24 is the next
    morning)."""


def timetable(seed: int, g: Mela) -> Timetable:
    rng = random.Random(f"mela-timetable:{seed}")
    a = rng.uniform(10.0, 12.0)
    vip = (a, a + rng.uniform(2.5, 4.0))
    # the VIP crosses to the main ghat's bank by the pontoon nearest it
    ghat = g.ghats[0]
    vp = min(range(len(g.pontoons)), key=lambda k: math.dist(g.pontoons[k][1], ghat))
    trains: list[float] = []
    t = TRAINS[0] + rng.uniform(0, 0.4)
    while t < TRAINS[1]:
        trains.append(t)
        t += rng.uniform(20, 45) / 60
    return Timetable(vip, vp, tuple(trains))


def _midnights(w: World) -> list[float]:
    m = w.start - hour_of(w.start) * HOUR - 86_400.0
    out = []
    while m < w.end:
        out.append(m)
        m += 86_400.0
    return out


def _window(w: World, rng: np.random.Generator, per_day: float, span: tuple[float, float]) -> F64:
    """Poisson times, ``per_day`` a day, uniform in the IST hours ``span`` of each day."""
    out: list[F64] = [np.zeros(0)]
    for m in _midnights(w):
        n = int(rng.poisson(per_day))
        out.append(m + rng.uniform(span[0], span[1], n) * HOUR)
    t = np.sort(np.concatenate(out))
    return t[(t >= w.start) & (t < w.end)]


def _clock(w: World, period: float, offset: float = 0.0) -> list[float]:
    """Every ``period`` seconds from each IST midnight (plus ``offset``), in the span."""
    out: list[float] = []
    for m in _midnights(w):
        t = m + offset
        while t < m + 86_400.0:
            if w.start <= t < w.end:
                out.append(t)
            t += period
    return sorted(set(out))


def train_times(w: World, tt: Timetable) -> list[float]:
    out = [m + h * HOUR for m in _midnights(w) for h in tt.trains]
    return sorted(t for t in out if w.start - HOUR <= t < w.end)


def vip_on(t: float, tt: Timetable) -> bool:
    return in_span(t, tt.vip)


# -- people -------------------------------------------------------------------------------------


OLD, STATION, SECTOR, GHAT, LOT, BANKS, CAPITAL, AIRPORT, PLAZA = range(9)


def _zone(g: Mela, k: int) -> Sequence[Hub]:
    if k == OLD:
        return g.oldcity.hubs
    if k == STATION:
        return ((*g.station, 0.3, 1.0),)
    if k == SECTOR:
        return tuple((*p, g.grid.size * 0.35, 1.0) for p in g.grid.centres())
    if k == GHAT:
        return tuple((*p, 0.25, 2.0 if i == 0 else 1.0) for i, p in enumerate(g.ghats))
    if k == LOT:
        return tuple((*p, 0.25, 1.0) for p in g.lots)
    if k == BANKS:
        return (*g.towns[0].hubs, *g.towns[1].hubs)
    if k == CAPITAL:
        return g.capital.hubs
    if k == AIRPORT:
        return ((*g.airport, 0.4, 1.0),)
    return tuple((*g.expressway.spot(d), 0.3, 1.0) for d in g.plazas)


def _habits(prng: random.Random, book: tuple[float, float], shape: Sequence[float] = DAY) -> Habits:
    return Habits(
        radii=prng.choice(((2.0, 5.0, 10.0), (1.0, 3.0), (1.0, 2.0, 5.0), (3.0, 5.0, 10.0))),
        book=prng.uniform(*book),
        confirm=prng.uniform(0.6, 0.85),
        repeat=prng.choice(((1,), (1, 1, 2), (1, 1, 1, 2, 3), (1, 2))),
        shape=tuple(shape),
    )


def _sessions(
    w: World,
    g: Mela,
    s: Sites,
    bap: str,
    wire: Wire,
    times: F64 | Sequence[float],
    weights: Sequence[float],
    h: Habits,
    key: str = "",
) -> int:
    """A person's session at each time in the zones by ``weights``. Returns the searches
    made."""
    rng, prng = w.rng(bap + key), w.prng(bap + key)
    t = np.asarray(times, dtype=np.float64)
    p = np.asarray(weights, dtype=np.float64)
    which = rng.choice(p.size, size=t.size, p=p / p.sum())
    x, y = np.zeros(t.size), np.zeros(t.size)
    for k in range(p.size):
        m = which == k
        if m.any():
            x[m], y[m] = g.people(rng, int(m.sum()), _zone(g, k))
    lat, lon = g.ll(x, y)
    who = rng.integers(0, wire.users, t.size)
    made = 0
    for i, at in enumerate(t.tolist()):
        made += wire.session(
            w, bap, prng, at, float(lat[i]), float(lon[i]), int(who[i]), h, s, h.book
        )
    return made


def _per_session(h: Habits) -> float:
    return float(np.mean(h.repeat)) * 1.1


def _far_sites(w: World, g: Mela, c: Chargers, key: str, hubs: Sequence[Hub]) -> Sites:
    rng = w.rng(key + "farsites")
    hs = np.array(hubs, dtype=np.float64)
    n = 300
    k = rng.choice(len(hs), size=n, p=hs[:, 3] / hs[:, 3].sum())
    x = hs[k, 0] + rng.normal(0, 1, n) * hs[k, 2]
    y = hs[k, 1] + rng.normal(0, 1, n) * hs[k, 2]
    lat, lon = g.ll(x, y)
    owners = [c.publics[int(i)] for i in rng.integers(0, len(c.publics), n)]
    return Sites([f"ml-far-{i:03d}" for i in range(n)], owners, lat, lon)


def _far(
    w: World,
    g: Mela,
    c: Chargers,
    bap: str,
    wire: Wire,
    searches: float,
    h: Habits,
    hubs: Sequence[Hub],
) -> int:
    """A national app's sessions in the far cities (``hubs``)."""
    there = _far_sites(w, g, c, bap, hubs)
    rng, prng = w.rng(bap + "far"), w.prng(bap + "far")
    t = arrivals(rng, searches / _per_session(h), w.start, w.end, FAR)
    x, y = g.people(rng, t.size, hubs)
    lat, lon = g.ll(x, y)
    who = rng.integers(0, wire.users, t.size)
    made = 0
    for i, at in enumerate(t.tolist()):
        made += wire.session(
            w, bap, prng, at, float(lat[i]), float(lon[i]), int(who[i]), h, there, h.book
        )
    return made


def _ordinary(
    w: World,
    g: Mela,
    c: Chargers,
    label: str,
    style: str,
    stem: str,
    size: float,
    weights: Sequence[float],
    book: tuple[float, float] = (0.04, 0.12),
    shape: Sequence[float] = DAY,
    extra: F64 | None = None,
    pick_: tuple[int, ...] | None = None,
) -> tuple[str, Wire, int]:
    """An app of ordinary people's sessions, about ``size`` searches a day on ``shape``
    (plus sessions at the times ``extra``) over the zones by ``weights``."""
    bap = w.bap(label, style, stem)
    p = w.prng(bap + "habits")
    users = p.randint(max(5, int(size / 6)), max(20, int(size * 2)))
    wire = WIRING.wire(p, bap, users, pick=pick_)
    h = _habits(p, book, shape)
    t = arrivals(w.rng(bap + "times"), size / _per_session(h), w.start, w.end, shape)
    if extra is not None:
        t = np.sort(np.concatenate([t, extra]))
    s = join(c.fair(), c.public())
    made = _sessions(w, g, s, bap, wire, t, weights, h)
    return bap, wire, made


def _tiny(w: World, g: Mela, c: Chargers, bap: str) -> int:
    """A brand-new app's handful of users: 5-14 sessions a day in the old city and the fair."""
    p, rng = w.prng(bap + "tiny"), w.rng(bap + "tiny")
    wire = WIRING.wire(p, bap, p.randint(2, 7), refs=0.7)
    h = Habits((2.0, 5.0), p.uniform(0.2, 0.35), 0.7, (1, 1, 2), DAY)
    days = max(1, round((w.end - w.start) / 86_400.0))
    times = world.exactly(rng, p.randint(5, 14) * days, w, DAY)
    weights = (3.0, 0.3, 1.0, 0.2, 0.3, 0.5, 0, 0, 0)
    return _sessions(w, g, join(c.fair(), c.public()), bap, wire, times, weights, h)


# -- honest apps --------------------------------------------------------------------------------


def _national(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("national")
    size = prng.uniform(7000, 9000)
    local = prng.uniform(0.12, 0.25)
    bap = w.bap("honest", "", "nat")
    wire = WIRING.wire(prng, bap, 50_000, refs=0.7)
    h = _habits(prng, (0.04, 0.1))
    weights = (3.0, 0.5, 1.0, 0.3, 0.5, 1.0, 3.0, 0.3, 0.8)
    t = arrivals(w.rng(bap + "times"), size * local / _per_session(h), w.start, w.end, DAY)
    _sessions(w, g, join(c.fair(), c.public()), bap, wire, t, weights, h)
    _far(w, g, c, bap, wire, size * (1 - local), h, g.far)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"national aggregator, ~{size:.0f} searches a day, {1 - local:.0%} of them in "
        f"{len(g.far)} far cities",
    )


def _six_city(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("sixcity")
    size = prng.uniform(3000, 4500)
    bap = w.bap(
        "honest",
        f"six-city aggregator over the fair city, the capital and four far cities, "
        f"~{size:.0f} searches a day",
        "six",
    )
    wire = WIRING.wire(prng, bap, prng.randint(1500, 4000))
    h = _habits(prng, (0.05, 0.1))
    s = join(c.fair(), c.public())
    t = arrivals(w.rng(bap + "here"), size * 0.35 / _per_session(h), w.start, w.end, DAY)
    _sessions(w, g, s, bap, wire, t, (3.0, 0.5, 1.5, 0.5, 0.5, 1.0, 0, 0.3, 0), h, "here")
    t = arrivals(w.rng(bap + "cap"), size * 0.2 / _per_session(h), w.start, w.end, DAY)
    _sessions(w, g, s, bap, wire, t, (0, 0, 0, 0, 0, 0, 1.0, 0, 0), h, "cap")
    four = [(x, y, r, 1.0) for x, y, r, _ in g.far[:4]]
    _far(w, g, c, bap, wire, size * 0.45, h, four)


def _fair_app(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("fairapp")
    size = prng.uniform(5000, 7000)
    aarti = _window(w, w.rng("fair-aarti"), size * 0.03, AARTI)
    _ordinary(
        w,
        g,
        c,
        "honest",
        f"the fair's official pilgrim app, ~{size:.0f} searches a day over the sectors, the "
        "ghats and the lots, surging before the dawn bath",
        "fair",
        size,
        (0.3, 0.2, 4.0, 2.0, 1.5, 0.4, 0, 0, 0),
        book=(0.05, 0.1),
        shape=PILGRIM,
        extra=aarti,
    )


def _city_apps(w: World, g: Mela, c: Chargers, n: int) -> None:
    plan = w.prng("cityapps")
    sizes = [plan.uniform(500, 900), plan.uniform(1300, 2200)][:n]
    for size in sizes:
        _ordinary(
            w,
            g,
            c,
            "honest",
            f"old-city app, about {size:.0f} searches a day",
            "app",
            size,
            (4.0, 0.6, 0.4, 0.1, 0.2, 0.5, 0, 0.1, 0),
        )


def _capital_app(w: World, g: Mela, c: Chargers) -> None:
    size = w.prng("capital").uniform(1500, 2500)
    _ordinary(
        w,
        g,
        c,
        "honest",
        f"capital-city app, about {size:.0f} searches a day, 150 km up the expressway",
        "cap",
        size,
        (0, 0, 0, 0, 0, 0, 5.0, 0, 0.2),
    )


def _emergency(w: World, g: Mela, c: Chargers, tt: Timetable) -> None:
    """Fair police and ambulances: every 10 minutes on the clock the dispatch searches at each
    vehicle running low (under 35%) and books the nearest charger under 20%."""
    prng = w.prng("emergency")
    n = prng.randint(24, 40)
    escorts = prng.randint(3, 5)
    bap = w.bap("honest", "", "sos")
    wire = WIRING.wire(prng, bap, n, always=True)
    s = c.of("sectors", "lots", "city")
    centres = g.grid.centres()
    beats = [centres[prng.randrange(len(centres))] for _ in range(n)]
    soc = [prng.uniform(0.3, 1.0) for _ in range(n)]
    drain = [prng.uniform(0.14, 0.22) for _ in range(n)]
    busy = [0.0] * n
    open_: list[tuple[str, str] | None] = [None] * n
    bar = g.pontoons[tt.vip_pontoon][1]
    ticks = [m + k * 600.0 for m in _midnights(w) for k in range(144)]
    for t in (t for t in ticks if w.start - 8 * HOUR <= t < w.end):
        at = t
        for v in range(n):
            if t < busy[v]:
                continue
            soc[v] -= drain[v] / 6 * (1.3 if in_span(t, BATH) else 1.0)
            if soc[v] > 0.35:
                continue
            if v < escorts and vip_on(t, tt):
                x, y = bar
            else:
                x, y = beats[v]
                for _ in range(20):
                    d, a = prng.uniform(0, 0.6), prng.uniform(0, 2 * math.pi)
                    px, py = beats[v][0] + d * math.cos(a), beats[v][1] + d * math.sin(a)
                    if bool(g.dry(px, py)[0]):
                        x, y = px, py
                        break
            if open_[v] is None:
                via = wire.via(prng)
                open_[v] = (via, wire.txn(w, via, "s"))
            via, txn = open_[v] or ("", "")
            lat, lon = g.ll1(x, y)
            r = 2.0 if soc[v] > 0.27 else 4.0
            w.search(bap, at, lat, lon, r, via=via, user=wire.user(v), txn=txn)
            if soc[v] <= 0.2:
                k = s.nearest(lat, lon)
                w.book(bap, at, s.cpos[k], s.ids[k], prng, confirm=0.97, user=wire.user(v), txn=txn)
                busy[v] = t + prng.uniform(50, 80) * 60
                soc[v] = prng.uniform(0.9, 1.0)
                open_[v] = None
            at += prng.uniform(0.3, 1.0)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"fair police and ambulance fleet dispatch: {n} vehicles on sector beats, every 10 min on "
        "the clock a search at each vehicle under 35% charge, booking the nearest charger under "
        f"20%; {escorts} VIP escorts wait at the barricade in the closure",
    )


def _stops(route: Line, prng: random.Random) -> list[float]:
    step = prng.uniform(0.6, 1.0)
    L = route.length()
    out = np.arange(0.0, L, step).tolist()
    if L - out[-1] < 0.25:
        out.pop()
    return [*out, L]


def _shuttles(w: World, g: Mela, c: Chargers, tt: Timetable) -> None:
    prng = w.prng("shuttles")
    bap = w.bap("honest", "", "bus")
    plan = [prng.randint(2, 4) for _ in g.routes]
    wire = WIRING.wire(
        prng, bap, sum(plan), refs=0.5, pick=prng.choice(((0,), (2,), (0, 2))), txn3=True
    )
    bays = c.groups["bays"]
    bx, by = g.xy(bays.lat, bays.lon)
    every = prng.randint(4, 7)
    bus = 0
    for k, route in enumerate(g.routes):
        stops = _stops(route, prng)
        path = stops + stops[-2::-1]
        lot = g.lots[k]
        mine = [j for j in range(len(bays.ids)) if math.dist((bx[j], by[j]), lot) < 0.3]
        main = g.route_ghat[k] == 0
        for _ in range(plan[k]):
            tp = w.prng(f"bus{bus}")
            user = wire.user(bus)
            bus += 1
            t = w.start - tp.uniform(0, 1.5 * HOUR)
            loops = 0
            while t < w.end:
                if main and vip_on(t, tt):  # the VIP's ghat: the route is shut
                    t += 600
                    continue
                via = wire.via(tp)
                txn = wire.txn(w, via, "b")
                for i, d in enumerate(path):
                    lat, lon = g.ll1(*route.spot(d))
                    w.search(bap, t, lat, lon, 1.0, via=via, user=user, txn=txn)
                    if i + 1 < len(path):
                        slow = crowd(t) > 2.0
                        speed = tp.uniform(8, 12) if slow else tp.uniform(15, 22)
                        t += tp.uniform(40, 120) + abs(path[i + 1] - d) / speed * HOUR
                loops += 1
                if loops % every == 0:
                    j = tp.choice(mine)
                    w.book(bap, t, bays.cpos[j], bays.ids[j], tp, confirm=0.98, user=user, txn=txn)
                    t += tp.uniform(30, 50) * 60
                else:
                    t += tp.uniform(3, 8) * 60
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"shuttle e-buses' telematics: {bus} buses looping {len(g.routes)} lot-to-ghat routes, "
        f"refreshing at each route's fixed stops, one transaction a loop, booking the lot's bay "
        f"every {every} loops; the main ghat's route shut in the VIP closure",
    )


def _rickshaws(w: World, g: Mela, c: Chargers) -> None:
    prng, rng = w.prng("rickshaws"), w.rng("rickshaws")
    drivers = prng.randint(80, 150)
    bap = w.bap("honest", "", "rik")
    wire = WIRING.wire(prng, bap, drivers, always=True)
    route = [prng.randrange(len(g.routes)) for _ in range(drivers)]
    s = c.of("lots", "sectors")
    book = prng.uniform(0.28, 0.4)
    times = arrivals(rng, drivers * prng.uniform(3, 5), w.start, w.end, PILGRIM)
    for at in times.tolist():
        u = prng.randrange(drivers)
        line = g.routes[route[u]]
        lat, lon = g.ll1(*line.spot(prng.uniform(0, line.length())))
        via = wire.via(prng)
        txn = wire.txn(w, via, "r")
        user = wire.user(u)
        w.search(bap, at, lat, lon, 1.5, via=via, user=user, txn=txn)
        t = at
        if prng.random() < 0.3:
            t += prng.uniform(20, 90)
            w.search(bap, t, lat, lon, 3.0, via=via, user=user, txn=txn)
        if prng.random() < book:
            k = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=0.9, user=user, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"e-rickshaw shuttle drivers' app: {drivers} drivers low on charge searching from a spot "
        f"on their lot-to-ghat route, busiest before the dawn bath, {book:.0%} book",
    )


HU_WEIGHT = {"expressway": 3.0, "link": 1.0, "airport": 1.0, "city": 1.5, "bank": 1.0,
             "crossing": 1.2}  # fmt: skip


def _head_units(w: World, g: Mela, c: Chargers, tt: Timetable, brand: str) -> None:
    prng, rng = w.prng("hu" + brand), w.rng("hu" + brand)
    bap = w.bap("honest", "", "hu")
    cars = prng.randint(300, 600)
    pick: tuple[int, ...] = (0,) if brand == "A" else (1,)
    if brand == "A" and prng.random() < 0.5:
        pick = (0, 2)
    wire = WIRING.wire(prng, bap, cars, refs=0.6, pick=pick, txn3=True)
    s = join(c.fair(), c.public())
    kinds = [k for k, _ in g.roads]
    p = np.array([HU_WEIGHT[k] for k in kinds])
    ban = np.array([0.0 if k == "crossing" else HU_WEIGHT[k] for k in kinds])
    vip = [i for i, (k, _) in enumerate(g.roads) if k == "crossing"][tt.vip_pontoon]
    book = prng.uniform(0.05, 0.1)
    trips = arrivals(rng, prng.uniform(250, 350), w.start, w.end, ROADS)
    for t0 in trips.tolist():
        q = ban if in_span(t0, BAN) else p
        r = int(rng.choice(len(g.roads), p=q / q.sum()))
        kind, line = g.roads[r]
        L = line.length()
        span = min(L, prng.uniform(4, 40))
        a = prng.uniform(0, L - span)
        a, b = (a, a + span) if prng.random() < 0.5 else (a + span, a)
        sign = 1.0 if b >= a else -1.0
        if kind == "expressway":
            speed = prng.uniform(60, 90)
        else:
            speed = prng.uniform(10, 20) if crowd(t0) > 2.0 else prng.uniform(18, 35)
        period = prng.uniform(180, 360)
        bar = float(line.s[1] if sign > 0 else line.s[2]) if r == vip else None
        via = wire.via(prng)
        txn = wire.txn(w, via, "u")
        user = wire.user(prng.randrange(cars))
        t, d = float(t0), a
        bridge = (float(line.s[1]), float(line.s[2])) if kind == "crossing" else (L, L)
        while True:
            x, y = line.spot(d)
            on = bridge[0] < d < bridge[1] and bool(g.river.wet(x, y)[0])
            if not on:  # never on the water
                lat, lon = g.ll1(x, y)
                w.search(bap, t, lat, lon, 3.0, via=via, user=user, txn=txn)
            if (b - d) * sign <= 1e-9:
                break
            nxt = d + sign * min(abs(b - d), speed * period / HOUR * prng.uniform(0.9, 1.1))
            t += period * prng.uniform(0.9, 1.1)
            if bar is not None and vip_on(t, tt) and (bar - d) * sign > 0 >= (bar - nxt) * sign:
                lat, lon = g.ll1(*line.spot(bar))  # the barricade: wait, then give up or cross
                for _ in range(prng.randint(3, 10)):
                    if not vip_on(t, tt):
                        break
                    w.search(bap, t, lat, lon, 3.0, via=via, user=user, txn=txn)
                    t += period * prng.uniform(0.9, 1.1)
                if vip_on(t, tt):
                    b = bar
                    break
            d = nxt
        if prng.random() < book:
            lat, lon = g.ll1(*line.spot(b))
            k = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=0.8, user=user, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"brand {brand} in-car head units: {cars} cars refreshing every 3-6 min on the move "
        f"(the expressway, the city, the banks, the pontoons after 11:00), one transaction a trip "
        f"{'where the gateway reports it' if brand == 'A' else '(never reported)'}, "
        f"{book:.0%} of trips book, repeats at the VIP barricade",
    )


def _depot(w: World, c: Chargers, g: Mela) -> None:
    prng = w.prng("depot")
    bap = w.bap("honest", "", "dep")
    wire = WIRING.wire(prng, bap, 1, refs=0.0, pick=(prng.choice((0, 1, 2)),))
    bays = c.groups["bays"]
    bx, by = g.xy(bays.lat, bays.lon)
    rush_span = (1.0, 9.0)
    rush, calm = prng.uniform(0.28, 0.4), prng.uniform(0.05, 0.1)
    rounds = sorted(
        [t for t in _clock(w, 300.0) if in_span(t, rush_span)]
        + [t for t in _clock(w, 600.0) if not in_span(t, rush_span)]
    )
    for t in rounds:
        via = wire.via(prng)
        txn = wire.txn(w, via, "d")
        at = t
        for lot in g.lots:
            lat, lon = g.ll1(*lot)
            w.search(bap, at, lat, lon, 0.3, via=via, txn=txn)
            at += prng.uniform(0.5, 2.0)
        if prng.random() < (rush if in_span(t, rush_span) else calm):
            k = prng.randrange(len(g.lots))
            mine = [j for j in range(len(bays.ids)) if math.dist((bx[j], by[j]), g.lots[k]) < 0.3]
            j = prng.choice(mine)
            w.book(bap, at, bays.cpos[j], bays.ids[j], prng, confirm=0.95, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"shuttle operator's depot manager: its {len(g.lots)} lots' bays from each lot's spot, "
        f"every 5 min on the clock 01:00-09:00 (booking on {rush:.0%} of those rounds) and every "
        f"10 min otherwise ({calm:.0%})",
    )


def _power_cell(w: World, c: Chargers) -> None:
    prng = w.prng("powercell")
    bap = w.bap("honest", "", "pwr")
    wire = WIRING.wire(prng, bap, 1, refs=0.0, pick=(prng.choice((0, 1, 2)),))
    s = c.groups["sectors"]
    odds = 1 / prng.uniform(100, 200)
    rounds = sorted(
        [t for t in _clock(w, 300.0) if in_span(t, BATH)]
        + [t for t in _clock(w, 1200.0) if not in_span(t, BATH)]
    )
    for t in rounds:
        via = wire.via(prng)
        txn = wire.txn(w, via, "o")
        at = t
        for j in range(len(s.ids)):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), 0.3, via=via, txn=txn)
            at += prng.uniform(0.5, 2.0)
        if prng.random() < odds * len(s.ids):
            j = prng.randrange(len(s.ids))
            w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=1.0, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"fair authority's power-cell console: its {len(s.ids)} sector chargers in sector order, "
        f"every 5 min on the clock 02:00-08:00 and every 20 min otherwise, a test booking about "
        f"1 in {1 / odds:.0f} searches",
    )


def _kalpvasis(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("kalpvasi")
    users = prng.randint(120, 220)
    bap = w.bap("honest", "", "kalp")
    wire = WIRING.wire(prng, bap, users, refs=0.8)
    s = c.of("sectors", "lots")
    book = prng.uniform(0.12, 0.2)
    centres = g.grid.centres()
    tents: list[Point] = []
    for _ in range(users):
        cx, cy = centres[prng.randrange(len(centres))]
        spot = (cx, cy)
        for _ in range(20):
            d, a = prng.uniform(0, 0.35) * g.grid.size, prng.uniform(0, 2 * math.pi)
            px, py = cx + d * math.cos(a), cy + d * math.sin(a)
            if bool(g.dry(px, py)[0]):
                spot = (px, py)
                break
        tents.append(spot)
    radius = [prng.choice((1.0, 2.0)) for _ in range(users)]
    for m in _midnights(w):
        for u in range(users):
            when = []
            if prng.random() < 0.85:
                when.append(prng.uniform(2.5, 5.0))
            if prng.random() < 0.4:
                when.append(prng.uniform(13.0, 17.0))
            if prng.random() < 0.3:
                when.append(prng.uniform(19.0, 21.5))
            lat, lon = g.ll1(*tents[u])
            for h in when:
                at = m + h * HOUR
                via = wire.via(prng)
                txn = wire.txn(w, via, "k")
                w.search(bap, at, lat, lon, radius[u], via=via, user=wire.user(u), txn=txn)
                if prng.random() < book:
                    k = s.nearest(lat, lon)
                    w.book(
                        bap, at, s.cpos[k], s.ids[k], prng, confirm=0.85, user=wire.user(u), txn=txn
                    )
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"kalpvasis' app: {users} month-long tent residents each searching from their tent's "
        f"exact spot before the dawn bath and some in the afternoon and evening, {book:.0%} book",
    )


def _akharas(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("akhara")
    n = prng.randint(7, 13)
    bap = w.bap("honest", "", "akh")
    wire = WIRING.wire(prng, bap, 2 * n, always=True)
    s = c.groups["sectors"]
    camps = [g.grid.centre(k) for k in prng.sample(range(len(g.grid.cells)), n)]
    first, spacing = prng.uniform(4.0, 5.0), prng.uniform(0.55, 0.8)
    m = world.ist_days(w)[0]  # the bathing day: the day's first IST midnight
    glat, glon = g.ll1(*g.ghats[0])
    for k, camp in enumerate(camps):
        slot = m + (first + k * spacing) * HOUR
        lat, lon = g.ll1(*camp)
        stage = sorted(slot - prng.uniform(0, 75) * 60 for _ in range(prng.randint(4, 8)))
        for i, at in enumerate(stage):
            u = 2 * k + prng.randrange(2)
            via = wire.via(prng)
            txn = wire.txn(w, via, "h")
            w.search(bap, at, lat, lon, 1.0, via=via, user=wire.user(u), txn=txn)
            if i == 0 and prng.random() < 0.6:
                j = s.nearest(lat, lon)
                w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=0.95, user=wire.user(u), txn=txn)
        for _ in range(prng.randint(2, 3)):
            at = slot + prng.uniform(20, 50) * 60
            via = wire.via(prng)
            u = 2 * k + prng.randrange(2)
            w.search(
                bap, at, glat, glon, 1.5, via=via, user=wire.user(u), txn=wire.txn(w, via, "h")
            )
        for _ in range(prng.randint(1, 3)):
            at = m + prng.uniform(12.0, 21.0) * HOUR
            via = wire.via(prng)
            u = 2 * k + prng.randrange(2)
            w.search(bap, at, lat, lon, 2.0, via=via, user=wire.user(u), txn=wire.txn(w, via, "h"))
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"akharas' procession coordinators: {n} orders, each camp's exact spot searched 4-8 times "
        f"in the 75 min before its slot in the bathing order (from {first:.1f} h, every "
        f"{spacing * 60:.0f} min), then the main ghat, most booking a charger for the chariot",
    )


def _sanitation(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("sanitation")
    n = prng.randint(6, 10)
    bap = w.bap("honest", "", "san")
    wire = WIRING.wire(prng, bap, n, refs=0.5, pick=prng.choice(((0,), (2,), (0, 2))), txn3=True)
    s = c.groups["sectors"]
    blocks = [b.tolist() for b in np.array_split(np.arange(len(g.grid.cells)), n)]
    for m in _midnights(w):
        for shift in (prng.uniform(12.5, 13.0), prng.uniform(22.0, 22.5)):
            for k, block in enumerate(blocks):
                t = m + shift * HOUR + prng.uniform(0, 600)
                via = wire.via(prng)
                txn = wire.txn(w, via, "n")
                user = wire.user(k)
                px, py = g.grid.centre(block[0])
                for j in block:
                    x, y = g.grid.centre(j)
                    t += math.hypot(x - px, y - py) / 12.0 * HOUR
                    lat, lon = g.ll1(x, y)
                    w.search(bap, t, lat, lon, 0.5, via=via, user=user, txn=txn)
                    t += prng.uniform(8, 15) * 60
                    px, py = x, y
                lat, lon = g.ll1(px, py)
                j = s.nearest(lat, lon)
                w.book(bap, t, s.cpos[j], s.ids[j], prng, confirm=0.95, user=user, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"fair sanitation fleet: {n} electric tippers, each visiting its block of consecutive "
        "sectors in number order at each sector's centre, at midday and at night, booking a "
        "sector charger at the end of each shift",
    )


def _cpo_app(w: World, g: Mela, c: Chargers, cpo: str) -> None:
    bap = w.bap("honest", f"{cpo}'s own app, booking its own chargers", "cpo")
    prng = w.prng(bap)
    mine = c.owned(cpo)
    wire = WIRING.wire(prng, bap, prng.randint(20, 80))
    h = Habits((2.0, 5.0), prng.uniform(0.2, 0.35), 0.85, (1, 1, 2), DAY)
    t = arrivals(w.rng(bap), prng.uniform(80, 220), w.start, w.end, DAY)
    mx, my = g.xy(mine.lat, mine.lon)
    hubs = [(float(a), float(b), 0.8, 1.0) for a, b in zip(mx, my, strict=True)]
    lat, lon = g.ll(*g.people(w.rng(bap + "where"), t.size, hubs))
    for i, at in enumerate(t.tolist()):
        wire.session(
            w, bap, prng, at, float(lat[i]), float(lon[i]), i % wire.users, h, mine, h.book
        )


# -- scrapers hidden in real apps -------------------------------------------------------------


def halton(k: int, base: int) -> float:
    """The ``k``-th (from 1) term of the van der Corput sequence in ``base``."""
    out, f = 0.0, 1.0
    while k:
        f /= base
        out += f * (k % base)
        k //= base
    return out


def corner_points(g: Mela) -> list[Point]:
    """The sector grid's corners on dry land, in sector order."""
    pts = g.grid.corners()
    x = np.array([p[0] for p in pts])
    y = np.array([p[1] for p in pts])
    keep = g.dry(x, y)
    return [p for p, k in zip(pts, keep.tolist(), strict=True) if k]


def _host_size(scraped: int, share: float) -> float:
    return scraped * (1 - share) / share


def _corner_sweep(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("corners")
    pts = corner_points(g)
    jitter = w.seed % 2 == 0
    radius = round(g.grid.size * 0.8, 2)
    starts: list[float] = []
    for m in _midnights(w):
        for lo, hi in (BATH, AARTI):
            t = m + lo * HOUR + prng.uniform(0, 600)
            while t < m + hi * HOUR:
                if w.start <= t < w.end:
                    starts.append(t)
                t += prng.uniform(45, 75) * 60
    share = prng.uniform(0.11, 0.2)
    host = _host_size(len(starts) * len(pts), share)
    bap, wire, made = _ordinary(
        w,
        g,
        c,
        "hidden_sweep",
        "",
        "pil",
        host,
        (0.5, 0.3, 3.0, 1.0, 1.0, 0.3, 0, 0, 0),
        book=(0.04, 0.1),
        shape=PILGRIM,
    )
    for t in starts:
        via = wire.via(prng)
        txn = wire.txn(w, via, "c")
        at = t
        for x, y in pts:
            if jitter:
                for _ in range(20):
                    d, a = prng.uniform(0.015, 0.05), prng.uniform(0, 2 * math.pi)
                    px, py = x + d * math.cos(a), y + d * math.sin(a)
                    if bool(g.dry(px, py)[0]):
                        break
                x, y = px, py
            lat, lon = g.ll1(x, y)
            w.search(bap, at, lat, lon, radius, via=via, txn=txn, scraping=True)
            at += prng.uniform(4, 12)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"crowd-cover corner sweep: the {len(pts)} dry corners of the sector grid in sector order "
        f"at {radius} km, rounds every 45-75 min only 02:00-08:00 and 17:30-20:00, "
        f"{'15-50 m off the corners' if jitter else 'exact corners'}, no user ref; "
        f"{got / max(1, got + made):.0%} of a pilgrim-services app",
    )


def ladder_anchors(g: Mela, step: float = 3.0) -> list[Point]:
    """A ``step`` km lattice over the fair city's land (the fair, the old city, the bank towns),
    on dry land 200 m from the water."""
    reach = g.fair_r + 3.0
    out: list[Point] = []
    for y in np.arange(-reach, reach + 1e-9, step).tolist():
        for x in np.arange(-reach, reach + 1e-9, step).tolist():
            near = math.hypot(x, y) <= g.fair_r + 1.0 or any(
                math.hypot(x - p.x, y - p.y) <= p.r + 1.0 for p in (g.oldcity, *g.towns)
            )
            if near and bool(g.dry(x, y, 0.2)[0]):
                out.append((x, y))
    return out


def _radius_ladder(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("ladder")
    anchors = ladder_anchors(g)
    sessions = arrivals(w.rng("ladder"), prng.uniform(80, 130), w.start, w.end, DAY).tolist()
    tops = [prng.randint(3, 5) for _ in sessions]
    share = prng.uniform(0.09, 0.14)
    host = _host_size(sum(tops), share)
    bap, wire, made = _ordinary(
        w, g, c, "hidden_sweep", "", "app", host, (4.0, 0.6, 0.5, 0.1, 0.3, 0.6, 0, 0.1, 0)
    )
    order: list[int] = []
    free = w.start
    for t, top in zip(sessions, tops, strict=True):
        if not order:
            order = prng.sample(range(len(anchors)), len(anchors))
        lat, lon = g.ll1(*anchors[order.pop()])
        via = wire.via(prng)
        txn = wire.txn(w, via, "l")
        at = max(t, free)  # one session at a time
        for r in range(1, top + 1):
            w.search(bap, at, lat, lon, float(r), via=via, txn=txn, scraping=True)
            at += prng.uniform(8, 40)
        free = at + 60
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"radius ladder: {len(anchors)} anchors on a 3 km lattice over the fair city's land in a "
        f"fresh order each pass, each session one anchor at 1, 2, 3 (up to 5) km seconds apart, "
        f"on the city's rhythm, no user ref; {got / max(1, got + made):.0%} of an old-city app",
    )


def pair_off(x: F64, y: F64) -> list[tuple[int, int]]:
    """Pairs of points, the closest remaining pair first, until none or one is left."""
    left = set(range(x.size))
    out: list[tuple[int, int]] = []
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    while len(left) > 1:
        idx = sorted(left)
        sub = d[np.ix_(idx, idx)] + np.eye(len(idx)) * 1e9
        i, j = divmod(int(np.argmin(sub)), len(idx))
        out.append((idx[i], idx[j]))
        left -= {idx[i], idx[j]}
    return out


def _rival_sites(c: Chargers, prng: random.Random, s: Sites, lo: int, hi: int) -> Sites:
    """Up to ``hi`` (at least ``lo``) of ``s``: a rival public CPO's first, then the others."""
    rival = prng.choice(c.publics)
    mine = [i for i, o in enumerate(s.cpos) if o == rival]
    rest = [i for i in range(len(s.ids)) if i not in mine]
    n = prng.randint(lo, hi)
    return pick(s, (prng.sample(mine, len(mine)) + prng.sample(rest, len(rest)))[:n])


def _pair_poll(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("pairs")
    s = _rival_sites(c, prng, c.of("city", "station", "lots"), 10, 16)
    n = len(s.ids) - len(s.ids) % 2
    s = pick(s, range(n))
    x, y = g.xy(s.lat, s.lon)
    pairs = pair_off(x, y)
    mean = prng.uniform(15, 25) * 60
    starts: list[float] = []
    t = w.start + prng.uniform(0, 600)
    while t < w.end:
        starts.append(t)
        t += float(np.clip(prng.gammavariate(3.0, mean / 3.0), 300, 3000))
    share = prng.uniform(0.07, 0.14)
    host = _host_size(len(starts) * len(pairs), share)
    bap, wire, made = _ordinary(
        w,
        g,
        c,
        "hidden_poll",
        "",
        "trip",
        host,
        (1.5, 0.2, 0.2, 0.2, 1.0, 0.3, 2.0, 0.3, 1.5),
        book=(0.08, 0.15),
    )
    for t in starts:
        via = wire.via(prng)
        txn = wire.txn(w, via, "p")
        at = t
        for i, j in prng.sample(pairs, len(pairs)):
            mx, my = (float(x[i]) + float(x[j])) / 2, (float(y[i]) + float(y[j])) / 2
            half = math.hypot(float(x[i] - x[j]), float(y[i] - y[j])) / 2
            r = math.ceil((half + 0.2) * 20) / 20
            lat, lon = g.ll1(mx, my)
            w.search(bap, at, lat, lon, min(50.0, r), via=via, txn=txn, scraping=True)
            at += prng.uniform(2, 8)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"pair-midpoint poll: {n} of a rival's, the junction's and the lots' chargers paired off "
        f"closest first, each query at a pair's midpoint just wide enough for both (+200 m), "
        f"rounds with gamma gaps round {mean / 60:.0f} min (5-50), no user ref; "
        f"{got / max(1, got + made):.0%} of a trip planner for the drive from the capital",
    )


def _train_echo(w: World, g: Mela, c: Chargers, tt: Timetable) -> None:
    prng, rng = w.prng("trainecho"), w.rng("trainecho")
    city = c.groups["city"]
    cx, cy = g.xy(city.lat, city.lon)
    near = np.argsort(np.hypot(cx - g.station[0], cy - g.station[1]))[: prng.randint(3, 5)]
    lots = c.groups["lots"]
    west = [j for j, p in enumerate(g.lots) if g.bank_of(p) == W_BANK]
    s = join(c.groups["station"], pick(city, near.tolist()), pick(lots, west))
    size = prng.uniform(1100, 1700)
    drivers = prng.randint(40, 90)
    bap = w.bap("hidden_poll", "", "taxi")
    wire = WIRING.wire(prng, bap, drivers)
    h = _habits(prng, (0.05, 0.1))
    trains = train_times(w, tt)
    t = arrivals(w.rng(bap + "rides"), size / _per_session(h), w.start, w.end, DAY)
    made = _sessions(
        w, g, join(c.fair(), c.public()), bap, wire, t, (3.0, 1.0, 0.3, 0, 0.5, 0.5, 0, 0.5, 0), h
    )
    rank = c.groups["station"]
    slat, slon = g.ll1(*g.station)
    rank_t = arrivals(rng, prng.uniform(3, 6) * 24, w.start, w.end, None).tolist()
    for tr in trains:
        rank_t += (tr + rng.uniform(0, 25 * 60, int(rng.integers(8, 20)))).tolist()
    book = prng.uniform(0.08, 0.12)
    for at in sorted(rank_t):
        u = prng.randrange(drivers)
        via = wire.via(prng)
        txn = wire.txn(w, via, "x")
        w.search(bap, at, slat, slon, 1.0, via=via, user=wire.user(u), txn=txn)
        made += int(w.start <= at < w.end)
        if prng.random() < book:
            j = prng.randrange(len(rank.ids))
            w.book(
                bap, at, rank.cpos[j], rank.ids[j], prng, confirm=0.85, user=wire.user(u), txn=txn
            )
    for tr in trains:
        for lag in (prng.uniform(100, 160), prng.uniform(400, 480)):
            via = wire.via(prng)
            txn = wire.txn(w, via, "e")
            at = tr + lag
            for j in prng.sample(range(len(s.ids)), len(s.ids)):
                w.search(
                    bap, at, float(s.lat[j]), float(s.lon[j]), 0.8, via=via, txn=txn, scraping=True
                )
                at += prng.uniform(1, 4)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"train-echo poll: the junction's and its nearest {len(s.ids)} chargers polled at 0.8 km "
        f"2-3 and 7-8 min after each special train's arrival, when the app's own drivers swarm "
        f"the rank too, no user ref; {got / max(1, got + made):.0%} of a taxi app",
    )


# -- scrapers of their own ----------------------------------------------------------------------


def _sliding(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("sliding")
    s = _rival_sites(c, prng, c.fair(), 12, 20)
    x, y = g.xy(s.lat, s.lon)
    ring = sorted(range(len(s.ids)), key=lambda j: math.atan2(float(y[j]), float(x[j])))
    s = pick(s, ring)
    n = len(s.ids)
    size, step = prng.randint(4, 6), prng.randint(2, 3)
    phase = prng.random()
    bap = w.bap(
        "poller",
        f"sliding-window poller: a ring of {n} chargers round the confluence, each round the "
        f"next {size} (advancing {step}), gaps from a golden-ratio sequence in 3-12 min",
        "pol",
    )
    wire = WIRING.wire(prng, bap, 1, refs=0.0)
    t, k = w.start + prng.uniform(0, 300), 0
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "w")
        at = t
        for i in range(size):
            j = (k * step + i) % n
            w.search(
                bap, at, float(s.lat[j]), float(s.lon[j]), 1.0, via=via, txn=txn, scraping=True
            )
            at += prng.uniform(0.5, 3.0)
        k += 1
        t += 180 + 540 * ((phase + k * PHI) % 1.0)


def _crowd_echo(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("crowdecho")
    sec = c.groups["sectors"]
    sx, sy = g.xy(sec.lat, sec.lon)
    gx = np.array([p[0] for p in g.ghats])
    gy = np.array([p[1] for p in g.ghats])
    d = np.hypot(sx[:, None] - gx[None, :], sy[:, None] - gy[None, :]).min(axis=1)
    s = join(pick(sec, np.argsort(d)[: prng.randint(6, 10)].tolist()), c.groups["lots"])
    g0 = prng.uniform(120, 200)
    bap = w.bap(
        "poller",
        f"crowd-echo poller: {len(s.ids)} ghat-side sector and lot chargers, its gap "
        f"{g0 / 60:.1f} min x (peak crowd / crowd)^1.5 (+-25%, 2-60 min), one user ref",
        "pol",
    )
    wire = WIRING.wire(prng, bap, 1, always=True)
    top = max(PILGRIM)
    t = w.start + prng.uniform(0, 300)
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "q")
        at = t
        for j in range(len(s.ids)):
            w.search(
                bap,
                at,
                float(s.lat[j]),
                float(s.lon[j]),
                1.5,
                via=via,
                user=wire.user(0),
                txn=txn,
                scraping=True,
            )
            at += prng.uniform(0.5, 2.5)
        t += float(np.clip(g0 * (top / crowd(t)) ** 1.5 * prng.uniform(0.8, 1.25), 120, 3600))


def walk_lattice(g: Mela, step: float) -> dict[tuple[int, int], Point]:
    """An exact ``step`` km lattice over the tent city (within the fair's reach plus 500 m),
    dry nodes only, by (column, row)."""
    n = math.ceil((g.fair_r + 0.5) / step)
    out: dict[tuple[int, int], Point] = {}
    for j in range(-n, n + 1):
        for i in range(-n, n + 1):
            x, y = i * step, j * step
            if math.hypot(x, y) <= g.fair_r + 0.5 and bool(g.dry(x, y, 0.05)[0]):
                out[(i, j)] = (x, y)
    return out


def _random_walk(w: World, g: Mela) -> None:
    prng = w.prng("walk")
    step = round(prng.uniform(0.8, 1.2), 2)
    nodes = walk_lattice(g, step)
    keys = sorted(nodes)
    per_hour = prng.uniform(40, 70)
    bap = w.bap(
        "sweeper",
        f"lattice random walk: an exact {step} km lattice of {len(keys)} dry nodes over the tent "
        f"city, each search at a random dry neighbour of the last (a fresh start 3% of steps), "
        f"{per_hour:.0f}/h, no user ref",
        "swp",
    )
    wire = WIRING.wire(prng, bap, 1, refs=0.0)
    radius = round(step * 0.9, 2)
    here = keys[prng.randrange(len(keys))]
    t = w.start + prng.uniform(0, 60)
    while t < w.end:
        lat, lon = g.ll1(*nodes[here])
        via = wire.via(prng)
        w.search(bap, t, lat, lon, radius, via=via, txn=wire.txn(w, via, "k"), scraping=True)
        i, j = here
        nb = [k for k in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)) if k in nodes]
        here = prng.choice(nb) if nb and prng.random() >= 0.03 else keys[prng.randrange(len(keys))]
        t += 3600 / per_hour * prng.uniform(0.6, 1.4)


def bank_lattice(g: Mela, step: float, bank: int) -> list[Point]:
    """An exact ``step`` km lattice over one bank's land (the fair, the old city, the bank
    town), raster order (rows south to north, each west to east)."""
    reach = g.fair_r + 3.0
    out: list[Point] = []
    n = math.ceil(reach / step)
    for j in range(-n, n + 1):
        for i in range(-n, n + 1):
            x, y = i * step, j * step
            near = math.hypot(x, y) <= g.fair_r + 1.0 or any(
                math.hypot(x - p.x, y - p.y) <= p.r for p in (g.oldcity, *g.towns)
            )
            if near and g.river.bank(x, y) == bank and bool(g.dry(x, y, 0.05)[0]):
                out.append((x, y))
    return out


def _bank_split(w: World, g: Mela) -> None:
    prng = w.prng("banks")
    step = round(prng.uniform(1.2, 1.8), 2)
    period = prng.uniform(80, 140) * 60
    names = ("west", "north-east", "south-east")
    for b in (W_BANK, NE_BANK, SE_BANK):
        pts = bank_lattice(g, step, b)
        bap = w.bap(
            "sweeper",
            f"bank split key ({names[b]} bank): an exact {step} km lattice of {len(pts)} nodes "
            f"over its own bank in raster order, a round every {period / 60:.0f} min like the "
            "other two keys' at the same time, no user ref",
            "bnk",
        )
        wire = WIRING.wire(w.prng(bap + "wire"), bap, 1, refs=0.0)
        radius = round(step * 0.8, 2)
        gap = period / len(pts)
        t, k = w.start + prng.uniform(0, 120), 0
        while t < w.end:
            lat, lon = g.ll1(*pts[k % len(pts)])
            via = wire.via(prng)
            w.search(bap, t, lat, lon, radius, via=via, txn=wire.txn(w, via, "z"), scraping=True)
            k += 1
            t += gap * prng.uniform(0.85, 1.15)


def halton_points(
    g: Mela, place: Place, n: int, skip: int = 0, bases: Point = (2, 3)
) -> list[Point]:
    """The first ``n`` points of a Halton sequence over ``place``'s disc that fall on dry land."""
    out: list[Point] = []
    k = skip
    while len(out) < n and k < skip + 50 * n:
        k += 1
        x = place.x + (2 * halton(k, int(bases[0])) - 1) * place.r
        y = place.y + (2 * halton(k, int(bases[1])) - 1) * place.r
        if math.hypot(x - place.x, y - place.y) <= place.r and bool(g.dry(x, y)[0]):
            out.append((x, y))
    return out


def _halton_booker(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("halton")
    places = (g.oldcity, *g.towns)
    sets = [halton_points(g, p, m) for p, m in zip(places, (48, 20, 20), strict=True)]
    pts = [(p, k) for k, s in enumerate(sets) for p in s]
    order = [pts[i] for i in prng.sample(range(len(pts)), len(pts))]
    personas = prng.randint(6, 10)
    rate = prng.uniform(0.012, 0.018)
    per_hour = prng.uniform(40, 70)
    s = c.of("city", "banks", "lots")
    bap = w.bap(
        "booking_scraper",
        f"Halton sweep: {len(pts)} quasi-random points (bases 2 and 3) over the old city and the "
        f"bank towns in a shuffled order, {per_hour:.0f}/h, selecting on {rate:.1%} of its "
        f"searches and confirming two-thirds of those, never cancelling, {personas} personas",
        "bk",
    )
    wire = WIRING.wire(prng, bap, personas, always=True)
    radius = prng.choice((1.5, 2.0))
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        (x, y), place = order[k % len(order)]
        k += 1
        lat, lon = g.ll1(x, y)
        via = wire.via(prng)
        txn = wire.txn(w, via, "b")
        user = wire.user(place + 3 * prng.randrange(max(1, (personas - place + 2) // 3)))
        w.search(bap, t, lat, lon, radius, via=via, user=user, txn=txn, scraping=True)
        if prng.random() < rate:
            j = s.nearest(lat, lon)
            at = t + prng.uniform(20, 90)
            w.funnel(bap, at, FunnelKind.SELECT, s.cpos[j], s.ids[j], user=user, txn=txn)
            if prng.random() < 2 / 3:
                for kind in (FunnelKind.INIT, FunnelKind.CONFIRM):
                    at += prng.uniform(5, 40)
                    w.funnel(bap, at, kind, s.cpos[j], s.ids[j], user=user, txn=txn)
        t += 3600 / per_hour * prng.uniform(0.6, 1.4)


def _crowd_mimic(w: World, g: Mela, c: Chargers) -> None:
    prng = w.prng("mimic")
    s = join(_rival_sites(c, prng, c.of("city", "lots", "banks"), 6, 10), c.groups["sectors"])
    x, y = g.xy(s.lat, s.lon)
    per_hour = prng.uniform(2, 5)
    pool = 400
    bap = w.bap(
        "low_and_slow",
        f"crowd mimic: ~{per_hour:.1f} searches an hour on the pilgrim crowd's curve, each 20-60 m "
        f"off one of {len(s.ids)} rival and sector chargers, each from a made-up pilgrim seen "
        "once or twice",
        "slow",
    )
    wire = WIRING.wire(prng, bap, pool, always=True)
    u, seen = 0, 0
    for t in arrivals(w.rng("mimic"), per_hour * 24, w.start, w.end, PILGRIM).tolist():
        j = prng.randrange(len(s.ids))
        for _ in range(20):
            d, a = prng.uniform(0.02, 0.06), prng.uniform(0, 2 * math.pi)
            px, py = float(x[j]) + d * math.cos(a), float(y[j]) + d * math.sin(a)
            if bool(g.dry(px, py)[0]):
                break
        lat, lon = g.ll1(px, py)
        if seen == 2 or (seen == 1 and prng.random() < 0.65):  # a pilgrim seen once or twice
            u, seen = u + 1, 0
        seen += 1
        via = wire.via(prng)
        w.search(
            bap,
            t,
            lat,
            lon,
            prng.choice((1.0, 2.0)),
            via=via,
            user=wire.user(u % pool),
            txn=wire.txn(w, via, "m"),
            scraping=True,
        )


def _slow_capital(w: World, g: Mela) -> None:
    prng = w.prng("slowcap")
    pts = halton_points(g, g.capital, 60, skip=prng.randint(0, 40))
    bap = w.bap(
        "low_and_slow",
        f"slow Halton trickle: {len(pts)} quasi-random points over the capital in sequence order, "
        "one search every 9-20 min, no user refs",
        "slow",
    )
    wire = WIRING.wire(prng, bap, 1, refs=0.0, pick=prng.choice(((1, 2), (2,), (1,))))
    t, k = w.start + prng.uniform(0, 900), 0
    while t < w.end:
        lat, lon = g.ll1(*pts[k % len(pts)])
        k += 1
        via = wire.via(prng)
        w.search(bap, t, lat, lon, 3.0, via=via, txn=wire.txn(w, via, "t"), scraping=True)
        t += prng.uniform(540, 1200)


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * HOUR)
    g = geography(seed)
    c = chargers(seed, g)
    tt = timetable(seed, g)
    plan = w.prng("plan")
    cities, tiny = plan.randint(1, 2), plan.randint(2, 3)
    slow2 = plan.random() < 0.5
    _national(w, g, c)
    _six_city(w, g, c)
    _fair_app(w, g, c)
    _city_apps(w, g, c, cities)
    _capital_app(w, g, c)
    for _ in range(tiny):
        _tiny(w, g, c, w.bap("honest", "tiny new app, a handful of users", "tiny"))
    _emergency(w, g, c, tt)
    _shuttles(w, g, c, tt)
    _rickshaws(w, g, c)
    _head_units(w, g, c, tt, "A")
    _head_units(w, g, c, tt, "B")
    _depot(w, c, g)
    _power_cell(w, c)
    _kalpvasis(w, g, c)
    _akharas(w, g, c)
    _sanitation(w, g, c)
    owners = [o for o in c.publics if len(c.owned(o).ids) >= 3]
    for cpo in plan.sample(owners, min(len(owners), plan.randint(2, 3))):
        _cpo_app(w, g, c, cpo)
    _corner_sweep(w, g, c)
    _radius_ladder(w, g, c)
    _pair_poll(w, g, c)
    _train_echo(w, g, c, tt)
    _sliding(w, g, c)
    _crowd_echo(w, g, c)
    _random_walk(w, g)
    _bank_split(w, g)
    _halton_booker(w, g, c)
    _crowd_mimic(w, g, c)
    if slow2:
        _slow_capital(w, g)
    return w.done()
