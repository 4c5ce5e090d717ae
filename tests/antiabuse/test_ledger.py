"""The defaulter ledger's pure core (uei/antiabuse/defaulters/ledger.py): who may change a
case, and when a case counts towards a verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from uei.antiabuse.defaulters.ledger import (
    DAY,
    Action,
    Case,
    CaseStatus,
    Standing,
    act,
    cap,
    standing,
)
from uei.antiabuse.defaulters.policy import DefaultersPolicy, DisputePolicy, Verdict
from uei.errors import Forbidden, InvalidTransition

CREDITOR = "cpo.creditor.example"
OTHER = "cpo.other.example"
T0 = 1_000 * DAY

POLICY = DefaultersPolicy()  # notice 7 days, expiry 365 days, disputes expire after 30 days


BASE = Case(
    case_id="case-1",
    creditor=CREDITOR,
    session_ref="session-1",
    amount_paise=42_000,
    currency="INR",
    occurred_at=T0,
    reported_at=T0 + 3600,
    tokens=("upi_vpa:aa", "phone:p1"),
    updated=T0 + 3600,
    version=3,
)


def a_case(**changes: Any) -> Case:
    return msgspec.structs.replace(BASE, **changes)


def fields_of(case: Case, *leave_out: str) -> dict[str, object]:
    return {f: getattr(case, f) for f in case.__struct_fields__ if f not in leave_out}


SHOWN = ("upi_vpa:aa",)
"""What the person in front of a disputing CPO presents: an identifier the case names."""


def disputed(at: float = T0 + DAY) -> Case:
    return act(a_case(), Action.DISPUTE, OTHER, at, SHOWN)


# --- act: what may be done, by whom ------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "after"),
    [(Action.SETTLE, CaseStatus.SETTLED), (Action.WITHDRAW, CaseStatus.WITHDRAWN)],
)
def test_the_creditor_settles_or_withdraws_an_open_case(action: Action, after: CaseStatus) -> None:
    case = a_case()
    changed = act(case, action, CREDITOR, T0 + 2 * DAY)
    assert changed.status is after
    assert changed.updated == T0 + 2 * DAY
    assert changed.disputed_at is None
    assert not changed.dispute_confirmed
    # the store bumps the version itself (optimistic concurrency): act leaves it alone
    assert changed.version == case.version
    assert fields_of(changed, "status", "updated") == fields_of(case, "status", "updated")


@pytest.mark.parametrize("actor", [CREDITOR, OTHER])
def test_any_cpo_may_dispute_an_open_case(actor: str) -> None:
    changed = act(a_case(), Action.DISPUTE, actor, T0 + 5 * DAY, SHOWN)
    assert changed.status is CaseStatus.DISPUTED
    assert changed.disputed_at == T0 + 5 * DAY
    assert changed.updated == T0 + 5 * DAY
    assert not changed.dispute_confirmed


@pytest.mark.parametrize(
    ("action", "after"),
    [
        (Action.SETTLE, CaseStatus.SETTLED),
        (Action.WITHDRAW, CaseStatus.WITHDRAWN),
        (Action.CONFIRM, CaseStatus.OPEN),
        (Action.CANCEL, CaseStatus.VOID),
    ],
)
def test_the_creditor_resolves_a_dispute(action: Action, after: CaseStatus) -> None:
    changed = act(disputed(), action, CREDITOR, T0 + 3 * DAY)
    assert changed.status is after
    assert changed.updated == T0 + 3 * DAY
    assert changed.dispute_confirmed is (action is Action.CONFIRM)


@pytest.mark.parametrize(
    ("case", "action"),
    [
        (a_case(), Action.SETTLE),
        (a_case(), Action.WITHDRAW),
        (disputed(), Action.SETTLE),
        (disputed(), Action.WITHDRAW),
        (disputed(), Action.CONFIRM),
        (disputed(), Action.CANCEL),
    ],
)
def test_only_the_creditor_may_settle_withdraw_or_resolve(case: Case, action: Action) -> None:
    before = fields_of(case)
    with pytest.raises(Forbidden):
        act(case, action, OTHER, T0 + 3 * DAY)
    assert fields_of(case) == before


@pytest.mark.parametrize("action", [Action.CONFIRM, Action.CANCEL])
def test_an_open_case_has_no_dispute_to_resolve(action: Action) -> None:
    with pytest.raises(InvalidTransition):
        act(a_case(), action, CREDITOR, T0 + DAY)


@pytest.mark.parametrize("presented", [(), ("upi_vpa:bb",), ("phone:p2", "vehicle:v1")])
def test_a_dispute_must_present_an_identifier_the_case_names(presented: tuple[str, ...]) -> None:
    """The disputing CPO has the person in front of it: without one of the case's
    identifiers it is a stranger's case, and it stays as it was."""
    case = a_case()
    with pytest.raises(Forbidden, match="none of the identifiers presented") as refused:
        act(case, Action.DISPUTE, OTHER, T0 + DAY, presented)
    assert refused.value.path == "identifiers"
    assert act(case, Action.DISPUTE, OTHER, T0 + DAY, ("phone:p1",)).status is CaseStatus.DISPUTED


