"""The registry's store on the process's backend (``uei.storage``)."""

from __future__ import annotations

from uei.registry.stores.base import RegistryStore
from uei.registry.stores.redis import RedisRegistryStore
from uei.registry.stores.sqlite import SqliteRegistryStore
from uei.storage.backend import Backend, SqliteBackend, open_backend

__all__ = ["open_store", "registry_store"]


async def registry_store(backend: Backend, *, owns: bool = False) -> RegistryStore:
    """The registry's store on ``backend``; closing it closes the backend only with ``owns``."""
    if isinstance(backend, SqliteBackend):
        return await SqliteRegistryStore.on(backend, owns=owns)
    return RedisRegistryStore(backend, owns=owns)


async def open_store(url: str) -> RegistryStore:
    """``UEI_STORE`` -> a store on a backend of its own, closed with it (tools and tests; the
    service opens one backend and builds every store on it)."""
    backend = await open_backend(url)
    try:
        return await registry_store(backend, owns=True)
    except BaseException:
        await backend.close()
        raise
