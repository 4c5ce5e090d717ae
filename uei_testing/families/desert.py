"""Family ``desert``: a desert tourism-and-energy region on a weekend day (a Saturday, IST).

A walled fort city on a hill: a narrow old town within the walls (0.8-1.2 km in radius) and
a new town outside them (3.5-5 km, 3-5 hubs), with the fair grounds just outside the walls;
a military cantonment (1.2-2 km in radius) just outside the city where nobody searches and
no charger stands (a hole in the traffic); a national highway crossing the region (120-180
km of it, 2-3 bends) passing 2.5-4 km from the city, with sparse charging stops every 40-90
km and 3-5 dhabas; a railway junction town on the highway 60-80 km from the city; a spur road
from the city out to a sand-dune camp cluster 35-50 km away (a dhaba halfway); a wind-farm
belt along a ridge 20-30 km from the city with its maintenance depot; a solar park 12-25 km
out with its own depot; 4-6 far cities for the national apps. Distances and bearings are
seeded, so the places move with the seed. 50-90 charging sites: the wind-farm operator's own
(its depot's and its turbine sites'; it is also a CPO, ``cpo-windco.desert.example``), the
solar park depot's (run by a contractor CPO, ``cpo-sunfield``), the city's, the camps', the
highway's and the junction's, and a cab fleet's depot, owned by six CPOs in all
(``cpo-<name>.desert.example``).

The day: a fair in the fort city's grounds from 16:00 to 22:00 with a visitor surge;
tourists drive out to the dune camps 14:00-17:00 and back 21:00-01:00; highway traffic day
and night (long-haul buses at night); wind-farm shifts change at 07:00 and 19:00.

Honest BAPs: a tourism app (most users: the old town, the fair, the camps and the drive out
and back); a national aggregator (80-90% of its traffic in the far cities); two or three
city apps of different sizes; two or three tiny new apps (a handful of users, under 30
searches a day); a long-haul bus operator's head units and a car brand's head units
refreshing nearby chargers every 2-6 km as the vehicles drive the highway and the spur road,
at night too (each trip one transaction where the gateway reports ids; 4-10% of trips book;
refreshes repeat at one spot while parked at a dhaba); the wind-farm operator's maintenance
console (its depot's and turbine sites' chargers on a fixed clock every 10, 15 or 20
minutes day and night, two staff checking around each shift change, booking about 1 in
120-250 searches); the solar park's O&M console (the contractor's depot chargers every
20-40 minutes on the clock in daylight, booking about 1 in 80-150); a camp-resort app whose
staff book guests' charging (converts well); a taxi-stand app at the railway junction
(trains day and night); a fleet dispatch for tourist cabs checking its depot's chargers
every 15 minutes day and night, booking about a third of its searches; the fair's own
visitor app; 3-5 CPOs' own apps booking their own chargers.

Scrapers: a lattice over the fort city turned by a seeded angle, visited row by row with the
rows alternating direction (boustrophedon) in rounds at a steady period, exact nodes on odd
seeds and 30-80 m off them on even ones, hidden in a real city app at 8-25% of its searches
(``hidden_sweep``); a fake head unit driving virtual trips along every piece of the highway
and the spur road in rounds, refreshing every 3-5 km like a head unit, each trip a
transaction of its own (where the gateway reports ids), never booking, hidden in a trip-
planner app with a real drive mode at 5-10% of its searches (``hidden_sweep``); a poll of
the highway's, the dhabas' and the camps' chargers hidden in a second national aggregator,
each round a random 60-90% of the list, gaps drawn in 8-20 minutes, never booking
(``hidden_poll``); a poller of the fair grounds' and city chargers whose period is drawn per
round in 5-25 minutes, a poller of the junction's and highway's chargers behind a tiny app's
key, and on some seeds a fixed-period poll of the old town's chargers (``poller``); a grid
over the inhabited land (the city, the junction town, the camps) whose every round is offset
by half a step from the previous one (``sweeper``); a sweep booking about 1% of its searches
and cancelling each booking within 5-20 minutes (``booking_scraper``); an office-hours
scraper (10:00-18:00 IST) of chargers' exact spots in random order with 3-12 minute gaps,
and a slow sweep of chargers' spots spread over three BAP keys (``low_and_slow``). Hidden
scrapers send no user reference.

Gateways: ``bg.desert.example`` always reports transaction ids, ``bg2`` never, ``bg3`` for
some apps; an app uses one gateway or splits its traffic over two. User references from all,
some or none of an app's users.

Written by a separate session from a brief, independently of the detector's rules, as a
held-out family (never scored while it was written).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from uei.antiabuse.scraping.events import FunnelKind
from uei_testing.families import world
from uei_testing.families.wire import Wire, Wiring
from uei_testing.families.world import F64, HOUR, KM_LAT, Sites, Truth, World, arrivals, ist_hours

NAME = "desert"
GATEWAYS = ("bg.desert.example", "bg2.desert.example", "bg3.desert.example")
"""``bg`` always reports transaction ids, ``bg2`` never, ``bg3`` as the app chooses."""
CPO_NAMES = ("dunegrid", "sandvolt", "tharlink", "oasis", "sunfield")
WIND_CPO = "cpo-windco.desert.example"
"""The wind-farm operator runs its own depot's and turbine sites' chargers."""
SOLAR_CPO = "cpo-sunfield.desert.example"
"""The contractor running the solar park's depot chargers (and some public ones)."""
# fmt: off
DAY = (0.3, 0.15, 0.08, 0.06, 0.08, 0.2, 0.45, 0.75, 1.0, 1.25, 1.4, 1.4,
       1.3, 1.2, 1.3, 1.45, 1.7, 1.9, 2.0, 1.95, 1.75, 1.45, 1.05, 0.6)
"""A Saturday (IST hours): late mornings, a long busy evening with the fair."""
ROAD_NIGHT = (1.6, 1.6, 1.5, 1.4, 1.2, 1.0, 0.8, 0.6, 0.5, 0.5, 0.5, 0.5,
              0.5, 0.5, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.4, 1.5, 1.6, 1.6)
"""Long-haul buses run mostly at night."""
# fmt: on
FAIR = (16.0, 22.0)
OUT = (14.0, 17.0)
"""Tourists drive out to the dune camps."""
BACK = (21.0, 25.0)
"""And back (past 24 runs into the next day: 21:00-01:00)."""
SHIFTS = (7.0, 19.0)
"""The wind farm's shift changes; two staff check the chargers for 45 minutes either side."""
SHIFT_HALF = 0.75
DAYLIGHT = (6.0, 19.0)
OFFICE = (10.0, 18.0)
CAB_PERIOD = 900.0
Point = tuple[float, float]
Hub = tuple[float, float, float, float]
"""(x km east, y km north, spread km, weight)."""


# -- geography ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Disk:
    x: float
    y: float
    r: float
    hubs: tuple[Hub, ...]


@dataclass(frozen=True, slots=True)
class Road:
    """A polyline in km with its arc lengths."""

    verts: tuple[Point, ...]
    cum: tuple[float, ...]

    @staticmethod
    def of(verts: Sequence[Point]) -> Road:
        vs = [p for k, p in enumerate(verts) if k == 0 or p != verts[k - 1]]
        cum = [0.0]
        for a, b in itertools.pairwise(vs):
            cum.append(cum[-1] + math.hypot(b[0] - a[0], b[1] - a[1]))
        return Road(tuple(vs), tuple(cum))

    @property
    def length(self) -> float:
        return self.cum[-1]

    def at(self, s: float) -> Point:
        s = min(max(s, 0.0), self.cum[-1])
        k = min(max(bisect.bisect_right(self.cum, s) - 1, 0), len(self.verts) - 2)
        seg = self.cum[k + 1] - self.cum[k]
        f = (s - self.cum[k]) / seg if seg > 0 else 0.0
        (ax, ay), (bx, by) = self.verts[k], self.verts[k + 1]
        return ax + f * (bx - ax), ay + f * (by - ay)

    def heading(self, s: float) -> float:
        a, b = self.at(s - 0.25), self.at(s + 0.25)
        return math.atan2(b[1] - a[1], b[0] - a[0])

    def sub(self, a: float, b: float) -> Road:
        """From arc ``a`` to arc ``b`` (backwards when ``b < a``)."""
        lo, hi = min(a, b), max(a, b)
        inner = [v for v, c in zip(self.verts, self.cum, strict=True) if lo < c < hi]
        verts = [self.at(lo), *inner, self.at(hi)]
        return Road.of(verts if a <= b else verts[::-1])

    def project(self, p: Point) -> tuple[float, float]:
        """(distance from the road, arc length of the nearest point)."""
        best, where = 1e18, 0.0
        for k in range(len(self.verts) - 1):
            (ax, ay), (bx, by) = self.verts[k], self.verts[k + 1]
            dx, dy = bx - ax, by - ay
            seg2 = dx * dx + dy * dy
            f = 0.0 if seg2 == 0 else ((p[0] - ax) * dx + (p[1] - ay) * dy) / seg2
            f = min(1.0, max(0.0, f))
            d = math.hypot(p[0] - ax - f * dx, p[1] - ay - f * dy)
            if d < best:
                best, where = d, self.cum[k] + f * math.sqrt(seg2)
        return best, where

    def distance(self, p: Point) -> float:
        return self.project(p)[0]


