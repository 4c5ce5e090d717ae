"""Family ``delta``: a river-delta network. An old city split by a wide, meandering river with
two to four bridges (chargers on both banks, trips that cross by a bridge), three to six
satellite towns 20-60 km out, and a highway spine running south with charging plazas along
it.

Honest BAPs: an e-rickshaw battery-swap operator whose drivers search in two shift peaks and
book 25-40% of their searches; bus depot consoles polling their own two to five depot chargers
on a fixed schedule (they own them, and book when buses come in); a multi-stop trip planner
firing a burst of searches at stops down the spine; a corporate fleet; a two-city aggregator;
a regional aggregator; a big consumer app; a dozen ordinary apps and a few tiny new ones. One
afternoon a district of the city loses power: for one to three hours the users of every app
that serves the city hunt for chargers there, widening their radius, booking outside it.

Scrapers: a sweep hidden in an ordinary app, visiting a lattice's nodes in random order at the
app's own radii, a few nodes exact and the rest jittered 30-80 m; a sweep hidden in another
app over both banks in raster order that leaves out the nodes in the river; a poll of 5-12
chargers every 8-45 minutes hidden in the regional aggregator; a sweeper rotating three to
six BAP keys over one lattice (each key a BAP, taking turns of 10-40 minutes); a sweep booking
about 1% of its searches; low-and-slow scrapers following people's daily rhythm; plain
pollers. Some gateways report transaction ids, some apps user references; neither is uniform.

Written by a separate session from a brief, independently of the detector's rules, as a
held-out family (never scored while it was written).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from uei_testing.families.world import (
    F64,
    HOUR,
    KM_LAT,
    City,
    Sites,
    Truth,
    World,
    arrivals,
    ist_hours,
    make_city,
)

NAME = "delta"
CPOS = tuple(f"grid{i}.delta.example" for i in range(7))
SWAP_CPO = "swap.delta.example"
TRANSIT_CPO = "transit.delta.example"
VIAS = ("bg.delta.example", "bg2.delta.example")
DAY = (0.15, 0.08, 0.05, 0.05, 0.08, 0.25, 0.6, 1.1, 1.5, 1.4, 1.2, 1.1,
       1.1, 1.0, 1.0, 1.1, 1.3, 1.6, 1.8, 1.7, 1.3, 0.9, 0.55, 0.3)  # fmt: skip
OFFICE = tuple(0.05 if h < 7 or h >= 21 else (1.2 if 9 <= h < 18 else 0.5) for h in range(24))
Bool = npt.NDArray[np.bool_]
CITY = 0
"""Place index of the old city; the towns follow, the spine is last."""


# -- geography ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class River:
    """A wide river through the old city: along ``angle`` (from east), meandering by ``amp_km``
    every ``wave_km``; water is within ``width_km / 2`` of its mid-channel. ``across`` > 0 is
    the left (northern) bank."""

    lat: float
    lon: float
    km_lon: float
    angle: float
    width_km: float
    amp_km: float
    wave_km: float
    phase: float
    bridges: tuple[float, ...]
    """Where the bridges are, in km along the river from the city centre."""

    def frame(self, lat: F64, lon: F64) -> tuple[F64, F64]:
        x = (np.asarray(lon) - self.lon) * self.km_lon
        y = (np.asarray(lat) - self.lat) * KM_LAT
        c, s = math.cos(self.angle), math.sin(self.angle)
        return x * c + y * s, -x * s + y * c

    def mid(self, u: F64) -> F64:
        return np.asarray(self.amp_km * np.sin(2 * np.pi * u / self.wave_km + self.phase))

    def across(self, lat: F64, lon: F64) -> F64:
        """Signed km from the mid-channel, across the river."""
        u, v = self.frame(lat, lon)
        return v - self.mid(u)

    def wet(self, lat: F64, lon: F64, margin_km: float = 0.0) -> Bool:
        return np.asarray(np.abs(self.across(lat, lon)) < self.width_km / 2 + margin_km)

    def point(self, u: F64, off: F64) -> tuple[F64, F64]:
        """Where ``u`` km along and ``off`` km across the mid-channel is."""
        v = self.mid(u) + off
        c, s = math.cos(self.angle), math.sin(self.angle)
        x, y = u * c - v * s, u * s + v * c
        return self.lat + y / KM_LAT, self.lon + x / self.km_lon

    def land(self, rng: np.random.Generator, lat: F64, lon: F64) -> tuple[F64, F64]:
        """The points, with those in the water moved onto the nearer bank."""
        lat, lon = np.array(lat, dtype=np.float64), np.array(lon, dtype=np.float64)
        u, v = self.frame(lat, lon)
        off = v - self.mid(u)
        wet = np.abs(off) < self.width_km / 2
        if wet.any():
            side = np.where(off[wet] >= 0, 1.0, -1.0)
            push = self.width_km / 2 + rng.uniform(0.05, 0.6, int(wet.sum()))
            lat[wet], lon[wet] = self.point(u[wet], side * push)
        return lat, lon


@dataclass(frozen=True, slots=True)
class Delta:
    river: River
    city: City
    towns: list[City]
    spine_lat: F64
    spine_lon: F64
    """The highway spine, one point per km from the south bank."""

    def places(self) -> int:
        return len(self.towns) + 2

    def spine(self) -> int:
        return len(self.towns) + 1

    def spots(self, rng: np.random.Generator, place: int, n: int) -> tuple[F64, F64]:
        """``n`` points where people are, in a place, never in the river."""
        if place == self.spine():
            km = rng.uniform(0, self.spine_lat.size - 1, n)
            lat = np.interp(km, np.arange(self.spine_lat.size), self.spine_lat)
            lon = np.interp(km, np.arange(self.spine_lon.size), self.spine_lon)
            lat = lat + rng.normal(0, 0.8, n) / KM_LAT
            lon = lon + rng.normal(0, 0.8, n) / self.city.km_lon()
        else:
            lat, lon = (self.city if place == CITY else self.towns[place - 1]).points(rng, n)
        return self.river.land(rng, lat, lon)


def geography(seed: int) -> Delta:
    """The delta of a seed: the river, the old city on both banks, the towns, the spine."""
    rng = np.random.default_rng([seed, *b"delta-geography"])
    lat0, lon0 = float(rng.uniform(21.0, 24.5)), float(rng.uniform(86.5, 91.0))
    km_lon = 111.320 * math.cos(math.radians(lat0))
    radius = float(rng.uniform(9, 15))
    width = float(rng.uniform(1.0, 2.6))
    bridges = np.sort(rng.uniform(-0.7 * radius, 0.7 * radius, int(rng.integers(2, 5))))
    river = River(
        lat0,
        lon0,
        km_lon,
        math.radians(float(rng.uniform(-35, 35))),
        width,
        float(rng.uniform(0.3, 1.6)),
        float(rng.uniform(12, 30)),
        float(rng.uniform(0, 2 * math.pi)),
        tuple(float(b) for b in bridges),
    )
    hubs = []
    for i in range(int(rng.integers(6, 11))):
        side = 1.0 if i % 2 == 0 else -1.0  # both banks, the old centre on the north one
        u = 0.0 if i == 0 else float(rng.uniform(-0.8, 0.8)) * radius
        off = side * (width / 2 + float(rng.uniform(0.8, 0.55 * radius)))
        la, lo = river.point(np.array([u]), np.array([off]))
        spread = float(rng.uniform(0.6, 2.2))
        hubs.append((float(la[0]), float(lo[0]), spread, 2.0 if i == 0 else rng.uniform(0.4, 1.5)))
    city = City("old", lat0, lon0, tuple(hubs), radius)
    towns = []
    for i in range(int(rng.integers(3, 7))):
        a, dist = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(20, 60))
        tla, tlo = river.land(
            rng,
            np.array([lat0 + dist * math.sin(a) / KM_LAT]),
            np.array([lon0 + dist * math.cos(a) / km_lon]),
        )
        hubs_n, r = int(rng.integers(1, 4)), float(rng.uniform(3, 7))
        towns.append(make_city(rng, f"s{i}", float(tla[0]), float(tlo[0]), hubs_n, r))
    # the spine leaves the south bank heading south, bending a little every 10 km
    (la,), (lo,) = river.point(
        np.array([float(rng.uniform(-0.3, 0.3)) * radius]), np.array([-width])
    )
    length = int(rng.integers(150, 301))
    bearing = math.radians(180 + float(rng.uniform(-25, 25)))
    lat, lon = [float(la)], [float(lo)]
    for km in range(1, length + 1):
        if km % 10 == 0:
            bearing += math.radians(float(rng.uniform(-8, 8)))
        lat.append(lat[-1] + math.cos(bearing) / KM_LAT)
        lon.append(lon[-1] + math.sin(bearing) / km_lon)
    return Delta(river, city, towns, np.array(lat), np.array(lon))


def chargers(w: World, d: Delta) -> list[Sites]:
    """Chargers on both banks of the city, in each town, and at plazas down the spine."""
    rng = w.rng("sites")
    out = []
    for place in range(d.places() - 1):
        n = int(rng.integers(70, 111)) if place == CITY else int(rng.integers(6, 17))
        lat, lon = d.spots(rng, place, n)
        name = "old" if place == CITY else d.towns[place - 1].name
        owners = [CPOS[int(i)] for i in rng.integers(0, len(CPOS), n)]
        out.append(Sites([f"dl-{name}-{i:03d}" for i in range(n)], owners, lat, lon))
    kms = np.arange(float(rng.uniform(5, 20)), d.spine_lat.size - 1, float(rng.uniform(15, 40)))
    at = np.repeat(kms.astype(int), rng.integers(1, 4, kms.size))
    lat = d.spine_lat[at] + rng.normal(0, 0.1, at.size) / KM_LAT
    lon = d.spine_lon[at] + rng.normal(0, 0.1, at.size) / d.city.km_lon()
    owners = [CPOS[int(i)] for i in rng.integers(0, len(CPOS), at.size)]
    out.append(Sites([f"dl-spine-{i:03d}" for i in range(at.size)], owners, lat, lon))
    return out


# -- the power cut ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PowerCut:
    start: float
    end: float
    lat: float
    lon: float
    spread_km: float
    surge: float
    """The district's extra sessions during the cut, as a share of an app's daily sessions per
    day of cut."""
    dead: frozenset[int]
    """The city's chargers without power."""


