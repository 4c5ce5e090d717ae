"""What the operators' dashboard shows of the anti-abuse layer, read off the request path.

Every read is bounded (a cap on events, audit entries, verdicts, disputes and BAPs) and reads
only: nothing here writes, and nothing on the request path writes for it. The pure views
(``scraping.timeline``, ``defaulters.overview``) make what a page shows; this module reads
what they need and says when a cap cut a read short. Tokens and subscriber ids only: no raw
identifier is stored to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from uei.antiabuse.defaulters.ledger import DAY, AuditEntry, CaseStatus
from uei.antiabuse.defaulters.overview import DisputeAge, VerdictMix, dispute_ages, verdict_mix
from uei.antiabuse.defaulters.policy import DefaultersPolicy
from uei.antiabuse.quotas.rules import QuotaAction, QuotasPolicy
from uei.antiabuse.scraping.events import Search
from uei.antiabuse.scraping.policy import Actions, ScrapingAction, ScrapingPolicy
from uei.antiabuse.scraping.timeline import (
    Activity,
    Centre,
    QuotaUse,
    activity,
    bins,
    centres,
    quota_use,
)
from uei.antiabuse.scraping.verdicts import BapVerdict
from uei.antiabuse.stores import CaseStore, EventStore, VerdictStore

__all__ = [
    "AUDIT_SCAN",
    "MAX_CENTRES",
    "MAX_EVENTS",
    "ActionRow",
    "BapPage",
    "NonpayerPage",
    "Overview",
    "RankedBap",
    "action_rows",
]

MAX_EVENTS = 20_000
"""The most events one BAP page reads (its latest, when it has more)."""
MAX_CENTRES = 1_000
"""The most query centres one scatter shows."""
MAX_HISTORY = 200
"""The most past verdicts one BAP page reads."""
MAX_RANKED = 500
AUDIT_SCAN = 20_000
"""The most audit entries the verdict mix reads (the newest, when there are more)."""
MIX_DAYS = 14
MAX_DISPUTES = 200
INTERVALS = 72
"""A BAP's window is shown in this many intervals (fewer when they would be under a minute)."""
_CHUNK = 1000


class ActionRow(msgspec.Struct, frozen=True, kw_only=True):
    """One scraping action against a BAP's latest score."""

    action: ScrapingAction
    at: float
    """The score from which the policy calls for it."""
    due: bool
    """The latest score reaches it."""
    enforced: bool
    """Applied to the BAP's checks."""
    shadow: bool
    """Due but in shadow mode: recorded, not applied."""
    withheld: bool
    """Due by the score, but neither applied nor recorded in shadow (the BAP's searches
    are not shown to convert below an honest rate)."""


def action_rows(verdict: BapVerdict | None, actions: Actions) -> list[ActionRow]:
    """Every action, mildest first, as the verdict left it."""
    rows = []
    for action in ScrapingAction:
        at = actions.band(action).at
        due = verdict is not None and verdict.score >= at
        enforced = verdict is not None and action in verdict.actions
        shadow = verdict is not None and action in verdict.shadow_actions
        rows.append(
            ActionRow(
                action=action,
                at=at,
                due=due,
                enforced=enforced,
                shadow=shadow,
                withheld=due and not enforced and not shadow,
            )
        )
    return rows


class RankedBap(msgspec.Struct, frozen=True, kw_only=True):
    verdict: BapVerdict
    flagged: bool
    """An action is applied or recorded in shadow."""


class BapPage(msgspec.Struct, frozen=True, kw_only=True):
    bap_id: str
    start: float
    end: float
    verdict: BapVerdict | None
    history: list[BapVerdict]
    """Earlier verdicts, newest first (at most ``MAX_HISTORY``)."""
    actions: list[ActionRow]
    activity: Activity
    quota: QuotaUse
    quota_rule: str
    """The search rule replayed: its name."""
    centres: list[Centre]
    events_read: int
    truncated: bool
    """The window holds more than ``MAX_EVENTS`` events: the page shows the latest."""

    @property
    def known(self) -> bool:
        """Anything is recorded for this BAP."""
        return self.verdict is not None or self.events_read > 0


class NonpayerPage(msgspec.Struct, frozen=True, kw_only=True):
    counts: dict[CaseStatus, int]
    mix: VerdictMix
    disputes: list[DisputeAge]
    """Open disputes, the oldest first."""
    disputes_truncated: bool
    expire_days: float
    now: float


@dataclass(frozen=True, slots=True)
class Overview:
    cases: CaseStore
    events: EventStore
    verdicts: VerdictStore
    defaulters: Callable[[], DefaultersPolicy]
    quotas: Callable[[], QuotasPolicy]
    scraping: Callable[[], ScrapingPolicy]
    clock: Callable[[], float]

    async def ranking(self, limit: int) -> list[RankedBap]:
        """The latest verdict of at most ``limit`` BAPs, the highest score first."""
        ranked = await self.verdicts.ranked(min(limit, MAX_RANKED))
        return [RankedBap(verdict=v, flagged=bool(v.actions or v.shadow_actions)) for v in ranked]

    async def bap(self, bap_id: str) -> BapPage:
        """A BAP over the events still kept (one scoring window and one pass)."""
        scraping = self.scraping()
        end = self.clock() + 1.0  # a search checked this second is shown
        start = end - scraping.retention_seconds
        over = bins(start, end, max(60.0, scraping.retention_seconds / INTERVALS))
        events = await self.events.recent(bap_id, start, end, MAX_EVENTS)
        history = await self.verdicts.verdict_history(bap_id, min(scraping.history, MAX_HISTORY))
        searches = [e for e in events if isinstance(e, Search)]
        policy = self.quotas()
        resolved = policy.rule_for(bap_id, QuotaAction.SEARCH)
        latest = history[0] if history else None
        return BapPage(
            bap_id=bap_id,
            start=start,
            end=end,
            verdict=latest,
            history=history[1:],
            actions=action_rows(latest, scraping.actions),
            activity=activity(events, over),
            quota=quota_use(searches, over, resolved.rule, policy.search_cost, history),
            quota_rule=resolved.name,
            centres=centres(searches, MAX_CENTRES),
            events_read=len(events),
            truncated=len(events) >= MAX_EVENTS,
        )

    async def audit_since(self, since: float) -> tuple[list[AuditEntry], bool]:
        """Audit entries back to ``since`` (newest first), at most ``AUDIT_SCAN``; whether
        every entry since then was read."""
        found: list[AuditEntry] = []
        before: int | None = None
        while len(found) < AUDIT_SCAN:
            want = min(_CHUNK, AUDIT_SCAN - len(found))
            page = await self.cases.audit_page(before, want)
            for seq, entry in page:
                found.append(entry)
                before = seq
                if entry.at < since - DAY:  # older than the range, whatever the replicas' skew
                    return found, True
            if len(page) < want:
                return found, True
        return found, False

    async def nonpayers(self) -> NonpayerPage:
        policy = self.defaulters()
        now = self.clock()
        start = now - MIX_DAYS * DAY
        entries, complete = await self.audit_since(start)
        disputed = await self.cases.disputed(MAX_DISPUTES + 1)
        return NonpayerPage(
            counts=await self.cases.status_counts(),
            mix=verdict_mix(entries, start, now, complete=complete),
            disputes=dispute_ages(disputed[:MAX_DISPUTES], policy, now),
            disputes_truncated=len(disputed) > MAX_DISPUTES,
            expire_days=policy.dispute.expire_days,
            now=now,
        )
