"""What every traffic family builds: a network day of ``uei.antiabuse.scraping.events`` per BAP
with its ground truth, and the few draws they share (arrivals on a daily shape, points around
a city's hubs, lattices). Each family module decides its own cities, apps, habits and
scrapers; nothing here knows what a family looks like.

Events are the stored structs themselves (``Search``, ``Funnel``) with ``user`` and ``txn``
already tokens, so an evaluation can record them in a real store and score them with the real
``Scorer`` in process, without the wire.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from uei.antiabuse.scraping.events import Event, Funnel, FunnelKind, Search

__all__ = [
    "IST_OFFSET",
    "SCRAPER_CLASSES",
    "City",
    "Truth",
    "World",
    "arrivals",
    "lattice",
]

F64 = npt.NDArray[np.float64]
IST_OFFSET = 19_800.0
HOUR = 3600.0
KM_LAT = 110.574

SCRAPER_CLASSES = (
    "sweeper",
    "poller",
    "low_and_slow",
    "booking_scraper",
    "hidden_sweep",
    "hidden_poll",
)
"""Every label but ``honest``: the classes recall is reported for."""


@dataclass(frozen=True, slots=True)
class Truth:
    bap_id: str
    label: str
    """``honest`` or one of ``SCRAPER_CLASSES``."""
    style: str
    """How it behaves, e.g. ``fleet dispatch``, ``exact 7x7 lattice, 18% of a medium app``."""


@dataclass(frozen=True, slots=True)
class City:
    name: str
    lat: float
    lon: float
    hubs: tuple[tuple[float, float, float, float], ...]
    """(lat, lon, spread in km, weight)."""
    radius_km: float
    """Roughly how far the city reaches from its centre."""

    def km_lon(self) -> float:
        return 111.320 * math.cos(math.radians(self.lat))

    def bbox(self) -> tuple[float, float, float, float]:
        dlat = self.radius_km / KM_LAT
        dlon = self.radius_km / self.km_lon()
        return self.lat - dlat, self.lon - dlon, self.lat + dlat, self.lon + dlon

    def points(self, rng: np.random.Generator, n: int) -> tuple[F64, F64]:
        """``n`` points where people are: a gaussian around a hub drawn by weight."""
        w = np.array([h[3] for h in self.hubs])
        pick = rng.choice(len(self.hubs), size=n, p=w / w.sum())
        hubs = np.array([h[:3] for h in self.hubs])[pick]
        lat = hubs[:, 0] + rng.normal(0, 1, n) * hubs[:, 2] / KM_LAT
        lon = hubs[:, 1] + rng.normal(0, 1, n) * hubs[:, 2] / self.km_lon()
        return lat, lon


def make_city(
    rng: np.random.Generator, name: str, lat: float, lon: float, hubs: int, radius_km: float
) -> City:
    """A city of ``hubs`` neighbourhoods scattered within ``radius_km`` of its centre."""
    out = []
    for i in range(hubs):
        r = radius_km * 0.8 * math.sqrt(float(rng.uniform())) if i else 0.0
        a = float(rng.uniform(0, 2 * math.pi))
        dlat = r * math.sin(a) / KM_LAT
        dlon = r * math.cos(a) / (111.320 * math.cos(math.radians(lat)))
        spread = float(rng.uniform(0.6, 0.35 * radius_km + 0.8))
        out.append((lat + dlat, lon + dlon, spread, float(rng.uniform(0.3, 1.5))))
    return City(name, lat, lon, tuple(out), radius_km)


def ist_hours(t: F64) -> F64:
    return np.asarray(((t + IST_OFFSET) % 86_400.0) / HOUR, dtype=np.float64)


def arrivals(
    rng: np.random.Generator,
    per_day: float,
    start: float,
    end: float,
    shape: Sequence[float] | None = None,
) -> F64:
    """Poisson arrivals averaging ``per_day`` a day, following ``shape`` (24 hourly weights,
    IST, interpolated; flat when None), sorted."""
    days = (end - start) / 86_400.0
    if shape is None:
        n = int(rng.poisson(per_day * days))
        return np.sort(rng.uniform(start, end, n))
    weights = np.asarray([*shape, shape[0]], dtype=np.float64)
    top = float(weights.max())
    mean = float(np.mean(shape))
    n = int(rng.poisson(per_day * days * top / mean))
    t = rng.uniform(start, end, n)
    keep = rng.uniform(0, top, n) < np.interp(ist_hours(t), np.arange(25.0), weights)
    return np.sort(t[keep])


def lattice(
    south: float, west: float, north: float, east: float, step_km: float, km_lon: float
) -> tuple[F64, F64]:
    """The centres of a lattice over a box, ``step_km`` apart, in raster order."""
    lats = np.arange(south, north, step_km / KM_LAT)
    lons = np.arange(west, east, step_km / km_lon)
    la, lo = np.meshgrid(lats, lons, indexing="ij")
    return la.ravel(), lo.ravel()


@dataclass
class World:
    """A family's network day for one seed: each BAP's events and its truth."""

    family: str
    seed: int
    start: float
    end: float
    baps: dict[str, Truth] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    scraping: dict[str, list[float]] = field(default_factory=dict)
    """Per scraper BAP, the times of its scraping searches (a hidden scraper's only)."""
    _serial: int = 0
    _txns: int = 0

    # -- naming and randomness ----------------------------------------------------------------

    def rng(self, key: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, *key.encode()])

    def prng(self, key: str) -> random.Random:
        return random.Random(f"{self.family}:{self.seed}:{key}")

    def bap(self, label: str, style: str, stem: str) -> str:
        self._serial += 1
        name = f"{stem}{self._serial:02d}.{self.family}.example"
        self.baps[name] = Truth(name, label, style)
        self.events.setdefault(name, [])
        return name

    def txn(self, key: str) -> str:
        self._txns += 1
        return f"t{self._txns:x}{key}"

    # -- events ---------------------------------------------------------------------------------

    def search(
        self,
        bap: str,
        at: float,
        lat: float,
        lon: float,
        radius: float,
        *,
        via: str = "bg.example",
        user: str = "",
        txn: str = "",
        scraping: bool = False,
    ) -> None:
        if not self.start <= at < self.end:
            return
        self.events[bap].append(Search(at, lat, lon, radius, via, user, txn))
        if scraping:
            self.scraping.setdefault(bap, []).append(at)

    def funnel(
        self,
        bap: str,
        at: float,
        kind: FunnelKind,
        cpo: str,
        location: str,
        *,
        user: str = "",
        txn: str = "",
    ) -> None:
        if self.start <= at < self.end:
            self.events[bap].append(Funnel(at, kind, cpo, location, user, txn))

    def book(
        self,
        bap: str,
        at: float,
        cpo: str,
        location: str,
        rng: random.Random,
        *,
        confirm: float,
        user: str = "",
        txn: str = "",
    ) -> None:
        """A select a minute or two after ``at``, and with probability ``confirm`` an init and
        a confirm after it (rarely cancelled)."""
        t = at + rng.uniform(20, 150)
        self.funnel(bap, t, FunnelKind.SELECT, cpo, location, user=user, txn=txn)
        if rng.random() < confirm:
            t += rng.uniform(10, 90)
            self.funnel(bap, t, FunnelKind.INIT, cpo, location, user=user, txn=txn)
            t += rng.uniform(5, 60)
            self.funnel(bap, t, FunnelKind.CONFIRM, cpo, location, user=user, txn=txn)
            if rng.random() < 0.03:
                self.funnel(
                    bap, t + rng.uniform(300, 3000), FunnelKind.CANCEL, cpo, location, user=user
                )

    def done(self) -> World:
        for events in self.events.values():
            events.sort(key=lambda e: e.at)
        return self

    def total(self) -> int:
        return sum(map(len, self.events.values()))


