"""The one domain error tree: what went wrong, never how HTTP says it.

Both domains raise these. ``uei/app/errors.py`` maps each class to its HTTP status, Beckn
NACK code and headers, in one table; ``path`` names the field at fault, when one is.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Conflict",
    "Forbidden",
    "Gone",
    "InvalidIdentifier",
    "InvalidRequest",
    "InvalidTransition",
    "NotFound",
    "QuotaState",
    "RateLimited",
    "UeiError",
    "Unavailable",
]


class UeiError(Exception):
    """Root of every refusal a domain decides: a message, and the field at fault if any."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class InvalidRequest(UeiError):
    """The request is malformed or breaks a rule of its own shape."""


class InvalidIdentifier(UeiError):
    """An identifier that does not normalise, naming its position, kind and why."""


class Forbidden(UeiError):
    """The caller may not do this."""


class NotFound(UeiError):
    """No such thing (or not one valid now)."""


class Gone(UeiError):
    """It existed and is revoked for good."""


class Conflict(UeiError):
    """The current state does not allow it."""


class InvalidTransition(Conflict):
    """The lifecycle (of a subscriber or a case) has no such transition from its state."""


@dataclass(frozen=True, slots=True)
class QuotaState:
    """Where a caller stands on the rule that refused it."""

    rule: str
    limit: int
    window_seconds: float
    remaining: int
    reset_seconds: float


class RateLimited(UeiError):
    """Over a quota: retry after ``retry_after`` seconds; ``quota`` names the rule, if any."""

    def __init__(self, message: str, retry_after: float, quota: QuotaState | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.quota = quota


class Unavailable(UeiError):
    """The store did not answer in time: nothing was decided, retry after ``retry_after``."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
