"""DeDi watch webhooks: ``POST /dedi/subscribe``, ``POST /dedi/unsubscribe``,
``GET /dedi/subscriptions``, each signed by a SUBSCRIBED participant (its own watches only).

Refusals here are Beckn NACKs, as on every signed route of the service (the app's guard
answers an unsigned call before anything is read).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody

from uei.access import CALLER, ONCE, Caller
from uei.registry.records import iso
from uei.registry.watch import Watch
from uei.registry.watcher import Watcher

__all__ = ["dedi_subscribe", "dedi_subscriptions", "dedi_unsubscribe"]

_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^[!-~]+$")]


class WatchBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """DeDi's watch: one record (``record_name``, a subscriber id) or the whole registry
    (``registry_tag``, any label), and where to deliver."""

    namespace: _Name
    registry_name: _Name
    record_name: _Name | None = None
    registry_tag: _Name | None = None
    webhook_url: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    webhook_secret: Annotated[str, msgspec.Meta(min_length=16, max_length=256)]
    """The HMAC-SHA256 key of ``webhook_signature``: at least 16 characters, kept by the
    registry, never shown again."""
    request_id: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    """Any unique text, so that two registrations in one second never share a signature."""


class UnwatchBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    subscription_id: _Name
    request_id: Annotated[str, msgspec.Meta(max_length=128)] | None = None


class Subscription(msgspec.Struct):
    subscription_id: str
    namespace: str
    registry_name: str
    record_name: str | None
    registry_tag: str | None
    webhook_url: str
    state: str
    """``active``, or ``disabled`` once a delivery's last retry failed (register again)."""
    created_at: str
    disabled_at: str | None


class SubscriptionAnswer(msgspec.Struct):
    message: str
    data: Subscription


class SubscriptionList(msgspec.Struct):
    message: str
    data: list[Subscription]


def _shown(watch: Watch) -> Subscription:
    return Subscription(
        subscription_id=watch.watch_id,
        namespace=watch.namespace,
        registry_name=watch.registry_name,
        record_name=watch.record_name,
        registry_tag=watch.registry_tag,
        webhook_url=watch.webhook_url,
        state="active" if watch.disabled_at is None else "disabled",
        created_at=iso(watch.created),
        disabled_at=iso(watch.disabled_at) if watch.disabled_at is not None else None,
    )


def _watcher(request: Request[Any, Any, Any]) -> Watcher:
    watcher: Watcher = request.app.state.watcher
    return watcher


@post(
    "/dedi/subscribe",
    status_code=201,
    tags=["dedi"],
    summary="Watch a record or the registry: revocation webhooks",
    opt={CALLER: Caller.SUBSCRIBER, ONCE: True},
)
async def dedi_subscribe(
    request: Request[Any, Any, Any], data: JSONBody[WatchBody]
) -> SubscriptionAnswer:
    """Register ``webhook_url`` for every change of ``record_name`` (a subscriber) or, with
    ``registry_tag``, of every record. Each change-log entry is POSTed as ``{event_id,
    event_type (record.updated, record.suspended, record.revoked), timestamp, namespace_id,
    registry_name, record_name, record_id, event_data, webhook_signature}``, where
    ``webhook_signature`` is ``sha256=`` and the hex HMAC-SHA256 under ``webhook_secret`` of
    the RFC 8785 canonical JSON of the object without it; the request also carries the
    registry's Beckn ``Authorization`` signature. Revocations and suspensions are sent within
    about a second; a failed delivery is retried after 1 min, 5 min, 30 min, 2 h and 24 h
    (policy), then the watch is disabled. ``webhook_url`` follows the on_subscribe address
    rules."""
    caller: str = request.state.caller
    watch = await _watcher(request).subscribe(
        caller,
        data.namespace,
        data.registry_name,
        data.record_name,
        data.registry_tag,
        data.webhook_url,
        data.webhook_secret,
    )
    return SubscriptionAnswer("Subscription created", _shown(watch))


@post(
    "/dedi/unsubscribe",
    status_code=200,
    tags=["dedi"],
    summary="End one of your watches",
    opt={CALLER: Caller.SUBSCRIBER, ONCE: True},
)
async def dedi_unsubscribe(
    request: Request[Any, Any, Any], data: JSONBody[UnwatchBody]
) -> SubscriptionAnswer:
    """Ends the caller's watch ``subscription_id`` and drops its pending deliveries; 404 for
    an id the caller does not hold."""
    caller: str = request.state.caller
    watch = await _watcher(request).unsubscribe(caller, data.subscription_id)
    return SubscriptionAnswer("Subscription removed", _shown(watch))


@get(
    "/dedi/subscriptions",
    tags=["dedi"],
    summary="Your watches",
    opt={CALLER: Caller.SUBSCRIBER},
)
async def dedi_subscriptions(request: Request[Any, Any, Any]) -> SubscriptionList:
    """The caller's watches, active or disabled (secrets are never shown)."""
    caller: str = request.state.caller
    watches = await _watcher(request).mine(caller)
    return SubscriptionList("Subscriptions retrieved successfully", [_shown(w) for w in watches])
