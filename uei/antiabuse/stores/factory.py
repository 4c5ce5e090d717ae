"""The anti-abuse store on the process's backend (``uei.storage``), beside the registry's."""

from __future__ import annotations

from uei.antiabuse.stores.base import Store
from uei.antiabuse.stores.redis import RedisAbuseStore
from uei.antiabuse.stores.sqlite import SqliteAbuseStore
from uei.storage.backend import Backend, SqliteBackend, open_backend

__all__ = ["abuse_store", "open_abuse_store"]


async def abuse_store(backend: Backend, *, owns: bool = False) -> Store:
    """The anti-abuse store on ``backend``; closing it closes the backend only with ``owns``."""
    if isinstance(backend, SqliteBackend):
        return await SqliteAbuseStore.on(backend, owns=owns)
    return RedisAbuseStore(backend, owns=owns)


async def open_abuse_store(url: str) -> Store:
    """``UEI_STORE`` -> a store on a backend of its own, closed with it (tools and tests; the
    service opens one backend and builds every store on it)."""
    backend = await open_backend(url)
    try:
        return await abuse_store(backend, owns=True)
    except BaseException:
        await backend.close()
        raise
