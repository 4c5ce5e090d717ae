"""``uei serve --workers N``: N worker processes on one ``IPPROTO_TCP`` socket.

A real ``uei serve --workers 2`` on a Redis store and a free loopback port. Which worker
answered a connection is read from /proc (the worker holding the server side of that
connection's socket), never from the answer: nothing about the process goes out. To make
both workers answer without chance, the first is SIGSTOPped while a second connection is
opened: only the other can accept it.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.registry.service_process import UEI
from tests.registry.test_service_process import _env
from uei.app.workers import listening_socket
from uei.tally import FLUSH_SECONDS
from uei_testing.redis_servers import RedisServer, free_port

STARTED = "Application startup complete"


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def expect(self, count: int, text: str) -> None:
        """Read stderr until ``text`` has appeared ``count`` times in all (bounded: fails if
        the process ends first, or after 60 s without the lines)."""
        while sum(text in line for line in self.seen) < count:
            line = self.lines.get(timeout=60)
            assert line is not None, "uei serve ended:\n" + "".join(self.seen[-20:])
            self.seen.append(line)

    def workers(self) -> list[int]:
        """The supervisor's worker processes, from /proc: its children spawned by
        multiprocessing (not its resource tracker)."""
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    stat = (entry / "stat").read_text()
                    command = (entry / "cmdline").read_bytes()
                    if (
                        int(stat.rpartition(")")[2].split()[1]) == self.process.pid
                        and b"spawn_main" in command
                    ):
                        children.append(int(entry.name))
        return sorted(children)


@contextlib.contextmanager
def serving(tmp_path: Path, workers: int) -> Iterator[Served]:
    redis = RedisServer(aof=True).start()
    try:
        port = free_port()
        process = subprocess.Popen(
            [str(UEI), "serve", "--port", str(port), "--workers", str(workers)],
            cwd=tmp_path,
            env={**os.environ, **_env(tmp_path, redis.url)},
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: the workers go with it
        )
        served = Served(process, port)

        def pump() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                served.lines.put(line)
            served.lines.put(None)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            served.expect(workers, STARTED)
            yield served
        finally:
            with contextlib.suppress(ProcessLookupError):  # the group this test started
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            reader.join(timeout=30)
            if process.stderr is not None:
                process.stderr.close()
    finally:
        redis.stop()


def _server_side(port: int, client: socket.socket) -> int:
    """The socket inode of the server's side of ``client``'s connection (/proc/net/tcp)."""
    client_port = client.getsockname()[1]
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                local, remote = (int(a.rpartition(":")[2], 16) for a in fields[1:3])
                if (local, remote) == (port, client_port):
                    return int(fields[9])
    raise AssertionError(f"no server side for the connection from port {client_port}")


def _holder(pids: list[int], inode: int) -> tuple[int, int]:
    """The process among ``pids`` holding socket ``inode``, and its fd number."""
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid, int(fd.name)
    raise AssertionError(f"socket {inode} is in none of {pids}")


def _healthz(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/healthz")
    answer = connection.getresponse()
    answer.read()
    return answer.status


def _answered_by(
    served: Served, pids: list[int], stack: contextlib.ExitStack
) -> Callable[[], tuple[int, int]]:
    """A new keep-alive connection (closed with ``stack``) that got a 200 from /healthz, and
    which worker holds it, with the worker's fd of it."""

    def connect() -> tuple[int, int]:
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        stack.callback(connection.close)
        assert _healthz(connection) == 200
        assert connection.sock is not None
        return _holder(pids, _server_side(served.port, connection.sock))

    return connect


@pytest.mark.redis
def test_two_workers_answer_and_stop_on_sigterm(tmp_path: Path) -> None:
    with serving(tmp_path, 2) as served, contextlib.ExitStack() as stack:
        pids = served.workers()
        assert len(pids) == 2
        connect = _answered_by(served, pids, stack)
        first, _ = connect()
        os.kill(first, signal.SIGSTOP)  # only the other worker can accept now
        try:
            second, _ = connect()
        finally:
            os.kill(first, signal.SIGCONT)
        assert {first, second} == set(pids)

        served.process.send_signal(signal.SIGHUP)  # each worker reloads its own policy
        served.expect(2, "policy reloaded from")
        assert served.workers() == pids  # reloaded in place, not restarted

        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=30) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


@pytest.mark.redis
def test_the_supervisor_says_once_what_serves(tmp_path: Path) -> None:
    """The start's lines (store, policy, identity, operators, workers: N, the address) come
    once, from the supervisor, before any worker starts; no worker repeats them."""
    with serving(tmp_path, 2) as served:
        said = [json.loads(line)["msg"] for line in served.seen if line.startswith("{")]
    for kind in ("store", "policy", "identity", "operators", "workers", "listening"):
        assert len([m for m in said if m.startswith(f"{kind}: ")]) == 1, (kind, said)
    assert "workers: 2 processes, each with its own store connection and policy" in said
    assert f"listening: http://127.0.0.1:{served.port}" in said
    assert said.index(f"listening: http://127.0.0.1:{served.port}") < next(
        i for i, m in enumerate(said) if m.startswith("Started server process")
    )
    assert sum(m == "Application startup complete." for m in said) == 2


