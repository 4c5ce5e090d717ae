"""Family ``steel``: an industrial belt of eastern India on a working weekday (a Thursday,
whatever the calendar says, IST), round a steel plant and a coalfield that work three shifts.

A steel city (4-6 km in radius, 4-6 hubs, its bazaar at the centre) with the plant's township
(1.2-1.8 km in radius) between the city and the plant; the steel plant itself, an ellipse with
half-axes of 2.2-3 km and 1.2-1.8 km whose centre is 5.5-7.5 km from the city's, its long side
facing the city: a walled works nobody searches inside and where only its own gates (3-4 on the
city-facing rim, each reached by a straight spoke road from the city that never enters the
works) have chargers, with the plant's shift-bus depot 0.4-0.7 km outside the main gate; a
coalfield of 4-6 open-cast mines 14-35 km out in one sector, each with its pit-head chargers and
a miners' colony 1.5-3 km from it, joined by haul roads to a coal washery and railway siding
9-13 km from the city; a national highway passing 2-4 km from the city on the side away from
the plant (gentle bends), with a coal town on it 30-42 km one way and the district
headquarters 45-60 km the other way, and charging plazas every 10-20 km; 4-6 far cities
150-600 km away for the national apps. Distances and bearings are seeded, so places move with
the seed. 70-120 charging sites owned by 6-8 CPOs (``cpo-<name>.steel.example``): the plant's
power division (``cpo-plantpower``: the gates' and the depot's), the mining company's
(``cpo-coalfields``: the pit-heads' and the washery's) and 4-6 public CPOs' (the city's, the
township's, one beside each gate, the colonies', the towns' and the plazas').

The day: three shifts change at 06:00, 14:00 and 22:00, each with a crowd from an hour before
to 45 minutes after (workers going in and coming out, buses, carpools, rickshaws at the gates);
the haul trucks run round the clock but pause at each shift's handover; the plant's power
division runs its chargers on a peak tariff 18:00-22:00; the coal town's weekly haat (market) is
on Thursday 15:00-20:00; the bazaar's evening 18:00-21:00.

Honest BAPs: a national aggregator (80-90% of its traffic in the far cities); a belt-wide
aggregator over the steel city, the coal town, the headquarters, the colonies and the highway;
two or three steel-city apps of different sizes; a coal-town app (the haat); two or three tiny
new apps (under 30 searches a day); the plant power division's energy-management console (its
gates' and depot's chargers on the clock every 15 minutes, every 3 minutes in the peak tariff,
booking about 1 in 30-50 searches); the shift-bus depot console (its depot every 5 minutes on
the clock in each shift-change window, booking on 35-55% of those rounds, every 30 minutes
otherwise, booking on about 5%); the coalfield's haul dispatch (one mine's pit-head chargers
per check in a fixed rotation, a check every 3-5 minutes on the clock, round the clock, booking
on about 1 in 6-10 checks, three times as often at the handovers); the township residents' app
(surges at the shift changes); the gate e-rickshaw app (drivers at the gates' ranks search the
rank's exact spot, 3-6 an hour a gate and 20-40 in a crowd, 6-10% book the gate-side charger);
a shift workers' carpool app (each user searches near home 30-75 minutes before their shift and
often again at the gate just before it, 15-25% book); two brands of in-car head units driving the
highway, the spokes, the haul roads and the links (brand A through gateways that report
transaction ids, one per trip; brand B's gateway never reports them; a refresh every 2-4 km,
5-10% of trips book; at a gate in a shift crowd a refresh repeats one spot); the electric
tippers' telematics (8-14 tippers shuttling between the washery and the mines day and night,
each one-way trip a transaction, refreshing every 1.5-3 km, queueing at the washery's
weighbridge refreshing its spot, breaking at the handovers, one round trip in 4-8 booking a
pit-head charger, more at the handovers); a public CPO's field technicians' app (2-4 technicians on
day-shift rounds of 5-9 of the CPO's own sites, searching each site's exact spot 2-4 times and
test-charging at most of them); 3 CPOs' own apps booking their own chargers.

Scrapers (a rival CPO wanting to know, all day, which chargers are busy):

- a greedy disc cover of the city's public chargers (discs of 1.5-2.5 km round the site taking
  the most sites not yet taken; each disc's centre the mean of the sites it takes, a charger's
  own spot only when it takes one alone), visited along a nearest-neighbour tour at one radius
  that reaches every disc's sites (plus 300 m), a round every so often and an extra round just
  before each shift change, exact centres on odd seeds and 40-120 m off them on even ones,
  hidden in a steel-city two-wheeler app at 10-25% of its searches (``hidden_sweep``);
- map-pan bursts over the coalfield: a 2-3 km lattice over the belt cut into tiles of 2x2
  nodes, one tile per burst (its nodes seconds apart, like a person panning a map), a burst
  every 20-40 minutes, tiles in a fresh random order each pass, jittered 20-60 m on odd seeds
  and exact on even ones, hidden in the miners' commute app at 5-12% (``hidden_sweep``);
- a shadow poll riding a belt ride-hail app's own sessions: after some of its real users'
  searches, seconds later, the app's server polls the next of a rival's 8-16 chargers
  round-robin, so the poll keeps the app's own daily rhythm (``hidden_poll``);
- an offset poll of the gate-side, gate and bus-stand chargers hidden in a second national
  aggregator: each round every site in a random order, each query from a point 150-450 m off
  the site with a radius drawn per query just wide enough, gaps log-normal round 10 minutes
  (4-30) (``hidden_poll``);
- a bursty poller whose gaps follow a two-state chain (bursts of 2-5 minute gaps, lulls of
  20-60 minutes) over 10-18 city and gate-side chargers (``poller``);
- a shift-clock poller of the plant's, the depot's and the pit-heads' chargers, its gap drawn
  per round in 3-7 minutes within an hour of a shift change and 12-35 minutes otherwise,
  sending three user references in turn (``poller``);
- a quadtree sweeper: the region's box split wherever it holds more than three chargers (up
  to six levels), its leaves visited depth-first, each at its centre with a radius of its
  half-diagonal, round after round (``sweeper``);
- a shift relay: three BAP keys, each working one shift's eight hours, sweeping one exact
  lattice over the steel city in raster order, each key taking up where the last one stopped
  (``sweeper`` each);
- a rival CPO's sweep of a jittered lattice over the steel city and the coal town that books
  2-4% of its searches, always at its own nearest charger (it pays itself), never cancelling
  (``booking_scraper``);
- a scraper posing as many people: a rival's and the gates' chargers' exact spots, 3-8
  sessions an hour on the city's daily rhythm, each session one or two searches (sometimes
  widened), its user references drawn from 40-80 made-up users who each appear only a few
  times (``low_and_slow``); and on some seeds a slow sweep of a 3 km lattice over the whole
  belt, one search every 8-16 minutes in a random order, no user references
  (``low_and_slow``). Hidden scrapers send no user reference.

Gateways: ``bg.steel.example`` always reports transaction ids, ``bg2`` never, ``bg3`` as the
app chooses; an app uses one gateway or splits its traffic over two (``wire.Wiring``). User
references from all, some or none of an app's users.

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
from uei_testing.families import world
from uei_testing.families.wire import Habits, Wire, Wiring
from uei_testing.families.world import KM_LAT, Sites, Truth, World, arrivals, ist_hours

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
Point = tuple[float, float]
Hub = tuple[float, float, float, float]
"""(x, y, spread, weight) in km."""

NAME = "steel"
GATEWAYS = ("bg.steel.example", "bg2.steel.example", "bg3.steel.example")
PLANT_CPO = "cpo-plantpower.steel.example"
COAL_CPO = "cpo-coalfields.steel.example"
PUBLIC_NAMES = ("furnacevolt", "damodarplug", "cokeamp", "ironcharge", "slagwatt", "rakepower")
HOUR = 3600.0
SHIFTS = (6.0, 14.0, 22.0)
CROWD = (-1.0, 0.75)
"""A shift change's crowd, in hours from the change."""
TARIFF = (18.0, 22.0)
HAAT = (15.0, 20.0)
BAZAAR = (18.0, 21.0)
ROUNDS = (8.0, 17.0)
"""The technicians' day shift."""

# fmt: off
DAY = (0.25, 0.15, 0.1, 0.1, 0.2, 0.55, 0.85, 0.9, 1.0, 1.0, 1.05, 1.1,
       1.1, 1.2, 1.15, 1.0, 1.05, 1.25, 1.45, 1.5, 1.3, 1.0, 0.8, 0.45)
ROADS = (0.35, 0.25, 0.2, 0.25, 0.4, 0.8, 1.0, 1.0, 1.2, 1.1, 1.0, 1.0,
         1.0, 1.1, 1.2, 1.0, 1.0, 1.2, 1.3, 1.2, 1.0, 0.8, 0.7, 0.5)
FAR = (0.2, 0.1, 0.08, 0.08, 0.15, 0.3, 0.55, 0.85, 1.1, 1.2, 1.2, 1.2,
       1.2, 1.2, 1.2, 1.2, 1.25, 1.35, 1.4, 1.35, 1.1, 0.8, 0.55, 0.35)