def test_a_disputed_case_cannot_be_disputed_again() -> None:
    with pytest.raises(InvalidTransition):
        act(disputed(), Action.DISPUTE, CREDITOR, T0 + 2 * DAY, SHOWN)


@pytest.mark.parametrize("actor", [CREDITOR, OTHER])
def test_a_debt_confirmed_after_a_dispute_cannot_be_disputed_again(actor: str) -> None:
    confirmed = act(disputed(), Action.CONFIRM, CREDITOR, T0 + 2 * DAY)
    assert confirmed.status is CaseStatus.OPEN
    assert confirmed.dispute_confirmed
    with pytest.raises(InvalidTransition):
        act(confirmed, Action.DISPUTE, actor, T0 + 3 * DAY, SHOWN)
    # but the creditor can still settle or withdraw it
    assert act(confirmed, Action.SETTLE, CREDITOR, T0 + 4 * DAY).status is CaseStatus.SETTLED


@pytest.mark.parametrize(
    "terminal",
    [
        act(a_case(), Action.SETTLE, CREDITOR, T0 + DAY),
        act(a_case(), Action.WITHDRAW, CREDITOR, T0 + DAY),
        act(disputed(), Action.CANCEL, CREDITOR, T0 + 2 * DAY),
    ],
    ids=["settled", "withdrawn", "void"],
)
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("actor", [CREDITOR, OTHER])
def test_closed_cases_refuse_everything(terminal: Case, action: Action, actor: str) -> None:
    with pytest.raises(InvalidTransition):
        act(terminal, action, actor, T0 + 10 * DAY, SHOWN)


# --- standing: when a case counts ---------------------------------------------------------


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [
        (0, Standing.IN_NOTICE),
        (6.99, Standing.IN_NOTICE),
        (7, Standing.COUNTS),
        (200, Standing.COUNTS),
        (364.99, Standing.COUNTS),
        (365, Standing.EXPIRED),
        (2_000, Standing.EXPIRED),
    ],
)
def test_an_open_case_counts_between_notice_and_expiry(age_days: float, expected: Standing) -> None:
    assert standing(a_case(), T0 + age_days * DAY, POLICY) is expected


def test_notice_and_expiry_follow_the_policy() -> None:
    policy = DefaultersPolicy(notice_days=0, case_expiry_days=10)
    assert standing(a_case(), T0, policy) is Standing.COUNTS
    assert standing(a_case(), T0 + 9.9 * DAY, policy) is Standing.COUNTS
    assert standing(a_case(), T0 + 10 * DAY, policy) is Standing.EXPIRED
    longer = DefaultersPolicy(notice_days=30)
    assert standing(a_case(), T0 + 29 * DAY, longer) is Standing.IN_NOTICE
    assert standing(a_case(), T0 + 30 * DAY, longer) is Standing.COUNTS


def test_a_disputed_case_expires_when_its_dispute_is_left_unresolved() -> None:
    case = disputed(at=T0 + 10 * DAY)
    assert standing(case, T0 + 10 * DAY, POLICY) is Standing.COUNTS
    assert standing(case, T0 + 39.9 * DAY, POLICY) is Standing.COUNTS
    assert standing(case, T0 + 40 * DAY, POLICY) is Standing.EXPIRED
    short = DefaultersPolicy(dispute=DisputePolicy(expire_days=2))
    assert standing(case, T0 + 11.9 * DAY, short) is Standing.COUNTS
    assert standing(case, T0 + 12 * DAY, short) is Standing.EXPIRED


def test_a_disputed_case_in_its_notice_period_is_still_in_notice() -> None:
    assert standing(disputed(at=T0 + DAY), T0 + 2 * DAY, POLICY) is Standing.IN_NOTICE


def test_a_confirmed_debt_no_longer_expires_with_its_old_dispute() -> None:
    confirmed = act(disputed(at=T0 + 10 * DAY), Action.CONFIRM, CREDITOR, T0 + 11 * DAY)
    assert standing(confirmed, T0 + 100 * DAY, POLICY) is Standing.COUNTS


@pytest.mark.parametrize(
    "closed",
    [
        act(a_case(), Action.SETTLE, CREDITOR, T0 + 8 * DAY),
        act(a_case(), Action.WITHDRAW, CREDITOR, T0 + 8 * DAY),
        act(disputed(), Action.CANCEL, CREDITOR, T0 + 8 * DAY),
    ],
    ids=["settled", "withdrawn", "void"],
)
@pytest.mark.parametrize("age_days", [0, 8, 100, 400])
def test_settled_withdrawn_and_void_cases_are_closed_at_any_time(
    closed: Case, age_days: float
) -> None:
    assert standing(closed, T0 + age_days * DAY, POLICY) is Standing.CLOSED


