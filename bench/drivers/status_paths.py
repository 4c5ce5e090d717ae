"""The status query's paths, each timed over the same questions: ``Defaulters.status`` in
process, its one-round-trip ceiling, where it spends its time store call by store call, and
``POST /abuse/status`` through the app over ASGI and over uvicorn."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.generators.graph import ASKER, POLICY
from bench.generators.status_queries import Query
from bench.serve_process import start_serve_app, stop
from uei.antiabuse.defaulters.service import Defaulters, Purpose
from uei.antiabuse.stores import AbuseStores
from uei.app.factory import create_app
from uei.app.settings import Settings
from uei.registry.stores import open_store
from uei.trust import sign_header
from uei_testing.factories import Participant, enrol
from uei_testing.redis_servers import free_port

STORE_CALLS = (
    ("quotas", "take"),
    ("quotas", "take_once"),
    ("graph", "walk"),
    ("cases", "audit"),
)
"""(the store, its method) for each call a status query makes."""


@dataclass
class Measured:
    status: list[float] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    calls: dict[str, list[float]] = field(default_factory=dict)
    instrumented: list[float] = field(default_factory=list)


def instrument(stores: AbuseStores, spent: dict[str, list[float]]) -> Callable[[], None]:
    """Time every call of the store methods a status query uses; returns the undo."""

    def timed(fn: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                into.append(time.perf_counter() - start)

        return call

    for part, name in STORE_CALLS:
        store = getattr(stores, part)
        setattr(store, name, timed(getattr(store, name), spent.setdefault(name, [])))

    def undo() -> None:
        for part, name in STORE_CALLS:
            delattr(getattr(stores, part), name)

    return undo


async def in_process(
    store: AbuseStores, queries: Sequence[Query], warmup: Sequence[Query], now: float
) -> Measured:
    """Per query, timed: ``Defaulters.status``, then one ``degrees`` call (the ceiling: one
    store round trip). Then every query again with the store calls timed one by one."""
    defaulters = Defaulters(store.cases, store.graph, store.quotas, lambda: POLICY, lambda: now)
    purpose = Purpose.POSTPAID_SESSION
    for q in warmup:
        await defaulters.status(ASKER, q.tokens, purpose, len(q.tokens))
        await store.graph.degrees(q.tokens)
    m = Measured()
    clock = time.perf_counter
    for q in queries:
        start = clock()
        answer = await defaulters.status(ASKER, q.tokens, purpose, len(q.tokens))
        middle = clock()
        await store.graph.degrees(q.tokens)
        end = clock()
        m.status.append(middle - start)
        m.ceiling.append(end - middle)
        m.verdicts.append(answer.decision.verdict.value)
    undo = instrument(store, m.calls)
    try:
        for q in queries:
            start = clock()
            await defaulters.status(ASKER, q.tokens, purpose, len(q.tokens))
            m.instrumented.append(clock() - start)
    finally:
        undo()
    return m


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _headers(participant: Participant, body: bytes, created: int) -> dict[str, str]:
    header = sign_header(
        body,
        participant.keys.signing_key,
        subscriber_id=participant.subscriber_id,
        unique_key_id=participant.keys.unique_key_id,
        created=created,
    )
    return {"Authorization": header, "Content-Type": "application/json"}


async def http_asgi(
    env: dict[str, str], queries: Sequence[Query], warmup: Sequence[Query], now: float
) -> tuple[list[float], list[str]]:
    """The real app in this process over httpx.ASGITransport; the app's clock moves one
    second per request (each request signed anew). Signing is not timed."""
    clock = Clock(now)
    app = create_app(Settings.from_env(env), clock=clock, background=False)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    participant = Participant("cpo-asgi.example")
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    latencies: list[float] = []
    verdicts: list[str] = []
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://uei") as client,
    ):
        await enrol(app.state.registry.store, participant, clock(), grants=["defaulters"])
        await app.state.registry.sync()
        for n, q in enumerate([*warmup, *queries]):
            clock.now += 1
            headers = _headers(participant, q.body, int(clock.now))
            start = time.perf_counter()
            answer = await client.post("/abuse/status", content=q.body, headers=headers)
            elapsed = time.perf_counter() - start
            assert answer.status_code == 200, answer.text
            if n >= len(warmup):
                latencies.append(elapsed)
                verdicts.append(answer.json()["verdict"])
    return latencies, verdicts


def http_uvicorn(
    env: dict[str, str], queries: Sequence[Query], warmup: Sequence[Query], log: Path
) -> tuple[list[float], list[str]]:
    """The real app under uvicorn (bench.serve_app, real clock), one keep-alive connection
    over loopback, one request at a time. Signing is not timed."""
    participant = Participant("cpo-uvicorn.example")

    async def enrolled() -> None:
        store = await open_store(env["UEI_STORE"])
        await enrol(store, participant, time.time(), grants=["defaulters"])
        await store.close()

    asyncio.run(enrolled())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    port = free_port()
    process = start_serve_app("uei", port, env, log)
    latencies: list[float] = []
    verdicts: list[str] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"uvicorn exited:\n{log.read_text()[-3000:]}")
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
            for n, q in enumerate([*warmup, *queries]):
                headers = _headers(participant, q.body, int(time.time()))
                start = time.perf_counter()
                answer = client.post("/abuse/status", content=q.body, headers=headers)
                elapsed = time.perf_counter() - start
                assert answer.status_code == 200, answer.text
                if n >= len(warmup):
                    latencies.append(elapsed)
                    verdicts.append(answer.json()["verdict"])
    finally:
        stop(process)
    return latencies, verdicts
