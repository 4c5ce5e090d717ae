"""Family ``ring``: a large planned inland city, about 25 km across, laid out on two concentric
ring roads (slightly oval, 4-6 km and 10.5-12.5 km from the centre) and six radial highways
that run 45 km out, bending a little as they go. A dense old core in the middle, residential
sectors between and outside the rings, three IT parks near the outer ring, malls at ring and
radial junctions, a cricket stadium between the rings, an airport 30-40 km out on one radial
and two satellite towns 18-30 km out on two others. Chargers bunch along the ring roads
(most at the junctions), at the IT parks, the malls, the airport and in the core, with a few
plazas down the radials.

Honest BAPs: an airport taxi co-op console polling its own 6-10 airport chargers every 10
minutes, day and night, booking on 20-30% of rounds; a subscription home-charging app whose
users all search in one burst between 21:30 and 23:00 for tomorrow's slot and mostly book; a
two-wheeler delivery fleet whose riders search around their dark stores at the shift changes
(07:00, 15:00, 23:00) and book about 30% of their searches; an EV rental app (the airport,
the core, the IT parks); one or two corporate shuttle fleets (office hours, IT parks); a
ride-hailing app's driver mode, its drivers refreshing every 2-5 minutes while they drive
along the rings and radials (about 5-10% of searches end in a booking); a "map view" app
whose screen searches the visible viewport's centre as its users pan, the radius following
the zoom (3-8% of searches booked); a national aggregator over six cities (most of its
traffic in the five far away); a big consumer app and a city consumer app; 13-16 ordinary
apps and three tiny new ones (under 30 searches a day). One evening a cricket match: for two
hours the users of many apps search around the stadium, and book less.

Scrapers: a polar sweep hidden in an ordinary app at 10-25% of its searches (query centres
on rings of fixed radii around the city centre at a fixed angular step, one constant radius,
no user reference, a seed-dependent subset of nodes jittered 20-60 m on each visit); a sweep
hidden in another app that follows the roads (a point every 1.5-2.5 km along both rings and
the six radials, exact, in road order) at 5-15%; a poll of 6-15 chargers at the IT parks
hidden in the big consumer app (at most about a fifth of its searches), each round's gap
drawn from an exponential distribution (mean 10-30 minutes) and the radius a little
different each poll; a distributed sweeper, one
BAP whose many user references each sweep only 3-8 cells of one shared lattice an hour; a
plain sweeper (a square lattice in a new random order each pass); plain pollers; a sweeper
booking about 1% of its searches; low-and-slow scrapers on people's daily rhythm at 5-20
searches an hour over the busy chargers.

Gateways differ: ``bg.ring.example`` always reports transaction ids, ``bg2`` never, ``bg3``
for some apps; an app goes through one gateway or splits its traffic over two. User
references are sent by some apps, by some of their users (old app versions do not), or not at
all. "Books X%" means confirms per search unless it says rounds or sessions.

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
    City,
    Sites,
    Truth,
    World,
    arrivals,
    exactly,
    ist_days,
    make_city,
    share_of,
)

NAME = "ring"
CPOS = tuple(f"cpo{i}.ring.example" for i in range(8))
TAXI_CPO = "taxi.ring.example"
SWAP_CPO = "swap.ring.example"
GATEWAYS = ("bg.ring.example", "bg2.ring.example", "bg3.ring.example")
"""``bg`` always reports transaction ids, ``bg2`` never, ``bg3`` as the app chooses."""
DAY = (0.15, 0.08, 0.05, 0.05, 0.08, 0.3, 0.7, 1.2, 1.6, 1.5, 1.2, 1.1,
       1.1, 1.0, 1.0, 1.1, 1.3, 1.7, 1.9, 1.7, 1.3, 0.9, 0.55, 0.3)  # fmt: skip
OFFICE = tuple(0.04 if h < 7 or h >= 21 else (1.3 if 8 <= h < 19 else 0.5) for h in range(24))
SHIFTS = (7.0, 15.0, 23.0)
ROADS = 8
"""Road indices: 0 the inner ring, 1 the outer ring, 2-7 the radials."""


# -- geography ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Road:
    """A road as a dense polyline in km east (``x``) and north (``y``) of the city centre;
    ``s`` is the distance along it."""

    name: str
    x: F64
    y: F64
    s: F64
    closed: bool

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def at(self, s: F64) -> tuple[F64, F64]:
        s = np.asarray(s, dtype=np.float64)
        s = np.mod(s, self.length) if self.closed else np.clip(s, 0.0, self.length)
        return np.interp(s, self.s, self.x), np.interp(s, self.s, self.y)


def _road(name: str, x: F64, y: F64, closed: bool) -> Road:
    if closed:
        x, y = np.append(x, x[0]), np.append(y, y[0])
    s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    return Road(name, x, y, s, closed)


@dataclass(frozen=True, slots=True)
class Ring:
    lat: float
    lon: float
    km_lon: float
    radii: tuple[float, float]
    """The inner and outer ring's mean distance from the centre, km."""
    roads: tuple[Road, ...]
    """Inner ring, outer ring, then the six radials outwards from the core."""
    airport: tuple[float, float]
    """Where the airport is, km east and north."""
    airport_radial: int
    parks: tuple[tuple[float, float], ...]
    malls: tuple[tuple[float, float], ...]
    sectors: tuple[tuple[float, float, float, float], ...]
    """Residential sectors: (x, y, spread km, weight)."""
    stadium: tuple[float, float]
    city: City
    towns: tuple[City, ...]
    """The two satellite towns, on radials."""

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

    def hub(
        self, x: float, y: float, spread: float, weight: float
    ) -> tuple[float, float, float, float]:
        la, lo = self.ll(x, y)
        return (float(la), float(lo), spread, weight)


