"""Family ``isles``: an island union territory in the Bay of Bengal on a weekday in the cyclone
season (IST), whose afternoon brings a cyclone warning.

The land: a long main island (an ellipse 14-20 km wide and 84-110 km long, slightly tilted)
with the capital town on its south-east shore (3-4 km in radius: the market at the centre, the
old harbour on the shore 1-3 km east with 2-3 jetties, the government offices to the west, the
cellular-jail museum on the shore to the north-east, a few residential hubs), a naval base on
the east shore 6-9 km north of the capital and a military airfield 9-15 km up the island
(nobody searches either), a small civil airport 3.5-5 km south-west of the market, a trunk
road running north along the island's spine (gentle bends, at least 1 km inland) past a forest
reserve on its west side (nobody searches it) to one or two small towns, and 4-6 fishing
villages on the shores; a nearest island 5-8 km from the harbour joined by one sea bridge over
a 0.6-3 km strait, with beach resorts on its far shore and a ferry jetty; a farther island
28-42 km out with beaches, resorts and a jetty, reached by ferry only; 4-6 far mainland cities
1100-1500 km to the west and north-west for the national apps. Distances and bearings are
seeded. 50-100 charging sites owned by 5-7 CPOs (``cpo-<name>.isles.example``): the island
administration's transport department (``cpo-transport``: the e-bus depot, the jetty bus bays,
the secretariat's motor pool and some villages'), the ferry operator (``cpo-ferries``: the
berths at the three islands' jetties) and 3-5 public CPOs.

The day: e-ferries sail from the harbour to both islands on a published timetable; flights
land and leave in the morning (06:30-10:30) and the evening (16:00-19:00); the warning comes at
a seeded time between 13:00 and 15:30 IST: from then no ferry leaves the harbour (the ferries
out come straight back), tourists crowd the jetties and the airport for about four hours, the
offices shut an hour later, evacuation e-buses run, the fishing boats come home, and people
charge up at home in the evening.

Honest BAPs: a national aggregator (80-90% of its traffic in the far cities); an islands-wide
aggregator; two or three capital apps of different sizes; a north-towns app; two or three tiny
new apps; the transport department's e-bus dispatch (its depot and the jetty bus bays on the
clock every 10 minutes 05:00-23:00, every 5 minutes for five hours after the warning, booking
on about 1 round in 8, 1 in 3 in the evacuation); the ferry operator's berth console (a
departure jetty's berths 30 and 10 minutes before each sailing, the arrival jetty's 5 minutes
after each arrival, booking on most arrivals; after the warning the harbour's berths every 15
minutes, booking on 1 round in 4); the secretariat's motor pool (its chargers every 20 minutes
in office hours until the offices shut, booking 1 round in 5); the resort e-shuttles looping
the harbour, the market, the bridge head and the resorts, refreshing each stop's exact spot,
one transaction a loop; two brands of in-car head units on the trunk road, the bridge road and
the capital's links (brand A's gateway reports one transaction a trip, brand B's never; a
refresh every 1.5-3 km on land, none over the strait); the airport taxi rank (drivers at the
rank's exact spot, crowds at each flight and after the warning); the residents' home-charging
app (each user at their own home spot, a surge after the warning); the fisheries co-op's
e-boat landings (each village's landing spot before dawn, at midday and when the boats come
home); a public CPO's network operations centre watching its own sites in rounds every 4-9
minutes with test charges; two CPOs' own apps booking their own chargers.

Scrapers (a rival CPO wanting to know who is charging, above all when the cyclone comes):

- a user-shadowed lattice: after some of a capital app's own sessions, seconds later, the
  nearest not-yet-visited node of a 0.8-1.2 km lattice over the capital within 2.5 km of the
  user, so the sweep follows the app's own geography and rhythm; exact nodes on odd seeds,
  30-90 m off on even ones (``hidden_sweep``);
- a coastline crawl: points every 1.5-2.5 km round each island's shore 400 m inland, island by
  island, one after another all day, exact on even seeds and 40-120 m off on odd ones, hidden
  in a second national app at 5-14% (``hidden_sweep``);
- a storm-watch poll of the jetties', the airport's and a rival's capital chargers, a round
  every 40-80 minutes until the warning and every 4-9 minutes after it, hidden in the tourist
  app whose own traffic also surges then (``hidden_poll``);
- a timetable poll: rounds of a random 50-100% of a rival's and the two islands' chargers
  15 minutes before each sailing and 10 minutes after each arrival, and every 25-35 minutes
  between, hidden in the ferry-ticket app (``hidden_poll``);
- a Levy poller: rounds of a random 60-100% of 8-16 chargers with Pareto-distributed gaps (at
  least 90 s, at most 75 minutes) (``poller``);
- a tourist-trail poller: its list follows the tourists through the day (the jetties in the
  morning, the resorts at midday, the museum and the market in the evening, asleep at night),
  a round every 6-14 minutes, one user reference (``poller``);
- a shore-ring sweep: a 2-3 km lattice over the land of all three islands, island by island,
  the nodes nearest the shore first, then inward (``sweeper``);
- a sunflower sweep: the golden-angle points of a phyllotaxis disc over the capital and one
  over the bridged island, in their order, round after round (``sweeper``);
- a rival CPO's nearest-neighbour tour of a jittered lattice over the capital and the bridged
  island that books about 1% of its searches at the nearest charger of any CPO and cancels each
  booking 40-90 minutes later (``booking_scraper``);
- fake tourists: 25-50 made-up users, each on a plausible one-day itinerary of 3-6 stops, at
  each stop one search at a nearby charger's exact spot (``low_and_slow``); and on some seeds a
  gateway hopper, one search every 6-14 minutes at a rival's chargers' spots, each through the
  next gateway in turn (``low_and_slow``). Hidden scrapers send no user reference.

Gateways: ``bg.isles.example`` always reports transaction ids, ``bg2`` never, ``bg3`` as the
app chooses; an app uses one gateway or splits its traffic over two. User references from all,
some or none of an app's users.

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

from uei.antiabuse.scraping.events import FunnelKind
from uei_testing.families.world import (
    KM_LAT,
    Sites,
    Truth,
    World,
    arrivals,
    exactly,
    ist_days,
    ist_hours,
    share_of,
)

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
Point = tuple[float, float]
Hub = tuple[float, float, float, float]
"""(x, y, spread, weight) in km."""

NAME = "isles"
GATEWAYS = ("bg.isles.example", "bg2.isles.example", "bg3.isles.example")
TRANSPORT_CPO = "cpo-transport.isles.example"
FERRY_CPO = "cpo-ferries.isles.example"
PUBLIC_NAMES = ("coralvolt", "reefplug", "monsoonamp", "tidecharge", "junglewatt", "conchpower")
HOUR = 3600.0
OFFICE = (9.0, 17.5)
FLIGHTS = (6.5, 7.75, 9.0, 10.25, 16.0, 17.5, 19.0)
"""Flights landing (IST hours); each brings the taxi rank a crowd."""
# the harbour's sailings (IST hour of departure, route, hours at sea)
SAILINGS = ((6.25, "C", 2.0), (7.0, "B", 0.75), (9.0, "C", 2.0), (10.5, "B", 0.75),
            (12.0, "C", 2.0), (14.0, "B", 0.75), (15.0, "C", 2.0), (16.5, "B", 0.75))  # fmt: skip
TURN = 0.75
"""Hours a ferry waits at the far jetty before sailing back."""

# fmt: off
DAY = (0.15, 0.1, 0.08, 0.08, 0.15, 0.5, 0.9, 1.1, 1.2, 1.15, 1.1, 1.1,
       1.05, 1.0, 1.0, 1.05, 1.15, 1.3, 1.35, 1.2, 0.9, 0.6, 0.35, 0.2)
TOURS = (0.05, 0.03, 0.03, 0.03, 0.1, 0.5, 1.2, 1.5, 1.5, 1.3, 1.2, 1.1,
         1.0, 1.0, 1.0, 1.1, 1.2, 1.4, 1.4, 1.1, 0.7, 0.4, 0.2, 0.1)
ROADS = (0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 1.1, 1.2, 1.3, 1.1, 1.0, 1.0,
         1.0, 1.0, 1.1, 1.2, 1.3, 1.3, 1.1, 0.9, 0.7, 0.5, 0.4, 0.3)
FAR = (0.2, 0.1, 0.08, 0.08, 0.15, 0.3, 0.55, 0.85, 1.1, 1.2, 1.2, 1.2,
       1.2, 1.2, 1.2, 1.2, 1.25, 1.35, 1.4, 1.35, 1.1, 0.8, 0.55, 0.35)
# fmt: on


def hour_of(t: float) -> float:
    return float(ist_hours(np.array([t]))[0])


# -- the land -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ellipse:
    x: float
    y: float
    a: float
    b: float
    angle: float

    def inside(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> Bool:
        """Whether each point is inside the ellipse grown by ``margin`` km (shrunk if < 0)."""
        dx, dy = np.asarray(x, dtype=np.float64) - self.x, np.asarray(y, dtype=np.float64) - self.y
        c, s = math.cos(self.angle), math.sin(self.angle)
        u, v = dx * c + dy * s, -dx * s + dy * c
        return np.asarray((u / (self.a + margin)) ** 2 + (v / (self.b + margin)) ** 2 < 1.0)

    def rim(self, t: F64 | float, inward: float = 0.0) -> tuple[F64, F64]:
        """Points on the rim shrunk by ``inward`` km, at parameters ``t``."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        tt = np.asarray(t, dtype=np.float64)
        u, v = (self.a - inward) * np.cos(tt), (self.b - inward) * np.sin(tt)
        return np.asarray(self.x + u * c - v * s), np.asarray(self.y + u * s + v * c)

    def perimeter(self) -> float:
        a, b = self.a, self.b
        return math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))

    def shore(self, x: float, y: float, angle: float, inward: float = 0.0) -> Point:
        """Where a ray from (x, y), inside, leaves the ellipse, ``inward`` km back along it."""
        lo, hi = 0.0, 2.0 * (self.a + self.b)
        for _ in range(50):
            mid = (lo + hi) / 2
            px, py = x + mid * math.cos(angle), y + mid * math.sin(angle)
            if self.inside(px, py)[()]:
                lo = mid
            else:
                hi = mid
        d = max(0.0, lo - inward)
        return x + d * math.cos(angle), y + d * math.sin(angle)


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

    def spot(self, d: float) -> Point:
        return float(np.interp(d, self.s, self.x)), float(np.interp(d, self.s, self.y))

    def sample(self, step: float) -> tuple[F64, F64]:
        d = np.arange(0.0, self.length() + 1e-9, step)
        return (
            np.asarray(np.interp(d, self.s, self.x), dtype=np.float64),
            np.asarray(np.interp(d, self.s, self.y), dtype=np.float64),
        )

    def gap(self, x: F64 | float, y: F64 | float) -> F64:
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        ax, ay, bx, by = self.x[:-1], self.y[:-1], self.x[1:], self.y[1:]
        dx, dy = bx - ax, by - ay
        ll = np.maximum(dx * dx + dy * dy, 1e-12)
        t = np.clip(((px[:, None] - ax) * dx + (py[:, None] - ay) * dy) / ll, 0.0, 1.0)
        cx, cy = ax + t * dx, ay + t * dy
        return np.asarray(np.hypot(px[:, None] - cx, py[:, None] - cy).min(axis=1))


