"""The store a driver runs on: a SQLite file in its work directory, or a real redis-server
started for the run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def store_url_for(store: str, workdir: Path) -> Iterator[str]:
    if store == "sqlite":
        yield f"sqlite:///{workdir / 'data' / 'uei.db'}"
        return
    from uei_testing.redis_servers import RedisServer

    with RedisServer() as server:
        yield server.url
