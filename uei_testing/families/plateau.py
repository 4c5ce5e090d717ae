"""Family ``plateau``: a dry plateau region. One junction city (~15 km across) where two
national highways cross, with two logistics parks, a bus rapid transit (BRT) corridor
through the city, an old walled town near the centre and a railway station; a mining belt
of 8-14 small towns 30-120 km out, joined to the highways by branch roads, with charging
plazas every 25-50 km along the highways; and a large temple town 60-90 km out. The day is a
Monday, but a festival at the temple brings 4 hours of heavy searching around it.

Honest BAPs: a logistics fleet manager polling its 30-60 depot chargers (both logistics
parks and 4-6 mining towns) every 10-20 minutes around the clock, booking a truck slot on
5-15% of rounds; the BRT operator's depot console polling its 4-8 chargers every 5 minutes,
booking on ~20% of rounds at night and ~5% by day; a highway-assist app whose users search
the plazas ahead of them as they drive (a search every 10-30 km along a highway, 10-20% of
trips booking a plaza); a mining-company staff app (office hours in the towns, ~30% of
sessions book); a reservation app whose users hold a slot 1-3 hours ahead around home and
work (~25% book); a pilgrim app (mostly the temple town, surging at the festival, booking
5-10%); a national aggregator with most of its traffic in far cities; 12-14 ordinary apps;
2-3 tiny new apps (under 30 searches a day); an electric-auto driver app (drivers waiting at
10-20 stands in the junction city search their stand's exact spot many times an hour,
3-8% of searches booked).

Scrapers: a Hilbert-curve sweep over the junction city (a point every 0.8-1.1 km along the
curve, one radius, no user reference) hidden in an ordinary app at 8-20%; an adaptive sweep
whose radius follows charger density (a 1 km lattice at 1 km over the city, a coarse 5 km
lattice at 5 km over the mining belt) hidden in the national aggregator at 5-12%, some with
transaction ids; a sweep of the highway plazas, each plaza exactly, in highway order, over
and over, hidden in the highway-assist app at 5-15%; a poll of 10-25 chargers whose rounds
(every 5-20 minutes) each visit a random 3-8 of them, never all, hidden in the e-auto app at
5-15%; a sweeper jittering every point by 100-200 m and varying its radius among three
values; a sweeper sharing its BAP key with a real tiny app (the app is ~5% of the key's
traffic); a poller; a sweep that books ~1%; low-and-slow scrapers at 4-20 searches an hour
on people's daily rhythm, their user references rotating daily (at 04:00 IST).

Gateways: ``bg.plateau.example`` always reports transaction ids, ``bg2`` never, ``bg3`` as
the app chooses; an app uses one gateway or splits its traffic over two. User references:
every user of an app, some of them, or none.

Written by a separate session from a brief, independently of the detector's rules, as a
held-out family (never scored while it was written).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from uei_testing.families.wire import Habits, Wire, Wiring
from uei_testing.families.world import (
    F64,
    HOUR,
    KM_LAT,
    Sites,
    Truth,
    World,
    arrivals,
    exactly,
    ist_hours,
    share_of,
)

NAME = "plateau"
CPOS = tuple(f"cpo{i}.plateau.example" for i in range(6))
FLEET_CPO = "fleet.plateau.example"
BRT_CPO = "brt.plateau.example"
GATEWAYS = ("bg.plateau.example", "bg2.plateau.example", "bg3.plateau.example")
"""``bg`` always reports transaction ids, ``bg2`` never, ``bg3`` as the app chooses."""
DAY = (
    0.1,
    0.06,
    0.05,
    0.05,
    0.1,
    0.3,
    0.7,
    1.2,
    1.5,
    1.4,
    1.3,
    1.2,
    1.1,
    1.0,
    1.0,
    1.1,
    1.3,
    1.6,
    1.8,
    1.6,
    1.2,
    0.8,
    0.45,
    0.2,
)
OFFICE = tuple(1.5 if 9 <= h < 18 else 0.02 for h in range(24))
NIGHT = (22.0, 6.0)
"""The BRT depot's night (IST): buses charge for the morning."""
ROTATE = 4.0
"""The IST hour at which a low-and-slow scraper's user references change."""
Point = tuple[float, float]
Hub = tuple[float, float, float, float]
"""(x, y, spread km, weight)."""


