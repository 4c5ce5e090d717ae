"""Lookup records as deployed clients read them: both naming families, RFC 3339 times."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from uei.registry.model import Key, Role, Subscriber
from uei.trust import der_form

__all__ = ["LookupRecord", "iso", "record"]


def iso(at: float) -> str:
    """RFC 3339 with milliseconds and Z, as Beckn examples and Go's time.Time read them."""
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class LookupRecord(msgspec.Struct, frozen=True):
    """One (role x key) of a subscriber. ``unique_key_id``/``ukId``/``key_id`` and
    ``subscriber_url``/``url`` carry the same values under each family's name."""

    subscriber_id: str
    unique_key_id: str
    ukId: str
    key_id: str
    subscriber_url: str
    url: str
    type: str
    domain: str
    city: str
    country: str
    signing_public_key: str
    encr_public_key: str
    valid_from: str
    valid_until: str
    status: str
    created: str
    updated: str


def record(sub: Subscriber, role: Role, key: Key, *, encr_der: bool = False) -> LookupRecord:
    """``encr_der``: the encryption key as base64 X25519 SPKI DER (ONDC's ``/v2.0/lookup``
    form) instead of raw base64; the same key either way."""
    return LookupRecord(
        subscriber_id=sub.subscriber_id,
        unique_key_id=key.unique_key_id,
        ukId=key.unique_key_id,
        key_id=key.unique_key_id,
        subscriber_url=sub.subscriber_url,
        url=sub.subscriber_url,
        type=role.type.value,
        domain=role.domain,
        city=role.city,
        country=role.country,
        signing_public_key=key.signing_public_key,
        encr_public_key=der_form(key.encr_public_key) if encr_der else key.encr_public_key,
        valid_from=iso(key.valid_from),
        valid_until=iso(key.valid_until),
        status=sub.status.value,
        created=iso(min(sub.created, key.created)),
        updated=iso(max(sub.updated, key.updated)),
    )
