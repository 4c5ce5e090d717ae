"""Real ``redis-server`` processes on loopback for tests (no fakeredis).

``RedisServer`` runs one standalone server, ``RedisCluster`` runs a Redis Cluster
(three masters by default, optionally with replicas). Both bind only to 127.0.0.1,
live in temporary directories and are torn down by their context managers. The
``redis_server`` and ``redis_cluster`` session fixtures are in ``tests/conftest.py``; the
benchmarks start their own servers.

Readiness is always detected by polling the server over a socket against a bounded
deadline; nothing waits on a fixed sleep.
"""

from __future__ import annotations

import atexit
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

HOST = "127.0.0.1"
"""The only address these servers bind to or are contacted on."""

CLUSTER_SLOTS = 16384
INSTALL_HINT = "install them with `apt-get install redis-server` (which pulls in redis-cli)"

_POLL_INTERVAL = 0.02
_STOP_TIMEOUT = 5.0
_BIND_ATTEMPTS = 5
_LOG_TAIL_LINES = 40

_live_processes: set[subprocess.Popen[bytes]] = set()


class RedisServerError(RuntimeError):
    """A redis process could not be started, reached or managed."""


class RedisReplyError(Exception):
    """Redis answered a command with an error reply (``-ERR ...``, ``-LOADING ...``)."""


# --------------------------------------------------------------------------- helpers


def missing_binaries(*names: str) -> list[str]:
    """Return the names among ``names`` that are not executables on PATH."""
    return [name for name in names if shutil.which(name) is None]


BINARIES = {"redis": ("redis-server",), "cluster": ("redis-server", "redis-cli")}
"""What each Redis backend needs on PATH: a server, and for a cluster redis-cli to form it."""


def missing_message(*names: str) -> str | None:
    """What is missing among ``names``, with the install hint; ``None`` if all are on PATH."""
    missing = missing_binaries(*names)
    if not missing:
        return None
    return f"{', '.join(missing)} not found on PATH; {INSTALL_HINT}"


def _require_binaries(*names: str) -> None:
    """Raise ``RedisServerError`` with an install hint if a binary is missing."""
    problem = missing_message(*names)
    if problem is not None:
        raise RedisServerError(problem)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _encode_command(args: Sequence[str | int]) -> bytes:
    """Encode a command as a RESP array of bulk strings."""
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = str(arg).encode()
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


def _read_reply(stream: BinaryIO) -> str | int | None:
    """Read one non-aggregate RESP2 reply; error replies raise ``RedisReplyError``."""
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed by redis")
    kind, payload = line[:1], line[1:-2]
    if kind == b"+":
        return payload.decode()
    if kind == b"-":
        raise RedisReplyError(payload.decode())
    if kind == b":":
        return int(payload)
    if kind == b"$":
        length = int(payload)
        if length < 0:
            return None
        data = stream.read(length + 2)
        if len(data) != length + 2:
            raise ConnectionError("connection closed by redis")
        return data[:-2].decode()
    raise RedisReplyError(f"unsupported reply type {kind!r}")


def redis_command(port: int, *args: str | int, timeout: float = 1.0) -> str | int | None:
    """Send one command to ``127.0.0.1:port`` on a fresh connection and return the reply.

    Only simple, error, integer and bulk replies are supported, which covers PING, INFO,
    CLUSTER INFO/NODES/KEYSLOT and friends. Raises ``OSError`` if unreachable.
    """
    with (
        socket.create_connection((HOST, port), timeout=timeout) as sock,
        sock.makefile("rb") as stream,
    ):
        sock.sendall(_encode_command(args))
        return _read_reply(stream)


def redis_text(port: int, *args: str | int, timeout: float = 1.0) -> str:
    """Like ``redis_command`` but require a string reply."""
    reply = redis_command(port, *args, timeout=timeout)
    if not isinstance(reply, str):
        raise RedisReplyError(f"expected a string reply to {args!r}, got {reply!r}")
    return reply


