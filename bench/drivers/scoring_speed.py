"""How long one scoring pass takes over a network day, and how much memory it needs, as the
number of events kept grows (issue 14: "a network day of 100,000 events scored in under 10 s;
memory flat in the number of events kept").

    python -m bench.bench_scoring [--sizes 25000,50000,100000] [--rounds 2] [--per-bap N]

A network day of N events is made from the traffic families' BAPs (``uei_testing/families``,
days with seeds outside the evaluation's split): whole BAPs in a fixed shuffled order until N
events, the last one cut short. The events are recorded in a real SQLite anti-abuse store and
scored by the real ``Scorer`` with the shipped policy but a 24 h window, so the one pass reads
and scores every event of the day. A pass at the 20th hour runs first (its rows are the
forest's history, as in production); then the pass at the day's end is timed ``--rounds``
times (each on the same store: the best is reported, with the stages inside it: reading the
events, features, the forest and rules), and once more under ``tracemalloc`` for its peak
Python-and-numpy memory (the timed rounds run without it: tracing slows allocation).

The machine is shared: the figures are printed with ``os.getloadavg()`` before and after.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
import msgspec

from bench.progress import bar
from uei.antiabuse.scraping import scorer
from uei.antiabuse.scraping.events import Event
from uei.antiabuse.scraping.policy import ScrapingPolicy
from uei.antiabuse.scraping.scorer import Scorer
from uei.antiabuse.stores import open_abuse_stores
from uei.app.policy import load_policies
from uei_testing.families import FAMILIES
from uei_testing.traffic import DEFAULT_START

POLICIES = Path(__file__).resolve().parents[2] / "policies.yaml"
DAYS = (("metro", 951), ("sprawl", 951), ("corridor", 951), ("hills", 951), ("metro", 952))
"""The days whose BAPs make the network (seeds outside the evaluation's SPLIT and QUICK)."""
TARGET_SECONDS = 10.0
_STAGES = {"_describe": "features", "score_windows": "forest and rules"}
HOURS = 24.0


def network_day(size: int, per_bap: int | None = None) -> dict[str, list[Event]]:
    """``size`` events of whole BAPs from ``DAYS`` in a fixed shuffled order (the last cut),
    each BAP's first ``per_bap`` events only when given."""
    pool: list[tuple[str, list[Event]]] = []
    for family, seed in DAYS:
        world = FAMILIES[family](seed, DEFAULT_START, HOURS)
        pool += [(f"{bap}.{seed}", events) for bap, events in sorted(world.events.items())]
    random.Random(14).shuffle(pool)
    out: dict[str, list[Event]] = {}
    left = size
    for bap, events in pool:
        if left <= 0:
            break
        out[bap] = events[: min(left, per_bap or left)]
        left -= len(out[bap])
    if left > 0:
        raise click.UsageError(f"the families' days hold fewer than {size} events")
    return out


@dataclass
class Stages:
    seconds: dict[str, float]

    @contextmanager
    def timing(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began


def _timed(stages: Stages, name: str, fn: Callable[..., object]) -> Callable[..., object]:
    def run(*args: object, **kwargs: object) -> object:
        with stages.timing(name):
            return fn(*args, **kwargs)

    return run


@dataclass(frozen=True, slots=True)
class Measure:
    size: int
    baps: int
    seconds: float
    stages: dict[str, float]
    peak_mib: float
    largest: int
    """Events of the largest BAP: a pass holds one BAP's events at a time."""


async def measure(
    size: int, rounds: int, policy: ScrapingPolicy, per_bap: int | None = None
) -> Measure:
    day = network_day(size, per_bap)
    end = DEFAULT_START + HOURS * 3600.0
    with tempfile.TemporaryDirectory(prefix="uei-scoring-") as tmp:
        stores = await open_abuse_stores(f"sqlite:///{Path(tmp) / 'uei.db'}")
        try:
            for bap, events in day.items():
                await stores.events.record(
                    bap, [(f"m{i}", e) for i, e in enumerate(events)], 86_400.0 * 30
                )
            run = Scorer(stores.events, stores.verdicts, lambda: policy, lambda: end)
            # the retention prune after a pass would drop nothing of the window: it is 24 h
            await run.run(now=end - 4 * 3600.0)
            best: tuple[float, dict[str, float]] | None = None
            for _ in range(rounds):
                stages = Stages({})
                # the pass's two pure stages, timed where the scorer looks them up
                originals = {name: getattr(scorer, name) for name in _STAGES}
                for name, label in _STAGES.items():
                    setattr(scorer, name, _timed(stages, label, originals[name]))
                try:
                    began = time.perf_counter()
                    await run.run(now=end)
                    took = time.perf_counter() - began
                finally:
                    for name, fn in originals.items():
                        setattr(scorer, name, fn)
                stages.seconds["reading events, storing verdicts"] = took - sum(
                    stages.seconds.values()
                )
                if best is None or took < best[0]:
                    best = (took, stages.seconds)
            tracemalloc.start()
            try:
                await run.run(now=end)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        finally:
            await stores.close()
    assert best is not None
    largest = max(len(events) for events in day.values())
    return Measure(size, len(day), best[0], best[1], peak / 2**20, largest)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError as e:
        raise click.BadParameter(f"sizes must be integers: {e}") from e
    if not sizes or min(sizes) <= 0:
        raise click.BadParameter("sizes must be positive integers")
    return sizes


@click.command()
@click.option("--sizes", default="25000,50000,100000", show_default=True, help="Events kept.")
@click.option("--rounds", default=2, show_default=True, type=click.IntRange(1, 20))
@click.option(
    "--per-bap",
    type=click.IntRange(100, None),
    default=None,
    help="Keep each BAP's first N events only, so that larger days have more BAPs of the "
    "same size (memory should then stay flat).",
)
def main(sizes: str, rounds: int, per_bap: int | None) -> None:
    """Time one scoring pass over a network day of each size, and its peak memory."""
    chosen = _sizes(sizes)
    policy = msgspec.structs.replace(
        load_policies(POLICIES).scraping, window_seconds=HOURS * 3600.0
    )
    cut = f" --per-bap {per_bap}" if per_bap else ""
    click.echo(f"$ python -m bench.bench_scoring --sizes {sizes} --rounds {rounds}{cut}")
    load_before = os.getloadavg()
    results = []
    with bar(len(chosen), "network days", show_pos=True, width=30) as progress:
        for size in chosen:
            results.append(asyncio.run(measure(size, rounds, policy, per_bap)))
            progress.update(1)
    load_after = os.getloadavg()
    click.echo(
        f"One scoring pass over a {HOURS:.0f} h window holding every event of the day "
        f"(best of {rounds}; peak traced memory of one more pass)"
    )
    names = list(results[0].stages)
    head = "".join(f"{n:>34}" for n in names)
    click.echo(
        f"{'events':>8}{'BAPs':>6}{'largest':>9}{'pass s':>9}{head}{'peak MiB':>10}"
        f"{'KiB/event':>11}"
    )
    for m in results:
        cells = "".join(f"{m.stages.get(n, 0.0):>34.2f}" for n in names)
        click.echo(
            f"{m.size:>8}{m.baps:>6}{m.largest:>9}{m.seconds:>9.2f}{cells}{m.peak_mib:>10.1f}"
            f"{m.peak_mib * 1024 / m.size:>11.2f}"
        )
    click.echo(
        "A pass holds one BAP's events at a time (and every unit's feature row): its peak "
        "follows the largest BAP ('largest', its events), not the events kept."
    )
    top = max(results, key=lambda m: m.size)
    verdict = "met" if top.seconds < TARGET_SECONDS else "NOT MET"
    click.echo(
        f"{top.size} events scored in {top.seconds:.2f} s: under {TARGET_SECONDS:.0f} s {verdict}"
    )
    click.echo(
        "load average (1, 5, 15 min) before "
        + ", ".join(f"{v:.2f}" for v in load_before)
        + "; after "
        + ", ".join(f"{v:.2f}" for v in load_after)
        + f"; {os.cpu_count()} CPUs, shared with other sessions: timings are noisy"
    )
