"""The generator's state: the seed, the span, the world, the sink, the BAPs done, and one
random stream per key."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np

from uei_testing.traffic.cities import _World
from uei_testing.traffic.model import GATEWAYS, BapTruth
from uei_testing.traffic.sink import _Sink


class _Base:
    def __init__(
        self,
        *,
        seed: int,
        start: float,
        end: float,
        scale: float,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.seed = seed
        self.start = start
        self.end = end
        self.scale = scale
        self.progress = progress
        self.world = _World(seed)
        self.sink = _Sink(start, end)
        self.baps: dict[str, BapTruth] = {}

    # -- randomness ----------------------------------------------------------------------

    def rngs(self, key: str) -> tuple[random.Random, np.random.Generator]:
        nkey = [self.seed, *(ord(c) for c in key)]
        return random.Random(f"{self.seed}:{key}"), np.random.default_rng(nkey)

    def via(self, rng: random.Random, gateway: str, share: float) -> str:
        if rng.random() < share:
            return gateway
        return GATEWAYS[1] if gateway == GATEWAYS[0] else GATEWAYS[0]

    def done(self, truth: BapTruth) -> None:
        self.baps[truth.bap_id] = truth
        if self.progress is not None:
            self.progress(1)