@dataclass(frozen=True, slots=True)
class Isles:
    lat: float
    lon: float
    main: Ellipse
    near: Ellipse
    """The bridged island."""
    far_isle: Ellipse
    """The ferry-only island."""
    capital_r: float
    hubs: tuple[Hub, ...]
    """The capital's: market, harbour, government offices, museum, then residential."""
    harbour: Point
    jetties: tuple[Point, ...]
    museum: Point
    offices: Point
    airport: Point
    depot: Point
    base: tuple[float, float, float]
    """The naval base: (x, y, radius)."""
    airfield: Ellipse
    reserve: Ellipse
    trunk: Line
    bridge: Line
    """From the market over the strait to the resorts (the only road off the main island)."""
    bridge_head: Point
    """The bridge's end on the main island."""
    towns: tuple[tuple[float, float, float], ...]
    villages: tuple[Point, ...]
    resorts: tuple[Point, ...]
    """On the bridged island's far shore; the first is beside its jetty."""
    near_jetty: Point
    far_jetty: Point
    beaches: tuple[Point, ...]
    far: tuple[Hub, ...]
    warning: float
    """The cyclone warning's IST hour."""

    def km_lon(self) -> float:
        return 111.320 * math.cos(math.radians(self.lat))

    def ll(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        lat = self.lat + np.asarray(y, dtype=np.float64) / KM_LAT
        lon = self.lon + np.asarray(x, dtype=np.float64) / self.km_lon()
        return np.asarray(lat), np.asarray(lon)

    def ll1(self, x: float, y: float) -> Point:
        return self.lat + y / KM_LAT, self.lon + x / self.km_lon()

    def xy(self, lat: F64 | float, lon: F64 | float) -> tuple[F64, F64]:
        x = (np.asarray(lon, dtype=np.float64) - self.lon) * self.km_lon()
        y = (np.asarray(lat, dtype=np.float64) - self.lat) * KM_LAT
        return np.asarray(x), np.asarray(y)

    def land(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> Bool:
        """On one of the islands, at least ``margin`` km from the sea."""
        isles = (self.main, self.near, self.far_isle)
        out = np.zeros(np.shape(np.asarray(x)), dtype=np.bool_)
        for e in isles:
            out |= e.inside(x, y, -margin)
        return np.asarray(out)

    def forbidden(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> Bool:
        """In the naval base, the airfield or the reserve (grown by ``margin`` km)."""
        bx, by, br = self.base
        xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        out = np.hypot(xa - bx, ya - by) < br + margin
        out |= self.airfield.inside(xa, ya, margin)
        out |= self.reserve.inside(xa, ya, margin)
        return np.asarray(out)

    def allowed(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> Bool:
        """Where anybody may search: on land, out of the closed places, or on the mainland."""
        xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        mainland = np.hypot(xa, ya) > 500
        ok = self.land(xa, ya, margin) & ~self.forbidden(xa, ya, margin)
        return np.asarray(mainland | ok)

    def people(self, rng: np.random.Generator, n: int, hubs: Sequence[Hub]) -> tuple[F64, F64]:
        """``n`` points round ``hubs`` by weight, all where people may be (50 m from the sea)."""
        h = np.array(hubs, dtype=np.float64)
        x, y = np.zeros(n), np.zeros(n)
        todo = np.ones(n, dtype=np.bool_)
        pick = rng.choice(len(h), size=n, p=h[:, 3] / h[:, 3].sum())
        for _ in range(40):
            k = int(todo.sum())
            if not k:
                break
            p = pick[todo]
            x[todo] = h[p, 0] + rng.normal(0, 1, k) * h[p, 2]
            y[todo] = h[p, 1] + rng.normal(0, 1, k) * h[p, 2]
            todo = ~self.allowed(x, y, 0.05)
        x[todo], y[todo] = h[pick[todo], 0], h[pick[todo], 1]
        return x, y

    def zone(self, name: str) -> tuple[Hub, ...]:
        if name == "capital":
            return self.hubs
        if name == "harbour":
            return tuple((x, y, 0.15, 1.0) for x, y in self.jetties)
        if name == "museum":
            return ((*self.museum, 0.25, 1.0),)
        if name == "airport":
            return ((*self.airport, 0.2, 1.0),)
        if name == "near":
            return tuple((x, y, 0.4, 1.0) for x, y in self.resorts)
        if name == "faraway":
            return ((*self.far_jetty, 0.3, 1.0), *((x, y, 0.5, 1.0) for x, y in self.beaches))
        if name == "towns":
            return tuple((x, y, r / 2, 1.0) for x, y, r in self.towns)
        if name == "villages":
            return tuple((x, y, 0.3, 1.0) for x, y in self.villages)
        if name == "far":
            return self.far
        raise KeyError(name)


ZONES = ("capital", "harbour", "museum", "airport", "near", "faraway", "towns", "villages", "far")


def _polar(r: float, a: float) -> Point:
    return r * math.cos(a), r * math.sin(a)


def geography(seed: int) -> Isles:
    for attempt in range(300):
        g = _try_geography(np.random.default_rng([seed, 91, attempt]))
        if g is not None:
            return g
    raise RuntimeError("no islands fit")  # pragma: no cover


def _try_geography(rng: np.random.Generator) -> Isles | None:
    def u(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi))

    lat, lon = u(11.4, 12.0), u(92.6, 92.8)
    a, b = u(7.0, 10.0), u(42.0, 55.0)
    tilt = u(-0.1, 0.1)
    cu, cv = 0.35 * a, -0.8 * b  # the capital in the island's own frame
    c_, s_ = math.cos(tilt), math.sin(tilt)
    main = Ellipse(-(cu * c_ - cv * s_), -(cu * s_ + cv * c_), a, b, tilt)
    if not main.inside(0.0, 0.0, -1.5)[()]:
        return None
    harbour = main.shore(0.0, 0.0, u(-0.25, 0.25), 0.0)
    hd = math.hypot(*harbour)
    if not 1.0 <= hd <= 3.2:
        return None
    ha = math.atan2(harbour[1], harbour[0])
    # the jetties along the shore beside the harbour, 120 m inland
    jetties = tuple(
        main.shore(0.0, 0.0, ha + k * 0.3 / hd, 0.12) for k in range(int(rng.integers(2, 4)))
    )
    museum = main.shore(0.0, 0.0, ha + u(0.6, 1.1), 0.45)
    offices = _polar(u(1.2, 2.0), u(2.2, 4.0))
    airport = _polar(u(3.5, 5.0), u(3.6, 4.6))
    depot = _polar(u(1.5, 2.5), u(4.4, 5.4))
    r = u(3.0, 4.0)
    hubs: list[Hub] = [
        (0.0, 0.0, u(0.5, 0.7), 1.5),
        (harbour[0] - 0.3 * math.cos(ha), harbour[1] - 0.3 * math.sin(ha), 0.35, 1.0),
        (*offices, 0.4, 0.8),
        (*museum, 0.3, 0.6),
    ]
    for _ in range(int(rng.integers(2, 4))):
        hubs.append((*_polar(u(1.0, 2.8), u(1.6, 4.7)), u(0.4, 0.9), u(0.5, 1.2)))
    for x, y in (*((h[0], h[1]) for h in hubs), offices, airport, depot):
        if not main.inside(x, y, -0.2)[()]:
            return None
    # the naval base on the east shore north of the town, the airfield up the island
    bx, by = main.shore(*_polar(u(6.0, 8.0), u(1.1, 1.4)), 0.0, 0.0)
    br = u(0.8, 1.2)
    bx -= br + 0.1
    base = (bx, by, br)
    if min(math.hypot(bx - h[0], by - h[1]) for h in hubs) < br + 2.0:
        return None
    if math.hypot(bx - airport[0], by - airport[1]) < br + 2.0:
        return None

    def spine(y: float) -> float:
        return main.x - math.tan(main.angle) * (y - main.y)

    waves = [(u(0.4, 0.9), u(6, 15), u(0, 6.3)) for _ in range(2)]
    side = u(0.15, 0.25) * a
    top = main.y + main.b * 0.85

    def road_x(y: float) -> float:
        f = min(1.0, y / 8.0)
        off = sum(am * math.sin(y / p + ph) for am, p, ph in waves) * f
        return (1 - f) * 0.0 + f * (spine(y) + side) + off

    trunk = Line.of([(road_x(float(y)), float(y)) for y in np.arange(0.0, top, 1.0)])
    tx, ty = trunk.sample(0.25)
    if not main.inside(tx[ty > 3], ty[ty > 3], -1.0).all():
        return None
    ay = u(9.0, 15.0)
    ax = road_x(ay) + (1 if rng.uniform() < 0.5 else -1) * u(2.5, 3.5)
    airfield = Ellipse(ax, ay, u(1.2, 1.6), u(0.35, 0.5), u(0, math.pi))
    if not main.inside(ax, ay, -2.0)[()]:
        return None
    ry = u(24.0, 34.0)
    reserve = Ellipse(spine(ry) - 0.35 * a, ry, 0.3 * a, u(8.0, 12.0), 0.0)
    if np.hypot(tx - bx, ty - by).min() < br + 1.5:
        return None
    if airfield.inside(tx, ty, 1.5).any() or reserve.inside(tx, ty, 1.0).any():
        return None
    if reserve.inside(ax, ay, 2.5)[()]:
        return None
    towns: list[tuple[float, float, float]] = []
    for s in (u(28.0, 40.0), u(58.0, 75.0)):
        if s > trunk.length() - 4:
            continue
        px, py = trunk.spot(s)
        x, y = px + u(0.5, 1.0), py
        tr = u(1.0, 1.5)
        if main.inside(x, y, -tr)[()] and not reserve.inside(x, y, tr + 0.5)[()]:
            towns.append((x, y, tr))
    if not towns:
        return None
    villages: list[Point] = []
    for _ in range(200):
        vx, vy = main.rim(u(0, 2 * math.pi), 0.4)
        v = (float(vx), float(vy))
        if (
            math.hypot(*v) > r + 2.5
            and math.hypot(v[0] - bx, v[1] - by) > br + 3.0
            and not airfield.inside(*v, 2.5)[()]
            and not reserve.inside(*v, 1.5)[()]
            and all(math.dist(v, q) > 6.0 for q in villages)
        ):
            villages.append(v)
        if len(villages) == 6:
            break
    if len(villages) < 4:
        return None
    villages = villages[: int(rng.integers(4, len(villages) + 1))]
    # the bridged island
    phi = u(-1.0, 0.15)
    dn = u(5.5, 8.0)
    nx, ny = harbour[0] + dn * math.cos(phi), harbour[1] + dn * math.sin(phi)
    near = Ellipse(nx, ny, u(2.2, 3.5), u(3.0, 5.0), u(0, math.pi))
    ex, ey = near.rim(np.linspace(0, 2 * math.pi, 120), 0.0)
    if main.inside(ex, ey, 0.6).any():
        return None
    seg = np.linspace(0.0, 1.0, 800)
    lx, ly = nx * seg, ny * seg
    on_main, on_near = main.inside(lx, ly), near.inside(lx, ly)
    last = int(np.flatnonzero(on_main).max())
    first = int(np.flatnonzero(on_near).min())
    if first <= last or not (~on_main[last + 1 : first] & ~on_near[last + 1 : first]).all():
        return None
    strait = math.hypot(lx[first] - lx[last], ly[first] - ly[last])
    if not 0.6 <= strait <= 3.0:
        return None
    if np.hypot(lx - bx, ly - by).min() < br + 1.0:
        return None
    bridge_head = (float(lx[last]), float(ly[last]))
    away = math.atan2(ny, nx)
    resorts = tuple(
        near.shore(nx, ny, away + k * u(0.35, 0.55) - 0.45, 0.3)
        for k in range(int(rng.integers(2, 4)))
    )
    near_jetty = near.shore(nx, ny, away - 0.45, 0.12)
    bridge = Line.of([(0.0, 0.0), (nx, ny), resorts[0]])
    # the ferry-only island, out to sea
    fa = u(0.2, 1.2)
    fd = u(28.0, 42.0)
    fx, fy = harbour[0] + fd * math.cos(fa), harbour[1] + fd * math.sin(fa)
    far_isle = Ellipse(fx, fy, u(3.0, 5.0), u(5.0, 8.0), u(0, math.pi))
    qx, qy = far_isle.rim(np.linspace(0, 2 * math.pi, 160), 0.0)
    if main.inside(qx, qy, 3.0).any() or near.inside(qx, qy, 3.0).any():
        return None
    back = math.atan2(harbour[1] - fy, harbour[0] - fx)
    far_jetty = far_isle.shore(fx, fy, back, 0.12)
    beaches = tuple(
        far_isle.shore(fx, fy, back + u(1.2, 2.0) * k, 0.3)
        for k in range(1, int(rng.integers(3, 5)))
    )
    far: list[Hub] = []
    for _ in range(int(rng.integers(4, 7))):
        cx, cy = _polar(u(1100, 1500), u(1.6, 3.2))
        far.append((cx, cy, u(3.0, 7.0), u(0.5, 1.5)))
    return Isles(
        lat,
        lon,
        main,
        near,
        far_isle,
        r,
        tuple(hubs),
        harbour,
        jetties,
        museum,
        offices,
        airport,
        depot,
        base,
        airfield,
        reserve,
        trunk,
        bridge,
        bridge_head,
        tuple(towns),
        tuple(villages),
        resorts,
        near_jetty,
        far_jetty,
        beaches,
        tuple(far),
        round(u(13.0, 15.5), 2),
    )


# -- the chargers -------------------------------------------------------------------------------


GROUPS = ("berths", "busbays", "depot", "secretariat", "airport", "capital", "museum", "near",
          "faraway", "towns", "villages", "trunk")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Chargers:
    groups: dict[str, Sites]
    cpos: tuple[str, ...]
    publics: tuple[str, ...]
    berth_at: tuple[str, ...]
    """Which jetty each berth is at: ``H`` (the harbour), ``B`` or ``C``."""

    def of(self, *names: str) -> Sites:
        return join(*(self.groups[n] for n in names))

    def every(self) -> Sites:
        return self.of(*GROUPS)

    def public(self) -> Sites:
        return self.of("airport", "capital", "museum", "near", "faraway", "towns", "villages",
                       "trunk")  # fmt: skip

    def owned(self, cpo: str, s: Sites | None = None) -> Sites:
        s = self.every() if s is None else s
        return pick(s, [i for i, o in enumerate(s.cpos) if o == cpo])

    def berths(self, where: str) -> Sites:
        return pick(self.groups["berths"], [i for i, b in enumerate(self.berth_at) if b == where])

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


def chargers(seed: int, g: Isles) -> Chargers:
    rng = np.random.default_rng([seed, 92])
    names = [str(n) for n in rng.choice(PUBLIC_NAMES, int(rng.integers(3, 6)), replace=False)]
    publics = tuple(f"cpo-{n}.isles.example" for n in names)
    groups: dict[str, Sites] = {}

    def make(name: str, x: F64, y: F64, owner: str | None = None) -> None:
        lat, lon = g.ll(x, y)
        if owner is None:
            owners = [publics[int(i)] for i in rng.integers(0, len(publics), x.size)]
        else:
            owners = [owner] * x.size
        groups[name] = Sites([f"is-{name}-{i:03d}" for i in range(x.size)], owners, lat, lon)

    def arr(points: Sequence[Point]) -> tuple[F64, F64]:
        return np.array([p[0] for p in points]), np.array([p[1] for p in points])

    far_berths = [g.near_jetty] + [g.far_jetty] * int(rng.integers(1, 3))
    berth_at = ("H",) * len(g.jetties) + ("B",) + ("C",) * (len(far_berths) - 1)
    bx, by = arr([*g.jetties, *far_berths])
    by = by + np.array(
        [0.0] * len(g.jetties) + [0.0] + [0.03 * k for k in range(len(far_berths) - 1)]
    )
    make("berths", bx, by, FERRY_CPO)
    hx, hy = g.hubs[1][0], g.hubs[1][1]
    nb = int(rng.integers(1, 3))
    make("busbays", hx + 0.05 * np.arange(nb, dtype=np.float64), np.full(nb, hy), TRANSPORT_CPO)
    nd = int(rng.integers(2, 4))
    make(
        "depot",
        g.depot[0] + 0.06 * np.arange(nd, dtype=np.float64),
        np.full(nd, g.depot[1]),
        TRANSPORT_CPO,
    )
    ns = int(rng.integers(2, 5))
    sx = g.offices[0] + 0.04 * np.arange(ns, dtype=np.float64)
    make("secretariat", sx, np.full(ns, g.offices[1]), TRANSPORT_CPO)
    make("airport", *g.people(rng, int(rng.integers(2, 5)), g.zone("airport")))
    make("capital", *g.people(rng, int(rng.integers(22, 34)), g.hubs))
    make("museum", *g.people(rng, int(rng.integers(1, 3)), g.zone("museum")))
    make("near", *g.people(rng, int(rng.integers(5, 10)), g.zone("near")))
    make("faraway", *g.people(rng, int(rng.integers(4, 9)), g.zone("faraway")))
    tx: list[F64] = []
    ty: list[F64] = []
    for x, y, r in g.towns:
        px, py = g.people(rng, int(rng.integers(3, 7)), ((x, y, r / 2, 1.0),))
        tx.append(px)
        ty.append(py)
    make("towns", np.concatenate(tx), np.concatenate(ty))
    vx, vy = arr(g.villages)
    lat, lon = g.ll(vx, vy)
    vowners = [TRANSPORT_CPO if rng.uniform() < 0.5 else publics[0] for _ in g.villages]
    groups["villages"] = Sites([f"is-villages-{i:03d}" for i in range(vx.size)], vowners, lat, lon)
    plazas: list[Point] = []
    d = float(rng.uniform(12, 18))
    while d < g.trunk.length() - 3:
        p = g.trunk.spot(d)
        if all(math.hypot(p[0] - x, p[1] - y) > r + 2 for x, y, r in g.towns):
            plazas.append(p)
        d += float(rng.uniform(15, 25))
    make("trunk", *arr(plazas))
    return Chargers(groups, (TRANSPORT_CPO, FERRY_CPO, *publics), publics, berth_at)


# -- gateways and people ------------------------------------------------------------------------


PICKS = ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (2, 0), (1, 0))


@dataclass(frozen=True, slots=True)
class Link:
    """How one app reaches the network: its gateways and which of its users send references."""

    bap: str
    vias: tuple[str, ...]
    split: float
    users: int
    refs: float
    txn3: bool

    def via(self, prng: random.Random) -> str:
        if len(self.vias) == 1 or prng.random() < self.split:
            return self.vias[0]
        return self.vias[1]

    def txn(self, w: World, via: str, key: str) -> str:
        if via == GATEWAYS[1] or (via == GATEWAYS[2] and not self.txn3):
            return ""
        return w.txn(key)

    def user(self, k: int) -> str:
        return f"{self.bap}/u{k}" if (k * 0.6180339887) % 1.0 < self.refs else ""


def link(
    prng: random.Random,
    bap: str,
    users: int,
    refs: float | None = None,
    via: tuple[int, ...] | None = None,
    txn3: bool | None = None,
) -> Link:
    p = via if via is not None else prng.choice(PICKS)
    if refs is None:
        refs = prng.choice((0.0, 1.0, round(prng.uniform(0.3, 0.8), 2)))
    return Link(
        bap,
        tuple(GATEWAYS[i] for i in p),
        prng.uniform(0.5, 0.85),
        users,
        refs,
        prng.random() < 0.5 if txn3 is None else txn3,
    )


@dataclass(frozen=True, slots=True)
class Habits:
    radii: tuple[float, ...]
    book: float
    confirm: float
    again: float


def habits(prng: random.Random, book: tuple[float, float]) -> Habits:
    return Habits(
        prng.choice(((2.0, 5.0, 10.0), (3.0, 6.0), (1.0, 3.0, 5.0), (2.0, 4.0))),
        prng.uniform(*book),
        prng.uniform(0.6, 0.85),
        prng.uniform(0.1, 0.4),
    )


def session(
    w: World,
    bap: str,
    ln: Link,
    prng: random.Random,
    at: float,
    lat: float,
    lon: float,
    k: int,
    h: Habits,
    s: Sites,
) -> int:
    """One person's search (sometimes again, wider) and perhaps a booking at the nearest site."""
    via = ln.via(prng)
    txn = ln.txn(w, via, "s")
    user = ln.user(k)
    r = prng.choice(h.radii)
    w.search(bap, at, lat, lon, r, via=via, user=user, txn=txn)
    made = 1
    if prng.random() < h.again:
        t = at + prng.uniform(10, 120)
        w.search(bap, t, lat, lon, min(50.0, r * 2), via=via, user=user, txn=txn)
        made += 1
    if prng.random() < h.book:
        j = s.nearest(lat, lon)
        w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=h.confirm, user=user, txn=txn)
    return made


def window(w: World, rng: np.random.Generator, n: float, span: tuple[float, float]) -> F64:
    """Poisson times, ``n`` on average a day, uniform in the IST hours ``span`` of each day."""
    out: list[F64] = [np.zeros(0)]
    for m in ist_days(w):
        k = int(rng.poisson(n))
        out.append(m + rng.uniform(span[0], span[1], k) * HOUR)
    t = np.sort(np.concatenate(out))
    return np.asarray(t[(t >= w.start) & (t < w.end)])


def clock(w: World, period: float, span: tuple[float, float] = (0.0, 24.0)) -> list[float]:
    """Every ``period`` seconds from each IST midnight within the IST hours ``span``."""
    out: list[float] = []
    for m in ist_days(w):
        t = m
        while t < m + 86_400.0:
            h = (t - m) / HOUR
            if span[0] <= h < span[1] and w.start <= t < w.end:
                out.append(t)
            t += period
    return out


def sessions(
    w: World,
    g: Isles,
    s: Sites,
    bap: str,
    ln: Link,
    times: F64,
    weights: dict[str, float],
    h: Habits,
    key: str = "",
    after: Callable[[float, float, float], None] | None = None,
) -> int:
    rng, prng = w.rng(bap + key), w.prng(bap + key)
    names = list(weights)
    p = np.array([weights[n] for n in names])
    which = rng.choice(len(names), size=times.size, p=p / p.sum())
    x, y = np.zeros(times.size), np.zeros(times.size)
    for k, n in enumerate(names):
        m = which == k
        if m.any():
            x[m], y[m] = g.people(rng, int(m.sum()), g.zone(n))
    lat, lon = g.ll(x, y)
    who = rng.integers(0, ln.users, times.size)
    made = 0
    for i, at in enumerate(times.tolist()):
        la, lo = float(lat[i]), float(lon[i])
        made += session(w, bap, ln, prng, at, la, lo, int(who[i]), h, s)
        if after is not None:
            after(at, la, lo)
    return made


def far_sites(w: World, g: Isles, c: Chargers, key: str) -> Sites:
    rng = w.rng(key + "farsites")
    x, y = g.people(rng, 300, g.far)
    lat, lon = g.ll(x, y)
    owners = [c.publics[int(i)] for i in rng.integers(0, len(c.publics), 300)]
    return Sites([f"is-far-{i:03d}" for i in range(300)], owners, lat, lon)


def app(
    w: World,
    g: Isles,
    c: Chargers,
    label: str,
    style: str,
    stem: str,
    size: float,
    weights: dict[str, float],
    book: tuple[float, float] = (0.04, 0.12),
    shape: Sequence[float] = DAY,
    crowds: Sequence[tuple[float, tuple[float, float], dict[str, float]]] = (),
    after: Callable[[str, Link], Callable[[float, float, float], None]] | None = None,
    users: int | None = None,
    refs: float | None = None,
) -> tuple[str, Link, int]:
    """An ordinary app: ``size`` searches a day by its ``weights`` over the zones, plus each
    crowd (``n`` more sessions in the IST hours ``span`` by its own weights); the far zone's
    sessions find the far cities' sites."""
    bap = w.bap(label, style, stem)
    p = w.prng(bap + "habits")
    n = users if users is not None else p.randint(max(5, int(size / 6)), max(20, int(size * 2)))
    ln = link(p, bap, n, refs)
    h = habits(p, book)
    hook = after(bap, ln) if after is not None else None
    per = (1 + h.again) * 1.0
    made = 0
    far = weights.get("far", 0.0)
    local = {k: v for k, v in weights.items() if k != "far"}
    total = sum(weights.values())
    if local:
        t = arrivals(w.rng(bap + "t"), size * (1 - far / total) / per, w.start, w.end, shape)
        made += sessions(w, g, c.public(), bap, ln, t, local, h, "local", hook)
    if far:
        t = arrivals(w.rng(bap + "tf"), size * far / total / per, w.start, w.end, FAR)
        made += sessions(w, g, far_sites(w, g, c, bap), bap, ln, t, {"far": 1.0}, h, "far")
    for k, (m, span, zw) in enumerate(crowds):
        t = window(w, w.rng(f"{bap}crowd{k}"), m / per, span)
        made += sessions(w, g, c.public(), bap, ln, t, zw, h, f"crowd{k}", hook)
    return bap, ln, made


def storm(g: Isles, hours: float) -> tuple[float, float]:
    return (g.warning, min(24.0, g.warning + hours))


# -- honest apps --------------------------------------------------------------------------------


CAPITAL = {"capital": 4.0, "harbour": 0.3, "museum": 0.3, "airport": 0.3, "near": 0.4}


def _national(w: World, g: Isles, c: Chargers, label: str = "honest") -> tuple[str, Link, int]:
    prng = w.prng("national" + label)
    size = prng.uniform(8000, 11000) if label == "honest" else prng.uniform(5500, 7500)
    local = prng.uniform(0.1, 0.2) if label == "honest" else prng.uniform(0.12, 0.22)
    weights = {k: v * local / 5.6 for k, v in CAPITAL.items()} | {
        "towns": 0.2 * local / 5.6,
        "faraway": 0.1 * local / 5.6,
        "far": 1 - local,
    }
    bap, ln, made = app(w, g, c, label, "", "nat", size, weights, (0.04, 0.1), users=50_000)
    w.baps[bap] = Truth(
        bap,
        label,
        f"national aggregator, ~{size:.0f} searches a day, {1 - local:.0%} of them in "
        f"{len(g.far)} far mainland cities",
    )
    return bap, ln, made


def _ferry_routes(g: Isles) -> list[tuple[float, str, str, float]]:
    """Each sailing that happens: (IST hour it leaves, from, to, IST hour it arrives). No ferry
    leaves the harbour after the warning; a ferry waiting at a far jetty comes straight back."""
    out: list[tuple[float, str, str, float]] = []
    for dep, to, dur in SAILINGS:
        if dep >= g.warning:
            continue
        out.append((dep, "H", to, dep + dur))
        back = dep + dur + TURN
        if dep + dur >= g.warning:
            back = dep + dur + 0.25
        elif back >= g.warning:
            back = g.warning + 0.25
        out.append((back, to, "H", back + dur))
    return out


def _bus_dispatch(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("bus")
    bap = w.bap("honest", "", "bus")
    ln = link(prng, bap, 1, refs=0.0, via=(prng.choice((0, 2)),), txn3=True)
    s = c.of("depot", "busbays")
    evac = storm(g, 5.0)
    fast = clock(w, 300.0, evac)
    slow = [t for t in clock(w, 600.0, (5.0, 23.0)) if not evac[0] <= hour_of(t) < evac[1]]
    odds = 1 / prng.uniform(6, 10)
    for t in sorted(fast + slow):
        via = ln.via(prng)
        txn = ln.txn(w, via, "b")
        at = t
        for j in range(len(s.ids)):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), 0.5, via=via, txn=txn)
            at += prng.uniform(0.5, 2.0)
        if prng.random() < (1 / 3 if evac[0] <= hour_of(t) < evac[1] else odds):
            j = prng.randrange(len(s.ids))
            w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=0.95, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"transport department's e-bus dispatch: its depot's and the jetty bus bays' "
        f"{len(s.ids)} chargers on the clock every 10 min 05:00-23:00, every 5 min for five "
        f"hours after the cyclone warning (evacuation buses), booking on about 1 round in "
        f"{1 / odds:.0f}, 1 in 3 in the evacuation",
    )


