"""The scraping API's bodies and answers, as msgspec Structs (decoded strictly)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from uei.antiabuse.quotas.rules import QuotaAction
from uei.antiabuse.scraping.forwarded import BapRequest
from uei.antiabuse.scraping.query import SearchQuery
from uei.antiabuse.scraping.verdicts import BapVerdict

__all__ = [
    "MAX_EVENTS",
    "BapReport",
    "CheckAnswer",
    "CheckBody",
    "EventType",
    "EventsAnswer",
    "EventsBody",
    "WireEvent",
]

MAX_EVENTS = 1000
"""Events per ``POST /abuse/events`` batch."""

SubscriberId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$")]
MessageId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
UserRef = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
TransactionId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
EventType = Literal["search", "select", "init", "confirm", "cancel"]


class CheckBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A gateway names the BAP, action and message (``search`` too, for a search); a BPP
    forwards the BAP's own signed request (``bap_request``) and they are read from it (any
    stated anyway must agree with it)."""

    bap_id: SubscriberId | None = None
    """The BAP whose request is being relayed."""
    action: QuotaAction | None = None
    message_id: MessageId | None = None
    """The Beckn message id of the request checked: checking it again costs nothing."""
    search: SearchQuery | None = None
    """For ``search``: where and how wide (wider searches cost more)."""
    user_ref: UserRef | None = None
    """The BAP's own (pseudonymous) reference for its user: from a gateway only."""
    bap_request: BapRequest | None = None
    """The BAP's signed request as the relay received it: required from a BPP."""


class CheckAnswer(msgspec.Struct, frozen=True, omit_defaults=True):
    decision: Literal["allow", "deny"]
    limit: int
    """Units per window of the rule as applied (a throttled BAP's is smaller)."""
    remaining: int
    reset: int
    """Seconds until the BAP's quota is full again."""
    verdict: str
    """The strongest scraping action applied to the BAP: none, flag, coarsen, throttle or
    block."""
    reasons: list[str]
    path: str
    """How it was decided: store, local (store unreachable: this replica's share of the
    rule), allow-on-error or deny-on-error."""
    rule: str
    cost: int
    coarsen: bool
    """Blur availability in the answer to this BAP (e.g. free/busy -> 'some available')."""
    duplicate: bool
    shadow_decision: str | None = None
    """In shadow mode: the decision that would have been enforced."""
    shadow_verdict: str | None = None


class WireEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """From a gateway: ``type``, ``bap_id``, ``message_id``, ``at`` and the rest as needed.
    From a BPP: ``bap_request`` (the BAP's signed request), which gives the type (its
    ``context.action``), BAP, message id, search, CPO (``context.bpp_id``) and time (when
    the BAP signed it); ``location_id`` for the funnel steps."""

    type: EventType | None = None
    bap_id: SubscriberId | None = None
    message_id: MessageId | None = None
    at: datetime | None = None
    """When it happened (features are computed on event time)."""
    search: SearchQuery | None = None
    """For ``search`` events."""
    bpp_id: SubscriberId | None = None
    """For select, init, confirm and cancel: the CPO."""
    location_id: Annotated[str, msgspec.Meta(min_length=1, max_length=256)] | None = None
    via: SubscriberId | None = None
    """For searches: who relayed it (default: the caller)."""
    user_ref: UserRef | None = None
    transaction_id: TransactionId | None = None
    """Beckn's ``context.transaction_id``, when the relay knows it: it ties a select or
    booking to the searches of the same transaction. Optional; stored only as a digest. With
    ``bap_request`` it is read from the BAP's signed context (a stated one must agree)."""
    bap_request: BapRequest | None = None
    """The BAP's signed request as the relay received it: required from a BPP."""


class EventsBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    events: Annotated[list[WireEvent], msgspec.Meta(min_length=1, max_length=MAX_EVENTS)]


class EventsAnswer(msgspec.Struct, frozen=True):
    received: int
    recorded: int
    """Events not seen before (an event is recorded once per BAP, type and message id)."""


class BapReport(msgspec.Struct, frozen=True, omit_defaults=True):
    bap_id: str
    verdict: BapVerdict | None
    """The latest scoring pass's verdict (none before the BAP's first scored window)."""
    history: list[BapVerdict]
    """Earlier verdicts, newest first."""
    quotas: dict[str, str]
    """action -> the rule that applies now, as ``<limit> per <window> s (<rule name>)``."""
