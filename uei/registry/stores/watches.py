"""DeDi watches and their pending deliveries, shared by every replica: one protocol, SQLite
and Redis (every key under the registry's ``{uei:reg}`` hash tag).

One replica at a time turns the change log into deliveries and sends them (``lease``); the
``cursor`` is the last log entry it turned. Deliveries are written before the cursor moves,
so a replica that stops between the two repeats them (at least once; ``event_id`` tells).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol, cast

import msgspec

from uei.registry.watch import Delivery, Watch
from uei.storage.backend import Backend, RedisBackend, SqliteBackend
from uei.storage.connect import LuaScript
from uei.storage.errors import reachable_methods

__all__ = ["RedisWatchStore", "SqliteWatchStore", "WatchStore", "watch_store"]

_watch = msgspec.json.Decoder(Watch)
_delivery = msgspec.json.Decoder(Delivery)
_encode = msgspec.json.Encoder().encode


class WatchStore(Protocol):
    async def put_watch(self, watch: Watch) -> None: ...

    async def watch(self, watch_id: str) -> Watch | None: ...

    async def watches(self) -> list[Watch]: ...

    async def remove_watch(self, watch_id: str) -> None:
        """The watch and every delivery still pending for it."""
        ...

    async def cursor(self) -> int | None:
        """The last log sequence number turned into deliveries; None before the first."""
        ...

    async def enqueue(self, deliveries: Sequence[Delivery], cursor: int) -> None: ...

    async def due(self, now: float, limit: int) -> list[Delivery]: ...

    async def put_delivery(self, delivery: Delivery) -> None: ...

    async def remove_delivery(self, delivery_id: str) -> None: ...

    async def lease(self, owner: str, seconds: float, now: float) -> bool:
        """Whether ``owner`` holds the delivery lease for ``seconds`` from ``now`` (taken when
        free or expired, renewed when its own)."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS dedi_watches (watch_id TEXT PRIMARY KEY, doc BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS dedi_deliveries (
    delivery_id TEXT PRIMARY KEY, watch_id TEXT NOT NULL, due REAL NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS dedi_deliveries_due ON dedi_deliveries (due);
CREATE TABLE IF NOT EXISTS dedi_state (
    name TEXT PRIMARY KEY, value TEXT NOT NULL, until REAL NOT NULL DEFAULT 0);
