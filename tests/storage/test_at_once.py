"""Small transactions and reads on the SQLite backend run at once on the event loop when their
connection is free: no thread hop. A durable one answers after an ``fsync`` of the WAL that
every durable commit before it shares; a connection in use, or another process's write lock,
sends the write to the worker (the loop never waits for a lock); the WAL is checkpointed on
the sync thread, never inside a commit on the loop.

Where each call ran is read from the thread that ran it; syncs and checkpoints are counted.
Concurrency is made by holding a thread on a ``threading.Event``, never by a clock.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from tests.storage.test_group_commit import backend_at, held, holding, rows, traced, turn
from uei.storage import backend as backend_module
from uei.storage.backend import CHECKPOINT_EVERY, SqliteBackend
from uei.storage.errors import StoreUnavailable, reachable

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite]


def insert_noting(n: int, threads: list[int]) -> Callable[[sqlite3.Connection], int]:
    def fn(db: sqlite3.Connection) -> int:
        threads.append(threading.get_ident())
        db.execute("INSERT INTO t VALUES (?)", (n,))
        return n

    return fn


def signal_then_wait(
    signal: threading.Event, gate: threading.Event
) -> Callable[[sqlite3.Connection], None]:
    def fn(db: sqlite3.Connection) -> None:
        signal.set()
        gate.wait()

    return fn


def sync_held(backend: SqliteBackend) -> AbstractAsyncContextManager[None]:
    """The sync thread busy until the block ends: a sync asked for meanwhile waits."""
    return holding(lambda hold: asyncio.wrap_future(backend._syncer.submit(hold)))


async def test_a_small_write_on_a_free_connection_runs_on_the_loop(tmp_path: Path) -> None:
    async with backend_at(tmp_path / "uei.db") as backend:
        seen = await traced(backend)
        threads: list[int] = []
        assert await backend.transaction(insert_noting(1, threads), small=True) == 1
        assert threads == [threading.get_ident()]
        assert seen[-3:] == ["BEGIN IMMEDIATE", "INSERT INTO t VALUES (1)", "COMMIT"]
        other = sqlite3.connect(tmp_path / "uei.db")  # committed when the await returned
        try:
            assert other.execute("SELECT n FROM t").fetchall() == [(1,)]
        finally:
            other.close()
        # not small: the worker's, as before
        await backend.transaction(insert_noting(2, threads))
        assert threads[1] != threading.get_ident()


async def test_a_small_durable_write_answers_after_one_wal_sync_shared_by_all(
    tmp_path: Path,
) -> None:
    async with backend_at(tmp_path / "uei.db") as backend:
        threads: list[int] = []
        async with sync_held(backend):
            durable = [
                asyncio.ensure_future(
                    backend.transaction(insert_noting(n, threads), durable=True, small=True)
                )
                for n in range(10)
            ]
            await turn()
            # committed on the loop, not yet answered: the WAL is not on the disk yet
            assert await backend.transaction(insert_noting(10, threads), small=True) == 10
            assert threads == [threading.get_ident()] * 11
            await turn()
            assert not any(d.done() for d in durable)
            assert backend.syncs == 0
        assert await asyncio.gather(*durable) == list(range(10))
        assert backend.syncs == 1  # one fsync for the ten
        assert await rows(backend) == list(range(11))


async def test_a_small_write_waits_on_the_loop_while_a_thread_holds_the_connection(
    tmp_path: Path,
) -> None:
    """It runs on the loop once the worker lets the connection go; if the worker has taken it
    again by the time the loop gets to it, it queues for the worker."""
    async with backend_at(tmp_path / "uei.db") as backend:
        threads: list[int] = []
        async with held(backend):
            writes = asyncio.gather(
                *(backend.transaction(insert_noting(n, threads), small=True) for n in range(5))
            )
            await turn()
            assert threads == []  # waiting for the worker, not run beside it
        assert await writes == list(range(5))
        assert threads == [threading.get_ident()] * 5
        # held again before the loop turns: the write waits once, then goes to the worker
        started, first = threading.Event(), threading.Event()
        again, gate = threading.Event(), threading.Event()
        hold = asyncio.ensure_future(backend.run(signal_then_wait(started, first)))
        rehold = asyncio.ensure_future(backend.run(signal_then_wait(again, gate)))
        await asyncio.to_thread(started.wait)
        write = asyncio.ensure_future(backend.transaction(insert_noting(5, threads), small=True))
        await turn()
        assert len(threads) == 5
        first.set()
        again.wait()  # this thread (the loop's) blocks until the worker holds it again
        for _ in range(5):  # the wake-up, then the write's retry
            await turn()
        assert len(backend._queue) == 1  # woken, found it held, now queued for the worker
        assert len(threads) == 5
        gate.set()
        assert await write == 5
        await asyncio.gather(hold, rehold)
        assert threads[5] != threading.get_ident()


async def test_another_process_s_write_lock_sends_the_write_to_the_worker(
    tmp_path: Path,
) -> None:
    """The loop never waits for a lock: the write goes to the worker, which waits for it."""
    async with backend_at(tmp_path / "uei.db") as backend:
        statements: list[tuple[int, str]] = []
        await backend.run(
            lambda db: db.set_trace_callback(
                lambda s: statements.append((threading.get_ident(), s))
            )
        )
        other = sqlite3.connect(tmp_path / "uei.db", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            threads: list[int] = []
            write = asyncio.ensure_future(
                backend.transaction(insert_noting(1, threads), small=True)
            )
            for _ in range(3):
                await turn()
            assert not write.done()
            other.execute("COMMIT")
            assert await write == 1
        finally:
            other.close()
        assert threads
        assert threading.get_ident() not in threads
        assert await rows(backend) == [1]
        # the loop tried without waiting; the worker waited
        loop, worker = threading.get_ident(), threads[0]
        on_loop = [s for t, s in statements if t == loop]
        assert on_loop == ["PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=0", "BEGIN IMMEDIATE"]
        assert [s for t, s in statements if t == worker][:2] == [
            "PRAGMA busy_timeout=5000",
            "BEGIN IMMEDIATE",
        ]
        # the lock gone, the next one runs on the loop again
        await backend.transaction(insert_noting(2, threads), small=True)
        assert threads[-1] == threading.get_ident()


async def test_the_wal_is_checkpointed_on_the_sync_thread_not_in_a_commit(
    tmp_path: Path,
) -> None:
    async with backend_at(tmp_path / "uei.db") as backend:
        assert await backend.run(lambda db: db.execute("PRAGMA wal_autocheckpoint").fetchone()) == (
            0,
        )
        seen = await traced(backend)
        async with sync_held(backend):  # the checkpoint the writes ask for waits behind it
            for n in range(CHECKPOINT_EVERY):
                await backend.transaction(insert_noting(n, []), small=True)
        await asyncio.wrap_future(backend._syncer.submit(lambda: None))  # it has run
        assert backend.checkpoints == 1
        assert not any("checkpoint" in s for s in seen)
        threads: list[int] = []
        await backend.transaction(insert_noting(-1, threads), small=True)
        assert threads == [threading.get_ident()]  # writes go on at once after it
        assert len(await rows(backend)) == CHECKPOINT_EVERY + 1


async def test_the_wal_stays_small_under_a_steady_stream_of_small_writes(tmp_path: Path) -> None:
    """Each checkpoint lets the WAL restart, so it is rewritten from its start: 6 rounds of
    checkpoints' worth of one-page commits (about 6 MiB of WAL frames written) leave a file
    of a round or two. (Here the sync thread keeps up between rounds; where a steady writer
    never leaves it the time, the WAL's size, past ``WAL_FORCE``, makes it hold writers off.)"""
    async with backend_at(tmp_path / "uei.db") as backend:
        await backend.run(lambda db: db.execute("INSERT INTO t VALUES (0)"))

        def bump(db: sqlite3.Connection) -> None:
            db.execute("UPDATE t SET n = n + 1")

        for n in range(6 * CHECKPOINT_EVERY):
            await backend.transaction(bump, small=True)
            if n % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1:  # the sync thread keeps up
                await asyncio.wrap_future(backend._syncer.submit(lambda: None))
        assert backend.checkpoints == 6
        frames = 4096 + 24  # a page and its frame header
        wal = tmp_path / "uei.db-wal"
        assert wal.stat().st_size < 3 * CHECKPOINT_EVERY * frames
        assert await backend.read(lambda db: db.execute("SELECT n FROM t").fetchone()) == (
            6 * CHECKPOINT_EVERY,
        )


def wal_restarts(path: Path) -> int:
    """The WAL header's checkpoint sequence number: one more each time the file starts again
    from its beginning."""
    with (path.parent / (path.name + "-wal")).open("rb") as wal:
        return int.from_bytes(wal.read(16)[12:16], "big")


async def test_a_wal_past_its_limit_starts_again_holding_this_processes_writers_not_sqlites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``WAL_FORCE``, a ``PASSIVE`` checkpoint beside the writers copies the bulk; then a
    ``RESTART`` holding the writing connection's lock (writers wait on that lock, not in
    SQLite's sleeping busy handler) copies the rest, and a write that changes nothing starts
    the WAL again there, on the sync thread. Below it, only the ``PASSIVE`` one."""
    monkeypatch.setattr(backend_module, "WAL_FORCE", 64 << 10)
    path = tmp_path / "uei.db"
    async with backend_at(path) as backend:

        async def a_checkpoints_worth() -> None:
            async with sync_held(backend):
                for n in range(CHECKPOINT_EVERY):
                    await backend.transaction(insert_noting(n, []), small=True)
            await asyncio.wrap_future(backend._syncer.submit(lambda: None))  # it has run

        await a_checkpoints_worth()  # the checkpointing connection exists from here on
        assert backend._checkpointer is not None
        seen: list[tuple[str, bool]] = []
        backend._checkpointer.set_trace_callback(
            lambda statement: seen.append((statement, backend._conn.locked()))
        )
        before = wal_restarts(path)
        await a_checkpoints_worth()
        assert seen == [
            ("PRAGMA wal_checkpoint(PASSIVE)", False),
            ("PRAGMA wal_checkpoint(RESTART)", True),
            ("PRAGMA user_version", True),
            ("PRAGMA user_version=0", True),
        ]
        assert backend.restarts == 2
        assert wal_restarts(path) == before + 1  # started again, before any caller's write
        threads: list[int] = []
        await backend.transaction(insert_noting(-1, threads), small=True)
        assert threads == [threading.get_ident()]
        assert wal_restarts(path) == before + 1
        monkeypatch.setattr(backend_module, "WAL_FORCE", 64 << 20)
        seen.clear()
        await a_checkpoints_worth()
        assert seen == [("PRAGMA wal_checkpoint(PASSIVE)", False)]
        assert len(await rows(backend)) == 3 * CHECKPOINT_EVERY + 1


async def test_a_cancelled_durable_write_leaves_the_shared_sync_to_the_others(
    tmp_path: Path,
) -> None:
    """A caller's timeout cancels its own wait only: the others sharing that sync get their
    answers, and later durable writes theirs."""
    async with backend_at(tmp_path / "uei.db") as backend:
        async with sync_held(backend):
            dropped, kept = (
                asyncio.ensure_future(
                    backend.transaction(insert_noting(n, []), durable=True, small=True)
                )
                for n in (1, 2)
            )
            await turn()
            dropped.cancel()
            await turn()
        assert await kept == 2
        assert dropped.cancelled()
        assert await backend.transaction(insert_noting(3, []), durable=True, small=True) == 3
        assert backend.syncs >= 2
        assert await rows(backend) == [1, 2, 3]  # committed, though 1's caller left


async def test_a_small_read_runs_on_the_loop_unless_the_reader_is_busy(tmp_path: Path) -> None:
    async with backend_at(tmp_path / "uei.db") as backend:
        await backend.transaction(insert_noting(7, []), small=True)

        def count(db: sqlite3.Connection) -> tuple[int, int]:
            return threading.get_ident(), db.execute("SELECT COUNT(*) FROM t").fetchone()[0]

        assert await backend.read(count, small=True) == (threading.get_ident(), 1)
        async with holding(lambda hold: backend.read(lambda db: hold())):
            waiting = asyncio.ensure_future(backend.read(count, small=True))
            await turn()
            assert not waiting.done()  # behind the reader's thread, not beside it
        ran_on, n = await waiting
        assert ran_on != threading.get_ident()
        assert n == 1


async def test_after_a_failed_sync_no_durable_write_is_acknowledged(tmp_path: Path) -> None:
    """A failed fsync may have lost pages a later one would not report: every durable write
    after it raises (the store is unavailable), quick ones go on."""
    async with backend_at(tmp_path / "uei.db") as backend:
        await backend.transaction(insert_noting(1, []), durable=True, small=True)
        assert backend._wal is not None
        unsyncable, other_end = os.pipe()  # fsync of a pipe fails (EINVAL)
        os.close(backend._wal)
        backend._wal = unsyncable
        try:
            with pytest.raises(OSError, match="Invalid argument"):
                await backend.transaction(insert_noting(2, []), durable=True, small=True)
        finally:
            os.close(other_end)
        # the file syncs again, as Linux lets it after a failure: still no acknowledgement
        backend._wal = os.open(tmp_path / "uei.db-wal", os.O_RDONLY)
        os.close(unsyncable)
        with pytest.raises(OSError, match="Invalid argument"):
            await backend.transaction(insert_noting(3, []), durable=True, small=True)
        assert backend.syncs == 1
        assert await backend.transaction(insert_noting(4, []), small=True) == 4
        # as a store raises it: unavailable, and not blamed on Redis
        unavailable = pytest.raises(StoreUnavailable, match=r"^store I/O: .*Invalid argument")
        with unavailable, reachable():
            await backend.transaction(insert_noting(5, []), durable=True, small=True)


async def test_closing_waits_for_the_sync_thread_without_holding_the_loop(tmp_path: Path) -> None:
    backend = await SqliteBackend.open(tmp_path / "uei.db")
    release = threading.Event()
    guard = threading.Timer(30.0, release.set)  # only so that a regression fails, not hangs
    guard.start()
    try:
        backend._syncer.submit(release.wait)  # a sync or a checkpoint still running
        stopping = threading.Event()
        shutdown = backend._syncer.shutdown

        def noted(wait: bool = True, *, cancel_futures: bool = False) -> None:
            stopping.set()
            shutdown(wait, cancel_futures=cancel_futures)

        backend._syncer.shutdown = noted  # type: ignore[method-assign]
        closing = asyncio.ensure_future(backend.close())
        assert await asyncio.to_thread(stopping.wait, 30.0)
        assert not release.is_set()  # the loop went on while close() waited for the thread
        assert not closing.done()
        release.set()
        await closing
    finally:
        guard.cancel()
