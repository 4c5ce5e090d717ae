"""DeDi watch webhooks: registering watches, and delivering the change log to them.

``start`` runs every half second on each replica (the app's lifespan), and does its work on
the one replica holding the store's delivery lease: it turns the log entries appended since
its cursor into deliveries (``uei.registry.watch``), then sends those due, each in a task of
its own taking at most ``registry.dedi.webhook_timeout_seconds``. A key revoked or a
subscriber suspended therefore reaches every watching webhook within about a second.
Webhook URLs follow the on_subscribe rules (``registry.challenge.private_networks``): with
``deny`` they must resolve to public addresses only, checked at registration and again before
each delivery, which connects to the address it checked. Nothing here logs an identifier or a
URL: watches are named by their id.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import Callable

import httpx
import msgspec

from uei.errors import Forbidden, InvalidRequest, NotFound
from uei.registry.changelog import LogEntry
from uei.registry.dedi import newest_record, state_of
from uei.registry.identity import RegistryIdentity
from uei.registry.policy import Networks, RegistryPolicy
from uei.registry.stores import RegistryStore
from uei.registry.stores.watches import WatchStore
from uei.registry.urls import Resolve, check_url, is_public, public_addresses
from uei.registry.view import RegistryView
from uei.registry.watch import Delivery, Watch, delivery_body, next_attempt
from uei.trust import sign_header

__all__ = ["Watcher"]

log = logging.getLogger("uei.registry.watcher")

_LOG_PAGE = 1000
_DUE_PAGE = 100
_LEASE_SECONDS = 10.0
_CONCURRENT = 16


def _webhook_refusal(exc: InvalidRequest) -> InvalidRequest:
    """The URL rules' refusal, naming ``webhook_url`` (they are written for subscriber_url)."""
    message = exc.message.replace("subscriber_url", "webhook_url")
    message = message.replace(" (the registry appends /on_subscribe)", "")
    return InvalidRequest(message, "webhook_url")


