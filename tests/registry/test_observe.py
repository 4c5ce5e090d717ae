"""Request ids, metrics and JSON logs."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from uei.app.observe import JsonFormatter, request_id
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        yield harness


async def test_request_ids_are_kept_when_well_formed_and_made_otherwise(h: Harness) -> None:
    kept = await h.client.get("/healthz", headers={"X-Request-Id": "gw-1234.abc"})
    assert kept.headers["x-request-id"] == "gw-1234.abc"
    replaced = await h.client.get("/healthz", headers={"X-Request-Id": "bad id!" * 20})
    assert replaced.headers["x-request-id"] != "bad id"
    fresh = await h.client.get("/lookup/a.example/k1")
    assert replaced.headers["x-request-id"] != fresh.headers["x-request-id"]
    assert (
        fresh.headers["x-request-id"].split("-")[0]
        == replaced.headers["x-request-id"].split("-")[0]
    )


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_and_lookups_by_route(h: Harness) -> None:
    before = (await h.client.get("/metrics")).text
    await h.client.get("/lookup/a.example/k1")
    await h.client.get("/lookup/b.example/k2")
    await h.client.post("/lookup", json={})
    after = (await h.client.get("/metrics")).text
    route = "/lookup/{subscriber_id}/{unique_key_id}"
    delta = _sample(after, "uei_http_requests_total", route=route, status="404") - _sample(
        before, "uei_http_requests_total", route=route, status="404"
    )
    assert delta == 2
    assert (
        _sample(after, "uei_lookups_total", path="key", outcome="404")
        - _sample(before, "uei_lookups_total", path="key", outcome="404")
        == 2
    )
    assert _sample(after, "uei_http_request_duration_seconds_count", route="/lookup") >= 1


def test_json_log_lines_carry_the_request_id() -> None:
    token = request_id.set("req-42")
    try:
        record = logging.LogRecord(
            "uei.registry", logging.INFO, __file__, 1, "challenge %s: %s", ("k1", "passed"), None
        )
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["msg"] == "challenge k1: passed"
    assert (line["level"], line["logger"], line["request_id"]) == ("INFO", "uei.registry", "req-42")
