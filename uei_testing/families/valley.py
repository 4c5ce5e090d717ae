"""Family ``valley``: a long, narrow river valley in the hills. A winding river (a polyline
of 6-10 bends, 80-110 km long) in a valley 4-8 km wide, with the valley road along one bank;
a string of 6-9 towns on the road (one district town ~10 km across with 4-6 hubs, the rest
small); a steel plant and its township near the valley's mouth (three shifts: crowds of
searches around 05:30-06:30, 13:30-14:30 and 21:30-22:30 IST); a hill station at the head
of the valley; a dam and its reservoir part way up, with no charging (and nobody searching)
in its water. The day is a Saturday, whatever the calendar says: tourists drive up the
valley from 08:00 to 12:00 and down it from 15:00 to 20:00. 60-120 charging sites in the
towns and along the road every 5-15 km, owned by 4-6 CPOs.

Honest BAPs: the steel plant's fleet console polling its 6-12 depot chargers every 8-15
minutes around the clock (jittered), booking on ~1 in 200-400 searches (it mostly watches);
a bus operator's depot console checking its 3-6 chargers every 5-10 minutes from 04:00 to
23:00, booking on ~15% of rounds; a tourist app whose head units search ahead every 5-20 km
along the road (8-15% of trips book); a tea-estate logistics app (office hours, a few dozen
searches, ~30% book); the steel township's residents' app (bursts at the shift changes, ~15%
of sessions book); a national aggregator with 90-95% of its traffic in far cities; 10-14
ordinary apps of 30 to 3,000 searches a day on people's daily rhythm (3-12% of sessions
book, some users refining a search 2-4 times); 2-3 tiny new apps (under 30 searches a day);
a taxi-stand app (drivers at 5-10 stands search their stand's exact point many times an
hour, 4-10% of searches booked).

Scrapers: a sweep along the valley road itself (a point every 1-2 km of the winding road,
up and back down, one radius, no user reference) hidden in an ordinary app at 8-25% of its
searches; a jittered lattice (1.5-3 km apart, each visit 100-300 m off its node) over the
district town in a random order each pass, its gaps following the app's own daily rhythm,
hidden in another ordinary app at 5-15% (one of its gateways sends transaction ids, the
other not); a poll of 8-20 chargers whose period drifts (each period lasting 1-3 hours, then
changing, among 6-30 minutes) hidden in the aggregator at 5-15%; a sybil sweep: one lattice
over the valley split across 3-5 BAP keys, each key taking every k-th point so its own
points form a sparser lattice; a sweeper whose radius rotates among three values round by
round over exact points; a poller of 10-30 chargers with a period drawn per round (10-40
min); a sweep that selects on 1-2% of its searches, confirms about half and cancels most of
those within 10 minutes; 2-3 low-and-slow scrapers at 3-15 searches an hour on people's
daily rhythm, centres from a coarse lattice in random order, user references rotating
daily at 03:00 IST or absent.

Gateways: ``bg.valley.example`` always reports transaction ids, ``bg2`` never, ``bg3`` as
the app chooses; an app uses one gateway or splits its traffic over two. User references:
every user of an app, some of them, or none.

Written by a separate session from a brief, independently of the detector's rules, as a
held-out family (never scored while it was written).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from uei.antiabuse.scraping.events import FunnelKind
from uei_testing.families import world
from uei_testing.families.wire import Wire, Wiring
from uei_testing.families.world import F64, HOUR, KM_LAT, Sites, Truth, World, arrivals, ist_hours

NAME = "valley"
GATEWAYS = ("bg.valley.example", "bg2.valley.example", "bg3.valley.example")
"""``bg`` always reports transaction ids, ``bg2`` never, ``bg3`` as the app chooses."""
CPO_NAMES = ("ghat", "riverbank", "teagarden", "ridgeline", "damside", "hillvolt")
DAY = (
    0.12,
    0.07,
    0.05,
    0.05,
    0.08,
    0.2,
    0.45,
    0.8,
    1.2,
    1.5,
    1.6,
    1.5,
    1.35,
    1.25,
    1.25,
    1.35,
    1.5,
    1.7,
    1.8,
    1.65,
    1.3,
    0.9,
    0.5,
    0.25,
)
"""People's Saturday (IST hours): a late start, busy late mornings and evenings."""
SHIFTS = (5.5, 13.5, 21.5)
"""The IST hours at which the steel plant's shift-change crowds begin (each lasts an hour)."""
UP = (8.0, 12.0)
DOWN = (15.0, 20.0)
"""When tourists drive up the valley, and down it (IST)."""
BUS_HOURS = (4.0, 23.0)
OFFICE = (9.0, 17.5)
ROTATE = 3.0
"""The IST hour at which a low-and-slow scraper's user references change."""
Point = tuple[float, float]
Hub = tuple[float, float, float, float]
"""(x, y, spread km, weight)."""


# -- polylines ----------------------------------------------------------------------------------


