"""The scraping verdicts scored against the traffic's truth: ROC-AUC overall and per scraper
class, recall at 1% honest false positives and at each action band, the extreme samples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]

from bench.drivers.scraping_replay import Run, Sample
from bench.reports.figures import Figures as Lines
from bench.reports.ratios import fraction, ratio
from uei.antiabuse.scraping.policy import ScrapingAction
from uei_testing.traffic import (
    HOUR,
    IST,
    LABELS,
    Traffic,
    parse_at,
)

CLASSES = ("sweeper", "poller", "low_and_slow", "hidden")
"""The scraper labels of uei_testing/traffic/, in the order the tables show them."""
FALSE_POSITIVES = 0.01
"""The honest false-positive rate the recall targets are measured at."""
TARGET_AUC = 0.98
TARGET_RECALL = {"sweeper": 0.95, "poller": 0.95, "low_and_slow": 0.80}
"""docs/architecture.md, Numbers: recall at 1% false positives (no target for hidden scrapers)."""

TOP_FEATURES = 4

F64 = npt.NDArray[np.float64]


class Figures(Lines):
    MET = "met    "
    MISSED = "NOT MET"


def auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    if len(set(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(np.asarray(labels), np.asarray(scores, dtype=np.float64)))


def fmt(n: int, d: int) -> str:
    return fraction(n, d, 3)


def ist(traffic: Traffic, hour: int) -> str:
    """The pass's window end as an IST clock time."""
    end = traffic.start + (hour + 1) * HOUR
    return datetime.fromtimestamp(end, IST).strftime("%H:%M")


def described(sample: Sample) -> str:
    v = sample.verdict
    if v is None:
        return "(no verdict: too few searches in the window)"
    notes, who = v.top, ""
    if notes and notes[0].name == "user":  # the verdict rests on one user of the app
        who, notes = f"one user ({notes[0].value:g} searches): ", notes[1:]
    shown = who + ", ".join(n.name for n in notes[:TOP_FEATURES])
    signals = sorted({n.signal for n in notes[:TOP_FEATURES] if n.signal})
    if signals:
        shown += f"  [{'; '.join(signals)}]"
    return f"{v.searches:>6}  {shown}".rstrip()


def sample_rows(
    traffic: Traffic, samples: Sequence[Sample], out: Figures, *, head: bool = True
) -> None:
    if head:
        out.say(
            f"    {'bap':<28} {'style':<24} {'hour end':>9} {'score':>7} {'srch':>6}  top features"
        )
    for s in samples:
        hour = f"{s.hour:>2} {ist(traffic, s.hour)}"
        who = f"{s.bap.bap_id:<28} {s.bap.style[:24]:<24}"
        out.say(f"    {who} {hour:>9} {s.score:>7.4f} {described(s)}")


@dataclass(frozen=True, slots=True)
class Detection:
    """ROC-AUC and recall at <= 1% honest false positives over some samples."""

    auc: float
    threshold: float
    honest: int
    false_positives: int
    classes: dict[str, tuple[float, int, int, int]]
    """label -> (ROC-AUC against honest, caught above the threshold, samples, without verdict)."""


def detection(samples: Sequence[Sample]) -> Detection:
    honest: F64 = np.asarray([s.score for s in samples if not s.scraper], dtype=np.float64)
    threshold = float(np.quantile(honest, 1 - FALSE_POSITIVES)) if len(honest) else math.nan
    by_class = {c: [s for s in samples if s.bap.label == c] for c in LABELS}
    classes: dict[str, tuple[float, int, int, int]] = {}
    for label in LABELS:
        group = by_class[label]
        pool = group + by_class["honest"] if label != "honest" else group
        classes[label] = (
            auc([s.scraper for s in pool], [s.score for s in pool]),
            sum(1 for s in group if s.score > threshold),
            len(group),
            sum(1 for s in group if s.verdict is None),
        )
    return Detection(
        auc([s.scraper for s in samples], [s.score for s in samples]),
        threshold,
        len(honest),
        int((honest > threshold).sum()),
        classes,
    )


