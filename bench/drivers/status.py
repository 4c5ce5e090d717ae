"""Status query latency over a 1M-token identity graph, on SQLite and on Redis, in one run.

    .venv/bin/python -m bench.bench_status [--tokens 1000000] [--store sqlite|redis|both]
        [--queries 2000] [--warmup 200] [--http asgi|uvicorn|both|none] [--seed 7]

Builds a synthetic identity graph (people with 2-5 identifiers linked by observations,
household vehicles, recycled phone numbers, fleet vehicles seen with hundreds of drivers, a
few percent of people with reported cases) and bulk-loads it in each store's own layout
(rows in the SQLite tables, hashes and sets under the Redis store's keys), then checks a
sample through the store API. Every token is the keyed token of a valid raw identifier under
the run's network secret, so the same queries can go through the real app.

Per store, over the same queries (people with a counting case, honest people, unknown
identifiers):

- ``Defaulters.status`` in-process (the clock injected at the run's start, with the graph's
  times and cases behind it; a query quota that never refuses);
- the ceiling: one store round trip for the same tokens (a single ``degrees`` call);
- where a status query spends its time, store call by store call;
- ``POST /abuse/status`` through the real app, signed by an enrolled BPP granted
  ``defaulters``: in-process over ``httpx.ASGITransport`` (no sockets), and over loopback to
  one uvicorn process.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import redis

from bench.drivers.status_paths import Measured, http_asgi, http_uvicorn, in_process
from bench.generators.graph import POLICY, Graph, generate
from bench.generators.graph_stores import verify, write_redis, write_sqlite
from bench.generators.status_queries import Query, make_queries
from bench.progress import say
from bench.reports.status import StoreRun, _describe, _versions, report
from uei.antiabuse.secret import create_secret_file, load_network_secret
from uei.antiabuse.stores import AbuseStores, open_abuse_stores
from uei.registry.identity import save_key_file
from uei.trust import generate_key_set
from uei_testing.redis_servers import RedisServer


def _frozen_gc() -> None:
    """Move the generated graph out of the collector's way: in the service it would not be
    in this process, and gen-2 collections over it would only add noise to the figures."""
    gc.collect()
    gc.freeze()


def run_store(
    name: str,
    url: str,
    build: Callable[[], str],
    g: Graph,
    queries: Sequence[Query],
    warmup: Sequence[Query],
    env: dict[str, str],
    http: str,
    tmp: Path,
    seed: int,
) -> StoreRun:
    say(f"{name}: building ...")
    start = time.perf_counter()
    size = build()
    build_seconds = time.perf_counter() - start
    _frozen_gc()

    async def measure() -> Measured:
        store: AbuseStores = await open_abuse_stores(url)
        try:
            await verify(store, g, random.Random(seed))
            say(f"{name}: sample verified through the store API; measuring ...")
            return await in_process(store, queries, warmup, g.now)
        finally:
            await store.close()

    load = os.getloadavg()[0]
    run = StoreRun(name, build_seconds, size, asyncio.run(measure()))
    env = {**env, "UEI_STORE": url}
    if http in ("asgi", "both"):
        say(f"{name}: HTTP through the app (ASGI) ...")
        run.http["asgi"] = asyncio.run(http_asgi(env, queries, warmup, g.now))
    if http in ("uvicorn", "both"):
        say(f"{name}: HTTP through uvicorn ...")
        run.http["uvicorn"] = http_uvicorn(env, queries, warmup, tmp / f"uvicorn-{name}.log")
    run.load = (load, os.getloadavg()[0])
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000, help="tokens in the graph")
    parser.add_argument("--store", choices=("sqlite", "redis", "both"), default="both")
    parser.add_argument("--queries", type=int, default=2000, help="timed status queries")
    parser.add_argument("--warmup", type=int, default=200, help="untimed queries first")
    parser.add_argument(
        "--http", choices=("asgi", "uvicorn", "both", "none"), default="both", help="HTTP figure"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"command: .venv/bin/python -m bench.bench_status --tokens {args.tokens} "
        f"--store {args.store} --queries {args.queries} --warmup {args.warmup} "
        f"--http {args.http} --seed {args.seed}"
    )
    print(_versions())
    with tempfile.TemporaryDirectory(prefix="bench-status-") as name:
        tmp = Path(name)
        secret_file = tmp / "network-secret"
        create_secret_file(secret_file)
        secret = load_network_secret(secret_file, tmp, embedded=False)
        keys_file = tmp / "registry-keys.json"
        save_key_file(keys_file, generate_key_set(), "registry.uei")
        policies = tmp / "policies.yaml"
        quota = {"per_hour": POLICY.query_quota.per_hour, "burst": POLICY.query_quota.burst}
        policies.write_text(json.dumps({"registry": {}, "defaulters": {"query_quota": quota}}))
        env = {
            "UEI_DATA_DIR": str(tmp / "data"),
            "UEI_REGISTRY_KEYS": str(keys_file),
            "UEI_NETWORK_SECRET": str(secret_file),
            "UEI_POLICIES": str(policies),
        }
        now = float(int(time.time()))
        start = time.perf_counter()
        g = generate(args.tokens, secret, args.seed, now)
        described = _describe(g, time.perf_counter() - start)
        rng = random.Random(args.seed + 1)
        queries = make_queries(g, secret, args.warmup + args.queries, rng)
        warmup, queries = queries[: args.warmup], queries[args.warmup :]
        print(described)
        mix = Counter(q.label for q in queries)
        print(
            f"queries: {len(queries)} timed ("
            + ", ".join(f"{mix[k]} {k}" for k in ("case", "honest", "unknown"))
            + f") after {len(warmup)} untimed; every queried token checked against "
            "uei.antiabuse.identity.token of its raw value"
        )
        runs: list[StoreRun] = []
        stores = ("sqlite", "redis") if args.store == "both" else (args.store,)
        for store in stores:
            if store == "sqlite":
                db = tmp / "uei.db"

                def build_sqlite(db: Path = db) -> str:
                    write_sqlite(db, g)
                    return f"file {db.stat().st_size / 2**20:,.0f} MiB"

                runs.append(
                    run_store(
                        "sqlite", f"sqlite:///{db}", build_sqlite, g, queries, warmup, env,
                        args.http, tmp, args.seed,
                    )
                )  # fmt: skip
                db.unlink()
            else:
                with RedisServer() as server:

                    def build_redis(url: str = server.url) -> str:
                        write_redis(url, g)
                        client = redis.Redis.from_url(url)
                        memory: dict[str, Any] = client.info("memory")  # type: ignore[assignment]
                        used = int(memory["used_memory"])
                        client.close()
                        return f"used_memory {used / 2**20:,.0f} MiB"

                    runs.append(
                        run_store(
                            "redis", server.url, build_redis, g, queries, warmup, env,
                            args.http, tmp, args.seed,
                        )
                    )  # fmt: skip
    for run in runs:
        report(run, queries)
    print(
        "\nHTTP figures: signing by the client is not timed; the ASGI figure runs the real app "
        "in this process over httpx.ASGITransport (no sockets), the uvicorn figure one server "
        "process over loopback, one request at a time."
    )
    print(
        "target: status query with a 1M-token identity graph, p99 under 10 ms "
        "(docs/architecture.md)"
    )