def _segments(verts: Sequence[Point]) -> tuple[F64, F64, F64, F64]:
    v = np.asarray(verts, dtype=np.float64)
    a = v[:-1]
    d = v[1:] - v[:-1]
    seg = np.hypot(d[:, 0], d[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    return a, d, seg, cum


def project(verts: Sequence[Point], x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
    """Each point's distance from a polyline and the arc length (km) of its nearest point."""
    a, d, seg, cum = _segments(verts)
    px = np.atleast_1d(np.asarray(x, dtype=np.float64))[:, None]
    py = np.atleast_1d(np.asarray(y, dtype=np.float64))[:, None]
    t = ((px - a[:, 0]) * d[:, 0] + (py - a[:, 1]) * d[:, 1]) / seg**2
    t = np.clip(t, 0.0, 1.0)
    dist = np.hypot(px - (a[:, 0] + t * d[:, 0]), py - (a[:, 1] + t * d[:, 1]))
    k = np.argmin(dist, axis=1)
    rows = np.arange(px.shape[0])
    return dist[rows, k], cum[k] + t[rows, k] * seg[k]


def along(verts: Sequence[Point], s: F64 | float) -> tuple[F64, F64]:
    """The points at arc lengths ``s`` (km, clipped to the polyline) along a polyline."""
    a, d, seg, cum = _segments(verts)
    s = np.clip(np.atleast_1d(np.asarray(s, dtype=np.float64)), 0.0, float(cum[-1]))
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, seg.size - 1)
    f = (s - cum[k]) / seg[k]
    return a[k, 0] + f * d[k, 0], a[k, 1] + f * d[k, 1]


def _length(verts: Sequence[Point]) -> float:
    return float(_segments(verts)[3][-1])


# -- geography ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """A town (or the township, or the hill station): a disk with hubs where people are."""

    name: str
    x: float
    y: float
    radius: float
    s: float
    """Where it sits along the valley road (km from the mouth)."""
    hubs: tuple[Hub, ...]


@dataclass(frozen=True, slots=True)
class Valley:
    """The region in km east (``x``) and north (``y``) of the valley's mouth."""

    lat: float
    lon: float
    km_lon: float
    river: tuple[Point, ...]
    """From the mouth (first) to the head of the valley (last), 6-10 bends."""
    road: tuple[Point, ...]
    """The valley road, along one bank at ``road_offset`` km from the river."""
    road_offset: float
    half_width: float
    """How far the valley floor reaches either side of the river, km."""
    towns: tuple[Place, ...]
    """In road order."""
    district: int
    """Which of ``towns`` is the district town."""
    township: Place
    plant: Point
    """The steel plant's depot, at the township's edge."""
    hill: Place
    """The hill station at the head of the valley."""
    reservoir: tuple[float, float, float]
    """(from, to) km along the river (the dam at ``from``) and the water's half-width, km."""
    far: tuple[Hub, ...]
    """Far cities (300-1200 km away) where the national aggregator's users mostly are."""
    stands: tuple[Point, ...]
    """The taxi stands."""

    def ll(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        return (
            np.asarray(self.lat + np.asarray(y) / KM_LAT, dtype=np.float64),
            np.asarray(self.lon + np.asarray(x) / self.km_lon, dtype=np.float64),
        )

    def ll1(self, x: float, y: float) -> tuple[float, float]:
        return self.lat + y / KM_LAT, self.lon + x / self.km_lon

    def xy(self, lat: F64 | float, lon: F64 | float) -> tuple[F64, F64]:
        return (
            np.asarray((np.asarray(lon) - self.lon) * self.km_lon, dtype=np.float64),
            np.asarray((np.asarray(lat) - self.lat) * KM_LAT, dtype=np.float64),
        )

    def road_length(self) -> float:
        return _length(self.road)

    def road_at(self, s: float) -> Point:
        x, y = along(self.road, s)
        return float(x[0]), float(y[0])

    def dam(self) -> Point:
        x, y = along(self.river, self.reservoir[0])
        return float(x[0]), float(y[0])

    def wet(self, x: F64 | float, y: F64 | float) -> F64:
        """Whether each point is in the reservoir (as 0/1)."""
        s0, s1, hw = self.reservoir
        d, s = project(self.river, x, y)
        # the water's edge: within hw of the river between the dam and the reservoir's tail
        return np.asarray((d <= hw) & (s >= s0) & (s <= s1), dtype=np.float64)

    def places(self) -> tuple[Place, ...]:
        return (*self.towns, self.township, self.hill)

    def in_valley(self, x: F64 | float, y: F64 | float) -> F64:
        """Whether each point is on the valley floor, in a town, the township or the hill
        station, and not in the reservoir (as 0/1)."""
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        d, _ = project(self.river, px, py)
        ok = d <= self.half_width
        for p in self.places():
            ok |= np.hypot(px - p.x, py - p.y) <= p.radius
        return np.asarray(ok & (self.wet(px, py) == 0), dtype=np.float64)

    def near_far_city(self, x: F64 | float, y: F64 | float) -> F64:
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        ok = np.zeros(px.size, dtype=bool)
        for fx, fy, spread, _ in self.far:
            ok |= np.hypot(px - fx, py - fy) <= 6 * spread
        return np.asarray(ok, dtype=np.float64)

    def people(self, rng: np.random.Generator, n: int, hubs: Sequence[Hub]) -> tuple[F64, F64]:
        """``n`` points (km) around ``hubs``, on dry land in the valley."""
        hs = np.array(hubs, dtype=np.float64)
        xs: list[F64] = [np.zeros(0)]
        ys: list[F64] = [np.zeros(0)]
        got = 0
        while got < n:
            m = 2 * (n - got) + 16
            pick = rng.choice(len(hs), size=m, p=hs[:, 3] / hs[:, 3].sum())
            x = hs[pick, 0] + rng.normal(0, 1, m) * hs[pick, 2]
            y = hs[pick, 1] + rng.normal(0, 1, m) * hs[pick, 2]
            keep = self.in_valley(x, y) > 0
            xs.append(x[keep])
            ys.append(y[keep])
            got += int(keep.sum())
        return np.concatenate(xs)[:n], np.concatenate(ys)[:n]

    def people_far(self, rng: np.random.Generator, n: int) -> tuple[F64, F64]:
        """``n`` points (km) in the far cities."""
        hs = np.array(self.far, dtype=np.float64)
        pick = rng.choice(len(hs), size=n, p=hs[:, 3] / hs[:, 3].sum())
        return (
            hs[pick, 0] + rng.normal(0, 1, n) * hs[pick, 2],
            hs[pick, 1] + rng.normal(0, 1, n) * hs[pick, 2],
        )

    def on_road(self, rng: np.random.Generator, n: int) -> tuple[F64, F64]:
        """``n`` points on the road, anywhere along it (drivers)."""
        s = rng.uniform(0, self.road_length(), n)
        x, y = along(self.road, s)
        x, y = x + rng.normal(0, 0.03, n), y + rng.normal(0, 0.03, n)
        keep = self.in_valley(x, y) > 0
        return x[keep], y[keep]

    def small_towns(self) -> tuple[Place, ...]:
        return tuple(t for i, t in enumerate(self.towns) if i != self.district)


def _offset(verts: list[Point], d: float) -> list[Point]:
    """A polyline ``d`` km to the left of ``verts`` (mitred at the bends)."""
    out: list[Point] = []
    n = len(verts)
    for i in range(n):
        normals = []
        for j in (i - 1, i):
            if 0 <= j < n - 1:
                (ax, ay), (bx, by) = verts[j], verts[j + 1]
                h = math.hypot(bx - ax, by - ay)
                normals.append((-(by - ay) / h, (bx - ax) / h))
        nx = sum(v[0] for v in normals) / len(normals)
        ny = sum(v[1] for v in normals) / len(normals)
        m = math.hypot(nx, ny)
        nx, ny = nx / m, ny / m
        cos_half = nx * normals[0][0] + ny * normals[0][1]
        out.append((verts[i][0] + d * nx / cos_half, verts[i][1] + d * ny / cos_half))
    return out


def _hubs_in(rng: np.random.Generator, x: float, y: float, radius: float, n: int) -> list[Hub]:
    out: list[Hub] = [(x, y, max(0.35, 0.3 * radius), 1.5)]
    for _ in range(n - 1):
        r = radius * 0.65 * math.sqrt(float(rng.uniform(0.1, 1.0)))
        a = float(rng.uniform(0, 2 * math.pi))
        spread = float(rng.uniform(0.15, 0.25)) * radius
        out.append((x + r * math.cos(a), y + r * math.sin(a), spread, float(rng.uniform(0.4, 1.3))))
    return out


def geography(seed: int) -> Valley:
    """The valley of a seed."""
    rng = np.random.default_rng([seed, *b"valley-geography"])
    lat0, lon0 = float(rng.uniform(21.0, 31.0)), float(rng.uniform(74.0, 92.0))
    km_lon = 111.320 * math.cos(math.radians(lat0))
    # the river: 6-10 bends, turning mostly left, right, left...
    bends = int(rng.integers(6, 11))
    length = float(rng.uniform(82.0, 108.0))
    parts = rng.uniform(0.7, 1.3, bends + 1)
    parts = parts / parts.sum() * length
    heading = float(rng.uniform(0, 2 * math.pi))
    sign = float(rng.choice([-1.0, 1.0]))
    river: list[Point] = [(0.0, 0.0)]
    for k, part in enumerate(parts.tolist()):
        if k:
            sign = -sign if rng.uniform() < 0.8 else sign
            heading += sign * math.radians(float(rng.uniform(20, 50)))
        x, y = river[-1]
        river.append((x + part * math.cos(heading), y + part * math.sin(heading)))
    half_width = float(rng.uniform(2.0, 4.0))
    offset = float(rng.uniform(1.3, 1.8))
    side = float(rng.choice([-1.0, 1.0]))
    road = _offset(river, side * offset)
    # the dam 55-75% of the way up the river, its reservoir 5-9 km behind it
    s0 = length * float(rng.uniform(0.55, 0.75))
    reservoir = (s0, s0 + float(rng.uniform(5.0, 9.0)), float(rng.uniform(0.5, 1.0)))
    rs = np.arange(reservoir[0], reservoir[1] + 0.01, 0.2)
    wx, wy = along(tuple(river), rs)

    def dry(x: float, y: float, r: float) -> bool:
        return bool(np.min(np.hypot(wx - x, wy - y)) - reservoir[2] > r + 0.5)

    road_len = _length(road)

    def away(s: float, d: float) -> Point:
        """A point ``d`` km from the road at ``s``, on the side away from the river."""
        (ax, ay), (bx, by) = _pt(road, s - 0.5), _pt(road, s + 0.5)
        h = math.hypot(bx - ax, by - ay)
        nx, ny = -(by - ay) / h * side, (bx - ax) / h * side
        x, y = _pt(road, s)
        return x + d * nx, y + d * ny

    # the steel township near the mouth, beside the road
    ts = float(rng.uniform(3.0, 8.0))
    tr = float(rng.uniform(1.8, 2.5))
    off = float(rng.uniform(0.8, 1.6))
    tx, ty = away(ts, off)
    township = Place("township", tx, ty, tr, ts, tuple(_hubs_in(rng, tx, ty, tr, 2)))
    plant = away(ts + tr * 0.5, off)  # the plant's depot, half way to the township's edge
    # the hill station at the head of the valley, where the road ends
    ex, ey = river[-1][0] - river[-2][0], river[-1][1] - river[-2][1]
    h = math.hypot(ex, ey)
    hx, hy = road[-1][0] + 1.5 * ex / h, road[-1][1] + 1.5 * ey / h
    hr = float(rng.uniform(2.0, 2.8))
    hill = Place("hill", hx, hy, hr, road_len, tuple(_hubs_in(rng, hx, hy, hr, 3)))
    # the district town ~10 km across, then 5-8 small towns along the road
    dr = float(rng.uniform(4.6, 5.4))
    taken: list[tuple[float, float]] = [(ts, tr + 1.0), (road_len, hr + 1.0)]
    ds = float(rng.uniform(0.2, 0.45)) * road_len
    for _ in range(200):
        dx, dy = _pt(road, ds)
        if dry(dx, dy, dr) and all(abs(ds - s) > dr + r + 2.0 for s, r in taken):
            break
        ds = float(rng.uniform(0.2, 0.45)) * road_len
    dx, dy = _pt(road, ds)
    district = Place(
        "district", dx, dy, dr, ds, tuple(_hubs_in(rng, dx, dy, dr, int(rng.integers(4, 7))))
    )
    taken.append((ds, dr))
    small: list[Place] = []
    want = int(rng.integers(5, 9))
    for _ in range(400):
        if len(small) == want:
            break
        s = float(rng.uniform(8.0, road_len - 6.0))
        r = float(rng.uniform(0.8, 1.5))
        x, y = away(s, float(rng.uniform(0.0, 0.4)))
        if dry(x, y, r) and all(abs(s - s2) > r + r2 + 2.5 for s2, r2 in taken):
            hubs = ((x, y, 0.4 * r, 1.0), (*_pt(road, s), 0.3 * r, 0.5))
            small.append(Place(f"town{len(small)}", x, y, r, s, hubs))
            taken.append((s, r))
    small = [
        replace(t, name=f"town{i + 1}") for i, t in enumerate(sorted(small, key=lambda p: p.s))
    ]
    towns = sorted([district, *small], key=lambda p: p.s)
    # far cities for the national aggregator
    far: list[Hub] = []
    for _ in range(int(rng.integers(4, 7))):
        d, a = float(rng.uniform(300, 1200)), float(rng.uniform(0, 2 * math.pi))
        far.append(
            (d * math.cos(a), d * math.sin(a), float(rng.uniform(3, 7)), float(rng.uniform(0.5, 2)))
        )
    g = Valley(
        lat0,
        lon0,
        km_lon,
        tuple(river),
        tuple(road),
        offset,
        half_width,
        tuple(towns),
        towns.index(district),
        township,
        plant,
        hill,
        reservoir,
        tuple(far),
        (),
    )
    # 5-10 taxi stands: in the district town, the hill station, a town or two, the township
    stands: list[Point] = []
    spots = [(h[0], h[1]) for h in district.hubs]
    spots += [(hill.x, hill.y), (township.x, township.y)]
    spots += [(t.x, t.y) for t in small[:2]]
    n = int(rng.integers(5, 11))
    while len(stands) < n:
        bx, by = spots[len(stands) % len(spots)]
        x, y = bx + float(rng.normal(0, 0.4)), by + float(rng.normal(0, 0.4))
        if g.in_valley(x, y)[0] and all(math.hypot(x - a, y - b) > 0.5 for a, b in stands):
            stands.append((x, y))
    return replace(g, stands=tuple(stands))


def _pt(verts: Sequence[Point], s: float) -> Point:
    x, y = along(verts, s)
    return float(x[0]), float(y[0])


# -- chargers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chargers:
    public: Sites
    """Every public site: the towns', the township's, the hill station's and the road's."""
    road: tuple[int, ...]
    """Which of ``public`` are the road's sites, in road order."""
    road_s: tuple[float, ...]
    """Where they are along the road (km from the mouth)."""
    depots: Sites
    """The steel plant fleet's depot chargers."""
    bus: Sites
    """The bus operator's depot chargers (in the district town)."""
    cpos: tuple[str, ...]

    def total(self) -> int:
        return len(self.public.ids) + len(self.depots.ids) + len(self.bus.ids)


def chargers(seed: int, g: Valley) -> Chargers:
    """The valley's charging sites for a seed (never in the reservoir)."""
    rng = np.random.default_rng([seed, *b"valley-sites"])
    picked = rng.choice(len(CPO_NAMES), size=int(rng.integers(4, 7)), replace=False)
    cpos = tuple(f"cpo-{CPO_NAMES[int(i)]}.valley.example" for i in sorted(picked.tolist()))
    road_s: list[float] = []
    s = float(rng.uniform(2.0, 8.0))
    while s < g.road_length() - 1.0:
        road_s.append(s)
        s += float(rng.uniform(5.0, 15.0))
    counts = [int(rng.integers(3, 7)) for _ in g.small_towns()]
    township, hill = int(rng.integers(3, 6)), int(rng.integers(6, 12))
    depots, bus = int(rng.integers(6, 13)), int(rng.integers(3, 7))
    others = len(road_s) + sum(counts) + township + hill + depots + bus
    district = min(40, max(15, int(rng.integers(70, 110)) - others))
    xs: list[F64] = []
    ys: list[F64] = []
    names: list[str] = []
    d = g.towns[g.district]
    for place, n in (
        (d, district),
        *zip(g.small_towns(), counts, strict=True),
        (g.township, township),
        (g.hill, hill),
    ):
        x, y = g.people(rng, n, place.hubs)
        xs.append(x)
        ys.append(y)
        names += [f"vl-{place.name}-{i:03d}" for i in range(n)]
    rx, ry = along(g.road, np.array(road_s))
    first_road = len(names)
    xs.append(rx)
    ys.append(ry)
    names += [f"vl-road-{i:03d}" for i in range(len(road_s))]
    lat, lon = g.ll(np.concatenate(xs), np.concatenate(ys))
    owners = [cpos[int(i)] for i in rng.integers(0, len(cpos), len(names))]
    public = Sites(names, owners, lat, lon)
    road = tuple(range(first_road, len(names)))
    # the plant's depot and the bus depot: a tight cluster each
    px, py = g.plant
    dlat, dlon = g.ll(px + rng.normal(0, 0.08, depots), py + rng.normal(0, 0.08, depots))
    depot_cpo = cpos[int(rng.integers(0, len(cpos)))]
    plant = Sites([f"vl-plant-{i:03d}" for i in range(depots)], [depot_cpo] * depots, dlat, dlon)
    bx, by = d.hubs[-1][0], d.hubs[-1][1]
    blat, blon = g.ll(bx + rng.normal(0, 0.04, bus), by + rng.normal(0, 0.04, bus))
    bus_cpo = cpos[int(rng.integers(0, len(cpos)))]
    buses = Sites([f"vl-bus-{i:03d}" for i in range(bus)], [bus_cpo] * bus, blat, blon)
    return Chargers(public, road, tuple(road_s), plant, buses, cpos)


# -- how apps reach the network -------------------------------------------------------------------


WIRING = Wiring(
    GATEWAYS, ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (2, 0), (1, 0), (2,)), 0.5, (0.2, 0.85)
)
_wire = WIRING.wire


def hour_of(t: float) -> float:
    return float(ist_hours(np.array([t]))[0])


def _midnight(t: float) -> float:
    return t - hour_of(t) * HOUR


def _in_hours(t: float, hours: tuple[float, float]) -> bool:
    lo, hi = hours
    return lo <= hour_of(t) < hi


def _days(w: World) -> list[float]:
    """The IST midnights of every day the world touches."""
    out, m = [], _midnight(w.start)
    while m < w.end:
        out.append(m)
        m += 86_400.0
    return out


def _window(w: World, rng: np.random.Generator, per_day: float, hours: tuple[float, float]) -> F64:
    """Poisson times, ``per_day`` a day, uniform in ``hours`` (IST) of each day (sorted)."""
    out: list[F64] = []
    for m in _days(w):
        n = int(rng.poisson(per_day))
        out.append(m + rng.uniform(hours[0], hours[1], n) * HOUR)
    t = np.sort(np.concatenate(out)) if out else np.zeros(0)
    return t[(t >= w.start) & (t < w.end)]


# -- ordinary people ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Habits:
    radii: tuple[float, ...]
    book: float
    """Per session."""
    confirm: float
    refine: float
    """The chance a session is refined 2-4 times (a radius change or a small move each)."""


def _habits(prng: random.Random, book: tuple[float, float]) -> Habits:
    return Habits(
        radii=prng.choice(
            ((2.0, 5.0, 10.0), (3.0, 8.0), (1.0, 3.0, 6.0, 15.0), (5.0, 10.0, 20.0), (2.0, 4.0))
        ),
        book=prng.uniform(*book),
        confirm=prng.uniform(0.55, 0.85),
        refine=prng.choice((0.0, prng.uniform(0.05, 0.15), prng.uniform(0.15, 0.35))),
    )


def _session(
    w: World,
    g: Valley,
    sites: Sites,
    bap: str,
    wire: Wire,
    prng: random.Random,
    t: float,
    x: float,
    y: float,
    u: int,
    h: Habits,
) -> int:
    """One person's search (refined 2-4 times now and then) and perhaps a booking at the
    nearest site. Returns the searches made."""
    via, user = wire.via(prng), wire.user(u)
    txn = wire.txn(w, via, "a")
    r = prng.choice(h.radii)
    n = 1 + (prng.randint(2, 4) if prng.random() < h.refine else 0)
    lat, lon = g.ll1(x, y)
    for i in range(n):
        w.search(bap, t, lat, lon, r, via=via, user=user, txn=txn)
        if i + 1 == n:
            break
        t += prng.uniform(10, 150)
        if prng.random() < 0.6:
            r = prng.choice([v for v in h.radii if v != r] or [min(50.0, 2 * r)])
        else:
            d, a = prng.uniform(0.1, 0.6), prng.uniform(0, 2 * math.pi)
            nx, ny = x + d * math.cos(a), y + d * math.sin(a)
            if g.in_valley(nx, ny)[0] or g.near_far_city(nx, ny)[0]:
                x, y = nx, ny
                lat, lon = g.ll1(x, y)
    if prng.random() < h.book:
        k = sites.nearest(lat, lon)
        w.book(bap, t, sites.cpos[k], sites.ids[k], prng, confirm=h.confirm, user=user, txn=txn)
    return n


DISTRICT, TOWNS, TOWNSHIP, HILL, ROAD = range(5)
"""Where an app's users are."""


def _where(g: Valley, rng: np.random.Generator, which: F64) -> tuple[F64, F64]:
    n = which.size
    x, y = np.empty(n), np.empty(n)
    hubs: list[Sequence[Hub]] = [
        g.towns[g.district].hubs,
        [h for t in g.small_towns() for h in t.hubs],
        g.township.hubs,
        g.hill.hubs,
    ]
    for k, place in enumerate(hubs):
        m = which == k
        x[m], y[m] = g.people(rng, int(m.sum()), place)
    m = which == ROAD
    need = int(m.sum())
    rx, ry = g.on_road(rng, need + 20)
    while rx.size < need:
        rx, ry = g.on_road(rng, 2 * need + 20)
    x[m], y[m] = rx[:need], ry[:need]
    return x, y


def _app(
    w: World,
    g: Valley,
    c: Chargers,
    bap: str,
    wire: Wire,
    weights: Sequence[float],
    searches: float,
    h: Habits,
    shape: Sequence[float] | None = DAY,
) -> int:
    """About ``searches`` a day from sessions in the district town, the small towns, the
    township, the hill station or on the road (by ``weights``). Returns the searches made."""
    rng, prng = w.rng(bap), w.prng(bap)
    times = arrivals(rng, searches / (1 + 3 * h.refine), w.start, w.end, shape)
    p = np.asarray(weights, dtype=np.float64)
    which = rng.choice(p.size, size=times.size, p=p / p.sum()).astype(np.float64)
    x, y = _where(g, rng, which)
    who = rng.integers(0, wire.users, times.size)
    made = 0
    for i, t in enumerate(times.tolist()):
        made += _session(
            w, g, c.public, bap, wire, prng, t, float(x[i]), float(y[i]), int(who[i]), h
        )
    return made


def _ordinary(
    w: World,
    g: Valley,
    c: Chargers,
    label: str,
    size: float,
    *,
    pick: tuple[int, ...] | None = None,
) -> tuple[str, Wire, int]:
    bap = w.bap(label, f"ordinary app, ~{size:.0f} searches a day", "app")
    p = w.prng(bap + "habits")
    wire = _wire(p, bap, p.randint(max(5, int(size / 6)), max(20, int(size * 2))), pick=pick)
    h = _habits(p, (0.03, 0.12))
    weights = [
        p.uniform(2.0, 6.0),
        p.uniform(0.5, 2.5),
        p.uniform(0.2, 1.2),
        p.uniform(0.2, 1.5),
        p.uniform(0.1, 0.8),
    ]
    return bap, wire, _app(w, g, c, bap, wire, weights, size, h)


def _sizes(prng: random.Random, n: int) -> list[float]:
    """``n`` app sizes spread from 30 to 3,000 searches a day (log-uniform, stratified)."""
    out = [
        math.exp(math.log(30) + (i + prng.uniform(0.1, 0.9)) / n * math.log(100)) for i in range(n)
    ]
    prng.shuffle(out)
    return out


def _tiny(w: World, g: Valley, c: Chargers) -> None:
    bap = w.bap("honest", "tiny new app, under 30 searches a day", "tiny")
    p, rng = w.prng(bap + "tiny"), w.rng(bap + "tiny")
    users = p.randint(2, 8)
    wire = _wire(p, bap, users, refs=0.7)
    h = Habits(p.choice(((2.0, 5.0), (3.0,), (5.0, 10.0))), p.uniform(0.2, 0.35), 0.7, 0.1)
    days = max(1, round((w.end - w.start) / 86_400.0))
    times = world.exactly(rng, p.randint(5, 18) * days, w, DAY)
    which = rng.choice(5, size=len(times), p=[0.6, 0.2, 0.1, 0.1, 0.0]).astype(np.float64)
    x, y = _where(g, rng, which)
    for i, t in enumerate(times):
        _session(w, g, c.public, bap, wire, p, t, float(x[i]), float(y[i]), p.randrange(users), h)


# -- honest BAPs with habits of their own --------------------------------------------------------


def _steel_fleet(w: World, c: Chargers) -> None:
    """The steel plant's fleet console polls its depot chargers every 8-15 minutes round the
    clock and books on ~1 in 200-400 of its searches: it mostly just watches."""
    prng = w.prng("steel-fleet")
    s = c.depots
    n = len(s.ids)
    period = prng.uniform(540, 840)
    ratio = prng.uniform(200, 400)
    rounds: list[float] = []
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        rounds.append(t)
        t += min(900.0, max(480.0, period * prng.uniform(0.88, 1.12)))
    booked = set(
        prng.sample(range(len(rounds)), min(len(rounds), max(1, round(len(rounds) * n / ratio))))
    )
    bap = w.bap(
        "honest",
        f"steel plant fleet console: polls its {n} depot chargers every ~{period / 60:.0f} min "
        f"(jittered) round the clock, books on ~1 in {ratio:.0f} searches",
        "steel",
    )
    wire = _wire(prng, bap, prng.randint(2, 4), refs=0.8)
    radius = prng.choice((0.5, 1.0))
    for i, t in enumerate(rounds):
        via = wire.via(prng)
        user = wire.user(prng.randrange(wire.users))
        txn = wire.txn(w, via, "f")
        at = t
        for j in range(n):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, user=user, txn=txn)
            at += prng.uniform(0.3, 1.5)
        if i in booked:
            j = prng.randrange(n)
            w.book(bap, at, s.cpos[j], s.ids[j], prng, confirm=0.9, user=user, txn=txn)


def _bus_depot(w: World, c: Chargers) -> None:
    """The bus operator's depot console: its 3-6 chargers every 5-10 minutes from 04:00 to
    23:00, booking a bus onto one on ~15% of rounds."""
    prng = w.prng("bus")
    s = c.bus
    n = len(s.ids)
    period = prng.uniform(330, 570)
    book = prng.uniform(0.12, 0.18)
    bap = w.bap(
        "honest",
        f"bus depot console: its {n} chargers every ~{period / 60:.0f} min from 04:00 to 23:00, "
        f"books on {book:.0%} of rounds",
        "bus",
    )
    wire = _wire(prng, bap, 1, refs=0.5)
    via = wire.via(prng)
    radius = prng.choice((0.3, 0.5, 1.0))
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        if not _in_hours(t, BUS_HOURS):
            t += min(900.0, max(300.0, period * prng.uniform(0.95, 1.05)))
            continue
        txn = wire.txn(w, via, "b")
        user = wire.user(0)
        for j in range(n):
            w.search(
                bap,
                t + 1.5 * j,
                float(s.lat[j]),
                float(s.lon[j]),
                radius,
                via=via,
                user=user,
                txn=txn,
            )
        if prng.random() < book:
            j = prng.randrange(n)
            w.book(bap, t + 1.5 * n, s.cpos[j], s.ids[j], prng, confirm=0.95, user=user, txn=txn)
        t += min(600.0, max(300.0, period * prng.uniform(0.95, 1.05)))


def _tourist(w: World, g: Valley, c: Chargers) -> None:
    """Tourists drive up to the hill station in the morning (08-12) and down in the evening
    (15-20), a few at other hours either way; the head unit searches ahead every 5-20 km
    along the road at a wide radius; 8-15% of trips book a site near where they are going.
    Every trip is a transaction of its own."""
    prng, rng = w.prng("tourist"), w.rng("tourist")
    drivers = prng.randint(800, 3000)
    book = prng.uniform(0.08, 0.15)
    bap = w.bap(
        "honest",
        f"tourist app: head units search ahead every 5-20 km along the valley road, up "
        f"08-12, down 15-20; {book:.0%} of trips book",
        "tour",
    )
    wire = _wire(prng, bap, drivers, refs=0.9, pick=prng.choice(((0,), (0, 2), (2, 0))), txn3=True)
    length = g.road_length()
    starts = [0.5, g.township.s, g.towns[g.district].s]
    trips = [(t, 1.0) for t in _window(w, rng, prng.uniform(160, 320), UP).tolist()]
    trips += [(t, -1.0) for t in _window(w, rng, prng.uniform(160, 320), DOWN).tolist()]
    for t in arrivals(rng, prng.uniform(20, 50), w.start, w.end, DAY).tolist():
        trips.append((t, prng.choice((1.0, -1.0))))
    for t, way in trips:
        low = prng.choice(starts) + prng.uniform(-0.4, 0.4)
        if prng.random() < 0.2:  # to or from a town part way up
            town = prng.choice(g.towns)
            high = town.s if town.s > low + 10 else length
        else:
            high = length - prng.uniform(0.0, 0.5)
        a, b = (low, high) if way > 0 else (high, low)
        speed = prng.uniform(30, 50) / 3600
        u = prng.randrange(drivers)
        via, user = wire.via(prng), wire.user(u)
        txn = wire.txn(w, via, "h")
        r = prng.choice((10.0, 15.0, 25.0))
        d, tau = a, 0.0
        while (b - d) * way > 0:
            x, y = g.road_at(d)
            la, lo = g.ll1(x + prng.gauss(0, 0.02), y + prng.gauss(0, 0.02))
            w.search(bap, t + tau, la, lo, r, via=via, user=user, txn=txn)
            step = prng.uniform(5, 20)
            d += way * step
            tau += step / speed
        if prng.random() < book:
            la, lo = g.ll1(*g.road_at(b))
            k = c.public.nearest(la, lo)
            s = c.public
            w.book(bap, t + tau, s.cpos[k], s.ids[k], prng, confirm=0.8, user=user, txn=txn)


def _tea(w: World, g: Valley, c: Chargers) -> None:
    """The tea estates' logistics office: a few dozen searches in office hours around the
    small towns (the gardens are on the slopes above them); ~30% of sessions book."""
    prng, rng = w.prng("tea"), w.rng("tea")
    bap = w.bap(
        "honest", "tea-estate logistics app: office hours, a few dozen searches, ~30% book", "tea"
    )
    wire = _wire(prng, bap, prng.randint(4, 12), refs=1.0, pick=(prng.randrange(3),))
    h = Habits((5.0, 10.0), prng.uniform(0.27, 0.33), 0.85, 0.0)
    times = _window(w, rng, prng.uniform(22, 40), OFFICE)
    hubs = [(t.x, t.y, 0.8, 1.0) for t in g.small_towns()]
    x, y = g.people(rng, times.size, hubs)
    for i, t in enumerate(times.tolist()):
        _session(
            w,
            g,
            c.public,
            bap,
            wire,
            prng,
            t,
            float(x[i]),
            float(y[i]),
            prng.randrange(wire.users),
            h,
        )


def _township(w: World, g: Valley, c: Chargers) -> None:
    """The steel township's residents: a low daily rhythm and a crowd at each shift change
    (an hour from 05:30, 13:30 and 21:30 IST); ~15% of sessions book."""
    prng, rng = w.prng("township"), w.rng("township")
    residents = prng.randint(800, 3000)
    bap = w.bap(
        "honest",
        f"steel township residents' app: {residents} residents, crowds at the three shift "
        "changes, ~15% of sessions book",
        "town",
    )
    wire = _wire(prng, bap, residents, refs=0.7)
    h = Habits((1.0, 2.0, 5.0), prng.uniform(0.13, 0.17), 0.8, 0.1)
    times = [arrivals(rng, prng.uniform(200, 400), w.start, w.end, DAY)]
    for start in SHIFTS:
        times.append(_window(w, rng, prng.uniform(150, 300), (start, start + 1.0)))
    every = np.sort(np.concatenate(times))
    hubs = (*g.township.hubs, (*g.plant, 0.3, 0.6))
    x, y = g.people(rng, every.size, hubs)
    for i, t in enumerate(every.tolist()):
        _session(
            w,
            g,
            c.public,
            bap,
            wire,
            prng,
            t,
            float(x[i]),
            float(y[i]),
            prng.randrange(residents),
            h,
        )


def _aggregator(w: World, g: Valley, c: Chargers) -> tuple[str, Wire, int]:
    """A national aggregator: 90-95% of its searches in far cities, the rest in the valley."""
    bap = w.bap("honest", "national aggregator: most traffic in far cities", "agg")
    prng, rng = w.prng(bap), w.rng(bap)
    wire = _wire(prng, bap, 80_000, refs=0.5, pick=prng.choice(((0, 1), (1, 2), (0, 2))))
    h = _habits(prng, (0.05, 0.12))
    valley = prng.uniform(0.055, 0.095)
    total = prng.uniform(8000, 13000)
    made = _app(w, g, c, bap, wire, [3.0, 1.0, 0.3, 1.0, 0.6], total * valley, h)
    fx, fy = g.people_far(rng, 300)
    flat, flon = g.ll(fx, fy)
    owners = [c.cpos[int(i)] for i in rng.integers(0, len(c.cpos), fx.size)]
    there = Sites([f"vl-far-{i:03d}" for i in range(fx.size)], owners, flat, flon)
    times = arrivals(rng, total * (1 - valley) / (1 + 3 * h.refine), w.start, w.end, DAY)
    x, y = g.people_far(rng, times.size)
    who = rng.integers(0, wire.users, times.size)
    for i, t in enumerate(times.tolist()):
        made += _session(w, g, there, bap, wire, prng, t, float(x[i]), float(y[i]), int(who[i]), h)
    return bap, wire, made


def _taxi(w: World, g: Valley, c: Chargers) -> None:
    """Taxi drivers waiting at a stand search its exact point every 2-8 minutes for the
    20-60 minutes they wait; 4-10% of searches end in a booking."""
    prng, rng = w.prng("taxi"), w.rng("taxi")
    drivers = prng.randint(110, 220)
    target = prng.uniform(0.045, 0.095)
    bap = w.bap(
        "honest",
        f"taxi-stand app: {drivers} drivers search their stand ({len(g.stands)} stands) many "
        f"times an hour while waiting, {target:.0%} of searches booked",
        "taxi",
    )
    wire = _wire(prng, bap, drivers, refs=0.9)
    home = [prng.randrange(len(g.stands)) for _ in range(drivers)]
    nearest = []
    for sx, sy in g.stands:
        nearest.append(c.public.nearest(*g.ll1(sx, sy)))
    for t in arrivals(rng, drivers * prng.uniform(2.0, 3.5), w.start, w.end, DAY).tolist():
        u = prng.randrange(drivers)
        k = home[u] if prng.random() < 0.85 else prng.randrange(len(g.stands))
        la, lo = g.ll1(*g.stands[k])
        via, user = wire.via(prng), wire.user(u)
        txn = wire.txn(w, via, "x")
        r = prng.choice((1.0, 2.0, 3.0))
        until, n = t + prng.uniform(20, 60) * 60, 0
        while t < until:
            w.search(bap, t, la, lo, r, via=via, user=user, txn=txn)
            n += 1
            t += prng.uniform(120, 480)
        if prng.random() < min(0.95, target * n / 0.85):
            j = nearest[k]
            s = c.public
            w.book(
                bap,
                t - prng.uniform(60, 110),
                s.cpos[j],
                s.ids[j],
                prng,
                confirm=0.85,
                user=user,
                txn=txn,
            )


# -- scrapers hidden in apps ----------------------------------------------------------------------


def road_points(g: Valley, step: float) -> tuple[F64, F64, F64]:
    """Points every ``step`` km along the valley road from its start: (x, y, km along)."""
    s = np.arange(0.0, g.road_length(), step)
    x, y = along(g.road, s)
    return x, y, s


def _hidden_road(w: World, g: Valley, c: Chargers, size: float) -> None:
    """A sweep along the valley road, up and back down, hidden in an ordinary app."""
    bap, wire, made = _ordinary(w, g, c, "hidden_sweep", size)
    prng, rng = w.prng(bap + "road"), w.rng(bap + "road")
    share = prng.uniform(0.09, 0.23)
    step = prng.uniform(1.0, 2.0)
    x, y, _ = road_points(g, step)
    lat, lon = g.ll(x, y)
    order = [*range(x.size), *range(x.size - 2, 0, -1)]  # up the valley, then back down
    radius = prng.choice((2.0, 3.0, 5.0))
    k = prng.randrange(len(order))
    for t in world.exactly(rng, world.share_of(made, share), w, None):
        via = wire.via(prng)
        j = order[k]
        w.search(
            bap,
            t,
            float(lat[j]),
            float(lon[j]),
            radius,
            via=via,
            txn=wire.txn(w, via, "r"),
            scraping=True,
        )
        k = (k + 1) % len(order)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"road sweep: a point every {step:.2f} km along the winding valley road ({x.size} "
        f"points), up and back down, {radius} km radius, no user ref; "
        f"{got / max(1, got + made):.0%} of an ordinary app",
    )


