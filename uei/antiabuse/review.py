"""The operators' review of the anti-abuse layer: the audit trail, the dispute queue and the
BAPs ranked by their scraping score.

Every route declares ``Caller.OPERATOR`` (an operator key in ``UEI_OPERATORS``; the app's
guard verifies it before any parameter is decoded). Read-only: nothing here changes a case or
a verdict. Everything shown is a token or a subscriber id; the ledger holds no raw identifier
to show. Each handler is handed ``review``, a ``ReviewApi``, by the app's dependencies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Router, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, Parameter

from uei.access import CALLER, Caller
from uei.antiabuse.defaulters.ledger import AuditEntry
from uei.antiabuse.defaulters.overview import dispute_ages
from uei.antiabuse.defaulters.policy import DefaultersPolicy
from uei.antiabuse.scraping.policy import ScrapingAction
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureNote
from uei.antiabuse.stores import CaseStore, VerdictStore
from uei.antiabuse.times import timestamp
from uei.errors import InvalidRequest

__all__ = ["ROUTER", "ReviewApi"]

MAX_PAGE = 500
"""The largest page any review route answers."""
SCAN_LIMIT = 5000
"""The most audit entries one ``/admin/audit`` call reads to fill a page with entries its
filters match; past it the page is answered short, with a cursor to go on from."""
_CHUNK = 500
MAX_CURSOR = 2**62
"""Above any seq a store hands out (and within what SQLite's integers hold)."""
SKEW_SECONDS = 60.0
"""Entries are appended in time order, give or take the replicas' clock skew: a scan going
back stops once it reads entries this much older than ``since``."""


@dataclass(frozen=True, slots=True)
class ReviewApi:
    cases: CaseStore
    verdicts: VerdictStore
    defaulters: Callable[[], DefaultersPolicy]
    clock: Callable[[], float]


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


class AuditLine(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    seq: int
    """The entry's place in the trail (the cursor counts down from it)."""
    at: str
    actor: str
    """Who asked or acted: a CPO's subscriber id."""
    action: str
    """What: ``report``, ``observe``, ``status``, ``status_refused``, ``settle``,
    ``withdraw``, ``dispute``, ``dispute_refused``, ``confirm``, ``cancel``."""
    purpose: str | None = None
    """Why, for a status query: ``postpaid_session`` or ``account_registration``."""
    verdict: str | None = None
    score: float | None = None
    case_id: str | None = None
    before: str | None = None
    after: str | None = None
    tokens: list[str] = msgspec.field(default_factory=list)
    """The identifiers concerned, as tokens (``family:token``)."""
    note: str | None = None
    request_id: str | None = None


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    entries: list[AuditLine]
    """Newest first."""
    next_cursor: int | None
    """Pass as ``cursor`` for the page after this one; null: the trail was read to its start
    (or past ``since``)."""
    scanned: int
    """Entries read to fill this page (at most 5000): a page may hold fewer than
    ``page_size`` entries when few match, and still have a ``next_cursor``."""


def _line(seq: int, entry: AuditEntry) -> AuditLine:
    return AuditLine(
        seq=seq,
        at=_iso(entry.at),
        actor=entry.actor,
        action=entry.action,
        purpose=entry.purpose,
        verdict=entry.verdict,
        score=entry.score,
        case_id=entry.case_id,
        before=entry.before,
        after=entry.after,
        tokens=list(entry.tokens),
        note=entry.note,
        request_id=entry.request_id,
    )


_PAGE = Parameter(ge=1, le=MAX_PAGE, description=f"entries per page, 1..{MAX_PAGE}")
_OPERATOR = {CALLER: Caller.OPERATOR}


def _time(value: datetime | None, field: str) -> float | None:
    return None if value is None else timestamp(value, field)


@get("/audit", tags=["admin"], summary="Read the non-payer audit trail", opt=_OPERATOR)
async def audit(
    review: NamedDependency[ReviewApi],
    since: FromQuery[datetime | None] = None,
    until: FromQuery[datetime | None] = None,
    actor: FromQuery[str | None] = None,
    action: FromQuery[str | None] = None,
    cursor: Annotated[
        int | None, Parameter(ge=1, le=MAX_CURSOR, description="a page's next_cursor")
    ] = None,
    page_size: Annotated[int, _PAGE] = 100,
) -> AuditPage:
    """Signed by an operator key. Who asked what, why, and the verdict: every report,
    observation, status query (with its purpose, verdict and score, shadow noted), refusal
    and case action, newest first. Filters: ``since`` and ``until`` (times with a zone,
    ``since`` inclusive, ``until`` exclusive), ``actor`` (a CPO's subscriber id) and
    ``action``. Pages go back by ``cursor`` (the previous page's ``next_cursor``)."""
    start, end = _time(since, "since"), _time(until, "until")
    if start is not None and end is not None and end <= start:
        raise InvalidRequest("until must be later than since", "until")
    found: list[AuditLine] = []
    before, scanned, rest = cursor, 0, True  # rest: entries may remain below ``before``
    while len(found) < page_size and scanned < SCAN_LIMIT and rest:
        want = min(_CHUNK, SCAN_LIMIT - scanned)
        chunk = await review.cases.audit_page(before, want)
        rest = len(chunk) == want
        for i, (seq, entry) in enumerate(chunk):
            scanned += 1
            before = seq
            if start is not None and entry.at < start - SKEW_SECONDS:
                rest = False  # older than the range, give or take the replicas' skew
                break
            if (
                (start is None or entry.at >= start)
                and (end is None or entry.at < end)
                and (actor is None or entry.actor == actor)
                and (action is None or entry.action == action)
            ):
                found.append(_line(seq, entry))
                if len(found) == page_size:
                    rest = rest or i < len(chunk) - 1
                    break
    more = rest and before is not None and before > 1
    return AuditPage(entries=found, next_cursor=before if more else None, scanned=scanned)


class DisputeLine(msgspec.Struct, frozen=True, kw_only=True):
    case_id: str
    creditor: str
    """The CPO that reported the case and must resolve the dispute."""
    amount_paise: int
    currency: str
    tokens: list[str]
    """The identifiers the case names, as tokens: no raw identifier is stored to show."""
    disputed_at: str
    age_seconds: float
    deadline: str
    """When an unresolved dispute ends the case's effect (``defaulters.dispute.expire_days``
    after it was disputed)."""
    remaining_seconds: float
    """Until the deadline; negative once past it."""
    overdue: bool


class DisputeQueue(msgspec.Struct, frozen=True, kw_only=True):
    expire_days: float
    """The policy's deadline for a creditor to resolve a dispute."""
    disputes: list[DisputeLine]
    """Open disputes, the oldest first."""
    truncated: bool
    """More open disputes than ``limit``."""


@get("/disputes", tags=["admin"], summary="The open disputes against the deadline", opt=_OPERATOR)
async def disputes(
    review: NamedDependency[ReviewApi],
    limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="at most this many")] = 100,
) -> DisputeQueue:
    """Signed by an operator key. Every case disputed and not yet resolved by its creditor,
    the oldest dispute first, with its age against the policy's deadline (past it, the case
    no longer counts towards any verdict)."""
    policy = review.defaulters()
    found = await review.cases.disputed(limit + 1)
    lines = [
        DisputeLine(
            case_id=d.case.case_id,
            creditor=d.case.creditor,
            amount_paise=d.case.amount_paise,
            currency=d.case.currency,
            tokens=list(d.case.tokens),
            disputed_at=_iso(d.disputed_at),
            age_seconds=d.age_seconds,
            deadline=_iso(d.deadline),
            remaining_seconds=d.remaining_seconds,
            overdue=d.overdue,
        )
        for d in dispute_ages(found[:limit], policy, review.clock())
    ]
    return DisputeQueue(
        expire_days=policy.dispute.expire_days, disputes=lines, truncated=len(found) > limit
    )