@dataclass(frozen=True, slots=True)
class Sites:
    """A city's charging locations: ids, their CPOs and where they are."""

    ids: list[str]
    cpos: list[str]
    lat: F64
    lon: F64

    def nearest(self, lat: float, lon: float) -> int:
        return int(np.argmin((self.lat - lat) ** 2 + (self.lon - lon) ** 2))


def sites(rng: np.random.Generator, city: City, n: int, cpos: Sequence[str], prefix: str) -> Sites:
    lat, lon = city.points(rng, n)
    ids = [f"{prefix}-{city.name}-{i:03d}" for i in range(n)]
    owners = [cpos[int(i)] for i in rng.integers(0, len(cpos), n)]
    return Sites(ids, owners, lat, lon)


def ist_days(w: World) -> list[float]:
    """The IST midnights from the one at or before the start up to the end."""
    first = w.start - float(ist_hours(np.array([w.start]))[0]) * HOUR
    return [first + k * 86_400.0 for k in range(int((w.end - first) // 86_400) + 1)]


def exactly(
    rng: np.random.Generator, n: int, w: World, shape: Sequence[float] | None
) -> list[float]:
    """``n`` times on a daily shape over the world's span (sorted)."""
    if n <= 0:
        return []
    days = (w.end - w.start) / 86_400.0
    t = arrivals(rng, 2.0 * n / days + 50, w.start, w.end, shape)
    while t.size < n:
        t = np.concatenate([t, arrivals(rng, 2.0 * n / days + 50, w.start, w.end, shape)])
    return sorted(rng.choice(t, size=n, replace=False).tolist())


def share_of(made: int, share: float) -> int:
    """How many searches to add to ``made`` for them to be ``share`` of the whole."""
    return round(made * share / (1 - share))
