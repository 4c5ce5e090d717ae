"""500 participants enrolling at once, through the real app over HTTP.

python -m bench.bench_enrol --participants 500 --store sqlite|redis

The registry runs in a uvicorn process of its own (``--serve``, one worker, background work
on: following the log, starting challenges), on a fresh SQLite file or a fresh redis-server
(AOF on, as production runs it). This process plays every participant: it signs each
``POST /subscribe`` with the participant's new key, all at once, and answers each registry's
on_subscribe challenge (the registry's signature checked, the challenge decrypted) from one
loopback server with a path per participant. It follows ``GET /log`` until every participant
has a SUBSCRIBED entry, then verifies the whole chain and prints: the time until all are
SUBSCRIBED, challenge attempts and /subscribe requests per participant, and the registry's
commits by outcome (``uei_registry_commits_total``: saved, retried, refused).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import uvicorn
from litestar import Litestar, Request, Response, post

from bench.progress import bar
from uei.antiabuse.secret import create_secret_file
from uei.registry.changelog import LogEntry, verify_chain
from uei.registry.identity import save_key_file
from uei.trust import (
    KeySet,
    decrypt_challenge,
    encode_key,
    generate_key_set,
    load_encryption_public_key,
    load_verify_key,
    parse_header,
    sign_header,
    verify,
)
from uei_testing.redis_servers import RedisServer

DEADLINE_SECONDS = 90.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Participant:
    n: int
    keys: KeySet
    url: str
    subscribe_requests: int = 0
    subscribe_refusals: list[str] = field(default_factory=list)
    challenges: int = 0

    @property
    def subscriber_id(self) -> str:
        return f"cpo-{self.n}.bench.example"

    def body(self) -> bytes:
        return json.dumps(
            {
                "subscriber_id": self.subscriber_id,
                "url": self.url,
                "type": "BPP",
                "domain": "ev-charging:uei",
                "city": "std:080",
                "country": "IND",
                "ukId": self.keys.unique_key_id,
                "signing_public_key": encode_key(self.keys.verify_key),
                "encr_public_key": encode_key(self.keys.encryption_public_key),
            }
        ).encode()


class Peers:
    """Every participant's on_subscribe endpoint: ``/p/{n}/beckn/on_subscribe``."""

    def __init__(self, well_known: dict[str, str]) -> None:
        self.registry_key = load_verify_key(well_known["signing_public_key"])
        self.registry_encr = load_encryption_public_key(well_known["encr_public_key"])
        self.by_n: dict[int, Participant] = {}

    async def answer(self, n: int, request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        signature = parse_header(request.headers["authorization"])
        verify(body, signature, self.registry_key, now=signature.created)
        participant = self.by_n[n]
        participant.challenges += 1
        call = msgspec.json.decode(body)
        answer = decrypt_challenge(
            call["challenge"], participant.keys.encryption_key, self.registry_encr
        )
        return Response(msgspec.json.encode({"answer": answer}), media_type="application/json")


@contextlib.asynccontextmanager
async def serve_peers(peers: Peers) -> AsyncIterator[str]:
    """The peers on a loopback port (listening when this yields); yields the base URL."""

    @post("/p/{n:int}/beckn/on_subscribe", status_code=200)
    async def on_subscribe(n: int, request: Request[Any, Any, Any]) -> Response[bytes]:
        return await peers.answer(n, request)

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    server = uvicorn.Server(
        uvicorn.Config(Litestar([on_subscribe]), log_level="warning", lifespan="off", backlog=1024)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def _write_config(directory: Path, store_url: str) -> dict[str, str]:
    """The registry's files and environment, as ``uei serve`` reads them."""
    policies = {
        # the participants are on loopback: private networks allowed, as in local tours
        "registry": {"challenge": {"private_networks": "allow"}},
        "defaulters": {},
        "quotas": {},
        "scraping": {},
    }
    (directory / "policies.yaml").write_text(json.dumps(policies))
    operator = generate_key_set("ops-key-1")
    (directory / "operators.json").write_text(
        json.dumps(
            [
                {
                    "operator_id": "ops",
                    "unique_key_id": operator.unique_key_id,
                    "signing_public_key": encode_key(operator.verify_key),
                }
            ]
        )
    )
    save_key_file(directory / "registry-keys.json", generate_key_set(), "registry.uei")
    create_secret_file(directory / "network-secret")
    return {
        "UEI_DATA_DIR": str(directory / "data"),
        "UEI_STORE": store_url,
        "UEI_REGISTRY_KEYS": str(directory / "registry-keys.json"),
        "UEI_OPERATORS": str(directory / "operators.json"),
        "UEI_POLICIES": str(directory / "policies.yaml"),
        "UEI_NETWORK_SECRET": str(directory / "network-secret"),
    }


@contextlib.contextmanager
def store_for(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'uei.db'}"
        return
    with RedisServer(aof=True) as server:
        yield server.url


@contextlib.contextmanager
def registry_process(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_enrol", "--serve", str(port)],
        env={**os.environ, **env},
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _until_ready(client: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    started = time.monotonic()
    while time.monotonic() - started < 30:
        if process.poll() is not None:
            raise SystemExit(f"the registry exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get("/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.1)  # a benchmark polling a process it started, not a test
    raise SystemExit("the registry was not ready within 30 s")


async def _subscribe(client: httpx.AsyncClient, p: Participant, tries: int = 5) -> None:
    """POST /subscribe, signed anew for each try; a refusal is recorded and tried again."""
    body = p.body()
    for _ in range(tries):
        p.subscribe_requests += 1
        header = sign_header(
            body,
            p.keys.signing_key,
            subscriber_id=p.subscriber_id,
            unique_key_id=p.keys.unique_key_id,
            created=int(time.time()),
        )
        try:
            response = await client.post(
                "/subscribe",
                content=body,
                headers={"Authorization": header, "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            p.subscribe_refusals.append(type(exc).__name__)
            continue
        if response.status_code == 200:
            return
        p.subscribe_refusals.append(f"{response.status_code} {response.text[:120]}")
        await asyncio.sleep(1.0)  # the participant's own retry pace (replay: a new second)


async def _follow(
    client: httpx.AsyncClient, wanted: set[str], started: float
) -> tuple[dict[str, float], list[LogEntry]]:
    """Follow GET /log until every id in ``wanted`` has a SUBSCRIBED entry (or the deadline);
    returns when each was seen SUBSCRIBED (seconds after ``started``) and the whole log."""
    entries: list[LogEntry] = []
    subscribed: dict[str, float] = {}
    with bar(len(wanted), "SUBSCRIBED", show_pos=True, width=30) as progress:
        while len(subscribed) < len(wanted) and time.monotonic() - started < DEADLINE_SECONDS:
            before = len(subscribed)
            await _follow_once(client, wanted, started, entries, subscribed)
            progress.update(len(subscribed) - before)
    return subscribed, entries


async def _follow_once(
    client: httpx.AsyncClient,
    wanted: set[str],
    started: float,
    entries: list[LogEntry],
    subscribed: dict[str, float],
) -> None:
    """One page of GET /log: its entries added to ``entries``, its SUBSCRIBED ones to
    ``subscribed``."""
    page = await client.get("/log", params={"after": len(entries), "limit": 1000})
    page.raise_for_status()
    fresh = msgspec.json.decode(page.content, type=dict[str, Any])["entries"]
    new = [msgspec.convert(e, LogEntry) for e in fresh]
    entries += new
    now = time.monotonic() - started
    for entry in new:
        if entry.new_status == "SUBSCRIBED" and entry.subscriber_id in wanted:
            subscribed.setdefault(entry.subscriber_id, now)
    if len(new) < 1000:
        await asyncio.sleep(0.05)  # the benchmark's own polling pace


def _commits(metrics: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("uei_registry_commits_total{"):
            labels, _, value = line.partition("} ")
            outcome = labels.split('outcome="', 1)[1].rstrip('"')
            out[outcome] = float(value)
    return out


def _spread(values: list[int]) -> str:
    counts = Counter(values)
    return ", ".join(f"{k}: {counts[k]}" for k in sorted(counts))


async def run(participants: int, store: str) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-enrol-") as tmp:
        directory = Path(tmp)
        with store_for(store, directory) as store_url:
            env = _write_config(directory, store_url)
            port = _free_port()
            with registry_process(env, port) as process:
                limits = httpx.Limits(max_connections=participants, max_keepalive_connections=64)
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}", timeout=60.0, limits=limits
                ) as client:
                    await _until_ready(client, process)
                    well_known = (await client.get("/.well-known/uei-registry.json")).json()
                    return await _enrol_all(client, well_known, participants, store)


async def _enrol_all(
    client: httpx.AsyncClient, well_known: dict[str, str], count: int, store: str
) -> int:
    peers = Peers(well_known)
    async with serve_peers(peers) as base:
        everyone = [
            Participant(n, generate_key_set(f"bench-key-{n}"), f"{base}/p/{n}/beckn")
            for n in range(count)
        ]
        peers.by_n = {p.n: p for p in everyone}
        before = _commits((await client.get("/metrics")).text)
        started = time.monotonic()
        follow = asyncio.create_task(_follow(client, {p.subscriber_id for p in everyone}, started))
        await asyncio.gather(*(_subscribe(client, p) for p in everyone))
        subscribes_done = time.monotonic() - started
        subscribed, entries = await follow
        after = _commits((await client.get("/metrics")).text)
    verify_chain(entries)
    commits = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in ("saved", "retried", "refused")}
    times = sorted(subscribed.values())
    refusals = [r for p in everyone for r in p.subscribe_refusals]
    print(f"store: {store}   participants: {count}")
    print(f"all /subscribe answered after {subscribes_done:.2f} s")
    if len(subscribed) == count:
        print(
            f"all {count} SUBSCRIBED after {times[-1]:.2f} s "
            f"(median {times[len(times) // 2]:.2f} s)"
        )
    else:
        print(f"only {len(subscribed)} of {count} SUBSCRIBED within {DEADLINE_SECONDS:.0f} s")
    print(f"challenge attempts per participant: {_spread([p.challenges for p in everyone])}")
    print(
        f"/subscribe requests per participant: {_spread([p.subscribe_requests for p in everyone])}"
    )
    print(
        f"/subscribe refusals: {len(refusals)}" + (f" (first: {refusals[0]})" if refusals else "")
    )
    print(
        "registry commits: {saved:.0f} saved, {retried:.0f} retried at once "
        "(a lost race on one subscriber's version), {refused:.0f} refused".format(**commits)
    )
    print(f"change log: {len(entries)} entries, chain verified")
    ok = len(subscribed) == count and not refusals and commits["refused"] == 0
    return 0 if ok else 1


def serve(port: int) -> None:
    from uei.app.factory import create_app
    from uei.app.settings import Settings

    app = create_app(Settings.from_env(os.environ))
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, backlog=2048
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--store", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.serve is not None:
        serve(args.serve)
        return
    raise SystemExit(asyncio.run(run(args.participants, args.store)))


if __name__ == "__main__":
    main()
