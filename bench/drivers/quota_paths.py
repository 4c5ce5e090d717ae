"""The three ways a quota decision is taken, each as one ``Decide``: (a) the raw GCRA script,
(b) the in-process ``Quotas.check``, (c) signed ``POST /abuse/quota/check`` over HTTP to the
app under uvicorn; and ``GET /healthz`` for what the HTTP stack costs by itself."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.client.decisions import Decide
from bench.serve_process import start_serve_app
from uei.antiabuse.quotas.rules import QuotaAction, QuotasPolicy
from uei.antiabuse.quotas.service import QuotaDecisionPath, Quotas
from uei.antiabuse.scraping.events import Search
from uei.antiabuse.scraping.policy import ScrapingPolicy
from uei.registry.model import ParticipantType
from uei.registry.stores import open_store
from uei.storage.connect import lua_source
from uei.trust import KeySet, sign_header
from uei_testing.factories import Participant, enrol
from uei_testing.redis_servers import free_port

BG_ID = "bg.bench.example"
LAT, LON, RADIUS_KM = 12.9716, 77.5946, 2.0
"""A search within the free radius: one unit each."""
POLICY = QuotasPolicy()
SCRAPING = ScrapingPolicy()
RULE = POLICY.rule_for("any", QuotaAction.SEARCH)


def bap_id(i: int) -> str:
    return f"bap-{i:05d}.bench.example"


# ------------------------------------------------------------------ (a) and (b)


def raw_gcra(client: Any, baps: int) -> Decide:
    """``gcra.lua`` on one key per BAP (its own keys, not the service's), the time passed in."""
    gcra = client.register_script(lua_source("uei.antiabuse.stores", "gcra", "take"))
    keys = [f"uei:bench:{{{bap_id(i)}}}:q" for i in range(baps)]
    interval, burst = repr(RULE.rule.interval), RULE.rule.limit

    async def decide(task: int, bap: int) -> bool:
        allowed, *_ = await gcra(keys=[keys[bap]], args=[repr(time.time()), interval, burst, 1])
        return bool(int(allowed))

    return decide


def in_process(quotas: Quotas) -> Decide:
    ids = itertools.count()

    async def decide(task: int, bap: int) -> bool:
        search = Search(time.time(), LAT, LON, RADIUS_KM, BG_ID, "")
        result = await quotas.check(bap_id(bap), QuotaAction.SEARCH, f"p-{next(ids)}", search)
        if result.path is not QuotaDecisionPath.STORE or result.duplicate:
            raise RuntimeError(f"a decision did not come from the store: {result}")
        return result.allowed

    return decide


# ------------------------------------------------------------------ (c)


async def enrol_all(url: str, bg: KeySet, baps: int) -> None:
    store = await open_store(url)
    try:
        now = time.time()
        await enrol(store, Participant(BG_ID, type=ParticipantType.BG, keys=bg), now)
        for i in range(baps):
            await enrol(store, Participant(bap_id(i), type=ParticipantType.BAP), now)
    finally:
        await store.close()


def serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The registry app under uvicorn (``bench.serve_app``); polled until it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_serve_app("uei", port, env, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            sys.exit("the app did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.05)  # polling the process until it answers


def over_http(clients: Sequence[httpx.AsyncClient], bg: KeySet) -> Decide:
    ids = itertools.count()
    gps = f"{LAT},{LON}"

    async def decide(task: int, bap: int) -> bool:
        body = json.dumps(
            {
                "bap_id": bap_id(bap),
                "action": "search",
                "message_id": f"h-{next(ids)}",
                "search": {"gps": gps, "radius_km": RADIUS_KM},
            }
        ).encode()
        header = sign_header(
            body,
            bg.signing_key,
            subscriber_id=BG_ID,
            unique_key_id=bg.unique_key_id,
            created=int(time.time()),
        )
        answer = await clients[task].post(
            "/abuse/quota/check",
            content=body,
            headers={"Authorization": header, "Content-Type": "application/json"},
        )
        if answer.status_code not in (200, 429) or b'"path":"store"' not in answer.content:
            raise RuntimeError(f"unexpected answer {answer.status_code}: {answer.text}")
        return answer.status_code == 200

    return decide


def health(clients: Sequence[httpx.AsyncClient]) -> Decide:
    """Not a decision: what the same clients get from the app's cheapest route (unsigned, no
    store), i.e. how much of (c) the HTTP stack on both ends takes by itself."""

    async def decide(task: int, bap: int) -> bool:
        answer = await clients[task].get("/healthz")
        if answer.status_code != 200:
            raise RuntimeError(f"unexpected answer {answer.status_code}: {answer.text}")
        return True

    return decide
