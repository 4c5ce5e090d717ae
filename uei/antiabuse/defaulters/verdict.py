"""Verdicts: a pure function of the identifiers presented now, the evidence, and the policy.

Evidence is what the stores hold around the presented tokens: observed links (with when each
pair was last seen together), each token's count of distinct neighbours per family, and the
cases that name a token. ``reach`` follows links from the presented tokens, multiplying the
strengths of the identifiers on the way; ``decide`` matches what it reached against cases that
count, and explains the result by family, never by identifier.

Rules (the design, 6.2):

- an identifier seen with more distinct people than ``fanout_limit`` counts for nothing;
- a phone number is evidence about a person only while it was last seen with that person
  within the recycling horizon (for a link: that pair; for a case: the case's session or the
  last time it was seen with one of the case's other identifiers);
- ``block`` needs its score from paths that never pass through a phone number, so a phone-only
  match is at most ``prepaid_only``;
- per case, identifiers presented now and named in the case compound (noisy-or); linked
  evidence counts by its best path only;
- a disputed case supports at most the policy's dispute cap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import msgspec

from uei.antiabuse.defaulters.ledger import DAY, Case, CaseStatus, Standing, cap, standing
from uei.antiabuse.defaulters.policy import DefaultersPolicy, OnStoreError, Verdict
from uei.antiabuse.identity import Family, family_named

__all__ = [
    "Decision",
    "Evidence",
    "Reach",
    "Reason",
    "SettleWith",
    "decide",
    "family_of",
    "passable",
    "people",
    "reach",
    "without_evidence",
]

PHONE = Family.PHONE


def family_of(token: str) -> Family:
    """The family a token (``family:hex``) belongs to."""
    return family_named(token.partition(":")[0])


@dataclass(frozen=True, slots=True)
class Evidence:
    neighbours: Mapping[str, Mapping[str, float]]
    """token -> {neighbour token: when the pair was last seen together}"""
    degrees: Mapping[str, Mapping[str, int]]
    """token -> {family: distinct neighbours of that family}"""
    cases_by_token: Mapping[str, Sequence[str]]
    cases: Mapping[str, Case]


def people(token: str, degrees: Mapping[str, Mapping[str, int]], policy: DefaultersPolicy) -> int:
    """How many distinct people ``token`` was seen with, estimated by its largest count of
    neighbours in a person family other than its own."""
    own = family_of(token)
    counts = degrees.get(token, {})
    return max((counts.get(f, 0) for f in policy.person_families if f != own), default=0)


def usable(token: str, degrees: Mapping[str, Mapping[str, int]], policy: DefaultersPolicy) -> bool:
    return people(token, degrees, policy) <= policy.fanout_limit


def passable(
    a: str,
    b: str,
    seen: float,
    degrees: Mapping[str, Mapping[str, int]],
    policy: DefaultersPolicy,
    now: float,
) -> bool:
    """May evidence cross the link a-b (last seen together at ``seen``)?"""
    if not usable(b, degrees, policy):
        return False
    phone_link = PHONE in (family_of(a), family_of(b))
    return not phone_link or now - seen <= policy.horizon_seconds


@dataclass(frozen=True, slots=True)
class Reach:
    score: float
    """Best product of strengths over a path from a presented identifier."""
    strong: float
    """The same over paths with no phone number on them (0 when there is none)."""
    hops: int
    """Links crossed on the best path (0: presented directly)."""


def reach(
    query: Iterable[str], evidence: Evidence, policy: DefaultersPolicy, now: float
) -> dict[str, Reach]:
    """Every token evidence reaches from ``query`` within ``max_hops`` links."""
    strength = policy.strength.by_family().__getitem__
    best: dict[str, Reach] = {}
    for token in query:
        if usable(token, evidence.degrees, policy):
            s = strength(family_of(token))
            best[token] = Reach(s, 0.0 if family_of(token) == PHONE else s, 0)
    # Each round extends only the paths the previous round ended (a snapshot), so no path
    # grows by two links in one round, whatever order the identifiers came in.
    frontier = dict(best)
    for hop in range(1, policy.max_hops + 1):
        improved: dict[str, Reach] = {}
        for token, here in frontier.items():
            for other, seen in evidence.neighbours.get(token, {}).items():
                if not passable(token, other, seen, evidence.degrees, policy, now):
                    continue
                s = strength(family_of(other))
                score = here.score * s
                strong = 0.0 if family_of(other) == PHONE else here.strong * s
                was = improved.get(other) or best.get(other)
                if was is None or score > was.score or strong > was.strong:
                    improved[other] = Reach(
                        max(score, was.score if was else 0.0),
                        max(strong, was.strong if was else 0.0),
                        hop if was is None or score > was.score else was.hops,
                    )
        best.update(improved)
        frontier = improved
    return best


class Reason(msgspec.Struct, frozen=True):
    kind: str
    """The family that matched: phone, upi_vpa, vehicle, credential, battery or device."""
    match: str
    """``direct`` (presented now and named in a case) or ``linked`` (reached over links)."""
    hops: int
    strength: float


class SettleWith(msgspec.Struct, frozen=True):
    creditor: str
    case_id: str


class Decision(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    verdict: Verdict
    score: float
    reasons: list[Reason] = []
    case_count: int = 0
    outstanding_band: str | None = None
    oldest_case_days: int | None = None
    disputed_cases: int = 0
    phone_only: bool = False
    """The score would block, but the evidence rests on phone numbers: capped."""
    settle_with: list[SettleWith] | None = None


def _noisy_or(values: Iterable[float]) -> float:
    miss = 1.0
    for v in values:
        miss *= 1.0 - v
    return 1.0 - miss


def _combined(matched: Iterable[Reach], value: Callable[[Reach], float]) -> float:
    """How strongly one case is matched. Identifiers presented now and named in the case are
    independent evidence and compound; evidence reached over links counts by its best single
    path, since several links from one shared identifier (a family's car) are one piece of
    evidence, not several."""
    found = list(matched)
    direct = _noisy_or(value(r) for r in found if r.hops == 0)
    return max(direct, max((value(r) for r in found if r.hops > 0), default=0.0))


def _phone_fresh(
    token: str, case: Case, evidence: Evidence, policy: DefaultersPolicy, now: float
) -> bool:
    """Was this phone number last seen with the case's person within the horizon?"""
    links = evidence.neighbours.get(token, {})
    last = max([case.occurred_at, *(links.get(t, 0.0) for t in case.tokens if t != token)])
    return now - last <= policy.horizon_seconds


def band(amount: float, edges: Sequence[float]) -> str:
    """``<500``, ``500-2000``, ..., ``10000+`` (INR)."""
    lower = 0.0
    for edge in edges:
        if amount < edge:
            return f"<{edge:g}" if lower == 0 else f"{lower:g}-{edge:g}"
        lower = edge
    return f"{lower:g}+"


def decide(
    query: Sequence[str], evidence: Evidence, policy: DefaultersPolicy, now: float
) -> Decision:
    reached = reach(query, evidence, policy, now)
    supporting: list[tuple[Case, Verdict, float, list[Reason]]] = []
    phone_only = False
    for case_id in sorted({c for t in reached for c in evidence.cases_by_token.get(t, ())}):
        case = evidence.cases.get(case_id)
        if case is None or standing(case, now, policy) is not Standing.COUNTS:
            continue
        matched = {
            t: reached[t]
            for t in case.tokens
            if t in reached
            and (family_of(t) != PHONE or _phone_fresh(t, case, evidence, policy, now))
        }
        score = _combined(matched.values(), lambda r: r.score)
        strong = _combined(matched.values(), lambda r: r.strong)
        if score <= 0.0:  # nothing counts, whatever the thresholds
            continue
        if strong > 0.0 and strong >= policy.thresholds.block:
            verdict = Verdict.BLOCK
        elif score >= policy.thresholds.prepaid_only:
            verdict = Verdict.PREPAID_ONLY
            phone_only = phone_only or score >= policy.thresholds.block
        else:
            continue
        reasons = [
            Reason(family_of(t), "direct" if r.hops == 0 else "linked", r.hops, round(r.score, 3))
            for t, r in matched.items()
        ]
        supporting.append((case, cap(case, verdict, policy), score, reasons))
    if not supporting:
        return Decision(verdict=Verdict.ALLOW, score=0.0)
    verdict = max((v for _, v, _, _ in supporting), key=lambda v: v.rank)
    merged: dict[tuple[str, str, int], Reason] = {}
    for _, _, _, reasons in supporting:
        for r in reasons:
            key = (r.kind, r.match, r.hops)
            if key not in merged or merged[key].strength < r.strength:
                merged[key] = r
    cases = [c for c, _, _, _ in supporting]
    return Decision(
        verdict=verdict,
        score=round(max(s for _, _, s, _ in supporting), 3),
        reasons=sorted(merged.values(), key=lambda r: (-r.strength, r.kind, r.hops)),
        case_count=len(cases),
        outstanding_band=band(sum(c.amount_paise for c in cases) / 100, policy.amount_bands),
        oldest_case_days=int((now - min(c.occurred_at for c in cases)) // DAY),
        disputed_cases=sum(1 for c in cases if c.status is CaseStatus.DISPUTED),
        phone_only=phone_only and verdict is not Verdict.BLOCK,
        settle_with=[SettleWith(c.creditor, c.case_id) for c in cases]
        if policy.disclose_creditors
        else None,
    )


def without_evidence(mode: OnStoreError) -> Decision:
    """The decision when the store cannot be read: ``allow``, or (``deny``) ``prepaid_only``,
    which lets the user charge but not on credit. Nothing is matched, so nothing is said."""
    verdict = Verdict.ALLOW if mode is OnStoreError.ALLOW else Verdict.PREPAID_ONLY
    return Decision(verdict=verdict, score=0.0)
