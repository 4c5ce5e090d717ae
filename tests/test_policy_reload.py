"""Policy reload without restart, over HTTP through the real app: a good file takes effect on
the next request, a bad one keeps the last good policy and says why (log and /readyz), the
file watch reloads on a changed content only, and a real ``uei serve`` reloads on SIGHUP."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.registry.service_process import ServiceProcess
from uei.app.reload import PolicyHolder, ReloadOutcome
from uei.registry.model import ParticipantType
from uei.registry.records import iso
from uei_testing.factories import Participant
from uei_testing.harness import REPO, Harness, running

pytestmark = pytest.mark.anyio

# the harness's own policy, as YAML an operator would edit (loopback peers need "allow")
BASE = "registry:\n  challenge:\n    private_networks: allow\n"
VPA = "ravi.k@okaxis"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        yield harness


def holder_of(h: Harness) -> PolicyHolder:
    holder: PolicyHolder = h.app.state.policy
    return holder


def rewrite(h: Harness, text: str) -> Path:
    """Write the policy file anew, with a later mtime than the one the holder last saw (a
    coarse file system clock could otherwise give an edit the same mtime)."""
    path = holder_of(h).path
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))
    return path


async def max_age(h: Harness, who: Participant) -> str:
    answer = await h.client.get(f"/lookup/{who.subscriber_id}/{who.keys.unique_key_id}")
    assert answer.status_code == 200, answer.text
    return answer.headers["cache-control"]


async def ready(h: Harness) -> tuple[int, str]:
    answer = await h.client.get("/readyz")
    detail: str = answer.json()["detail"]
    return answer.status_code, detail


async def ask(h: Harness, bpp: Participant) -> httpx.Response:
    body = b'{"purpose": "postpaid_session", "identifiers": [{"kind": "upi_vpa", "value": "%s"}]}'
    return await h.signed("POST", "/abuse/status", bpp.keys, bpp.subscriber_id, body % VPA.encode())


async def test_a_reload_takes_effect_on_the_next_request(h: Harness) -> None:
    cpo = Participant("cpo.example", type=ParticipantType.BPP)
    await h.enrol(cpo)  # no defaulters grant
    assert await max_age(h, cpo) == "max-age=60"
    assert (await ask(h, cpo)).status_code == 403  # shipped defaulters.access: granted
    assert (await ready(h))[1].endswith(f"; policy loaded at {iso(holder_of(h).loaded_at)}")

    rewrite(
        h,
        BASE + "  lookup:\n    max_age_seconds: 5\ndefaulters:\n  access: subscribed_bpp\n",
    )
    h.clock.advance(1)
    done = holder_of(h).reload()
    assert (done.outcome, done.detail) == (ReloadOutcome.OK, "changed: registry, defaulters")

    assert await max_age(h, cpo) == "max-age=5"
    assert (await ask(h, cpo)).status_code == 200
    status, detail = await ready(h)
    assert status == 200
    assert detail.endswith(
        f"; policy reloaded at {iso(done.at)}: ok (changed: registry, defaulters)"
    )


@pytest.mark.parametrize(
    ("bad", "line"),
    [
        (BASE + "  lookup:\n    max_age_secs: 5\n", 6),  # an unknown key
        (BASE + "  lookup: [5\n", 6),  # not YAML
        (BASE + "  lookup:\n    max_age_seconds: -1\n", 6),  # a bad value
    ],
    ids=["unknown key", "not YAML", "bad value"],
)
async def test_a_bad_file_keeps_the_last_good_policy_and_says_why(
    h: Harness, caplog: pytest.LogCaptureFixture, bad: str, line: int
) -> None:
    cpo = Participant("cpo.example")
    await h.enrol(cpo)
    path = rewrite(h, BASE + "  lookup:\n    max_age_seconds: 7\n")
    kept = holder_of(h).reload()
    assert await max_age(h, cpo) == "max-age=7"

    rewrite(h, bad.replace(BASE, BASE + "# an operator's edit\n"))
    h.clock.advance(1)
    with caplog.at_level(logging.INFO, logger="uei.policy"):
        failed = holder_of(h).reload()
    assert failed.outcome is ReloadOutcome.FAILED
    assert failed.detail.startswith(f"{path}:{line}: ")

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].getMessage() == (
        f"policy reload failed: {failed.detail}; keeping the policy loaded at {iso(kept.at)}"
    )
    assert await max_age(h, cpo) == "max-age=7"
    status, detail = await ready(h)
    assert status == 200  # still serving, with the last good policy
    assert detail.endswith(
        f"; policy reload failed at {iso(failed.at)}: {failed.detail}; "
        f"keeping the policy loaded at {iso(kept.at)}"
    )


async def test_the_watch_reloads_a_changed_file_only(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    holder = holder_of(h)
    path = holder.path
    assert holder.check() is None  # nothing happened to the file
    rewrite(h, path.read_text())  # the same bytes, a new mtime: a touch
    assert holder.check() is None
    assert holder.last_reload is None

    rewrite(h, BASE + "quotas:\n  replicas: 2\n")
    done = holder.check()
    assert done is not None
    assert (done.outcome, done.detail) == (ReloadOutcome.OK, "changed: quotas")
    assert holder.current.quotas.replicas == 2
    assert holder.check() is None

    rewrite(h, BASE + "quotas:\n  replicas: 0\n")
    with caplog.at_level(logging.ERROR, logger="uei.policy"):
        failed = holder.check()
        assert failed is not None
        assert failed.outcome is ReloadOutcome.FAILED
        assert holder.check() is None  # a bad file is reported once, not every 2 s
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    assert holder.current.quotas.replicas == 2

    path.unlink()  # a file once loaded that goes missing is a failure, not the defaults
    gone = holder.check()
    assert gone is not None
    assert gone.outcome is ReloadOutcome.FAILED
    assert gone.detail == f"{path}: cannot read the policy file: it is missing"
    assert holder.current.quotas.replicas == 2


async def test_sighup_reloads_while_the_app_runs_and_not_after(tmp_path: Path) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h:
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(10_000):  # the loop handles the signal on one of its next turns
            if holder_of(h).last_reload is not None:
                break
            await asyncio.sleep(0)
        done = holder_of(h).last_reload
        assert done is not None
        assert (done.outcome, done.detail) == (ReloadOutcome.OK, "no change")
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL  # removed at shutdown


def test_a_served_process_reloads_on_sighup_and_when_the_file_changes(tmp_path: Path) -> None:
    policies = tmp_path / "policies.yaml"
    policies.write_text((REPO / "policies.yaml").read_text())
    env = {"UEI_DATA_DIR": str(tmp_path / "data"), "UEI_POLICIES": str(policies)}
    with ServiceProcess(env, tmp_path) as service:
        assert "; policy loaded at " in readiness(service)
        # the file is unchanged, so the watch does nothing: only the signal can reload it
        service.send(signal.SIGHUP)
        assert "ok (no change)" in wait_for(service, "policy reloaded at ")

        edited = policies.read_text().replace("max_age_seconds: 60", "max_age_seconds: 9")
        policies.write_text(edited)
        assert "ok (changed: registry)" in wait_for(service, "changed: registry")


def readiness(service: ServiceProcess) -> str:
    answer = httpx.get(f"{service.url}/readyz", timeout=5)
    assert answer.status_code == 200, answer.text
    detail: str = answer.json()["detail"]
    return detail


def wait_for(service: ServiceProcess, fragment: str, bound: float = 30.0) -> str:
    """/readyz's detail once it contains ``fragment``: a condition polled (every 0.1 s, to
    leave the service the CPU), up to a generous bound."""
    deadline = time.monotonic() + bound
    while fragment not in (detail := readiness(service)):
        assert time.monotonic() < deadline, f"{fragment!r} not in /readyz: {detail}"
        time.sleep(0.1)
    return detail


async def test_challenge_max_concurrent_follows_a_reload(h: Harness) -> None:
    """Read when challenges start, not once: a reload bounds the attempts started after it."""
    h.registry.start_due_challenges()
    assert h.registry._slots is not None
    assert h.registry._slots[0] == 32
    rewrite(h, BASE.replace("challenge:\n", "challenge:\n    max_concurrent: 2\n"))
    holder_of(h).reload()
    h.registry.start_due_challenges()
    assert h.registry._slots[0] == 2
