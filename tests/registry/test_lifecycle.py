"""The subscriber state machine: only the table's transitions, and clear refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uei.errors import InvalidTransition
from uei.registry.lifecycle import TRANSITIONS, WAYS, Event, transition
from uei.registry.model import Status

statuses = st.sampled_from([None, *Status])


@given(statuses, st.sampled_from(list(Event)))
def test_transition_is_exactly_the_table(current: Status | None, event: Event) -> None:
    expected = TRANSITIONS.get((current, event))
    if expected is None:
        with pytest.raises(InvalidTransition) as caught:
            transition(current, event)
        state = current.value if current is not None else "not registered"
        assert f"cannot {event.value} a subscriber that is {state}" in str(caught.value)
    else:
        assert transition(current, event) is expected


@given(st.lists(st.sampled_from(list(Event)), max_size=30))
def test_revoked_is_terminal_and_suspended_needs_an_operator(events: list[Event]) -> None:
    status: Status | None = None
    for event in events:
        try:
            after = transition(status, event)
        except InvalidTransition:
            continue
        if status is Status.REVOKED:
            pytest.fail(f"left REVOKED by {event}")
        if status is Status.SUSPENDED and after is not Status.SUSPENDED:
            assert event in (Event.REINSTATE, Event.REVOKE)
        if after is Status.SUBSCRIBED and status is not Status.SUBSCRIBED:
            assert event in (Event.CHALLENGE_PASSED, Event.APPROVE, Event.REINSTATE)
        status = after


def test_refusal_names_the_current_state_and_the_way_out() -> None:
    with pytest.raises(InvalidTransition, match=r"cannot subscribe a subscriber that is SUSPENDED"):
        transition(Status.SUSPENDED, Event.SUBSCRIBE)
    with pytest.raises(
        InvalidTransition, match=r"from SUSPENDED: uei admin reinstate, uei admin revoke\)$"
    ):
        transition(Status.SUSPENDED, Event.SUSPEND)


@given(statuses, st.sampled_from(list(Event)))
def test_a_refusal_names_commands_not_internal_events(current: Status | None, event: Event) -> None:
    """What a person can do next, never the table's own event names (``challenge_passed``)."""
    if (current, event) in TRANSITIONS:
        return
    with pytest.raises(InvalidTransition) as caught:
        transition(current, event)
    _, _, ways = str(caught.value).partition(" (from ")
    for internal in ("challenge_passed", "await_approval"):
        assert internal not in ways


def test_every_event_has_a_way_or_says_it_has_none() -> None:
    assert set(WAYS) == set(Event)
