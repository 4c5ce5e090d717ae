"""``UEI_STORE`` -> a store: ``sqlite:///path``, ``redis://host:port/db``, ``redis+cluster://host:port``."""

from __future__ import annotations

from pathlib import Path

from uei.registry.stores.base import RegistryStore
from uei.registry.stores.redis import RedisRegistryStore
from uei.registry.stores.sqlite import SqliteRegistryStore

__all__ = ["open_store"]


async def open_store(url: str) -> RegistryStore:
    if url.startswith("sqlite:///"):
        return await SqliteRegistryStore.open(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("redis://", "rediss://", "redis+cluster://")):
        return await RedisRegistryStore.open(url)
    raise ValueError(
        f"UEI_STORE {url!r} is not sqlite:///path, redis://host:port/db or redis+cluster://host:port"
    )
