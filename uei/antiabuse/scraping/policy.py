"""The ``quotas`` and ``scraping`` sections of ``policies.yaml``, and the pure rules over them:
which quota rule applies to a subscriber and action, what a search costs, which actions a
score calls for.

Types and pure functions only; the registry's policy module composes the sections and loads
the file strictly.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated

import msgspec

__all__ = [
    "ActionBand",
    "Actions",
    "FailureMode",
    "QuotaAction",
    "QuotaRule",
    "QuotasPolicy",
    "RelayRules",
    "ResolvedRule",
    "ScrapingAction",
    "ScrapingPolicy",
    "SearchCost",
]

_Positive = Annotated[float, msgspec.Meta(gt=0)]
_Unit = Annotated[float, msgspec.Meta(ge=0, le=1)]


class QuotaAction(StrEnum):
    """The Beckn actions a BAP's quota covers (``status``: order status queries)."""

    SEARCH = "search"
    SELECT = "select"
    INIT = "init"
    CONFIRM = "confirm"
    STATUS = "status"
    CANCEL = "cancel"


class FailureMode(StrEnum):
    """What a decision does when the store cannot be reached in time."""

    ALLOW = "allow"
    DENY = "deny"
    LOCAL = "local"
    """An in-process limit: the rule divided by the number of replicas."""


class QuotaRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``limit`` units of cost per ``window_seconds``, as GCRA: up to ``limit`` at once, then
    refilling at ``limit / window_seconds`` per second."""

    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    window_seconds: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 60.0
    shadow: bool = False
    """Decide and record, but always allow (the answer says what would have happened)."""
    on_store_error: FailureMode = FailureMode.LOCAL

    @property
    def interval(self) -> float:
        """Seconds per unit of cost at the sustained rate."""
        return self.window_seconds / self.limit


ActionRules = dict[QuotaAction, QuotaRule]


def _default_tier() -> ActionRules:
    """Conservative: a BAP the operator has not placed in a tier."""
    return {
        QuotaAction.SEARCH: QuotaRule(limit=3000),
        QuotaAction.SELECT: QuotaRule(limit=600),
        QuotaAction.INIT: QuotaRule(limit=300),
        QuotaAction.CONFIRM: QuotaRule(limit=300),
        QuotaAction.STATUS: QuotaRule(limit=1200),
        QuotaAction.CANCEL: QuotaRule(limit=300),
    }


class SearchCost(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A wide search reveals more chargers, so it costs more: 1 unit up to ``free_radius_km``,
    plus ``per_extra_km`` for each km beyond, rounded up, at most ``max``."""

    free_radius_km: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    per_extra_km: Annotated[float, msgspec.Meta(ge=0)] = 0.2
    max: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10

    def of(self, radius_km: float | None) -> int:
        if radius_km is None:
            return 1
        extra = max(0.0, radius_km - self.free_radius_km) * self.per_extra_km
        # 1e-9: 0.1 * 3 is 0.30000000000000004, which must not cost a whole extra unit
        return min(self.max, 1 + math.ceil(extra - 1e-9))


class ResolvedRule(msgspec.Struct, frozen=True):
    """The rule that applies, and where it came from (for headers and the audit)."""

    name: str
    """``<action>.<tier>`` or ``<action>.<subscriber>`` (an override)."""
    rule: QuotaRule


class RelayRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Each relay's own calls, keyed on its verified subscriber id whatever BAPs it names, so
    no caller floods the service: a quota check costs 1 unit, an event upload 1 per event (at
    most the rule's ``limit``). A relay over its rule is refused (429) before any BAP's quota
    is touched. Shipped generous: a gateway carries every BAP's searches."""

    gateway: QuotaRule = QuotaRule(limit=20_000, window_seconds=1.0)
    """Each BG (network infrastructure)."""
    bpp: QuotaRule = QuotaRule(limit=1_000, window_seconds=1.0)
    """Each BPP (forwarding its BAPs' own signed requests)."""
    overrides: dict[str, QuotaRule] = msgspec.field(default_factory=dict)
    """Relay subscriber id -> its own rule, instead of its type's."""

    def rule_for(self, relay: str, *, gateway: bool) -> ResolvedRule:
        """``relay.<subscriber>`` (an override), else ``relay.gateway`` or ``relay.bpp``."""
        override = self.overrides.get(relay)
        if override is not None:
            return ResolvedRule(f"relay.{relay}", override)
        if gateway:
            return ResolvedRule("relay.gateway", self.gateway)
        return ResolvedRule("relay.bpp", self.bpp)


class QuotasPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    tiers: dict[str, ActionRules] = msgspec.field(
        default_factory=lambda: {"default": _default_tier()}
    )
    """Tier name -> action -> rule. ``default`` is every subscriber not placed in a tier, and
    the fallback for actions a tier does not name."""
    members: dict[str, str] = msgspec.field(default_factory=dict)
    """Subscriber id -> tier."""
    overrides: dict[str, ActionRules] = msgspec.field(default_factory=dict)
    """Subscriber id -> action -> rule: wins over every tier."""
    search_cost: SearchCost = SearchCost()
    relays: RelayRules = RelayRules()
    """The relays' own calls (BGs and BPPs), apart from the BAPs' quotas."""
    replicas: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    """Service replicas sharing the store: a ``local`` limit is the rule divided by this."""
    store_timeout_ms: Annotated[float, msgspec.Meta(gt=0, le=10_000)] = 250.0
    """A quota decision waits this long for a remote store (Redis) before its rule's
    ``on_store_error``. The embedded SQLite store runs each call to its end on its own thread:
    it is not timed out, and only its errors (locked past its busy timeout, disk I/O) take
    the failure path."""
    dedupe_seconds: Annotated[float, msgspec.Meta(ge=1, le=86_400)] = 600.0
    """A check with a message_id seen this recently answers as before and costs nothing."""

    def __post_init__(self) -> None:
        if "default" not in self.tiers:
            raise ValueError("tiers: a `default` tier is required")
        missing = set(QuotaAction) - set(self.tiers["default"])
        if missing:
            raise ValueError(
                "tiers.default: needs a rule for every action; missing "
                + ", ".join(sorted(missing))
            )
        for subscriber, tier in self.members.items():
            if tier not in self.tiers:
                raise ValueError(f"members: {subscriber} is in tier {tier!r}, which is not defined")

    def rule_for(self, subscriber: str, action: QuotaAction) -> ResolvedRule:
        """The most specific rule: the subscriber's override, its tier's, the default tier's."""
        override = self.overrides.get(subscriber, {}).get(action)
        if override is not None:
            return ResolvedRule(f"{action.value}.{subscriber}", override)
        tier = self.members.get(subscriber, "default")
        rule = self.tiers[tier].get(action)
        if rule is None:
            tier, rule = "default", self.tiers["default"][action]
        return ResolvedRule(f"{action.value}.{tier}", rule)


class ScrapingAction(StrEnum):
    """Ordered from the mildest."""

    FLAG = "flag"
    COARSEN = "coarsen"
    THROTTLE = "throttle"
    BLOCK = "block"


class ActionBand(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    at: _Unit
    """The action applies from this anomaly score (0..1) up."""
    shadow: bool = False
    """Record that it would apply, but do not apply it."""


class ThrottleBand(ActionBand, frozen=True, forbid_unknown_fields=True, kw_only=True):
    scale: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.25
    """The BAP's quotas are multiplied by this."""


class Actions(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    flag: ActionBand = ActionBand(at=0.6)
    """Shown to operators; nothing changes for the BAP."""
    coarsen: ActionBand = ActionBand(at=0.75)
    """Quota answers tell the BG/BPP to blur availability for this BAP."""
    throttle: ThrottleBand = ThrottleBand(at=0.85, shadow=True)
    block: ActionBand = ActionBand(at=0.95, shadow=True)
    """Every check for the BAP is denied (``abnormal-usage-detected``)."""

    def due(self, score: float) -> list[tuple[ScrapingAction, bool]]:
        """(action, shadow) for every action whose band ``score`` reaches, mildest first."""
        return [
            (action, band.shadow)
            for action in ScrapingAction
            if score >= (band := self.band(action)).at
        ]

    def band(self, action: ScrapingAction) -> ActionBand:
        bands: dict[ScrapingAction, ActionBand] = {
            ScrapingAction.FLAG: self.flag,
            ScrapingAction.COARSEN: self.coarsen,
            ScrapingAction.THROTTLE: self.throttle,
            ScrapingAction.BLOCK: self.block,
        }
        return bands[action]


class ScrapingPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    window_seconds: Annotated[float, msgspec.Meta(ge=300, le=7 * 86_400)] = 21_600.0
    """Each scoring pass describes every BAP by its events in the last window (6 hours: a
    low-and-slow scraper needs a few hours to show its pattern)."""
    score_every_seconds: Annotated[float, msgspec.Meta(ge=0)] = 300.0
    """How often the service scores (0: only `uei abuse score`)."""
    min_searches: Annotated[int, msgspec.Meta(ge=1)] = 10
    """A BAP with fewer searches in the window is not scored (too little to say anything)."""
    training_windows: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 48
    """The forest is fitted on the network's windows from this many recent passes."""
    max_training_rows: Annotated[int, msgspec.Meta(ge=100, le=1_000_000)] = 20_000
    seed: int = 7
    """The forest's random seed: the same events always give the same scores."""
    history: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 48
    """Verdicts kept per BAP."""
    verdict_cache_seconds: Annotated[float, msgspec.Meta(ge=0, le=60)] = 1.0
    """How long a replica reuses a BAP's verdict before reading it again."""
    verdict_expiry_seconds: Annotated[float, msgspec.Meta(gt=0)] = 86_400.0
    """A verdict older than this is ignored (a BAP that went quiet is not judged on old
    behaviour when it comes back)."""
    actions: Actions = Actions()

    @property
    def retention_seconds(self) -> float:
        """Raw events are kept for one window and one pass more."""
        return self.window_seconds + max(self.score_every_seconds, 300.0)
