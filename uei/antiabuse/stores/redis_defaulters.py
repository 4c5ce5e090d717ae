"""The defaulter ledger and the identity graph on Redis and Redis Cluster.

The ledger (cases, the (creditor, session_ref) index, the token -> cases index, the audit
list) shares the ``{uei:ab}`` hash tag so each ledger change is one atomic script on one node;
cases are few next to the identity graph. The graph spreads over the cluster:
each token's neighbour and degree hashes share that token's own tag, so ``link`` is one
script per token, and a retry after a partial failure completes it (links only grow).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from uei.antiabuse.defaulters.ledger import AuditEntry, Case, CaseStatus
from uei.antiabuse.defaulters.verdict import Evidence
from uei.antiabuse.defaulters.walk import Found, Reads, Walk
from uei.antiabuse.stores.codec import decode_audit, decode_case, encode
from uei.antiabuse.stores.protocols import CaseConflict
from uei.antiabuse.stores.redis_base import RedisKeys
from uei.storage.backend import RedisBackend
from uei.storage.connect import each, text
from uei.storage.errors import reachable_methods

__all__ = ["RedisCases", "RedisGraph"]

_TAG = "{uei:ab}"
_REFS = f"{_TAG}:refs"
_AUDIT = f"{_TAG}:audit"
_DISPUTED = f"{_TAG}:disputed"
"""Disputed case ids scored by when they were disputed (kept by ``save_case``, the only
write that changes a status)."""
_DISPUTED_INDEXED = f"{_TAG}:disputed:indexed"
"""Set once every case stored before the index existed has been put in it."""
_STATUS_INDEXED = f"{_TAG}:status:indexed"
"""Set once every case stored before the sets of cases by status existed is in its set."""
_STATUSES = list(CaseStatus)


def _status_key(status: CaseStatus) -> str:
    """The ids of the cases in ``status`` (kept by ``create_case`` and ``save_case``, the
    only writes of a case)."""
    return f"{_TAG}:status:{status.value}"


def _status_keys(first: CaseStatus) -> list[str]:
    """``first``'s set, then every other status's."""
    return [_status_key(first), *(_status_key(s) for s in _STATUSES if s is not first)]


def _case_key(case_id: str) -> str:
    return f"{_TAG}:case:{case_id}"


def _index_key(token: str) -> str:
    return f"{_TAG}:tok:{token}"


def _adjacency_key(token: str) -> str:
    return f"uei:ab:adj:{{{token}}}"


def _degree_key(token: str) -> str:
    return f"uei:ab:deg:{{{token}}}"


@reachable_methods
class RedisCases(RedisKeys):
    """``CaseStore``: the ledger and its audit under one hash tag."""

    def __init__(self, backend: RedisBackend) -> None:
        super().__init__(backend)
        self._create = self._script("create_case")
        self._save = self._script("save_case")
        self._index = self._script("index_case")

    async def index_cases(self) -> int:
        """Backfill the index of disputed cases and the sets of cases by status from the
        cases themselves, once per store (cases stored before they existed); returns how many
        were disputed. Each case is indexed by its own atomic step, so concurrent case changes
        are never undone, and two replicas starting at once do the same thing twice,
        harmlessly."""
        if await self._client.exists(_DISPUTED_INDEXED, _STATUS_INDEXED) == 2:
            return 0
        ids = sorted({text(i) for i in await self._client.hvals(_REFS)})
        statuses = [s.value for s in _STATUSES]
        keys = [_status_key(s) for s in _STATUSES]
        found = 0
        for case_id in ids:
            found += int(
                await self._index(
                    keys=[_case_key(case_id), _DISPUTED, *keys], args=[case_id, *statuses]
                )
            )
        await self._client.set(_DISPUTED_INDEXED, "1")
        await self._client.set(_STATUS_INDEXED, "1")
        return found

    async def create_case(self, case: Case, audit: AuditEntry) -> Case:
        stored = msgspec.structs.replace(case, version=1)
        ref = msgspec.json.encode([case.creditor, case.session_ref])
        found = text(
            await self._create(
                keys=[
                    _case_key(case.case_id),
                    _REFS,
                    _AUDIT,
                    _status_key(stored.status),
                    *map(_index_key, case.tokens),
                ],
                args=[ref, case.case_id, encode(stored), encode(audit)],
            )
        )
        if found == case.case_id:
            return stored
        existing = await self.load_cases([found])
        return existing[found]

    async def load_cases(self, case_ids: Iterable[str]) -> dict[str, Case]:
        ids = list(dict.fromkeys(case_ids))
        return _cases(await each(self._client, "hget", [_case_key(i) for i in ids], "doc"))

    async def save_case(self, case: Case, audit: AuditEntry) -> Case:
        stored = msgspec.structs.replace(case, version=case.version + 1)
        disputed = (
            repr(float(case.disputed_at or 0.0)) if case.status is CaseStatus.DISPUTED else ""
        )
        answer = await self._save(
            keys=[_case_key(case.case_id), _AUDIT, _DISPUTED, *_status_keys(case.status)],
            args=[
                case.version,
                stored.version,
                encode(stored),
                encode(audit),
                case.case_id,
                disputed,
            ],
        )
        if text(answer) != "ok":
            raise CaseConflict(case.case_id)
        return stored

    async def cases_for(self, tokens: Iterable[str]) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(tokens))
        return _case_ids(
            wanted, await each(self._client, "smembers", [_index_key(t) for t in wanted])
        )

    async def audit(self, entry: AuditEntry) -> None:
        await self._client.rpush(_AUDIT, encode(entry))

    async def audit_log(self, limit: int) -> list[AuditEntry]:
        rows = await self._client.lrange(_AUDIT, -limit, -1)
        return [decode_audit(row) for row in rows]

    async def audit_page(self, before: int | None, limit: int) -> list[tuple[int, AuditEntry]]:
        # the list only grows at its tail (RPUSH, never trimmed): entry seq is index + 1
        end = int(await self._client.llen(_AUDIT))
        if before is not None:
            end = min(end, before - 1)
        start = max(0, end - limit)
        rows = await self._client.lrange(_AUDIT, start, end - 1) if end > 0 else []
        return [(start + i + 1, decode_audit(row)) for i, row in reversed(list(enumerate(rows)))]

    async def disputed(self, limit: int) -> list[Case]:
        ids = [text(i) for i in await self._client.zrange(_DISPUTED, 0, limit - 1)]
        found = await self.load_cases(ids)
        return [found[i] for i in ids if i in found]

    async def status_counts(self) -> dict[CaseStatus, int]:
        counts = await each(self._client, "scard", [_status_key(s) for s in _STATUSES])
        return {s: int(n) for s, n in zip(_STATUSES, counts, strict=True)}


@reachable_methods
class RedisGraph(RedisKeys):
    """``GraphStore``: each token's neighbours and degrees under the token's own tag."""

    def __init__(self, backend: RedisBackend) -> None:
        super().__init__(backend)
        self._link = self._script("link")

    async def link(self, tokens: Sequence[str], seen_at: float) -> None:
        distinct = list(dict.fromkeys(tokens))
        seen = repr(float(seen_at))
        await asyncio.gather(
            *(
                self._link(
                    keys=[_adjacency_key(a), _degree_key(a)],
                    args=[
                        seen,
                        *(x for b in distinct if b != a for x in (b, b.partition(":")[0])),
                    ],
                )
                for a in distinct
            )
        )

    async def neighbours(self, tokens: Iterable[str], limit: int) -> dict[str, dict[str, float]]:
        wanted = list(dict.fromkeys(tokens))
        rows = await each(self._client, "hgetall", [_adjacency_key(t) for t in wanted])
        return _links(wanted, rows, limit)

    async def degrees(self, tokens: Iterable[str]) -> dict[str, dict[str, int]]:
        wanted = list(dict.fromkeys(tokens))
        rows = await each(self._client, "hgetall", [_degree_key(t) for t in wanted])
        return _degrees(wanted, rows)

    async def walk(self, walk: Walk) -> Evidence:
        try:
            reads = next(walk)
            while True:
                reads = walk.send(await self._read(reads))
        except StopIteration as done:
            evidence: Evidence = done.value
            return evidence

    async def _read(self, reads: Reads) -> Found:
        """One step of an evidence walk: one pipeline (split per node on a cluster)."""
        pipe = self._client.pipeline(transaction=False)
        for t in reads.degrees:
            pipe.hgetall(_degree_key(t))
        for t in reads.neighbours:
            pipe.hgetall(_adjacency_key(t))
        for t in reads.cases_for:
            pipe.smembers(_index_key(t))
        for case_id in reads.cases:
            pipe.hget(_case_key(case_id), "doc")
        rows = list(await pipe.execute())
        a = len(reads.degrees)
        b = a + len(reads.neighbours)
        c = b + len(reads.cases_for)
        return Found(
            degrees=_degrees(reads.degrees, rows[:a]),
            neighbours=_links(reads.neighbours, rows[a:b], reads.limit),
            cases_for=_case_ids(reads.cases_for, rows[b:c]),
            cases=_cases(rows[c:]),
        )


def _links(tokens: Sequence[str], rows: Sequence[Any], limit: int) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for token, raw in zip(tokens, rows, strict=True):
        links = {text(b): float(seen) for b, seen in raw.items()}
        if len(links) > limit:
            links = dict(sorted(links.items(), key=lambda kv: -kv[1])[:limit])
        found[token] = links
    return found


def _degrees(tokens: Sequence[str], rows: Sequence[Any]) -> dict[str, dict[str, int]]:
    return {
        t: {text(f): int(n) for f, n in row.items()}
        for t, row in zip(tokens, rows, strict=True)
        if row
    }


def _case_ids(tokens: Sequence[str], rows: Sequence[Any]) -> dict[str, list[str]]:
    return {t: sorted(text(m) for m in ids) for t, ids in zip(tokens, rows, strict=True) if ids}


def _cases(docs: Sequence[Any]) -> dict[str, Case]:
    cases = [decode_case(doc) for doc in docs if doc is not None]
    return {c.case_id: c for c in cases}