# -- geography ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plateau:
    """The region in km east (``x``) and north (``y``) of the junction city's centre."""

    lat: float
    lon: float
    km_lon: float
    radius: float
    """How far the junction city reaches from its centre, km."""
    arms: tuple[float, ...]
    """The bearings (radians) of the four highway arms out of the city: two highways."""
    reach: float
    """How far each arm runs, km."""
    parks: tuple[Point, Point]
    """The two logistics parks, on two arms at the city's edge."""
    brt: tuple[Point, Point]
    """The BRT corridor's two ends (its depot at the first)."""
    walled: tuple[float, float, float]
    """The old walled town: (x, y, radius km)."""
    station: Point
    stands: tuple[Point, ...]
    """The e-auto stands."""
    towns: tuple[tuple[float, float, int, float], ...]
    """The mining towns: (x, y, arm, distance along it where the branch road leaves)."""
    temple: tuple[float, float, int, float]
    """The temple town, as a town."""
    plazas: tuple[tuple[float, float, int, float], ...]
    """The highway plazas in highway order: (x, y, arm, distance along it)."""

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

    def on_arm(self, arm: int, d: float) -> Point:
        a = self.arms[arm]
        return d * math.cos(a), d * math.sin(a)

    def city_hubs(self) -> list[Hub]:
        wx, wy, wr = self.walled
        (ax, ay), (bx, by) = self.brt
        out: list[Hub] = [(0.0, 0.0, 1.5, 2.0), (wx, wy, wr, 2.5), (*self.station, 0.5, 1.5)]
        out += [(x, y, 0.6, 0.8) for x, y in self.parks]
        out += [(ax + (bx - ax) * f, ay + (by - ay) * f, 0.5, 0.6) for f in (0.15, 0.5, 0.85)]
        rng = np.random.default_rng([int(self.lat * 1e4), 7])
        for _ in range(8):
            r = self.radius * 0.85 * math.sqrt(float(rng.uniform()))
            a = float(rng.uniform(0, 2 * math.pi))
            out.append((r * math.cos(a), r * math.sin(a), float(rng.uniform(0.6, 1.4)), 0.7))
        return out

    def people(self, rng: np.random.Generator, n: int, hubs: Sequence[Hub]) -> tuple[F64, F64]:
        """``n`` points around ``hubs`` as (lat, lon)."""
        hs = np.array(hubs, dtype=np.float64)
        pick = rng.choice(len(hs), size=n, p=hs[:, 3] / hs[:, 3].sum())
        x = hs[pick, 0] + rng.normal(0, 1, n) * hs[pick, 2]
        y = hs[pick, 1] + rng.normal(0, 1, n) * hs[pick, 2]
        return self.ll(x, y)

    def town_hubs(self) -> list[Hub]:
        return [(x, y, 1.0, 1.0) for x, y, _, _ in self.towns]

    def temple_hubs(self, spread: float = 1.2) -> list[Hub]:
        return [(self.temple[0], self.temple[1], spread, 1.0)]


def _ang_gap(a: float, b: float) -> float:
    d = abs(a - b) % (2 * math.pi)
    return min(d, 2 * math.pi - d)


def geography(seed: int) -> Plateau:
    """The plateau of a seed."""
    rng = np.random.default_rng([seed, *b"plateau-geography"])
    lat0, lon0 = float(rng.uniform(15.0, 24.0)), float(rng.uniform(74.0, 82.0))
    km_lon = 111.320 * math.cos(math.radians(lat0))
    radius = float(rng.uniform(7.0, 8.0))
    h1 = float(rng.uniform(0, math.pi))
    h2 = h1 + math.radians(float(rng.uniform(60, 120)))
    arms = (h1, h1 + math.pi, h2, h2 + math.pi)
    reach = 130.0

    def at(arm: int, d: float) -> Point:
        return d * math.cos(arms[arm]), d * math.sin(arms[arm])

    p1, p2 = rng.choice(4, size=2, replace=False).tolist()
    parks = (at(p1, radius * float(rng.uniform(0.7, 0.9))), at(p2, radius * 0.8))
    b = float(rng.uniform(0, 2 * math.pi))
    half = radius * float(rng.uniform(0.75, 0.9))
    brt = ((half * math.cos(b), half * math.sin(b)), (-half * math.cos(b), -half * math.sin(b)))
    a = float(rng.uniform(0, 2 * math.pi))
    r = float(rng.uniform(0.5, 1.5))
    walled = (r * math.cos(a), r * math.sin(a), float(rng.uniform(0.6, 0.9)))
    a = float(rng.uniform(0, 2 * math.pi))
    r = float(rng.uniform(1.5, 3.0))
    station = (r * math.cos(a), r * math.sin(a))
    stands: list[Point] = [station, (walled[0], walled[1])]
    while len(stands) < int(rng.integers(10, 21)):
        r = radius * 0.8 * math.sqrt(float(rng.uniform()))
        a = float(rng.uniform(0, 2 * math.pi))
        x, y = r * math.cos(a), r * math.sin(a)
        if all(math.hypot(x - sx, y - sy) > 0.6 for sx, sy in stands):
            stands.append((x, y))
    towns: list[tuple[float, float, int, float]] = []
    while len(towns) < int(rng.integers(8, 15)):
        arm = int(rng.integers(0, 4))
        d = float(rng.uniform(30, 120))
        off = float(rng.uniform(2, 15)) * float(rng.choice([-1.0, 1.0]))
        x, y = at(arm, d)
        x, y = x - off * math.sin(arms[arm]), y + off * math.cos(arms[arm])
        if all(math.hypot(x - tx, y - ty) > 12 for tx, ty, _, _ in towns):
            towns.append((x, y, arm, d))
    arm = int(rng.integers(0, 4))
    d = float(rng.uniform(60, 90))
    off = float(rng.uniform(3, 10)) * float(rng.choice([-1.0, 1.0]))
    tx, ty = at(arm, d)
    temple = (tx - off * math.sin(arms[arm]), ty + off * math.cos(arms[arm]), arm, d)
    plazas: list[tuple[float, float, int, float]] = []
    for k in range(4):
        d = radius + float(rng.uniform(10, 30))
        while d < reach:
            plazas.append((*at(k, d), k, d))
            d += float(rng.uniform(25, 50))
    return Plateau(
        lat0,
        lon0,
        km_lon,
        radius,
        arms,
        reach,
        (parks[0], parks[1]),
        brt,
        walled,
        station,
        tuple(stands),
        tuple(towns),
        temple,
        tuple(plazas),
    )


