"""The defaulter ledger and the identity graph in the service's SQLite file."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable, Sequence
from itertools import permutations

import msgspec

from uei.antiabuse.defaulters.ledger import AuditEntry, Case, CaseStatus
from uei.antiabuse.defaulters.verdict import Evidence
from uei.antiabuse.defaulters.walk import Found, Reads, Walk, run_reads
from uei.antiabuse.stores.codec import decode_audit, decode_case, encode
from uei.antiabuse.stores.protocols import CaseConflict
from uei.antiabuse.stores.sqlite_base import SqliteTables

__all__ = ["SqliteCases", "SqliteGraph"]


SMALL_STEP = 16
"""Lookups in a walk's step that may run on the event loop (each one indexed)."""


SMALL_LINK = 8
"""Tokens linked at once that may run on the event loop (n * (n - 1) links)."""


def _lookups(reads: Reads) -> int:
    return len(reads.degrees) + len(reads.neighbours) + len(reads.cases_for) + len(reads.cases)


def _family(token: str) -> str:
    return token.partition(":")[0]


class SqliteCases(SqliteTables):
    """``CaseStore``: cases, the token index and the audit."""

    async def create_case(self, case: Case, audit: AuditEntry) -> Case:
        stored = msgspec.structs.replace(case, version=1)

        def write(db: sqlite3.Connection) -> Case:
            row = db.execute(
                "SELECT doc FROM abuse_cases WHERE creditor = ? AND session_ref = ?",
                (case.creditor, case.session_ref),
            ).fetchone()
            if row is not None:
                return decode_case(row[0])
            db.execute(
                "INSERT INTO abuse_cases VALUES (?, ?, ?, ?, ?)",
                (case.case_id, case.creditor, case.session_ref, 1, encode(stored)),
            )
            db.executemany(
                "INSERT OR IGNORE INTO abuse_case_tokens VALUES (?, ?)",
                [(t, case.case_id) for t in case.tokens],
            )
            db.execute("INSERT INTO abuse_audit (entry) VALUES (?)", (encode(audit),))
            return stored

        return await self._write(write, durable=True, small=True)

    async def load_cases(self, case_ids: Iterable[str]) -> dict[str, Case]:
        ids = list(dict.fromkeys(case_ids))
        if not ids:
            return {}  # no thread hop for nothing
        return await self._run(lambda db: _load_cases(db, ids))

    async def save_case(self, case: Case, audit: AuditEntry) -> Case:
        stored = msgspec.structs.replace(case, version=case.version + 1)

        def write(db: sqlite3.Connection) -> Case:
            cursor = db.execute(
                "UPDATE abuse_cases SET version = ?, doc = ? WHERE case_id = ? AND version = ?",
                (stored.version, encode(stored), case.case_id, case.version),
            )
            if cursor.rowcount != 1:
                raise CaseConflict(case.case_id)
            db.execute("INSERT INTO abuse_audit (entry) VALUES (?)", (encode(audit),))
            return stored

        return await self._write(write, durable=True, small=True)

    async def cases_for(self, tokens: Iterable[str]) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(tokens))
        if not wanted:
            return {}
        return await self._run(lambda db: _cases_for(db, wanted))

    async def audit(self, entry: AuditEntry) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO abuse_audit (entry) VALUES (?)", (encode(entry),))

        await self._write(write, small=True)

    async def audit_log(self, limit: int) -> list[AuditEntry]:
        def read(db: sqlite3.Connection) -> list[AuditEntry]:
            rows = db.execute(
                "SELECT entry FROM abuse_audit ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
            return [decode_audit(entry) for (entry,) in reversed(rows)]

        return await self._run(read)

    async def audit_page(self, before: int | None, limit: int) -> list[tuple[int, AuditEntry]]:
        def read(db: sqlite3.Connection) -> list[tuple[int, AuditEntry]]:
            rows = db.execute(
                "SELECT seq, entry FROM abuse_audit WHERE seq < ? ORDER BY seq DESC LIMIT ?",
                (min(before, 2**62) if before is not None else 2**62, limit),
            ).fetchall()
            return [(seq, decode_audit(entry)) for seq, entry in rows]

        return await self._run(read)

    async def disputed(self, limit: int) -> list[Case]:
        def read(db: sqlite3.Connection) -> list[Case]:
            rows = db.execute(
                "SELECT doc FROM abuse_cases"
                " WHERE json_extract(CAST(doc AS TEXT), '$.status') = 'disputed'"
                " ORDER BY json_extract(CAST(doc AS TEXT), '$.disputed_at'), case_id LIMIT ?",
                (limit,),
            ).fetchall()
            return [decode_case(doc) for (doc,) in rows]

        return await self._run(read)

    async def status_counts(self) -> dict[CaseStatus, int]:
        def read(db: sqlite3.Connection) -> dict[CaseStatus, int]:
            rows = db.execute(
                "SELECT json_extract(CAST(doc AS TEXT), '$.status'), COUNT(*) FROM abuse_cases"
                " GROUP BY 1"
            ).fetchall()
            found = dict.fromkeys(CaseStatus, 0)
            found.update((CaseStatus(status), n) for status, n in rows)
            return found

        return await self._run(read)


class SqliteGraph(SqliteTables):
    """``GraphStore``: links between tokens and each token's degree per family."""

    async def link(self, tokens: Sequence[str], seen_at: float) -> None:
        distinct = list(dict.fromkeys(tokens))

        def write(db: sqlite3.Connection) -> None:
            for a, b in permutations(distinct, 2):
                added = db.execute(
                    "INSERT OR IGNORE INTO abuse_links VALUES (?, ?, ?)", (a, b, seen_at)
                ).rowcount
                if added:
                    db.execute(
                        "INSERT INTO abuse_degrees VALUES (?, ?, 1) ON CONFLICT (token, family) "
                        "DO UPDATE SET n = n + 1",
                        (a, _family(b)),
                    )
                else:
                    db.execute(
                        "UPDATE abuse_links SET seen = ? WHERE a = ? AND b = ? AND seen < ?",
                        (seen_at, a, b, seen_at),
                    )

        # up to 8 tokens (56 links) on the loop; a report's 16 (240) on the worker
        await self._write(write, small=len(distinct) <= SMALL_LINK)

    async def neighbours(self, tokens: Iterable[str], limit: int) -> dict[str, dict[str, float]]:
        wanted = list(dict.fromkeys(tokens))
        if not wanted:
            return {}
        return await self._run(lambda db: _neighbours(db, wanted, limit))

    async def degrees(self, tokens: Iterable[str]) -> dict[str, dict[str, int]]:
        wanted = list(dict.fromkeys(tokens))
        if not wanted:
            return {}
        return await self._run(lambda db: _degrees(db, wanted))

    async def walk(self, walk: Walk) -> Evidence:
        """Step by step on the event loop while each step is a handful of lookups (no thread
        hop for a query's usual walk); from the first larger step on, the rest in one hop."""
        reads = next(walk)
        try:
            while _lookups(reads) <= SMALL_STEP:
                reads = walk.send(
                    await self._run(functools.partial(_read, reads=reads), small=True)
                )
        except StopIteration as done:
            evidence: Evidence = done.value
            return evidence
        rest = reads
        return await self._run(lambda db: run_reads(walk, lambda r: _read(db, r), first=rest))


def _load_cases(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Case]:
    found: dict[str, Case] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.execute(
            f"SELECT doc FROM abuse_cases WHERE case_id IN ({','.join('?' * len(chunk))})",  # noqa: S608 (placeholders only)
            chunk,
        )
        for (doc,) in rows:
            case = decode_case(doc)
            found[case.case_id] = case
    return found


def _cases_for(db: sqlite3.Connection, tokens: Iterable[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for token in tokens:
        rows = db.execute(
            "SELECT case_id FROM abuse_case_tokens WHERE token = ?", (token,)
        ).fetchall()
        if rows:
            found[token] = [r[0] for r in rows]
    return found


def _neighbours(
    db: sqlite3.Connection, tokens: Iterable[str], limit: int
) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for token in tokens:
        rows = db.execute(
            "SELECT b, seen FROM abuse_links WHERE a = ? ORDER BY seen DESC LIMIT ?",
            (token, limit),
        ).fetchall()
        found[token] = dict(rows)
    return found


def _degrees(db: sqlite3.Connection, tokens: Iterable[str]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for token in tokens:
        rows = db.execute(
            "SELECT family, n FROM abuse_degrees WHERE token = ?", (token,)
        ).fetchall()
        if rows:
            found[token] = dict(rows)
    return found


def _read(db: sqlite3.Connection, reads: Reads) -> Found:
    """One step of an evidence walk, on the reading connection."""
    return Found(
        degrees=_degrees(db, reads.degrees),
        neighbours=_neighbours(db, reads.neighbours, reads.limit),
        cases_for=_cases_for(db, reads.cases_for),
        cases=_load_cases(db, reads.cases),
    )
