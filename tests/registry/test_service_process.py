"""The operator's commands against a running ``uei serve``, and SIGKILL right after ACKed
writes: nothing acknowledged is lost, on SQLite and on Redis with AOF."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import backend_params
from tests.registry.service_process import UEI, ServiceProcess
from uei.antiabuse.secret import create_secret_file
from uei.registry.identity import save_key_file
from uei.trust import encode_key, generate_key_set, sign_header
from uei_testing.harness import REPO
from uei_testing.redis_servers import RedisServer


def uei(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(UEI), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
        cwd=cwd,
    )


def _env(tmp_path: Path, store: str | None = None) -> dict[str, str]:
    env = {"UEI_DATA_DIR": str(tmp_path / "data"), "UEI_POLICIES": str(REPO / "policies.yaml")}
    if store is not None:
        keys = tmp_path / "registry-keys.json"
        save_key_file(keys, generate_key_set(), "registry.uei")
        secret = tmp_path / "network-secret"
        create_secret_file(secret)
        env |= {
            "UEI_STORE": store,
            "UEI_REGISTRY_KEYS": str(keys),
            "UEI_NETWORK_SECRET": str(secret),
        }
    return env


def test_policies_check(tmp_path: Path) -> None:
    good = uei("policies", "check", str(REPO / "policies.yaml"), env={}, cwd=tmp_path)
    assert (good.returncode, good.stdout.strip()) == (0, f"ok: {REPO / 'policies.yaml'}")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nregistry:\n  onboarding: open\n  lookpu:\n    max_age_seconds: 5\n")
    result = uei("policies", "check", str(bad), env={}, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"invalid: {bad}:4: Object contains unknown field `lookpu` - at `$.registry`"
    )


def test_operator_commands_against_a_running_service(tmp_path: Path) -> None:
    env = _env(tmp_path)
    added = _add_operator(tmp_path, env)
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "ops.json").stat().st_mode & 0o077 == 0
    with ServiceProcess(env, tmp_path) as service:
        secret = tmp_path / "data" / "network-secret"  # created at first start, owner-only
        assert secret.stat().st_mode & 0o777 == 0o600
        ops = {**env, "UEI_URL": service.url, "UEI_OPERATOR_KEY": str(tmp_path / "ops.json")}
        allow = ("admin", "allow", "x.example", "--type", "BPP")
        assert uei(*allow, env=ops, cwd=tmp_path).stdout == ("x.example: INITIATED\n")
        refused = uei("admin", "suspend", "x.example", env=ops, cwd=tmp_path)
        assert refused.returncode == 1
        assert "cannot suspend a subscriber that is INITIATED" in refused.stdout
        listed = uei("admin", "list", env=ops, cwd=tmp_path)
        assert json.loads(listed.stdout)["status"] == "INITIATED"
        assert uei("admin", "revoke", "x.example", env=ops, cwd=tmp_path).stdout == (
            "x.example: REVOKED\n"
        )
        verified = uei("log", "verify", "--entries", env=ops, cwd=tmp_path)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        lines = verified.stdout.splitlines()
        assert [line.split()[-2:] for line in lines[:3]] == [["operator", "ops"]] * 3
        assert lines[3].startswith("valid: 3 entries, head 3 ")
        no_key = uei("admin", "list", env={**env, "UEI_URL": service.url}, cwd=tmp_path)
        assert no_key.returncode == 2
        assert no_key.stderr == "uei: error: --key-file (or UEI_OPERATOR_KEY) is required\n"


def test_redis_store_refuses_to_start_without_registry_keys(tmp_path: Path) -> None:
    env = {"UEI_DATA_DIR": str(tmp_path), "UEI_STORE": "redis://127.0.0.1:1/0"}
    result = uei("serve", "--port", "0", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "UEI_REGISTRY_KEYS must name the registry's key file" in result.stderr
    assert "Traceback" not in result.stderr


def test_redis_store_refuses_to_start_without_a_network_secret(tmp_path: Path) -> None:
    keys = tmp_path / "registry-keys.json"
    save_key_file(keys, generate_key_set(), "registry.uei")
    env = {
        "UEI_DATA_DIR": str(tmp_path),
        "UEI_STORE": "redis://127.0.0.1:1/0",
        "UEI_REGISTRY_KEYS": str(keys),
    }
    result = uei("serve", "--port", "0", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "UEI_NETWORK_SECRET must name the network secret file" in result.stderr
    assert "Traceback" not in result.stderr


def _add_operator(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``uei admin add-operator``: key file ``ops.json`` in tmp_path, listed for the service."""
    return uei(
        "admin",
        "add-operator",
        "--operator-id",
        "ops",
        "--out",
        str(tmp_path / "ops.json"),
        env=env,
        cwd=tmp_path,
    )


