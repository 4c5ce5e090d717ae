"""Scraping protection's events and verdicts in the service's SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from uei.antiabuse.scraping.events import Event, decode_event, encode_event
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureRow, decode_row, decode_verdict
from uei.antiabuse.scraping.verdicts import encode as encode_verdict
from uei.antiabuse.stores.codec import event_kind
from uei.antiabuse.stores.sqlite_base import SqliteTables

__all__ = ["SqliteEvents", "SqliteVerdicts", "insert_event"]


def insert_event(db: sqlite3.Connection, bap: str, message_id: str, event: Event) -> bool:
    """Record one event unless its (BAP, kind, message id) is recorded; whether it was new."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO scraping_events VALUES (?, ?, ?, ?, ?)",
        (bap, event_kind(event), message_id, event.at, encode_event(event)),
    )
    return cursor.rowcount == 1


class SqliteEvents(SqliteTables):
    """``EventStore``."""

    async def record(
        self, bap: str, events: Sequence[tuple[str, Event]], keep_seconds: float
    ) -> int:
        def write(db: sqlite3.Connection) -> int:
            return sum(insert_event(db, bap, m, e) for m, e in events)

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

    async def recent(self, bap: str, start: float, end: float, limit: int) -> list[Event]:
        def read(db: sqlite3.Connection) -> list[Event]:
            rows = db.execute(
                "SELECT doc FROM scraping_events WHERE bap = ? AND at >= ? AND at < ?"
                " ORDER BY at DESC LIMIT ?",
                (bap, start, end, limit),
            ).fetchall()
            return [decode_event(doc) for (doc,) in reversed(rows)]

        return await self._run(read)

    async def prune(self, before: float) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM scraping_events WHERE at < ?", (before,))
            db.execute("DELETE FROM scraping_answers WHERE at < ?", (before,))
            db.execute("DELETE FROM quota_replays WHERE expires < ?", (before,))

        await self._write(write)


class SqliteVerdicts(SqliteTables):
    """``VerdictStore``."""

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
        found = await self._verdicts(bap, 1, small=True)
        return found[0] if found else None

    async def verdict_history(self, bap: str, limit: int) -> list[BapVerdict]:
        return await self._verdicts(bap, limit)

    async def _verdicts(self, bap: str, limit: int, *, small: bool = False) -> list[BapVerdict]:
        def read(db: sqlite3.Connection) -> list[BapVerdict]:
            rows = db.execute(
                "SELECT doc FROM scraping_verdicts WHERE bap = ? ORDER BY seq DESC LIMIT ?",
                (bap, limit),
            ).fetchall()
            return [decode_verdict(doc) for (doc,) in rows]

        return await self._run(read, small=small)

    async def ranked(self, limit: int) -> list[BapVerdict]:
        def read(db: sqlite3.Connection) -> list[BapVerdict]:
            rows = db.execute(
                "SELECT doc FROM scraping_verdicts WHERE seq IN ("
                " SELECT MAX(seq) FROM scraping_verdicts GROUP BY bap)"
            ).fetchall()
            latest = [decode_verdict(doc) for (doc,) in rows]
            latest.sort(key=lambda v: (-v.score, v.bap_id))
            return latest[:limit]

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
