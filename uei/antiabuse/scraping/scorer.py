"""One scoring pass over the whole network: read every active BAP's events in the window,
describe each BAP (and each of its busier users) by its features, score them together against
the network's recent windows, and store one verdict per BAP with the actions its score calls
for. A pass reads the BAPs one at a time, twice (what is busy network-wide, then each BAP's
features against that), so it holds one BAP's events and every unit's feature row, not the
network's events. The service runs it on a schedule (one replica at a time, under a lease);
``uei abuse score`` runs it now. The request path only ever reads the verdicts it stores.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from uei.antiabuse.scraping.anomaly import Scored, score_windows
from uei.antiabuse.scraping.events import Event, Funnel, Search, split
from uei.antiabuse.scraping.features import FEATURES, NetworkContext, NetworkTally, features
from uei.antiabuse.scraping.policy import ScrapingAction, ScrapingPolicy
from uei.antiabuse.scraping.reasons import (
    converts_honestly,
    describe,
    rests_on_unknown,
    withheld,
    withheld_for_one_user,
    withheld_reviewed,
    withheld_unknown,
)
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureNote, FeatureRow
from uei.antiabuse.stores import EventStore, VerdictStore

__all__ = ["Scorer", "Tally", "Unit", "units_of", "verdict_for"]


@dataclass(frozen=True, slots=True)
class Unit:
    """A BAP as a whole, or one of its users (``user`` is a keyed token, never the ref)."""

    bap_id: str
    user: str
    searches: Sequence[Search]
    funnel: Sequence[Funnel]

    @property
    def key(self) -> str:
        return _key(self.bap_id, self.user)

    @property
    def count(self) -> int:
        """Its searches in the window."""
        return len(self.searches)


@dataclass(frozen=True, slots=True)
class Tally:
    """What a verdict needs of a unit once its features are found: who, and how many
    searches (a pass keeps this, not the events)."""

    bap_id: str
    user: str
    count: int

    @property
    def key(self) -> str:
        return _key(self.bap_id, self.user)


def _key(bap_id: str, user: str) -> str:
    return f"{bap_id}#{user}" if user else bap_id


def units_of(bap: str, events: Sequence[Event], min_searches: int) -> list[Unit]:
    """The BAP, and each user of it with ``min_searches`` or more searches: a scraper hiding
    in a real app's traffic stands out on its own even when the app as a whole does not."""
    searches, funnel = split(events)
    if len(searches) < min_searches:
        return []
    units = [Unit(bap, "", searches, funnel)]
    by_user: dict[str, tuple[list[Search], list[Funnel]]] = {}
    for event in events:
        if event.user:
            mine = by_user.setdefault(event.user, ([], []))
            if isinstance(event, Search):
                mine[0].append(event)
            else:
                mine[1].append(event)
    for user, (s, f) in sorted(by_user.items()):
        if len(s) >= min_searches and len(s) < len(searches):
            units.append(Unit(bap, user, s, f))
    return units


def _unit_score(unit: Unit | Tally, scored: Scored) -> float:
    """A BAP is scored by the forest and the rules; one user's window only by the rules (a
    single person's hour is too often unusual to the forest without being scraping)."""
    if unit.user:
        return max(scored.signals.values(), default=0.0)
    return scored.score


def verdict_for(
    bap: str,
    scored: Sequence[tuple[Unit | Tally, Scored]],
    values: dict[str, dict[str, float]],
    policy: ScrapingPolicy,
    *,
    start: float,
    end: float,
    scored_at: float,
) -> BapVerdict:
    """The BAP's verdict from its most suspicious unit, and the actions its score calls for."""
    unit, best = max(scored, key=lambda pair: _unit_score(*pair))
    score = _unit_score(unit, best)
    due = policy.actions.due(score)
    named = {**values[unit.key], "searches": float(unit.count)}
    reasons = describe(named, best.signals, "one user" if unit.user else "the BAP")
    if due and any(a is not ScrapingAction.FLAG for a, _ in due):
        why = _only_a_flag(bap, unit, named, best, score, scored, values, policy)
        if why is not None:
            due = [(a, shadow) for a, shadow in due if a is ScrapingAction.FLAG]
            reasons.append(why)
    actions = [a for a, shadow in due if not shadow]
    top = best.top
    if unit.user:
        who = f"one user of the app ({unit.user[:8]}…), {unit.count} searches"
        top = [FeatureNote("user", float(unit.count), 0.0, 0.0, who), *top]
    return BapVerdict(
        bap_id=bap,
        scored_at=scored_at,
        window_start=start,
        window_end=end,
        score=round(score, 4),
        actions=actions,
        shadow_actions=[a for a, shadow in due if shadow],
        throttle_scale=policy.actions.throttle.scale if ScrapingAction.THROTTLE in actions else 1.0,
        searches=scored[0][0].count,
        top=top,
        features=values[unit.key],
        reasons=reasons,
    )


