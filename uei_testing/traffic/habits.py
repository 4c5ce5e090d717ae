"""Honest apps' habits: an app's plan (size, style, cities, funnel), its users, their
arrivals over the day (IST), sessions of searches, and the bookings that follow."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from uei_testing.traffic.base import _Base
from uei_testing.traffic.cities import CITIES, Location, _gps, _offset
from uei_testing.traffic.draws import _loguniform, _shape_at
from uei_testing.traffic.model import _IST_OFFSET, GATEWAYS, HOUR

_RADII = (2.0, 3.0, 5.0, 10.0, 15.0, 25.0)
_RADIUS_WEIGHTS = (0.22, 0.08, 0.35, 0.25, 0.05, 0.05)
_COMMUTER_SHAPE = (
    0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.12, 0.30, 0.60, 0.85, 0.80, 0.65,
    0.60, 0.62, 0.60, 0.62, 0.70, 0.85, 0.98, 1.00, 0.90, 0.65, 0.40, 0.20,
)  # fmt: skip
"""Relative search rate by IST hour: quiet at night, peaks around 09:00 and 19:00."""
_FLEET_SHAPE = (
    0.70, 0.65, 0.60, 0.58, 0.60, 0.68, 0.78, 0.88, 0.95, 0.95, 0.90, 0.88,
    0.90, 0.92, 0.90, 0.92, 0.95, 1.00, 1.00, 0.98, 0.95, 0.90, 0.82, 0.75,
)  # fmt: skip
"""Taxi fleets charge around the clock, a little more in the day."""
_SESSION_LENGTHS = (1, 2, 3, 4)
_SESSION_WEIGHTS = (0.45, 0.30, 0.15, 0.10)


# -- the world: cities, CPOs and their locations ----------------------------------------


@dataclass(slots=True)
class _App:
    """An app's plan: who it is and how its users behave."""

    bap_id: str
    size: str
    style: str
    peak: float
    """Searches per hour at the busiest hour (scaled)."""
    cities: tuple[float, ...]
    """Weight of each of CITIES among the app's users."""
    select: float
    init: float
    confirm: float
    cancel: float
    user_refs: bool
    user_format: str
    gateway: str
    gateway_share: float
    """Share of searches relayed by ``gateway`` (the rest by the other one)."""


