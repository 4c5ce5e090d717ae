"""Load: the service as users deploy it, under a realistic mix of calls, beside its ceilings.

    .venv/bin/python -m bench.load [--store redis|sqlite] [--workers N] [--seconds 10]
        [--concurrency 32] [--subscribers 2000] [--drivers 1] [--rounds 2]
        [--appendfsync everysec|always] [--launcher nodelay|uvicorn] [--profile DIR]

What runs (all on this machine, over loopback):

- the store: with ``--store redis`` (the default) a real ``redis-server`` started here with
  AOF on (``--appendfsync``: ``everysec``, Redis' production setting, by default); with
  ``--store sqlite`` the embedded default, a SQLite file (WAL, synchronous writes), which
  serves one process, so ``--workers 1``;
- the population: ``--subscribers`` participants enrolled straight into the store as
  SUBSCRIBED (``uei_testing.factories.enrol``): BGs (1 per 500), BAPs (a tenth) and BPPs
  (CPOs, the rest, granted ``defaulters``), their keys kept for signing; 5,000 users with
  valid identifiers;
- the service: the app factory (``create_app`` on the ``UEI_*`` environment, what ``uei
  serve`` runs) under uvicorn with ``--workers`` processes sharing one port (default 2 on
  Redis), launched as ``uei serve --workers N`` launches them (``uei.app.workers``). Stock ``uvicorn
  --workers N`` (N > 1) binds its socket without ``IPPROTO_TCP``, so asyncio never sets
  ``TCP_NODELAY`` on accepted connections and every keep-alive answer after the first waits
  ~40 ms for the client's delayed ACK (uvicorn issue #3149): capacity becomes ~23 requests/s
  per connection whatever the CPU. The default launcher is uvicorn's own supervisor on a
  socket made with ``IPPROTO_TCP``, with ``uei serve``'s HTTP protocol, which sends each
  answer's head and body in one write (``uei.app.workers.OneWriteH11``); ``--launcher
  uvicorn`` runs the stock command line;
- the bare ceilings (``bench.serve_app``), under the same launcher, uvicorn settings and worker
  count, their heap frozen once started as the service's is (``frozen_after_startup``): for
  the lookups, a Litestar app returning the bytes the service answered; on Redis, for the
  quota check, a handler verifying the request's signature and running one EVALSHA of the
  GCRA script, and for the status query, one verify and the status path's minimum of store
  round trips (4);
- the load: ``--drivers`` separate client processes, asyncio HTTP/1.1 on keep-alive
  connections (``--concurrency`` in all), spread evenly over the server's workers (workers
  sharing a port accept in bursts: one often takes a whole pool of connections, so the
  spread is read from /proc and shown). Requests are built before the clock starts, so
  client CPU goes to sending and timing, not signing. Every signed request is signed once
  over its own body (unique ``message_id`` / ``session_ref``; a status question is never
  repeated by the same CPO in one second), as the replay guard requires.

The mix (by request count): ``GET /lookup/{id}/{kid}`` 70% (any subscriber's key,
uniformly), ``POST /lookup`` 10% (by subscriber and key id, or by subscriber, type and
domain), ``POST /abuse/quota/check`` 10% (a BG, or a BPP, relaying a BAP's search or select),
``POST /abuse/status`` 7% (a CPO asking about a user's phone and VPA or RFID card; a tenth of
the users are the ones reported), ``POST /abuse/defaulters/report`` 3% (a CPO reporting an
unpaid session). A 429 from the quota check or the status query is a refusal the API
promises (counted apart); any other answer outside the route's, a broken connection or a
timeout is an error.

Phases: a warm-up; each hot path alone (the key path, ``POST /lookup``, and on Redis the
quota check and the status query), the bare app and the service taking turns ``--rounds``
times (``--seconds`` split between the rounds, the best round of each kept): the ratios of
docs/architecture.md (Numbers); then each path alone, open loop, at half the service's
rate for it, on the ceiling and on the service (the tails at the same rate); the mix at
``--concurrency`` connections,
back to back (closed loop: the peak); the mix at half that peak rate on a fixed schedule
(open loop, latency from the moment each request left; requests that left over 1 ms late
are counted). Before each path's turns, the tails and the mix, redis-server rewrites its AOF
(and the run waits for it), so that no rewrite the earlier phases' writes call for forks in a
measured phase; each phase counts redis-server's forks and says when one fell in it. Then, in
this process with the service stopped: raw PyNaCl verify against
``uei.trust.Verifier`` (as bench_trust), and on Redis the raw ``gcra.lua`` script against the
in-process ``Quotas.check`` over one connection (bench_quota's code).

Each phase also reads from /proc the CPU used by the workers, redis-server, the clients and
the rest of the machine (well above 0.1 core: something else competed with the run).
``--profile DIR`` runs ``py-spy`` on the workers under load in each phase and prints the
hottest frames. Progress goes to stderr, the tables to stdout. A run takes about 12 x
``--seconds`` plus 30 s on Redis.
Targets (docs/architecture.md, Numbers): key path >= 90% of its ceiling, POST /lookup >= 75%,
quota check >= 70%, status >= 50%; each path's p99 at most 2x its ceiling's at the same
rate; on SQLite the status p99 at peak at most 4x the key path's; verification >= 80% of raw
PyNaCl; the in-process quota decision >= 50% of raw Lua.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.client.plan import Plan
from bench.client.processes import Drivers
from bench.client.run import Result
from bench.cpu import CpuMeter
from bench.drivers.ceilings import quota_rates, verify_rates
from bench.generators.participants import _roles, enrol_all, people, population
from bench.load import Server
from bench.local import REPO
from bench.mix import GET_KEY, MIX, PEOPLE, POST_LOOKUP, QUOTA, STATUS
from bench.profiler import PY_SPY, Profiler
from bench.progress import say
from bench.reports.load import Phase, report, rows


def plans_for(
    name: str,
    port: int,
    pids: Sequence[int],
    weights: dict[str, float],
    args: argparse.Namespace,
    expected: float,
    rate: float | None = None,
) -> list[Plan]:
    drivers = args.drivers
    per = [args.concurrency // drivers + (i < args.concurrency % drivers) for i in range(drivers)]
    return [
        Plan(
            name=name,
            port=port,
            weights=weights,
            seconds=args.seconds,
            connections=per[i],
            rate=None if rate is None else rate / drivers,
            expected=int(expected / drivers) + 100,
            tag=f"{name}-{i}-{os.getpid()}-{time.time_ns() % 10**9}",
            seed=args.seed * 1000 + i + len(name),
            pids=tuple(pids),
        )
        for i in range(drivers)
    ]


def public_keys(members: Sequence[Any]) -> dict[str, dict[str, str]]:
    """subscriber id -> key id -> base64 public key: what the signed ceilings verify with."""
    from nacl.signing import SigningKey

    from uei.trust.encoding import b64encode

    keys: dict[str, dict[str, str]] = {}
    for m in members:
        public = bytes(SigningKey(m.seed).verify_key)
        keys.setdefault(m.subscriber_id, {})[m.unique_key_id] = b64encode(public)
    return keys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--store",
        choices=("redis", "sqlite"),
        default="redis",
        help="the store the service runs on (default redis)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="uvicorn worker processes (default 2 on redis; sqlite: 1 only)",
    )
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="length of each measured phase (default 10)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="keep-alive connections in all, split over the drivers (default 32)",
    )
    parser.add_argument(
        "--subscribers",
        type=int,
        default=2000,
        help="participants enrolled before the run (default 2000)",
    )
    parser.add_argument(
        "--drivers",
        type=int,
        default=1,
        help="client processes (default 1: on 2 CPUs a second one competes "
        "with the service for the cores)",
    )
    parser.add_argument(
        "--appendfsync",
        choices=("everysec", "always"),
        default="everysec",
        help="redis AOF fsync policy (default everysec)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="the bare app and the service take turns this many times on each isolated "
        "endpoint, --seconds split between the rounds; the best round of each counts "
        "(default 2)",
    )
    parser.add_argument(
        "--launcher",
        choices=("nodelay", "uvicorn"),
        default="nodelay",
        help="how N workers share the port: nodelay (default) is uvicorn's "
        "supervisor on a socket created with IPPROTO_TCP; uvicorn is the stock "
        "`uvicorn --workers N` command line, which on Linux leaves Nagle on "
        "(every keep-alive answer waits ~40 ms: uvicorn issue #3149)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy every worker of the app under load in each phase; keep the stacks "
        "in DIR and print the hottest frames",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = 2 if args.store == "redis" else 1
    if args.store == "sqlite" and args.workers != 1:
        parser.error("the SQLite store serves one process: --workers 1")
    for name in ("workers", "seconds", "concurrency", "subscribers", "drivers", "rounds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive")
    if args.profile is not None and not Path(PY_SPY).exists():
        parser.error("--profile needs py-spy (pip install py-spy)")
    if args.concurrency < args.drivers:
        parser.error("--concurrency must be at least --drivers")
    bgs, baps = _roles(args.subscribers)
    if args.subscribers < bgs + baps + 5:
        parser.error(f"--subscribers must be at least {bgs + baps + 5}")

    with tempfile.TemporaryDirectory(prefix="bench-load-") as name:
        tmp = Path(name)
        if args.store == "redis":
            from uei_testing.redis_servers import RedisServer

            redis = RedisServer(aof=True, extra_args=["--appendfsync", args.appendfsync])
            with redis:
                run(args, tmp, redis.url, redis.pid)
        else:
            run(args, tmp, f"sqlite:///{tmp / 'data' / 'uei.db'}", None)


def _redis_port(store_url: str) -> int | None:
    """The bench's redis-server port (on loopback), None on SQLite."""
    return urllib.parse.urlsplit(store_url).port if store_url.startswith("redis://") else None