@pytest.mark.redis
def test_accepted_connections_have_tcp_nodelay(tmp_path: Path) -> None:
    """Read on the worker's own socket: ``pidfd_getfd`` (Linux 5.6) copies the server side of
    a connection into this process (a getsockopt on the client's end would say nothing)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with serving(tmp_path, 2) as served, contextlib.ExitStack() as stack:
        pid, fd = _answered_by(served, served.workers(), stack)()
        pidfd = os.pidfd_open(pid)
        try:
            copied = libc.syscall(438, pidfd, fd, 0)  # SYS_pidfd_getfd on x86_64 and arm64
            if copied < 0:
                pytest.skip(f"pidfd_getfd: {os.strerror(ctypes.get_errno())}")
        finally:
            os.close(pidfd)
        with socket.socket(fileno=copied) as server_side:
            assert server_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


_TCP_INFO_DATA_SEGS_IN = 152
"""``tcpi_data_segs_in`` in Linux's ``struct tcp_info`` (4.6 on): segments that carried data."""


def _data_segments_in(sock: socket.socket) -> int:
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    if len(info) < _TCP_INFO_DATA_SEGS_IN + 4:
        pytest.skip("this kernel's tcp_info has no data_segs_in")
    return int.from_bytes(info[_TCP_INFO_DATA_SEGS_IN : _TCP_INFO_DATA_SEGS_IN + 4], "little")


@pytest.mark.redis
def test_each_answer_reaches_the_client_in_one_segment(tmp_path: Path) -> None:
    """uvicorn writes an answer's head and its body apart; with ``TCP_NODELAY`` that is two
    segments (two sends, two wake-ups of the client) for every answer. Served by ``uei serve``,
    the two leave as one: counted by the client's kernel, 40 answers on one keep-alive
    connection arrive in 40 data segments, not 80."""
    with serving(tmp_path, 2) as served:
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        try:
            assert _healthz(connection) == 200  # connected, warm
            assert connection.sock is not None
            before = _data_segments_in(connection.sock)
            for _ in range(40):
                assert _healthz(connection) == 200
            received = _data_segments_in(connection.sock) - before
        finally:
            connection.close()
    assert received <= 42, received


def test_the_listening_socket_is_tcp() -> None:
    """What asyncio checks before it sets TCP_NODELAY on an accepted connection."""
    with listening_socket("127.0.0.1", 0) as sock:
        assert (sock.family, sock.type, sock.proto) == (
            socket.AF_INET,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
        )
        assert sock.get_inheritable()


@pytest.mark.sqlite
def test_workers_above_one_refuse_sqlite(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(UEI), "serve", "--workers", "2"],
        cwd=tmp_path,
        env={**os.environ, **_env(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs UEI_STORE=redis://" in result.stderr


def _metrics(connection: http.client.HTTPConnection) -> str:
    connection.request("GET", "/metrics")
    answer = connection.getresponse()
    body = answer.read().decode()
    assert answer.status == 200, body
    return body


@pytest.mark.redis
def test_metrics_sum_every_worker(tmp_path: Path) -> None:
    """Each worker answers one /healthz; /metrics, whichever worker answers it, counts both
    (prometheus-client's multiprocess mode, set up by ``uei serve --workers``), and shows no
    ``_created`` series."""
    from prometheus_client.parser import text_string_to_metric_families

    with serving(tmp_path, 2) as served, contextlib.ExitStack() as stack:
        pids = served.workers()
        connect = _answered_by(served, pids, stack)
        first, _ = connect()
        os.kill(first, signal.SIGSTOP)
        try:
            second, _ = connect()
        finally:
            os.kill(first, signal.SIGCONT)
        assert {first, second} == set(pids)
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        stack.callback(connection.close)
        key = (
            "uei_http_requests_total",
            (("method", "GET"), ("route", "/healthz"), ("status", "200")),
        )
        # each worker writes what it counted every FLUSH_SECONDS (uei/tally.py): the other
        # worker's request shows within that period of its waking up
        deadline = time.monotonic() + 20 * FLUSH_SECONDS + 10
        while True:
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(_metrics(connection))
                for s in family.samples
            }
            if samples.get(key) == 2 or time.monotonic() > deadline:
                break
            time.sleep(FLUSH_SECONDS)  # another process's flush period, not a clock
        assert samples[key] == 2
        assert not [name for name, _ in samples if name.endswith("_created")]
        # the families of the whole service are there before their first event
        names = {name for name, _ in samples}
        for family in (
            "uei_quota_decisions_total",
            "uei_status_verdicts_total",
            "uei_scraping_verdicts_total",
            "uei_scoring_passes_total",
            "uei_policy_reloads_total",
            "uei_challenge_attempts_total",
        ):
            assert family in names, family
        assert served.seen
        assert any("multiprocess" in line for line in served.seen)


_FREEZE_PROBE = """
import asyncio, gc, sys, weakref
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from uei.app.workers import frozen_after_startup

class Node:
    pass

@get("/made", sync_to_thread=False)
def made() -> str:
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle, made after startup: still the collector's to free
    made_refs.append(weakref.ref(a))
    return "ok"

made_refs: list[weakref.ref[Node]] = []
app = frozen_after_startup(Litestar([made]))
before = gc.get_freeze_count()

async def main() -> None:
    async with AsyncTestClient(app) as client:
        frozen = gc.get_freeze_count()
        assert (await client.get("/made")).text == "ok"
        gc.collect()
        print(before, frozen, made_refs[0]() is None)

asyncio.run(main())
"""


def test_a_served_apps_heap_is_frozen_once_started() -> None:
    """``uei serve``'s app moves what it holds once started out of the collector's walks
    (``gc.freeze``), in its own process; a cycle made after that is still collected."""
    out = subprocess.run(
        [sys.executable, "-c", _FREEZE_PROBE], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    before, frozen, collected = out.stdout.split()
    assert int(before) == 0
    assert int(frozen) > 10_000  # the modules, the app: everything held at startup
    assert collected == "True"
