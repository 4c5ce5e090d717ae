"""Schemathesis against the service's own OpenAPI document, every operation, in process.

The app runs with its lifespan (SQLite store, background work off) on an event loop in a
portal thread; schemathesis generates requests from ``/schema/openapi.json`` (valid ones and,
where the schema constrains something, invalid ones) and each is sent through httpx's ASGI
transport, so nothing touches the network. Protected operations are fuzzed twice: unsigned
(they must refuse with a 401 NACK) and signed by a SUBSCRIBED participant of the right role
with the harness clock moving on each time, so the fuzzer gets past the signature to the
body and the service logic.

Three claims, checked on the same exchanges:

- no operation answers 5xx, and every 4xx is a Beckn NACK with ``error.code`` and
  ``error.message`` (the one exception handler's promise), or under ``/dedi`` DeDi's
  ``{message, error, code}``;
- every answer is documented: its status, its content type, its body's schema;
- the schema says what the service accepts: valid data is not refused as malformed (400,
  422) and invalid data is refused.

The operator dashboard (``/dashboard``: HTML pages, POST forms, its sign-in link and plotly.js)
is left out of the document, as the document's own assets are: it answers pages and
redirects to people, not Beckn JSON to programs, and takes a session cookie, not a signature.
``test_only_the_dashboard_and_the_documents_are_left_out`` holds that line;
tests/test_authorization.py lists every dashboard route and tests/dashboard attacks them.

Where the service does not yet keep a claim, the operation's test is a strict xfail whose
reason says why (see ``OPERATIONS``): a gap reported, not a check switched off.

Schemathesis's pytest integration is not used (its lazy schema reads ``node._nodeid``, which
pytest 9 no longer has): its strategies generate the cases and its checks judge the answers,
recorded once per operation and run. Generation is derandomized, so a run is repeatable for
pinned schemathesis and hypothesis versions; about 25 s in all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx
import pytest
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from uei.registry.model import ParticipantType
from uei.trust import KeySet, sign_header
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

Operation = schemathesis.APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Operation]

BASE_URL = "http://uei"
SIGNED_EXAMPLES = 50
"""Generated requests per operation and generation mode (valid, invalid) for signed and open
runs; the unsigned runs of protected operations only need to see refusals."""
UNSIGNED_EXAMPLES = 8
SHOWN = 6
"""Distinct failures quoted per test."""


class Signer(Enum):
    """Who signs an operation's requests in the signed run (``OPEN``: nobody, and the
    operation is fuzzed once)."""

    OPEN = "open"
    CPO = "cpo"
    """A BPP: non-payer protection, v2 lookup."""
    GATEWAY = "gateway"
    """A BG: quota checks and events on its own word (a BPP must forward each BAP's signed
    request, which a fuzzer cannot forge: it would only ever see the 403)."""
    OPERATOR = "operator"
    """An operator key: admin routes, any subscriber's challenges and keys, BAP reports."""
    JOINER = "joiner"
    """A BPP of its own for ``/subscribe``, which may change its URL, roles and keys."""


# Why the service does not (yet) keep a claim, per operation (``None``: it keeps it). The
# reasons apply to the signed (or open) run.
REFUSALS_UNDOCUMENTED = (
    "refusals are Beckn NACKs, but the schema documents 400 with Litestar's default body "
    "(status_code, detail, extra) and no other 4xx or 5xx (401, 403, 404, 409, 422, 500)"
)
IDENTIFIER_KIND = (
    "identifiers[].kind is documented as any string; only phone, upi_vpa, vin, chassis, "
    "battery_id, rfid, ocpp_id_tag and device are accepted (422), and each value is checked "
    "for its kind (a valid Indian mobile number, handle@psp...), which no schema can state; "
    "a status query or a dispute presents at most 2 of one kind"
)
CASE_IN_BODY = (
    "the body's case_id must be the path's case_id (a Beckn signature covers the body only, "
    "so the body names the case it acts on), a cross-field rule the schema does not state"
)
LOOKUP_FILTERS = (
    "page_size is documented as any integer (1..1000 is accepted) and page_token as any "
    "string (only a number this registry issued is); status as any string (one of the "
    "Status names); unique_key_id / ukId / key_id / pub_key_id must agree"
)

RELAYED = (
    "cross-field rules the schema does not state: without bap_request a gateway's check names "
    "bap_id, action and message_id (and search for a search), an event its type, bap_id, "
    "message_id and at; bap_request is a BAP's valid signed request (base64 of the bytes it "
    "signed), which a BPP must send"
)


@dataclass(frozen=True)
class Op:
    signer: Signer
    server_error: str | None = None
    responses: str | None = None
    requests: str | None = None
    may_pass: bool = False
    """The gap is real, but whether the fuzzer's cases reach it is not (two query times in
    either order): the xfail is not strict. The rule itself has its own test."""