def power_cut(w: World, d: Delta, city_sites: Sites) -> PowerCut:
    prng = w.prng("powercut")
    hub = d.city.hubs[prng.randrange(len(d.city.hubs))]
    hour = prng.uniform(10, 19)
    start = w.start + (hour * HOUR - float(ist_hours(np.array([w.start]))[0]) * HOUR) % 86_400
    length = prng.uniform(1.0, 3.0) * HOUR
    spread = max(1.0, hub[2])
    dn = (city_sites.lat - hub[0]) * KM_LAT
    de = (city_sites.lon - hub[1]) * d.city.km_lon()
    dead = frozenset(np.flatnonzero(np.hypot(dn, de) < 1.5 * spread).tolist())
    return PowerCut(start, start + length, hub[0], hub[1], spread, prng.uniform(0.8, 2.0), dead)


# -- honest BAPs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Habits:
    radii: tuple[float, ...]
    book: float
    """Share of sessions that select a charger."""
    confirm: float
    users: int = 0
    """How many users the app has, when its gateway sends user references (0: none)."""
    txn: bool = False
    cross: float = 0.0
    """Share of the city's sessions that go on across a bridge."""
    repeat: tuple[int, ...] = (1, 1, 2)
    shape: tuple[float, ...] = DAY


def _habits(prng: random.Random, *, users: int, book: tuple[float, float]) -> Habits:
    return Habits(
        radii=prng.choice(((2.0, 5.0, 10.0), (3.0, 5.0), (1.0, 3.0, 7.5, 15.0), (5.0, 10.0, 20.0))),
        book=prng.uniform(*book),
        confirm=prng.uniform(0.5, 0.75),
        users=users if prng.random() < 0.6 else 0,
        txn=prng.random() < 0.5,
        cross=prng.uniform(0.05, 0.2),
        repeat=prng.choice(((1, 1, 2), (1, 2, 2, 3), (1,))),
    )


