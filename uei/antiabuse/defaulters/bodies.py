"""What the non-payer API reads and answers, and the checks a body needs before the service.

Identifiers become tokens here (``tokens_of``); the raw values go no further. A status query
(or a dispute) presents at most ``MAX_QUERY_IDENTIFIERS`` identifiers, at most
``MAX_OF_ONE_KIND`` of one kind: one query cannot test a list of phone numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import msgspec

from uei.antiabuse.defaulters.ledger import Standing
from uei.antiabuse.defaulters.policy import MAX_OF_ONE_KIND, MAX_QUERY_IDENTIFIERS
from uei.antiabuse.defaulters.service import Context, Purpose
from uei.antiabuse.defaulters.verdict import Reason, SettleWith
from uei.antiabuse.identity import FAMILIES, IdentifierError, Kind, token
from uei.errors import InvalidIdentifier, InvalidRequest

__all__ = [
    "ActionBody",
    "Amount",
    "CaseAnswer",
    "DisputeBody",
    "Identifier",
    "ObservationBody",
    "ReportBody",
    "ResolveBody",
    "StatusAnswer",
    "StatusBody",
    "check_presented",
    "check_target",
    "paise",
    "tokens_of",
]

MAX_IDENTIFIERS = 16
"""Identifiers one report or observation may carry (a session's, not a query's)."""


class Identifier(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: str
    """phone, upi_vpa, vin, chassis, battery_id, rfid, ocpp_id_tag or device."""
    value: str
    scope: str | None = None
    """For ``device``: the app (BAP subscriber id) the device id belongs to; default: the
    caller."""


_Recorded = Annotated[list[Identifier], msgspec.Meta(min_length=1, max_length=MAX_IDENTIFIERS)]
_Presented = Annotated[
    list[Identifier], msgspec.Meta(min_length=1, max_length=MAX_QUERY_IDENTIFIERS)
]
_CaseId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
_RequestId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class Amount(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    value: str
    """Rupees as a decimal string, e.g. ``"420.00"``."""
    currency: str


class ReportBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    session_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    """The CPO's own reference for the unpaid session; a retry with it returns the same case."""
    amount: Amount
    occurred_at: datetime
    """When the session ended unpaid (the debt was due); the notice period runs from here."""
    identifiers: _Recorded


class ObservationBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    observed_at: datetime
    context: Context
    identifiers: Annotated[list[Identifier], msgspec.Meta(min_length=2, max_length=MAX_IDENTIFIERS)]


class StatusBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    purpose: Purpose
    identifiers: _Presented
    """At most 8, at most 2 of one kind (a VIN and a chassis number are one kind, vehicle;
    an RFID card and an OCPP idTag one, credential). Each costs one unit of query quota."""


class ActionBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A settle or withdraw. The signature covers the body only: naming the case in it binds
    the signature to the case, and ``request_id`` makes every action's signature its own."""

    case_id: _CaseId
    """The case acted on: the one in the path."""
    request_id: _RequestId
    """Any text unique to this request (a UUID)."""


class DisputeBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    case_id: _CaseId
    """The case disputed: the one in the path."""
    request_id: _RequestId
    """Any text unique to this request (a UUID)."""
    identifiers: _Presented
    """What the person in front of the CPO presents now; one must be named in the case."""


class ResolveBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    case_id: _CaseId
    """The case resolved: the one in the path."""
    request_id: _RequestId
    """Any text unique to this request (a UUID)."""
    outcome: Annotated[str, msgspec.Meta(pattern="^(confirmed|cancelled)$")]
    """``confirmed``: the debt stands (the case counts again, and cannot be disputed again);
    ``cancelled``: it was not owed (the case is void)."""


class CaseAnswer(msgspec.Struct, frozen=True):
    case_id: str
    status: str
    standing: Standing
    """counts, in_notice (the notice period has not passed), expired or closed."""


class StatusAnswer(msgspec.Struct, frozen=True, omit_defaults=True):
    verdict: str
    """What to do now: allow, prepaid_only or block (``allow`` in shadow mode)."""
    score: float
    reasons: list[Reason]
    case_count: int
    disputed_cases: int
    phone_only: bool
    path: str
    """How the answer was reached: ``store``, or, when the store did not answer,
    ``allow-on-error`` or ``deny-on-error`` (the policy's ``on_store_error``)."""
    outstanding_band: str | None = None
    oldest_case_days: int | None = None
    settle_with: list[SettleWith] | None = None
    shadow_verdict: str | None = None
    """In shadow mode: the verdict that would have been enforced."""


def check_target(path_case_id: str, body: ActionBody | DisputeBody | ResolveBody) -> None:
    """The signed body must name the case the path does."""
    if body.case_id != path_case_id:
        raise InvalidRequest(
            "the body names another case than the path; sign a body naming the case acted on",
            "case_id",
        )


def check_presented(identifiers: Sequence[Identifier]) -> None:
    """At most ``MAX_OF_ONE_KIND`` identifiers of one kind; ``InvalidRequest`` names the first
    beyond. (Unknown kinds are left to ``tokens_of``, which names them.)"""
    seen: Counter[str] = Counter()
    for i, ident in enumerate(identifiers):
        try:
            family = FAMILIES[Kind(ident.kind)]
        except ValueError:
            continue
        seen[family] += 1
        if seen[family] > MAX_OF_ONE_KIND:
            raise InvalidRequest(
                f"identifiers[{i}]: at most {MAX_OF_ONE_KIND} identifiers of one kind "
                f"({family}) per query",
                f"identifiers[{i}]",
            )


def tokens_of(secret: bytes, identifiers: Sequence[Identifier], caller: str) -> list[str]:
    """Every identifier as a token, or ``InvalidIdentifier`` naming the first that fails."""
    found: list[str] = []
    for i, ident in enumerate(identifiers):
        try:
            kind = Kind(ident.kind)
        except ValueError:
            raise InvalidIdentifier(
                f"identifiers[{i}]: unknown kind {ident.kind[:32]!r}; one of "
                + ", ".join(k.value for k in Kind),
                f"identifiers[{i}].kind",
            ) from None
        try:
            found.append(str(token(secret, kind, ident.value, ident.scope or caller)))
        except IdentifierError as exc:
            raise InvalidIdentifier(
                f"identifiers[{i}] ({exc.kind}): {exc.reason}", f"identifiers[{i}].value"
            ) from None
    return list(dict.fromkeys(found))


def paise(amount: Amount) -> int:
    if amount.currency != "INR":
        raise InvalidRequest("only INR debts are recorded", "amount.currency")
    try:
        value = Decimal(amount.value)
    except InvalidOperation:
        raise InvalidRequest("not a decimal amount, e.g. 420.00", "amount.value") from None
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidRequest("a positive amount with at most two decimals", "amount.value")
    if value > 10_000_000:
        raise InvalidRequest("larger than any charging session", "amount.value")
    return int(value * 100)


def timestamp(value: datetime, field: str) -> float:
    if value.tzinfo is None:
        raise InvalidRequest("times must carry a zone, e.g. 2026-01-01T00:00:00Z", field)
    return value.timestamp()