def redis_forks(store_url: str) -> int:
    """How many times the bench's redis-server has forked (``total_forks``: each AOF rewrite
    forks a child that competes with the service for the CPUs); 0 on SQLite."""
    from uei_testing.redis_servers import parse_info, redis_text

    port = _redis_port(store_url)
    if port is None:
        return 0
    return int(parse_info(redis_text(port, "INFO", "stats")).get("total_forks", "0"))


def rewrite_aof(store_url: str, timeout: float = 120.0) -> float:
    """Have the bench's redis-server rewrite its AOF now and wait until it is done (seconds
    taken; 0 on SQLite): between phases, so that a rewrite the earlier phases' writes call for
    (Redis forks one when the AOF doubles past 64 MB) does not fall inside the next measured
    one, on the service and not on its ceiling, which writes little."""
    from uei_testing.redis_servers import parse_info, redis_text

    port = _redis_port(store_url)
    if port is None:
        return 0.0
    started = time.monotonic()
    redis_text(port, "BGREWRITEAOF")
    while time.monotonic() - started < timeout:
        info = parse_info(redis_text(port, "INFO", "persistence"))
        if info.get("aof_rewrite_in_progress") == "0" and info.get("aof_rewrite_scheduled") == "0":
            break
        time.sleep(0.1)  # polling redis-server, another process
    return time.monotonic() - started


