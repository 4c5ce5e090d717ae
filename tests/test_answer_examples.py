"""Every JSON answer in the API documents carries a realistic example: each 2xx one that
decodes into the type its route answers with, each refusal a NACK per status (DeDi's error
body under ``/dedi``), all valid against the schema beside them; and none of Litestar's
generated random-string examples is left anywhere in the document."""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import jsonschema_rs
import msgspec
import pytest
from litestar.response import Response
from litestar.routes import HTTPRoute

from uei.app.answers import ANSWERS
from uei.beckn import Envelope, ProblemEnvelope
from uei.registry.dedi import DediRecord
from uei.registry.http.dedi import Answer, DediError, RecordPage, RegistryMeta, Versions
from uei_testing.harness import Harness

pytestmark = pytest.mark.anyio

_DEDI_DATA: dict[str, type] = {
    "GET /dedi/lookup/{namespace}/{registry_name}": RegistryMeta,
    "GET /dedi/lookup/{namespace}/{registry_name}/{record_name}": DediRecord,
    "GET /dedi/query/{namespace}/{registry_name}": RecordPage,
    "GET /dedi/versions/{namespace}/{registry_name}": Versions,
    "GET /dedi/versions/{namespace}/{registry_name}/{record_name}": Versions,
}
"""What ``data`` holds in each DeDi read's answer (the route declares ``Answer``, data: Any)."""
_DEDI_READS = ("GET /dedi/lookup/", "GET /dedi/query/", "GET /dedi/versions/")
"""The reads that refuse in DeDi's shape (the signed watch routes answer NACKs)."""


def _declared(h: Harness) -> dict[tuple[str, str], Any]:
    """Each route's answer type per status, read off the route handlers: the ``responses`` it
    documents, else its return annotation (``Response[T]`` as ``T``) at its status code."""
    found: dict[tuple[str, str], Any] = {}
    for route in h.app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            for method in handler.http_methods:
                name = f"{method} {path}"
                for status, spec in (handler.responses or {}).items():
                    found[name, str(status)] = spec.data_container
                returned = handler.parsed_fn_signature.return_type.annotation
                if typing.get_origin(returned) is Response:
                    returned = typing.get_args(returned)[0]
                found.setdefault((name, str(handler.status_code)), returned)
    return found


def _answers(spec: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", status, media_type, media)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        for status, answer in operation["responses"].items()
        for media_type, media in (answer.get("content") or {}).items()
        if media_type.endswith("json")
    ]


def _shown(media: dict[str, Any]) -> list[tuple[str, Any]]:
    if "example" in media:
        return [("", media["example"])]
    return [(name, e["value"]) for name, e in media.get("examples", {}).items()]


async def test_every_json_answer_has_an_example_of_its_type(h: Harness) -> None:
    spec = (await h.client.get("/schema/openapi.json")).json()
    declared = _declared(h)
    without = [f"{n} {s} {t}" for n, s, t, media in _answers(spec) if not _shown(media)]
    assert without == []
    checked = 0
    for name, status, _, media in _answers(spec):
        if not status.startswith("2") and (name, status) != ("GET /readyz", "503"):
            continue
        ((_, example),) = _shown(media)
        kind = declared[name, status]
        decoded = msgspec.json.decode(json.dumps(example), type=kind)  # raises if it drifted
        if kind is Answer:
            msgspec.json.decode(json.dumps(example["data"]), type=_DEDI_DATA[name])
        assert msgspec.to_builtins(decoded) == example  # nothing the type would not write
        checked += 1
    assert checked == len(ANSWERS)  # and no example is left over for a route that is gone


async def test_every_refusal_shows_a_nack_per_status(h: Harness) -> None:
    spec = (await h.client.get("/schema/openapi.json")).json()
    refusals = [
        (name, status, media)
        for name, status, _, media in _answers(spec)
        if status[0] in "45" and (name, status) != ("GET /readyz", "503")
    ]
    assert refusals
    for name, status, media in refusals:
        for example_status, body in _shown(media):
            assert example_status == status or (
                status.endswith("XX") and example_status[0] == status[0]
            )
            if name.startswith(_DEDI_READS):
                msgspec.json.decode(json.dumps(body), type=DediError)
                continue
            kind = ProblemEnvelope if "type" in body else Envelope
            envelope = msgspec.json.decode(json.dumps(body), type=kind)
            assert envelope.message.ack.status == "NACK"
            assert envelope.error is not None
            assert envelope.error.message
            if isinstance(envelope, ProblemEnvelope):
                assert str(envelope.status) == example_status
    examples = {
        f"{name} {status}": {s for s, _ in _shown(media)} for name, status, media in refusals
    }
    # what a signed route that changes state may answer, and what a public read may
    assert {"400", "401", "403", "422", "429"} <= examples["POST /abuse/status 4XX"]
    assert {"400", "401", "403", "409"} <= examples["POST /subscribe 4XX"]
    assert "GET /healthz 4XX" not in examples  # it takes nothing that could be refused
    assert examples["GET /lookup/{subscriber_id}/{unique_key_id} 4XX"] == {"400", "404", "410"}
    assert examples["POST /lookup 5XX"] == {"503"}
    assert "410" in examples["GET /dedi/lookup/{namespace}/{registry_name}/{record_name} 410"]


async def test_each_example_is_valid_against_its_schema(h: Harness) -> None:
    spec = (await h.client.get("/schema/openapi.json")).json()
    for name, status, media_type, media in _answers(spec):
        validator = jsonschema_rs.Draft202012Validator(
            {**media["schema"], "components": spec["components"]}
        )
        for label, example in _shown(media):
            errors = [e.message for e in validator.iter_errors(example)]
            assert errors == [], (name, status, media_type, label)


async def test_no_generated_example_is_left(h: Harness) -> None:
    """Litestar fills the schemas a ``ResponseSpec`` names with random strings
    (``"valid_from": "uVSLVIpXssGAZvWxlBJp"``): none may remain."""
    spec = (await h.client.get("/schema/openapi.json")).json()
    text = json.dumps(spec["components"])
    assert '"examples"' not in text
    assert '"example"' not in text
    strings = re.findall(r'"([A-Za-z]{20})"', json.dumps(spec["paths"]))
    assert strings == []  # twenty letters in a row and nothing else: a generated one
