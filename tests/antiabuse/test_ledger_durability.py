"""SIGKILL right after an acknowledged report and an acknowledged settle: a real ``uei serve``
on SQLite and on Redis with AOF (Redis is SIGKILLed too) loses neither."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import backend_params
from tests.registry.service_process import ServiceProcess
from tests.registry.test_service_process import _env
from uei.antiabuse.defaulters.ledger import CaseStatus
from uei.antiabuse.stores import open_abuse_stores
from uei.registry.stores import open_store
from uei.trust import sign_header
from uei_testing.factories import Participant, enrol
from uei_testing.redis_servers import RedisServer


def _post(service: ServiceProcess, cpo: Participant, path: str, body: object) -> httpx.Response:
    raw = json.dumps(body).encode()
    header = sign_header(
        raw,
        cpo.keys.signing_key,
        subscriber_id=cpo.subscriber_id,
        unique_key_id=cpo.keys.unique_key_id,
        created=int(time.time()),
    )
    return httpx.post(
        f"{service.url}{path}",
        content=raw,
        headers={"Authorization": header, "Content-Type": "application/json"},
        timeout=10,
    )


def _crash(service: ServiceProcess, redis: RedisServer | None) -> None:
    service.kill()
    if redis is not None:
        redis.kill()
        redis.restart()
    service.start()


@pytest.mark.parametrize("backend", backend_params("sqlite", "redis"))
def test_sigkill_after_acknowledged_report_and_settle_loses_nothing(
    tmp_path: Path, backend: str
) -> None:
    redis = RedisServer(aof=True).start() if backend == "redis" else None
    try:
        url = redis.url if redis else f"sqlite:///{tmp_path / 'data' / 'uei.db'}"
        env = _env(tmp_path, url)
        cpo = Participant("cpo.example", url="https://cpo.example/beckn")

        async def enrolled() -> None:
            store = await open_store(url)
            await enrol(store, cpo, time.time(), grants=["defaulters"])
            await store.close()

        asyncio.run(enrolled())
        service = ServiceProcess(env, tmp_path).start()
        report = {
            "session_ref": "s-1",
            "amount": {"value": "420.00", "currency": "INR"},
            "occurred_at": datetime.fromtimestamp(time.time() - 3600, UTC).isoformat(),
            "identifiers": [{"kind": "upi_vpa", "value": "ravi@okaxis"}],
        }
        answer = _post(service, cpo, "/abuse/defaulters/report", report)
        assert answer.status_code == 201, answer.text
        case_id = answer.json()["case_id"]
        _crash(service, redis)
        again = _post(service, cpo, "/abuse/defaulters/report", report)
        assert (again.status_code, again.json()["case_id"]) == (200, case_id)  # still there
        settle = f"/abuse/defaulters/{case_id}/settle"
        settled = _post(service, cpo, settle, {"case_id": case_id, "request_id": "r-1"})
        assert settled.status_code == 200, settled.text
        _crash(service, redis)
        repeat = _post(service, cpo, settle, {"case_id": case_id, "request_id": "r-2"})
        assert repeat.status_code == 409  # settled already: the acknowledged settle held
        service.stop()

        async def stored() -> CaseStatus:
            store = await open_abuse_stores(url)
            case = (await store.cases.load_cases([case_id]))[case_id]
            await store.close()
            return case.status

        assert asyncio.run(stored()) is CaseStatus.SETTLED
    finally:
        if redis is not None:
            redis.stop()
