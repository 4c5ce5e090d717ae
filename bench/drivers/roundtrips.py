"""Store round trips per hot-path decision: the quota check and the status query, through the
real app in this process, on a real redis-server or on SQLite.

    .venv/bin/python -m bench.roundtrips [--requests 500] [--store redis|sqlite] [--profile]

For each path: ``--requests`` signed requests straight into the ASGI app (no sockets). On
Redis, ``CONFIG RESETSTAT`` before and ``INFO commandstats`` after, counted by Redis itself:
commands a Lua script runs count too, so the line names each command; and the client's round
trips (one command, one pipeline or one script each), counted in the client. On SQLite, the
backend's reads (each a hop to the reading thread) and transactions (durable ones apart).

Load-independent figures beside them: Python function calls per request (cProfile, in a run
of its own) and, with ``--profile``, the functions that take the most time. The time per
request (wall clock, and CPU of this process) is one run on a shared machine: compare runs,
not machines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import pstats
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis
from redis.asyncio.client import Pipeline
from redis.asyncio.client import Redis as AsyncRedis
from redis.asyncio.cluster import ClusterPipeline, RedisCluster

from bench.progress import say
from uei.registry.model import ParticipantType
from uei.storage.backend import SqliteBackend
from uei.trust import sign_header
from uei_testing.asgi import json_post
from uei_testing.factories import Participant
from uei_testing.harness import running
from uei_testing.redis_servers import RedisServer

APP = Participant("app.example", type=ParticipantType.BAP, url="https://app.example/beckn")
BG = Participant("bg.example", type=ParticipantType.BG, url="https://bg.example/beckn")
CPO = Participant("cpo.example", type=ParticipantType.BPP, url="https://cpo.example/beckn")
_ACTIONS = ("search", "select", "init", "confirm", "status", "cancel")


async def _call(app: Any, path: str, body: bytes, authorization: str) -> int:
    """One request into the ASGI app; its status."""
    scope, receive = json_post(path, body, authorization)
    status = [0]

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    await app(scope, receive, send)
    return status[0]


def _quota(i: int) -> dict[str, Any]:
    return {
        "bap_id": APP.subscriber_id,
        "action": "search",
        "message_id": f"m-{i}",
        "search": {"gps": "12.971600,77.594600", "radius_km": 5},
    }


def _status(i: int) -> dict[str, Any]:
    return {
        "purpose": "postpaid_session",
        "identifiers": [
            {"kind": "phone", "value": f"+9198{i:08d}"},
            {"kind": "upi_vpa", "value": f"user{i}@okaxis"},
        ],
    }


class Counts:
    """What the store was asked, counted in this process: the Redis client's round trips, or
    the SQLite backend's reads and transactions."""

    def __init__(self) -> None:
        self.n: dict[str, int] = {}

    def add(self, what: str) -> None:
        self.n[what] = self.n.get(what, 0) + 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        """Wrap the backends' entry points for the duration (the bench's own instrument)."""
        counts = self
        undo: list[tuple[type, str, Any]] = []

        def wrap(cls: type, name: str, label: Callable[..., str | None]) -> None:
            original = cls.__dict__[name]

            async def counted(this: Any, *args: Any, **kwargs: Any) -> Any:
                what = label(this, *args, **kwargs)
                if what is not None:
                    counts.add(what)
                return await original(this, *args, **kwargs)

            undo.append((cls, name, original))
            setattr(cls, name, counted)

        def command(this: Any, *args: Any, **_: Any) -> str | None:
            if isinstance(this, (Pipeline, ClusterPipeline)):
                return None  # buffered; its execute is the round trip
            return f"redis {str(args[0]).lower()}"

        wrap(AsyncRedis, "execute_command", command)
        wrap(RedisCluster, "execute_command", command)
        wrap(Pipeline, "execute", lambda *_, **__: "redis pipeline")
        wrap(ClusterPipeline, "execute", lambda *_, **__: "redis pipeline")
        wrap(SqliteBackend, "read", lambda *_, **__: "sqlite read")
        wrap(
            SqliteBackend,
            "transaction",
            lambda *_, durable=False, **__: (
                "sqlite durable transaction" if durable else "sqlite transaction"
            ),
        )
        try:
            yield
        finally:
            for cls, name, original in reversed(undo):
                setattr(cls, name, original)


