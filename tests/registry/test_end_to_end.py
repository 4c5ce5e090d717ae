"""A participant's whole life through the real app and a real on_subscribe server, on SQLite
and on Redis: subscribe, challenge, lookups (three paths), rotation, suspension, revocation."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from tests.conftest import backend_params, backend_url
from tests.registry.peers import SubscriberPeer, serve
from uei.registry.changelog import Actor, ActorKind, LogEntry, verify_chain
from uei.trust import der_form, generate_key_set, load_verify_key, verify_site_verification
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

SID = "cpo.example"


def _subscribe_body(peer: SubscriberPeer, **extra: str) -> bytes:
    return json.dumps(
        {
            "subscriber_id": SID,
            "url": peer.url,
            "type": "BPP",
            "domain": "ev-charging:uei",
            "city": "std:080",
            "country": "IND",
            "ukId": peer.keys.unique_key_id,
            "signing_public_key": peer.public()["signing_public_key"],
            "encr_public_key": peer.public()["encr_public_key"],
            **extra,
        }
    ).encode()


@pytest.fixture(params=backend_params("sqlite", "redis"))
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request, str(request.param), tmp_path)


async def test_participant_lifecycle(store_url: str, tmp_path: Path) -> None:
    async with running(store_url, tmp_path) as h:
        known = (await h.client.get("/.well-known/uei-registry.json")).json()
        assert known == h.well_known
        peer = SubscriberPeer(generate_key_set(), known)
        async with serve(peer):
            await _subscribe_and_pass(h, peer)
            await _look_up_three_ways(h, peer)
            new_peer = await _rotate(h, peer)
            await _suspend_and_reinstate(h, new_peer)
            await _revoke_old_key(h, peer, new_peer)
            await _read_challenges_and_log(h, peer)


async def _subscribe_and_pass(h: Harness, peer: SubscriberPeer) -> None:
    keys = peer.keys
    response = await h.signed("POST", "/subscribe", keys, SID, _subscribe_body(peer))
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "UNDER_SUBSCRIPTION"}
    h.check_signed(response)
    # not valid before the challenge: no record, and the key path says why
    assert (await h.client.post("/lookup", json={"subscriber_id": SID})).json() == []
    pending = await h.client.get(f"/lookup/{SID}/{keys.unique_key_id}")
    assert pending.status_code == 404
    assert "has not passed its challenge" in pending.json()["error"]["message"]
    h.check_signed(pending)

    assert await h.registry.run_due_challenges() == 1
    (call,) = peer.calls
    assert call["subscriber_id"] == SID
    assert call["unique_key_id"] == call["pub_key_id"] == keys.unique_key_id
    sub = await h.registry.store.load(SID)
    assert sub is not None
    assert sub.status.value == "SUBSCRIBED"


async def _look_up_three_ways(h: Harness, peer: SubscriberPeer) -> None:
    kid = peer.keys.unique_key_id
    # 1. POST /lookup as the Beckn protocol server sends it (unsigned, ukId)
    response = await h.client.post("/lookup", json={"subscriber_id": SID, "ukId": kid})
    assert response.status_code == 200
    h.check_signed(response)
    (record,) = response.json()
    assert record["unique_key_id"] == record["ukId"] == record["key_id"] == kid
    assert record["subscriber_url"] == record["url"] == peer.url
    assert record["signing_public_key"] == peer.public()["signing_public_key"]
    assert (record["type"], record["domain"], record["city"], record["country"]) == (
        "BPP",
        "ev-charging:uei",
        "std:080",
        "IND",
    )
    assert record["status"] == "SUBSCRIBED"
    assert record["valid_until"].endswith("Z")
    # beckn-onix spelling, with the empty strings older builds send
    onix = await h.client.post(
        "/lookup",
        json={
            "subscriber_id": SID,
            "key_id": kid,
            "url": "",
            "type": "",
            "valid_from": "0001-01-01T00:00:00Z",
        },
    )
    assert onix.json() == [record]
    # 2. the key path, cacheable
    key_path = await h.client.get(f"/lookup/{SID}/{kid}")
    assert key_path.status_code == 200
    h.check_signed(key_path)
    assert key_path.json() == record
    assert key_path.headers["cache-control"] == "max-age=60"
    etag = key_path.headers["etag"]
    cached = await h.client.get(f"/lookup/{SID}/{kid}", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    # 3. the ONDC spelling: the caller must sign
    unsigned = await h.client.post("/v2.0/lookup", json={"subscriber_id": SID})
    assert unsigned.status_code == 401
    assert unsigned.headers["www-authenticate"].startswith("Signature realm=")
    signed = await h.signed(
        "POST", "/v2.0/lookup", peer.keys, SID, json.dumps({"subscriber_id": SID}).encode()
    )
    assert signed.status_code == 200
    # the same record, its encryption key in ONDC's form (base64 SPKI DER): the same key
    ondc = {**record, "encr_public_key": der_form(record["encr_public_key"])}
    assert signed.json() == [ondc]


async def _rotate(h: Harness, peer: SubscriberPeer) -> SubscriberPeer:
    new = SubscriberPeer(generate_key_set(), peer.registry_well_known, url=peer.url)
    body = json.dumps(
        {
            "unique_key_id": new.keys.unique_key_id,
            **{k: v for k, v in new.public().items() if k != "unique_key_id"},
        }
    ).encode()
    # a stranger's key cannot add keys to this subscriber
    stranger = await h.signed("POST", "/subscribe", new.keys, SID, body)
    assert stranger.status_code == 401
    assert "must sign with one of its currently valid keys" in stranger.json()["error"]["message"]
    response = await h.signed("POST", "/subscribe", peer.keys, SID, body)
    assert response.json() == {"status": "SUBSCRIBED"}
    # the new key is challenged: the registry encrypts to it, so the old keys cannot answer
    peer.keys = new.keys
    assert await h.registry.run_due_challenges() == 1
    assert peer.calls[-1]["unique_key_id"] == new.keys.unique_key_id
    records = (await h.client.post("/lookup", json={"subscriber_id": SID})).json()
    assert [r["unique_key_id"] for r in records] == [
        new.keys.unique_key_id,
        peer.calls[0]["unique_key_id"],
    ]
    return new


async def _suspend_and_reinstate(h: Harness, peer: SubscriberPeer) -> None:
    kid = peer.keys.unique_key_id
    suspended = await h.as_operator("POST", f"/admin/subscribers/{SID}/suspend")
    assert suspended.json() == {"subscriber_id": SID, "status": "SUSPENDED"}
    assert (await h.client.post("/lookup", json={"subscriber_id": SID})).json() == []
    assert (await h.client.get(f"/lookup/{SID}/{kid}")).status_code == 404
    again = await h.as_operator("POST", f"/admin/subscribers/{SID}/suspend")
    assert again.status_code == 409
    assert "that is SUSPENDED" in again.json()["error"]["message"]
    reinstated = await h.as_operator("POST", f"/admin/subscribers/{SID}/reinstate")
    assert reinstated.json()["status"] == "SUBSCRIBED"
    assert (await h.client.get(f"/lookup/{SID}/{kid}")).status_code == 200


async def _revoke_old_key(h: Harness, old: SubscriberPeer, new: SubscriberPeer) -> None:
    first_kid = old.calls[0]["unique_key_id"]
    revoked = await h.as_operator("POST", f"/admin/subscribers/{SID}/keys/{first_kid}/revoke")
    assert revoked.status_code == 200
    gone = await h.client.get(f"/lookup/{SID}/{first_kid}")
    assert gone.status_code == 410
    h.check_signed(gone)
    records = (await h.client.post("/lookup", json={"subscriber_id": SID})).json()
    assert [r["unique_key_id"] for r in records] == [new.keys.unique_key_id]
    # the last valid key cannot revoke itself
    kid = new.keys.unique_key_id
    itself = await h.signed("POST", f"/subscribers/{SID}/keys/{kid}/revoke", new.keys, SID)
    assert itself.status_code == 409
    assert "cannot revoke itself" in itself.json()["error"]["message"]


async def _read_challenges_and_log(h: Harness, peer: SubscriberPeer) -> None:
    history = await h.signed("GET", f"/subscribers/{SID}/challenges", peer.keys, SID)
    assert history.status_code == 200, history.text
    assert [a["outcome"] for a in history.json()["attempts"]] == ["passed", "passed"]
    assert all(a["http_status"] == 200 for a in history.json()["attempts"])
    page = (await h.client.get("/log", params={"after": 0, "limit": 1000})).json()
    entries = msgspec.convert(page["entries"], list[LogEntry])
    verify_chain(entries)
    assert page["head"]["seq"] == entries[-1].seq
    verify_site_verification(
        f"{page['head']['seq']}:{page['head']['hash']}",
        page["head"]["signature"],
        load_verify_key(h.well_known["signing_public_key"]),
    )
    actions = [(e.action, e.actor) for e in entries]
    assert ("suspend", Actor.operator("ops")) in actions
    assert ("key_revoked", Actor.operator("ops")) in actions
    assert ("challenge_passed", Actor(ActorKind.REGISTRY, "on_subscribe")) in actions
    assert all(e.actor.kind is ActorKind.SUBSCRIBER for e in entries if e.action == "subscribe")


async def test_protocol_server_answers_by_signing(store_url: str, tmp_path: Path) -> None:
    async with running(store_url, tmp_path) as h:
        peer = SubscriberPeer(generate_key_set(), h.well_known, style="sign")
        async with serve(peer):
            await h.signed("POST", "/subscribe", peer.keys, SID, _subscribe_body(peer))
            await h.registry.run_due_challenges()
        sub = await h.registry.store.load(SID)
        assert sub is not None
        assert sub.status.value == "SUBSCRIBED"


@pytest.mark.redis
async def test_revocation_reaches_another_replica_through_the_log(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Two replicas on one Redis: a revocation on one is seen by the other at its next
    follow of the change log (every 0.5 s in service)."""
    url = backend_url(request, "redis", tmp_path)
    async with running(url, tmp_path) as first, running(url, tmp_path) as second:
        peer = SubscriberPeer(generate_key_set(), first.well_known)
        async with serve(peer):
            await first.signed("POST", "/subscribe", peer.keys, SID, _subscribe_body(peer))
            await first.registry.run_due_challenges()
        kid = peer.keys.unique_key_id
        second.clock.now = first.clock.now
        await second.registry.sync()
        assert (await second.client.get(f"/lookup/{SID}/{kid}")).status_code == 200
        revoked = await first.as_operator("POST", f"/admin/subscribers/{SID}/keys/{kid}/revoke")
        assert revoked.status_code == 200
        assert (await second.client.get(f"/lookup/{SID}/{kid}")).status_code == 200  # not yet
        assert await second.registry.sync() == 1
        assert (await second.client.get(f"/lookup/{SID}/{kid}")).status_code == 410