def _berth_console(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("berth")
    bap = w.bap("honest", "", "ferry")
    masters = prng.randint(2, 3)
    ln = link(prng, bap, masters, refs=1.0, via=(0,))
    checks: list[tuple[float, str, bool]] = []
    for m in ist_days(w):
        for dep, frm, to, arr in _ferry_routes(g):
            checks += [(m + (dep - 0.5) * HOUR, frm, False), (m + (dep - 1 / 6) * HOUR, frm, False)]
            checks.append((m + (arr + 1 / 12) * HOUR, to, True))
        for t in clock(w, 900.0, (g.warning + 0.5, 24.0)):
            if m <= t < m + 86_400:
                checks.append((t, "H", prng.random() < 0.25))
    for t, where, arrival in sorted(checks):
        s = c.berths(where)
        via = ln.via(prng)
        txn = ln.txn(w, via, "f")
        user = ln.user(prng.randrange(masters))
        at = t
        for j in range(len(s.ids)):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), 0.3, via=via, user=user, txn=txn)
            at += prng.uniform(0.5, 2.0)
        if arrival and prng.random() < 0.75:
            j = prng.randrange(len(s.ids))
            w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=0.95, user=user, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"ferry operator's berth console: the departure jetty's berths 30 and 10 min before "
        f"each published sailing and the arrival jetty's 5 min after each arrival (booking on "
        f"most arrivals); no sailing after the warning, then the harbour's berths every 15 min "
        f"(booking on 1 round in 4); {masters} harbour masters",
    )


