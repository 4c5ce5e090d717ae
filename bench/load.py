"""The service under uvicorn for the benchmarks: the app factory, the multi-worker launcher
(``serve_workers``) and ``Server``, which starts either and waits for every worker.

``python -m bench.load`` runs the load benchmark (``bench.drivers.load``; ``--help`` there).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.local import HOST, REPO
from uei.app.workers import serve_workers as serve_workers  # `uei serve --workers`

if TYPE_CHECKING:
    from litestar import Litestar


def service_app() -> Litestar:
    """The service as ``uei serve`` builds it (``uvicorn bench.load:service_app --factory``)."""
    from uei.app.workers import app_from_env

    return app_from_env()


class Server:
    """The app factory ``app`` under uvicorn with ``workers`` processes on a free port; ready
    once every worker has started its app. ``stock``: the ``uvicorn`` command line itself."""

    def __init__(
        self, label: str, app: str, workers: int, env: dict[str, str], log: Path, stock: bool
    ) -> None:
        from uei_testing.redis_servers import free_port

        self.label, self.log, self.workers = label, log, workers
        self.port = free_port()
        if stock:
            command = [
                sys.executable, "-m", "uvicorn", app, "--factory",
                "--host", HOST, "--port", str(self.port), "--workers", str(workers),
                "--no-access-log", "--log-level", "info",
            ]  # fmt: skip
        else:
            call = (
                "from bench.load import serve_workers; "
                f"serve_workers({app!r}, {self.port}, {workers})"
            )
            command = [sys.executable, "-c", call]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        deadline = time.monotonic() + 120
        while True:
            text = log.read_text(errors="replace")
            if text.count("Application startup complete") >= workers:
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{label} did not start:\n{text[-3000:]}")
            time.sleep(0.05)  # polling the log until every worker has started
        pids = [int(p) for p in re.findall(r"Started server process \[(\d+)\]", text)]
        self.pids = [p for p in pids if p != self.process.pid] or [self.process.pid]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


if __name__ == "__main__":
    from bench.drivers.load import main

    main()