# fmt: on

WIRING = Wiring(
    GATEWAYS, ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (2, 0), (1, 0)), 0.5, (0.2, 0.85)
)


def hour_of(t: float) -> float:
    return float(ist_hours(np.array([t]))[0])


def near_change(t: float, before: float = -CROWD[0], after: float = CROWD[1]) -> bool:
    """Whether ``t`` is within a shift change's window (``before`` hours before it to
    ``after`` after)."""
    h = hour_of(t)
    return any(-before <= ((h - s + 12) % 24) - 12 <= after for s in SHIFTS)


def in_span(t: float, span: tuple[float, float]) -> bool:
    h = hour_of(t)
    return span[0] <= h < span[1] or span[0] <= h + 24 < span[1]


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
        px, py = np.atleast_1d(np.asarray(x, dtype=np.float64)), np.atleast_1d(np.asarray(y))
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
class Plant:
    """The walled works: an ellipse."""

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

    def rim(self, t: float, scale: float = 1.0) -> Point:
        c, s = math.cos(self.angle), math.sin(self.angle)
        u, v = self.a * scale * math.cos(t), self.b * scale * math.sin(t)
        return self.x + u * c - v * s, self.y + u * s + v * c


@dataclass(frozen=True, slots=True)
class Steel:
    lat: float
    lon: float
    city: Place
    township: Place
    plant: Plant
    gates: tuple[Point, ...]
    depot: Point
    mines: tuple[Point, ...]
    colonies: tuple[Place, ...]
    washery: Point
    coaltown: Place
    hq: Place
    highway: Line
    plazas: tuple[float, ...]
    """Where the plazas are along the highway (km)."""
    roads: tuple[tuple[str, Line], ...]
    """(kind, line): ``highway``, ``spoke`` (city to a gate or the washery), ``haul`` (the
    washery to a mine), ``link`` (the city, the coal town or the headquarters to the highway)."""
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

    def people(self, rng: np.random.Generator, n: int, hubs: Sequence[Hub]) -> tuple[F64, F64]:
        """``n`` points round ``hubs`` by weight, none inside the works."""
        h = np.array(hubs, dtype=np.float64)
        x, y = np.zeros(n), np.zeros(n)
        todo = np.ones(n, dtype=np.bool_)
        for _ in range(30):
            k = int(todo.sum())
            if not k:
                break
            pick = rng.choice(len(h), size=k, p=h[:, 3] / h[:, 3].sum())
            x[todo] = h[pick, 0] + rng.normal(0, 1, k) * h[pick, 2]
            y[todo] = h[pick, 1] + rng.normal(0, 1, k) * h[pick, 2]
            todo = self.plant.inside(x, y, 0.05)
        x[todo], y[todo] = h[0, 0], h[0, 1]
        return x, y

    def gate_hubs(self) -> tuple[Hub, ...]:
        return tuple((x, y, 0.25, 1.0) for x, y in self.gates)

    def colony_hubs(self) -> tuple[Hub, ...]:
        return tuple(h for c in self.colonies for h in c.hubs)

    def belt_hubs(self) -> tuple[Hub, ...]:
        out = [(x, y, 0.6, 0.8) for x, y in self.mines]
        return (*out, (*self.washery, 0.5, 1.0), *self.colony_hubs())

    def highway_hubs(self) -> tuple[Hub, ...]:
        return tuple((*self.highway.spot(d), 0.3, 1.0) for d in self.plazas)


def _polar(r: float, a: float) -> Point:
    return r * math.cos(a), r * math.sin(a)


def _place(rng: np.random.Generator, x: float, y: float, r: float, n: int, core: float) -> Place:
    hubs: list[Hub] = [(x, y, core, 1.5)]
    for _ in range(n - 1):
        d, a = r * 0.75 * math.sqrt(float(rng.uniform(0.15, 1.0))), float(rng.uniform(0, 6.2832))
        hx, hy = x + d * math.cos(a), y + d * math.sin(a)
        hubs.append((hx, hy, float(rng.uniform(0.4, 0.3 * r + 0.4)), float(rng.uniform(0.4, 1.3))))
    return Place(x, y, r, tuple(hubs))


def geography(seed: int) -> Steel:
    for attempt in range(200):
        g = _try_geography(np.random.default_rng([seed, 71, attempt]))
        if g is not None:
            return g
    raise RuntimeError("no steel belt fits")  # pragma: no cover


def _try_geography(rng: np.random.Generator) -> Steel | None:
    def u(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi))

    lat, lon = u(22.5, 23.8), u(85.6, 87.0)
    city = _place(rng, 0.0, 0.0, u(4.0, 6.0), int(rng.integers(4, 7)), u(0.7, 1.1))
    bp = u(0, 2 * math.pi)
    dp = u(5.5, 7.5)
    plant = Plant(*_polar(dp, bp), u(2.2, 3.0), u(1.2, 1.8), bp + math.pi / 2 + u(-0.3, 0.3))
    tx, ty = _polar(u(2.5, 3.5), bp)
    town = _place(rng, tx, ty, u(1.2, 1.8), 3, u(0.35, 0.6))
    if plant.inside(tx, ty, town.r * 0.6):
        return None
    # the gates: on the rim facing the city, each reached by a straight road from the city
    cand = []
    for t in np.linspace(0, 2 * math.pi, 72, endpoint=False):
        gx, gy = plant.rim(float(t), 1.04)
        s = np.linspace(0.0, 1.0, 200)
        if math.hypot(gx, gy) >= dp or plant.inside(gx * s, gy * s).any():
            continue
        cand.append((math.hypot(gx, gy), gx, gy))
    cand.sort()
    gates: list[Point] = []
    want = int(rng.integers(3, 5))
    for _, gx, gy in cand[:1] + [cand[int(i)] for i in rng.permutation(len(cand))]:
        if all(math.hypot(gx - a, gy - b) >= 1.2 for a, b in gates):
            gates.append((gx, gy))
        if len(gates) == want:
            break
    if len(gates) < 3:
        return None
    ox, oy = gates[0][0] - plant.x, gates[0][1] - plant.y
    on = math.hypot(ox, oy)
    dd = u(0.4, 0.7)
    depot = (gates[0][0] + dd * ox / on, gates[0][1] + dd * oy / on)
    # the highway on the far side from the works
    nx, ny = -math.cos(bp), -math.sin(bp)
    dh = u(2.0, 4.0)
    ha = bp + math.pi / 2 + u(-0.4, 0.4)
    hx, hy = math.cos(ha), math.sin(ha)
    if hx * nx + hy * ny > 0.6:  # pragma: no cover - the angle keeps it across
        return None
    back, ahead = u(65, 80), u(55, 70)
    waves = [(u(0.6, 1.6), u(25, 60), u(0, 6.3)) for _ in range(2)]

    # the highway's normal, pointing away from the city
    mx, my = (hy, -hx) if hy * nx - hx * ny > 0 else (-hy, hx)

    def along(s: float) -> Point:
        off = sum(a * math.sin(s / p + ph) for a, p, ph in waves) * min(1.0, s * s / 100)
        return nx * dh + s * hx + off * mx, ny * dh + s * hy + off * my

    hw_pts = [along(float(s)) for s in np.arange(-back, ahead + 0.1, 1.0)]
    highway = Line.of(hw_pts)
    s0 = float(highway.s[round(back)])  # the city's point on the highway
    if float(highway.gap(0.0, 0.0)[0]) < 1.5 or plant.inside(highway.x, highway.y, 1.0).any():
        return None
    ct_s, hq_s = s0 + u(30, 42), s0 - u(45, 60)

    def beside(d: float, off: float) -> Point:
        x0, y0 = highway.spot(d)
        x1, y1 = highway.spot(d + 0.5)
        tx_, ty_ = (x1 - x0) / 0.5, (y1 - y0) / 0.5
        side = 1.0 if rng.uniform() < 0.5 else -1.0
        return x0 - side * ty_ * off, y0 + side * tx_ * off

    cx, cy = beside(ct_s, u(1.0, 2.0))
    coaltown = _place(rng, cx, cy, u(2.5, 3.5), int(rng.integers(2, 5)), u(0.5, 0.8))
    qx, qy = beside(hq_s, u(1.0, 2.0))
    hq = _place(rng, qx, qy, u(3.0, 4.0), int(rng.integers(3, 5)), u(0.6, 0.9))
    # the coalfield: a sector off the works' side, away from the highway's towns
    bm = bp + u(-1.0, 1.0)
    wx, wy = _polar(u(9.0, 13.0), bm)
    mines: list[Point] = []
    for _ in range(400):
        mx, my = _polar(u(14.0, 35.0), bm + u(-0.7, 0.7))
        if (
            all(math.hypot(mx - a, my - b) >= 5.0 for a, b in mines)
            and float(highway.gap(mx, my)[0]) > 6.0
            and math.hypot(mx - cx, my - cy) > 8.0
            and not plant.inside(mx, my, 3.0)
        ):
            mines.append((mx, my))
        if len(mines) == 6:
            break
    if len(mines) < 4:
        return None
    mines = mines[: int(rng.integers(4, len(mines) + 1))]
    if plant.inside(wx, wy, 1.5) or float(highway.gap(wx, wy)[0]) < 3.0:
        return None
    colonies = []
    haul: list[Line] = []
    for mx, my in mines:
        d = math.hypot(wx - mx, wy - my)
        f = u(1.5, 3.0) / d
        colonies.append(
            _place(rng, mx + (wx - mx) * f, my + (wy - my) * f, u(0.6, 1.0), 2, u(0.3, 0.5))
        )
        mid = ((mx + wx) / 2 + u(-1.5, 1.5), (my + wy) / 2 + u(-1.5, 1.5))
        line = Line.of([(wx, wy), mid, (mx, my)])
        hx_, hy_ = line.sample(0.2)
        if plant.inside(hx_, hy_, 0.3).any():
            return None
        haul.append(line)
    spokes = [Line.of([(0.0, 0.0), gate]) for gate in gates]
    wash = Line.of([(0.0, 0.0), ((wx) / 2 + u(-1, 1), (wy) / 2 + u(-1, 1)), (wx, wy)])
    sx_, sy_ = wash.sample(0.2)
    if plant.inside(sx_, sy_, 0.3).any():
        return None
    links = [
        Line.of([(0.0, 0.0), highway.spot(s0)]),
        Line.of([(cx, cy), highway.spot(ct_s)]),
        Line.of([(qx, qy), highway.spot(hq_s)]),
    ]
    lx, ly = links[0].sample(0.2)
    if plant.inside(lx, ly, 0.3).any():
        return None
    plazas: list[float] = []
    d = u(3, 10)
    while d < highway.length() - 2:
        plazas.append(d)
        d += u(10, 20)
    far: list[Hub] = []
    for _ in range(int(rng.integers(4, 7))):
        fx, fy = _polar(u(150, 600), u(0, 2 * math.pi))
        far.append((fx, fy, u(3.0, 7.0), u(0.5, 1.5)))
    roads = (
        ("highway", highway),
        *(("spoke", s) for s in spokes),
        ("spoke", wash),
        *(("haul", h) for h in haul),
        *(("link", k) for k in links),
    )
    return Steel(
        lat,
        lon,
        city,
        town,
        plant,
        tuple(gates),
        depot,
        tuple(mines),
        tuple(colonies),
        (wx, wy),
        coaltown,
        hq,
        highway,
        tuple(plazas),
        roads,
        tuple(far),
    )


