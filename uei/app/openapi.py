"""The schema's word on refusals: every 4xx / 5xx is a Beckn NACK (DeDi's error body under
``/dedi``); strict bodies say so."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import MediaType
from litestar.openapi.spec import (
    Example,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.plugins import OpenAPISchemaPlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.typing import FieldDefinition

from uei.access import CALLER, Caller

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

__all__ = [
    "StrictBodies",
    "document_answers",
    "document_examples",
    "document_refusals",
    "document_signatures",
]


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


_DEDI_ERROR = _object(
    ["message", "error", "code"],
    message=Schema(type=OpenAPIType.STRING, description="the status, in words"),
    error=Schema(type=OpenAPIType.STRING, description="what is wrong"),
    code=Schema(
        type=OpenAPIType.STRING,
        description="NOT_FOUND, RECORD_REVOKED, RECORD_SUSPENDED, INVALID_REQUEST, INTERNAL_ERROR",
    ),
)
_DEDI_ERROR.description = "DeDi's ErrorResponse (the /dedi routes refuse in DeDi's shape)"


_DEDI_READS = ("/dedi/lookup/", "/dedi/query/", "/dedi/versions/")
"""The DeDi reads, which refuse in DeDi's shape (the signed watch routes answer NACKs)."""


def document_refusals(spec: OpenAPI) -> None:
    """Say in the schema what every refusal is: a Beckn NACK, for any 4xx or 5xx an operation
    answers (Litestar documents 400 with its own default body, which is never sent), and
    DeDi's ``{message, error, code}`` under ``/dedi``. A status an operation documents itself
    (e.g. /readyz's 503, a DeDi lookup's 404 and 410) stays as documented."""
    if spec.components.schemas is None:
        spec.components.schemas = {}
    spec.components.schemas["Nack"] = _NACK
    spec.components.schemas["DediErrorResponse"] = _DEDI_ERROR
    nack = OpenAPIMediaType(schema=Reference("#/components/schemas/Nack"))
    refusal = OpenAPIResponse(
        description="Refused: a Beckn NACK naming the fault",
        content={MediaType.JSON: nack, "application/problem+json": nack},
    )
    dedi = OpenAPIResponse(
        description="Refused: DeDi's error body",
        content={
            MediaType.JSON: OpenAPIMediaType(
                schema=Reference("#/components/schemas/DediErrorResponse")
            )
        },
    )
    for path, item in (spec.paths or {}).items():
        for operation in (item.get, item.put, item.post, item.delete, item.patch):
            if operation is None:
                continue
            responses = operation.responses or {}
            if path.startswith(_DEDI_READS):
                for status in ("400", "404", "410"):
                    if status in responses:
                        responses[status] = dedi
                responses["4XX"] = dedi
                responses["5XX"] = dedi
            else:
                responses.pop("400", None)
                responses["4XX"] = refusal
                responses["5XX"] = refusal
            operation.responses = responses


SIGNATURE = "BecknSignature"
GATEWAY_SIGNATURE = "BecknGatewaySignature"
_SCHEMES = {
    SIGNATURE: SecurityScheme(
        type="apiKey",
        name="Authorization",
        security_scheme_in="header",
        description=(
            'A Beckn HTTP signature by the caller: `Signature keyId="{subscriber_id}|'
            '{unique_key_id}|ed25519",algorithm="ed25519",created="...",expires="...",'
            'headers="(created) (expires) digest",signature="..."` over the BLAKE2b-512 '
            "digest of the exact body. Routes that spend quota or change state refuse a "
            "signature used before (401, `replayed`)."
        ),
    ),
    GATEWAY_SIGNATURE: SecurityScheme(
        type="apiKey",
        name="X-Gateway-Authorization",
        security_scheme_in="header",
        description="The same signature by a gateway (BG), in the gateway's header.",
    ),
}


def document_signatures(spec: OpenAPI, routes: Sequence[BaseRoute]) -> None:
    """Every route that declares a caller other than the public says, in the schema, that it
    needs a Beckn signature (the security schemes above); public routes need none."""
    components = spec.components
    components.security_schemes = {**(components.security_schemes or {}), **_SCHEMES}
    signed = {
        (route.path, method.lower())
        for route in routes
        if isinstance(route, HTTPRoute)
        for method, (handler, _) in route.route_handler_map.items()
        if handler.opt.get(CALLER) not in (None, Caller.PUBLIC)
    }
    for path, item in (spec.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method)
            if operation is None:
                continue
            if _declared(path, method, signed):
                operation.security = [{SIGNATURE: []}, {GATEWAY_SIGNATURE: []}]
            else:
                operation.security = []


def _declared(path: str, method: str, signed: set[tuple[str, str]]) -> bool:
    """Litestar's paths say ``{case_id:str}`` where the schema says ``{case_id}``."""
    return any(method == m and _bare(p) == path for p, m in signed)


def _bare(path: str) -> str:

    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


def document_examples(spec: OpenAPI, examples: Mapping[str, object]) -> None:
    """Give each request body whose schema names one of ``examples`` that example (Swagger UI
    then offers it instead of ``"string"`` placeholders)."""
    for item in (spec.paths or {}).values():
        for operation in (item.get, item.put, item.post, item.delete, item.patch):
            body = operation.request_body if operation is not None else None
            if body is None or isinstance(body, Reference):
                continue
            for media in (body.content or {}).values():
                name = _schema_name(media.schema)
                if name is not None and name in examples:
                    media.example = examples[name]


