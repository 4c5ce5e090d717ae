"""``uei serve --workers N``: N uvicorn worker processes sharing one listening socket.

uvicorn's own ``--workers`` binds its socket with ``proto`` 0 (``Config.bind_socket``);
accepted connections inherit it and asyncio sets ``TCP_NODELAY`` only on sockets whose proto
is ``IPPROTO_TCP``, so every keep-alive answer after the first waits ~40 ms for the client's
delayed ACK (uvicorn issue #3149; one worker is not affected: asyncio binds that socket
itself). Here the socket is made with ``IPPROTO_TCP`` and handed to uvicorn's supervisor.

Each worker is its own process: it builds its own app from the ``UEI_*`` environment
(``app_from_env``), its own store backend and its own ``PolicyHolder``; its lifespan watches the
policy file and takes SIGHUP itself. The supervisor passes SIGHUP on to every worker (each
reloads in place, a bad file leaving that worker's last good policy) instead of uvicorn's
default of restarting them all.

Metrics: each worker counts in its own process, so with more than one, prometheus-client's
multiprocess mode is on (``PROMETHEUS_MULTIPROC_DIR``): every worker writes its values to a
file in that directory and ``/metrics``, whichever worker answers, sums them all. The
supervisor sets it up before any worker starts: the directory given in the environment
(emptied of the last run's files) or a private one of its own, removed when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from litestar import Litestar

__all__ = [
    "APP",
    "CannotListen",
    "OneWriteH11",
    "app_from_env",
    "frozen_after_startup",
    "listening_socket",
    "metrics_dir",
    "serve_workers",
]

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

APP = "uei.app.workers:app_from_env"
"""What each worker imports (uvicorn's factory form)."""

logger = logging.getLogger("uvicorn.error")


def app_from_env() -> Litestar:
    """The service as ``uei serve`` builds it, from this process's ``UEI_*`` environment, its
    heap frozen once it has started (``frozen_after_startup``)."""
    from uei.app.factory import create_app
    from uei.app.settings import Settings

    return frozen_after_startup(create_app(Settings.from_env(os.environ)))


def frozen_after_startup(app: Litestar) -> Litestar:
    """``app``, which once started moves every object it then holds into the collector's
    permanent generation (``gc.freeze``), for a server process only.

    A started worker holds about 190,000 tracked objects with 2,000 subscribers (the registry
    view, the app, its modules), nearly all kept for its life; every full collection walked
    them all, pausing the worker 90-140 ms several times a minute under load (every request
    in flight waiting), and longer the more subscribers it holds. Frozen, they are never
    walked again (4-10 ms); they are still freed as usual when nothing refers to them, and
    objects made later are collected as before. ``uei serve`` serves its apps so, one worker
    or several. Not in the app factory: a test's app, frozen, would keep its reference cycles
    when it is dropped."""

    def freeze(_: Litestar) -> None:
        gc.collect()
        gc.freeze()

    app.on_startup.append(freeze)
    return app


_HELD_AT_MOST = 65_536
"""Bytes held back for the turn's end at most: more go out at once, so that a large answer
meets the transport's flow control (uvicorn waits for the client once its buffer is full)."""


class _OneWritePerTurn:
    """A connection's transport whose writes within one turn of the event loop leave as one
    ``send``, at the end of that turn. uvicorn writes an answer's head and its body apart: two
    system calls and, with ``TCP_NODELAY``, two segments and two wake-ups of the client for
    every answer (the socket writes were about a fifth of a worker's samples on the lookup
    paths under load). Joined, the client reads one. Closing sends what is pending first;
    flow control counts it; everything else is the transport's own."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []
        self._size = 0
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        chunk = bytes(data)
        self._pending.append(chunk)
        self._size += len(chunk)  # bytes, whatever the view's item size
        if self._size >= _HELD_AT_MOST:  # a large answer: the transport's flow control
            self.flush()

    def writelines(self, data: Iterable[bytes | bytearray | memoryview]) -> None:
        for chunk in data:
            self.write(chunk)

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            self._size = 0
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._size

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol (h11) writing each turn's output once (``_OneWritePerTurn``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_OneWritePerTurn(transport))  # type: ignore[arg-type]


class _Server(uvicorn.Server):
    """uvicorn's server, saying where it serves once its app has started, as it does for a
    socket it binds itself (it says nothing for one it is handed)."""

    def __init__(self, config: uvicorn.Config, address: str) -> None:
        super().__init__(config)
        self.address = address

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            logger.info(f"Uvicorn running on {self.address} (Press CTRL+C to quit)")


class CannotListen(Exception):
    """The address is taken (or not this machine's): nothing has started."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``proto=IPPROTO_TCP``, so that connections
    accepted on it get ``TCP_NODELAY`` from asyncio; inheritable by the workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.set_inheritable(True)
    except BaseException:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def metrics_dir() -> Iterator[Path]:
    """``PROMETHEUS_MULTIPROC_DIR`` for the workers about to start: the one set, emptied of
    an earlier run's files (their counts would be added to this run's), or a new private
    directory, removed on the way out."""
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="uei-metrics-"))
    os.environ[MULTIPROC_DIR] = str(path)  # the workers inherit it
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROC_DIR, None)
        shutil.rmtree(path, ignore_errors=True)


def serve_workers(
    app: str | Litestar,
    port: int,
    workers: int,
    *,
    host: str = "127.0.0.1",
    banner: Sequence[str] = (),
    **options: Any,
) -> None:
    """``uvicorn APP --factory --workers N`` on a ``listening_socket``; ``options`` are more
    ``uvicorn.Config`` arguments (``access_log=False``, ``log_level="info"`` unless given).
    ``banner``: lines this process logs once, before any worker starts, followed by the address
    it listens on (``listening: http://...``); the workers do not repeat them. One worker runs
    in this process (``app`` may then be the app itself, not its import path)."""
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, but SIGHUP goes to each worker (see the module)."""

        def handle_hup(self) -> None:
            logger.info("Received SIGHUP, passing it to the workers to reload their policy.")
            for process in self.processes:
                if process.pid is not None and process.exitcode is None:
                    os.kill(process.pid, signal.SIGHUP)

    options = {"access_log": False, "log_level": "info", "http": OneWriteH11, **options}
    config = uvicorn.Config(  # applies the log configuration: the banner is logged with it
        app, factory=isinstance(app, str), host=host, port=port, workers=workers, **options
    )
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        shown = f"[{host}]" if ":" in host else host
        address = f"http://{shown}:{sock.getsockname()[1]}"
        for line in [*banner, f"listening: {address}"]:
            logging.getLogger("uei.app").info("%s", line)
        if workers == 1:
            _Server(config, address).run(sockets=[sock])
            return
        with metrics_dir() as metrics:
            logger.info(f"Metrics of every worker summed at /metrics (multiprocess: {metrics})")
            logger.info(
                f"Uvicorn running on {address} with {workers} workers (Press CTRL+C to quit)"
            )
            Supervisor(config, sockets=[sock]).run()
    finally:
        sock.close()