def _nearest(s: Sites, lat: float, lon: float, skip: frozenset[int] = frozenset()) -> int:
    far = (s.lat - lat) ** 2 + (s.lon - lon) ** 2
    if skip:
        far = far.copy()
        far[list(skip)] = np.inf
    return int(np.argmin(far))


def _cross(
    prng: random.Random, d: Delta, lat: float, lon: float
) -> tuple[float, float, float, float]:
    """A trip from here over the nearest bridge: its far bridgehead, and a destination on the
    far bank."""
    r = d.river
    (u,), (v,) = r.frame(np.array([lat]), np.array([lon]))
    side = 1.0 if v - float(r.mid(np.array([u]))[0]) >= 0 else -1.0
    b = min(r.bridges, key=lambda x: abs(x - float(u)))
    hl, ho = r.point(np.array([b]), np.array([-side * (r.width_km / 2 + 0.2)]))
    far = -side * (r.width_km / 2 + 0.3 + abs(prng.gauss(0, 3)))
    dl, do = r.point(np.array([b + prng.gauss(0, 2.5)]), np.array([far]))
    return float(hl[0]), float(ho[0]), float(dl[0]), float(do[0])


def _app(
    w: World,
    bap: str,
    d: Delta,
    where: list[Sites],
    places: Sequence[int],
    weights: Sequence[float],
    per_day: float,
    h: Habits,
    cut: PowerCut | None,
) -> int:
    """An app's users: sessions of a search or a few at a spot, the radius from the app's own
    choices (sometimes widened); some sessions in the city go on over a bridge; ``h.book`` of
    sessions select the nearest charger. During the power cut (when the app serves the city)
    its users in the district hunt for a live charger. Returns the searches made."""
    rng, prng = w.rng(bap), w.prng(bap)
    via = prng.choice(VIAS)
    times = arrivals(rng, per_day, w.start, w.end, h.shape)
    p = np.asarray(weights, dtype=np.float64)
    which = rng.choice(len(places), size=times.size, p=p / p.sum())
    lat, lon = np.empty(times.size), np.empty(times.size)
    for k, place in enumerate(places):
        m = which == k
        lat[m], lon[m] = d.spots(rng, place, int(m.sum()))
    who = rng.integers(0, max(1, h.users), times.size)
    made = 0
    for i, t in enumerate(times.tolist()):
        place = places[int(which[i])]
        user = f"{bap}/u{who[i]}" if h.users else ""
        txn = w.txn("d") if h.txn else ""
        la, lo = float(lat[i]), float(lon[i])
        r = prng.choice(h.radii)
        for _ in range(prng.choice(h.repeat)):
            w.search(bap, t, la, lo, r, via=via, user=user, txn=txn)
            made += 1
            t += prng.uniform(8, 120)
            if prng.random() < 0.25:
                r = min(50.0, r * 2)
        s = where[place]
        if place == CITY and prng.random() < h.cross:
            hl, ho, la, lo = _cross(prng, d, la, lo)
            t += prng.uniform(600, 1500)
            w.search(bap, t, hl, ho, r, via=via, user=user, txn=txn)
            t += prng.uniform(300, 900)
            w.search(bap, t, la, lo, r, via=via, user=user, txn=txn)
            made += 2
        if prng.random() < h.book:
            k = _nearest(s, la, lo)
            w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=h.confirm, user=user, txn=txn)
    if cut is not None and CITY in places:
        made += _hunt(w, bap, d, where[CITY], per_day, h, cut, via)
    return made


