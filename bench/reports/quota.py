"""The quota benchmark's table: each path's best round against the raw script."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field

from bench.client.decisions import Run
from bench.drivers.quota_paths import RULE


@dataclass
class Best:
    label: str
    runs: list[Run] = field(default_factory=list)
    decides: bool = True

    @property
    def best(self) -> Run:
        return max(self.runs, key=lambda r: r.rate)


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
