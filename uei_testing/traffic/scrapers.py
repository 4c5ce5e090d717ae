"""The scrapers' strategies: sweepers over a lattice, pollers of the busiest locations,
low-and-slow scrapers, and scraping users hidden inside a real app."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from uei_testing.traffic.cities import _KM_LAT, _KM_LON, CITIES, City, Location, _gps, _offset
from uei_testing.traffic.draws import _ist_hour, _loguniform
from uei_testing.traffic.habits import _HonestApps
from uei_testing.traffic.model import GATEWAYS, HOUR, BapTruth


def _lattice(city: City, step_km: float, margin_km: float = 6.0) -> list[tuple[float, float]]:
    """Row-major points ``step_km`` apart over ``city``'s bounding box, south-west first."""
    south, west, north, east = city.bbox(margin_km)
    dlat = step_km / _KM_LAT
    dlon = step_km / (_KM_LON * math.cos(math.radians(city.lat)))
    rows = int((north - south) / dlat) + 1
    cols = int((east - west) / dlon) + 1
    return [(south + r * dlat, west + c * dlon) for r in range(rows) for c in range(cols)]


def _snake(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Row-major points reordered boustrophedon (every other row backwards)."""
    rows: list[list[tuple[float, float]]] = []
    for p in points:
        if rows and rows[-1][0][0] == p[0]:
            rows[-1].append(p)
        else:
            rows.append([p])
    found: list[tuple[float, float]] = []
    for i, row in enumerate(rows):
        found += row if i % 2 == 0 else row[::-1]
    return found


# -- where the events go ----------------------------------------------------------------


class _Scrapers(_HonestApps):
    # -- scrapers --------------------------------------------------------------------------

    def scraper_user(self, rng: random.Random) -> Callable[[], str | None]:
        """How a scraper's BAP fills user_ref: never, one constant, or a rotating pool."""
        mode = rng.choices(("none", "fixed", "rotating"), (0.4, 0.3, 0.3))[0]
        if mode == "none":
            return lambda: None
        if mode == "fixed":
            fixed = f"u_{rng.getrandbits(40):010x}"
            return lambda: fixed
        pool = [f"u_{rng.getrandbits(40):010x}" for _ in range(rng.randint(20, 200))]
        return lambda: rng.choice(pool)

    def sweeper(self, bap: str, key: str) -> None:
        rng, _ = self.rngs(f"sweeper:{key}")
        n_cities = 1 if rng.random() < 0.7 else rng.randint(2, 3)
        weights = [c.weight for c in CITIES]
        chosen = list(dict.fromkeys(rng.choices(range(len(CITIES)), weights, k=n_cities)))
        step = rng.uniform(1.0, 3.0)
        radius = float(max(1.0, round(step * rng.uniform(0.7, 1.5) * 2) / 2))
        order = rng.choices(("raster", "snake", "shuffled"), (0.45, 0.35, 0.2))[0]
        points: list[tuple[float, float]] = []
        for ci in chosen:
            grid = _lattice(CITIES[ci], step)
            points += _snake(grid) if order == "snake" else grid
        rate = _loguniform(rng, 300, 2500) * self.scale
        gap = HOUR / rate
        poisson = rng.random() < 0.3
        jitter = rng.uniform(0.02, 0.2)
        wobble = step * 0.1 if rng.random() < 0.3 else 0.0
        gateway, share = rng.choice(GATEWAYS), rng.uniform(0.9, 1.0)
        user = self.scraper_user(rng)
        gps = [_gps(lat, lon) for lat, lon in points]
        t = self.start + rng.uniform(0, gap)
        while t < self.end:
            sweep = list(range(len(points)))
            if order == "shuffled":
                rng.shuffle(sweep)
            for i in sweep:
                if wobble:
                    lat, lon = points[i]
                    lat, lon = _offset(
                        lat, lon, rng.uniform(-wobble, wobble), rng.uniform(-wobble, wobble)
                    )
                    where = _gps(lat, lon)
                else:
                    where = gps[i]
                via = self.via(rng, gateway, share)
                self.sink.search(rng, bap, t, where, radius, via, user())
                if poisson:
                    t += rng.expovariate(1 / gap)
                else:
                    t += gap * (1 + rng.uniform(-jitter, jitter))
                if t >= self.end:
                    break
            t += rng.uniform(0, 900)
        style = f"{order}/{'poisson' if poisson else 'regular'}{'+wobble' if wobble else ''}"
        self.done(BapTruth(bap, "sweeper", "scraper", frozenset(), style))

    def hotspots(self, rng: random.Random, ci: int, n: int) -> list[Location]:
        top = self.world.busiest(ci, max(n, 25))
        picked: list[Location] = []
        while len(picked) < min(n, len(top)):
            pick = rng.choices(top, [x.popularity for x in top])[0]
            if pick not in picked:
                picked.append(pick)
        return picked

    def poll(
        self,
        rng: random.Random,
        bap: str,
        spots: list[tuple[str, float]],
        period: float,
        via: Callable[[], str],
        user: Callable[[], str | None],
        window: tuple[float, float] | None = None,
    ) -> None:
        """Poll ``spots`` (gps, radius) every ``period`` seconds with a small jitter, either in
        a burst or staggered over the period; possibly with one outage."""
        sd = period * rng.uniform(0.002, 0.03)
        burst = rng.random() < 0.5
        offsets: list[float] = []
        for j in range(len(spots)):
            offsets.append(
                (offsets[-1] + rng.uniform(0.2, 1.5) if j else 0.0)
                if burst
                else j * period / len(spots)
            )
        outage = (0.0, 0.0)
        if rng.random() < 0.3:
            down = rng.uniform(self.start, self.end)
            outage = (down, down + rng.uniform(600, 3600))
        phase = self.start + rng.uniform(0, period)
        k = 0
        while True:
            base = phase + k * period
            if base >= self.end:
                return
            k += 1
            if outage[0] <= base < outage[1]:
                continue
            if window is not None and not window[0] <= _ist_hour(base) < window[1]:
                continue
            for (gps, radius), offset in zip(spots, offsets, strict=True):
                t = base + offset + rng.gauss(0, sd)
                self.sink.search(rng, bap, t, gps, radius, via(), user())

    def poller(self, bap: str, key: str) -> None:
        rng, _ = self.rngs(f"poller:{key}")
        ci = rng.choices(range(len(CITIES)), [c.weight for c in CITIES])[0]
        locations = self.hotspots(rng, ci, rng.randint(3, 15))
        radius = rng.choice((1.0, 1.5, 2.0, 3.0))
        spots = []
        for loc in locations:
            lat, lon = _offset(loc.lat, loc.lon, rng.uniform(-0.08, 0.08), rng.uniform(-0.08, 0.08))
            spots.append((_gps(lat, lon), radius))
        period = round(rng.uniform(30, 300) / 5) * 5
        gateway, share = rng.choice(GATEWAYS), rng.uniform(0.9, 1.0)
        user = self.scraper_user(rng)
        self.poll(rng, bap, spots, period, lambda: self.via(rng, gateway, share), user)
        if rng.random() < 0.4:
            self.token(rng, bap, rng.choice(locations), user())
        self.done(BapTruth(bap, "poller", "scraper", frozenset(), f"poll/{period:g}s"))

    def token(self, rng: random.Random, bap: str, location: Location, user: str | None) -> None:
        """A scraper's token booking attempt: one select, rarely an init."""
        t = rng.uniform(self.start, self.end)
        self.sink.funnel(rng, "select", bap, t, location, user)
        if rng.random() < 0.3:
            self.sink.funnel(rng, "init", bap, t + rng.uniform(20, 120), location, user)

    def low_and_slow(self, bap: str, key: str) -> None:
        rng, _ = self.rngs(f"low_and_slow:{key}")
        ci = rng.choices(range(len(CITIES)), [c.weight for c in CITIES])[0]
        rate = rng.uniform(10, 60)
        window: tuple[float, float] | None = None
        if rng.random() < 0.4:
            window = (rng.uniform(7.0, 9.5), rng.uniform(20.0, 23.0))
        pattern = "lattice" if rng.random() < 0.5 else "hotspot"
        locations = self.hotspots(rng, ci, rng.randint(5, 20))
        if pattern == "lattice":
            step = rng.uniform(2.0, 5.0)
            points = _lattice(CITIES[ci], step)
            radius = float(max(2.0, round(step * rng.uniform(0.8, 1.4))))
        else:
            points = [(x.lat, x.lon) for x in locations]
            radius = rng.choice((1.0, 2.0))
        gps = [_gps(lat, lon) for lat, lon in points]
        order = list(range(len(points)))
        rng.shuffle(order)
        gap = HOUR / rate
        poisson = rng.random() < 0.5
        gateway, share = rng.choice(GATEWAYS), rng.uniform(0.8, 1.0)
        user = self.scraper_user(rng)
        t = self.start + rng.uniform(0, gap)
        i = 0
        while t < self.end:
            if window is None or window[0] <= _ist_hour(t) < window[1]:
                via = self.via(rng, gateway, share)
                self.sink.search(rng, bap, t, gps[order[i % len(order)]], radius, via, user())
                i += 1
            t += rng.expovariate(1 / gap) if poisson else gap * rng.uniform(0.5, 1.5)
        if rng.random() < 0.2:
            self.token(rng, bap, rng.choice(locations), user())
        style = f"{pattern}/{'daytime' if window else 'flat'}"
        self.done(BapTruth(bap, "low_and_slow", "scraper", frozenset(), style))

    def hidden(self, bap: str, key: str) -> None:
        """A medium commuter app with a scraping user (or two or three) inside it."""
        app = self.plan_app(bap, "medium", "commuter", f"hidden:{key}")
        app.user_refs = True
        rng, nrng = self.rngs(f"hidden:{key}")
        scrapers = frozenset(self.user_refs(app, rng.randint(1, 3), nrng))
        self.app(app, f"hidden:{key}", scrapers)
        ci = rng.choices(range(len(CITIES)), app.cities)[0]
        users = sorted(scrapers)
        cycle = iter(range(1 << 62))

        def user() -> str:
            return users[next(cycle) % len(users)]

        def via() -> str:
            return self.via(rng, app.gateway, app.gateway_share)

        window = (rng.uniform(6.5, 8.0), rng.uniform(22.0, 23.5)) if rng.random() < 0.3 else None
        if rng.random() < 0.5:
            step = rng.uniform(1.5, 3.0)
            points = _snake(_lattice(CITIES[ci], step))
            radius = float(max(1.0, round(step * rng.uniform(0.8, 1.3))))
            gap = HOUR / (_loguniform(rng, 40, 300) * self.scale)
            t = self.start + rng.uniform(0, gap)
            i = 0
            while t < self.end:
                if window is None or window[0] <= _ist_hour(t) < window[1]:
                    lat, lon = points[i % len(points)]
                    self.sink.search(rng, bap, t, _gps(lat, lon), radius, via(), user())
                    i += 1
                t += gap * (1 + rng.uniform(-0.2, 0.2))
            style = "commuter+sweep"
        else:
            locations = self.hotspots(rng, ci, rng.randint(3, 10))
            radius = rng.choice((1.0, 2.0, 3.0))
            spots = [(_gps(x.lat, x.lon), radius) for x in locations]
            period = round(rng.uniform(60, 300) / 5) * 5
            self.poll(rng, bap, spots, period, via, user, window)
            style = f"commuter+poll/{period:g}s"
        self.done(BapTruth(bap, "hidden", "medium", scrapers, style))
