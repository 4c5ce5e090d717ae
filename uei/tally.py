"""Per-request metrics, counted in this process and written to Prometheus in batches.

On the hot paths every request would otherwise pay a ``labels()`` lookup and, with several
workers (prometheus-client's multiprocess mode, ``uei serve --workers N``), a locked write to
a memory-mapped file for each counter and each histogram observation: about 3% of the key
path's CPU. ``count`` and ``observe`` add to a dict instead; ``flush`` writes what they
gathered. The app flushes a few times a second and before every ``/metrics`` answer, so this
process's own figures are always current and another worker's lag by at most the flush
period.
"""

from __future__ import annotations

import bisect
from typing import Any

from prometheus_client import Counter, Histogram

__all__ = ["FLUSH_SECONDS", "TALLY", "Tally"]

FLUSH_SECONDS = 0.25
"""How often the app writes what was counted (``uei/app/factory.py``)."""


class Tally:
    """Counts and observations by (metric, label values), until ``flush``."""

    def __init__(self) -> None:
        self._counts: dict[tuple[Counter, tuple[str, ...]], float] = {}
        self._observed: dict[tuple[Histogram, tuple[str, ...]], list[float]] = {}
        """Per series: the sum, then one count per bucket (the last is +Inf)."""

    def count(self, metric: Counter, labels: tuple[str, ...], amount: float = 1.0) -> None:
        key = (metric, labels)
        self._counts[key] = self._counts.get(key, 0.0) + amount

    def observe(self, metric: Histogram, labels: tuple[str, ...], amount: float) -> None:
        key = (metric, labels)
        bounds: list[float] = metric._upper_bounds
        gathered = self._observed.get(key)
        if gathered is None:
            gathered = self._observed[key] = [0.0] * (len(bounds) + 1)
        gathered[0] += amount
        gathered[1 + bisect.bisect_left(bounds, amount)] += 1  # as observe: amount <= bound

    def flush(self) -> None:
        """Write what was gathered to the metrics (and forget it)."""
        counts, self._counts = self._counts, {}
        observed, self._observed = self._observed, {}
        for (counter, labels), amount in counts.items():
            (counter.labels(*labels) if labels else counter).inc(amount)
        for (histogram, labels), gathered in observed.items():
            child: Any = histogram.labels(*labels) if labels else histogram
            # what Histogram.observe writes, once per bucket instead of once per observation
            child._sum.inc(gathered[0])
            for bucket, n in zip(child._buckets, gathered[1:], strict=True):
                if n:
                    bucket.inc(n)


TALLY = Tally()
"""This process's tally (as prometheus-client's metrics are this process's)."""
