"""The API documents work offline: every script, style and icon the docs pages load is served
by the service itself, from a package, and nothing points at a CDN."""

from __future__ import annotations

import json
import re

import msgspec
import pytest

from uei.antiabuse.defaulters.bodies import (
    ActionBody,
    DisputeBody,
    ObservationBody,
    ReportBody,
    ResolveBody,
    StatusBody,
)
from uei.antiabuse.scraping.wire import CheckBody, EventsBody
from uei.app.examples import EXAMPLES
from uei.registry.http.bodies import LookupBody, SubscribeBody
from uei.registry.model import ParticipantType
from uei_testing.callers import Caller
from uei_testing.factories import Participant
from uei_testing.harness import Harness

pytestmark = pytest.mark.anyio

_LINKS = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)=["']([^"']+)["']""", re.I)


@pytest.mark.parametrize("page", ["/schema", "/schema/swagger"])
async def test_every_asset_of_the_docs_is_served_here(h: Harness, page: str) -> None:
    answer = await h.client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    links = _LINKS.findall(answer.text)
    assert len(links) >= 3  # the bundle, the preset, the stylesheet (and the icon)
    assert [u for u in links if "//" in u] == []  # nothing from elsewhere
    kinds = set()
    for url in links:
        asset = await h.client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
        kinds.add(asset.headers["content-type"].split(";")[0])
        assert "signature" in asset.headers  # signed like every answer
    assert {"text/javascript", "text/css"} <= kinds


async def test_the_documents_name_no_cdn(h: Harness) -> None:
    html = (await h.client.get("/schema")).text
    for host in ("cdn.jsdelivr.net", "unpkg.com", "cdn.redoc.ly", "fonts.googleapis.com"):
        assert host not in html


async def test_the_schema_says_which_routes_need_a_beckn_signature(h: Harness) -> None:
    spec = (await h.client.get("/schema/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BecknSignature"]["name"] == "Authorization"
    assert schemes["BecknGatewaySignature"]["name"] == "X-Gateway-Authorization"
    operations = {
        f"{method.upper()} {path}": op
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    unsigned = sorted(name for name, op in operations.items() if not op.get("security"))
    assert unsigned == [
        "GET /.well-known/uei-registry.json",
        # the DeDi reads (Beckn v2): public and unsigned, as DeDi reads are
        "GET /dedi/lookup/{namespace}/{registry_name}",
        "GET /dedi/lookup/{namespace}/{registry_name}/{record_name}",
        "GET /dedi/query/{namespace}/{registry_name}",
        "GET /dedi/versions/{namespace}/{registry_name}",
        "GET /dedi/versions/{namespace}/{registry_name}/{record_name}",
        "GET /healthz",
        "GET /log",
        "GET /lookup/{subscriber_id}/{unique_key_id}",
        "GET /metrics",
        "GET /readyz",
        "POST /lookup",
    ]
    assert operations["POST /abuse/status"]["security"] == [
        {"BecknSignature": []},
        {"BecknGatewaySignature": []},
    ]


async def test_no_structured_answer_is_documented_as_a_string(h: Harness) -> None:
    spec = (await h.client.get("/schema/openapi.json")).json()
    strings = [
        f"{method.upper()} {path} {code}"
        for path, item in spec["paths"].items()
        for method, op in item.items()
        for code, answer in op.get("responses", {}).items()
        for media_type, media in (answer.get("content") or {}).items()
        if media_type.endswith("json") and media.get("schema", {}).get("type") == "string"
    ]
    assert strings == []


_BODIES: dict[str, type[msgspec.Struct]] = {
    "LookupBody": LookupBody,
    "SubscribeBody": SubscribeBody,
    "StatusBody": StatusBody,
    "ReportBody": ReportBody,
    "ObservationBody": ObservationBody,
    "ActionBody": ActionBody,
    "DisputeBody": DisputeBody,
    "ResolveBody": ResolveBody,
    "CheckBody": CheckBody,
    "EventsBody": EventsBody,
}


async def test_each_documented_example_is_a_body_the_service_decodes(h: Harness) -> None:
    spec = (await h.client.get("/schema/openapi.json")).json()
    shown = {
        media["schema"].get("$ref", "") or media["schema"]["oneOf"][0]["$ref"]: media["example"]
        for item in spec["paths"].values()
        for op in item.values()
        for media in op.get("requestBody", {}).get("content", {}).values()
        if "example" in media
    }
    assert {ref.rpartition("/")[2] for ref in shown} == set(EXAMPLES) == set(_BODIES)
    for name, example in EXAMPLES.items():
        msgspec.json.decode(json.dumps(example), type=_BODIES[name])  # raises if it drifted


async def test_the_examples_are_accepted_as_written(h: Harness) -> None:
    """Sent by the callers they are for, the examples are answered, not refused."""
    await h.enrol(Participant("app.example.in", type=ParticipantType.BAP))
    cpo = Participant("cpo.example.in", type=ParticipantType.BPP)
    await h.enrol(cpo)
    await h.grant(cpo)
    relay = Participant("bg.example.in", type=ParticipantType.BG)
    await h.enrol(relay)
    by_cpo, by_gateway = Caller(h, cpo), Caller(h, relay)
    looked_up = await h.client.post("/lookup", json=EXAMPLES["LookupBody"])
    assert looked_up.status_code == 200, looked_up.text
    assert [r["subscriber_id"] for r in looked_up.json()] == ["cpo.example.in"]
    for path, name, expected in (
        ("/abuse/status", "StatusBody", 200),
        ("/abuse/defaulters/report", "ReportBody", 201),
        ("/abuse/observations", "ObservationBody", 200),
    ):
        answer = await by_cpo.post(path, EXAMPLES[name])
        assert answer.status_code == expected, (name, answer.text)
    for path, name in (("/abuse/quota/check", "CheckBody"), ("/abuse/events", "EventsBody")):
        answer = await by_gateway.post(path, EXAMPLES[name])
        assert answer.status_code == 200, (name, answer.text)