def geography(seed: int) -> Ring:
    """The city of a seed: its rings and radials, the places on them, the satellite towns."""
    rng = np.random.default_rng([seed, *b"ring-geography"])
    lat0, lon0 = float(rng.uniform(18.5, 26.5)), float(rng.uniform(75.0, 83.0))
    km_lon = 111.320 * math.cos(math.radians(lat0))
    inner, outer = float(rng.uniform(4.0, 6.0)), float(rng.uniform(10.5, 12.5))
    squash, tilt = float(rng.uniform(0.0, 0.08)), float(rng.uniform(0, math.pi))
    theta = np.linspace(0, 2 * math.pi, 1440, endpoint=False)
    roads = []
    for name, r0 in (("inner", inner), ("outer", outer)):
        r = r0 * (1 + squash * np.cos(2 * (theta - tilt)))
        roads.append(_road(name, r * np.cos(theta), r * np.sin(theta), True))
    base = float(rng.uniform(0, math.pi / 3))
    bearings = [base + k * math.pi / 3 + float(rng.uniform(-0.15, 0.15)) for k in range(6)]
    reach = 45.0
    s = np.arange(0.3, reach, 0.05)
    for k, a in enumerate(bearings):
        side = float(rng.uniform(-1.5, 1.5)) * (s / reach) ** 2
        x = s * math.cos(a) - side * math.sin(a)
        y = s * math.sin(a) + side * math.cos(a)
        roads.append(_road(f"radial{k}", x, y, False))
    spokes = [int(i) for i in rng.permutation(6)[:3]]
    ap_radial, town_radials = spokes[0], spokes[1:]
    ap_road = roads[2 + ap_radial]
    ax, ay = ap_road.at(np.array([float(rng.uniform(30, 40))]))
    airport = (float(ax[0]), float(ay[0]))
    angles = rng.uniform(0, 2 * math.pi, 3)
    angles = base + np.sort(angles)  # three apart-ish parks
    parks = []
    for i, a in enumerate(angles.tolist()):
        d = float(rng.uniform(0.75 * outer, outer + 2.5)) if i else float(rng.uniform(inner, outer))
        parks.append((d * math.cos(a), d * math.sin(a)))
    malls = []
    for _ in range(int(rng.integers(5, 9))):
        ring_road = roads[int(rng.integers(0, 2))]
        radial = roads[2 + int(rng.integers(0, 6))]
        # the junction: the radial's point nearest the ring
        far = np.hypot(radial.x, radial.y) - np.interp(
            np.arctan2(radial.y, radial.x) % (2 * math.pi),
            np.arctan2(ring_road.y, ring_road.x) % (2 * math.pi),
            np.hypot(ring_road.x, ring_road.y),
            period=2 * math.pi,
        )
        j = int(np.argmin(np.abs(far)))
        malls.append(
            (float(radial.x[j] + rng.normal(0, 0.3)), float(radial.y[j] + rng.normal(0, 0.3)))
        )
    sectors = []
    for _ in range(int(rng.integers(7, 12))):
        a, d = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(0.5 * inner, outer + 2.0))
        sectors.append(
            (
                d * math.cos(a),
                d * math.sin(a),
                float(rng.uniform(0.8, 2.0)),
                float(rng.uniform(0.5, 1.5)),
            )
        )
    a, d = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(inner + 1.0, outer - 1.5))
    stadium = (d * math.cos(a), d * math.sin(a))
    partial = Ring(
        lat0,
        lon0,
        km_lon,
        (inner, outer),
        tuple(roads),
        airport,
        ap_radial,
        tuple(parks),
        tuple((float(x), float(y)) for x, y in malls),
        tuple(sectors),
        stadium,
        City("ring", lat0, lon0, (), outer + 2.0),
        (),
    )
    hubs = [partial.hub(0.0, 0.0, 1.3, 2.5)]
    hubs += [partial.hub(x, y, sp, wt) for x, y, sp, wt in sectors]
    hubs += [partial.hub(x, y, 0.5, 1.0) for x, y in parks]
    hubs += [partial.hub(x, y, 0.35, 0.4) for x, y in partial.malls]
    hubs.append(partial.hub(*airport, 1.0, 0.25))
    city = City("ring", lat0, lon0, tuple(hubs), outer + 2.0)
    towns = []
    for i, k in enumerate(town_radials):
        tx, ty = roads[2 + k].at(np.array([float(rng.uniform(18, 30))]))
        tla, tlo = partial.ll(float(tx[0]), float(ty[0]))
        hubs_n, size = int(rng.integers(1, 4)), float(rng.uniform(2.5, 4.5))
        towns.append(make_city(rng, f"sat{i}", float(tla), float(tlo), hubs_n, size))
    return Ring(
        lat0,
        lon0,
        km_lon,
        (inner, outer),
        tuple(roads),
        airport,
        ap_radial,
        tuple(parks),
        partial.malls,
        tuple(sectors),
        stadium,
        city,
        tuple(towns),
    )


# -- chargers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chargers:
    city: Sites
    towns: tuple[Sites, ...]
    groups: dict[str, list[int]]
    """Indices into ``city`` by where they are: ``ring``, ``park0``-``park2``, ``mall``,
    ``airport``, ``core``, ``sector``, ``plaza``."""
    taxi: Sites
    """The taxi co-op's own airport chargers."""

    def busy(self) -> list[int]:
        return sorted(
            {*self.groups["park0"], *self.groups["park1"], *self.groups["park2"]}
            | {*self.groups["mall"], *self.groups["airport"]}
        )


