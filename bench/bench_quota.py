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
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from uei.antiabuse.quotas.rules import QuotaAction, QuotasPolicy
from uei.antiabuse.quotas.service import QuotaDecisionPath, Quotas
from uei.antiabuse.scraping.events import Search
from uei.antiabuse.scraping.policy import ScrapingPolicy
from uei.antiabuse.secret import create_secret_file
from uei.antiabuse.stores import abuse_stores
from uei.registry.identity import save_key_file
from uei.registry.model import ParticipantType
from uei.registry.stores import open_store
from uei.storage.backend import RedisBackend
from uei.storage.connect import lua_source, redis_client
from uei.storage.url import StoreKind
from uei.trust import KeySet, generate_key_set, sign_header
from uei_testing.factories import Participant, enrol
from uei_testing.redis_servers import RedisServer, free_port

REPO = Path(__file__).resolve().parents[1]
BG_ID = "bg.bench.example"
LAT, LON, RADIUS_KM = 12.9716, 77.5946, 2.0
"""A search within the free radius: one unit each."""
POLICY = QuotasPolicy()
SCRAPING = ScrapingPolicy()
RULE = POLICY.rule_for("any", QuotaAction.SEARCH)

Decide = Callable[[int, int], Awaitable[bool]]
"""(task, BAP index) -> allowed; raises when a decision did not take the path measured."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bap_id(i: int) -> str:
    return f"bap-{i:05d}.bench.example"


@dataclass
class Run:
    decisions: int
    allowed: int
    seconds: float
    latencies: list[float] = field(repr=False)

    @property
    def rate(self) -> float:
        return self.decisions / self.seconds

    def ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(decide: Decide, *, tasks: int, seconds: float, baps: int) -> Run:
    """``tasks`` loops calling ``decide`` back to back for ``seconds``, BAPs in turn."""
    latencies: list[float] = []
    allowed = 0
    turn = itertools.count()
    deadline = time.perf_counter() + seconds

    async def loop(task: int) -> None:
        nonlocal allowed
        while (start := time.perf_counter()) < deadline:
            ok = await decide(task, next(turn) % baps)  # not `allowed += await`: lost updates
            latencies.append(time.perf_counter() - start)
            allowed += ok

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for task in range(tasks):
            group.create_task(loop(task))
    return Run(len(latencies), allowed, time.perf_counter() - started, latencies)


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
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.serve_app", "uei", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
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


# ------------------------------------------------------------------ the run


@dataclass
class Best:
    label: str
    runs: list[Run] = field(default_factory=list)
    decides: bool = True

    @property
    def best(self) -> Run:
        return max(self.runs, key=lambda r: r.rate)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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


def report(results: list[Best], args: argparse.Namespace) -> None:
    raw = results[0].best.rate
    print(
        f"quota decisions, rule {RULE.name} ({RULE.rule.limit} per "
        f"{RULE.rule.window_seconds:g} s), {args.baps} BAPs in turn, best of {args.rounds} "
        f"round(s) of {args.seconds:g} s, {os.cpu_count()} CPUs"
    )
    print(f"{'':44} {'decisions/s':>11} {'allowed':>8} {'p50 ms':>7} {'p99 ms':>7} {'vs raw':>7}")
    for result in results:
        run = result.best
        allowed = f"{run.allowed / run.decisions:8.1%}" if result.decides else f"{'-':>8}"
        print(
            f"{result.label:44} {run.rate:11,.0f} {allowed} "
            f"{run.ms(0.5):7.2f} {run.ms(0.99):7.2f} {run.rate / raw:7.1%}"
        )
    ratio = results[1].best.rate / raw
    verdict = "met" if ratio >= 0.5 else "NOT met"
    print(f"target (docs/architecture.md): in process >= 50% of raw: {ratio:.1%}, {verdict}")


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


if __name__ == "__main__":
    main()
