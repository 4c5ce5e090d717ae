"""The ``defaulters`` section of ``policies.yaml``: how unpaid sessions become verdicts.

Types only; the registry's policy module composes the sections and loads the file strictly.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

from uei.antiabuse.identity import Family
from uei.options import Days, Options, Unit

__all__ = [
    "MAX_CASE_EXPIRY_DAYS",
    "MAX_OF_ONE_KIND",
    "MAX_QUERY_IDENTIFIERS",
    "Access",
    "DefaultersPolicy",
    "DisputePolicy",
    "DisputeQuota",
    "OnStoreError",
    "QueryQuota",
    "Strengths",
    "Thresholds",
    "Verdict",
]

MAX_QUERY_IDENTIFIERS = 8
"""Identifiers one status query (or dispute) may present."""
MAX_OF_ONE_KIND = 2
"""Identifiers of one kind (phone, upi_vpa, vehicle, ...) one status query may present."""


MAX_CASE_EXPIRY_DAYS = 3 * 365 + 1
"""The longest ``case_expiry_days`` a policy may set: three years, India's limitation period
for recovering a debt. So no report or observation older than that is ever taken."""


class Verdict(StrEnum):
    """Ordered from the mildest: ``max`` over verdicts by ``rank`` picks the strictest."""

    ALLOW = "allow"
    PREPAID_ONLY = "prepaid_only"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Verdict.ALLOW: 0, Verdict.PREPAID_ONLY: 1, Verdict.BLOCK: 2}


class Access(StrEnum):
    """Who may use the non-payer API."""

    GRANTED = "granted"
    """SUBSCRIBED BPPs an operator granted ``defaulters`` (``uei admin grant ID defaulters``)."""
    SUBSCRIBED_BPP = "subscribed_bpp"
    """Any SUBSCRIBED BPP (with open onboarding: anyone who can host an on_subscribe)."""


class OnStoreError(StrEnum):
    """What a status query answers when the store does not answer in time."""

    ALLOW = "allow"
    """``allow`` (post-paid as if nothing were known), path ``allow-on-error``."""
    DENY = "deny"
    """``prepaid_only`` (no post-paid session while nothing can be known), path
    ``deny-on-error``."""


class Strengths(Options, frozen=True):
    """How much a match on each family says that two people are one (0 = nothing, 1 = proof).

    Families: ``vehicle`` is a VIN or chassis number, ``credential`` an RFID card or OCPP idTag.
    """

    phone: Unit = 0.5
    upi_vpa: Unit = 1.0
    vehicle: Unit = 0.7
    credential: Unit = 0.95
    battery: Unit = 0.9
    device: Unit = 0.6

    def by_family(self) -> dict[Family, float]:
        """The strengths as a table (a family's name looks its strength up too)."""
        return {
            Family.PHONE: self.phone,
            Family.UPI_VPA: self.upi_vpa,
            Family.VEHICLE: self.vehicle,
            Family.CREDENTIAL: self.credential,
            Family.BATTERY: self.battery,
            Family.DEVICE: self.device,
        }

    def of(self, family: Family) -> float:
        return self.by_family()[family]


class Thresholds(Options, frozen=True):
    block: Unit = 0.9
    """Score from evidence that never passes through a phone number needed for ``block``."""
    prepaid_only: Unit = 0.35
    """Score needed for ``prepaid_only``."""


class DisputeQuota(Options, frozen=True):
    limit: Annotated[int, msgspec.Meta(ge=1)] = 20
    """Disputes one CPO may file per window (refused ones count too: each is a question
    about a case's identifiers)."""
    window_seconds: Annotated[float, msgspec.Meta(gt=0)] = 86400

    @property
    def interval(self) -> float:
        return self.window_seconds / self.limit


class DisputePolicy(Options, frozen=True):
    cap: Verdict = Verdict.PREPAID_ONLY
    """The strictest verdict a disputed case can support."""
    expire_days: Days = 30
    """A dispute the creditor leaves unresolved this long ends the case's effect."""
    quota: DisputeQuota = DisputeQuota()


class QueryQuota(Options, frozen=True):
    """Counted in identifiers presented, not queries: a query with 8 identifiers costs 8."""

    per_hour: Annotated[float, msgspec.Meta(gt=0)] = 600
    """Sustained identifiers per CPO per hour."""
    burst: Annotated[int, msgspec.Meta(ge=MAX_QUERY_IDENTIFIERS)] = 60
    """Identifiers a CPO may present at once before the hourly rate applies (at least a
    full query's 8)."""

    @property
    def interval(self) -> float:
        return 3600.0 / self.per_hour


class DefaultersPolicy(Options, frozen=True):
    access: Access = Access.GRANTED
    """Who may report, observe, query and act on cases."""
    strength: Strengths = Strengths()
    person_families: list[str] = msgspec.field(default_factory=lambda: ["upi_vpa", "credential"])
    """Families that stand for one person each; an identifier's count of distinct people is
    its largest count of distinct neighbours in any of these families (besides its own)."""
    fanout_limit: Annotated[int, msgspec.Meta(ge=1)] = 5
    """An identifier seen with more distinct people than this (a fleet vehicle, a shared
    device) counts for nothing, as a direct match or as a link."""
    recycling_horizon_days: Days = 90
    """A phone number is evidence about a person only this long after it was last seen with
    them: Indian numbers are reassigned about 90 days after disconnection."""
    max_hops: Annotated[int, msgspec.Meta(ge=0, le=4)] = 2
    """How many observed links evidence may cross (0: direct matches only)."""
    max_neighbours: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 200
    """Links read per identifier while following evidence (bounds the query's work)."""
    notice_days: Days = 7
    """A case counts this long after the unpaid session (``occurred_at``), not before."""
    case_expiry_days: Annotated[float, msgspec.Meta(ge=0, le=MAX_CASE_EXPIRY_DAYS)] = 365
    """A case older than this (from ``occurred_at``) counts no more, and reports and
    observations older than this are refused. At most three years."""
    dispute: DisputePolicy = DisputePolicy()
    thresholds: Thresholds = Thresholds()
    minimum_amount: Annotated[float, msgspec.Meta(ge=0)] = 50.0
    """Smaller debts (INR) are refused at report time."""
    amount_bands: list[Annotated[float, msgspec.Meta(gt=0)]] = msgspec.field(
        default_factory=lambda: [500.0, 2000.0, 10000.0]
    )
    """Band edges (INR) for the outstanding amount a verdict reports instead of the sum."""
    disclose_creditors: bool = False
    """When true, a verdict names the creditor CPOs and case ids so the user can settle."""
    query_quota: QueryQuota = QueryQuota()
    store_timeout_ms: Annotated[float, msgspec.Meta(gt=0, le=10_000)] = 1000.0
    """How long one call waits for the store; past it (or when the store is down) a status
    query answers per ``on_store_error`` and every other call a 503 with ``Retry-After``."""
    on_store_error: OnStoreError = OnStoreError.ALLOW
    shadow: bool = False
    """Record verdicts without enforcing them: answers say ``allow`` and carry the verdict
    that would have been given under ``shadow_verdict``."""

    def __post_init__(self) -> None:
        known = {f.value for f in Family}
        for family in self.person_families:
            if family not in known:
                raise ValueError(f"person_families: {family!r} is not one of {sorted(known)}")
        if self.thresholds.prepaid_only > self.thresholds.block:
            raise ValueError("thresholds: prepaid_only must not exceed block")
        if self.amount_bands != sorted(self.amount_bands):
            raise ValueError("amount_bands must be in increasing order")

    @property
    def horizon_seconds(self) -> float:
        return self.recycling_horizon_days * 86400