OPERATIONS: dict[str, Op] = {
    "GET /healthz": Op(Signer.OPEN, responses=None),
    "GET /readyz": Op(Signer.OPEN, responses=None),
    "GET /metrics": Op(Signer.OPEN),
    "GET /.well-known/uei-registry.json": Op(Signer.OPEN, responses=None),
    "POST /lookup": Op(Signer.OPEN, requests=LOOKUP_FILTERS),
    "POST /v2.0/lookup": Op(Signer.CPO, requests=LOOKUP_FILTERS),
    "GET /lookup/{subscriber_id}/{unique_key_id}": Op(Signer.OPEN),
    "POST /subscribe": Op(
        Signer.JOINER,
        requests="cross-field rules the schema does not state: a key id needs "
        "signing_public_key and public keys a key id, a new role needs type and domain, "
        "unique_key_id / ukId / key_id / pub_key_id must agree; subscriber_url must be an "
        "http(s) URL",
    ),
    "GET /subscribers/{subscriber_id}/challenges": Op(Signer.OPERATOR),
    "POST /subscribers/{subscriber_id}/keys/{unique_key_id}/revoke": Op(Signer.OPERATOR),
    "GET /log": Op(Signer.OPEN),
    "GET /dedi/lookup/{namespace}/{registry_name}": Op(Signer.OPEN),
    "GET /dedi/lookup/{namespace}/{registry_name}/{record_name}": Op(Signer.OPEN),
    "GET /dedi/query/{namespace}/{registry_name}": Op(Signer.OPEN),
    "GET /dedi/versions/{namespace}/{registry_name}": Op(Signer.OPEN),
    "GET /dedi/versions/{namespace}/{registry_name}/{record_name}": Op(Signer.OPEN),
    "POST /dedi/subscribe": Op(Signer.CPO),
    "POST /dedi/unsubscribe": Op(Signer.CPO),
    "GET /dedi/subscriptions": Op(Signer.CPO),
    "GET /admin/subscribers": Op(Signer.OPERATOR),
    "POST /admin/subscribers/{subscriber_id}/allow": Op(Signer.OPERATOR),
    "POST /admin/subscribers/{subscriber_id}/approve": Op(Signer.OPERATOR),
    "POST /admin/subscribers/{subscriber_id}/{action}": Op(Signer.OPERATOR),
    "POST /admin/subscribers/{subscriber_id}/keys/{unique_key_id}/revoke": Op(Signer.OPERATOR),
    "POST /admin/subscribers/{subscriber_id}/grants/{service}/{change}": Op(Signer.OPERATOR),
    "POST /abuse/defaulters/report": Op(Signer.CPO, requests=IDENTIFIER_KIND),
    "POST /abuse/observations": Op(Signer.CPO, requests=IDENTIFIER_KIND),
    "POST /abuse/status": Op(Signer.CPO, requests=IDENTIFIER_KIND),
    "POST /abuse/defaulters/{case_id}/settle": Op(Signer.CPO, requests=CASE_IN_BODY),
    "POST /abuse/defaulters/{case_id}/withdraw": Op(Signer.CPO, requests=CASE_IN_BODY),
    "POST /abuse/defaulters/{case_id}/dispute": Op(
        Signer.CPO, requests=f"{CASE_IN_BODY}; {IDENTIFIER_KIND}"
    ),
    "POST /abuse/defaulters/{case_id}/resolve": Op(Signer.CPO, requests=CASE_IN_BODY),
    "POST /abuse/quota/check": Op(Signer.GATEWAY, requests=RELAYED),
    "POST /abuse/events": Op(Signer.GATEWAY, requests=RELAYED),
    # an operator may read any BAP's report: signed, it never refuses
    "GET /abuse/baps/{bap_id}": Op(Signer.OPERATOR, responses=None),
    "GET /admin/audit": Op(
        Signer.OPERATOR,
        requests="cross-field rule the schema does not state: until must be later than since",
        may_pass=True,  # tests/antiabuse/test_review_http.py: since > until is a 400 (until)
    ),
    "GET /admin/disputes": Op(Signer.OPERATOR),
    "GET /admin/baps": Op(Signer.OPERATOR),
}

HARD_CHECKS: list[CheckFunction] = [not_a_server_error]
RESPONSE_CHECKS: list[CheckFunction] = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
REQUEST_CHECKS: list[CheckFunction] = [positive_data_acceptance, negative_data_rejection]


@dataclass(frozen=True)
class Exchange:
    case: Case
    body: bytes
    response: httpx.Response

    def describe(self) -> str:
        request = self.response.request
        sent = self.body[:300].decode("utf-8", "backslashreplace")
        return (
            f"{request.method} {request.url} body={sent!r}\n"
            f"    -> {self.response.status_code} {self.response.text[:300]!r}"
        )