# -- the chargers -------------------------------------------------------------------------------


GROUPS = ("gates", "depot", "pits", "washery", "city", "gateside", "colonies", "coaltown", "hq",
          "highway")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Chargers:
    groups: dict[str, Sites]
    cpos: tuple[str, ...]
    publics: tuple[str, ...]

    def of(self, *names: str) -> Sites:
        return join(*(self.groups[n] for n in names))

    def every(self) -> Sites:
        return self.of(*GROUPS)

    def public(self) -> Sites:
        return self.of("city", "gateside", "colonies", "coaltown", "hq", "highway")

    def owned(self, cpo: str, s: Sites | None = None) -> Sites:
        s = self.every() if s is None else s
        k = [i for i, o in enumerate(s.cpos) if o == cpo]
        return Sites([s.ids[i] for i in k], [s.cpos[i] for i in k], s.lat[k], s.lon[k])

    def total(self) -> int:
        return sum(len(s.ids) for s in self.groups.values())


def join(*sites: Sites) -> Sites:
    return Sites(
        [i for s in sites for i in s.ids],
        [o for s in sites for o in s.cpos],
        np.concatenate([s.lat for s in sites]),
        np.concatenate([s.lon for s in sites]),
    )


def chargers(seed: int, g: Steel) -> Chargers:
    rng = np.random.default_rng([seed, 72])
    names = [str(n) for n in rng.choice(PUBLIC_NAMES, int(rng.integers(4, 7)), replace=False)]
    publics = tuple(f"cpo-{n}.steel.example" for n in names)
    groups: dict[str, Sites] = {}

    def make(name: str, x: F64, y: F64, owner: str | None = None) -> None:
        lat, lon = g.ll(x, y)
        if owner is None:
            owners = [publics[int(i)] for i in rng.integers(0, len(publics), x.size)]
        else:
            owners = [owner] * x.size
        ids = [f"st-{name}-{i:03d}" for i in range(x.size)]
        groups[name] = Sites(ids, owners, lat, lon)

    gx = np.array([p[0] for p in g.gates])
    gy = np.array([p[1] for p in g.gates])
    make("gates", gx, gy, PLANT_CPO)
    nd = int(rng.integers(1, 3))
    make(
        "depot",
        g.depot[0] + np.arange(nd, dtype=np.float64) * 0.08,
        g.depot[1] + np.zeros(nd),
        PLANT_CPO,
    )
    px: list[float] = []
    py: list[float] = []
    for mx, my in g.mines:
        for k in range(int(rng.integers(1, 3))):
            px.append(mx + 0.15 * k)
            py.append(my - 0.1 * k)
    make("pits", np.array(px), np.array(py), COAL_CPO)
    make("washery", np.array([g.washery[0]]), np.array([g.washery[1]]), COAL_CPO)
    n = int(rng.integers(30, 46))
    cx, cy = g.people(rng, n, (*g.city.hubs, *g.township.hubs))
    make("city", cx, cy)
    # one public charger beside each gate, 100-300 m out, where the shift workers park
    sx, sy = [], []
    for x, y in g.gates:
        ox, oy = x - g.plant.x, y - g.plant.y
        d = math.hypot(ox, oy)
        f = float(rng.uniform(0.1, 0.3))
        sx.append(x + f * ox / d)
        sy.append(y + f * oy / d)
    make("gateside", np.array(sx), np.array(sy))
    make("colonies", np.array([c.x for c in g.colonies]), np.array([c.y for c in g.colonies]))
    make("coaltown", *g.people(rng, int(rng.integers(8, 15)), g.coaltown.hubs))
    make("hq", *g.people(rng, int(rng.integers(8, 15)), g.hq.hubs))
    hx, hy = g.highway.at(np.array(g.plazas))
    make("highway", hx, hy)
    return Chargers(groups, (PLANT_CPO, COAL_CPO, *publics), publics)


# -- times --------------------------------------------------------------------------------------


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


def _crowds(w: World, rng: np.random.Generator, per_change: float) -> F64:
    parts = [_window(w, rng, per_change, (s + CROWD[0], s + CROWD[1])) for s in SHIFTS]
    return np.sort(np.concatenate(parts))


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


# -- people -------------------------------------------------------------------------------------


CITY, TOWNSHIP, GATES, COALTOWN, HQ, COLONIES, HIGHWAY, BELT = range(8)


def _zone(g: Steel, k: int) -> Sequence[Hub]:
    return (
        g.city.hubs,
        g.township.hubs,
        g.gate_hubs(),
        g.coaltown.hubs,
        g.hq.hubs,
        g.colony_hubs(),
        g.highway_hubs(),
        g.belt_hubs(),
    )[k]


def _habits(prng: random.Random, book: tuple[float, float]) -> Habits:
    return Habits(
        radii=prng.choice(((2.0, 5.0, 10.0), (3.0, 6.0), (1.0, 3.0, 5.0), (5.0, 10.0, 15.0))),
        book=prng.uniform(*book),
        confirm=prng.uniform(0.6, 0.85),
        repeat=prng.choice(((1,), (1, 1, 2), (1, 1, 1, 2, 3), (1, 2))),
        shape=DAY,
    )


def _sessions(
    w: World,
    g: Steel,
    s: Sites,
    bap: str,
    wire: Wire,
    times: F64 | Sequence[float],
    weights: Sequence[float],
    h: Habits,
    key: str = "",
    after: Callable[[float, float, float], None] | None = None,
) -> int:
    """A person's session at each time in the zones by ``weights``; ``after(t, lat, lon)``
    is called after each. Returns the searches made."""
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
        la, lo = float(lat[i]), float(lon[i])
        made += wire.session(w, bap, prng, at, la, lo, int(who[i]), h, s, h.book)
        if after is not None:
            after(at, la, lo)
    return made


def _per_session(h: Habits) -> float:
    return float(np.mean(h.repeat)) * 1.1


def _app(
    w: World,
    g: Steel,
    s: Sites,
    bap: str,
    wire: Wire,
    weights: Sequence[float],
    searches: float,
    h: Habits,
    shape: Sequence[float] | None = DAY,
    extra: F64 | None = None,
    after: Callable[[float, float, float], None] | None = None,
) -> int:
    rng = w.rng(bap + "times")
    t = arrivals(rng, searches / _per_session(h), w.start, w.end, shape)
    if extra is not None:
        t = np.sort(np.concatenate([t, extra]))
    return _sessions(w, g, s, bap, wire, t, weights, h, after=after)


