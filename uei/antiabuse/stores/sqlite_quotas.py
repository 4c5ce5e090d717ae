"""Quota buckets and BAP checks in the service's SQLite file.

One process owns the file, so the store's clock is this process's clock. A check (take,
dedupe, record the search) is one transaction.
"""

from __future__ import annotations

import sqlite3
import time

import msgspec

from uei.antiabuse.quotas.gcra import QuotaAnswer, gcra
from uei.antiabuse.scraping.events import Search
from uei.antiabuse.stores.protocols import Checked
from uei.antiabuse.stores.sqlite_base import SqliteTables
from uei.antiabuse.stores.sqlite_scraping import insert_event

__all__ = ["SqliteQuotas"]

_answer = msgspec.msgpack.Decoder(tuple[bool, int, float, float])
_encoder = msgspec.msgpack.Encoder()


def _take(
    db: sqlite3.Connection, key: str, now: float, interval: float, burst: int, cost: int
) -> QuotaAnswer:
    row = db.execute("SELECT tat FROM quota_buckets WHERE key = ?", (key,)).fetchone()
    answer, tat = gcra(row[0] if row else None, now, interval, burst, cost)
    if answer.allowed:
        db.execute(
            "INSERT INTO quota_buckets VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = ?",
            (key, tat, tat),
        )
    return answer


def _mark(db: sqlite3.Connection, replay: tuple[str, int], now: float) -> bool:
    """Mark a request's signature until it expires (at least a second); False if it was."""
    marked: int = db.execute(
        "INSERT OR IGNORE INTO quota_replays VALUES (?, ?)",
        (replay[0], max(float(replay[1]), now + 1)),
    ).rowcount
    return marked == 1


class SqliteQuotas(SqliteTables):
    """``QuotaStore``."""

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
        replay: tuple[str, int] | None = None,
    ) -> Checked:
        def write(db: sqlite3.Connection) -> Checked:
            at = time.time() if now is None else now
            if replay is not None and not _mark(db, replay, at):
                return Checked(QuotaAnswer(False, 0, 0.0, 0.0), False, at, replayed=True)
            row = db.execute(
                "SELECT at, answer FROM scraping_answers WHERE bap = ? AND message_id = ?",
                (bap, message_id),
            ).fetchone()
            if row is not None and row[0] > at - answer_seconds:
                return Checked(QuotaAnswer(*_answer.decode(row[1])), True, at)
            answer = _take(db, f"bap\x00{bap}\x00{rule}", at, interval, burst, cost)
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
                insert_event(db, bap, message_id, search)
            return Checked(answer, False, at)

        return await self._write(write, small=True)

    async def take(
        self, key: str, *, interval: float, burst: int, cost: int = 1, now: float | None = None
    ) -> QuotaAnswer:
        def write(db: sqlite3.Connection) -> QuotaAnswer:
            return _take(db, key, time.time() if now is None else now, interval, burst, cost)

        return await self._write(write, small=True)

    async def take_once(
        self,
        key: str,
        replay: tuple[str, int],
        *,
        interval: float,
        burst: int,
        cost: int = 1,
        now: float | None = None,
    ) -> QuotaAnswer | None:
        def write(db: sqlite3.Connection) -> QuotaAnswer | None:
            at = time.time() if now is None else now
            if not _mark(db, replay, at):
                return None
            return _take(db, key, at, interval, burst, cost)

        return await self._write(write, small=True)
