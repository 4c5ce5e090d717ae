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

import msgspec

from uei.antiabuse.defaulters.ledger import AuditEntry, Case
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

    async def create_case(self, case: Case, audit: AuditEntry) -> Case:
        stored = msgspec.structs.replace(case, version=1)
        ref = msgspec.json.encode([case.creditor, case.session_ref])
        found = text(
            await self._create(
                keys=[_case_key(case.case_id), _REFS, _AUDIT, *map(_index_key, case.tokens)],
                args=[ref, case.case_id, encode(stored), encode(audit)],
            )
        )
        if found == case.case_id:
            return stored
        existing = await self.load_cases([found])
        return existing[found]

    async def load_cases(self, case_ids: Iterable[str]) -> dict[str, Case]:
        ids = list(dict.fromkeys(case_ids))
        docs = await each(self._client, "hget", [_case_key(i) for i in ids], "doc")
        cases = [decode_case(doc) for doc in docs if doc is not None]
        return {c.case_id: c for c in cases}

    async def save_case(self, case: Case, audit: AuditEntry) -> Case:
        stored = msgspec.structs.replace(case, version=case.version + 1)
        answer = await self._save(
            keys=[_case_key(case.case_id), _AUDIT],
            args=[case.version, stored.version, encode(stored), encode(audit)],
        )
        if text(answer) != "ok":
            raise CaseConflict(case.case_id)
        return stored

    async def cases_for(self, tokens: Iterable[str]) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(tokens))
        members = await each(self._client, "smembers", [_index_key(t) for t in wanted])
        return {
            t: sorted(text(m) for m in ids) for t, ids in zip(wanted, members, strict=True) if ids
        }

    async def audit(self, entry: AuditEntry) -> None:
        await self._client.rpush(_AUDIT, encode(entry))

    async def audit_log(self, limit: int) -> list[AuditEntry]:
        rows = await self._client.lrange(_AUDIT, -limit, -1)
        return [decode_audit(row) for row in rows]


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
        found: dict[str, dict[str, float]] = {}
        rows = await each(self._client, "hgetall", [_adjacency_key(t) for t in wanted])
        for token, raw in zip(wanted, rows, strict=True):
            links = {text(b): float(seen) for b, seen in raw.items()}
            if len(links) > limit:
                links = dict(sorted(links.items(), key=lambda kv: -kv[1])[:limit])
            found[token] = links
        return found

    async def degrees(self, tokens: Iterable[str]) -> dict[str, dict[str, int]]:
        wanted = list(dict.fromkeys(tokens))
        rows = await each(self._client, "hgetall", [_degree_key(t) for t in wanted])
        return {
            t: {text(f): int(n) for f, n in row.items()}
            for t, row in zip(wanted, rows, strict=True)
            if row
        }
