"""The DeDi read API under /dedi, over HTTP through the real app, judged by beckn-onix's rules.

``tests/registry/dedi_client.py`` ports beckn-onix's ``dediregistry`` plugin (its request and
its parsing). It is first run on the plugin's own test fixtures (so the port accepts what the
plugin accepts and refuses what it refuses), then on this registry's answers: exactly 200 for
a live key, a 32-byte raw signing key, ``ttl`` a number, memberships from the policy, RFC 3339
times; non-200 for anything revoked, suspended or unknown; every answer signed by the registry.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.registry import dedi_client as onix
from uei.registry.dedi import digest, jcs
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

BASE = "/dedi"
NETWORK = "uei.network/ev-charging"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        yield harness


# --- the port, on the plugin's own fixtures -------------------------------------------------
# Shapes copied from beckn/beckn-onix pkg/plugin/implementation/dediregistry/
# dediregistry_test.go (TestLookup, TestLookupRegistry, TestLookupNode,
# dediLookupResponse) at commit 9a8b49437aef1028de5f2e69c20d605202ac5c94.

ONIX_LOOKUP = {
    "message": "Record retrieved from registry cache",
    "data": {
        "record_id": "76EU8vY9TkuJ9T62Sc3FyQLf5Kt9YAVgbZhryX6mFi56ipefkP9d9a",
        "details": {
            "url": "http://dev.np2.com/beckn/bap",
            "type": "BAP",
            "domain": "energy",
            "subscriber_id": "dev.np2.com",
            "signing_public_key": "384qqkIIpxo71WaJPsWqQNWUDGAFnfnJPxuDmtuBiLo=",
            "encr_public_key": "test-encr-key",
        },
        "network_memberships": ["commerce-network.org/prod", "local-commerce.org/production"],
        "created_at": "2025-10-27T11:45:27.963Z",
        "updated_at": "2025-10-27T11:46:23.563Z",
    },
}


def _response(status: int, body: Any) -> httpx.Response:
    if isinstance(body, bytes):
        return httpx.Response(status, content=body)
    return httpx.Response(status, json=body)


def test_the_port_accepts_the_plugins_fixtures() -> None:
    found = onix.parse_lookup(_response(200, ONIX_LOOKUP), "test-key-id")
    assert found.subscriber_id == "dev.np2.com"
    assert found.signing_public_key == "384qqkIIpxo71WaJPsWqQNWUDGAFnfnJPxuDmtuBiLo="
    assert found.key_id == "test-key-id"
    assert found.created is not None
    assert found.created.microsecond == 963000
    assert len(onix.verify_key_bytes(found)) == 32
    assert found.cache_seconds == onix.DEFAULT_CACHE_SECONDS  # no ttl: the plugin's 5 minutes
    allowed = onix.parse_lookup(
        _response(200, ONIX_LOOKUP), "k", allowed_network_ids=["commerce-network.org/prod"]
    )
    assert allowed.network_memberships == [
        "commerce-network.org/prod",
        "local-commerce.org/production",
    ]
    mixed = json.loads(json.dumps(ONIX_LOOKUP))
    mixed["data"]["network_memberships"] = [123, "commerce-network.org/prod", {"invalid": True}]
    assert onix.parse_lookup(_response(200, mixed), "k").network_memberships == [
        "commerce-network.org/prod"
    ]
    with_ttl = json.loads(json.dumps(ONIX_LOOKUP))
    with_ttl["data"]["ttl"] = 600
    assert onix.parse_lookup(_response(200, with_ttl), "k").cache_seconds == 600
    with_ttl["data"]["ttl"] = "600"  # a string is ignored
    assert onix.parse_lookup(_response(200, with_ttl), "k").cache_seconds == 300
    meta = {
        "message": "Resource retrieved successfully",
        "data": {
            "registry_name": "mobility-network",
            "meta": {"manifestUrl": "https://example.org/manifest.yaml", "non_string_key": True},
        },
    }
    registry = onix.parse_registry(_response(200, meta), "nfo.example.org", "mobility-network")
    assert registry.meta == {"manifestUrl": "https://example.org/manifest.yaml"}
    node, node_meta = onix.parse_node(
        _response(
            200,
            b'{"data":{"details":{"url":"https://bpp.example.com","subscriber_id":"x"},'
            b'"meta":null}}',
        )
    )
    assert node.url == "https://bpp.example.com"
    assert node_meta == {}


@pytest.mark.parametrize(
    ("status", "body", "fragment"),
    [
        (404, b"Record not found", "status: 404"),
        (410, {"message": "Gone", "error": "revoked", "code": "RECORD_REVOKED"}, "status: 410"),
        (200, b"not json{{", "unmarshal"),
        (200, {"message": "ok"}, "missing data field"),
        (200, {"data": {"details": {"subscriber_id": "x"}}}, "signing_public_key"),
        (200, {"data": {"signing_public_key": "k"}}, "missing details field"),
    ],
)
def test_the_port_refuses_what_the_plugin_refuses(status: int, body: Any, fragment: str) -> None:
    with pytest.raises(onix.DediClientError, match=fragment):
        onix.parse_lookup(_response(status, body), "k")


def test_the_port_refuses_a_disallowed_network_and_a_short_key() -> None:
    with pytest.raises(onix.DediClientError, match="does not belong to any configured networks"):
        onix.parse_lookup(_response(200, ONIX_LOOKUP), "k", ["commerce-network/other"])
    short = json.loads(json.dumps(ONIX_LOOKUP))
    short["data"]["details"]["signing_public_key"] = base64.b64encode(bytes(31)).decode()
    with pytest.raises(onix.DediClientError, match="bad public key length"):
        onix.verify_key_bytes(onix.parse_lookup(_response(200, short), "k"))


# --- the port, on this registry ------------------------------------------------------------


async def test_beckn_onix_looks_up_a_live_key(h: Harness) -> None:
    cpo = Participant("cpo.dedi.example")
    await h.enrol(cpo)
    kid = cpo.keys.unique_key_id
    path = f"{BASE}/lookup/{cpo.subscriber_id}/subscribers.beckn.one/{kid}"
    raw = await h.client.get(path)
    assert raw.status_code == 200, raw.text  # exactly 200: the plugin trusts nothing else
    assert raw.headers["content-type"].startswith("application/json")
    h.check_signed(raw)
    found = await onix.lookup(h.client, BASE, cpo.subscriber_id, kid, [NETWORK])
    assert onix.verify_key_bytes(found) == bytes(cpo.keys.verify_key)
    assert found.subscriber_id == cpo.subscriber_id
    assert found.url == cpo.url
    assert (found.type, found.domain) == ("BPP", "ev-charging:uei")
    assert base64.b64decode(found.encr_public_key) == bytes(cpo.keys.encryption_public_key)
    assert found.network_memberships == [NETWORK]
    assert found.created is not None
    assert found.updated is not None
    assert found.cache_seconds == 60  # ttl from the policy, as a number
    data = raw.json()["data"]
    assert isinstance(data["ttl"], int)
    assert not isinstance(data["ttl"], bool)
    assert data["record_id"] == kid
    assert data["state"] == "live"
    assert data["is_revoked"] is False
    for name in ("created_at", "updated_at", "valid_till"):
        assert onix._time(data[name]) is not None, name
    # the digest: anyone recomputes it from the answer (ASCII member names: sorted keys and
    # no whitespace is RFC 8785 here)
    details = data["details"]
    canonical = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert data["digest"] == hashlib.blake2b(canonical.encode(), digest_size=32).hexdigest()
    assert data["digest"] == digest(details)


async def test_a_policy_sets_memberships_and_ttl(tmp_path: Path) -> None:
    async with running(
        f"sqlite:///{tmp_path / 'uei.db'}",
        tmp_path,
        network_memberships=["uei.in/prod", "uei.in/sandbox"],
        dedi={"ttl_seconds": 5},
    ) as h:
        cpo = Participant("cpo.policy.example")
        await h.enrol(cpo)
        found = await onix.lookup(
            h.client, BASE, cpo.subscriber_id, cpo.keys.unique_key_id, ["uei.in/sandbox"]
        )
        assert found.network_memberships == ["uei.in/prod", "uei.in/sandbox"]
        assert found.cache_seconds == 5
        with pytest.raises(onix.DediClientError, match="does not belong"):
            await onix.lookup(h.client, BASE, cpo.subscriber_id, cpo.keys.unique_key_id, [NETWORK])
        assert (await h.client.get(f"{BASE}/lookup/uei.in/sandbox")).status_code == 200
        assert (await h.client.get(f"{BASE}/lookup/uei.network/ev-charging")).status_code == 404


def _assert_dedi_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "error", "code"}, body
    assert body["code"] == code, body
    assert all(isinstance(v, str) and v for v in body.values()), body


async def test_revoked_and_suspended_keys_are_410_unknown_404(h: Harness) -> None:
    revoked, suspended = Participant("revoked.dedi.example"), Participant("suspended.dedi.example")
    await h.enrol(revoked)
    await h.enrol(suspended)
    rk, sk = revoked.keys.unique_key_id, suspended.keys.unique_key_id
    done = await h.as_operator(
        "POST", f"/admin/subscribers/{revoked.subscriber_id}/keys/{rk}/revoke"
    )
    assert done.status_code == 200, done.text
    done = await h.as_operator("POST", f"/admin/subscribers/{suspended.subscriber_id}/suspend")
    assert done.status_code == 200, done.text
    await h.registry.sync()

    for sub, kid, code in [
        (revoked, rk, "RECORD_REVOKED"),
        (suspended, sk, "RECORD_SUSPENDED"),
    ]:
        answer = await h.client.get(
            f"{BASE}/lookup/{sub.subscriber_id}/subscribers.beckn.one/{kid}"
        )
        _assert_dedi_error(answer, 410, code)
        h.check_signed(answer)
        with pytest.raises(onix.DediClientError, match="status: 410"):
            await onix.lookup(h.client, BASE, sub.subscriber_id, kid)
        by_name = await h.client.get(f"{BASE}/lookup/{NETWORK}/{sub.subscriber_id}")
        _assert_dedi_error(by_name, 410, code)

    for path in [
        f"{BASE}/lookup/{revoked.subscriber_id}/subscribers.beckn.one/no-such-key",
        f"{BASE}/lookup/nobody.example/subscribers.beckn.one/{rk}",
        f"{BASE}/lookup/{NETWORK}/nobody.example",
        f"{BASE}/lookup/other.network/registry",
        f"{BASE}/lookup/other.network/registry/{revoked.subscriber_id}",
        f"{BASE}/query/other.network/registry",
        f"{BASE}/versions/{NETWORK}/nobody.example",
    ]:
        answer = await h.client.get(path)
        _assert_dedi_error(answer, 404, "NOT_FOUND")
        h.check_signed(answer)


async def test_registry_metadata_and_node_lookup(h: Harness) -> None:
    cpo = Participant("node.dedi.example")
    await h.enrol(cpo)
    namespace, registry = NETWORK.split("/")
    raw = await h.client.get(f"{BASE}/lookup/{namespace}/{registry}")
    assert raw.status_code == 200
    h.check_signed(raw)
    meta = onix.parse_registry(raw, namespace, registry).meta
    known = h.well_known
    assert meta["signing_public_key"] == known["signing_public_key"]
    assert meta["encr_public_key_der"] == known["encr_public_key_der"]
    assert meta["subscriber_id"] == known["subscriber_id"]
    data = raw.json()["data"]
    assert data["registry_name"] == registry
    assert data["namespace_id"] == namespace
    assert data["record_count"] == 1
    assert data["ttl"] == 60
    assert data["digest"] == digest(data["meta"])
    # beckn-onix's node lookup: namespace/registry/record, the wildcard as the registry too
    for node_id in (
        f"{NETWORK}/{cpo.subscriber_id}",
        f"{namespace}/subscribers.beckn.one/{cpo.subscriber_id}",
    ):
        node, node_meta = await onix.lookup_node(h.client, BASE, node_id)
        assert node.url == cpo.url
        assert base64.b64decode(node.signing_public_key) == bytes(cpo.keys.verify_key)
        assert node_meta == {}


async def test_query_pages_and_filters_by_state(h: Harness) -> None:
    people = [Participant(f"q{i:02d}.dedi.example") for i in range(5)]
    for p in people:
        await h.enrol(p)
    done = await h.as_operator("POST", f"/admin/subscribers/{people[1].subscriber_id}/suspend")
    assert done.status_code == 200
    await h.registry.sync()
    path = f"{BASE}/query/{NETWORK}"
    first = await h.client.get(path, params={"page_size": 2})
    assert first.status_code == 200
    h.check_signed(first)
    data = first.json()["data"]
    assert (data["total_records"], data["total_pages"], data["page_number"]) == (5, 3, 1)
    assert [r["record_name"] for r in data["records"]] == ["q00.dedi.example", "q01.dedi.example"]
    assert [r["state"] for r in data["records"]] == ["live", "suspended"]
    assert all(
        len(base64.b64decode(r["details"]["signing_public_key"])) == 32 for r in data["records"]
    )
    last = (await h.client.get(path, params={"page_size": 2, "page": 3})).json()["data"]
    assert [r["record_name"] for r in last["records"]] == ["q04.dedi.example"]
    live = (await h.client.get(path, params={"state": "live"})).json()["data"]
    assert live["total_records"] == 4
    assert {r["state"] for r in live["records"]} == {"live"}
    suspended = (await h.client.get(path, params={"state": "suspended"})).json()["data"]
    assert [r["record_name"] for r in suspended["records"]] == ["q01.dedi.example"]
    for bad in ({"page_size": 101}, {"page_size": 0}, {"page": 0}, {"state": "lost"}):
        refused = await h.client.get(path, params=bad)
        _assert_dedi_error(refused, 400, "INVALID_REQUEST")
        h.check_signed(refused)
    assert (await h.client.get(path, params={"page_size": 100})).status_code == 200


async def test_versions_follow_the_change_log(h: Harness) -> None:
    cpo = Participant("versions.dedi.example")
    await h.enrol(cpo)
    other = Participant("other.dedi.example")
    await h.enrol(other)
    done = await h.as_operator("POST", f"/admin/subscribers/{cpo.subscriber_id}/suspend")
    assert done.status_code == 200
    await h.registry.sync()
    log = (await h.client.get("/log", params={"limit": 1000})).json()
    mine = [e for e in log["entries"] if e["subscriber_id"] == cpo.subscriber_id]
    record = await h.client.get(f"{BASE}/versions/{NETWORK}/{cpo.subscriber_id}")
    assert record.status_code == 200
    h.check_signed(record)
    data = record.json()["data"]
    assert data["versions"] == [str(e["seq"]) for e in reversed(mine)]
    assert data["total_versions"] == len(mine)
    assert data["entries"][0]["action"] == mine[-1]["action"]
    assert data["entries"][0]["new_status"] == "SUSPENDED"
    assert data["entries"][0]["hash"] == mine[-1]["hash"]
    whole = (await h.client.get(f"{BASE}/versions/{NETWORK}")).json()["data"]
    assert whole["total_versions"] == log["head"]["seq"]
    assert whole["versions"][0] == str(log["head"]["seq"])
    assert whole["ttl"] == 60


# --- the digest: RFC 8785 canonical JSON, BLAKE2b-256 -----------------------------------------

# RFC 8785 section 3.2.3 (sorting by UTF-16 code units) and Appendix B (numbers, as
# IEEE 754 bit patterns and their ECMAScript forms).
RFC8785_SORTING = (
    {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    },
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O '
    'With Diaeresis","\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":'
    '"Hebrew Letter Dalet With Dagesh"}',
)
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]

# This registry's digest vectors (also in the README): details -> canonical JSON -> digest.
DIGEST_VECTORS = [
    (
        {
            "subscriber_id": "cpo.example",
            "url": "https://cpo.example/beckn",
            "type": "BPP",
            "domain": "ev-charging:uei",
            "city": "std:080",
            "country": "IND",
            "unique_key_id": "k1",
            "signing_public_key": "384qqkIIpxo71WaJPsWqQNWUDGAFnfnJPxuDmtuBiLo=",
            "encr_public_key": "uMXWqLyfDHfRxoXNiQ+C5qiAKPQ5D0oGKa22qim5oSc=",
            "valid_from": "2026-01-01T00:00:00.000Z",
            "valid_until": "2027-01-01T00:00:00.000Z",
            "status": "SUBSCRIBED",
        },
        '{"city":"std:080","country":"IND","domain":"ev-charging:uei","encr_public_key":'
        '"uMXWqLyfDHfRxoXNiQ+C5qiAKPQ5D0oGKa22qim5oSc=","signing_public_key":'
        '"384qqkIIpxo71WaJPsWqQNWUDGAFnfnJPxuDmtuBiLo=","status":"SUBSCRIBED","subscriber_id":'
        '"cpo.example","type":"BPP","unique_key_id":"k1","url":"https://cpo.example/beckn",'
        '"valid_from":"2026-01-01T00:00:00.000Z","valid_until":"2027-01-01T00:00:00.000Z"}',
        "162e0a7f80c857d3952abe77741f2da95d33548d25cf3277da2c5f8110c07d9d",
    ),
    (
        {"name": "Chargé \u20ac", "tab": "a\tb", "n": [1, 2.5, 1e21, None, True], "\u00e9": {}},
        '{"n":[1,2.5,1e+21,null,true],"name":"Chargé \u20ac","tab":"a\\tb","\u00e9":{}}',
        "9fa36e65c282f0d5f3b9224ec94338a7db9558dabeff454dc1cef46d93f6b59e",
    ),
]


def test_rfc8785_sorting_and_numbers() -> None:
    value, expected = RFC8785_SORTING
    assert jcs(value) == expected
    for bits, form in RFC8785_NUMBERS:
        number: float = struct.unpack(">d", bytes.fromhex(bits))[0]
        assert jcs(number) == form, bits


@pytest.mark.parametrize(("details", "canonical", "expected"), DIGEST_VECTORS)
def test_digest_known_answers(details: dict[str, Any], canonical: str, expected: str) -> None:
    assert jcs(details) == canonical
    assert digest(details) == hashlib.blake2b(canonical.encode(), digest_size=32).hexdigest()
    assert digest(details) == expected


async def test_every_dedi_operation_is_documented(h: Harness) -> None:
    document = (await h.client.get("/schema/openapi.json")).json()
    operations = [
        (method, path, op)
        for path, item in document["paths"].items()
        if path.startswith("/dedi/")
        for method, op in item.items()
    ]
    assert len(operations) == 8
    for method, path, op in operations:
        assert op.get("summary"), (method, path)
        assert op.get("description"), (method, path)
        if path.startswith(("/dedi/lookup/", "/dedi/query/", "/dedi/versions/")):
            refusal = op["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert refusal == {"$ref": "#/components/schemas/DediErrorResponse"}, path
