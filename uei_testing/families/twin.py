"""Family ``twin``: twin cities. A planned state capital (sectors of 1.0-1.4 km on a street
grid rotated 12-18 degrees off north, wide avenues on the sector edges, a government
district near the centre, a cantonment of a few sectors with no chargers that nobody
searches in, a lake with no chargers, a university campus and an expo ground at the edge)
and an older industrial city 12-18 km away (dense irregular streets around several old
hubs, an industrial estate with truck depots on its far side), joined by an expressway with
a charging plaza midway between the two.

Honest BAPs: a CPO's own app whose operations screen refreshes the status of the CPO's 20-40
chargers every 5 minutes during staffed hours (07:00-23:00), booking walk-in customers at
2-6% of its searches; a school-bus fleet checking its 3-6 depot chargers every 10 minutes
between 06:00-08:00 and 14:00-16:00 only, booking on ~30% of rounds; a campus shuttle
console polling its 2 chargers every 15 minutes in weekday daytime (08:00-18:00), booking on
~15% of rounds; a popular app with a "nearby chargers" widget that refreshes every 2 minutes
while the app is open (exact repeats from one spot for 5-20 minutes, 4-8% of sessions
booked) besides its ordinary searches; an EV truck fleet at the industrial estate searching
along the expressway at night; a ride-hailing driver app (drivers moving along the avenues
or the old city's streets, refreshing every 1-4 minutes, 3-8% of searches booked); a
two-city aggregator; 14-17 ordinary apps and two or three tiny new ones (under 30 searches a
day). One afternoon an expo surge: for 3 hours the users of several apps search around the
expo ground, booking a quarter as often.

Scrapers: an Archimedean spiral sweep outward from the capital's centre (a point every 1-2 km
along the spiral), one radius, no user reference, hidden in an ordinary app at 8-20% of its
searches; a blue-noise coverage set over the industrial city (random points at least 1-1.5
km apart, not a lattice) in a new random order each pass at one radius, hidden in another
app at 5-15% (some of its gateways send transaction ids); a triangular lattice over the
capital's sectors, turned with the street grid, alternating two radii, hidden in the
ride-hailing driver app at 5-10%; a poll of 8-20 chargers hidden in the two-city aggregator
at 5-15%, each charger on its own period of 10-40 minutes (never in rounds); a sweeper whose
one lattice is spread over three gateways; plain pollers; a sweep that books ~1%;
low-and-slow scrapers at 6-25 searches an hour on people's daily rhythm, some with user
references.

Gateways differ: ``bg.twin.example`` always reports transaction ids, ``bg2`` never, ``bg3``
for some apps; an app goes through one gateway or splits its traffic over two. User
references are sent by some apps, by some of their users, or not at all.

Written by a separate session from a brief, independently of the detector's rules, as a
held-out family (never scored while it was written).
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from uei_testing.families.wire import Habits, Wire, Wiring
from uei_testing.families.world import (
    F64,
    HOUR,
    IST_OFFSET,
    KM_LAT,
    City,
    Sites,
    Truth,
    World,
    arrivals,
    exactly,
    ist_days,
    ist_hours,
    share_of,
)

NAME = "twin"
CPOS = tuple(f"cpo{i}.twin.example" for i in range(7))
OWN_CPO = "own.twin.example"
"""The CPO whose own app polls its sites."""
BUS_CPO = "buses.twin.example"
CAMPUS_CPO = "campus.twin.example"
TRUCK_CPO = "depots.twin.example"
GATEWAYS = ("bg.twin.example", "bg2.twin.example", "bg3.twin.example")
"""``bg`` always reports transaction ids, ``bg2`` never, ``bg3`` as the app chooses."""
DAY = (
    0.12,
    0.07,
    0.05,
    0.05,
    0.08,
    0.25,
    0.6,
    1.1,
    1.5,
    1.4,
    1.2,
    1.1,
    1.1,
    1.0,
    1.0,
    1.1,
    1.3,
    1.7,
    1.9,
    1.8,
    1.4,
    1.0,
    0.6,
    0.3,
)
STAFFED = (7.0, 23.0)
SCHOOL = ((6.0, 8.0), (14.0, 16.0))
CAMPUS_HOURS = (8.0, 18.0)
NIGHT = (21.0, 5.0)
CAPITAL, OLD = 0, 1
"""Place indices: the capital and the industrial city."""
Hub = tuple[float, float, float, float]
"""(x, y, spread km, weight)."""
Bools = npt.NDArray[np.bool_]


# -- geography ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Twin:
    """Both cities in km east (``x``) and north (``y``) of the capital's centre."""

    lat: float
    lon: float
    km_lon: float
    radius: float
    """How far the capital reaches from its centre, km."""
    rot: float
    """The capital's street grid's turn from east-north, radians."""
    sector: float
    """A sector's side, km."""
    gov: tuple[float, float]
    campus: tuple[float, float]
    expo: tuple[float, float]
    lake: tuple[float, float, float]
    """(x, y, radius km)."""
    canton: tuple[float, float, float, float]
    """The cantonment in grid coordinates: (u0, v0, u1, v1)."""
    sectors: tuple[tuple[float, float], ...]
    """The centres of the capital's residential sectors (outside the lake and cantonment)."""
    old: tuple[float, float, float]
    """The industrial city: (x, y, radius km)."""
    old_hubs: tuple[tuple[float, float, float, float], ...]
    """(x, y, spread km, weight)."""
    estate: tuple[float, float]
    plaza: tuple[float, float]
    expressway: tuple[tuple[float, float], tuple[float, float]]
    """From the capital's edge to the industrial city's edge."""

    def ll(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        return (
            np.asarray(self.lat + np.asarray(y) / KM_LAT, dtype=np.float64),
            np.asarray(self.lon + np.asarray(x) / self.km_lon, dtype=np.float64),
        )

    def xy(self, lat: F64 | float, lon: F64 | float) -> tuple[F64, F64]:
        return (
            np.asarray((np.asarray(lon) - self.lon) * self.km_lon, dtype=np.float64),
            np.asarray((np.asarray(lat) - self.lat) * KM_LAT, dtype=np.float64),
        )

    def grid(self, x: F64 | float, y: F64 | float) -> tuple[F64, F64]:
        """Street-grid coordinates (along the avenues) of points in km."""
        c, s = math.cos(self.rot), math.sin(self.rot)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        return x * c + y * s, -x * s + y * c

    def ungrid(self, u: F64 | float, v: F64 | float) -> tuple[F64, F64]:
        c, s = math.cos(self.rot), math.sin(self.rot)
        u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
        return u * c - v * s, u * s + v * c

    def closed(self, x: F64 | float, y: F64 | float) -> Bools:
        """Where no one searches and no charger stands: the lake and the cantonment."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        lx, ly, lr = self.lake
        wet = np.hypot(x - lx, y - ly) < lr
        u, v = self.grid(x, y)
        u0, v0, u1, v1 = self.canton
        army = (u >= u0) & (u <= u1) & (v >= v0) & (v <= v1)
        return np.asarray(wet | army, dtype=np.bool_)

    def closed_ll(self, lat: F64 | float, lon: F64 | float) -> Bools:
        return self.closed(*self.xy(lat, lon))

    def hubs(self, place: int) -> list[tuple[float, float, float, float]]:
        """Where people are: (x, y, spread km, weight)."""
        if place == OLD:
            return list(self.old_hubs)
        out = [(x, y, 0.45 * self.sector, 1.0) for x, y in self.sectors]
        out.append((*self.gov, 0.6, 3.0))
        out.append((*self.campus, 0.4, 1.5))
        out.append((*self.expo, 0.3, 0.3))
        out.append((0.0, 0.0, 0.8, 3.0))
        return out

    def people(
        self, rng: np.random.Generator, place: int, n: int, hubs: Sequence[Hub] | None = None
    ) -> tuple[F64, F64]:
        """``n`` points where people search from in a place (never the lake or the
        cantonment), as (lat, lon)."""
        hs = np.array(hubs if hubs is not None else self.hubs(place), dtype=np.float64)
        x, y = np.empty(n), np.empty(n)
        todo = np.arange(n)
        for _ in range(30):
            if not todo.size:
                break
            pick = rng.choice(len(hs), size=todo.size, p=hs[:, 3] / hs[:, 3].sum())
            x[todo] = hs[pick, 0] + rng.normal(0, 1, todo.size) * hs[pick, 2]
            y[todo] = hs[pick, 1] + rng.normal(0, 1, todo.size) * hs[pick, 2]
            todo = todo[self.closed(x[todo], y[todo])]
        if todo.size:  # the stubborn few: at their hub's centre
            pick = rng.choice(len(hs), size=todo.size)
            x[todo], y[todo] = hs[pick, 0], hs[pick, 1]
        return self.ll(x, y)

    def city(self, place: int) -> City:
        if place == OLD:
            la, lo = self.ll(self.old[0], self.old[1])
            return City("old", float(la), float(lo), (), self.old[2])
        return City("capital", self.lat, self.lon, (), self.radius)


def _at(radius: float, bearing: float) -> tuple[float, float]:
    return radius * math.cos(bearing), radius * math.sin(bearing)


def geography(seed: int) -> Twin:
    """The twin cities of a seed."""
    rng = np.random.default_rng([seed, *b"twin-geography"])
    lat0, lon0 = float(rng.uniform(20.0, 29.0)), float(rng.uniform(74.0, 85.0))
    km_lon = 111.320 * math.cos(math.radians(lat0))
    radius = float(rng.uniform(6.0, 7.5))
    rot = math.radians(float(rng.uniform(12.0, 18.0)) * float(rng.choice([-1.0, 1.0])))
    sector = float(rng.uniform(1.0, 1.4))
    beta = float(rng.uniform(0, 2 * math.pi))
    """The bearing of the industrial city."""
    gov = _at(float(rng.uniform(1.2, 2.2)), beta + math.radians(float(rng.uniform(10, 40))))
    campus = _at(
        radius * float(rng.uniform(0.85, 0.95)), beta - math.radians(float(rng.uniform(60, 80)))
    )
    expo = _at(
        radius * float(rng.uniform(0.85, 0.95)), beta - math.radians(float(rng.uniform(130, 145)))
    )
    lake_r = float(rng.uniform(0.8, 1.3))
    lake = (
        *_at(float(rng.uniform(2.8, 4.0)), beta + math.radians(float(rng.uniform(165, 195)))),
        lake_r,
    )
    cx, cy = _at(float(rng.uniform(3.8, 5.0)), beta + math.radians(float(rng.uniform(80, 110))))
    c, s = math.cos(rot), math.sin(rot)
    cu, cv = cx * c + cy * s, -cx * s + cy * c
    half_u, half_v = sector * float(rng.uniform(1.0, 1.6)), sector * float(rng.uniform(0.8, 1.2))
    canton = (cu - half_u, cv - half_v, cu + half_u, cv + half_v)
    far = float(rng.uniform(12.0, 18.0))
    old_r = min(float(rng.uniform(3.5, 5.0)), far - radius - 1.5)
    ox, oy = _at(far, beta)
    old_hubs: list[Hub] = [(ox, oy, float(rng.uniform(0.6, 1.0)), 3.0)]
    for _ in range(int(rng.integers(5, 9))):
        r = old_r * 0.8 * math.sqrt(float(rng.uniform()))
        a = float(rng.uniform(0, 2 * math.pi))
        hx, hy = _at(r, a)
        old_hubs.append(
            (ox + hx, oy + hy, float(rng.uniform(0.3, 0.9)), float(rng.uniform(0.5, 1.8)))
        )
    estate = (
        ox + (old_r * 0.75) * math.cos(beta + 0.3),
        oy + (old_r * 0.75) * math.sin(beta + 0.3),
    )
    old_hubs.append((*estate, 0.5, 0.6))
    a0, a1 = _at(radius, beta), _at(far - old_r, beta)
    plaza = ((a0[0] + a1[0]) / 2, (a0[1] + a1[1]) / 2)
    partial = Twin(
        lat0,
        lon0,
        km_lon,
        radius,
        rot,
        sector,
        gov,
        campus,
        expo,
        lake,
        canton,
        (),
        (ox, oy, old_r),
        tuple(old_hubs),
        estate,
        plaza,
        (a0, a1),
    )
    n = int(radius / sector) + 1
    sectors = []
    for i in range(-n, n + 1):
        for j in range(-n, n + 1):
            u, v = (i + 0.5) * sector, (j + 0.5) * sector
            x, y = partial.ungrid(u, v)
            if math.hypot(float(x), float(y)) < radius - 0.3 and not partial.closed(x, y):
                sectors.append((float(x), float(y)))
    return Twin(
        lat0,
        lon0,
        km_lon,
        radius,
        rot,
        sector,
        gov,
        campus,
        expo,
        lake,
        canton,
        tuple(sectors),
        (ox, oy, old_r),
        tuple(old_hubs),
        estate,
        plaza,
        (a0, a1),
    )


# -- chargers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chargers:
    places: tuple[Sites, Sites]
    """The public chargers of the capital and of the industrial city."""
    groups: dict[str, list[int]]
    """Indices into the capital's: ``avenue``, ``gov``, ``campus``, ``expo``, ``sector``,
    ``core``; and into the old city's: ``old``, ``estate``."""
    plaza: Sites
    own: Sites
    """The CPO's own sites, polled by its app."""
    bus: Sites
    shuttle: Sites
    depots: Sites
    """The truck fleet's depot chargers at the industrial estate."""

    def busy(self) -> list[tuple[int, int]]:
        """(place, index) of the busiest public chargers."""
        return [(CAPITAL, j) for g in ("gov", "expo", "core") for j in self.groups[g]] + [
            (OLD, j) for j in self.groups["old"][:12]
        ]


def chargers(w: World, g: Twin) -> Chargers:
    rng = w.rng("sites")
    groups: dict[str, list[int]] = {}
    out: list[Sites] = []
    for place, prefix in ((CAPITAL, "tw-c"), (OLD, "tw-o")):
        xs: list[float] = []
        ys: list[float] = []

        def put(
            group: str, x: F64, y: F64, spread: float, xs: list[float] = xs, ys: list[float] = ys
        ) -> None:
            x = x + rng.normal(0, spread, x.size)
            y = y + rng.normal(0, spread, y.size)
            keep = ~g.closed(x, y)
            groups.setdefault(group, []).extend(range(len(xs), len(xs) + int(keep.sum())))
            xs.extend(x[keep].tolist())
            ys.extend(y[keep].tolist())

        if place == CAPITAL:
            # avenue crossings, at sector corners
            n = int(g.radius / g.sector) + 1
            corners = [
                (float(a), float(b))
                for i in range(-n, n + 1)
                for j in range(-n, n + 1)
                for a, b in [g.ungrid(i * g.sector, j * g.sector)]
                if math.hypot(float(a), float(b)) < g.radius
            ]
            pick = rng.permutation(len(corners))[: int(rng.integers(25, 40))]
            put(
                "avenue",
                np.array([corners[k][0] for k in pick]),
                np.array([corners[k][1] for k in pick]),
                0.04,
            )
            k = int(rng.integers(6, 11))
            put("gov", np.full(k, g.gov[0]), np.full(k, g.gov[1]), 0.35)
            k = int(rng.integers(2, 5))
            put("campus", np.full(k, g.campus[0]), np.full(k, g.campus[1]), 0.25)
            k = int(rng.integers(4, 9))
            put("expo", np.full(k, g.expo[0]), np.full(k, g.expo[1]), 0.15)
            k = int(rng.integers(8, 15))
            put("core", np.zeros(k), np.zeros(k), 0.7)
            chosen = rng.permutation(len(g.sectors))[: int(rng.integers(15, 30))]
            put(
                "sector",
                np.array([g.sectors[k][0] for k in chosen]),
                np.array([g.sectors[k][1] for k in chosen]),
                0.3,
            )
        else:
            for hx, hy, sp, wt in g.old_hubs[:-1]:
                k = int(rng.integers(3, 6 + int(4 * wt)))
                put("old", np.full(k, hx), np.full(k, hy), 0.8 * sp)
            k = int(rng.integers(3, 7))
            put("estate", np.full(k, g.estate[0]), np.full(k, g.estate[1]), 0.3)
        lat, lon = g.ll(np.array(xs), np.array(ys))
        owners = [CPOS[int(i)] for i in rng.integers(0, len(CPOS), lat.size)]
        out.append(Sites([f"{prefix}-{i:03d}" for i in range(lat.size)], owners, lat, lon))

    def sites_at(x: F64, y: F64, cpo: str | None, prefix: str) -> Sites:
        lat, lon = g.ll(x, y)
        owners = (
            [cpo] * lat.size
            if cpo
            else [CPOS[int(i)] for i in rng.integers(0, len(CPOS), lat.size)]
        )
        return Sites([f"{prefix}-{i:02d}" for i in range(lat.size)], owners, lat, lon)

    k = int(rng.integers(4, 9))
    plaza = sites_at(
        g.plaza[0] + rng.normal(0, 0.08, k), g.plaza[1] + rng.normal(0, 0.08, k), None, "tw-plaza"
    )
    k = int(rng.integers(20, 41))
    own_lat = np.empty(k)
    own_lon = np.empty(k)
    in_old = rng.uniform(0, 1, k) < rng.uniform(0.25, 0.5)
    own_lat[~in_old], own_lon[~in_old] = g.people(rng, CAPITAL, int((~in_old).sum()))
    own_lat[in_old], own_lon[in_old] = g.people(rng, OLD, int(in_old.sum()))
    own = Sites([f"own-{i:02d}" for i in range(k)], [OWN_CPO] * k, own_lat, own_lon)
    k = int(rng.integers(3, 7))
    depot = g.sectors[int(rng.integers(0, len(g.sectors)))]
    bus = sites_at(
        depot[0] + rng.normal(0, 0.05, k), depot[1] + rng.normal(0, 0.05, k), BUS_CPO, "bus"
    )
    shuttle = sites_at(
        g.campus[0] + rng.normal(0, 0.2, 2),
        g.campus[1] + rng.normal(0, 0.2, 2),
        CAMPUS_CPO,
        "campus",
    )
    k = int(rng.integers(4, 9))
    depots = sites_at(
        g.estate[0] + rng.normal(0, 0.15, k),
        g.estate[1] + rng.normal(0, 0.15, k),
        TRUCK_CPO,
        "depot",
    )
    return Chargers((out[0], out[1]), groups, plaza, own, bus, shuttle, depots)


# -- how apps reach the network -------------------------------------------------------------------


WIRING = Wiring(
    GATEWAYS, ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (1,), (2,), (0, 1)), 0.5, (0.2, 0.9)
)
_wire = WIRING.wire


