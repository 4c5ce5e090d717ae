"""The ``scraping`` section of ``policies.yaml`` and the pure rules over it: how often and over
which window BAPs are scored, and which actions a score calls for.

Types and pure functions only; ``uei/app/policy.py`` composes the sections and loads the file
strictly.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

from uei.options import Options, Unit

__all__ = ["ActionBand", "Actions", "ScrapingAction", "ScrapingPolicy", "ThrottleBand"]


class ScrapingAction(StrEnum):
    """Ordered from the mildest."""

    FLAG = "flag"
    COARSEN = "coarsen"
    THROTTLE = "throttle"
    BLOCK = "block"


class ActionBand(Options, frozen=True):
    at: Unit
    """The action applies from this anomaly score (0..1) up."""
    shadow: bool = False
    """Record that it would apply, but do not apply it."""


class ThrottleBand(ActionBand, frozen=True):
    scale: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.25
    """The BAP's quotas are multiplied by this."""


class Actions(Options, frozen=True):
    """The shipped bands follow the families evaluation (``python -m bench.eval_families``): an
    action applies only if, on every family and seed, no honest BAP received it; otherwise it
    ships in shadow. On the last runs honest BAPs were flagged, and some coarsened, throttled
    and blocked (own-site consoles in ``plateau``, ``valley``, ``port``, ``desert``, ``lakes``,
    ``plains`` and ``steel``; head units without transaction ids in ``hills``, ``lakes`` and
    ``plains``; ``steel``'s tippers): every action ships in shadow
    (docs/scraping-families.md)."""

    flag: ActionBand = ActionBand(at=0.6, shadow=True)
    """Shown to operators; nothing changes for the BAP."""
    coarsen: ActionBand = ActionBand(at=0.75, shadow=True)
    """Quota answers tell the BG/BPP to blur availability for this BAP."""
    throttle: ThrottleBand = ThrottleBand(at=0.85, shadow=True)
    block: ActionBand = ActionBand(at=0.95, shadow=True)
    """Every check for the BAP is denied (``abnormal-usage-detected``)."""

    def due(self, score: float) -> list[tuple[ScrapingAction, bool]]:
        """(action, shadow) for every action whose band ``score`` reaches, mildest first."""
        return [
            (action, band.shadow)
            for action in ScrapingAction
            if score >= (band := self.band(action)).at
        ]

    def band(self, action: ScrapingAction) -> ActionBand:
        bands: dict[ScrapingAction, ActionBand] = {
            ScrapingAction.FLAG: self.flag,
            ScrapingAction.COARSEN: self.coarsen,
            ScrapingAction.THROTTLE: self.throttle,
            ScrapingAction.BLOCK: self.block,
        }
        return bands[action]


class ScrapingPolicy(Options, frozen=True):
    window_seconds: Annotated[float, msgspec.Meta(ge=300, le=7 * 86_400)] = 21_600.0
    """Each scoring pass describes every BAP by its events in the last window (6 hours: a
    low-and-slow scraper needs a few hours to show its pattern)."""
    score_every_seconds: Annotated[float, msgspec.Meta(ge=0)] = 300.0
    """How often the service scores (0: only `uei abuse score`)."""
    min_searches: Annotated[int, msgspec.Meta(ge=1)] = 10
    """A BAP with fewer searches in the window is not scored (too little to say anything)."""
    training_windows: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 48
    """The forest is fitted on the network's windows from this many recent passes."""
    max_training_rows: Annotated[int, msgspec.Meta(ge=100, le=1_000_000)] = 20_000
    seed: int = 7
    """The forest's random seed: the same events always give the same scores."""
    history: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 48
    """Verdicts kept per BAP."""
    verdict_cache_seconds: Annotated[float, msgspec.Meta(ge=0, le=60)] = 10.0
    """How long a replica reuses a BAP's verdict before reading it again."""
    verdict_expiry_seconds: Annotated[float, msgspec.Meta(gt=0)] = 86_400.0
    """A verdict older than this is ignored (a BAP that went quiet is not judged on old
    behaviour when it comes back)."""
    honest_select_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.03
    """A BAP is never coarsened, throttled or blocked (at most flagged), whatever its rhythm,
    unless its searches, or a sub-population of them whose bookings are known, are shown to
    convert below this rate: so few selects in so many searches would happen at most one
    time in ten at this rate (a depot booking 4 of 180 searches is not shown to; a sweep
    booking 5 of 500, or none of 80, is)."""
    reviewed: dict[
        Annotated[str, msgspec.Meta(min_length=1, max_length=255)],
        Annotated[str, msgspec.Meta(min_length=1, max_length=300)],
    ] = msgspec.field(default_factory=dict)
    """BAPs the network operator reviewed and found not to scrape, each with the finding (a
    fleet's or a CPO's console polling its own chargers looks in the events like a rival's
    poll): at most flagged, the finding in the verdict's reasons."""
    actions: Actions = Actions()

    @property
    def retention_seconds(self) -> float:
        """Raw events are kept for one window and one pass more."""
        return self.window_seconds + max(self.score_every_seconds, 300.0)