def chargers(w: World, g: Ring) -> Chargers:
    rng = w.rng("sites")
    xs: list[float] = []
    ys: list[float] = []
    groups: dict[str, list[int]] = {}

    def put(group: str, x: F64, y: F64, spread: float) -> None:
        n = x.size
        groups.setdefault(group, []).extend(range(len(xs), len(xs) + n))
        xs.extend((x + rng.normal(0, spread, n)).tolist())
        ys.extend((y + rng.normal(0, spread, n)).tolist())

    for k in (0, 1):  # the rings: bunched at the radial junctions, and a few other spots
        road = g.roads[k]
        spots = []
        for r in g.roads[2:]:
            j = int(np.argmin(np.abs(np.hypot(r.x, r.y) - g.radii[k])))
            spots.append(float(np.argmin(np.hypot(road.x - r.x[j], road.y - r.y[j]))))
        spots_s = [float(road.s[int(i)]) for i in spots]
        spots_s += rng.uniform(0, road.length, int(rng.integers(3, 7))).tolist()
        for s0 in spots_s:
            n = int(rng.integers(1, 5))
            x, y = road.at(s0 + rng.normal(0, 0.3, n))
            put("ring", x, y, 0.06)
    for i, (px, py) in enumerate(g.parks):
        n = int(rng.integers(6, 13))
        put(f"park{i}", np.full(n, px), np.full(n, py), 0.35)
    for mx, my in g.malls:
        n = int(rng.integers(2, 6))
        put("mall", np.full(n, mx), np.full(n, my), 0.1)
    n = int(rng.integers(3, 7))
    put("airport", np.full(n, g.airport[0]), np.full(n, g.airport[1]), 0.4)
    n = int(rng.integers(10, 21))
    put("core", np.zeros(n), np.zeros(n), 1.2)
    for sx, sy, sp, _ in g.sectors:
        n = int(rng.integers(1, 5))
        put("sector", np.full(n, sx), np.full(n, sy), 0.7 * sp)
    for road in g.roads[2:]:
        kms = np.arange(g.radii[1] + float(rng.uniform(3, 8)), road.length, rng.uniform(8, 15))
        at = np.repeat(kms, rng.integers(1, 3, kms.size))
        x, y = road.at(at)
        put("plaza", x, y, 0.08)
    lat, lon = g.ll(np.array(xs), np.array(ys))
    owners = [CPOS[int(i)] for i in rng.integers(0, len(CPOS), lat.size)]
    city = Sites([f"rg-c-{i:03d}" for i in range(lat.size)], owners, lat, lon)
    towns = []
    for town in g.towns:
        n = int(rng.integers(4, 11))
        tla, tlo = town.points(rng, n)
        owners = [CPOS[int(i)] for i in rng.integers(0, len(CPOS), n)]
        towns.append(Sites([f"rg-{town.name}-{i:02d}" for i in range(n)], owners, tla, tlo))
    n = int(rng.integers(6, 11))
    tla, tlo = g.ll(g.airport[0] + rng.normal(0, 0.12, n), g.airport[1] + rng.normal(0, 0.12, n))
    taxi = Sites([f"taxi-{i:02d}" for i in range(n)], [TAXI_CPO] * n, tla, tlo)
    return Chargers(city, tuple(towns), groups, taxi)


# -- how apps reach the network -------------------------------------------------------------------


WIRING = Wiring(GATEWAYS, ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0,), (2,)), 0.55, (0.3, 0.9))
_wire = WIRING.wire


# -- the cricket match --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    start: float
    end: float
    lat: float
    lon: float
    spread_km: float
    surge: float
    """Extra sessions around the stadium during the match, as a share of an app's daily
    sessions per day of match."""


def match(w: World, g: Ring) -> Match:
    prng = w.prng("match")
    hour = prng.uniform(18.0, 20.0)
    day = ist_days(w)[0]
    start = day + hour * HOUR
    if start < w.start:
        start += 86_400.0
    lat, lon = g.ll(*g.stadium)
    return Match(
        start, start + 2 * HOUR, float(lat), float(lon), prng.uniform(0.8, 1.5), prng.uniform(1, 2)
    )


# -- ordinary people ----------------------------------------------------------------------------


def _habits(prng: random.Random, book: tuple[float, float]) -> Habits:
    return Habits(
        radii=prng.choice(((2.0, 5.0, 10.0), (3.0, 5.0), (1.0, 3.0, 7.5, 15.0), (5.0, 10.0, 20.0))),
        book=prng.uniform(*book),
        confirm=prng.uniform(0.5, 0.8),
        repeat=prng.choice(((1, 1, 2), (1, 2, 2, 3), (1,), (1, 1, 1, 2))),
        shape=DAY,
    )


Place = tuple[City, Sites]


def _app(
    w: World,
    bap: str,
    wire: Wire,
    places: Sequence[Place],
    weights: Sequence[float],
    per_day: float,
    h: Habits,
    event: Match | None,
) -> int:
    """An app's users: sessions of a search or a few at a spot, at one of the app's radii
    (sometimes widened); ``h.book`` of sessions select the nearest charger. During the match
    (when ``event`` is given) extra sessions hunt around the stadium and book a quarter as
    often. Returns the searches made."""
    rng, prng = w.rng(bap), w.prng(bap)
    times = arrivals(rng, per_day, w.start, w.end, h.shape)
    p = np.asarray(weights, dtype=np.float64)
    which = rng.choice(len(places), size=times.size, p=p / p.sum())
    lat, lon = np.empty(times.size), np.empty(times.size)
    for k, (city, _) in enumerate(places):
        m = which == k
        lat[m], lon[m] = city.points(rng, int(m.sum()))
    who = rng.integers(0, max(1, wire.users), times.size)
    made = 0
    for i, t in enumerate(times.tolist()):
        made += wire.session(w, bap, prng, t, float(lat[i]), float(lon[i]), int(who[i]), h,
                         places[int(which[i])][1], h.book)  # fmt: skip
    if event is not None:
        here = float(p[0] / p.sum())  # the city's share of the app's sessions
        n = int(rng.poisson(per_day * here * event.surge * (event.end - event.start) / 86_400))
        times = event.start + (event.end - event.start) * rng.uniform(0, 1, n) ** 1.3
        lat = event.lat + rng.normal(0, 1, n) * event.spread_km / KM_LAT
        lon = event.lon + rng.normal(0, 1, n) * event.spread_km / places[0][0].km_lon()
        who = rng.integers(0, max(1, wire.users), n)
        crowd = Habits(h.radii, h.book / 4, h.confirm, (1, 2, 2, 3), h.shape)
        for i, t in enumerate(np.sort(times).tolist()):
            made += wire.session(w, bap, prng, t, float(lat[i]), float(lon[i]), int(who[i]),
                             crowd, places[0][1], crowd.book)  # fmt: skip
    return made


