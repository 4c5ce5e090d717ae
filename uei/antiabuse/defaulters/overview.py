"""The non-payer ledger as operators see it: the verdicts given per day, read from the audit
trail, and each open dispute's age against the policy's deadline.

Pure: audit entries, cases and the policy in, what the pages and the review API show out.
Tokens only: the ledger holds no raw identifier to show.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import msgspec

from uei.antiabuse.defaulters.ledger import DAY, AuditEntry, Case
from uei.antiabuse.defaulters.policy import DefaultersPolicy, Verdict

__all__ = ["DisputeAge", "VerdictMix", "dispute_ages", "verdict_mix"]

_VERDICTS = frozenset(v.value for v in Verdict)


class VerdictMix(msgspec.Struct, frozen=True, kw_only=True):
    """Status verdicts per UTC day, enforced and shadow apart."""

    days: list[float]
    """Each day's start (unix seconds, UTC midnight), oldest first."""
    enforced: dict[Verdict, list[int]]
    """Verdict -> queries answered with it per day."""
    shadow: dict[Verdict, list[int]]
    """Verdict -> queries that would have been answered with it per day (the policy was in
    shadow: the answer said ``allow``)."""
    refused: list[int]
    """Queries refused by the query quota per day."""
    read: int
    """Audit entries read."""
    complete: bool
    """Every entry of the range was read (else the oldest days are partial)."""


def verdict_mix(
    entries: Iterable[AuditEntry], start: float, end: float, *, complete: bool
) -> VerdictMix:
    """Count the status queries of ``entries`` timed in [start, end) per UTC day."""
    first = math.floor(start / DAY) * DAY
    n = max(0, math.ceil((end - first) / DAY))
    enforced = {v: [0] * n for v in Verdict}
    shadow = {v: [0] * n for v in Verdict}
    refused = [0] * n
    read = 0
    for entry in entries:
        read += 1
        if not start <= entry.at < end:
            continue
        day = int((entry.at - first) // DAY)
        if entry.action == "status_refused":
            refused[day] += 1
        elif entry.action == "status" and entry.verdict in _VERDICTS:
            into = shadow if entry.note == "shadow" else enforced
            into[Verdict(entry.verdict)][day] += 1
    return VerdictMix(
        days=[first + i * DAY for i in range(n)],
        enforced=enforced,
        shadow=shadow,
        refused=refused,
        read=read,
        complete=complete,
    )


class DisputeAge(msgspec.Struct, frozen=True, kw_only=True):
    case: Case
    disputed_at: float
    age_seconds: float
    deadline: float
    """When an unresolved dispute ends the case's effect (``dispute.expire_days`` after it
    was disputed)."""
    remaining_seconds: float
    """Until the deadline; negative once past it."""
    overdue: bool


def dispute_ages(cases: Sequence[Case], policy: DefaultersPolicy, now: float) -> list[DisputeAge]:
    """Each disputed case's age against the deadline, in the order given."""
    expire = policy.dispute.expire_days * DAY
    found = []
    for case in cases:
        at = case.disputed_at if case.disputed_at is not None else case.updated
        found.append(
            DisputeAge(
                case=case,
                disputed_at=at,
                age_seconds=now - at,
                deadline=at + expire,
                remaining_seconds=at + expire - now,
                overdue=now >= at + expire,
            )
        )
    return found
