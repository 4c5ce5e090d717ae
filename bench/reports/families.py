"""The families evaluation's tables and plot: per family and split, ROC-AUC, recall per
scraper class at <= 1 honest BAP flagged per network day, honest BAPs given each action, and
scraper BAPs given coarsen or more."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve  # type: ignore[import-untyped]

from bench.drivers.eval_families import HELD_OUT, TUNING, Results, Sample, samples_of
from uei.antiabuse.scraping.policy import ScrapingAction
from uei_testing.families import SCRAPER_CLASSES

TARGET_AUC = 0.98
TARGET_RECALL = 0.90
ACTIONS = (ScrapingAction.COARSEN, ScrapingAction.THROTTLE, ScrapingAction.BLOCK)


def auc(samples: Sequence[Sample]) -> float:
    labels = [s.scraper for s in samples]
    if len(set(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, [s.score for s in samples]))


def thresholds(samples: Sequence[Sample]) -> dict[tuple[str, int], float]:
    """Per network day (family, seed): the second-highest honest BAP's best score, so that
    at most one honest BAP is strictly above it."""
    best: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for s in samples:
        if not s.scraper:
            day = best[(s.family, s.seed)]
            day[s.truth.bap_id] = max(day.get(s.truth.bap_id, 0.0), s.score)
    out = {}
    for key, scores in best.items():
        ranked = sorted(scores.values(), reverse=True)
        out[key] = ranked[1] if len(ranked) > 1 else 0.0
    return out


def recall(samples: Sequence[Sample]) -> dict[str, tuple[int, int]]:
    """Per scraper class: (caught, samples) at <= 1 honest BAP flagged per day."""
    limit = thresholds(samples)
    out: dict[str, tuple[int, int]] = {}
    for s in samples:
        if s.scraper:
            caught, n = out.get(s.truth.label, (0, 0))
            hit = s.score > limit.get((s.family, s.seed), 0.0)
            out[s.truth.label] = (caught + hit, n + 1)
    return out


def honest_given(samples: Sequence[Sample]) -> dict[ScrapingAction, set[tuple[int, str]]]:
    out: dict[ScrapingAction, set[tuple[int, str]]] = {a: set() for a in ScrapingAction}
    for s in samples:
        if not s.scraper:
            for a in s.due:
                out[a].add((s.seed, s.truth.bap_id))
    return out


def scrapers_acted_on(samples: Sequence[Sample]) -> tuple[int, int]:
    """(scraper BAPs given coarsen, throttle or block in a window where they scraped, all
    scraper BAPs), a BAP counted once per seed: how far the actions reach the scrapers, the
    other side of the honest BAPs given them."""
    scrapers = {(s.seed, s.truth.bap_id) for s in samples if s.scraper}
    acted = {
        (s.seed, s.truth.bap_id) for s in samples if s.scraper and any(a in ACTIONS for a in s.due)
    }
    return len(acted), len(scrapers)


def _fmt(x: float) -> str:
    return "  n/a" if math.isnan(x) else f"{x:.3f}"


def table(results: Results, split: dict[str, dict[str, tuple[int, ...]]]) -> list[str]:
    lines = ["", "Worlds (split, family, seed: BAPs, events)"]
    for name, family, seed, baps, events in results.worlds:
        lines.append(f"  {name:<9}{family:<10}{seed:>5}: {baps:>3} BAPs {events:>8} events")
    classes = [c for c in SCRAPER_CLASSES if any(s.truth.label == c for s in results.samples)]
    short = {
        c: c.replace("booking_scraper", "booking").replace("low_and_slow", "slow") for c in classes
    }
    for name in (TUNING, HELD_OUT):
        families = split.get(name, {})
        if not any(s.split == name for s in results.samples):
            continue
        lines += [
            "",
            f"{name.upper()} ({', '.join(f'{f} seeds {list(v)}' for f, v in families.items())})",
        ]
        head = f"  {'family':<10}{'ROC-AUC':>8}  " + "".join(f"{short[c]:>13}" for c in classes)
        head += "   honest BAPs: flag coarsen throttle block / all   scrapers coarsened+ / all"
        lines.append(head)
        for family in families:
            mine = samples_of(results, name, family)
            if not mine:
                continue
            r = recall(mine)
            cells = ""
            for c in classes:
                caught, n = r.get(c, (0, 0))
                cells += f"{'-':>13}" if n == 0 else f"{f'{caught / n:.2f} ({n})':>13}"
            given = honest_given(mine)
            honest = {(s.seed, s.truth.bap_id) for s in mine if not s.scraper}
            acts = " ".join(f"{len(given[a]):>4}" for a in ScrapingAction)
            acted, scrapers = scrapers_acted_on(mine)
            lines.append(
                f"  {family:<10}{_fmt(auc(mine)):>8}  {cells}   {acts} / {len(honest):<3}"
                f"{acted:>17} / {scrapers}"
            )
        mine = [s for s in results.samples if s.split == name]
        verdict = []
        per_family = [auc(samples_of(results, name, f)) for f in families]
        verdict.append(
            "ROC-AUC >= 0.98 per family: "
            + (
                "met"
                if all(a >= TARGET_AUC for a in per_family if not math.isnan(a))
                else "NOT MET"
            )
        )
        worst = min(
            (
                c / n
                for fam in families
                for c, n in recall(samples_of(results, name, fam)).values()
                if n
            ),
            default=float("nan"),
        )
        verdict.append(
            "recall >= 0.90 per class and family: "
            f"{'met' if worst >= TARGET_RECALL else 'NOT MET'} (worst {worst:.2f})"
        )
        given = honest_given(mine)
        hit = sum(len(given[a]) for a in ACTIONS)
        verdict.append(
            f"zero honest BAPs coarsened/throttled/blocked: {'met' if hit == 0 else 'NOT MET'}"
        )
        lines += [f"  {v}" for v in verdict]
        lines.append("  honest BAPs given an action (seed, BAP, action, best score):")
        for a in ScrapingAction:
            for seed, bap in sorted(given[a]):
                best = max(s.score for s in mine if s.truth.bap_id == bap and s.seed == seed)
                style = next(s.truth.style for s in mine if s.truth.bap_id == bap)
                lines.append(f"    {seed:>4} {bap:<30} {a.value:<9} {best:.3f}  {style}")
        lines.append(
            "  highest-scoring honest samples (family, seed, BAP, hour, score, style, reasons):"
        )
        for s in sorted((s for s in mine if not s.scraper), key=lambda s: -s.score)[:4]:
            lines.append(
                f"    {s.family:<9}{s.seed:>4} {s.truth.bap_id:<28}{s.hour:>5.0f}h "
                f"{s.score:.3f}  {s.truth.style}; {', '.join(s.reasons) or '-'}"
            )
        lines.append("  lowest-scoring scraper samples per class (seed, BAP, hour, score, style):")
        for c in classes:
            theirs = sorted((s for s in mine if s.truth.label == c), key=lambda s: s.score)[:2]
            for s in theirs:
                lines.append(
                    f"    {c:<16}{s.seed:>4} {s.truth.bap_id:<28}{s.hour:>5.0f}h "
                    f"{s.score:.3f}  {s.truth.style}"
                )
    return lines


def draw(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    bins = np.linspace(0, 1, 41)
    labels = ["honest", *SCRAPER_CLASSES]
    for label in labels:
        scores = [s.score for s in results.samples if s.truth.label == label]
        if scores:
            left.hist(
                scores, bins=bins, histtype="step", density=True, label=f"{label} ({len(scores)})"
            )
    left.set_xlabel("score")
    left.set_ylabel("density")
    left.set_title("Score per class (all families, seeds, passes)")
    left.legend(fontsize=8)
    for name, style in ((TUNING, "-"), (HELD_OUT, "--")):
        for family in sorted({s.family for s in results.samples if s.split == name}):
            mine = samples_of(results, name, family)
            y = [s.scraper for s in mine]
            if len(set(y)) < 2:
                continue
            fpr, tpr, _ = roc_curve(y, [s.score for s in mine])
            right.plot(fpr, tpr, style, label=f"{family} ({name}) AUC {auc(mine):.3f}")
    right.plot([0, 1], [0, 1], ":", color="grey")
    right.set_xlabel("honest samples above threshold")
    right.set_ylabel("scraper samples above threshold")
    right.set_title("ROC per family")
    right.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
