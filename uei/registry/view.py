"""Each replica's in-memory copy of the registry, kept current by following the change log.

Both lookup paths and every signature check read this view, never the store. It is pure data:
``Registry.sync`` feeds it from the store. Pinned subscribers (the registry's own record) are
served like any other but never replaced by what the store holds under their id.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import msgspec
from nacl.signing import VerifyKey

from uei.registry.changelog import GENESIS, LogEntry
from uei.registry.known import FIELDS, KnownValues
from uei.registry.model import Key, KeyState, Status, Subscriber
from uei.registry.pagecache import Page, PageCache
from uei.registry.policy import LookupPolicy
from uei.registry.records import LookupRecord, record
from uei.trust import UnknownKey, load_verify_key

__all__ = ["KeyAnswer", "LookupFilter", "RegistryView"]


class LookupFilter(msgspec.Struct, frozen=True, kw_only=True):
    subscriber_id: str | None = None
    type: str | None = None
    domain: str | None = None
    city: str | None = None
    country: str | None = None
    unique_key_id: str | None = None
    status: Status | None = None


@dataclass(frozen=True, slots=True)
class KeyAnswer:
    """The key path's answer: the record's exact bytes and their ETag, or why there is none."""

    body: bytes | None
    etag: str | None
    gone: bool = False
    reason: str = ""


_encoder = msgspec.json.Encoder()
_DEFAULT_CACHE_BYTES = LookupPolicy().cache_bytes
_NOT_CALLED = frozenset({Status.SUSPENDED, Status.REVOKED})
"""Subscribers the registry does not challenge: their pending keys wait."""


def _newest_first(keys: Iterable[Key]) -> list[Key]:
    return sorted(keys, key=lambda k: (k.valid_from, k.created, k.unique_key_id), reverse=True)


class RegistryView:
    def __init__(self, pinned: Iterable[Subscriber] = ()) -> None:
        self._subscribers: dict[str, Subscriber] = {}
        self._known = KnownValues()
        self._key_bytes: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._verify_keys: dict[tuple[str, str], VerifyKey] = {}
        self._pages = PageCache(_DEFAULT_CACHE_BYTES)
        self._pending: dict[tuple[str, str], float] = {}
        """(subscriber_id, unique_key_id) -> next attempt time, for pending keys only."""
        self._pinned = {sub.subscriber_id: sub for sub in pinned}
        for sub in self._pinned.values():
            self._subscribers[sub.subscriber_id] = sub
            self._known.add(sub)
        self.seq = 0
        """The last change-log entry this view reflects."""
        self.last_hash = GENESIS
        """That entry's hash: the follower checks that the store's log still holds it."""

    def fresh(self) -> RegistryView:
        """An empty view set up as this one (the same pins), to rebuild into."""
        return RegistryView(pinned=self.pinned)

    def __len__(self) -> int:
        """How many subscribers from the store the view holds (pinned ones not counted)."""
        return len(self._subscribers) - len(self._pinned)

    @property
    def pinned(self) -> tuple[Subscriber, ...]:
        """The subscribers given at construction, for a rebuilt view to pin the same."""
        return tuple(self._pinned.values())

    @property
    def page_cache(self) -> PageCache:
        """The encoded lookup pages kept (read its ``bytes`` and length, not its pages)."""
        return self._pages

    def put(self, sub: Subscriber) -> None:
        sid = sub.subscriber_id
        if sid in self._pinned:
            return  # the store never speaks for a pinned subscriber
        old = self._subscribers.get(sid)
        if old is not None:
            if old.version > sub.version:
                return  # never step back to an older copy
            self._known.remove(old)
        self._subscribers[sid] = sub
        self._known.add(sub)
        self._pages.clear()
        for key in (old.keys if old else ()) + sub.keys:
            self._key_bytes.pop((sid, key.unique_key_id), None)
            self._verify_keys.pop((sid, key.unique_key_id), None)
            self._pending.pop((sid, key.unique_key_id), None)
        if sub.status in _NOT_CALLED:
            return
        for key in sub.keys:
            if key.state is KeyState.PENDING and key.next_attempt_at is not None:
                self._pending[(sid, key.unique_key_id)] = key.next_attempt_at

    def reached(self, entry: LogEntry) -> None:
        """The view now reflects the log up to ``entry``."""
        self.seq = entry.seq
        self.last_hash = entry.hash

    def subscriber(self, subscriber_id: str) -> Subscriber | None:
        return self._subscribers.get(subscriber_id)

    def subscribers(self) -> Iterator[Subscriber]:
        """Every subscriber from the store (not the pinned ones: nobody manages those)."""
        return (s for s in self._subscribers.values() if s.subscriber_id not in self._pinned)

    def due_challenges(self, now: float) -> list[tuple[str, str]]:
        """Pending keys whose next attempt is due: read from an index ``put`` keeps, so the
        background tick costs nothing for the (many) subscribers with no pending key. Never
        keys of pinned, suspended or revoked subscribers."""
        return [pair for pair, due in self._pending.items() if due <= now]

    def lookup(self, wanted: LookupFilter, now: float) -> list[LookupRecord]:
        """Records for valid keys only (never pending, expired or revoked), newest key first."""
        return self._lookup(wanted, now)[0]

    def _lookup(
        self, wanted: LookupFilter, now: float, encr_der: bool = False
    ) -> tuple[list[LookupRecord], float]:
        """``lookup``, and until when its answer stands unless the view changes: the first
        moment after ``now`` at which one of the keys considered starts or ends its
        validity."""
        until = math.inf
        status = wanted.status or Status.SUBSCRIBED
        if wanted.subscriber_id is not None:
            one = self._subscribers.get(wanted.subscriber_id)
            candidates: Iterable[Subscriber] = [one] if one is not None else []
        else:
            candidates = sorted(self._subscribers.values(), key=lambda s: s.subscriber_id)
        out = []
        for sub in candidates:
            if sub.status is not status:
                continue
            for k in sub.keys:
                if k.state is KeyState.VALID:
                    if now < k.valid_from:
                        until = min(until, k.valid_from)
                    elif now <= k.valid_until:
                        until = min(until, math.nextafter(k.valid_until, math.inf))
            keys = [k for k in sub.keys if k.usable_at(now)]
            if wanted.unique_key_id is not None:
                keys = [k for k in keys if k.unique_key_id == wanted.unique_key_id]
            for key in _newest_first(keys):
                for role in sub.roles:
                    if (
                        (wanted.type is None or role.type.value == wanted.type)
                        and (wanted.domain is None or role.domain == wanted.domain)
                        and (wanted.city is None or role.city in (wanted.city, "*"))
                        and (wanted.country is None or role.country == wanted.country)
                    ):
                        out.append(record(sub, role, key, encr_der=encr_der))
        return out, until

    def _canonical(self, wanted: LookupFilter) -> LookupFilter | None:
        """A filter matching the same records as ``wanted``, the same for every value no
        subscriber has; None when ``wanted`` matches nothing. An unknown city matches the
        roles for every city (``*``), as ``*`` does; any other unknown value, nothing."""
        changes: dict[str, object] = {}
        for field in FIELDS:
            value = getattr(wanted, field)
            if value is None or self._known.has(field, value):
                continue
            if field != "city":
                return None
            changes["city"] = "*"
        if wanted.status is None:
            changes["status"] = Status.SUBSCRIBED
        return msgspec.structs.replace(wanted, **changes) if changes else wanted

    def lookup_page(
        self,
        wanted: LookupFilter,
        start: int,
        size: int,
        now: float,
        cache_bytes: int = _DEFAULT_CACHE_BYTES,
        encr_der: bool = False,
    ) -> tuple[bytes, int]:
        """One page of ``lookup`` as JSON bytes, and the total count. Pages are kept until the
        view changes or a key considered starts or ends its validity, at most ``cache_bytes``
        of them (``registry.lookup.cache_bytes``), the least recently used leaving first.
        ``encr_der``: encryption keys as base64 SPKI DER (ONDC's ``/v2.0/lookup``)."""
        self._pages.max_bytes = cache_bytes
        canonical = self._canonical(wanted)
        if canonical is None:
            return b"[]", 0
        cache_key = (canonical, start, size, encr_der)
        page = self._pages.get(cache_key, now)
        if page is None:
            records, until = self._lookup(canonical, now, encr_der)
            body = _encoder.encode(records[start : start + size])
            page = Page(body, len(records), now, until)
            self._pages.put(cache_key, page)
        return page.body, page.total

    def _usable(self, subscriber_id: str, unique_key_id: str, now: float) -> tuple[Subscriber, Key]:
        sub = self._subscribers.get(subscriber_id)
        key = sub.key(unique_key_id) if sub is not None else None
        if sub is None or key is None:
            raise UnknownKey(f"no key {unique_key_id} for {subscriber_id} in the registry")
        if key.state is KeyState.REVOKED or sub.status is Status.REVOKED:
            raise UnknownKey(f"key {subscriber_id}|{unique_key_id} is revoked")
        if key.state is KeyState.PENDING:
            raise UnknownKey(f"key {subscriber_id}|{unique_key_id} has not passed its challenge")
        if not key.valid_from <= now <= key.valid_until:
            raise UnknownKey(f"key {subscriber_id}|{unique_key_id} is outside its validity")
        return sub, key

    def _revoked(self, subscriber_id: str, unique_key_id: str) -> bool:
        sub = self._subscribers.get(subscriber_id)
        key = sub.key(unique_key_id) if sub is not None else None
        if sub is None or key is None:
            return False
        return key.state is KeyState.REVOKED or sub.status is Status.REVOKED

    def key_answer(self, subscriber_id: str, unique_key_id: str, now: float) -> KeyAnswer:
        """The key path: 410 for revoked, 404 for unknown or not valid now."""
        try:
            sub, key = self._usable(subscriber_id, unique_key_id, now)
        except UnknownKey as exc:
            return KeyAnswer(
                None, None, gone=self._revoked(subscriber_id, unique_key_id), reason=exc.detail
            )
        if sub.status is not Status.SUBSCRIBED or not sub.roles:
            return KeyAnswer(None, None, reason=f"{subscriber_id} is {sub.status.value}")
        cached = self._key_bytes.get((subscriber_id, unique_key_id))
        if cached is None:
            body = _encoder.encode(record(sub, sub.roles[0], key))
            etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
            cached = self._key_bytes[(subscriber_id, unique_key_id)] = (body, etag)
        return KeyAnswer(*cached)

    def verify_key(
        self,
        subscriber_id: str,
        unique_key_id: str,
        now: float,
        statuses: frozenset[Status] = frozenset({Status.SUBSCRIBED}),
    ) -> VerifyKey:
        """The key to check a caller's signature with; ``UnknownKey`` says why there is none."""
        sub, key = self._usable(subscriber_id, unique_key_id, now)
        if sub.status not in statuses:
            raise UnknownKey(f"{subscriber_id} is {sub.status.value}")
        cache_key = (subscriber_id, unique_key_id)
        found = self._verify_keys.get(cache_key)
        if found is None:
            found = self._verify_keys[cache_key] = load_verify_key(key.signing_public_key)
        return found