@dataclass(frozen=True, slots=True)
class Desert:
    """The region in km east (``x``) and north (``y``) of the fort's centre."""

    lat: float
    lon: float
    km_lon: float
    old: Disk
    """The walled old town on the hill."""
    new: Disk
    """The new town around the walls (``r`` is how far the city reaches)."""
    fair: Point
    cantonment: Disk
    highway: Road
    city_s: float
    """Where the highway passes the city (its arc length)."""
    junction: Disk
    junction_s: float
    spur: Road
    """From the city's edge out to the dune camps."""
    camps: Disk
    ridge: tuple[Point, Point]
    turbines: tuple[Point, ...]
    wind_depot: Point
    solar: Disk
    solar_depot: Point
    dhabas: tuple[Point, ...]
    stops: tuple[float, ...]
    """The highway's charging stops (arc lengths)."""
    bus_stand: Point
    cab_depot: Point
    far: tuple[Hub, ...]

    # -- coordinates ------------------------------------------------------------------------

    def ll(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        return (
            np.asarray(self.lat + np.asarray(y, dtype=np.float64) / KM_LAT, dtype=np.float64),
            np.asarray(self.lon + np.asarray(x, dtype=np.float64) / self.km_lon, np.float64),
        )

    def ll1(self, x: float, y: float) -> tuple[float, float]:
        return self.lat + y / KM_LAT, self.lon + x / self.km_lon

    def xy(self, lat: F64 | float, lon: F64 | float) -> tuple[F64, F64]:
        return (
            np.asarray((np.asarray(lon, dtype=np.float64) - self.lon) * self.km_lon, np.float64),
            np.asarray((np.asarray(lat, dtype=np.float64) - self.lat) * KM_LAT, np.float64),
        )

    # -- where things are -------------------------------------------------------------------

    def in_cantonment(self, x: F64 | float, y: F64 | float, margin: float = 0.0) -> F64:
        k = self.cantonment
        px = np.atleast_1d(np.asarray(x, dtype=np.float64))
        py = np.atleast_1d(np.asarray(y, dtype=np.float64))
        return np.asarray(np.hypot(px - k.x, py - k.y) <= k.r + margin, dtype=np.float64)

    def inside_cantonment(self, x: float, y: float, margin: float = 0.0) -> bool:
        k = self.cantonment
        return math.hypot(x - k.x, y - k.y) <= k.r + margin

    def people(self, rng: np.random.Generator, n: int, hubs: Sequence[Hub]) -> tuple[F64, F64]:
        """``n`` points around ``hubs`` (drawn by weight), none in the cantonment."""
        hs = np.asarray(hubs, dtype=np.float64)
        xs: list[F64] = [np.zeros(0)]
        ys: list[F64] = [np.zeros(0)]
        got = 0
        while got < n:
            m = 2 * (n - got) + 8
            pick = rng.choice(len(hs), size=m, p=hs[:, 3] / hs[:, 3].sum())
            x = hs[pick, 0] + rng.normal(0, 1, m) * hs[pick, 2]
            y = hs[pick, 1] + rng.normal(0, 1, m) * hs[pick, 2]
            keep = self.in_cantonment(x, y, 0.15) == 0
            xs.append(x[keep])
            ys.append(y[keep])
            got += int(keep.sum())
        return np.concatenate(xs)[:n], np.concatenate(ys)[:n]

    def inhabited(self) -> tuple[Disk, ...]:
        """Where people live: the city, the junction town and the camps."""
        return (
            Disk(0.0, 0.0, self.new.r + 0.5, ()),
            Disk(self.junction.x, self.junction.y, self.junction.r + 0.3, ()),
            Disk(self.camps.x, self.camps.y, self.camps.r + 0.3, ()),
        )

    def near_far_city(self, x: F64, y: F64) -> F64:
        ok = np.zeros(np.asarray(x).size, dtype=bool)
        for fx, fy, spread, _ in self.far:
            ok |= np.hypot(x - fx, y - fy) <= 6 * spread
        return np.asarray(ok, dtype=np.float64)


def _unit(a: float) -> Point:
    return math.cos(a), math.sin(a)


def _seg_distance(p: Point, a: Point, b: Point) -> float:
    return Road.of([a, b]).distance(p)


def _road_gap(a: Road, b: Road, step: float = 1.0) -> float:
    """The least distance between two roads (sampled along ``a``)."""
    n = max(2, int(a.length / step) + 1)
    return min(b.distance(a.at(a.length * k / (n - 1))) for k in range(n))


def geography(seed: int) -> Desert:
    """The region of a seed."""
    rng = np.random.default_rng([seed, *b"desert-geography"])

    def u(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi))

    def sign() -> float:
        return float(rng.choice([-1.0, 1.0]))

    lat0, lon0 = u(24.5, 28.5), u(69.8, 74.5)
    km_lon = 111.320 * math.cos(math.radians(lat0))
    for _ in range(200):
        ro = u(0.8, 1.2)
        a = u(0, 2 * math.pi)
        old = Disk(
            0.0,
            0.0,
            ro,
            ((0.0, 0.0, 0.3 * ro, 1.5), (0.4 * ro * math.cos(a), 0.4 * ro * math.sin(a), 0.2, 0.8)),
        )
        big = u(3.5, 5.0)
        hubs: list[Hub] = []
        for _k in range(int(rng.integers(3, 6))):
            d, b = u(ro + 0.7, 0.8 * big), u(0, 2 * math.pi)
            hubs.append((d * math.cos(b), d * math.sin(b), u(0.4, 0.22 * big), u(0.5, 1.5)))
        new = Disk(0.0, 0.0, big, tuple(hubs))
        # the highway: 120-180 km, 2-3 bends, passing 2.5-4 km from the city
        length = u(120, 180)
        bends = int(rng.integers(2, 4))
        parts = rng.uniform(0.6, 1.4, bends + 1)
        parts = parts / parts.sum() * length
        heading = u(0, 2 * math.pi)
        verts: list[Point] = [(0.0, 0.0)]
        for k, part in enumerate(parts.tolist()):
            if k:
                heading += sign() * u(0.15, 0.45)
            x, y = verts[-1]
            verts.append((x + part * math.cos(heading), y + part * math.sin(heading)))
        far_off = u(60, 80)
        ahead = sign()
        city_s = u(15, length - 8 - far_off) if ahead > 0 else u(far_off + 8, length - 15)
        junction_s = city_s + ahead * far_off
        road = Road.of(verts)
        px, py = road.at(city_s)
        nx, ny = _unit(road.heading(city_s) + math.pi / 2)
        side, dc = sign(), u(2.5, 4.0)
        sx, sy = -(px + side * dc * nx), -(py + side * dc * ny)
        highway = Road.of([(x + sx, y + sy) for x, y in verts])
        if highway.distance((0.0, 0.0)) < 2.4:
            continue
        # the junction town 0.8-1.5 km off the highway
        jx, jy = highway.at(junction_s)
        jn = _unit(highway.heading(junction_s) + math.pi / 2)
        off, jr = sign() * u(0.8, 1.5), u(1.5, 2.5)
        jx, jy = jx + off * jn[0], jy + off * jn[1]
        jhubs: list[Hub] = [(jx, jy, 0.4 * jr, 1.5)]
        for _k in range(int(rng.integers(1, 3))):
            d, b = u(0.3, 0.7) * jr, u(0, 2 * math.pi)
            jhubs.append((jx + d * math.cos(b), jy + d * math.sin(b), 0.25 * jr, u(0.5, 1.0)))
        junction = Disk(jx, jy, jr, tuple(jhubs))
        # the spur road away from the highway, out to the dune camps 35-50 km from the city
        away = math.atan2(-side * ny, -side * nx) + math.pi  # from the highway to the city
        bearing = away + u(-0.7, 0.7)
        reach = u(35, 50)
        bx, by = _unit(bearing)
        qx, qy = -by, bx
        spur_verts: list[Point] = [((ro + 0.5) * bx, (ro + 0.5) * by)]
        for f in sorted(rng.uniform(0.25, 0.8, int(rng.integers(1, 3))).tolist()):
            lat_off = u(-3.0, 3.0)
            spur_verts.append((f * reach * bx + lat_off * qx, f * reach * by + lat_off * qy))
        cx, cy = reach * bx, reach * by
        spur_verts.append((cx, cy))
        spur = Road.of(spur_verts)
        cr = u(2.0, 3.5)
        chubs: list[Hub] = []
        for _k in range(int(rng.integers(4, 8))):
            d, b = cr * math.sqrt(u(0.05, 1.0)), u(0, 2 * math.pi)
            chubs.append((cx + d * math.cos(b), cy + d * math.sin(b), u(0.12, 0.3), u(0.5, 1.5)))
        camps = Disk(cx, cy, cr, tuple(chubs))
        if _road_gap(spur.sub(6.0, spur.length), highway, 2.0) < 5.0:
            continue
        if highway.distance((cx, cy)) < 10.0:
            continue
        # the cantonment just outside the city, clear of both roads
        kr = u(1.2, 2.0)
        cant: Disk | None = None
        for _t in range(100):
            kb = u(0, 2 * math.pi)
            kd = big * u(0.85, 1.05) + 0.5 * kr
            kx, ky = kd * math.cos(kb), kd * math.sin(kb)
            if highway.distance((kx, ky)) < kr + 1.5 or spur.distance((kx, ky)) < kr + 1.5:
                continue
            cant = Disk(kx, ky, kr, ())
            break
        if cant is None:
            continue
        # the fair grounds just outside the walls
        fb = u(0, 2 * math.pi)
        fd = ro + u(0.4, 1.0)
        fair = (fd * math.cos(fb), fd * math.sin(fb))
        if math.hypot(fair[0] - cant.x, fair[1] - cant.y) < kr + 1.0:
            continue
        # the wind-farm belt along a ridge 20-30 km out, its depot on the city side
        wb, wd = u(0, 2 * math.pi), u(20, 30)
        mx, my = wd * math.cos(wb), wd * math.sin(wb)
        rb, half = wb + math.pi / 2 + u(-0.3, 0.3), u(6, 10)
        r0 = (mx - half * math.cos(rb), my - half * math.sin(rb))
        r1 = (mx + half * math.cos(rb), my + half * math.sin(rb))
        ridge_road = Road.of([r0, r1])
        if _road_gap(ridge_road, highway) < 3.0 or _road_gap(ridge_road, spur) < 3.0:
            continue
        if ridge_road.distance((cx, cy)) < cr + 6.0:
            continue
        n_turb = int(rng.integers(4, 9))
        turbines = tuple(
            ridge_road.at(ridge_road.length * (k + 0.5) / n_turb) for k in range(n_turb)
        )
        wind_depot = (mx - 1.0 * math.cos(wb), my - 1.0 * math.sin(wb))
        # the solar park 12-25 km out
        pb, pd, pr = u(0, 2 * math.pi), u(12, 25), u(1.5, 3.0)
        sx2, sy2 = pd * math.cos(pb), pd * math.sin(pb)
        if highway.distance((sx2, sy2)) < pr + 2 or spur.distance((sx2, sy2)) < pr + 2:
            continue
        if ridge_road.distance((sx2, sy2)) < pr + 3:
            continue
        solar = Disk(sx2, sy2, pr, ())
        solar_depot = (sx2 - (pr + 0.3) * math.cos(pb), sy2 - (pr + 0.3) * math.sin(pb))
        # 3-5 dhabas on the highway (one in each of as many stretches), one halfway down the spur
        dh: list[Point] = []
        n_dh = int(rng.integers(3, 6))
        width = (highway.length - 10) / n_dh
        for k in range(n_dh):
            s = 5 + width * (k + u(0.2, 0.8))
            hx, hy = highway.at(s)
            hn = _unit(highway.heading(s) + math.pi / 2)
            o = sign() * 0.08
            dh.append((hx + o * hn[0], hy + o * hn[1]))
        ds = spur.length * u(0.4, 0.7)
        hx, hy = spur.at(ds)
        hn = _unit(spur.heading(ds) + math.pi / 2)
        dh.append((hx + 0.06 * hn[0], hy + 0.06 * hn[1]))
        stops: list[float] = []
        s = u(5, 25)
        while s < highway.length - 5:
            stops.append(s)
            s += u(40, 90)
        # the bus stand on the highway side of town, the cab depot in a hub of the new town
        hx, hy = highway.at(city_s)
        bus_stand = (0.55 * hx, 0.55 * hy)
        h0 = hubs[int(rng.integers(0, len(hubs)))]
        cab_depot = (h0[0] + u(-0.3, 0.3), h0[1] + u(-0.3, 0.3))
        if any(math.hypot(p[0] - cant.x, p[1] - cant.y) < kr + 0.6 for p in (bus_stand, cab_depot)):
            continue
        far: list[Hub] = []
        for _k in range(int(rng.integers(4, 7))):
            d, b = u(250, 900), u(0, 2 * math.pi)
            far.append((d * math.cos(b), d * math.sin(b), u(3, 7), u(0.5, 2.0)))
        return Desert(
            lat0,
            lon0,
            km_lon,
            old,
            new,
            fair,
            cant,
            highway,
            city_s,
            junction,
            junction_s,
            spur,
            camps,
            (r0, r1),
            turbines,
            wind_depot,
            solar,
            solar_depot,
            tuple(dh),
            tuple(stops),
            bus_stand,
            cab_depot,
            tuple(far),
        )
    raise RuntimeError(f"no desert geography for seed {seed}")  # pragma: no cover


