"""Browser tests' support: a live service on a loopback port (uvicorn in a thread, SQLite in
a temporary directory, an operator key file), and Debian's Chromium driven by Playwright.

Chromium is the system's (``/usr/bin/chromium``, or ``UEI_CHROMIUM``), never a browser that
Playwright downloads. ``tests/browser/conftest.py`` builds its fixtures from these.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from uei.antiabuse.secret import create_secret_file
from uei.app.factory import create_app
from uei.app.settings import Settings
from uei.registry.identity import save_key_file
from uei.registry.stores import registry_store
from uei.storage.backend import open_backend
from uei.trust import KeySet, encode_key, generate_key_set
from uei_testing.factories import Participant, enrol

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "INSTALL",
    "LiveService",
    "chromium_missing",
    "live_service",
]

CHROMIUM = os.environ.get("UEI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL = "sudo apt-get install chromium (Debian/Ubuntu), or set UEI_CHROMIUM to a Chromium"
REPO = Path(__file__).resolve().parents[1]


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM}: {INSTALL}"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[dev]'"
    return None


@dataclass
class LiveService:
    base_url: str
    operator_id: str
    operator: KeySet
    key_file: Path
    env: dict[str, str]

    def dashboard_link(self, ttl: int = 300) -> str:
        """A link from the real CLI: ``uei admin --key-file ... dashboard-link``."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "uei",
                "admin",
                "--key-file",
                str(self.key_file),
                "dashboard-link",
                "--base-url",
                self.base_url,
                "--ttl",
                str(ttl),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **self.env, "PYTHONPATH": str(REPO)},
            timeout=60,
        )
        return done.stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _seed(store_url: str, participants: list[Participant]) -> None:
    backend = await open_backend(store_url)
    try:
        store = await registry_store(backend)
        for participant in participants:
            await enrol(store, participant, time.time())
    finally:
        await backend.close()


@contextmanager
def live_service(tmp: Path, participants: Sequence[Participant] = ()) -> Iterator[LiveService]:
    """The service on ``http://127.0.0.1:<free port>``, ``participants`` SUBSCRIBED before it
    starts, and an operator ``ops`` whose key file the CLI signs links with."""
    operator = generate_key_set("ops-key-1")
    key_file = tmp / "ops-key.json"
    save_key_file(key_file, operator, "ops")
    operators = tmp / "operators.json"
    operators.write_text(
        json.dumps(
            [
                {
                    "operator_id": "ops",
                    "unique_key_id": operator.unique_key_id,
                    "signing_public_key": encode_key(operator.verify_key),
                }
            ]
        )
    )
    secret = tmp / "network-secret"
    create_secret_file(secret)
    policies = tmp / "policies.yaml"
    policies.write_text(json.dumps({"registry": {"challenge": {"private_networks": "allow"}}}))
    env = {
        "UEI_DATA_DIR": str(tmp / "data"),
        "UEI_STORE": f"sqlite:///{tmp / 'uei.db'}",
        "UEI_OPERATORS": str(operators),
        "UEI_POLICIES": str(policies),
        "UEI_NETWORK_SECRET": str(secret),
    }
    # in a thread of its own: Playwright's sync API keeps a loop running in this one
    seeding = threading.Thread(
        target=asyncio.run, args=(_seed(env["UEI_STORE"], list(participants)),)
    )
    seeding.start()
    seeding.join()
    app = create_app(Settings.from_env(env))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="uei-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live service did not start")
        time.sleep(0.05)
    try:
        yield LiveService(f"http://127.0.0.1:{port}", "ops", operator, key_file, env)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