class BapLine(msgspec.Struct, frozen=True, kw_only=True):
    bap_id: str
    score: float
    """0 (typical of the network) .. 1 (scraping)."""
    scored_at: str
    window_start: str
    window_end: str
    actions: list[ScrapingAction]
    """Applied to the BAP's checks until the next pass."""
    shadow_actions: list[ScrapingAction]
    """Due by the score but in shadow mode: recorded, not applied."""
    throttle_scale: float
    searches: int
    top: list[FeatureNote]
    """The features that contributed most, strongest first."""


class BapRanking(msgspec.Struct, frozen=True, kw_only=True):
    baps: list[BapLine]
    """Highest score first."""


def _flagged(verdict: BapVerdict) -> bool:
    return bool(verdict.actions or verdict.shadow_actions)


@get("/baps", tags=["admin"], summary="BAPs ranked by their scraping score", opt=_OPERATOR)
async def baps(
    review: NamedDependency[ReviewApi],
    flagged: Annotated[
        bool,
        Parameter(description="only BAPs whose latest verdict has an action, shadow or not"),
    ] = False,
    limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="at most this many")] = 100,
) -> BapRanking:
    """Signed by an operator key. Each scored BAP's latest scraping verdict, the highest score
    first: its score, the actions applied and those in shadow, and the features that made
    the score. ``flagged=true``: only BAPs with an action (applied or in shadow) among the
    ``limit`` highest scores. A BAP's full report and history: ``GET /abuse/baps/{bap_id}``."""
    ranked = await review.verdicts.ranked(limit)
    return BapRanking(
        baps=[
            BapLine(
                bap_id=v.bap_id,
                score=v.score,
                scored_at=_iso(v.scored_at),
                window_start=_iso(v.window_start),
                window_end=_iso(v.window_end),
                actions=v.actions,
                shadow_actions=v.shadow_actions,
                throttle_scale=v.throttle_scale,
                searches=v.searches,
                top=v.top,
            )
            for v in ranked
            if not flagged or _flagged(v)
        ]
    )


ROUTER = Router("/admin", route_handlers=[audit, disputes, baps])