def parse_info(text: str) -> dict[str, str]:
    """Parse ``INFO`` / ``CLUSTER INFO`` output into a ``field -> value`` dict."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last ``lines`` lines of a log file, or a note if it cannot be read."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<could not read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def _reap(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send ``sig`` to ``process`` (if alive) and wait for it, escalating to SIGKILL."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_STOP_TIMEOUT)
    _live_processes.discard(process)


@atexit.register
def _kill_leftover_processes() -> None:
    """Backstop: never leave redis processes behind when the interpreter exits."""
    for process in list(_live_processes):
        _reap(process, signal.SIGKILL)


def _poll_until(check: Callable[[], str | None], *, timeout: float, what: str) -> None:
    """Call ``check`` until it returns ``None`` (healthy) or ``timeout`` seconds pass.

    ``check`` returns a description of what is still wrong; the last one is reported.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            problem = check()
        except (OSError, RedisReplyError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem is None:
            return
        if time.monotonic() >= deadline:
            raise RedisServerError(f"timed out after {timeout:.1f}s waiting for {what}: {problem}")
        time.sleep(_POLL_INTERVAL)


# ----------------------------------------------------------------------- RedisServer


class RedisServer:
    """One real ``redis-server`` process on 127.0.0.1 in its own temporary directory.

    Use as a context manager or call ``start()``/``stop()``. With ``aof=True`` every write
    is appended to the AOF and fsynced before the reply (``appendfsync always``), so data
    survives ``kill()`` followed by ``restart()``. RDB snapshots are always disabled.
    """

    def __init__(
        self,
        *,
        aof: bool = False,
        port: int | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 10.0,
    ) -> None:
        """Configure (but do not start) a server.

        ``port=None`` picks a free port; ``extra_args`` are appended to the command line.
        """
        self.aof = aof
        self.extra_args = tuple(extra_args)
        self.startup_timeout = startup_timeout
        self._fixed_port = port
        self._port: int | None = port
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # -- properties -------------------------------------------------------------------

    @property
    def host(self) -> str:
        """Always ``127.0.0.1``."""
        return HOST

    @property
    def port(self) -> int:
        """The TCP port the server listens on (known once started)."""
        if self._port is None:
            raise RedisServerError("redis server not started yet")
        return self._port

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{HOST}:{self.port}/0"

    @property
    def dir(self) -> Path:
        """The server's working directory (AOF, cluster config, ``redis.log``)."""
        if self._dir is None:
            raise RedisServerError("redis server not started yet")
        return self._dir

    @property
    def log_file(self) -> Path:
        """File receiving the server's stdout/stderr (appended to across restarts)."""
        return self.dir / "redis.log"

    @property
    def pid(self) -> int | None:
        """PID of the running process, or ``None`` when not running."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def is_running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> Self:
        """Create the temp dir, pick a port and start the server; wait until it answers.

        If the chosen port is taken before redis binds it (a race), a new one is tried.
        """
        if self._dir is not None:
            raise RedisServerError("redis server already started")
        _require_binaries(*BINARIES["redis"])
        self._dir = Path(tempfile.mkdtemp(prefix="redis-test-"))
        deadline = time.monotonic() + self.startup_timeout
        try:
            attempts = 1 if self._fixed_port is not None else _BIND_ATTEMPTS
            for _ in range(attempts):
                if self._fixed_port is None:
                    self._pick_ports()
                if self._launch_and_wait(deadline):
                    return self
            raise RedisServerError(
                f"redis-server could not bind a free port ({attempts} attempt(s), last "
                f"{HOST}:{self._port}): address already in use\n"
                f"--- last lines of {self.log_file} ---\n{_tail(self.log_file)}"
            )
        except BaseException:
            self.stop()
            raise

    def kill(self) -> None:
        """SIGKILL the server (no shutdown, no final fsync) and reap it; keep its dir."""
        if self._process is not None:
            _reap(self._process, signal.SIGKILL)

    def send_signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the server process if it is running (does not wait)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(sig)

    def terminate(self) -> None:
        """Shut the server down with SIGTERM (SIGKILL after a bounded wait); keep its dir."""
        if self._process is not None:
            _reap(self._process, signal.SIGTERM)

    def restart(self) -> None:
        """Start the server again on the same port and in the same dir (reloading the AOF).

        A still running server is terminated first.
        """
        if self._dir is None or self._port is None:
            raise RedisServerError("restart() needs a server that was started before")
        self.terminate()
        deadline = time.monotonic() + self.startup_timeout
        if not self._launch_and_wait(deadline):
            raise RedisServerError(
                f"redis-server failed to restart on port {self._port}\n"
                f"--- {self.log_file} ---\n{_tail(self.log_file)}"
            )

    def stop(self) -> None:
        """Terminate the server (SIGKILL after a bounded wait) and delete its dir.

        Idempotent; safe to call on a server that failed to start.
        """
        self.terminate()
        self._process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if self._fixed_port is None:
            self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(port={self._port}, aof={self.aof}, pid={self.pid})"

    # -- internals --------------------------------------------------------------------

    def _pick_ports(self) -> None:
        """Choose the port(s) for the next launch attempt."""
        self._port = free_port()

    def _command_line(self) -> list[str]:
        """The ``redis-server`` argv for the current port and dir."""
        args = [
            "redis-server",
            "--port", str(self.port),
            "--bind", HOST,
            "--protected-mode", "no",
            "--daemonize", "no",
            "--dir", str(self.dir),
            "--save", "",
            "--repl-diskless-sync-delay", "0",
        ]  # fmt: skip
        if self.aof:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        return [*args, *self.extra_args]

    def _launch_and_wait(self, deadline: float) -> bool:
        """Launch the process and poll until it serves PING.

        Returns ``False`` if redis exited because its port was already in use (the caller
        may retry), raises ``RedisServerError`` on any other failure or on timeout.
        """
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                self._command_line(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
            )
        _live_processes.add(self._process)
        while True:
            problem = self._readiness_problem()
            if problem is None:
                return True
            if self._process.poll() is not None:
                _live_processes.discard(self._process)
                if "Address already in use" in _tail(self.log_file, 5):
                    return False
                raise RedisServerError(self._failure_message("exited during startup"))
            if time.monotonic() >= deadline:
                raise RedisServerError(
                    self._failure_message(
                        f"did not become ready within {self.startup_timeout:.1f}s ({problem})"
                    )
                )
            time.sleep(_POLL_INTERVAL)

    def _readiness_problem(self) -> str | None:
        """``None`` once *our* process answers PING (data loaded), else what is wrong."""
        try:
            if redis_command(self.port, "PING", timeout=0.5) != "PONG":
                return "unexpected PING reply"
            info = parse_info(redis_text(self.port, "INFO", "server", timeout=0.5))
        except (OSError, RedisReplyError) as exc:
            return f"{type(exc).__name__}: {exc}"
        assert self._process is not None
        if info.get("process_id") != str(self._process.pid):
            return f"port {self.port} is answered by another process"
        return None

    def _failure_message(self, what: str) -> str:
        """Error text with the exit code and the tail of the server log."""
        code = self._process.returncode if self._process is not None else None
        return (
            f"redis-server on {HOST}:{self._port} {what} (exit code {code})\n"
            f"command: {' '.join(self._command_line())}\n"
            f"--- last lines of {self.log_file} ---\n{_tail(self.log_file)}"
        )


# ---------------------------------------------------------------------- RedisCluster


class _ClusterNode(RedisServer):
    """A ``RedisServer`` with cluster mode on and an explicitly chosen bus port.

    The bus port is chosen with the client port instead of Redis' default ``port +
    10000``, which would overflow for ephemeral ports above 55535.
    """

    def __init__(self, *, node_timeout_ms: int, startup_timeout: float) -> None:
        super().__init__(startup_timeout=startup_timeout)
        self.node_timeout_ms = node_timeout_ms
        self.bus_port: int | None = None

    def _pick_ports(self) -> None:
        super()._pick_ports()
        self.bus_port = free_port()
        while self.bus_port == self._port:
            self.bus_port = free_port()

    def _command_line(self) -> list[str]:
        return [
            *super()._command_line(),
            "--cluster-enabled", "yes",
            "--cluster-config-file", f"nodes-{self.port}.conf",
            "--cluster-node-timeout", str(self.node_timeout_ms),
            "--cluster-port", str(self.bus_port),
        ]  # fmt: skip


@dataclass(frozen=True)
class ClusterNodeInfo:
    """One line of ``CLUSTER NODES`` as seen by some node."""

    node_id: str
    host: str
    port: int
    flags: frozenset[str]
    master_id: str | None
    link_connected: bool
    slots: tuple[tuple[int, int], ...]

    @property
    def is_master(self) -> bool:
        """Whether the node is (believed to be) a master."""
        return "master" in self.flags

    @property
    def is_failed(self) -> bool:
        """Whether the node is flagged as failing (``fail`` or ``fail?``)."""
        return bool(self.flags & {"fail", "fail?"})

    def owns_slot(self, slot: int) -> bool:
        """Whether ``slot`` is in one of this node's slot ranges."""
        return any(low <= slot <= high for low, high in self.slots)


def parse_cluster_nodes(text: str) -> list[ClusterNodeInfo]:
    """Parse ``CLUSTER NODES`` output (slot migration markers are ignored)."""
    nodes = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 8:
            continue
        address = fields[1].split(",")[0].split("@")[0]
        host, _, port = address.rpartition(":")
        slots = []
        for spec in fields[8:]:
            if spec.startswith("["):
                continue
            low, _, high = spec.partition("-")
            slots.append((int(low), int(high or low)))
        nodes.append(
            ClusterNodeInfo(
                node_id=fields[0],
                host=host or HOST,
                port=int(port),
                flags=frozenset(fields[2].split(",")),
                master_id=None if fields[3] == "-" else fields[3],
                link_connected=fields[7] == "connected",
                slots=tuple(slots),
            )
        )
    return nodes


class RedisCluster:
    """A real Redis Cluster of ``masters`` masters with ``replicas`` replicas each.

    Every node is a ``redis-server`` on 127.0.0.1 in its own temp dir; the cluster is
    formed with ``redis-cli --cluster create`` and ``start()`` returns once every node
    reports ``cluster_state:ok`` with all 16384 slots served and replicas in sync.
    """

    def __init__(
        self,
        *,
        masters: int = 3,
        replicas: int = 0,
        node_timeout_ms: int = 2000,
        startup_timeout: float = 30.0,
    ) -> None:
        """Configure (but do not start) a cluster; ``masters`` must be at least 3."""
        if masters < 3:
            raise ValueError("redis-cli --cluster create needs at least 3 masters")
        if replicas < 0:
            raise ValueError("replicas must be >= 0")
        self.masters = masters
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.startup_timeout = startup_timeout
        self._nodes: list[_ClusterNode] = []
        self._killed: set[int] = set()

    # -- properties -------------------------------------------------------------------

    @property
    def ports(self) -> list[int]:
        """Client ports of all nodes (killed ones included), in creation order."""
        if not self._nodes:
            raise RedisServerError("redis cluster not started yet")
        return [node.port for node in self._nodes]

    @property
    def live_ports(self) -> list[int]:
        """Client ports of the nodes that have not been killed."""
        return [port for port in self.ports if port not in self._killed]

    @property
    def url(self) -> str:
        """``redis+cluster://127.0.0.1:FIRSTPORT`` (this project's cluster URL scheme)."""
        return f"redis+cluster://{HOST}:{self.ports[0]}"

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every node, for cluster clients."""
        return [(HOST, port) for port in self.ports]

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> Self:
        """Start all nodes, create the cluster and wait until it is healthy."""
        if self._nodes:
            raise RedisServerError("redis cluster already started")
        _require_binaries(*BINARIES["cluster"])
        try:
            for _ in range(self.masters * (1 + self.replicas)):
                node = _ClusterNode(
                    node_timeout_ms=self.node_timeout_ms, startup_timeout=self.startup_timeout
                )
                self._nodes.append(node)
                node.start()
            self._create()
            self.wait_ready(timeout=self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every node (all signalled first, then reaped) and delete their dirs."""
        for node in self._nodes:
            node.send_signal(signal.SIGTERM)
        for node in self._nodes:
            node.stop()
        self._nodes = []
        self._killed = set()

    def kill_node(self, port: int) -> None:
        """SIGKILL the node listening on ``port`` (it stays part of the cluster config)."""
        self._node(port).kill()
        self._killed.add(port)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        ports = [node._port for node in self._nodes]
        return f"{type(self).__name__}(ports={ports}, killed={sorted(self._killed)})"

    # -- inspection -------------------------------------------------------------------

    def nodes(self, via_port: int | None = None) -> list[ClusterNodeInfo]:
        """``CLUSTER NODES`` as seen by ``via_port`` (default: the first live node)."""
        port = via_port if via_port is not None else self.live_ports[0]
        return parse_cluster_nodes(redis_text(port, "CLUSTER", "NODES"))

    def keyslot(self, key: str) -> int:
        """The hash slot of ``key`` according to ``CLUSTER KEYSLOT`` on a live node."""
        reply = redis_command(self.live_ports[0], "CLUSTER", "KEYSLOT", key)
        if not isinstance(reply, int):
            raise RedisReplyError(f"unexpected CLUSTER KEYSLOT reply {reply!r}")
        return reply

    def master_port_for_slot(self, slot: int) -> int:
        """Port of the live, non-failed master serving ``slot``."""
        for node in self.nodes():
            if node.is_master and not node.is_failed and node.owns_slot(slot):
                return node.port
        raise RedisServerError(f"no healthy master serves slot {slot}")

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Poll (bounded by ``timeout``) until the surviving nodes form a healthy cluster.

        Healthy means, on every live node: ``cluster_state:ok``, all slots assigned and
        ok, every node known, no slot owned by a killed or failing node, and replicas'
        links to their masters up. After ``kill_node`` this waits for the failover.
        """
        _poll_until(self._health_problem, timeout=timeout, what="a healthy redis cluster")

    # -- internals --------------------------------------------------------------------

    def _node(self, port: int) -> _ClusterNode:
        for node in self._nodes:
            if node.port == port:
                return node
        raise KeyError(f"no cluster node on port {port}")

    def _create(self) -> None:
        """Run ``redis-cli --cluster create`` over all nodes."""
        command = [
            "redis-cli",
            "--cluster", "create",
            *(f"{HOST}:{port}" for port in self.ports),
            "--cluster-replicas", str(self.replicas),
            "--cluster-yes",
        ]  # fmt: skip
        try:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=self.startup_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RedisServerError(f"{' '.join(command)} timed out:\n{exc.stdout!r}") from exc
        if result.returncode != 0:
            raise RedisServerError(
                f"{' '.join(command)} failed (exit code {result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )

    def _health_problem(self) -> str | None:
        """``None`` if the cluster is healthy, else a description of the first problem."""
        live = set(self.live_ports)
        for port in sorted(live):
            problem = self._node_problem(port, live)
            if problem is not None:
                return f"node {port}: {problem}"
        return None

    def _node_problem(self, port: int, live: set[int]) -> str | None:
        """What node ``port`` reports as unhealthy, or ``None``."""
        info = parse_info(redis_text(port, "CLUSTER", "INFO"))
        for field, expected in (
            ("cluster_state", "ok"),
            ("cluster_slots_assigned", str(CLUSTER_SLOTS)),
            ("cluster_slots_ok", str(CLUSTER_SLOTS)),
        ):
            if info.get(field) != expected:
                return f"{field}={info.get(field)}"
        view = self.nodes(via_port=port)
        if len(view) != len(self._nodes):
            return f"knows {len(view)} of {len(self._nodes)} nodes"
        for entry in view:
            if entry.slots and (entry.port not in live or entry.is_failed):
                return f"slots still owned by unavailable node {entry.port}"
        replication = parse_info(redis_text(port, "INFO", "replication"))
        if replication.get("role") == "slave" and replication.get("master_link_status") != "up":
            return "replica link to master is not up"
        return None