# --- cap ---------------------------------------------------------------------------------


@pytest.mark.parametrize("verdict", list(Verdict))
def test_cap_leaves_undisputed_cases_alone(verdict: Verdict) -> None:
    assert cap(a_case(), verdict, POLICY) is verdict
    confirmed = act(disputed(), Action.CONFIRM, CREDITOR, T0 + 2 * DAY)
    assert cap(confirmed, verdict, POLICY) is verdict


@pytest.mark.parametrize("limit", list(Verdict))
@pytest.mark.parametrize("verdict", list(Verdict))
def test_cap_holds_a_disputed_case_to_the_dispute_cap(limit: Verdict, verdict: Verdict) -> None:
    policy = DefaultersPolicy(dispute=DisputePolicy(cap=limit))
    capped = cap(disputed(), verdict, policy)
    assert capped is (verdict if verdict.rank <= limit.rank else limit)


def test_the_default_dispute_cap_is_prepaid_only() -> None:
    assert cap(disputed(), Verdict.BLOCK, POLICY) is Verdict.PREPAID_ONLY


# --- a model of act ----------------------------------------------------------------------


@dataclass
class Model:
    status: CaseStatus
    disputed_at: float | None = None
    dispute_confirmed: bool = False
    updated: float = 0.0


_OPEN_OR_DISPUTED = (CaseStatus.OPEN, CaseStatus.DISPUTED)


def expected(
    model: Model, action: Action, actor: str, now: float, shown: bool
) -> type[Exception] | Model:
    """What act should do, written from the rules rather than from its table. ``shown``: the
    actor presents an identifier the case names."""
    s = model.status
    if s not in _OPEN_OR_DISPUTED:
        return InvalidTransition
    if action is Action.DISPUTE:
        if s is CaseStatus.DISPUTED or model.dispute_confirmed:
            return InvalidTransition
        if not shown:
            return Forbidden
        return Model(CaseStatus.DISPUTED, now, model.dispute_confirmed, now)
    if action in (Action.CONFIRM, Action.CANCEL) and s is not CaseStatus.DISPUTED:
        return InvalidTransition
    if actor != CREDITOR:
        return Forbidden
    after = {
        Action.SETTLE: CaseStatus.SETTLED,
        Action.WITHDRAW: CaseStatus.WITHDRAWN,
        Action.CONFIRM: CaseStatus.OPEN,
        Action.CANCEL: CaseStatus.VOID,
    }[action]
    return Model(after, model.disputed_at, model.dispute_confirmed or action is Action.CONFIRM, now)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0 + 3600
        self.case = a_case()
        self.model = Model(CaseStatus.OPEN, updated=self.case.updated)

    @initialize(version=st.integers(0, 5))
    def start(self, version: int) -> None:
        self.case = a_case(version=version)

    @rule(days=st.floats(0, 60, allow_nan=False))
    def time_passes(self, days: float) -> None:
        self.now += days * DAY

    @rule(
        action=st.sampled_from(list(Action)),
        actor=st.sampled_from([CREDITOR, OTHER, "cpo.third.example"]),
        presented=st.sampled_from([(), ("phone:p1",), ("phone:zz",), ("upi_vpa:zz", "phone:p1")]),
    )
    def do(self, action: Action, actor: str, presented: tuple[str, ...]) -> None:
        before = self.case
        shown = bool(set(presented) & set(before.tokens))
        want = expected(self.model, action, actor, self.now, shown)
        if isinstance(want, Model):
            got = act(before, action, actor, self.now, presented)
            self.case, self.model = got, want
        else:
            with pytest.raises(want):
                act(before, action, actor, self.now, presented)
            assert self.case == before

    @invariant()
    def matches_the_model(self) -> None:
        c, m = self.case, self.model
        assert (c.status, c.disputed_at, c.dispute_confirmed, c.updated) == (
            m.status,
            m.disputed_at,
            m.dispute_confirmed,
            m.updated,
        )

    @invariant()
    def the_report_itself_never_changes(self) -> None:
        original = a_case(version=self.case.version)
        assert self.case.same_report(original)
        assert (self.case.case_id, self.case.creditor, self.case.session_ref) == (
            original.case_id,
            original.creditor,
            original.session_ref,
        )
        assert self.case.reported_at == original.reported_at

    @invariant()
    def closed_exactly_when_settled_withdrawn_or_void(self) -> None:
        closed = standing(self.case, self.now, POLICY) is Standing.CLOSED
        assert closed is (self.case.status not in _OPEN_OR_DISPUTED)


def test_act_follows_the_model() -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(max_examples=150, stateful_step_count=20, deadline=None),
    )
