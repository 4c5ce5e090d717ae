"""One exception handler: every error leaves the service as a Beckn NACK, never a traceback."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from trust import ErrorCode, Refusal, SignatureError, nack_body, unauthorized

__all__ = ["exception_handlers"]

log = logging.getLogger("uei.http")

_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_CODES = {400: ErrorCode.BAD_REQUEST, 404: ErrorCode.NOT_FOUND, 422: ErrorCode.UNPROCESSABLE}


def _nack(status: int, code: str, message: str, path: str | None = None) -> Response[bytes]:
    return Response(nack_body(code, message, path), status_code=status, media_type=MediaType.JSON)


def _validation_path(extra: Any) -> tuple[str, str | None]:
    """Litestar's validation detail -> (message, field path) for the first problem."""
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        first = extra[0]
        key = first.get("key")
        message = str(first.get("message", "invalid value"))
        if key == "data":  # the body itself: name the unknown field, if that is the fault
            unknown = _UNKNOWN_FIELD.search(message)
            return message, unknown.group(1) if unknown else None
        return message, str(key) if key else None
    return "the request is not valid", None


def _on_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        message, path = _validation_path(exc.extra)
        return _nack(status, ErrorCode.BAD_REQUEST, message, path)
    code = _CODES.get(status, ErrorCode.BAD_REQUEST if status < 500 else ErrorCode.INTERNAL)
    response = _nack(status, code, exc.detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _on_signature_error(_: Request[Any, Any, Any], exc: SignatureError) -> Response[bytes]:
    answer = unauthorized(exc, realm="uei", header_name=exc.header_name)
    return Response(
        answer.body, status_code=answer.status, headers=answer.headers, media_type=MediaType.JSON
    )


def _on_refusal(_: Request[Any, Any, Any], exc: Refusal) -> Response[bytes]:
    body, media_type = exc.body()
    return Response(body, status_code=exc.status, media_type=media_type, headers=exc.headers())


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _nack(
        HTTP_500_INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL, "internal error; it has been logged"
    )


exception_handlers: ExceptionHandlersMap = {
    HTTPException: _on_http_exception,
    SignatureError: _on_signature_error,
    Refusal: _on_refusal,
    Exception: _on_unexpected,
}
