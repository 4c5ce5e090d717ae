"""ONE backend per process: one Redis (or Redis Cluster) client, or one SQLite connection and
the one worker thread that runs its calls. The app's lifespan opens it once, hands it to both
domains' store factories and closes it once; stores built on it never close it.

SQLite calls run on the one thread, so the event loop never waits on the disk, every
statement sees one connection, and a transaction is one call (never interleaved with
another's statements).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from uei.storage.connect import ready, redis_client
from uei.storage.files import private_file
from uei.storage.url import StoreKind, StoreUrl, parse_store_url

__all__ = ["Backend", "RedisBackend", "SqliteBackend", "open_backend"]

T = TypeVar("T")


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_file(path)  # before SQLite makes it with the umask's mode (-wal, -shm follow it)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    for companion in ("-wal", "-shm"):  # left by an earlier run, perhaps with another mode
        private_file(path.with_name(path.name + companion), create=False)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=5000")
    return db


class SqliteBackend:
    """One SQLite file (WAL), one connection, one worker thread."""

    kind = StoreKind.SQLITE

    def __init__(self, path: Path, db: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self.path = path
        self._db = db
        self._executor = executor

    @classmethod
    async def open(cls, path: Path) -> SqliteBackend:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uei-sqlite")
        try:
            db = await asyncio.get_running_loop().run_in_executor(executor, _connect, path)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(path, db, executor)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` on the worker thread (SQLite's errors as they are)."""
        db = self._db
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, db)

    async def transaction(
        self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False
    ) -> T:
        """``fn`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back if it raises).
        ``durable``: synced to disk before the answer (``synchronous=FULL``); otherwise WAL's
        ``NORMAL``: a power cut may lose the last of them, never corrupt the file. Each
        transaction sets the level it needs: the connection is shared."""

        def run(db: sqlite3.Connection) -> T:
            db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

        return await self.run(run)

    async def close(self) -> None:
        await self.run(lambda db: db.close())
        self._executor.shutdown(wait=True)


class RedisBackend:
    """One redis-py client (a connection pool; a cluster client keeps one per node)."""

    def __init__(self, kind: StoreKind, client: Redis | RedisCluster) -> None:
        self.kind = kind
        self.client = client

    @classmethod
    async def open(cls, url: StoreUrl, timeout: float = 2.0) -> RedisBackend:
        """On a cluster, with the slot map known (see ``connect.ready``)."""
        assert url.redis_url is not None
        client = redis_client(url.redis_url, timeout, cluster=url.kind is StoreKind.CLUSTER)
        await ready(client)
        return cls(url.kind, client)

    async def close(self) -> None:
        await self.client.aclose()


Backend = SqliteBackend | RedisBackend


async def open_backend(url: StoreUrl | str) -> Backend:
    """The process's backend for ``UEI_STORE``; the caller closes it (once)."""
    parsed = parse_store_url(url) if isinstance(url, str) else url
    if parsed.kind is StoreKind.SQLITE:
        assert parsed.path is not None
        return await SqliteBackend.open(parsed.path)
    return await RedisBackend.open(parsed)