def run(args: argparse.Namespace, tmp: Path, store_url: str, redis_pid: int | None) -> None:
    from uei.antiabuse.secret import create_secret_file
    from uei.registry.identity import save_key_file
    from uei.trust import generate_key_set

    load_before = os.getloadavg()
    if load_before[0] > 0.5:
        say(f"note: load average {load_before[0]:.2f} before the run: other work is using CPU")
    say(f"enrolling {args.subscribers} subscribers into {store_url} ...")
    started = time.perf_counter()
    members = population(args.subscribers)
    asyncio.run(enrol_all(store_url, members))
    enrol_seconds = time.perf_counter() - started
    users = people(PEOPLE, args.seed)
    (tmp / "data").mkdir(exist_ok=True)
    keys = tmp / "registry-keys.json"
    save_key_file(keys, generate_key_set(), "registry.uei")
    secret = tmp / "network-secret"
    create_secret_file(secret)
    env = {
        "UEI_STORE": store_url,
        "UEI_DATA_DIR": str(tmp / "data"),
        "UEI_REGISTRY_KEYS": str(keys),
        "UEI_NETWORK_SECRET": str(secret),
        "UEI_POLICIES": str(REPO / "policies.yaml"),
    }
    say(f"starting the service: uvicorn, {args.workers} worker(s) ...")
    stock = args.launcher == "uvicorn"
    ours = Server(
        "service", "bench.load:service_app", args.workers, env, tmp / "service.log", stock
    )
    bare: Server | None = None
    drivers: Drivers | None = None
    phases: dict[str, Phase] = {}
    error_count = [0]
    try:
        import httpx

        sample = members[-1]
        one = httpx.get(f"{ours.url}/lookup/{sample.subscriber_id}/{sample.unique_key_id}")
        many = httpx.post(
            f"{ours.url}/lookup",
            json={"subscriber_id": sample.subscriber_id, "ukId": sample.unique_key_id},
        )
        if one.status_code != 200 or many.status_code != 200:
            raise RuntimeError(f"the service does not answer lookups: {one.text} {many.text}")
        (tmp / "one.json").write_bytes(one.content)
        (tmp / "many.json").write_bytes(many.content)
        bare_env = {"BENCH_RECORD": str(tmp / "one.json"), "BENCH_RECORDS": str(tmp / "many.json")}
        if args.store == "redis":
            (tmp / "keys.json").write_text(json.dumps(public_keys(members)))
            bare_env |= {"BENCH_KEYS": str(tmp / "keys.json"), "BENCH_REDIS": store_url}
        say(f"starting the bare Litestar app (the ceilings): uvicorn, {args.workers} worker(s) ...")
        bare = Server(
            "bare", "bench.serve_app:bare_app", args.workers, bare_env, tmp / "bare.log", stock
        )
        say(f"starting {args.drivers} driver process(es) ...")
        drivers = Drivers(args.drivers, members, users)
        groups = {
            "service": ours.pids,
            "bare": bare.pids,
            **({"redis": [redis_pid]} if redis_pid else {}),
            "client": drivers.pids,
        }

        def phase(
            key: str,
            server: Server,
            weights: dict[str, float],
            expected: float,
            rate: float | None = None,
            seconds: float | None = None,
        ) -> Phase:
            plan_args = argparse.Namespace(**vars(args))
            if seconds is not None:
                plan_args.seconds = seconds
            other = "bare" if server is ours else "service"
            forked = redis_forks(store_url)
            cpu = CpuMeter({k: v for k, v in groups.items() if k != other})
            plans = plans_for(key, server.port, server.pids, weights, plan_args, expected, rate)
            profiler = None
            if args.profile is not None and not key.startswith("warm"):
                profiler = Profiler(args.profile, key, server.pids, plan_args.seconds)
            result = drivers.run(plans, cpu, profiler) if drivers is not None else Result()
            described = cpu.describe()
            forks = redis_forks(store_url) - forked
            if forks > 0:
                described += f"; redis forked {forks} time(s) (an AOF rewrite)"
            if len(result.spread) > 1:
                described += "; connections per worker " + " + ".join(map(str, result.spread))
            done = Phase(
                key, result, described, profiler.summary() if profiler else [], forks=max(0, forks)
            )
            total = sum(len(v) for v in result.latencies.values())
            errors = rows(result)[-1].errors
            error_count[0] += errors
            say(
                f"  {key}: {total / max(result.seconds, 1e-9):,.0f} r/s over "
                f"{result.seconds:.1f} s, {errors} errors"
            )
            return done

        round_seconds = args.seconds / args.rounds
        warm = min(2.0, args.seconds / 4)
        guess = 20000 * args.seconds
        say(f"warming up ({warm:g} s each) ...")
        phase("warm-bare", bare, {GET_KEY: 1, POST_LOOKUP: 1}, guess, seconds=warm)
        phase("warm-ours", ours, MIX, guess, seconds=warm)

        say(f"isolated endpoints, bare and service in turn, {args.rounds} round(s) ...")
        servers = {"bare": bare, "ours": ours}
        paths = {"get": GET_KEY, "post": POST_LOOKUP}
        if args.store == "redis":
            paths |= {"quota": QUOTA, "status": STATUS}
        for key, kind in paths.items():
            weights = {kind: 1.0}
            # signed requests are prepared (signed) before the clock starts: no more than a
            # few times what the service can answer
            expected = guess if kind in (GET_KEY, POST_LOOKUP) else 6000 * round_seconds
            runs: dict[str, list[Phase]] = {"bare": [], "ours": []}
            rewrite_aof(store_url)  # none of the last path's writes rewritten in this one's
            for turn in range(args.rounds):
                order = ("bare", "ours") if turn % 2 == 0 else ("ours", "bare")
                for which in order:
                    name = f"{which}-{key}-{turn + 1}"
                    runs[which].append(
                        phase(name, servers[which], weights, expected, seconds=round_seconds)
                    )
            for which, done in runs.items():
                phases[f"{which}-{key}"] = max(done, key=lambda p: rows(p.result)[-1].rate)
        took = rewrite_aof(store_url)
        if took:
            say(f"redis rewrote its AOF before the tails ({took:.1f} s)")
        say("each path alone, open loop at half the service's rate, ceiling and service ...")
        for key, kind in paths.items():
            rate = rows(phases[f"ours-{key}"].result)[-1].rate / 2
            for which in ("bare", "ours"):
                phases[f"{which}-{key}-half"] = phase(
                    f"{which}-{key}-half",
                    servers[which],
                    {kind: 1.0},
                    rate * round_seconds * 1.1,
                    rate=rate,
                    seconds=round_seconds,
                )
        bare.stop()
        bare_rate = rows(phases["bare-get"].result)[-1].rate
        took = rewrite_aof(store_url)
        if took:
            say(f"redis rewrote its AOF before the mix ({took:.1f} s)")
        say("the mix at full concurrency (peak) ...")
        phases["peak"] = phase("peak", ours, MIX, bare_rate * args.seconds * 1.2)
        peak = phases["peak"].result
        peak_rate = sum(len(v) for v in peak.latencies.values()) / peak.seconds
        say(f"the mix at half the peak ({peak_rate / 2:,.0f} r/s, open loop) ...")
        phases["half"] = phase(
            "half", ours, MIX, peak_rate / 2 * args.seconds * 1.1, rate=peak_rate / 2
        )
    finally:
        if drivers is not None:
            drivers.close()
        if bare is not None:
            bare.stop()
        ours.stop()
    troubles = [
        line
        for line in (tmp / "service.log").read_text(errors="replace").splitlines()
        if "Traceback" in line or "ERROR" in line or "WARNING" in line
    ]

    say("in-process ceilings: PyNaCl verify, uei.trust.Verifier ...")
    raw_verify, ours_verify = verify_rates(min(4.0, args.seconds / 2))
    quota: tuple[Any, Any] | None = None
    baps = [m for m in members if m.type == "BAP"]
    if args.store == "redis":
        say("in-process ceilings: raw gcra.lua, Quotas.check ...")
        quota = asyncio.run(quota_rates(store_url, args.seconds / 2, args.concurrency, len(baps)))
    load_after = os.getloadavg()

    report(
        args,
        phases,
        peak_rate,
        raw_verify,
        ours_verify,
        quota,
        members,
        enrol_seconds,
        (load_before[0], load_after[0]),
        error_count[0],
        troubles,
    )