class Watcher:
    def __init__(
        self,
        store: WatchStore,
        log_store: RegistryStore,
        view: Callable[[], RegistryView],
        policy: Callable[[], RegistryPolicy],
        identity: RegistryIdentity,
        client: httpx.AsyncClient,
        clock: Callable[[], float],
        resolve: Resolve,
    ) -> None:
        self.store = store
        self._log = log_store
        self._view = view
        self.policy = policy
        self._identity = identity
        self._client = client
        self.clock = clock
        self._resolve = resolve
        self._owner = secrets.token_hex(8)
        self._slots = asyncio.Semaphore(_CONCURRENT)
        self._in_flight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- registering ---------------------------------------------------------------------

    async def _checked_url(self, url: str) -> str:
        policy = self.policy()
        try:
            normalised = check_url(url)
            if policy.challenge.private_networks is Networks.DENY:
                async with asyncio.timeout(policy.challenge.timeout_seconds):
                    await public_addresses(normalised, Networks.DENY, self._resolve)
        except InvalidRequest as exc:
            raise _webhook_refusal(exc) from None
        except TimeoutError:
            raise InvalidRequest("webhook_url does not resolve in time", "webhook_url") from None
        return normalised

    async def subscribe(
        self,
        owner: str,
        namespace: str,
        registry_name: str,
        record_name: str | None,
        registry_tag: str | None,
        webhook_url: str,
        webhook_secret: str,
    ) -> Watch:
        policy = self.policy()
        if f"{namespace}/{registry_name}" not in policy.network_memberships:
            raise NotFound(f"no registry {namespace}/{registry_name} here", "registry_name")
        if (record_name is None) == (registry_tag is None):
            raise InvalidRequest("name exactly one of record_name and registry_tag", "record_name")
        if record_name is not None and self._view().subscriber(record_name) is None:
            raise NotFound(f"no record {record_name} in the registry", "record_name")
        mine = [w for w in await self.store.watches() if w.owner == owner]
        if len(mine) >= policy.dedi.max_watches:
            raise Forbidden(
                f"a subscriber may hold {policy.dedi.max_watches} watches; unsubscribe one first"
            )
        url = await self._checked_url(webhook_url)
        head = await self._log.head()
        since = head.seq if head is not None else 0  # deliveries start from now, not history
        if await self.store.cursor() is None:
            await self.store.enqueue([], since)
        watch = Watch(
            watch_id=secrets.token_urlsafe(12),
            owner=owner,
            namespace=namespace,
            registry_name=registry_name,
            record_name=record_name,
            registry_tag=registry_tag,
            webhook_url=url,
            webhook_secret=webhook_secret,
            created=self.clock(),
            since=since,
        )
        await self.store.put_watch(watch)
        return watch

    async def unsubscribe(self, owner: str, watch_id: str) -> Watch:
        watch = await self.store.watch(watch_id)
        if watch is None or watch.owner != owner:  # another's watch is not named to it
            raise NotFound("no such subscription of yours", "subscription_id")
        await self.store.remove_watch(watch_id)
        return watch

    async def mine(self, owner: str) -> list[Watch]:
        return [w for w in await self.store.watches() if w.owner == owner]

    # --- delivering -----------------------------------------------------------------------

    async def start(self) -> list[asyncio.Task[None]]:
        """One step on the lease holder: new log entries become deliveries, and each due one
        not already in flight is sent in a task of its own (so a slow webhook never holds up
        the next step, nor the other webhooks). Returns the tasks started."""
        if not await self.store.lease(self._owner, _LEASE_SECONDS, self.clock()):
            return []
        await self._enqueue()
        due = [
            d
            for d in await self.store.due(self.clock(), _DUE_PAGE)
            if d.delivery_id not in self._in_flight
        ]
        if not due:
            return []
        watches = {w.watch_id: w for w in await self.store.watches()}
        started = []
        for delivery in due:
            self._in_flight.add(delivery.delivery_id)
            task = asyncio.create_task(self._deliver(delivery, watches.get(delivery.watch_id)))
            task.add_done_callback(functools.partial(self._landed, delivery.delivery_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started.append(task)
        return started

    def _landed(self, delivery_id: str, _: asyncio.Task[None]) -> None:
        self._in_flight.discard(delivery_id)

    async def tick(self) -> int:
        """``start``, then wait for the deliveries it started: how many were sent, whatever
        their outcome (tests drive the watcher with it)."""
        started = await self.start()
        if started:
            await asyncio.gather(*started)
        return len(started)

    async def stop(self) -> None:
        """Cancel the deliveries in flight (the app's shutdown); they stay due in the store."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _record(self, entry: LogEntry) -> tuple[str, str]:
        """(record_id, state) of the record an entry is about, as the view holds it now."""
        sub = self._view().subscriber(entry.subscriber_id)
        if sub is None:
            return entry.unique_key_id or "", ""
        key = sub.key(entry.unique_key_id) if entry.unique_key_id else None
        key = key or newest_record(sub, self.clock())
        if key is None:
            return entry.unique_key_id or "", ""
        return key.unique_key_id, state_of(sub, key, self.clock()).value

    async def _enqueue(self) -> None:
        cursor = await self.store.cursor()
        if cursor is None:
            head = await self._log.head()
            await self.store.enqueue([], head.seq if head is not None else 0)
            return
        while True:
            entries = await self._log.log_after(cursor, _LOG_PAGE)
            if not entries:
                return
            watches = [w for w in await self.store.watches() if w.disabled_at is None]
            now = self.clock()
            deliveries = []
            for entry in entries:
                interested = [w for w in watches if w.covers(entry.subscriber_id, entry.seq)]
                if not interested:
                    continue
                record_id, state = self._record(entry)
                for watch in interested:
                    delivery_id, body = delivery_body(watch, entry, record_id, state, now)
                    deliveries.append(
                        Delivery(
                            delivery_id=delivery_id, watch_id=watch.watch_id, body=body, due=now
                        )
                    )
            cursor = entries[-1].seq
            await self.store.enqueue(deliveries, cursor)
            if len(entries) < _LOG_PAGE:
                return

    async def _deliver(self, delivery: Delivery, watch: Watch | None) -> None:
        try:
            await self._attempt(delivery, watch)
        except Exception:  # a store outage: the delivery stays due, the next step retries it
            log.exception("a webhook delivery of watch %s could not be recorded", delivery.watch_id)

    async def _attempt(self, delivery: Delivery, watch: Watch | None) -> None:
        if watch is None or watch.disabled_at is not None:
            await self.store.remove_delivery(delivery.delivery_id)
            return
        async with self._slots:
            status = await self._post(watch, delivery.body)
        if status is not None and 200 <= status < 300:
            await self.store.remove_delivery(delivery.delivery_id)
            return
        now = self.clock()
        tried = msgspec.structs.replace(
            delivery, attempts=delivery.attempts + 1, last_status=status
        )
        again = next_attempt(tried, list(self.policy().dedi.webhook_retry_seconds), now)
        if again is None:
            log.warning("webhook of watch %s failed its last retry: disabled", watch.watch_id)
            await self.store.put_watch(msgspec.structs.replace(watch, disabled_at=now))
            await self.store.remove_delivery(delivery.delivery_id)
            return
        await self.store.put_delivery(msgspec.structs.replace(tried, due=again))

    async def _post(self, watch: Watch, body: bytes) -> int | None:
        """The webhook's HTTP status, or None when it could not be reached (or may not be)."""
        policy = self.policy()
        url = httpx.URL(watch.webhook_url)
        headers = {
            "Content-Type": "application/json",
            "Accept-Encoding": "identity",
            "Connection": "close",
            "Authorization": sign_header(
                body,
                self._identity.keys.signing_key,
                subscriber_id=self._identity.subscriber_id,
                unique_key_id=self._identity.keys.unique_key_id,
                created=int(self.clock()),
                expires=int(self.clock()) + 300,
            ),
        }
        extensions: dict[str, str] = {}
        if policy.challenge.private_networks is Networks.DENY:
            try:
                addresses = await public_addresses(str(url), Networks.ALLOW, self._resolve)
            except InvalidRequest:
                return None
            if not all(is_public(a) for a in addresses):
                return None  # the name moved inward since registration: never called
            headers["Host"] = url.netloc.decode("ascii")
            if url.scheme == "https":
                extensions["sni_hostname"] = url.host
            url = url.copy_with(host=addresses[0])
        try:
            async with self._client.stream(
                "POST",
                url,
                content=body,
                headers=headers,
                extensions=extensions,
                timeout=policy.dedi.webhook_timeout_seconds,
            ) as response:
                return response.status_code  # the body is never read
        except httpx.HTTPError:
            return None