# -- chargers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chargers:
    wind_depot: Sites
    turbines: Sites
    solar: Sites
    old: Sites
    new: Sites
    fair: Sites
    camps: Sites
    highway: Sites
    """The highway's charging stops'."""
    dhabas: Sites
    junction: Sites
    cabs: Sites
    """The tourist-cab fleet's depot."""
    cpos: tuple[str, ...]
    """The five CPOs besides the wind-farm operator."""

    @property
    def wind(self) -> Sites:
        return join(self.wind_depot, self.turbines)

    @property
    def city(self) -> Sites:
        return join(self.old, self.new, self.fair)

    @property
    def road(self) -> Sites:
        """The highway's, the dhabas' and the camps' (the hidden poll's list)."""
        return join(self.highway, self.dhabas, self.camps)

    @property
    def public(self) -> Sites:
        """Every site an ordinary person may book."""
        return join(
            self.old, self.new, self.fair, self.camps, self.highway, self.dhabas, self.junction
        )

    @property
    def every(self) -> Sites:
        return join(self.public, self.wind, self.solar, self.cabs)

    def total(self) -> int:
        return len(self.every.ids)


def join(*sites: Sites) -> Sites:
    return Sites(
        [i for s in sites for i in s.ids],
        [c for s in sites for c in s.cpos],
        np.concatenate([s.lat for s in sites]),
        np.concatenate([s.lon for s in sites]),
    )


def chargers(seed: int, g: Desert) -> Chargers:
    """The region's charging sites for a seed (none in the cantonment)."""
    rng = np.random.default_rng([seed, *b"desert-sites"])
    cpos = tuple(f"cpo-{n}.desert.example" for n in CPO_NAMES)

    def make(name: str, x: F64, y: F64, owner: str = "") -> Sites:
        lat, lon = g.ll(x, y)
        n = x.size
        who = [owner] * n if owner else [cpos[int(i)] for i in rng.integers(0, len(cpos), n)]
        return Sites([f"ds-{name}-{i:03d}" for i in range(n)], who, lat, lon)

    def around(p: Point, n: int, spread: float) -> tuple[F64, F64]:
        return g.people(rng, n, ((p[0], p[1], spread, 1.0),))

    wind_depot = make("winddepot", *around(g.wind_depot, int(rng.integers(3, 6)), 0.08), WIND_CPO)
    tx = np.array([p[0] for p in g.turbines]) + rng.normal(0, 0.05, len(g.turbines))
    ty = np.array([p[1] for p in g.turbines]) + rng.normal(0, 0.05, len(g.turbines))
    turbines = make("turbine", tx, ty, WIND_CPO)
    solar = make("solar", *around(g.solar_depot, int(rng.integers(5, 9)), 0.08), SOLAR_CPO)
    old = make("old", *g.people(rng, int(rng.integers(4, 8)), g.old.hubs))
    fair = make("fair", *around(g.fair, int(rng.integers(2, 5)), 0.12))
    camps = make("camp", *g.people(rng, int(rng.integers(5, 11)), g.camps.hubs))
    hx: list[float] = []
    hy: list[float] = []
    for s in g.stops:
        for _ in range(int(rng.integers(1, 3))):
            x, y = g.highway.at(s + float(rng.uniform(-0.3, 0.3)))
            hx.append(x + float(rng.normal(0, 0.05)))
            hy.append(y + float(rng.normal(0, 0.05)))
    highway = make("highway", np.array(hx), np.array(hy))
    dx = np.array([p[0] for p in g.dhabas]) + rng.normal(0, 0.02, len(g.dhabas))
    dy = np.array([p[1] for p in g.dhabas]) + rng.normal(0, 0.02, len(g.dhabas))
    dhabas = make("dhaba", dx, dy)
    junction = make("junction", *g.people(rng, int(rng.integers(4, 9)), g.junction.hubs))
    cabs = make("cabdepot", *around(g.cab_depot, int(rng.integers(3, 6)), 0.05))
    others = sum(
        len(s.ids)
        for s in (wind_depot, turbines, solar, old, fair, camps, highway, dhabas, junction, cabs)
    )
    n_new = min(30, max(14, int(rng.integers(56, 87)) - others))
    new = make("new", *g.people(rng, n_new, g.new.hubs))
    return Chargers(
        wind_depot, turbines, solar, old, new, fair, camps, highway, dhabas, junction, cabs, cpos
    )


# -- how apps reach the network -------------------------------------------------------------------

WIRING = Wiring(
    GATEWAYS, ((0,), (1,), (2,), (0, 1), (1, 0), (0, 2), (2, 1), (1, 2), (2,)), 0.55, (0.25, 0.8)
)
_wire = WIRING.wire


def hour_of(t: float) -> float:
    return float(ist_hours(np.array([t]))[0])


def _midnights(w: World) -> list[float]:
    """IST midnights from the day before the start to the end."""
    m = w.start - hour_of(w.start) * HOUR - 86_400.0
    out: list[float] = []
    while m < w.end:
        out.append(m)
        m += 86_400.0
    return out


def _daily(w: World, rng: np.random.Generator, per_day: float, hours: tuple[float, float]) -> F64:
    """Poisson times, ``per_day`` a day, uniform within ``hours`` (IST; past 24 is the next
    day) of every day, sorted, within the world."""
    out: list[F64] = [np.zeros(0)]
    for m in _midnights(w):
        n = int(rng.poisson(per_day))
        out.append(m + rng.uniform(hours[0], hours[1], n) * HOUR)
    t = np.sort(np.concatenate(out))
    return np.asarray(t[(t >= w.start) & (t < w.end)], dtype=np.float64)


# -- people -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Habits:
    radii: tuple[float, ...]
    book: float
    """Per visit: the odds it selects a charger."""
    confirm: float
    refine: float
    """The odds a visit searches again 1-2 times (another radius, or panned a little)."""


def _habits(prng: random.Random, book: tuple[float, float]) -> Habits:
    return Habits(
        radii=prng.choice(((2.0, 5.0, 10.0), (3.0, 8.0), (1.0, 4.0, 10.0), (5.0, 15.0, 25.0))),
        book=prng.uniform(*book),
        confirm=prng.uniform(0.6, 0.85),
        refine=prng.choice((0.0, prng.uniform(0.05, 0.2), prng.uniform(0.2, 0.35))),
    )


