"""Latency percentiles (nearest rank)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def nearest_rank(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted, non-empty ``ordered`` by nearest rank."""
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """Nearest-rank percentiles, in milliseconds."""
    ordered = sorted(seconds)

    def at(q: float) -> float:
        return nearest_rank(ordered, q)

    return {
        "p50": at(0.50) * 1000,
        "p90": at(0.90) * 1000,
        "p99": at(0.99) * 1000,
        "max": ordered[-1] * 1000,
    }