def _hunt(
    w: World, bap: str, d: Delta, s: Sites, per_day: float, h: Habits, cut: PowerCut, via: str
) -> int:
    """The power cut: the app's users in the district search again and again, wider each
    time, most of them soon after the lights go out; a third book a live charger."""
    rng, prng = w.rng(bap + "cut"), w.prng(bap + "cut")
    n = int(rng.poisson(per_day * cut.surge * (cut.end - cut.start) / 86_400))
    times = cut.start + (cut.end - cut.start) * rng.uniform(0, 1, n) ** 1.8
    lat = cut.lat + rng.normal(0, 1, n) * cut.spread_km / KM_LAT
    lon = cut.lon + rng.normal(0, 1, n) * cut.spread_km / d.city.km_lon()
    lat, lon = d.river.land(rng, lat, lon)
    made = 0
    for i, t in enumerate(times.tolist()):
        user = f"{bap}/u{prng.randrange(max(1, h.users))}" if h.users else ""
        txn = w.txn("c") if h.txn else ""
        la, lo = float(lat[i]), float(lon[i])
        r = min(h.radii)
        for _ in range(prng.randint(2, 5)):
            w.search(bap, t, la, lo, r, via=via, user=user, txn=txn)
            made += 1
            t += prng.uniform(20, 90)
            r = min(30.0, r * 2)
        if prng.random() < 0.33:
            k = _nearest(s, la, lo, cut.dead)
            w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=0.8, user=user, txn=txn)
    return made


def shift_shape(morning: float, evening: float) -> tuple[float, ...]:
    """E-rickshaw shifts: a peak around ``morning`` and a taller one around ``evening``."""
    return tuple(
        0.1
        + 1.5 * math.exp(-(((h - morning) / 1.6) ** 2))
        + 1.9 * math.exp(-(((h - evening) / 1.9) ** 2))
        for h in range(24)
    )


def _erickshaw(w: World, d: Delta) -> str:
    """Battery-swap drivers: a search (sometimes a wider second) near where they are, and a
    swap booked at the nearest station on their own bank for 25-40% of searches."""
    prng = w.prng("erickshaw")
    share = prng.uniform(0.29, 0.36)
    drivers = prng.randint(40, 160)
    morning, evening = prng.uniform(6.5, 9.5), prng.uniform(16.5, 20.5)
    bap = w.bap(
        "honest",
        f"e-rickshaw battery swaps: {drivers} drivers, shifts peaking {morning:.0f}h and "
        f"{evening:.0f}h, books {share:.0%} of searches",
        "swap",
    )
    rng = w.rng(bap)
    n = prng.randint(10, 25)
    slat, slon = d.spots(rng, CITY, n)
    stations = Sites([f"swap-old-{i:02d}" for i in range(n)], [SWAP_CPO] * n, slat, slon)
    bank = d.river.across(slat, slon) >= 0
    times = arrivals(rng, prng.uniform(1000, 2500), w.start, w.end, shift_shape(morning, evening))
    lat, lon = d.spots(rng, CITY, times.size)
    sides = d.river.across(lat, lon) >= 0
    who = rng.integers(0, drivers, times.size)
    repeat = (1, 1, 1, 2)
    confirm = 0.92
    select = share * (sum(repeat) / len(repeat)) / confirm
    txn_on = prng.random() < 0.5
    for i, t in enumerate(times.tolist()):
        user = f"{bap}/d{who[i]}"
        txn = w.txn("e") if txn_on else ""
        la, lo = float(lat[i]), float(lon[i])
        r = prng.choice((1.0, 2.0, 3.0))
        for _ in range(prng.choice(repeat)):
            w.search(bap, t, la, lo, r, user=user, txn=txn)
            t += prng.uniform(15, 90)
            r *= 2
        if prng.random() < select:
            other = frozenset(np.flatnonzero(bank != sides[i]).tolist())
            k = _nearest(stations, la, lo, other if len(other) < n else frozenset())
            w.book(bap, t, SWAP_CPO, stations.ids[k], prng, confirm=confirm, user=user, txn=txn)
    return bap


