"""Family ``hills``: a hill-state network. A few small towns strung along valley roads, each
with a handful of chargers bunched at one or two spots (a bus stand, a hotel row); plains
cities at the foot of the hills. Tourist apps busy by day, a goods-truck fleet that charges at
night from its depots, a national aggregator relaying searches over every town and city, an
app that snaps its users' positions to a 1 km grid for privacy (and books like people do), a
head-unit fleet that refreshes as the cars climb and books on about one refresh in a hundred,
and tiny new apps.

Scrapers here do not use the axes: sweeps on a rotated square lattice or a hexagonal one,
hidden inside real apps at 5-15% of their searches (exact or jittered by tens of metres), or
run from their own BAP; pollers hidden inside apps with a period drawn per round between 7
and 40 minutes; one sweeper that books about 1% of its searches. No event carries a user
reference; some BAPs' gateway reports transaction ids, the hidden scrapers' never.

Written after the ``coast`` family, independently of the detector's rules, as a held-out
family of issue 14 (its figures were first looked at in the one held-out run).
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
    make_city,
)

NAME = "hills"
CPOS = tuple(f"op{i}.hills.example" for i in range(5))
TOURIST = (0.05, 0.03, 0.02, 0.02, 0.05, 0.2, 0.6, 1.1, 1.6, 1.8, 1.7, 1.5,
           1.4, 1.5, 1.6, 1.6, 1.5, 1.3, 1.0, 0.8, 0.5, 0.3, 0.15, 0.08)  # fmt: skip
NIGHT = (1.6, 1.8, 1.8, 1.6, 1.2, 0.8, 0.4, 0.2, 0.1, 0.1, 0.1, 0.1,
         0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.1, 1.3, 1.4, 1.5)  # fmt: skip
FLAT = (1.0,) * 24


def _towns(w: World) -> tuple[list[City], list[City]]:
    rng = w.rng("towns")
    lat, lon = float(rng.uniform(29.5, 32.5)), float(rng.uniform(76.5, 79.5))
    hills = []
    for i in range(int(rng.integers(3, 6))):
        a = float(rng.uniform(0, 2 * math.pi))
        d = float(rng.uniform(25, 70)) * i
        clat = lat + d * math.sin(a) / KM_LAT
        clon = lon + d * math.cos(a) / (111.32 * math.cos(math.radians(lat)))
        hills.append(
            make_city(rng, f"h{i}", clat, clon, int(rng.integers(1, 4)), rng.uniform(3, 7))
        )
    plains = [
        make_city(rng, f"p{i}", lat - float(rng.uniform(1.0, 2.5)), lon + dlon, 6, 14.0)
        for i, dlon in enumerate((-1.5, 0.0, 1.5))
    ]
    return hills, plains


def _chargers(w: World, town: City, n: int) -> Sites:
    """``n`` chargers bunched at one or two spots of the town."""
    rng = w.rng(f"chargers{town.name}")
    spots = town.points(rng, int(rng.integers(1, 3)))
    pick = rng.integers(0, spots[0].size, n)
    lat = spots[0][pick] + rng.normal(0, 0.15, n) / KM_LAT
    lon = spots[1][pick] + rng.normal(0, 0.15, n) / town.km_lon()
    ids = [f"hl-{town.name}-{i:02d}" for i in range(n)]
    owners = [CPOS[int(i)] for i in rng.integers(0, len(CPOS), n)]
    return Sites(ids, owners, lat, lon)


def _people(
    w: World,
    bap: str,
    towns: list[City],
    where: list[Sites],
    per_day: float,
    shape: tuple[float, ...],
    *,
    book: float,
    snap_km: float = 0.0,
    txn_on: bool = False,
) -> int:
    """Sessions of a search or a few around where someone is; ``book`` of sessions select the
    nearest charger. ``snap_km``: positions rounded to a grid of that step (a privacy-minded
    app). Returns the searches made."""
    rng, prng = w.rng(bap), w.prng(bap)
    weights = rng.uniform(0.5, 2.0, len(towns))
    made = 0
    times = arrivals(rng, per_day, w.start, w.end, shape)
    which = rng.choice(len(towns), size=times.size, p=weights / weights.sum())
    for t, c in zip(times.tolist(), which.tolist(), strict=True):
        town, s = towns[c], where[c]
        lat, lon = (float(v[0]) for v in town.points(rng, 1))
        if snap_km:
            lat = round(lat * KM_LAT / snap_km) * snap_km / KM_LAT
            lon = round(lon * town.km_lon() / snap_km) * snap_km / town.km_lon()
        txn = w.txn("h") if txn_on else ""
        r = prng.choice((2.0, 5.0, 10.0, 20.0))
        for _ in range(prng.choice((1, 1, 1, 2, 4))):
            w.search(bap, t, lat, lon, r, txn=txn)
            made += 1
            t += prng.uniform(10, 200)
            r = min(40.0, r * 2)
        if prng.random() < book:
            i = s.nearest(lat, lon)
            w.book(bap, t, s.cpos[i], s.ids[i], prng, confirm=0.5, txn=txn)
    return made


def _trucks(w: World, towns: list[City], where: list[Sites]) -> None:
    """Goods trucks that charge overnight: the dispatcher looks at the chargers of the next
    town on each truck's route, mostly at night, and books about two in five."""
    bap = w.bap("honest", "night goods-truck fleet, books ~40%", "truck")
    rng, prng = w.rng(bap), w.prng(bap)
    for t in arrivals(rng, prng.uniform(150, 400), w.start, w.end, NIGHT).tolist():
        c = prng.randrange(len(towns))
        s = where[c]
        i = prng.randrange(len(s.ids))
        for _ in range(prng.randint(1, 3)):
            w.search(bap, t, float(s.lat[i]), float(s.lon[i]), 3.0)
            t += prng.uniform(60, 400)
        if prng.random() < 0.4:
            w.book(bap, t, s.cpos[i], s.ids[i], prng, confirm=0.9)


