"""Quota decisions per second on a real redis-server: the raw GCRA script (the ceiling), the
in-process ``Quotas.check``, and signed ``POST /abuse/quota/check`` over HTTP, in one run.

    .venv/bin/python -m bench.bench_quota [--seconds 5] [--concurrency 32] [--rounds 3]
        [--baps 1000] [--http-clients 8] [--redis-url redis://127.0.0.1:6379/0]

All three take a search's quota under the default policy (``search.default``, 3000 per 60 s)
for BAPs taken in turn from one set, so the mix of allowed and refused decisions is alike:

(a) ceiling: ``gcra.lua`` alone through the redis-py asyncio client (``register_script``,
    EVALSHA), ``--concurrency`` tasks in a tight loop;
(b) in process: ``Quotas.check`` with a ``RedisQuotas`` on that same client, the default
    ``QuotasPolicy`` and ``ScrapingPolicy``, the store's clock: the verdict cache, the rule,
    and ``check.lua`` (GCRA, message-id dedupe, the search recorded); same concurrency,
    every message id distinct;
(c) over HTTP: the real app under uvicorn in one subprocess (Redis store), a BG signing every
    request (Beckn signature, replay guard on), ``--http-clients`` httpx clients in this
    process, one connection each.

For scale, the same clients also time ``GET /healthz`` (no signature, no store): what the
HTTP stack on both ends costs by itself. Rounds alternate a, b, c and that; each figure is the
best round. Progress goes to stderr, the table to stdout. Without ``--redis-url`` a
redis-server is started on a loopback port; with it, give a scratch database: the bench
enrols participants there and leaves quota and search keys.
Target (docs/architecture.md, Numbers): (b) >= 50% of (a).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.client.decisions import Decide, drive
from bench.drivers.quota_paths import (
    POLICY,
    SCRAPING,
    enrol_all,
    health,
    in_process,
    over_http,
    raw_gcra,
    serve,
)
from bench.local import REPO
from bench.progress import say
from bench.reports.quota import Best, report
from bench.serve_process import stop
from uei.antiabuse.quotas.service import Quotas
from uei.antiabuse.secret import create_secret_file
from uei.antiabuse.stores import abuse_stores
from uei.registry.identity import save_key_file
from uei.storage.backend import RedisBackend
from uei.storage.connect import redis_client
from uei.storage.url import StoreKind
from uei.trust import generate_key_set
from uei_testing.redis_servers import RedisServer


async def measure(args: argparse.Namespace, redis_url: str, tmp: Path) -> list[Best]:
    client = redis_client(redis_url)
    store = await abuse_stores(RedisBackend(StoreKind.REDIS, client), owns=True)  # under (a), (b)
    quotas = Quotas(
        store.quotas, store.verdicts, lambda: POLICY, lambda: SCRAPING, time.time, store_clock=True
    )
    process: subprocess.Popen[bytes] | None = None
    http_clients: list[httpx.AsyncClient] = []
    try:
        info = await client.info("server")
        say(f"redis-server {info['redis_version']} at {redis_url}")
        bg = generate_key_set()
        say(f"enrolling a BG and {args.baps} BAPs ...")
        await enrol_all(redis_url, bg, args.baps)
        keys = tmp / "registry-keys.json"
        save_key_file(keys, generate_key_set(), "registry.uei")
        secret = tmp / "network-secret"
        create_secret_file(secret)
        env = {
            "UEI_STORE": redis_url,
            "UEI_REGISTRY_KEYS": str(keys),
            "UEI_NETWORK_SECRET": str(secret),
            "UEI_DATA_DIR": str(tmp / "data"),
            "UEI_POLICIES": str(REPO / "policies.yaml"),  # no quotas section: the defaults
        }
        say("starting the app under uvicorn ...")
        process, url = serve(env, tmp / "app.log")
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        http_clients = [
            httpx.AsyncClient(base_url=url, timeout=10, limits=limits)
            for _ in range(args.http_clients)
        ]
        modes: list[tuple[Best, Decide, int]] = [
            (
                Best(f"(a) raw gcra.lua, {args.concurrency} tasks"),
                raw_gcra(client, args.baps),
                args.concurrency,
            ),
            (
                Best(f"(b) Quotas.check in process, {args.concurrency} tasks"),
                in_process(quotas),
                args.concurrency,
            ),
            (
                Best(f"(c) POST /abuse/quota/check, {args.http_clients} clients"),
                over_http(http_clients, bg),
                args.http_clients,
            ),
            (
                Best(f"    for scale: GET /healthz, {args.http_clients} clients", decides=False),
                health(http_clients),
                args.http_clients,
            ),
        ]
        warm = min(1.0, args.seconds / 4)
        say(f"warming up ({warm:g} s each: connections, scripts, every BAP's keys) ...")
        for _, decide, tasks in modes:
            await drive(decide, tasks=tasks, seconds=warm, baps=args.baps)
        for round_ in range(1, args.rounds + 1):
            for best, decide, tasks in modes:
                run = await drive(decide, tasks=tasks, seconds=args.seconds, baps=args.baps)
                best.runs.append(run)
                allowed = f"{run.allowed / run.decisions:.0%} allowed, " if best.decides else ""
                say(
                    f"round {round_}/{args.rounds} {best.label.strip()}: {run.rate:,.0f}/s, "
                    f"{allowed}p99 {run.ms(0.99):.2f} ms"
                )
        return [best for best, _, _ in modes]
    finally:
        for http_client in http_clients:
            await http_client.aclose()
        if process is not None:
            stop(process)
        await store.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_quota",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="length of each measured run (default 5)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="concurrent tasks for (a) and (b) (default 32)",
    )
    parser.add_argument(
        "--http-clients",
        type=int,
        default=8,
        help="concurrent httpx clients for (c), one connection each (default 8)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of everything; the best is kept (default 3)"
    )
    parser.add_argument(
        "--baps",
        type=int,
        default=1000,
        help="BAPs taken in turn (enrolled for (c); default 1000)",
    )
    parser.add_argument(
        "--redis-url",
        metavar="URL",
        help="a scratch redis://host:port/db to use instead of starting a redis-server",
    )
    args = parser.parse_args(argv)
    for name in ("seconds", "concurrency", "http_clients", "rounds", "baps"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.baps > 100_000:
        parser.error("--baps is at most 100000")

    with tempfile.TemporaryDirectory(prefix="bench-quota-") as tmp:
        if args.redis_url is not None:
            results = asyncio.run(measure(args, args.redis_url, Path(tmp)))
        else:
            with RedisServer() as server:
                results = asyncio.run(measure(args, server.url, Path(tmp)))
    report(results, args)