# -- chargers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chargers:
    city: Sites
    towns: Sites
    """The mining towns' public chargers."""
    temple: Sites
    plazas: Sites
    """One site per plaza, in highway order."""
    depots: Sites
    """The logistics fleet's depot chargers (both parks and a few mining towns)."""
    brt: Sites
    stand: list[int]
    """For each e-auto stand, its nearest city charger."""

    def busy(self) -> list[tuple[Sites, int]]:
        return [(self.city, j) for j in range(min(30, len(self.city.ids)))] + [
            (self.temple, j) for j in range(len(self.temple.ids))
        ]


def _sites(
    rng: np.random.Generator, g: Plateau, x: F64, y: F64, cpo: str | None, prefix: str
) -> Sites:
    lat, lon = g.ll(x, y)
    owners = (
        [cpo] * lat.size if cpo else [CPOS[int(i)] for i in rng.integers(0, len(CPOS), lat.size)]
    )
    return Sites([f"{prefix}-{i:03d}" for i in range(lat.size)], owners, lat, lon)


def _around(rng: np.random.Generator, hubs: Sequence[Hub], n: int) -> tuple[F64, F64]:
    hs = np.array(hubs, dtype=np.float64)
    pick = rng.choice(len(hs), size=n, p=hs[:, 3] / hs[:, 3].sum())
    return (
        hs[pick, 0] + rng.normal(0, 1, n) * hs[pick, 2] * 0.7,
        hs[pick, 1] + rng.normal(0, 1, n) * hs[pick, 2] * 0.7,
    )


def chargers(w: World, g: Plateau) -> Chargers:
    rng = w.rng("sites")
    x, y = _around(rng, g.city_hubs(), int(rng.integers(70, 110)))
    city = _sites(rng, g, x, y, None, "pl-c")
    xs: list[float] = []
    ys: list[float] = []
    for tx, ty, _, _ in g.towns:
        k = int(rng.integers(3, 9))
        xs += (tx + rng.normal(0, 0.8, k)).tolist()
        ys += (ty + rng.normal(0, 0.8, k)).tolist()
    towns = _sites(rng, g, np.array(xs), np.array(ys), None, "pl-m")
    k = int(rng.integers(8, 16))
    temple = _sites(
        rng,
        g,
        g.temple[0] + rng.normal(0, 0.9, k),
        g.temple[1] + rng.normal(0, 0.9, k),
        None,
        "pl-t",
    )
    px = np.array([p[0] for p in g.plazas])
    py = np.array([p[1] for p in g.plazas])
    plazas = _sites(rng, g, px, py, None, "pl-hw")
    n = int(rng.integers(30, 61))
    mine = rng.choice(len(g.towns), size=int(rng.integers(4, 7)), replace=False).tolist()
    spots: list[Point] = [*g.parks, *[(g.towns[i][0], g.towns[i][1]) for i in mine]]
    weights = np.array([4.0, 4.0] + [1.0] * len(mine))
    pick = rng.choice(len(spots), size=n, p=weights / weights.sum())
    pick[: len(spots)] = np.arange(len(spots))  # every park and town has a depot
    dx = np.array([spots[i][0] for i in pick]) + rng.normal(0, 0.25, n)
    dy = np.array([spots[i][1] for i in pick]) + rng.normal(0, 0.25, n)
    depots = _sites(rng, g, dx, dy, FLEET_CPO, "depot")
    k = int(rng.integers(4, 9))
    (bx, by), _ = g.brt
    brt = _sites(rng, g, bx + rng.normal(0, 0.05, k), by + rng.normal(0, 0.05, k), BRT_CPO, "brt")
    stand = [city.nearest(*(float(v) for v in g.ll(sx, sy))) for sx, sy in g.stands]
    return Chargers(city, towns, temple, plazas, depots, brt, stand)


# -- how apps reach the network -------------------------------------------------------------------


WIRING = Wiring(
    GATEWAYS, ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (2,), (1,), (0, 2)), 0.45, (0.15, 0.9)
)
_wire = WIRING.wire


def _midnight(w: World, t: float) -> float:
    return t - float(ist_hours(np.array([t]))[0]) * HOUR


def _in_hours(t: float, hours: tuple[float, float]) -> bool:
    h = float(ist_hours(np.array([t]))[0])
    lo, hi = hours
    return lo <= h < hi if lo < hi else h >= lo or h < hi


# -- the festival ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Festival:
    start: float
    end: float
    lat: float
    lon: float
    spread_km: float
    surge: float
    """Extra sessions at the temple during the festival, per day of it, as a multiple of an
    app's daily sessions there (or of a share of them, for apps mostly elsewhere)."""


def festival(w: World, g: Plateau) -> Festival:
    prng = w.prng("festival")
    start = _midnight(w, w.start) + prng.uniform(8.0, 14.0) * HOUR
    if start < w.start:
        start += 86_400.0
    lat, lon = g.ll(g.temple[0], g.temple[1])
    return Festival(
        start,
        start + 4 * HOUR,
        float(lat),
        float(lon),
        prng.uniform(0.8, 1.5),
        prng.uniform(3.0, 6.0),
    )


# -- ordinary people ------------------------------------------------------------------------------


def _habits(prng: random.Random, book: tuple[float, float]) -> Habits:
    return Habits(
        radii=prng.choice(
            ((2.0, 5.0, 10.0), (3.0, 8.0), (1.0, 3.0, 6.0, 15.0), (5.0, 10.0, 25.0), (2.0, 4.0))
        ),
        book=prng.uniform(*book),
        confirm=prng.uniform(0.55, 0.85),
        repeat=prng.choice(((1, 1, 2), (1, 2, 2, 3), (1,), (1, 1, 1, 2), (1, 1, 3))),
        shape=DAY,
    )


