"""Group commit on the SQLite backend: concurrent transactions share one ``BEGIN IMMEDIATE``
... ``COMMIT``, each in its own savepoint; a member that raises rolls back only itself; a read
waits for at most one batch; an acknowledged durable write of a batch survives SIGKILL.

Batches are counted, not timed: ``SqliteBackend.commits`` and the statements SQLite's trace
callback saw. Concurrency is made by holding the worker on a ``threading.Event`` while
writers queue (each queued once its task has had one event-loop turn), never by waiting on a
clock.
"""

from __future__ import annotations

import asyncio
import math
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uei.storage.backend import SqliteBackend

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite]

REPO = Path(__file__).resolve().parents[2]

Member = Callable[[sqlite3.Connection], int]


class Boom(Exception):
    """A member's own failure."""


@asynccontextmanager
async def backend_at(path: Path, max_batch: int = 64) -> AsyncIterator[SqliteBackend]:
    backend = await SqliteBackend.open(path, max_batch=max_batch)
    try:
        await backend.run(lambda db: db.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
        yield backend
    finally:
        await backend.close()


def insert(n: int, fail: bool = False) -> Member:
    def fn(db: sqlite3.Connection) -> int:
        db.execute("INSERT INTO t VALUES (?)", (n,))
        if fail:
            raise Boom(n)
        return n

    return fn


async def rows(backend: SqliteBackend) -> list[int]:
    return await backend.run(lambda db: [n for (n,) in db.execute("SELECT n FROM t ORDER BY n")])


async def traced(backend: SqliteBackend) -> list[str]:
    """The statements the connection runs from now on."""
    seen: list[str] = []
    await backend.run(lambda db: db.set_trace_callback(seen.append))
    return seen


async def turn() -> None:
    """One event-loop turn (not a wait on the clock): tasks created before it have queued."""
    await asyncio.sleep(0)


@asynccontextmanager
async def holding(submit: Callable[[Callable[[], None]], Awaitable[object]]) -> AsyncIterator[None]:
    """A thread busy (blocked on an event) until the block ends: ``submit`` hands it the job;
    what queues on that thread meanwhile waits for it."""
    gate, started = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        gate.wait()

    job = asyncio.ensure_future(submit(hold))
    await asyncio.to_thread(started.wait)
    try:
        yield
    finally:
        gate.set()
        await job


def held(backend: SqliteBackend) -> AbstractAsyncContextManager[None]:
    """The worker busy until the block ends."""
    return holding(lambda hold: backend.run(lambda db: hold()))


async def test_concurrent_transactions_share_one_commit(tmp_path: Path) -> None:
    async with backend_at(tmp_path / "uei.db") as backend:
        seen = await traced(backend)
        async with held(backend):
            writes = asyncio.gather(
                *(backend.transaction(insert(n), durable=n in (3, 7)) for n in range(20))
            )
            await turn()
        assert await writes == list(range(20))
        assert await rows(backend) == list(range(20))
        # the 18 that need no sync commit together, then the 2 durable ones, synced
        assert backend.commits == 2
        assert seen.count("COMMIT") == 2
        assert seen.count("SAVEPOINT uei_member") == 20
        quick, durable = (i for i, s in enumerate(seen) if s == "BEGIN IMMEDIATE")
        assert seen[quick - 1] == "PRAGMA synchronous=NORMAL"
        assert seen[quick:durable].count("SAVEPOINT uei_member") == 18
        assert seen[durable - 1] == "PRAGMA synchronous=FULL"
        assert seen[durable:].count("SAVEPOINT uei_member") == 2


async def test_a_quick_write_is_answered_before_a_durable_one_of_its_batch_syncs(
    tmp_path: Path,
) -> None:
    """Writes that need no sync never wait on another caller's: the durable member of the
    batch runs only once the quick ones' callers have their answers (it waits for them, so
    if they waited for it, neither would finish: the guard below turns that into a failure)."""
    answered = threading.Event()

    def durable(db: sqlite3.Connection) -> int:
        ok = answered.wait(timeout=60)  # a deadlock guard, never reached when correct
        db.execute("INSERT INTO t VALUES (99)")
        return 99 if ok else -1

    async with backend_at(tmp_path / "uei.db") as backend:
        async with held(backend):
            slow = asyncio.ensure_future(backend.transaction(durable, durable=True))
            quick = asyncio.gather(*(backend.transaction(insert(n)) for n in range(5)))
            await turn()
        assert await quick == list(range(5))
        answered.set()
        assert await slow == 99
        assert await rows(backend) == [0, 1, 2, 3, 4, 99]


async def test_writers_queued_while_the_worker_is_busy_share_one_commit(tmp_path: Path) -> None:
    async with backend_at(tmp_path / "uei.db") as backend:
        seen = await traced(backend)
        async with held(backend):
            writes = asyncio.gather(*(backend.transaction(insert(n)) for n in range(10)))
            await turn()
        assert await writes == list(range(10))
        assert (backend.commits, seen.count("COMMIT")) == (1, 1)
        assert seen[seen.index("BEGIN IMMEDIATE") - 1] == "PRAGMA synchronous=NORMAL"


async def test_a_member_alone_runs_in_a_bare_transaction(tmp_path: Path) -> None:
    """One member needs no savepoint, and the sync mode is set only when it changes: every
    statement hands the GIL to and from the event loop, so each one costs under load."""
    async with backend_at(tmp_path / "uei.db") as backend:
        seen = await traced(backend)
        for n in range(3):
            await backend.transaction(insert(n))
        await backend.transaction(insert(3), durable=True)
        with pytest.raises(Boom):
            await backend.transaction(insert(4, fail=True), durable=True)
        assert await rows(backend) == [0, 1, 2, 3]  # the one that raised is rolled back
        assert backend.commits == 4
        assert "SAVEPOINT uei_member" not in seen
        assert [s for s in seen if s.startswith("PRAGMA")] == [
            "PRAGMA synchronous=NORMAL",  # the connection opens in FULL
            "PRAGMA synchronous=FULL",
        ]
        assert seen.count("BEGIN IMMEDIATE") == 5
        assert (seen.count("COMMIT"), seen.count("ROLLBACK")) == (4, 1)


async def test_one_raising_member_rolls_back_only_itself(tmp_path: Path) -> None:
    async with backend_at(tmp_path / "uei.db") as backend:
        async with held(backend):
            writes = asyncio.gather(
                *(backend.transaction(insert(n, fail=n == 2)) for n in range(5)),
                return_exceptions=True,
            )
            await turn()
        results = await writes
        assert results[:2] == [0, 1]
        assert results[3:] == [3, 4]
        assert isinstance(results[2], Boom)
        assert results[2].args == (2,)
        assert await rows(backend) == [0, 1, 3, 4]
        assert backend.commits == 1


async def test_a_member_that_ends_the_transaction_fails_alone(tmp_path: Path) -> None:
    """An error that ends SQLite's whole transaction (here: the member rolls it back itself,
    as SQLITE_FULL or an I/O error would): the members before it run again in a fresh one."""

    def abort(db: sqlite3.Connection) -> int:
        db.execute("INSERT INTO t VALUES (99)")
        db.execute("ROLLBACK")
        raise Boom("abort")

    async with backend_at(tmp_path / "uei.db") as backend:
        async with held(backend):
            writes = asyncio.gather(
                backend.transaction(insert(0)),
                backend.transaction(abort),
                backend.transaction(insert(2)),
                return_exceptions=True,
            )
            await turn()
        results = await writes
        assert (results[0], results[2]) == (0, 2)
        assert isinstance(results[1], Boom)
        assert await rows(backend) == [0, 2]
        assert backend.commits == 1


async def test_a_read_waits_for_one_batch_not_every_queued_writer(tmp_path: Path) -> None:
    async with backend_at(tmp_path / "uei.db", max_batch=4) as backend:
        async with held(backend):
            writes = asyncio.gather(*(backend.transaction(insert(n)) for n in range(10)))
            await turn()  # the writers queue, and their drain behind the held worker
            read = asyncio.ensure_future(rows(backend))  # behind the first batch only
            await turn()
        assert await read == [0, 1, 2, 3]
        assert await writes == list(range(10))
        assert backend.commits == 3  # 4 + 4 + 2


async def test_an_acknowledged_write_is_committed_for_every_reader(tmp_path: Path) -> None:
    """The await returns after the COMMIT: another connection to the file sees the write."""
    async with backend_at(tmp_path / "uei.db") as backend:
        await asyncio.gather(*(backend.transaction(insert(n), durable=True) for n in range(3)))
        other = sqlite3.connect(tmp_path / "uei.db")
        try:
            assert [n for (n,) in other.execute("SELECT n FROM t ORDER BY n")] == [0, 1, 2]
        finally:
            other.close()


async def test_close_commits_what_is_queued_then_refuses(tmp_path: Path) -> None:
    backend = await SqliteBackend.open(tmp_path / "uei.db")
    await backend.run(lambda db: db.execute("CREATE TABLE t (n INTEGER)"))
    writes = asyncio.gather(*(backend.transaction(insert(n)) for n in range(5)))
    await turn()
    await backend.close()
    assert await writes == list(range(5))
    with pytest.raises(sqlite3.ProgrammingError):
        await backend.transaction(insert(9))
    async with backend_at(tmp_path / "uei.db") as again:
        assert await rows(again) == list(range(5))


async def test_a_cancelled_caller_that_has_not_started_is_skipped(tmp_path: Path) -> None:
    async with backend_at(tmp_path / "uei.db") as backend:
        async with held(backend):
            kept = asyncio.ensure_future(backend.transaction(insert(1)))
            dropped = asyncio.ensure_future(backend.transaction(insert(2)))
            await turn()
            dropped.cancel()
            await turn()
        assert await kept == 1
        assert dropped.cancelled()
        assert await rows(backend) == [1]


KINDS = st.sampled_from(["ok", "raise", "abort"])


@settings(max_examples=60, deadline=None)
@given(kinds=st.lists(KINDS, min_size=1, max_size=25), max_batch=st.integers(1, 8))
def test_any_mix_of_members_commits_exactly_the_ones_that_succeed(
    kinds: list[str], max_batch: int
) -> None:
    """Members succeed, raise (their savepoint rolled back) or end the whole transaction; the
    file holds exactly the ones that succeeded, each caller gets its own outcome, and there is
    one COMMIT per batch of ``max_batch`` that holds a member that succeeded."""

    def member(n: int, kind: str) -> Member:
        def fn(db: sqlite3.Connection) -> int:
            db.execute("INSERT INTO t VALUES (?)", (n,))
            if kind == "abort":
                db.execute("ROLLBACK")
            if kind != "ok":
                raise Boom(n)
            return n

        return fn

    async def scenario(path: Path) -> None:
        async with backend_at(path, max_batch=max_batch) as backend:
            calls: list[Awaitable[int]] = [
                backend.transaction(member(n, kind)) for n, kind in enumerate(kinds)
            ]
            async with held(backend):
                writes = asyncio.gather(*calls, return_exceptions=True)
                await turn()
            results = await writes
            for n, (kind, result) in enumerate(zip(kinds, results, strict=True)):
                if kind == "ok":
                    assert result == n
                else:
                    assert isinstance(result, Boom)
                    assert result.args == (n,)
            assert await rows(backend) == [n for n, k in enumerate(kinds) if k == "ok"]
            chunks = [kinds[i : i + max_batch] for i in range(0, len(kinds), max_batch)]
            assert backend.commits == sum("ok" in c for c in chunks)
            assert math.ceil(len(kinds) / max_batch) >= backend.commits

    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(scenario(Path(directory) / "uei.db"))


def test_an_acknowledged_batched_durable_write_survives_sigkill(tmp_path: Path) -> None:
    """A process acknowledges 16 durable writes that shared one COMMIT and is SIGKILLed
    before it closes anything; the file holds all 16. (A process crash: the power-cut case
    rests on ``synchronous=FULL`` for the batch, which the trace test checks.)"""
    path = tmp_path / "uei.db"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.storage.writer_process", str(path), "16"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().split() == ["acked", "16", "commits", "1"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL
    db = sqlite3.connect(path)
    try:
        assert [n for (n,) in db.execute("SELECT n FROM acked ORDER BY n")] == list(range(16))
    finally:
        db.close()


async def test_a_read_does_not_wait_behind_a_write_and_sees_what_committed(
    tmp_path: Path,
) -> None:
    """``read`` runs on its own connection and thread: while the writer is held inside a
    transaction, a read answers, with what had committed before; once the write's await
    returns, a read sees it."""
    backend = await SqliteBackend.open(tmp_path / "uei.db")
    held, release = threading.Event(), threading.Event()
    try:
        await backend.transaction(lambda db: db.execute("CREATE TABLE t (x INTEGER)"))
        await backend.transaction(lambda db: db.execute("INSERT INTO t VALUES (1)"))

        def slow(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO t VALUES (2)")
            held.set()
            release.wait(30)

        writing = asyncio.ensure_future(backend.transaction(slow))
        assert await asyncio.get_running_loop().run_in_executor(None, held.wait, 30)
        seen = await backend.read(lambda db: [r for (r,) in db.execute("SELECT x FROM t")])
        assert seen == [1]  # the writer is still inside its transaction
        release.set()
        await writing
        after = await backend.read(lambda db: [r for (r,) in db.execute("SELECT x FROM t")])
        assert after == [1, 2]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await backend.read(lambda db: db.execute("INSERT INTO t VALUES (3)"))
    finally:
        release.set()
        await backend.close()