def _visit(
    w: World,
    g: Desert,
    sites: Sites,
    bap: str,
    wire: Wire,
    prng: random.Random,
    t: float,
    x: float,
    y: float,
    who: int,
    h: Habits,
) -> int:
    """One person's look for a charger, perhaps refined, perhaps booked at the nearest site.
    Returns the searches made."""
    via, user = wire.via(prng), wire.user(who)
    txn = wire.txn(w, via, "v")
    r = prng.choice(h.radii)
    n = 1 + (prng.randint(1, 2) if prng.random() < h.refine else 0)
    lat, lon = g.ll1(x, y)
    for i in range(n):
        w.search(bap, t, lat, lon, r, via=via, user=user, txn=txn)
        if i + 1 == n:
            break
        t += prng.uniform(12, 140)
        if prng.random() < 0.5:
            r = min(50.0, r * prng.choice((0.5, 2.0)))
        else:
            a, d = prng.uniform(0, 2 * math.pi), prng.uniform(0.1, 0.6)
            nx, ny = x + d * math.cos(a), y + d * math.sin(a)
            if not g.inside_cantonment(nx, ny, 0.1):
                x, y = nx, ny
                lat, lon = g.ll1(x, y)
    if prng.random() < h.book:
        k = sites.nearest(lat, lon)
        w.book(bap, t, sites.cpos[k], sites.ids[k], prng, confirm=h.confirm, user=user, txn=txn)
    return n


OLD, NEW, FAIRGROUND, CAMPS, SPUR, HIGHWAY, JUNCTION = range(7)
"""Where an app's users are."""


def _zone(g: Desert, rng: np.random.Generator, zone: int, n: int) -> tuple[F64, F64]:
    if zone == OLD:
        return g.people(rng, n, g.old.hubs)
    if zone == NEW:
        return g.people(rng, n, g.new.hubs)
    if zone == FAIRGROUND:
        return g.people(rng, n, ((g.fair[0], g.fair[1], 0.2, 1.0),))
    if zone == CAMPS:
        return g.people(rng, n, g.camps.hubs)
    if zone == JUNCTION:
        return g.people(rng, n, g.junction.hubs)
    road = g.spur if zone == SPUR else g.highway
    s = rng.uniform(0, road.length, n)
    pts = [road.at(float(v)) for v in s.tolist()]
    x = np.array([p[0] for p in pts]) + rng.normal(0, 0.05, n)
    y = np.array([p[1] for p in pts]) + rng.normal(0, 0.05, n)
    if zone == HIGHWAY and g.dhabas:  # half of them at a dhaba or a charging stop
        at_stop = rng.uniform(0, 1, n) < 0.5
        spots = [*g.dhabas, *(g.highway.at(v) for v in g.stops)]
        pick = rng.integers(0, len(spots), n)
        x = np.where(at_stop, np.array([spots[int(k)][0] for k in pick]), x)
        y = np.where(at_stop, np.array([spots[int(k)][1] for k in pick]), y)
        x = x + at_stop * rng.normal(0, 0.08, n)
        y = y + at_stop * rng.normal(0, 0.08, n)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _visits(
    w: World,
    g: Desert,
    sites: Sites,
    bap: str,
    wire: Wire,
    times: Sequence[float] | F64,
    weights: Sequence[float],
    h: Habits,
    key: str,
) -> int:
    """A visit at each time in the zones by ``weights``. Returns the searches made."""
    rng, prng = w.rng(bap + key), w.prng(bap + key)
    t = np.asarray(times, dtype=np.float64)
    p = np.asarray(weights, dtype=np.float64)
    which = rng.choice(p.size, size=t.size, p=p / p.sum())
    x, y = np.zeros(t.size), np.zeros(t.size)
    for z in range(p.size):
        m = which == z
        if m.any():
            x[m], y[m] = _zone(g, rng, z, int(m.sum()))
    who = rng.integers(0, wire.users, t.size)
    made = 0
    for i, at in enumerate(t.tolist()):
        made += _visit(w, g, sites, bap, wire, prng, at, float(x[i]), float(y[i]), int(who[i]), h)
    return made


def _per_day(h: Habits) -> float:
    """Visits per search: how many visits make ``searches`` searches."""
    return 1 + 1.5 * h.refine


def _daily_app(
    w: World,
    g: Desert,
    sites: Sites,
    bap: str,
    wire: Wire,
    searches: float,
    weights: Sequence[float],
    h: Habits,
    shape: Sequence[float] | None = DAY,
    key: str = "day",
) -> int:
    times = arrivals(w.rng(bap + key + "t"), searches / _per_day(h), w.start, w.end, shape)
    return _visits(w, g, sites, bap, wire, times, weights, h, key)


def _windowed(
    w: World,
    g: Desert,
    sites: Sites,
    bap: str,
    wire: Wire,
    searches: float,
    hours: tuple[float, float],
    weights: Sequence[float],
    h: Habits,
    key: str,
) -> int:
    times = _daily(w, w.rng(bap + key + "t"), searches / _per_day(h), hours)
    return _visits(w, g, sites, bap, wire, times, weights, h, key)


def _zones(**kw: float) -> tuple[float, ...]:
    names = ("old", "new", "fair", "camps", "spur", "highway", "junction")
    return tuple(kw.get(n, 0.0) for n in names)


def _far(w: World, g: Desert, c: Chargers, bap: str, wire: Wire, searches: float, h: Habits) -> int:
    """A national app's visits in the far cities."""
    rng, prng = w.rng(bap + "far"), w.prng(bap + "far")
    hs = np.asarray(g.far, dtype=np.float64)
    p = hs[:, 3] / hs[:, 3].sum()
    pick = rng.choice(len(hs), size=300, p=p)
    fx = hs[pick, 0] + rng.normal(0, 1, 300) * hs[pick, 2]
    fy = hs[pick, 1] + rng.normal(0, 1, 300) * hs[pick, 2]
    lat, lon = g.ll(fx, fy)
    owners = [c.cpos[int(i)] for i in rng.integers(0, len(c.cpos), 300)]
    there = Sites([f"ds-far-{i:03d}" for i in range(300)], owners, lat, lon)
    times = arrivals(rng, searches / _per_day(h), w.start, w.end, DAY)
    pick = rng.choice(len(hs), size=times.size, p=p)
    x = hs[pick, 0] + rng.normal(0, 1, times.size) * hs[pick, 2]
    y = hs[pick, 1] + rng.normal(0, 1, times.size) * hs[pick, 2]
    who = rng.integers(0, wire.users, times.size)
    made = 0
    for i, at in enumerate(times.tolist()):
        made += _visit(w, g, there, bap, wire, prng, at, float(x[i]), float(y[i]), int(who[i]), h)
    return made


# -- honest apps ----------------------------------------------------------------------------------


def _tourism(w: World, g: Desert, c: Chargers) -> None:
    """The region's tourism app: most of its users: the old town by day, the fair from
    16:00, the camps in the evening, the spur road on the way out and back."""
    bap = w.bap(
        "honest", "tourism app: old town, fair, dune camps and the drive out and back", "trip"
    )
    prng = w.prng(bap)
    wire = _wire(prng, bap, prng.randint(3000, 8000), refs=0.7)
    h = _habits(prng, (0.05, 0.1))
    s = c.public
    _daily_app(
        w,
        g,
        s,
        bap,
        wire,
        prng.uniform(3500, 5000),
        _zones(old=3, new=1.5, camps=1, highway=0.2, junction=0.2),
        h,
    )
    _windowed(w, g, s, bap, wire, prng.uniform(300, 600), OUT, _zones(spur=3, camps=1), h, "out")
    _windowed(w, g, s, bap, wire, prng.uniform(500, 900), (17.0, 24.0), _zones(camps=1), h, "camp")
    _windowed(w, g, s, bap, wire, prng.uniform(300, 600), BACK, _zones(spur=3, old=1), h, "back")
    _windowed(w, g, s, bap, wire, prng.uniform(700, 1300), FAIR, _zones(fair=4, old=1), h, "fair")


def _aggregator(w: World, g: Desert, c: Chargers) -> None:
    """A national aggregator: 80-90% of its traffic in the far cities."""
    bap = w.bap("honest", "national aggregator: 80-90% of its traffic in 4-6 far cities", "agg")
    prng = w.prng(bap)
    wire = _wire(prng, bap, 60_000, refs=0.5, pick=prng.choice(((0, 1), (1, 2), (0, 2))))
    h = _habits(prng, (0.05, 0.1))
    total = prng.uniform(5500, 8000)
    here = total * prng.uniform(0.11, 0.19)
    zones = _zones(old=1, new=2, camps=0.5, highway=0.6, junction=0.6)
    _daily_app(w, g, c.public, bap, wire, here * 0.9, zones, h)
    _windowed(w, g, c.public, bap, wire, here * 0.1, FAIR, _zones(fair=1), h, "fair")
    _far(w, g, c, bap, wire, total - here, h)


def _city_app(
    w: World, g: Desert, c: Chargers, size: float, label: str = "honest"
) -> tuple[str, Wire, int]:
    bap = w.bap(label, f"city app, ~{size:.0f} searches a day", "app")
    prng = w.prng(bap)
    wire = _wire(prng, bap, prng.randint(max(10, int(size / 6)), max(30, int(size * 2))))
    h = _habits(prng, (0.04, 0.12))
    zones = _zones(old=prng.uniform(0.5, 1.5), new=3, camps=0.1, highway=0.1)
    made = _daily_app(w, g, c.public, bap, wire, size * 0.88, zones, h)
    made += _windowed(w, g, c.public, bap, wire, size * 0.12, FAIR, _zones(fair=1), h, "fair")
    return bap, wire, made