def district_lattice(g: Valley, step: float) -> tuple[F64, F64]:
    """A square ``step`` km lattice on the district town's centre, its nodes in the town."""
    d = g.towns[g.district]
    n = int(d.radius / step) + 1
    ii, jj = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    x = d.x + jj.ravel().astype(np.float64) * step
    y = d.y + ii.ravel().astype(np.float64) * step
    keep = (np.hypot(x - d.x, y - d.y) <= d.radius - 0.35) & (g.in_valley(x, y) > 0)
    return x[keep], y[keep]


def _hidden_lattice(w: World, g: Valley, c: Chargers, size: float) -> None:
    """A jittered lattice over the district town, a new random order each pass, its times
    drawn on the app's own daily rhythm, hidden in an ordinary app that splits its traffic
    over a gateway that sends transaction ids and one that does not."""
    bap, wire, made = _ordinary(w, g, c, "hidden_sweep", size, pick=(0, 1))
    prng, rng = w.prng(bap + "lattice"), w.rng(bap + "lattice")
    share = prng.uniform(0.06, 0.14)
    step = prng.uniform(1.5, 3.0)
    lo, hi = 0.1, 0.3
    x, y = district_lattice(g, step)
    radius = prng.choice((1.5, 2.0, 3.0))
    order: list[int] = []
    for t in world.exactly(rng, world.share_of(made, share), w, DAY):
        if not order:
            order = prng.sample(range(x.size), x.size)
        j = order.pop()
        d, a = prng.uniform(lo, hi), prng.uniform(0, 2 * math.pi)
        la, ln = g.ll1(float(x[j]) + d * math.cos(a), float(y[j]) + d * math.sin(a))
        via = wire.via(prng)
        w.search(bap, t, la, ln, radius, via=via, txn=wire.txn(w, via, "l"), scraping=True)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"jittered lattice: a {step:.4f} km lattice of {x.size} nodes over the district town, "
        f"each visit {lo * 1000:.0f}-{hi * 1000:.0f} m off its node, a new random order each "
        f"pass, on the app's daily rhythm, {radius} km radius; "
        f"{got / max(1, got + made):.0%} of an ordinary app",
    )


