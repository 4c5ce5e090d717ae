"""One quota shared by several real ``uei serve`` processes on one real redis-server.

Three replicas on loopback ports, one Redis. A BG hammers ``POST /abuse/quota/check`` for one
BAP from many concurrent clients spread over every replica, each request freshly signed.
The rule (20 searches per 10 s, GCRA) is taken on the store's clock, so however the requests
are spread the replicas together admit no more than the rule allows in that time: its burst
plus what refilled, plus at most one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.registry.service_process import ServiceProcess
from uei.antiabuse.secret import create_secret_file
from uei.registry.identity import save_key_file
from uei.registry.model import ParticipantType
from uei.registry.stores import open_store
from uei.trust import generate_key_set, sign_header
from uei_testing.factories import Participant, enrol
from uei_testing.redis_servers import RedisServer

pytestmark = pytest.mark.anyio

REPLICAS = 3
LIMIT, WINDOW = 20, 10.0
RATE = LIMIT / WINDOW
"""Units refilled per second."""
POLICY_HEADER = f'"search.default";q={LIMIT};w={int(WINDOW)}'
HAMMER_SECONDS = 4.0
WORKERS = 24
"""Concurrent clients, spread round robin over the replicas."""
READY_SECONDS = 10.0
"""How long the replicas' registry views may take to see the enrolments."""

QUOTAS: dict[str, Any] = {
    "tiers": {
        "default": {
            "search": {"limit": LIMIT, "window_seconds": WINDOW},
            "select": {"limit": 10_000},
            "init": {"limit": 10_000},
            "confirm": {"limit": 10_000},
            "status": {"limit": 10_000},
            "cancel": {"limit": 10_000},
        }
    },
    "replicas": REPLICAS,
}
SEARCH = {"gps": "12.971600,77.594600", "radius_km": 2}
"""Within the free radius: every search costs one unit."""

BG = Participant("bg.example", type=ParticipantType.BG, url="https://bg.example/beckn")
BAP = Participant("app.example", type=ParticipantType.BAP, url="https://app.example/beckn")


def _env(tmp_path: Path, store: str) -> dict[str, str]:
    keys = tmp_path / "registry-keys.json"
    save_key_file(keys, generate_key_set(), "registry.uei")
    secret = tmp_path / "network-secret"
    create_secret_file(secret)
    policies = tmp_path / "policies.yaml"
    policies.write_text(json.dumps({"registry": {}, "quotas": QUOTAS}))  # JSON is YAML
    return {
        "UEI_STORE": store,
        "UEI_DATA_DIR": str(tmp_path / "data"),
        "UEI_REGISTRY_KEYS": str(keys),
        "UEI_NETWORK_SECRET": str(secret),
        "UEI_POLICIES": str(policies),
    }


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def replicas(redis: RedisServer, tmp_path: Path) -> Iterator[list[ServiceProcess]]:
    """``REPLICAS`` processes of ``uei serve`` on the one Redis, started side by side, always
    stopped (killed when they do not stop)."""
    env = _env(tmp_path, redis.url)
    services = [ServiceProcess(env, tmp_path) for _ in range(REPLICAS)]
    try:
        with ThreadPoolExecutor(REPLICAS) as pool:
            for started in [pool.submit(s.start) for s in services]:
                started.result()
        yield services
    finally:
        for service in services:
            service.stop()


