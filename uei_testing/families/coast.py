"""Family ``coast``: written after the detector's rules were set, and held out from the start.

A strip of resort towns along a coast; tourists on EV rental apps who search near their hotel
with a wide radius and book often; a taxi co-operative's app that checks its five stands every
5-10 minutes and books a quarter of its searches; a charger-map widget whose map refreshes the
same view every minute while it is open, for a few minutes at a time. Scrapers sweep in shapes
the detector was not written for: a hexagonal lattice (every other row shifted by half a step),
a lattice rotated by 20-40 degrees, and uniformly random points over a town (no lattice at
all), all without booking; a poller hidden in a rental app at 5-15% of its traffic; and plain
pollers of the stands' sites.

Gateways here report no transaction ids and no user references.
"""

from __future__ import annotations

import math

from uei_testing.families.world import (
    KM_LAT,
    City,
    Sites,
    Truth,
    World,
    arrivals,
    make_city,
    sites,
)

NAME = "coast"
CPOS = tuple(f"c{i}.coast.example" for i in range(4))
HOLIDAY = (0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.7, 1.1, 1.4, 1.5, 1.4,
           1.3, 1.2, 1.2, 1.3, 1.4, 1.5, 1.5, 1.4, 1.2, 0.9, 0.6, 0.4)  # fmt: skip


def _towns(w: World) -> list[City]:
    rng = w.rng("coast")
    lat, lon = float(rng.uniform(8, 16)), float(rng.uniform(73, 76))
    out = []
    for i in range(int(rng.integers(4, 8))):
        lat += float(rng.uniform(0.2, 0.6))
        lon += float(rng.uniform(-0.1, 0.1))
        out.append(
            make_city(rng, f"r{i}", lat, lon, int(rng.integers(1, 4)), float(rng.uniform(3, 8)))
        )
    return out


def _rental(
    w: World, bap: str, towns: list[City], where: list[Sites], per_day: float
) -> list[float]:
    rng, prng = w.rng(bap), w.prng(bap)
    out = []
    for t in arrivals(rng, per_day, w.start, w.end, HOLIDAY).tolist():
        c = prng.randrange(len(towns))
        lat, lon = (float(v[0]) for v in towns[c].points(rng, 1))
        for _ in range(prng.choice((1, 2))):
            w.search(
                bap,
                t,
                lat + prng.gauss(0, 0.001),
                lon + prng.gauss(0, 0.001),
                prng.choice((10.0, 20.0)),
            )
            out.append(t)
            t += prng.uniform(20, 200)
        if prng.random() < 0.35:
            i = where[c].nearest(lat, lon)
            w.book(bap, t, where[c].cpos[i], where[c].ids[i], prng, confirm=0.7)
    return out


def _taxi_coop(w: World, town: City, where: Sites) -> None:
    bap = w.bap("honest", "taxi co-op: 5 stands every 5-10 min, books ~1/4", "taxi")
    rng, prng = w.rng(bap), w.prng(bap)
    stands = rng.choice(len(where.ids), size=min(5, len(where.ids)), replace=False).tolist()
    t = w.start + prng.uniform(0, 300)
    while t < w.end:
        k = prng.choice(stands)
        w.search(bap, t, float(where.lat[k]), float(where.lon[k]), 2.0)
        if prng.random() < 0.25:
            w.book(bap, t, where.cpos[k], where.ids[k], prng, confirm=0.9)
        t += prng.uniform(60, 120)


def _map_widget(w: World, bap: str, towns: list[City], where: list[Sites], opens: float) -> None:
    rng, prng = w.rng(bap), w.prng(bap)
    for t in arrivals(rng, opens, w.start, w.end, HOLIDAY).tolist():
        c = prng.randrange(len(towns))
        lat, lon = (float(v[0]) for v in towns[c].points(rng, 1))
        for _ in range(prng.randint(1, 5)):  # a view, refreshed every minute, then a pan
            for _ in range(prng.randint(1, 6)):
                w.search(bap, t, lat, lon, 5.0)
                t += 60 + prng.uniform(-2, 2)
            lat += prng.gauss(0, 0.01)
            lon += prng.gauss(0, 0.01)
        if prng.random() < 0.2:
            i = where[c].nearest(lat, lon)
            w.book(bap, t, where[c].cpos[i], where[c].ids[i], prng, confirm=0.6)