def drifting_rounds(w: World, prng: random.Random) -> list[tuple[float, float]]:
    """Round times of a poll whose period drifts: each period (6-30 minutes, at least 3
    minutes from the last) lasts 1-3 hours. Returns (round time, period)."""
    out: list[tuple[float, float]] = []
    t = w.start + prng.uniform(0, 600)
    period = prng.uniform(360, 1800)
    while t < w.end:
        until = t + prng.uniform(1.0, 3.0) * HOUR
        while t < until and t < w.end:
            out.append((t, period))
            t += period * prng.uniform(0.98, 1.02)
        last = period
        while abs(period - last) < 180:
            period = prng.uniform(360, 1800)
    return out


def _hidden_drift(w: World, c: Chargers, bap: str, wire: Wire, made: int) -> None:
    """A poll of 8-20 valley chargers, its period drifting, hidden in the aggregator."""
    prng = w.prng(bap + "drift")
    target = prng.uniform(0.06, 0.13)
    rounds = drifting_rounds(w, prng)
    n = min(20, max(8, round(world.share_of(made, target) / max(1, len(rounds)))))
    pool = prng.sample(range(len(c.public.ids)), n)
    radius = prng.choice((0.5, 1.0, 2.0))
    s = c.public
    for t, _ in rounds:
        via = wire.via(prng)
        txn = wire.txn(w, via, "q")
        at = t
        for j in pool:
            w.search(
                bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn, scraping=True
            )
            at += prng.uniform(0.5, 2.0)
    got = len(w.scraping.get(bap, []))
    periods = sorted({round(p / 60) for _, p in rounds})
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"national aggregator hiding a drifting poll of {n} valley chargers (periods of "
        f"{periods[0]}-{periods[-1]} min, each lasting 1-3 h); {got / max(1, got + made):.0%} "
        "of its searches",
    )