def _body_of(transport_kwargs: dict[str, Any]) -> bytes:
    """The exact bytes to sign and send, as the requests transport would have sent them."""
    if "json" in transport_kwargs:
        return json.dumps(transport_kwargs["json"]).encode()
    data = transport_kwargs.get("data")
    if data is None:
        return b""
    if isinstance(data, str):
        return data.encode()
    assert isinstance(data, bytes), type(data)
    return data


def _negatable(operation: Operation) -> bool:
    """Whether schemathesis can make an invalid request: a body, a query parameter or a
    constrained path parameter (a bare string path segment cannot be invalid)."""
    raw: dict[str, Any] = operation.definition.raw
    return "requestBody" in raw or any(
        p["in"] != "path" or set(p.get("schema", {})) - {"type", "description"}
        for p in raw.get("parameters", [])
    )


@dataclass
class Service:
    portal: BlockingPortal
    h: Harness
    schema: Any
    callers: dict[Signer, tuple[KeySet, str]]
    exchanges_seen: dict[tuple[str, bool], list[Exchange]] = field(default_factory=dict)

    def exchanges(self, label: str, signed: bool) -> list[Exchange]:
        """The fuzzer's requests to ``label`` and the answers (made once, then shared)."""
        key = (label, signed)
        if key not in self.exchanges_seen:
            self.exchanges_seen[key] = self._fuzz(label, signed)
        return self.exchanges_seen[key]

    def _fuzz(self, label: str, signed: bool) -> list[Exchange]:
        method, path = label.split(" ", 1)
        operation: Operation = self.schema[path][method]
        signer = OPERATIONS[label].signer if signed else Signer.OPEN
        examples = SIGNED_EXAMPLES if signed else UNSIGNED_EXAMPLES
        modes = [schemathesis.GenerationMode.POSITIVE]
        if _negatable(operation):
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        found: list[Exchange] = []
        for mode in modes:

            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def exchange(case: Case) -> None:
                found.append(self.send(case, signer))

            exchange()
        return found

    def send(self, case: Case, signer: Signer) -> Exchange:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL)
        assert not kwargs.get("cookies"), kwargs  # the schema declares none
        body = _body_of(kwargs)
        headers = {str(k): str(v) for k, v in kwargs["headers"].items()}
        if signer is not Signer.OPEN:
            keys, subscriber_id = self.callers[signer]
            self.h.clock.advance(1)  # no two requests share a signature (replays are refused)
            headers["Authorization"] = sign_header(
                body,
                keys.signing_key,
                subscriber_id=subscriber_id,
                unique_key_id=keys.unique_key_id,
                created=int(self.h.clock()),
            )

        async def request() -> httpx.Response:
            return await self.h.client.request(
                kwargs["method"],
                kwargs["url"],
                params=kwargs.get("params") or None,
                content=body,
                headers=headers,
            )

        return Exchange(case, body, self.portal.call(request))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(running(f"sqlite:///{tmp / 'uei.db'}", tmp)) as h,
    ):
        participants = {
            Signer.CPO: Participant("cpo.example", type=ParticipantType.BPP),
            Signer.JOINER: Participant("joiner.example", type=ParticipantType.BPP),
            Signer.GATEWAY: Participant("bg.example", type=ParticipantType.BG),
        }
        for participant in [
            *participants.values(),
            Participant("app.example", ParticipantType.BAP),
        ]:
            portal.call(h.enrol, participant)
        portal.call(h.grant, participants[Signer.CPO])  # the non-payer API is for granted CPOs
        callers = {s: (p.keys, p.subscriber_id) for s, p in participants.items()}
        callers[Signer.OPERATOR] = (h.operator, h.operator_id)
        document = portal.call(h.client.get, "/schema/openapi.json")
        assert document.status_code == 200
        schema = schemathesis.openapi.from_dict(document.json())
        yield Service(portal, h, schema, callers)


def _runs() -> Iterator[Any]:
    for label, op in OPERATIONS.items():
        runs = [True] if op.signer is Signer.OPEN else [True, False]
        for signed in runs:
            run = "open" if op.signer is Signer.OPEN else ("signed" if signed else "unsigned")
            yield label, signed, run


def _params(claim: str) -> list[Any]:
    """Every run of every operation, a strict xfail where the service does not keep
    ``claim`` (an ``Op`` field) yet (not strict where ``may_pass`` says why)."""
    params = []
    for label, signed, run in _runs():
        reason: str | None = getattr(OPERATIONS[label], claim)
        if not signed:
            reason = None
        strict = not OPERATIONS[label].may_pass
        marks = [pytest.mark.xfail(strict=strict, reason=reason)] if reason else []
        params.append(pytest.param(label, signed, marks=marks, id=f"{label} [{run}]"))
    return params


