"""The anti-abuse refusals, each one HTTP status and Beckn NACK code (see ``uei.trust.Refusal``)."""

from __future__ import annotations

import math

from uei.trust import QUOTA_EXCEEDED, ErrorCode, Refusal

__all__ = [
    "AbuseError",
    "Conflict",
    "Forbidden",
    "InvalidIdentifier",
    "InvalidRequest",
    "InvalidTransition",
    "NotFound",
    "RateLimited",
    "StoreDown",
]


class AbuseError(Refusal):
    """Root of the anti-abuse refusals."""


class InvalidRequest(AbuseError):
    status, code = 400, ErrorCode.BAD_REQUEST


class InvalidIdentifier(AbuseError):
    """An identifier that does not normalise: 422, naming its position, kind and why."""

    status, code = 422, ErrorCode.UNPROCESSABLE


class Forbidden(AbuseError):
    status, code = 403, "30017"


class NotFound(AbuseError):
    status, code = 404, ErrorCode.NOT_FOUND


class Conflict(AbuseError):
    status, code = 409, ErrorCode.CONFLICT


class InvalidTransition(Conflict):
    """The case cannot take this action in its current status."""


class RateLimited(AbuseError):
    status, code = 429, ErrorCode.RATE_LIMITED
    problem = (QUOTA_EXCEEDED, "Quota exceeded")

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}


class StoreDown(AbuseError):
    """The store did not answer in time: nothing was decided, retry later (a report or an
    action retried is safe: reports are idempotent, actions are re-decided on the case)."""

    status, code = 503, ErrorCode.INTERNAL

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}