# -- scrapers of their own ------------------------------------------------------------------------


def valley_grid(g: Valley, step: float) -> tuple[F64, F64, F64]:
    """A square ``step`` km lattice over the valley's bounding box, kept where it falls in
    the valley: (x, y, the node's index in the whole box's raster order)."""
    pts = [*g.river, *((p.x, p.y) for p in g.places())]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    pad = g.half_width + 5.0
    x0, y0 = math.floor((min(xs) - pad) / step) * step, math.floor((min(ys) - pad) / step) * step
    nx = int((max(xs) + pad - x0) / step) + 1
    ny = int((max(ys) + pad - y0) / step) + 1
    ii, jj = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    x = x0 + jj.ravel().astype(np.float64) * step
    y = y0 + ii.ravel().astype(np.float64) * step
    index = np.arange(x.size, dtype=np.float64)
    keep = g.in_valley(x, y) > 0
    return x[keep], y[keep], index[keep]


def _sybil(w: World, g: Valley, keys: int) -> None:
    """One scraper's lattice over the valley split across ``keys`` BAP keys: key r takes
    every k-th node of the raster (index = r mod k), each sweeping its own, sparser,
    lattice at its own pace through its own gateways."""
    prng = w.prng("sybil")
    step = prng.uniform(1.8, 2.6)
    radius = prng.choice((2.0, 3.0))
    x, y, index = valley_grid(g, step)
    lat, lon = g.ll(x, y)
    first = len(w.baps)
    for r in range(keys):
        mine = np.flatnonzero(index.astype(np.int64) % keys == r)
        rate = prng.uniform(40, 100)
        bap = w.bap(
            "sweeper",
            f"sybil key {r + 1} of {keys} (from BAP #{first + 1}): every {keys}th node of one "
            f"{step:.4f} km lattice over the valley ({mine.size} of {x.size}), {rate:.0f}/h",
            "syb",
        )
        p = w.prng(bap + "sybil")
        wire = _wire(p, bap, 1, refs=0.0)
        t, k = w.start + p.uniform(0, 120), p.randrange(mine.size)
        while t < w.end:
            j = int(mine[k])
            via = wire.via(p)
            w.search(
                bap,
                t,
                float(lat[j]),
                float(lon[j]),
                radius,
                via=via,
                txn=wire.txn(w, via, "y"),
                scraping=True,
            )
            k = (k + 1) % mine.size
            t += 3600 / rate * p.uniform(0.7, 1.3)


