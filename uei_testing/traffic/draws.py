"""Random draws the generator shares: weighted choices, log-uniform values, the IST hour and
a day's shape at it."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from uei_testing.traffic.model import _IST_OFFSET, HOUR


def _ist_hour(t: float) -> float:
    return ((t + _IST_OFFSET) % 86400.0) / HOUR


def _shape_at(shape: Sequence[float], hours: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Linear interpolation of an hourly shape (value at the start of each hour), cyclic."""
    values = np.asarray((*shape, shape[0]), dtype=np.float64)
    return np.interp(hours, np.arange(25, dtype=np.float64), values)


def _loguniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _choose(rng: random.Random, cum: npt.NDArray[np.float64]) -> int:
    """An index drawn from cumulative weights ``cum``."""
    i = int(np.searchsorted(cum, rng.random() * float(cum[-1]), side="right"))
    return min(i, len(cum) - 1)