def _tiny(w: World, g: Desert, c: Chargers, bap: str) -> tuple[int, Wire]:
    """A brand-new app's handful of users: 5-14 visits a day in town."""
    prng, rng = w.prng(bap + "tiny"), w.rng(bap + "tiny")
    wire = _wire(prng, bap, prng.randint(2, 7), refs=0.7)
    h = Habits(prng.choice(((2.0, 5.0), (3.0,), (5.0, 10.0))), prng.uniform(0.2, 0.35), 0.7, 0.1)
    days = max(1, round((w.end - w.start) / 86_400.0))
    times = world.exactly(rng, prng.randint(5, 14) * days, w, DAY)
    made = _visits(w, g, c.public, bap, wire, times, _zones(old=1, new=2, fair=0.3), h, "tiny")
    return made, wire


def _route_stops(g: Desert, road: Road) -> list[tuple[float, Point]]:
    """The dhabas along a route: (arc length, the dhaba's spot)."""
    out: list[tuple[float, Point]] = []
    for p in g.dhabas:
        d, s = road.project(p)
        if d < 0.3 and 1.0 < s < road.length - 1.0:
            out.append((s, p))
    return sorted(out)


def _drive(
    w: World,
    g: Desert,
    bap: str,
    prng: random.Random,
    t: float,
    road: Road,
    speed: float,
    step: tuple[float, float],
    radius: float,
    *,
    via: str,
    user: str,
    txn: str,
    halt: float = 0.0,
    scraping: bool = False,
) -> tuple[float, Point]:
    """A vehicle refreshing nearby chargers every ``step`` km along ``road`` at ``speed``
    km/s (GPS a few metres off the road); with odds ``halt`` it parks at each dhaba it passes
    for 15-45 minutes, its head unit refreshing at the one spot every 3-8 minutes. Returns when
    and where it arrives."""
    stops = _route_stops(g, road) if halt > 0 else []
    s = prng.uniform(0.0, min(1.0, step[0] / 2))
    clock = t
    last = 0.0
    while s <= road.length:
        while stops and stops[0][0] < s:
            ds, spot = stops.pop(0)
            if prng.random() >= halt:
                continue
            clock += (ds - last) / speed
            last = ds
            lat, lon = g.ll1(*spot)
            until = clock + prng.uniform(900, 2700)
            while clock < until:
                w.search(bap, clock, lat, lon, radius, via=via, user=user, txn=txn)
                clock += prng.uniform(180, 480)
        clock += (s - last) / speed
        last = s
        x, y = road.at(s)
        lat, lon = g.ll1(x + prng.gauss(0, 0.01), y + prng.gauss(0, 0.01))
        w.search(bap, clock, lat, lon, radius, via=via, user=user, txn=txn, scraping=scraping)
        s += prng.uniform(*step)
    clock += (road.length - last) / speed
    return clock, road.verts[-1]


def _to_highway(g: Desert, start: Point, s_end: float) -> Road:
    """From a point in town out to the highway and along it to arc ``s_end``."""
    hx, hy = g.highway.at(g.city_s)
    along = g.highway.sub(g.city_s, s_end)
    return Road.of([start, (hx, hy), *along.verts])


def _head_unit_trip(
    w: World,
    g: Desert,
    c: Chargers,
    bap: str,
    wire: Wire,
    prng: random.Random,
    t: float,
    road: Road,
    who: int,
    book: float,
    speed: tuple[float, float],
    halt: float,
) -> None:
    if road.length < 3.0:
        return
    via, user = wire.via(prng), wire.user(who)
    txn = wire.txn(w, via, "h")
    step = prng.uniform(2.0, 5.0)
    radius = prng.choice((5.0, 10.0, 15.0))
    end, (ex, ey) = _drive(
        w,
        g,
        bap,
        prng,
        t,
        road,
        prng.uniform(*speed) / 3600,
        (step, min(6.0, step + 1.0)),
        radius,
        via=via,
        user=user,
        txn=txn,
        halt=halt,
    )
    if prng.random() < book:
        s = c.public
        lat, lon = g.ll1(ex, ey)
        k = s.nearest(lat, lon)
        w.book(bap, end - 600, s.cpos[k], s.ids[k], prng, confirm=0.85, user=user, txn=txn)


def _bus_head_units(w: World, g: Desert, c: Chargers) -> None:
    """A long-haul bus operator's head units, mostly at night: through the region on the
    highway, or into the city's bus stand, or between the junction and the city."""
    prng, rng = w.prng("buses"), w.rng("buses")
    buses = prng.randint(40, 120)
    book = prng.uniform(0.04, 0.1)
    bap = w.bap(
        "honest",
        f"long-haul bus operator's head units: {buses} buses refresh nearby chargers every "
        f"2-6 km on the highway, mostly at night, {book:.0%} of trips book",
        "bus",
    )
    wire = _wire(prng, bap, buses, refs=0.8, pick=prng.choice(((0,), (0, 2), (2, 0))), txn3=True)
    length = g.highway.length
    for t in arrivals(rng, prng.uniform(80, 130), w.start, w.end, ROAD_NIGHT).tolist():
        kind = prng.random()
        if kind < 0.5:
            road = g.highway if prng.random() < 0.5 else g.highway.sub(length, 0.0)
        elif kind < 0.85:
            road = _to_highway(g, g.bus_stand, prng.choice((0.0, length)))
            if prng.random() < 0.5:
                road = road.sub(road.length, 0.0)
        else:
            road = _to_highway(g, g.bus_stand, g.junction_s)
            road = Road.of([*road.verts, (g.junction.x, g.junction.y)])
            if prng.random() < 0.5:
                road = road.sub(road.length, 0.0)
        _head_unit_trip(
            w, g, c, bap, wire, prng, t, road, prng.randrange(buses), book, (50, 75), 0.5
        )


def _car_head_units(w: World, g: Desert, c: Chargers) -> None:
    """A car brand's head units: tourists out to the dune camps in the afternoon and back at
    night, and along the highway day and night."""
    prng, rng = w.prng("cars"), w.rng("cars")
    cars = prng.randint(400, 1500)
    book = prng.uniform(0.04, 0.1)
    bap = w.bap(
        "honest",
        f"car brand's head units: {cars} cars refresh nearby chargers every 2-6 km on the "
        f"highway and the spur road to the camps, {book:.0%} of trips book",
        "car",
    )
    wire = _wire(prng, bap, cars, refs=0.9, pick=prng.choice(((0,), (0, 1), (2, 0))), txn3=True)
    town = g.new.hubs
    out = _daily(w, rng, prng.uniform(40, 80), OUT)
    back = _daily(w, rng, prng.uniform(40, 80), BACK)
    spur = arrivals(rng, prng.uniform(15, 30), w.start, w.end, DAY)
    road_trips = arrivals(rng, prng.uniform(60, 110), w.start, w.end, DAY)
    starts = g.people(rng, out.size + back.size + spur.size + road_trips.size, town)
    n = 0

    def start() -> Point:
        nonlocal n
        n += 1
        return float(starts[0][n - 1]), float(starts[1][n - 1])

    cx, cy = g.camps.hubs[0][:2]
    for t in out.tolist():
        road = Road.of([start(), *g.spur.verts, (cx, cy)])
        _head_unit_trip(
            w, g, c, bap, wire, prng, t, road, prng.randrange(cars), book, (45, 80), 0.25
        )
    for t in back.tolist():
        road = Road.of([start(), *g.spur.verts, (cx, cy)])
        road = road.sub(road.length, 0.0)
        _head_unit_trip(
            w, g, c, bap, wire, prng, t, road, prng.randrange(cars), book, (40, 70), 0.25
        )
    for t in spur.tolist():
        road = Road.of([start(), *g.spur.verts])
        if prng.random() < 0.5:
            road = road.sub(road.length, 0.0)
        _head_unit_trip(
            w, g, c, bap, wire, prng, t, road, prng.randrange(cars), book, (45, 80), 0.25
        )
    for t in road_trips.tolist():
        end = prng.choice((0.0, g.highway.length, g.junction_s, prng.uniform(0, g.highway.length)))
        road = _to_highway(g, start(), end)
        if prng.random() < 0.5:
            road = road.sub(road.length, 0.0)
        _head_unit_trip(
            w, g, c, bap, wire, prng, t, road, prng.randrange(cars), book, (60, 95), 0.25
        )


