"""One ``store`` fixture over every backend: SQLite, a real Redis, a real 3-node Cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from registry.stores import RegistryStore
from registry.stores.redis import RedisRegistryStore
from registry.stores.sqlite import SqliteRegistryStore
from tests.redis_servers import RedisCluster, RedisServer, redis_command

__all__ = ["BACKENDS", "StoreOpener", "store", "store_opener"]

BACKENDS = ["sqlite", "redis", "cluster"]

StoreOpener = Callable[[], Awaitable[RegistryStore]]


def backend_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A clean store URL for ``backend``; Redis servers are emptied first."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'uei.db'}"
    if backend == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        redis_command(server.port, "FLUSHALL")
        return server.url
    cluster: RedisCluster = request.getfixturevalue("redis_cluster")
    for port in cluster.live_ports:
        redis_command(port, "FLUSHALL")
    return cluster.url


async def _open(url: str) -> RegistryStore:
    if url.startswith("sqlite:///"):
        return await SqliteRegistryStore.open(Path(url.removeprefix("sqlite:///")))
    return RedisRegistryStore.from_url(url)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request, str(request.param), tmp_path)


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
