"""Family ``lakes``: an IT-and-university city on a weekday in the monsoon (a Wednesday, IST).

A city built around a chain of 4-7 lakes strung in an arc 3.3-5.8 km from the old centre
(ellipses with half-axes of 0.5-1.4 km along the chain and 0.3-0.7 km across it, people living
all round their shores): nobody searches on the water and no charger stands on it, so the lakes
are holes in the traffic. An old centre (1.5-2.5 km in radius) with 3-5 residential hubs around
it; a ring road 8.5-11 km out (wobbling by a few per cent), with an IT corridor along 70-110
degrees of it where 3-4 tech parks stand just off the road, each with its own chargers (one
park's run by its facility operator, a CPO of its own, ``cpo-parkfm.lakes.example``); a
university campus (0.8-1.3 km in radius) 5-8 km out; a cricket stadium 3-6 km from the centre;
an industrial estate just outside the ring with the city's electric-bus depot (15-30 chargers
in rows of bays, run by the depot's operator, ``cpo-ebusdepot``); 6-12 satellite villages 14-28
km out; an airport 25-35 km out at the end of an expressway (1-2 gentle bends) with a toll
plaza halfway, the airport's chargers run by the airport operator (``cpo-skyport``); a
pilgrimage hill town 80-120 km away reached by a state highway (2-3 bends) whose last 3-5 km
climb a ghat of 6-10 hairpins; 4-6 far cities for the national apps. Distances and bearings are
seeded, so places move with the seed. 60-110 charging sites owned by 6-8 CPOs
(``cpo-<name>.lakes.example``): the three operators' and 3-5 public CPOs'.

The day: office peaks 09:00-10:30 and 18:00-20:00; heavy rain 16:00-19:00 (people search
near home, trips get shorter and head units crawl); a cricket match at the stadium 19:00-
23:00 with a surge before (17:30-19:00) and after (23:00-00:30); lectures on the hour on the
campus; aartis at the hill town's temple at dawn and dusk.

Honest BAPs: a ride-hailing app (its drivers search near the airport and the IT corridor and
book often); a national aggregator (75-90% of its own traffic in the far cities); two or three
city apps of different sizes; two or three tiny new apps (under 30 searches a day); a student
app on the campus (bursts at the lecture changes); the e-bus depot manager's console (its
depot's bays every 5 minutes on the clock through the night charging window 22:00-05:30,
booking most of them, and every 30 minutes by day); the airport operator's console (the
airport's chargers on a fixed clock every 10-15 minutes day and night, booking about 1 in
150-300); the tech park facility console (its own park's chargers every 20 minutes on the
clock 08:00-20:00, booking about 1 in 100); a car-rental fleet at the airport (books a third
of its searches); two brands of in-car head units refreshing nearby chargers every 2-5 km
along the expressway, the ring road and the state highway (one brand through the gateway that
reports transaction ids, one transaction per trip; the other's gateway never reports them;
4-10% of trips book; refreshes repeat at one spot in the ring road's jams and at the toll
plaza, and slow to a crawl in the rain); the temple trust's app (bursts at the aartis); 3-5
CPOs' own apps booking their own chargers.

Scrapers: a triangular lattice turned by a seeded angle over the IT corridor, its nodes in a
fresh seeded random order each round, exact nodes on odd seeds and 20-60 m off them on even
ones, hidden in a city app at 6-20% of its searches (``hidden_sweep``); an Archimedean spiral
outward from the old centre restarting each round at a seeded angle offset, hidden in a
ride-hailing-like aggregator at 5-12% of its searches (``hidden_sweep``); a poll of a random
50-80% of the bus depot's and the IT corridor's chargers each round, gaps drawn in 6-15
minutes, hidden in the national aggregator (``hidden_poll``); a fake head unit without
transaction ids driving virtual trips on the expressway and the state highway, refreshing
every 2-4 km and never booking (``sweeper``); a poll of the tech parks' and the airport's
chargers spread over 4-6 tiny BAP keys, each key a disjoint share at its own period of 10-20
minutes with each gap +-40% (``poller`` each); a poller of the stadium's chargers only from
17:00 to 00:30 (``poller``); a city sweep whose radius is drawn per search in 1-6 km,
booking 1-2% of its searches and completing every booking (``booking_scraper``); a scraper of
chargers' exact spots in the rain hours and at night only (``low_and_slow``); and on some
seeds a steady trickle of one search every 8-15 minutes riding along a city app's own key
(``low_and_slow``). Hidden scrapers send no user reference.

Gateways: ``bg.lakes.example`` always reports transaction ids, ``bg2`` never, ``bg3`` as the
app chooses; an app uses one gateway or splits its traffic over two. User references from
all, some or none of an app's users.

Written by a separate session from a brief, independently of the detector's rules, as a
held-out family (never scored while it was written).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from uei.antiabuse.scraping.events import FunnelKind, Search
from uei_testing.families.wire import Habits, Wire, Wiring
from uei_testing.families.world import (
    F64,
    HOUR,
    KM_LAT,
    Sites,
    World,
    arrivals,
    ist_days,
    ist_hours,
    share_of,
)

NAME = "lakes"
GATEWAYS = ("bg.lakes.example", "bg2.lakes.example", "bg3.lakes.example")
"""``bg`` always reports transaction ids, ``bg2`` never, ``bg3`` as the app chooses."""
PUBLIC_CPOS = ("tankbund", "monsoonvolt", "ringwatt", "kerecharge", "greenmile", "citiplug")
AIRPORT_CPO = "cpo-skyport.lakes.example"
"""The airport operator runs the airport's chargers."""
DEPOT_CPO = "cpo-ebusdepot.lakes.example"
"""The electric-bus depot's operator runs the depot's bays."""
PARK_CPO = "cpo-parkfm.lakes.example"
"""One tech park's facility operator runs its park's chargers."""
WIRING = Wiring(
    GATEWAYS, ((0,), (1,), (2,), (0, 1), (1, 2), (2, 0), (0, 2), (2,)), 0.55, (0.3, 0.8)
)
# fmt: off
DAY = (0.35, 0.2, 0.12, 0.08, 0.1, 0.22, 0.45, 0.8, 1.2, 1.9, 1.75, 1.1,
       1.0, 1.0, 0.95, 1.0, 1.4, 1.5, 1.95, 1.9, 1.3, 0.9, 0.75, 0.6)
"""A Wednesday (IST hours): office peaks 09:00-10:30 and 18:00-20:00, the rain's bump."""
FLIGHTS = (0.7, 0.6, 0.5, 0.45, 0.6, 0.9, 1.1, 1.2, 1.2, 1.1, 1.0, 1.0,
           1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.2, 1.2, 1.1, 1.0, 0.85)
"""The airport works day and night."""
RING = (0.15, 0.08, 0.05, 0.05, 0.08, 0.2, 0.5, 1.0, 1.8, 2.3, 2.0, 1.1,
        0.9, 0.9, 0.9, 1.0, 1.2, 1.5, 2.2, 2.2, 1.3, 0.8, 0.6, 0.4)
"""Commuters on the ring road."""
PILGRIMS = (0.2, 0.3, 0.6, 1.4, 1.8, 1.5, 1.1, 1.0, 1.0, 1.0, 0.9, 0.9,
            1.0, 1.0, 1.1, 1.2, 1.2, 1.1, 0.9, 0.7, 0.5, 0.4, 0.3, 0.2)
"""The state highway: pilgrims leave before dawn, come back through the afternoon."""
# fmt: on
OFFICE = ((9.0, 10.5), (18.0, 20.0))
RAIN = (16.0, 19.0)
MATCH = (19.0, 23.0)
SURGES = ((17.5, 19.0), (23.0, 24.5))
"""Before and after the match (past 24 runs into the next day)."""
STADIUM_POLL = (17.0, 24.5)
"""The stadium poller's hours: the match and the hours around it (17:00-00:30)."""
NIGHT_CHARGING = (22.0, 29.5)
"""The bus depot's night charging window, 22:00-05:30."""
PARK_HOURS = (8.0, 20.0)
AARTIS = ((5.0, 6.5), (18.25, 19.5))
LECTURES = tuple(float(h) for h in range(9, 18))
"""Lectures change on the hour, 09:00-17:00."""
SLOW_HOURS = ((16.0, 19.0), (23.0, 29.0))
"""The low-and-slow scraper's hours: the rain and the night (23:00-05:00)."""
FAR_KM = 200.0
Point = tuple[float, float]
Hub = tuple[float, float, float, float]
"""(x km east, y km north, spread km, weight)."""
Bool = npt.NDArray[np.bool_]


