"""Verdicts from hand-built evidence (uei/antiabuse/defaulters/verdict.py): the linking rules
of the README's non-payer section."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from uei.antiabuse.defaulters.ledger import DAY, Case, CaseStatus
from uei.antiabuse.defaulters.policy import DefaultersPolicy, Verdict
from uei.antiabuse.defaulters.verdict import (
    Decision,
    Evidence,
    Reason,
    SettleWith,
    band,
    decide,
    reach,
)
from uei.antiabuse.identity import Family

NOW = 2_000 * DAY
POLICY = DefaultersPolicy()
FAMILIES = ("phone", "upi_vpa", "vehicle", "credential", "battery", "device")

Link = tuple[str, str, float]


def a_case(
    case_id: str,
    *tokens: str,
    age_days: float = 30,
    status: CaseStatus = CaseStatus.OPEN,
    disputed_days_ago: float | None = None,
    amount_inr: float = 420,
    creditor: str = "cpo.creditor.example",
) -> Case:
    occurred = NOW - age_days * DAY
    disputed_at = None if disputed_days_ago is None else NOW - disputed_days_ago * DAY
    if status is CaseStatus.DISPUTED and disputed_at is None:
        disputed_at = NOW - DAY
    return Case(
        case_id=case_id,
        creditor=creditor,
        session_ref=f"ref-{case_id}",
        amount_paise=round(amount_inr * 100),
        currency="INR",
        occurred_at=occurred,
        reported_at=occurred + 3600,
        tokens=tokens,
        status=status,
        disputed_at=disputed_at,
    )


def evidence(
    cases: Iterable[Case] = (),
    links: Iterable[Link] = (),
    degrees: Mapping[str, Mapping[str, int]] | None = None,
) -> Evidence:
    """Links are (a, b, days since the pair was last seen together), stored both ways."""
    neighbours: dict[str, dict[str, float]] = {}
    for a, b, days in links:
        neighbours.setdefault(a, {})[b] = NOW - days * DAY
        neighbours.setdefault(b, {})[a] = NOW - days * DAY
    by_token: dict[str, list[str]] = {}
    by_id = {}
    for case in cases:
        by_id[case.case_id] = case
        for token in case.tokens:
            by_token.setdefault(token, []).append(case.case_id)
    return Evidence(neighbours, dict(degrees or {}), by_token, by_id)


def policy(**changes: Any) -> DefaultersPolicy:
    """A policy as the loader would build it, constraints checked."""
    return msgspec.convert(changes, DefaultersPolicy)


def verdict_of(query: Sequence[str], ev: Evidence, pol: DefaultersPolicy = POLICY) -> Verdict:
    return decide(query, ev, pol, NOW).verdict


# --- direct matches -----------------------------------------------------------------------


def test_a_direct_upi_match_blocks() -> None:
    got = decide(["upi_vpa:aa"], evidence([a_case("c1", "upi_vpa:aa", "phone:p1")]), POLICY, NOW)
    assert got.verdict is Verdict.BLOCK
    assert got.score == 1.0
    assert got.reasons == [Reason("upi_vpa", "direct", 0, 1.0)]
    assert got.case_count == 1
    assert got.oldest_case_days == 30
    assert got.disputed_cases == 0
    assert not got.phone_only


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("upi_vpa", Verdict.BLOCK),
        ("credential", Verdict.BLOCK),
        ("battery", Verdict.BLOCK),
        ("vehicle", Verdict.PREPAID_ONLY),
        ("device", Verdict.PREPAID_ONLY),
        ("phone", Verdict.PREPAID_ONLY),
    ],
)
def test_a_direct_match_under_the_default_strengths(family: str, expected: Verdict) -> None:
    token = f"{family}:aa"
    got = decide([token], evidence([a_case("c1", token)]), POLICY, NOW)
    assert got.verdict is expected
    assert got.score == round(POLICY.strength.of(Family(family)), 3)
    assert not got.phone_only


def test_a_vehicle_alone_is_prepaid_only_not_block() -> None:
    got = decide(["vehicle:v1"], evidence([a_case("c1", "vehicle:v1", "upi_vpa:aa")]), POLICY, NOW)
    assert got.verdict is Verdict.PREPAID_ONLY
    assert got.score == 0.7
    assert got.reasons == [Reason("vehicle", "direct", 0, 0.7)]


def test_matches_in_one_case_add_up() -> None:
    ev = evidence([a_case("c1", "vehicle:v1", "device:d1")])
    got = decide(["vehicle:v1", "device:d1"], ev, POLICY, NOW)
    assert got.score == round(1 - 0.3 * 0.4, 3)  # noisy-or: 0.88
    assert got.verdict is Verdict.PREPAID_ONLY
    assert [r.kind for r in got.reasons] == ["vehicle", "device"]
    tuned = policy(thresholds={"block": 0.85})
    assert verdict_of(["vehicle:v1", "device:d1"], ev, tuned) is Verdict.BLOCK


def test_links_from_one_shared_identifier_do_not_compound() -> None:
    """A family member presents the car they share with a defaulter: the car matches the case
    directly, and the defaulter's VPA and device hang off that same car. That is one piece of
    evidence (the car), not three: no block for the sibling."""
    ev = evidence(
        [a_case("c1", "vehicle:car", "upi_vpa:debtor", "device:debtor")],
        links=[("vehicle:car", "upi_vpa:debtor", 40), ("vehicle:car", "device:debtor", 40)],
        degrees={"vehicle:car": {"upi_vpa": 3}},
    )
    got = decide(["vehicle:car", "upi_vpa:sibling"], ev, POLICY, NOW)
    assert got.verdict is Verdict.PREPAID_ONLY
    assert got.score == 0.7
    assert {(r.kind, r.match) for r in got.reasons} == {
        ("vehicle", "direct"),
        ("upi_vpa", "linked"),
        ("device", "linked"),
    }


def test_a_weak_match_below_the_prepaid_threshold_allows() -> None:
    ev = evidence([a_case("c1", "device:d1")])
    assert decide(["device:d1"], ev, policy(thresholds={"prepaid_only": 0.7}), NOW) == Decision(
        verdict=Verdict.ALLOW, score=0.0
    )


def test_nothing_on_record_allows() -> None:
    got = decide(["upi_vpa:aa", "phone:p1"], evidence(), POLICY, NOW)
    assert got == Decision(verdict=Verdict.ALLOW, score=0.0)
    assert got.settle_with is None
    assert got.outstanding_band is None


# --- phone numbers ------------------------------------------------------------------------


def test_a_phone_only_match_never_blocks_even_at_full_strength() -> None:
    strong_phone = policy(strength={"phone": 1.0})
    got = decide(["phone:p1"], evidence([a_case("c1", "phone:p1")]), strong_phone, NOW)
    assert got.verdict is Verdict.PREPAID_ONLY
    assert got.score == 1.0
    assert got.phone_only


def test_several_phones_in_one_case_still_never_block() -> None:
    phones = [f"phone:p{i}" for i in range(4)]  # noisy-or of four 0.5s is 0.9375
    got = decide(phones, evidence([a_case("c1", *phones)]), POLICY, NOW)
    assert got.score >= POLICY.thresholds.block
    assert got.verdict is Verdict.PREPAID_ONLY
    assert got.phone_only


def test_a_phone_only_match_below_the_block_score_is_not_flagged_phone_only() -> None:
    got = decide(["phone:p1"], evidence([a_case("c1", "phone:p1")]), POLICY, NOW)
    assert got.verdict is Verdict.PREPAID_ONLY
    assert not got.phone_only


def test_phone_only_is_not_reported_when_other_evidence_blocks() -> None:
    pol = policy(strength={"phone": 1.0})
    ev = evidence([a_case("c1", "phone:p1"), a_case("c2", "upi_vpa:aa")])
    got = decide(["phone:p1", "upi_vpa:aa"], ev, pol, NOW)
    assert got.verdict is Verdict.BLOCK
    assert not got.phone_only


@pytest.mark.parametrize("hop_through", ["start", "end"])
def test_evidence_through_a_phone_link_never_blocks(hop_through: str) -> None:
    pol = policy(strength={"phone": 1.0})
    if hop_through == "start":  # presented phone, linked to the VPA in the case
        query, ev = (
            ["phone:p1"],
            evidence([a_case("c1", "upi_vpa:aa")], [("phone:p1", "upi_vpa:aa", 1)]),
        )
    else:  # presented VPA, linked to the phone in the case
        query, ev = (
            ["upi_vpa:bb"],
            evidence([a_case("c1", "phone:p1")], [("upi_vpa:bb", "phone:p1", 1)]),
        )
    got = decide(query, ev, pol, NOW)
    assert got.score == 1.0
    assert got.verdict is Verdict.PREPAID_ONLY
    assert got.phone_only


def test_a_recycled_phone_does_not_inherit_its_old_owners_debt() -> None:
    # the debt is 200 days old (still counting), the number was last seen with its debtor
    # then, and since with someone new: the new owner presents it
    ev = evidence(
        [a_case("c1", "phone:p1", "upi_vpa:old", age_days=200)],
        [("phone:p1", "upi_vpa:old", 200), ("phone:p1", "upi_vpa:new", 1)],
    )
    assert decide(["phone:p1"], ev, POLICY, NOW) == Decision(verdict=Verdict.ALLOW, score=0.0)
    assert verdict_of(["phone:p1", "upi_vpa:new"], ev) is Verdict.ALLOW
    # the debtor's own VPA still blocks
    assert verdict_of(["upi_vpa:old"], ev) is Verdict.BLOCK


@pytest.mark.parametrize(
    ("last_seen_days", "expected"),
    [
        (200, Verdict.ALLOW),
        (91, Verdict.ALLOW),
        (89, Verdict.PREPAID_ONLY),
        (10, Verdict.PREPAID_ONLY),
    ],
)
def test_a_phone_counts_while_last_seen_with_the_case_s_person_within_the_horizon(
    last_seen_days: float, expected: Verdict
) -> None:
    ev = evidence(
        [a_case("c1", "phone:p1", "upi_vpa:old", age_days=200)],
        [("phone:p1", "upi_vpa:old", last_seen_days)],
    )
    assert verdict_of(["phone:p1"], ev) is expected


@pytest.mark.parametrize(
    ("age_days", "expected"), [(89, Verdict.PREPAID_ONLY), (91, Verdict.ALLOW)]
)
def test_without_links_the_session_itself_is_when_the_phone_was_last_seen(
    age_days: float, expected: Verdict
) -> None:
    ev = evidence([a_case("c1", "phone:p1", "upi_vpa:old", age_days=age_days)])
    assert verdict_of(["phone:p1"], ev) is expected


def test_the_recycling_horizon_follows_the_policy() -> None:
    ev = evidence([a_case("c1", "phone:p1", age_days=200)])
    assert verdict_of(["phone:p1"], ev) is Verdict.ALLOW
    assert verdict_of(["phone:p1"], ev, policy(recycling_horizon_days=365)) is Verdict.PREPAID_ONLY


@pytest.mark.parametrize(
    ("link_days", "expected"), [(100, Verdict.ALLOW), (80, Verdict.PREPAID_ONLY)]
)
@pytest.mark.parametrize("phone_end", ["presented", "in the case"])
def test_a_phone_link_older_than_the_horizon_carries_no_evidence(
    link_days: float, expected: Verdict, phone_end: str
) -> None:
    if phone_end == "presented":
        query, case = ["phone:p1"], a_case("c1", "upi_vpa:old")
    else:
        query, case = ["upi_vpa:new"], a_case("c1", "phone:p1")
    ev = evidence(
        [case],
        [("phone:p1", "upi_vpa:old" if phone_end == "presented" else "upi_vpa:new", link_days)],
    )
    assert verdict_of(query, ev) is expected


def test_an_old_link_between_non_phone_identifiers_still_carries_evidence() -> None:
    ev = evidence([a_case("c1", "upi_vpa:old")], [("vehicle:v1", "upi_vpa:old", 300)])
    assert verdict_of(["vehicle:v1"], ev) is Verdict.PREPAID_ONLY


def test_a_zero_block_threshold_still_never_blocks_on_phone_numbers() -> None:
    # block needs a score from phone-free paths; a phone-only match has none at all
    pol = policy(thresholds={"block": 0.0, "prepaid_only": 0.0})
    got = decide(["phone:p1"], evidence([a_case("c1", "phone:p1")]), pol, NOW)
    assert got.verdict is Verdict.PREPAID_ONLY


@pytest.mark.parametrize("block", [0.0, 0.9])
def test_a_recycled_phone_counts_for_nothing_even_at_a_zero_prepaid_threshold(
    block: float,
) -> None:
    # the number was last seen with the debtor 200 days ago: the case matches nothing
    ev = evidence([a_case("c1", "phone:p1", "upi_vpa:old", age_days=200)])
    pol = policy(thresholds={"block": block, "prepaid_only": 0.0})
    assert decide(["phone:p1"], ev, pol, NOW) == Decision(verdict=Verdict.ALLOW, score=0.0)


# --- fan-out ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "expected"),
    [(6, Verdict.ALLOW), (5, Verdict.PREPAID_ONLY), (0, Verdict.PREPAID_ONLY)],
)
@pytest.mark.parametrize("family", ["upi_vpa", "credential"])
def test_a_fleet_vehicle_matched_directly_counts_for_nothing(
    people: int, expected: Verdict, family: str
) -> None:
    ev = evidence([a_case("c1", "vehicle:v1")], degrees={"vehicle:v1": {family: people}})
    assert verdict_of(["vehicle:v1"], ev) is expected


@pytest.mark.parametrize(("people", "expected"), [(6, Verdict.ALLOW), (5, Verdict.PREPAID_ONLY)])
def test_a_fleet_vehicle_carries_no_evidence_as_a_link(people: int, expected: Verdict) -> None:
    ev = evidence(
        [a_case("c1", "upi_vpa:debtor")],
        [("upi_vpa:me", "vehicle:v1", 1), ("vehicle:v1", "upi_vpa:debtor", 1)],
        {"vehicle:v1": {"upi_vpa": people}},
    )
    assert verdict_of(["upi_vpa:me"], ev) is expected


@pytest.mark.parametrize(("people", "expected"), [(6, Verdict.ALLOW), (5, Verdict.BLOCK)])
def test_a_shared_identifier_reached_over_a_link_counts_for_nothing(
    people: int, expected: Verdict
) -> None:
    ev = evidence(
        [a_case("c1", "upi_vpa:shared")],
        [("upi_vpa:me", "upi_vpa:shared", 1)],
        {"upi_vpa:shared": {"credential": people}},
    )
    assert verdict_of(["upi_vpa:me"], ev) is expected


def test_only_person_families_other_than_its_own_count_as_people() -> None:
    ev = evidence(
        [a_case("c1", "upi_vpa:aa")],
        degrees={"upi_vpa:aa": {"upi_vpa": 50, "device": 50, "vehicle": 50, "phone": 50}},
    )
    assert verdict_of(["upi_vpa:aa"], ev) is Verdict.BLOCK
    # once devices stand for people, fifty of them is a shared identifier
    assert verdict_of(["upi_vpa:aa"], ev, policy(person_families=["device"])) is Verdict.ALLOW


def test_the_fanout_limit_follows_the_policy() -> None:
    ev = evidence([a_case("c1", "vehicle:v1")], degrees={"vehicle:v1": {"upi_vpa": 2}})
    assert verdict_of(["vehicle:v1"], ev, policy(fanout_limit=2)) is Verdict.PREPAID_ONLY
    assert verdict_of(["vehicle:v1"], ev, policy(fanout_limit=1)) is Verdict.ALLOW


# --- hops ---------------------------------------------------------------------------------


CHAIN = evidence(
    [a_case("c1", "upi_vpa:far")],
    [("upi_vpa:me", "upi_vpa:mid", 1), ("upi_vpa:mid", "upi_vpa:far", 1)],
)


@pytest.mark.parametrize(
    ("max_hops", "expected"),
    [(0, Verdict.ALLOW), (1, Verdict.ALLOW), (2, Verdict.BLOCK), (4, Verdict.BLOCK)],
)
def test_evidence_crosses_at_most_max_hops_links(max_hops: int, expected: Verdict) -> None:
    assert verdict_of(["upi_vpa:me"], CHAIN, policy(max_hops=max_hops)) is expected


def test_max_hops_zero_still_sees_direct_matches() -> None:
    got = decide(["upi_vpa:far"], CHAIN, policy(max_hops=0), NOW)
    assert got.verdict is Verdict.BLOCK
    assert got.reasons == [Reason("upi_vpa", "direct", 0, 1.0)]


def test_linked_matches_say_how_many_hops() -> None:
    got = decide(["upi_vpa:me"], CHAIN, POLICY, NOW)
    assert got.reasons == [Reason("upi_vpa", "linked", 2, 1.0)]


@pytest.mark.parametrize(
    "query",
    [["device:d1", "upi_vpa:u1"], ["upi_vpa:u1", "device:d1"]],
    ids=["device first", "vpa first"],
)
def test_max_hops_holds_whatever_order_identifiers_are_presented_in(query: list[str]) -> None:
    # Within two links the credential is reached only as device -> x -> credential
    # (0.6 * 1.0 * 0.95 = 0.57); the strong route u1 -> y -> x -> credential is three links.
    ev = evidence(
        [a_case("c1", "credential:z")],
        [
            ("device:d1", "upi_vpa:x", 1),
            ("upi_vpa:u1", "upi_vpa:y", 1),
            ("upi_vpa:y", "upi_vpa:x", 1),
            ("upi_vpa:x", "credential:z", 1),
        ],
    )
    reached = reach(query, ev, POLICY, NOW)["credential:z"]
    assert reached.score == pytest.approx(0.57)
    got = decide(query, ev, POLICY, NOW)
    assert got.verdict is Verdict.PREPAID_ONLY
    assert got.score == 0.57


# --- cases that do not count, disputes ----------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        a_case("c1", "upi_vpa:aa", age_days=3),
        a_case("c1", "upi_vpa:aa", age_days=400),
        a_case("c1", "upi_vpa:aa", status=CaseStatus.SETTLED),
        a_case("c1", "upi_vpa:aa", status=CaseStatus.WITHDRAWN),
        a_case("c1", "upi_vpa:aa", status=CaseStatus.VOID),
        a_case("c1", "upi_vpa:aa", age_days=60, status=CaseStatus.DISPUTED, disputed_days_ago=31),
    ],
    ids=["in notice", "expired", "settled", "withdrawn", "void", "dispute unresolved"],
)
def test_cases_that_do_not_count_allow(case: Case) -> None:
    assert decide(["upi_vpa:aa"], evidence([case]), POLICY, NOW) == Decision(
        verdict=Verdict.ALLOW, score=0.0
    )


def test_a_case_id_without_its_case_is_ignored() -> None:
    ev = evidence([a_case("c1", "upi_vpa:aa", status=CaseStatus.SETTLED)])
    broken = Evidence(ev.neighbours, ev.degrees, {"upi_vpa:aa": ["c1", "gone"]}, ev.cases)
    assert verdict_of(["upi_vpa:aa"], broken) is Verdict.ALLOW


@pytest.mark.parametrize(
    ("limit", "expected"),
    [("prepaid_only", Verdict.PREPAID_ONLY), ("block", Verdict.BLOCK), ("allow", Verdict.ALLOW)],
)
def test_a_disputed_case_is_capped(limit: str, expected: Verdict) -> None:
    ev = evidence([a_case("c1", "upi_vpa:aa", status=CaseStatus.DISPUTED, disputed_days_ago=2)])
    got = decide(["upi_vpa:aa"], ev, policy(dispute={"cap": limit}), NOW)
    assert got.verdict is expected
    assert got.disputed_cases == 1
    assert got.case_count == 1


def test_an_undisputed_case_still_blocks_beside_a_disputed_one() -> None:
    ev = evidence(
        [
            a_case("c1", "upi_vpa:aa", status=CaseStatus.DISPUTED),
            a_case("c2", "credential:cc"),
        ]
    )
    got = decide(["upi_vpa:aa", "credential:cc"], ev, POLICY, NOW)
    assert got.verdict is Verdict.BLOCK
    assert (got.case_count, got.disputed_cases) == (2, 1)


# --- what a decision says -----------------------------------------------------------------


SECRET_LOOKING = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def test_reasons_name_families_never_identifiers() -> None:
    upi, phone, vin = f"upi_vpa:{SECRET_LOOKING}", f"phone:{SECRET_LOOKING[::-1]}", "vehicle:abc123"
    ev = evidence(
        [a_case("c1", upi, phone), a_case("c2", vin, creditor="cpo.b")],
        [(upi, vin, 1)],
    )
    got = decide([upi, phone], ev, policy(disclose_creditors=True), NOW)
    assert got.verdict is Verdict.BLOCK
    assert {r.kind for r in got.reasons} == {"upi_vpa", "phone", "vehicle"}
    assert {r.kind for r in got.reasons} <= set(FAMILIES)
    encoded = msgspec.json.encode(got).decode()
    for value in (SECRET_LOOKING, SECRET_LOOKING[::-1], "abc123"):
        assert value not in encoded
    assert Reason("vehicle", "linked", 1, 0.7) in got.reasons


def test_creditors_are_named_only_when_the_policy_discloses_them() -> None:
    ev = evidence(
        [
            a_case("c1", "upi_vpa:aa", creditor="cpo.a"),
            a_case("c2", "vehicle:v1", creditor="cpo.b"),
            a_case("c3", "upi_vpa:aa", creditor="cpo.c", status=CaseStatus.SETTLED),
        ]
    )
    query = ["upi_vpa:aa", "vehicle:v1"]
    assert decide(query, ev, POLICY, NOW).settle_with is None
    got = decide(query, ev, policy(disclose_creditors=True), NOW)
    assert got.settle_with == [SettleWith("cpo.a", "c1"), SettleWith("cpo.b", "c2")]
    assert got.case_count == 2


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ([420], "<500"),
        ([499.99], "<500"),
        ([300, 200], "500-2000"),
        ([1999], "500-2000"),
        ([2000], "2000-10000"),
        ([5000, 5000], "10000+"),
    ],
)
def test_the_outstanding_amount_is_reported_as_a_band(amounts: list[float], expected: str) -> None:
    cases = [a_case(f"c{i}", "upi_vpa:aa", amount_inr=a) for i, a in enumerate(amounts)]
    cases.append(a_case("settled", "upi_vpa:aa", amount_inr=50_000, status=CaseStatus.SETTLED))
    got = decide(["upi_vpa:aa"], evidence(cases), POLICY, NOW)
    assert got.outstanding_band == expected
    assert got.case_count == len(amounts)


@pytest.mark.parametrize(
    ("amount", "edges", "expected"),
    [
        (0, [500, 2000, 10000], "<500"),
        (500, [500, 2000, 10000], "500-2000"),
        (9999.99, [500, 2000, 10000], "2000-10000"),
        (10000, [500, 2000, 10000], "10000+"),
        (99, [100.5], "<100.5"),
        (100.5, [100.5], "100.5+"),
    ],
)
def test_band(amount: float, edges: list[float], expected: str) -> None:
    assert band(amount, edges) == expected


def test_the_oldest_case_is_reported_in_whole_days() -> None:
    ev = evidence(
        [a_case("c1", "upi_vpa:aa", age_days=40.7), a_case("c2", "upi_vpa:aa", age_days=9)]
    )
    got = decide(["upi_vpa:aa"], ev, POLICY, NOW)
    assert got.oldest_case_days == 40
    assert got.case_count == 2


# --- properties over random evidence ------------------------------------------------------


POOL = [f"{family}:{i:02x}" for family in FAMILIES for i in range(2)]
PHONES = [t for t in POOL if t.startswith("phone:")]
unit = st.floats(0, 1)
days = st.floats(0, 500)


@st.composite
def policies(draw: st.DrawFn) -> DefaultersPolicy:
    low, high = sorted([draw(unit), draw(unit)])
    return policy(
        strength={f: draw(unit) for f in FAMILIES},
        person_families=draw(st.lists(st.sampled_from(FAMILIES), unique=True)),
        fanout_limit=draw(st.integers(1, 4)),
        recycling_horizon_days=draw(days),
        max_hops=draw(st.integers(0, 4)),
        notice_days=draw(st.floats(0, 30)),
        case_expiry_days=draw(days),
        dispute={
            "cap": draw(st.sampled_from([v.value for v in Verdict])),
            "expire_days": draw(st.floats(0, 100)),
        },
        thresholds={"block": high, "prepaid_only": low},
        disclose_creditors=draw(st.booleans()),
    )


@st.composite
def cases(draw: st.DrawFn, tokens: Sequence[str], statuses: Sequence[CaseStatus]) -> list[Case]:
    found = []
    for i in range(draw(st.integers(0, 4))):
        status = draw(st.sampled_from(statuses))
        age = draw(days)
        disputed = draw(st.floats(0, age)) if status is CaseStatus.DISPUTED else None
        found.append(
            a_case(
                f"c{i}",
                *draw(st.lists(st.sampled_from(tokens), min_size=1, max_size=4, unique=True)),
                age_days=age,
                status=status,
                disputed_days_ago=disputed,
                amount_inr=draw(st.integers(50, 20_000)),
                creditor=draw(st.sampled_from(["cpo.a", "cpo.b"])),
            )
        )
    return found


@st.composite
def graphs(
    draw: st.DrawFn,
    case_tokens: Sequence[str] = POOL,
    statuses: Sequence[CaseStatus] = tuple(CaseStatus),
) -> Evidence:
    links = draw(
        st.lists(
            st.tuples(st.sampled_from(POOL), st.sampled_from(POOL), days).filter(
                lambda link: link[0] != link[1]
            ),
            max_size=14,
        )
    )
    degrees = draw(
        st.dictionaries(
            st.sampled_from(POOL),
            st.dictionaries(st.sampled_from(FAMILIES), st.integers(0, 6), max_size=3),
            max_size=6,
        )
    )
    return evidence(draw(cases(case_tokens, statuses)), links, degrees)


# Found by the properties below; kept so that they fail on every run, not by chance.
ZERO_THRESHOLDS = policy(thresholds={"block": 0.0, "prepaid_only": 0.0})
ONE_PHONE_CASE = evidence([a_case("c0", "phone:00")])
FOUR_LINKS_WITHIN_TWO = evidence(
    [a_case("c1", "credential:z")],
    [
        ("device:d1", "upi_vpa:x", 1),
        ("upi_vpa:u1", "upi_vpa:y", 1),
        ("upi_vpa:y", "upi_vpa:x", 1),
        ("upi_vpa:x", "credential:z", 1),
    ],
)

queries = st.lists(st.sampled_from(POOL), min_size=1, max_size=4, unique=True)
FEW = settings(max_examples=150, deadline=None)


def well_formed(got: Decision, pol: DefaultersPolicy) -> None:
    assert 0.0 <= got.score <= 1.0
    assert {r.kind for r in got.reasons} <= set(FAMILIES)
    assert all(0.0 <= r.strength <= 1.0 for r in got.reasons)
    assert (got.settle_with is not None) is (pol.disclose_creditors and got.case_count > 0)
    if got.case_count == 0:
        assert got == Decision(verdict=Verdict.ALLOW, score=0.0)


@FEW
@given(graphs(), queries, policies())
def test_any_decision_is_well_formed(ev: Evidence, query: list[str], pol: DefaultersPolicy) -> None:
    well_formed(decide(query, ev, pol, NOW), pol)


@FEW
@given(graphs(case_tokens=PHONES), queries, policies())
@example(ONE_PHONE_CASE, ["phone:00"], ZERO_THRESHOLDS)
def test_cases_naming_only_phone_numbers_never_block(
    ev: Evidence, query: list[str], pol: DefaultersPolicy
) -> None:
    got = decide(query, ev, pol, NOW)
    assert got.verdict is not Verdict.BLOCK
    well_formed(got, pol)


@FEW
@given(graphs(), st.lists(st.sampled_from(PHONES), min_size=1, unique=True), policies())
@example(ONE_PHONE_CASE, ["phone:00"], ZERO_THRESHOLDS)
def test_presenting_only_phone_numbers_never_blocks(
    ev: Evidence, query: list[str], pol: DefaultersPolicy
) -> None:
    got = decide(query, ev, pol, NOW)
    assert got.verdict is not Verdict.BLOCK
    well_formed(got, pol)


@FEW
@given(graphs(statuses=[CaseStatus.DISPUTED]), queries, policies())
def test_disputed_cases_never_exceed_the_dispute_cap(
    ev: Evidence, query: list[str], pol: DefaultersPolicy
) -> None:
    got = decide(query, ev, pol, NOW)
    assert got.verdict.rank <= pol.dispute.cap.rank
    assert got.disputed_cases == got.case_count
    well_formed(got, pol)


def best_within_hops(
    query: Sequence[str], ev: Evidence, pol: DefaultersPolicy
) -> dict[str, tuple[float, float]]:
    """An independent model of ``reach``: the best products of strengths over walks of at most
    ``max_hops`` links (all paths, any walk, score and phone-free score), layer by layer."""

    def family(token: str) -> str:
        return token.split(":", 1)[0]

    def shared(token: str) -> bool:
        counts = ev.degrees.get(token, {})
        others = [counts.get(f, 0) for f in pol.person_families if f != family(token)]
        return max(others, default=0) > pol.fanout_limit

    def strength(token: str) -> float:
        return float(getattr(pol.strength, family(token)))

    layer = {
        t: (strength(t), 0.0 if family(t) == "phone" else strength(t))
        for t in query
        if not shared(t)
    }
    best = dict(layer)
    for _ in range(pol.max_hops):
        following: dict[str, tuple[float, float]] = {}
        for token, (score, strong) in layer.items():
            for other, seen in ev.neighbours.get(token, {}).items():
                stale = NOW - seen > pol.recycling_horizon_days * DAY
                if shared(other) or ("phone" in (family(token), family(other)) and stale):
                    continue
                s = strength(other)
                step = (score * s, 0.0 if family(other) == "phone" else strong * s)
                was = following.get(other, (0.0, 0.0))
                following[other] = (max(was[0], step[0]), max(was[1], step[1]))
        layer = following
        for token, (score, strong) in layer.items():
            was = best.get(token, (0.0, 0.0))
            best[token] = (max(was[0], score), max(was[1], strong))
    return best


@FEW
@given(graphs(), queries, policies())
@example(FOUR_LINKS_WITHIN_TWO, ["upi_vpa:u1", "device:d1"], POLICY)
def test_reach_finds_the_best_evidence_within_max_hops(
    ev: Evidence, query: list[str], pol: DefaultersPolicy
) -> None:
    model = best_within_hops(query, ev, pol)
    got = reach(query, ev, pol, NOW)
    assert set(got) == set(model)
    for token, found in got.items():
        score, strong = model[token]
        assert math.isclose(found.score, score, rel_tol=1e-9, abs_tol=1e-12), token
        assert math.isclose(found.strong, strong, rel_tol=1e-9, abs_tol=1e-12), token
        assert 0 <= found.hops <= pol.max_hops