def weekday(day: float) -> bool:
    """Whether the IST day starting at ``day`` is Monday to Friday."""
    d = datetime.datetime.fromtimestamp(day + IST_OFFSET + 3600, tz=datetime.UTC)
    return d.weekday() < 5


def _rounds(
    w: World, prng: random.Random, period: float, hours: tuple[float, float]
) -> list[float]:
    """Clockwork times every ``period`` s inside the IST hours ``[from, to)`` of each day."""
    offset = prng.uniform(0, 30)
    out = []
    for day in ist_days(w):
        t = day + hours[0] * HOUR + offset
        while t < day + hours[1] * HOUR:
            if w.start <= t < w.end:
                out.append(t)
            t += period + prng.uniform(-0.5, 0.5)
    return out


# -- the expo -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expo:
    start: float
    end: float
    lat: float
    lon: float
    spread_km: float
    surge: float
    """Extra sessions around the expo ground during the surge, as a share of an app's daily
    sessions in the capital per day of surge."""


def expo(w: World, g: Twin) -> Expo:
    prng = w.prng("expo")
    start = ist_days(w)[0] + prng.uniform(11.0, 15.0) * HOUR
    if start < w.start:
        start += 86_400.0
    lat, lon = g.ll(*g.expo)
    return Expo(
        start,
        start + 3 * HOUR,
        float(lat),
        float(lon),
        prng.uniform(0.5, 1.0),
        prng.uniform(1.5, 3.0),
    )