def _rotating(w: World, g: Valley) -> None:
    """A sweeper over the district town's exact lattice points, raster order, its radius
    turning among three values each round."""
    prng = w.prng("rotating")
    step = prng.uniform(1.0, 1.6)
    per_hour = prng.uniform(60, 150)
    radii = prng.choice(((1.0, 2.0, 3.0), (1.5, 3.0, 5.0), (2.0, 4.0, 8.0)))
    x, y = district_lattice(g, step)
    lat, lon = g.ll(x, y)
    bap = w.bap(
        "sweeper",
        f"rotating-radius sweeper: {x.size} exact points {step:.2f} km apart over the district "
        f"town, raster order, radius {radii} turn by turn each round, {per_hour:.0f}/h",
        "swp",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    t, k, turn = w.start + prng.uniform(0, 60), 0, 0
    while t < w.end:
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            radii[turn % 3],
            via=via,
            txn=wire.txn(w, via, "w"),
            scraping=True,
        )
        k += 1
        if k == x.size:
            k, turn = 0, turn + 1
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _poller(w: World, c: Chargers) -> None:
    """10-30 chargers in a round, each round's gap drawn afresh (10-40 minutes)."""
    prng = w.prng("poller")
    s = c.public
    pick = prng.sample(range(len(s.ids)), prng.randint(10, min(30, len(s.ids))))
    bap = w.bap(
        "poller",
        f"polls {len(pick)} chargers in rounds, each round's gap drawn in 10-40 min",
        "poll",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    user = f"{bap}/ops" if prng.random() < 0.5 else ""
    radius = prng.choice((0.5, 1.0))
    t = w.start + prng.uniform(0, 600)
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "p")
        for n, j in enumerate(pick):
            w.search(
                bap,
                t + n * 0.8,
                float(s.lat[j]),
                float(s.lon[j]),
                radius,
                via=via,
                user=user,
                txn=txn,
                scraping=True,
            )
        t += prng.uniform(600, 2400)


