"""``uei.client`` against the real app (ASGI transport): a participant subscribes and passes a
real on_subscribe challenge, CPOs report and query, gateways and BPPs check quotas; every
answer's signature is checked, and one the registry did not sign is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.antiabuse.beckn import search_body
from tests.conftest import backend_url
from tests.registry.peers import SubscriberPeer, serve
from uei.client import Client, Refused, RegistryKey, UnverifiedAnswer, forwarded
from uei.registry.model import ParticipantType
from uei.trust import generate_key_set, sign_header
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite]

PHONE, VPA = "98765 43210", "Ravi.K@okaxis"


class Tick:
    """The harness clock, one second on at every reading: no two requests share a signature."""

    def __init__(self, h: Harness) -> None:
        self.h = h

    def __call__(self) -> float:
        self.h.clock.advance(1)
        return self.h.clock()


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
async def h(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(backend_url(request, "sqlite", tmp_path), tmp_path) as harness:
        yield harness


def client_for(h: Harness, participant: Participant | None = None, **options: object) -> Client:
    transport = httpx.ASGITransport(app=h.app)  # type: ignore[arg-type]
    who = (
        {"subscriber_id": participant.subscriber_id, "keys": participant.keys}
        if participant
        else {}
    )
    return Client("http://uei", transport=transport, clock=Tick(h), **who, **options)  # type: ignore[arg-type]


async def test_subscribe_pass_the_challenge_and_look_up(h: Harness) -> None:
    keys = generate_key_set()
    peer = SubscriberPeer(keys, h.well_known)
    async with serve(peer), client_for(h) as anyone:
        me = Client(
            "http://uei",
            subscriber_id="cpo.example",
            keys=keys,
            transport=httpx.ASGITransport(app=h.app),  # type: ignore[arg-type]
            clock=Tick(h),
        )
        known = await me.registry()
        # the raw forms (the well-known document also carries them as SPKI DER, *_der)
        raw = ("subscriber_id", "unique_key_id", "signing_public_key", "encr_public_key")
        assert known == RegistryKey(**{name: h.well_known[name] for name in raw})
        status = await me.subscribe(
            peer.url, type="BPP", domain="ev-charging:uei", city="std:080", country="IND"
        )
        assert status == "UNDER_SUBSCRIPTION"
        assert await anyone.lookup(subscriber_id="cpo.example") == []
        assert await anyone.lookup_key("cpo.example", keys.unique_key_id) is None
        assert await h.registry.run_due_challenges() == 1
        (record,) = await anyone.lookup(subscriber_id="cpo.example")
        assert record["status"] == "SUBSCRIBED"
        assert await anyone.lookup_key("cpo.example", keys.unique_key_id) == record
        history = await me.challenges()
        assert [a["outcome"] for a in history["attempts"]] == ["passed"]
        # an empty subscribe re-sends a pending challenge; with none pending it is a
        # verified refusal naming what to do
        with pytest.raises(Refused, match="no key is waiting for its challenge"):
            await me.subscribe()
        # unsigned, /v2.0/lookup is refused: a verified refusal, with the NACK's field
        refused = await anyone.request("POST", "/v2.0/lookup", {}, signed=False)
        assert refused.status == 401
        assert refused.verified
        with pytest.raises(Refused) as caught:
            refused.raise_for_refusal()
        assert caught.value.status == 401
        await me.aclose()


async def test_an_answer_not_signed_by_the_registry_is_refused(h: Harness) -> None:
    # a pinned key that is not the registry's: the well-known file does not match it
    other = generate_key_set()
    pinned = RegistryKey(
        h.well_known["subscriber_id"],
        h.well_known["unique_key_id"],
        json.loads(json.dumps(other.as_json_fields()))["signing_public_key"],
        h.well_known["encr_public_key"],
    )
    async with client_for(h, registry_key=pinned) as client:
        with pytest.raises(UnverifiedAnswer, match="another key than the pinned one"):
            await client.registry()
        # pinned and trusted blindly, an answer signed by the real registry fails the pin
        with pytest.raises(UnverifiedAnswer, match="signature does not verify"):
            await client.lookup()

    class Tamper(httpx.AsyncBaseTransport):
        """A hop between the client and the registry that rewrites an answer's bytes."""

        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
            if request.url.path == "/lookup":
                body = body.replace(b"[]", b"[{}]")
            return httpx.Response(response.status_code, headers=response.headers, content=body)

    tampered = Client(
        "http://uei",
        transport=Tamper(httpx.ASGITransport(app=h.app)),  # type: ignore[arg-type]
        clock=Tick(h),
    )
    async with tampered:
        await tampered.registry()  # the well-known file passes untouched
        with pytest.raises(UnverifiedAnswer, match="does not verify"):
            await tampered.lookup(subscriber_id="nobody.example")