def _far_sites(w: World, g: Steel, c: Chargers, key: str) -> tuple[Sites, F64, F64]:
    rng = w.rng(key + "farsites")
    hs = np.array(g.far, dtype=np.float64)
    n = 300
    pick = rng.choice(len(hs), size=n, p=hs[:, 3] / hs[:, 3].sum())
    x = hs[pick, 0] + rng.normal(0, 1, n) * hs[pick, 2]
    y = hs[pick, 1] + rng.normal(0, 1, n) * hs[pick, 2]
    lat, lon = g.ll(x, y)
    owners = [c.publics[int(i)] for i in rng.integers(0, len(c.publics), n)]
    return Sites([f"st-far-{i:03d}" for i in range(n)], owners, lat, lon), x, y


def _far(w: World, g: Steel, c: Chargers, bap: str, wire: Wire, searches: float, h: Habits) -> int:
    """A national app's sessions in the far cities."""
    there, _, _ = _far_sites(w, g, c, bap)
    rng, prng = w.rng(bap + "far"), w.prng(bap + "far")
    t = arrivals(rng, searches / _per_session(h), w.start, w.end, FAR)
    x, y = g.people(rng, t.size, g.far)
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
    g: Steel,
    c: Chargers,
    label: str,
    style: str,
    stem: str,
    size: float,
    weights: Sequence[float],
    book: tuple[float, float] = (0.04, 0.12),
    extra: Callable[[World, np.random.Generator], F64] | None = None,
    after: Callable[[str, Wire], Callable[[float, float, float], None]] | None = None,
    pick: tuple[int, ...] | None = None,
) -> tuple[str, Wire, int]:
    bap = w.bap(label, style, stem)
    p = w.prng(bap + "habits")
    wire = WIRING.wire(p, bap, p.randint(max(5, int(size / 6)), max(20, int(size * 2))), pick=pick)
    h = _habits(p, book)
    more = extra(w, w.rng(bap + "extra")) if extra is not None else None
    hook = after(bap, wire) if after is not None else None
    made = _app(w, g, c.public(), bap, wire, weights, size, h, extra=more, after=hook)
    return bap, wire, made


def _tiny(w: World, g: Steel, c: Chargers, bap: str) -> int:
    """A brand-new app's handful of users: 5-14 sessions a day in the city."""
    p, rng = w.prng(bap + "tiny"), w.rng(bap + "tiny")
    wire = WIRING.wire(p, bap, p.randint(2, 7), refs=0.7)
    h = Habits((2.0, 5.0), p.uniform(0.2, 0.35), 0.7, (1, 1, 2), DAY)
    days = max(1, round((w.end - w.start) / 86_400.0))
    times = world.exactly(rng, p.randint(5, 14) * days, w, DAY)
    return _sessions(w, g, c.public(), bap, wire, times, (3.0, 1.0, 0.3, 0, 0, 0, 0, 0), h)


# -- honest apps --------------------------------------------------------------------------------


def _national(w: World, g: Steel, c: Chargers, label: str = "honest") -> tuple[str, Wire, int]:
    prng = w.prng("national" + label)
    size = prng.uniform(8000, 11000) if label == "honest" else prng.uniform(6000, 8000)
    local = prng.uniform(0.1, 0.2) if label == "honest" else prng.uniform(0.15, 0.25)
    bap = w.bap(label, "", "nat")
    wire = WIRING.wire(prng, bap, 50_000, refs=0.7)
    h = _habits(prng, (0.04, 0.1))
    made = _app(
        w, g, c.public(), bap, wire, (3.0, 1.0, 0.5, 1.0, 1.0, 0.2, 1.0, 0.0), size * local, h
    )
    made += _far(w, g, c, bap, wire, size * (1 - local), h)
    w.baps[bap] = Truth(
        bap,
        label,
        f"national aggregator, ~{size:.0f} searches a day, {1 - local:.0%} of them in "
        f"{len(g.far)} far cities",
    )
    return bap, wire, made


def _belt(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("belt")
    size = prng.uniform(4000, 6000)
    haat = _haat(w, w.rng("belt-haat"), size * 0.03)
    _ordinary(
        w,
        g,
        c,
        "honest",
        f"belt-wide aggregator over the steel city, the coal town, the headquarters, the "
        f"colonies and the highway, ~{size:.0f} searches a day",
        "belt",
        size,
        (3.0, 1.0, 0.4, 1.5, 1.5, 0.6, 1.0, 0.2),
        extra=lambda _w, _r: haat,
    )


def _haat(w: World, rng: np.random.Generator, n: float) -> F64:
    return _window(w, rng, n, HAAT)


def _coaltown_app(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("coaltown")
    size = prng.uniform(600, 1200)
    haat = _haat(w, w.rng("ct-haat"), size * 0.25)
    _ordinary(
        w,
        g,
        c,
        "honest",
        f"coal-town app, ~{size:.0f} searches a day, busy at the Thursday haat",
        "ct",
        size,
        (0.1, 0, 0, 5.0, 0, 0.6, 0.3, 0),
        book=(0.06, 0.14),
        extra=lambda _w, _r: haat,
    )


def _township(w: World, g: Steel, c: Chargers) -> None:
    """The township residents' app: its day plus a surge at every shift change."""
    prng = w.prng("township")
    size = prng.uniform(2000, 3000)
    crowd = _crowds(w, w.rng("township-crowd"), size * 0.08)
    _ordinary(
        w,
        g,
        c,
        "honest",
        f"township residents' app, ~{size:.0f} searches a day, surging at the shift changes",
        "town",
        size,
        (0.6, 4.0, 1.2, 0, 0, 0, 0, 0),
        book=(0.12, 0.2),
        extra=lambda _w, _r: crowd,
    )


def _rickshaw(w: World, g: Steel, c: Chargers) -> None:
    """E-rickshaw drivers waiting at the gates' ranks: each search at the rank's exact spot."""
    prng, rng = w.prng("rickshaw"), w.rng("rickshaw")
    drivers = prng.randint(40, 100)
    bap = w.bap("honest", "", "rick")
    wire = WIRING.wire(prng, bap, drivers, always=True)
    book = prng.uniform(0.06, 0.1)
    side = c.groups["gateside"]
    base, crowd = prng.uniform(3, 6), prng.uniform(20, 40)
    times: list[tuple[float, int]] = []
    for k in range(len(g.gates)):
        t1 = _window(w, rng, base * 24, (0.0, 24.0))
        t2 = _crowds(w, rng, crowd * (CROWD[1] - CROWD[0]))
        times += [(float(t), k) for t in np.concatenate([t1, t2])]
    times.sort()
    radius = prng.choice((1.0, 2.0))
    for at, k in times:
        lat, lon = g.ll1(*g.gates[k])
        via = wire.via(prng)
        u = prng.randrange(drivers)
        txn = wire.txn(w, via, "r")
        w.search(bap, at, lat, lon, radius, via=via, user=wire.user(u), txn=txn)
        if prng.random() < book:
            w.book(
                bap, at, side.cpos[k], side.ids[k], prng, confirm=0.9, user=wire.user(u), txn=txn
            )
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"gate e-rickshaw app: {drivers} drivers at {len(g.gates)} gate ranks searching the "
        f"rank's exact spot, {base:.0f}/h a gate and {crowd:.0f}/h in a shift crowd, "
        f"{book:.0%} book the gate-side charger",
    )


def _carpool(w: World, g: Steel, c: Chargers) -> None:
    """Shift workers' carpool: each searches near home before their shift, often again at
    the gate."""
    prng, rng = w.prng("carpool"), w.rng("carpool")
    users = prng.randint(180, 320)
    bap = w.bap("honest", "", "pool")
    wire = WIRING.wire(prng, bap, users, refs=0.9)
    book = prng.uniform(0.15, 0.25)
    s = c.public()
    side = c.groups["gateside"]
    zones = (TOWNSHIP, CITY, COLONIES)
    homes = [
        g.people(rng, 1, _zone(g, zones[int(z)])) for z in rng.choice(3, users, p=(0.5, 0.35, 0.15))
    ]
    shift = rng.choice(3, users, p=(0.5, 0.3, 0.2))
    gate = rng.integers(0, len(g.gates), users)
    for m in _midnights(w):
        for u in range(users):
            if prng.random() < 0.15:  # off today
                continue
            start = m + SHIFTS[int(shift[u])] * HOUR
            t = start - prng.uniform(30, 75) * 60
            hx, hy = float(homes[u][0][0]), float(homes[u][1][0])
            lat, lon = g.ll1(hx, hy)
            via = wire.via(prng)
            txn = wire.txn(w, via, "c")
            r = prng.choice((2.0, 3.0, 5.0))
            user = wire.user(u)
            w.search(bap, t, lat, lon, r, via=via, user=user, txn=txn)
            if prng.random() < 0.3:
                w.search(
                    bap, t + prng.uniform(20, 90), lat, lon, r * 2, via=via, user=user, txn=txn
                )
            if prng.random() < book:
                k = s.nearest(lat, lon)
                w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=0.8, user=user, txn=txn)
            if prng.random() < 0.55:
                k = int(gate[u])
                gx, gy = g.gates[k]
                ox, oy = gx - g.plant.x, gy - g.plant.y  # on the town side of the gate
                a = math.atan2(oy, ox) + prng.uniform(-1.2, 1.2)
                d = prng.uniform(0.1, 0.3)
                la, lo = g.ll1(gx + d * math.cos(a), gy + d * math.sin(a))
                at = start - prng.uniform(5, 15) * 60
                txn2 = wire.txn(w, via, "c")
                w.search(bap, at, la, lo, 1.0, via=via, user=user, txn=txn2)
                if prng.random() < book / 2:
                    w.book(
                        bap, at, side.cpos[k], side.ids[k], prng, confirm=0.8, user=user, txn=txn2
                    )
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"shift workers' carpool app: {users} users, each near home 30-75 min before their "
        f"shift and often at the gate just before it, {book:.0%} book",
    )