async def measure(url: str, n: int, *, profile: bool) -> list[str]:
    client = redis.Redis.from_url(url) if url.startswith("redis") else None
    roomy = {"tiers": {"default": {a: {"limit": 10_000_000} for a in _ACTIONS}}}
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        store_url = url if client is not None else f"sqlite:///{tmp}/uei.db"
        async with running(
            store_url,
            Path(tmp),
            quotas=roomy,
            scraping={"verdict_cache_seconds": 60},
            defaulters={"query_quota": {"per_hour": 10_000_000, "burst": 10_000_000}},
        ) as h:
            for p in (APP, BG, CPO):
                await h.enrol(p)
            await h.grant(CPO)
            now = int(h.clock())
            paths: list[tuple[str, str, Participant, Callable[[int], dict[str, Any]]]] = [
                ("quota check", "/abuse/quota/check", BG, _quota),
                ("status", "/abuse/status", CPO, _status),
            ]
            for label, path, who, make in paths:
                say(f"{label}: {n} requests ...")
                prepared = []
                for i in range(3 * n + 50):
                    body = json.dumps(make(i)).encode()
                    header = sign_header(
                        body,
                        who.keys.signing_key,
                        subscriber_id=who.subscriber_id,
                        unique_key_id=who.keys.unique_key_id,
                        created=now - 1,
                        expires=now + 300,
                    )
                    prepared.append((body, header))
                for body, header in prepared[:50]:  # warm: caches filled, scripts loaded
                    assert await _call(h.app, path, body, header) == 200, label
                timed, counted, profiled = (
                    prepared[50 : 50 + n],
                    prepared[50 + n : 50 + 2 * n],
                    prepared[50 + 2 * n :],
                )
                started, cpu = time.perf_counter(), time.process_time()
                for body, header in timed:
                    assert await _call(h.app, path, body, header) == 200, label
                took = (time.perf_counter() - started) / n * 1000
                cpu_took = (time.process_time() - cpu) / n * 1000
                if client is not None:
                    client.config_resetstat()
                counts = Counts()
                with counts.counting():
                    for body, header in counted:
                        assert await _call(h.app, path, body, header) == 200, label
                parts = []
                if client is not None:
                    info: dict[str, Any] = client.info("commandstats")  # type: ignore[assignment]
                    stats = {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in info.items()}
                    stats = {k: v for k, v in stats.items() if not k.startswith(("config", "info"))}
                    named = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(stats.items()))
                    parts.append(f"{sum(stats.values()) / n:.2f} Redis commands ({named})")
                trips = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(counts.n.items()))
                parts.append(f"{sum(counts.n.values()) / n:.2f} store calls ({trips})")
                profiler = cProfile.Profile()
                profiler.enable()
                for body, header in profiled:
                    assert await _call(h.app, path, body, header) == 200, label
                profiler.disable()
                stats_ = pstats.Stats(profiler)
                calls = stats_.total_calls / n  # type: ignore[attr-defined]
                parts.append(f"{calls:.0f} Python function calls")
                parts.append(f"{took:.3f} ms ({cpu_took:.3f} ms CPU)")
                lines.append(f"{label}: per request " + "; ".join(parts))
                if profile:
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
                    lines.append(out.getvalue())
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrips", description=__doc__)
    parser.add_argument("--requests", type=int, default=500, help="per path (default 500)")
    parser.add_argument("--store", choices=("redis", "sqlite"), default="redis")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be positive")
    if args.store == "sqlite":
        lines = asyncio.run(measure("sqlite", args.requests, profile=args.profile))
    else:
        with RedisServer() as server:
            lines = asyncio.run(measure(server.url, args.requests, profile=args.profile))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
