"""ONE backend per process: one Redis (or Redis Cluster) client, or one SQLite connection and
the one worker thread that runs its calls. The app's lifespan opens it once, hands it to both
domains' store factories and closes it once; stores built on it never close it.

SQLite calls run on the one thread, so the event loop never waits on the disk, every
statement sees one connection, and a transaction is one call (never interleaved with
another's statements). Concurrent transactions share one ``COMMIT`` (group commit, see
``SqliteBackend``); a small write finding the connection free runs at once on the event
loop instead, and a durable one then waits for a sync of the WAL shared with every other.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from uei.storage.connect import ready, redis_client
from uei.storage.files import private_file
from uei.storage.url import StoreKind, StoreUrl, parse_store_url

__all__ = ["Backend", "RedisBackend", "SqliteBackend", "open_backend"]

T = TypeVar("T")

MAX_BATCH = 64
"""Transactions in one group commit at most: a read queued behind a batch waits for no more."""

BUSY_MS = 5000
"""How long the worker waits for another process's write lock on the file (a tool's)."""

WAL_LIMIT = 8 << 20
"""Bytes of WAL file kept after a checkpoint (``journal_size_limit``): beyond them the file
is truncated, so a burst of writes does not hold its disk space for good."""

WAL_FORCE = 64 << 20
"""Bytes of WAL file past which a checkpoint holds this process's writers off while it copies
the last of it and starts the file again from its beginning (``SqliteBackend._restart``)."""

CHECKPOINT_EVERY = 256
"""Commits between WAL checkpoints, which run on the sync thread on a connection of their own
(the writing connection's automatic checkpoint is off: it would run, and sync, inside
whichever commit crossed its mark, on the event loop for a small write)."""


def _connect_reader(path: Path) -> sqlite3.Connection:
    """A second connection for reads only (WAL lets it read while the writer writes)."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA query_only=ON")
    db.execute("PRAGMA busy_timeout=5000")
    return db


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_file(path)  # before SQLite makes it with the umask's mode (-wal, -shm follow it)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    for companion in ("-wal", "-shm"):  # left by an earlier run, perhaps with another mode
        private_file(path.with_name(path.name + companion), create=False)
    db.execute("PRAGMA synchronous=FULL")
    db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    db.execute("PRAGMA wal_autocheckpoint=0")  # see CHECKPOINT_EVERY
    db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")  # its restarts truncate the WAL
    return db


@dataclass(eq=False)
class _Member:
    """One caller's transaction in a batch, and the future its caller awaits."""

    fn: Callable[[sqlite3.Connection], Any]
    durable: bool
    future: asyncio.Future[Any]


class _Refused(enum.Enum):
    HELD = "a thread holds the writing connection"
    LOCKED = "another process holds the file's write lock"


_HELD, _LOCKED = _Refused.HELD, _Refused.LOCKED


def _wake(futures: list[asyncio.Future[None]]) -> None:
    for freed in futures:
        if not freed.done():  # its caller was cancelled
            freed.set_result(None)


class _Lost(Exception):
    """A member's error ended the whole SQLite transaction (SQLITE_FULL, an I/O error...):
    the members before it are re-run in a fresh one."""


