"""The embedded default: one SQLite file, WAL, every acknowledged write synced to disk.

The file, its connection and its one worker thread are the process's backend
(``uei.storage.backend``), shared with the anti-abuse tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import msgspec

from uei.registry.changelog import Draft, LogEntry, chain
from uei.registry.model import Subscriber
from uei.registry.stores.base import (
    ConflictReason,
    Durability,
    SaveConflict,
    decode_entry,
    decode_subscriber,
    encode,
)
from uei.storage.backend import SqliteBackend
from uei.storage.errors import reachable_methods

__all__ = ["SqliteRegistryStore"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    subscriber_id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS key_owners (
    unique_key_id TEXT PRIMARY KEY, subscriber_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS replay (signature TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS replay_expires ON replay (expires);
"""


@reachable_methods
class SqliteRegistryStore:
    """The registry's tables on the process's SQLite backend (its one connection and thread)."""

    def __init__(self, backend: SqliteBackend, *, owns: bool = False) -> None:
        self._backend = backend
        self._owns = owns  # opened for this store alone (``open``): closed with it

    @classmethod
    async def on(cls, backend: SqliteBackend, *, owns: bool = False) -> SqliteRegistryStore:
        """The tables made if missing."""
        await backend.run(lambda db: db.executescript(_SCHEMA))
        return cls(backend, owns=owns)

    @classmethod
    async def open(cls, path: Path) -> SqliteRegistryStore:
        """On a backend of its own, closed with the store (tools and tests)."""
        return await cls.on(await SqliteBackend.open(path), owns=True)

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A read, on the backend's reading connection: it never holds the writing one."""
        return await self._backend.read(fn)

    async def load(self, subscriber_id: str) -> Subscriber | None:
        def read(db: sqlite3.Connection) -> Subscriber | None:
            row = db.execute(
                "SELECT doc FROM subscribers WHERE subscriber_id = ?", (subscriber_id,)
            ).fetchone()
            return decode_subscriber(row[0]) if row else None

        return await self._run(read)

    async def load_all(self) -> list[Subscriber]:
        def read(db: sqlite3.Connection) -> list[Subscriber]:
            rows = db.execute("SELECT doc FROM subscribers ORDER BY subscriber_id")
            return [decode_subscriber(doc) for (doc,) in rows]

        return await self._run(read)

    async def key_owner(self, unique_key_id: str) -> str | None:
        def read(db: sqlite3.Connection) -> str | None:
            row = db.execute(
                "SELECT subscriber_id FROM key_owners WHERE unique_key_id = ?", (unique_key_id,)
            ).fetchone()
            return str(row[0]) if row else None

        return await self._run(read)

    @staticmethod
    def _head(db: sqlite3.Connection) -> LogEntry | None:
        row = db.execute("SELECT entry FROM log ORDER BY seq DESC LIMIT 1").fetchone()
        return decode_entry(row[0]) if row else None

    async def head(self) -> LogEntry | None:
        return await self._run(self._head)

    async def log_after(self, seq: int, limit: int) -> list[LogEntry]:
        def read(db: sqlite3.Connection) -> list[LogEntry]:
            rows = db.execute(
                "SELECT entry FROM log WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            )
            return [decode_entry(entry) for (entry,) in rows]

        return await self._run(read)

    @staticmethod
    def _check_version(db: sqlite3.Connection, subscriber: Subscriber) -> None:
        """``SaveConflict`` unless the stored version is still ``subscriber.version``."""
        row = db.execute(
            "SELECT version FROM subscribers WHERE subscriber_id = ?", (subscriber.subscriber_id,)
        ).fetchone()
        if (row[0] if row else 0) != subscriber.version:
            raise SaveConflict(ConflictReason.VERSION)

    @staticmethod
    def _write(db: sqlite3.Connection, stored: Subscriber, claim_key_ids: Sequence[str]) -> None:
        """``stored`` written, its key ids claimed; or ``SaveConflict`` (the transaction rolls
        back)."""
        sid = stored.subscriber_id
        for kid in claim_key_ids:
            owner = db.execute(
                "SELECT subscriber_id FROM key_owners WHERE unique_key_id = ?", (kid,)
            ).fetchone()
            if owner is not None and owner[0] != sid:
                raise SaveConflict(ConflictReason.KEY, kid)
            db.execute("INSERT OR IGNORE INTO key_owners VALUES (?, ?)", (kid, sid))
        db.execute(
            "INSERT INTO subscribers VALUES (?, ?, ?) ON CONFLICT(subscriber_id) "
            "DO UPDATE SET version = excluded.version, doc = excluded.doc",
            (sid, stored.version, encode(stored)),
        )

    async def commit(
        self,
        subscriber: Subscriber,
        drafts: Sequence[Draft],
        at: float,
        claim_key_ids: Sequence[str],
    ) -> tuple[Subscriber, list[LogEntry]]:
        stored = msgspec.structs.replace(subscriber, version=subscriber.version + 1)

        def write(db: sqlite3.Connection) -> list[LogEntry]:
            self._check_version(db, subscriber)
            self._write(db, stored, claim_key_ids)
            # chained in the transaction, onto the head it holds: no other writer between
            entries = chain(self._head(db), drafts, at) if drafts else []
            db.executemany("INSERT INTO log VALUES (?, ?)", [(e.seq, encode(e)) for e in entries])
            return entries

        entries = await self._backend.transaction(write, durable=True)
        return stored, entries

    async def first_use(self, signature: str, expires: int, now: float) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM replay WHERE expires < ?", (now,))
            cursor = db.execute("INSERT OR IGNORE INTO replay VALUES (?, ?)", (signature, expires))
            return cursor.rowcount == 1

        return await self._backend.transaction(write, durable=True, small=True)

    async def marked(self, signature: str, now: float) -> bool:
        def read(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT 1 FROM replay WHERE signature = ? AND expires >= ?", (signature, now)
            ).fetchone()
            return row is not None

        return await self._backend.read(read)

    async def durability(self) -> list[Durability]:
        return [Durability("sqlite", True, "WAL, synchronous=FULL")]

    async def ping(self) -> None:
        await self._run(lambda db: db.execute("SELECT 1").fetchone())

    async def close(self) -> None:
        """Closes the backend only if it was opened for this store (``open``)."""
        if self._owns:
            await self._backend.close()
