"""Family ``corridor``: cities strung along highways, and traffic that moves: in-car head units
that refresh availability every few minutes while the car drives (the centre moves on at road
speed, a fixed radius), ride-hail apps whose drivers search wherever they are at all hours and
book often, and trip planners that search ahead along a route. Scrapers here snake along the
corridor on a lattice, poll hotspots at Poisson times (no fixed period at all), and poll hidden
inside a real app's traffic (the same few sites every few minutes, no user reference).

Half of the BAPs' events come with a transaction id (their gateway reports it), half without.
"""

from __future__ import annotations

import math

import numpy as np

from uei_testing.families.world import (
    KM_LAT,
    City,
    Sites,
    Truth,
    World,
    arrivals,
    lattice,
    make_city,
    sites,
)

NAME = "corridor"
CPOS = tuple(f"bpp{i}.corridor.example" for i in range(6))
DRIVE = (0.3, 0.2, 0.15, 0.15, 0.3, 0.6, 1.0, 1.4, 1.5, 1.3, 1.1, 1.1,
         1.1, 1.1, 1.2, 1.3, 1.5, 1.6, 1.5, 1.2, 0.9, 0.7, 0.5, 0.4)  # fmt: skip


def _cities(w: World) -> list[City]:
    rng = w.rng("cities")
    lat, lon = float(rng.uniform(15, 25)), float(rng.uniform(72, 80))
    bearing = float(rng.uniform(0, math.pi))
    out = []
    for i in range(int(rng.integers(4, 7))):
        d = i * float(rng.uniform(60, 140))
        clat = lat + d * math.sin(bearing) / KM_LAT
        clon = lon + d * math.cos(bearing) / (111.32 * math.cos(math.radians(lat)))
        out.append(make_city(rng, f"k{i}", clat, clon, int(rng.integers(2, 7)), 8 + 4 * i % 12))
    return out


def _txn(w: World, on: bool) -> str:
    return w.txn("c") if on else ""


def _head_units(w: World, bap: str, cities: list[City], where: list[Sites], cars: int) -> None:
    rng, prng = w.rng(bap), w.prng(bap)
    period = prng.uniform(90, 400)
    radius = prng.choice((10.0, 15.0, 25.0))
    txn_on = prng.random() < 0.5
    trips = arrivals(rng, cars * prng.uniform(1.5, 3), w.start, w.end, DRIVE)
    for t in trips.tolist():
        a, b = (
            prng.sample(range(len(cities)), 2)
            if prng.random() < 0.3
            else [prng.randrange(len(cities))] * 2
        )
        lat0, lon0 = (float(v[0]) for v in cities[a].points(rng, 1))
        lat1, lon1 = (float(v[0]) for v in cities[b].points(rng, 1))
        km = math.hypot((lat1 - lat0) * KM_LAT, (lon1 - lon0) * cities[a].km_lon())
        duration = max(600.0, km / prng.uniform(25, 70) * 3600)
        steps = int(duration / period)
        txn = _txn(w, txn_on)
        for k in range(steps):
            f = k / max(1, steps)
            w.search(
                bap,
                t + k * period + prng.uniform(-3, 3),
                lat0 + f * (lat1 - lat0) + prng.gauss(0, 0.0005),
                lon0 + f * (lon1 - lon0) + prng.gauss(0, 0.0005),
                radius,
                txn=txn,
            )
        if prng.random() < 0.35:  # the battery is low: pick a charger near the destination
            s = where[b]
            i = s.nearest(lat1, lon1)
            w.book(bap, t + steps * period * 0.8, s.cpos[i], s.ids[i], prng, confirm=0.8, txn=txn)


def _ride_hail(
    w: World, bap: str, cities: list[City], where: list[Sites], per_day: float
) -> list[float]:
    rng, prng = w.rng(bap), w.prng(bap)
    txn_on = prng.random() < 0.5
    c = prng.randrange(len(cities))
    times = arrivals(rng, per_day, w.start, w.end, DRIVE)
    out = []
    for t in times.tolist():
        if prng.random() < 0.3:
            c = prng.randrange(len(cities))
        lat, lon = (float(v[0]) for v in cities[c].points(rng, 1))
        txn = _txn(w, txn_on)
        r = prng.choice((3.0, 5.0, 5.0, 8.0))
        for _ in range(prng.choice((1, 2, 3))):
            w.search(bap, t, lat, lon, r, txn=txn)
            out.append(t)
            t += prng.uniform(15, 120)
            r = min(20.0, r * 1.5)
        if prng.random() < 0.3:
            s = where[c]
            i = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[i], s.ids[i], prng, confirm=0.7, txn=txn)
    return out


