"""The embedded default: one SQLite file, WAL, every acknowledged write synced to disk.

SQLite calls run on one worker thread, so the event loop never waits on the disk and every
statement sees one connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import msgspec

from uei.registry.changelog import LogEntry
from uei.registry.model import Subscriber
from uei.registry.stores.base import (
    ConflictReason,
    Durability,
    SaveConflict,
    decode_entry,
    decode_subscriber,
    encode,
)
from uei.storage.files import private_file

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


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_file(path)  # before SQLite makes it with the umask's mode (-wal, -shm follow it)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    for companion in ("-wal", "-shm"):  # left by an earlier run, perhaps with another mode
        private_file(path.with_name(path.name + companion), create=False)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=5000")
    db.executescript(_SCHEMA)
    return db


class SqliteRegistryStore:
    def __init__(self, db: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._db = db
        self._executor = executor

    @classmethod
    async def open(cls, path: Path) -> SqliteRegistryStore:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uei-sqlite")
        db = await asyncio.get_running_loop().run_in_executor(executor, _connect, path)
        return cls(db, executor)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def load(self, subscriber_id: str) -> Subscriber | None:
        def read() -> Subscriber | None:
            row = self._db.execute(
                "SELECT doc FROM subscribers WHERE subscriber_id = ?", (subscriber_id,)
            ).fetchone()
            return decode_subscriber(row[0]) if row else None

        return await self._run(read)

    async def load_all(self) -> list[Subscriber]:
        def read() -> list[Subscriber]:
            rows = self._db.execute("SELECT doc FROM subscribers ORDER BY subscriber_id")
            return [decode_subscriber(doc) for (doc,) in rows]

        return await self._run(read)

    async def key_owner(self, unique_key_id: str) -> str | None:
        def read() -> str | None:
            row = self._db.execute(
                "SELECT subscriber_id FROM key_owners WHERE unique_key_id = ?", (unique_key_id,)
            ).fetchone()
            return str(row[0]) if row else None

        return await self._run(read)

    def _head(self) -> LogEntry | None:
        row = self._db.execute("SELECT entry FROM log ORDER BY seq DESC LIMIT 1").fetchone()
        return decode_entry(row[0]) if row else None

    async def head(self) -> LogEntry | None:
        return await self._run(self._head)

    async def log_after(self, seq: int, limit: int) -> list[LogEntry]:
        def read() -> list[LogEntry]:
            rows = self._db.execute(
                "SELECT entry FROM log WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            )
            return [decode_entry(entry) for (entry,) in rows]

        return await self._run(read)

    async def save(
        self, subscriber: Subscriber, entries: Sequence[LogEntry], claim_key_ids: Sequence[str]
    ) -> Subscriber:
        stored = msgspec.structs.replace(subscriber, version=subscriber.version + 1)
        sid = subscriber.subscriber_id

        def write() -> None:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT version FROM subscribers WHERE subscriber_id = ?", (sid,)
                ).fetchone()
                if (row[0] if row else 0) != subscriber.version:
                    raise SaveConflict(ConflictReason.VERSION)
                if entries:
                    last = db.execute("SELECT MAX(seq) FROM log").fetchone()[0] or 0
                    if last != entries[0].seq - 1:
                        raise SaveConflict(ConflictReason.LOG)
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
                db.executemany(
                    "INSERT INTO log VALUES (?, ?)", [(e.seq, encode(e)) for e in entries]
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

        await self._run(write)
        return stored

    async def first_use(self, signature: str, expires: int, now: float) -> bool:
        def write() -> bool:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM replay WHERE expires < ?", (now,))
                cursor = db.execute(
                    "INSERT OR IGNORE INTO replay VALUES (?, ?)", (signature, expires)
                )
                first = cursor.rowcount == 1
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return first

        return await self._run(write)

    async def durability(self) -> list[Durability]:
        return [Durability("sqlite", True, "WAL, synchronous=FULL")]

    async def ping(self) -> None:
        await self._run(lambda: self._db.execute("SELECT 1").fetchone())

    async def close(self) -> None:
        await self._run(self._db.close)
        self._executor.shutdown(wait=True)
