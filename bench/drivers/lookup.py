"""Key lookups against a bare Litestar handler returning the same bytes, in one run.

    .venv/bin/python -m bench.bench_lookup [--subscribers 2000] [--seconds 8] [--connections 32]

Starts a real redis-server, seeds it with SUBSCRIBED participants, starts the registry (Redis
store) and a bare Litestar app under identical uvicorn settings (one process each), and drives
both with wrk from a separate process. Needs `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.local import REPO
from bench.progress import say
from uei.antiabuse.secret import create_secret_file
from uei.registry.identity import save_key_file
from uei.registry.stores.redis import RedisRegistryStore
from uei.trust import generate_key_set
from uei_testing.factories import Participant, enrol
from uei_testing.redis_servers import RedisServer, free_port


async def seed(url: str, count: int) -> tuple[str, str]:
    """``count`` SUBSCRIBED subscribers; returns one (subscriber_id, unique_key_id)."""
    store = await RedisRegistryStore.open(url)
    now = time.time()
    first = ("", "")
    for i in range(count):
        participant = Participant(f"cpo-{i:05d}.example", url=f"https://cpo-{i:05d}.example/beckn")
        await enrol(store, participant, now)
        if i == 0:
            first = (participant.subscriber_id, participant.keys.unique_key_id)
    await store.close()
    return first


def start(which: str, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.serve_app", which, str(port)],
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "Uvicorn running on" in line:
            return process
    raise RuntimeError(f"{which} server did not start")


def wrk(url: str, seconds: float, connections: int, body: str | None = None) -> dict[str, float]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
    script = None
    if body is not None:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        script.write(
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        script.close()
        args += ["-s", script.name]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if script is not None:
        os.unlink(script.name)

    def ms(label: str) -> float:
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert rate, out
    assert errors is None, out
    return {"rps": float(rate.group(1)), "p50": ms("50"), "p99": ms("99")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds, best kept")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_lookup needs wrk: apt-get install wrk")

    with tempfile.TemporaryDirectory() as tmp, RedisServer() as redis:
        say(f"seeding {args.subscribers} subscribers into redis ...")
        sid, kid = asyncio.run(seed(redis.url, args.subscribers))
        keys = Path(tmp) / "registry-keys.json"
        save_key_file(keys, generate_key_set(), "registry.uei")
        secret = Path(tmp) / "network-secret"
        create_secret_file(secret)
        env = {
            "UEI_STORE": redis.url,
            "UEI_REGISTRY_KEYS": str(keys),
            "UEI_NETWORK_SECRET": str(secret),
            "UEI_DATA_DIR": tmp,
            "UEI_POLICIES": str(REPO / "policies.yaml"),
        }
        ours_port, bare_port = free_port(), free_port()
        ours = start("uei", ours_port, env)
        lookup_body = json.dumps({"subscriber_id": sid, "ukId": kid})
        one = httpx.get(f"http://127.0.0.1:{ours_port}/lookup/{sid}/{kid}").content
        many = httpx.post(f"http://127.0.0.1:{ours_port}/lookup", content=lookup_body).content
        (Path(tmp) / "one.json").write_bytes(one)
        (Path(tmp) / "many.json").write_bytes(many)
        bare = start(
            "bare",
            bare_port,
            {"BENCH_RECORD": f"{tmp}/one.json", "BENCH_RECORDS": f"{tmp}/many.json"},
        )
        try:
            path = f"/lookup/{sid}/{kid}"
            rows = []
            for name, url, body in [
                ("GET /lookup/{id}/{kid}", path, None),
                ("POST /lookup (subscriber_id+ukId)", "/lookup", lookup_body),
            ]:
                say(f"{name}: bare, ours, ours at 2 connections ({args.seconds:g} s each) ...")
                base = wrk(
                    f"http://127.0.0.1:{bare_port}{url}", args.seconds, args.connections, body
                )
                mine = wrk(
                    f"http://127.0.0.1:{ours_port}{url}", args.seconds, args.connections, body
                )
                light = wrk(f"http://127.0.0.1:{ours_port}{url}", args.seconds, 2, body)
                rows.append((name, base, mine, light))
        finally:
            ours.terminate()
            bare.terminate()
            ours.wait()
            bare.wait()
    print(
        f"{args.subscribers} subscribers, redis store, 1 uvicorn process each, wrk -t1 "
        f"-c{args.connections} -d{int(args.seconds)}s"
    )
    print(
        f"{'endpoint':36} {'bare r/s':>9} {'ours r/s':>9} {'ratio':>6} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'p99 @c2':>8}"
    )
    for name, base, mine, light in rows:
        print(
            f"{name:36} {base['rps']:9.0f} {mine['rps']:9.0f} {mine['rps'] / base['rps']:6.1%} "
            f"{mine['p50']:7.2f} {mine['p99']:7.2f} {light['p99']:8.2f}"
        )
    print("targets: key path >= 90% of bare, POST /lookup >= 75% (docs/architecture.md, Numbers)")


if __name__ == "__main__":
    main()