def _clock(
    w: World, period: float, offset: float, hours: tuple[float, float] | None
) -> list[float]:
    """Ticks every ``period`` seconds on the clock (plus ``offset``), within ``hours`` of each
    IST day when given."""
    first = math.ceil(w.start / period) * period + offset
    ticks = [first + k * period for k in range(int((w.end - first) // period) + 1)]
    ticks = [t for t in ticks if w.start <= t < w.end]
    if hours is None:
        return ticks
    return [t for t in ticks if hours[0] <= hour_of(t) < hours[1]]


def _book_rounds(
    w: World,
    bap: str,
    prng: random.Random,
    rounds: Sequence[tuple[float, str, str, str]],
    sites: Sites,
    count: int,
) -> None:
    """``count`` bookings, each after one of ``rounds`` (at, via, user, txn) drawn at random."""
    for k in sorted(prng.sample(range(len(rounds)), min(count, len(rounds)))):
        at, _via, user, txn = rounds[k]
        j = prng.randrange(len(sites.ids))
        w.book(bap, at, sites.cpos[j], sites.ids[j], prng, confirm=1.0, user=user, txn=txn)


def _bookings(made: int, ratio: float, within: tuple[float, float]) -> int:
    """How many bookings make ``made`` searches about 1 in ``ratio`` of them: kept to 1 in
    ``within`` whenever a whole number allows it."""
    want = max(1, round(made / ratio))
    least, most = math.ceil(made / within[1]), math.floor(made / within[0])
    return min(most, max(least, want)) if least <= most else want


def _wind_console(w: World, c: Chargers) -> None:
    """The wind-farm operator's maintenance console: every one of its chargers (the depot's,
    the turbine sites') on a fixed clock, day and night; around each shift change the
    incoming staff member checks them too, right after; books about 1 in 120-250 searches
    (it operates them)."""
    prng = w.prng("windco")
    s = c.wind
    period = prng.choice((600.0, 900.0, 1200.0))
    ratio = prng.uniform(120, 250)
    bap = w.bap(
        "honest",
        f"wind-farm maintenance console: its {len(s.ids)} chargers (depot and turbine sites) "
        f"every {period / 60:.0f} min on the clock, two staff around the 07:00 and 19:00 shift "
        f"changes, books ~1 in {ratio:.0f} searches",
        "windco",
    )
    staff = prng.randint(3, 8)
    wire = _wire(prng, bap, staff, refs=0.8)
    radius = prng.choice((0.5, 1.0, 2.0))
    done: list[tuple[float, str, str, str]] = []
    made = 0
    for t in _clock(w, period, prng.uniform(0, 15), None):
        h = hour_of(t)
        changing = any(abs((h - x + 12) % 24 - 12) <= SHIFT_HALF for x in SHIFTS)
        at = t
        for _who in range(2 if changing else 1):
            via = wire.via(prng)
            user = wire.user(prng.randrange(staff))
            txn = wire.txn(w, via, "w")
            for j in range(len(s.ids)):
                w.search(
                    bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, user=user, txn=txn
                )
                made += 1
                at += prng.uniform(0.6, 2.0)
            done.append((at, via, user, txn))
            at += prng.uniform(5, 30)
    _book_rounds(w, bap, prng, done, s, _bookings(made, ratio, (120, 250)))


def _solar_console(w: World, c: Chargers) -> None:
    """The solar park's O&M console: the contractor's depot chargers every 20-40 minutes on
    the clock in daylight (06:00-19:00), booking about 1 in 80-150 searches."""
    prng = w.prng("solar")
    s = c.solar
    period = 60.0 * prng.randint(20, 40)
    ratio = prng.uniform(80, 150)
    bap = w.bap(
        "honest",
        f"solar park O&M console: the contractor's {len(s.ids)} depot chargers every "
        f"{period / 60:.0f} min on the clock in daylight, books ~1 in {ratio:.0f} searches",
        "solar",
    )
    wire = _wire(prng, bap, prng.randint(1, 4), refs=0.6)
    radius = prng.choice((0.5, 1.0))
    done: list[tuple[float, str, str, str]] = []
    made = 0
    for t in _clock(w, period, prng.uniform(0, 10), DAYLIGHT):
        via = wire.via(prng)
        user = wire.user(prng.randrange(wire.users))
        txn = wire.txn(w, via, "p")
        at = t
        for j in range(len(s.ids)):
            w.search(bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, user=user, txn=txn)
            made += 1
            at += prng.uniform(0.8, 2.5)
        done.append((at, via, user, txn))
    _book_rounds(w, bap, prng, done, s, _bookings(made, ratio, (80, 150)))


def _cab_fleet(w: World, c: Chargers) -> None:
    """A tourist-cab fleet's dispatch: its depot's chargers every 15 minutes day and night
    (a second, wider look on some rounds), booking about a third of its searches."""
    prng = w.prng("cabs")
    s = c.cabs
    share = prng.uniform(0.3, 0.37)
    bap = w.bap(
        "honest",
        f"tourist-cab fleet dispatch: its depot's {len(s.ids)} chargers every 15 min day and "
        f"night, books {share:.0%} of its searches",
        "cab",
    )
    wire = _wire(prng, bap, prng.randint(2, 5), refs=0.7)
    lat, lon = float(np.mean(s.lat)), float(np.mean(s.lon))
    done: list[tuple[float, str, str, str]] = []
    made = 0
    for t in _clock(w, CAB_PERIOD, prng.uniform(0, 20), None):
        via = wire.via(prng)
        user = wire.user(prng.randrange(wire.users))
        txn = wire.txn(w, via, "c")
        w.search(bap, t, lat, lon, 1.0, via=via, user=user, txn=txn)
        made += 1
        at = t
        if prng.random() < 0.2:
            at += prng.uniform(30, 120)
            w.search(bap, at, lat, lon, 3.0, via=via, user=user, txn=txn)
            made += 1
        done.append((at, via, user, txn))
    _book_rounds(w, bap, prng, done, s, round(made * share))


def _camp_resort(w: World, g: Desert, c: Chargers) -> None:
    """A camp-resort app: its staff book guests' charging at the camps (converts well)."""
    bap = w.bap("honest", "camp-resort app: staff book guests' charging at the dune camps", "camp")
    prng = w.prng(bap)
    wire = _wire(prng, bap, prng.randint(6, 20), refs=0.9)
    h = Habits((1.0, 3.0), prng.uniform(0.35, 0.55), 0.9, 0.15)
    s = c.camps
    _windowed(w, g, s, bap, wire, prng.uniform(120, 250), (13.0, 24.0), _zones(camps=1), h, "a")
    _windowed(w, g, s, bap, wire, prng.uniform(30, 70), (6.0, 11.0), _zones(camps=1), h, "b")


def _taxi_stand(w: World, g: Desert, c: Chargers) -> None:
    """A taxi-stand app at the railway junction: drivers around the clock, crowding the
    stand for half an hour after each of 5-8 trains, day and night."""
    bap = w.bap("honest", "taxi-stand app at the railway junction: drivers meet the trains", "taxi")
    prng = w.prng(bap)
    wire = _wire(prng, bap, prng.randint(30, 120), refs=0.8)
    h = _habits(prng, (0.08, 0.15))
    zones = _zones(junction=5, highway=0.5, new=0.3)
    _daily_app(w, g, c.public, bap, wire, prng.uniform(400, 700), zones, h, None)
    trains = sorted(prng.uniform(0, 24) for _ in range(prng.randint(5, 8)))
    for k, hour in enumerate(trains):
        meet = (hour, hour + 0.5)
        _windowed(
            w, g, c.public, bap, wire, prng.uniform(40, 90), meet, _zones(junction=1), h, f"t{k}"
        )


def _fair_app(w: World, g: Desert, c: Chargers) -> None:
    """The fair's own visitor app: the fair grounds from 16:00 to 22:00, a little before."""
    bap = w.bap("honest", "the fair's visitor app: the fair grounds 16:00-22:00", "fair")
    prng = w.prng(bap)
    wire = _wire(prng, bap, prng.randint(800, 3000), refs=0.6)
    h = _habits(prng, (0.04, 0.09))
    _windowed(
        w, g, c.public, bap, wire, prng.uniform(700, 1400), FAIR, _zones(fair=4, old=1), h, "f"
    )
    _windowed(
        w,
        g,
        c.public,
        bap,
        wire,
        prng.uniform(80, 200),
        (10.0, 16.0),
        _zones(fair=1, new=1),
        h,
        "b",
    )


def _cpo_app(w: World, g: Desert, c: Chargers, cpo: str) -> None:
    """A CPO's own app: people near its chargers, booking them."""
    name = cpo.split(".")[0].removeprefix("cpo-")
    prng = w.prng("cpoapp" + name)
    size = math.exp(prng.uniform(math.log(80), math.log(1200)))
    bap = w.bap("honest", f"{name} CPO's own app, ~{size:.0f} searches a day", "cpo")
    wire = _wire(prng, bap, prng.randint(max(10, int(size / 5)), max(30, int(size))))
    h = _habits(prng, (0.08, 0.16))
    s = c.public
    mine = [k for k, o in enumerate(s.cpos) if o == cpo] or list(range(len(s.ids)))
    own = Sites([s.ids[k] for k in mine], [s.cpos[k] for k in mine], s.lat[mine], s.lon[mine])
    ox, oy = g.xy(own.lat, own.lon)
    hubs = [(float(a), float(b), 0.8, 1.0) for a, b in zip(ox.tolist(), oy.tolist(), strict=True)]
    rng = w.rng(bap + "times")
    times = arrivals(rng, size / _per_day(h), w.start, w.end, DAY)
    x, y = g.people(rng, times.size, hubs)
    who = rng.integers(0, wire.users, times.size)
    for i, at in enumerate(times.tolist()):
        _visit(w, g, own, bap, wire, prng, at, float(x[i]), float(y[i]), int(who[i]), h)


# -- scrapers hidden in real apps -----------------------------------------------------------------


def fort_lattice(g: Desert, step: float, angle: float) -> tuple[F64, F64, F64, F64]:
    """A ``step`` km lattice turned by ``angle`` over the fort city (the new town's reach),
    its nodes clear of the cantonment, in boustrophedon order: row by row, every other row
    backwards. Returns the nodes' x, y and their lattice indices (column, row)."""
    c, s = math.cos(angle), math.sin(angle)
    reach = g.new.r + 0.3
    n = int(reach / step) + 1
    rows: list[list[tuple[float, float, int, int]]] = []
    for j in range(-n, n + 1):
        row: list[tuple[float, float, int, int]] = []
        for i in range(-n, n + 1):
            a, b = i * step, j * step
            x, y = a * c - b * s, a * s + b * c
            if math.hypot(x, y) <= reach and not g.inside_cantonment(x, y, 0.12):
                row.append((x, y, i, j))
        if row:
            rows.append(row if len(rows) % 2 == 0 else row[::-1])
    pts = [p for row in rows for p in row]
    return (
        np.array([p[0] for p in pts]),
        np.array([p[1] for p in pts]),
        np.array([float(p[2]) for p in pts]),
        np.array([float(p[3]) for p in pts]),
    )


def _hidden_lattice(w: World, g: Desert, c: Chargers) -> None:
    """A real city app hiding a sweep of a turned lattice over the fort city: boustrophedon
    rounds at a steady period, exact nodes on odd seeds and 30-80 m off them on even ones,
    no user reference; 8-25% of the app's searches."""
    prng = w.prng("lattice")
    step = prng.uniform(0.8, 1.2)
    angle = prng.uniform(0.15, math.pi / 2 - 0.15)
    exact = w.seed % 2 == 1
    x, y, _, _ = fort_lattice(g, step, angle)
    share = prng.uniform(0.1, 0.22)
    period = min(5 * HOUR, max(1.5 * HOUR, 86_400.0 * x.size / prng.uniform(500, 800)))
    gap = prng.uniform(5, 12)
    radius = prng.choice((1.0, 1.5, 2.0))
    bap = w.bap("hidden_sweep", "", "app")
    prng2 = w.prng(bap)
    wire = _wire(prng2, bap, prng2.randint(300, 1500))
    t0 = w.start + prng.uniform(0, period)
    rounds = 0
    while t0 + rounds * period < w.end:
        at = t0 + rounds * period + prng.uniform(-8, 8)
        via = wire.via(prng)
        txn = wire.txn(w, via, "l")
        for k in range(x.size):
            px, py = float(x[k]), float(y[k])
            if not exact:
                d, a = prng.uniform(0.03, 0.08), prng.uniform(0, 2 * math.pi)
                px, py = px + d * math.cos(a), py + d * math.sin(a)
            lat, lon = g.ll1(px, py)
            w.search(bap, at, lat, lon, radius, via=via, txn=txn, scraping=True)
            at += gap * prng.uniform(0.75, 1.25)
        rounds += 1
    made = len(w.scraping.get(bap, []))
    size = made * (1 - share) / share
    h = _habits(prng2, (0.05, 0.12))
    zones = _zones(old=prng2.uniform(0.5, 1.5), new=3, camps=0.1, highway=0.1)
    _daily_app(w, g, c.public, bap, wire, size * 0.88, zones, h)
    _windowed(w, g, c.public, bap, wire, size * 0.12, FAIR, _zones(fair=1), h, "fair")
    variant = "exact nodes" if exact else "30-80 m off its nodes"
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"a {step:.5f} km lattice turned {math.degrees(angle):.4f} deg over the fort city "
        f"({x.size} nodes, {variant}), boustrophedon rounds every {period / 60:.0f} min, "
        f"{share:.0%} of a city app",
    )


def road_pieces(g: Desert, prng: random.Random) -> list[Road]:
    """The highway cut into 25-45 km pieces, and the spur road in one or two."""
    cuts = [0.0]
    while cuts[-1] < g.highway.length:
        cuts.append(min(g.highway.length, cuts[-1] + prng.uniform(25, 45)))
    if len(cuts) > 2 and cuts[-1] - cuts[-2] < 10:
        del cuts[-2]
    pieces = [g.highway.sub(a, b) for a, b in itertools.pairwise(cuts)]
    if prng.random() < 0.5:
        pieces.append(g.spur)
    else:
        mid = g.spur.length * prng.uniform(0.4, 0.6)
        pieces += [g.spur.sub(0, mid), g.spur.sub(mid, g.spur.length)]
    return pieces


def _fake_head_unit(w: World, g: Desert, c: Chargers) -> None:
    """A trip-planner app with a real drive mode, hiding a sweep disguised as head-unit
    trips: virtual drives along every piece of the highway and the spur road, round after
    round, refreshing every 3-5 km, each trip a transaction of its own, never booking, no
    user reference; 5-10% of the app's searches."""
    prng = w.prng("fakehu")
    bap = w.bap("hidden_sweep", "", "plan")
    prng2, rng2 = w.prng(bap), w.rng(bap)
    wire = _wire(
        prng2,
        bap,
        prng2.randint(800, 3000),
        refs=0.8,
        pick=prng2.choice(((0,), (0, 1), (0, 2), (2, 0))),
        txn3=True,
    )
    share = prng.uniform(0.06, 0.09)
    radius = prng.choice((10.0, 15.0, 20.0))
    speed = prng.uniform(70, 100) / 3600
    pieces = road_pieces(g, prng)
    t = w.start + prng.uniform(0, HOUR)
    rounds = 0
    while t < w.end:
        order = prng.sample(pieces, len(pieces))
        for piece in order:
            road = piece if prng.random() < 0.5 else piece.sub(piece.length, 0.0)
            via = wire.via(prng)
            txn = wire.txn(w, via, "f")
            t, _ = _drive(
                w,
                g,
                bap,
                prng,
                t,
                road,
                speed,
                (3.0, 5.0),
                radius,
                via=via,
                user="",
                txn=txn,
                scraping=True,
            )
            t += prng.uniform(120, 600)
        rounds += 1
        t += prng.uniform(1.0, 2.5) * HOUR
    made = len(w.scraping.get(bap, []))
    size = made * (1 - share) / share
    # its real drivers' drive mode, and its users' planning
    book = prng2.uniform(0.04, 0.08)
    for t in arrivals(rng2, size * 0.25 / 9, w.start, w.end, DAY).tolist():
        start = g.people(rng2, 1, g.new.hubs)
        p0 = (float(start[0][0]), float(start[1][0]))
        road = (
            Road.of([p0, *g.spur.verts])
            if prng2.random() < 0.5
            else _to_highway(g, p0, prng2.uniform(0, g.highway.length))
        )
        if prng2.random() < 0.5:
            road = road.sub(road.length, 0.0)
        _head_unit_trip(
            w, g, c, bap, wire, prng2, t, road, prng2.randrange(wire.users), book, (50, 85), 0.2
        )
    own = len(w.events[bap]) - made
    h = _habits(prng2, (0.05, 0.1))
    zones = _zones(old=2, new=1, camps=1.5, fair=0.5, junction=0.3)
    _daily_app(w, g, c.public, bap, wire, max(0.0, size - own), zones, h)
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"a fake head unit: virtual trips along {len(pieces)} pieces of the highway and the "
        f"spur road in {rounds} rounds, a refresh every 3-5 km, each trip its own transaction, "
        f"never booking, {share:.0%} of a trip-planner app with a drive mode",
    )


def _hidden_poll(w: World, g: Desert, c: Chargers) -> None:
    """A second national aggregator hiding a poll of the highway's, the dhabas' and the
    camps' chargers: each round a random 60-90% of the list, the gaps between rounds drawn
    in 8-20 minutes, never booking, no user reference."""
    prng = w.prng("roadpoll")
    s = c.road
    n = len(s.ids)
    lo, hi = math.ceil(0.6 * n), math.floor(0.9 * n)
    share = prng.uniform(0.12, 0.25)
    radius = prng.choice((1.0, 2.0))
    bap = w.bap("hidden_poll", "", "agg")
    prng2 = w.prng(bap)
    wire = _wire(prng2, bap, 40_000, refs=0.6, pick=prng2.choice(((0, 1), (0, 2), (2, 1))))
    t = w.start + prng.uniform(0, 600)
    while t < w.end:
        k = min(hi, max(lo, round(n * prng.uniform(0.6, 0.9))))
        via = wire.via(prng)
        txn = wire.txn(w, via, "r")
        at = t
        for j in prng.sample(range(n), k):
            w.search(
                bap, at, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn, scraping=True
            )
            at += prng.uniform(0.8, 2.5)
        t += prng.uniform(480, 1200)
    made = len(w.scraping.get(bap, []))
    size = made * (1 - share) / share
    h = _habits(prng2, (0.05, 0.1))
    here = prng2.uniform(0.1, 0.2)
    zones = _zones(old=1, new=2, camps=0.4, highway=0.6, junction=0.5, fair=0.2)
    _daily_app(w, g, c.public, bap, wire, size * here, zones, h)
    _far(w, g, c, bap, wire, size * (1 - here), h)
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"a poll of the {n} highway, dhaba and camp chargers, each round a random 60-90% of "
        f"them, 8-20 min apart, never booking, {share:.0%} of a national aggregator",
    )