def _people_of(g: Ring, c: Chargers) -> list[Place]:
    """The city and its two towns, as places people are."""
    return [(g.city, c.city), *zip(g.towns, c.towns, strict=True)]


def _ordinary(
    w: World,
    g: Ring,
    c: Chargers,
    event: Match | None,
    label: str,
    style: str,
    stem: str,
    per_day: tuple[float, float],
    book: tuple[float, float] = (0.12, 0.3),
) -> tuple[str, Wire, Habits, int]:
    bap = w.bap(label, style, stem)
    p = w.prng(bap + "habits")
    wire = _wire(p, bap, p.randint(200, 4000))
    h = _habits(p, book)
    places = _people_of(g, c)
    weights = [4.0] + [p.uniform(0.0, 0.8) for _ in places[1:]]
    joins = event if event is not None and p.random() < 0.8 else None
    return bap, wire, h, _app(w, bap, wire, places, weights, p.uniform(*per_day), h, joins)


# -- honest BAPs with habits of their own -------------------------------------------------------


def _taxi_coop(w: World, g: Ring, c: Chargers) -> None:
    """The airport taxi co-op's console: every 10 minutes, day and night, a search at each of
    its own chargers a second or two apart; a booking on 20-30% of rounds."""
    prng = w.prng("taxi")
    s = c.taxi
    n = len(s.ids)
    book = prng.uniform(0.2, 0.3)
    bap = w.bap(
        "honest",
        f"airport taxi co-op console: polls its {n} own chargers every 10 min day and night, "
        f"books on {book:.0%} of rounds",
        "taxi",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    radius = prng.choice((0.3, 0.5))
    offset = prng.uniform(0, 600)
    t = w.start - w.start % 600 + offset
    while t < w.end:
        txn = wire.txn(w, via, "t")
        for j in range(n):
            w.search(bap, t + 1.5 * j, float(s.lat[j]), float(s.lon[j]), radius, via=via, txn=txn)
        if prng.random() < book:
            j = prng.randrange(n)
            w.book(bap, t + 1.5 * n, TAXI_CPO, s.ids[j], prng, confirm=0.95, txn=txn)
        t += 600.0 + prng.uniform(-0.5, 0.5)


def _subscription(w: World, g: Ring, c: Chargers) -> None:
    """Home-charging subscribers: nearly all of them search near home between 21:30 and
    23:00 for tomorrow's slot (a search or a few within minutes) and most book; a trickle by
    day."""
    prng = w.prng("subscription")
    users = prng.randint(500, 1300)
    nightly = prng.uniform(0.6, 0.85)
    bap = w.bap(
        "honest",
        f"subscription home charging: {users} users, {nightly:.0%} search 21:30-23:00 for "
        "tomorrow's slot, most book",
        "home",
    )
    rng = w.rng(bap)
    wire = _wire(prng, bap, users, always=True)
    home_lat, home_lon = g.city.points(rng, users)
    s = c.city
    for day in ist_days(w):
        for u in range(users):
            if prng.random() >= nightly:
                continue
            t = day + prng.triangular(21.5, 23.0, 22.1) * HOUR
            _burst(w, bap, wire, prng, t, float(home_lat[u]), float(home_lon[u]), u, s, 0.8)
    for t in arrivals(rng, users * 0.06, w.start, w.end, DAY).tolist():
        u = prng.randrange(users)
        _burst(w, bap, wire, prng, t, float(home_lat[u]), float(home_lon[u]), u, s, 0.4)


def _burst(
    w: World,
    bap: str,
    wire: Wire,
    prng: random.Random,
    t: float,
    lat: float,
    lon: float,
    u: int,
    s: Sites,
    book: float,
) -> None:
    via = wire.via(prng)
    user = wire.user(u)
    txn = wire.txn(w, via, "h")
    la = lat + prng.gauss(0, 0.05) / KM_LAT
    lo = lon + prng.gauss(0, 0.05) / (111.32 * math.cos(math.radians(lat)))
    r = prng.choice((1.0, 2.0, 3.0))
    for _ in range(prng.choice((1, 1, 2, 3))):
        w.search(bap, t, la, lo, r, via=via, user=user, txn=txn)
        t += prng.uniform(5, 60)
    if prng.random() < book:
        k = s.nearest(la, lo)
        w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=0.9, user=user, txn=txn)


