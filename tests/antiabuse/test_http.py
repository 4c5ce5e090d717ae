"""The non-payer protection API through the real app, on every backend."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.registry.factories import Participant
from tests.registry.harness import Harness, running

pytestmark = pytest.mark.anyio

DAY = 86400.0
PHONE, VPA, VIN = "98765 43210", "ravi.k@okaxis", "MA3EWDE1S00123456"


class Cpo:
    def __init__(self, h: Harness, participant: Participant) -> None:
        self.h, self.p = h, participant

    async def post(self, path: str, body: Any) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.h.signed("POST", path, self.p.keys, self.p.subscriber_id, raw)

    async def report(
        self, ref: str, identifiers: list[dict[str, str]], **extra: Any
    ) -> httpx.Response:
        body = {
            "session_ref": ref,
            "amount": {"value": "420.00", "currency": "INR"},
            "occurred_at": iso(self.h.clock() - 3600),
            "identifiers": identifiers,
            **extra,
        }
        return await self.post("/abuse/defaulters/report", body)

    async def status(self, identifiers: list[dict[str, str]]) -> dict[str, Any]:
        answer = await self.post(
            "/abuse/status", {"purpose": "postpaid_session", "identifiers": identifiers}
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


def iso(at: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def ids(**given: str) -> list[dict[str, str]]:
    return [{"kind": k, "value": v} for k, v in given.items()]


@pytest.fixture
async def h(store_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(store_url, tmp_path) as harness:
        yield harness


@pytest.fixture
async def cpo(h: Harness) -> Cpo:
    participant = Participant("cpo-one.example")
    await h.enrol(participant)
    return Cpo(h, participant)


async def test_a_reused_vpa_blocks_after_the_notice_period(h: Harness, cpo: Cpo) -> None:
    reported = await cpo.report("s-1", ids(phone=PHONE, upi_vpa=VPA, vin=VIN))
    assert reported.status_code == 201, reported.text
    case = reported.json()
    assert (case["status"], case["standing"]) == ("open", "in_notice")
    assert (await cpo.status(ids(upi_vpa=VPA)))["verdict"] == "allow"
    h.clock.advance(8 * DAY)
    answer = await cpo.status(ids(phone="91234 56789", upi_vpa=VPA))
    assert answer["verdict"] == "block", answer
    assert answer["reasons"][0] == {
        "kind": "upi_vpa",
        "match": "direct",
        "hops": 0,
        "strength": 1.0,
    }
