"""The defaulter verdicts scored against the ground truth: precision and recall of ``block``,
recall per kept identifier, false positives per segment, blocks resting on a phone number."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from bench.drivers.defaulters_replay import Answer, Replay
from bench.generators.population import (
    KEPT_KINDS,
    Ident,
    Person,
    Population,
    Report,
)
from bench.reports.figures import Figures
from bench.reports.ratios import fraction, ratio
from uei.antiabuse.defaulters.policy import DefaultersPolicy

TARGET_PRECISION = 0.995
TARGET_STRONG_RECALL = 0.90


def fmt(n: int, d: int) -> str:
    return fraction(n, d, 4)


def strong_families(policy: DefaultersPolicy) -> list[str]:
    strengths = policy.strength.by_family()
    return [f for f, s in strengths.items() if s >= policy.thresholds.block]


def phone_only_block(a: Answer) -> bool:
    return a.verdict == "block" and (not a.reasons or all(k == "phone" for k, _, _ in a.reasons))


def _pattern(a: Answer) -> str:
    return " + ".join(sorted({f"{k}/{'d' if m == 'direct' else f'{h}h'}" for k, m, h in a.reasons}))


def _presented_kept(a: Answer, person: Person, first_case_ids: set[Ident]) -> str:
    """Which of the defaulting account's identifiers (other than the phone) this query
    presented."""
    shown = sorted(
        {i.kind for i in a.query.identifiers if i in first_case_ids and i.kind != "phone"}
    )
    return ",".join(shown) or "none"


def figures(population: Population, result: Replay, policy: DefaultersPolicy) -> Figures:
    out = Figures()
    persons = {p.pid: p for p in population.persons}
    answers = result.answers
    block = [a.verdict == "block" for a in answers]
    restrict = [a.verdict in ("block", "prepaid_only") for a in answers]
    truth = [a.truth for a in answers]

    def confusion(flags: Sequence[bool], name: str) -> None:
        tp = sum(1 for f, t in zip(flags, truth, strict=True) if f and t)
        fp = sum(1 for f, t in zip(flags, truth, strict=True) if f and not t)
        fn = sum(1 for f, t in zip(flags, truth, strict=True) if t and not f)
        out.say(f"  {name:<26} precision {fmt(tp, tp + fp)}   recall {fmt(tp, tp + fn)}")

    out.say("Status queries: precision and recall against the truth (a case counts now)")
    confusion(block, "block")
    confusion(restrict, "block or prepaid_only")

    positives = [a for a in answers if a.truth]

    def recall_row(name: str, group: list[Answer]) -> None:
        b = sum(1 for a in group if a.verdict == "block")
        r = sum(1 for a in group if a.verdict in ("block", "prepaid_only"))
        people = len({a.query.pid for a in group})
        out.say(
            f"  {name:<34} block {fmt(b, len(group)):<22} "
            f"block|prepaid {fmt(r, len(group)):<22} people {people}"
        )

    strong = strong_families(policy)
    out.say()
    out.say(f"Recall on queries by defaulters with a counting case (strong families: {strong})")
    strong_group = [a for a in positives if persons[a.query.pid].strong_reuse]
    recall_row("reuse >= 1 strong identifier", strong_group)
    recall_row("reuse no strong identifier", [a for a in positives if a not in strong_group])
    for kind in ("same_account", "keep", "change_all"):
        recall_row(f"type {kind}", [a for a in positives if persons[a.query.pid].defaulter == kind])
    for kind in KEPT_KINDS:
        recall_row(
            f"keep: kept {kind} (among others)",
            [
                a
                for a in positives
                if persons[a.query.pid].defaulter == "keep" and kind in persons[a.query.pid].kept
            ],
        )
        recall_row(
            f"keep: kept only {kind}",
            [
                a
                for a in positives
                if persons[a.query.pid].defaulter == "keep" and persons[a.query.pid].kept == (kind,)
            ],
        )
    for role in ("honest", "family", "fleet"):
        recall_row(
            f"defaulter role {role}", [a for a in positives if persons[a.query.pid].role == role]
        )
    recall_row(
        "all but change_all",
        [a for a in positives if persons[a.query.pid].defaulter != "change_all"],
    )

    out.say()
    out.say("False positives on queries whose person has no counting case, by segment")
    out.say(f"  {'segment':<34} {'block':<24} {'block|prepaid':<24} people blocked")
    negatives = [a for a in answers if not a.truth]
    by_segment: dict[str, list[Answer]] = defaultdict(list)
    for a in negatives:
        p = persons[a.query.pid]
        key = p.segment if p.defaulter is None else f"{p.segment} [{a.phase}]"
        by_segment[key].append(a)
    for key, group in sorted(by_segment.items()):
        b = sum(1 for a in group if a.verdict == "block")
        r = sum(1 for a in group if a.verdict in ("block", "prepaid_only"))
        blocked = len({a.query.pid for a in group if a.verdict == "block"})
        people = len({a.query.pid for a in group})
        out.say(f"  {key:<34} {fmt(b, len(group)):<24} {fmt(r, len(group)):<24} {blocked}/{people}")

    phone_blocks = sum(1 for a in answers if phone_only_block(a))
    capped_blocks = sum(1 for a in answers if a.verdict == "block" and a.phone_only)
    capped = sum(1 for a in answers if a.phone_only)
    out.say()
    out.say(f"Blocks resting only on a phone number: {phone_blocks}")
    out.say(f"  blocks flagged phone_only: {capped_blocks}; answers capped as phone_only: {capped}")

    fps = Counter(
        f"{persons[a.query.pid].segment}: {_pattern(a)}"
        for a in answers
        if a.verdict == "block" and not a.truth
    )
    if fps:
        out.say()
        out.say("False blocks by segment and reasons (kind/direct or hops)")
        for key, n in fps.most_common(12):
            out.say(f"  {n:>6}  {key}")
    first_ids: dict[int, set[Ident]] = defaultdict(set)
    for e in population.events:
        if isinstance(e, Report) and e.pid not in first_ids:
            first_ids[e.pid] = set(e.identifiers)
    misses = Counter(
        f"{persons[a.query.pid].defaulter} kept={','.join(persons[a.query.pid].kept)} "
        f"presented={_presented_kept(a, persons[a.query.pid], first_ids[a.query.pid])} "
        f"-> {a.verdict}"
        for a in strong_group
        if a.verdict != "block"
    )
    if misses:
        out.say()
        out.say("Missed blocks of strong reusers (what of the unpaid session's ids was presented)")
        for key, n in misses.most_common(12):
            out.say(f"  {n:>6}  {key}")

    tp = sum(1 for f, t in zip(block, truth, strict=True) if f and t)
    fp = sum(1 for f, t in zip(block, truth, strict=True) if f and not t)
    sb = sum(1 for a in strong_group if a.verdict == "block")
    out.say()
    out.say("Targets (docs/architecture.md, Numbers)")
    out.target(
        f"block precision >= {TARGET_PRECISION}",
        tp + fp > 0 and ratio(tp, tp + fp) >= TARGET_PRECISION,
        fmt(tp, tp + fp),
    )
    out.target(
        f"block recall, strong reusers >= {TARGET_STRONG_RECALL}",
        bool(strong_group) and ratio(sb, len(strong_group)) >= TARGET_STRONG_RECALL,
        fmt(sb, len(strong_group)),
    )
    out.target("blocks resting only on a phone number == 0", phone_blocks == 0, str(phone_blocks))
    out.target("no request failed", not result.errors, str(sum(result.errors.values())))
    return out
