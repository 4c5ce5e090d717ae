"""The load's tables: each phase's mix by endpoint, the ratios against the ceilings, the targets."""

from __future__ import annotations

import argparse
import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.client.run import Result
from bench.generators.participants import Member
from bench.mix import GET_KEY, KINDS, OK, POST_LOOKUP, QUOTA, REFUSED, SIGNED, STATUS
from bench.reports.latency import nearest_rank

PATHS = {"get": GET_KEY, "post": POST_LOOKUP, "quota": QUOTA, "status": STATUS}
"""Each hot path's phase key and its kind of request."""
TARGETS = {GET_KEY: 0.90, POST_LOOKUP: 0.75, QUOTA: 0.70, STATUS: 0.50}
"""Each hot path's throughput against its ceiling's (docs/architecture.md, Numbers)."""
TARGET_TAIL = 2.0
"""Each hot path's p99 at most this many times its ceiling's p99 at the same rate."""
TARGET_SQLITE_STATUS = 4.0
"""On SQLite: the status query's p99 at peak at most this many times the key path's."""
TARGET_VERIFY, TARGET_QUOTA = 0.80, 0.50


@dataclass
class Phase:
    name: str
    result: Result
    cpu: str
    profile: list[str]
    forks: int = 0
    """How many times redis-server forked during the phase (an AOF rewrite)."""