# -- ordinary people ----------------------------------------------------------------------------


def _habits(prng: random.Random, book: tuple[float, float]) -> Habits:
    return Habits(
        radii=prng.choice(
            ((2.0, 5.0, 10.0), (3.0, 5.0), (1.0, 2.5, 5.0, 12.0), (5.0, 10.0, 20.0), (1.5, 3.0))
        ),
        book=prng.uniform(*book),
        confirm=prng.uniform(0.5, 0.85),
        repeat=prng.choice(((1, 1, 2), (1, 2, 2, 3), (1,), (1, 1, 1, 2), (1, 1, 3))),
        shape=DAY,
    )


def _plaza_hubs(g: Twin) -> list[Hub]:
    return [(*g.plaza, 1.5, 1.0)]


def _app(
    w: World,
    g: Twin,
    c: Chargers,
    bap: str,
    wire: Wire,
    weights: Sequence[float],
    per_day: float,
    h: Habits,
    event: Expo | None,
) -> int:
    """An app's users: sessions of a search or a few at a spot in the capital, the old city or
    on the expressway (by ``weights``), at one of the app's radii (sometimes widened);
    ``h.book`` of sessions select the nearest charger. During the expo (when ``event`` is
    given) extra sessions hunt around the expo ground and book a quarter as often. Returns
    the searches made."""
    rng, prng = w.rng(bap), w.prng(bap)
    times = arrivals(rng, per_day, w.start, w.end, h.shape)
    p = np.asarray(weights, dtype=np.float64)
    which = rng.choice(p.size, size=times.size, p=p / p.sum())
    lat, lon = np.empty(times.size), np.empty(times.size)
    places = (c.places[CAPITAL], c.places[OLD], c.plaza)
    for k in range(p.size):
        m = which == k
        hubs = _plaza_hubs(g) if k == 2 else None
        lat[m], lon[m] = g.people(rng, min(k, OLD), int(m.sum()), hubs)
    who = rng.integers(0, max(1, wire.users), times.size)
    made = 0
    for i, t in enumerate(times.tolist()):
        made += wire.session(
            w,
            bap,
            prng,
            t,
            float(lat[i]),
            float(lon[i]),
            int(who[i]),
            h,
            places[int(which[i])],
            h.book,
        )
    if event is not None:
        here = float(p[0] / p.sum())
        n = int(rng.poisson(per_day * here * event.surge * (event.end - event.start) / 86_400))
        times = event.start + (event.end - event.start) * rng.uniform(0, 1, n)
        ex, ey = g.expo
        lat, lon = g.people(rng, CAPITAL, n, [(ex, ey, event.spread_km, 1.0)])
        who = rng.integers(0, max(1, wire.users), n)
        crowd = Habits(h.radii, h.book / 4, h.confirm, (1, 2, 2, 3), h.shape)
        for i, t in enumerate(np.sort(times).tolist()):
            made += wire.session(
                w,
                bap,
                prng,
                t,
                float(lat[i]),
                float(lon[i]),
                int(who[i]),
                crowd,
                c.places[CAPITAL],
                crowd.book,
            )
    return made


