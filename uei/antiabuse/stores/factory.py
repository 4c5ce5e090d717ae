"""The anti-abuse stores on the process's backend (``uei.storage``), beside the registry's."""

from __future__ import annotations

from dataclasses import dataclass

from uei.antiabuse.stores.protocols import (
    CaseStore,
    EventStore,
    GraphStore,
    QuotaStore,
    VerdictStore,
)
from uei.antiabuse.stores.redis_defaulters import RedisCases, RedisGraph
from uei.antiabuse.stores.redis_quotas import RedisQuotas
from uei.antiabuse.stores.redis_scraping import RedisEvents, RedisVerdicts
from uei.antiabuse.stores.sqlite_base import SCHEMA
from uei.antiabuse.stores.sqlite_defaulters import SqliteCases, SqliteGraph
from uei.antiabuse.stores.sqlite_quotas import SqliteQuotas
from uei.antiabuse.stores.sqlite_scraping import SqliteEvents, SqliteVerdicts
from uei.storage.backend import Backend, SqliteBackend, open_backend

__all__ = ["AbuseStores", "abuse_stores", "open_abuse_stores"]


@dataclass(frozen=True, slots=True)
class AbuseStores:
    """One store per protocol, all on one backend; each service is handed the ones it uses."""

    cases: CaseStore
    graph: GraphStore
    quotas: QuotaStore
    events: EventStore
    verdicts: VerdictStore
    backend: Backend
    owns: bool = False
    """Whether the backend was opened for these stores alone (``open_abuse_stores``)."""

    async def close(self) -> None:
        """Closes the backend only if it was opened for these stores."""
        if self.owns:
            await self.backend.close()


async def abuse_stores(backend: Backend, *, owns: bool = False) -> AbuseStores:
    """The anti-abuse stores on ``backend`` (on SQLite, the tables made if missing)."""
    if isinstance(backend, SqliteBackend):
        await backend.run(lambda db: db.executescript(SCHEMA))
        return AbuseStores(
            SqliteCases(backend),
            SqliteGraph(backend),
            SqliteQuotas(backend),
            SqliteEvents(backend),
            SqliteVerdicts(backend),
            backend,
            owns,
        )
    cases = RedisCases(backend)
    await cases.index_cases()  # once per store: cases from before the indexes existed
    return AbuseStores(
        cases,
        RedisGraph(backend),
        RedisQuotas(backend),
        RedisEvents(backend),
        RedisVerdicts(backend),
        backend,
        owns,
    )


async def open_abuse_stores(url: str) -> AbuseStores:
    """``UEI_STORE`` -> the stores on a backend of their own, closed with them (tools and
    tests; the service opens one backend and builds every store on it)."""
    backend = await open_backend(url)
    try:
        return await abuse_stores(backend, owns=True)
    except BaseException:
        await backend.close()
        raise
