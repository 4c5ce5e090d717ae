"""The anti-abuse data on Redis and Redis Cluster: what every Redis store class shares.

Everything on the request path raises ``StoreUnavailable`` when Redis cannot answer.
"""

from __future__ import annotations

from typing import Any, cast

from uei.storage.backend import RedisBackend
from uei.storage.connect import LuaScript, lua_source

__all__ = ["RedisKeys"]


class RedisKeys:
    """The backend's client, and the package's Lua scripts (GCRA joined in where used)."""

    remote = True
    """Calls cross a network (see ``QuotaStore``)."""

    def __init__(self, backend: RedisBackend) -> None:
        self._client: Any = cast(Any, backend.client)  # redis-py types Script for Redis only

    def _script(self, *names: str) -> LuaScript:
        return LuaScript(self._client, lua_source("uei.antiabuse.stores", *names))
