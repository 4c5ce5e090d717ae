"""One ``store`` fixture over every backend: SQLite, a real Redis, a real 3-node Cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from uei.registry.stores import RegistryStore
from uei.registry.stores.redis import RedisRegistryStore
from uei.registry.stores.sqlite import SqliteRegistryStore

__all__ = ["StoreOpener", "store", "store_opener"]

StoreOpener = Callable[[], Awaitable[RegistryStore]]


async def _open(url: str) -> RegistryStore:
    if url.startswith("sqlite:///"):
        return await SqliteRegistryStore.open(Path(url.removeprefix("sqlite:///")))
    return await RedisRegistryStore.open(url)


@pytest.fixture
async def store_opener(store_url: str) -> AsyncIterator[StoreOpener]:
    """Opens further stores on the same backend (another replica, or after a restart)."""
    opened: list[RegistryStore] = []

    async def open_another() -> RegistryStore:
        opened.append(await _open(store_url))
        return opened[-1]

    yield open_another
    for store in opened:
        await store.close()


@pytest.fixture
async def store(store_opener: StoreOpener) -> RegistryStore:
    return await store_opener()