def _motor_pool(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("pool")
    bap = w.bap("honest", "", "pool")
    ln = link(prng, bap, 1, refs=0.0, via=(prng.choice((0, 1, 2)),))
    s = c.groups["secretariat"]
    shut = min(OFFICE[1], g.warning + 1.0)
    for t in clock(w, 1200.0, (OFFICE[0], shut)):
        via = ln.via(prng)
        txn = ln.txn(w, via, "p")
        at = t
        for j in range(len(s.ids)):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), 0.3, via=via, txn=txn)
            at += prng.uniform(0.5, 2.0)
        if prng.random() < 0.2:
            j = prng.randrange(len(s.ids))
            w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=0.95, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"secretariat's motor pool: its {len(s.ids)} chargers every 20 min on the clock from "
        f"09:00 until the offices shut ({shut:.2f} h, an hour after the warning), booking on "
        "1 round in 5",
    )


def _shuttles(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("shuttle")
    bap = w.bap("honest", "", "shut")
    n = prng.randint(4, 7)
    ln = link(prng, bap, n, refs=1.0, via=(0,))
    stops = [g.jetties[0], (0.0, 0.0), g.bridge_head, *g.resorts]
    near = c.groups["near"]
    loops = 0
    for u in range(n):
        sp = w.prng(f"shuttle{u}")
        for m in ist_days(w):
            t = m + sp.uniform(6.0, 7.5) * HOUR
            while t < m + 22 * HOUR:
                via = ln.via(sp)
                txn = ln.txn(w, via, "h")
                route = stops + stops[-2:0:-1]
                for k, (x, y) in enumerate(route):
                    lat, lon = g.ll1(x, y)
                    w.search(bap, t, lat, lon, 2.0, via=via, user=ln.user(u), txn=txn)
                    if k + 1 < len(route):
                        d = math.dist((x, y), route[k + 1])
                        t += d / 25 * HOUR + sp.uniform(2, 5) * 60
                if sp.random() < 0.2:
                    j = near.nearest(*g.ll1(*g.resorts[-1]))
                    w.book(bap, t, near.cpos[j], near.ids[j], sp, confirm=0.9, user=ln.user(u),
                           txn=txn)  # fmt: skip
                loops += 1
                busy = g.warning <= hour_of(t) < g.warning + 4
                t += sp.uniform(5, 15 if busy else 40) * 60
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"resort e-shuttles: {n} shuttles looping the harbour jetty, the market, the bridge "
        f"head and {len(g.resorts)} resorts, refreshing each stop's exact spot, one "
        "transaction a loop, booking at the last resort on 1 loop in 5, more loops after the "
        "warning",
    )


