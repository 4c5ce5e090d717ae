"""One exception handler: every error leaves the service as a Beckn NACK, never a traceback."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    Schema,
)
from litestar.plugins import OpenAPISchemaPlugin
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap
from litestar.typing import FieldDefinition

from uei.trust import ErrorCode, Refusal, SignatureError, nack_body, unauthorized

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

__all__ = ["StrictBodies", "document_refusals", "exception_handlers"]

log = logging.getLogger("uei.http")

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


def _on_signature_error(_: Request[Any, Any, Any], exc: SignatureError) -> Response[bytes]:
    answer = unauthorized(exc, realm="uei", header_name=exc.header_name)
    return Response(
        answer.body, status_code=answer.status, headers=answer.headers, media_type=MediaType.JSON
    )


def _on_refusal(_: Request[Any, Any, Any], exc: Refusal) -> Response[bytes]:
    body, media_type = exc.body()
    return Response(body, status_code=exc.status, media_type=media_type, headers=exc.headers())


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
    SignatureError: _on_signature_error,
    Refusal: _on_refusal,
    UnicodeDecodeError: _on_not_utf8,
    RecursionError: _on_recursion,
    Exception: _on_unexpected,
}


def _object(required: list[str], **properties: Schema) -> Schema:
    return Schema(type=OpenAPIType.OBJECT, required=required, properties=dict(properties))


_NACK = _object(
    ["message", "error"],
    message=_object(
        ["ack"], ack=_object(["status"], status=Schema(type=OpenAPIType.STRING, const="NACK"))
    ),
    error=_object(
        ["code", "message"],
        code=Schema(
            type=OpenAPIType.STRING,
            pattern="^[0-9]{5}$",
            description="30000s request, 40000s business, 50000s policy",
        ),
        message=Schema(type=OpenAPIType.STRING),
        path=Schema(type=OpenAPIType.STRING, description="the field at fault"),
    ),
)
_NACK.description = (
    "A Beckn NACK. A refusal by quota (429) is also an RFC 9457 problem (type, title, "
    "status, detail)."
)


def document_refusals(spec: OpenAPI) -> None:
    """Say in the schema what every refusal is: a Beckn NACK, for any 4xx or 5xx an operation
    answers (Litestar documents 400 with its own default body, which is never sent). A status
    an operation documents itself (e.g. /readyz's 503) stays as documented."""
    if spec.components.schemas is None:
        spec.components.schemas = {}
    spec.components.schemas["Nack"] = _NACK
    nack = OpenAPIMediaType(schema=Reference("#/components/schemas/Nack"))
    refusal = OpenAPIResponse(
        description="Refused: a Beckn NACK naming the fault",
        content={MediaType.JSON: nack, "application/problem+json": nack},
    )
    for item in (spec.paths or {}).values():
        for operation in (item.get, item.put, item.post, item.delete, item.patch):
            if operation is None:
                continue
            responses = operation.responses or {}
            responses.pop("400", None)
            responses["4XX"] = refusal
            responses["5XX"] = refusal
            operation.responses = responses


class StrictBodies(OpenAPISchemaPlugin):
    """A struct decoded with ``forbid_unknown_fields`` says so in the schema:
    ``additionalProperties: false`` (otherwise a client reads extra fields as allowed)."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return (
            not field_definition.is_union
            and field_definition.is_subclass_of(msgspec.Struct)
            and field_definition.type_.__struct_config__.forbid_unknown_fields
        )

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        standard = next(  # Litestar's own, for every struct
            p
            for p in schema_creator.plugins
            if p is not self
            and isinstance(p, OpenAPISchemaPlugin)
            and p.is_plugin_supported_field(field_definition)
        )
        schema = standard.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema
