"""The store a driver runs on: a SQLite file in its work directory, or a real redis-server
started for the run."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def store_url_for(store: str, workdir: Path) -> Iterator[str]:
    if store == "sqlite":
        yield f"sqlite:///{workdir / 'data' / 'uei.db'}"
        return
    from uei_testing.redis_servers import RedisServer

    with RedisServer() as server:
        yield server.url


def store_option(fn: F) -> F:
    """The drivers' ``--store sqlite|redis`` option (SQLite by default)."""
    return click.option(
        "--store",
        type=click.Choice(["sqlite", "redis"]),
        default="sqlite",
        show_default=True,
        help="The service's store: SQLite in a temporary directory, or a real redis-server.",
    )(fn)
