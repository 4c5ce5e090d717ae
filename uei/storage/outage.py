"""Saying that a store is down: one short line when an outage begins (a reminder at most once a
minute while it lasts) and one when the store answers again, never a line per request."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

__all__ = ["Outage"]


@dataclass
class Outage:
    """What one caller of a store has seen of its outages, on the caller's clock."""

    what: str
    """The store and what its failure means, e.g. ``"defaulters store"``."""
    log: logging.Logger
    remind_every: float = 60.0
    _since: float | None = field(default=None, init=False)
    _said: float = field(default=float("-inf"), init=False)
    _failures: int = field(default=0, init=False)

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException, now: float, consequence: str) -> None:
        self._failures += 1
        if self._since is None:
            self._since = now
        if now - self._said >= self.remind_every:
            self._said = now
            reason = str(exc) or "no answer in time"
            self.log.warning(
                "%s did not answer (%s: %s); %s",
                self.what,
                type(exc).__name__,
                reason[:200],
                consequence,
            )

    def answered(self, now: float) -> None:
        if self._since is None:
            return
        self.log.warning(
            "%s answers again after %.0f s (%d calls failed)",
            self.what,
            now - self._since,
            self._failures,
        )
        self._since, self._said, self._failures = None, float("-inf"), 0