def _console(
    w: World,
    bap: str,
    wire: Wire,
    s: Sites,
    rounds: Sequence[float],
    radius: float,
    book: Callable[[float], float],
    prng: random.Random,
) -> None:
    """A console's rounds: each of ``s`` in order, a second or two apart, one transaction a
    round; with odds ``book(t)`` a booking at one of them."""
    for t in rounds:
        via = wire.via(prng)
        txn = wire.txn(w, via, "o")
        at = t
        for j in range(len(s.ids)):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn)
            at += prng.uniform(0.5, 2.0)
        if prng.random() < book(t):
            j = prng.randrange(len(s.ids))
            w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=0.95, txn=txn)


def _ems(w: World, c: Chargers) -> None:
    prng = w.prng("ems")
    bap = w.bap("honest", "", "ems")
    wire = WIRING.wire(prng, bap, 1, refs=0.0, pick=(prng.choice((0, 1, 2)),))
    s = c.of("gates", "depot")
    odds = 1 / prng.uniform(30, 50)
    fast = [t for t in _clock(w, 180.0) if in_span(t, TARIFF)]
    slow = [t for t in _clock(w, 900.0) if not in_span(t, TARIFF)]
    per_round = odds * len(s.ids)
    _console(w, bap, wire, s, sorted(fast + slow), 0.5, lambda _t: per_round, prng)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"plant power division's energy-management console: its {len(s.ids)} gate and depot "
        f"chargers on the clock every 15 min, every 3 min in the 18:00-22:00 peak tariff, "
        f"booking about 1 in {1 / odds:.0f} searches",
    )


def _bus_depot(w: World, c: Chargers) -> None:
    prng = w.prng("busdepot")
    bap = w.bap("honest", "", "bus")
    wire = WIRING.wire(prng, bap, 1, refs=0.0)
    s = c.groups["depot"]
    busy = prng.uniform(0.35, 0.55)
    win = [t for t in _clock(w, 300.0) if near_change(t, 1.25, 0.75)]
    rest = [t for t in _clock(w, 1800.0) if not near_change(t, 1.25, 0.75)]
    _console(
        w,
        bap,
        wire,
        s,
        sorted(win + rest),
        0.5,
        lambda t: busy if near_change(t, 1.25, 0.75) else 0.05,
        prng,
    )
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"shift-bus depot console: its depot's {len(s.ids)} chargers every 5 min on the clock "
        f"from 75 min before to 45 min after each shift change (booking on {busy:.0%} of "
        "those rounds), every 30 min otherwise (about 5%)",
    )


def _haul_dispatch(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("haul")
    bap = w.bap("honest", "", "haul")
    wire = WIRING.wire(prng, bap, prng.randint(2, 4), refs=1.0, always=True)
    pits = c.groups["pits"]
    per: list[list[int]] = []
    px, py = g.xy(pits.lat, pits.lon)
    for mx, my in g.mines:
        per.append([j for j in range(len(pits.ids)) if math.hypot(px[j] - mx, py[j] - my) < 0.5])
    period = prng.choice((180.0, 240.0, 300.0))
    odds = 1 / prng.uniform(6, 10)
    for k, t in enumerate(_clock(w, period, prng.uniform(0, 60))):
        mine = per[k % len(per)]
        via = wire.via(prng)
        txn = wire.txn(w, via, "h")
        user = wire.user(prng.randrange(wire.users))
        at = t
        for j in mine:
            w.search(
                bap, at, float(pits.lat[j]), float(pits.lon[j]), 1.0, via=via, user=user, txn=txn
            )
            at += prng.uniform(0.5, 2.0)
        if prng.random() < odds * (3 if near_change(t, 0.5, 0.75) else 1):
            j = prng.choice(mine)
            w.book(bap, at, pits.cpos[j], pits.ids[j], prng, confirm=0.95, user=user, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"coalfield haul dispatch: one mine's pit-head chargers per check in a fixed rotation "
        f"over {len(g.mines)} mines, a check every {period / 60:.0f} min on the clock round the "
        f"clock, booking on about 1 in {1 / odds:.0f} checks, three times as often at the "
        "handovers",
    )


def _drive(
    w: World,
    g: Steel,
    bap: str,
    line: Line,
    a: float,
    b: float,
    t: float,
    speed: float,
    step: tuple[float, float],
    prng: random.Random,
    emit: Callable[[float, float, float], None],
) -> float:
    """Drive ``line`` from ``a`` to ``b`` km at ``speed`` km/h, calling ``emit(t, x, y)`` every
    ``step`` km; returns the arrival time."""
    d = a
    sign = 1.0 if b >= a else -1.0
    while (b - d) * sign > 0:
        x, y = line.spot(d)
        emit(t, x, y)
        hop = min(prng.uniform(*step), abs(b - d))
        d += sign * hop
        t += hop / speed * HOUR * prng.uniform(0.85, 1.2)
    return t


def _emitter(
    w: World, g: Steel, bap: str, radius: float, via: str, user: str, txn: str
) -> Callable[[float, float, float], None]:
    """A vehicle's refresh at (x, y) km."""

    def emit(t: float, x: float, y: float) -> None:
        lat, lon = g.ll1(x, y)
        w.search(bap, t, lat, lon, radius, via=via, user=user, txn=txn)

    return emit


def _head_units(w: World, g: Steel, c: Chargers, brand: str) -> None:
    prng, rng = w.prng("hu" + brand), w.rng("hu" + brand)
    bap = w.bap("honest", "", "hu")
    cars = prng.randint(300, 700)
    pick: tuple[int, ...] = (0,) if brand == "A" else (1,)
    if brand == "A" and prng.random() < 0.5:
        pick = (0, 2)
    wire = WIRING.wire(prng, bap, cars, refs=0.6, pick=pick, txn3=True)
    s = c.public()
    trips = arrivals(rng, prng.uniform(220, 320), w.start, w.end, ROADS)
    kinds = [k for k, _ in g.roads]
    weight = {"highway": 3.0, "spoke": 1.0, "haul": 0.4, "link": 1.0}
    p = np.array([weight[k] for k in kinds])
    p /= p.sum()
    book = prng.uniform(0.05, 0.1)
    radius = prng.choice((3.0, 5.0))
    for t0 in trips.tolist():
        kind, line = g.roads[int(rng.choice(len(g.roads), p=p))]
        L = line.length()
        span = min(L, prng.uniform(5, 40))
        a = prng.uniform(0, L - span)
        a, b = (a, a + span) if prng.random() < 0.5 else (a + span, a)
        speed = prng.uniform(50, 80) if kind == "highway" else prng.uniform(20, 40)
        via = wire.via(prng)
        txn = wire.txn(w, via, "u")
        user = wire.user(prng.randrange(cars))

        emit = _emitter(w, g, bap, radius, via, user, txn)
        t = _drive(w, g, bap, line, a, b, float(t0), speed, (2.0, 4.0), prng, emit)
        x, y = line.spot(b)
        if (x, y) in g.gates and near_change(t, 0.75, 0.25):
            for _ in range(prng.randint(2, 4)):  # the gate's queue at a shift change
                t += prng.uniform(90, 240)
                emit(t, x, y)
        if prng.random() < book:
            lat, lon = g.ll1(x, y)
            k = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=0.8, user=user, txn=txn)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"brand {brand} in-car head units: {cars} cars refreshing every 2-4 km along the "
        f"highway, the spokes, the haul roads and the links, one transaction a trip "
        f"{'where the gateway reports it' if brand == 'A' else '(never reported)'}, "
        f"{book:.0%} of trips book, repeats at a gate in a shift crowd",
    )