def _delivery(w: World, g: Ring, c: Chargers) -> None:
    """Two-wheeler riders of a quick-commerce fleet: around each shift change (07:00, 15:00,
    23:00) most riders search near their dark store for a swap station, and book ~30% of
    their searches; a few more searches through the shifts."""
    prng = w.prng("delivery")
    rng = w.rng("delivery")
    stores = prng.randint(6, 14)
    riders = prng.randint(120, 320)
    share = prng.uniform(0.27, 0.33)
    bap = w.bap(
        "honest",
        f"two-wheeler delivery fleet: {riders} riders of {stores} dark stores search at the "
        f"shift changes, book {share:.0%} of searches",
        "dlv",
    )
    wire = _wire(prng, bap, riders, refs=0.8)
    slat, slon = g.city.points(rng, stores)
    km_lon = g.km_lon
    stations = Sites(
        [f"swap-{i:02d}" for i in range(2 * stores)],
        [SWAP_CPO] * (2 * stores),
        np.repeat(slat, 2) + rng.normal(0, 0.4, 2 * stores) / KM_LAT,
        np.repeat(slon, 2) + rng.normal(0, 0.4, 2 * stores) / km_lon,
    )
    home = rng.integers(0, stores, riders)
    repeat = (1, 1, 2)
    confirm = 0.92
    select = share * (sum(repeat) / len(repeat)) / confirm
    times: list[tuple[float, int]] = []
    for day in ist_days(w):
        for shift in SHIFTS:
            for u in range(riders):
                if prng.random() < prng.uniform(0.6, 0.9):
                    times.append((day + shift * HOUR + prng.gauss(-600, 900), u))
    for t in arrivals(rng, riders * 0.5, w.start, w.end, DAY).tolist():
        times.append((t, prng.randrange(riders)))
    for t, u in sorted(times):
        k = int(home[u])
        lat = float(slat[k]) + prng.gauss(0, 0.6) / KM_LAT
        lon = float(slon[k]) + prng.gauss(0, 0.6) / km_lon
        via = wire.via(prng)
        user = wire.user(u)
        txn = wire.txn(w, via, "r")
        r = prng.choice((1.0, 2.0, 3.0))
        for _ in range(prng.choice(repeat)):
            w.search(bap, t, lat, lon, r, via=via, user=user, txn=txn)
            t += prng.uniform(10, 60)
            r *= 2
        if prng.random() < select:
            j = stations.nearest(lat, lon)
            w.book(bap, t, SWAP_CPO, stations.ids[j], prng, confirm=confirm, user=user, txn=txn)


def _rental(w: World, g: Ring, c: Chargers, event: Match) -> None:
    bap = w.bap("honest", "EV rental app: the airport, the core, the IT parks", "rent")
    prng = w.prng(bap)
    wire = _wire(prng, bap, prng.randint(500, 2000))
    hubs = [g.hub(*g.airport, 1.5, 3.0), g.hub(0.0, 0.0, 1.5, 2.0)]
    hubs += [g.hub(x, y, 0.6, 1.0) for x, y in g.parks]
    city = City("rental", g.lat, g.lon, tuple(hubs), g.city.radius_km)
    h = Habits((3.0, 5.0, 10.0), prng.uniform(0.25, 0.35), 0.8, (1, 1, 2), DAY)
    _app(w, bap, wire, [(city, c.city)], [1.0], prng.uniform(300, 800), h, event)


def _shuttle(w: World, g: Ring, c: Chargers) -> None:
    prng = w.prng(f"shuttle{len(w.baps)}")
    vans = prng.randint(20, 70)
    bap = w.bap(
        "honest", f"corporate shuttle fleet of {vans} vans between sectors and IT parks", "shut"
    )
    wire = _wire(prng, bap, vans, refs=0.7)
    hubs = [g.hub(x, y, 0.5, 2.0) for x, y in g.parks]
    hubs += [g.hub(x, y, sp, 0.5) for x, y, sp, _ in prng.sample(g.sectors, 3)]
    city = City("shuttle", g.lat, g.lon, tuple(hubs), g.city.radius_km)
    h = Habits((2.0, 3.0, 5.0), prng.uniform(0.4, 0.5), 0.85, (1, 1, 2), OFFICE)
    _app(w, bap, wire, [(city, c.city)], [1.0], vans * prng.uniform(5, 10), h, None)


def _driver_mode(w: World, g: Ring, c: Chargers) -> None:
    """Ride-hailing drivers on the move: a trip along a ring or a radial at 18-45 km/h, the
    app searching where the car is every 2-5 minutes; at a trip's end, a booking often
    enough that 5-10% of searches end in one."""
    prng = w.prng("driver")
    rng = w.rng("driver")
    drivers = prng.randint(200, 600)
    target = prng.uniform(0.05, 0.1)
    bap = w.bap(
        "honest",
        f"ride-hailing driver mode: {drivers} drivers refreshing every 2-5 min along the rings "
        f"and radials, {target:.0%} of searches booked",
        "ride",
    )
    wire = _wire(prng, bap, drivers, refs=0.9)
    confirm = 0.85
    weights = [2.0, 3.0] + [1.0] * 6
    s = c.city
    for t in arrivals(rng, prng.uniform(350, 800), w.start, w.end, DAY).tolist():
        k = prng.choices(range(ROADS), weights)[0]
        road = g.roads[k]
        span = road.length if road.closed else min(road.length, 32.0)
        s0 = prng.uniform(0, span)
        way = prng.choice((1.0, -1.0))
        speed = prng.uniform(18, 45) / 3600
        length = prng.uniform(15, 50) * 60
        u = prng.randrange(drivers)
        via = wire.via(prng)
        user = wire.user(u)
        txn = wire.txn(w, via, "d")
        r = prng.choice((2.0, 3.0, 5.0))
        tau, n = 0.0, 0
        lat = lon = 0.0
        while tau < length:
            at = s0 + way * speed * tau
            if not road.closed and not 0.0 <= at <= road.length:
                break
            x, y = road.at(np.array([at]))
            la, lo = g.ll(float(x[0]) + prng.gauss(0, 0.02), float(y[0]) + prng.gauss(0, 0.02))
            lat, lon = float(la), float(lo)
            w.search(bap, t + tau, lat, lon, r, via=via, user=user, txn=txn)
            n += 1
            tau += prng.uniform(120, 300)
        if n and prng.random() < min(0.95, target * n / confirm):
            j = s.nearest(lat, lon)
            w.book(bap, t + tau, s.cpos[j], s.ids[j], prng, confirm=confirm, user=user, txn=txn)


