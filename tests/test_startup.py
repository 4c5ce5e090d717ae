"""What ``uei serve`` says as it starts: the store, policy file and identity it uses (one log
line each), where it creates a new registry when it finds none, and one line (not a
traceback) for a store it cannot reach or does not know. And the key files the README writes
into the working tree are ignored by git."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from uei.antiabuse.secret import create_secret_file
from uei.registry.identity import save_key_file
from uei.trust import generate_key_set
from uei_testing.harness import REPO
from uei_testing.redis_servers import free_port

pytestmark = pytest.mark.sqlite


def _env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("UEI_")}, **extra}


def start_and_stop(cwd: Path, env: dict[str, str], port: int = 0) -> list[str]:
    """Start ``uei serve`` on ``port`` (else a free one), read what it says until it serves,
    stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "uei", "serve", "--port", str(port or free_port())],
        cwd=cwd,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    said: list[str] = []
    try:
        for line in process.stderr:
            said.append(line)
            if "Uvicorn running on" in line:
                break
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
    return said


def _messages(said: list[str]) -> list[str]:
    return [json.loads(line)["msg"] for line in said if line.startswith("{")]


_BANNER = ("store", "policy", "identity", "operators", "workers", "listening")
"""What a start says about itself, one line each, in this order."""


def test_a_start_says_what_it_uses_and_what_it_creates(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    first = start_and_stop(elsewhere, _env(), port)
    data = elsewhere / ".uei"
    assert first[0] == (
        f"uei: creating a new registry identity ({data / 'registry-keys.json'}) and a new, "
        f"empty database ({data / 'uei.db'}); UEI_DATA_DIR is not set, so the data directory "
        f"is ./.uei under {elsewhere}: set it to use an existing registry\n"
    )
    messages = _messages(first)
    kid = json.loads((data / "registry-keys.json").read_text())["unique_key_id"]
    assert f"store: SQLite {data / 'uei.db'}" in messages
    assert f"policy: the built-in defaults ({elsewhere / 'policies.yaml'} does not exist)" in (
        messages
    )
    assert f"identity: registry.uei key {kid} from {data / 'registry-keys.json'}" in messages
    (operators,) = [m for m in messages if m.startswith("operators: ")]
    assert operators.startswith(f"operators: none ({data / 'operators.json'} lists no keys)")
    # one process serves, and says so once, with where it listens, before it serves
    banner = [m for m in messages if m.split(":")[0] in _BANNER]
    assert [m.split(":")[0] for m in banner] == list(_BANNER)
    assert banner[-2:] == ["workers: 1 (this process)", f"listening: http://127.0.0.1:{port}"]
    assert messages.index(banner[-1]) < next(
        i for i, m in enumerate(messages) if m.startswith("Uvicorn running on")
    )
    # started again with UEI_DATA_DIR naming it: nothing new, the same identity
    again = start_and_stop(
        tmp_path, _env(UEI_DATA_DIR=str(data), UEI_POLICIES=str(REPO / "policies.yaml"))
    )
    assert not any(line.startswith("uei: creating") for line in again)
    messages = _messages(again)
    assert f"identity: registry.uei key {kid} from {data / 'registry-keys.json'}" in messages
    (policy,) = [m for m in messages if m.startswith("policy: ")]
    assert policy.startswith(f"policy: {REPO / 'policies.yaml'} (sha256 ")


def _serve_fails(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uei", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=_env(**env),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_an_address_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        failed = subprocess.run(
            [sys.executable, "-m", "uei", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=_env(UEI_DATA_DIR=str(tmp_path / "data")),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert failed.returncode == 2
    assert failed.stderr.splitlines()[-1] == (
        f"uei: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in failed.stderr


def test_an_unreachable_redis_is_one_line(tmp_path: Path) -> None:
    keys, secret = tmp_path / "registry-keys.json", tmp_path / "network-secret"
    save_key_file(keys, generate_key_set(), "registry.uei")
    create_secret_file(secret)
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    failed = _serve_fails(
        tmp_path, UEI_STORE=url, UEI_REGISTRY_KEYS=str(keys), UEI_NETWORK_SECRET=str(secret)
    )
    assert failed.returncode == 2
    (line,) = failed.stderr.splitlines()
    assert line.startswith("uei: error: cannot reach the store UEI_STORE=redis://:***@127.0.0.1:")
    assert "hunter2" not in failed.stderr


def test_an_unknown_store_names_uei_store_and_the_schemes(tmp_path: Path) -> None:
    failed = _serve_fails(tmp_path, UEI_STORE="postgres://x")
    assert failed.returncode == 2
    assert failed.stderr.splitlines() == [
        "uei: error: UEI_STORE 'postgres://x' is not sqlite:///path, redis://host:port/db or "
        "redis+cluster://host:port"
    ]


@pytest.mark.parametrize(
    "path",
    ["ops-key.json", "demo/cpo-keys.json", "bap-keys.json", "registry-keys.json", "network-secret"],
)
def test_key_files_in_the_working_tree_are_ignored(path: str) -> None:
    inside = subprocess.run(["git", "rev-parse"], cwd=REPO, check=False, capture_output=True)
    if inside.returncode != 0:
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", path], cwd=REPO, check=False, capture_output=True
    )
    assert ignored.returncode == 0, f"{path} is not in .gitignore"


def test_iso_times_and_an_access_log_on_request(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uei", "serve", "--port", str(port), "--access-log"],
        cwd=tmp_path,
        env=_env(UEI_DATA_DIR=str(tmp_path / "data")),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:
            if "Uvicorn running on" in line:
                break
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        for line in process.stderr:  # the access line follows the answer
            if '"GET /healthz HTTP/1.1\\" 200' in line:
                entry = json.loads(line)
                break
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
    assert entry["logger"] == "uvicorn.access"
    assert entry["request_id"] != "-"
    assert datetime.fromisoformat(entry["ts"]).tzinfo is not None
    assert entry["ts"].endswith("Z")


def test_a_database_without_its_identity_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    start_and_stop(tmp_path, _env(UEI_DATA_DIR=str(data)))
    (data / "registry-keys.json").unlink()  # lost, or a start from the wrong directory
    failed = _serve_fails(tmp_path, UEI_DATA_DIR=str(data))
    assert failed.returncode == 2
    (line,) = failed.stderr.splitlines()
    assert line == (
        f"uei: error: the database {data / 'uei.db'} exists but the registry identity "
        f"{data / 'registry-keys.json'} does not: refusing to make a new identity for an "
        "existing registry (its participants trust the old key). Restore the key file, or name "
        "it with UEI_REGISTRY_KEYS"
    )
    assert not (data / "registry-keys.json").exists()


def test_the_start_names_how_many_operator_keys_it_loaded(tmp_path: Path) -> None:
    from uei.app.banner import startup_lines
    from uei.app.settings import Settings

    settings = Settings.from_env({"UEI_DATA_DIR": str(tmp_path)})
    lines = startup_lines(settings, "registry.uei", "k1", 2, workers=3)
    assert lines[-2] == f"operators: 2 key(s) from {(tmp_path / 'operators.json').resolve()}"
    assert lines[-1] == "workers: 3 processes, each with its own store connection and policy"
