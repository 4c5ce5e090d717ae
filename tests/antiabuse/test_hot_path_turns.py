"""On the embedded default (SQLite), with its connections free, a quota check and a status
query answer within one turn of the event loop: the app's coroutine, driven by hand, never
suspends (no thread hop, no task beside it). A busy writer sends the write to the worker, and
the same request then waits for it (which shows the count sees a hop).

Suspensions are counted, not timed.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.storage.test_group_commit import held
from uei.registry.model import ParticipantType
from uei.storage.backend import SqliteBackend
from uei.trust import sign_header
from uei_testing.asgi import json_post
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite]

APP = Participant("app.turns.example", type=ParticipantType.BAP, url="https://app.example/b")
BG = Participant("bg.turns.example", type=ParticipantType.BG, url="https://bg.example/b")
CPO = Participant("cpo.turns.example", type=ParticipantType.BPP, url="https://cpo.example/b")


async def suspensions(h: Harness, path: str, by: Participant, body: dict[str, Any]) -> int:
    """Drive the app through one signed request by hand: how often it suspended (its
    answer must be a 200)."""
    raw = json.dumps(body).encode()
    now = int(h.clock())
    authorization = sign_header(
        raw,
        by.keys.signing_key,
        subscriber_id=by.subscriber_id,
        unique_key_id=by.keys.unique_key_id,
        created=now - 1,
        expires=now + 300,
    )
    scope, receive = json_post(path, raw, authorization)
    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    app: Any = h.app  # an ASGI app, called as a server would
    coroutine = app(scope, receive, send)
    suspended = 0
    while True:
        try:
            waited = coroutine.send(None)
        except StopIteration:
            break
        suspended += 1
        if waited is None:
            await asyncio.sleep(0)
        else:  # a future: wait for it as a task would, then resume the coroutine
            waited._asyncio_future_blocking = False
            await asyncio.wait([waited])
    assert status == [200]
    return suspended


def check(i: int) -> dict[str, Any]:
    search = {"gps": "12.971600,77.594600", "radius_km": 5}
    return {
        "bap_id": APP.subscriber_id,
        "action": "search",
        "message_id": f"m-{i}",
        "search": search,
    }


def status(i: int) -> dict[str, Any]:
    identifiers = [
        {"kind": "phone", "value": f"+9198{i:08d}"},
        {"kind": "upi_vpa", "value": f"user{i}@okaxis"},
    ]
    return {"purpose": "postpaid_session", "identifiers": identifiers}


async def test_a_quota_check_and_a_status_query_answer_in_one_turn(tmp_path: Path) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h:
        for p in (APP, BG, CPO):
            await h.enrol(p)
        await h.grant(CPO)
        for i in range(3):
            assert await suspensions(h, "/abuse/quota/check", BG, check(i)) == 0
            assert await suspensions(h, "/abuse/status", CPO, status(i)) == 0
        backend = h.app.state.stores.backend
        assert isinstance(backend, SqliteBackend)
        async with held(backend):
            waiting = asyncio.ensure_future(suspensions(h, "/abuse/quota/check", BG, check(9)))
            for _ in range(3):
                await asyncio.sleep(0)
            assert not waiting.done()  # queued for the worker
        assert await waiting > 0
