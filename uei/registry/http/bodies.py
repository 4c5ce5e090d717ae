"""Request bodies as deployed clients send them, resolved to one spelling.

Clients spell the key id ``unique_key_id``, ``ukId``, ``key_id`` or ``pub_key_id`` and the URL
``subscriber_url`` or ``url``; older beckn-onix builds send empty strings and Go's zero time
for fields they do not mean. All of that is accepted; contradictions are refused by name.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from uei.errors import Forbidden, InvalidRequest
from uei.registry.model import ParticipantType, Status
from uei.registry.operations import SubscribeRequest
from uei.registry.view import LookupFilter

__all__ = ["LookupBody", "SubscribeBody"]

_ZERO_TIME_YEAR = 1
_MAX_FILTER_CHARS = 255
_FILTERS = (
    "subscriber_id",
    "type",
    "domain",
    "city",
    "country",
    "unique_key_id",
    "ukId",
    "key_id",
    "pub_key_id",
    "status",
)


def _given(value: str | None) -> str | None:
    return value if value else None


def _one_of(body: msgspec.Struct, *names: str) -> str | None:
    """The single value given under any of ``names`` (aliases), or an error naming them."""
    values = {n: _given(getattr(body, n)) for n in names}
    given = {n: v for n, v in values.items() if v is not None}
    if len(set(given.values())) > 1:
        raise InvalidRequest(f"{' and '.join(given)} disagree; send one of them", names[0])
    return next(iter(given.values()), None)


def _check_filter(name: str, value: str | None) -> None:
    """A lookup filter is at most 255 printable ASCII characters (no control characters)."""
    if value is None:
        return
    if len(value) > _MAX_FILTER_CHARS:
        raise InvalidRequest(f"{name} is longer than {_MAX_FILTER_CHARS} characters", name)
    if not (value.isascii() and value.isprintable()):
        raise InvalidRequest(f"{name} must be printable ASCII, without control characters", name)


def _time(value: datetime | None) -> float | None:
    if value is None or value.year == _ZERO_TIME_YEAR:
        return None
    if value.tzinfo is None:
        raise InvalidRequest("times must carry a zone, e.g. 2026-01-01T00:00:00Z")
    return value.timestamp()


class _KeyIdAliases(msgspec.Struct, kw_only=True):
    """The key id, under each spelling deployed clients use."""

    unique_key_id: str | None = None
    ukId: str | None = None
    key_id: str | None = None
    pub_key_id: str | None = None

    def key_id_given(self) -> str | None:
        return _one_of(self, "unique_key_id", "ukId", "key_id", "pub_key_id")


class SubscribeBody(_KeyIdAliases, kw_only=True):
    """POST /subscribe. An empty body re-sends the challenge for the caller's pending keys."""

    subscriber_id: str | None = None
    subscriber_url: str | None = None
    url: str | None = None
    type: ParticipantType | None = None
    domain: str | None = None
    city: str | None = None
    country: str | None = None
    unique_key_id: str | None = None
    ukId: str | None = None
    key_id: str | None = None
    pub_key_id: str | None = None
    signing_public_key: str | None = None
    encr_public_key: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    nonce: str | None = None

    def resolve(self, signer_id: str) -> SubscribeRequest:
        sid = _given(self.subscriber_id) or signer_id
        if sid != signer_id:
            raise Forbidden(
                f"the body is for {sid} but the request is signed by {signer_id}", "subscriber_id"
            )
        try:
            valid_from, valid_until = _time(self.valid_from), _time(self.valid_until)
        except InvalidRequest as exc:
            raise InvalidRequest(exc.message, "valid_from") from None
        return SubscribeRequest(
            subscriber_id=sid,
            subscriber_url=_one_of(self, "subscriber_url", "url"),
            type=self.type,
            domain=_given(self.domain),
            city=_given(self.city),
            country=_given(self.country),
            unique_key_id=self.key_id_given(),
            signing_public_key=_given(self.signing_public_key),
            encr_public_key=_given(self.encr_public_key),
            valid_from=valid_from,
            valid_until=valid_until,
        )


class LookupBody(_KeyIdAliases, kw_only=True):
    """POST /lookup and /v2.0/lookup filters; every one optional, unknown fields ignored."""

    subscriber_id: str | None = None
    type: str | None = None
    domain: str | None = None
    city: str | None = None
    country: str | None = None
    unique_key_id: str | None = None
    ukId: str | None = None
    key_id: str | None = None
    pub_key_id: str | None = None
    status: str | None = None

    def resolve(self) -> LookupFilter:
        for name in _FILTERS:
            _check_filter(name, getattr(self, name))
        status = _given(self.status)
        if status is not None and status not in Status.__members__:
            raise InvalidRequest(
                f"status {status!r} is not one of {', '.join(Status.__members__)}", "status"
            )
        return LookupFilter(
            subscriber_id=_given(self.subscriber_id),
            type=_given(self.type),
            domain=_given(self.domain),
            city=_given(self.city),
            country=_given(self.country),
            unique_key_id=self.key_id_given(),
            status=Status(status) if status else None,
        )