def _drive(
    w: World,
    g: Isles,
    bap: str,
    line: Line,
    a: float,
    b: float,
    t: float,
    speed: float,
    prng: random.Random,
    emit: Callable[[float, float, float], None],
) -> tuple[float, Point]:
    """Drive ``line`` from ``a`` to ``b`` km, refreshing every 1.5-3 km where there is land."""
    d = a
    sign = 1.0 if b >= a else -1.0
    x, y = line.spot(d)
    while (b - d) * sign > 0:
        x, y = line.spot(d)
        if g.land(x, y, 0.02)[()]:
            emit(t, x, y)
        hop = min(prng.uniform(1.5, 3.0), abs(b - d))
        d += sign * hop
        t += hop / speed * HOUR * prng.uniform(0.85, 1.2)
    return t, (x, y)


def _head_units(w: World, g: Isles, c: Chargers, brand: str) -> None:
    prng, rng = w.prng("hu" + brand), w.rng("hu" + brand)
    bap = w.bap("honest", "", "hu")
    cars = prng.randint(300, 700)
    ln = link(prng, bap, cars, refs=0.6, via=(0,) if brand == "A" else (1,))
    s = c.public()
    t = arrivals(rng, prng.uniform(200, 300), w.start, w.end, ROADS)
    home = window(w, rng, prng.uniform(40, 70), storm(g, 3.0))
    trips = np.sort(np.concatenate([t, home]))
    links = [
        Line.of([(0.0, 0.0), g.airport]),
        Line.of([(0.0, 0.0), g.depot]),
        Line.of([(0.0, 0.0), g.harbour]),
    ]
    roads = [("trunk", g.trunk, 3.0), ("bridge", g.bridge, 1.5)] + [("link", k, 0.6) for k in links]
    p = np.array([r[2] for r in roads])
    p /= p.sum()
    book = prng.uniform(0.05, 0.1)
    radius = prng.choice((3.0, 5.0))
    for t0 in trips.tolist():
        kind, line, _ = roads[int(rng.choice(len(roads), p=p))]
        L = line.length()
        span = min(L, prng.uniform(4, 60))
        a = prng.uniform(0, L - span)
        a, b = (a, a + span) if prng.random() < 0.5 else (a + span, a)
        speed = prng.uniform(35, 55) if kind == "trunk" else prng.uniform(20, 35)
        via = ln.via(prng)
        txn = ln.txn(w, via, "u")
        user = ln.user(prng.randrange(cars))

        def emit(
            at: float, x: float, y: float, via: str = via, user: str = user, txn: str = txn
        ) -> None:
            lat, lon = g.ll1(x, y)
            w.search(bap, at, lat, lon, radius, via=via, user=user, txn=txn)

        end, (x, y) = _drive(w, g, bap, line, a, b, float(t0), speed, prng, emit)
        if prng.random() < book:
            k = s.nearest(*g.ll1(x, y))
            w.book(bap, end, s.cpos[k], s.ids[k], prng, confirm=0.8, user=user, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"brand {brand} in-car head units: {cars} cars refreshing every 1.5-3 km on the trunk "
        f"road, the bridge road and the capital's links (none over the strait), one transaction "
        f"a trip {'the gateway reports' if brand == 'A' else '(never reported)'}, {book:.0%} of "
        "trips book, more trips home after the warning",
    )


def _taxis(w: World, g: Isles, c: Chargers) -> None:
    prng, rng = w.prng("taxi"), w.rng("taxi")
    drivers = prng.randint(30, 80)
    bap = w.bap("honest", "", "taxi")
    ln = link(prng, bap, drivers, refs=1.0)
    s = c.groups["airport"]
    book = prng.uniform(0.05, 0.09)
    parts = [window(w, rng, prng.uniform(1, 3) * 24, (0.0, 24.0))]
    for f in FLIGHTS:
        parts.append(window(w, rng, prng.uniform(12, 25), (f - 1 / 3, f + 2 / 3)))
    parts.append(window(w, rng, prng.uniform(20, 40) * 3, storm(g, 3.0)))
    lat, lon = g.ll1(*g.airport)
    radius = prng.choice((1.0, 2.0))
    for at in np.sort(np.concatenate(parts)).tolist():
        via = ln.via(prng)
        k = prng.randrange(drivers)
        txn = ln.txn(w, via, "x")
        w.search(bap, at, lat, lon, radius, via=via, user=ln.user(k), txn=txn)
        if prng.random() < book:
            j = prng.randrange(len(s.ids))
            w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=0.9, user=ln.user(k), txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"airport taxi rank app: {drivers} drivers at the rank's exact spot, 1-3/h, 12-25 at "
        f"each of {len(FLIGHTS)} flights and 20-40/h for three hours after the warning, "
        f"{book:.0%} book the airport's chargers",
    )


