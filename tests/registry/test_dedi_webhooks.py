"""DeDi watch webhooks over HTTP through the real app, delivered to a real receiver on loopback:
registration, the delivery's shape and HMAC, revocations and suspensions within 2 s, the
retry schedule and disabling, the address rules, and each subscriber's own watches only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest
import uvicorn
from litestar import Litestar, Request, Response, post

from tests.conftest import backend_params, backend_url
from uei.registry.watch import verify_payload
from uei.trust import load_verify_key, parse_header, verify
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

NETWORK = {"namespace": "uei.network", "registry_name": "ev-charging"}
SECRET = "a-webhook-secret-of-some-length"


@dataclass
class Receiver:
    """A webhook endpoint: records each delivery (body, headers) and answers ``status``."""

    status: int = 200
    got: list[tuple[dict[str, Any], dict[str, str]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    hold: asyncio.Event | None = None
    """When set, each answer waits for it: a slow webhook."""

    async def hook(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        self.got.append((msgspec.json.decode(body), dict(request.headers)))
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        return Response(b"", status_code=self.status)


@contextlib.asynccontextmanager
async def serve(receiver: Receiver) -> AsyncIterator[Receiver]:
    @post("/hook", status_code=200)
    async def hook(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await receiver.hook(request)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(Litestar([hook]), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()


async def watch(h: Harness, by: Participant, url: str, **what: str) -> dict[str, Any]:
    body = json.dumps({**NETWORK, **what, "webhook_url": url, "webhook_secret": SECRET}).encode()
    answer = await h.signed("POST", "/dedi/subscribe", by.keys, by.subscriber_id, body)
    assert answer.status_code == 201, answer.text
    h.check_signed(answer)
    data: dict[str, Any] = answer.json()["data"]
    assert data["state"] == "active"
    assert "webhook_secret" not in data
    return data


@pytest.fixture(params=backend_params("sqlite", "redis"))
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request, str(request.param), tmp_path)


async def test_a_revocation_and_a_suspension_are_delivered_signed(
    store_url: str, tmp_path: Path
) -> None:
    async with running(store_url, tmp_path) as h, serve(Receiver()) as receiver:
        cpo, bap, other = (
            Participant("cpo.watched.example"),
            Participant("bap.watching.example"),
            Participant("other.example"),
        )
        for p in (cpo, bap, other):
            await h.enrol(p)
        one = await watch(h, bap, receiver.url, record_name=cpo.subscriber_id)
        every = await watch(h, bap, receiver.url, registry_tag="all")
        assert await h.app.state.watcher.tick() == 0  # nothing happened yet
        kid = cpo.keys.unique_key_id
        done = await h.as_operator(
            "POST", f"/admin/subscribers/{cpo.subscriber_id}/keys/{kid}/revoke"
        )
        assert done.status_code == 200, done.text
        done = await h.as_operator("POST", f"/admin/subscribers/{other.subscriber_id}/suspend")
        assert done.status_code == 200, done.text
        await h.registry.sync()
        assert await h.app.state.watcher.tick() == 3  # the revocation twice, the suspension once
        by_event = {(d["event_id"].split(":", 1)[1], d["event_type"]): d for d, _ in receiver.got}
        revoked = by_event[(one["subscription_id"], "record.revoked")]
        assert revoked["record_name"] == cpo.subscriber_id
        assert revoked["record_id"] == kid
        assert revoked["namespace_id"] == "uei.network"
        assert revoked["registry_name"] == "ev-charging"
        assert revoked["event_data"]["action"] == "key_revoked"
        assert revoked["event_data"]["state"] == "revoked"
        assert (every["subscription_id"], "record.revoked") in by_event
        suspended = by_event[(every["subscription_id"], "record.suspended")]
        assert suspended["record_name"] == other.subscriber_id
        assert suspended["event_data"]["new_status"] == "SUSPENDED"
        for delivered, headers in receiver.got:
            assert delivered["webhook_signature"].startswith("sha256=")
            assert verify_payload(SECRET, delivered)
            assert not verify_payload("another-secret-entirely", delivered)
            tampered = {**delivered, "record_name": "someone.else"}
            assert not verify_payload(SECRET, tampered)
            # the registry's Beckn signature over the exact bytes, too
            params = parse_header(headers["authorization"])
            assert params.subscriber_id == h.well_known["subscriber_id"]
        raw = msgspec.json.encode(receiver.got[0][0])
        params = parse_header(receiver.got[0][1]["authorization"])
        verify(raw, params, load_verify_key(h.well_known["signing_public_key"]), now=h.clock())
        assert await h.app.state.watcher.tick() == 0  # delivered once: nothing pending


async def test_a_change_made_before_a_watch_is_never_delivered_to_it(tmp_path: Path) -> None:
    """The delivery loop may be behind the log when a watch is made (its last step read the
    log before the changes): those earlier changes are not the new watch's, the later ones
    are, whatever the clock said."""
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h, serve(Receiver()) as r:
        assert await h.app.state.watcher.tick() == 0  # the loop's cursor: the log's head, 0
        cpo, bap = Participant("cpo.before.example"), Participant("bap.before.example")
        await h.enrol(cpo)
        await h.enrol(bap)
        await watch(h, bap, r.url, record_name=cpo.subscriber_id)
        assert await h.app.state.watcher.tick() == 0  # cpo's enrolment predates the watch
        # a change after the watch, made on a replica whose clock is a minute behind: the
        # log's order decides, not the clocks
        h.clock.advance(-60)
        done = await h.as_operator("POST", f"/admin/subscribers/{cpo.subscriber_id}/suspend")
        assert done.status_code == 200, done.text
        assert await h.app.state.watcher.tick() == 1
        assert [d["event_type"] for d, _ in r.got] == ["record.suspended"]


async def test_delivered_within_two_seconds_by_the_background_loop(tmp_path: Path) -> None:
    async with (
        running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, background=True) as h,
        serve(Receiver()) as receiver,
    ):
        cpo, bap = Participant("cpo.fast.example"), Participant("bap.fast.example")
        await h.enrol(cpo)
        await h.enrol(bap)
        await watch(h, bap, receiver.url, record_name=cpo.subscriber_id)
        loop = asyncio.get_running_loop()
        started = loop.time()
        done = await h.as_operator("POST", f"/admin/subscribers/{cpo.subscriber_id}/suspend")
        assert done.status_code == 200, done.text
        await asyncio.wait_for(receiver.arrived.wait(), timeout=2.0)
        assert loop.time() - started < 2.0
        (delivered, _), *_ = receiver.got
        assert delivered["event_type"] == "record.suspended"


async def test_a_slow_webhook_holds_up_no_other(tmp_path: Path) -> None:
    release = asyncio.Event()
    async with (
        running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, background=True) as h,
        serve(Receiver(hold=release)) as slow,
        serve(Receiver()) as fast,
    ):
        try:
            cpo, bap = Participant("cpo.slow.example"), Participant("bap.slow.example")
            await h.enrol(cpo)
            await h.enrol(bap)
            await watch(h, bap, slow.url, record_name=cpo.subscriber_id)
            done = await h.as_operator("POST", f"/admin/subscribers/{cpo.subscriber_id}/suspend")
            assert done.status_code == 200
            await asyncio.wait_for(slow.arrived.wait(), timeout=2.0)  # and it does not answer
            await watch(h, bap, fast.url, registry_tag="all")
            done = await h.as_operator("POST", f"/admin/subscribers/{cpo.subscriber_id}/reinstate")
            assert done.status_code == 200
            await asyncio.wait_for(fast.arrived.wait(), timeout=2.0)
            assert fast.got[0][0]["event_type"] == "record.updated"
            # the slow one's first delivery is still in flight: never sent again meanwhile
            events = [d["event_id"] for d, _ in slow.got]
            assert len(events) == len(set(events))
        finally:
            release.set()


async def test_retries_on_the_schedule_then_the_watch_is_disabled(tmp_path: Path) -> None:
    async with (
        running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h,
        serve(Receiver(status=500)) as receiver,
    ):
        cpo, bap = Participant("cpo.retry.example"), Participant("bap.retry.example")
        await h.enrol(cpo)
        await h.enrol(bap)
        await watch(h, bap, receiver.url, record_name=cpo.subscriber_id)
        done = await h.as_operator("POST", f"/admin/subscribers/{cpo.subscriber_id}/suspend")
        assert done.status_code == 200
        await h.registry.sync()
        watcher = h.app.state.watcher
        assert await watcher.tick() == 1  # the first attempt, at once
        for delay in (60, 300, 1800, 7200, 86400):
            h.clock.advance(delay - 1)
            assert await watcher.tick() == 0, delay  # not before its time
            h.clock.advance(1)
            assert await watcher.tick() == 1, delay
        assert len(receiver.got) == 6
        assert len({d["event_id"] for d, _ in receiver.got}) == 1  # one event, retried
        listed = await h.signed("GET", "/dedi/subscriptions", bap.keys, bap.subscriber_id)
        assert listed.status_code == 200, listed.text
        (shown,) = listed.json()["data"]
        assert shown["state"] == "disabled"
        assert shown["disabled_at"] is not None
        h.clock.advance(10**6)
        assert await watcher.tick() == 0  # nothing more is sent to a disabled watch


async def test_a_webhook_that_recovers_is_not_retried_again(tmp_path: Path) -> None:
    async with (
        running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h,
        serve(Receiver(status=503)) as receiver,
    ):
        cpo, bap = Participant("cpo.recover.example"), Participant("bap.recover.example")
        await h.enrol(cpo)
        await h.enrol(bap)
        await watch(h, bap, receiver.url, record_name=cpo.subscriber_id)
        await h.as_operator("POST", f"/admin/subscribers/{cpo.subscriber_id}/suspend")
        await h.registry.sync()
        watcher = h.app.state.watcher
        assert await watcher.tick() == 1
        receiver.status = 204
        h.clock.advance(60)
        assert await watcher.tick() == 1
        h.clock.advance(10**6)
        assert await watcher.tick() == 0
        assert len(receiver.got) == 2


async def test_webhook_urls_follow_the_on_subscribe_address_rules(tmp_path: Path) -> None:
    async with running(
        f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, challenge={"private_networks": "deny"}
    ) as h:
        bap = Participant("bap.rules.example")
        await h.enrol(bap)
        for url, fragment in [
            ("http://127.0.0.1:8080/hook", "public addresses only"),
            ("http://10.0.0.7/hook", "public addresses only"),
            ("ftp://hooks.example/x", "http(s)"),
            ("https://hooks.example/x?token=1", "query"),
            ("https://nowhere.invalid/hook", "public addresses only"),  # no DNS in tests
        ]:
            body = json.dumps(
                {**NETWORK, "registry_tag": "all", "webhook_url": url, "webhook_secret": SECRET}
            ).encode()
            refused = await h.signed("POST", "/dedi/subscribe", bap.keys, bap.subscriber_id, body)
            assert refused.status_code == 400, refused.text
            error = refused.json()["error"]
            assert error["path"] == "webhook_url", error
            assert fragment in error["message"], error


async def test_watches_are_their_owners_alone(tmp_path: Path) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h:
        cpo, bap, rival = (
            Participant("cpo.own.example"),
            Participant("bap.own.example"),
            Participant("rival.own.example"),
        )
        for p in (cpo, bap, rival):
            await h.enrol(p)
        mine = await watch(h, bap, "http://127.0.0.1:9/hook", record_name=cpo.subscriber_id)
        theirs = await h.signed("GET", "/dedi/subscriptions", rival.keys, rival.subscriber_id)
        assert theirs.json()["data"] == []
        body = json.dumps({"subscription_id": mine["subscription_id"]}).encode()
        refused = await h.signed("POST", "/dedi/unsubscribe", rival.keys, rival.subscriber_id, body)
        assert refused.status_code == 404, refused.text
        ended = await h.signed("POST", "/dedi/unsubscribe", bap.keys, bap.subscriber_id, body)
        assert ended.status_code == 200, ended.text
        listed = await h.signed("GET", "/dedi/subscriptions", bap.keys, bap.subscriber_id)
        assert listed.json()["data"] == []
        unsigned = await h.client.post("/dedi/subscribe", content=b"{}")
        assert unsigned.status_code == 401
        for wrong, fragment in [
            ({"record_name": cpo.subscriber_id, "registry_tag": "all"}, "exactly one"),
            ({}, "exactly one"),
            ({"record_name": "nobody.example"}, "no record"),
        ]:
            body = json.dumps(
                {
                    **NETWORK,
                    **wrong,
                    "webhook_url": "http://127.0.0.1:9/h",
                    "webhook_secret": SECRET,
                }
            ).encode()
            answer = await h.signed("POST", "/dedi/subscribe", bap.keys, bap.subscriber_id, body)
            assert answer.status_code in (400, 404), answer.text
            assert fragment in answer.json()["error"]["message"]