def _climbing_cars(w: World, towns: list[City], where: list[Sites]) -> None:
    """In-car head units: a refresh every 2-6 minutes as the car climbs between towns on a
    winding road; about 1% of refreshes end in a booking."""
    bap = w.bap("honest", "head units on winding roads, book ~1% of refreshes", "unit")
    rng, prng = w.rng(bap), w.prng(bap)
    every = prng.uniform(120, 360)
    for t in arrivals(rng, prng.uniform(40, 150), w.start, w.end, TOURIST).tolist():
        a, b = prng.sample(range(len(towns)), 2)
        lat0, lon0 = towns[a].lat, towns[a].lon
        lat1, lon1 = towns[b].lat, towns[b].lon
        km = math.hypot((lat1 - lat0) * KM_LAT, (lon1 - lon0) * towns[a].km_lon())
        steps = max(3, int(km / prng.uniform(20, 40) * 3600 / every))
        bend = prng.uniform(-0.15, 0.15)
        for k in range(steps):
            f = k / steps
            wiggle = bend * math.sin(6 * math.pi * f)
            lat = lat0 + f * (lat1 - lat0) + wiggle * (lon1 - lon0) * 0.3
            lon = lon0 + f * (lon1 - lon0) - wiggle * (lat1 - lat0) * 0.3
            w.search(bap, t + k * every + prng.uniform(-10, 10), lat, lon, 25.0)
            if prng.random() < 0.01:
                s = where[b]
                i = s.nearest(lat1, lon1)
                w.book(bap, t + k * every, s.cpos[i], s.ids[i], prng, confirm=0.7)


def _basis(prng_angle: float, step: float, hexagonal: bool) -> tuple[np.ndarray, np.ndarray]:
    c, s = math.cos(prng_angle), math.sin(prng_angle)
    a1 = np.array([c, s]) * step
    second = (0.5, math.sqrt(3) / 2) if hexagonal else (0.0, 1.0)
    a2 = np.array([c * second[0] - s * second[1], s * second[0] + c * second[1]]) * step
    return a1, a2


def off_axis_lattice(
    town: City, step_km: float, angle: float, hexagonal: bool
) -> tuple[np.ndarray, np.ndarray]:
    """A rotated square lattice (or a hexagonal one) of ``step_km`` over the town, in raster
    order of its own basis."""
    a1, a2 = _basis(angle, step_km, hexagonal)
    n = int(2 * town.radius_km / step_km) + 2
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    pts = i.ravel()[:, None] * a1 + j.ravel()[:, None] * a2
    inside = np.hypot(pts[:, 0], pts[:, 1]) <= town.radius_km
    pts = pts[inside]
    return town.lat + pts[:, 1] / KM_LAT, town.lon + pts[:, 0] / town.km_lon()


def _sweep(
    w: World,
    bap: str,
    town: City,
    per_hour: float,
    *,
    hexagonal: bool,
    jitter_m: float,
    book: float = 0.0,
    where: Sites | None = None,
) -> str:
    prng = w.prng(bap + "sweep")
    step = prng.uniform(0.6, 1.8)
    angle = prng.uniform(math.radians(8), math.radians(38))
    lat, lon = off_axis_lattice(town, step, angle, hexagonal)
    rng = w.rng(bap + "sweep")
    radius = prng.choice((1.0, step, 2.0))
    t = w.start + prng.uniform(0, 3600 / per_hour)
    i = prng.randrange(lat.size)
    while t < w.end:
        jl = prng.gauss(0, jitter_m / 1000 / KM_LAT) if jitter_m else 0.0
        jo = prng.gauss(0, jitter_m / 1000 / town.km_lon()) if jitter_m else 0.0
        w.search(bap, t, float(lat[i]) + jl, float(lon[i]) + jo, radius, scraping=True)
        if book and where is not None and prng.random() < book:
            k = int(rng.integers(0, len(where.ids)))
            w.book(bap, t, where.cpos[k], where.ids[k], prng, confirm=0.3)
        i = (i + 1) % lat.size
        t += 3600 / per_hour * prng.uniform(0.7, 1.3)
    kind = "hexagonal" if hexagonal else f"square rotated {math.degrees(angle):.0f} deg"
    return f"{kind} lattice {step:.1f} km, {jitter_m:.0f} m jitter"