def _bus_depot(w: World, d: Delta, place: int, where: Sites) -> None:
    """A depot console polling its own chargers on a fixed schedule through service hours (at
    half the rate at night) and booking one when a bus comes in."""
    prng = w.prng(f"depot{len(w.baps)}")
    n = prng.randint(2, 5)
    period = prng.choice((5, 6, 10, 12, 15)) * 60.0
    book = prng.uniform(0.1, 0.25)
    name = "old" if place == CITY else d.towns[place - 1].name
    bap = w.bap(
        "honest",
        f"bus depot console ({name}): polls its {n} chargers every {period / 60:.0f} min, "
        f"books ~{book:.0%} of rounds",
        "depot",
    )
    rng = w.rng(bap)
    k = int(rng.integers(0, len(where.ids)))
    lat = where.lat[k] + rng.normal(0, 0.03, n) / KM_LAT
    lon = where.lon[k] + rng.normal(0, 0.03, n) / d.city.km_lon()
    lat, lon = d.river.land(rng, lat, lon)
    ids = [f"depot-{name}-{bap[5:7]}-{i}" for i in range(n)]
    txn_on = prng.random() < 0.5
    offset = prng.uniform(0, 30)
    t = w.start - w.start % period + period + offset
    while t < w.end:
        hour = float(ist_hours(np.array([t]))[0])
        night = hour < 4.5 or hour >= 23.5
        if not night or round((t - offset) / period) % 2 == 0:
            txn = w.txn("b") if txn_on else ""
            for j in range(n):
                w.search(bap, t + 2 * j, float(lat[j]), float(lon[j]), 0.3, txn=txn)
            if prng.random() < book:
                j = prng.randrange(n)
                w.book(bap, t + 2 * n, TRANSIT_CPO, ids[j], prng, confirm=0.95, txn=txn)
        t += period


def _planner(w: World, d: Delta, spine: Sites) -> None:
    """Trips down the spine: the planner searches at each stop of a route in one burst, a
    second of them apart; some users re-plan with other stops; a third book one or two."""
    prng = w.prng("planner")
    bap = w.bap(
        "honest", "multi-stop trip planner: bursts of searches at stops down the spine", "plan"
    )
    rng = w.rng(bap)
    users = prng.randint(300, 1500)
    txn_on = prng.random() < 0.5
    length = d.spine_lat.size - 1
    for t in arrivals(rng, prng.uniform(150, 450), w.start, w.end, DAY).tolist():
        user = f"{bap}/u{prng.randrange(users)}"
        txn = w.txn("p") if txn_on else ""
        trip = prng.uniform(60, length)
        stops: list[float] = []
        for _ in range(1 if prng.random() < 0.7 else 2):
            gap = prng.uniform(20, 50)
            stops = [float(km) for km in np.arange(prng.uniform(10, gap), trip, gap)]
            r = prng.choice((5.0, 10.0, 15.0))
            for km in stops:
                k = int(km)
                lat = float(d.spine_lat[k]) + prng.gauss(0, 0.003)
                lon = float(d.spine_lon[k]) + prng.gauss(0, 0.003)
                w.search(bap, t, lat, lon, r, user=user, txn=txn)
                t += prng.uniform(0.3, 2.0)
            t += prng.uniform(60, 600)
        if stops and prng.random() < 0.33:
            for km in prng.sample(stops, min(len(stops), prng.randint(1, 2))):
                k = _nearest(spine, float(d.spine_lat[int(km)]), float(d.spine_lon[int(km)]))
                w.book(bap, t, spine.cpos[k], spine.ids[k], prng, confirm=0.8, user=user, txn=txn)
                t += prng.uniform(20, 120)


def _corporate(w: World, d: Delta, where: list[Sites], cut: PowerCut) -> None:
    prng = w.prng(f"corp{len(w.baps)}")
    cars = prng.randint(15, 60)
    bap = w.bap("honest", f"corporate fleet of {cars} cars, office hours, books ~45%", "corp")
    h = Habits(
        (2.0, 3.0, 5.0), prng.uniform(0.4, 0.5), 0.85, users=cars, txn=True, cross=0.3, shape=OFFICE
    )
    town = 1 + prng.randrange(len(d.towns))
    _app(w, bap, d, where, [CITY, town], [0.8, 0.2], cars * prng.uniform(5, 12), h, cut)


# -- scrapers -----------------------------------------------------------------------------------