def scraping_hours(traffic: Traffic, window: float) -> set[tuple[str, int]]:
    """(BAP, hour) whose window holds at least one scraping search (a scraper's own, or the
    scraping user's inside a hidden app)."""
    found: set[tuple[str, int]] = set()
    hours = round((traffic.end - traffic.start) / HOUR)
    for event in traffic.events:
        if event["type"] == "search" and traffic.is_scraping(event):
            at = parse_at(event["at"])
            first = int((at - traffic.start) // HOUR)  # the pass ending after it
            last = int((at + window - traffic.start) // HOUR)  # the last window holding it
            for hour in range(first, min(last, hours - 1) + 1):
                found.add((event["bap_id"], hour))
    return found


def figures(traffic: Traffic, run: Run) -> Figures:
    out = Figures()
    policy, window_hours = run.policy, run.policy.window_seconds / HOUR
    scraping = scraping_hours(traffic, policy.window_seconds)
    warm = [s for s in run.samples if s.hour in run.warm]
    # A scraper's hour counts once it has scraped inside the window: before a daytime-only
    # scraper starts, or while a hidden app's scraping user is idle, there is nothing to see.
    counted = [s for s in warm if s.bap.label == "honest" or (s.bap.bap_id, s.hour) in scraping]
    idle = len(warm) - len(counted)
    found = detection(counted)
    first, last = min(run.warm, default=0), max(run.warm, default=0)
    out.say(
        f"Samples: {len(counted)} (BAP, hour) over hours {first}..{last} (passes ending "
        f"{ist(traffic, first)}..{ist(traffic, last)} IST); left out: "
        f"{len(run.samples) - len(warm)} warm-up samples of the first {first} hours (window "
        f"{window_hours:g} h not full), and {idle} hours of scrapers that had not scraped "
        "within the window"
    )
    out.say(f"  ROC-AUC, every scraper against honest: {found.auc:.4f}")
    out.say(
        f"  threshold at <= {FALSE_POSITIVES:.0%} honest false positives: score > "
        f"{found.threshold:.4f} (99th percentile of {found.honest} honest samples; "
        f"{fmt(found.false_positives, found.honest)} above it)"
    )
    out.say()
    out.say("Per class, against the honest samples (no verdict: too few searches, scored 0)")
    out.say(
        f"  {'class':<14}{'baps':>5}{'samples':>9}{'no verdict':>12}{'ROC-AUC':>9}"
        f"   recall @{FALSE_POSITIVES:.0%} FP"
    )
    by_class = {c: [s for s in counted if s.bap.label == c] for c in LABELS}
    for label in LABELS:
        a, caught, n, missing = found.classes[label]
        baps = len({s.bap.bap_id for s in by_class[label]})
        row = f"  {label:<14}{baps:>5}{n:>9}{missing:>12}"
        out.say(row if label == "honest" else f"{row}{a:>9.4f}   {fmt(caught, n)}")
    scored = detection([s for s in counted if s.verdict is not None])
    out.say(
        f"  counting only samples with a verdict: ROC-AUC {scored.auc:.4f}, threshold "
        f"{scored.threshold:.4f}, recall "
        + ", ".join(f"{c} {fmt(*scored.classes[c][1:3])}" for c in CLASSES)
    )
    out.say()
    out.say("At the policy's action bands (score >= band): recall per class, honest FP rate")
    head = "".join(f"{c:>20}" for c in CLASSES)
    out.say(f"  {'band':<24}{head}{'honest FP':>20}")
    for action in ScrapingAction:
        band = policy.actions.band(action)
        cells = ""
        for label in CLASSES:
            group = by_class[label]
            cells += f"{fmt(sum(1 for s in group if s.score >= band.at), len(group)):>20}"
        h = by_class["honest"]
        false = fmt(sum(1 for s in h if s.score >= band.at), len(h))
        name = f"{action.value} {band.at:g}{' (shadow)' if band.shadow else ''}"
        out.say(f"  {name:<24}{cells}{false:>20}")
    out.say()
    out.say("Honest samples scoring highest")
    top = sorted(by_class["honest"], key=lambda s: (-s.score, s.bap.bap_id, s.hour))[:5]
    sample_rows(traffic, top, out)
    for label in CLASSES:
        out.say(f"{label} samples scoring lowest")
        low = sorted(by_class[label], key=lambda s: (s.score, s.bap.bap_id, s.hour))
        sample_rows(traffic, low[:5], out)
        if any(s.verdict is None for s in low[:5]):
            without = sum(1 for s in low if s.verdict is None)
            out.say(f"  ({without} {label} samples had no verdict; the lowest with one:)")
            sample_rows(traffic, [s for s in low if s.verdict is not None][:5], out, head=False)
    out.say()
    out.say("Targets (docs/architecture.md, Numbers)")
    out.target(f"ROC-AUC >= {TARGET_AUC}", found.auc >= TARGET_AUC, f"{found.auc:.4f}")
    for label, target in TARGET_RECALL.items():
        _, caught, n, _ = found.classes[label]
        out.target(
            f"{label} recall at {FALSE_POSITIVES:.0%} FP >= {target}",
            n > 0 and ratio(caught, n) >= target,
            fmt(caught, n),
        )
    out.target("no request failed", not run.errors, str(sum(run.errors.values())))
    return out


# -- command line -------------------------------------------------------------------------------
