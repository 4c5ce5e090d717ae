"""DeDi "watch" webhooks: who watches what, and what a delivery says. Pure data.

A watch (``POST /dedi/subscribe``) names one record (a subscriber, ``record_name``) or a
whole registry (``registry_tag``) and a ``webhook_url``. Each change-log entry about a watched
record becomes one delivery to each watch, its first attempt at once and then, while the
webhook does not answer 2xx, retries ``registry.dedi.webhook_retry_seconds`` after each
failure (shipped: 1 min, 5 min, 30 min, 2 h, 24 h); after the last the watch is disabled.

A delivery's body is a JSON object::

    {"event_id", "event_type", "timestamp", "namespace_id", "registry_name", "record_name",
     "record_id", "event_data", "webhook_signature": "sha256=<hex>"}

where the hex is ``HMAC-SHA256(webhook_secret, JCS(the object without webhook_signature))``
(RFC 8785 canonical JSON, ``uei.registry.dedi.jcs``). ``event_id`` (``{seq}:{watch_id}``) is
the same on every retry: deliveries are at least once, so a receiver drops repeats by it.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

import msgspec

from uei.registry.changelog import LogEntry
from uei.registry.dedi import jcs
from uei.registry.records import iso

__all__ = [
    "Delivery",
    "EventType",
    "Watch",
    "delivery_body",
    "event_type",
    "next_attempt",
    "sign_payload",
    "verify_payload",
]


class EventType(StrEnum):
    UPDATED = "record.updated"
    SUSPENDED = "record.suspended"
    REVOKED = "record.revoked"


class Watch(msgspec.Struct, frozen=True, kw_only=True):
    watch_id: str
    owner: str
    """The subscriber that registered it (its signature), the only one that lists or ends it."""
    namespace: str
    registry_name: str
    record_name: str | None = None
    """One subscriber's records; None with ``registry_tag``: every record of the registry."""
    registry_tag: str | None = None
    webhook_url: str
    webhook_secret: str
    created: float
    since: int = 0
    """The change log's head when it was made: it is delivered the entries after it (0 for a
    watch stored before this field)."""
    disabled_at: float | None = None
    """When the last retry of a delivery failed: no more deliveries until it is registered
    again."""

    def covers(self, subscriber_id: str, seq: int) -> bool:
        """The change log's entry ``seq`` about ``subscriber_id``: the watch's if it is about
        its records and came after the watch was made (the delivery loop may read the log
        later; positions in the log, not clocks, which differ between replicas)."""
        return (
            self.disabled_at is None
            and self.record_name in (None, subscriber_id)
            and seq > self.since
        )


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    delivery_id: str
    """``{seq}:{watch_id}``: one per log entry and watch."""
    watch_id: str
    body: bytes
    due: float
    attempts: int = 0
    last_status: int | None = None


def event_type(entry: LogEntry) -> EventType:
    """What a change-log entry is to a watcher: a key or a subscriber revoked, a subscriber
    suspended, anything else an update (a key added or verified, a reinstatement...)."""
    if entry.action == "key_revoked" or entry.new_status == "REVOKED":
        return EventType.REVOKED
    if entry.new_status == "SUSPENDED":
        return EventType.SUSPENDED
    return EventType.UPDATED


def sign_payload(secret: str, payload: dict[str, object]) -> str:
    digest = hmac.new(secret.encode(), jcs(payload).encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_payload(secret: str, delivered: dict[str, object]) -> bool:
    """What a receiver does: the signature over the rest of the object, compared in constant
    time."""
    claimed = delivered.get("webhook_signature")
    rest = {k: v for k, v in delivered.items() if k != "webhook_signature"}
    return isinstance(claimed, str) and hmac.compare_digest(claimed, sign_payload(secret, rest))


def delivery_body(
    watch: Watch, entry: LogEntry, record_id: str, state: str, at: float
) -> tuple[str, bytes]:
    """(delivery id, body bytes) of ``entry`` for ``watch``."""
    delivery_id = f"{entry.seq}:{watch.watch_id}"
    payload: dict[str, object] = {
        "event_id": delivery_id,
        "event_type": event_type(entry).value,
        "timestamp": iso(at),
        "namespace_id": watch.namespace,
        "registry_name": watch.registry_name,
        "record_name": entry.subscriber_id,
        "record_id": record_id,
        "event_data": {
            "version": str(entry.seq),
            "at": iso(entry.at),
            "action": entry.action,
            "unique_key_id": entry.unique_key_id,
            "old_status": entry.old_status,
            "new_status": entry.new_status,
            "state": state,
            "hash": entry.hash,
        },
    }
    payload["webhook_signature"] = sign_payload(watch.webhook_secret, payload)
    return delivery_id, msgspec.json.encode(payload)


def next_attempt(delivery: Delivery, retry_seconds: list[float], now: float) -> float | None:
    """When a failed delivery is tried again, or None when its retries are spent (the watch
    is then disabled). ``delivery.attempts`` counts the attempts made, the failed one too."""
    retry = delivery.attempts - 1
    if retry >= len(retry_seconds):
        return None
    return now + retry_seconds[retry]