"""


@reachable_methods
class SqliteWatchStore:
    def __init__(self, backend: SqliteBackend) -> None:
        self._backend = backend

    @classmethod
    async def on(cls, backend: SqliteBackend) -> SqliteWatchStore:
        await backend.run(lambda db: db.executescript(_SCHEMA))
        return cls(backend)

    async def put_watch(self, watch: Watch) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO dedi_watches VALUES (?, ?) ON CONFLICT(watch_id) "
                "DO UPDATE SET doc = excluded.doc",
                (watch.watch_id, _encode(watch)),
            )

        await self._backend.transaction(write, durable=True)

    async def watch(self, watch_id: str) -> Watch | None:
        def read(db: sqlite3.Connection) -> Watch | None:
            row = db.execute(
                "SELECT doc FROM dedi_watches WHERE watch_id = ?", (watch_id,)
            ).fetchone()
            return _watch.decode(row[0]) if row else None

        return await self._backend.read(read)

    async def watches(self) -> list[Watch]:
        def read(db: sqlite3.Connection) -> list[Watch]:
            rows = db.execute("SELECT doc FROM dedi_watches ORDER BY watch_id")
            return [_watch.decode(doc) for (doc,) in rows]

        return await self._backend.read(read)

    async def remove_watch(self, watch_id: str) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM dedi_watches WHERE watch_id = ?", (watch_id,))
            db.execute("DELETE FROM dedi_deliveries WHERE watch_id = ?", (watch_id,))

        await self._backend.transaction(write, durable=True)

    async def cursor(self) -> int | None:
        def read(db: sqlite3.Connection) -> int | None:
            row = db.execute("SELECT value FROM dedi_state WHERE name = 'cursor'").fetchone()
            return int(row[0]) if row else None

        return await self._backend.read(read)

    async def enqueue(self, deliveries: Sequence[Delivery], cursor: int) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT OR IGNORE INTO dedi_deliveries VALUES (?, ?, ?, ?)",
                [(d.delivery_id, d.watch_id, d.due, _encode(d)) for d in deliveries],
            )
            db.execute(
                "INSERT INTO dedi_state (name, value) VALUES ('cursor', ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (str(cursor),),
            )

        await self._backend.transaction(write, durable=True)

    async def due(self, now: float, limit: int) -> list[Delivery]:
        def read(db: sqlite3.Connection) -> list[Delivery]:
            rows = db.execute(
                "SELECT doc FROM dedi_deliveries WHERE due <= ? ORDER BY due LIMIT ?",
                (now, limit),
            )
            return [_delivery.decode(doc) for (doc,) in rows]

        return await self._backend.read(read)

    async def put_delivery(self, delivery: Delivery) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO dedi_deliveries VALUES (?, ?, ?, ?) ON CONFLICT(delivery_id) "
                "DO UPDATE SET due = excluded.due, doc = excluded.doc",
                (delivery.delivery_id, delivery.watch_id, delivery.due, _encode(delivery)),
            )

        await self._backend.transaction(write, durable=True)

    async def remove_delivery(self, delivery_id: str) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM dedi_deliveries WHERE delivery_id = ?", (delivery_id,))

        await self._backend.transaction(write, durable=True)

    async def lease(self, owner: str, seconds: float, now: float) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT value, until FROM dedi_state WHERE name = 'lease'").fetchone()
            if row is not None and row[0] != owner and row[1] > now:
                return False
            db.execute(
                "INSERT INTO dedi_state VALUES ('lease', ?, ?) ON CONFLICT(name) "
                "DO UPDATE SET value = excluded.value, until = excluded.until",
                (owner, now + seconds),
            )
            return True

        return await self._backend.transaction(write, small=True)


_TAG = "{uei:reg}"
_WATCHES = f"{_TAG}:dedi:watches"
_DELIVERIES = f"{_TAG}:dedi:deliveries"
_DUE = f"{_TAG}:dedi:due"
_CURSOR = f"{_TAG}:dedi:cursor"
_LEASE = f"{_TAG}:dedi:lease"
_TAKE_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


@reachable_methods
class RedisWatchStore:
    def __init__(self, backend: RedisBackend) -> None:
        self._client: Any = cast(Any, backend.client)
        self._lease = LuaScript(self._client, _TAKE_LEASE)

    async def put_watch(self, watch: Watch) -> None:
        await self._client.hset(_WATCHES, watch.watch_id, _encode(watch))

    async def watch(self, watch_id: str) -> Watch | None:
        doc = await self._client.hget(_WATCHES, watch_id)
        return _watch.decode(doc) if doc is not None else None

    async def watches(self) -> list[Watch]:
        docs = await self._client.hgetall(_WATCHES)
        return sorted((_watch.decode(d) for d in docs.values()), key=lambda w: w.watch_id)

    async def remove_watch(self, watch_id: str) -> None:
        await self._client.hdel(_WATCHES, watch_id)
        ids = await self._client.zrange(_DUE, 0, -1)
        docs = await self._client.hmget(_DELIVERIES, ids) if ids else []
        for doc in docs:
            if doc is not None and _delivery.decode(doc).watch_id == watch_id:
                await self.remove_delivery(_delivery.decode(doc).delivery_id)

    async def cursor(self) -> int | None:
        value = await self._client.get(_CURSOR)
        return int(value) if value is not None else None

    async def enqueue(self, deliveries: Sequence[Delivery], cursor: int) -> None:
        for delivery in deliveries:
            if await self._client.hsetnx(_DELIVERIES, delivery.delivery_id, _encode(delivery)):
                await self._client.zadd(_DUE, {delivery.delivery_id: delivery.due})
        await self._client.set(_CURSOR, str(cursor))

    async def due(self, now: float, limit: int) -> list[Delivery]:
        ids = await self._client.zrangebyscore(_DUE, "-inf", now, start=0, num=limit)
        if not ids:
            return []
        docs = await self._client.hmget(_DELIVERIES, ids)
        return [_delivery.decode(doc) for doc in docs if doc is not None]

    async def put_delivery(self, delivery: Delivery) -> None:
        await self._client.hset(_DELIVERIES, delivery.delivery_id, _encode(delivery))
        await self._client.zadd(_DUE, {delivery.delivery_id: delivery.due})

    async def remove_delivery(self, delivery_id: str) -> None:
        await self._client.zrem(_DUE, delivery_id)
        await self._client.hdel(_DELIVERIES, delivery_id)

    async def lease(self, owner: str, seconds: float, now: float) -> bool:
        del now  # Redis expires the key on its own clock
        taken = await self._lease(keys=[_LEASE], args=[owner, max(1, int(seconds * 1000))])
        return bool(taken)


async def watch_store(backend: Backend) -> WatchStore:
    """The watch store on the process's backend (built in the app's lifespan)."""
    if isinstance(backend, SqliteBackend):
        return await SqliteWatchStore.on(backend)
    return RedisWatchStore(backend)
