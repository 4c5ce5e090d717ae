"""The README's marked command blocks, run as written: the onboarding walk-through starts a
registry (``uei serve`` on SQLite in a temp directory) and a responder, subscribes a CPO,
grants it, queries a status and reports, with the ``uei`` command alone. Only the ports change
(free ones for 8000 and 8001)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from uei_testing.harness import REPO
from uei_testing.redis_servers import free_port

pytestmark = pytest.mark.sqlite

MARKER = re.compile(
    r"<!-- readme-test: (?P<name>[\w-]+) -->\n```(?:sh|python)\n(?P<body>.*?)\n```", re.S
)


def blocks() -> dict[str, str]:
    return {m["name"]: m["body"] for m in MARKER.finditer((REPO / "README.md").read_text())}


def test_the_readme_marks_its_runnable_blocks() -> None:
    assert set(blocks()) == {"onboarding", "client"}


def test_onboarding_as_written(tmp_path: Path) -> None:
    script, client = blocks()["onboarding"], blocks()["client"]
    registry, responder = free_port(), free_port()
    for old, new in (("8000", registry), ("8001", responder)):
        assert old in script
        script = script.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}")
        script = script.replace(f"--port {old}", f"--port {new}")
    (tmp_path / "client.py").write_text(client.replace("127.0.0.1:8000", f"127.0.0.1:{registry}"))
    # the Python example runs where the README says: before the block's last line (the kill)
    head, last = script.rstrip().rsplit("\n", 1)
    assert last.startswith("kill %1 %2")
    script = f"{head}\n{sys.executable} client.py\n{last}\n"
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
    # the Python client's answer, verified (the case just reported is still in its notice)
    assert "{'verdict': 'allow'" in out
    assert "on_subscribe responder listening on" in err
    assert err.count("signature valid (registry.uei|") >= 4
    assert "NOT VERIFIED" not in err
    # the registry's files are in the block's own data directory, the key files beside it
    assert (tmp_path / "demo" / ".uei" / "uei.db").exists()
    assert (tmp_path / "demo" / "cpo-keys.json").exists()