def _ordinary(
    w: World,
    g: Twin,
    c: Chargers,
    event: Expo | None,
    label: str,
    style: str,
    stem: str,
    per_day: tuple[float, float],
    book: tuple[float, float] = (0.12, 0.3),
    *,
    pick: tuple[int, ...] | None = None,
) -> tuple[str, Wire, int]:
    bap = w.bap(label, style, stem)
    p = w.prng(bap + "habits")
    wire = _wire(p, bap, p.randint(200, 5000), pick=pick)
    h = _habits(p, book)
    lean = p.uniform(0.2, 5.0)  # capital-leaning or old-city-leaning
    weights = [lean, 1.0, p.uniform(0.0, 0.15)]
    joins = event if event is not None and p.random() < 0.75 else None
    return bap, wire, _app(w, g, c, bap, wire, weights, p.uniform(*per_day), h, joins)


# -- honest BAPs with habits of their own -------------------------------------------------------


def _own_cpo(w: World, c: Chargers) -> None:
    """The CPO's own app: its operations screen searches each of the CPO's chargers a second
    apart every 5 minutes during staffed hours; walk-in customers booked through it make
    2-6% of its searches end in a confirm."""
    prng = w.prng("own")
    s = c.own
    n = len(s.ids)
    target = prng.uniform(0.02, 0.06)
    bap = w.bap(
        "honest",
        f"CPO's own app: ops screen refreshes its {n} chargers every 5 min 07-23, "
        f"walk-ins make {target:.0%} of searches a booking",
        "own",
    )
    wire = _wire(prng, bap, prng.randint(3, 8), refs=0.5)
    radius = prng.choice((0.2, 0.5, 1.0))
    confirm = 0.9
    for t in _rounds(w, prng, 300.0, STAFFED):
        via = wire.via(prng)
        user = wire.user(prng.randrange(wire.users))
        txn = wire.txn(w, via, "o")
        for j in range(n):
            w.search(
                bap,
                t + 1.0 * j,
                float(s.lat[j]),
                float(s.lon[j]),
                radius,
                via=via,
                user=user,
                txn=txn,
            )
        for j in range(n):
            if prng.random() < target / confirm:
                w.book(
                    bap,
                    t + n + prng.uniform(0, 200),
                    OWN_CPO,
                    s.ids[j],
                    prng,
                    confirm=confirm,
                    user=user,
                    txn=wire.txn(w, via, "w"),
                )


def _console(
    w: World,
    bap: str,
    s: Sites,
    times: list[float],
    book: float,
    radius: float,
    prng: random.Random,
) -> None:
    """Rounds over a few own chargers; a booking of one of them on ``book`` of rounds."""
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    for t in times:
        txn = wire.txn(w, via, "k")
        for j in range(len(s.ids)):
            w.search(bap, t + 2.0 * j, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn)
        if prng.random() < book:
            j = prng.randrange(len(s.ids))
            w.book(bap, t + 2.0 * len(s.ids), s.cpos[j], s.ids[j], prng, confirm=0.95, txn=txn)


