"""Family ``metro``: three big metros with many hubs; a few large consumer apps and many small
ones, users who search two or three times around home or work and book often; a cab fleet's
dispatch that checks its ten depot chargers every 15 minutes day and night and books about a
third of its searches; city sweeps on exact lattices run from the scrapers' own BAPs and hidden
inside real apps (no user references anywhere); pollers of busy sites with a period drawn per
poller and per poll.

Gateways here report no transaction ids.
"""

from __future__ import annotations

import math

import numpy as np

from uei_testing.families.world import (
    City,
    Sites,
    Truth,
    World,
    arrivals,
    lattice,
    make_city,
    sites,
)

NAME = "metro"
CPOS = tuple(f"cpo{i}.metro.example" for i in range(8))
DAY = (0.2, 0.1, 0.08, 0.08, 0.1, 0.3, 0.7, 1.2, 1.6, 1.5, 1.2, 1.1,
       1.1, 1.0, 1.0, 1.1, 1.3, 1.6, 1.8, 1.6, 1.2, 0.9, 0.6, 0.35)  # fmt: skip


def _cities(w: World) -> list[City]:
    rng = w.rng("cities")
    return [
        make_city(rng, "m1", 12.97, 77.59, int(rng.integers(6, 10)), float(rng.uniform(14, 20))),
        make_city(rng, "m2", 28.60, 77.20, int(rng.integers(6, 10)), float(rng.uniform(16, 24))),
        make_city(rng, "m3", 19.07, 72.87, int(rng.integers(5, 8)), float(rng.uniform(10, 16))),
    ]


def _consumer_app(
    w: World, bap: str, cities: list[City], where: list[Sites], per_day: float
) -> list[float]:
    """Sessions of 1-3 searches around a point, radius from the app's three choices; about a
    quarter of sessions select the nearest site, most of those book."""
    rng, prng = w.rng(bap), w.prng(bap)
    radii = prng.choice(((2.0, 5.0, 10.0), (3.0, 5.0, 8.0), (1.0, 2.5, 5.0, 15.0)))
    book = prng.uniform(0.18, 0.35)
    share = rng.dirichlet(np.ones(len(cities)))
    times = arrivals(rng, per_day, w.start, w.end, DAY)
    city_of = rng.choice(len(cities), size=times.size, p=share)
    out = []
    for t, c in zip(times.tolist(), city_of.tolist(), strict=True):
        city, s = cities[c], where[c]
        lat, lon = (float(v[0]) for v in city.points(rng, 1))
        r = float(prng.choice(radii))
        for _ in range(prng.choice((1, 1, 2, 2, 3))):
            w.search(bap, t, lat, lon, r)
            out.append(t)
            t += prng.uniform(5, 90)
            lat += prng.gauss(0, 0.002)
            lon += prng.gauss(0, 0.002)
            if prng.random() < 0.3:
                r = float(prng.choice(radii))
        if prng.random() < book:
            i = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[i], s.ids[i], prng, confirm=0.6)
    return out


def _fleet(w: World, city: City, where: Sites) -> None:
    bap = w.bap("honest", "cab fleet dispatch: 10 depots every 15 min, books ~1/3", "fleet")
    rng, prng = w.rng(bap), w.prng(bap)
    depots = rng.choice(len(where.ids), size=10, replace=False).tolist()
    t = w.start + float(rng.uniform(0, 900))
    while t < w.end:
        for k, d in enumerate(depots):
            at = t + k * prng.uniform(0.5, 2.0)
            w.search(bap, at, float(where.lat[d]), float(where.lon[d]), 1.0)
            if prng.random() < 1 / 3:
                w.book(bap, at, where.cpos[d], where.ids[d], prng, confirm=0.9)
        t += 900 + prng.uniform(-5, 5)


def _sweep(
    w: World, bap: str, city: City, step_km: float, per_hour: float, jitter_m: float
) -> None:
    rng = w.rng(bap + "sweep")
    south, west, north, east = city.bbox()
    lat, lon = lattice(south, west, north, east, step_km, city.km_lon())
    gap = 3600.0 / per_hour
    t = w.start + float(rng.uniform(0, gap))
    i = int(rng.integers(0, lat.size))
    radius = float(rng.choice([1.5, 2.0, 3.0, step_km]))
    while t < w.end:
        jl = rng.normal(0, jitter_m / 1000 / 110.574) if jitter_m else 0.0
        jo = rng.normal(0, jitter_m / 1000 / city.km_lon()) if jitter_m else 0.0
        w.search(bap, t, float(lat[i]) + jl, float(lon[i]) + jo, radius, scraping=True)
        i = (i + 1) % lat.size
        t += gap * float(rng.uniform(0.9, 1.1))


def _poller(w: World, city: City, where: Sites) -> None:
    prng = w.prng(f"poller{len(w.baps)}")
    period = math.exp(prng.uniform(math.log(40), math.log(600)))
    bap = w.bap("poller", f"polls busy sites, period ~{period:.0f} s randomised", "poll")
    rng = w.rng(bap)
    targets = rng.choice(len(where.ids), size=int(rng.integers(3, 15)), replace=False)
    t = w.start + float(rng.uniform(0, period))
    while t < w.end:
        for k in targets.tolist():
            w.search(bap, t, float(where.lat[k]), float(where.lon[k]), 2.0, scraping=True)
        t += period * float(rng.uniform(0.5, 1.5))


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    cities = _cities(w)
    where = [sites(w.rng(f"sites{c.name}"), c, 120, CPOS, "ms") for c in cities]
    prng = w.prng("plan")
    for size, per_day, n in (("large", 6000, 2), ("medium", 2000, 4), ("small", 500, 7)):
        for _ in range(n):
            bap = w.bap("honest", f"{size} consumer app", "app")
            _consumer_app(w, bap, cities, where, per_day * prng.uniform(0.6, 1.4))
    for _ in range(2):
        host = w.bap("hidden_sweep", "", "app")
        searches = _consumer_app(w, host, cities, where, 2000 * prng.uniform(0.5, 1.5))
        share = prng.uniform(0.05, 0.3)
        jitter = prng.choice((0.0, 40.0))
        city = prng.choice(cities)
        per_hour = len(searches) * share / (1 - share) / ((w.end - w.start) / 3600)
        step = prng.uniform(1.0, 3.0)
        w.baps[host] = Truth(
            host,
            "hidden_sweep",
            f"{'exact' if not jitter else '40 m jittered'} lattice ({step:.1f} km), "
            f"{share:.0%} of a medium app",
        )
        _sweep(w, host, city, step, per_hour, jitter)
    c = prng.randrange(len(cities))
    _fleet(w, cities[c], where[c])
    for _ in range(2):
        bap = w.bap("sweeper", "own BAP, exact lattice", "sweep")
        city = prng.choice(cities)
        _sweep(w, bap, city, prng.uniform(0.8, 2.5), prng.uniform(150, 900), 0.0)
    for _ in range(2):
        c = prng.randrange(len(cities))
        _poller(w, cities[c], where[c])
    return w.done()