CITY, TOWNS, TEMPLE, HIGHWAY = 0, 1, 2, 3
"""Where an app's users are."""


def _app(
    w: World,
    g: Plateau,
    c: Chargers,
    bap: str,
    wire: Wire,
    weights: Sequence[float],
    per_day: float,
    h: Habits,
    fest: Festival | None,
) -> int:
    """Sessions in the city, the mining towns, the temple town or at the plazas (by
    ``weights``); during the festival (when given) extra sessions at the temple, booking a
    third as often. Returns the searches made."""
    rng, prng = w.rng(bap), w.prng(bap)
    times = arrivals(rng, per_day, w.start, w.end, h.shape)
    p = np.asarray(weights, dtype=np.float64)
    which = rng.choice(p.size, size=times.size, p=p / p.sum())
    plaza_hubs = [(x, y, 1.5, 1.0) for x, y, _, _ in g.plazas]
    hubs = (g.city_hubs(), g.town_hubs(), g.temple_hubs(), plaza_hubs)
    places = (c.city, c.towns, c.temple, c.plazas)
    lat, lon = np.empty(times.size), np.empty(times.size)
    for k in range(p.size):
        m = which == k
        lat[m], lon[m] = g.people(rng, int(m.sum()), hubs[k])
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
            widen=0.2,
        )
    if fest is not None:
        here = max(float(p[TEMPLE] / p.sum()), 0.08) if p.size > TEMPLE else 0.08
        length = fest.end - fest.start
        n = int(rng.poisson(per_day * here * fest.surge * length / 86_400 * 6))
        times = np.sort(fest.start + length * rng.uniform(0, 1, n))
        lat, lon = g.people(rng, n, g.temple_hubs(fest.spread_km))
        who = rng.integers(0, max(1, wire.users), n)
        crowd = Habits(h.radii, h.book / 3, h.confirm, (1, 2, 2, 3), h.shape)
        for i, t in enumerate(times.tolist()):
            made += wire.session(
                w,
                bap,
                prng,
                t,
                float(lat[i]),
                float(lon[i]),
                int(who[i]),
                crowd,
                c.temple,
                crowd.book,
                widen=0.2,
            )
    return made


def _ordinary(
    w: World,
    g: Plateau,
    c: Chargers,
    fest: Festival,
    label: str,
    per_day: tuple[float, float],
    *,
    book: tuple[float, float] = (0.12, 0.3),
    pick: tuple[int, ...] | None = None,
    refs: float = 0.6,
) -> tuple[str, Wire, int]:
    bap = w.bap(label, "ordinary app", "app")
    p = w.prng(bap + "habits")
    wire = _wire(p, bap, p.randint(200, 6000), pick=pick, refs=refs)
    h = _habits(p, book)
    weights = [p.uniform(1.0, 6.0), p.uniform(0.2, 2.0), p.uniform(0.05, 0.5), p.uniform(0, 0.3)]
    joins = fest if p.random() < 0.7 else None
    return bap, wire, _app(w, g, c, bap, wire, weights, p.uniform(*per_day), h, joins)


def _tiny(w: World, g: Plateau, c: Chargers, label: str = "honest") -> str:
    bap = w.bap(label, "tiny new app, under 30 searches a day", "tiny")
    _tiny_traffic(w, g, c, bap, 5, 13)
    return bap


def _tiny_traffic(w: World, g: Plateau, c: Chargers, bap: str, lo: int, hi: int) -> int:
    p, rng = w.prng(bap + "tiny"), w.rng(bap + "tiny")
    users = p.randint(2, 6)
    wire = _wire(p, bap, users, refs=0.7)
    h = Habits(
        p.choice(((2.0, 5.0), (3.0,), (5.0, 10.0))), p.uniform(0.2, 0.35), 0.7, (1, 1, 2), DAY
    )
    days = max(1, round((w.end - w.start) / 86_400.0))
    times = exactly(rng, p.randint(lo, hi) * days, w, DAY)
    lat, lon = g.people(rng, len(times), g.city_hubs())
    made = 0
    for i, t in enumerate(times):
        made += wire.session(
            w,
            bap,
            p,
            t,
            float(lat[i]),
            float(lon[i]),
            p.randrange(users),
            h,
            c.city,
            h.book,
            widen=0.2,
        )
    return made


# -- honest BAPs with habits of their own --------------------------------------------------------


def _fleet(w: World, c: Chargers) -> None:
    """The logistics fleet manager's screen polls every depot charger (a second apart) every
    10-20 minutes around the clock; on 5-15% of rounds it books a truck slot at one."""
    prng = w.prng("fleet")
    s = c.depots
    n = len(s.ids)
    period = prng.uniform(600, 1200)
    book = prng.uniform(0.05, 0.15)
    bap = w.bap(
        "honest",
        f"logistics fleet manager: polls its {n} depot chargers every {period / 60:.0f} min "
        f"around the clock, books a truck slot on {book:.0%} of rounds",
        "fleet",
    )
    wire = _wire(prng, bap, prng.randint(2, 5), refs=0.7)
    radius = prng.choice((0.5, 1.0))
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        via = wire.via(prng)
        user = wire.user(prng.randrange(wire.users))
        txn = wire.txn(w, via, "f")
        for j in range(n):
            w.search(
                bap, t + j, float(s.lat[j]), float(s.lon[j]), radius, via=via, user=user, txn=txn
            )
        if prng.random() < book:
            j = prng.randrange(n)
            w.book(bap, t + n, s.cpos[j], s.ids[j], prng, confirm=0.9, user=user, txn=txn)
        t += period * prng.uniform(0.97, 1.03)


