"""Redis and Redis Cluster for the anti-abuse data.

The ledger (cases, the (creditor, session_ref) index, the token -> cases index, the audit
list) shares the ``{uei:ab}`` hash tag so each ledger change is one atomic script on one node;
cases are few next to the identity graph. The graph and the quotas spread over the cluster:
each token's neighbour and degree hashes share that token's own tag, so ``link`` is one
script per token, and a retry after a partial failure completes it (links only grow).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

import msgspec

from uei.antiabuse.defaulters.ledger import AuditEntry, Case
from uei.antiabuse.quotas.gcra import QuotaAnswer
from uei.antiabuse.stores.base import CaseConflict, decode_audit, decode_case, encode
from uei.antiabuse.stores.redis_scraping import RedisScrapingStore, script, text
from uei.storage.backend import RedisBackend
from uei.storage.connect import LuaScript
from uei.storage.errors import reachable
from uei.storage.url import parse_store_url

__all__ = ["RedisAbuseStore"]

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


class RedisAbuseStore(RedisScrapingStore):
    def __init__(self, backend: RedisBackend, *, owns: bool = False) -> None:
        super().__init__(backend, owns=owns)
        self._create = LuaScript(self._client, script("create_case"))
        self._save = LuaScript(self._client, script("save_case"))
        self._link = LuaScript(self._client, script("link"))
        self._gcra = LuaScript(self._client, script("gcra"))

    @classmethod
    async def open(cls, url: str) -> RedisAbuseStore:
        """On a backend of its own, closed with the store (tools and tests)."""
        return cls(await RedisBackend.open(parse_store_url(url)), owns=True)

    async def create_case(self, case: Case, audit: AuditEntry) -> Case:
        stored = msgspec.structs.replace(case, version=1)
        ref = msgspec.json.encode([case.creditor, case.session_ref])
        with reachable():
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
        with reachable():
            docs = await self._each("hget", [_case_key(i) for i in ids], "doc")
        cases = [decode_case(doc) for doc in docs if doc is not None]
        return {c.case_id: c for c in cases}

    async def save_case(self, case: Case, audit: AuditEntry) -> Case:
        stored = msgspec.structs.replace(case, version=case.version + 1)
        with reachable():
            answer = await self._save(
                keys=[_case_key(case.case_id), _AUDIT],
                args=[case.version, stored.version, encode(stored), encode(audit)],
            )
        if text(answer) != "ok":
            raise CaseConflict(case.case_id)
        return stored

    async def cases_for(self, tokens: Iterable[str]) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(tokens))
        with reachable():
            members = await self._each("smembers", [_index_key(t) for t in wanted])
        return {
            t: sorted(text(m) for m in ids) for t, ids in zip(wanted, members, strict=True) if ids
        }

    async def link(self, tokens: Sequence[str], seen_at: float) -> None:
        distinct = list(dict.fromkeys(tokens))
        seen = repr(float(seen_at))
        with reachable():
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
        with reachable():
            rows = await self._each("hgetall", [_adjacency_key(t) for t in wanted])
        for token, raw in zip(wanted, rows, strict=True):
            links = {text(b): float(seen) for b, seen in raw.items()}
            if len(links) > limit:
                links = dict(sorted(links.items(), key=lambda kv: -kv[1])[:limit])
            found[token] = links
        return found

    async def degrees(self, tokens: Iterable[str]) -> dict[str, dict[str, int]]:
        wanted = list(dict.fromkeys(tokens))
        with reachable():
            rows = await self._each("hgetall", [_degree_key(t) for t in wanted])
        return {
            t: {text(f): int(n) for f, n in row.items()}
            for t, row in zip(wanted, rows, strict=True)
            if row
        }

    async def take(
        self, key: str, now: float, interval: float, burst: int, cost: int = 1
    ) -> QuotaAnswer:
        with reachable():
            allowed, remaining, retry_after, reset_after = await self._gcra(
                keys=[f"uei:ab:q:{{{key}}}"], args=[repr(now), repr(interval), burst, cost]
            )
        return QuotaAnswer(bool(allowed), int(remaining), float(retry_after), float(reset_after))

    async def audit(self, entry: AuditEntry) -> None:
        with reachable():
            await self._client.rpush(_AUDIT, encode(entry))

    async def audit_log(self, limit: int) -> list[AuditEntry]:
        with reachable():
            rows = await self._client.lrange(_AUDIT, -limit, -1)
        return [decode_audit(row) for row in rows]

    async def ping(self) -> None:
        with reachable():
            await self._client.ping()

    async def close(self) -> None:
        """Closes the backend only if it was opened for this store (``open``)."""
        if self._owns:
            await self._backend.close()