class _HonestApps(_Base):
    # -- honest apps -----------------------------------------------------------------------

    def plan_app(self, bap_id: str, size: str, style: str, key: str) -> _App:
        rng, _ = self.rngs(f"plan:{key}")
        low, high = {"large": (2000, 8000), "medium": (200, 800), "small": (10, 100)}[size]
        weights = [c.weight for c in CITIES]
        if size == "large" or (size == "medium" and rng.random() < 0.4):
            cities = tuple(w * rng.uniform(0.6, 1.4) for w in weights)
        else:
            n = 1 if size == "small" or style == "fleet" else rng.randint(1, 3)
            chosen: set[int] = set()
            while len(chosen) < n:
                chosen.add(rng.choices(range(len(CITIES)), weights)[0])
            cities = tuple(weights[i] if i in chosen else 0.0 for i in range(len(CITIES)))
        select, init, confirm = rng.uniform(0.15, 0.30), rng.uniform(0.5, 0.7), 0.8
        if style == "map":
            select = rng.uniform(0.05, 0.09)
        elif style == "telematics":
            select = rng.uniform(0.08, 0.14)
        elif style == "fleet":
            select, init, confirm = rng.uniform(0.4, 0.55), 0.85, 0.9
        refs = size == "large" or style in ("fleet", "telematics") or rng.random() < 0.8
        return _App(
            bap_id=bap_id,
            size=size,
            style=style,
            peak=_loguniform(rng, low, high) * self.scale,
            cities=cities,
            select=select,
            init=init,
            confirm=confirm * rng.uniform(0.92, 1.05),
            cancel=rng.uniform(0.03, 0.07),
            user_refs=refs,
            user_format=rng.choice(("hex", "num", "uuid", "prefixed")),
            gateway=GATEWAYS[0] if rng.random() < 0.75 else GATEWAYS[1],
            gateway_share=rng.uniform(0.7, 1.0),
        )

    def user_refs(self, app: _App, n: int, rng: np.random.Generator) -> list[str]:
        raw = rng.integers(0, 2**62, size=n, dtype=np.int64).tolist()
        if app.user_format == "hex":
            return [f"u_{x & 0xFFFFFFFFFF:010x}" for x in raw]
        if app.user_format == "num":
            return [str(10_000_000 + x % 90_000_000) for x in raw]
        if app.user_format == "uuid":
            return [
                f"{x & 0xFFFFFFFF:08x}-{(x >> 32) & 0xFFFF:04x}-{(x >> 48) & 0xFFF:03x}0"
                for x in raw
            ]
        return [f"{app.bap_id.split('.')[0][:4].upper()}{x % 10**9:09d}" for x in raw]

    def arrivals(
        self,
        rate_per_hour: float,
        shape: Sequence[float],
        shift_h: float,
        nrng: np.random.Generator,
    ) -> npt.NDArray[np.float64]:
        """Poisson arrival times with an hourly rhythm, one-minute bins."""
        edges = np.arange(self.start, self.end, 60.0)
        hours = ((edges + 30.0 + _IST_OFFSET - shift_h * HOUR) % 86400.0) / HOUR
        width = np.minimum(60.0, self.end - edges)
        lam = rate_per_hour / HOUR * _shape_at(shape, hours) * width
        counts = nrng.poisson(lam)
        times = np.repeat(edges, counts) + nrng.random(int(counts.sum())) * np.repeat(width, counts)
        return np.sort(times)

    def app(self, app: _App, key: str, hidden_users: frozenset[str] = frozenset()) -> None:
        rng, nrng = self.rngs(f"app:{key}")
        shift = rng.uniform(-0.5, 0.5)
        mean_len = {"commuter": 1.9, "map": 3.5, "telematics": 4.5, "fleet": 1.3}[app.style]
        shape = _FLEET_SHAPE if app.style == "fleet" else _COMMUTER_SHAPE
        sessions = self.arrivals(app.peak / mean_len, shape, shift, nrng)
        n = len(sessions)
        if app.style == "fleet":
            n_users = rng.randint(20, 80)
        else:
            n_users = max(3, int(n / rng.uniform(1.3, 2.5)))
        city_w = np.asarray(app.cities) / sum(app.cities)
        home_city = nrng.choice(len(CITIES), size=n_users, p=city_w)
        homes: list[tuple[float, float]] = []
        for ci in home_city.tolist():
            city = CITIES[ci]
            hub = rng.choices(city.hubs, [h[2] for h in city.hubs])[0]
            homes.append(
                _offset(hub[0], hub[1], rng.gauss(0, city.spread_km), rng.gauss(0, city.spread_km))
            )
        activity = nrng.lognormal(0.0, 1.0, size=n_users)
        who = nrng.choice(n_users, size=n, p=activity / activity.sum()).tolist()
        refs: list[str | None]
        if app.user_refs:
            made = self.user_refs(app, n_users, nrng)
            refs = [None if r in hidden_users else r for r in made]
        else:
            refs = [None] * n_users
        depots: list[list[tuple[float, float]]] = [[] for _ in CITIES]
        if app.style == "fleet":
            for ci in range(len(CITIES)):
                if app.cities[ci] > 0:
                    city = CITIES[ci]
                    for _ in range(rng.randint(1, 3)):
                        hub = rng.choice(city.hubs)
                        depots[ci].append(
                            _offset(hub[0], hub[1], rng.gauss(0, 2.0), rng.gauss(0, 2.0))
                        )
        period = rng.uniform(120, 300)
        sink, world, bap = self.sink, self.world, app.bap_id
        for t0, u in zip(sessions.tolist(), who, strict=True):
            ci = int(home_city[u])
            city = CITIES[ci]
            user = refs[u]
            home = homes[u]
            t = t0
            if app.style == "commuter":
                if rng.random() < 0.65:
                    lat, lon = _offset(home[0], home[1], rng.gauss(0, 1.2), rng.gauss(0, 1.2))
                else:
                    hub = rng.choices(city.hubs, [h[2] for h in city.hubs])[0]
                    lat, lon = _offset(
                        hub[0], hub[1], rng.gauss(0, city.spread_km), rng.gauss(0, city.spread_km)
                    )
                radius = rng.choices(_RADII, _RADIUS_WEIGHTS)[0]
                for i in range(rng.choices(_SESSION_LENGTHS, _SESSION_WEIGHTS)[0]):
                    if i:
                        t += rng.uniform(5, 75)
                        lat, lon = _offset(lat, lon, rng.gauss(0, 0.7), rng.gauss(0, 0.7))
                        if rng.random() < 0.25 and radius < _RADII[-1]:
                            radius = _RADII[_RADII.index(radius) + 1]
                    via = self.via(rng, app.gateway, app.gateway_share)
                    sink.search(rng, bap, t, _gps(lat, lon), radius, via, user)
            elif app.style == "map":
                lat, lon = _offset(home[0], home[1], rng.gauss(0, 2.0), rng.gauss(0, 2.0))
                radius = rng.choices((10.0, 15.0, 25.0), (0.5, 0.3, 0.2))[0]
                heading = rng.uniform(0, 2 * math.pi)
                for i in range(rng.randint(2, 5)):
                    if i:
                        t += rng.uniform(3, 25)
                        heading += rng.gauss(0, 0.6)
                        step = radius * rng.uniform(0.4, 1.0)
                        lat, lon = _offset(
                            lat, lon, step * math.cos(heading), step * math.sin(heading)
                        )
                    via = self.via(rng, app.gateway, app.gateway_share)
                    sink.search(rng, bap, t, _gps(lat, lon), radius, via, user)
            elif app.style == "telematics":
                lat, lon = _offset(home[0], home[1], rng.gauss(0, 1.5), rng.gauss(0, 1.5))
                radius = 10.0
                heading = rng.uniform(0, 2 * math.pi)
                for i in range(rng.randint(3, 6)):
                    if i:
                        t += period * (1 + rng.gauss(0, 0.03))
                        heading += rng.gauss(0, 0.4)
                        step = rng.uniform(1.0, 2.5)
                        lat, lon = _offset(
                            lat, lon, step * math.cos(heading), step * math.sin(heading)
                        )
                    via = self.via(rng, app.gateway, app.gateway_share)
                    sink.search(rng, bap, t, _gps(lat, lon), radius, via, user)
            else:  # fleet
                if rng.random() < 0.55:
                    depot = rng.choice(depots[ci])
                    lat, lon = _offset(depot[0], depot[1], rng.gauss(0, 0.3), rng.gauss(0, 0.3))
                else:
                    hub = rng.choice(city.hubs)
                    lat, lon = _offset(
                        hub[0], hub[1], rng.gauss(0, city.spread_km), rng.gauss(0, city.spread_km)
                    )
                radius = rng.choice((5.0, 10.0))
                for i in range(1 if rng.random() < 0.7 else 2):
                    if i:
                        t += rng.uniform(10, 60)
                    via = self.via(rng, app.gateway, app.gateway_share)
                    sink.search(rng, bap, t, _gps(lat, lon), radius, via, user)
            if rng.random() < app.select:
                self.book(rng, app, t, world.near(ci, lat, lon, radius, rng), user)

    def book(
        self, rng: random.Random, app: _App, t: float, location: Location, user: str | None
    ) -> None:
        """The funnel after a session's last search at ``t``."""
        sink, bap = self.sink, app.bap_id
        t += rng.uniform(15, 240)
        sink.funnel(rng, "select", bap, t, location, user)
        if rng.random() >= app.init:
            return
        t += rng.uniform(20, 180)
        sink.funnel(rng, "init", bap, t, location, user)
        if rng.random() >= app.confirm:
            return
        t += rng.uniform(15, 120)
        sink.funnel(rng, "confirm", bap, t, location, user)
        if rng.random() < app.cancel:
            t += rng.uniform(120, 1800)
            sink.funnel(rng, "cancel", bap, t, location, user)
