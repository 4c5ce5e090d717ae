"""One table, error -> HTTP, and the exception handlers that use it: every error leaves the
service as a Beckn NACK, never a traceback.

Domain errors (``uei.errors``) and refused signatures (``uei.trust.SignatureError``) carry no
HTTP status; ``TABLE`` gives each its status, NACK code, problem type and headers.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from uei.beckn import QUOTA_EXCEEDED, ErrorCode, nack_body, problem
from uei.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidIdentifier,
    InvalidRequest,
    NotFound,
    QuotaState,
    RateLimited,
    UeiError,
    Unavailable,
)
from uei.trust import GATEWAY_HEADER, SIGNED_HEADERS, Expired, NotYetValid, SignatureError

__all__ = ["TABLE", "Answer", "Mapping", "answer", "exception_handlers"]

log = logging.getLogger("uei.http")

REALM = "uei"


def _no_headers(_: Exception) -> dict[str, str]:
    return {}


def _retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def _ratelimit(quota: QuotaState) -> dict[str, str]:
    """IETF httpapi ratelimit-headers: the rule as applied, and where the caller stands."""
    name = '"' + quota.rule.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return {
        "RateLimit-Policy": f"{name};q={quota.limit};w={math.ceil(quota.window_seconds)}",
        "RateLimit": f"{name};r={quota.remaining};t={math.ceil(quota.reset_seconds)}",
    }


def _rate_limited(exc: Exception) -> dict[str, str]:
    assert isinstance(exc, RateLimited)
    headers = _ratelimit(exc.quota) if exc.quota is not None else {}
    return headers | {"Retry-After": _retry_after(exc.retry_after)}


def _unavailable(exc: Exception) -> dict[str, str]:
    assert isinstance(exc, Unavailable)
    return {"Retry-After": _retry_after(exc.retry_after)}


def _challenge(exc: Exception) -> dict[str, str]:
    """``WWW-Authenticate`` for ``Authorization``, ``Proxy-Authenticate`` for the gateway
    header."""
    assert isinstance(exc, SignatureError)
    gateway = exc.header_name.lower() == GATEWAY_HEADER.lower()
    challenge = f'Signature realm="{REALM}",headers="{SIGNED_HEADERS}"'
    return {"Proxy-Authenticate" if gateway else "WWW-Authenticate": challenge}


@dataclass(frozen=True, slots=True)
class Mapping:
    status: int
    code: ErrorCode
    headers: Callable[[Exception], dict[str, str]] = _no_headers
    problem: tuple[str, str] | None = None
    """(problem type, title) when the answer is also an RFC 9457 problem."""


TABLE: dict[type[Exception], Mapping] = {
    UeiError: Mapping(400, ErrorCode.BAD_REQUEST),
    InvalidRequest: Mapping(400, ErrorCode.BAD_REQUEST),
    InvalidIdentifier: Mapping(422, ErrorCode.UNPROCESSABLE),
    Forbidden: Mapping(403, ErrorCode.FORBIDDEN),
    NotFound: Mapping(404, ErrorCode.NOT_FOUND),
    Gone: Mapping(410, ErrorCode.NOT_FOUND),
    Conflict: Mapping(409, ErrorCode.CONFLICT),  # and InvalidTransition
    RateLimited: Mapping(
        429, ErrorCode.RATE_LIMITED, _rate_limited, (QUOTA_EXCEEDED, "Quota exceeded")
    ),
    Unavailable: Mapping(503, ErrorCode.INTERNAL, _unavailable),
    SignatureError: Mapping(401, ErrorCode.INVALID_SIGNATURE, _challenge),
    Expired: Mapping(401, ErrorCode.STALE_REQUEST, _challenge),
    NotYetValid: Mapping(401, ErrorCode.STALE_REQUEST, _challenge),
}
"""Each error class -> its answer; a subclass not listed takes its nearest listed base's."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    media_type: str = MediaType.JSON
    headers: dict[str, str] = field(default_factory=dict)