def _tippers(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("tippers")
    bap = w.bap("honest", "", "tip")
    n = prng.randint(8, 14)
    wire = WIRING.wire(prng, bap, n, always=True, pick=prng.choice(((0,), (2,), (0, 2))), txn3=True)
    pits = c.groups["pits"]
    px, py = g.xy(pits.lat, pits.lon)
    wlat, wlon = g.ll1(*g.washery)
    haul = [line for k, line in g.roads if k == "haul"]
    odds = 1 / prng.uniform(4, 8)
    for u in range(n):
        tp = w.prng(f"tipper{u}")
        t = w.start - tp.uniform(0, 3 * HOUR)
        m = tp.randrange(len(haul))
        out = True
        user = wire.user(u)
        while t < w.end:
            if near_change(t, 0.25, 0.25):  # the driver hands over
                t += tp.uniform(30, 50) * 60
            line = haul[m]
            via = wire.via(tp)
            txn = wire.txn(w, via, "p")
            a, b = (0.0, line.length()) if out else (line.length(), 0.0)

            emit = _emitter(w, g, bap, 2.0, via, user, txn)
            t = _drive(w, g, bap, line, a, b, t, tp.uniform(18, 28), (1.5, 3.0), tp, emit)
            if out:  # at the mine: a charge some trips
                mx, my = g.mines[m]
                j = int(np.argmin(np.hypot(px - mx, py - my)))
                if tp.random() < odds * (2.5 if near_change(t, 0.75, 0.75) else 0.8):
                    w.book(bap, t, pits.cpos[j], pits.ids[j], tp, confirm=0.95, user=user, txn=txn)
                    t += tp.uniform(25, 45) * 60
                t += tp.uniform(10, 25) * 60  # loading
            else:  # at the washery's weighbridge
                for _ in range(tp.randint(2, 5)):
                    w.search(bap, t, wlat, wlon, 2.0, via=via, user=user, txn=txn)
                    t += tp.uniform(120, 240)
                t += tp.uniform(5, 15) * 60
                m = tp.randrange(len(haul))
            out = not out
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"electric tippers' telematics: {n} tippers shuttling between the washery and "
        f"{len(haul)} mines day and night, a transaction per one-way trip, refreshing every "
        f"1.5-3 km, queueing at the weighbridge, one round trip in {1 / odds:.0f} booking a "
        "pit-head charger, more at the handovers",
    )


def _technicians(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("techs")
    pub = c.public()
    cpo = max(c.publics, key=lambda o: (pub.cpos.count(o), o))
    mine = c.owned(cpo, pub)
    bap = w.bap("honest", "", "tech")
    techs = prng.randint(2, 4)
    wire = WIRING.wire(prng, bap, techs, always=True)
    x, y = g.xy(mine.lat, mine.lon)
    visited = 0
    for m in _midnights(w):
        for u in range(techs):
            tp = w.prng(f"tech{u}{m}")
            n = min(len(mine.ids), tp.randint(5, 9))
            todo = tp.sample(range(len(mine.ids)), n)
            px, py = 0.0, 0.0
            t = m + tp.uniform(ROUNDS[0], ROUNDS[0] + 1) * HOUR
            user = wire.user(u)
            while todo:
                j = min(todo, key=lambda k: math.hypot(x[k] - px, y[k] - py))
                todo.remove(j)
                t += math.hypot(x[j] - px, y[j] - py) / 25.0 * HOUR + tp.uniform(5, 15) * 60
                if t > m + ROUNDS[1] * HOUR:  # the shift is over
                    break
                px, py = float(x[j]), float(y[j])
                via = wire.via(tp)
                txn = wire.txn(w, via, "e")
                at = t
                for _ in range(tp.randint(2, 4)):
                    w.search(
                        bap,
                        at,
                        float(mine.lat[j]),
                        float(mine.lon[j]),
                        0.5,
                        via=via,
                        user=user,
                        txn=txn,
                    )
                    at += tp.uniform(60, 300)
                if tp.random() < 0.7:
                    w.book(bap, at, mine.cpos[j], mine.ids[j], tp, confirm=1.0, user=user, txn=txn)
                visited += 1
                t = at + tp.uniform(20, 40) * 60
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"field technicians' app of {cpo}: {techs} technicians on day-shift rounds of 5-9 of "
        "its own sites, each site's exact spot searched 2-4 times, a test charge at most",
    )


def _cpo_app(w: World, g: Steel, c: Chargers, cpo: str) -> None:
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
        la, lo = float(lat[i]), float(lon[i])
        wire.session(w, bap, prng, at, la, lo, i % wire.users, h, mine, h.book)


# -- scrapers hidden in real apps -------------------------------------------------------------


def disc_cover(x: F64, y: F64, r: float) -> list[tuple[float, float, float]]:
    """A greedy cover of the points: the disc of radius ``r`` round the point that takes the
    most points not yet taken, again and again; each disc's centre is the mean of the points it
    takes (one of them only when alone), with the distance to the farthest of them."""
    left = set(range(x.size))
    out: list[tuple[float, float, float]] = []
    while left:
        idx = sorted(left)
        lx, ly = x[idx], y[idx]
        d = np.hypot(lx[:, None] - lx[None, :], ly[:, None] - ly[None, :]) <= r
        best = int(np.argmax(d.sum(axis=1)))
        took = [idx[k] for k in np.flatnonzero(d[best])]
        mx, my = float(x[took].mean()), float(y[took].mean())
        out.append((mx, my, float(np.hypot(x[took] - mx, y[took] - my).max())))
        left -= set(took)
    return out


def _tour(points: list[Point], first: int) -> list[Point]:
    left = list(range(len(points)))
    order = [left.pop(first)]
    while left:
        px, py = points[order[-1]]
        k = min(left, key=lambda i: math.hypot(points[i][0] - px, points[i][1] - py))
        left.remove(k)
        order.append(k)
    return [points[i] for i in order]


def _cover_sweep(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("cover")
    s = c.of("city", "gateside")
    x, y = g.xy(s.lat, s.lon)
    r = round(prng.uniform(1.5, 2.5), 2)
    cover = disc_cover(x, y, r)
    centres = _tour([(a, b) for a, b, _ in cover], prng.randrange(len(cover)))
    radius = math.ceil((max(d for _, _, d in cover) + 0.3) * 10) / 10  # reaches every disc's
    jitter = w.seed % 2 == 0
    period = 86_400.0 * len(centres) / prng.uniform(450, 700)
    t0 = w.start + prng.uniform(0, period)
    extra = [m + sh * HOUR - prng.uniform(15, 25) * 60 for m in _midnights(w) for sh in SHIFTS]
    starts = [t0 + k * period for k in range(int((w.end - w.start) / period) + 1)]
    starts = [t for t in starts if all(abs(t - e) > 600 for e in extra)]  # rounds never overlap
    starts = sorted(t for t in starts + extra if w.start <= t < w.end)
    host = prng.uniform(2500, 4000)
    bap, wire, made = _ordinary(
        w, g, c, "hidden_sweep", "", "app", host, (4.0, 1.5, 0.5, 0, 0, 0, 0.2, 0), book=(0.05, 0.1)
    )
    for t in starts:
        via = wire.via(prng)
        txn = wire.txn(w, via, "v")
        for cx, cy in centres:
            if jitter:
                d, a = prng.uniform(0.04, 0.12), prng.uniform(0, 2 * math.pi)
                cx, cy = cx + d * math.cos(a), cy + d * math.sin(a)
            lat, lon = g.ll1(cx, cy)
            w.search(bap, t, lat, lon, radius, via=via, txn=txn, scraping=True)
            t += prng.uniform(6, 25)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"greedy disc cover: {len(centres)} disc centres (means of the city's and gate-side "
        f"public chargers within {r} km) on a nearest-neighbour tour at {radius} km (reaching "
        f"every disc's sites), a round every {period / 60:.0f} min and before each shift change, "
        f"{'40-120 m off the centres' if jitter else 'exact centres'}, no user ref; "
        f"{got / max(1, got + made):.0%} of a steel-city two-wheeler app",
    )


def belt_lattice(g: Steel, step: float) -> tuple[F64, F64, list[tuple[int, int]]]:
    """A ``step`` km lattice over the coalfield (its mines, colonies and washery with 3 km
    round them), none in the works; with each node's (row, column)."""
    xs = [p[0] for p in (*g.mines, g.washery)]
    ys = [p[1] for p in (*g.mines, g.washery)]
    x0, x1, y0, y1 = min(xs) - 3, max(xs) + 3, min(ys) - 3, max(ys) + 3
    out_x, out_y, rc = [], [], []
    for i, yy in enumerate(np.arange(y0, y1 + 1e-9, step)):
        for j, xx in enumerate(np.arange(x0, x1 + 1e-9, step)):
            if not g.plant.inside(float(xx), float(yy), 0.2):
                out_x.append(float(xx))
                out_y.append(float(yy))
                rc.append((i, j))
    return np.array(out_x), np.array(out_y), rc


