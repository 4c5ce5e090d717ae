from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.redis_servers import redis_cluster, redis_server

__all__ = ["anyio_backend", "redis_cluster", "redis_server", "vectors"]

VECTORS_PATH = Path(__file__).parent / "conformance" / "signing_vectors.json"


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
    return data


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
