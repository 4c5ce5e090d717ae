"""What the family tests read off a generated day (``World``): a BAP's searches and funnel
events, its scraping and its own, BAPs by label or style, exact spots, rounds and trips."""

from __future__ import annotations

from collections import Counter

from uei.antiabuse.scraping.events import Funnel, Search
from uei_testing.families.world import Sites, World

__all__ = [
    "coords",
    "funnels",
    "kinds",
    "labelled",
    "one",
    "own",
    "rounds",
    "scraping",
    "searches",
    "spots",
    "starts",
    "styled",
    "trips",
]


def searches(w: World, bap: str) -> list[Search]:
    return [e for e in w.events[bap] if isinstance(e, Search)]


def funnels(w: World, bap: str) -> list[Funnel]:
    return [e for e in w.events[bap] if isinstance(e, Funnel)]


def scraping(w: World, bap: str) -> list[Search]:
    at = set(w.scraping.get(bap, []))
    return [e for e in searches(w, bap) if e.at in at]


def own(w: World, bap: str) -> list[Search]:
    at = set(w.scraping.get(bap, []))
    return [e for e in searches(w, bap) if e.at not in at]


def kinds(w: World, bap: str) -> Counter[str]:
    out = Counter(f.kind.value for f in funnels(w, bap))
    out["search"] = len(searches(w, bap))
    return out


def labelled(w: World, label: str) -> list[str]:
    return [b for b, t in w.baps.items() if t.label == label]


def styled(w: World, text: str) -> list[str]:
    return [b for b, t in w.baps.items() if text in t.style]


def one(w: World, text: str) -> str:
    (bap,) = styled(w, text)
    return bap


def spots(events: list[Search]) -> set[tuple[float, float]]:
    return {(e.lat, e.lon) for e in events}


def coords(s: Sites) -> set[tuple[float, float]]:
    return set(zip(s.lat.tolist(), s.lon.tolist(), strict=True))


def rounds(events: list[Search], gap: float) -> list[list[Search]]:
    """Runs of searches with no pause longer than ``gap`` seconds."""
    out: list[list[Search]] = []
    for e in events:
        if out and e.at - out[-1][-1].at <= gap:
            out[-1].append(e)
        else:
            out.append([e])
    return out


def starts(events: list[Search], gap: float) -> list[float]:
    return [r[0].at for r in rounds(events, gap)]


def trips(events: list[Search]) -> list[list[Search]]:
    out: dict[str, list[Search]] = {}
    for e in events:
        if e.txn:
            out.setdefault(e.txn, []).append(e)
    return list(out.values())
