"""Store round trips per hot-path decision: the quota check and the status query, through the
real app in this process on a real redis-server, counted by Redis itself.

    .venv/bin/python -m bench.roundtrips [--requests 500]

For each path: ``CONFIG RESETSTAT``, ``--requests`` signed requests straight into the ASGI app
(no sockets), then ``INFO commandstats``. Commands a Lua script runs count too, so the line
names each command; the client's own are ``evalsha`` and whatever stands beside it. Also the
time per request in process (one run: compare runs, not machines).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from bench.progress import say
from uei.registry.model import ParticipantType
from uei.trust import sign_header
from uei_testing.factories import Participant
from uei_testing.harness import running
from uei_testing.redis_servers import RedisServer

APP = Participant("app.example", type=ParticipantType.BAP, url="https://app.example/beckn")
BG = Participant("bg.example", type=ParticipantType.BG, url="https://bg.example/beckn")
CPO = Participant("cpo.example", type=ParticipantType.BPP, url="https://cpo.example/beckn")
_ACTIONS = ("search", "select", "init", "confirm", "status", "cancel")


async def _call(app: Any, path: str, body: bytes, authorization: str) -> int:
    """One request into the ASGI app; its status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"uei"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", authorization.encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False
    status = [0]

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects mid-request here
        raise AssertionError

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


async def measure(url: str, n: int) -> list[str]:
    client = redis.Redis.from_url(url)
    roomy = {"tiers": {"default": {a: {"limit": 10_000_000} for a in _ACTIONS}}}
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        async with running(
            url,
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
                for i in range(n + 50):
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
                client.config_resetstat()
                started = time.perf_counter()
                for body, header in prepared[50:]:
                    assert await _call(h.app, path, body, header) == 200, label
                took = (time.perf_counter() - started) / n * 1000
                info: dict[str, Any] = client.info("commandstats")  # type: ignore[assignment]
                stats = {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in info.items()}
                stats = {k: v for k, v in stats.items() if not k.startswith(("config", "info"))}
                named = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(stats.items()))
                lines.append(
                    f"{label}: {sum(stats.values()) / n:.2f} Redis commands per request "
                    f"({named}); {took:.3f} ms per request in process"
                )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrips", description=__doc__)
    parser.add_argument("--requests", type=int, default=500, help="per path (default 500)")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be positive")
    with RedisServer() as server:
        for line in asyncio.run(measure(server.url, args.requests)):
            print(line)


if __name__ == "__main__":
    main()