def _tile_sweep(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("tiles")
    step = round(prng.uniform(2.0, 3.0), 2)
    x, y, rc = belt_lattice(g, step)
    tiles: dict[tuple[int, int], list[int]] = {}
    for k, (i, j) in enumerate(rc):
        tiles.setdefault((i // 2, j // 2), []).append(k)
    keys = sorted(tiles)
    jitter = w.seed % 2 == 1
    radius = round(step * 0.8, 1)
    times: list[float] = []
    t = w.start + prng.uniform(0, 1200)
    while t < w.end:
        times.append(t)
        t += prng.uniform(1200, 2400)
    n = sum(len(tiles[k]) for k in keys) * len(times) / len(keys)
    share = prng.uniform(0.06, 0.11)
    host = n * (1 - share) / share
    crowd = _crowds(w, w.rng("miners-crowd"), host * 0.06)
    bap, wire, made = _ordinary(
        w,
        g,
        c,
        "hidden_sweep",
        "",
        "mine",
        host,
        (0.3, 0, 0, 1.5, 0, 3.0, 0, 1.0),
        book=(0.05, 0.12),
        extra=lambda _w, _r: crowd,
    )
    order: list[tuple[int, int]] = []
    for t in times:
        if not order:
            order = prng.sample(keys, len(keys))
        tile = order.pop()
        via = wire.via(prng)
        txn = wire.txn(w, via, "b")
        for k in tiles[tile]:
            px, py = float(x[k]), float(y[k])
            if jitter:
                d, a = prng.uniform(0.02, 0.06), prng.uniform(0, 2 * math.pi)
                px, py = px + d * math.cos(a), py + d * math.sin(a)
            lat, lon = g.ll1(px, py)
            w.search(bap, t, lat, lon, radius, via=via, txn=txn, scraping=True)
            t += prng.uniform(4, 15)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"map-pan bursts: a {step} km lattice of {x.size} nodes over the coalfield cut into "
        f"{len(keys)} tiles of 2x2, one tile a burst every 20-40 min, tiles in a fresh random "
        f"order each pass, {radius} km, {'jittered 20-60 m' if jitter else 'exact nodes'}, no "
        f"user ref; {got / max(1, got + made):.0%} of the miners' commute app",
    )


def _rival_list(c: Chargers, prng: random.Random, lo: int, hi: int) -> Sites:
    s = c.of("city", "gateside")
    rival = prng.choice(c.publics)
    mine = [i for i, o in enumerate(s.cpos) if o == rival]
    rest = [i for i in range(len(s.ids)) if i not in mine]
    n = prng.randint(lo, hi)
    pick = (mine + prng.sample(rest, len(rest)))[:n]
    return Sites([s.ids[i] for i in pick], [s.cpos[i] for i in pick], s.lat[pick], s.lon[pick])


def _shadow_poll(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("shadow")
    poll = _rival_list(c, prng, 8, 16)
    odds = prng.uniform(0.09, 0.17)
    state = {"k": 0}
    host = prng.uniform(4000, 6000)
    holder: dict[str, Wire] = {}
    sp = w.prng("shadow-poll")

    def hook(bap: str, wire: Wire) -> Callable[[float, float, float], None]:
        holder["wire"] = wire

        def after(t: float, _lat: float, _lon: float) -> None:
            if sp.random() >= odds:
                return
            j = state["k"] % len(poll.ids)
            state["k"] += 1
            via = wire.via(sp)
            w.search(
                bap,
                t + sp.uniform(2, 20),
                float(poll.lat[j]),
                float(poll.lon[j]),
                1.0,
                via=via,
                txn=wire.txn(w, via, "w"),
                scraping=True,
            )

        return after

    crowd = _crowds(w, w.rng("ride-crowd"), host * 0.04)
    bap, _, made = _ordinary(
        w,
        g,
        c,
        "hidden_poll",
        "",
        "ride",
        host,
        (3.0, 1.0, 1.5, 1.0, 1.0, 0, 0.3, 0),
        book=(0.06, 0.12),
        extra=lambda _w, _r: crowd,
        after=hook,
    )
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"shadow poll: after {odds:.0%} of a belt ride-hail app's real sessions, 2-20 s later, "
        f"the next of {len(poll.ids)} rival chargers round-robin at 1 km, keeping the app's "
        f"own rhythm, no user ref; {got / max(1, got + made):.0%} of its searches",
    )


def _offset_poll(w: World, g: Steel, c: Chargers) -> None:
    bap, wire, made = _national(w, g, c, "hidden_poll")
    prng = w.prng("offset")
    s = c.of("gateside", "gates")
    city = c.groups["city"]
    x, y = g.xy(city.lat, city.lon)
    stand = int(np.argmin(np.hypot(x, y)))  # the bus stand's, by the bazaar
    s = join(s, Sites([city.ids[stand]], [city.cpos[stand]], city.lat[[stand]], city.lon[[stand]]))
    sx, sy = g.xy(s.lat, s.lon)
    t = w.start + prng.uniform(0, 600)
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "f")
        at = t
        for j in prng.sample(range(len(s.ids)), len(s.ids)):
            d, a = prng.uniform(0.15, 0.45), prng.uniform(0, 2 * math.pi)
            lat, lon = g.ll1(float(sx[j]) + d * math.cos(a), float(sy[j]) + d * math.sin(a))
            r = round(d + prng.uniform(0.3, 1.0), 2)
            w.search(bap, at, lat, lon, r, via=via, txn=txn, scraping=True)
            at += prng.uniform(1, 5)
        t += min(1800.0, max(240.0, 600.0 * math.exp(prng.gauss(0, 0.4))))
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"offset poll hidden in a national aggregator: the gates', gate-side and bus-stand "
        f"{len(s.ids)} chargers each round in a random order, each from 150-450 m off it with "
        f"a radius just wide enough, gaps log-normal round 10 min (4-30); "
        f"{got / max(1, got + made):.0%} of its searches",
    )


# -- scrapers of their own ----------------------------------------------------------------------


def _bursty(w: World, c: Chargers) -> None:
    prng = w.prng("bursty")
    s = _rival_list(c, prng, 10, 18)
    bap = w.bap(
        "poller",
        f"bursty poller: {len(s.ids)} city and gate-side chargers, gaps from a two-state chain "
        "(bursts of 2-5 min, lulls of 20-60 min)",
        "pol",
    )
    wire = WIRING.wire(prng, bap, 1, refs=0.0)
    radius = prng.choice((1.0, 1.5))
    t, burst = w.start + prng.uniform(0, 600), prng.random() < 0.5
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "x")
        at = t
        for j in range(len(s.ids)):
            w.search(
                bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn, scraping=True
            )
            at += prng.uniform(0.5, 3)
        t += prng.uniform(120, 300) if burst else prng.uniform(1200, 3600)
        if prng.random() < (0.12 if burst else 0.35):
            burst = not burst


def _shift_poller(w: World, c: Chargers) -> None:
    prng = w.prng("shiftpoll")
    s = c.of("gates", "depot", "pits")
    bap = w.bap(
        "poller",
        f"shift-clock poller: the plant's, depot's and pit-heads' {len(s.ids)} chargers, its "
        "gap drawn per round in 3-7 min within an hour of a shift change and 12-35 min "
        "otherwise, three user refs in turn",
        "pol",
    )
    wire = WIRING.wire(prng, bap, 3, always=True)
    t, k = w.start + prng.uniform(0, 300), 0
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "y")
        user = wire.user(k % 3)
        k += 1
        at = t
        for j in range(len(s.ids)):
            w.search(
                bap,
                at,
                float(s.lat[j]),
                float(s.lon[j]),
                1.0,
                via=via,
                user=user,
                txn=txn,
                scraping=True,
            )
            at += prng.uniform(0.5, 2)
        t += prng.uniform(180, 420) if near_change(t, 1.0, 1.0) else prng.uniform(720, 2100)


def quadtree(
    x: F64, y: F64, box: tuple[float, float, float, float], most: int = 3, depth: int = 6
) -> list[tuple[float, float, float]]:
    """The leaves of a quadtree over ``box`` (x0, y0, x1, y1), split while a cell holds more
    than ``most`` points, depth first (south-west, south-east, north-west, north-east): each
    leaf's centre and half-diagonal."""
    x0, y0, x1, y1 = box
    inside = (x >= x0) & (x < x1) & (y >= y0) & (y < y1)
    if inside.sum() <= most or depth == 0:
        return [((x0 + x1) / 2, (y0 + y1) / 2, math.hypot(x1 - x0, y1 - y0) / 2)]
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    out = []
    for b in ((x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)):
        out += quadtree(x[inside], y[inside], b, most, depth - 1)
    return out


def region_box(g: Steel) -> tuple[float, float, float, float]:
    pts = [*g.mines, g.washery, (g.coaltown.x, g.coaltown.y), (g.plant.x, g.plant.y)]
    xs = [p[0] for p in pts] + [-g.city.r, g.city.r]
    ys = [p[1] for p in pts] + [-g.city.r, g.city.r]
    side = max(max(xs) - min(xs), max(ys) - min(ys)) + 6
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2


