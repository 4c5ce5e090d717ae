"""The API documents work offline: every script, style and icon the docs pages load is served
by the service itself, from a package, and nothing points at a CDN."""

from __future__ import annotations

import re

import pytest

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
