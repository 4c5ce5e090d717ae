from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from uei.registry.model import ParticipantType
from uei_testing.callers import Caller
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running
from uei_testing.redis_servers import (
    BINARIES,
    RedisCluster,
    RedisServer,
    missing_message,
    redis_command,
)
from uei_testing.vectors import PATH as VECTORS_PATH

if TYPE_CHECKING:
    from _pytest.mark.structures import ParameterSet

__all__ = [
    "BACKENDS",
    "RAW_IDENTIFIERS",
    "anyio_backend",
    "backend_params",
    "backend_url",
    "in_ci",
    "no_raw_identifier_anywhere",
    "redis_cluster",
    "redis_server",
    "require_redis",
    "store_url",
    "vectors",
]

BACKENDS = ["sqlite", "redis", "cluster"]
"""Every store test runs on each: SQLite, a real Redis, a real 3-node Redis Cluster. Each is
also a marker (pyproject), so ``-m sqlite`` or ``-m "not cluster"`` selects backends."""


def backend_params(*backends: str) -> list[ParameterSet]:
    """``backends`` (default: all) as parameters, each marked with its backend."""
    return [
        pytest.param(backend, marks=getattr(pytest.mark, backend), id=backend)
        for backend in backends or BACKENDS
    ]


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
    return data


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def in_ci() -> bool:
    """Whether this run is CI's (``CI`` set, as CI services do, and not to false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_redis(backend: str) -> None:
    """Skip the requesting test when a binary ``backend`` needs is not on PATH, with the
    install hint; under CI (which installs them) fail instead, so nothing goes untested."""
    problem = missing_message(*BINARIES[backend])
    if problem is None:
        return
    message = f"{backend} tests need real redis processes: {problem}"
    if in_ci():
        pytest.fail(f"{message} (CI is set: there it is a failure)", pytrace=False)
    pytest.skip(message)


_FIXTURE_BACKENDS = {"redis_server": "redis", "redis_cluster": "cluster"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test that uses the session's Redis or Cluster, itself or through another
    fixture, with that backend (before ``-m`` selects). A test that starts its own servers
    carries the mark by hand."""
    for item in items:
        used = getattr(item, "fixturenames", ())
        for fixture, backend in _FIXTURE_BACKENDS.items():
            if fixture in used:
                item.add_marker(backend)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    for backend in BINARIES:
        if item.get_closest_marker(backend) is not None:
            require_redis(backend)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A standalone ``RedisServer`` (no AOF) shared by the whole session."""
    require_redis("redis")
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """A 3-master ``RedisCluster`` without replicas shared by the whole session."""
    require_redis("cluster")
    with RedisCluster() as cluster:
        yield cluster


def backend_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A clean store URL for ``backend``; Redis servers are emptied first. The test must carry
    the backend's mark (``backend_params`` or by hand), so that ``-m`` selects it."""
    if request.node.get_closest_marker(backend) is None:
        pytest.fail(
            f"{request.node.nodeid} uses the {backend} backend: mark it @pytest.mark.{backend}",
            pytrace=False,
        )
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'uei.db'}"
    if backend == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        redis_command(server.port, "FLUSHALL")
        return server.url
    cluster: RedisCluster = request.getfixturevalue("redis_cluster")
    for port in cluster.live_ports:
        redis_command(port, "FLUSHALL")
    return cluster.url


@pytest.fixture(params=backend_params())
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request, str(request.param), tmp_path)


RAW_IDENTIFIERS = [
    # every raw phone number, VPA, VIN and RFID the suite sends, in the spellings it uses
    "9876543210",
    "98765 43210",
    "9123456789",
    "91234 56789",
    "Ravi.K@okaxis",
    "ravi.k@okaxis",
    "ravi@okaxis",
    "asha@ybl",
    "driver0@okaxis",
    "driver3@okaxis",
    "pad@okaxis",
    "MA3EWDE1S00123456",
    "04A2-9BC1-77",
    "04A29BC177",
]


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")


@pytest.fixture(scope="session", autouse=True)
def no_raw_identifier_anywhere(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole run: no raw identifier the suite used is in any log record of the
    run, or in any SQLite file a test left behind (their databases stay until the session
    ends; Redis is scanned by the privacy tests themselves, as it is emptied between tests)."""
    handler = _Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    found = []
    logged = "\n".join(handler.lines)
    found += [f"log: {raw}" for raw in RAW_IDENTIFIERS if raw in logged]
    base = tmp_path_factory.getbasetemp()
    for path in base.rglob("*"):
        if path.suffix in (".db", ".db-wal") or path.name.endswith((".db-wal", ".db-shm")):
            data = path.read_bytes()
            found += [f"{path}: {raw}" for raw in RAW_IDENTIFIERS if raw.encode() in data]
    assert not found, "raw identifiers stored or logged:\n" + "\n".join(found[:20])


# --- the app on SQLite with a BAP, and its callers (tests define their own `h` to override) --


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        await harness.enrol(Participant("app.example", type=ParticipantType.BAP))
        yield harness


@pytest.fixture
async def cpo(h: Harness) -> Caller:
    """A CPO (BPP, granted defaulters): may call non-payer protection."""
    participant = Participant("cpo.example", type=ParticipantType.BPP)
    await h.enrol(participant)
    await h.grant(participant)
    return Caller(h, participant)


@pytest.fixture
async def bg(h: Harness) -> Caller:
    """A gateway: uploads its log of searches (a BPP's events carry each BAP's request)."""
    participant = Participant("bg.example", type=ParticipantType.BG)
    await h.enrol(participant)
    return Caller(h, participant)