def _brt(w: World, c: Chargers) -> None:
    """The BRT depot console: its 4-8 chargers every 5 minutes, booking on ~20% of rounds at
    night (22-06) and ~5% by day."""
    prng = w.prng("brt")
    s = c.brt
    n = len(s.ids)
    night, day = prng.uniform(0.17, 0.23), prng.uniform(0.04, 0.06)
    bap = w.bap(
        "honest",
        f"BRT depot console: polls its {n} chargers every 5 min, books on {night:.0%} of "
        f"rounds at night, {day:.0%} by day",
        "brt",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    radius = prng.choice((0.3, 0.5))
    t = w.start + prng.uniform(0, 30)
    while t < w.end:
        txn = wire.txn(w, via, "b")
        for j in range(n):
            w.search(bap, t + 2.0 * j, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn)
        if prng.random() < (night if _in_hours(t, NIGHT) else day):
            j = prng.randrange(n)
            w.book(bap, t + 2.0 * n, s.cpos[j], s.ids[j], prng, confirm=0.95, txn=txn)
        t += 300.0 + prng.uniform(-0.5, 0.5)


def _trip(g: Plateau, prng: random.Random) -> tuple[int, float, float, float]:
    """A drive along one arm: (arm, from km, to km, speed km/s)."""
    arm = prng.randrange(4)
    a, b = prng.uniform(g.radius, 60), prng.uniform(70, g.reach)
    if prng.random() < 0.5:
        a, b = b, a
    return arm, a, b, prng.uniform(55, 90) / 3600


def _highway(w: World, g: Plateau, c: Chargers) -> tuple[str, Wire, int]:
    """Drivers on the highways search the plazas ahead of them: a search every 10-30 km along
    the arm, from where the car is, at a wide radius; 10-20% of trips book the plaza ahead."""
    prng, rng = w.prng("highway"), w.rng("highway")
    drivers = prng.randint(300, 1500)
    book = prng.uniform(0.1, 0.2)
    bap = w.bap(
        "honest",
        f"highway-assist app: drivers search ahead every 10-30 km along the highways, "
        f"{book:.0%} of trips book a plaza",
        "hwy",
    )
    wire = _wire(prng, bap, drivers, refs=0.8, pick=(0, 2))
    made = 0
    for t in arrivals(rng, prng.uniform(350, 600), w.start, w.end, DAY).tolist():
        arm, a, b, speed = _trip(g, prng)
        u = prng.randrange(drivers)
        via, user = wire.via(prng), wire.user(u)
        txn = wire.txn(w, via, "h")
        r = prng.choice((15.0, 25.0, 40.0))
        way = 1.0 if b > a else -1.0
        d, tau = a, 0.0
        while (b - d) * way > 0:
            x, y = g.on_arm(arm, d)
            la, lo = g.ll(x + prng.gauss(0, 0.05), y + prng.gauss(0, 0.05))
            w.search(bap, t + tau, float(la), float(lo), r, via=via, user=user, txn=txn)
            made += 1
            step = prng.uniform(10, 30)
            d += way * step
            tau += step / speed
        if prng.random() < book:
            ahead = [
                k for k, p in enumerate(g.plazas) if p[2] == arm and (p[3] - d) * way >= -5
            ] or [k for k, p in enumerate(g.plazas) if p[2] == arm]
            k = ahead[0] if way > 0 else ahead[-1]
            s = c.plazas
            w.book(bap, t + tau, s.cpos[k], s.ids[k], prng, confirm=0.85, user=user, txn=txn)
    return bap, wire, made


def _staff(w: World, g: Plateau, c: Chargers) -> None:
    prng = w.prng("staff")
    bap = w.bap("honest", "mining-company staff app: office hours in the towns, ~30% book", "mine")
    wire = _wire(prng, bap, prng.randint(150, 600), refs=1.0, pick=(prng.randrange(3),))
    h = Habits((3.0, 5.0, 10.0), prng.uniform(0.27, 0.33), 0.85, (1, 1, 2), OFFICE)
    _app(w, g, c, bap, wire, [0.1, 1.0], prng.uniform(500, 900), h, None)


def _reservation(w: World, g: Plateau, c: Chargers) -> None:
    """Users hold a slot 1-3 hours ahead: searches around each user's home (mornings,
    evenings) and work (daytime); ~25% of sessions book."""
    prng, rng = w.prng("reserve"), w.rng("reserve")
    users = prng.randint(300, 900)
    bap = w.bap(
        "honest",
        f"reservation app: {users} users hold a slot 1-3 h ahead around home and work, ~25% book",
        "resv",
    )
    wire = _wire(prng, bap, users, refs=0.9)
    hx, hy = g.xy(*g.people(rng, users, g.city_hubs()))
    wx, wy = g.xy(*g.people(rng, users, g.city_hubs()[:5]))
    h = Habits((2.0, 3.0, 5.0), prng.uniform(0.22, 0.28), 0.8, (1, 1, 2, 3), DAY)
    for t in arrivals(rng, prng.uniform(700, 1300), w.start, w.end, DAY).tolist():
        u = prng.randrange(users)
        hour = float(ist_hours(np.array([t]))[0])
        at_work = 9.5 <= hour < 17.5 and prng.random() < 0.8
        x, y = (wx[u], wy[u]) if at_work else (hx[u], hy[u])
        la, lo = g.ll(float(x) + prng.gauss(0, 0.1), float(y) + prng.gauss(0, 0.1))
        wire.session(w, bap, prng, t, float(la), float(lo), u, h, c.city, h.book, widen=0.2)


def _pilgrim(w: World, g: Plateau, c: Chargers, fest: Festival) -> None:
    prng = w.prng("pilgrim")
    bap = w.bap("honest", "pilgrim app: mostly the temple town, surging at the festival", "pil")
    wire = _wire(prng, bap, prng.randint(2000, 8000), refs=0.6)
    h = Habits((2.0, 5.0, 10.0), prng.uniform(0.05, 0.1), 0.75, (1, 1, 2, 3), DAY)
    _app(w, g, c, bap, wire, [0.15, 0.05, 1.0, 0.1], prng.uniform(600, 1000), h, fest)


def _aggregator(w: World, g: Plateau, c: Chargers, fest: Festival) -> tuple[str, Wire, int]:
    """A national aggregator: most of its searches are in far cities (300-1200 km away)."""
    bap = w.bap("honest", "national aggregator: most traffic in far cities", "agg")
    prng, rng = w.prng(bap), w.rng(bap)
    wire = _wire(prng, bap, 60_000, refs=0.5, pick=(0, 1))
    h = _habits(prng, (0.1, 0.2))
    made = _app(w, g, c, bap, wire, [1.0, 0.3, 0.2, 0.1], prng.uniform(600, 1000), h, fest)
    far = []
    for _ in range(prng.randint(4, 7)):
        d, a = prng.uniform(300, 1200), prng.uniform(0, 2 * math.pi)
        far.append((d * math.cos(a), d * math.sin(a), prng.uniform(2, 6), prng.uniform(0.5, 2)))
    fx, fy = _around(rng, far, 400)
    there = _sites(rng, g, fx, fy, None, "far")
    times = arrivals(rng, prng.uniform(3000, 5000), w.start, w.end, DAY)
    lat, lon = g.people(rng, times.size, far)
    who = rng.integers(0, wire.users, times.size)
    for i, t in enumerate(times.tolist()):
        la, lo = float(lat[i]), float(lon[i])
        made += wire.session(w, bap, prng, t, la, lo, int(who[i]), h, there, h.book, widen=0.2)
    return bap, wire, made


def _eauto(w: World, g: Plateau, c: Chargers) -> tuple[str, Wire, int]:
    """E-auto drivers waiting at a stand search its exact spot every 2-8 minutes for the
    20-60 minutes they wait; 3-8% of searches end in a booking."""
    prng, rng = w.prng("eauto"), w.rng("eauto")
    drivers = prng.randint(180, 300)
    target = prng.uniform(0.03, 0.08)
    bap = w.bap(
        "honest",
        f"e-auto driver app: {drivers} drivers search their stand ({len(g.stands)} stands) "
        f"many times an hour while waiting, {target:.0%} of searches booked",
        "auto",
    )
    wire = _wire(prng, bap, drivers, refs=0.9)
    lat, lon = g.ll(np.array([s[0] for s in g.stands]), np.array([s[1] for s in g.stands]))
    made = 0
    for t in arrivals(rng, drivers * prng.uniform(2.0, 3.5), w.start, w.end, DAY).tolist():
        k = prng.randrange(len(g.stands))
        u = prng.randrange(drivers)
        via, user = wire.via(prng), wire.user(u)
        txn = wire.txn(w, via, "e")
        r = prng.choice((1.0, 2.0, 3.0))
        until, n = t + prng.uniform(20, 60) * 60, 0
        while t < until:
            w.search(bap, t, float(lat[k]), float(lon[k]), r, via=via, user=user, txn=txn)
            n += 1
            t += prng.uniform(120, 480)
        made += n
        if prng.random() < min(0.95, target * n / 0.85):
            j = c.stand[k]
            w.book(bap, t, c.city.cpos[j], c.city.ids[j], prng, confirm=0.85, user=user, txn=txn)
    return bap, wire, made


# -- scrapers hidden in apps ----------------------------------------------------------------------


def hilbert(order: int) -> tuple[F64, F64]:
    """The cells (i, j) of a Hilbert curve of ``2**order`` cells a side, in curve order."""
    side = 1 << order
    out_i, out_j = [], []
    for d in range(side * side):
        x = y = 0
        t = d
        s = 1
        while s < side:
            rx = 1 & (t // 2)
            ry = 1 & (t ^ rx)
            if ry == 0:
                if rx == 1:
                    x, y = s - 1 - x, s - 1 - y
                x, y = y, x
            x += s * rx
            y += s * ry
            t //= 4
            s *= 2
        out_i.append(x)
        out_j.append(y)
    return np.array(out_i, dtype=np.float64), np.array(out_j, dtype=np.float64)


def _hidden_hilbert(w: World, g: Plateau, c: Chargers, fest: Festival) -> None:
    bap, wire, made = _ordinary(w, g, c, fest, "hidden_sweep", (900, 1600), refs=0.9)
    prng, rng = w.prng(bap + "hilbert"), w.rng(bap + "hilbert")
    share = prng.uniform(0.09, 0.19)
    step = prng.uniform(0.85, 1.1)
    i, j = hilbert(4)
    half = 8 * step
    x, y = -half + (i + 0.5) * step, -half + (j + 0.5) * step
    lat, lon = g.ll(x, y)
    radius = prng.choice((1.0, 1.5))
    k = prng.randrange(lat.size)
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
        f"Hilbert curve over the junction city: 256 cells of {step:.2f} km in curve order, "
        f"{radius} km radius, no user ref; {share:.0%} of an app",
    )


def belt_lattice(g: Plateau, step: float) -> tuple[F64, F64]:
    """A ``step`` km lattice over the mining belt: nodes 25-125 km out within 15 km of a
    town or 5 km of a highway, raster order, as (x, y)."""
    n = int(125 / step) + 1
    ii, jj = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    x, y = (jj.ravel() * step).astype(np.float64), (ii.ravel() * step).astype(np.float64)
    r = np.hypot(x, y)
    near = np.zeros(x.size, dtype=bool)
    for tx, ty, _, _ in (*g.towns, g.temple):
        near |= np.hypot(x - tx, y - ty) <= 15
    for a in g.arms:
        along = x * math.cos(a) + y * math.sin(a)
        off = np.abs(-x * math.sin(a) + y * math.cos(a))
        near |= (along > 0) & (off <= 5)
    keep = (r >= 25) & (r <= 125) & near
    return x[keep], y[keep]


def city_lattice(g: Plateau, step: float) -> tuple[F64, F64]:
    n = int(g.radius / step) + 1
    ii, jj = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    x, y = (jj.ravel() * step).astype(np.float64), (ii.ravel() * step).astype(np.float64)
    keep = np.hypot(x, y) <= g.radius + 0.5
    return x[keep], y[keep]


def _hidden_adaptive(w: World, g: Plateau, bap: str, wire: Wire, made: int) -> None:
    prng, rng = w.prng(bap + "adaptive"), w.rng(bap + "adaptive")
    share = prng.uniform(0.06, 0.11)
    cx, cy = city_lattice(g, 1.0)
    bx, by = belt_lattice(g, 5.0)
    x, y = np.concatenate([cx, bx]), np.concatenate([cy, by])
    radius = np.concatenate([np.full(cx.size, 1.0), np.full(bx.size, 5.0)])
    lat, lon = g.ll(x, y)
    k = prng.randrange(lat.size)
    for t in exactly(rng, share_of(made, share), w, None):
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            float(radius[k]),
            via=via,
            txn=wire.txn(w, via, "y"),
            scraping=True,
        )
        k = (k + 1) % lat.size
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"national aggregator hiding an adaptive sweep: a 1 km lattice at 1 km over the city "
        f"({cx.size} nodes), a 5 km lattice at 5 km over the mining belt ({bx.size}); "
        f"{share:.0%} of its searches",
    )