def _residents(w: World, g: Isles, c: Chargers) -> None:
    prng, rng = w.prng("home"), w.rng("home")
    users = prng.randint(150, 300)
    bap = w.bap("honest", "", "home")
    ln = link(prng, bap, users, refs=prng.choice((1.0, 0.7)))
    s = c.public()
    hx, hy = g.people(rng, users, g.hubs)
    hlat, hlon = g.ll(hx, hy)
    surge = prng.uniform(0.6, 0.8)
    book = prng.uniform(0.25, 0.4)
    for m in ist_days(w):
        for u in range(users):
            times: list[float] = []
            for _ in range(prng.choice((0, 0, 1, 1, 2))):
                times.append(m + prng.uniform(17.5, 22.5) * HOUR)
            if prng.random() < surge:
                times.append(m + prng.uniform(g.warning, min(23.5, g.warning + 5)) * HOUR)
            for t0 in times:
                via = ln.via(prng)
                txn = ln.txn(w, via, "r")
                la, lo = float(hlat[u]), float(hlon[u])
                t = t0
                for _ in range(prng.randint(1, 3)):
                    w.search(bap, t, la, lo, prng.choice((2.0, 3.0)), via=via, user=ln.user(u),
                             txn=txn)  # fmt: skip
                    t += prng.uniform(120, 600)
                if prng.random() < book:
                    j = s.nearest(la, lo)
                    w.book(bap, t, s.cpos[j], s.ids[j], prng, confirm=0.85, user=ln.user(u),
                           txn=txn)  # fmt: skip
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"residents' home-charging app: {users} households each at its own home spot, an "
        f"evening search or two, and {surge:.0%} of them charging up after the warning, "
        f"{book:.0%} book",
    )


def _fisheries(w: World, g: Isles, c: Chargers) -> None:
    prng, rng = w.prng("fish"), w.rng("fish")
    boats = prng.randint(40, 90)
    bap = w.bap("honest", "", "fish")
    ln = link(prng, bap, boats, refs=1.0, via=(prng.choice((0, 1)),))
    s = c.groups["villages"]
    home = rng.integers(0, len(s.ids), boats)
    book = prng.uniform(0.2, 0.3)
    for m in ist_days(w):
        for u in range(boats):
            t1 = m + prng.uniform(3.5, 5.5) * HOUR
            if prng.random() < 0.5:
                t2 = m + prng.uniform(10.0, 13.0) * HOUR
            else:  # out all day: the warning brings the boat home
                t2 = m + prng.uniform(g.warning + 0.5, g.warning + 2.5) * HOUR
            for t in (t1, t2):
                j = int(home[u])
                via = ln.via(prng)
                txn = ln.txn(w, via, "v")
                w.search(bap, t, float(s.lat[j]), float(s.lon[j]), 1.0, via=via,
                         user=ln.user(u), txn=txn)  # fmt: skip
                if prng.random() < book:
                    w.book(bap, t, s.cpos[j], s.ids[j], prng, confirm=0.9, user=ln.user(u),
                           txn=txn)  # fmt: skip
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"fisheries co-op's e-boat landings: {boats} boats, each at its village landing's exact "
        f"spot before dawn and on coming home (at midday, or when the warning calls them in), "
        f"{book:.0%} book the landing's charger",
    )


def _noc(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("noc")
    pub = c.public()
    cpo = max(c.publics, key=lambda o: (pub.cpos.count(o), o))
    s = c.owned(cpo, pub)
    bap = w.bap("honest", "", "noc")
    ln = link(prng, bap, 2, refs=1.0, via=(prng.choice((0, 2)),), txn3=True)
    t = w.start + prng.uniform(0, 300)
    odds = 1 / prng.uniform(40, 80)
    while t < w.end:
        h = hour_of(t)
        user = ln.user(0 if 8 <= h < 20 else 1)
        via = ln.via(prng)
        txn = ln.txn(w, via, "n")
        at = t
        for j in range(len(s.ids)):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), 0.2, via=via, user=user, txn=txn)
            if prng.random() < odds:
                w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=1.0, user=user, txn=txn)
            at += prng.uniform(0.3, 1.5)
        t += prng.uniform(240, 540)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"network operations centre of {cpo}: its own {len(s.ids)} sites in rounds every 4-9 "
        f"min day and night (a day and a night operator), a test charge on about 1 search in "
        f"{1 / odds:.0f}",
    )


def _cpo_app(w: World, g: Isles, c: Chargers, cpo: str) -> None:
    bap = w.bap("honest", f"{cpo}'s own app, booking its own chargers", "cpo")
    prng = w.prng(bap)
    mine = c.owned(cpo, c.public())
    ln = link(prng, bap, prng.randint(20, 80))
    h = Habits((2.0, 5.0), prng.uniform(0.2, 0.35), 0.85, 0.2)
    t = arrivals(w.rng(bap), prng.uniform(80, 220), w.start, w.end, DAY)
    mx, my = g.xy(mine.lat, mine.lon)
    hubs = [(float(a), float(b), 0.8, 1.0) for a, b in zip(mx, my, strict=True)]
    lat, lon = g.ll(*g.people(w.rng(bap + "where"), t.size, hubs))
    for i, at in enumerate(t.tolist()):
        session(w, bap, ln, prng, at, float(lat[i]), float(lon[i]), i % ln.users, h, mine)


def _tiny(w: World, g: Isles, c: Chargers) -> None:
    bap = w.bap("honest", "tiny new app, a handful of users", "tiny")
    p, rng = w.prng(bap + "tiny"), w.rng(bap + "tiny")
    ln = link(p, bap, p.randint(2, 7), refs=0.7)
    h = Habits((2.0, 5.0), p.uniform(0.2, 0.35), 0.7, 0.15)
    days = max(1, round((w.end - w.start) / 86_400.0))
    times = np.array(exactly(rng, p.randint(5, 14) * days, w, DAY))
    sessions(w, g, c.public(), bap, ln, times, {"capital": 3.0, "harbour": 0.3}, h)


# -- scrapers hidden in real apps -------------------------------------------------------------


def capital_lattice(g: Isles, step: float, margin: float) -> tuple[F64, F64]:
    r = g.capital_r + 0.5
    xs = np.arange(-r, r + 1e-9, step)
    yy, xx = np.meshgrid(xs, xs, indexing="ij")
    x, y = xx.ravel(), yy.ravel()
    keep = (np.hypot(x, y) <= r) & g.allowed(x, y, margin)
    return x[keep], y[keep]


def _shadow_lattice(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("shadow")
    step = round(prng.uniform(0.8, 1.2), 2)
    lx, ly = capital_lattice(g, step, 0.1)
    jitter = w.seed % 2 == 0
    odds = prng.uniform(0.12, 0.22)
    radius = round(step * 0.8, 1)
    left: set[int] = set(range(lx.size))
    sp = w.prng("shadow-sweep")

    def hook(bap: str, ln: Link) -> Callable[[float, float, float], None]:
        def after(t: float, lat: float, lon: float) -> None:
            if sp.random() >= odds:
                return
            x, y = g.xy(lat, lon)
            if math.hypot(float(x), float(y)) > g.capital_r + 2.0:
                return
            idx = sorted(left)
            d = np.hypot(lx[idx] - float(x), ly[idx] - float(y))
            if not idx or d.min() > 2.5:  # this pass is done where the users are: a new one
                left.update(range(lx.size))
                idx = sorted(left)
                d = np.hypot(lx[idx] - float(x), ly[idx] - float(y))
            k = int(np.argmin(d))
            if d[k] > 2.5:
                return
            j = idx[k]
            left.discard(j)
            px, py = float(lx[j]), float(ly[j])
            if jitter:
                dd, a = sp.uniform(0.03, 0.09), sp.uniform(0, 2 * math.pi)
                px, py = px + dd * math.cos(a), py + dd * math.sin(a)
            la, lo = g.ll1(px, py)
            via = ln.via(sp)
            w.search(bap, t + sp.uniform(3, 25), la, lo, radius, via=via,
                     txn=ln.txn(w, via, "w"), scraping=True)  # fmt: skip

        return after

    size = prng.uniform(2500, 3500)
    weights = CAPITAL | {"towns": 0.2}
    bap, _, made = app(w, g, c, "hidden_sweep", "", "app", size, weights, after=hook)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"user-shadowed lattice: after {odds:.0%} of a capital app's own sessions, 3-25 s later, "
        f"the nearest unvisited node within 2.5 km of a {step} km lattice of {lx.size} nodes "
        f"over the capital at {radius} km, "
        f"{'30-90 m off the nodes' if jitter else 'exact nodes'}, no user ref; "
        f"{got / max(1, got + made):.0%} of its searches",
    )


