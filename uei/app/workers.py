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
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar import Litestar

__all__ = ["APP", "app_from_env", "listening_socket", "serve_workers"]

APP = "uei.app.workers:app_from_env"
"""What each worker imports (uvicorn's factory form)."""

logger = logging.getLogger("uvicorn.error")


def app_from_env() -> Litestar:
    """The service as ``uei serve`` builds it, from this process's ``UEI_*`` environment."""
    from uei.app.factory import create_app
    from uei.app.settings import Settings

    return create_app(Settings.from_env(os.environ))


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


def serve_workers(
    app: str, port: int, workers: int, *, host: str = "127.0.0.1", **options: Any
) -> None:
    """``uvicorn APP --factory --workers N`` on a ``listening_socket``; ``options`` are more
    ``uvicorn.Config`` arguments (``access_log=False``, ``log_level="info"`` unless given).
    One worker runs in this process (asyncio binds that socket itself)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, but SIGHUP goes to each worker (see the module)."""

        def handle_hup(self) -> None:
            logger.info("Received SIGHUP, passing it to the workers to reload their policy.")
            for process in self.processes:
                if process.pid is not None and process.exitcode is None:
                    os.kill(process.pid, signal.SIGHUP)

    options = {"access_log": False, "log_level": "info", **options}
    config = uvicorn.Config(app, factory=True, host=host, port=port, workers=workers, **options)
    if workers == 1:
        uvicorn.Server(config).run()
        return
    sock = listening_socket(host, port)
    try:
        shown = f"[{host}]" if ":" in host else host
        logger.info(
            f"Uvicorn running on http://{shown}:{sock.getsockname()[1]} with {workers} workers"
            " (Press CTRL+C to quit)"
        )
        Supervisor(config, sockets=[sock]).run()
    finally:
        sock.close()