def _grid(
    lat0: float, lon0: float, km_lon: float, radius_km: float, step: float, angle: float
) -> tuple[F64, F64]:
    """A square lattice of ``step`` km turned by ``angle``, within ``radius_km`` of a centre,
    in raster order of its own rows."""
    n = int(radius_km / step) + 1
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    x0, y0 = j.ravel() * step, i.ravel() * step
    x = x0 * math.cos(angle) - y0 * math.sin(angle)
    y = x0 * math.sin(angle) + y0 * math.cos(angle)
    keep = np.hypot(x, y) <= radius_km
    return lat0 + y[keep] / KM_LAT, lon0 + x[keep] / km_lon


def _host(
    w: World,
    label: str,
    stem: str,
    d: Delta,
    where: list[Sites],
    cut: PowerCut,
    per_day: float,
    places: Sequence[int],
    weights: Sequence[float],
) -> tuple[str, Habits, int]:
    bap = w.bap(label, "", stem)
    prng = w.prng(bap + "habits")
    h = _habits(prng, users=prng.randint(300, 3000), book=(0.12, 0.25))
    return bap, h, _app(w, bap, d, where, places, weights, per_day, h, cut)


def _hidden_random(w: World, d: Delta, where: list[Sites], cut: PowerCut) -> None:
    """A sweep inside an ordinary app: a lattice's nodes in random order (a new order each
    pass), at the app's own radii; a few nodes exact, the rest 30-80 m off each visit."""
    prng = w.prng(f"hr{len(w.baps)}")
    bap, h, made = _host(
        w,
        "hidden_sweep",
        "app",
        d,
        where,
        cut,
        prng.uniform(500, 1400),
        [CITY, *range(1, len(d.towns) + 1)],
        [3.0] + [0.5] * len(d.towns),
    )
    share = prng.uniform(0.08, 0.2)
    step = prng.uniform(0.8, 2.0)
    angle = math.radians(prng.choice((0.0, prng.uniform(5, 60))))
    if prng.random() < 0.5:
        side = prng.choice((1.0, -1.0))
        lat, lon = _grid(d.city.lat, d.city.lon, d.city.km_lon(), d.city.radius_km, step, angle)
        keep = (d.river.across(lat, lon) * side > 0) & ~d.river.wet(lat, lon, 0.15)
        over = f"the {'north' if side > 0 else 'south'} bank"
    else:
        town = prng.choice(d.towns)
        lat, lon = _grid(town.lat, town.lon, town.km_lon(), town.radius_km, step, angle)
        keep = ~d.river.wet(lat, lon, 0.15)
        over = f"town {town.name}"
    lat, lon = lat[keep], lon[keep]
    rng = w.rng(bap + "sweep")
    exact_share = prng.uniform(0.05, 0.25)
    exact = rng.uniform(0, 1, lat.size) < exact_share
    per_day = made * share / (1 - share) / ((w.end - w.start) / 86_400)
    order = rng.permutation(lat.size)
    tokens = [f"{bap}/s{i}" for i in range(prng.randint(1, 3))]
    for n, t in enumerate(arrivals(rng, per_day, w.start, w.end, DAY).tolist()):
        if n and n % lat.size == 0:
            order = rng.permutation(lat.size)
        k = int(order[n % lat.size])
        la, lo = float(lat[k]), float(lon[k])
        if not exact[k]:
            m, a = prng.uniform(0.03, 0.08), prng.uniform(0, 2 * math.pi)
            la += m * math.sin(a) / KM_LAT
            lo += m * math.cos(a) / d.city.km_lon()
        user = prng.choice(tokens) if h.users else ""
        txn = w.txn("x") if h.txn else ""
        w.search(bap, t, la, lo, prng.choice(h.radii), user=user, txn=txn, scraping=True)
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"{step:.1f} km lattice over {over} turned {math.degrees(angle):.0f} deg, random order, "
        f"app's radii, {exact_share:.0%} of nodes exact, rest 30-80 m off; {share:.0%} of an app",
    )


def _hidden_banks(w: World, d: Delta, where: list[Sites], cut: PowerCut) -> None:
    """A sweep inside an app over both banks of the city, row by row along the river, that
    leaves out every node in the water."""
    prng = w.prng(f"hb{len(w.baps)}")
    bap, h, made = _host(
        w, "hidden_sweep", "city", d, where, cut, prng.uniform(600, 1500), [CITY], [1.0]
    )
    share = prng.uniform(0.06, 0.18)
    step = prng.uniform(1.0, 2.0)
    lat, lon = _grid(d.city.lat, d.city.lon, d.city.km_lon(), d.city.radius_km, step, d.river.angle)
    dry = ~d.river.wet(lat, lon, 0.15)
    lat, lon = lat[dry], lon[dry]
    radius = prng.choice((step, 2.0, 3.0))
    jitter = prng.choice((0.0, 0.01, 0.02))
    rng = w.rng(bap + "sweep")
    per_day = made * share / (1 - share) / ((w.end - w.start) / 86_400)
    k = int(rng.integers(0, lat.size))
    for t in arrivals(rng, per_day, w.start, w.end, None).tolist():
        la = float(lat[k]) + prng.gauss(0, jitter / KM_LAT)
        lo = float(lon[k]) + prng.gauss(0, jitter / d.city.km_lon())
        txn = w.txn("y") if h.txn else ""
        w.search(bap, t, la, lo, radius, txn=txn, scraping=True)
        k = (k + 1) % lat.size
    w.baps[bap] = Truth(
        bap,
        "hidden_sweep",
        f"{step:.1f} km lattice over both banks along the river, skipping {int((~dry).sum())} "
        f"nodes in the water, {jitter * 1000:.0f} m jitter; {share:.0%} of a city app",
    )


