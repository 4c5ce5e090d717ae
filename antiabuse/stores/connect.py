"""Redis clients for every store in the service (the registry's too): one URL scheme, bounded
timeouts, and a cluster client that knows the slot map before it is used."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

__all__ = ["ready", "redis_client"]


def redis_client(url: str, timeout: float = 2.0) -> Redis | RedisCluster:
    """``redis://host:port/db`` or ``redis+cluster://host:port``; not connected yet."""
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if url.startswith("redis+cluster://"):
        return RedisCluster.from_url("redis://" + url.removeprefix("redis+cluster://"), **options)
    return Redis.from_url(url, **options)


async def ready(client: Redis | RedisCluster) -> None:
    """Learn a cluster's slot map before any command is sent: redis-py's cluster client breaks
    connections when a fresh client's first commands race."""
    if isinstance(client, RedisCluster):
        await client.initialize()