def _school_bus(w: World, c: Chargers) -> None:
    prng = w.prng("bus")
    book = prng.uniform(0.26, 0.34)
    bap = w.bap(
        "honest",
        f"school-bus fleet: checks its {len(c.bus.ids)} depot chargers every 10 min 06-08 and "
        f"14-16 only, books on {book:.0%} of rounds",
        "bus",
    )
    times = sorted(t for hours in SCHOOL for t in _rounds(w, prng, 600.0, hours))
    _console(w, bap, c.bus, times, book, prng.choice((0.3, 0.5)), prng)


def _campus_shuttle(w: World, c: Chargers) -> None:
    prng = w.prng("campus")
    book = prng.uniform(0.12, 0.18)
    bap = w.bap(
        "honest",
        f"campus shuttle console: polls its 2 chargers every 15 min in weekday daytime, books "
        f"on {book:.0%} of rounds",
        "campus",
    )
    times = [
        t
        for t in _rounds(w, prng, 900.0, CAMPUS_HOURS)
        if weekday(t - float(ist_hours(np.array([t]))[0]) * HOUR)
    ]
    _console(w, bap, c.shuttle, times, book, prng.choice((0.3, 0.5, 1.0)), prng)


def _popular(w: World, g: Twin, c: Chargers, event: Expo) -> None:
    """A popular app with a "nearby chargers" widget: while the app is open, the widget
    searches the user's spot every 2 minutes (exact repeats) for 5-20 minutes, then the user
    leaves; 4-8% of widget sessions book. Its users search as usual too."""
    bap = w.bap("honest", "", "pop")
    prng, rng = w.prng(bap + "widget"), w.rng(bap + "widget")
    wire = _wire(prng, bap, prng.randint(3000, 9000), refs=1.0)
    target = prng.uniform(0.04, 0.08)
    confirm = 0.85
    radius = prng.choice((2.0, 3.0, 5.0))
    times = arrivals(rng, prng.uniform(900, 1500), w.start, w.end, DAY)
    old = rng.uniform(0, 1, times.size) < prng.uniform(0.25, 0.45)
    lat, lon = np.empty(times.size), np.empty(times.size)
    lat[~old], lon[~old] = g.people(rng, CAPITAL, int((~old).sum()))
    lat[old], lon[old] = g.people(rng, OLD, int(old.sum()))
    for i, t in enumerate(times.tolist()):
        u = prng.randrange(wire.users)
        via = wire.via(prng)
        user = wire.user(u)
        txn = wire.txn(w, via, "g")
        la, lo = float(lat[i]), float(lon[i])
        until = t + prng.uniform(5, 20) * 60
        while t < until:
            w.search(bap, t, la, lo, radius, via=via, user=user, txn=txn)
            t += 120.0 + prng.uniform(-0.5, 0.5)
        if prng.random() < target / confirm:
            s = c.places[OLD if old[i] else CAPITAL]
            k = s.nearest(la, lo)
            w.book(bap, t - 100, s.cpos[k], s.ids[k], prng, confirm=confirm, user=user, txn=txn)
    h = _habits(prng, (0.12, 0.2))
    _app(w, g, c, bap, wire, [2.0, 1.0, 0.1], prng.uniform(800, 1800), h, event)
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"popular app with a nearby-chargers widget: refreshes every 2 min for 5-20 min at "
        f"{radius} km, {target:.0%} of widget sessions book",
    )


def _trucks(w: World, g: Twin, c: Chargers) -> None:
    """EV trucks from the industrial estate's depots: at night (21:00-05:00) a truck drives
    the expressway to the capital or back at 50-80 km/h, searching ahead along it every 3-8
    minutes at a wide radius; about a third of trips book a plaza or depot charger."""
    prng, rng = w.prng("trucks"), w.rng("trucks")
    trucks = prng.randint(15, 45)
    bap = w.bap(
        "honest",
        f"EV truck fleet: {trucks} trucks from the industrial estate searching along the "
        "expressway at night",
        "truck",
    )
    wire = _wire(prng, bap, trucks, refs=0.8)
    night = tuple(1.5 if h >= NIGHT[0] or h < NIGHT[1] else 0.02 for h in range(24))
    (ax, ay), (bx, by) = g.expressway
    ex, ey = g.estate
    for t in arrivals(rng, trucks * prng.uniform(1.5, 3.0), w.start, w.end, night).tolist():
        u = prng.randrange(trucks)
        via = wire.via(prng)
        user = wire.user(u)
        txn = wire.txn(w, via, "e")
        path = [(ex, ey), (bx, by), (ax, ay)]
        if prng.random() < 0.5:
            path.reverse()
        xs = np.array([p[0] for p in path])
        ys = np.array([p[1] for p in path])
        seg = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))])
        speed = prng.uniform(50, 80) / 3600
        r = prng.choice((10.0, 15.0, 20.0))
        tau, d = 0.0, 0.0
        while d <= seg[-1]:
            x = float(np.interp(d, seg, xs)) + prng.gauss(0, 0.03)
            y = float(np.interp(d, seg, ys)) + prng.gauss(0, 0.03)
            la, lo = g.ll(x, y)
            w.search(bap, t + tau, float(la), float(lo), r, via=via, user=user, txn=txn)
            step = prng.uniform(180, 480)
            tau += step
            d += speed * step
        if prng.random() < 0.33:
            s = c.plaza if prng.random() < 0.6 else c.depots
            k = prng.randrange(len(s.ids))
            w.book(bap, t + tau, s.cpos[k], s.ids[k], prng, confirm=0.9, user=user, txn=txn)


