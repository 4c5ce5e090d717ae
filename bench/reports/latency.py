"""Latency percentiles (nearest rank)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """Nearest-rank percentiles, in milliseconds."""
    ordered = sorted(seconds)

    def at(q: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]

    return {
        "p50": at(0.50) * 1000,
        "p90": at(0.90) * 1000,
        "p99": at(0.99) * 1000,
        "max": ordered[-1] * 1000,
    }
