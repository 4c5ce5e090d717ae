"""Times that callers send (event times, when a session ended, when identifiers were seen):
with a zone, and within reason of the service clock, or a 400 naming the field.

Bounds: at most ``MAX_AHEAD_SECONDS`` ahead (clock skew between the caller and us); at most
``MAX_EVENT_AGE_SECONDS`` back for scraping events; for reports and observations, the
policy's ``defaulters.case_expiry_days`` (itself at most three years), past which a case
would never count.
"""

from __future__ import annotations

from datetime import datetime

from uei.errors import InvalidRequest

__all__ = ["MAX_AHEAD_SECONDS", "MAX_EVENT_AGE_SECONDS", "checked", "timestamp"]

MAX_AHEAD_SECONDS = 300.0
"""How far ahead of the service clock a time may lie: 5 minutes of clock skew."""
MAX_EVENT_AGE_SECONDS = 7 * 86_400.0
"""How far back a scraping event may lie: the longest scoring window a policy may set, so an
older event could never be scored (a gateway may still upload a week of late logs)."""


def timestamp(value: datetime, field: str) -> float:
    """Unix seconds of an aware time; a naive one is refused."""
    if value.tzinfo is None:
        raise InvalidRequest("times must carry a zone, e.g. 2026-01-01T00:00:00Z", field)
    return value.timestamp()


def checked(at: float, field: str, *, now: float, max_age: float, too_old: str) -> float:
    """``at`` if it lies within ``max_age`` seconds before ``now`` and at most
    ``MAX_AHEAD_SECONDS`` after; else a 400 naming ``field``, saying ``too_old`` when it is
    older."""
    if at > now + MAX_AHEAD_SECONDS:
        raise InvalidRequest(
            f"{field} lies in the future (more than {MAX_AHEAD_SECONDS:g} s ahead of the "
            "service clock)",
            field,
        )
    if now - at >= max_age:
        raise InvalidRequest(f"{field} {too_old}", field)
    return at