def _driver_trip(
    g: Twin,
    prng: random.Random,
    place: int,
    start: tuple[float, float],
    length: float,
) -> list[tuple[float, float, float]]:
    """A driver's refreshes on one trip, (seconds from the start, x, y): along the avenues in
    the capital (turning at some crossings), down winding streets in the old city; no search
    while passing the lake or the cantonment."""
    out: list[tuple[float, float, float]] = []
    speed = prng.uniform(18, 40) / 3600
    x, y = start
    if place == CAPITAL:
        u, v = (float(a) for a in g.grid(x, y))
        along = prng.random() < 0.5
        if along:  # onto the nearest avenue
            v = round(v / g.sector) * g.sector
        else:
            u = round(u / g.sector) * g.sector
        way = prng.choice((1.0, -1.0))
    heading = prng.uniform(0, 2 * math.pi)
    ox, oy, orad = g.old
    tau = 0.0
    while tau < length:
        if place == CAPITAL:
            x, y = (float(a) for a in g.ungrid(u, v))
        if not bool(g.closed(x, y)):
            out.append((tau, x + prng.gauss(0, 0.015), y + prng.gauss(0, 0.015)))
        dt = prng.uniform(60, 240)
        tau += dt
        step = speed * dt
        if place == CAPITAL:
            if along:
                u += way * step
            else:
                v += way * step
            if math.hypot(*(float(a) for a in g.ungrid(u, v))) > g.radius:
                way = -way
            if prng.random() < 0.3:  # turn at the next crossing
                if along:
                    u = round(u / g.sector) * g.sector
                else:
                    v = round(v / g.sector) * g.sector
                along = not along
                way = prng.choice((1.0, -1.0))
        else:
            heading += prng.gauss(0, 0.7)
            x += step * math.cos(heading)
            y += step * math.sin(heading)
            if math.hypot(x - ox, y - oy) > orad:
                heading = math.atan2(oy - y, ox - x)
    return out


def _driver_app(w: World, g: Twin, c: Chargers) -> tuple[str, Wire, int]:
    """Ride-hailing drivers on the move, the app refreshing where the car is every 1-4
    minutes; at a trip's end a booking often enough that 3-8% of searches end in one."""
    prng = w.prng("driver")
    rng = w.rng("driver")
    drivers = prng.randint(200, 600)
    target = prng.uniform(0.03, 0.08)
    bap = w.bap("honest", "", "ride")
    wire = _wire(prng, bap, drivers, refs=0.9)
    confirm = 0.85
    made = 0
    old_share = prng.uniform(0.25, 0.45)
    times = arrivals(rng, prng.uniform(300, 650), w.start, w.end, DAY)
    for t in times.tolist():
        place = OLD if prng.random() < old_share else CAPITAL
        la, lo = g.people(rng, place, 1)
        x0, y0 = g.xy(float(la[0]), float(lo[0]))
        trip = _driver_trip(g, prng, place, (float(x0), float(y0)), prng.uniform(10, 45) * 60)
        if not trip:
            continue
        u = prng.randrange(drivers)
        via = wire.via(prng)
        user = wire.user(u)
        txn = wire.txn(w, via, "d")
        r = prng.choice((2.0, 3.0, 5.0))
        for tau, x, y in trip:
            lat, lon = g.ll(x, y)
            w.search(bap, t + tau, float(lat), float(lon), r, via=via, user=user, txn=txn)
        made += len(trip)
        if prng.random() < min(0.95, target * len(trip) / confirm):
            s = c.places[place]
            lat, lon = g.ll(trip[-1][1], trip[-1][2])
            j = s.nearest(float(lat), float(lon))
            w.book(
                bap, t + trip[-1][0], s.cpos[j], s.ids[j], prng, confirm=confirm, user=user, txn=txn
            )
    w.baps[bap] = Truth(
        bap,
        "honest",
        f"ride-hailing driver app: {drivers} drivers refreshing every 1-4 min on the move, "
        f"{target:.0%} of searches booked",
    )
    return bap, wire, made


def _tiny(w: World, g: Twin, c: Chargers) -> None:
    bap = w.bap("honest", "tiny new app, under 30 searches a day", "tiny")
    p = w.prng(bap)
    rng = w.rng(bap)
    users = p.randint(2, 6)
    wire = _wire(p, bap, users, refs=0.7)
    h = Habits(
        p.choice(((2.0, 5.0), (3.0,), (5.0, 10.0))), p.uniform(0.2, 0.35), 0.7, (1, 1, 2), DAY
    )
    days = max(1, round((w.end - w.start) / 86_400.0))
    times = exactly(rng, p.randint(5, 13) * days, w, DAY)
    place = p.choice((CAPITAL, OLD))
    lat, lon = g.people(rng, place, len(times))
    for i, t in enumerate(times):
        wire.session(
            w,
            bap,
            p,
            t,
            float(lat[i]),
            float(lon[i]),
            p.randrange(users),
            h,
            c.places[place],
            h.book,
        )


def _aggregator(w: World, g: Twin, c: Chargers, event: Expo) -> tuple[str, Wire, int]:
    bap = w.bap("honest", "two-city aggregator", "agg")
    prng = w.prng(bap)
    wire = _wire(prng, bap, 40_000, refs=0.4)
    h = _habits(prng, (0.1, 0.18))
    made = _app(
        w, g, c, bap, wire, [prng.uniform(1.2, 2.0), 1.0, 0.1], prng.uniform(3500, 6000), h, event
    )
    return bap, wire, made


# -- scrapers hidden in apps ----------------------------------------------------------------------


def spiral(g: Twin, pitch: float, step: float, phase: float, sense: float) -> tuple[F64, F64]:
    """Points every ``step`` km of arc along an Archimedean spiral from the capital's centre
    (its arms ``pitch`` km apart, starting at bearing ``phase``, turning by ``sense``) out to
    the capital's edge, in spiral order: (x, y) in km."""
    b = pitch / (2 * math.pi)
    theta = np.arange(0.5 / b, (g.radius + 0.5) / b, 0.002)
    r = b * theta
    x = r * np.cos(phase + sense * theta)
    y = r * np.sin(phase + sense * theta)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    at = np.arange(0.0, float(s[-1]), step)
    return np.interp(at, s, x), np.interp(at, s, y)


def blue_noise(
    rng: np.random.Generator, x0: float, y0: float, radius: float, spacing: float
) -> tuple[F64, F64]:
    """Random points in a disc, none closer than ``spacing`` km, thrown until the disc is
    covered (dart throwing): (x, y) in km, in the order thrown."""
    xs: list[float] = []
    ys: list[float] = []
    misses = 0
    while misses < 400:
        r = radius * math.sqrt(float(rng.uniform()))
        a = float(rng.uniform(0, 2 * math.pi))
        x, y = x0 + r * math.cos(a), y0 + r * math.sin(a)
        if xs and float(np.min(np.hypot(np.array(xs) - x, np.array(ys) - y))) < spacing:
            misses += 1
            continue
        xs.append(x)
        ys.append(y)
        misses = 0
    return np.array(xs), np.array(ys)


