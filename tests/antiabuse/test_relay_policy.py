"""``quotas.relays``: each relay's own rule, decoded strictly like every policy section."""

from __future__ import annotations

import pytest

from uei.antiabuse.quotas.rules import QuotaRule, RelayRules
from uei.app.policy import PolicyError, parse_policies


def test_a_relays_override_wins_over_its_types_rule() -> None:
    rules = RelayRules(overrides={"bg.example": QuotaRule(limit=5)})
    assert rules.rule_for("bg.example", gateway=True).name == "relay.bg.example"
    assert rules.rule_for("bg2.example", gateway=True).name == "relay.gateway"
    assert rules.rule_for("cpo.example", gateway=False).name == "relay.bpp"
    assert rules.rule_for("cpo.example", gateway=False).rule == RelayRules().bpp


def test_the_shipped_relay_rules_are_generous() -> None:
    rules = RelayRules()
    assert rules.gateway.limit / rules.gateway.window_seconds >= 10_000
    assert rules.bpp.limit / rules.bpp.window_seconds >= 500


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "quotas:\n  relays:\n    bgp: {limit: 5}\n",
            "policies.yaml:3: Object contains unknown field `bgp`",
        ),
        ("quotas:\n  relays:\n    bpp: {limit: 0}\n", "policies.yaml:3: Expected `int` >= 1"),
        (
            "quotas:\n  relays:\n    overrides:\n      cpo.example: {limit: 5, burst: 9}\n",
            "policies.yaml:4: Object contains unknown field `burst`",
        ),
    ],
)
def test_a_bad_relays_section_is_named_with_its_line(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policies(text)
    assert message in str(raised.value)


def test_a_partial_relays_section_keeps_the_other_defaults() -> None:
    policies = parse_policies("quotas:\n  relays:\n    bpp: {limit: 50, window_seconds: 10}\n")
    relays = policies.quotas.relays
    assert (relays.bpp.limit, relays.bpp.window_seconds) == (50, 10.0)
    assert relays.gateway == RelayRules().gateway
