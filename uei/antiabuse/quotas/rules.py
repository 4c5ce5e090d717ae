"""The ``quotas`` section of ``policies.yaml`` and the pure rules over it: which quota rule
applies to a subscriber and action, what a search costs, each relay's own rule.

Types and pure functions only; ``uei/app/policy.py`` composes the sections and loads the file
strictly.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated

import msgspec

from uei.options import Options

__all__ = [
    "ActionRules",
    "FailureMode",
    "QuotaAction",
    "QuotaRule",
    "QuotasPolicy",
    "RelayRules",
    "ResolvedRule",
    "SearchCost",
]


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


class QuotaRule(Options, frozen=True):
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


class SearchCost(Options, frozen=True):
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


class RelayRules(Options, frozen=True):
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
    shared: bool = False
    """``false``: each replica meters its share of a relay's rule (``limit / replicas``) in
    process, with no store round trip; ``true``: one bucket in the store for every replica
    (one more round trip on every relay call; ``on_store_error`` when it does not answer)."""

    def rule_for(self, relay: str, *, gateway: bool) -> ResolvedRule:
        """``relay.<subscriber>`` (an override), else ``relay.gateway`` or ``relay.bpp``."""
        override = self.overrides.get(relay)
        if override is not None:
            return ResolvedRule(f"relay.{relay}", override)
        if gateway:
            return ResolvedRule("relay.gateway", self.gateway)
        return ResolvedRule("relay.bpp", self.bpp)


class QuotasPolicy(Options, frozen=True):
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
