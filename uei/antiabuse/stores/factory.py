"""``UEI_STORE`` -> the anti-abuse store on the same backend as the registry."""

from __future__ import annotations

from pathlib import Path

from uei.antiabuse.stores.base import Store
from uei.antiabuse.stores.redis import RedisAbuseStore
from uei.antiabuse.stores.sqlite import SqliteAbuseStore

__all__ = ["open_abuse_store"]


async def open_abuse_store(url: str) -> Store:
    if url.startswith("sqlite:///"):
        return await SqliteAbuseStore.open(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("redis://", "rediss://", "redis+cluster://")):
        return await RedisAbuseStore.open(url)
    raise ValueError(
        f"UEI_STORE {url!r} is not sqlite:///path, redis://host:port/db or redis+cluster://host:port"
    )