def _quadtree(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("quad")
    s = c.every()
    x, y = g.xy(s.lat, s.lon)
    leaves = quadtree(x, y, region_box(g))
    per_hour = prng.uniform(40, 90)
    bap = w.bap(
        "sweeper",
        f"quadtree sweeper: {len(leaves)} leaves of a quadtree over the region split where a "
        f"cell holds more than 3 chargers, depth first, each at its centre with its "
        f"half-diagonal as the radius, {per_hour:.0f}/h",
        "swp",
    )
    wire = WIRING.wire(prng, bap, 1, refs=0.0)
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        lx, ly, r = leaves[k]
        lat, lon = g.ll1(lx, ly)
        via = wire.via(prng)
        w.search(
            bap,
            t,
            lat,
            lon,
            round(min(50.0, r), 2),
            via=via,
            txn=wire.txn(w, via, "q"),
            scraping=True,
        )
        k = (k + 1) % len(leaves)
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def city_lattice(g: Steel, step: float) -> tuple[F64, F64]:
    """A ``step`` km lattice over the steel city and its township, raster order, none in the
    works."""
    r = g.city.r
    xs = np.arange(-r, r + 1e-9, step)
    ys = np.arange(-r, r + 1e-9, step)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    x, y = xx.ravel(), yy.ravel()
    keep = (np.hypot(x, y) <= r + step / 2) & ~g.plant.inside(x, y, 0.2)
    return x[keep], y[keep]


def _relay(w: World, g: Steel) -> None:
    prng = w.prng("relay")
    step = prng.uniform(1.2, 1.8)
    x, y = city_lattice(g, step)
    lat, lon = g.ll(x, y)
    per_hour = prng.uniform(50, 100)
    radius = round(step * 0.8, 1)
    names = ("A (06:00-14:00)", "B (14:00-22:00)", "C (22:00-06:00)")
    baps, wires = [], []
    for k in range(3):
        bap = w.bap(
            "sweeper",
            f"shift relay key {names[k]}: one exact {step:.2f} km lattice of {x.size} nodes over "
            f"the steel city in raster order, each key sweeping its shift's eight hours and "
            f"taking up where the last stopped, {per_hour:.0f}/h, {radius} km",
            "rly",
        )
        baps.append(bap)
        wires.append(WIRING.wire(w.prng(bap + "wire"), bap, 1, refs=0.0))
    t, n = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        h = hour_of(t)
        k = 0 if 6 <= h < 14 else 1 if 14 <= h < 22 else 2
        via = wires[k].via(prng)
        j = n % x.size
        w.search(
            baps[k],
            t,
            float(lat[j]),
            float(lon[j]),
            radius,
            via=via,
            txn=wires[k].txn(w, via, "z"),
            scraping=True,
        )
        n += 1
        t += 3600 / per_hour * prng.uniform(0.6, 1.4)


def _booker(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("booker")
    cpo = prng.choice(c.publics)
    own = c.owned(cpo)
    step = prng.uniform(1.0, 1.6)
    cx, cy = city_lattice(g, step)
    r = g.coaltown.r
    tx = np.arange(-r, r + 1e-9, step)
    ty, tx2 = np.meshgrid(tx, tx, indexing="ij")
    tx, ty = g.coaltown.x + tx2.ravel(), g.coaltown.y + ty.ravel()
    keep = np.hypot(tx - g.coaltown.x, ty - g.coaltown.y) <= r + step / 2
    x, y = np.concatenate([cx, tx[keep]]), np.concatenate([cy, ty[keep]])
    rate = prng.uniform(0.02, 0.035)
    per_hour = prng.uniform(40, 80)
    users = prng.randint(3, 6)
    bap = w.bap(
        "booking_scraper",
        f"rival CPO {cpo}'s sweep of a jittered {step:.2f} km lattice ({x.size} nodes) over the "
        f"steel city and the coal town in a random order each pass, 50-150 m off, "
        f"{per_hour:.0f}/h, "
        f"booking {rate:.1%} of its searches always at its own nearest charger, never cancelling, "
        f"{users} user refs",
        "bk",
    )
    wire = WIRING.wire(prng, bap, users, always=True)
    order: list[int] = []
    t = w.start + prng.uniform(0, 60)
    radius = prng.choice((2.0, 3.0))
    while t < w.end:
        if not order:
            order = prng.sample(range(x.size), x.size)
        j = order.pop()
        d, a = prng.uniform(0.05, 0.15), prng.uniform(0, 2 * math.pi)
        lat, lon = g.ll1(float(x[j]) + d * math.cos(a), float(y[j]) + d * math.sin(a))
        via = wire.via(prng)
        txn = wire.txn(w, via, "k")
        user = wire.user(prng.randrange(users))
        w.search(bap, t, lat, lon, radius, via=via, user=user, txn=txn, scraping=True)
        if prng.random() < rate:  # select, init, confirm; never cancelled
            k = own.nearest(lat, lon)
            at = t + prng.uniform(20, 90)
            for kind in (FunnelKind.SELECT, FunnelKind.INIT, FunnelKind.CONFIRM):
                w.funnel(bap, at, kind, own.cpos[k], own.ids[k], user=user, txn=txn)
                at += prng.uniform(5, 40)
        t += 3600 / per_hour * prng.uniform(0.6, 1.4)


def _many_faces(w: World, g: Steel, c: Chargers) -> None:
    prng = w.prng("faces")
    s = join(_rival_list(c, prng, 10, 16), c.groups["gates"])
    fakes = prng.randint(40, 80)
    per_hour = prng.uniform(3, 8)
    bap = w.bap(
        "low_and_slow",
        f"many faces: {len(s.ids)} rival and gate chargers' exact spots, ~{per_hour:.1f} "
        f"sessions an hour on the city's daily rhythm, one or two searches a session, user "
        f"refs from {fakes} made-up users",
        "slow",
    )
    wire = WIRING.wire(prng, bap, fakes, always=True)
    for t in arrivals(w.rng("faces"), per_hour * 24, w.start, w.end, DAY).tolist():
        j = prng.randrange(len(s.ids))
        via = wire.via(prng)
        txn = wire.txn(w, via, "m")
        user = wire.user(prng.randrange(fakes))
        r = prng.choice((1.0, 2.0, 3.0))
        w.search(
            bap, t, float(s.lat[j]), float(s.lon[j]), r, via=via, user=user, txn=txn, scraping=True
        )
        if prng.random() < 0.3:
            w.search(
                bap,
                t + prng.uniform(15, 90),
                float(s.lat[j]),
                float(s.lon[j]),
                r * 2,
                via=via,
                user=user,
                txn=txn,
                scraping=True,
            )


def _slow_belt(w: World, g: Steel) -> None:
    prng = w.prng("slowbelt")
    x, y, _ = belt_lattice(g, 3.0)
    lat, lon = g.ll(x, y)
    bap = w.bap(
        "low_and_slow",
        f"slow belt sweep: a 3 km lattice of {x.size} nodes over the coalfield in a random "
        "order, one search every 8-16 min, no user refs",
        "slow",
    )
    wire = WIRING.wire(prng, bap, 1, refs=0.0, pick=prng.choice(((1, 2), (2,), (1,))))
    order: list[int] = []
    t = w.start + prng.uniform(0, 900)
    while t < w.end:
        if not order:
            order = prng.sample(range(x.size), x.size)
        j = order.pop()
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(lat[j]),
            float(lon[j]),
            3.0,
            via=via,
            txn=wire.txn(w, via, "l"),
            scraping=True,
        )
        t += prng.uniform(480, 960)


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * HOUR)
    g = geography(seed)
    c = chargers(seed, g)
    plan = w.prng("plan")
    city, tiny = plan.randint(2, 3), plan.randint(2, 3)
    slow2 = plan.random() < 0.5
    _national(w, g, c)
    _belt(w, g, c)
    sizes = [plan.uniform(300, 700), plan.uniform(900, 1600), plan.uniform(1800, 2800)][:city]
    for size in sizes:
        _ordinary(
            w,
            g,
            c,
            "honest",
            f"steel-city app, about {size:.0f} searches a day",
            "app",
            size,
            (4.0, plan.uniform(0.5, 1.5), 0.3, 0, 0, 0, 0.1, 0),
        )
    _coaltown_app(w, g, c)
    for _ in range(tiny):
        _tiny(w, g, c, w.bap("honest", "tiny new app, a handful of users", "tiny"))
    _ems(w, c)
    _bus_depot(w, c)
    _haul_dispatch(w, g, c)
    _township(w, g, c)
    _rickshaw(w, g, c)
    _carpool(w, g, c)
    _head_units(w, g, c, "A")
    _head_units(w, g, c, "B")
    _tippers(w, g, c)
    _technicians(w, g, c)
    for cpo in plan.sample(list(c.publics), 3):
        _cpo_app(w, g, c, cpo)
    _cover_sweep(w, g, c)
    _tile_sweep(w, g, c)
    _shadow_poll(w, g, c)
    _offset_poll(w, g, c)
    _bursty(w, c)
    _shift_poller(w, c)
    _quadtree(w, g, c)
    _relay(w, g)
    _booker(w, g, c)
    _many_faces(w, g, c)
    if slow2:
        _slow_belt(w, g)
    return w.done()