def _map_view(w: World, g: Ring, c: Chargers) -> None:
    """A map screen that searches the viewport's centre as the user pans: each refresh a
    fraction of the view further along a drifting direction, the radius halving or doubling
    as the user zooms; sessions book often enough that 3-8% of searches end in one."""
    prng = w.prng("map")
    rng = w.rng("map")
    target = prng.uniform(0.03, 0.08)
    bap = w.bap(
        "honest",
        f"map view app: searches the viewport centre as users pan, radius with zoom, "
        f"{target:.0%} of searches booked",
        "map",
    )
    wire = _wire(prng, bap, prng.randint(1000, 5000))
    confirm = 0.7
    s = c.city
    times = arrivals(rng, prng.uniform(250, 550), w.start, w.end, DAY)
    lat0, lon0 = g.city.points(rng, times.size)
    for i, t in enumerate(times.tolist()):
        via = wire.via(prng)
        user = wire.user(prng.randrange(wire.users))
        txn = wire.txn(w, via, "m")
        x, y = (float(v) for v in g.xy(float(lat0[i]), float(lon0[i])))
        r = prng.choice((0.5, 1.0, 2.0, 2.0, 5.0, 10.0))
        heading = prng.uniform(0, 2 * math.pi)
        steps = prng.randint(4, 25)
        for _ in range(steps):
            la, lo = g.ll(x, y)
            w.search(bap, t, float(la), float(lo), r, via=via, user=user, txn=txn)
            t += prng.uniform(1.0, 6.0)
            if prng.random() < 0.15:
                r = min(20.0, max(0.5, r * prng.choice((0.5, 2.0))))
            heading += prng.gauss(0, 0.4)
            move = prng.uniform(0.2, 0.7) * r
            x += move * math.cos(heading)
            y += move * math.sin(heading)
        if prng.random() < min(0.95, target * steps / confirm):
            la, lo = g.ll(x, y)
            j = s.nearest(float(la), float(lo))
            w.book(bap, t, s.cpos[j], s.ids[j], prng, confirm=confirm, user=user, txn=txn)


def _national(w: World, g: Ring, c: Chargers, event: Match) -> None:
    """A national aggregator over six cities: this one and five far away, which get most of
    its traffic."""
    bap = w.bap("honest", "national aggregator over six cities, most of them far away", "nat")
    prng = w.prng(bap)
    rng = w.rng(bap + "cities")
    places: list[Place] = [(g.city, c.city)]
    for i in range(5):
        a, d = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(250, 1400))
        lat = g.lat + d * math.sin(a) / KM_LAT
        lon = g.lon + d * math.cos(a) / g.km_lon
        city = make_city(rng, f"far{i}", lat, lon, int(rng.integers(5, 10)), rng.uniform(10, 18))
        n = int(rng.integers(30, 60))
        la, lo = city.points(rng, n)
        owners = [CPOS[int(j)] for j in rng.integers(0, len(CPOS), n)]
        places.append((city, Sites([f"rg-far{i}-{j:02d}" for j in range(n)], owners, la, lo)))
    share = prng.uniform(0.15, 0.3)
    weights = [share] + [(1 - share) * x for x in rng.dirichlet(np.full(5, 3.0)).tolist()]
    wire = _wire(prng, bap, 30_000, refs=0.3)
    h = _habits(prng, (0.1, 0.16))
    _app(w, bap, wire, places, weights, prng.uniform(2500, 4500), h, event)


def _tiny(w: World, g: Ring, c: Chargers) -> None:
    bap = w.bap("honest", "tiny new app, under 30 searches a day", "tiny")
    p = w.prng(bap)
    rng = w.rng(bap)
    users = p.randint(2, 6)
    wire = _wire(p, bap, users, refs=0.7)
    h = Habits(
        p.choice(((2.0, 5.0), (3.0,), (5.0, 10.0))), p.uniform(0.2, 0.35), 0.7, (1, 1, 2), DAY
    )
    sessions = p.randint(5, 14)
    days = max(1, round((w.end - w.start) / 86_400.0))
    times = exactly(rng, sessions * days, w, DAY)
    lat, lon = g.city.points(rng, len(times))
    for i, t in enumerate(times):
        wire.session(w, bap, p, t, float(lat[i]), float(lon[i]), p.randrange(users), h,
                 c.city, h.book)  # fmt: skip


# -- scrapers hidden in apps ----------------------------------------------------------------------


def polar_lattice(
    g: Ring, spacing: float, step_deg: float, offset_deg: float
) -> tuple[F64, F64, F64]:
    """Nodes on rings every ``spacing`` km around the city centre out past the outer ring, at
    every ``step_deg`` degrees from ``offset_deg`` on each ring, ring by ring: (lat, lon,
    ring number from 1)."""
    rings = np.arange(1, int((g.radii[1] + 1.5) / spacing) + 1)
    angles = np.radians(offset_deg + np.arange(0.0, 360.0 - 1e-9, step_deg))
    k, a = np.meshgrid(rings, angles, indexing="ij")
    r = (k * spacing).ravel()
    lat, lon = g.ll(r * np.cos(a.ravel()), r * np.sin(a.ravel()))
    return lat, lon, k.ravel().astype(np.float64)


def road_points(g: Ring, step: float, out_km: float) -> tuple[F64, F64, list[int]]:
    """Points every ``step`` km along both rings and the six radials (each radial out to
    ``out_km``), in road order: (lat, lon, the road of each)."""
    xs, ys, which = [], [], []
    for k, road in enumerate(g.roads):
        end = road.length if road.closed else min(road.length, out_km)
        x, y = road.at(np.arange(0.0, end - 1e-9, step))
        xs.append(x)
        ys.append(y)
        which += [k] * x.size
    lat, lon = g.ll(np.concatenate(xs), np.concatenate(ys))
    return lat, lon, which


