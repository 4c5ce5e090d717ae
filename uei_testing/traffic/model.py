"""The traffic and its ground truth: the labels, sizes, gateways and CPOs, each BAP's truth,
the wire events in time order, and wire times."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

IST = timezone(timedelta(hours=5, minutes=30), "IST")
DEFAULT_START = datetime(2026, 11, 2, tzinfo=IST).timestamp()
"""2026-11-02T00:00:00+05:30, a Monday."""
HOUR = 3600.0
_IST_OFFSET = 19800.0

LABELS = ("honest", "sweeper", "poller", "low_and_slow", "hidden")
SIZES = ("large", "medium", "small", "scraper")
FUNNEL_TYPES = ("select", "init", "confirm", "cancel")
GATEWAYS = ("bg.uei.example.in", "bg-south.uei.example.in")
"""The gateways that relay (and report) searches."""
CPOS = tuple(f"cpo-{i:02d}.example.in" for i in range(1, 13))
"""The CPOs (BPPs) whose locations are selected and booked."""


@dataclass(frozen=True, slots=True)
class BapTruth:
    bap_id: str
    label: str
    """honest, sweeper, poller, low_and_slow or hidden."""
    size: str
    """large, medium or small (an app), or scraper (a scraper's own BAP)."""
    scraper_users: frozenset[str]
    """The user_refs of the scraping user(s) inside a hidden BAP; empty otherwise."""
    style: str = ""
    """How the BAP behaves: commuter, map, fleet or telematics for an app (honest, or the
    host of a hidden scraper); for a scraper its pattern, e.g. sweep/snake/regular."""


@dataclass(frozen=True, slots=True)
class Traffic:
    start: float
    end: float
    baps: dict[str, BapTruth]
    events: list[dict[str, Any]]
    """Wire events (the items of ``POST /abuse/events``) sorted by time."""

    def is_scraping(self, event: dict[str, Any]) -> bool:
        """Was ``event`` made by a scraper (a scraper's BAP, or a hidden scraping user)?"""
        bap = self.baps[event["bap_id"]]
        if bap.label == "hidden":
            return event.get("user_ref") in bap.scraper_users
        return bap.label != "honest"

    def counts(self) -> dict[str, dict[str, int]]:
        """Per label: BAPs, events, searches and each funnel step (a hidden BAP's counts
        include its honest users; ``scraping`` counts the hidden scrapers' own events)."""
        found = {
            label: dict.fromkeys(("baps", "events", "search", *FUNNEL_TYPES, "scraping"), 0)
            for label in LABELS
        }
        for bap in self.baps.values():
            found[bap.label]["baps"] += 1
        for event in self.events:
            bap = self.baps[event["bap_id"]]
            row = found[bap.label]
            row["events"] += 1
            row[event["type"]] += 1
            if bap.label != "honest" and self.is_scraping(event):
                row["scraping"] += 1
        return found


def _rfc3339(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def parse_at(at: str) -> float:
    """Unix seconds of a wire ``at`` (RFC 3339)."""
    return datetime.fromisoformat(at).timestamp()


APPS = 31
"""Honest apps (3 large, 8 medium, 20 small), not counting hidden scrapers' hosts."""
