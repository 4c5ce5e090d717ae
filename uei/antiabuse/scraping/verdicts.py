"""What a scoring pass concludes about a BAP, as stored and as shown to operators and the BAP.

Types only: the scoring pass (``scorer.py``) makes them, stores keep them, the check reads the
latest one.
"""

from __future__ import annotations

import msgspec

from uei.antiabuse.scraping.policy import ScrapingAction

__all__ = ["BapVerdict", "FeatureNote", "FeatureRow", "decode_row", "decode_verdict", "encode"]


class FeatureNote(msgspec.Struct, frozen=True):
    """One feature that made the score, against the network's typical range."""

    name: str
    value: float
    typical_low: float
    """The network's 5th percentile of this feature in the training windows."""
    typical_high: float
    """The 95th percentile."""
    signal: str = ""
    """A rule that fired on this feature, when one did."""


class FeatureRow(msgspec.Struct, frozen=True, array_like=True):
    """One BAP's features in one window: the forest is fitted on the network's recent rows."""

    bap_id: str
    window_end: float
    values: list[float]
    """In the order of ``features.FEATURES``."""


class BapVerdict(msgspec.Struct, frozen=True, kw_only=True):
    bap_id: str
    scored_at: float
    window_start: float
    window_end: float
    score: float
    """0 (typical of the network) .. 1 (scraping)."""
    actions: list[ScrapingAction] = msgspec.field(default_factory=list)
    """Applied to the BAP's checks until the next pass."""
    shadow_actions: list[ScrapingAction] = msgspec.field(default_factory=list)
    """Due by the score but in shadow mode: recorded, not applied."""
    throttle_scale: float = 1.0
    """The BAP's quotas are multiplied by this (``throttle``; 1 otherwise)."""
    searches: int = 0
    top: list[FeatureNote] = msgspec.field(default_factory=list)
    """The features that contributed most, strongest first."""
    features: dict[str, float] = msgspec.field(default_factory=dict)
    reasons: list[str] = msgspec.field(default_factory=list)
    """What was found, in words: the pattern, in how many searches, and whether they led to
    bookings; and any action withheld because the searches convert."""

    @property
    def strongest(self) -> ScrapingAction | None:
        return self.actions[-1] if self.actions else None


_encoder = msgspec.msgpack.Encoder()
_verdict_decoder = msgspec.msgpack.Decoder(BapVerdict)
_row_decoder = msgspec.msgpack.Decoder(FeatureRow)


def encode(value: BapVerdict | FeatureRow) -> bytes:
    return _encoder.encode(value)


def decode_verdict(data: bytes) -> BapVerdict:
    return _verdict_decoder.decode(data)


def decode_row(data: bytes) -> FeatureRow:
    return _row_decoder.decode(data)