# -- geography ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lake:
    """An ellipse of water: centre, half-axes (``a`` along ``turn``) in km."""

    x: float
    y: float
    a: float
    b: float
    turn: float

    def wet(self, x: F64, y: F64, margin: float = 0.0) -> Bool:
        dx, dy = x - self.x, y - self.y
        c, s = math.cos(self.turn), math.sin(self.turn)
        u = (dx * c + dy * s) / (self.a + margin)
        v = (-dx * s + dy * c) / (self.b + margin)
        return np.asarray(u * u + v * v <= 1.0, dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class Spot:
    x: float
    y: float
    r: float


@dataclass(frozen=True, slots=True)
class Path:
    """A polyline in km: vertices and the distance along it at each."""

    x: F64
    y: F64
    cum: F64

    @staticmethod
    def through(points: Sequence[Point]) -> Path:
        x = np.array([p[0] for p in points], dtype=np.float64)
        y = np.array([p[1] for p in points], dtype=np.float64)
        seg = np.hypot(np.diff(x), np.diff(y))
        keep = np.concatenate([[True], seg > 1e-9])
        x, y = x[keep], y[keep]
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
        return Path(x, y, np.asarray(cum, dtype=np.float64))

    @property
    def length(self) -> float:
        return float(self.cum[-1])

    def along(self, s: F64 | float) -> tuple[F64, F64]:
        q = np.clip(np.atleast_1d(np.asarray(s, dtype=np.float64)), 0.0, self.length)
        return (
            np.asarray(np.interp(q, self.cum, self.x), dtype=np.float64),
            np.asarray(np.interp(q, self.cum, self.y), dtype=np.float64),
        )

    def point(self, s: float) -> Point:
        x, y = self.along(s)
        return float(x[0]), float(y[0])

    def distance(self, x: F64 | float, y: F64 | float) -> F64:
        """How far each point is from the path."""
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))[:, None]
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))[:, None]
        ax, ay = self.x[None, :-1], self.y[None, :-1]
        dx, dy = np.diff(self.x)[None, :], np.diff(self.y)[None, :]
        f = np.clip(((px - ax) * dx + (py - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0, 1)
        d = np.hypot(px - ax - f * dx, py - ay - f * dy)
        return np.asarray(d.min(axis=1), dtype=np.float64)

    def gap(self, other: Path, step: float = 0.5) -> float:
        """The least distance between two paths (sampled along this one)."""
        x, y = self.along(np.arange(0.0, self.length + step, step))
        return float(other.distance(x, y).min())


@dataclass(frozen=True, slots=True)
class Lakes:
    """The region in km east (``x``) and north (``y``) of the old centre."""

    lat: float
    lon: float
    km_lon: float
    old: Spot
    lakes: tuple[Lake, ...]
    homes: tuple[Hub, ...]
    """The residential hubs (where people are when it rains)."""
    ring: Path
    """Closed: its last vertex is its first."""
    ring_r: float
    corridor: tuple[float, float]
    """The IT corridor's span of the ring road (bearings in radians, from < to)."""
    parks: tuple[Point, ...]
    own_park: int
    """The park whose facility operator runs its chargers (an index into ``parks``)."""
    campus: Spot
    stadium: Point
    industrial: Spot
    depot: Point
    villages: tuple[Spot, ...]
    expressway: Path
    """From the ring road out to the airport."""
    toll: float
    """The toll plaza's distance along the expressway (halfway)."""
    airport: Point
    highway: Path
    """From the ring road out to the hill town, its ghat at the end."""
    ghat: float
    """Where the ghat section begins (distance along the highway)."""
    town: Spot
    far: tuple[Hub, ...]

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

    def wet(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> Bool:
        """Whether each point is on a lake's water (or within ``margin`` of it)."""
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        out = np.zeros(px.size, dtype=np.bool_)
        for lake in self.lakes:
            out |= lake.wet(px, py, margin)
        return out

    def shore(self, x: F64, y: F64) -> F64:
        """Roughly how far each point is from the nearest lake's water (0 on it)."""
        best = np.full(np.asarray(x).size, np.inf)
        for lake in self.lakes:
            dx, dy = x - lake.x, y - lake.y
            c, s = math.cos(lake.turn), math.sin(lake.turn)
            u, v = (dx * c + dy * s) / lake.a, (-dx * s + dy * c) / lake.b
            k = np.hypot(u, v)
            d = np.where(k <= 1, 0.0, (k - 1) * min(lake.a, lake.b))
            best = np.minimum(best, d)
        return np.asarray(best, dtype=np.float64)

    def people(self, rng: np.random.Generator, n: int, hubs: Sequence[Hub]) -> tuple[F64, F64]:
        """``n`` points around ``hubs`` (drawn by weight), none on the water."""
        if n <= 0:
            return np.zeros(0), np.zeros(0)
        hs = np.asarray(hubs, dtype=np.float64)
        xs: list[F64] = []
        ys: list[F64] = []
        got = 0
        while got < n:
            m = 2 * (n - got) + 4
            pick = rng.choice(len(hs), size=m, p=hs[:, 3] / hs[:, 3].sum())
            x = hs[pick, 0] + rng.normal(0.0, 1.0, m) * hs[pick, 2]
            y = hs[pick, 1] + rng.normal(0.0, 1.0, m) * hs[pick, 2]
            dry = ~self.wet(x, y, 0.05)
            xs.append(x[dry])
            ys.append(y[dry])
            got += int(dry.sum())
        return np.concatenate(xs)[:n], np.concatenate(ys)[:n]

    def ring_radius(self, bearing: float) -> float:
        """How far out the ring road is at a bearing (radians from east)."""
        return ring_radius(self.ring, bearing)

    def in_corridor(self, x: F64, y: F64, width: float = 1.6) -> Bool:
        """Within ``width`` km of the ring road along the IT corridor's span."""
        lo, hi = self.corridor
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        a = np.abs(np.angle(np.exp(1j * (np.arctan2(y, x) - mid))))
        return np.asarray((a <= half) & (self.ring.distance(x, y) <= width), dtype=np.bool_)

    def city_hubs(self) -> tuple[Hub, ...]:
        """Where the city's people are by day: the centre, the homes, the parks, the campus."""
        parks = tuple((px, py, 0.45, 0.7) for px, py in self.parks)
        c, i = self.campus, self.industrial
        return (
            (0.0, 0.0, 0.6 * self.old.r, 1.6),
            *self.homes,
            *self.lakeside(),
            *parks,
            (c.x, c.y, 0.6 * c.r, 0.6),
            (i.x, i.y, 0.5 * i.r, 0.3),
            (self.stadium[0], self.stadium[1], 0.5, 0.15),
        )

    def lakeside(self) -> tuple[Hub, ...]:
        """The lakeside neighbourhoods: people all round each lake (none on it)."""
        return tuple((k.x, k.y, k.a + 0.4, 0.35) for k in self.lakes)

    def village_hubs(self) -> tuple[Hub, ...]:
        return tuple((v.x, v.y, 0.5 * v.r, 0.25) for v in self.villages)


def ring_radius(ring: Path, bearing: float) -> float:
    """How far out a ring round the centre is at a bearing (radians from east)."""
    x, y = ring.along(np.arange(0.0, ring.length, 0.05))
    a = np.abs(np.angle(np.exp(1j * (np.arctan2(y, x) - bearing))))
    k = int(np.argmin(a))
    return float(math.hypot(float(x[k]), float(y[k])))


def _polar(r: float, a: float) -> Point:
    return r * math.cos(a), r * math.sin(a)


def _angle_gap(a: float, b: float) -> float:
    return abs(math.remainder(a - b, 2 * math.pi))


def _wobbly_ring(r0: float, amp: float, phase: float, amp3: float, phase3: float) -> Path:
    pts = []
    for k in range(145):
        a = 2 * math.pi * k / 144
        r = r0 * (1 + amp * math.sin(2 * a + phase) + amp3 * math.sin(3 * a + phase3))
        pts.append(_polar(r, a))
    pts[-1] = pts[0]
    return Path.through(pts)


def _ghat(foot: Point, top: Point, legs: int, swing: float) -> list[Point]:
    """Hairpins from ``foot`` up to ``top``: ``legs`` legs swinging ``swing`` km either side."""
    fx, fy = foot
    dx, dy = top[0] - fx, top[1] - fy
    d = math.hypot(dx, dy)
    ux, uy = dx / d, dy / d
    out: list[Point] = []
    for k in range(1, legs):
        side = swing if k % 2 else -swing
        f = k / legs
        out.append((fx + f * dx - side * uy, fy + f * dy + side * ux))
    out.append(top)
    return out


def geography(seed: int) -> Lakes:
    """The region of a seed."""
    rng = np.random.default_rng([seed, *b"lakes-geography"])

    def u(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi))

    lat0, lon0 = u(12.4, 23.2), u(73.2, 80.2)
    km_lon = 111.320 * math.cos(math.radians(lat0))
    for _ in range(500):
        old = Spot(0.0, 0.0, u(1.5, 2.5))
        # the chain of lakes: an arc around the centre, 3.5-6 km out
        rho = u(3.8, 5.2)
        heading = u(0, 2 * math.pi)
        turn = float(rng.choice([-1.0, 1.0]))
        lakes: list[Lake] = []
        a = heading
        for _k in range(int(rng.integers(4, 8))):
            la, lb = u(0.5, 1.4), u(0.3, 0.7)
            r = rho + u(-0.5, 0.6)
            lx, ly = _polar(r, a)
            lakes.append(Lake(lx, ly, la, lb, a + turn * math.pi / 2 + u(-0.35, 0.35)))
            a += turn * (la + u(1.0, 1.8) + 0.7) / rho
        if abs(a - heading) > 1.8 * math.pi:
            continue

        def dry(x: float, y: float, margin: float, ls: Sequence[Lake] = lakes) -> bool:
            px, py = np.array([x]), np.array([y])
            return not any(bool(k.wet(px, py, margin)[0]) for k in ls)

        if any(not dry(k.x, k.y, 0.25, [m for m in lakes if m is not k]) for k in lakes):
            continue  # two lakes too close
        ring_r = u(8.5, 11.0)
        ring = _wobbly_ring(ring_r, u(0.0, 0.05), u(0, 6.3), u(0.0, 0.03), u(0, 6.3))
        # the IT corridor along 70-110 degrees of the ring road, 3-4 parks just off it
        mid, half = u(0, 2 * math.pi), math.radians(u(35, 55))
        corridor = (mid - half, mid + half)
        n_parks = int(rng.integers(3, 5))
        parks: list[Point] = []
        for k in range(n_parks):
            b = mid - half + (k + 0.5) * 2 * half / n_parks + u(-0.08, 0.08)
            rr = ring_radius(ring, b) + float(rng.choice([-1.0, 1.0])) * u(0.4, 0.9)
            parks.append(_polar(rr, b))
        if any(not dry(px, py, 0.6) for px, py in parks):
            continue
        # the campus, the stadium, the homes
        cb = mid + math.pi + u(-1.2, 1.2)
        campus = Spot(*_polar(u(5.0, 8.0), cb), u(0.8, 1.3))
        if not dry(campus.x, campus.y, campus.r + 0.4):
            continue
        stadium = _polar(u(3.0, 6.0), u(0, 2 * math.pi))
        if not dry(*stadium, 0.8) or math.hypot(stadium[0] - campus.x, stadium[1] - campus.y) < 3:
            continue
        homes: list[Hub] = []
        n_homes = int(rng.integers(3, 6))
        while len(homes) < n_homes:
            hx, hy = _polar(u(2.2, 8.0), u(0, 2 * math.pi))
            if dry(hx, hy, 0.4):
                homes.append((hx, hy, u(0.6, 1.3), u(0.7, 1.4)))
        # the industrial estate just outside the ring, away from the corridor
        ib = mid + math.pi + u(-2.0, 2.0)
        if _angle_gap(ib, cb) < 0.7:
            continue
        ir = u(1.2, 2.0)
        industrial = Spot(*_polar(ring_radius(ring, ib) + ir + u(0.5, 1.5), ib), ir)
        db = u(0, 2 * math.pi)
        depot = (industrial.x + 0.4 * ir * math.cos(db), industrial.y + 0.4 * ir * math.sin(db))
        # the expressway to the airport, a toll plaza halfway
        eb = u(0, 2 * math.pi)
        if _angle_gap(eb, ib) < 0.8:
            continue
        reach = u(25.0, 35.0)
        e0 = _polar(ring_radius(ring, eb), eb)
        airport = _polar(reach, eb + u(-0.12, 0.12))
        ex: list[Point] = [e0]
        bends = sorted(rng.uniform(0.25, 0.75, int(rng.integers(1, 3))).tolist())
        for f in bends:
            px, py = e0[0] + f * (airport[0] - e0[0]), e0[1] + f * (airport[1] - e0[1])
            off = u(-1.8, 1.8)
            ex.append((px - off * math.sin(eb), py + off * math.cos(eb)))
        ex.append(airport)
        expressway = Path.through(ex)
        # the state highway to the hill town, its ghat at the end
        hb = u(0, 2 * math.pi)
        if _angle_gap(hb, eb) < 1.2 or _angle_gap(hb, ib) < 0.7:
            continue
        far_reach = u(80.0, 120.0)
        h0 = _polar(ring_radius(ring, hb), hb)
        top = _polar(far_reach, hb + u(-0.05, 0.05))
        climb = u(3.0, 5.0)
        foot_b = math.atan2(top[1], top[0]) + u(-0.15, 0.15)
        foot = (top[0] - climb * math.cos(foot_b), top[1] - climb * math.sin(foot_b))
        hv: list[Point] = [h0]
        for f in sorted(rng.uniform(0.15, 0.85, int(rng.integers(2, 4))).tolist()):
            px, py = h0[0] + f * (foot[0] - h0[0]), h0[1] + f * (foot[1] - h0[1])
            off = u(-6.0, 6.0)
            hv.append((px - off * math.sin(hb), py + off * math.cos(hb)))
        hv.append(foot)
        legs = int(rng.integers(7, 12))
        plain = Path.through(hv)
        hv += _ghat(foot, top, legs, u(1.8, 2.6) * climb / legs)
        highway = Path.through(hv)
        town = Spot(top[0], top[1], u(1.0, 1.5))
        # the villages, away from the roads and the airport
        villages: list[Spot] = []
        tries = 0
        want = int(rng.integers(6, 13))
        while len(villages) < want and tries < 400:
            tries += 1
            vx, vy = _polar(u(14.0, 28.0), u(0, 2 * math.pi))
            vr = u(0.5, 1.0)
            if expressway.distance(vx, vy)[0] < 1.5 + vr or highway.distance(vx, vy)[0] < 1.5 + vr:
                continue
            if math.hypot(vx - airport[0], vy - airport[1]) < 4.5:
                continue
            if math.hypot(vx - industrial.x, vy - industrial.y) < industrial.r + 2:
                continue
            if any(math.hypot(vx - v.x, vy - v.y) < 3.0 for v in villages):
                continue
            villages.append(Spot(vx, vy, vr))
        if len(villages) < want:
            continue
        if expressway.gap(plain, 1.0) < 4.0:
            continue
        ix, iy = industrial.x, industrial.y
        if min(expressway.distance(ix, iy)[0], plain.distance(ix, iy)[0]) < ir + 1.5:
            continue
        far: list[Hub] = []
        for _k in range(int(rng.integers(4, 7))):
            fx, fy = _polar(u(300, 1400), u(0, 2 * math.pi))
            far.append((fx, fy, u(2.0, 5.0), u(0.6, 1.4)))
        return Lakes(
            lat0,
            lon0,
            km_lon,
            old,
            tuple(lakes),
            tuple(homes),
            ring,
            ring_r,
            corridor,
            tuple(parks),
            int(rng.integers(0, n_parks)),
            campus,
            stadium,
            industrial,
            depot,
            tuple(villages),
            expressway,
            expressway.length / 2,
            airport,
            highway,
            plain.length,
            town,
            tuple(far),
        )
    raise RuntimeError(f"no lakes geography for seed {seed}")


# -- chargers -----------------------------------------------------------------------------------


GROUPS = (
    "depot",
    "airport",
    "park",
    "parks",
    "corridor",
    "city",
    "campus",
    "stadium",
    "industrial",
    "villages",
    "toll",
    "highway",
    "temple",
    "far",
)


@dataclass(frozen=True, slots=True)
class Chargers:
    """The charging sites by group (see ``GROUPS``): ``park`` is the facility operator's
    park, ``parks`` the other tech parks', ``corridor`` the public ones along the IT
    corridor's stretch of the ring road."""

    groups: dict[str, Sites]
    cpos: tuple[str, ...]
    """The public CPOs (the three operators are ``AIRPORT_CPO``, ``DEPOT_CPO``, ``PARK_CPO``)."""

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
        """The sites anyone books: not the depot's, not the operators' own park's."""
        return self.of(
            "airport", "parks", "corridor", "city", "campus", "stadium", "industrial", "villages",
            "toll", "highway", "temple",
        )  # fmt: skip

    def total(self) -> int:
        return sum(len(s.ids) for s in self.groups.values())


def chargers(seed: int, g: Lakes) -> Chargers:
    rng = np.random.default_rng([seed, *b"lakes-chargers"])
    cpos = tuple(
        f"cpo-{n}.lakes.example"
        for n in rng.permutation(PUBLIC_CPOS)[: int(rng.integers(3, 6))].tolist()
    )
    while True:
        n = {
            "depot": int(rng.integers(15, 31)),
            "airport": int(rng.integers(6, 13)),
            "park": int(rng.integers(5, 10)),
            "parks": sum(int(rng.integers(3, 6)) for _ in range(len(g.parks) - 1)),
            "corridor": int(rng.integers(2, 5)),
            "city": int(rng.integers(12, 25)),
            "campus": int(rng.integers(2, 5)),
            "stadium": int(rng.integers(3, 7)),
            "industrial": int(rng.integers(2, 4)),
            "villages": max(3, len(g.villages) // 2),
            "toll": 2,
            "highway": int(rng.integers(3, 6)),
            "temple": int(rng.integers(4, 8)),
            "far": len(g.far),
        }
        if 60 <= sum(n.values()) <= 110:
            break
    groups: dict[str, Sites] = {}

    def make(name: str, x: F64, y: F64, owner: str = "") -> None:
        lat, lon = g.ll(x, y)
        owners = [owner or cpos[int(k)] for k in rng.integers(0, len(cpos), x.size)]
        ids = [f"lk-{name}-{k:03d}" for k in range(x.size)]
        groups[name] = Sites(ids, owners, lat, lon)

    def around(px: float, py: float, k: int, spread: float) -> tuple[F64, F64]:
        xs: list[float] = []
        ys: list[float] = []
        while len(xs) < k:
            x, y = px + rng.normal(0, spread), py + rng.normal(0, spread)
            if not g.wet(x, y, 0.1)[0]:
                xs.append(x)
                ys.append(y)
        return np.array(xs), np.array(ys)

    # the depot's bays: rows 8 m apart, bays 6 m apart along a row
    rows = int(rng.integers(3, 5))
    k = np.arange(n["depot"], dtype=np.float64)
    bx = np.asarray(g.depot[0] + (k // rows) * 0.006, dtype=np.float64)
    by = np.asarray(g.depot[1] + (k % rows) * 0.008, dtype=np.float64)
    make("depot", bx, by, DEPOT_CPO)
    ax, ay = g.airport
    make("airport", *around(ax, ay, n["airport"], 0.25), AIRPORT_CPO)
    own = g.parks[g.own_park]
    make("park", *around(own[0], own[1], n["park"], 0.08), PARK_CPO)
    others = [p for k2, p in enumerate(g.parks) if k2 != g.own_park]
    px = np.array([others[k2 % len(others)][0] for k2 in range(n["parks"])])
    py = np.array([others[k2 % len(others)][1] for k2 in range(n["parks"])])
    make("parks", px + rng.normal(0, 0.08, px.size), py + rng.normal(0, 0.08, px.size))
    lo, hi = g.corridor
    cx, cy = [], []
    for b in rng.uniform(lo, hi, n["corridor"]).tolist():
        r = g.ring_radius(b) + float(rng.uniform(-0.3, 0.3))
        cx.append(r * math.cos(b))
        cy.append(r * math.sin(b))
    make("corridor", np.array(cx), np.array(cy))
    hubs = [(0.0, 0.0, 0.6 * g.old.r, 1.5), *g.homes]
    make("city", *g.people(rng, n["city"], hubs))
    make("campus", *around(g.campus.x, g.campus.y, n["campus"], 0.35 * g.campus.r))
    make("stadium", *around(g.stadium[0], g.stadium[1], n["stadium"], 0.2))
    make("industrial", *around(g.industrial.x, g.industrial.y, n["industrial"], 0.4))
    picks = rng.permutation(len(g.villages))[: n["villages"]].tolist()
    make(
        "villages",
        np.array([g.villages[k2].x for k2 in picks]) + rng.normal(0, 0.1, len(picks)),
        np.array([g.villages[k2].y for k2 in picks]) + rng.normal(0, 0.1, len(picks)),
    )
    tx, ty = g.expressway.point(g.toll)
    make("toll", np.array([tx + 0.04, tx - 0.04]), np.array([ty + 0.03, ty - 0.03]))
    stops = np.sort(rng.uniform(0.1, 0.9, n["highway"])) * g.ghat
    hx, hy = g.highway.along(stops)
    make("highway", hx + 0.05, hy + 0.05)
    make("temple", *around(g.town.x, g.town.y, n["temple"], 0.35 * g.town.r))
    make("far", np.array([f[0] for f in g.far]), np.array([f[1] for f in g.far]))
    return Chargers(groups, cpos)


# -- time ---------------------------------------------------------------------------------------


def hour_of(t: float) -> float:
    return float(ist_hours(np.array([t]))[0])


def in_hours(h: F64 | float, span: tuple[float, float]) -> Bool:
    """Whether IST hours ``h`` fall in ``span`` (which may run past 24 into the next day)."""
    x = np.atleast_1d(np.asarray(h, dtype=np.float64))
    lo, hi = span
    return np.asarray(((x >= lo) & (x < hi)) | ((x + 24 >= lo) & (x + 24 < hi)), dtype=np.bool_)


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
    out: list[F64] = []
    hours = sum(b - a for a, b in spans)
    for span in spans:
        for a, b in _windows(w, span):
            k = int(rng.poisson(n * (b - a) / HOUR / hours))
            out.append(rng.uniform(a, b, k))
    return np.sort(np.concatenate(out)) if out else np.zeros(0)


def _bookings(n: int, low: float, high: float, prng: random.Random) -> int:
    """A whole number of bookings keeping ``n`` searches per booking within [low, high]."""
    lo, hi = math.ceil(n / high), math.floor(n / low)
    return prng.randint(lo, hi) if lo <= hi else max(1, round(2 * n / (low + high)))


# -- honest apps --------------------------------------------------------------------------------


Where = Callable[[np.random.Generator, F64], tuple[F64, F64]]
"""Where an app's sessions are, given their times."""


def _city_where(g: Lakes, hubs: Sequence[Hub], home_rain: float = 0.6) -> Where:
    """Around ``hubs``; in the rain most sessions near home, and the stadium's crowds before
    and after the match."""
    homes = [*g.homes, *g.village_hubs()]
    stadium = [(g.stadium[0], g.stadium[1], 0.45, 1.0)]

    def where(rng: np.random.Generator, t: F64) -> tuple[F64, F64]:
        h = ist_hours(t)
        x, y = g.people(rng, t.size, hubs)
        rain = in_hours(h, RAIN) & (rng.uniform(0, 1, t.size) < home_rain)
        hx, hy = g.people(rng, int(rain.sum()), homes)
        x[rain], y[rain] = hx, hy
        crowd = np.zeros(t.size, dtype=np.bool_)
        for span in SURGES:
            crowd |= in_hours(h, span)
        crowd = (crowd & (rng.uniform(0, 1, t.size) < 0.5)) | (
            in_hours(h, MATCH) & (rng.uniform(0, 1, t.size) < 0.04)
        )
        crowd &= ~rain
        sx, sy = g.people(rng, int(crowd.sum()), stadium)
        x[crowd], y[crowd] = sx, sy
        return x, y

    return where


def _surge_times(w: World, rng: np.random.Generator, per_day: float) -> F64:
    """Extra sessions: the rain keeps people home searching, the match brings crowds."""
    rain = _within(w, rng, 0.07 * per_day, [RAIN])
    crowd = _within(w, rng, 0.06 * per_day, SURGES)
    return np.sort(np.concatenate([rain, crowd]))


def _user(prng: random.Random, users: int) -> int:
    return min(users - 1, int(users * prng.random() ** 1.7))


def _run(
    w: World,
    bap: str,
    wire: Wire,
    h: Habits,
    t: F64,
    x: F64,
    y: F64,
    sites: Sites,
    prng: random.Random,
    g: Lakes,
) -> int:
    """Each session at its time and place (``Wire.session``); the searches made."""
    lat, lon = g.ll(x, y)
    made = 0
    for k in range(t.size):
        u = _user(prng, wire.users)
        made += wire.session(
            w, bap, prng, float(t[k]), float(lat[k]), float(lon[k]), u, h, sites, h.book
        )
    return made


def _app(
    w: World,
    g: Lakes,
    c: Chargers,
    bap: str,
    wire: Wire,
    h: Habits,
    searches: float,
    where: Where,
    *,
    surge: bool = True,
    sites: Sites | None = None,
) -> int:
    """An app's ordinary sessions over the day: about ``searches`` searches."""
    rng = w.rng(f"app:{bap}")
    prng = w.prng(f"app:{bap}")
    per = float(np.mean(h.repeat))
    t = arrivals(rng, searches / per, w.start, w.end, h.shape)
    if surge:
        t = np.sort(np.concatenate([t, _surge_times(w, rng, searches / per)]))
    x, y = where(rng, t)
    return _run(w, bap, wire, h, t, x, y, sites or c.public, prng, g)


def _habits(prng: random.Random, book: tuple[float, float], shape: Sequence[float] = DAY) -> Habits:
    radii = tuple(prng.sample((1.0, 2.0, 3.0, 5.0, 8.0, 10.0), prng.randint(2, 4)))
    repeat = prng.choice(((1, 1, 2), (1, 2, 2, 3), (1, 1, 1, 2, 4)))
    return Habits(radii, prng.uniform(*book), prng.uniform(0.55, 0.9), repeat, tuple(shape))


def _ride_hailing(w: World, g: Lakes, c: Chargers) -> None:
    """Drivers between fares: near the airport and along the IT corridor, booking often."""
    prng = w.prng("ride")
    bap = w.bap("honest", "ride-hailing app: drivers near the airport and the IT corridor", "ride")
    wire = WIRING.wire(prng, bap, prng.randint(900, 1600), refs=0.9)
    h = _habits(prng, (0.25, 0.4), [0.5 * a + 0.5 * b for a, b in zip(DAY, FLIGHTS, strict=True)])
    ax, ay = g.airport
    hubs = [
        (ax, ay, 0.9, 3.0),
        *((px, py, 0.6, 1.3) for px, py in g.parks),
        (0.0, 0.0, g.old.r, 0.6),
        *g.homes[:1],
    ]
    _app(w, g, c, bap, wire, h, prng.uniform(4500, 6500), _city_where(g, hubs, 0.3))


def _far_where(g: Lakes, share: float, local: Where) -> Where:
    def where(rng: np.random.Generator, t: F64) -> tuple[F64, F64]:
        x, y = local(rng, t)
        far = rng.uniform(0, 1, t.size) < share
        fx, fy = g.people(rng, int(far.sum()), g.far)
        x[far], y[far] = fx, fy
        return x, y

    return where


def _national(w: World, g: Lakes, c: Chargers) -> tuple[str, Wire]:
    """The national aggregator (it hosts the hidden poll): most of its traffic far away."""
    prng = w.prng("national")
    share = prng.uniform(0.78, 0.87)
    subset = (prng.uniform(0.5, 0.6), prng.uniform(0.7, 0.8))
    bap = w.bap(
        "hidden_poll",
        f"a poll of a random {subset[0]:.0%}-{subset[1]:.0%} of the bus depot's and the IT "
        "corridor's chargers each round, gaps drawn in 6-15 min, never booking, hidden in a "
        f"national aggregator ({share:.0%} of its own traffic in far cities)",
        "nat",
    )
    wire = WIRING.wire(
        prng, bap, prng.randint(2000, 4000), refs=0.7, pick=prng.choice(((0,), (0, 1), (2, 0)))
    )
    h = _habits(prng, (0.06, 0.12))
    local = _city_where(g, [*g.city_hubs(), *g.village_hubs()])
    _app(
        w, g, c, bap, wire, h, prng.uniform(4000, 6000), _far_where(g, share, local),
        sites=c.every,
    )  # fmt: skip
    _hidden_poll(w, c, bap, wire, subset, prng)
    return bap, wire


def _city_app(
    w: World, g: Lakes, c: Chargers, key: str, size: float, style: str, label: str
) -> str:
    prng = w.prng(f"city:{key}")
    bap = w.bap(label, style, "city")
    wire = WIRING.wire(prng, bap, int(size / prng.uniform(2.5, 5)))
    h = _habits(prng, (0.05, 0.12))
    hubs = [*g.city_hubs(), *g.village_hubs()]
    _app(w, g, c, bap, wire, h, size, _city_where(g, hubs))
    return bap


def _tiny(w: World, g: Lakes, c: Chargers, k: int) -> None:
    prng = w.prng(f"tiny:{k}")
    rng = w.rng(f"tiny:{k}")
    users = prng.randint(2, 6)
    bap = w.bap("honest", f"tiny new app, {users} users", "tiny")
    wire = WIRING.wire(prng, bap, users)
    h = Habits(tuple(prng.sample((2.0, 3.0, 5.0), 2)), 0.15, 0.8, (1,), DAY)
    n = prng.randint(6, 24)
    t = np.sort(rng.choice(arrivals(rng, 400, w.start, w.end, DAY), n, replace=False))
    x, y = _city_where(g, g.city_hubs())(rng, t)
    _run(w, bap, wire, h, t, x, y, c.public, prng, g)


def _student(w: World, g: Lakes, c: Chargers) -> None:
    """Students on the campus: bursts in the ten minutes either side of each lecture change,
    a little in the hostel evenings."""
    prng = w.prng("student")
    rng = w.rng("student")
    bap = w.bap("honest", "student app on the campus: bursts at lecture changes", "uni")
    wire = WIRING.wire(prng, bap, prng.randint(500, 1200), refs=0.8)
    h = Habits((1.0, 2.0, 3.0), prng.uniform(0.04, 0.1), 0.7, (1, 1, 2), DAY)
    n = prng.randint(450, 800)
    bursts = [(x - 1 / 6, x + 1 / 6) for x in LECTURES]
    t = np.sort(
        np.concatenate(
            [
                _within(w, rng, 0.75 * n, bursts),
                _within(w, rng, 0.25 * n, [(7.0, 9.0), (17.2, 24.0)]),
            ]
        )
    )
    cs = g.campus
    x, y = g.people(rng, t.size, [(cs.x, cs.y, 0.5 * cs.r, 3.0), *g.homes[:1]])
    sites = c.of("campus", "city", "corridor")
    _run(w, bap, wire, h, t, x, y, sites, prng, g)


def _temple(w: World, g: Lakes, c: Chargers) -> None:
    """The temple trust's app: pilgrims at the dawn and the dusk aartis, a few by day."""
    prng = w.prng("temple")
    rng = w.rng("temple")
    bap = w.bap("honest", "temple trust app of the hill town: bursts at the aartis", "aarti")
    wire = WIRING.wire(prng, bap, prng.randint(300, 700))
    h = Habits((1.0, 2.0, 5.0), prng.uniform(0.1, 0.2), 0.8, (1, 1, 2), DAY)
    n = prng.randint(250, 500)
    t = np.sort(
        np.concatenate([_within(w, rng, 0.7 * n, AARTIS), _within(w, rng, 0.3 * n, [(7.0, 17.0)])])
    )
    tw = g.town
    x, y = g.people(rng, t.size, [(tw.x, tw.y, 0.4 * tw.r, 1.0)])
    _run(w, bap, wire, h, t, x, y, c.of("temple", "highway"), prng, g)


def _cpo_app(w: World, g: Lakes, c: Chargers, cpo: str) -> None:
    """A CPO's own app: its customers look around its chargers and book them."""
    prng = w.prng(f"cpo:{cpo}")
    rng = w.rng(f"cpo:{cpo}")
    name = cpo.removeprefix("cpo-").split(".")[0]
    bap = w.bap("honest", f"{name}'s own app, booking its own chargers", f"own{name[:4]}")
    wire = WIRING.wire(prng, bap, prng.randint(100, 400))
    s = c.public
    mine = [k for k, o in enumerate(s.cpos) if o == cpo]
    own = Sites([s.ids[k] for k in mine], [cpo] * len(mine), s.lat[mine], s.lon[mine])
    sx, sy = g.xy(own.lat, own.lon)
    hubs = [(float(a), float(b), 0.6, 1.0) for a, b in zip(sx, sy, strict=True)]
    h = Habits((2.0, 5.0), prng.uniform(0.15, 0.3), 0.85, (1, 1, 2), DAY)
    t = arrivals(rng, prng.uniform(150, 400), w.start, w.end, DAY)
    x, y = g.people(rng, t.size, hubs)
    _run(w, bap, wire, h, t, x, y, own, prng, g)


# -- consoles and fleets ------------------------------------------------------------------------


def _on_clock(w: World, period: float, phase: float = 0.0) -> list[float]:
    """Every ``period`` seconds on the IST clock (from ``phase`` past midnight)."""
    first = ist_days(w)[0] + phase
    k0 = max(0, math.ceil((w.start - first) / period))
    out = []
    t = first + k0 * period
    while t < w.end:
        out.append(t)
        t += period
    return out


def _round(
    w: World,
    bap: str,
    wire: Wire,
    t: float,
    s: Sites,
    order: Sequence[int],
    radius: float,
    prng: random.Random,
    *,
    user: str = "",
    gap: tuple[float, float] = (2.0, 6.0),
    scraping: bool = False,
    key: str = "r",
) -> list[tuple[float, int, str]]:
    """One search at each site of ``order`` in turn; returns (time, site, txn) of each."""
    via = wire.via(prng)
    txn = wire.txn(w, via, key)
    out = []
    for j in order:
        w.search(
            bap, t, float(s.lat[j]), float(s.lon[j]), radius,
            via=via, user=user, txn=txn, scraping=scraping,
        )  # fmt: skip
        if w.start <= t < w.end:
            out.append((t, j, txn))
        t += prng.uniform(*gap)
    return out


def _depot_console(w: World, c: Chargers) -> None:
    """The e-bus depot manager: its bays every 5 minutes through the night charging window,
    booking most of them for the buses plugged in, every 30 minutes by day."""
    prng = w.prng("depot")
    bap = w.bap(
        "honest",
        "e-bus depot console: its bays every 5 min 22:00-05:30, every 30 min by day",
        "depot",
    )
    wire = WIRING.wire(prng, bap, 3, always=True, pick=prng.choice(((0,), (2,))), txn3=True)
    s = c.groups["depot"]
    night = prng.uniform(0.6, 0.85)
    midnight = ist_days(w)[0]
    for t in _on_clock(w, 300.0):
        is_night = bool(in_hours(hour_of(t), NIGHT_CHARGING)[0])
        if not is_night and round(t - midnight) % 1800:
            continue
        user = wire.user(prng.randrange(3))
        for at, j, txn in _round(w, bap, wire, t + 1, s, range(len(s.ids)), 0.3, prng, user=user):
            if prng.random() < (night if is_night else 0.02):
                w.book(bap, at, DEPOT_CPO, s.ids[j], prng, confirm=0.97, user=user, txn=txn)


def _airport_console(w: World, c: Chargers) -> None:
    """The airport operator's own console: the airport's chargers on a fixed clock."""
    prng = w.prng("airport")
    period = 60.0 * prng.randint(10, 15)
    ratio = (prng.uniform(150, 200), prng.uniform(240, 300))
    bap = w.bap(
        "honest",
        f"airport operator's console: the airport's chargers every {period / 60:.0f} min on "
        "the clock day and night, booking about 1 in 150-300",
        "skyops",
    )
    wire = WIRING.wire(prng, bap, 4, always=True, pick=(prng.randrange(3),))
    s = c.groups["airport"]
    made: list[tuple[float, int, str, str]] = []
    for t in _on_clock(w, period, prng.uniform(0, 60)):
        user = wire.user(prng.randrange(4))
        made += [
            (a, j, x, user)
            for a, j, x in _round(w, bap, wire, t, s, range(len(s.ids)), 0.5, prng, user=user)
        ]
    _book_some(w, bap, made, _bookings(len(made), *ratio, prng), AIRPORT_CPO, s, prng)


def _book_some(
    w: World,
    bap: str,
    made: list[tuple[float, int, str, str]],
    n: int,
    cpo: str,
    s: Sites,
    prng: random.Random,
) -> None:
    """Book after ``n`` of the searches ``made`` (those well before the day's end)."""
    early = [m for m in made if m[0] < w.end - 900]
    for at, j, txn, user in prng.sample(early, min(n, len(early))):
        w.book(bap, at, cpo or s.cpos[j], s.ids[j], prng, confirm=1.0, user=user, txn=txn)


def _park_console(w: World, c: Chargers) -> None:
    """The tech park's facility console: its park's chargers every 20 minutes 08:00-20:00."""
    prng = w.prng("park")
    bap = w.bap(
        "honest",
        "tech park facility console: its park's chargers every 20 min on the clock "
        "08:00-20:00, booking about 1 in 100",
        "parkfm",
    )
    wire = WIRING.wire(prng, bap, 2, refs=0.5, pick=(prng.randrange(3),))
    s = c.groups["park"]
    made: list[tuple[float, int, str, str]] = []
    for t in _on_clock(w, 1200.0):
        if in_hours(hour_of(t), PARK_HOURS)[0]:
            user = wire.user(prng.randrange(2))
            got = _round(w, bap, wire, t, s, range(len(s.ids)), 0.4, prng, user=user)
            made += [(a, j, x, user) for a, j, x in got]
    _book_some(w, bap, made, max(1, round(len(made) / 100)), PARK_CPO, s, prng)


def _rental(w: World, g: Lakes, c: Chargers) -> None:
    """The airport car-rental fleet's desk: its staff check the chargers near the airport
    (and the city ones where cars come back), booking a third of their searches."""
    prng = w.prng("rental")
    rng = w.rng("rental")
    bap = w.bap(
        "honest", "car-rental fleet at the airport, booking a third of its searches", "rent"
    )
    staff = prng.randint(4, 10)
    wire = WIRING.wire(prng, bap, staff, always=True)
    t = arrivals(rng, prng.uniform(300, 550), w.start, w.end, FLIGHTS)
    ax, ay = g.airport
    x, y = g.people(rng, t.size, [(ax, ay, 0.4, 3.0), (0.0, 0.0, g.old.r, 0.5), *g.homes[:1]])
    lat, lon = g.ll(x, y)
    s = c.of("airport", "city", "toll")
    made: list[tuple[float, int, str, str]] = []
    for k in range(t.size):
        via = wire.via(prng)
        txn = wire.txn(w, via, "c")
        user = wire.user(prng.randrange(staff))
        at = float(t[k])
        w.search(bap, at, float(lat[k]), float(lon[k]), 3.0, via=via, user=user, txn=txn)
        if w.start <= at < w.end:
            made.append((at, s.nearest(float(lat[k]), float(lon[k])), txn, user))
    _book_some(w, bap, made, round(len(made) / 3), "", s, prng)


# -- head units ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leg:
    """A stretch of road a vehicle drives: a path, from and to (distances along it)."""

    road: Path
    a: float
    b: float
    kind: str
    """``expressway``, ``ring`` or ``highway``."""


def _legs(g: Lakes, prng: random.Random, rain: bool) -> Leg:
    """A trip: a stretch of the expressway, the ring road or the state highway (shorter in
    the rain)."""
    pick = prng.random()
    short = 0.5 if rain else 1.0
    if pick < 0.38:
        road, kind = g.expressway, "expressway"
        span = road.length * (1.0 if prng.random() < 0.7 else prng.uniform(0.4, 0.9)) * short
    elif pick < 0.78:
        road, kind = g.ring, "ring"
        span = prng.uniform(5.0, 22.0) * short
    else:
        road, kind = g.highway, "highway"
        span = road.length * (1.0 if prng.random() < 0.35 else prng.uniform(0.2, 0.7)) * short
    if kind == "ring":
        a = prng.uniform(0, road.length - span)
    else:
        a = 0.0 if prng.random() < 0.6 else prng.uniform(0, road.length - span)
    b = a + span
    return Leg(road, b, a, kind) if prng.random() < 0.5 else Leg(road, a, b, kind)


def _speed(leg: Leg, s: float, g: Lakes, prng: random.Random) -> float:
    """km/h at ``s`` along the leg."""
    if leg.kind == "expressway":
        return prng.uniform(60, 90)
    if leg.kind == "ring":
        return prng.uniform(22, 45)
    return prng.uniform(18, 28) if s >= g.ghat else prng.uniform(45, 70)


def _drive(
    w: World,
    g: Lakes,
    bap: str,
    leg: Leg,
    t: float,
    prng: random.Random,
    hop: tuple[float, float],
    radius: float,
    *,
    via: str,
    user: str,
    txn: str,
    real: bool = True,
    scraping: bool = False,
) -> tuple[float, float, float]:
    """Refresh every ``hop`` km along the leg; a real car queues at the toll plaza (the
    refreshes repeating there), sits in the ring road's jams and crawls in the rain. Returns
    the time it arrived and where (km)."""
    sgn = 1.0 if leg.b >= leg.a else -1.0
    toll = real and leg.kind == "expressway" and (leg.a - g.toll) * (leg.b - g.toll) < 0
    s, fresh = leg.a, True

    def refresh(at: float, x: float, y: float) -> None:
        lat, lon = g.ll(x, y)
        w.search(
            bap, at, float(lat), float(lon), radius,
            via=via, user=user, txn=txn, scraping=scraping,
        )  # fmt: skip

    while True:
        x, y = leg.road.point(s)
        if fresh:
            refresh(t, x, y)
        fresh = True
        if real and leg.kind == "ring" and prng.random() < 0.12:
            peak = any(bool(in_hours(hour_of(t), span)[0]) for span in OFFICE)
            if peak or prng.random() < 0.25:
                for _ in range(prng.randint(1, 3)):  # a jam: the same spot again
                    t += prng.uniform(90, 300)
                    refresh(t, x, y)
        left = abs(leg.b - s)
        if left < 0.3:
            return t, x, y
        step = min(left, prng.uniform(*hop))
        nxt = s + sgn * step
        if toll and (s - g.toll) * (nxt - g.toll) <= 0:
            toll, fresh, nxt = False, False, g.toll
            step = abs(nxt - s)
        v = _speed(leg, s, g, prng)
        if real and in_hours(hour_of(t), RAIN)[0]:
            v *= prng.uniform(0.12, 0.25)  # a crawl in the rain
        t += step / v * HOUR
        s = nxt
        if not fresh:  # queueing at the toll plaza: the same spot two or three times
            tx, ty = leg.road.point(s)
            for _ in range(prng.randint(2, 3)):
                refresh(t, tx, ty)
                t += prng.uniform(60, 180)


def _head_units(w: World, g: Lakes, c: Chargers, brand: str, txns: bool) -> None:
    """A car brand's head units: each trip refreshes nearby chargers every 2-5 km and is one
    transaction (where the gateway reports ids); 4-10% of trips book at the trip's end."""
    prng = w.prng(f"hu:{brand}")
    rng = w.rng(f"hu:{brand}")
    rate = prng.uniform(0.05, 0.09)
    gate = "reports transaction ids" if txns else "never reports transaction ids"
    bap = w.bap(
        "honest",
        f"{brand} in-car head units (a gateway that {gate}): refreshes every 2-5 km on the "
        f"expressway, the ring road and the state highway, {rate:.0%} of trips book",
        "hu",
    )
    cars = prng.randint(250, 600)
    wire = WIRING.wire(
        prng, bap, cars, refs=0.7 if txns else 0.4, pick=(0,) if txns else (1,), txn3=False
    )
    shape = [(a + b + c2) / 3 for a, b, c2 in zip(FLIGHTS, RING, PILGRIMS, strict=True)]
    starts = arrivals(rng, prng.uniform(330, 450), w.start, w.end, shape)
    radius = prng.choice((5.0, 8.0, 10.0))
    s = c.public
    for t0 in starts.tolist():
        leg = _legs(g, prng, bool(in_hours(hour_of(t0), RAIN)[0]))
        via = wire.via(prng)
        txn = wire.txn(w, via, "h")
        user = wire.user(prng.randrange(cars))
        end, x, y = _drive(
            w, g, bap, leg, t0, prng, (2.0, 5.0), radius, via=via, user=user, txn=txn
        )
        if prng.random() < rate:
            la, lo = g.ll(x, y)
            k = s.nearest(float(la), float(lo))
            w.book(bap, end, s.cpos[k], s.ids[k], prng, confirm=0.8, user=user, txn=txn)


def _fake_head_unit(w: World, g: Lakes) -> None:
    """Virtual trips up and down the expressway and the state highway, refreshing every 2-4
    km at a steady speed (no toll, no jam, no rain), through the gateway that never reports
    transaction ids; it never books."""
    prng = w.prng("fakehu")
    bap = w.bap(
        "sweeper",
        "a fake head unit without transaction ids: virtual trips on the expressway and the "
        "state highway, refreshing every 2-4 km, never booking",
        "drive",
    )
    wire = WIRING.wire(prng, bap, 1, refs=0.3, pick=(1,))
    radius = prng.choice((5.0, 10.0))
    t = w.start + prng.uniform(0, 600)
    k = prng.randrange(4)
    while t < w.end:
        road, kind = (g.expressway, "expressway") if k // 2 % 2 else (g.highway, "highway")
        leg = Leg(road, 0.0, road.length, kind) if k % 2 == 0 else Leg(road, road.length, 0.0, kind)
        user = wire.user(0)
        t, _, _ = _drive(
            w, g, bap, leg, t, prng, (2.0, 4.0), radius,
            via=wire.via(prng), user=user, txn="", real=False, scraping=True,
        )  # fmt: skip
        t += prng.uniform(120, 600)
        k += 1


# -- hidden scrapers ----------------------------------------------------------------------------


def lattice_plan(seed: int) -> tuple[float, float, float]:
    """The corridor lattice's step (km), turn (radians) and the offset of even seeds' visits
    (the largest, km)."""
    rng = np.random.default_rng([seed, *b"lakes-lattice"])
    return float(rng.uniform(0.7, 1.1)), float(rng.uniform(0.1, math.pi / 3 - 0.1)), 0.06


def tri_lattice(g: Lakes, step: float, turn: float) -> tuple[F64, F64]:
    """The triangular lattice's nodes over the IT corridor (not on the water), its origin at
    the corridor's middle on the ring road: ``i a1 + j a2`` with ``a1`` at ``turn`` and
    ``a2`` 60 degrees from it."""
    mid = (g.corridor[0] + g.corridor[1]) / 2
    ox, oy = _polar(g.ring_radius(mid), mid)
    a1 = np.array([math.cos(turn), math.sin(turn)]) * step
    a2 = np.array([math.cos(turn + math.pi / 3), math.sin(turn + math.pi / 3)]) * step
    n = int(2 * (g.ring_r + 3) / step) + 2
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    x = ox + i.ravel() * a1[0] + j.ravel() * a2[0]
    y = oy + i.ravel() * a1[1] + j.ravel() * a2[1]
    keep = g.in_corridor(x, y) & ~g.wet(x, y, 0.15)
    return np.asarray(x[keep], dtype=np.float64), np.asarray(y[keep], dtype=np.float64)


def origin(g: Lakes) -> Point:
    mid = (g.corridor[0] + g.corridor[1]) / 2
    return _polar(g.ring_radius(mid), mid)


def _own_searches(w: World, bap: str) -> int:
    return sum(1 for e in w.events[bap] if isinstance(e, Search))


def _rounds_over(
    w: World, prng: random.Random, total: int, size: int, gap: tuple[float, float]
) -> list[tuple[float, int]]:
    """``total`` searches in rounds of ``size`` spread evenly over the day: each round's
    start and how many it makes."""
    rounds = max(1, math.ceil(total / size))
    period = (w.end - w.start) / rounds
    out = []
    for r in range(rounds):
        n = min(size, total - r * size)
        t = w.start + r * period + prng.uniform(0, max(1.0, period - n * gap[1] - 60))
        out.append((t, n))
    return out


def _hidden_lattice(w: World, g: Lakes, c: Chargers) -> None:
    """A city app hiding a triangular lattice over the IT corridor: every round its nodes
    in a fresh random order, exact on odd seeds, 20-60 m off them on even ones."""
    prng = w.prng("lattice")
    step, turn, _ = lattice_plan(w.seed)
    share = prng.uniform(0.07, 0.18)
    exact = w.seed % 2 == 1
    size = prng.uniform(2200, 3800)
    bap = _city_app(
        w, g, c, "lattice", size,
        f"a triangular lattice {step:.3f} km turned {math.degrees(turn):.1f} deg over the IT "
        "corridor, nodes in a random order each round, "
        f"{'exact nodes' if exact else '20-60 m off its nodes'}, {share:.0%} of a city app",
        "hidden_sweep",
    )  # fmt: skip
    wire = WIRING.wire(prng, bap, 1, refs=0.0)
    x, y = tri_lattice(g, step, turn)
    total = share_of(_own_searches(w, bap), share)
    radius = prng.choice((1.0, 1.5, 2.0))
    for t, n in _rounds_over(w, prng, total, x.size, (15.0, 40.0)):
        order = prng.sample(range(x.size), x.size)[:n]
        via = wire.via(prng)
        for j in order:
            px, py = float(x[j]), float(y[j])
            if not exact:
                d, a = prng.uniform(0.02, 0.06), prng.uniform(0, 2 * math.pi)
                px, py = px + d * math.cos(a), py + d * math.sin(a)
            lat, lon = g.ll(px, py)
            w.search(
                bap, t, float(lat), float(lon), radius,
                via=via, txn=wire.txn(w, via, "l"), scraping=True,
            )  # fmt: skip
            t += prng.uniform(15, 40)


def spiral_plan(seed: int) -> tuple[float, float]:
    """The spiral's spacing between turns (and between points along it) and its reach, km."""
    rng = np.random.default_rng([seed, *b"lakes-spiral"])
    return float(rng.uniform(1.1, 1.6)), float(rng.uniform(5.5, 8.0))


def spiral(g: Lakes, spacing: float, reach: float, offset: float) -> tuple[F64, F64]:
    """An Archimedean spiral ``r = spacing * phi / 2pi`` out from the old centre, turned by
    ``offset``, a point every ``spacing`` km along it, off the water."""
    b = spacing / (2 * math.pi)
    phi, xs, ys = spacing / b / 2, [], []
    while b * phi <= reach:
        r = b * phi
        xs.append(r * math.cos(phi + offset))
        ys.append(r * math.sin(phi + offset))
        phi += spacing / math.hypot(r, b)
    x, y = np.array(xs), np.array(ys)
    keep = ~g.wet(x, y, 0.1)
    return np.asarray(x[keep], dtype=np.float64), np.asarray(y[keep], dtype=np.float64)


def _hidden_spiral(w: World, g: Lakes, c: Chargers) -> None:
    """A ride-hailing-like aggregator hiding a spiral sweep out from the old centre, each
    round restarting at a fresh seeded angle."""
    prng = w.prng("spiral")
    spacing, reach = spiral_plan(w.seed)
    share = prng.uniform(0.06, 0.11)
    bap = w.bap(
        "hidden_sweep",
        f"a spiral sweep {spacing:.2f} km apart out to {reach:.1f} km from the old centre, "
        f"each round at a new angle, {share:.0%} of a ride-hailing-like aggregator",
        "mob",
    )
    wire = WIRING.wire(prng, bap, prng.randint(1200, 2500), refs=0.8)
    h = _habits(prng, (0.15, 0.3))
    ax, ay = g.airport
    hubs = [(ax, ay, 1.0, 1.0), *g.city_hubs()]
    _app(w, g, c, bap, wire, h, prng.uniform(3200, 5200), _city_where(g, hubs, 0.4))
    total = share_of(_own_searches(w, bap), share)
    radius = prng.choice((1.0, 1.5, 2.0))
    size = spiral(g, spacing, reach, 0.0)[0].size
    left = total
    for t, _ in _rounds_over(w, prng, total, size, (20.0, 50.0)):
        x, y = spiral(g, spacing, reach, prng.uniform(0, 2 * math.pi))
        n = x.size if left > 1.5 * x.size else left  # the last round may stop short
        lat, lon = g.ll(x[:n], y[:n])
        left -= n
        via = wire.via(prng)
        txn = wire.txn(w, via, "p")
        for k in range(lat.size):
            w.search(bap, t, float(lat[k]), float(lon[k]), radius, via=via, txn=txn, scraping=True)
            t += prng.uniform(20, 50)
        if left <= 0:
            break


def _hidden_poll(
    w: World, c: Chargers, bap: str, wire: Wire, subset: tuple[float, float], prng: random.Random
) -> None:
    s = c.of("depot", "park", "parks", "corridor")
    n = len(s.ids)
    radius = prng.choice((0.5, 1.0))
    t = w.start + prng.uniform(0, 600)
    while t < w.end:
        k = max(1, round(n * prng.uniform(*subset)))
        order = prng.sample(range(n), k)
        _round(w, bap, wire, t, s, order, radius, prng, gap=(1.0, 4.0), scraping=True, key="q")
        t += prng.uniform(360, 900)


# -- own scrapers -------------------------------------------------------------------------------


def _distributed_poll(w: World, c: Chargers, keys: int) -> None:
    """The tech parks' and the airport's chargers split over 4-6 tiny BAP keys, each key its
    own share at its own period (10-20 min, each gap +-40%)."""
    prng = w.prng("spread")
    s = c.of("park", "parks", "airport")
    order = prng.sample(range(len(s.ids)), len(s.ids))
    shares = [order[k::keys] for k in range(keys)]
    for k, share in enumerate(shares):
        period = prng.uniform(600, 1200)
        bap = w.bap(
            "poller",
            f"a poll of the tech parks' and the airport's chargers spread over {keys} tiny BAP "
            f"keys (key {k + 1}: {len(share)} chargers every {period / 60:.0f} min +-40%)",
            "key",
        )
        users = prng.randint(1, 3)
        wire = WIRING.wire(prng, bap, users, refs=0.5)
        radius = prng.choice((0.5, 1.0, 2.0))
        t = w.start + prng.uniform(0, period)
        while t < w.end:
            user = wire.user(prng.randrange(users))
            _round(w, bap, wire, t, s, share, radius, prng, user=user, scraping=True, key="d")
            t += period * prng.uniform(0.6, 1.4)


def _stadium_poller(w: World, c: Chargers) -> None:
    prng = w.prng("stadium")
    period = prng.uniform(240, 480)
    bap = w.bap(
        "poller",
        f"a poll of the stadium's chargers every {period / 60:.0f} min, only from 17:00 to "
        "00:30 around the match",
        "match",
    )
    wire = WIRING.wire(prng, bap, 1, refs=0.5)
    s = c.groups["stadium"]
    for a, b in _windows(w, STADIUM_POLL):
        t = a + prng.uniform(0, 120)
        while t < b - 60:
            order = prng.sample(range(len(s.ids)), len(s.ids))
            _round(w, bap, wire, t, s, order, 1.0, prng, user=wire.user(0), scraping=True)
            t += period * prng.uniform(0.9, 1.1)


def _booking_scraper(w: World, g: Lakes, c: Chargers) -> None:
    """A sweep of the city within the ring road, its radius drawn per search (1-6 km),
    booking 1-2% of its searches and seeing every booking through."""
    prng = w.prng("booker")
    rng = w.rng("booker")
    step = prng.uniform(1.2, 2.0)
    rate = (0.011, 0.019)
    bap = w.bap(
        "booking_scraper",
        f"a {step:.2f} km sweep of the city within the ring road, its radius drawn per search "
        "in 1-6 km, booking 1-2% of its searches and completing them",
        "book",
    )
    users = prng.randint(2, 5)
    wire = WIRING.wire(prng, bap, users, always=True, pick=(0,))
    r = g.ring_r
    gx, gy = np.meshgrid(np.arange(-r, r, step), np.arange(-r, r, step))
    keep = (np.hypot(gx, gy) <= r) & ~g.wet(gx.ravel(), gy.ravel(), 0.1).reshape(gx.shape)
    lat, lon = g.ll(gx[keep], gy[keep])
    per_hour = prng.uniform(45, 70)
    made: list[tuple[float, float, float, str, str]] = []
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "b")
        user = wire.user(prng.randrange(users))
        radius = round(float(rng.uniform(1.0, 6.0)), 2)
        w.search(
            bap, t, float(lat[k]), float(lon[k]), radius, via=via, user=user, txn=txn, scraping=True
        )
        made.append((t, float(lat[k]), float(lon[k]), txn, user))
        k = (k + 1) % lat.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)
    s = c.public
    early = [m for m in made if m[0] < w.end - 600]
    for at, la, lo, txn, user in prng.sample(
        early, _bookings(len(made), 1 / rate[1], 1 / rate[0], prng)
    ):
        j = s.nearest(la, lo)
        for kind in (FunnelKind.SELECT, FunnelKind.INIT, FunnelKind.CONFIRM):
            at += prng.uniform(8, 45)
            w.funnel(bap, at, kind, s.cpos[j], s.ids[j], user=user, txn=txn)


def _rain_and_night(w: World, c: Chargers) -> None:
    """Chargers' exact spots in random order, 4-12 minutes apart, in the rain hours
    (16:00-19:00) and at night (23:00-05:00) only."""
    prng = w.prng("slow")
    bap = w.bap(
        "low_and_slow",
        "a scraper of chargers' exact spots in the rain hours (16:00-19:00) and at night "
        "(23:00-05:00) only, 4-12 min apart",
        "slow",
    )
    wire = WIRING.wire(prng, bap, 1, always=True, pick=(prng.randrange(3),))
    s = c.local
    radius = prng.choice((1.0, 2.0, 3.0))
    order: list[int] = []
    spans = sorted(x for span in SLOW_HOURS for x in _windows(w, span))
    for a, b in spans:
        t = a + prng.uniform(0, 300)
        while t < b:
            if not order:
                order = prng.sample(range(len(s.ids)), len(s.ids))
            j = order.pop()
            via = wire.via(prng)
            w.search(
                bap, t, float(s.lat[j]), float(s.lon[j]), radius,
                via=via, user=wire.user(0), txn=wire.txn(w, via, "n"), scraping=True,
            )  # fmt: skip
            t += prng.uniform(240, 720)


def _trickle(w: World, g: Lakes, c: Chargers) -> None:
    """A city app whose own key also carries a steady trickle of searches at chargers'
    spots, one every 8-15 minutes all day."""
    prng = w.prng("trickle")
    bap = _city_app(
        w, g, c, "trickle", prng.uniform(1000, 1800),
        "a steady trickle of chargers' spots, one search every 8-15 min, riding along a city "
        "app's own key",
        "low_and_slow",
    )  # fmt: skip
    wire = WIRING.wire(prng, bap, 1, refs=0.0)
    s = c.local
    radius = prng.choice((2.0, 3.0))
    order: list[int] = []
    t = w.start + prng.uniform(0, 600)
    while t < w.end:
        if not order:
            order = prng.sample(range(len(s.ids)), len(s.ids))
        j = order.pop()
        via = wire.via(prng)
        w.search(
            bap, t, float(s.lat[j]), float(s.lon[j]), radius,
            via=via, txn=wire.txn(w, via, "k"), scraping=True,
        )  # fmt: skip
        t += prng.uniform(480, 900)


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * HOUR)
    g = geography(seed)
    c = chargers(seed, g)
    plan = w.prng("plan")
    owners = [p for p in c.cpos if c.public.cpos.count(p) >= 2]
    while True:
        cities, tiny = plan.randint(2, 3), plan.randint(2, 3)
        trickle = plan.random() < 0.5
        cpo_apps = min(plan.randint(3, 5), len(owners))
        # ride, national, lattice host, spiral host, student, depot, airport, park, rental,
        # two head units, temple, fake head unit, stadium poller, booker, slow: 16
        keys = plan.randint(4, 6)
        if 30 <= 16 + cities + tiny + cpo_apps + keys + trickle <= 40:
            break
    _ride_hailing(w, g, c)
    _national(w, g, c)
    sizes = [plan.uniform(600, 1300), plan.uniform(1800, 2800), plan.uniform(3200, 4500)]
    for k, size in enumerate(plan.sample(sizes, cities)):
        _city_app(w, g, c, str(k), size, f"city app, about {size:.0f} searches a day", "honest")
    for k in range(tiny):
        _tiny(w, g, c, k)
    _student(w, g, c)
    _depot_console(w, c)
    _airport_console(w, c)
    _park_console(w, c)
    _rental(w, g, c)
    _head_units(w, g, c, "brand A", True)
    _head_units(w, g, c, "brand B", False)
    _temple(w, g, c)
    for cpo in plan.sample(owners, cpo_apps):
        _cpo_app(w, g, c, cpo)
    _hidden_lattice(w, g, c)
    _hidden_spiral(w, g, c)
    _fake_head_unit(w, g)
    _distributed_poll(w, c, keys)
    _stadium_poller(w, c)
    _booking_scraper(w, g, c)
    _rain_and_night(w, c)
    if trickle:
        _trickle(w, g, c)
    return w.done()
