"""Defaulter verdicts on the synthetic population, through the real service.

    python -m bench.eval_defaulters [--users 3000] [--seed 7] [--store sqlite|redis]
                                    [--policies policies.yaml] [population options]

Generates the population (bench/generators/population.py), starts the real app in-process (the
Litestar app over ``httpx.ASGITransport``, its lifespan, the real store: SQLite in a temporary
directory, or a real redis-server with ``--store redis``), enrols the CPOs as SUBSCRIBED BPPs
granted the non-payer API (``defaulters``) and replays every event in time order with real Beckn
signatures: registrations and sessions (``/abuse/observations``), unpaid sessions
(``/abuse/defaulters/report``), payments (``.../settle``) and the status query before every
post-paid session (``/abuse/status``). The app's clock is the simulation's: it jumps to each event's
time (and moves at least one second per request, so no two signatures are alike), which plays months
of history in minutes: notice periods, recycled numbers, expired cases.

Prints precision and recall of ``block`` and of ``block or prepaid_only`` against the ground
truth (does the person asking have a case that counts now?), recall for defaulters who reuse a
strong identifier (a family whose policy strength reaches the block threshold), recall per kept
identifier, false positives per segment (recycled numbers' new owners, families, fleet
drivers, settled debts) and the blocks resting only on a phone number. Exits 1 when a target
of docs/architecture.md, Numbers is missed.

Driving an already running ``uei serve`` is not supported: months of history need the
service's clock, which only an in-process app lets us move.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import click

from bench.drivers.defaulters_replay import replay
from bench.generators.population import (
    Config,
    config_argv,
    config_from,
    generate,
    population_options,
)
from bench.reports.defaulters import figures
from bench.store import store_option
from uei.antiabuse.defaulters.policy import DefaultersPolicy
from uei.app.policy import load_policies


def command_line(config: Config, store: str, policies: Path | None) -> str:
    args = ["python", "-m", "bench.eval_defaulters", "--users", str(config.users)]
    args += ["--seed", str(config.seed)]
    rest = config_argv(config)
    for name in ("--users", "--seed"):
        if name in rest:
            i = rest.index(name)
            del rest[i : i + 2]
    args += [*rest, "--store", store]
    if policies is not None:
        args += ["--policies", str(policies)]
    return shlex.join(args)


@click.command()
@population_options
@store_option
@click.option(
    "--policies",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A policies.yaml for the service (default: every default).",
)
def main(store: str, policies: Path | None, **options: Any) -> None:
    """Replay the synthetic population through the real service and score its verdicts."""
    config = config_from(options)
    policy = load_policies(policies).defaulters if policies is not None else DefaultersPolicy()
    click.echo(f"$ {command_line(config, store, policies)}")
    began = time.perf_counter()
    population = generate(config, policy)
    generated = time.perf_counter() - began
    kinds = Counter(type(e).__name__ for e in population.events)
    click.echo(
        f"population: {len(population.persons)} people "
        f"({sum(1 for p in population.persons if p.defaulter)} defaulters), "
        f"{len(population.events)} events {dict(sorted(kinds.items()))}, "
        f"generated in {generated:.1f} s"
    )
    click.echo("  " + ", ".join(f"{k} {n}" for k, n in population.counts().items()))
    result = asyncio.run(replay(population, store, policies, f"replay ({store})"))
    click.echo(
        f"replay: {result.requests} signed requests in {result.seconds:.1f} s "
        f"({result.requests / max(result.seconds, 1e-9):.0f}/s) on {store}; "
        f"{len(result.answers)} status answers; the clock ran ahead of an event by at most "
        f"{result.max_drift:.0f} s (truth taken at the clock's time)"
    )
    for error, n in result.errors.most_common(10):
        click.echo(f"  error x{n}: {error}")
    out = figures(population, result, policy)
    click.echo()
    click.echo("\n".join(out.lines))
    if out.failed:
        sys.exit(1)