def _hidden_plazas(w: World, g: Plateau, c: Chargers, bap: str, wire: Wire, made: int) -> None:
    prng, rng = w.prng(bap + "plazas"), w.rng(bap + "plazas")
    share = prng.uniform(0.06, 0.14)
    s = c.plazas
    radius = prng.choice((5.0, 10.0, 20.0))
    k = 0
    for t in exactly(rng, share_of(made, share), w, None):
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(s.lat[k]),
            float(s.lon[k]),
            radius,
            via=via,
            txn=wire.txn(w, via, "z"),
            scraping=True,
        )
        k = (k + 1) % len(s.ids)
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"highway-assist app hiding a sweep of its {len(s.ids)} plazas, each exactly, in "
        f"highway order, over and over, at {radius} km; {share:.0%} of its searches",
    )


def _hidden_subset_poll(w: World, c: Chargers, bap: str, wire: Wire, made: int) -> None:
    """10-25 city chargers; each round (every 5-20 minutes) visits a random 3-8 of them."""
    prng = w.prng(bap + "poll")
    share = prng.uniform(0.065, 0.135)
    budget = share_of(made, share)
    n = prng.randint(10, 25)
    pool = prng.sample(range(len(c.city.ids)), n)
    mean_round = 5.5
    gap = (w.end - w.start) / max(1.0, budget / mean_round)
    gap = min(1200.0, max(300.0, gap))
    lo, hi = max(300.0, gap * 0.6), min(1200.0, gap * 1.4)
    radius = prng.choice((0.5, 1.0))
    t = w.start + prng.uniform(0, lo)
    while t < w.end:
        via = wire.via(prng)
        txn = wire.txn(w, via, "q")
        for m, j in enumerate(prng.sample(pool, prng.randint(3, 8))):
            w.search(
                bap,
                t + m * prng.uniform(0.5, 2.0),
                float(c.city.lat[j]),
                float(c.city.lon[j]),
                radius,
                via=via,
                txn=txn,
                scraping=True,
            )
        t += prng.uniform(lo, hi)
    got = len(w.scraping.get(bap, []))
    old = w.baps[bap].style
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"{old}; hides a poll of {n} chargers, each round (every {lo / 60:.0f}-{hi / 60:.0f} "
        f"min) a random 3-8 of them; {got / max(1, got + made):.0%} of its searches",
    )


