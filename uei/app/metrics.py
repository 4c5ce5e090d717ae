"""Prometheus metrics of the service's edge and of the work the app itself runs: requests,
scoring passes and policy reloads, defined once per process. Each domain defines its own
(``uei.registry.metrics``, ``uei.antiabuse.quotas.metrics``,
``uei.antiabuse.defaulters.metrics``); ``/metrics`` (``uei.app.observe``) serves them all,
summed over every worker when ``PROMETHEUS_MULTIPROC_DIR`` is set (``uei serve --workers N``
sets it).

Names follow Prometheus' conventions: counters end in ``_total``, durations are
``_duration_seconds`` histograms, and no ``_created`` series is exported.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import Counter, Histogram

from uei.antiabuse.defaulters.metrics import STATUS_VERDICTS
from uei.antiabuse.defaulters.policy import Verdict
from uei.antiabuse.defaulters.service import DecisionPath
from uei.antiabuse.quotas.metrics import QUOTA_DECISIONS
from uei.antiabuse.quotas.service import QuotaDecisionPath
from uei.antiabuse.scraping.policy import ScrapingAction
from uei.antiabuse.scraping.verdicts import BapVerdict
from uei.registry.metrics import CHALLENGES, COMMITS
from uei.registry.model import AttemptOutcome

__all__ = [
    "BAPS_SCORED",
    "LATENCY",
    "RELOADS",
    "REQUESTS",
    "SCORING_DURATION",
    "SCORING_PASSES",
    "SCRAPING_VERDICTS",
    "count_verdicts",
    "every_series",
    "timed_pass",
]

REQUESTS = Counter(
    "uei_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "uei_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
SCORING_PASSES = Counter(
    "uei_scoring_passes_total",
    "Scoring passes this process ran, by outcome: ok (verdicts stored) or failed",
    ["outcome"],
)
SCORING_DURATION = Histogram(
    "uei_scoring_pass_duration_seconds",
    "Time a scoring pass took (read the window's events, fit, score, store)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
BAPS_SCORED = Counter("uei_scoring_baps_scored_total", "BAPs given a verdict by a scoring pass")
SCRAPING_VERDICTS = Counter(
    "uei_scraping_verdicts_total",
    "Scraping verdicts stored, one per BAP per pass and action: mode enforced (applied to "
    "the BAP's checks) or shadow (due by the score, recorded only); action none: no action",
    ["action", "mode"],
)
RELOADS = Counter(
    "uei_policy_reloads_total",
    "Policy reloads (SIGHUP or the file changing), by outcome: ok or failed (the last good "
    "policy kept)",
    ["outcome"],
)


def count_verdicts(verdicts: Sequence[BapVerdict]) -> None:
    BAPS_SCORED.inc(len(verdicts))
    for v in verdicts:
        for action in v.actions:
            SCRAPING_VERDICTS.labels(action.value, "enforced").inc()
        for action in v.shadow_actions:
            SCRAPING_VERDICTS.labels(action.value, "shadow").inc()
        if not v.actions and not v.shadow_actions:
            SCRAPING_VERDICTS.labels("none", "enforced").inc()


async def timed_pass(run: Callable[[], Awaitable[list[BapVerdict]]]) -> list[BapVerdict]:
    """One scoring pass, measured: its duration, its outcome, the BAPs it scored and their
    verdicts by action. A failed pass raises as it did."""
    started = time.perf_counter()
    try:
        verdicts = await run()
    except Exception:
        SCORING_PASSES.labels("failed").inc()
        raise
    finally:
        SCORING_DURATION.observe(time.perf_counter() - started)
    SCORING_PASSES.labels("ok").inc()
    count_verdicts(verdicts)
    return verdicts


QUOTA_OUTCOMES = ("allowed", "refused", "shadow", "blocked", "duplicate")


def every_series() -> None:
    """Every labelled series that has a known set of labels, at 0: a dashboard or an alert
    reads a series before its first event (``rate()`` of a series that appears later misses
    its first increase), and in multiprocess mode a family without a sample is not shown."""
    for outcome in QUOTA_OUTCOMES:
        for path in QuotaDecisionPath:
            for kind in ("bap", "relay"):
                QUOTA_DECISIONS.labels(outcome, path.value, kind)
    for verdict in Verdict:
        for shadow in ("true", "false"):
            for decided in DecisionPath:
                STATUS_VERDICTS.labels(verdict.value, shadow, decided.value)
    for action in ScrapingAction:
        for mode in ("enforced", "shadow"):
            SCRAPING_VERDICTS.labels(action.value, mode)
    SCRAPING_VERDICTS.labels("none", "enforced")
    for attempt in AttemptOutcome:
        CHALLENGES.labels(attempt.value)
    for committed in ("saved", "retried", "refused"):
        COMMITS.labels(committed)
    for ran in ("ok", "failed"):
        SCORING_PASSES.labels(ran)
    for reloaded in ("ok", "failed"):
        RELOADS.labels(reloaded)
