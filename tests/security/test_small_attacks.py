"""Small attacks on the service's edges, each performed over HTTP against the real app (in
process) or a real ``uei serve`` where it takes a socket: deeply nested JSON, slow clients,
times far outside reason, and files other local users could read."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from registry.cli import main
from registry.model import ParticipantType
from tests.registry.factories import Participant
from tests.registry.harness import Harness, running
from tests.test_limits import Caller, nack
from trust import encode_key, generate_key_set, sign_header

pytestmark = pytest.mark.anyio


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        await harness.enrol(Participant("app.example", type=ParticipantType.BAP))
        yield harness


@pytest.fixture
async def cpo(h: Harness) -> Caller:
    participant = Participant("cpo.example", type=ParticipantType.BPP)
    await h.enrol(participant)
    return Caller(h, participant)


# --- 1. JSON nested 100,000 deep ------------------------------------------------------------

DEPTH = 100_000
DEEP = {
    "array": b"[" * DEPTH + b"]" * DEPTH,
    "object": b'{"a":' * DEPTH + b"1" + b"}" * DEPTH,
}


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("shape", sorted(DEEP))
@pytest.mark.parametrize("path", ["/lookup", "/subscribe", "/abuse/events"])
async def test_deeply_nested_json_is_a_400_nack_not_a_500(
    h: Harness, cpo: Caller, caplog: pytest.LogCaptureFixture, shape: str, path: str
) -> None:
    """``/lookup`` is open and ``/subscribe`` decodes before it verifies; ``/abuse/events``
    is decoded after its guard, so it is sent signed by a caller who is allowed in."""
    body = DEEP[shape]
    if path == "/abuse/events":
        answer = await cpo.send(path, body)
    else:
        answer = await h.client.post(
            path, content=body, headers={"Content-Type": "application/json"}
        )
    error = nack(answer, 400)
    assert error["message"].startswith("the body is not valid JSON: nested too deeply")
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("shape", sorted(DEEP))
async def test_deeply_nested_json_unsigned_is_refused_by_the_guard(
    h: Harness, caplog: pytest.LogCaptureFixture, shape: str
) -> None:
    """Unsigned, a signed route answers 401 before it parses anything."""
    answer = await h.client.post(
        "/abuse/events", content=DEEP[shape], headers={"Content-Type": "application/json"}
    )
    nack(answer, 401)
    assert errors_logged(caplog) == []


def test_uei_verify_explains_a_deeply_nested_body_without_crashing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``uei verify`` re-serializes the JSON when a signature does not hold, to explain it."""
    keys = generate_key_set("k1")
    header = sign_header(
        b"{}", keys.signing_key, subscriber_id="a", unique_key_id="k1", created=int(time.time())
    )
    body = tmp_path / "body.json"
    body.write_bytes(DEEP["array"])
    args = ["verify", "--body", str(body), "--authorization", header]
    with pytest.raises(SystemExit) as exited:
        main([*args, "--public-key", encode_key(keys.verify_key)])
    assert exited.value.code == 1
    assert capsys.readouterr().out.startswith("invalid: ")