# -- scrapers of their own ------------------------------------------------------------------------


def _jitter_sweeper(w: World, g: Plateau) -> None:
    prng, rng = w.prng("jitter"), w.rng("jitter")
    step = prng.uniform(1.0, 1.6)
    per_hour = prng.uniform(60, 150)
    radii = prng.choice(((1.0, 2.0, 3.0), (1.5, 2.5, 5.0), (0.5, 1.0, 2.0)))
    bap = w.bap(
        "sweeper",
        f"own BAP, {step:.1f} km lattice over the city, each point jittered 100-200 m, radius "
        f"among {radii} at {per_hour:.0f}/h",
        "swp",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    x, y = city_lattice(g, step)
    t, k = w.start + prng.uniform(0, 60), int(rng.integers(0, x.size))
    while t < w.end:
        via = wire.via(prng)
        d, a = prng.uniform(0.1, 0.2), prng.uniform(0, 2 * math.pi)
        la, lo = g.ll(float(x[k]) + d * math.cos(a), float(y[k]) + d * math.sin(a))
        w.search(
            bap,
            t,
            float(la),
            float(lo),
            prng.choice(radii),
            via=via,
            txn=wire.txn(w, via, "j"),
            scraping=True,
        )
        k = (k + 1) % x.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _shared_key(w: World, g: Plateau, c: Chargers) -> None:
    """A sweeper using a real tiny app's BAP key: the app's honest sessions are ~5% of it."""
    bap = w.bap("sweeper", "", "tiny")
    honest = _tiny_traffic(w, g, c, bap, 8, 14)
    prng = w.prng(bap + "sweep")
    step = prng.uniform(1.2, 2.0)
    x, y = city_lattice(g, step)
    lat, lon = g.ll(x, y)
    n = round(honest * prng.uniform(17, 21))  # the app's searches ~5% of the key's
    wire = _wire(prng, bap, 1, refs=0.0)
    radius = prng.choice((1.5, 2.0))
    t, k = w.start + prng.uniform(0, 60), 0
    gap = (w.end - w.start) / max(1, n)
    while t < w.end:
        via = wire.via(prng)
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            radius,
            via=via,
            txn=wire.txn(w, via, "k"),
            scraping=True,
        )
        k = (k + 1) % lat.size
        t += gap * prng.uniform(0.7, 1.3)
    got = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "sweeper",
        f"a {step:.1f} km lattice sweep over the city sharing a tiny app's BAP key (the app's "
        f"own {honest} searches are {honest / max(1, honest + got):.0%} of it)",
    )


