"""The status benchmark's tables: per store, the paths' percentiles and ratios."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.drivers.status_paths import STORE_CALLS, Measured
from bench.generators.graph import FAMILIES, POLICY, Graph
from bench.generators.status_queries import Query
from bench.reports.latency import percentiles
from uei.antiabuse.defaulters.ledger import Standing, standing


@dataclass
class StoreRun:
    name: str
    build_seconds: float
    size: str
    measured: Measured
    http: dict[str, tuple[list[float], list[str]]] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)
    """The 1-minute load average when measuring began and ended (2 CPUs: above ~2, other
    work competed with this run, and its tails say more about that than about the code)."""


def _row(label: str, seconds: Sequence[float]) -> str:
    p = percentiles(seconds)
    return f"  {label:50} {p['p50']:7.2f} {p['p90']:7.2f} {p['p99']:7.2f} {p['max']:7.2f}"


def report(run: StoreRun, queries: Sequence[Query]) -> None:
    m = run.measured
    print(
        f"\n{run.name}: built in {run.build_seconds:.1f} s ({run.size}); load average "
        f"{run.load[0]:.2f} -> {run.load[1]:.2f} while measuring ({os.cpu_count()} CPUs)"
    )
    print(f"  {'ms':50} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    print(_row("Defaulters.status, in-process", m.status))
    print(_row("ceiling: one store round trip (degrees call)", m.ceiling))
    labels = {"asgi": "POST /abuse/status, app in-process (ASGI)", "uvicorn": ""}
    labels["uvicorn"] = "POST /abuse/status, uvicorn over loopback"
    for which, (latencies, verdicts) in run.http.items():
        agree = sum(a == b for a, b in zip(verdicts, m.verdicts, strict=True))
        print(_row(labels[which], latencies) + f"   verdicts agree {agree}/{len(verdicts)}")
    status, ceiling = percentiles(m.status), percentiles(m.ceiling)
    print(
        f"  status p50 = {status['p50'] / ceiling['p50']:.1f} round trips' worth; "
        f"p99 {status['p99']:.2f} ms against the 10 ms target: "
        + ("met" if status["p99"] < 10 else "MISSED")
    )
    n = len(queries)
    in_store = sum(sum(v) for v in m.calls.values())
    total = sum(m.instrumented)
    print(f"  where a status query's time goes (means over {n} queries, store calls timed):")
    for _, name in STORE_CALLS:
        spent = m.calls[name]
        print(
            f"    {name:12} {len(spent) / n:5.2f} calls {sum(spent) / n * 1000:7.3f} ms"
            f"  ({sum(spent) / total:5.1%})"
        )
    print(
        f"    {'the rest':12} {'':11} {(total - in_store) / n * 1000:7.3f} ms"
        f"  ({(total - in_store) / total:5.1%})  service + verdict + event loop"
    )
    mix: dict[str, Counter[str]] = {}
    for q, verdict in zip(queries, m.verdicts, strict=True):
        mix.setdefault(q.label, Counter())[verdict] += 1
    print(
        "  verdicts: "
        + "; ".join(
            f"{label} ({sum(c.values())}): "
            + ", ".join(f"{v} {c[v]}" for v in ("block", "prepaid_only", "allow") if c[v])
            for label, c in mix.items()
        )
    )


def _describe(g: Graph, seconds: float) -> str:
    by_family = Counter(FAMILIES[f] for f, _ in g.meta)
    fan = sorted(len(g.adjacency[v]) for v in g.fleet)
    counting = sum(1 for c in g.cases if standing(c, g.now, POLICY) is Standing.COUNTS)
    return (
        f"graph: {len(g.meta):,} tokens ("
        + ", ".join(f"{f} {by_family[f]:,}" for f in FAMILIES)
        + f"), {len(g.people):,} people, {g.links:,} directed links, {len(g.fleet)} fleet "
        f"vehicles (links: median {fan[len(fan) // 2]}, max {fan[-1]}), {len(g.cases):,} "
        f"cases ({counting:,} counting now, {len(g.counting):,} people); generated in "
        f"{seconds:.1f} s"
    )


def _versions() -> str:
    try:
        out = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, check=True
        ).stdout
        redis_version = out.split("v=")[1].split()[0]
    except (OSError, IndexError, subprocess.CalledProcessError):
        redis_version = "?"
    return (
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, redis-server {redis_version}"
    )
