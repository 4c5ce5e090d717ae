"""Redis clients (bounded timeouts, a cluster client that knows the slot map before it is
used) and Lua scripts with the NOSCRIPT fallback."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib import resources
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, ResponseError

__all__ = ["LuaScript", "each", "lua_source", "ready", "redis_client", "text"]

log = logging.getLogger("uei.redis")


def redis_client(url: str, timeout: float = 2.0, *, cluster: bool = False) -> Redis | RedisCluster:
    """A client for ``redis://host:port/db`` (with ``cluster``, the URL of one node of the
    cluster; see ``url.StoreUrl.redis_url``); not connected yet. Only ``backend`` opens the
    service's own client."""
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if cluster:
        return RedisCluster.from_url(url, **options)
    return Redis.from_url(url, **options)


async def ready(client: Redis | RedisCluster) -> None:
    """Learn a cluster's slot map before any command is sent: redis-py's cluster client breaks
    connections when a fresh client's first commands race."""
    if isinstance(client, RedisCluster):
        await client.initialize()


class LuaScript:
    """A Lua script run by its SHA, and by its source when the node does not know the SHA:
    scripts are not replicated, so a replica promoted by a failover (or a restarted Redis)
    answers NOSCRIPT until it is sent the source once. redis-py's own fallback loads the
    script on whichever node it picks, which need not be the node that owns the keys."""

    def __init__(self, client: Redis | RedisCluster, source: str) -> None:
        self._client: Any = cast(Any, client)
        self._source = source
        self._script = self._client.register_script(source)

    async def __call__(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        try:
            return await self._script(keys=keys, args=args)
        except NoScriptError:
            pass
        except ResponseError as exc:
            if "No matching script" not in str(exc):
                raise
        return await self._client.eval(self._source, len(keys), *keys, *args)


def lua_source(package: str, *names: str) -> str:
    """The Lua files ``lua/<name>.lua`` of ``package``, joined in order: a library of local
    functions (e.g. ``gcra``) first, then the script that calls them."""
    folder = resources.files(package).joinpath("lua")
    return "\n".join(folder.joinpath(f"{name}.lua").read_text() for name in names)


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def each(
    client: Redis | RedisCluster, command: str, keys: Sequence[str], *args: Any
) -> list[Any]:
    """One ``command`` per key, pipelined (split per node on a cluster)."""
    if not keys:
        return []
    pipe = cast(Any, client).pipeline(transaction=False)
    for key in keys:
        getattr(pipe, command)(key, *args)
    return list(await pipe.execute())
