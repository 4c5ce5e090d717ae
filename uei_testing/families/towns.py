"""Family ``towns``: a region of many small towns (one or two hubs each, a few km across) and
one mid-size city; small regional apps whose users search rarely but book when they do, tiny
new apps, and a fleet of delivery vans whose depot manager checks the depot's chargers on a
fixed half-hourly round and books many of them. Scrapers: pollers that book about 1% of their
searches, low-and-slow scrapers flat over the day, and coarse sweeps (a 3-6 km lattice over
the whole region) hidden in a regional app at 5-30% of its traffic, exact or jittered.

Every event carries a transaction id, and apps pass their users' references (a scraper's
sweep inside an app does not: it runs outside any user).
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

NAME = "towns"
CPOS = tuple(f"t{i}.towns.example" for i in range(5))
DAY = (0.05, 0.03, 0.03, 0.05, 0.1, 0.4, 0.9, 1.3, 1.3, 1.1, 1.0, 1.0,
       1.2, 1.1, 1.0, 1.0, 1.2, 1.5, 1.6, 1.4, 1.0, 0.6, 0.3, 0.1)  # fmt: skip


def _region(w: World) -> list[City]:
    rng = w.rng("region")
    lat0, lon0 = float(rng.uniform(10, 26)), float(rng.uniform(74, 86))
    out = [make_city(rng, "hub", lat0, lon0, 5, 12.0)]
    for i in range(int(rng.integers(8, 14))):
        lat = lat0 + float(rng.uniform(-1.2, 1.2))
        lon = lon0 + float(rng.uniform(-1.2, 1.2))
        out.append(
            make_city(rng, f"t{i}", lat, lon, int(rng.integers(1, 3)), float(rng.uniform(2, 5)))
        )
    return out


def _regional_app(
    w: World, bap: str, towns: list[City], where: list[Sites], users: int, per_user: float
) -> list[float]:
    rng, prng = w.rng(bap), w.prng(bap)
    weights = rng.dirichlet(np.ones(len(towns)))
    home = rng.choice(len(towns), size=users, p=weights)
    times = arrivals(rng, users * per_user, w.start, w.end, DAY)
    who = rng.integers(0, users, times.size)
    out = []
    for t, u in zip(times.tolist(), who.tolist(), strict=True):
        c = int(home[u])
        lat, lon = (float(v[0]) for v in towns[c].points(rng, 1))
        txn = w.txn("r")
        user = f"{bap}/u{u}"
        r = prng.choice((5.0, 10.0, 20.0))
        for _ in range(prng.choice((1, 2, 2, 3))):
            w.search(bap, t, lat, lon, r, user=user, txn=txn)
            out.append(t)
            t += prng.uniform(10, 120)
            r = min(50.0, r * 2)
        if prng.random() < 0.3:
            s = where[c]
            i = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[i], s.ids[i], prng, confirm=0.6, user=user, txn=txn)
    return out


def _vans(w: World, town: City, where: Sites) -> None:
    bap = w.bap("honest", "delivery vans' depot: a round every 30 min, books many", "vans")
    rng, prng = w.rng(bap), w.prng(bap)
    depot = rng.choice(len(where.ids), size=min(len(where.ids), prng.randint(3, 6)), replace=False)
    t = w.start + prng.uniform(0, 1800)
    while t < w.end:
        for k in depot.tolist():
            txn = w.txn("v")
            w.search(bap, t, float(where.lat[k]), float(where.lon[k]), 0.3, txn=txn)
            if prng.random() < 0.45:
                w.book(bap, t, where.cpos[k], where.ids[k], prng, confirm=0.95, txn=txn)
            t += prng.uniform(1, 4)
        t += 1800 + prng.uniform(-60, 60)


def _booking_poller(w: World, towns: list[City], where: list[Sites]) -> None:
    prng = w.prng(f"bp{len(w.baps)}")
    period = prng.uniform(60, 900)
    bap = w.bap("booking_scraper", f"polls busy sites every ~{period:.0f} s, books ~1%", "bp")
    rng = w.rng(bap)
    targets = [
        (c, int(rng.integers(0, len(where[c].ids))))
        for c in rng.integers(0, len(towns), 8).tolist()
    ]
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        for c, k in targets:
            s = where[c]
            txn = w.txn("p")
            w.search(bap, t, float(s.lat[k]), float(s.lon[k]), 2.0, txn=txn, scraping=True)
            if prng.random() < 0.01:
                w.book(bap, t, s.cpos[k], s.ids[k], prng, confirm=1.0, txn=txn)
            t += prng.uniform(0.2, 2)
        t += period * prng.uniform(0.7, 1.3)


def _flat_slow(w: World, towns: list[City], where: list[Sites]) -> None:
    prng = w.prng(f"fs{len(w.baps)}")
    rate = prng.uniform(10, 50)
    bap = w.bap("low_and_slow", f"{rate:.0f}/h flat over the day, a town's sites", "fs")
    rng = w.rng(bap)
    c = prng.randrange(len(towns))
    s = where[c]
    for t in arrivals(rng, rate * 24, w.start, w.end, None).tolist():
        k = int(rng.integers(0, len(s.ids)))
        w.search(bap, t, float(s.lat[k]), float(s.lon[k]), 5.0, txn=w.txn("f"), scraping=True)


def _hidden_coarse(w: World, towns: list[City], where: list[Sites]) -> None:
    prng = w.prng(f"hc{len(w.baps)}")
    host = w.bap("hidden_sweep", "", "reg")
    searches = _regional_app(w, host, towns, where, prng.randint(400, 1500), prng.uniform(1, 3))
    share = prng.uniform(0.05, 0.3)
    jitter = prng.choice((0.0, 40.0))
    step = prng.uniform(3.0, 6.0)
    w.baps[host] = Truth(
        host,
        "hidden_sweep",
        f"{'exact' if not jitter else '40 m jittered'} {step:.1f} km lattice over the region, "
        f"{share:.0%} of a regional app",
    )
    lats = [t.lat for t in towns]
    lons = [t.lon for t in towns]
    km_lon = towns[0].km_lon()
    lat, lon = lattice(min(lats), min(lons), max(lats), max(lons), step, km_lon)
    rng = w.rng(host + "coarse")
    per_day = len(searches) * share / (1 - share) / ((w.end - w.start) / 86_400)
    i = int(rng.integers(0, lat.size))
    for t in arrivals(rng, per_day, w.start, w.end, None).tolist():
        jl = prng.gauss(0, jitter / 1000 / 110.574) if jitter else 0.0
        jo = prng.gauss(0, jitter / 1000 / km_lon) if jitter else 0.0
        w.search(
            host, t, float(lat[i]) + jl, float(lon[i]) + jo, step, txn=w.txn("x"), scraping=True
        )
        i = (i + 1) % lat.size


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    towns = _region(w)
    where = [
        sites(w.rng(f"s{c.name}"), c, 30 if i == 0 else 6, CPOS, "tw") for i, c in enumerate(towns)
    ]
    prng = w.prng("plan")
    for _ in range(6):
        bap = w.bap("honest", "regional app", "reg")
        _regional_app(w, bap, towns, where, prng.randint(100, 2000), prng.uniform(0.8, 3))
    for _ in range(5):
        bap = w.bap("honest", "tiny new app", "tiny")
        _regional_app(w, bap, towns, where, prng.randint(2, 20), prng.uniform(1, 5))
    for _ in range(2):
        c = prng.randrange(len(towns))
        _vans(w, towns[c], where[c])
    for _ in range(2):
        _hidden_coarse(w, towns, where)
    for _ in range(2):
        _booking_poller(w, towns, where)
    for _ in range(2):
        _flat_slow(w, towns, where)
    return w.done()