def _booking_scraper(w: World, g: Valley, c: Chargers) -> None:
    """A lattice sweep over the valley that selects on 1-2% of its searches, confirms about
    half of those, and cancels most confirms within 10 minutes."""
    prng = w.prng("booker")
    step = prng.uniform(1.5, 2.5)
    per_hour = prng.uniform(50, 120)
    sel = prng.uniform(0.01, 0.02)
    bap = w.bap(
        "booking_scraper",
        f"{step:.1f} km lattice over the valley at {per_hour:.0f}/h, selects on {sel:.1%}, "
        "confirms half, cancels most within 10 min",
        "bk",
    )
    wire = _wire(prng, bap, prng.randint(3, 6), refs=1.0, pick=(prng.choice((0, 2)),), txn3=True)
    x, y, _ = valley_grid(g, step)
    lat, lon = g.ll(x, y)
    s = c.public
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "k")
        user = wire.user(prng.randrange(wire.users))
        la, lo = float(lat[k]), float(lon[k])
        w.search(bap, t, la, lo, 3.0, via=via, user=user, txn=txn, scraping=True)
        if prng.random() < sel:
            j = s.nearest(la, lo)
            at = t + prng.uniform(15, 90)
            w.funnel(bap, at, FunnelKind.SELECT, s.cpos[j], s.ids[j], user=user, txn=txn)
            if prng.random() < 0.5:
                at += prng.uniform(10, 60)
                w.funnel(bap, at, FunnelKind.INIT, s.cpos[j], s.ids[j], user=user, txn=txn)
                at += prng.uniform(5, 30)
                w.funnel(bap, at, FunnelKind.CONFIRM, s.cpos[j], s.ids[j], user=user, txn=txn)
                if prng.random() < 0.8:
                    at += prng.uniform(60, 590)
                    w.funnel(bap, at, FunnelKind.CANCEL, s.cpos[j], s.ids[j], user=user, txn=txn)
        k = (k + 1) % x.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _low_and_slow(w: World, g: Valley, refs: bool) -> None:
    """3-15 searches an hour on people's daily rhythm, centres from a coarse lattice over
    the valley in a random order each pass; user references that all change at 03:00 IST
    each day, or none."""
    key = f"slow{len(w.baps)}"
    prng, rng = w.prng(key), w.rng(key)
    rate = prng.uniform(3, 15)
    step = prng.uniform(5.0, 8.0)
    users = prng.randint(2, 5)
    bap = w.bap(
        "low_and_slow",
        f"{rate:.0f}/h on people's daily rhythm over a {step:.1f} km lattice in random order, "
        + (f"{users} user refs rotating daily at 03:00" if refs else "no user refs"),
        "slow",
    )
    wire = _wire(prng, bap, 1, refs=0.0, pick=(prng.randrange(3),))
    x, y, _ = valley_grid(g, step)
    lat, lon = g.ll(x, y)
    radius = prng.choice((5.0, 8.0, 10.0))
    order: list[int] = []
    for t in arrivals(rng, rate * 24, w.start, w.end, DAY).tolist():
        if not order:
            order = prng.sample(range(x.size), x.size)
        j = order.pop()
        day = int((t - _midnight(w.start) - ROTATE * HOUR) // 86_400)
        user = f"{bap}/d{day + 1}u{prng.randrange(users)}" if refs else ""
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(lat[j]),
            float(lon[j]),
            radius,
            via=via,
            user=user,
            txn=wire.txn(w, via, "s"),
            scraping=True,
        )


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * HOUR)
    g = geography(seed)
    c = chargers(seed, g)
    plan = w.prng("plan")
    keys, slow, tiny = plan.randint(3, 5), plan.randint(2, 3), plan.randint(2, 3)
    # the others: five of the valley's own, the aggregator, the taxi app, two hosts and the
    # rotating sweeper, poller and booking scraper
    others = 5 + 1 + 1 + tiny + 2 + keys + 3 + slow
    ordinary = max(plan.randint(10, 14), 30 - others)
    sizes = _sizes(plan, ordinary)
    _steel_fleet(w, c)
    _bus_depot(w, c)
    _tourist(w, g, c)
    _tea(w, g, c)
    _township(w, g, c)
    for size in sizes:
        _ordinary(w, g, c, "honest", size)
    for _ in range(tiny):
        _tiny(w, g, c)
    _taxi(w, g, c)
    _hidden_road(w, g, c, plan.uniform(1200, 2600))
    _hidden_lattice(w, g, c, plan.uniform(1500, 3000))
    bap, wire, made = _aggregator(w, g, c)
    _hidden_drift(w, c, bap, wire, made)
    _sybil(w, g, keys)
    _rotating(w, g)
    _poller(w, c)
    _booking_scraper(w, g, c)
    for i in range(slow):
        _low_and_slow(w, g, refs=i == 0 or (i == 2 and plan.random() < 0.5))
    return w.done()
