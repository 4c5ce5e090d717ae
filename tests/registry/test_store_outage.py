"""A registry write while the store is down: a 503 NACK with Retry-After (never a 500 or a
traceback), nothing changed, and the same request works once Redis is back."""

from __future__ import annotations

from pathlib import Path

import pytest

from uei.registry.model import ParticipantType, Status
from uei_testing.callers import nack
from uei_testing.factories import Participant
from uei_testing.harness import running
from uei_testing.redis_servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

CPO = Participant("cpo.example", type=ParticipantType.BPP, url="https://cpo.example/beckn")


async def test_a_registry_write_during_an_outage_is_a_503_and_changes_nothing(
    tmp_path: Path,
) -> None:
    with RedisServer(aof=True) as server:
        async with running(server.url, tmp_path) as h:
            await h.enrol(CPO)
            server.kill()
            try:
                refused = await h.as_operator(
                    "POST", f"/admin/subscribers/{CPO.subscriber_id}/suspend"
                )
                error = nack(refused, 503)
                assert error["code"] == "31001"
                assert int(refused.headers["retry-after"]) >= 1
                assert "Traceback" not in refused.text
                assert "redis" in error["message"].lower() or "store" in error["message"].lower()
            finally:
                server.restart()  # same port, AOF reloaded
            stored = await h.registry.store.load(CPO.subscriber_id)
            assert stored is not None
            assert stored.status is Status.SUBSCRIBED
            done = await h.as_operator("POST", f"/admin/subscribers/{CPO.subscriber_id}/suspend")
            assert done.status_code == 200, done.text
