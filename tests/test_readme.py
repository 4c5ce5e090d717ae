"""The README's marked command blocks, run as written: the onboarding walk-through starts a
registry (``uei serve`` on SQLite in a temp directory) and a responder, subscribes a CPO,
grants it, queries a status and reports, reads the API documents and the metrics, with the
``uei`` command alone, then the Python client. Only the ports change (free ones for 8100 and
8101). The blocks and their steps come from ``uei_testing/readme.py``, which
``python -m bench.first_hour`` times from a fresh clone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from uei_testing.readme import blocks, onboarding, steps
from uei_testing.redis_servers import free_port

pytestmark = pytest.mark.sqlite


def test_the_readme_marks_its_runnable_blocks() -> None:
    assert set(blocks()) == {"onboarding", "client"}


def test_the_walk_through_has_its_numbered_steps() -> None:
    script, _ = onboarding(free_port(), free_port(), sys.executable)
    found = steps(script)
    assert [s.number for s in found] == list(range(1, 10))
    assert found[0].title == "A registry"
    assert found[-1].script.rstrip().endswith("# the registry and the responder")
    assert "".join(s.script for s in found) == script[script.index("# 1. ") :]


def test_onboarding_as_written(tmp_path: Path) -> None:
    script, client = onboarding(free_port(), free_port(), sys.executable)
    (tmp_path / "client.py").write_text(client)
    env = {k: v for k, v in os.environ.items() if not k.startswith("UEI_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # if a step fails, stop what the block started in the background
    guarded = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
    process = subprocess.Popen(
        ["bash", "-e", "-c", guarded],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"the block did not finish in 120 s:\n{out}\n{err}")
    assert process.returncode == 0, f"{out}\n{err}"
    assert "ok: demo/policies.yaml" in out
    assert '{"status":"UNDER_SUBSCRIPTION"}' in out
    assert '"status":"SUBSCRIBED"' in out
    assert "cpo.example: granted defaulters" in out
    assert '{"verdict":"allow"' in out
    assert '"status":"open","standing":"in_notice"}' in out
    # the documents and the metrics, as the registry serves them
    spec = json.loads((tmp_path / "demo" / "openapi.json").read_text())
    assert "/subscribe" in spec["paths"]
    assert 'uei_http_requests_total{method="POST",route="/subscribe",status="200"} 1.0' in out
    # the Python client's answer, verified (the case just reported is still in its notice)
    assert "{'verdict': 'allow'" in out
    assert "on_subscribe responder listening on" in err
    assert err.count("signature valid (registry.uei|") >= 6
    assert "NOT VERIFIED" not in err
    # the registry's files are in the block's own data directory, the key files beside it
    assert (tmp_path / "demo" / ".uei" / "uei.db").exists()
    assert (tmp_path / "demo" / "cpo-keys.json").exists()


def test_a_registry_that_cannot_start_says_why_and_is_not_waited_for(tmp_path: Path) -> None:
    """Step 1 on a port something else holds: the wait ends at once with uei serve's one
    line, instead of talking to whatever holds the port (or waiting forever)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        script, _ = onboarding(port, free_port(), sys.executable)
        first = steps(script)[0].script
        env = {k: v for k, v in os.environ.items() if not k.startswith("UEI_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        done = subprocess.run(
            ["bash", "-c", first],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert f"uei: error: cannot listen on 127.0.0.1:{port}: Address already in use" in done.stdout
