"""Replays a day of search traffic through the real app in process: every wire event uploaded
by the gateway in signed batches, one scoring pass per hour, every BAP's verdict read back as
an operator sees it."""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import msgspec

from bench.progress import bar
from bench.store import store_url_for
from uei.antiabuse.scraping.policy import ScrapingPolicy
from uei.antiabuse.scraping.scorer import Scorer
from uei.antiabuse.scraping.verdicts import BapVerdict
from uei.antiabuse.scraping.wire import MAX_EVENTS, BapReport
from uei.antiabuse.stores import AbuseStores
from uei.registry.model import ParticipantType
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running
from uei_testing.traffic import (
    GATEWAYS,
    HOUR,
    BapTruth,
    Traffic,
    parse_at,
)

SEARCH_LIMIT = 10_000_000
"""Per hour: quotas never get in the way (the replay uploads events, it does not check), nor
does the uploading gateway's own relay rule (one unit per event)."""

_reports = msgspec.json.Decoder(BapReport)


_COMPACT: dict[str, Any] = {"show_pos": True, "width": 30}
"""How the replay's bars show: position and ETA in 30 columns."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One BAP in one pass: its score as an operator reads it."""

    bap: BapTruth
    hour: int
    """The pass at the end of this hour of the traffic (0 is the first hour)."""
    score: float
    verdict: BapVerdict | None
    """This pass's verdict, or none (too few searches in the window: the score is 0)."""

    @property
    def scraper(self) -> bool:
        return self.bap.label != "honest"


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    """Every (BAP, hour), warm-up hours included."""
    warm: set[int] = field(default_factory=set)
    """Hours whose window was full: the ones the figures count."""
    errors: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    received: int = 0
    recorded: int = 0
    passes: int = 0
    verdicts: int = 0
    """Verdicts stored by the passes (every BAP with enough searches, every hour)."""
    reads: int = 0
    stale: list[tuple[BapTruth, int, BapVerdict]] = field(default_factory=list)
    """Reads whose latest verdict was an earlier pass's (too few searches now): still applied."""
    timings: dict[str, float] = field(default_factory=dict)
    policy: ScrapingPolicy = field(default_factory=ScrapingPolicy)
    """The scraping policy the app ran with (its window and action bands)."""


# -- the replay ---------------------------------------------------------------------------------


def policies_doc(window_hours: float) -> dict[str, Any]:
    """The ``quotas`` and ``scraping`` sections: the window asked for, a pass an hour, quotas
    far above the traffic."""
    rules = {a: {"limit": SEARCH_LIMIT, "window_seconds": HOUR} for a in ("search", "select")}
    rules |= {a: {"limit": SEARCH_LIMIT} for a in ("init", "confirm", "status", "cancel")}
    return {
        # the gateway uploads the whole log: its own relay rule must not get in the way either
        "quotas": {
            "tiers": {"default": rules},
            "relays": {"gateway": {"limit": SEARCH_LIMIT, "window_seconds": HOUR}},
        },
        "scraping": {"window_seconds": window_hours * HOUR, "score_every_seconds": HOUR},
    }


def batches(events: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(events), size):
        yield events[i : i + size]


async def upload(h: Harness, gateway: Participant, traffic: Traffic, run: Run) -> None:
    """Every event, in time order, in signed batches of ``MAX_EVENTS``; the clock at each batch's
    last event (the harness moves it one more second per request)."""
    encoder = msgspec.json.Encoder()
    total = math.ceil(len(traffic.events) / MAX_EVENTS)
    with bar(
        total, "uploading events", **_COMPACT, update_min_steps=max(1, total // 200)
    ) as progress:
        for batch in batches(traffic.events, MAX_EVENTS):
            last = parse_at(batch[-1]["at"])
            h.clock.now = max(h.clock.now, last)
            raw = encoder.encode({"events": batch})
            answer = await h.signed(
                "POST", "/abuse/events", gateway.keys, gateway.subscriber_id, raw
            )
            run.batches += 1
            if answer.status_code == 200:
                found = answer.json()
                run.received += int(found["received"])
                run.recorded += int(found["recorded"])
            else:
                run.errors[f"POST /abuse/events {answer.status_code}: {answer.text[:160]}"] += 1
            progress.update(1)


async def read_verdict(h: Harness, bap: str, via: str, store: AbuseStores) -> BapVerdict | None:
    if via == "store":
        return await store.verdicts.verdict(bap)
    answer = await h.as_operator("GET", f"/abuse/baps/{bap}")
    if answer.status_code != 200:
        raise click.ClickException(f"GET /abuse/baps/{bap}: {answer.status_code} {answer.text}")
    return _reports.decode(answer.content).verdict


async def score_day(h: Harness, traffic: Traffic, window: float, via: str, run: Run) -> None:
    """A pass at the end of every hour, then every BAP's verdict as the operator reads it."""
    store: AbuseStores = h.app.state.stores

    def policy() -> ScrapingPolicy:
        found: ScrapingPolicy = h.app.state.policy.current.scraping
        return found

    scorer = Scorer(store.events, store.verdicts, policy, h.clock)
    run.policy = policy()
    hours = math.ceil((traffic.end - traffic.start) / HOUR - 1e-9)
    scoring = reading = 0.0
    with bar(hours, "scoring hourly", **_COMPACT) as progress:
        for hour in range(hours):
            end = traffic.start + (hour + 1) * HOUR
            h.clock.now = end
            began = time.perf_counter()
            verdicts = await scorer.run(now=end)
            scoring += time.perf_counter() - began
            run.passes += 1
            run.verdicts += len(verdicts)
            if end - traffic.start >= window - 1e-6:
                run.warm.add(hour)
            began = time.perf_counter()
            for truth in traffic.baps.values():
                verdict = await read_verdict(h, truth.bap_id, via, store)
                run.reads += 1
                if verdict is not None and verdict.window_end != end:
                    # an earlier pass's verdict: checks keep applying it until it expires
                    if end - verdict.scored_at > run.policy.verdict_expiry_seconds:
                        verdict = None
                    else:
                        run.stale.append((truth, hour, verdict))
                score = verdict.score if verdict is not None else 0.0
                run.samples.append(Sample(truth, hour, score, verdict))
            reading += time.perf_counter() - began
            progress.update(1)
    run.timings["scoring passes"] = scoring
    run.timings[f"reading verdicts ({via})"] = reading


async def replay(
    traffic: Traffic, store: str, window_hours: float, via: str, timings: dict[str, float]
) -> Run:
    run = Run(timings=timings)
    began = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="uei-eval-") as tmp,
        store_url_for(store, Path(tmp)) as url,
    ):
        doc = policies_doc(window_hours)
        async with running(url, Path(tmp), quotas=doc["quotas"], scraping=doc["scraping"]) as h:
            # The app's logging setup reports every client request at INFO: not over the bar.
            logging.getLogger("httpx").setLevel(logging.WARNING)
            h.clock.now = traffic.start - 86_400.0  # keys valid from a day before the traffic
            gateway = Participant(GATEWAYS[0], type=ParticipantType.BG, url="https://bg/beckn")
            await h.enrol(gateway)
            for bap in traffic.baps:
                await h.enrol(Participant(bap, type=ParticipantType.BAP, url=f"https://{bap}/"))
            run.timings["starting the app, enrolling"] = time.perf_counter() - began
            began = time.perf_counter()
            await upload(h, gateway, traffic, run)
            run.timings["uploading events"] = time.perf_counter() - began
            await score_day(h, traffic, window_hours * HOUR, via, run)
    return run


# -- figures ------------------------------------------------------------------------------------
