"""``uei participant serve`` answering the app's real challenges from its own process, and
``uei request`` against a running ``uei serve``, its answers' signatures checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import backend_url
from tests.registry.service_process import ServiceProcess
from uei.client import Client
from uei.registry.identity import save_key_file
from uei.trust import generate_key_set
from uei_testing.harness import REPO, running

pytestmark = pytest.mark.sqlite

SID = "cpo.example"


def uei(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uei", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


@contextmanager
def responder(*args: str, cwd: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``uei participant serve`` on a free loopback port; yields its subscriber_url once it
    listens (its first line says so)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "uei", "participant", "serve", "--port", "0", *args],
        cwd=cwd,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    first = process.stderr.readline()
    try:
        assert first.startswith("on_subscribe responder listening on http://127.0.0.1:"), first
        yield first.split()[4], process
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("style", "policy"),
    [("decrypt", {"accept_signed": False}), ("sign", {"accept_decrypted": False})],
)
async def test_participant_serve_answers_the_challenge(
    request: pytest.FixtureRequest, tmp_path: Path, style: str, policy: dict[str, bool]
) -> None:
    keys = generate_key_set()
    save_key_file(tmp_path / "cpo-keys.json", keys)
    async with running(backend_url(request, "sqlite", tmp_path), tmp_path, challenge=policy) as h:
        (tmp_path / "registry.json").write_text(json.dumps(h.well_known))
        args = ("--keys", "cpo-keys.json", "--registry-file", "registry.json", "--answer", style)
        with responder(*args, cwd=tmp_path) as (url, process):
            assert url.endswith("/beckn")
            transport = httpx.ASGITransport(app=h.app)  # type: ignore[arg-type]
            async with Client(
                "http://uei", subscriber_id=SID, keys=keys, transport=transport, clock=h.clock
            ) as me:
                status = await me.subscribe(url, type="BPP", domain="ev-charging:uei")
                assert status == "UNDER_SUBSCRIPTION"
                assert await h.registry.run_due_challenges() == 1
                sub = await h.registry.store.load(SID)
                assert sub is not None
                assert sub.status.value == "SUBSCRIBED"
                history = await me.challenges()
                assert [a["outcome"] for a in history["attempts"]] == ["passed"]
            process.terminate()
            _, said = process.communicate(timeout=10)
        assert f"on_subscribe for {keys.unique_key_id}: 200 answered" in said


def test_participant_serve_refuses_a_call_the_registry_did_not_sign(tmp_path: Path) -> None:
    keys, registry = generate_key_set(), generate_key_set()
    save_key_file(tmp_path / "keys.json", keys)
    known = {"subscriber_id": "registry.uei", **registry.as_json_fields()}
    (tmp_path / "registry.json").write_text(json.dumps(known))
    args = ("--keys", "keys.json", "--registry-file", "registry.json")
    with responder(*args, cwd=tmp_path) as (url, _):
        body = {"subscriber_id": SID, "unique_key_id": keys.unique_key_id, "challenge": "x"}
        unsigned = httpx.post(f"{url}/on_subscribe", json=body)
        assert unsigned.status_code == 401
        assert "not signed by the registry" in unsigned.json()["error"]


def test_help_says_how_to_use_them(tmp_path: Path) -> None:
    serve = uei("participant", "serve", "--help", cwd=tmp_path)
    assert serve.returncode == 0
    assert "--answer [decrypt|sign]" in serve.stdout
    assert "private_networks: allow" in serve.stdout
    request = uei("request", "--help", cwd=tmp_path)
    assert request.returncode == 0
    assert "NOT VERIFIED" not in request.stdout
    assert "verified refusal" in " ".join(request.stdout.split())


def test_uei_request_against_uei_serve(tmp_path: Path) -> None:
    env = {"UEI_DATA_DIR": str(tmp_path / "data"), "UEI_POLICIES": str(REPO / "policies.yaml")}
    keys = generate_key_set()
    save_key_file(tmp_path / "cpo-keys.json", keys)
    with ServiceProcess(env, tmp_path) as service:
        (tmp_path / "lookup.json").write_text('{"subscriber_id": "cpo.example"}')
        found = uei(
            "request", "POST", f"{service.url}/lookup", "--body", "lookup.json", cwd=tmp_path
        )
        assert (found.returncode, found.stdout) == (0, "[]"), found.stderr
        assert "200: signature valid (registry.uei|" in found.stderr
        # a verified refusal: exit 1 and the NACK's message
        missing = uei("request", "GET", f"{service.url}/lookup/cpo.example/k1", cwd=tmp_path)
        assert missing.returncode == 1
        assert "404:" in missing.stderr
        assert "signature valid" in missing.stderr
        # a signed subscribe (the subscriber_url is not public: the shipped policy refuses it,
        # by name, and says so in a signed NACK)
        body = {
            "subscriber_id": SID,
            "subscriber_url": "http://127.0.0.1:9/beckn",
            "type": "BPP",
            "domain": "ev-charging:uei",
            **{k: v for k, v in keys.as_json_fields().items() if "private" not in k},
        }
        (tmp_path / "subscribe.json").write_text(json.dumps(body))
        args = ("--body", "subscribe.json", "--key-file", "cpo-keys.json", "--subscriber-id", SID)
        refused = uei("request", "POST", f"{service.url}/subscribe", *args, cwd=tmp_path)
        assert refused.returncode == 1, refused.stderr
        assert "[subscriber_url]; signature valid" in refused.stderr
        # a registry identity that is not this service's: nothing it says is trusted
        other = {"subscriber_id": "registry.uei", **generate_key_set().as_json_fields()}
        (tmp_path / "other.json").write_text(json.dumps(other))
        pinned = ("--registry-file", "other.json", "--body", "lookup.json")
        forged = uei("request", "POST", f"{service.url}/lookup", *pinned, cwd=tmp_path)
        assert forged.returncode == 3
        assert forged.stdout == ""
        assert forged.stderr.startswith("uei: NOT VERIFIED: ")
        assert "the unverified answer (200):\n[]" in forged.stderr
        # bad arguments are one line and exit 2
        bad = uei("request", "POST", "localhost:8000/lookup", cwd=tmp_path)
        assert bad.returncode == 2
        assert bad.stderr.startswith("uei: error: ")