def _only_a_flag(
    bap: str,
    unit: Unit | Tally,
    named: dict[str, float],
    best: Scored,
    score: float,
    scored: Sequence[tuple[Unit | Tally, Scored]],
    values: dict[str, dict[str, float]],
    policy: ScrapingPolicy,
) -> str | None:
    """Why the evidence calls for no more than a flag (the reason to give), or None: actions
    proportionate to it."""
    rate = policy.honest_select_rate
    finding = policy.reviewed.get(bap)
    if finding is not None:
        # the network operator looked and knows what the events cannot say (whose chargers)
        return withheld_reviewed(finding)
    if converts_honestly(named, rate):
        return withheld(named, rate)  # the unit's searches convert
    if unit.user:
        # one user's pattern, and the app as a whole converts: the actions would fall on
        # every user of the app (they are the BAP's), a flag names the one
        for one, _ in scored:
            if not one.user:
                whole = {**values[one.key], "searches": float(one.count)}
                if converts_honestly(whole, rate):
                    return withheld_for_one_user(whole, rate)
    if rests_on_unknown(named, best.signals, score):
        # a pattern in part of the traffic whose bookings nobody knows: a flag, no more
        return withheld_unknown()
    return None


def _describe(
    units: Sequence[Unit], start: float, end: float, context: NetworkContext
) -> list[list[float]]:
    rows = []
    fleets: dict[str, bool] = {}  # per BAP: its waits are a fleet's
    for unit in units:  # a BAP before its users (``units_of``)
        found = features(
            unit.searches, unit.funnel, start, end, context, fleet_waits=fleets.get(unit.bap_id)
        )
        if not unit.user and found["fleet_waits"] > 0.5:
            fleets[unit.bap_id] = True  # else each user's own drives say (ids may tie nothing)
        rows.append([found[name] for name in FEATURES])
    return rows


@dataclass
class Scorer:
    events: EventStore
    verdicts: VerdictStore
    policy: Callable[[], ScrapingPolicy]
    clock: Callable[[], float]

    async def run(
        self, now: float | None = None, progress: Callable[[int, int], None] | None = None
    ) -> list[BapVerdict]:
        """Score the window ending ``now`` (default: the clock) and store the verdicts.
        ``progress(done, total)`` is told as BAPs are read."""
        policy = self.policy()
        end = self.clock() if now is None else now
        start = end - policy.window_seconds
        baps = await self.events.active(start, end)
        total = 2 * len(baps)
        # two reads of each BAP's events, one BAP at a time: the first counts what is busy
        # network-wide, the second finds each unit's features against it; a pass holds one
        # BAP's events at a time, and only the feature rows of the others
        tally = NetworkTally()
        for done, bap in enumerate(baps, 1):
            events = await self.events.events(bap, start, end)
            for one_unit in units_of(bap, events, policy.min_searches):
                tally.add(one_unit.searches, one_unit.funnel)
            if progress is not None:
                progress(done, total)
        context = tally.context()
        units: list[Tally] = []
        rows: list[list[float]] = []
        for done, bap in enumerate(baps, len(baps) + 1):
            events = await self.events.events(bap, start, end)
            mine = units_of(bap, events, policy.min_searches)
            if mine:
                rows += await asyncio.to_thread(_describe, mine, start, end, context)
                units += [Tally(u.bap_id, u.user, u.count) for u in mine]
            if progress is not None:
                progress(done, total)
        if not units:
            await self.events.prune(start)
            return []
        horizon = end - policy.training_windows * max(policy.score_every_seconds, 300.0)
        history = await self.verdicts.training_rows(horizon, policy.max_training_rows)
        # rows of an earlier feature set (before a release added features) are not comparable
        width = len(FEATURES)
        training = [r.values for r in history if r.window_end < end and len(r.values) == width]
        training += rows
        scored = await asyncio.to_thread(
            score_windows,
            rows,
            training,
            window_hours=policy.window_seconds / 3600,
            seed=policy.seed,
        )
        values = {
            u.key: dict(zip(FEATURES, row, strict=True)) for u, row in zip(units, rows, strict=True)
        }
        per_bap: dict[str, list[tuple[Unit | Tally, Scored]]] = {}
        for unit, one in zip(units, scored, strict=True):
            per_bap.setdefault(unit.bap_id, []).append((unit, one))
        verdicts = [
            verdict_for(bap, pairs, values, policy, start=start, end=end, scored_at=end)
            for bap, pairs in per_bap.items()
        ]
        feature_rows = [
            FeatureRow(u.key, end, [v if math.isfinite(v) else 0.0 for v in row])
            for u, row in zip(units, rows, strict=True)
        ]
        await self.verdicts.save_pass(verdicts, feature_rows, policy.history, horizon)
        await self.events.prune(start)
        return verdicts
