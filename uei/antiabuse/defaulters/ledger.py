"""The defaulter ledger's pure core: cases, who may change them, and when they count.

A case is one unpaid session reported by its creditor CPO. Its stored status changes only
through ``act``; whether it counts towards a verdict (notice period, expiry, dispute) is
derived from the time by ``standing``, never stored.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

import msgspec

from uei.antiabuse.defaulters.policy import DefaultersPolicy, Verdict
from uei.errors import Forbidden, InvalidTransition

__all__ = [
    "Action",
    "AuditEntry",
    "Case",
    "CaseStatus",
    "Standing",
    "act",
    "standing",
]

DAY = 86400.0


class CaseStatus(StrEnum):
    OPEN = "open"
    DISPUTED = "disputed"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"
    VOID = "void"
    """A dispute the creditor resolved against its own claim."""


class Action(StrEnum):
    SETTLE = "settle"
    WITHDRAW = "withdraw"
    DISPUTE = "dispute"
    CONFIRM = "confirm"
    """Resolve a dispute: the debt stands."""
    CANCEL = "cancel"
    """Resolve a dispute: the debt was not owed."""


class Case(msgspec.Struct, frozen=True, kw_only=True):
    case_id: str
    creditor: str
    """The reporting CPO's subscriber id."""
    session_ref: str
    amount_paise: int
    currency: str
    occurred_at: float
    reported_at: float
    tokens: tuple[str, ...]
    """``family:token`` of every identifier reported; never a raw value."""
    status: CaseStatus = CaseStatus.OPEN
    updated: float = 0.0
    disputed_at: float | None = None
    dispute_confirmed: bool = False
    """The creditor confirmed the debt after a dispute; it cannot be disputed again."""
    version: int = 0

    def same_report(self, other: Case) -> bool:
        """A retry of this report (same facts), rather than a different one under its ref."""
        return (
            self.amount_paise == other.amount_paise
            and self.currency == other.currency
            and self.occurred_at == other.occurred_at
            and set(self.tokens) == set(other.tokens)
        )


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One line of the audit trail: a case change, a report, an observation or a query."""

    at: float
    actor: str
    action: str
    case_id: str | None = None
    before: str | None = None
    after: str | None = None
    purpose: str | None = None
    verdict: str | None = None
    score: float | None = None
    tokens: tuple[str, ...] = ()
    note: str | None = None
    request_id: str | None = None
    """The caller's unique id for the request (case actions carry one in the signed body)."""


# (status, action) -> (new status, only the creditor may do it)
_TRANSITIONS: dict[tuple[CaseStatus, Action], tuple[CaseStatus, bool]] = {
    (CaseStatus.OPEN, Action.SETTLE): (CaseStatus.SETTLED, True),
    (CaseStatus.OPEN, Action.WITHDRAW): (CaseStatus.WITHDRAWN, True),
    (CaseStatus.OPEN, Action.DISPUTE): (CaseStatus.DISPUTED, False),
    (CaseStatus.DISPUTED, Action.SETTLE): (CaseStatus.SETTLED, True),
    (CaseStatus.DISPUTED, Action.WITHDRAW): (CaseStatus.WITHDRAWN, True),
    (CaseStatus.DISPUTED, Action.CONFIRM): (CaseStatus.OPEN, True),
    (CaseStatus.DISPUTED, Action.CANCEL): (CaseStatus.VOID, True),
}


def act(
    case: Case, action: Action, actor: str, now: float, presented: Collection[str] = ()
) -> Case:
    """The case after ``actor`` does ``action``; raises ``Forbidden`` or
    ``InvalidTransition`` and changes nothing when it may not be done.

    ``presented``: the tokens of the identifiers the disputing CPO was shown. A dispute is
    made for the person in front of the CPO, so it must present one the case names."""
    found = _TRANSITIONS.get((case.status, action))
    if found is None:
        raise InvalidTransition(f"a {case.status.value} case cannot be {_PAST[action]}")
    status, creditor_only = found
    if creditor_only and actor != case.creditor:
        raise Forbidden(f"only the creditor that reported the case may {_VERB[action]} it")
    if action is Action.DISPUTE and case.dispute_confirmed:
        raise InvalidTransition("the creditor confirmed this debt after a dispute already")
    if action is Action.DISPUTE and not set(presented) & set(case.tokens):
        raise Forbidden(
            "none of the identifiers presented is named in this case: a CPO disputes a case "
            "for the person in front of it, with an identifier that person gave",
            "identifiers",
        )
    return msgspec.structs.replace(
        case,
        status=status,
        updated=now,
        disputed_at=now if action is Action.DISPUTE else case.disputed_at,
        dispute_confirmed=case.dispute_confirmed or action is Action.CONFIRM,
    )


_PAST = {
    Action.SETTLE: "settled",
    Action.WITHDRAW: "withdrawn",
    Action.DISPUTE: "disputed",
    Action.CONFIRM: "confirmed (it is not disputed)",
    Action.CANCEL: "cancelled (it is not disputed)",
}
_VERB = {
    Action.SETTLE: "settle",
    Action.WITHDRAW: "withdraw",
    Action.DISPUTE: "dispute",
    Action.CONFIRM: "resolve",
    Action.CANCEL: "resolve",
}


class Standing(StrEnum):
    COUNTS = "counts"
    IN_NOTICE = "in_notice"
    """Reported, but the notice period since the session has not passed."""
    EXPIRED = "expired"
    """Older than the policy's case expiry, or disputed and left unresolved too long."""
    CLOSED = "closed"
    """Settled, withdrawn or void."""


def standing(case: Case, now: float, policy: DefaultersPolicy) -> Standing:
    if case.status not in (CaseStatus.OPEN, CaseStatus.DISPUTED):
        return Standing.CLOSED
    if now - case.occurred_at >= policy.case_expiry_days * DAY:
        return Standing.EXPIRED
    if (
        case.status is CaseStatus.DISPUTED
        and case.disputed_at is not None
        and now - case.disputed_at >= policy.dispute.expire_days * DAY
    ):
        return Standing.EXPIRED
    if now - case.occurred_at < policy.notice_days * DAY:
        return Standing.IN_NOTICE
    return Standing.COUNTS


def cap(case: Case, verdict: Verdict, policy: DefaultersPolicy) -> Verdict:
    """A disputed case supports at most the policy's dispute cap."""
    if case.status is CaseStatus.DISPUTED and verdict.rank > policy.dispute.cap.rank:
        return policy.dispute.cap
    return verdict