def _hidden_poll(w: World, d: Delta, where: list[Sites], cut: PowerCut) -> None:
    """A poll inside the regional aggregator: 5-12 chargers, a round every 8-45 minutes (the
    period drawn per aggregator, each round within 15% of it)."""
    prng = w.prng(f"hp{len(w.baps)}")
    places = list(range(d.places()))
    weights = [4.0] + [0.7] * len(d.towns) + [0.5]
    bap, h, made = _host(
        w, "hidden_poll", "agg", d, where, cut, prng.uniform(1500, 3000), places, weights
    )
    period = prng.uniform(8, 45) * 60
    n = prng.randint(5, 12)
    place = prng.choice((CITY, CITY, 1 + prng.randrange(len(d.towns))))
    s = where[place]
    pick = prng.sample(range(len(s.ids)), min(n, len(s.ids)))
    radius = prng.choice(h.radii)
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        for k in pick:
            txn = w.txn("q") if h.txn else ""
            w.search(bap, t, float(s.lat[k]), float(s.lon[k]), radius, txn=txn, scraping=True)
            t += prng.uniform(1, 8)
        t += period * prng.uniform(0.85, 1.15)
    polls = len(w.scraping.get(bap, []))
    w.baps[bap] = Truth(
        bap,
        "hidden_poll",
        f"polls {len(pick)} chargers every ~{period / 60:.0f} min; "
        f"{polls / max(1, polls + made):.0%} of a regional aggregator",
    )


def _rotating(w: World, d: Delta) -> None:
    """One sweep of the city run under several BAP keys taking turns: a key sweeps for 10-40
    minutes, then the next one carries on from the node it left."""
    prng = w.prng("rotating")
    keys = prng.randint(3, 6)
    step = prng.uniform(0.7, 1.5)
    per_hour = prng.uniform(100, 300)
    radius = prng.choice((1.0, 1.5, step))
    style = (
        f"token-rotating sweeper, {keys} keys over one {step:.1f} km lattice at {per_hour:.0f}/h"
    )
    baps = [w.bap("sweeper", style, "key") for _ in range(keys)]
    angle = math.radians(prng.choice((0.0, prng.uniform(10, 40))))
    lat, lon = _grid(d.city.lat, d.city.lon, d.city.km_lon(), 0.9 * d.city.radius_km, step, angle)
    txn_on = prng.random() < 0.5
    t = w.start + prng.uniform(0, 60)
    turn, until, k = 0, t + prng.uniform(600, 2400), 0
    while t < w.end:
        if t >= until:
            turn, until = (turn + 1) % keys, t + prng.uniform(600, 2400)
        txn = w.txn("k") if txn_on else ""
        w.search(baps[turn], t, float(lat[k]), float(lon[k]), radius, txn=txn, scraping=True)
        k = (k + 1) % lat.size
        t += 3600 / per_hour * prng.uniform(0.8, 1.2)


