"""The HTTP app through the real Litestar stack, and ``uei serve`` as a real process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from uei.app.factory import create_app
from uei.app.settings import Settings

UEI = Path(sys.executable).parent / "uei"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"UEI_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


def test_settings_default_to_sqlite_in_the_data_dir() -> None:
    settings = Settings.from_env({})
    assert settings.store == "sqlite:///.uei/uei.db"
    assert settings.policies == Path("policies.yaml")
    assert Settings.from_env({"UEI_STORE": "redis://127.0.0.1:6379/0"}).store.startswith("redis")


@pytest.mark.anyio
async def test_healthz(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.anyio
async def test_unknown_route_is_a_nack(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    body = response.json()
    assert body["message"]["ack"]["status"] == "NACK"
    assert body["error"]["code"] == "30004"


@pytest.mark.anyio
async def test_unexpected_errors_are_nacks_without_tracebacks(settings: Settings) -> None:
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise KeyError("secret internal detail")

    app = create_app(settings)
    app.register(boom)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "31001",
        "message": "internal error; it has been logged",
    }
    assert "secret internal detail" not in response.text


@pytest.mark.anyio
async def test_openapi_documents_every_route(client: AsyncTestClient[Litestar]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/healthz" in schema["paths"]
    assert schema["paths"]["/healthz"]["get"]["summary"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_uei_serve_starts_on_the_embedded_default(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "UEI_DATA_DIR": str(tmp_path / "data")}
    with subprocess.Popen(
        [str(UEI), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            assert server.stderr is not None
            for line in server.stderr:  # wait for the server's own word, not a timer
                if "Uvicorn running on" in line:
                    break
            else:
                pytest.fail("uei serve exited before it was ready")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                assert json.loads(r.read()) == {"status": "ok"}
        finally:
            server.terminate()
            server.wait(timeout=10)
