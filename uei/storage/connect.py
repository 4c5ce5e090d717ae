"""Redis clients (bounded timeouts, a cluster client that knows the slot map before it is
used) and Lua scripts with the NOSCRIPT fallback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from importlib import resources
from typing import Any, cast

from redis.asyncio import Connection, Redis, SSLConnection
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeout

__all__ = [
    "LuaScript",
    "TimedConnection",
    "TimedSSLConnection",
    "each",
    "lua_source",
    "ready",
    "redis_client",
    "text",
]

log = logging.getLogger("uei.redis")


class _SendInTurn:
    """A connection whose send keeps its ``socket_timeout`` without a task per command.

    redis-py bounds a send with ``asyncio.wait_for``, which on Python 3.11 wraps the send in a
    new task, run on a later turn of the event loop: a tenth to a quarter of the client's CPU for
    a small command (a script call), and one turn more for every command a hot path sends. Here
    the same deadline is an ``asyncio.timeout`` round redis-py's own untimed send (write, then
    drain), so the bytes leave in the caller's turn. A send past its deadline (the server not
    reading) still ends in redis-py's ``TimeoutError`` with the connection closed. A connection
    not connected yet (a cluster node's connections connect on their first send) connects and
    shakes hands first, as redis-py does it, under redis-py's own connect and read deadlines;
    reads keep redis-py's deadline."""

    socket_timeout: float | None

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        timeout = self.socket_timeout
        if not timeout:
            await super().send_packed_command(command, check_health)  # type: ignore[misc]
            return
        # redis-py's own first steps of a send, before its timed write (outside its try too)
        if not self.is_connected:  # type: ignore[attr-defined]
            await self.connect_check_health(check_health=False)  # type: ignore[attr-defined]
        if check_health:
            await self.check_health()  # type: ignore[attr-defined]
        self.socket_timeout = None  # redis-py's untimed branch: write, then drain
        try:
            async with asyncio.timeout(timeout):
                await super().send_packed_command(command, False)  # type: ignore[misc]
        except TimeoutError:
            # redis-py closed the connection when the cancel reached it
            raise RedisTimeout("Timeout writing to socket") from None
        finally:
            self.socket_timeout = timeout


class TimedConnection(_SendInTurn, Connection):
    """redis-py's TCP connection, its sends timed in the caller's turn (``_SendInTurn``)."""


class TimedSSLConnection(_SendInTurn, SSLConnection):
    """redis-py's TLS connection (``rediss://``), its sends timed in the caller's turn."""


_TIMED: dict[type[Any], type[Any]] = {
    Connection: TimedConnection,
    SSLConnection: TimedSSLConnection,
}


def _timed(connection_class: type[Any]) -> type[Any]:
    """The timed twin of one of redis-py's connection classes (any other is kept)."""
    return _TIMED.get(connection_class, connection_class)


def redis_client(url: str, timeout: float = 2.0, *, cluster: bool = False) -> Redis | RedisCluster:
    """A client for ``redis://host:port/db`` (with ``cluster``, the URL of one node of the
    cluster; see ``url.StoreUrl.redis_url``); not connected yet, every connection it opens a
    ``TimedConnection`` (or its TLS twin). Only ``backend`` opens the service's own client."""
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if cluster:
        nodes = RedisCluster.from_url(url, **options)
        # the cluster client fixes the class in the kwargs every node it discovers is given
        # (shared with its nodes manager) and in the startup nodes already made from them
        kwargs = nodes.connection_kwargs
        kwargs["connection_class"] = _timed(kwargs["connection_class"])
        for node in nodes.nodes_manager.startup_nodes.values():
            node.connection_class = _timed(node.connection_class)
        return nodes
    client = Redis.from_url(url, **options)
    pool = client.connection_pool
    pool.connection_class = _timed(pool.connection_class)
    return client


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
