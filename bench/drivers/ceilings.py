"""Ceilings measured in this process: raw PyNaCl verify and the raw GCRA script."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any


def verify_rates(seconds: float) -> tuple[float, float]:
    """(raw PyNaCl verify/s, uei.trust.Verifier.verify/s) on one core, a quota-check body."""
    from nacl.signing import SigningKey, VerifyKey

    from bench.drivers.trust import rate
    from uei.trust import Verifier, body_digest, parse_header, sign_header, signing_string
    from uei.trust.encoding import b64decode

    key = SigningKey.generate()
    body = json.dumps(
        {
            "bap_id": "app-0001.load.example",
            "action": "search",
            "message_id": "m-1",
            "search": {"gps": "12.97160,77.59460", "radius_km": 2},
        },
        separators=(",", ":"),
    ).encode()
    created = int(time.time())
    header = sign_header(body, key, subscriber_id="bg", unique_key_id="k", created=created)
    params = parse_header(header)
    message = signing_string(params.created, params.expires, body_digest(body))
    signature = b64decode(params.signature)
    verify_key = key.verify_key

    def raw() -> None:
        verify_key.verify(message, signature)

    async def resolve(_: str, __: str) -> VerifyKey:
        return verify_key

    verifier = Verifier(resolve=resolve, clock=lambda: created + 1)

    async def hundred() -> None:
        for _ in range(100):
            await verifier.verify(header, body, once=False)

    def ours() -> None:
        asyncio.run(hundred())

    raw_rate = rate(raw, seconds, 2)  # bench_trust's loop: best of 2 rounds
    ours_rate = rate(ours, seconds, 2) * 100
    return raw_rate, ours_rate


async def quota_rates(url: str, seconds: float, tasks: int, baps: int) -> tuple[Any, Any]:
    """(raw gcra.lua run, in-process Quotas.check run) over one redis-py client, as in
    bench_quota: same tasks, BAPs in turn, every message id distinct."""
    from bench.client.decisions import drive
    from bench.drivers.quota_paths import POLICY, SCRAPING, in_process, raw_gcra
    from uei.antiabuse.quotas.service import Quotas
    from uei.antiabuse.stores import abuse_stores
    from uei.storage.backend import RedisBackend
    from uei.storage.connect import redis_client
    from uei.storage.url import StoreKind

    client = redis_client(url)
    store = await abuse_stores(RedisBackend(StoreKind.REDIS, client), owns=True)
    quotas = Quotas(
        store.quotas, store.verdicts, lambda: POLICY, lambda: SCRAPING, time.time, store_clock=True
    )
    try:
        raw, ours = raw_gcra(client, baps), in_process(quotas)
        await drive(raw, tasks=tasks, seconds=0.5, baps=baps)
        await drive(ours, tasks=tasks, seconds=0.5, baps=baps)
        return (
            await drive(raw, tasks=tasks, seconds=seconds, baps=baps),
            await drive(ours, tasks=tasks, seconds=seconds, baps=baps),
        )
    finally:
        await store.close()