def coast_points(g: Isles, step: float) -> tuple[F64, F64, list[int]]:
    """Points every ``step`` km round each island's shore, 400 m inland, none in the closed
    places; with the island (0 main, 1 near, 2 far) of each."""
    xs: list[F64] = []
    ys: list[F64] = []
    which: list[int] = []
    for k, e in enumerate((g.main, g.near, g.far_isle)):
        n = max(6, round(e.perimeter() / step))
        x, y = e.rim(np.linspace(0, 2 * math.pi, n, endpoint=False), 0.4)
        keep = g.allowed(x, y, 0.15)
        xs.append(x[keep])
        ys.append(y[keep])
        which += [k] * int(keep.sum())
    return np.concatenate(xs), np.concatenate(ys), which


def _coast_crawl(w: World, g: Isles, c: Chargers) -> None:
    bap, ln, made = _national(w, g, c, "hidden_sweep")
    prng = w.prng("coast")
    step = round(prng.uniform(1.5, 2.5), 2)
    x, y, _ = coast_points(g, step)
    share = prng.uniform(0.06, 0.13)
    n = share_of(made, share)
    jitter = w.seed % 2 == 1
    gap = (w.end - w.start) / max(1, n)
    t = w.start + prng.uniform(0, gap)
    k = prng.randrange(x.size)
    while t < w.end:
        px, py = float(x[k]), float(y[k])
        if jitter:
            d, a = prng.uniform(0.04, 0.12), prng.uniform(0, 2 * math.pi)
            px, py = px + d * math.cos(a), py + d * math.sin(a)
        lat, lon = g.ll1(px, py)
        via = ln.via(prng)
        w.search(bap, t, lat, lon, 2.5, via=via, txn=ln.txn(w, via, "c"), scraping=True)
        k = (k + 1) % x.size
        t += gap * prng.uniform(0.7, 1.3)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"coastline crawl: {x.size} points every {step} km round the three islands' shores "
        f"400 m inland, island by island in order, at 2.5 km, "
        f"{'40-120 m off' if jitter else 'exact'}, no user ref, hidden in a second national "
        f"app; {got / max(1, got + made):.0%} of its searches",
    )


def _rival_list(c: Chargers, prng: random.Random, s: Sites, lo: int, hi: int) -> Sites:
    rival = prng.choice(c.publics)
    mine = [i for i, o in enumerate(s.cpos) if o == rival]
    rest = [i for i in range(len(s.ids)) if i not in mine]
    n = prng.randint(lo, hi)
    return pick(s, (mine + prng.sample(rest, len(rest)))[:n])


def _storm_watch(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("stormwatch")
    size = prng.uniform(3500, 4500)
    weights = {"capital": 1.0, "harbour": 1.5, "museum": 1.0, "near": 1.5, "faraway": 1.2,
               "airport": 0.4}  # fmt: skip
    crowds = [
        (size * 0.12, storm(g, 4.0), {"harbour": 3.0, "airport": 2.0}),
        (size * 0.06, (18.0, 19.5), {"museum": 1.0}),  # the light-and-sound show
    ]
    bap, ln, made = app(w, g, c, "hidden_poll", "", "tour", size, weights, (0.05, 0.1), TOURS,
                        crowds)  # fmt: skip
    s = join(c.of("berths", "busbays", "airport"), _rival_list(c, prng, c.groups["capital"], 4, 8))
    s = pick(s, [i for i in range(len(s.ids)) if s.ids[i] not in s.ids[:i]])
    radius = prng.choice((0.5, 1.0))
    t = w.start + prng.uniform(0, 1800)
    while t < w.end:
        via = ln.via(prng)
        txn = ln.txn(w, via, "g")
        at = t
        for j in prng.sample(range(len(s.ids)), len(s.ids)):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn,
                     scraping=True)  # fmt: skip
            at += prng.uniform(2, 6)
        after = hour_of(t) >= g.warning
        t += prng.uniform(240, 540) if after else prng.uniform(2400, 4800)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"storm-watch poll: the jetties', bus bays', airport's and a rival's {len(s.ids)} "
        f"chargers in a random order, a round every 40-80 min until the warning and every 4-9 "
        f"min after it, no user ref, hidden in the tourist app; "
        f"{got / max(1, got + made):.0%} of its searches",
    )


def _timetable_poll(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("timetable")
    size = prng.uniform(2000, 3000)
    weights = {"harbour": 2.0, "capital": 1.0, "near": 1.0, "faraway": 1.5}
    bap, ln, made = app(w, g, c, "hidden_poll", "", "tkt", size, weights, (0.06, 0.12), TOURS)
    s = join(_rival_list(c, prng, c.groups["capital"], 3, 6), c.of("near", "faraway"))
    times: list[float] = []
    for m in ist_days(w):
        for dep, _frm, _to, arr in _ferry_routes(g):
            times += [m + (dep - 0.25) * HOUR, m + (arr + 1 / 6) * HOUR]
    t = w.start + prng.uniform(0, 1800)
    while t < w.end:
        times.append(t)
        t += prng.uniform(1500, 2100)
    for t in sorted(times):
        via = ln.via(prng)
        txn = ln.txn(w, via, "y")
        k = prng.randint(max(1, len(s.ids) // 2), len(s.ids))
        at = t
        for j in prng.sample(range(len(s.ids)), k):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), 1.0, via=via, txn=txn,
                     scraping=True)  # fmt: skip
            at += prng.uniform(1, 4)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"timetable poll: a random 50-100% of a rival's and the two islands' {len(s.ids)} "
        f"chargers 15 min before each sailing and 10 min after each arrival, and every 25-35 "
        f"min between, no user ref, hidden in the ferry-ticket app; "
        f"{got / max(1, got + made):.0%} of its searches",
    )


# -- scrapers of their own ----------------------------------------------------------------------


def _levy(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("levy")
    s = _rival_list(c, prng, c.of("capital", "near"), 8, 16)
    alpha = prng.uniform(1.3, 1.8)
    bap = w.bap(
        "poller",
        f"Levy poller: rounds of a random 60-100% of {len(s.ids)} capital and island chargers, "
        f"gaps Pareto (alpha {alpha:.2f}) from 90 s, at most 75 min",
        "pol",
    )
    ln = link(prng, bap, 1, refs=0.0)
    radius = prng.choice((1.0, 1.5))
    t = w.start + prng.uniform(0, 600)
    while t < w.end:
        via = ln.via(prng)
        txn = ln.txn(w, via, "l")
        at = t
        k = prng.randint(max(1, round(len(s.ids) * 0.6)), len(s.ids))
        for j in prng.sample(range(len(s.ids)), k):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn,
                     scraping=True)  # fmt: skip
            at += prng.uniform(0.5, 3)
        t += min(4500.0, 90.0 * prng.paretovariate(alpha))


def _trail(w: World, g: Isles, c: Chargers) -> Sequence[tuple[tuple[float, float], Sites]]:
    cap = c.groups["capital"]
    mx, my = g.xy(cap.lat, cap.lon)
    d = np.hypot(mx - g.museum[0], my - g.museum[1])
    evening = join(c.groups["museum"], pick(cap, np.argsort(d)[:6].tolist()))
    return (
        ((6.0, 11.0), c.of("berths", "busbays")),
        ((11.0, 16.0), c.of("near", "faraway")),
        ((16.0, 22.0), evening),
    )


