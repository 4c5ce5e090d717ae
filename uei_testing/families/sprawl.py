"""Family ``sprawl``: six cities of very different sizes scattered over a wide country (from a
town of two hubs to a sprawl of a dozen); aggregator apps over all six and apps of one city;
depot managers who check their own few stations through working hours and reserve often; tiny
new apps with a handful of users; scrapers who stay low and slow with a daily rhythm (a coarse
lattice or a few hotspots, office hours only), scrapers who book about 1% of their searches to
look human, and sweeps hidden in real apps with about 40 m of jitter.

The gateway here reports Beckn's ``transaction_id`` with every event: one per user session
(a search and what follows it), one per poll for a scraper.
"""

from __future__ import annotations

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

NAME = "sprawl"
CPOS = tuple(f"op{i}.sprawl.example" for i in range(14))
DAY = (0.1, 0.05, 0.05, 0.05, 0.1, 0.2, 0.5, 0.9, 1.2, 1.3, 1.3, 1.2,
       1.4, 1.3, 1.2, 1.2, 1.3, 1.5, 1.7, 1.7, 1.4, 1.0, 0.6, 0.3)  # fmt: skip
OFFICE = tuple(1.0 if 9 <= h < 19 else 0.0 for h in range(24))
WAKING = tuple(1.0 if 7 <= h < 23 else 0.05 for h in range(24))


def _cities(w: World) -> list[City]:
    rng = w.rng("cities")
    out = []
    for i, (hubs, radius) in enumerate(((2, 5), (3, 7), (5, 10), (7, 14), (9, 18), (12, 24))):
        lat = float(rng.uniform(9, 30))
        lon = float(rng.uniform(70, 88))
        out.append(make_city(rng, f"c{i}", lat, lon, hubs, radius * float(rng.uniform(0.8, 1.2))))
    return out


def _app(
    w: World,
    bap: str,
    cities: list[City],
    where: list[Sites],
    per_day: float,
    *,
    users: int,
    book: float,
) -> list[float]:
    """Users with a home and a work place; a session searches near one of them (sometimes
    from a saved place, at exactly the same point), one or two searches; some book."""
    rng, prng = w.rng(bap), w.prng(bap)
    weights = rng.dirichlet(np.ones(len(cities)) * 0.7)
    home_city = rng.choice(len(cities), size=users, p=weights)
    places = [cities[c].points(rng, 2) for c in home_city.tolist()]
    radius = prng.choice((3.0, 5.0, 7.5, 10.0))
    times = arrivals(rng, per_day, w.start, w.end, DAY)
    who = rng.integers(0, users, times.size)
    out = []
    for t, u in zip(times.tolist(), who.tolist(), strict=True):
        lat_pair, lon_pair = places[u]
        k = prng.randrange(2)
        lat, lon = float(lat_pair[k]), float(lon_pair[k])
        if prng.random() < 0.5:  # not from the saved place: the phone's own GPS
            lat += prng.gauss(0, 0.004)
            lon += prng.gauss(0, 0.004)
        txn = w.txn("s")
        r = radius if prng.random() < 0.8 else radius * 2
        for _ in range(prng.choice((1, 1, 2))):
            w.search(bap, t, lat, lon, r, txn=txn)
            out.append(t)
            t += prng.uniform(10, 60)
        if prng.random() < book:
            s = where[int(home_city[u])]
            i = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[i], s.ids[i], prng, confirm=0.55, txn=txn)
    return out


def _depot_manager(w: World, city: City, where: Sites) -> None:
    prng = w.prng(f"depot{len(w.baps)}")
    stations = prng.randint(3, 8)
    bap = w.bap("honest", f"depot manager: {stations} own stations in office hours", "depot")
    rng = w.rng(bap)
    own = rng.choice(len(where.ids), size=stations, replace=False).tolist()
    for t in arrivals(rng, prng.uniform(60, 160), w.start, w.end, OFFICE).tolist():
        k = prng.choice(own)
        txn = w.txn("d")
        w.search(bap, t, float(where.lat[k]), float(where.lon[k]), 0.5, txn=txn)
        if prng.random() < 0.4:
            w.book(bap, t, where.cpos[k], where.ids[k], prng, confirm=0.8, txn=txn)


