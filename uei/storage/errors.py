"""The storage error the stores raise: a backend's own errors, wrapped in one place."""

from __future__ import annotations

import contextlib
import functools
import inspect
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from redis.exceptions import RedisError

from uei.errors import Unavailable

__all__ = ["StoreUnavailable", "reachable", "reachable_methods"]

C = TypeVar("C", bound=type)


class StoreUnavailable(Unavailable):
    """The store did not answer (down, unreachable, timed out); nothing can be assumed. A
    caller with a failure mode catches it; one that does not answers 503 with Retry-After."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message, retry_after)


@contextlib.contextmanager
def reachable() -> Iterator[None]:
    """Redis's ``RedisError`` and ``OSError``, and SQLite's ``OperationalError`` (locked past
    ``busy_timeout``, disk I/O...), raised as ``StoreUnavailable``."""
    try:
        yield
    except RedisError as exc:
        raise StoreUnavailable(f"redis: {exc}") from exc
    except OSError as exc:
        # a socket or a timeout on either backend, or the SQLite file's own sync
        raise StoreUnavailable(f"store I/O: {exc}") from exc
    except sqlite3.OperationalError as exc:
        raise StoreUnavailable(f"sqlite: {exc}") from exc


def reachable_methods(cls: C) -> C:
    """Every public coroutine method of a store class under ``reachable()``: the backend's
    errors leave the store as ``StoreUnavailable``, written once for the whole class."""
    for name, fn in list(vars(cls).items()):
        if name.startswith("_") or not inspect.iscoroutinefunction(fn):
            continue
        setattr(cls, name, _wrapped(fn))
    return cls


def _wrapped(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> Any:
        with reachable():
            return await fn(*args, **kwargs)

    return call