def _booking_scraper(w: World, d: Delta, where: list[Sites]) -> None:
    prng = w.prng(f"bk{len(w.baps)}")
    step = prng.uniform(0.8, 1.8)
    per_hour = prng.uniform(50, 150)
    place = 1 + prng.randrange(len(d.towns))
    town = d.towns[place - 1]
    bap = w.bap(
        "booking_scraper",
        f"{step:.1f} km lattice over town {town.name} at {per_hour:.0f}/h, books ~1%",
        "bk",
    )
    lat, lon = _grid(town.lat, town.lon, town.km_lon(), town.radius_km + 1, step, 0.0)
    s = where[place]
    t = w.start + prng.uniform(0, 60)
    k = 0
    while t < w.end:
        txn = w.txn("z")
        w.search(bap, t, float(lat[k]), float(lon[k]), 2.0, txn=txn, scraping=True)
        if prng.random() < 0.011:
            j = _nearest(s, float(lat[k]), float(lon[k]))
            w.book(bap, t, s.cpos[j], s.ids[j], prng, confirm=0.9, txn=txn)
        k = (k + 1) % lat.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _low_and_slow(w: World, d: Delta, where: list[Sites]) -> None:
    """A few searches an hour on people's daily rhythm, under a handful of user names, at a
    people's radius, over the busy chargers or a coarse lattice of the city."""
    prng = w.prng(f"slow{len(w.baps)}")
    rate = prng.uniform(8, 35)
    hotspots = prng.random() < 0.5
    bap = w.bap(
        "low_and_slow",
        f"{rate:.0f}/h on people's daily rhythm, {'hotspots' if hotspots else 'coarse lattice'}",
        "slow",
    )
    rng = w.rng(bap)
    s = where[CITY]
    if hotspots:
        pick = rng.choice(len(s.ids), size=prng.randint(8, 20), replace=False)
        lat, lon = s.lat[pick], s.lon[pick]
    else:
        lat, lon = _grid(
            d.city.lat, d.city.lon, d.city.km_lon(), d.city.radius_km, prng.uniform(2.0, 4.0), 0.0
        )
    radius = prng.choice((5.0, 7.5, 10.0))
    users = [f"{bap}/u{i}" for i in range(prng.randint(2, 6))]
    k = int(rng.integers(0, lat.size))
    for t in arrivals(rng, rate * 24, w.start, w.end, DAY).tolist():
        w.search(
            bap,
            t,
            float(lat[k]),
            float(lon[k]),
            radius,
            user=prng.choice(users),
            txn=w.txn("l"),
            scraping=True,
        )
        k = (k + 1) % lat.size


def _poller(w: World, d: Delta, where: list[Sites]) -> None:
    prng = w.prng(f"poll{len(w.baps)}")
    period = prng.uniform(180, 600)
    place = prng.choice((CITY, 1 + prng.randrange(len(d.towns))))
    s = where[place]
    pick = prng.sample(range(len(s.ids)), min(len(s.ids), prng.randint(4, 10)))
    bap = w.bap("poller", f"polls {len(pick)} chargers every ~{period:.0f} s", "poll")
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        for j, k in enumerate(pick):
            w.search(bap, t + j * 0.5, float(s.lat[k]), float(s.lon[k]), 1.0, scraping=True)
        t += period * prng.uniform(0.9, 1.1)


# -- the day ------------------------------------------------------------------------------------


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    d = geography(seed)
    where = chargers(w, d)
    cut = power_cut(w, d, where[CITY])
    prng = w.prng("plan")
    towns = list(range(1, len(d.towns) + 1))
    everywhere = list(range(d.places()))
    _erickshaw(w, d)
    for i in range(prng.randint(1, 2)):
        place = CITY if i == 0 else prng.choice(towns)
        _bus_depot(w, d, place, where[place])
    _planner(w, d, where[d.spine()])
    for _ in range(prng.randint(1, 2)):
        _corporate(w, d, where, cut)
    bap = w.bap("honest", "two-city aggregator (the old city and the largest town)", "two")
    big = max(towns, key=lambda c: d.towns[c - 1].radius_km)
    h = _habits(w.prng(bap), users=4000, book=(0.12, 0.18))
    _app(w, bap, d, where, [CITY, big], [0.6, 0.4], prng.uniform(1500, 2800), h, cut)
    bap = w.bap("honest", "big consumer app over the city, the towns and the spine", "big")
    h = _habits(w.prng(bap), users=20_000, book=(0.12, 0.16))
    _app(
        w,
        bap,
        d,
        where,
        everywhere,
        [6.0] + [0.6] * len(towns) + [1.0],
        prng.uniform(4000, 6000),
        h,
        cut,
    )
    for _ in range(prng.randint(12, 15)):
        bap = w.bap("honest", "ordinary app", "app")
        p = w.prng(bap + "habits")
        h = _habits(p, users=p.randint(200, 3000), book=(0.12, 0.3))
        mine = [CITY, *p.sample(towns, p.randint(0, len(towns)))]
        weights = [3.0] + [p.uniform(0.2, 1.0) for _ in mine[1:]]
        _app(w, bap, d, where, mine, weights, p.uniform(100, 700), h, cut)
    for _ in range(prng.randint(3, 5)):
        bap = w.bap("honest", "tiny new app", "tiny")
        p = w.prng(bap + "habits")
        users = p.randint(3, 10)
        h = _habits(p, users=users, book=(0.2, 0.35))
        _app(w, bap, d, where, [CITY], [1.0], users * p.uniform(1, 4), h, None)
    for _ in range(prng.randint(1, 2)):
        _hidden_random(w, d, where, cut)
    _hidden_banks(w, d, where, cut)
    for _ in range(prng.randint(1, 2)):
        _hidden_poll(w, d, where, cut)
    _rotating(w, d)
    _booking_scraper(w, d, where)
    for _ in range(prng.randint(1, 2)):
        _low_and_slow(w, d, where)
    for _ in range(prng.randint(1, 2)):
        _poller(w, d, where)
    return w.done()
