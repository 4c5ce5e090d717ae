"""Scraping protection's data in the service's SQLite file.

One process owns the file, so the store's clock is this process's clock. A check (take,
dedupe, record) is one transaction. Calls run on the backend's one worker thread, not over a
network: callers wait for them to finish (``remote = False``). Quotas, events and verdicts
ride on WAL's ``NORMAL`` sync: a power cut may lose the last of them, never corrupt the file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import msgspec

from uei.antiabuse.quotas.gcra import QuotaAnswer, gcra
from uei.antiabuse.scraping.events import Event, Search, decode_event, encode_event
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureRow, decode_row, decode_verdict
from uei.antiabuse.scraping.verdicts import encode as encode_verdict
from uei.antiabuse.stores.base import Checked, event_kind
from uei.storage.backend import SqliteBackend
from uei.storage.errors import reachable

__all__ = ["SCRAPING_SCHEMA", "SqliteScrapingStore"]

T = TypeVar("T")

SCRAPING_SCHEMA = """
CREATE TABLE IF NOT EXISTS scraping_quota (key TEXT PRIMARY KEY, tat REAL NOT NULL);
CREATE TABLE IF NOT EXISTS scraping_meters (key TEXT PRIMARY KEY, tat REAL NOT NULL);
CREATE TABLE IF NOT EXISTS scraping_answers (
    bap TEXT NOT NULL, message_id TEXT NOT NULL, at REAL NOT NULL, answer BLOB NOT NULL,
    PRIMARY KEY (bap, message_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scraping_events (
    bap TEXT NOT NULL, kind TEXT NOT NULL, message_id TEXT NOT NULL, at REAL NOT NULL,
    doc BLOB NOT NULL, PRIMARY KEY (bap, kind, message_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS scraping_events_by_time ON scraping_events (bap, at);
CREATE INDEX IF NOT EXISTS scraping_events_at ON scraping_events (at);
CREATE TABLE IF NOT EXISTS scraping_verdicts (
    seq INTEGER PRIMARY KEY, bap TEXT NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS scraping_verdicts_by_bap ON scraping_verdicts (bap, seq);
CREATE TABLE IF NOT EXISTS scraping_rows (
    bap TEXT NOT NULL, window_end REAL NOT NULL, doc BLOB NOT NULL,
    PRIMARY KEY (bap, window_end)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS scraping_rows_by_end ON scraping_rows (window_end);
CREATE TABLE IF NOT EXISTS scraping_leases (
    name TEXT PRIMARY KEY, owner TEXT NOT NULL, until REAL NOT NULL);
"""

_answer = msgspec.msgpack.Decoder(tuple[bool, int, float, float])
_encoder = msgspec.msgpack.Encoder()


class SqliteScrapingStore:
    """``SqliteAbuseStore`` adds the ledger and the identity graph."""

    remote = False

    def __init__(self, backend: SqliteBackend, *, owns: bool = False) -> None:
        self._backend = backend
        self._owns = owns  # opened for this store alone (``open``): closed with it

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with reachable():
            return await self._backend.run(fn)

    async def _write(self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False) -> T:
        """One transaction. ``durable``: synced to disk before the answer (ledger changes).
        Links, quotas, events and the query audit ride on WAL's ``NORMAL`` sync: a power cut
        may lose the last of them, never corrupt the file."""
        with reachable():
            return await self._backend.transaction(fn, durable=durable)

    @staticmethod
    def _insert_event(db: sqlite3.Connection, bap: str, message_id: str, event: Event) -> bool:
        cursor = db.execute(
            "INSERT OR IGNORE INTO scraping_events VALUES (?, ?, ?, ?, ?)",
            (bap, event_kind(event), message_id, event.at, encode_event(event)),
        )
        return cursor.rowcount == 1

    async def check(
        self,
        bap: str,
        rule: str,
        message_id: str,
        *,
        interval: float,
        burst: int,
        cost: int,
        search: Search | None,
        answer_seconds: float,
        keep_seconds: float,
        now: float | None = None,
    ) -> Checked:
        def write(db: sqlite3.Connection) -> Checked:
            at = time.time() if now is None else now
            row = db.execute(
                "SELECT at, answer FROM scraping_answers WHERE bap = ? AND message_id = ?",
                (bap, message_id),
            ).fetchone()
            if row is not None and row[0] > at - answer_seconds:
                return Checked(QuotaAnswer(*_answer.decode(row[1])), True, at)
            key = f"{bap}\x00{rule}"
            found = db.execute("SELECT tat FROM scraping_quota WHERE key = ?", (key,)).fetchone()
            answer, tat = gcra(found[0] if found else None, at, interval, burst, cost)
            db.execute(
                "INSERT INTO scraping_quota VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = ?",
                (key, tat, tat),
            )
            db.execute(
                "INSERT OR REPLACE INTO scraping_answers VALUES (?, ?, ?, ?)",
                (
                    bap,
                    message_id,
                    at,
                    _encoder.encode(
                        (answer.allowed, answer.remaining, answer.retry_after, answer.reset_after)
                    ),
                ),
            )
            if search is not None:
                self._insert_event(db, bap, message_id, search)
            return Checked(answer, False, at)

        return await self._write(write)

    async def meter(
        self, key: str, *, interval: float, burst: int, cost: int, now: float | None = None
    ) -> QuotaAnswer:
        def write(db: sqlite3.Connection) -> QuotaAnswer:
            at = time.time() if now is None else now
            row = db.execute("SELECT tat FROM scraping_meters WHERE key = ?", (key,)).fetchone()
            answer, tat = gcra(row[0] if row else None, at, interval, burst, cost)
            if answer.allowed:
                db.execute(
                    "INSERT INTO scraping_meters VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET tat = ?",
                    (key, tat, tat),
                )
            return answer

        return await self._write(write)

    async def record(
        self, bap: str, events: Sequence[tuple[str, Event]], keep_seconds: float
    ) -> int:
        def write(db: sqlite3.Connection) -> int:
            return sum(self._insert_event(db, bap, m, e) for m, e in events)

        return await self._write(write)

    async def active(self, start: float, end: float) -> list[str]:
        def read(db: sqlite3.Connection) -> list[str]:
            rows = db.execute(
                "SELECT DISTINCT bap FROM scraping_events WHERE at >= ? AND at < ? ORDER BY bap",
                (start, end),
            ).fetchall()
            return [bap for (bap,) in rows]

        return await self._run(read)

    async def events(self, bap: str, start: float, end: float) -> list[Event]:
        def read(db: sqlite3.Connection) -> list[Event]:
            rows = db.execute(
                "SELECT doc FROM scraping_events WHERE bap = ? AND at >= ? AND at < ? ORDER BY at",
                (bap, start, end),
            ).fetchall()
            return [decode_event(doc) for (doc,) in rows]

        return await self._run(read)

    async def prune(self, before: float) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM scraping_events WHERE at < ?", (before,))
            db.execute("DELETE FROM scraping_answers WHERE at < ?", (before,))

        await self._write(write)

    async def save_pass(
        self,
        verdicts: Sequence[BapVerdict],
        rows: Sequence[FeatureRow],
        history: int,
        rows_before: float,
    ) -> None:
        def write(db: sqlite3.Connection) -> None:
            for v in verdicts:
                db.execute(
                    "INSERT INTO scraping_verdicts (bap, doc) VALUES (?, ?)",
                    (v.bap_id, encode_verdict(v)),
                )
                db.execute(
                    "DELETE FROM scraping_verdicts WHERE bap = ? AND seq NOT IN ("
                    " SELECT seq FROM scraping_verdicts WHERE bap = ? ORDER BY seq DESC LIMIT ?)",
                    (v.bap_id, v.bap_id, history),
                )
            db.executemany(
                "INSERT OR REPLACE INTO scraping_rows VALUES (?, ?, ?)",
                [(r.bap_id, r.window_end, encode_verdict(r)) for r in rows],
            )
            db.execute("DELETE FROM scraping_rows WHERE window_end < ?", (rows_before,))

        await self._write(write)

    async def verdict(self, bap: str) -> BapVerdict | None:
        found = await self.verdict_history(bap, 1)
        return found[0] if found else None

    async def verdict_history(self, bap: str, limit: int) -> list[BapVerdict]:
        def read(db: sqlite3.Connection) -> list[BapVerdict]:
            rows = db.execute(
                "SELECT doc FROM scraping_verdicts WHERE bap = ? ORDER BY seq DESC LIMIT ?",
                (bap, limit),
            ).fetchall()
            return [decode_verdict(doc) for (doc,) in rows]

        return await self._run(read)

    async def training_rows(self, since: float, limit: int) -> list[FeatureRow]:
        def read(db: sqlite3.Connection) -> list[FeatureRow]:
            rows = db.execute(
                "SELECT doc FROM scraping_rows WHERE window_end >= ?"
                " ORDER BY window_end DESC, bap LIMIT ?",
                (since, limit),
            ).fetchall()
            return [decode_row(doc) for (doc,) in rows]

        return await self._run(read)

    async def lease(self, name: str, owner: str, seconds: float, now: float) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT owner, until FROM scraping_leases WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[0] != owner and row[1] > now:
                return False
            db.execute(
                "INSERT OR REPLACE INTO scraping_leases VALUES (?, ?, ?)",
                (name, owner, now + seconds),
            )
            return True

        return await self._write(write)
