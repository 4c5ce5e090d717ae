"""Scraping protection's events and verdicts on Redis and Redis Cluster.

Each BAP's keys share its hash tag (``uei:sc:{bap}:...``): its quota, the answers kept for
retried message ids, event dedupe keys and the event-time buckets of its events, so a check
(take, dedupe, record) is one atomic script on one node. The index of BAPs active per hour
and the feature rows spread over the cluster. Everything on the request path raises
``StoreUnavailable`` when Redis cannot answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from uei.antiabuse.scraping.events import Event, decode_event, encode_event
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureRow, decode_row, decode_verdict
from uei.antiabuse.scraping.verdicts import encode as encode_verdict
from uei.antiabuse.stores.codec import event_kind
from uei.antiabuse.stores.redis_base import RedisKeys
from uei.storage.backend import RedisBackend
from uei.storage.connect import each, text
from uei.storage.errors import reachable_methods

__all__ = ["RedisEvents", "RedisVerdicts", "bap_tag", "event_bucket", "mark_active"]


_HOUR = 3600


def bap_tag(bap: str) -> str:
    """Every key of one BAP's scraping data shares its tag: one slot, atomic scripts."""
    return f"uei:sc:{{{bap}}}"


def event_bucket(bap: str, at: float) -> str:
    return f"{bap_tag(bap)}:ev:{int(at // _HOUR)}"


def _active_key(hour: int) -> str:
    return f"uei:sc:active:{{{hour}}}"


_MAX_HOURS = 8 * 24


def _hours(start: float, end: float) -> range:
    """The event-time buckets covering [start, end): at most eight days of them (the
    longest scoring window is seven)."""
    hours = range(int(start // _HOUR), math.ceil(end / _HOUR))
    if len(hours) > _MAX_HOURS:
        raise ValueError(f"a window of {len(hours)} hours; at most {_MAX_HOURS} are kept")
    return hours


_RECENT_BATCH = 6
"""Event-time buckets read per round trip by ``recent``."""

_ROWS = "uei:sc:rows"
_SCORES = "uei:sc:scores"
"""Each BAP's latest score (a sorted set): operators' ranking of BAPs."""


async def mark_active(client: Any, bap: str, buckets: Iterable[str], keep_seconds: float) -> None:
    """Index the BAP as active in the hours of ``buckets`` (event-time buckets it started)."""
    pipe = client.pipeline(transaction=False)
    for key in buckets:
        hour = int(text(key).rpartition(":")[2])
        pipe.sadd(_active_key(hour), bap)
        pipe.pexpire(_active_key(hour), int(keep_seconds * 1000) + _HOUR * 1000)
    await pipe.execute()


@reachable_methods
class RedisEvents(RedisKeys):
    """``EventStore``: each BAP's events in hourly event-time buckets under its tag."""

    def __init__(self, backend: RedisBackend) -> None:
        super().__init__(backend)
        self._record = self._script("record")

    async def record(
        self, bap: str, events: Sequence[tuple[str, Event]], keep_seconds: float
    ) -> int:
        if not events:
            return 0
        sc = bap_tag(bap)
        keys: list[str] = []
        args: list[Any] = [int(keep_seconds * 1000)]
        for message_id, event in events:
            keys += [f"{sc}:e:{event_kind(event)}:{message_id}", event_bucket(bap, event.at)]
            args.append(encode_event(event))
        recorded, *fresh = await self._record(keys=keys, args=args)
        if fresh:
            await mark_active(self._client, bap, fresh, keep_seconds)
        return int(recorded)

    async def active(self, start: float, end: float) -> list[str]:
        hours = [_active_key(h) for h in _hours(start, end)]
        found = await each(self._client, "smembers", hours)
        baps = {text(b) for members in found for b in members}
        # An hour overlapping the window may hold only events outside it: such a BAP reads
        # no events and is not scored.
        return sorted(baps)

    async def events(self, bap: str, start: float, end: float) -> list[Event]:
        keys = [f"{bap_tag(bap)}:ev:{h}" for h in _hours(start, end)]
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.lrange(key, 0, -1)
        chunks = await pipe.execute()
        found = [
            e for chunk in chunks for raw in chunk if start <= (e := decode_event(raw)).at < end
        ]
        found.sort(key=lambda e: e.at)
        return found

    async def recent(self, bap: str, start: float, end: float, limit: int) -> list[Event]:
        hours = list(_hours(start, end))
        found: list[Event] = []
        while hours and len(found) < limit:  # the newest hours first, a few per round trip
            batch, hours = hours[-_RECENT_BATCH:], hours[:-_RECENT_BATCH]
            pipe = self._client.pipeline(transaction=False)
            for h in reversed(batch):
                pipe.lrange(f"{bap_tag(bap)}:ev:{h}", -limit, -1)
            for chunk in await pipe.execute():
                within = sorted(
                    (e for raw in chunk if start <= (e := decode_event(raw)).at < end),
                    key=lambda e: e.at,
                )
                found.extend(reversed(within[-(limit - len(found)) :]))
                if len(found) >= limit:
                    break
        found.reverse()
        return found

    async def prune(self, before: float) -> None:
        """Events, answers and dedupe keys expire by themselves."""


@reachable_methods
class RedisVerdicts(RedisKeys):
    """``VerdictStore``."""

    async def save_pass(
        self,
        verdicts: Sequence[BapVerdict],
        rows: Sequence[FeatureRow],
        history: int,
        rows_before: float,
    ) -> None:
        pipe = self._client.pipeline(transaction=False)
        for v in verdicts:
            blob = encode_verdict(v)
            pipe.set(f"{bap_tag(v.bap_id)}:v", blob)
            pipe.lpush(f"{bap_tag(v.bap_id)}:h", blob)
            pipe.ltrim(f"{bap_tag(v.bap_id)}:h", 0, history - 1)
            pipe.zadd(_SCORES, {v.bap_id: v.score})
        if rows:
            pipe.zadd(_ROWS, {encode_verdict(r): r.window_end for r in rows})
        pipe.zremrangebyscore(_ROWS, "-inf", f"({rows_before!r}")
        await pipe.execute()

    async def verdict(self, bap: str) -> BapVerdict | None:
        raw = await self._client.get(f"{bap_tag(bap)}:v")
        return decode_verdict(raw) if raw is not None else None

    async def verdict_history(self, bap: str, limit: int) -> list[BapVerdict]:
        rows = await self._client.lrange(f"{bap_tag(bap)}:h", 0, limit - 1)
        return [decode_verdict(r) for r in rows]

    async def ranked(self, limit: int) -> list[BapVerdict]:
        baps = [text(b) for b in await self._client.zrevrange(_SCORES, 0, limit - 1)]
        found = await each(self._client, "get", [f"{bap_tag(b)}:v" for b in baps])
        latest = [decode_verdict(raw) for raw in found if raw is not None]
        latest.sort(key=lambda v: (-v.score, v.bap_id))
        return latest

    async def training_rows(self, since: float, limit: int) -> list[FeatureRow]:
        rows = await self._client.zrevrangebyscore(_ROWS, "+inf", repr(since), start=0, num=limit)
        return [decode_row(r) for r in rows]

    async def lease(self, name: str, owner: str, seconds: float, now: float) -> bool:
        key = f"uei:sc:lease:{name}"
        if await self._client.set(key, owner, nx=True, px=int(seconds * 1000)):
            return True
        held = await self._client.get(key)
        if held is not None and text(held) == owner:
            await self._client.pexpire(key, int(seconds * 1000))
            return True
        return False
