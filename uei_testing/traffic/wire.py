"""Reading traffic back: wire events as the service's ``Event``s, per BAP, and the truth as
JSON."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from uei.antiabuse.scraping.events import Event, Funnel, FunnelKind, Search
from uei_testing.traffic.model import BapTruth, Traffic, parse_at

# -- reading it back --------------------------------------------------------------------


def _event(item: dict[str, Any], via_default: str) -> Event:
    at = parse_at(item["at"])
    user = item.get("user_ref") or ""
    if item["type"] == "search":
        query = item["search"]
        lat, lon = (float(x) for x in query["gps"].split(","))
        via = item.get("via") or via_default
        return Search(at, lat, lon, float(query["radius_km"]), via, user)
    return Funnel(at, FunnelKind(item["type"]), item["bpp_id"], item["location_id"], user)


def to_events(wire: Iterable[dict[str, Any]], via_default: str = "") -> list[Event]:
    """Wire events as ``uei.antiabuse.scraping.events`` values, in the same order (the BAP id is
    dropped: see ``events_by_bap``). ``user`` is the raw user_ref, not a keyed token."""
    return [_event(item, via_default) for item in wire]


def events_by_bap(wire: Iterable[dict[str, Any]], via_default: str = "") -> dict[str, list[Event]]:
    """``to_events`` grouped by BAP id."""
    found: dict[str, list[Event]] = {}
    for item in wire:
        found.setdefault(item["bap_id"], []).append(_event(item, via_default))
    return found


def truth_json(traffic: Traffic) -> dict[str, Any]:
    """The ground truth as JSON-able data (what ``--truth`` writes)."""
    return {
        "start": traffic.start,
        "end": traffic.end,
        "baps": {
            b.bap_id: {
                "label": b.label,
                "size": b.size,
                "style": b.style,
                "scraper_users": sorted(b.scraper_users),
            }
            for b in traffic.baps.values()
        },
    }


def truth_from_json(data: dict[str, Any]) -> dict[str, BapTruth]:
    return {
        bap: BapTruth(bap, v["label"], v["size"], frozenset(v["scraper_users"]), v.get("style", ""))
        for bap, v in data["baps"].items()
    }


# -- command line -----------------------------------------------------------------------