def _hidden_poll(w: World, bap: str, where: Sites) -> str:
    prng = w.prng(bap + "poll")
    pick = prng.sample(range(len(where.ids)), prng.randint(2, min(6, len(where.ids))))
    low, high = prng.uniform(7, 15) * 60, prng.uniform(20, 40) * 60
    t = w.start + prng.uniform(0, high)
    while t < w.end:
        for k in pick:
            w.search(bap, t, float(where.lat[k]), float(where.lon[k]), 2.0, scraping=True)
        t += prng.uniform(low, high)
    return f"polls {len(pick)} chargers every {low / 60:.0f}-{high / 60:.0f} min"


def generate(seed: int, start: float, hours: float = 24.0) -> World:
    w = World(NAME, seed, start, start + hours * 3600.0)
    hills, plains = _towns(w)
    prng = w.prng("plan")
    where = [_chargers(w, t, prng.randint(6, 14)) for t in hills]
    where_plains = [_chargers(w, t, 30) for t in plains]
    everywhere, all_sites = [*hills, *plains], [*where, *where_plains]
    for _ in range(3):
        bap = w.bap("honest", "tourist charging app", "trip")
        _people(w, bap, hills, where, prng.uniform(400, 2500), TOURIST, book=0.25)
    bap = w.bap("honest", "national aggregator over every town and city", "agg")
    _people(w, bap, everywhere, all_sites, prng.uniform(3000, 6000), TOURIST, book=0.12,
            txn_on=True)  # fmt: skip
    bap = w.bap("honest", "app snapping positions to a 1 km grid, books ~20%", "snap")
    _people(w, bap, hills, where, prng.uniform(600, 1500), TOURIST, book=0.2, snap_km=1.0)
    for _ in range(2):
        bap = w.bap("honest", "tiny new app", "new")
        _people(w, bap, hills, where, prng.uniform(20, 80), TOURIST, book=0.3)
    _trucks(w, hills, where)
    _climbing_cars(w, hills, where)
    # sweeps off the axes hidden in real apps
    for hexagonal in (False, True):
        host = w.bap("hidden_sweep", "", "trip")
        made = _people(w, host, hills, where, prng.uniform(800, 2500), TOURIST, book=0.25)
        share = prng.uniform(0.05, 0.15)
        c = prng.randrange(len(hills))
        per_hour = made * share / (1 - share) / ((w.end - w.start) / 3600)
        style = _sweep(w, host, hills[c], per_hour, hexagonal=hexagonal,
                       jitter_m=prng.choice((0.0, 30.0)))  # fmt: skip
        w.baps[host] = Truth(host, "hidden_sweep", f"{style}, {share:.0%} of a tourist app")
    # pollers with jittered periods hidden in apps
    for _ in range(2):
        host = w.bap("hidden_poll", "", "trip")
        made = _people(w, host, hills, where, prng.uniform(1500, 4000), TOURIST, book=0.25)
        style = _hidden_poll(w, host, where[prng.randrange(len(hills))])
        polls = len(w.scraping.get(host, []))
        share = polls / max(1, polls + made)
        w.baps[host] = Truth(host, "hidden_poll", f"{style}, {share:.0%} of a tourist app")
    # off-axis sweeps from their own BAPs
    for hexagonal in (True, False):
        bap = w.bap("sweeper", "", "hx")
        c = prng.randrange(len(hills))
        style = _sweep(w, bap, hills[c], prng.uniform(60, 400), hexagonal=hexagonal, jitter_m=0.0)
        w.baps[bap] = Truth(bap, "sweeper", f"own BAP, {style}")
    bap = w.bap("booking_scraper", "", "bk")
    c = prng.randrange(len(plains))
    style = _sweep(w, bap, plains[c], prng.uniform(80, 200), hexagonal=True, jitter_m=20.0,
                   book=0.01, where=where_plains[c])  # fmt: skip
    w.baps[bap] = Truth(bap, "booking_scraper", f"{style} over a plains city, books ~1%")
    return w.done()
