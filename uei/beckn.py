"""Beckn envelopes: ACK / NACK bodies, error codes and problem types, built in one place."""

from __future__ import annotations

from enum import StrEnum

import msgspec

__all__ = [
    "ABNORMAL_USAGE",
    "QUOTA_EXCEEDED",
    "Envelope",
    "ErrorCode",
    "ProblemEnvelope",
    "ack_body",
    "nack",
    "nack_body",
    "problem",
]


class ErrorCode(StrEnum):
    """Codes in the Beckn ranges: 30000s request/context, 40000s business, 50000s policy."""

    BAD_REQUEST = "30000"
    INVALID_SIGNATURE = "30016"
    FORBIDDEN = "30017"
    STALE_REQUEST = "30022"
    NOT_FOUND = "30004"
    UNPROCESSABLE = "30023"
    BUSINESS_RULE = "40000"
    CONFLICT = "40002"
    POLICY = "50000"
    RATE_LIMITED = "50001"
    ABNORMAL_USAGE = "50002"
    INTERNAL = "31001"


class _Error(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    path: str | None = None


class _Ack(msgspec.Struct):
    status: str


class _Message(msgspec.Struct):
    ack: _Ack


class Envelope(msgspec.Struct, omit_defaults=True):
    message: _Message
    error: _Error | None = None


_ACK = msgspec.json.encode(Envelope(_Message(_Ack("ACK"))))


def ack_body() -> bytes:
    """``{"message":{"ack":{"status":"ACK"}}}``"""
    return _ACK


def nack(code: str, message: str, path: str | None = None) -> Envelope:
    return Envelope(_Message(_Ack("NACK")), _Error(str(code), message, path))


def nack_body(code: str, message: str, path: str | None = None) -> bytes:
    """A NACK naming what failed and where (``path``, e.g. ``identifiers[2].value``)."""
    return msgspec.json.encode(nack(code, message, path))


QUOTA_EXCEEDED = "https://iana.org/assignments/http-problem-types#quota-exceeded"
"""Problem type (RFC 9457) of a refusal by quota (IETF httpapi ratelimit-headers draft)."""
ABNORMAL_USAGE = "https://iana.org/assignments/http-problem-types#abnormal-usage-detected"
"""Problem type of a refusal because the caller's usage looks abusive."""


class ProblemEnvelope(Envelope, kw_only=True, omit_defaults=True):
    """A NACK that is also an RFC 9457 problem: Beckn clients read ``error``, HTTP clients
    ``type`` and ``detail``."""

    type: str
    title: str
    status: int
    detail: str


def problem(
    problem_type: str, title: str, status: int, code: str, message: str, path: str | None = None
) -> ProblemEnvelope:
    return ProblemEnvelope(
        _Message(_Ack("NACK")),
        _Error(str(code), message, path),
        type=problem_type,
        title=title,
        status=status,
        detail=message,
    )
