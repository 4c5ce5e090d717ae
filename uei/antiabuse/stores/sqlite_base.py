"""The anti-abuse tables in the service's SQLite file: what every SQLite store class shares.

Calls run on the process's SQLite backend (``uei.storage.backend``: the one connection and
worker thread, shared with the registry's tables), so the event loop never waits on the disk;
a multi-row change is one transaction. Ledger changes are ``durable`` (synced before the
answer); links, quotas, events and the query audit ride on WAL's ``NORMAL`` sync: a power cut
may lose the last of them, never corrupt the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from uei.storage.backend import SqliteBackend
from uei.storage.errors import reachable

__all__ = ["SCHEMA", "SqliteTables"]

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS abuse_cases (
    case_id TEXT PRIMARY KEY, creditor TEXT NOT NULL, session_ref TEXT NOT NULL,
    version INTEGER NOT NULL, doc BLOB NOT NULL, UNIQUE (creditor, session_ref));
CREATE INDEX IF NOT EXISTS abuse_cases_disputed ON abuse_cases (
    json_extract(CAST(doc AS TEXT), '$.disputed_at'))
    WHERE json_extract(CAST(doc AS TEXT), '$.status') = 'disputed';
CREATE INDEX IF NOT EXISTS abuse_cases_by_status ON abuse_cases (
    json_extract(CAST(doc AS TEXT), '$.status'));
CREATE TABLE IF NOT EXISTS abuse_case_tokens (
    token TEXT NOT NULL, case_id TEXT NOT NULL, PRIMARY KEY (token, case_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS abuse_links (
    a TEXT NOT NULL, b TEXT NOT NULL, seen REAL NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS abuse_links_by_seen ON abuse_links (a, seen);
CREATE TABLE IF NOT EXISTS abuse_degrees (
    token TEXT NOT NULL, family TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (token, family)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS abuse_audit (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS quota_buckets (key TEXT PRIMARY KEY, tat REAL NOT NULL);
CREATE TABLE IF NOT EXISTS quota_replays (
    signature TEXT PRIMARY KEY, expires REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS quota_replays_by_expiry ON quota_replays (expires);
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
DROP TABLE IF EXISTS abuse_quota;
DROP TABLE IF EXISTS scraping_quota;
DROP TABLE IF EXISTS scraping_meters;
"""
"""Every anti-abuse table (the disputed cases found by a partial index on the case document
itself, and counted by status by another, so no write keeps a second copy of a case's status;
one quota table for every bucket: BAP rules, relays, the CPOs' query and dispute quotas; the
three it replaces held only seconds of state and are dropped)."""


class SqliteTables:
    """The backend and its calls with SQLite's errors raised as ``StoreUnavailable``."""

    remote = False
    """Calls run on the backend's own thread, not over a network (see ``QuotaStore``)."""

    def __init__(self, backend: SqliteBackend) -> None:
        self._backend = backend

    async def _run(self, fn: Callable[[sqlite3.Connection], T], *, small: bool = False) -> T:
        """A read, on the backend's reading connection: never queued behind writes;
        ``small``: a bounded handful of indexed reads (a request's own), which may run on the
        event loop."""
        with reachable():
            return await self._backend.read(fn, small=small)

    async def _write(
        self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False, small: bool = False
    ) -> T:
        """One transaction; ``durable``: synced to disk before the answer; ``small``: a
        bounded handful of statements (a request's own), which may run on the event loop."""
        with reachable():
            return await self._backend.transaction(fn, durable=durable, small=small)
