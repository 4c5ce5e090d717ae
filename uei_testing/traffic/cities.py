"""Where the traffic happens: Indian cities with the hubs people live and charge around, the
CPOs' charging locations in them, and points on the map."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from uei_testing.traffic.draws import _choose
from uei_testing.traffic.model import CPOS

_KM_LAT = 110.574
_KM_LON = 111.320


@dataclass(frozen=True, slots=True)
class City:
    code: str
    name: str
    weight: float
    """Share of the country's EV-charging demand."""
    hubs: tuple[tuple[float, float, float], ...]
    """(lat, lon, weight) of the neighbourhoods people live and charge around."""
    spread_km: float
    """Standard deviation of the gaussian spread around a hub."""

    @property
    def lat(self) -> float:
        return self.hubs[0][0]

    def bbox(self, margin_km: float = 6.0) -> tuple[float, float, float, float]:
        """(south, west, north, east) around the hubs, ``margin_km`` wider on each side."""
        lats = [h[0] for h in self.hubs]
        lons = [h[1] for h in self.hubs]
        dlat = margin_km / _KM_LAT
        dlon = margin_km / (_KM_LON * math.cos(math.radians(self.lat)))
        return min(lats) - dlat, min(lons) - dlon, max(lats) + dlat, max(lons) + dlon


CITIES = (
    City(
        "BLR",
        "Bengaluru",
        0.24,
        (
            (12.9716, 77.5946, 1.0),  # MG Road
            (12.9352, 77.6245, 1.2),  # Koramangala
            (12.9698, 77.7500, 1.1),  # Whitefield
            (12.8452, 77.6602, 0.9),  # Electronic City
            (13.0358, 77.5970, 0.7),  # Hebbal
            (12.9250, 77.5938, 0.8),  # Jayanagar
            (12.9784, 77.6408, 0.9),  # Indiranagar
        ),
        2.5,
    ),
    City(
        "DEL",
        "Delhi NCR",
        0.24,
        (
            (28.6315, 77.2167, 1.0),  # Connaught Place
            (28.4950, 77.0895, 1.2),  # Gurugram Cyber City
            (28.5708, 77.3261, 1.0),  # Noida Sector 18
            (28.5921, 77.0460, 0.7),  # Dwarka
            (28.5245, 77.2066, 0.8),  # Saket
            (28.6692, 77.4538, 0.5),  # Ghaziabad
        ),
        3.0,
    ),
    City(
        "BOM",
        "Mumbai",
        0.18,
        (
            (19.0660, 72.8656, 1.1),  # BKC
            (19.1136, 72.8697, 1.0),  # Andheri
            (18.9953, 72.8302, 0.8),  # Lower Parel
            (19.1176, 72.9060, 0.8),  # Powai
            (19.0771, 72.9986, 0.6),  # Vashi
            (19.2183, 72.9781, 0.6),  # Thane
        ),
        2.0,
    ),
    City(
        "PNQ",
        "Pune",
        0.12,
        (
            (18.5913, 73.7389, 1.0),  # Hinjewadi
            (18.5515, 73.9348, 0.9),  # Kharadi
            (18.5362, 73.8940, 0.8),  # Koregaon Park
            (18.5590, 73.7868, 0.8),  # Baner
        ),
        2.5,
    ),
    City(
        "HYD",
        "Hyderabad",
        0.12,
        (
            (17.4435, 78.3772, 1.1),  # HITEC City
            (17.4401, 78.3489, 0.9),  # Gachibowli
            (17.4156, 78.4347, 0.8),  # Banjara Hills
            (17.4399, 78.4983, 0.7),  # Secunderabad
        ),
        2.5,
    ),
    City(
        "MAA",
        "Chennai",
        0.10,
        (
            (13.0418, 80.2341, 1.0),  # T Nagar
            (12.9010, 80.2279, 1.0),  # Sholinganallur (OMR)
            (13.0067, 80.2206, 0.8),  # Guindy
            (13.0850, 80.2101, 0.7),  # Anna Nagar
        ),
        2.5,
    ),
)


@dataclass(frozen=True, slots=True)
class Location:
    location_id: str
    bpp_id: str
    city: int
    lat: float
    lon: float
    popularity: float
    """Relative demand: honest users pick popular locations more, pollers watch the top."""


def _gps(lat: float, lon: float) -> str:
    return f"{lat:.6f},{lon:.6f}"


def _offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    return (
        lat + north_km / _KM_LAT,
        lon + east_km / (_KM_LON * math.cos(math.radians(lat))),
    )


class _World:
    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:world")
        self.locations: list[Location] = []
        self.by_city: list[list[Location]] = [[] for _ in CITIES]
        city_weights = [c.weight for c in CITIES]
        for number, cpo in enumerate(CPOS, start=1):
            size = rng.lognormvariate(0, 0.7)
            present = min(len(CITIES), 2 + int(rng.random() * 5))
            cities: set[int] = set()
            while len(cities) < present:
                cities.add(rng.choices(range(len(CITIES)), city_weights)[0])
            for ci in sorted(cities):
                city = CITIES[ci]
                hub_weights = [h[2] for h in city.hubs]
                n = 3 + round(size * city.weight * 90 * rng.uniform(0.6, 1.4))
                for k in range(1, n + 1):
                    hub = rng.choices(city.hubs, hub_weights)[0]
                    lat, lon = _offset(
                        hub[0],
                        hub[1],
                        rng.gauss(0, city.spread_km * 1.1),
                        rng.gauss(0, city.spread_km * 1.1),
                    )
                    location = Location(
                        f"{city.code}-{number:02d}-{k:03d}",
                        cpo,
                        ci,
                        round(lat, 6),
                        round(lon, 6),
                        rng.lognormvariate(0, 0.9) * hub[2],
                    )
                    self.locations.append(location)
                    self.by_city[ci].append(location)
        self.lat = [np.array([x.lat for x in locs]) for locs in self.by_city]
        self.lon = [np.array([x.lon for x in locs]) for locs in self.by_city]
        self.pop = [np.array([x.popularity for x in locs]) for locs in self.by_city]

    def busiest(self, city: int, n: int) -> list[Location]:
        return sorted(self.by_city[city], key=lambda x: -x.popularity)[:n]

    def near(
        self, city: int, lat: float, lon: float, radius: float, rng: random.Random
    ) -> Location:
        """Where a user near (lat, lon) who searched within ``radius`` km goes: a location in the
        radius, the popular and the near ones more likely; the nearest if none is."""
        locs = self.by_city[city]
        dy = (self.lat[city] - lat) * _KM_LAT
        dx = (self.lon[city] - lon) * (_KM_LON * math.cos(math.radians(lat)))
        d = np.hypot(dx, dy)
        inside = d <= radius
        if not inside.any():
            return locs[int(np.argmin(d))]
        weights = np.where(inside, self.pop[city] * np.exp(-d / max(1.0, radius / 2)), 0.0)
        return locs[_choose(rng, np.cumsum(weights))]

    def city_of(self, lat: float, lon: float) -> int:
        best, found = math.inf, 0
        for ci, city in enumerate(CITIES):
            for hub in city.hubs:
                d = (hub[0] - lat) ** 2 + (hub[1] - lon) ** 2
                if d < best:
                    best, found = d, ci
        return found