def _hidden_polar(w: World, g: Ring, c: Chargers, event: Match) -> None:
    """A polar sweep inside an ordinary app: ring by ring, angle by angle, one radius, no user
    reference, a seed-dependent subset of nodes jittered 20-60 m on each visit."""
    bap, wire, _, made = _ordinary(
        w, g, c, event, "hidden_sweep", "", "app", (900, 1700), (0.12, 0.25)
    )
    prng = w.prng(bap + "polar")
    rng = w.rng(bap + "polar")
    share = prng.uniform(0.11, 0.24)
    spacing = prng.uniform(1.5, 3.0)
    step = prng.choice((10.0, 12.0, 15.0, 20.0, 30.0))
    offset = prng.uniform(0, step)
    lat, lon, ring = polar_lattice(g, spacing, step, offset)
    rings = int(ring.max())
    kind = prng.choice(("odd rings", "outer rings", "random nodes"))
    if kind == "odd rings":
        shaky = ring % 2 == 1
    elif kind == "outer rings":
        shaky = ring > rings / 2
    else:
        shaky = rng.uniform(0, 1, lat.size) < prng.uniform(0.2, 0.6)
    radius = prng.choice((2.0, 2.5, 3.0))
    k = prng.randrange(lat.size)
    for t in exactly(rng, share_of(made, share), w, DAY):
        la, lo = float(lat[k]), float(lon[k])
        if shaky[k]:
            m, a = prng.uniform(0.02, 0.06), prng.uniform(0, 2 * math.pi)
            la += m * math.sin(a) / KM_LAT
            lo += m * math.cos(a) / g.km_lon
        via = wire.via(prng)
        w.search(bap, t, la, lo, radius, via=via, txn=wire.txn(w, via, "x"), scraping=True)
        k = (k + 1) % lat.size
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"polar lattice of {rings} rings every {spacing:.1f} km at {step:.0f} deg steps, "
        f"{radius} km radius, no user ref, {kind} jittered 20-60 m; {share:.0%} of an app",
    )


def _hidden_roads(w: World, g: Ring, c: Chargers, event: Match) -> None:
    """A sweep inside another app along the roads: a point every 1.5-2.5 km down both rings
    and the six radials, exact, road after road."""
    bap, wire, _, made = _ordinary(
        w, g, c, event, "hidden_sweep", "", "app", (1000, 1800), (0.12, 0.25)
    )
    prng = w.prng(bap + "roads")
    rng = w.rng(bap + "roads")
    share = prng.uniform(0.06, 0.14)
    step = prng.uniform(1.5, 2.5)
    out_km = prng.uniform(20, 40)
    lat, lon, _ = road_points(g, step, out_km)
    radius = prng.choice((1.0, 1.5, 2.0))
    k = prng.randrange(lat.size)
    for t in exactly(rng, share_of(made, share), w, None):
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
        k = (k + 1) % lat.size
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"road-following sweep: {lat.size} points every {step:.1f} km along both rings and "
        f"six radials ({out_km:.0f} km out), exact, road order; {share:.0%} of an app",
    )


def _hidden_poll(w: World, g: Ring, c: Chargers, event: Match) -> None:
    """A poll inside the big consumer app: 6-15 chargers at the IT parks, each round's gap
    exponential (mean 10-30 min), the radius a few percent off each poll; fewer chargers when
    the app is too small to hide 6-15 (at most about a fifth of its searches)."""
    bap, wire, _, made = _ordinary(
        w,
        g,
        c,
        event,
        "hidden_poll",
        "",
        "big",
        (2500, 4000),
        (0.12, 0.16),
    )
    prng = w.prng(bap + "poll")
    parks = [j for name, idx in c.groups.items() if name.startswith("park") for j in idx]
    mean = prng.uniform(10, 30) * 60
    # a minority of the app's searches: at most about a fifth
    most = max(6, int(0.25 * made * mean / (w.end - w.start)))
    pick = prng.sample(parks, min(len(parks), prng.randint(6, 15), most))
    base = prng.choice((1.0, 2.0, 3.0))
    s = c.city
    t = w.start + prng.expovariate(1 / mean)
    while t < w.end:
        via = wire.via(prng)
        for j in pick:
            r = round(base * prng.uniform(0.9, 1.1), 2)
            txn = wire.txn(w, via, "q")
            w.search(bap, t, float(s.lat[j]), float(s.lon[j]), r, via=via, txn=txn, scraping=True)
            t += prng.uniform(1, 6)
        t += max(30.0, prng.expovariate(1 / mean))
    polls = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"polls {len(pick)} IT-park chargers, exponential gaps (mean {mean / 60:.0f} min), "
        f"radius ~{base} km +-10%; {polls / max(1, polls + made):.0%} of the big consumer app",
    )


# -- scrapers of their own ------------------------------------------------------------------------


def square(
    lat0: float, lon0: float, km_lon: float, step: float, radius_km: float
) -> tuple[F64, F64]:
    """A square lattice of ``step`` km on the axes, within ``radius_km`` of a centre, in
    raster order."""
    n = int(radius_km / step) + 1
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    x, y = (j.ravel() * step).astype(np.float64), (i.ravel() * step).astype(np.float64)
    keep = np.hypot(x, y) <= radius_km
    return lat0 + y[keep] / KM_LAT, lon0 + x[keep] / km_lon


def _distributed(w: World, g: Ring) -> None:
    """One BAP whose many user references share a sweep: each "user" is on for an hour or a
    few and takes 3-8 cells an hour from the operator's queue (one lattice, a new random
    order each pass)."""
    prng = w.prng("distributed")
    rng = w.rng("distributed")
    users = prng.randint(150, 400)
    step = prng.uniform(1.0, 1.6)
    bap = w.bap(
        "sweeper",
        f"distributed sweeper: {users} user refs each sweeping 3-8 cells an hour of one "
        f"{step:.1f} km lattice",
        "dist",
    )
    wire = _wire(prng, bap, users, always=True)
    lat, lon = square(g.lat, g.lon, g.km_lon, step, g.radii[1] + 1.0)
    radius = prng.choice((1.0, 1.5, 2.0))
    via = wire.via(prng)
    jobs: list[tuple[float, int]] = []
    for u in range(users):
        t = prng.uniform(w.start - 2 * HOUR, w.end)
        for _ in range(prng.choice((1, 1, 2))):
            off = t + prng.uniform(1.0, 4.0) * HOUR
            gap = HOUR / prng.uniform(3.0, 7.5)
            t += prng.uniform(0, gap)
            while t < off:
                if w.start <= t < w.end:
                    jobs.append((t, u))
                t += gap * prng.uniform(0.95, 1.05)
            t = off + prng.uniform(1.0, 6.0) * HOUR
    order = rng.permutation(lat.size)
    for n, (t, u) in enumerate(sorted(jobs)):
        if n and n % lat.size == 0:
            order = rng.permutation(lat.size)
        k = int(order[n % lat.size])
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            radius,
            via=via,
            user=wire.user(u),
            txn=wire.txn(w, via, "u"),
            scraping=True,
        )


