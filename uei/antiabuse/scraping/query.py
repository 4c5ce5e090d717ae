"""Where a search looks and how wide: as a gateway states it (``SearchQuery``), or as read from
a BAP's signed Beckn search, both checked the same way into one ``Query``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec

from uei.errors import InvalidRequest

__all__ = ["MAX_RADIUS_KM", "Query", "SearchQuery", "point", "query"]

MAX_RADIUS_KM = 500.0


class SearchQuery(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    gps: str
    """``"lat,lon"`` in degrees, as in Beckn's ``location.gps``."""
    radius_km: Annotated[float, msgspec.Meta(gt=0, le=MAX_RADIUS_KM)]


@dataclass(frozen=True, slots=True)
class Query:
    lat: float
    lon: float
    radius_km: float

    def describe(self) -> str:
        """As retries are known by (``retry_key``): 6 decimals of a degree, the radius."""
        return f"{self.lat:.6f},{self.lon:.6f} within {self.radius_km:g} km"


def point(gps: str, path: str) -> tuple[float, float]:
    """``"lat,lon"`` in degrees; a 400 naming ``path`` otherwise."""
    lat_text, sep, lon_text = gps.partition(",")
    try:
        if not sep:
            raise ValueError
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise InvalidRequest("gps must be 'lat,lon' in degrees", path) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidRequest("gps is outside -90..90, -180..180", path)
    return lat, lon


def query(search: SearchQuery, path: str) -> Query:
    lat, lon = point(search.gps, f"{path}.gps")
    return Query(lat, lon, search.radius_km)