class SqliteBackend:
    """One SQLite file (WAL), one connection, one worker thread.

    A ``small`` transaction (a bounded handful of statements) that finds the connection free
    (the worker not using it) runs at once on the event loop,
    in its own ``BEGIN IMMEDIATE`` ... ``COMMIT`` under WAL's ``NORMAL`` sync, which writes the
    WAL and syncs nothing: a thread hop costs more than such a write (the hop, the wake-up,
    and a GIL handoff with the loop for every statement). A durable one then awaits an
    ``fsync`` of the WAL file on a thread of its own, begun after its commit and shared by
    every commit before it began (group sync): what ``synchronous=FULL`` would have synced, the
    loop never waiting on the disk. Its caller's await returns after that sync; other callers
    may read the write before it (as with any group commit): what they answer from it is lost
    only with a power cut in that window, and a replay mark or case seen that early protects,
    never harms. After a failed sync, no durable write is acknowledged again (a later sync of
    the same file may succeed with the earlier pages lost): they raise until the restart.
    Finding the connection held by a thread (a batch of the worker's, a checkpoint's
    restart), it waits on the loop until that hold ends and runs then: sent to the worker
    instead, it would wait as long, then cost the hop, and under load the worker, trading the
    GIL with the loop for every statement, takes long enough that the next small writes find
    it busy too and follow, a queue that feeds itself for seconds. Held again by then, or if
    another process holds the file's write lock, it queues for the worker, which waits.

    Group commit: transactions queued while the worker is busy (with reads, or with the
    batch before) run as one ``BEGIN IMMEDIATE`` ... ``COMMIT``, at most ``max_batch`` of
    them, each in its own ``SAVEPOINT`` (when there are several): one that raises rolls back
    only its own changes and its caller gets its exception. A batch's durable members commit
    apart, after the others, with ``synchronous=FULL`` (the others' commit needs no sync
    under WAL, so they never wait for one). Each caller's await returns after the ``COMMIT``
    that holds its write. ``run`` queues on the same thread between batches: it sees only
    committed data and waits for at most one batch. ``read`` runs on a second connection and
    thread of its own (WAL: readers and the writer do not wait for each other), so a read
    never queues behind writes; it sees every transaction whose await has returned. A
    ``small`` read that finds the reading connection free runs at once on the event loop.
    """

    kind = StoreKind.SQLITE

    def __init__(
        self,
        path: Path,
        db: sqlite3.Connection,
        executor: ThreadPoolExecutor,
        *,
        max_batch: int = MAX_BATCH,
        reader: sqlite3.Connection | None = None,
        reader_executor: ThreadPoolExecutor | None = None,
    ) -> None:
        self.path = path
        self._db = db
        self._executor = executor
        self._reader = reader
        self._reader_executor = reader_executor
        self.max_batch = max_batch
        self.commits = 0  # COMMITs run (tests count them: one per batch that keeps a write)
        self._synchronous = "FULL"  # the connection's mode (``_connect``'s)
        self._busy_ms = BUSY_MS  # its busy timeout (``_connect``'s; 0 while the loop writes)
        self._unchecked = 0  # commits since the last checkpoint (counted holding ``_conn``)
        self._checkpoint_queued = False
        self._checkpointer: sqlite3.Connection | None = None  # on the sync thread
        self._reading = threading.Lock()  # held while the reading connection is in use
        self._conn = threading.Lock()  # held while the writing connection is in use
        self._waiting: list[asyncio.Future[None]] = []  # small writes waiting for a thread's hold
        self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uei-sqlite-sync")
        self._syncing: Future[None] | None = None  # the WAL's sync under way
        self._synced = 0  # every commit up to this count is on the disk
        self._wal: int | None = None  # the WAL file, opened for its syncs
        self.syncs = 0  # the WAL's syncs (tests count them)
        self._sync_failed: OSError | None = None  # then no durable write is acknowledged
        self.checkpoints = 0  # and its checkpoints
        self.restarts = 0  # and those that held writers to start the WAL again (``_restart``)
        self._queue: deque[_Member] = deque()
        self._lock = threading.Lock()
        self._draining = False  # a drain is scheduled or running
        self._closed = False

    @classmethod
    async def open(cls, path: Path, *, max_batch: int = MAX_BATCH) -> SqliteBackend:
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uei-sqlite")
        readers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uei-sqlite-read")
        try:
            db = await loop.run_in_executor(executor, _connect, path)
            reader = await loop.run_in_executor(readers, _connect_reader, path)
        except BaseException:
            executor.shutdown(wait=False)
            readers.shutdown(wait=False)
            raise
        return cls(path, db, executor, max_batch=max_batch, reader=reader, reader_executor=readers)

    async def read(self, fn: Callable[[sqlite3.Connection], T], *, small: bool = False) -> T:
        """``fn(connection)`` on the reading connection and its own thread: it must not write
        (the connection is ``query_only``). ``small``: a bounded handful of indexed reads,
        run at once here if the connection is free. Without one, on the worker as ``run``."""
        if self._reader is None or self._reader_executor is None:
            return await self.run(fn)
        if small and self._reading.acquire(blocking=False):
            try:
                return fn(self._reader)
            finally:
                self._reading.release()
        return await asyncio.get_running_loop().run_in_executor(
            self._reader_executor, self._read_held, fn
        )

    def _read_held(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        assert self._reader is not None
        with self._reading:
            return fn(self._reader)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` on the worker thread (SQLite's errors as they are)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._owned, fn)

    def _owned(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._holding():
            self._mode(synchronous=self._synchronous, busy_ms=BUSY_MS)
            return fn(self._db)

    async def transaction(
        self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False, small: bool = False
    ) -> T:
        """``fn`` inside a transaction: its changes commit together, or none if it raises
        (its exception is raised here). ``durable``: synced to disk before the answer;
        otherwise WAL's ``NORMAL``: a power cut may lose the last of them, never corrupt the
        file. ``small``: a bounded handful of statements, which may run on the event loop.
        Returns after the ``COMMIT`` that holds it (and the sync; see the class)."""
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        if small:
            ran = self._at_once(fn)
            if ran is _HELD:  # by a thread: its hold is short, and the worker is no quicker
                await self._released()
                ran = self._at_once(fn)
            if isinstance(ran, tuple):
                value, commit = ran
                if durable:
                    await self._sync_through(commit)
                return value
        loop = asyncio.get_running_loop()
        member = _Member(fn, durable, loop.create_future())
        with self._lock:
            self._queue.append(member)
            start, self._draining = not self._draining, True
        if start:  # the worker takes every member queued by the time it gets to it
            self._submit()
        result: T = await member.future
        return result

    def _at_once(self, fn: Callable[[sqlite3.Connection], T]) -> tuple[T, int] | _Refused:
        """``fn``'s value and its commit's number: ``fn`` in a transaction of its own, here on
        the caller's thread, if the connection is free. Else nothing was run: ``_HELD`` if a
        thread holds the connection, ``_LOCKED`` if another process holds the write lock."""
        # not held back by members queued for the worker: they are other callers', in no order
        # with this one, and a write sent to the worker must not send every later one there
        # too (each batch queues the writes that come meanwhile, and the queue never empties
        # under a steady stream)
        if not self._conn.acquire(blocking=False):
            return _HELD
        try:
            db = self._db
            self._mode(synchronous="NORMAL", busy_ms=0)
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # locked by another process: the worker waits
                return _LOCKED
            try:
                value = fn(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            commit = self._counted()
        finally:
            self._conn.release()
        if self._unchecked >= CHECKPOINT_EVERY:
            self._queue_checkpoint()
        return value, commit

    async def _released(self) -> None:
        """Until the thread holding the writing connection lets it go (at once if it has)."""
        freed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiting.append(freed)
        if not self._conn.locked():  # let go before it could see this waiter
            return
        await freed

    @contextlib.contextmanager
    def _holding(self) -> Iterator[None]:
        """The writing connection held on a thread; once it is free again, the loop's small
        writes waiting for it (``_released``) go on."""
        with self._conn:
            yield
        with self._lock:
            waiting, self._waiting = self._waiting, []
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for freed in waiting:
            by_loop.setdefault(freed.get_loop(), []).append(freed)
        for loop, futures in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting
                loop.call_soon_threadsafe(_wake, futures)

    async def _sync_through(self, commit: int) -> None:
        """Until the WAL is on the disk with commit number ``commit`` in it: joins the sync
        under way if it began after that commit, else the next one."""
        while self._synced < commit:
            if self._sync_failed is not None:
                raise self._sync_failed
            await asyncio.wrap_future(self._sync_round())

    def _sync_round(self) -> Future[None]:
        """The sync under way, or a new one. Its future is marked running from the start, so
        a waiter cancelled (its timeout) cannot cancel it for the others who share it."""
        with self._lock:
            if self._syncing is None:
                synced: Future[None] = Future()
                synced.set_running_or_notify_cancel()
                self._syncer.submit(self._sync_wal, synced)
                self._syncing = synced
            return self._syncing

    def _sync_wal(self, synced: Future[None]) -> None:
        """On the sync thread: every commit counted so far is in the WAL file already (written
        at its ``COMMIT``, on whichever thread); one ``fsync`` puts them all on the disk."""
        try:
            through = self.commits
            if self._wal is None:
                wal = self.path.with_name(self.path.name + "-wal")
                self._wal = os.open(wal, os.O_RDONLY)
                directory = os.open(self.path.parent, os.O_RDONLY)  # the WAL's own entry too
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)
            os.fsync(self._wal)
        except OSError as error:
            with self._lock:
                self._sync_failed = error
                self._syncing = None
            synced.set_exception(error)
        except BaseException as error:  # not the disk's: this sync only
            with self._lock:
                self._syncing = None
            synced.set_exception(error)
        else:
            with self._lock:
                self.syncs += 1
                self._synced = max(self._synced, through)
                self._syncing = None
            synced.set_result(None)

    def _mode(self, *, synchronous: str, busy_ms: int) -> None:
        """The connection's sync mode and busy timeout, each set only when it changes (every
        statement on the worker hands the GIL to and from the event loop)."""
        if synchronous != self._synchronous:
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._synchronous = synchronous
        if busy_ms != self._busy_ms:
            self._db.execute(f"PRAGMA busy_timeout={busy_ms}")
            self._busy_ms = busy_ms

    def _queue_checkpoint(self) -> None:
        with self._lock:
            if self._checkpoint_queued:
                return
            self._checkpoint_queued = True
        with contextlib.suppress(RuntimeError):  # shut down: the close checkpoints
            self._syncer.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        """On the sync thread, on its own connection: the WAL's committed pages into the file.
        ``PASSIVE``, beside the writers (it holds none of them up). Under a steady stream of
        writes such a checkpoint never catches up (a commit lands while it copies), so the WAL
        never starts again from its beginning and only grows: past ``WAL_FORCE``, see
        ``_restart``. One that fails is tried again later."""
        with self._lock:
            self._unchecked = 0
            self._checkpoint_queued = False
        with contextlib.suppress(sqlite3.Error, OSError):
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
                self._checkpointer.execute("PRAGMA busy_timeout=0")  # it never sleeps
                self._checkpointer.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.checkpoints += 1
            if self.path.with_name(self.path.name + "-wal").stat().st_size > WAL_FORCE:
                self._restart(self._checkpointer)

    def _restart(self, checkpointer: sqlite3.Connection) -> None:
        """Right after a ``PASSIVE`` checkpoint (which copied all but the last few commits),
        a ``RESTART`` one holding the writing connection (``_holding``): the loop's small
        writes wait for it on the loop and go on the moment it is free (the worker's batches
        too; never SQLite's busy handler, which sleeps in steps of up to 100 ms). No writer of
        this process can append meanwhile, so it copies the WAL to its end; holding the
        reading connection too (if free: a long read is not waited for), no reader of ours
        stands on the WAL's old frames, and a write that changes nothing (the database
        header's user version, set to itself) starts the WAL again from its beginning here:
        its header's rewrite and sync, and the truncation to ``journal_size_limit``, are this
        thread's, not a caller's. Writers wait for those few pages and two syncs, once every
        ``WAL_FORCE`` bytes of WAL."""
        with self._holding():
            reading = self._reading.acquire(blocking=False)
            try:
                busy, _, _ = checkpointer.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                if not busy:  # the WAL starts again with a write that changes nothing
                    (version,) = checkpointer.execute("PRAGMA user_version").fetchone()
                    checkpointer.execute(f"PRAGMA user_version={int(version)}")
                    self.restarts += 1
            finally:
                if reading:
                    self._reading.release()

    def _submit(self) -> None:
        try:
            self._executor.submit(self._drain)
        except RuntimeError as error:  # the executor is shut down
            self._fail_queued(error)

    def _fail_queued(self, error: BaseException) -> None:
        with self._lock:
            members, self._draining = list(self._queue), False
            self._queue.clear()
        for member in members:
            _settle(member, error, failed=True)

    def _drain(self) -> None:
        """On the worker: one batch, then again at the back of the thread's queue (behind the
        reads queued meanwhile) while writers wait."""
        with self._lock:
            count = min(len(self._queue), self.max_batch)
            batch = [self._queue.popleft() for _ in range(count)]
        live = [m for m in batch if not m.future.done()]  # done: its caller was cancelled
        # the members that need no fsync commit (and answer) first, then the durable ones:
        # a quick write never waits on another caller's sync
        with self._holding():
            for part in ([m for m in live if not m.durable], [m for m in live if m.durable]):
                if not part:
                    continue
                try:
                    self._commit(part)
                except BaseException as error:  # not SQLite's: still, no caller waits forever
                    for member in part:
                        _settle(member, error, failed=True)
        if self._unchecked >= CHECKPOINT_EVERY:
            self._queue_checkpoint()
        with self._lock:
            if not self._queue:
                self._draining = False
                return
        self._submit()

    def _commit(self, batch: list[_Member]) -> None:
        outcomes: dict[_Member, tuple[Any, bool]] = {}
        pending = batch
        while pending:
            try:
                done = self._attempt(pending)
            except _Lost as lost:
                (member, error) = lost.args
                outcomes[member] = (error, True)
                pending = [m for m in pending if m is not member]
                continue
            except BaseException as error:  # BEGIN or COMMIT failed: nothing of it holds
                for member in pending:
                    outcomes[member] = (error, True)
                break
            outcomes.update(done)
            break
        _settle_all(outcomes)

    def _attempt(self, members: list[_Member]) -> dict[_Member, tuple[Any, bool]]:
        """The members in one transaction, committed if any of them succeeded. As few
        statements as it takes: each one hands the GIL back and forth with the event loop, so
        under load every statement waits for it. The sync mode is set only when it changes,
        and a member alone needs no savepoint (its failure rolls the transaction back)."""
        db = self._db
        self._mode(
            synchronous="FULL" if any(m.durable for m in members) else "NORMAL", busy_ms=BUSY_MS
        )
        alone = len(members) == 1
        db.execute("BEGIN IMMEDIATE")
        outcomes: dict[_Member, tuple[Any, bool]] = {}
        kept = False
        try:
            for member in members:
                if not alone:
                    db.execute("SAVEPOINT uei_member")
                try:
                    outcomes[member] = (member.fn(db), False)
                    kept = True
                except BaseException as error:
                    if not db.in_transaction:
                        raise _Lost(member, error) from error
                    if not alone:
                        db.execute("ROLLBACK TO uei_member")
                    outcomes[member] = (error, True)
                if not alone:
                    db.execute("RELEASE uei_member")
            if not kept:
                db.execute("ROLLBACK")  # nothing of it to keep
                return outcomes
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self._counted()
        return outcomes

    def _counted(self) -> int:
        """A ``COMMIT`` done (holding ``_conn``): its number."""
        self.commits += 1
        self._unchecked += 1
        return self.commits

    async def close(self) -> None:
        """After the transactions already queued have committed."""
        self._closed = True
        with self._lock:
            draining = self._draining
        if draining:  # queued behind every member before it: its batch is the last
            loop = asyncio.get_running_loop()
            barrier = _Member(lambda db: None, False, loop.create_future())
            with self._lock:
                self._queue.append(barrier)
                start, self._draining = not self._draining, True
            if start:
                self._submit()
            await barrier.future
        await self.run(lambda db: db.close())
        # the threads finish what they hold (a sync, a checkpoint) off the loop
        await asyncio.to_thread(self._stop_writing_threads)
        if self._reader is not None and self._reader_executor is not None:
            await self.read(lambda db: db.close())
            self._reader_executor.shutdown(wait=True)

    def _stop_writing_threads(self) -> None:
        self._executor.shutdown(wait=True)
        self._syncer.shutdown(wait=True)
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._wal is not None:
            os.close(self._wal)


def _settle(member: _Member, value: Any, *, failed: bool) -> None:
    """Hand a member's outcome to its caller's loop (from the worker thread)."""
    _settle_all({member: (value, failed)})


def _settle_all(outcomes: dict[_Member, tuple[Any, bool]]) -> None:
    """Hand a batch's outcomes (value, failed) to their callers' loops: one wake-up of each
    loop for the whole batch (from the worker thread)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Member, Any, bool]]] = {}
    for member, (value, failed) in outcomes.items():
        by_loop.setdefault(member.future.get_loop(), []).append((member, value, failed))

    def settle(settled: list[tuple[_Member, Any, bool]]) -> None:
        for member, value, failed in settled:
            if member.future.done():  # its caller was cancelled
                continue
            if failed:
                member.future.set_exception(value)
            else:
                member.future.set_result(value)

    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting
            loop.call_soon_threadsafe(settle, settled)


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