async def test_a_cpo_reports_queries_and_acts_on_cases(h: Harness) -> None:
    one = Participant("cpo-one.example", url="https://cpo-one.example/beckn")
    two = Participant("cpo-two.example", url="https://cpo-two.example/beckn")
    for cpo in (one, two):
        await h.enrol(cpo)
        await h.grant(cpo)
    person = [{"kind": "phone", "value": PHONE}, {"kind": "upi_vpa", "value": VPA}]
    async with client_for(h, one) as first, client_for(h, two) as second:
        assert (await second.status(person))["verdict"] == "allow"
        report = await first.report(
            "session-1", amount="420.00", occurred_at=iso(h.clock() - 3600), identifiers=person
        )
        case_id = report["case_id"]
        assert report["status"] == "open"
        await first.observe(person, observed_at=iso(h.clock()), context="registration")
        h.clock.advance(30 * 86400)  # past the notice period
        assert (await second.status(person[1:]))["verdict"] != "allow"
        disputed = await second.dispute(case_id, person[1:])
        assert disputed["case_id"] == case_id
        with pytest.raises(Refused) as caught:
            await second.settle(case_id)  # the creditor only
        assert caught.value.status == 403
        assert (await first.resolve(case_id, "confirmed"))["case_id"] == case_id
        assert (await first.settle(case_id))["case_id"] == case_id
        assert (await second.status(person))["verdict"] == "allow"


async def test_gateway_and_bpp_check_quotas(h: Harness) -> None:
    bap = Participant("app.example", type=ParticipantType.BAP, url="https://app.example/beckn")
    bg = Participant("bg.example", type=ParticipantType.BG, url="https://bg.example/beckn")
    bpp = Participant("cpo.example", url="https://cpo.example/beckn")
    for p in (bap, bg, bpp):
        await h.enrol(p)
    search = {"gps": "12.971600,77.594600", "radius_km": 5}
    async with client_for(h, bg, gateway=True) as gateway, client_for(h, bpp) as cpo:
        checked = await gateway.quota_check(
            bap_id="app.example", action="search", message_id="m-1", search=search
        )
        assert checked.status == 200, checked.body
        assert checked.json()["decision"] == "allow"
        # the BPP forwards the BAP's own signed search
        raw = json.dumps(search_body("app.example", "m-2")).encode()
        header = sign_header(
            raw,
            bap.keys.signing_key,
            subscriber_id="app.example",
            unique_key_id=bap.keys.unique_key_id,
            created=int(h.clock()),
        )
        forwarded_check = await cpo.quota_check(bap_request=forwarded(header, raw))
        assert forwarded_check.status == 200, forwarded_check.body
        assert forwarded_check.json()["decision"] == "allow"
        altered = await cpo.quota_check(bap_request=forwarded(header, raw + b" "))
        assert altered.status == 403
        assert altered.error["path"] == "bap_request.authorization"
        recorded = await gateway.events(
            [
                {
                    "type": "search",
                    "bap_id": "app.example",
                    "message_id": "m-3",
                    "at": iso(h.clock()),
                    "search": search,
                }
            ]
        )
        assert recorded == {"received": 1, "recorded": 1}
