"""The whole day: every app and scraper planned and run, deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Callable

from uei_testing.traffic.model import DEFAULT_START, HOUR, BapTruth, Traffic
from uei_testing.traffic.scrapers import _Scrapers

_PREFIXES = (
    "volt", "amp", "plug", "charge", "ev", "watt", "spark", "zap", "grid", "ion",
    "tork", "elec", "juice", "kilo", "bolt", "power", "green", "ohm", "current", "e",
)  # fmt: skip
_SUFFIXES = (
    "go", "hub", "way", "mate", "now", "map", "ride", "point", "dock", "nest",
    "path", "line", "bay", "spot", "ly", "ify", "kart", "sathi", "yatra", "zone",
)  # fmt: skip


class _Generator(_Scrapers):
    # -- all of it -------------------------------------------------------------------------

    def run(self, sweepers: int, pollers: int, low_and_slow: int, hidden: int) -> Traffic:
        rng = random.Random(f"{self.seed}:names")
        roles: list[tuple[str, str, str]] = []  # (label, size, style)
        roles += [("honest", "large", "commuter")] * 3
        roles += [("honest", "medium", "commuter")] * 7 + [("honest", "medium", "map")]
        roles += [("honest", "small", "commuter")] * 17
        roles += [("honest", "small", "fleet")] * 2 + [("honest", "small", "telematics")]
        roles += [("sweeper", "scraper", "")] * sweepers
        roles += [("poller", "scraper", "")] * pollers
        roles += [("low_and_slow", "scraper", "")] * low_and_slow
        roles += [("hidden", "medium", "commuter")] * hidden
        names = [p + s for p in _PREFIXES for s in _SUFFIXES]
        picked = rng.sample(names, min(len(names), len(roles)))
        picked += [f"app{i}" for i in range(len(roles) - len(picked))]
        counters: dict[str, int] = {}
        for (label, size, style), name in zip(roles, picked, strict=True):
            n = counters[f"{label}/{size}/{style}"] = counters.get(f"{label}/{size}/{style}", 0) + 1
            key = f"{size}:{style}:{n}"
            bap = f"{name}.example.in"
            if label == "honest":
                self.app(self.plan_app(bap, size, style, key), key)
                self.done(BapTruth(bap, "honest", size, frozenset(), style))
            elif label == "sweeper":
                self.sweeper(bap, str(n))
            elif label == "poller":
                self.poller(bap, str(n))
            elif label == "low_and_slow":
                self.low_and_slow(bap, str(n))
            else:
                self.hidden(bap, str(n))
        baps = dict(sorted(self.baps.items()))
        return Traffic(self.start, self.end, baps, self.sink.sorted())


def generate(
    *,
    seed: int = 7,
    hours: float = 24.0,
    start: float = DEFAULT_START,
    scale: float = 1.0,
    sweepers: int = 6,
    pollers: int = 6,
    low_and_slow: int = 8,
    hidden: int = 3,
    progress: Callable[[int], None] | None = None,
) -> Traffic:
    """``hours`` of traffic from ``start`` (unix seconds) with its ground truth, deterministic
    for a seed. ``progress`` is called with 1 each time a BAP is done (there are 31 apps plus
    the scrapers)."""
    if hours <= 0 or scale <= 0:
        raise ValueError("hours and scale must be positive")
    generator = _Generator(
        seed=seed, start=start, end=start + hours * HOUR, scale=scale, progress=progress
    )
    return generator.run(sweepers, pollers, low_and_slow, hidden)