# -- scrapers of their own ------------------------------------------------------------------------


def _poll(
    w: World,
    bap: str,
    wire: Wire,
    prng: random.Random,
    s: Sites,
    radius: float,
    gap: tuple[float, float],
    user: str = "",
) -> None:
    """Every site of ``s`` in turn, round after round, each gap drawn in ``gap`` seconds."""
    t = w.start + prng.uniform(0, gap[1])
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
                radius,
                via=via,
                user=user,
                txn=txn,
                scraping=True,
            )
            at += prng.uniform(0.8, 2.0)
        t += prng.uniform(*gap)


def _fair_poller(w: World, c: Chargers) -> None:
    """A poll of the fair grounds' and some city chargers, each round's wait drawn in 5-25
    minutes."""
    prng = w.prng("fairpoll")
    city = join(c.old, c.new)
    picks = sorted(prng.sample(range(len(city.ids)), prng.randint(5, 10)))
    s = join(
        c.fair,
        Sites(
            [city.ids[k] for k in picks],
            [city.cpos[k] for k in picks],
            city.lat[picks],
            city.lon[picks],
        ),
    )
    bap = w.bap(
        "poller",
        f"a poll of {len(s.ids)} fair-ground and city chargers, each wait drawn in 5-25 min",
        "poll",
    )
    wire = _wire(prng, bap, 1, always=True, pick=(prng.randrange(3),))
    _poll(w, bap, wire, prng, s, prng.choice((1.0, 2.0)), (300, 1500), wire.user(0))