def _schema_name(schema: object) -> str | None:
    """The component a body's schema refers to, directly or as the non-null ``oneOf``."""
    if isinstance(schema, Reference):
        return schema.ref.rpartition("/")[2]
    if isinstance(schema, Schema) and schema.one_of:
        for part in schema.one_of:
            if isinstance(part, Reference):
                return part.ref.rpartition("/")[2]
    return None


_METHODS = ("get", "put", "post", "delete", "patch")


def document_answers(
    spec: OpenAPI,
    answers: Mapping[tuple[str, str], object],
    refusals: Mapping[str, tuple[str, object]],
    dedi_refusals: Mapping[str, object],
) -> None:
    """Give every JSON answer its example: each 2xx the one in ``answers`` (by ``"METHOD
    /path"`` and status, as JSON-ready data), each refusal a NACK per status the route may
    answer with (``refusals``: what it is about, the body), DeDi's reads DeDi's error
    bodies. Litestar's generated examples (random strings) are dropped from every schema."""
    for schema in (spec.components.schemas or {}).values():
        _drop_examples(schema)
    for path, item in (spec.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method)
            if operation is None:
                continue
            name = f"{method.upper()} {path}"
            responses = dict(operation.responses or {})
            for status, response in list(responses.items()):
                if isinstance(response, Reference) or not response.content:
                    continue
                if (name, status) in answers:  # a 2xx, or an answer of its own (/readyz's 503)
                    shown: dict[str, Any] = {"example": answers[name, status]}
                elif status[0] not in "45":  # not JSON (/metrics); a JSON one fails its test
                    continue
                elif path.startswith(_DEDI_READS):
                    found = {s: ("", b) for s, b in dedi_refusals.items() if _covers(status, s)}
                    shown = {"examples": _named(found)}
                else:
                    refused = [s for s in _refusing(path, operation) if _covers(status, s)]
                    if not refused:  # nothing this operation takes can be refused
                        del responses[status]
                        continue
                    shown = {"examples": _named({s: refusals[s] for s in refused})}
                media = {k: _with(m, **shown) for k, m in response.content.items()}
                responses[status] = OpenAPIResponse(
                    description=response.description,
                    headers=response.headers,
                    content=media,
                    links=response.links,
                )
            operation.responses = responses


class _Media(OpenAPIMediaType):
    """Litestar drops every None from the document's dicts, examples included: an answer's
    ``"http_status": null`` would vanish from its example. This one keeps its example as is."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        if self.example is not None:
            schema["example"] = self.example
        return schema


class _Example(Example):
    """An ``Example`` whose value keeps its nulls (see ``_Media``)."""

    def to_schema(self) -> dict[str, Any]:
        return {**super().to_schema(), "value": self.value}


def _with(media: OpenAPIMediaType, **example: object) -> OpenAPIMediaType:
    _drop_examples(media.schema)  # an inline schema (a list of records) has them too
    return _Media(
        schema=media.schema,
        example=example.get("example"),
        examples=example.get("examples"),  # type: ignore[arg-type]
        encoding=media.encoding,
    )


def _named(found: Mapping[str, tuple[str, object]]) -> dict[str, Example | Reference]:
    return {
        status: _Example(summary=f"{status}: {about}" if about else status, value=body)
        for status, (about, body) in found.items()
    }


def _covers(documented: str, status: str) -> bool:
    """``4XX`` covers 400..499; a status covers itself."""
    return documented == status or (documented.endswith("XX") and documented[0] == status[0])


def _refusing(path: str, operation: Any) -> list[str]:
    """The refusal statuses an operation may answer with, from what it takes: parameters or
    a body (400), a signature (401, 403), a name in the path (404; a key id: 410), a change
    of state (409), identifiers (422), a quota (429); any: the store (503)."""
    signed = bool(operation.security)
    statuses = []
    if operation.parameters or operation.request_body is not None:
        statuses.append("400")
    if signed:
        statuses += ["401", "403"]
    if "{" in path:
        statuses.append("404")
    if signed and operation.request_body is not None and not path.startswith("/abuse/quota"):
        statuses.append("409")
    if "{unique_key_id}" in path:
        statuses.append("410")
    if path.startswith(("/abuse/status", "/abuse/defaulters", "/abuse/observations")):
        statuses.append("422")
    if path.startswith(("/abuse/status", "/abuse/quota", "/abuse/events")) or path.endswith(
        "/dispute"
    ):
        statuses.append("429")
    return [*statuses, "503"]


def _drop_examples(schema: object) -> None:
    """Litestar fills ``examples`` of every schema a ``ResponseSpec`` names with random
    values; the documents show the answers' own examples instead."""
    if not isinstance(schema, Schema):
        return
    schema.examples = None
    schema.example = None
    for part in (
        *(schema.properties or {}).values(),
        *(schema.one_of or []),
        *(schema.any_of or []),
        *(schema.all_of or []),
        schema.items,
        schema.additional_properties,
    ):
        _drop_examples(part)


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