def _trail_poller(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("trail")
    bap = w.bap(
        "poller",
        "tourist-trail poller: the jetties' chargers 06-11, the resorts' 11-16, the museum's and "
        "the market's 16-22, asleep at night, a round every 6-14 min, one user ref",
        "pol",
    )
    ln = link(prng, bap, 1, refs=1.0)
    trail = _trail(w, g, c)
    t = w.start + prng.uniform(0, 600)
    while t < w.end:
        h = hour_of(t)
        here = [s for (a, b), s in trail if a <= h < b]
        if here:
            s = here[0]
            via = ln.via(prng)
            txn = ln.txn(w, via, "t")
            at = t
            for j in range(len(s.ids)):
                w.search(bap, at, float(s.lat[j]), float(s.lon[j]), 1.0, via=via,
                         user=ln.user(0), txn=txn, scraping=True)  # fmt: skip
                at += prng.uniform(0.5, 2)
        t += prng.uniform(360, 840)


def shore_ring(g: Isles, step: float) -> tuple[F64, F64]:
    """A ``step`` km lattice over the land of the three islands (none in the closed places),
    island by island, the nodes nearest the shore first."""
    xs: list[F64] = []
    ys: list[F64] = []
    for e in (g.main, g.near, g.far_isle):
        r = max(e.a, e.b)
        gx = np.arange(e.x - r, e.x + r + 1e-9, step)
        gy = np.arange(e.y - r, e.y + r + 1e-9, step)
        yy, xx = np.meshgrid(gy, gx, indexing="ij")
        x, y = xx.ravel(), yy.ravel()
        keep = e.inside(x, y, -0.05) & g.allowed(x, y, 0.05)
        x, y = x[keep], y[keep]
        c, s = math.cos(e.angle), math.sin(e.angle)
        u, v = (x - e.x) * c + (y - e.y) * s, -(x - e.x) * s + (y - e.y) * c
        depth = 1 - np.hypot(u / e.a, v / e.b)  # 0 at the shore, 1 at the centre
        order = np.lexsort((x, y, depth))
        xs.append(x[order])
        ys.append(y[order])
    return np.concatenate(xs), np.concatenate(ys)


def _shore_sweep(w: World, g: Isles) -> None:
    prng = w.prng("shore")
    step = round(prng.uniform(2.0, 3.0), 2)
    x, y = shore_ring(g, step)
    lat, lon = g.ll(x, y)
    per_hour = prng.uniform(60, 110)
    radius = round(step * 0.75, 1)
    bap = w.bap(
        "sweeper",
        f"shore-ring sweep: a {step} km lattice of {x.size} land nodes over the three islands, "
        f"island by island, the nodes nearest the shore first, {per_hour:.0f}/h at {radius} km",
        "swp",
    )
    ln = link(prng, bap, 1, refs=0.0, via=prng.choice(((1,), (2,), (1, 2))))
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        via = ln.via(prng)
        w.search(bap, t, float(lat[k]), float(lon[k]), radius, via=via, txn=ln.txn(w, via, "o"),
                 scraping=True)  # fmt: skip
        k = (k + 1) % x.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


GOLDEN = math.pi * (3 - math.sqrt(5))


def sunflower(
    g: Isles, cx: float, cy: float, r: float, spacing: float, turn: float
) -> tuple[F64, F64]:
    """The golden-angle points of a disc of radius ``r`` about ``spacing`` km apart, in their
    order, those on land and out of the closed places."""
    n = max(4, round(math.pi * r * r / spacing**2))
    k = np.arange(n, dtype=np.float64)
    rr = r * np.sqrt((k + 0.5) / n)
    a = k * GOLDEN + turn
    x, y = cx + rr * np.cos(a), cy + rr * np.sin(a)
    keep = g.allowed(x, y, 0.05) & g.land(x, y, 0.05)
    return x[keep], y[keep]


def _sunflower_sweep(w: World, g: Isles) -> None:
    prng = w.prng("sunflower")
    spacing = round(prng.uniform(0.8, 1.2), 2)
    turn = prng.uniform(0, 2 * math.pi)
    ax, ay = sunflower(g, 0.0, 0.0, g.capital_r + 0.5, spacing, turn)
    bx, by = sunflower(g, g.near.x, g.near.y, max(g.near.a, g.near.b), spacing, turn)
    x, y = np.concatenate([ax, bx]), np.concatenate([ay, by])
    lat, lon = g.ll(x, y)
    per_hour = prng.uniform(50, 90)
    radius = round(spacing * 0.9, 2)
    bap = w.bap(
        "sweeper",
        f"sunflower sweep: {x.size} golden-angle points {spacing} km apart over the capital and "
        f"the bridged island, in their order, {per_hour:.0f}/h at {radius} km",
        "swp",
    )
    ln = link(prng, bap, 1, refs=0.0, via=(0,))
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        via = ln.via(prng)
        w.search(bap, t, float(lat[k]), float(lon[k]), radius, via=via, txn=ln.txn(w, via, "f"),
                 scraping=True)  # fmt: skip
        k = (k + 1) % x.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _tour(x: F64, y: F64, first: int) -> list[int]:
    left = list(range(x.size))
    order = [left.pop(first)]
    while left:
        d = np.hypot(x[left] - x[order[-1]], y[left] - y[order[-1]])
        order.append(left.pop(int(np.argmin(d))))
    return order


def _booker(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("booker")
    cpo = prng.choice(c.publics)
    step = round(prng.uniform(1.0, 1.5), 2)
    ax, ay = capital_lattice(g, step, 0.12)
    r = max(g.near.a, g.near.b)
    gx = np.arange(g.near.x - r, g.near.x + r + 1e-9, step)
    yy, xx = np.meshgrid(gx - g.near.x + g.near.y, gx, indexing="ij")
    keep = g.near.inside(xx.ravel(), yy.ravel(), -0.12)
    x = np.concatenate([ax, xx.ravel()[keep]])
    y = np.concatenate([ay, yy.ravel()[keep]])
    rate = prng.uniform(0.008, 0.015)
    per_hour = prng.uniform(35, 60)
    users = prng.randint(2, 4)
    bap = w.bap(
        "booking_scraper",
        f"rival CPO {cpo}'s nearest-neighbour tour of a jittered {step} km lattice ({x.size} "
        f"nodes) over the capital and the bridged island, 40-70 m off, {per_hour:.0f}/h, "
        f"booking {rate:.1%} of its searches at the nearest charger of any CPO and cancelling "
        f"each 40-90 min later, {users} user refs",
        "bk",
    )
    ln = link(prng, bap, users, refs=1.0, via=(0,))
    s = c.public()
    order: list[int] = []
    t = w.start + prng.uniform(0, 60)
    radius = prng.choice((1.5, 2.0))
    while t < w.end:
        if not order:
            order = _tour(x, y, prng.randrange(x.size))[::-1]
        j = order.pop()
        d, a = prng.uniform(0.04, 0.07), prng.uniform(0, 2 * math.pi)
        lat, lon = g.ll1(float(x[j]) + d * math.cos(a), float(y[j]) + d * math.sin(a))
        via = ln.via(prng)
        txn = ln.txn(w, via, "k")
        user = ln.user(prng.randrange(users))
        w.search(bap, t, lat, lon, radius, via=via, user=user, txn=txn, scraping=True)
        if prng.random() < rate:
            k = s.nearest(lat, lon)
            at = t + prng.uniform(20, 90)
            for kind in (FunnelKind.SELECT, FunnelKind.INIT, FunnelKind.CONFIRM):
                w.funnel(bap, at, kind, s.cpos[k], s.ids[k], user=user, txn=txn)
                at += prng.uniform(5, 40)
            w.funnel(bap, at + prng.uniform(2400, 5400), FunnelKind.CANCEL, s.cpos[k], s.ids[k],
                     user=user, txn=txn)  # fmt: skip
        t += 3600 / per_hour * prng.uniform(0.6, 1.4)


def _fake_tourists(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("faketour")
    fakes = prng.randint(25, 50)
    bap = w.bap(
        "low_and_slow",
        f"fake tourists: {fakes} made-up users, each on a one-day itinerary of 3-6 stops "
        "(jetty, museum, market, resorts, beaches, airport) 08:00-19:00, one search at a nearby "
        "charger's exact spot at each stop",
        "slow",
    )
    ln = link(prng, bap, fakes, refs=1.0)
    stops = [
        c.of("berths", "busbays"),
        c.groups["museum"],
        c.groups["capital"],
        c.groups["near"],
        c.groups["faraway"],
        c.groups["airport"],
    ]
    for m in ist_days(w):
        for u in range(fakes):
            t = m + prng.uniform(8.0, 10.0) * HOUR
            for s in prng.sample(stops, prng.randint(3, 6)):
                if t > m + 19 * HOUR:
                    break
                j = prng.randrange(len(s.ids))
                via = ln.via(prng)
                w.search(bap, t, float(s.lat[j]), float(s.lon[j]), prng.choice((1.0, 2.0, 3.0)),
                         via=via, user=ln.user(u), txn=ln.txn(w, via, "m"),
                         scraping=True)  # fmt: skip
                t += prng.uniform(1.0, 2.5) * HOUR


def _hopper(w: World, g: Isles, c: Chargers) -> None:
    prng = w.prng("hopper")
    s = _rival_list(c, prng, c.public(), 8, 14)
    bap = w.bap(
        "low_and_slow",
        f"gateway hopper: one search every 6-14 min at one of {len(s.ids)} rival chargers' "
        "exact spots, each through the next gateway in turn, no user refs",
        "slow",
    )
    ln = link(prng, bap, 1, refs=0.0, txn3=True)
    t, k = w.start + prng.uniform(0, 600), 0
    while t < w.end:
        via = GATEWAYS[k % 3]
        j = prng.randrange(len(s.ids))
        w.search(bap, t, float(s.lat[j]), float(s.lon[j]), 2.0, via=via,
                 txn=ln.txn(w, via, "q"), scraping=True)  # fmt: skip
        k += 1
        t += prng.uniform(360, 840)


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * HOUR)
    g = geography(seed)
    c = chargers(seed, g)
    plan = w.prng("plan")
    _national(w, g, c)
    size = plan.uniform(4000, 5500)
    app(
        w,
        g,
        c,
        "honest",
        f"islands-wide aggregator over the capital, the islands, the north towns and the "
        f"villages, ~{size:.0f} searches a day",
        "isl",
        size,
        CAPITAL | {"faraway": 0.5, "towns": 1.0, "villages": 0.3},
        crowds=[(size * 0.05, storm(g, 4.0), {"harbour": 1.0, "airport": 1.0, "capital": 2.0})],
    )
    sizes = [plan.uniform(300, 700), plan.uniform(900, 1500), plan.uniform(1800, 2600)]
    for s in sizes[: plan.randint(2, 3)]:
        app(w, g, c, "honest", f"capital app, about {s:.0f} searches a day", "app", s, CAPITAL)
    ts = plan.uniform(500, 900)
    app(w, g, c, "honest", f"north-towns app, ~{ts:.0f} searches a day", "town", ts,
        {"towns": 5.0, "villages": 0.5, "capital": 0.3}, book=(0.06, 0.14))  # fmt: skip
    for _ in range(plan.randint(2, 3)):
        _tiny(w, g, c)
    _bus_dispatch(w, g, c)
    _berth_console(w, g, c)
    _motor_pool(w, g, c)
    _shuttles(w, g, c)
    _head_units(w, g, c, "A")
    _head_units(w, g, c, "B")
    _taxis(w, g, c)
    _residents(w, g, c)
    _fisheries(w, g, c)
    _noc(w, g, c)
    for cpo in plan.sample(list(c.publics), 2):
        _cpo_app(w, g, c, cpo)
    _shadow_lattice(w, g, c)
    _coast_crawl(w, g, c)
    _storm_watch(w, g, c)
    _timetable_poll(w, g, c)
    _levy(w, g, c)
    _trail_poller(w, g, c)
    _shore_sweep(w, g)
    _sunflower_sweep(w, g)
    _booker(w, g, c)
    _fake_tourists(w, g, c)
    if plan.random() < 0.5 or seed % 2 == 0:
        _hopper(w, g, c)
    return w.done()