def _planner(w: World, bap: str, cities: list[City], where: list[Sites], per_day: float) -> None:
    """A trip planner: a few searches ahead along a route, each at a city on the way."""
    rng, prng = w.rng(bap), w.prng(bap)
    for t in arrivals(rng, per_day, w.start, w.end, DRIVE).tolist():
        a = prng.randrange(len(cities))
        b = prng.randrange(len(cities))
        txn = w.txn("p")
        for k in range(min(a, b), max(a, b) + 1):
            lat, lon = (float(v[0]) for v in cities[k].points(rng, 1))
            w.search(bap, t, lat, lon, 20.0, txn=txn)
            t += prng.uniform(3, 20)
        if prng.random() < 0.2:
            s = where[b]
            i = int(rng.integers(0, len(s.ids)))
            w.book(bap, t, s.cpos[i], s.ids[i], prng, confirm=0.5, txn=txn)


def _snake(w: World, cities: list[City]) -> None:
    prng = w.prng(f"snake{len(w.baps)}")
    step = prng.uniform(1.5, 4.0)
    per_hour = prng.uniform(100, 600)
    bap = w.bap(
        "sweeper", f"snake lattice {step:.1f} km along the corridor, {per_hour:.0f}/h", "sn"
    )
    rng = w.rng(bap)
    lats, lons = [], []
    for city in cities:
        south, west, north, east = city.bbox()
        la, lo = lattice(south, west, north, east, step, city.km_lon())
        cols = np.arange(west, east, step / city.km_lon()).size
        la, lo = la.reshape(-1, cols), lo.reshape(-1, cols)
        la[1::2], lo[1::2] = la[1::2, ::-1], lo[1::2, ::-1]  # boustrophedon
        lats.append(la.ravel())
        lons.append(lo.ravel())
    lat, lon = np.concatenate(lats), np.concatenate(lons)
    t = w.start + prng.uniform(0, 30)
    i = int(rng.integers(0, lat.size))
    while t < w.end:
        w.search(bap, t, float(lat[i]), float(lon[i]), step, scraping=True)
        i = (i + 1) % lat.size
        t += 3600 / per_hour * prng.uniform(0.8, 1.2)


def _poisson_poller(w: World, city: City, where: Sites) -> None:
    prng = w.prng(f"pp{len(w.baps)}")
    mean = prng.uniform(30, 400)
    bap = w.bap("poller", f"hotspots at Poisson times, mean gap {mean:.0f} s", "pp")
    rng = w.rng(bap)
    pick = rng.choice(len(where.ids), size=prng.randint(2, 8), replace=False).tolist()
    t = w.start
    while True:
        t += float(rng.exponential(mean))
        if t >= w.end:
            break
        k = prng.choice(pick)
        w.search(
            bap, t, float(where.lat[k]), float(where.lon[k]), prng.choice((1.0, 2.0)), scraping=True
        )


def _hidden_poll(w: World, cities: list[City], where: list[Sites]) -> None:
    prng = w.prng(f"hp{len(w.baps)}")
    host = w.bap("hidden_poll", "", "ride")
    searches = _ride_hail(w, host, cities, where, prng.uniform(1000, 3000))
    share = prng.uniform(0.05, 0.3)
    c = prng.randrange(len(cities))
    rng = w.rng(host + "poll")
    pick = rng.choice(len(where[c].ids), size=prng.randint(3, 10), replace=False).tolist()
    per_day = len(searches) * share / (1 - share) / ((w.end - w.start) / 86_400)
    w.baps[host] = Truth(
        host, "hidden_poll", f"polls {len(pick)} sites, {share:.0%} of a ride-hail app"
    )
    rounds = per_day / len(pick)
    period = 86_400 / rounds
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        for k in pick:
            w.search(host, t, float(where[c].lat[k]), float(where[c].lon[k]), 3.0, scraping=True)
        t += period * prng.uniform(0.6, 1.4)


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    cities = _cities(w)
    where = [sites(w.rng(f"s{c.name}"), c, 40, CPOS, "co") for c in cities]
    prng = w.prng("plan")
    for _ in range(3):
        bap = w.bap("honest", "in-car head units refreshing on the move", "car")
        _head_units(w, bap, cities, where, prng.randint(20, 200))
    for _ in range(4):
        bap = w.bap("honest", "ride-hail drivers' app", "ride")
        _ride_hail(w, bap, cities, where, prng.uniform(300, 4000))
    for _ in range(3):
        bap = w.bap("honest", "trip planner", "plan")
        _planner(w, bap, cities, where, prng.uniform(100, 800))
    for _ in range(2):
        _snake(w, cities)
    for _ in range(2):
        c = prng.randrange(len(cities))
        _poisson_poller(w, cities[c], where[c])
    for _ in range(2):
        _hidden_poll(w, cities, where)
    return w.done()