def answer(exc: UeiError | SignatureError) -> Answer:
    """The answer to a domain error or a refused signature, from ``TABLE``."""
    mapping = next(TABLE[c] for c in type(exc).__mro__ if c in TABLE)
    path: str | None
    if isinstance(exc, SignatureError):
        message, path = str(exc), exc.header_name
    else:
        message, path = exc.message, exc.path
    headers = mapping.headers(exc)
    if mapping.problem is None:
        return Answer(mapping.status, nack_body(mapping.code, message, path), headers=headers)
    kind, title = mapping.problem
    envelope = problem(kind, title, mapping.status, mapping.code, message, path)
    return Answer(
        mapping.status, msgspec.json.encode(envelope), "application/problem+json", headers
    )


_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`(?: - at `\$\.([^`]+)`)?")
_CODES = {400: ErrorCode.BAD_REQUEST, 404: ErrorCode.NOT_FOUND, 422: ErrorCode.UNPROCESSABLE}


def _nack(status: int, code: str, message: str, path: str | None = None) -> Response[bytes]:
    return Response(nack_body(code, message, path), status_code=status, media_type=MediaType.JSON)


def _validation_path(extra: Any) -> tuple[str, str | None]:
    """Litestar's validation detail -> (message, field path) for the first problem."""
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        first = extra[0]
        key = first.get("key")
        message = str(first.get("message", "invalid value"))
        if key == "data" and message == "'data'":  # Litestar's word for "no body at all"
            return "the request needs a JSON object as its body", None
        if key == "data":  # the body itself: name the unknown or missing field, if either
            unknown = _UNKNOWN_FIELD.search(message)
            if unknown:
                return message, unknown.group(1)
            missing = _MISSING_FIELD.search(message)
            if missing:
                field, within = missing.groups()
                return message, f"{within}.{field}" if within else field
            return message, None
        return message, str(key) if key else None
    return "the request is not valid", None


def _on_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        message, path = _validation_path(exc.extra)
        return _nack(status, ErrorCode.BAD_REQUEST, message, path)
    code = _CODES.get(status, ErrorCode.BAD_REQUEST if status < 500 else ErrorCode.INTERNAL)
    detail = exc.detail
    if isinstance(exc.__cause__, SerializationException):  # msgspec could not read the body
        detail = f"the body is not valid JSON: {detail}"
    response = _nack(status, code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _on_error(_: Request[Any, Any, Any], exc: UeiError | SignatureError) -> Response[bytes]:
    found = answer(exc)
    return Response(
        found.body, status_code=found.status, media_type=found.media_type, headers=found.headers
    )


def _on_not_utf8(_: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[bytes]:
    """msgspec raises this, not a DecodeError (which Litestar makes a 400), for a JSON string
    that is not UTF-8."""
    return _nack(
        HTTP_400_BAD_REQUEST,
        ErrorCode.BAD_REQUEST,
        f"the body is not valid JSON: not UTF-8 at byte {exc.start}",
    )


def _on_recursion(request: Request[Any, Any, Any], exc: RecursionError) -> Response[bytes]:
    """msgspec raises this, not a DecodeError (which Litestar makes a 400), for a body nested
    deeper than Python's recursion limit (``[[[[...]]]]``). Any other RecursionError is ours."""
    if "while deserializing" not in str(exc):
        return _on_unexpected(request, exc)
    return _nack(
        HTTP_400_BAD_REQUEST,
        ErrorCode.BAD_REQUEST,
        "the body is not valid JSON: nested too deeply (no request of this API nests more "
        "than a few levels)",
    )


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _nack(
        HTTP_500_INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL, "internal error; it has been logged"
    )


exception_handlers: ExceptionHandlersMap = {
    HTTPException: _on_http_exception,
    SignatureError: _on_error,
    UeiError: _on_error,
    UnicodeDecodeError: _on_not_utf8,
    RecursionError: _on_recursion,
    Exception: _on_unexpected,
}