def _poller(w: World, c: Chargers) -> None:
    prng = w.prng(f"poll{len(w.baps)}")
    period = prng.uniform(180, 600)
    pick = prng.sample(c.busy(), prng.randint(4, 10))
    bap = w.bap("poller", f"polls {len(pick)} busy chargers every ~{period:.0f} s", "poll")
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        txn = wire.txn(w, via, "p")
        for n, (s, j) in enumerate(pick):
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


def _booking_scraper(w: World, g: Plateau, c: Chargers) -> None:
    prng = w.prng(f"bk{len(w.baps)}")
    step = prng.uniform(0.8, 1.5)
    per_hour = prng.uniform(50, 140)
    bap = w.bap(
        "booking_scraper",
        f"{step:.1f} km lattice over the city at {per_hour:.0f}/h, books ~1%",
        "bk",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    x, y = city_lattice(g, step)
    lat, lon = g.ll(x, y)
    t, k = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        txn = wire.txn(w, via, "w")
        w.search(bap, t, float(lat[k]), float(lon[k]), 2.0, via=via, txn=txn, scraping=True)
        if prng.random() < 0.011:
            j = c.city.nearest(float(lat[k]), float(lon[k]))
            w.book(bap, t, c.city.cpos[j], c.city.ids[j], prng, confirm=0.9, txn=txn)
        k = (k + 1) % lat.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _low_and_slow(w: World, c: Chargers) -> None:
    """4-20 searches an hour on people's daily rhythm over busy chargers, under a few user
    references that all change at 04:00 IST each day."""
    prng = w.prng(f"slow{len(w.baps)}")
    rng = w.rng(f"slow{len(w.baps)}")
    rate = prng.uniform(4, 20)
    busy = c.busy()
    pick = prng.sample(busy, min(len(busy), prng.randint(8, 20)))
    users = prng.randint(2, 6)
    bap = w.bap(
        "low_and_slow",
        f"{rate:.0f}/h on people's daily rhythm over {len(pick)} busy chargers, {users} user "
        "refs rotating daily",
        "slow",
    )
    wire = _wire(prng, bap, 1, refs=0.0, pick=(prng.randrange(3),))
    radius = prng.choice((3.0, 5.0, 8.0))
    k = prng.randrange(len(pick))
    for t in arrivals(rng, rate * 24, w.start, w.end, DAY).tolist():
        via = wire.via(prng)
        s, j = pick[k]
        day = int((t - _midnight(w, w.start) - ROTATE * HOUR) // 86_400)
        w.search(
            bap,
            t,
            float(s.lat[j]),
            float(s.lon[j]),
            radius,
            via=via,
            user=f"{bap}/d{day + 1}u{prng.randrange(users)}",
            txn=wire.txn(w, via, "l"),
            scraping=True,
        )
        k = (k + 1) % len(pick)


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    g = geography(seed)
    c = chargers(w, g)
    fest = festival(w, g)
    prng = w.prng("plan")
    _fleet(w, c)
    _brt(w, c)
    _staff(w, g, c)
    _reservation(w, g, c)
    _pilgrim(w, g, c, fest)
    for _ in range(prng.randint(12, 14)):
        _ordinary(w, g, c, fest, "honest", (250, 1100))
    for _ in range(prng.randint(2, 3)):
        _tiny(w, g, c)
    _hidden_hilbert(w, g, c, fest)
    bap, wire, made = _aggregator(w, g, c, fest)
    _hidden_adaptive(w, g, bap, wire, made)
    bap, wire, made = _highway(w, g, c)
    _hidden_plazas(w, g, c, bap, wire, made)
    bap, wire, made = _eauto(w, g, c)
    _hidden_subset_poll(w, c, bap, wire, made)
    _jitter_sweeper(w, g)
    _shared_key(w, g, c)
    for _ in range(prng.randint(1, 2)):
        _poller(w, c)
    _booking_scraper(w, g, c)
    for _ in range(prng.randint(2, 3)):
        _low_and_slow(w, c)
    return w.done()
