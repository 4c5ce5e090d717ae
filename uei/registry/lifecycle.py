"""The subscriber state machine: the only transitions there are, as one table.

``transition`` is pure: it takes the current status and an event and returns the next status,
or raises ``InvalidTransition`` naming the current state.
"""

from __future__ import annotations

from enum import StrEnum

from uei.errors import InvalidTransition
from uei.registry.model import Status

__all__ = ["TRANSITIONS", "WAYS", "Event", "transition"]


class Event(StrEnum):
    ALLOW = "allow"
    """An operator puts a subscriber_id on the allowlist (allowlist onboarding)."""
    SUBSCRIBE = "subscribe"
    CHALLENGE_PASSED = "challenge_passed"
    AWAIT_APPROVAL = "await_approval"
    """The challenge passed but policy wants an operator's approval."""
    APPROVE = "approve"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"
    UNSUBSCRIBE = "unsubscribe"


S = Status
TRANSITIONS: dict[tuple[Status | None, Event], Status] = {
    (None, Event.ALLOW): S.INITIATED,
    (None, Event.SUBSCRIBE): S.UNDER_SUBSCRIPTION,
    (S.INITIATED, Event.SUBSCRIBE): S.UNDER_SUBSCRIPTION,
    (S.UNDER_SUBSCRIPTION, Event.SUBSCRIBE): S.UNDER_SUBSCRIPTION,
    (S.SUBSCRIBED, Event.SUBSCRIBE): S.SUBSCRIBED,
    (S.EXPIRED, Event.SUBSCRIBE): S.UNDER_SUBSCRIPTION,
    (S.UNSUBSCRIBED, Event.SUBSCRIBE): S.UNDER_SUBSCRIPTION,
    (S.INVALID_SSL, Event.SUBSCRIBE): S.UNDER_SUBSCRIPTION,
    (S.UNDER_SUBSCRIPTION, Event.CHALLENGE_PASSED): S.SUBSCRIBED,
    (S.SUBSCRIBED, Event.CHALLENGE_PASSED): S.SUBSCRIBED,
    (S.UNDER_SUBSCRIPTION, Event.AWAIT_APPROVAL): S.UNDER_SUBSCRIPTION,
    (S.SUBSCRIBED, Event.AWAIT_APPROVAL): S.SUBSCRIBED,
    (S.UNDER_SUBSCRIPTION, Event.APPROVE): S.SUBSCRIBED,
    (S.SUBSCRIBED, Event.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, Event.REINSTATE): S.SUBSCRIBED,
    (S.INITIATED, Event.UNSUBSCRIBE): S.UNSUBSCRIBED,
    (S.UNDER_SUBSCRIPTION, Event.UNSUBSCRIBE): S.UNSUBSCRIBED,
    (S.SUBSCRIBED, Event.UNSUBSCRIBE): S.UNSUBSCRIBED,
    **{(s, Event.REVOKE): S.REVOKED for s in Status if s is not S.REVOKED},
}


WAYS: dict[Event, str | None] = {
    Event.ALLOW: "uei admin allow",
    Event.SUBSCRIBE: "POST /subscribe",
    Event.CHALLENGE_PASSED: "answering its on_subscribe challenge",
    Event.AWAIT_APPROVAL: None,
    Event.APPROVE: "uei admin approve",
    Event.SUSPEND: "uei admin suspend",
    Event.REINSTATE: "uei admin reinstate",
    Event.REVOKE: "uei admin revoke",
    Event.UNSUBSCRIBE: None,
}
"""How a person brings each event about, named in refusals (``None``: no command does; the
registry's own step, or not offered)."""


def transition(current: Status | None, event: Event) -> Status:
    """The next status, or ``InvalidTransition`` saying what the current status is and what
    can be done from it (commands, not the table's internal event names)."""
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        state = current.value if current is not None else "not registered"
        ways = sorted({w for (s, e) in TRANSITIONS if s is current and (w := WAYS[e])})
        raise InvalidTransition(
            f"cannot {event.value} a subscriber that is {state}"
            + (f" (from {state}: {', '.join(ways)})" if ways else "")
        ) from None
