"""A process that acknowledges one group commit of durable writes, then waits to be killed.

``python -m tests.storage.writer_process DB N``: holds the backend's worker while ``N`` durable
transactions queue (so they share one batch), prints ``acked N commits C`` once every one of
them has returned, then blocks on stdin until the parent SIGKILLs it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
from pathlib import Path

from uei.storage.backend import SqliteBackend


async def main(path: Path, count: int) -> None:
    backend = await SqliteBackend.open(path)
    await backend.run(lambda db: db.execute("CREATE TABLE IF NOT EXISTS acked (n INTEGER)"))
    gate, started = threading.Event(), threading.Event()

    def hold(db: sqlite3.Connection) -> None:
        started.set()
        gate.wait()

    held = asyncio.ensure_future(backend.run(hold))
    await asyncio.to_thread(started.wait)

    async def write(n: int) -> None:
        await backend.transaction(
            lambda db: db.execute("INSERT INTO acked VALUES (?)", (n,)), durable=True
        )

    writes = asyncio.gather(*(write(n) for n in range(count)))
    await asyncio.sleep(0)  # one loop turn (not a timer): every writer queues behind the hold
    gate.set()
    await held
    await writes
    print(f"acked {count} commits {backend.commits}", flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until killed


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