def _at(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return math.nan
    return nearest_rank(ordered, q) * 1000


@dataclass
class Row:
    kind: str
    count: int
    rate: float
    p50: float
    p99: float
    ok: int
    refused: int
    errors: int


def rows(result: Result) -> list[Row]:
    out = []
    everything: list[float] = []
    totals = [0, 0, 0, 0]
    for kind in KINDS:
        latencies = sorted(result.latencies.get(kind, []))
        statuses = result.statuses.get(kind, Counter())
        failures = result.failures.get(kind, 0)
        if not latencies and not failures:
            continue
        everything += latencies
        ok = sum(n for s, n in statuses.items() if s in OK[kind])
        refused = sum(n for s, n in statuses.items() if s in REFUSED.get(kind, ()))
        errors = sum(statuses.values()) - ok - refused + failures
        out.append(
            Row(
                kind,
                len(latencies),
                len(latencies) / result.seconds,
                _at(latencies, 0.5),
                _at(latencies, 0.99),
                ok,
                refused,
                errors,
            )
        )
        for i, n in enumerate((len(latencies), ok, refused, errors)):
            totals[i] += n
    everything.sort()
    out.append(
        Row(
            "overall",
            totals[0],
            totals[0] / result.seconds,
            _at(everything, 0.5),
            _at(everything, 0.99),
            totals[1],
            totals[2],
            totals[3],
        )
    )
    return out


def by_kind(result: Result) -> dict[str, Row]:
    return {row.kind: row for row in rows(result)}


def print_mix(title: str, result: Result, cpu: str) -> None:
    print(title)
    print(
        f"  {'endpoint':30} {'share':>6} {'requests':>9} {'r/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'ok':>8} {'refused':>7} {'errors':>6}"
    )
    table = rows(result)
    total = table[-1].count or 1
    for row in table:
        print(
            f"  {row.kind:30} {row.count / total:6.1%} {row.count:9,} {row.rate:8,.0f} "
            f"{row.p50:7.2f} {row.p99:7.2f} {row.ok:8,} {row.refused:7,} {row.errors:6,}"
        )
    if cpu:
        print(f"  {cpu}")
    if result.late:
        print(f"  {result.late:,} requests left the client more than 1 ms after their time")
    if result.exhausted:
        print("  (the prepared signed requests ran out before the end: the phase was cut short)")
    for kind, sample in result.samples.items():
        print(f"  first unexpected answer, {kind}: {sample}")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(
    args: argparse.Namespace,
    phases: dict[str, Phase],
    peak_rate: float,
    raw_verify: float,
    ours_verify: float,
    quota: tuple[Any, Any] | None,
    members: Sequence[Member],
    enrol_seconds: float,
    load: tuple[float, float],
    errors: int,
    troubles: Sequence[str],
) -> None:
    kinds = Counter(m.type for m in members)
    launcher = (
        "uvicorn --workers"
        if args.launcher == "uvicorn" or args.workers == 1
        else "uvicorn's supervisor, TCP_NODELAY socket"
    )
    store = (
        f"redis (redis-server, AOF appendfsync {args.appendfsync})"
        if args.store == "redis"
        else "sqlite (WAL, synchronous=FULL)"
    )
    print(
        f"load: {store}, {args.workers} uvicorn worker(s) ({launcher}), {len(members):,} "
        "subscribers "
        f"({kinds['BPP']:,} BPP, {kinds['BAP']:,} BAP, {kinds['BG']} BG; enrolled in "
        f"{enrol_seconds:.1f} s), {args.concurrency} connections from {args.drivers} client "
        f"process(es), {args.seconds:g} s per phase, {os.cpu_count()} CPUs, load average "
        f"{load[0]:.2f} -> {load[1]:.2f}"
    )
    print()
    print(
        f"isolated endpoints: each path's ceiling (the bare app) and the service in turn, same "
        f"client, same uvicorn settings and worker count, best of {args.rounds} round(s) of "
        f"{args.seconds / args.rounds:g} s each"
    )
    print(
        f"  {'endpoint':30} {'bare r/s':>9} {'ours r/s':>9} {'ratio':>7} {'target':>7} "
        f"{'':7} {'p50 ms':>7} {'p99 ms':>7}"
    )
    ratios: dict[str, float] = {}
    tails: dict[str, tuple[float, float, float]] = {}
    forked: dict[str, str] = {}
    for key, kind in PATHS.items():
        if f"ours-{key}" not in phases:
            continue
        target = TARGETS[kind]
        base = by_kind(phases[f"bare-{key}"].result)[kind]
        mine = by_kind(phases[f"ours-{key}"].result)[kind]
        ratio = mine.rate / base.rate
        ratios[kind] = ratio
        print(
            f"  {kind:30} {base.rate:9,.0f} {mine.rate:9,.0f} {ratio:7.1%} {target:7.0%} "
            f"{verdict(ratio >= target):7} {mine.p50:7.2f} {mine.p99:7.2f}"
        )
        for which in ("bare", "ours"):
            cpu = phases[f"{which}-{key}"].cpu
            if cpu:
                print(f"    {which}: {cpu}")
        failed = by_kind(phases[f"ours-{key}"].result)["overall"].errors
        if failed:
            print(f"    {failed} errors on the service")
        if f"ours-{key}-half" in phases:
            base_half = by_kind(phases[f"bare-{key}-half"].result).get(kind)
            mine_half = by_kind(phases[f"ours-{key}-half"].result).get(kind)
            if base_half is not None and mine_half is not None:
                tails[kind] = (mine_half.rate, base_half.p99, mine_half.p99)
                forked[kind] = ", ".join(
                    f"{which} {phases[f'{which}-{key}-half'].forks}"
                    for which in ("bare", "ours")
                    if phases[f"{which}-{key}-half"].forks
                )
    if args.store != "redis":
        print(f"  {QUOTA} and {STATUS}: their ceilings run on Redis only (--store redis)")
    print()
    if tails:
        print("tails: each path alone, open loop at half the service's rate for it, on its "
              "ceiling and on the service")  # fmt: skip
        print(
            f"  {'endpoint':30} {'r/s':>8} {'bare p99':>9} {'ours p99':>9} {'x bare':>7} "
            f"{'target':>7}"
        )
        for kind, (rate, base_p99, mine_p99) in tails.items():
            times = mine_p99 / base_p99 if base_p99 > 0 else math.inf
            print(
                f"  {kind:30} {rate:8,.0f} {base_p99:9.2f} {mine_p99:9.2f} {times:7.2f} "
                f"{TARGET_TAIL:6.1f}x {verdict(times <= TARGET_TAIL)}"
            )
            if forked.get(kind):
                print(f"    redis forked for an AOF rewrite during the phase: {forked[kind]}")
        print()
    print_mix(
        f"the mix, closed loop at {args.concurrency} connections (peak: {peak_rate:,.0f} r/s)",
        phases["peak"].result,
        phases["peak"].cpu,
    )
    print()
    half = phases["half"].result
    print_mix(
        f"the mix, open loop at half the peak ({peak_rate / 2:,.0f} r/s scheduled)",
        half,
        phases["half"].cpu,
    )
    print()
    print("in process (this process, the service idle)")
    print(
        f"  raw PyNaCl verify {raw_verify:,.0f}/s; uei.trust.Verifier.verify {ours_verify:,.0f}/s "
        f"({ours_verify / raw_verify:.1%} of raw)"
    )
    signed = sum(
        by_kind(phases["peak"].result).get(k, Row(k, 0, 0, 0, 0, 0, 0, 0)).rate for k in SIGNED
    )
    print(
        f"  signed requests in the peak mix: {signed:,.0f}/s = {signed / raw_verify:.1%} of one "
        "core's raw verify rate"
    )
    if quota is not None:
        raw_run, ours_run = quota
        print(
            f"  raw gcra.lua {raw_run.rate:,.0f}/s (p99 {raw_run.ms(0.99):.2f} ms); "
            f"Quotas.check {ours_run.rate:,.0f}/s (p99 {ours_run.ms(0.99):.2f} ms), "
            f"{args.concurrency} tasks on one client"
        )
        quota_http = by_kind(phases["peak"].result).get(QUOTA)
        if quota_http is not None:
            print(
                f"  quota checks over HTTP in the peak mix: {quota_http.rate:,.0f}/s "
                f"({quota_http.rate / raw_run.rate:.1%} of the raw script rate, at 10% of "
                "the traffic)"
            )
    print()
    print("targets (docs/architecture.md, Numbers)")
    lines: list[tuple[str, str, str]] = []
    for kind, ratio in ratios.items():
        lines.append((f"{kind} >= {TARGETS[kind]:.0%} of its ceiling", f"{ratio:.1%}",
                      verdict(ratio >= TARGETS[kind])))  # fmt: skip
    for kind, (_, base_p99, mine_p99) in tails.items():
        times = mine_p99 / base_p99 if base_p99 > 0 else math.inf
        lines.append((f"{kind} p99 <= {TARGET_TAIL:g}x its ceiling's", f"{times:.2f}x",
                      verdict(times <= TARGET_TAIL)))  # fmt: skip
    peak_rows = by_kind(phases["peak"].result)
    if args.store == "sqlite" and STATUS in peak_rows and GET_KEY in peak_rows:
        times = peak_rows[STATUS].p99 / peak_rows[GET_KEY].p99
        lines.append((f"status p99 at peak <= {TARGET_SQLITE_STATUS:g}x the key path's",
                      f"{times:.1f}x", verdict(times <= TARGET_SQLITE_STATUS)))  # fmt: skip
    verify_ratio = ours_verify / raw_verify
    lines.append((f"verify >= {TARGET_VERIFY:.0%} of raw PyNaCl", f"{verify_ratio:.1%}",
                  verdict(verify_ratio >= TARGET_VERIFY)))  # fmt: skip
    if quota is not None:
        ratio = quota[1].rate / quota[0].rate
        lines.append((f"quota decision >= {TARGET_QUOTA:.0%} of raw Lua", f"{ratio:.1%}",
                      verdict(ratio >= TARGET_QUOTA)))  # fmt: skip
    else:
        lines.append((f"quota decision >= {TARGET_QUOTA:.0%} of raw Lua", "n/a", "(Redis only)"))
    lines.append(("no errors in any phase (warm-ups included)", f"{errors}", verdict(errors == 0)))
    for text, value, outcome in lines:
        print(f"  {text:50} {value:>10}  {outcome}")
    if troubles:
        print(f"\nthe service logged {len(troubles)} warning/error line(s); the first:")
        for line in troubles[:5]:
            print(f"  {line[:200]}")
    for done in phases.values():
        if done.profile:
            print()
            print("\n".join(done.profile))
