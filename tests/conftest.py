from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.redis_servers import (
    RedisCluster,
    RedisServer,
    redis_cluster,
    redis_command,
    redis_server,
)

__all__ = [
    "BACKENDS",
    "anyio_backend",
    "backend_url",
    "redis_cluster",
    "redis_server",
    "store_url",
    "vectors",
]

BACKENDS = ["sqlite", "redis", "cluster"]
"""Every store test runs on each: SQLite, a real Redis, a real 3-node Redis Cluster."""

VECTORS_PATH = Path(__file__).parent / "conformance" / "signing_vectors.json"


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
    return data


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def backend_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A clean store URL for ``backend``; Redis servers are emptied first."""
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


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request, str(request.param), tmp_path)
