"""Attacks on the registry's trust: becoming the registry, granting oneself a role, acting with a
revoked key or while suspended. Each is performed over HTTP against the real app and checks
the refusal and that nothing was stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import backend_url
from uei.registry.model import KeyState, ParticipantType
from uei.trust import KeySet, encode_key, generate_key_set
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

DOMAIN = "ev-charging:uei"
GPS = {"gps": "12.9716,77.5946", "radius_km": 2}


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'uei.db'}"


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _registration(sid: str, keys: KeySet, **fields: Any) -> bytes:
    return _encode(
        {
            "subscriber_id": sid,
            "subscriber_url": f"https://{sid}/beckn",
            "type": "BPP",
            "domain": DOMAIN,
            "unique_key_id": keys.unique_key_id,
            "signing_public_key": encode_key(keys.verify_key),
            "encr_public_key": encode_key(keys.encryption_public_key),
            **fields,
        }
    )


def _refused(response: httpx.Response, status: int, path: str, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["message"]["ack"]["status"] == "NACK"
    assert body["error"]["path"] == path, body
    assert fragment in body["error"]["message"], body


async def _log(h: Harness) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (await h.client.get("/log?limit=1000")).json()["entries"]
    return entries


# --- nobody becomes the registry ------------------------------------------------------------


async def test_nobody_can_subscribe_as_the_registry(tmp_path: Path) -> None:
    """The attacker registers under the registry's published id and key id with its own key,
    hoping verifiers that look up the registry's keyId get the attacker's key."""
    async with running(_sqlite(tmp_path), tmp_path) as h:
        known = h.well_known
        rid, rkid = known["subscriber_id"], known["unique_key_id"]
        attacker = generate_key_set(rkid)
        before = await _log(h)
        answer = await h.signed("POST", "/subscribe", attacker, rid, _registration(rid, attacker))
        _refused(answer, 403, "subscriber_id", "the registry's own subscriber_id")
        # under another id, the registry's key id is refused as well
        answer = await h.signed(
            "POST", "/subscribe", attacker, "evil.example", _registration("evil.example", attacker)
        )
        _refused(answer, 403, "unique_key_id", "the registry's own key ids")
        assert await h.registry.store.load(rid) is None
        assert await h.registry.store.load("evil.example") is None
        assert await _log(h) == before
        await h.registry.sync()
        # the key path serves the registry's own key, from its identity
        record = (await h.client.get(f"/lookup/{rid}/{rkid}")).json()
        assert record["signing_public_key"] == known["signing_public_key"]
        assert record["type"] == "BREG"
        assert record["signing_public_key"] != encode_key(attacker.verify_key)


async def test_no_subscriber_takes_the_breg_role(tmp_path: Path) -> None:
    async with running(_sqlite(tmp_path), tmp_path) as h:
        keys = generate_key_set()
        body = _registration("fake-registry.example", keys, type="BREG")
        answer = await h.signed("POST", "/subscribe", keys, "fake-registry.example", body)
        _refused(answer, 403, "type", "BREG is the registry's alone")
        assert await h.registry.store.load("fake-registry.example") is None
        registries = (await h.client.post("/lookup", json={"type": "BREG"})).json()
        assert [r["subscriber_id"] for r in registries] == [h.well_known["subscriber_id"]]


async def test_no_subscriber_passes_for_an_operator_in_the_change_log(tmp_path: Path) -> None:
    """A subscriber called ``operator:ops`` would have appeared in the log as the operator."""
    async with running(_sqlite(tmp_path), tmp_path) as h:
        keys = generate_key_set()
        sid = "operator:ops"
        answer = await h.signed("POST", "/subscribe", keys, sid, _registration(sid, keys))
        assert answer.status_code in (400, 401), answer.text
        assert await h.registry.store.load(sid) is None
        honest = generate_key_set()
        ok = await h.signed(
            "POST", "/subscribe", honest, "cpo.example", _registration("cpo.example", honest)
        )
        assert ok.status_code == 200, ok.text
        suspended = await h.as_operator("POST", "/admin/subscribers/cpo.example/revoke")
        assert suspended.status_code == 200, suspended.text
        actors = {(e["action"], e["actor"]["kind"], e["actor"]["id"]) for e in await _log(h)}
        assert ("subscribe", "subscriber", "cpo.example") in actors
        assert ("revoke", "operator", "ops") in actors


# --- roles are granted, not claimed ---------------------------------------------------------


async def _add_role(h: Harness, p: Participant, type_: str) -> httpx.Response:
    body = _encode({"type": type_, "domain": DOMAIN, "city": "std:080"})
    return await h.signed("POST", "/subscribe", p.keys, p.subscriber_id, body)


async def _status_query(h: Harness, p: Participant) -> httpx.Response:
    body = _encode(
        {"purpose": "postpaid_session", "identifiers": [{"kind": "upi_vpa", "value": "asha@ybl"}]}
    )
    return await h.signed("POST", "/abuse/status", p.keys, p.subscriber_id, body)


async def test_a_bap_cannot_grant_itself_the_bpp_role(tmp_path: Path) -> None:
    """With require_approval, a subscribed BAP signs one /subscribe adding type BPP and would
    at once query the defaulter ledger as a CPO."""
    async with running(_sqlite(tmp_path), tmp_path, require_approval=True) as h:
        bap = Participant("app.example", ParticipantType.BAP)
        await h.enrol(bap)
        answer = await _add_role(h, bap, "BPP")
        assert answer.json() == {"status": "SUBSCRIBED"}
        await h.registry.sync()
        assert (await h.client.post("/lookup", json={"type": "BPP"})).json() == []
        refused = await _status_query(h, bap)
        assert refused.status_code == 401, refused.text
        assert "is not a subscribed BPP" in refused.json()["error"]["message"]
        stored = await h.registry.store.load(bap.subscriber_id)
        assert stored is not None
        assert [r.type for r in stored.roles] == [ParticipantType.BAP]
        assert [r.type for r in stored.pending_roles] == [ParticipantType.BPP]
        listed = (await h.as_operator("GET", "/admin/subscribers")).json()
        assert listed[0]["pending_roles"] == [f"BPP:{DOMAIN}:IND:std:080"]
        history = await h.signed(
            "GET", "/subscribers/app.example/challenges", bap.keys, bap.subscriber_id
        )
        assert history.json()["pending_roles"] == [f"BPP:{DOMAIN}:IND:std:080"]
        # the operator approves the role: now it is one
        approved = await h.as_operator("POST", "/admin/subscribers/app.example/approve")
        assert approved.status_code == 200, approved.text
        await h.registry.sync()
        assert [r["type"] for r in (await h.client.post("/lookup", json={"type": "BPP"})).json()]
        # a BPP now, yet not a caller of the non-payer API until an operator grants it that
        assert (await _status_query(h, bap)).status_code == 403
        await h.grant(bap)
        assert (await _status_query(h, bap)).status_code == 200


async def test_a_gateway_role_always_waits_for_an_operator(tmp_path: Path) -> None:
    """On an open network without require_approval, a BPP adds type BG to have its quota
    checks and events trusted as a gateway's."""
    async with running(_sqlite(tmp_path), tmp_path) as h:
        cpo = Participant("cpo.example", ParticipantType.BPP)
        app = Participant("app.example", ParticipantType.BAP)
        await h.enrol(cpo)
        await h.enrol(app)
        assert (await _add_role(h, cpo, "BG")).status_code == 200
        await h.registry.sync()
        assert (await h.client.post("/lookup", json={"type": "BG"})).json() == []
        stored = await h.registry.store.load(cpo.subscriber_id)
        assert stored is not None
        assert [r.type for r in stored.roles] == [ParticipantType.BPP]
        # a bare approve does not grant a gateway role: it must be named
        bare = await h.as_operator("POST", "/admin/subscribers/cpo.example/approve")
        assert bare.status_code == 409
        assert "name it with --type" in bare.json()["error"]["message"]
        named = _encode({"role": {"type": "BG", "domain": DOMAIN}})
        granted = await h.as_operator("POST", "/admin/subscribers/cpo.example/approve", named)
        assert granted.status_code == 200, granted.text
        await h.registry.sync()
        gateways = (await h.client.post("/lookup", json={"type": "BG"})).json()
        assert [r["subscriber_id"] for r in gateways] == ["cpo.example"]
        log = await _log(h)
        assert [e["actor"]["kind"] for e in log if e["action"].startswith("role_approved")] == [
            "operator"
        ]