def triangular(g: Twin, step: float) -> tuple[F64, F64, F64, F64]:
    """A triangular lattice of ``step`` km over the capital, its rows along the street grid,
    in row order: (x, y, i, j) with each node at ``i * e1 + j * e2``."""
    n = int(g.radius / step * 1.3) + 2
    ii, jj = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="xy")
    i, j = ii.ravel().astype(np.float64), jj.ravel().astype(np.float64)
    u = (i + 0.5 * j) * step
    v = j * step * math.sqrt(3) / 2
    x, y = g.ungrid(u, v)
    keep = np.hypot(x, y) <= g.radius - 0.3
    return x[keep], y[keep], i[keep], j[keep]


def _hidden_spiral(w: World, g: Twin, c: Chargers, event: Expo) -> None:
    bap, wire, made = _ordinary(
        w, g, c, event, "hidden_sweep", "", "app", (900, 1600), (0.12, 0.25)
    )
    prng = w.prng(bap + "spiral")
    rng = w.rng(bap + "spiral")
    share = prng.uniform(0.09, 0.19)
    pitch = prng.uniform(1.5, 2.5)
    step = prng.uniform(1.0, 2.0)
    x, y = spiral(g, pitch, step, prng.uniform(0, 2 * math.pi), prng.choice((1.0, -1.0)))
    lat, lon = g.ll(x, y)
    radius = prng.choice((1.0, 1.5, 2.0))
    k = 0
    for t in exactly(rng, share_of(made, share), w, DAY):
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            radius,
            via=via,
            txn=wire.txn(w, via, "x"),
            scraping=True,
        )
        k = (k + 1) % lat.size
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"Archimedean spiral from the capital's centre: {lat.size} points every {step:.1f} km, "
        f"arms {pitch:.1f} km apart, {radius} km radius, no user ref; {share:.0%} of an app",
    )


def _hidden_blue(w: World, g: Twin, c: Chargers, event: Expo) -> None:
    bap, wire, made = _ordinary(
        w,
        g,
        c,
        event,
        "hidden_sweep",
        "",
        "app",
        (900, 1600),
        (0.12, 0.25),
        pick=(0, 1),
    )
    prng = w.prng(bap + "blue")
    rng = w.rng(bap + "blue")
    share = prng.uniform(0.06, 0.14)
    spacing = prng.uniform(1.0, 1.5)
    ox, oy, orad = g.old
    x, y = blue_noise(rng, ox, oy, orad + 0.5, spacing)
    lat, lon = g.ll(x, y)
    radius = prng.choice((1.0, 1.5))
    order = rng.permutation(lat.size)
    for n, t in enumerate(exactly(rng, share_of(made, share), w, None)):
        if n and n % lat.size == 0:
            order = rng.permutation(lat.size)
        k = int(order[n % lat.size])
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            radius,
            via=via,
            txn=wire.txn(w, via, "y"),
            scraping=True,
        )
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"blue-noise coverage of the old city: {lat.size} random points >= {spacing:.1f} km "
        f"apart, random order, {radius} km radius; {share:.0%} of an app",
    )


def _hidden_triangular(w: World, g: Twin, bap: str, wire: Wire, made: int) -> None:
    prng = w.prng(bap + "tri")
    rng = w.rng(bap + "tri")
    share = prng.uniform(0.055, 0.095)
    step = prng.uniform(1.2, 2.0)
    x, y, _, _ = triangular(g, step)
    lat, lon = g.ll(x, y)
    radii = prng.choice(((1.0, 2.0), (1.5, 3.0), (1.0, 1.5)))
    k = prng.randrange(lat.size)
    for n, t in enumerate(exactly(rng, share_of(made, share), w, DAY)):
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            radii[n % 2],
            via=via,
            txn=wire.txn(w, via, "v"),
            scraping=True,
        )
        k = (k + 1) % lat.size
    old = w.baps[bap].style
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"{old}; hides a triangular {step:.1f} km lattice turned with the street grid "
        f"({lat.size} nodes, radii {radii[0]}/{radii[1]} alternating), {share:.0%} of it",
    )


def _hidden_poll(w: World, c: Chargers, bap: str, wire: Wire, made: int) -> None:
    """8-20 chargers, each polled on its own period (10-40 min, its own phase, a second or
    two of jitter): never in rounds; 5-15% of the aggregator's searches."""
    prng = w.prng(bap + "poll")
    share = prng.uniform(0.065, 0.135)
    budget = share_of(made, share)
    span = w.end - w.start
    pool = [(p, j) for p in (CAPITAL, OLD) for j in range(len(c.places[p].ids))]
    prng.shuffle(pool)
    n = prng.randint(8, 20)
    periods: list[float] = []
    while len(periods) < 20:  # each its own: no two within 40 s
        period = prng.uniform(600, 2400)
        if all(abs(period - q) > 40 for q in periods):
            periods.append(period)

    def polls(k: int) -> float:
        return sum(span / p for p in periods[:k])

    while n > 8 and polls(n) > budget * 1.05:
        n -= 1
    while n < 20 and polls(n) < budget * 0.95:
        n += 1
    scale = min(2400 / max(periods[:n]), max(600 / min(periods[:n]), polls(n) / budget))
    periods = [p * scale for p in periods[:n]]
    radius = prng.choice((0.5, 1.0, 2.0))
    for (place, j), period in zip(pool[:n], periods, strict=True):
        s = c.places[place]
        t = w.start + prng.uniform(0, period)
        while t < w.end:
            via = wire.via(prng)
            w.search(
                bap,
                t,
                float(s.lat[j]),
                float(s.lon[j]),
                radius,
                via=via,
                txn=wire.txn(w, via, "q"),
                scraping=True,
            )
            t += period + prng.uniform(-2, 2)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"two-city aggregator hiding a poll of {n} chargers, each on its own period "
        f"({min(periods) / 60:.0f}-{max(periods) / 60:.0f} min), never in rounds; "
        f"{got / max(1, got + made):.0%} of its searches",
    )


# -- scrapers of their own ------------------------------------------------------------------------


def square(g: Twin, x0: float, y0: float, step: float, radius: float) -> tuple[F64, F64]:
    """A square lattice of ``step`` km on the axes within ``radius`` km of a point (km),
    raster order: (lat, lon)."""
    n = int(radius / step) + 1
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    x, y = (j.ravel() * step).astype(np.float64), (i.ravel() * step).astype(np.float64)
    keep = np.hypot(x, y) <= radius
    return g.ll(x0 + x[keep], y0 + y[keep])


