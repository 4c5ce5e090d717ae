"""What operators see of the ledger and of a verdict's actions: the pure views."""

from __future__ import annotations

import msgspec

from uei.antiabuse.defaulters.ledger import DAY, AuditEntry, Case, CaseStatus
from uei.antiabuse.defaulters.overview import dispute_ages, verdict_mix
from uei.antiabuse.defaulters.policy import DefaultersPolicy, Verdict
from uei.antiabuse.overview import action_rows
from uei.antiabuse.scraping.policy import ActionBand, Actions, ScrapingAction
from uei.antiabuse.scraping.verdicts import BapVerdict

MIDNIGHT = 1_789_948_800.0  # a UTC midnight
assert MIDNIGHT % DAY == 0


def status(at: float, verdict: str, *, shadow: bool = False) -> AuditEntry:
    return AuditEntry(
        at=at, actor="cpo.example", action="status", verdict=verdict,
        note="shadow" if shadow else None,
    )  # fmt: skip


def test_the_verdict_mix_counts_status_queries_per_utc_day_shadow_apart() -> None:
    start, end = MIDNIGHT + 3600, MIDNIGHT + 2 * DAY + 60
    entries = [
        status(MIDNIGHT + 100, "block"),  # before start
        status(MIDNIGHT + 7200, "allow"),
        status(MIDNIGHT + 7300, "allow"),
        status(MIDNIGHT + DAY + 5, "prepaid_only"),
        status(MIDNIGHT + DAY + 6, "block", shadow=True),
        AuditEntry(at=MIDNIGHT + DAY + 7, actor="cpo.example", action="status_refused"),
        AuditEntry(at=MIDNIGHT + DAY + 8, actor="cpo.example", action="report"),
        status(MIDNIGHT + 2 * DAY + 1, "block"),
        status(MIDNIGHT + 2 * DAY + 61, "block"),  # at the end: outside
    ]
    mix = verdict_mix(entries, start, end, complete=True)
    assert mix.days == [MIDNIGHT, MIDNIGHT + DAY, MIDNIGHT + 2 * DAY]
    assert mix.enforced == {
        Verdict.ALLOW: [2, 0, 0],
        Verdict.PREPAID_ONLY: [0, 1, 0],
        Verdict.BLOCK: [0, 0, 1],
    }
    assert mix.shadow[Verdict.BLOCK] == [0, 1, 0]
    assert mix.refused == [0, 1, 0]
    assert mix.read == len(entries)
    msgspec.json.encode(mix)


def case(case_id: str, disputed_at: float | None, updated: float) -> Case:
    return Case(
        case_id=case_id, creditor="cpo.example", session_ref=case_id, amount_paise=100,
        currency="INR", occurred_at=0.0, reported_at=0.0, tokens=("phone:t",),
        status=CaseStatus.DISPUTED, updated=updated, disputed_at=disputed_at,
    )  # fmt: skip


def test_each_dispute_is_aged_against_the_policy_deadline() -> None:
    policy = msgspec.convert({"dispute": {"expire_days": 10}}, DefaultersPolicy)
    now = MIDNIGHT + 20 * DAY
    old, recent, legacy = dispute_ages(
        [case("c1", MIDNIGHT, 0.0), case("c2", now - DAY, 0.0), case("c3", None, now - 2 * DAY)],
        policy,
        now,
    )
    assert (old.age_seconds, old.overdue, old.remaining_seconds) == (20 * DAY, True, -10 * DAY)
    assert old.deadline == MIDNIGHT + 10 * DAY
    assert (recent.age_seconds, recent.overdue, recent.remaining_seconds) == (DAY, False, 9 * DAY)
    assert legacy.disputed_at == now - 2 * DAY  # disputed before disputed_at was kept
    exactly = dispute_ages([case("c4", now - 10 * DAY, 0.0)], policy, now)[0]
    assert exactly.overdue


def test_action_rows_say_what_is_enforced_in_shadow_or_withheld() -> None:
    actions = Actions(
        flag=ActionBand(at=0.5, shadow=True), coarsen=ActionBand(at=0.6, shadow=False)
    )
    verdict = BapVerdict(
        bap_id="b", scored_at=0.0, window_start=0.0, window_end=1.0, score=0.9,
        actions=[ScrapingAction.THROTTLE], shadow_actions=[ScrapingAction.FLAG],
    )  # fmt: skip
    rows = {r.action: r for r in action_rows(verdict, actions)}
    assert [r.action for r in action_rows(verdict, actions)] == list(ScrapingAction)
    assert (rows[ScrapingAction.FLAG].shadow, rows[ScrapingAction.FLAG].enforced) == (True, False)
    assert rows[ScrapingAction.THROTTLE].enforced
    assert rows[ScrapingAction.COARSEN].withheld  # due by the score, applied by neither
    assert not rows[ScrapingAction.BLOCK].due  # 0.9 < 0.95
    assert [r.due for r in action_rows(None, actions)] == [False] * 4