def _low_and_slow(w: World, city: City, where: Sites) -> None:
    prng = w.prng(f"slow{len(w.baps)}")
    rate = prng.uniform(10, 60)
    hotspots = prng.random() < 0.5
    shape = prng.choice((OFFICE, WAKING))
    kind = "hotspots" if hotspots else "coarse lattice"
    hours = "office hours" if shape is OFFICE else "waking hours"
    bap = w.bap("low_and_slow", f"{rate:.0f}/h, {kind}, {hours}", "slow")
    rng = w.rng(bap)
    if hotspots:
        pick = rng.choice(len(where.ids), size=prng.randint(4, 12), replace=False)
        lat, lon = where.lat[pick], where.lon[pick]
        radius = 1.0
    else:
        step = prng.uniform(2.0, 4.0)
        lat, lon = lattice(*city.bbox(), step, city.km_lon())
        radius = step
    per_day = rate * 24 * float(np.mean(shape))
    times = arrivals(rng, per_day, w.start, w.end, shape)
    i = int(rng.integers(0, lat.size))
    for t in times.tolist():
        w.search(bap, t, float(lat[i]), float(lon[i]), radius, txn=w.txn("l"), scraping=True)
        i = (i + 1) % lat.size


def _booking_scraper(w: World, city: City, where: Sites) -> None:
    """A sweep that selects and books at about 1% of its searches to look like an app."""
    prng = w.prng(f"booker{len(w.baps)}")
    step = prng.uniform(0.8, 2.0)
    per_hour = prng.uniform(60, 400)
    bap = w.bap("booking_scraper", f"lattice {step:.1f} km at {per_hour:.0f}/h, books ~1%", "bk")
    rng = w.rng(bap)
    lat, lon = lattice(*city.bbox(), step, city.km_lon())
    order = rng.permutation(lat.size) if prng.random() < 0.5 else np.arange(lat.size)
    t = w.start + prng.uniform(0, 60)
    n = 0
    while t < w.end:
        i = int(order[n % lat.size])
        txn = w.txn("b")
        w.search(bap, t, float(lat[i]), float(lon[i]), 2.0, txn=txn, scraping=True)
        if prng.random() < 0.01:
            k = where.nearest(float(lat[i]), float(lon[i]))
            w.book(bap, t, where.cpos[k], where.ids[k], prng, confirm=0.9, txn=txn)
        n += 1
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)


def _hidden_sweep(w: World, cities: list[City], where: list[Sites]) -> None:
    prng = w.prng(f"hidden{len(w.baps)}")
    host = w.bap("hidden_sweep", "", "agg")
    searches = _app(w, host, cities, where, prng.uniform(1500, 5000), users=1400, book=0.2)
    share = prng.uniform(0.05, 0.3)
    c = prng.randrange(2, len(cities))
    city = cities[c]
    step = prng.uniform(1.0, 2.5)
    w.baps[host] = Truth(
        host,
        "hidden_sweep",
        f"~40 m jittered lattice ({step:.1f} km) over {city.name}, {share:.0%} of an aggregator",
    )
    lat, lon = lattice(*city.bbox(), step, city.km_lon())
    rng = w.rng(host + "sweep")
    per_day = len(searches) * share / (1 - share) / ((w.end - w.start) / 86_400)
    times = arrivals(rng, per_day, w.start, w.end, None)
    i = int(rng.integers(0, lat.size))
    j = 40 / 1000
    for t in times.tolist():
        w.search(
            host,
            t,
            float(lat[i]) + prng.gauss(0, j / 110.574),
            float(lon[i]) + prng.gauss(0, j / city.km_lon()),
            step,
            txn=w.txn("h"),
            scraping=True,
        )
        i = (i + 1) % lat.size


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    cities = _cities(w)
    where = [sites(w.rng(f"s{c.name}"), c, 20 + 15 * i, CPOS, "sp") for i, c in enumerate(cities)]
    prng = w.prng("plan")
    for _ in range(3):
        bap = w.bap("honest", "aggregator over six cities", "agg")
        _app(w, bap, cities, where, prng.uniform(3000, 7000), users=2000, book=0.15)
    for _ in range(6):
        c = prng.randrange(len(cities))
        bap = w.bap("honest", f"one-city app ({cities[c].name})", "city")
        _app(w, bap, [cities[c]], [where[c]], prng.uniform(150, 1500), users=300, book=0.25)
    for _ in range(5):
        c = prng.randrange(len(cities))
        bap = w.bap("honest", "tiny new app", "new")
        users = prng.randint(3, 25)
        _app(w, bap, [cities[c]], [where[c]], users * prng.uniform(1, 4), users=users, book=0.25)
    for _ in range(3):
        c = prng.randrange(len(cities))
        _depot_manager(w, cities[c], where[c])
    for _ in range(2):
        _hidden_sweep(w, cities, where)
    for _ in range(3):
        c = prng.randrange(len(cities))
        _low_and_slow(w, cities[c], where[c])
    for _ in range(2):
        c = prng.randrange(2, len(cities))
        _booking_scraper(w, cities[c], where[c])
    return w.done()