def _sweeper(w: World, g: Ring) -> None:
    prng = w.prng(f"sweep{len(w.baps)}")
    rng = w.rng(f"sweep{len(w.baps)}")
    step = prng.uniform(0.8, 1.5)
    per_hour = prng.uniform(60, 200)
    bap = w.bap(
        "sweeper",
        f"own BAP, square {step:.1f} km lattice over the city in random order at {per_hour:.0f}/h",
        "swp",
    )
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    lat, lon = square(g.lat, g.lon, g.km_lon, step, g.radii[1] + 1.0)
    radius = prng.choice((1.0, 1.5, 2.0))
    order = rng.permutation(lat.size)
    t, n = w.start + prng.uniform(0, 60), 0
    while t < w.end:
        if n and n % lat.size == 0:
            order = rng.permutation(lat.size)
        k = int(order[n % lat.size])
        txn = wire.txn(w, via, "s")
        w.search(bap, t, float(lat[k]), float(lon[k]), radius, via=via, txn=txn, scraping=True)
        n += 1
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _poller(w: World, c: Chargers) -> None:
    prng = w.prng(f"poll{len(w.baps)}")
    period = prng.uniform(180, 600)
    group = prng.choice(("mall", "core", "ring", "airport"))
    s = c.city
    pool = c.groups[group]
    pick = prng.sample(pool, min(len(pool), prng.randint(4, 10)))
    bap = w.bap("poller", f"polls {len(pick)} {group} chargers every ~{period:.0f} s", "poll")
    wire = _wire(prng, bap, 1, refs=0.0)
    via = wire.via(prng)
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        txn = wire.txn(w, via, "p")
        for j, k in enumerate(pick):
            w.search(bap, t + j * 0.5, float(s.lat[k]), float(s.lon[k]), 1.0, via=via, txn=txn,
                     scraping=True)  # fmt: skip
        t += period * prng.uniform(0.9, 1.1)


def _booking_scraper(w: World, g: Ring, c: Chargers) -> None:
    prng = w.prng(f"bk{len(w.baps)}")
    step = prng.uniform(0.8, 1.6)
    per_hour = prng.uniform(50, 150)
    town = prng.randrange(len(g.towns))
    if prng.random() < 0.5:
        city, s, over = g.towns[town], c.towns[town], f"satellite town {g.towns[town].name}"
        lat, lon = square(city.lat, city.lon, city.km_lon(), step, city.radius_km + 1.0)
    else:
        s, over = c.city, "the inner ring"
        lat, lon = square(g.lat, g.lon, g.km_lon, step, g.radii[0] + 1.0)
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
    """5-20 searches an hour on people's daily rhythm, under a handful of user names, at a
    person's radius, over the busy chargers (the IT parks, the malls, the airport)."""
    prng = w.prng(f"slow{len(w.baps)}")
    rng = w.rng(f"slow{len(w.baps)}")
    rate = prng.uniform(5, 20)
    busy = c.busy()
    pick = prng.sample(busy, min(len(busy), prng.randint(8, 20)))
    bap = w.bap(
        "low_and_slow",
        f"{rate:.0f}/h on people's daily rhythm over {len(pick)} busy chargers",
        "slow",
    )
    wire = _wire(prng, bap, prng.randint(2, 6), always=True)
    s = c.city
    radius = prng.choice((3.0, 5.0, 7.5))
    k = prng.randrange(len(pick))
    for t in arrivals(rng, rate * 24, w.start, w.end, DAY).tolist():
        via = wire.via(prng)
        j = pick[k]
        w.search(
            bap,
            t,
            float(s.lat[j]),
            float(s.lon[j]),
            radius,
            via=via,
            user=wire.user(prng.randrange(wire.users)),
            txn=wire.txn(w, via, "l"),
            scraping=True,
        )
        k = (k + 1) % len(pick)


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    g = geography(seed)
    c = chargers(w, g)
    event = match(w, g)
    prng = w.prng("plan")
    _taxi_coop(w, g, c)
    _subscription(w, g, c)
    _delivery(w, g, c)
    _rental(w, g, c, event)
    for _ in range(prng.randint(1, 2)):
        _shuttle(w, g, c)
    _driver_mode(w, g, c)
    _map_view(w, g, c)
    _national(w, g, c, event)
    _ordinary(w, g, c, event, "honest", "city consumer app", "city", (1500, 2500), (0.12, 0.2))
    for _ in range(prng.randint(13, 16)):
        _ordinary(w, g, c, event, "honest", "ordinary app", "app", (100, 700))
    for _ in range(3):
        _tiny(w, g, c)
    _hidden_polar(w, g, c, event)
    _hidden_roads(w, g, c, event)
    _hidden_poll(w, g, c, event)
    _distributed(w, g)
    for _ in range(prng.randint(1, 2)):
        _sweeper(w, g)
    for _ in range(prng.randint(1, 2)):
        _poller(w, c)
    _booking_scraper(w, g, c)
    for _ in range(prng.randint(2, 3)):
        _low_and_slow(w, c)
    return w.done()