def _not_a_nack(response: httpx.Response) -> str | None:
    """What is wrong with a refusal's body, or None if it is a Beckn NACK."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return "the body is not JSON"
    if not isinstance(body, dict) or body.get("message") != {"ack": {"status": "NACK"}}:
        return "no message.ack.status NACK"
    error = body.get("error")
    if not isinstance(error, dict):
        return "no error object"
    for key in ("code", "message"):
        if not isinstance(error.get(key), str) or not error[key]:
            return f"error.{key} missing or empty"
    return None


def _not_a_dedi_error(response: httpx.Response) -> str | None:
    """What is wrong with a ``/dedi`` refusal's body, or None if it is DeDi's ErrorResponse
    ``{message, error, code}`` (the DeDi routes refuse in DeDi's shape, not Beckn's)."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return "the body is not JSON"
    if not isinstance(body, dict) or set(body) != {"message", "error", "code"}:
        return "not DeDi's {message, error, code}"
    if not all(isinstance(v, str) and v for v in body.values()):
        return "an empty or non-string member"
    return None


def _refusal(response: httpx.Response) -> str:
    """A refusal's message with the values it quotes taken out, to tell kinds of refusal
    apart (``unknown field `x` `` and ``unknown field `y` `` are one kind)."""
    if response.status_code < 400:
        return ""
    try:
        body = response.json()
        error = body["error"]
        message = str(error if isinstance(error, str) else error["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:80]
    return re.sub(r"`[^`]*`|'[^']*'|\d+", "_", message)[:80]


def _failures(exchanges: list[Exchange], checks: list[CheckFunction]) -> list[str]:
    """Schemathesis's verdicts on recorded exchanges, one line per distinct failure."""
    seen: dict[tuple[str, int, str], str] = {}
    for exchange in exchanges:
        try:
            exchange.case.validate_response(exchange.response, checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (failure.title, exchange.response.status_code, _refusal(exchange.response))
                lines = failure.message.strip().splitlines()
                said = f" ({lines[0]})" if lines else ""
                seen.setdefault(key, f"{failure.title}{said}\n  {exchange.describe()}")
    return list(seen.values())


def _report(label: str, problems: list[str], total: int) -> str:
    shown = "\n".join(problems[:SHOWN])
    return f"{label}: {len(problems)} distinct problem(s) in {total} requests\n{shown}"


def test_every_operation_in_the_schema_is_fuzzed(service: Service) -> None:
    labels = {op.label for op in (r.ok() for r in service.schema.get_all_operations())}
    assert labels == set(OPERATIONS)


def test_only_the_dashboard_and_the_documents_are_left_out(service: Service) -> None:
    documented = {p.split("{")[0].rstrip("/") for p in service.schema.raw_schema["paths"]}
    served = {r.path for r in service.h.app.routes}
    left_out = {p for p in served if p.split("{")[0].rstrip("/") not in documented}
    assert {p for p in left_out if not p.startswith(("/dashboard", "/schema"))} == set()
    assert "/dashboard/subscribers" in left_out


@pytest.mark.parametrize(("label", "signed"), _params("server_error"))
def test_no_server_error_and_every_refusal_is_a_nack(
    service: Service, label: str, signed: bool
) -> None:
    exchanges = service.exchanges(label, signed)
    assert exchanges
    problems = _failures(exchanges, HARD_CHECKS)
    dedi = label.split(" ", 1)[1].startswith(("/dedi/lookup/", "/dedi/query/", "/dedi/versions/"))
    for exchange in exchanges:
        wrong = (_not_a_dedi_error if dedi else _not_a_nack)(exchange.response)
        if wrong is not None:
            shape = "DeDi's error body" if dedi else "a Beckn NACK"
            problems.append(f"not {shape} ({wrong})\n  {exchange.describe()}")
    assert not problems, _report(label, problems, len(exchanges))
    if not signed:  # a protected operation tells an unsigned caller nothing more: the app's
        # one guard verifies the signature before any body or parameter is decoded
        assert {e.response.status_code for e in exchanges} <= {401}, label


@pytest.mark.parametrize(("label", "signed"), _params("responses"))
def test_every_answer_is_documented(service: Service, label: str, signed: bool) -> None:
    exchanges = service.exchanges(label, signed)
    problems = _failures(exchanges, RESPONSE_CHECKS)
    assert not problems, _report(label, problems, len(exchanges))


@pytest.mark.parametrize(("label", "signed"), _params("requests"))
def test_the_schema_says_what_is_accepted(service: Service, label: str, signed: bool) -> None:
    exchanges = service.exchanges(label, signed)
    problems = _failures(exchanges, REQUEST_CHECKS)
    assert not problems, _report(label, problems, len(exchanges))
