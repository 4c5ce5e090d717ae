"""A BAP's search traffic over time, as operators see it: searches and the look-to-book funnel
per interval, its quota use replayed from the searches recorded, and a bounded sample of its
query centres.

Pure: events, a rule and verdicts in, series out. Quota use is derived, not recorded (the
request path writes nothing for operators): the BAP's recorded searches, each at its cost, are
replayed through GCRA under the search rule that applies to it now, throttled while a verdict
that throttles was in force. It starts from a full bucket at the first interval, so it shows
what the rule allows of this traffic, not the answers each check was given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from uei.antiabuse.quotas.gcra import gcra
from uei.antiabuse.quotas.rules import QuotaRule, SearchCost
from uei.antiabuse.scraping.events import Event, FunnelKind, Search
from uei.antiabuse.scraping.policy import ScrapingAction
from uei.antiabuse.scraping.verdicts import BapVerdict

__all__ = [
    "MAX_BINS",
    "Activity",
    "Bins",
    "Centre",
    "QuotaUse",
    "activity",
    "bins",
    "centres",
    "quota_use",
]

MAX_BINS = 500
"""The most intervals a series has (a wider range takes longer intervals)."""


class Bins(msgspec.Struct, frozen=True):
    """``count`` intervals of ``step`` seconds from ``start``."""

    start: float
    step: float
    count: int

    @property
    def end(self) -> float:
        return self.start + self.step * self.count

    def starts(self) -> list[float]:
        return [self.start + i * self.step for i in range(self.count)]

    def index(self, at: float) -> int | None:
        """The interval ``at`` falls in, if any."""
        if not self.start <= at < self.end:
            return None
        return min(self.count - 1, int((at - self.start) // self.step))


def bins(start: float, end: float, step: float) -> Bins:
    """Intervals of ``step`` seconds covering [start, end), at most ``MAX_BINS`` (``step``
    grows to fit); none for an empty range."""
    if end <= start or step <= 0:
        return Bins(start, max(step, 1.0), 0)
    step = max(step, (end - start) / MAX_BINS)
    return Bins(start, step, math.ceil((end - start) / step - 1e-9))


class Activity(msgspec.Struct, frozen=True, kw_only=True):
    """Events per interval: searches, then each funnel step."""

    starts: list[float]
    searches: list[int]
    selects: list[int]
    inits: list[int]
    confirms: list[int]
    cancels: list[int]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "search": sum(self.searches),
            "select": sum(self.selects),
            "init": sum(self.inits),
            "confirm": sum(self.confirms),
        }


def activity(events: Sequence[Event], over: Bins) -> Activity:
    """Count ``events`` per interval (those outside the intervals are left out)."""
    n = over.count
    counts: dict[str, list[int]] = {k: [0] * n for k in ("search", *FunnelKind)}
    for event in events:
        i = over.index(event.at)
        if i is None:
            continue
        kind = "search" if isinstance(event, Search) else event.kind.value
        counts[kind][i] += 1
    return Activity(
        starts=over.starts(),
        searches=counts["search"],
        selects=counts[FunnelKind.SELECT],
        inits=counts[FunnelKind.INIT],
        confirms=counts[FunnelKind.CONFIRM],
        cancels=counts[FunnelKind.CANCEL],
    )


class QuotaUse(msgspec.Struct, frozen=True, kw_only=True):
    """Searches per interval the rule admits and refuses, in units of cost, against what the
    rule lets through in an interval at its sustained rate."""

    starts: list[float]
    rule: str
    """The rule replayed, in words: ``3000 per 60 s``."""
    allowed: list[int]
    refused: list[int]
    capacity: list[float]
    """Units the rule admits per interval at its sustained rate (throttled where a verdict
    throttled the BAP)."""
    throttled: list[bool]
    full: float
    """Units the rule admits per interval at its sustained rate, unthrottled."""


def _scale_at(at: float, verdicts: Sequence[BapVerdict], *, before: bool = False) -> float:
    """The throttle in force at ``at`` (``before``: just before it): that of the latest
    verdict scored by then."""
    for v in verdicts:  # newest first
        if v.scored_at < at or (v.scored_at == at and not before):
            return v.throttle_scale if ScrapingAction.THROTTLE in v.actions else 1.0
    return 1.0


def quota_use(
    searches: Sequence[Search],
    over: Bins,
    rule: QuotaRule,
    cost: SearchCost,
    verdicts: Sequence[BapVerdict] = (),
) -> QuotaUse:
    """Replay ``searches`` (time order) through GCRA under ``rule``; ``verdicts`` newest first."""
    n, step = over.count, over.step
    allowed, refused = [0] * n, [0] * n
    capacity = [rule.limit / rule.window_seconds * step] * n
    throttled = [False] * n
    for i, at in enumerate(over.starts()):
        scale = _scale_at(at + step, verdicts, before=True)  # in force by the interval's end
        if scale < 1.0:
            throttled[i] = True
            capacity[i] = max(1, math.floor(rule.limit * scale)) / rule.window_seconds * step
    tat: float | None = None
    for s in searches:
        k = over.index(s.at)
        if k is None:
            continue
        scale = _scale_at(s.at, verdicts)
        limit = max(1, math.floor(rule.limit * scale))
        units = cost.of(s.radius_km)
        answer, tat = gcra(tat, s.at, rule.window_seconds / limit, limit, units)
        if answer.allowed:
            allowed[k] += units
        else:
            refused[k] += units
    return QuotaUse(
        starts=over.starts(),
        rule=f"{rule.limit} per {rule.window_seconds:g} s" + (" (shadow)" if rule.shadow else ""),
        allowed=allowed,
        refused=refused,
        capacity=capacity,
        throttled=throttled,
        full=rule.limit / rule.window_seconds * step,
    )


class Centre(msgspec.Struct, frozen=True, array_like=True):
    at: float
    lat: float
    lon: float
    radius_km: float


def centres(searches: Sequence[Search], limit: int) -> list[Centre]:
    """At most ``limit`` query centres, evenly spread over ``searches`` (first and last kept),
    so a sweep's shape survives the sampling."""
    if limit <= 0 or not searches:
        return []
    if len(searches) <= limit:
        picked = list(searches)
    elif limit == 1:
        picked = [searches[-1]]
    else:
        stride = (len(searches) - 1) / (limit - 1)
        picked = [searches[round(i * stride)] for i in range(limit)]
    return [Centre(s.at, s.lat, s.lon, s.radius_km) for s in picked]