async def test_an_allowlist_entry_names_the_roles(tmp_path: Path) -> None:
    """Allowed as a BAP, a subscriber adds type BPP: refused, the entry does not name it."""
    async with running(_sqlite(tmp_path), tmp_path, onboarding="allowlist") as h:
        allow = _encode({"roles": [{"type": "BAP", "domain": DOMAIN}]})
        assert (
            await h.as_operator("POST", "/admin/subscribers/app.example/allow", allow)
        ).status_code == 200
        keys = generate_key_set()
        body = _registration("app.example", keys, type="BAP")
        assert (await h.signed("POST", "/subscribe", keys, "app.example", body)).status_code == 200
        app = Participant("app.example", ParticipantType.BAP, keys=keys)
        extra = _encode({"type": "BPP", "domain": DOMAIN})
        refused = await h.signed("POST", "/subscribe", app.keys, "app.example", extra)
        _refused(refused, 403, "type", "does not name the role BPP")
        stored = await h.registry.store.load("app.example")
        assert stored is not None
        assert [r.type for r in stored.roles] == [ParticipantType.BAP]
        assert stored.pending_roles == ()


# --- a revoked key or a suspended subscriber changes nothing, on any replica ----------------


@pytest.fixture
def redis_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request, "redis", tmp_path)