def _old_town_poller(w: World, c: Chargers) -> None:
    """A poll of the old town's chargers at a fixed period of 6-11 minutes."""
    prng = w.prng("oldpoll")
    period = 60.0 * prng.randint(6, 11)
    s = c.old
    bap = w.bap(
        "poller",
        f"a poll of the old town's {len(s.ids)} chargers every {period / 60:.0f} min",
        "poll",
    )
    wire = _wire(prng, bap, 2, refs=0.5)
    _poll(w, bap, wire, prng, s, 1.0, (period - 5, period + 5))


def _tiny_key_poller(w: World, g: Desert, c: Chargers) -> None:
    """A poll of the junction's and the highway stops' chargers every 10-20 minutes behind a
    brand-new tiny app's key (its few real users share the key)."""
    bap = w.bap("poller", "", "tiny")
    honest, wire = _tiny(w, g, c, bap)
    prng = w.prng(bap + "poll")
    s = join(c.junction, c.highway)
    _poll(w, bap, wire, prng, s, prng.choice((2.0, 3.0)), (600, 1200))
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "poller",
        f"a poll of the junction's and highway's {len(s.ids)} chargers every 10-20 min behind "
        f"a tiny app's key (the app's own {honest} searches are "
        f"{honest / max(1, honest + got):.0%} of it)",
    )


def inhabited_grid(g: Desert, step: float, shift: float) -> tuple[F64, F64]:
    """A ``step`` km grid, offset by ``shift`` km on both axes, over the inhabited land (the
    city, the junction town, the camps), none in the cantonment, in raster order per
    place."""
    xs: list[float] = []
    ys: list[float] = []
    for d in g.inhabited():
        n = int(d.r / step) + 2
        i0, j0 = round(d.x / step), round(d.y / step)
        for j in range(j0 - n, j0 + n + 1):
            for i in range(i0 - n, i0 + n + 1):
                x, y = i * step + shift, j * step + shift
                if math.hypot(x - d.x, y - d.y) <= d.r and not g.inside_cantonment(x, y, 0.1):
                    xs.append(x)
                    ys.append(y)
    return np.array(xs), np.array(ys)


def _half_step_sweeper(w: World, g: Desert) -> None:
    """A sweeper over a grid of the inhabited land, every round's grid offset by half a step
    from the previous one's."""
    prng = w.prng("halfstep")
    step = prng.uniform(1.6, 2.6)
    per_hour = prng.uniform(40, 70)
    radius = prng.choice((2.0, 3.0))
    bap = w.bap(
        "sweeper",
        f"half-step sweeper: a {step:.5f} km grid over the city, the junction and the camps, "
        f"each round offset by half a step, {per_hour:.0f} searches an hour",
        "sweep",
    )
    wire = _wire(prng, bap, prng.randint(1, 3), refs=0.5)
    grids = [inhabited_grid(g, step, 0.0), inhabited_grid(g, step, step / 2)]
    t, r = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        x, y = grids[r % 2]
        lat, lon = g.ll(x, y)
        via = wire.via(prng)
        txn = wire.txn(w, via, "g")
        user = wire.user(0)
        for k in range(x.size):
            w.search(
                bap,
                t,
                float(lat[k]),
                float(lon[k]),
                radius,
                via=via,
                user=user,
                txn=txn,
                scraping=True,
            )
            t += 3600 / per_hour * prng.uniform(0.8, 1.2)
        r += 1


def _booking_scraper(w: World, g: Desert, c: Chargers) -> None:
    """A sweep of the city and the camps that books about 1% of its searches: select, init,
    confirm, and a cancel 5-20 minutes later."""
    prng = w.prng("booker")
    step = prng.uniform(1.0, 1.8)
    rate = prng.uniform(0.008, 0.012)
    per_hour = prng.uniform(45, 75)
    bap = w.bap(
        "booking_scraper",
        f"a {step:.2f} km sweep of the city and the camps booking {rate:.1%} of its searches, "
        "each booking cancelled within 5-20 min",
        "book",
    )
    wire = _wire(prng, bap, prng.randint(2, 5), always=True, pick=(prng.choice((0, 2)),), txn3=True)
    xs: list[float] = []
    ys: list[float] = []
    for d in (Disk(0.0, 0.0, g.new.r, ()), g.camps):
        gx, gy = np.meshgrid(
            np.arange(d.x - d.r, d.x + d.r, step), np.arange(d.y - d.r, d.y + d.r, step)
        )
        keep = (np.hypot(gx - d.x, gy - d.y) <= d.r) & (g.in_cantonment(gx, gy, 0.1) == 0)
        xs += gx[keep].tolist()
        ys += gy[keep].tolist()
    lat, lon = g.ll(np.array(xs), np.array(ys))
    s = c.public
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "b")
        user = wire.user(prng.randrange(wire.users))
        la, lo = float(lat[k]), float(lon[k])
        w.search(bap, t, la, lo, 2.5, via=via, user=user, txn=txn, scraping=True)
        if prng.random() < rate:
            j = s.nearest(la, lo)
            at = t
            for kind in (FunnelKind.SELECT, FunnelKind.INIT, FunnelKind.CONFIRM):
                at += prng.uniform(5, 40)
                w.funnel(bap, at, kind, s.cpos[j], s.ids[j], user=user, txn=txn)
            at += prng.uniform(300, 1200)
            w.funnel(bap, at, FunnelKind.CANCEL, s.cpos[j], s.ids[j], user=user, txn=txn)
        k = (k + 1) % len(xs)
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _office_hours(w: World, c: Chargers) -> None:
    """A low-and-slow scraper working office hours only (10:00-18:00 IST): chargers' exact
    spots in random order, 3-12 minutes apart."""
    prng = w.prng("office")
    users = prng.randint(1, 2)
    bap = w.bap(
        "low_and_slow",
        f"office-hours scraper (10:00-18:00 IST): chargers' exact spots in random order, "
        f"3-12 min apart, {users} user refs",
        "slow",
    )
    wire = _wire(prng, bap, users, always=True, pick=(prng.randrange(3),))
    s = c.every
    radius = prng.choice((2.0, 3.0, 5.0))
    order: list[int] = []
    for m in _midnights(w):
        t = m + OFFICE[0] * HOUR + prng.uniform(0, 120)
        while t < m + OFFICE[1] * HOUR:
            if not order:
                order = prng.sample(range(len(s.ids)), len(s.ids))
            j = order.pop()
            via = wire.via(prng)
            w.search(
                bap,
                t,
                float(s.lat[j]),
                float(s.lon[j]),
                radius,
                via=via,
                user=wire.user(prng.randrange(users)),
                txn=wire.txn(w, via, "o"),
                scraping=True,
            )
            t += prng.uniform(180, 720)


def _three_keys(w: World, c: Chargers) -> None:
    """A slow sweep of the chargers' spots spread over three BAP keys: one random order,
    each search sent by one of the keys, 2-6 minutes apart by day and 6-15 at night."""
    prng = w.prng("threekeys")
    keys = [w.bap("low_and_slow", "", "key") for _ in range(3)]
    wires = [_wire(prng, b, prng.randint(1, 3), refs=0.5) for b in keys]
    for k, b in enumerate(keys):
        w.baps[b] = Truth(
            b,
            "low_and_slow",
            f"a slow sweep of chargers' spots spread over three BAP keys (key {k + 1} of 3), "
            "2-6 min apart by day, 6-15 at night",
        )
    s = c.every
    radius = prng.choice((3.0, 5.0))
    order: list[int] = []
    t = w.start + prng.uniform(0, 300)
    while t < w.end:
        if not order:
            order = prng.sample(range(len(s.ids)), len(s.ids))
        j = order.pop()
        k = prng.randrange(3)
        wire = wires[k]
        via = wire.via(prng)
        w.search(
            keys[k],
            t,
            float(s.lat[j]) + prng.gauss(0, 0.0003),
            float(s.lon[j]) + prng.gauss(0, 0.0003),
            radius,
            via=via,
            user=wire.user(prng.randrange(wire.users)),
            txn=wire.txn(w, via, "k"),
            scraping=True,
        )
        night = not 7.0 <= hour_of(t) < 23.0
        t += prng.uniform(360, 900) if night else prng.uniform(120, 360)


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * HOUR)
    g = geography(seed)
    c = chargers(seed, g)
    plan = w.prng("plan")
    cities, tiny, pollers = plan.randint(2, 3), plan.randint(2, 3), plan.randint(2, 3)
    # tourism, aggregator, buses, cars, wind, solar, camp, taxi, cabs, fair; the city and tiny
    # apps; the three hosts, the pollers, the sweeper, the booker, the office scraper and the
    # three keys
    others = 10 + cities + tiny + 3 + pollers + 3 + 3
    cpo_apps = min(5, max(3, plan.randint(31, 37) - others))
    _tourism(w, g, c)
    _aggregator(w, g, c)
    sizes = [plan.uniform(400, 900), plan.uniform(1300, 2200), plan.uniform(2500, 3400)]
    for size in plan.sample(sizes, cities):
        _city_app(w, g, c, size)
    for _ in range(tiny):
        _tiny(w, g, c, w.bap("honest", "tiny new app, a handful of users", "tiny"))
    _bus_head_units(w, g, c)
    _car_head_units(w, g, c)
    _wind_console(w, c)
    _solar_console(w, c)
    _camp_resort(w, g, c)
    _taxi_stand(w, g, c)
    _cab_fleet(w, c)
    _fair_app(w, g, c)
    for cpo in plan.sample(list(c.cpos), cpo_apps):
        _cpo_app(w, g, c, cpo)
    _hidden_lattice(w, g, c)
    _fake_head_unit(w, g, c)
    _hidden_poll(w, g, c)
    _fair_poller(w, c)
    _tiny_key_poller(w, g, c)
    if pollers == 3:
        _old_town_poller(w, c)
    _half_step_sweeper(w, g)
    _booking_scraper(w, g, c)
    _office_hours(w, c)
    _three_keys(w, c)
    return w.done()
