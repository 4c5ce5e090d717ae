"""GCRA (the generic cell rate algorithm): one stored number per key, the theoretical arrival
time (TAT). Pure; stores apply it atomically (SQLite in a transaction, Redis in Lua).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["QuotaAnswer", "gcra"]


@dataclass(frozen=True, slots=True)
class QuotaAnswer:
    allowed: bool
    remaining: int
    """Requests of cost 1 still allowed right now."""
    retry_after: float
    """Seconds until this request would be allowed (0 when it was)."""
    reset_after: float
    """Seconds until the bucket is full again."""


def gcra(
    tat: float | None, now: float, interval: float, burst: int, cost: int = 1
) -> tuple[QuotaAnswer, float]:
    """(the answer, the TAT to store). ``interval``: seconds per unit of cost at the sustained
    rate; ``burst``: units allowed at once. A refusal stores the TAT unchanged."""
    base = max(tat if tat is not None else now, now)
    new_tat = base + cost * interval
    allow_at = base + (cost - burst) * interval  # not new_tat - burst * interval: rounding
    if now < allow_at:
        remaining = max(0, math.floor((now - (base - burst * interval)) / interval))
        return QuotaAnswer(False, remaining, allow_at - now, base - now), base
    remaining = max(0, math.floor((now - allow_at) / interval))
    return QuotaAnswer(True, remaining, 0.0, new_tat - now), new_tat
