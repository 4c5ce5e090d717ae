"""The storage error the stores raise: a backend's own errors, wrapped in one place."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from redis.exceptions import RedisError

__all__ = ["StoreUnavailable", "reachable"]


class StoreUnavailable(Exception):
    """The store did not answer (down, unreachable, timed out); nothing can be assumed."""


@contextlib.contextmanager
def reachable() -> Iterator[None]:
    """Redis's ``RedisError`` and ``OSError``, and SQLite's ``OperationalError`` (locked past
    ``busy_timeout``, disk I/O...), raised as ``StoreUnavailable``."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"redis: {exc}") from exc
    except sqlite3.OperationalError as exc:
        raise StoreUnavailable(f"sqlite: {exc}") from exc
