"""Redis and Redis Cluster: several stateless replicas share one registry.

Every registry key carries the ``{uei:reg}`` hash tag, so the atomic commit (one Lua script,
shipped in ``lua/``) runs on one node of a cluster. ``commit`` chains the log in that script:
``lua/blake2b.lua`` computes the chain hash (BLAKE2b-256, which Redis does not offer) from the
head the log holds as the script runs, so concurrent commits never conflict on the head.
The registry is small and every change appends to the one global log anyway; the anti-abuse
data is what spreads across slots.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from importlib import resources
from typing import Any, cast

import msgspec
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from uei.registry.changelog import Draft, LogEntry, chain_parts
from uei.registry.model import Subscriber
from uei.registry.stores.base import (
    ConflictReason,
    Durability,
    SaveConflict,
    decode_entry,
    decode_subscriber,
    encode,
)
from uei.storage.backend import RedisBackend
from uei.storage.connect import LuaScript
from uei.storage.errors import reachable_methods
from uei.storage.url import parse_store_url

__all__ = ["RedisRegistryStore"]

_TAG = "{uei:reg}"
_LOG = f"{_TAG}:log"
_OWNERS = f"{_TAG}:owners"
_SUBS = f"{_TAG}:subs"
_LUA = resources.files("uei.registry.stores").joinpath("lua")
_COMMIT = (
    _LUA.joinpath("blake2b.lua").read_text() + _LUA.joinpath("commit_subscriber.lua").read_text()
)


def _sub_key(subscriber_id: str) -> str:
    return f"{_TAG}:sub:{subscriber_id}"


def _conflict(answer: str) -> SaveConflict:
    """The commit script's ``conflict:version`` or ``conflict:key:<kid>``."""
    reason, _, key_id = answer.removeprefix("conflict:").partition(":")
    return SaveConflict(ConflictReason(reason), key_id if reason == ConflictReason.KEY else None)


async def _appendonly(server: str, reply: Awaitable[Any]) -> Durability:
    try:
        answer = await reply
    except ResponseError as exc:  # managed Redis often disables or renames CONFIG
        return Durability(server, None, f"CONFIG refused: {str(exc).strip()[:120]}")
    value = answer.get("appendonly") if isinstance(answer, dict) else None
    if value is None:
        return Durability(server, None, "CONFIG GET appendonly gave no answer")
    return Durability(server, value == "yes", f"appendonly {value}")


@reachable_methods
class RedisRegistryStore:
    def __init__(self, backend: RedisBackend, *, owns: bool = False) -> None:
        self._backend = backend
        self._owns = owns  # opened for this store alone (``open``): closed with it
        self._client: Any = cast(Any, backend.client)  # redis-py types Script for Redis only
        self._commit = LuaScript(self._client, _COMMIT)

    @classmethod
    async def open(cls, url: str) -> RedisRegistryStore:
        """On a backend of its own, closed with the store (tools and tests)."""
        backend = await RedisBackend.open(parse_store_url(url))
        return cls(backend, owns=True)

    async def load(self, subscriber_id: str) -> Subscriber | None:
        doc = await self._client.hget(_sub_key(subscriber_id), "doc")
        return decode_subscriber(doc) if doc is not None else None

    async def load_all(self) -> list[Subscriber]:
        ids = sorted(s.decode() for s in await self._client.smembers(_SUBS))
        docs = []
        for start in range(0, len(ids), 500):
            pipe = self._client.pipeline(transaction=False)
            for sid in ids[start : start + 500]:
                pipe.hget(_sub_key(sid), "doc")
            docs.extend(await pipe.execute())
        return [decode_subscriber(doc) for doc in docs if doc is not None]

    async def key_owner(self, unique_key_id: str) -> str | None:
        owner = await self._client.hget(_OWNERS, unique_key_id)
        return owner.decode() if owner is not None else None

    async def head(self) -> LogEntry | None:
        last = await self._client.lindex(_LOG, -1)
        return decode_entry(last) if last is not None else None

    async def log_after(self, seq: int, limit: int) -> list[LogEntry]:
        rows = await self._client.lrange(_LOG, seq, seq + limit - 1)
        return [decode_entry(row) for row in rows]

    async def commit(
        self,
        subscriber: Subscriber,
        drafts: Sequence[Draft],
        at: float,
        claim_key_ids: Sequence[str],
    ) -> tuple[Subscriber, list[LogEntry]]:
        stored = msgspec.structs.replace(subscriber, version=subscriber.version + 1)
        sid = subscriber.subscriber_id
        parts = [part for draft in drafts for part in chain_parts(draft, at)]
        result = await self._commit(
            keys=[_sub_key(sid), _LOG, _OWNERS, _SUBS],
            args=[
                sid,
                subscriber.version,
                stored.version,
                encode(stored),
                len(drafts),
                *parts,
                *claim_key_ids,
            ],
        )
        if not isinstance(result, list):
            answer = result.decode() if isinstance(result, bytes) else str(result)
            raise _conflict(answer)
        return stored, [decode_entry(entry) for entry in result[1:]]

    async def first_use(self, signature: str, expires: int, now: float) -> bool:
        stored = await self._client.set(
            f"uei:replay:{signature}", b"1", nx=True, exat=max(expires, int(now) + 1)
        )
        return bool(stored)

    async def marked(self, signature: str, now: float) -> bool:
        return bool(await self._client.exists(f"uei:replay:{signature}"))

    async def durability(self) -> list[Durability]:
        """``CONFIG GET appendonly`` on the server, or on every master of a cluster."""
        client = self._client
        if isinstance(client, RedisCluster):
            return [
                await _appendonly(node.name, client.config_get("appendonly", target_nodes=node))
                for node in client.get_primaries()
            ]
        options = client.connection_pool.connection_kwargs
        server = options.get("path") or f"{options.get('host')}:{options.get('port')}"
        return [await _appendonly(str(server), client.config_get("appendonly"))]

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        """Closes the backend only if it was opened for this store (``open``)."""
        if self._owns:
            await self._backend.close()
