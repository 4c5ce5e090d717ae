"""``python -m uei_testing.traffic``: writes the traffic as JSON lines and its truth."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import click
import msgspec

from uei_testing.traffic.generator import generate
from uei_testing.traffic.model import APPS, IST
from uei_testing.traffic.wire import truth_json


def _start(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        pass
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=IST)
    return parsed.timestamp()


@click.command()
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option("--hours", type=float, default=24.0, show_default=True, help="Hours of traffic.")
@click.option(
    "--start",
    default="2026-11-02T00:00:00+05:30",
    show_default=True,
    help="First instant: RFC 3339 (IST when no offset is given) or unix seconds.",
)
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiplies the honest apps' volumes and the sweep rates.",
)
@click.option("--sweepers", type=int, default=6, show_default=True, help="Lattice sweepers.")
@click.option("--pollers", type=int, default=6, show_default=True, help="Hotspot pollers.")
@click.option(
    "--low-and-slow", type=int, default=8, show_default=True, help="Scrapers under quota."
)
@click.option(
    "--hidden", type=int, default=3, show_default=True, help="Medium apps hiding a scraper."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Wire events as JSON lines (stdout when not given).",
)
@click.option(
    "--truth",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ground truth as JSON (default: OUT with the suffix .truth.json, if --out is given).",
)
def main(
    seed: int,
    hours: float,
    start: str,
    scale: float,
    sweepers: int,
    pollers: int,
    low_and_slow: int,
    hidden: int,
    out: Path | None,
    truth: Path | None,
) -> None:
    """Generate search traffic with ground truth: write the wire events (the items of
    POST /abuse/events) as JSON lines, the truth as JSON, and counts per label to stderr."""
    began = time.perf_counter()
    total = APPS + sweepers + pollers + low_and_slow + hidden
    with click.progressbar(length=total, label="generating", file=sys.stderr) as bar:
        traffic = generate(
            seed=seed,
            hours=hours,
            start=_start(start),
            scale=scale,
            sweepers=sweepers,
            pollers=pollers,
            low_and_slow=low_and_slow,
            hidden=hidden,
            progress=bar.update,
        )
    took = time.perf_counter() - began
    encoder = msgspec.json.Encoder()
    target = out.open("wb") if out is not None else sys.stdout.buffer
    try:
        with click.progressbar(traffic.events, label="writing", file=sys.stderr) as events:
            for event in events:
                target.write(encoder.encode(event) + b"\n")
    finally:
        if out is not None:
            target.close()
        else:
            target.flush()
    if truth is None and out is not None:
        truth = out.with_suffix(".truth.json")
    if truth is not None:
        truth.write_bytes(msgspec.json.format(encoder.encode(truth_json(traffic))))
    click.echo(f"generated {len(traffic.events)} events in {took:.1f} s", err=True)
    click.echo(
        f"{'label':<13}{'baps':>6}{'events':>9}{'search':>9}{'select':>8}{'init':>7}"
        f"{'confirm':>8}{'cancel':>7}{'scraping':>9}",
        err=True,
    )
    for label, row in traffic.counts().items():
        click.echo(
            f"{label:<13}{row['baps']:>6}{row['events']:>9}{row['search']:>9}{row['select']:>8}"
            f"{row['init']:>7}{row['confirm']:>8}{row['cancel']:>7}{row['scraping']:>9}",
            err=True,
        )
    if truth is not None:
        click.echo(f"truth: {truth}", err=True)
