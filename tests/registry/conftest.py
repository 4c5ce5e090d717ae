"""One ``store`` fixture over every backend: SQLite, a real Redis, a real 3-node Cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from uei.registry.stores import RegistryStore, open_store

__all__ = ["StoreOpener", "store", "store_opener"]

StoreOpener = Callable[[], Awaitable[RegistryStore]]


@pytest.fixture
async def store_opener(store_url: str) -> AsyncIterator[StoreOpener]:
    """Opens further stores on the same backend (another replica, or after a restart), each on
    a backend of its own."""
    opened: list[RegistryStore] = []

    async def open_another() -> RegistryStore:
        opened.append(await open_store(store_url))
        return opened[-1]

    yield open_another
    for store in opened:
        await store.close()


@pytest.fixture
async def store(store_opener: StoreOpener) -> RegistryStore:
    return await store_opener()
