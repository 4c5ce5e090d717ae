"""Bad input and hostile callers get a clear 4xx NACK, and nothing is written."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.registry.peers import SubscriberPeer, serve
from uei.registry.model import AttemptOutcome, Status
from uei.trust import encode_key, generate_key_set, sign_header
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

SID = "bap.example"


def _body(keys_peer: SubscriberPeer, **extra: object) -> bytes:
    fields: dict[str, object] = {
        "subscriber_id": SID,
        "subscriber_url": "https://bap.example/beckn",
        "type": "BAP",
        "domain": "ev-charging:uei",
        **keys_peer.public(),
    }
    fields.update(extra)
    return json.dumps({k: v for k, v in fields.items() if v is not None}).encode()


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        yield harness


def _nack(response: httpx.Response, status: int, code: str, fragment: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["message"]["ack"]["status"] == "NACK"
    assert body["error"]["code"] == code
    assert fragment in body["error"]["message"], body
    return body


async def _nothing_stored(h: Harness) -> None:
    assert await h.registry.store.load(SID) is None
    assert await h.registry.store.head() is None


async def test_unsigned_subscribe(h: Harness) -> None:
    peer = SubscriberPeer(generate_key_set(), h.well_known)
    response = await h.client.post("/subscribe", content=_body(peer))
    _nack(response, 401, "30016", "the Authorization header is missing")
    assert response.headers["www-authenticate"] == (
        'Signature realm="uei",headers="(created) (expires) digest"'
    )
    await _nothing_stored(h)


async def test_replayed_subscribe_is_refused(h: Harness) -> None:
    peer = SubscriberPeer(generate_key_set(), h.well_known)
    body = _body(peer)
    header = sign_header(
        body,
        peer.keys.signing_key,
        subscriber_id=SID,
        unique_key_id=peer.keys.unique_key_id,
        created=int(h.clock()),
    )
    first = await h.client.post("/subscribe", content=body, headers={"Authorization": header})
    assert first.status_code == 200
    again = await h.client.post("/subscribe", content=body, headers={"Authorization": header})
    _nack(again, 401, "30016", "replayed: sign each attempt anew")


async def test_expired_and_future_signatures(h: Harness) -> None:
    peer = SubscriberPeer(generate_key_set(), h.well_known)
    body = _body(peer)
    now = int(h.clock())
    for created, expires, reason, code in [
        (now - 100, now - 10, "expired", "30022"),
        (now + 60, now + 120, "not yet valid", "30022"),
    ]:
        header = sign_header(
            body,
            peer.keys.signing_key,
            subscriber_id=SID,
            unique_key_id=peer.keys.unique_key_id,
            created=created,
            expires=expires,
        )
        response = await h.client.post(
            "/subscribe", content=body, headers={"Authorization": header}
        )
        _nack(response, 401, code, reason)
    await _nothing_stored(h)


async def test_gateway_header_is_challenged_with_proxy_authenticate(h: Harness) -> None:
    keys = generate_key_set()
    response = await h.signed(
        "POST", "/v2.0/lookup", keys, "unknown.example", b"{}", header="X-Gateway-Authorization"
    )
    _nack(response, 401, "30016", "unknown key")
    assert "proxy-authenticate" in response.headers


async def test_new_subscriber_must_sign_with_the_key_in_its_body(h: Harness) -> None:
    peer = SubscriberPeer(generate_key_set(), h.well_known)
    other = generate_key_set()
    response = await h.signed("POST", "/subscribe", other, SID, _body(peer))
    _nack(response, 401, "30016", "a new subscriber signs with the signing key in its body")
    await _nothing_stored(h)


@pytest.mark.parametrize(
    ("overrides", "status", "path", "fragment"),
    [
        ({"domain": "nic2004:60212"}, 400, "domain", "not open on this network"),
        ({"type": "SELLER"}, 400, "type", "Invalid enum value 'SELLER'"),
        ({"url": "https://elsewhere.example"}, 400, "subscriber_url", "disagree"),
        ({"encr_public_key": "c2hvcnQ="}, 400, "encr_public_key", "5 bytes"),
        ({"valid_until": "2020-01-01T00:00:00Z"}, 400, "valid_until", "after valid_from"),
        ({"subscriber_id": "someone-else.example"}, 403, "subscriber_id", "signed by bap.example"),
    ],
)
async def test_bad_subscribe_bodies_name_the_field(
    h: Harness, overrides: dict[str, object], status: int, path: str, fragment: str
) -> None:
    peer = SubscriberPeer(generate_key_set(), h.well_known)
    response = await h.signed("POST", "/subscribe", peer.keys, SID, _body(peer, **overrides))
    body = _nack(response, status, {400: "30000", 403: "30017"}[status], fragment)
    assert body["error"]["path"] == path
    await _nothing_stored(h)


async def test_malformed_signing_key_in_body_is_a_400(h: Harness) -> None:
    peer = SubscriberPeer(generate_key_set(), h.well_known)
    body = _body(peer, signing_public_key="AAAA")
    response = await h.signed("POST", "/subscribe", peer.keys, SID, body)
    assert _nack(response, 400, "30000", "3 bytes")["error"]["path"] == "signing_public_key"


async def test_malformed_json_is_a_nack(h: Harness) -> None:
    peer = SubscriberPeer(generate_key_set(), h.well_known)
    response = await h.signed("POST", "/subscribe", peer.keys, SID, b'{"subscriber_id": ')
    _nack(response, 400, "30000", "truncated")


async def test_only_operators_reach_admin(h: Harness) -> None:
    someone = generate_key_set()
    response = await h.signed("POST", f"/admin/subscribers/{SID}/suspend", someone, "ops")
    _nack(response, 401, "30016", "is not an operator key")
    unsigned = await h.client.get("/admin/subscribers")
    _nack(unsigned, 401, "30016", "missing")
    bogus = await h.as_operator("POST", f"/admin/subscribers/{SID}/explode")
    assert bogus.status_code == 400
    assert (await h.as_operator("POST", f"/admin/subscribers/{SID}/suspend")).status_code == 404


async def test_allowlist_onboarding(tmp_path: Path) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, onboarding="allowlist") as h:
        peer = SubscriberPeer(generate_key_set(), h.well_known)
        refused = await h.signed("POST", "/subscribe", peer.keys, SID, _body(peer))
        _nack(refused, 403, "30017", "not on this network's allowlist")
        roles = b'{"roles": [{"type": "BPP", "domain": "ev-charging:uei"}]}'
        allowed = await h.as_operator("POST", f"/admin/subscribers/{SID}/allow", roles)
        assert allowed.json() == {"subscriber_id": SID, "status": "INITIATED"}
        as_bap = await h.signed("POST", "/subscribe", peer.keys, SID, _body(peer))
        _nack(as_bap, 403, "30017", "does not name the role BAP in ev-charging:uei")
        assert as_bap.json()["error"]["path"] == "type"
        roles = b'{"roles": [{"type": "BAP"}]}'
        more = await h.as_operator("POST", f"/admin/subscribers/{SID}/allow", roles)
        assert more.json() == {"subscriber_id": SID, "status": "INITIATED"}
        accepted = await h.signed("POST", "/subscribe", peer.keys, SID, _body(peer))
        assert accepted.json() == {"status": "UNDER_SUBSCRIPTION"}
        listed = (await h.as_operator("GET", "/admin/subscribers?status=UNDER_SUBSCRIPTION")).json()
        assert [s["subscriber_id"] for s in listed] == [SID]


async def test_unknown_and_unready_keys_on_the_key_path(h: Harness) -> None:
    response = await h.client.get("/lookup/nobody.example/k1")
    _nack(response, 404, "30004", "no key k1 for nobody.example")


async def test_failed_challenges_are_recorded_and_retried_per_policy(tmp_path: Path) -> None:
    schedule: dict[str, Any] = {
        # every answer here comes at once: the timeout only has to outlast a busy machine
        "challenge": {"retry_after_seconds": [0, 10, 60, 300], "timeout_seconds": 3.0}
    }
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, **schedule) as h:
        peer = SubscriberPeer(generate_key_set(), h.well_known, style="error")
        async with serve(peer):
            subscribed = await h.signed(
                "POST", "/subscribe", peer.keys, SID, _body(peer, subscriber_url=peer.url)
            )
            assert subscribed.status_code == 200, subscribed.text
            outcomes = []
            for style in ("error", "garbage", "wrong"):
                peer.style = style
                h.clock.advance(60)
                assert await h.registry.run_due_challenges() == 1
                sub = await h.registry.store.load(SID)
                assert sub is not None
                outcomes.append((sub.attempts[-1].outcome, sub.attempts[-1].http_status))
        # the peer is gone now: unreachable
        h.clock.advance(300)
        assert await h.registry.run_due_challenges() == 1
        sub = await h.registry.store.load(SID)
        assert sub is not None
        outcomes.append((sub.attempts[-1].outcome, sub.attempts[-1].http_status))
        assert outcomes == [
            (AttemptOutcome.HTTP_ERROR, 503),
            (AttemptOutcome.BAD_RESPONSE, 200),
            (AttemptOutcome.WRONG_ANSWER, 200),
            (AttemptOutcome.UNREACHABLE, None),
        ]
        assert sub.status is Status.UNDER_SUBSCRIPTION
        assert sub.keys[0].next_attempt_at is None  # the schedule is used up
        h.clock.advance(10_000)
        assert await h.registry.run_due_challenges() == 0
        history = await h.signed("GET", f"/subscribers/{SID}/challenges", peer.keys, SID)
        assert [a["outcome"] for a in history.json()["attempts"]] == [o for o, _ in outcomes]
        # an empty subscribe starts the schedule again
        peer.style = "decrypt"
        async with serve(peer, port=int(peer.url.split(":")[2].split("/")[0])):
            again = await h.signed("POST", "/subscribe", peer.keys, SID, b"")
            assert again.json() == {"status": "UNDER_SUBSCRIPTION"}
            assert await h.registry.run_due_challenges() == 1
        sub = await h.registry.store.load(SID)
        assert sub is not None
        assert sub.status is Status.SUBSCRIBED


async def test_a_slow_subscriber_times_out_without_holding_up_others(tmp_path: Path) -> None:
    # long enough that the fast peer answers in time on a machine busy with other work (at
    # 0.3 s it did not, once, under a load average of 10), short enough to keep the test quick
    policy: dict[str, Any] = {"challenge": {"timeout_seconds": 3.0}}
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, **policy) as h:
        stuck = asyncio.Event()
        slow = SubscriberPeer(generate_key_set(), h.well_known)
        fast = SubscriberPeer(generate_key_set(), h.well_known)

        async def hang(request: object) -> object:
            await stuck.wait()
            raise AssertionError("unreachable")

        slow.on_subscribe = hang  # type: ignore[method-assign,assignment]
        async with serve(slow, "/slow"), serve(fast, "/fast"):
            for peer, sid in ((slow, "slow.example"), (fast, "fast.example")):
                body = json.loads(_body(peer, subscriber_url=peer.url))
                body["subscriber_id"] = sid
                response = await h.signed(
                    "POST", "/subscribe", peer.keys, sid, json.dumps(body).encode()
                )
                assert response.status_code == 200
            assert await h.registry.run_due_challenges() == 2
            stuck.set()
        slow_sub = await h.registry.store.load("slow.example")
        fast_sub = await h.registry.store.load("fast.example")
        assert slow_sub is not None
        assert fast_sub is not None
        assert slow_sub.attempts[-1].outcome == AttemptOutcome.TIMEOUT
        assert fast_sub.status is Status.SUBSCRIBED
        assert encode_key(fast.keys.verify_key) == fast_sub.keys[0].signing_public_key


@pytest.mark.parametrize(
    ("style", "switches", "outcome"),
    [
        ("decrypt", {"accept_decrypted": False}, AttemptOutcome.WRONG_ANSWER),
        ("sign", {"accept_signed": False}, AttemptOutcome.WRONG_ANSWER),
        ("decrypt", {"accept_signed": False}, AttemptOutcome.PASSED),
        ("sign", {"accept_decrypted": False}, AttemptOutcome.PASSED),
    ],
)
async def test_policy_switches_each_answer_style(
    tmp_path: Path, style: str, switches: dict[str, bool], outcome: AttemptOutcome
) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, challenge=switches) as h:
        peer = SubscriberPeer(generate_key_set(), h.well_known, style=style)  # type: ignore[arg-type]
        async with serve(peer):
            body = _body(peer, subscriber_url=peer.url)
            assert (await h.signed("POST", "/subscribe", peer.keys, SID, body)).status_code == 200
            assert await h.registry.run_due_challenges() == 1
        sub = await h.registry.store.load(SID)
        assert sub is not None
        assert sub.attempts[-1].outcome == outcome