def _shaped_sweep(w: World, town: City, shape: str) -> None:
    prng = w.prng(f"shape{len(w.baps)}")
    step = prng.uniform(0.8, 2.0)
    per_hour = prng.uniform(40, 300)
    angle = math.radians(prng.uniform(20, 40)) if shape == "rotated" else 0.0
    bap = w.bap("sweeper", f"{shape} sweep, {step:.1f} km at {per_hour:.0f}/h", "sh")
    rng = w.rng(bap)
    r = town.radius_km
    pts = []
    for i in range(-int(r / step), int(r / step) + 1):
        for j in range(-int(r / step), int(r / step) + 1):
            if shape == "hexagonal":
                x, y = (j + 0.5 * (i % 2)) * step, i * step * math.sqrt(3) / 2
            else:
                x0, y0 = j * step, i * step
                x = x0 * math.cos(angle) - y0 * math.sin(angle)
                y = x0 * math.sin(angle) + y0 * math.cos(angle)
            if x * x + y * y <= r * r:
                pts.append((town.lat + y / KM_LAT, town.lon + x / town.km_lon()))
    t = w.start + prng.uniform(0, 60)
    n = 0
    while t < w.end:
        if shape == "random":
            lat = town.lat + float(rng.uniform(-r, r)) / KM_LAT
            lon = town.lon + float(rng.uniform(-r, r)) / town.km_lon()
        else:
            lat, lon = pts[n % len(pts)]
        w.search(bap, t, lat, lon, 3.0, scraping=True)
        n += 1
        t += 3600 / per_hour * prng.uniform(0.8, 1.2)


def _stand_poller(w: World, town: City, where: Sites) -> None:
    prng = w.prng(f"sp{len(w.baps)}")
    period = prng.uniform(120, 900)
    bap = w.bap("poller", f"polls a town's sites every ~{period:.0f} s", "sp")
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        for k in range(len(where.ids)):
            w.search(bap, t + k, float(where.lat[k]), float(where.lon[k]), 1.0, scraping=True)
        t += period * prng.uniform(0.8, 1.2)


def _hidden_poll(w: World, towns: list[City], where: list[Sites]) -> None:
    prng = w.prng(f"hp{len(w.baps)}")
    host = w.bap("hidden_poll", "", "rent")
    searches = _rental(w, host, towns, where, prng.uniform(800, 2500))
    share = prng.uniform(0.05, 0.15)
    c = prng.randrange(len(towns))
    s = where[c]
    w.baps[host] = Truth(
        host, "hidden_poll", f"polls {len(s.ids)} sites, {share:.0%} of a rental app"
    )
    per_day = len(searches) * share / (1 - share) / ((w.end - w.start) / 86_400)
    period = 86_400 / (per_day / len(s.ids))
    t = w.start + prng.uniform(0, period)
    while t < w.end:
        for k in range(len(s.ids)):
            w.search(host, t + k * 0.5, float(s.lat[k]), float(s.lon[k]), 2.0, scraping=True)
        t += period * prng.uniform(0.7, 1.3)


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    towns = _towns(w)
    where = [sites(w.rng(f"s{c.name}"), c, 8, CPOS, "cs") for c in towns]
    prng = w.prng("plan")
    for _ in range(4):
        bap = w.bap("honest", "EV rental app for tourists", "rent")
        _rental(w, bap, towns, where, prng.uniform(300, 3000))
    for _ in range(2):
        bap = w.bap("honest", "charger-map widget refreshing its view every minute", "map")
        _map_widget(w, bap, towns, where, prng.uniform(100, 600))
    c = prng.randrange(len(towns))
    _taxi_coop(w, towns[c], where[c])
    for shape in ("hexagonal", "rotated", "random"):
        _shaped_sweep(w, prng.choice(towns), shape)
    c = prng.randrange(len(towns))
    _stand_poller(w, towns[c], where[c])
    _hidden_poll(w, towns, where)
    return w.done()