@pytest.mark.redis
async def test_a_revoked_key_changes_nothing_on_another_replica(
    tmp_path: Path, redis_url: str
) -> None:
    """An operator revokes key K on replica A; the holder of K signs a /subscribe on replica B
    (whose view still has K) adding its own key and moving the subscriber's URL."""
    url = redis_url
    async with running(url, tmp_path) as a, running(url, tmp_path) as b:
        victim = Participant("cpo.example", ParticipantType.BPP)
        spare = generate_key_set()
        await a.enrol(victim)
        await b.registry.sync()
        kid = victim.keys.unique_key_id
        revoked = await a.as_operator("POST", f"/admin/subscribers/cpo.example/keys/{kid}/revoke")
        assert revoked.status_code == 200, revoked.text
        # replica B has not followed the log yet: its view still holds K as valid
        view_key = b.registry.view.subscriber("cpo.example")
        assert view_key is not None
        assert view_key.keys[0].state is KeyState.VALID
        body = _encode(
            {
                "subscriber_url": "https://attacker.example/beckn",
                "unique_key_id": spare.unique_key_id,
                "signing_public_key": encode_key(spare.verify_key),
                "encr_public_key": encode_key(spare.encryption_public_key),
            }
        )
        answer = await b.signed("POST", "/subscribe", victim.keys, "cpo.example", body)
        assert answer.status_code in (401, 403), answer.text
        stored = await b.registry.store.load("cpo.example")
        assert stored is not None
        assert stored.subscriber_url == victim.url
        assert [k.unique_key_id for k in stored.keys] == [kid]


async def test_a_suspended_subscriber_cannot_revoke_its_keys(tmp_path: Path) -> None:
    async with running(_sqlite(tmp_path), tmp_path) as h:
        cpo = Participant("cpo.example", ParticipantType.BPP)
        await h.enrol(cpo)
        assert (await h.as_operator("POST", "/admin/subscribers/cpo.example/suspend")).is_success
        kid = cpo.keys.unique_key_id
        answer = await h.signed(
            "POST", f"/subscribers/cpo.example/keys/{kid}/revoke", cpo.keys, "cpo.example"
        )
        _refused(answer, 403, "Authorization", "is SUSPENDED and cannot change anything")
        stored = await h.registry.store.load("cpo.example")
        assert stored is not None
        assert stored.keys[0].state is KeyState.VALID


async def test_an_operator_taken_out_of_the_operators_file_is_refused_at_once(
    tmp_path: Path,
) -> None:
    """An operator's key leaves ``UEI_OPERATORS`` (a colleague left, a key leaked): the next
    signed /admin command with it is refused, without a restart, as the dashboard refuses it."""
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h:
        listed = await h.as_operator("GET", "/admin/subscribers")
        assert listed.status_code == 200, listed.text
        h.app.state.settings.operators_file.write_text("[]")
        refused = await h.as_operator("GET", "/admin/subscribers")
        assert refused.status_code == 401, refused.text
        assert "not an operator key" in refused.text
