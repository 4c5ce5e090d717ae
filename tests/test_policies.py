"""policies.yaml: the shipped file is the defaults, and bad values are named with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from uei.app.policy import Policies, PolicyError, load_policies, parse_policies

REPO = Path(__file__).resolve().parents[1]


def test_the_shipped_file_states_every_default() -> None:
    assert load_policies(REPO / "policies.yaml") == Policies()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("defaulters:\n  fanout: 3\n", "policies.yaml:2: Object contains unknown field `fanout`"),
        (
            "defaulters:\n  strength:\n    phone: 1.5\n",
            "policies.yaml:3: Expected `float` <= 1",
        ),
        (
            "defaulters:\n  dispute:\n    cap: jail\n",
            "policies.yaml:3: Invalid enum value 'jail'",
        ),
        (
            "defaulters:\n  person_families: [upi_vpa, aadhaar]\n",
            "person_families: 'aadhaar' is not one of",
        ),
        (
            "defaulters:\n  thresholds:\n    block: 0.3\n    prepaid_only: 0.5\n",
            "prepaid_only must not exceed block",
        ),
        ("defaulters:\n  amount_bands: [900, 100]\n", "amount_bands must be in increasing order"),
        # a burst below one full query (8 identifiers) would refuse every full query
        ("defaulters:\n  query_quota:\n    burst: 7\n", "policies.yaml:3: Expected `int` >= 8"),
        ("defaulters:\n  access: everyone\n", "policies.yaml:2: Invalid enum value 'everyone'"),
    ],
)
def test_a_bad_defaulters_section_is_named(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policies(text)
    assert message in str(raised.value)


def test_a_partial_section_keeps_the_other_defaults() -> None:
    policies = parse_policies("defaulters:\n  shadow: true\n  strength:\n    vehicle: 0.9\n")
    assert policies.defaulters.shadow
    assert policies.defaulters.strength.vehicle == 0.9
    assert policies.defaulters.strength.upi_vpa == 1.0
    assert policies.registry == Policies().registry