def _signed(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    header = sign_header(
        raw,
        BG.keys.signing_key,
        subscriber_id=BG.subscriber_id,
        unique_key_id=BG.keys.unique_key_id,
        created=int(time.time()),
    )
    return raw, {"Authorization": header, "Content-Type": "application/json"}


async def _check(
    client: httpx.AsyncClient, message_id: str, action: str = "search"
) -> httpx.Response:
    body: dict[str, Any] = {"bap_id": BAP.subscriber_id, "action": action}
    body["message_id"] = message_id  # unique: no two bodies, so no two signatures, alike
    if action == "search":
        body["search"] = SEARCH
    raw, headers = _signed(body)
    return await client.post("/abuse/quota/check", content=raw, headers=headers)


async def _enrol_and_wait(store_url: str, services: list[ServiceProcess]) -> None:
    """Both participants SUBSCRIBED in the shared registry store, then every replica polled
    until its view (following the change log in the background) knows them. The probe checks
    a ``select``: it never touches the search quota under test."""
    store = await open_store(store_url)
    try:
        for participant in (BG, BAP):
            await enrol(store, participant, time.time())
    finally:
        await store.close()
    probes = itertools.count()
    deadline = time.monotonic() + READY_SECONDS
    for service in services:
        async with httpx.AsyncClient(base_url=service.url, timeout=5) as client:
            while True:
                answer = await _check(client, f"probe-{next(probes)}", action="select")
                if answer.status_code == 200:
                    break
                assert answer.status_code in (401, 404), answer.text
                assert time.monotonic() < deadline, f"{service.url} never saw: {answer.text}"
                await asyncio.sleep(0.05)  # polling a process until it answers


@dataclass
class Tally:
    admitted: int = 0
    refused: int = 0
    per_replica: dict[str, int] = field(default_factory=dict)
    first_sent: float = float("inf")
    last_sent: float = float("-inf")
    first_answer: float = float("inf")
    last_answer: float = float("-inf")
    policies: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)


async def _hammer(services: list[ServiceProcess], seconds: float) -> Tally:
    """Every worker first opens its connection with a ``select`` check (another rule), so the
    measured span is not stretched by connecting; then all start searching at once."""
    tally = Tally()
    ids = itertools.count()
    connected = 0
    go = asyncio.Event()
    stop_at = float("inf")

    async def worker(service: ServiceProcess) -> None:
        nonlocal connected, stop_at
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=service.url, timeout=10, limits=limits) as client:
            warm = await _check(client, f"warm-{next(ids)}", action="select")
            assert warm.status_code == 200, warm.text
            connected += 1
            if connected == WORKERS:
                stop_at = time.monotonic() + seconds
                go.set()
            await go.wait()
            while time.monotonic() < stop_at:
                message_id = f"m-{next(ids)}"
                sent = time.monotonic()
                answer = await _check(client, message_id)
                answered = time.monotonic()
                tally.first_sent = min(tally.first_sent, sent)
                tally.last_sent = max(tally.last_sent, sent)
                tally.first_answer = min(tally.first_answer, answered)
                tally.last_answer = max(tally.last_answer, answered)
                if answer.status_code == 200:
                    tally.admitted += 1
                elif answer.status_code == 429:
                    tally.refused += 1
                else:
                    tally.unexpected.append(f"{answer.status_code} {answer.text}")
                    continue
                tally.per_replica[service.url] = tally.per_replica.get(service.url, 0) + 1
                tally.policies.add(answer.headers.get("RateLimit-Policy", "<missing>"))
                tally.paths.add(answer.json()["path"])

    async with asyncio.TaskGroup() as workers:  # one failing cancels the rest
        for i in range(WORKERS):
            workers.create_task(worker(services[i % len(services)]))
    return tally


@pytest.mark.redis
async def test_replicas_sharing_one_redis_admit_no_more_than_the_rule(
    redis: RedisServer, replicas: list[ServiceProcess]
) -> None:
    await _enrol_and_wait(redis.url, replicas)
    tally = await _hammer(replicas, HAMMER_SECONDS)

    assert tally.unexpected == []
    assert tally.policies == {POLICY_HEADER}
    assert tally.paths == {"store"}  # every decision taken by the shared store
    assert set(tally.per_replica) == {s.url for s in replicas}
    # Every decision happened between the first request sent and the last answer received:
    # over that (longer) span the rule allows its burst plus what refilled.
    elapsed = tally.last_answer - tally.first_sent
    bound = LIMIT + elapsed * RATE + 1
    assert tally.admitted <= bound, f"admitted {tally.admitted} in {elapsed:.3f} s"
    assert tally.refused > 0
    # And it is not stricter than the rule: the bucket starts full, and the traffic never
    # pauses, so it also admits what refilled between the first decision (no later than the
    # first answer) and the last (no earlier than the last request sent).
    least = LIMIT + int((tally.last_sent - tally.first_answer) * RATE) - 1
    assert tally.admitted >= least, f"admitted {tally.admitted} in {elapsed:.3f} s"