def _subscribe(url: str, sid: str) -> dict[str, str]:
    keys = generate_key_set()
    body = json.dumps(
        {
            "subscriber_id": sid,
            "subscriber_url": "http://127.0.0.1:9/unreachable",
            "type": "BAP",
            "domain": "ev-charging:uei",
            "unique_key_id": keys.unique_key_id,
            "signing_public_key": encode_key(keys.verify_key),
            "encr_public_key": encode_key(keys.encryption_public_key),
        }
    ).encode()
    header = sign_header(
        body,
        keys.signing_key,
        subscriber_id=sid,
        unique_key_id=keys.unique_key_id,
        created=int(time.time()),
    )
    response = httpx.post(
        f"{url}/subscribe", content=body, headers={"Authorization": header}, timeout=10
    )
    assert response.status_code == 200, response.text
    answer: dict[str, str] = response.json()
    return answer


def _crash_and_list(
    service: ServiceProcess, redis: RedisServer | None, ops: dict[str, str], cwd: Path
) -> dict[str, Any]:
    """SIGKILL the service (and Redis, whose AOF must hold), start again, list the one
    subscriber."""
    service.kill()
    if redis is not None:
        redis.kill()
        redis.restart()
    service.start()
    ops["UEI_URL"] = service.url
    (listed,) = [
        json.loads(line) for line in uei("admin", "list", env=ops, cwd=cwd).stdout.splitlines()
    ]
    assert isinstance(listed, dict)
    return listed


@pytest.mark.parametrize("backend", backend_params("sqlite", "redis"))
def test_sigkill_right_after_acknowledged_writes_loses_nothing(
    tmp_path: Path, backend: str
) -> None:
    redis = RedisServer(aof=True).start() if backend == "redis" else None
    try:
        env = _env(tmp_path, redis.url if redis else None)
        # its subscriber_url is on loopback: the shipped policy with private networks allowed
        policies = tmp_path / "policies.yaml"
        shipped = (REPO / "policies.yaml").read_text()
        policies.write_text(shipped.replace("private_networks: deny", "private_networks: allow"))
        env["UEI_POLICIES"] = str(policies)
        _add_operator(tmp_path, env)
        service = ServiceProcess(env, tmp_path).start()
        ops = {**env, "UEI_URL": service.url, "UEI_OPERATOR_KEY": str(tmp_path / "ops.json")}
        assert _subscribe(service.url, "a.example") == {"status": "UNDER_SUBSCRIPTION"}
        listed = _crash_and_list(service, redis, ops, tmp_path)
        assert (listed["subscriber_id"], listed["status"]) == ("a.example", "UNDER_SUBSCRIPTION")
        assert list(listed["keys"].values()) == ["PENDING"]
        assert uei("admin", "revoke", "a.example", env=ops, cwd=tmp_path).returncode == 0
        listed = _crash_and_list(service, redis, ops, tmp_path)
        assert listed["status"] == "REVOKED"
        assert uei("log", "verify", env=ops, cwd=tmp_path).stdout.startswith("valid: ")
        service.stop()
    finally:
        if redis is not None:
            redis.stop()