def _three_gateways(w: World, g: Twin) -> None:
    """One lattice over both cities, its searches spread over all three gateways."""
    prng = w.prng("three")
    rng = w.rng("three")
    step = prng.uniform(1.0, 1.6)
    per_hour = prng.uniform(60, 180)
    bap = w.bap(
        "sweeper",
        f"own BAP, one {step:.1f} km lattice over both cities spread over three gateways at "
        f"{per_hour:.0f}/h",
        "swp",
    )
    ox, oy, orad = g.old
    la1, lo1 = square(g, 0.0, 0.0, step, g.radius + 0.5)
    la2, lo2 = square(g, ox, oy, step, orad + 0.5)
    lat, lon = np.concatenate([la1, la2]), np.concatenate([lo1, lo2])
    split = (0.2 + 0.4 * rng.dirichlet(np.full(3, 3.0))).tolist()  # each 20-60%
    txn3 = prng.random() < 0.5
    radius = prng.choice((1.0, 1.5, 2.0))
    order = rng.permutation(lat.size)
    t, n = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        if n and n % lat.size == 0:
            order = rng.permutation(lat.size)
        k = int(order[n % lat.size])
        via = prng.choices(GATEWAYS, split)[0]
        on = via == GATEWAYS[0] or (via == GATEWAYS[2] and txn3)
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            radius,
            via=via,
            txn=w.txn("s") if on else "",
            scraping=True,
        )
        n += 1
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _sweeper(w: World, g: Twin) -> None:
    prng = w.prng(f"sweep{len(w.baps)}")
    rng = w.rng(f"sweep{len(w.baps)}")
    step = prng.uniform(0.8, 1.5)
    per_hour = prng.uniform(50, 150)
    bap = w.bap(
        "sweeper",
        f"own BAP, square {step:.1f} km lattice over the capital in raster order at "
        f"{per_hour:.0f}/h",
        "swp",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    lat, lon = square(g, 0.0, 0.0, step, g.radius + 0.5)
    radius = prng.choice((1.0, 1.5, 2.0))
    t, k = w.start + prng.uniform(0, 60), int(rng.integers(0, lat.size))
    while t < w.end:
        txn = wire.txn(w, via, "s")
        w.search(bap, t, float(lat[k]), float(lon[k]), radius, via=via, txn=txn, scraping=True)
        k = (k + 1) % lat.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _poller(w: World, c: Chargers) -> None:
    prng = w.prng(f"poll{len(w.baps)}")
    period = prng.uniform(180, 600)
    busy = c.busy()
    pick = prng.sample(busy, prng.randint(4, 10))
    bap = w.bap("poller", f"polls {len(pick)} busy chargers every ~{period:.0f} s", "poll")
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        txn = wire.txn(w, via, "p")
        for n, (place, j) in enumerate(pick):
            s = c.places[place]
            w.search(
                bap,
                t + n * 0.5,
                float(s.lat[j]),
                float(s.lon[j]),
                1.0,
                via=via,
                txn=txn,
                scraping=True,
            )
        t += period * prng.uniform(0.9, 1.1)


def _booking_scraper(w: World, g: Twin, c: Chargers) -> None:
    prng = w.prng(f"bk{len(w.baps)}")
    step = prng.uniform(0.8, 1.6)
    per_hour = prng.uniform(50, 150)
    if prng.random() < 0.5:
        ox, oy, orad = g.old
        lat, lon = square(g, ox, oy, step, orad + 0.5)
        s, over = c.places[OLD], "the old city"
    else:
        lat, lon = square(g, 0.0, 0.0, step, g.radius * 0.6)
        s, over = c.places[CAPITAL], "the capital's middle"
    bap = w.bap(
        "booking_scraper",
        f"{step:.1f} km lattice over {over} at {per_hour:.0f}/h, books ~1%",
        "bk",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        txn = wire.txn(w, via, "z")
        w.search(bap, t, float(lat[k]), float(lon[k]), 2.0, via=via, txn=txn, scraping=True)
        if prng.random() < 0.011:
            j = s.nearest(float(lat[k]), float(lon[k]))
            w.book(bap, t, s.cpos[j], s.ids[j], prng, confirm=0.9, txn=txn)
        k = (k + 1) % lat.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _low_and_slow(w: World, c: Chargers) -> None:
    """6-25 searches an hour on people's daily rhythm over busy chargers, under a few user
    names (some searches without one), at a person's radius."""
    prng = w.prng(f"slow{len(w.baps)}")
    rng = w.rng(f"slow{len(w.baps)}")
    rate = prng.uniform(6, 25)
    busy = c.busy()
    pick = prng.sample(busy, min(len(busy), prng.randint(8, 20)))
    bap = w.bap(
        "low_and_slow",
        f"{rate:.0f}/h on people's daily rhythm over {len(pick)} busy chargers",
        "slow",
    )
    users = prng.randint(3, 8)
    # some of its user names send a reference, not all
    wire = Wire(
        GATEWAYS,
        bap,
        (GATEWAYS[prng.randrange(3)],),
        (1.0,),
        prng.random() < 0.5,
        users,
        (prng.randint(1, users - 1) - 0.5) / users,
    )
    radius = prng.choice((3.0, 5.0, 7.5))
    k = prng.randrange(len(pick))
    for t in arrivals(rng, rate * 24, w.start, w.end, DAY).tolist():
        via = wire.via(prng)
        place, j = pick[k]
        s = c.places[place]
        w.search(
            bap,
            t,
            float(s.lat[j]),
            float(s.lon[j]),
            radius,
            via=via,
            user=wire.user(prng.randrange(users)),
            txn=wire.txn(w, via, "l"),
            scraping=True,
        )
        k = (k + 1) % len(pick)


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    g = geography(seed)
    c = chargers(w, g)
    event = expo(w, g)
    prng = w.prng("plan")
    _own_cpo(w, c)
    _school_bus(w, c)
    _campus_shuttle(w, c)
    _popular(w, g, c, event)
    _trucks(w, g, c)
    for _ in range(prng.randint(14, 17)):
        _ordinary(w, g, c, event, "honest", "ordinary app", "app", (150, 900))
    for _ in range(prng.randint(2, 3)):
        _tiny(w, g, c)
    _hidden_spiral(w, g, c, event)
    _hidden_blue(w, g, c, event)
    bap, wire, made = _driver_app(w, g, c)
    _hidden_triangular(w, g, bap, wire, made)
    bap, wire, made = _aggregator(w, g, c, event)
    _hidden_poll(w, c, bap, wire, made)
    _three_gateways(w, g)
    for _ in range(prng.randint(0, 1)):
        _sweeper(w, g)
    for _ in range(prng.randint(1, 2)):
        _poller(w, c)
    _booking_scraper(w, g, c)
    for _ in range(prng.randint(2, 3)):
        _low_and_slow(w, c)
    return w.done()
