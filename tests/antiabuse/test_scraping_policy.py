"""The quotas and scraping policy: rule resolution, search cost, action bands, bad files."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uei.antiabuse.quotas.rules import QuotaAction, QuotaRule, QuotasPolicy, SearchCost
from uei.antiabuse.scraping.policy import Actions, ScrapingAction
from uei.app.policy import PolicyError, parse_policies

radii = st.floats(0.01, 500, allow_nan=False)


@given(radii, radii)
def test_a_wider_search_never_costs_less(a: float, b: float) -> None:
    cost = SearchCost()
    low, high = sorted((a, b))
    assert 1 <= cost.of(low) <= cost.of(high) <= cost.max


def test_search_cost_steps() -> None:
    cost = SearchCost()
    assert [cost.of(r) for r in (None, 1, 5, 5.1, 10, 15, 50)] == [1, 1, 1, 2, 2, 3, 10]


def test_the_most_specific_rule_wins() -> None:
    default = QuotasPolicy().tiers["default"]
    policy = QuotasPolicy(
        tiers={"default": default, "large": {QuotaAction.SEARCH: QuotaRule(limit=9000)}},
        members={"big": "large", "odd": "large"},
        overrides={"odd": {QuotaAction.SEARCH: QuotaRule(limit=5)}},
    )
    assert policy.rule_for("small", QuotaAction.SEARCH).name == "search.default"
    assert policy.rule_for("big", QuotaAction.SEARCH).rule.limit == 9000
    assert policy.rule_for("big", QuotaAction.SELECT).name == "select.default"
    assert policy.rule_for("odd", QuotaAction.SEARCH).name == "search.odd"
    assert policy.rule_for("odd", QuotaAction.SEARCH).rule.limit == 5


@given(st.floats(0, 1))
def test_due_actions_are_those_whose_band_the_score_reaches(score: float) -> None:
    actions = Actions()
    due = [a for a, _ in actions.due(score)]
    assert due == [a for a in ScrapingAction if score >= actions.band(a).at]
    # the shipped shadows follow the families evaluation (README, safe shipping): honest BAPs
    # were flagged there, and one coarsened, throttled and blocked: every action in shadow
    assert dict(actions.due(1.0)) == {
        ScrapingAction.FLAG: True,
        ScrapingAction.COARSEN: True,
        ScrapingAction.THROTTLE: True,
        ScrapingAction.BLOCK: True,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("quotas:\n  tiers:\n    large: {}\n", "a `default` tier is required"),
        (
            "quotas:\n  tiers:\n    default:\n      search: {limit: 5}\n",
            "missing cancel, confirm, init, select, status",
        ),
        ("quotas:\n  members: {app: gold}\n", "app is in tier 'gold', which is not defined"),
        (
            "quotas:\n  overrides:\n    app:\n      search: {limit: 0}\n",
            "policies.yaml:4: Expected `int` >= 1",
        ),
        (
            "quotas:\n  overrides:\n    app:\n      sweep: {limit: 3}\n",
            "Invalid enum value 'sweep'",
        ),
        (
            "quotas:\n  tiers:\n    default:\n      search: {limit: 3, on_store_error: retry}\n",
            "Invalid enum value 'retry'",
        ),
        ("scraping:\n  actions:\n    block: {at: 1.5}\n", "Expected `float` <= 1"),
        ("scraping:\n  window: 60\n", "policies.yaml:2: Object contains unknown field `window`"),
    ],
)
def test_bad_quota_and_scraping_sections_are_named(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policies(text)
    assert message in str(raised.value)
