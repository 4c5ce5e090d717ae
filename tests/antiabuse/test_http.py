"""The non-payer protection API through the real app with real signatures, on every backend."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.antiabuse.dump import stored_text
from uei.registry.model import ParticipantType
from uei.trust import sign_header
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running
from uei_testing.redis_servers import RedisServer

pytestmark = pytest.mark.anyio

DAY = 86400.0
_REQUESTS = itertools.count(1)
PHONE, VPA, VIN, RFID = "98765 43210", "Ravi.K@okaxis", "MA3EWDE1S00123456", "04A2-9BC1-77"
RAW_FORMS = [
    "9876543210",
    "+919876543210",
    "98765 43210",
    "ravi.k@okaxis",
    "Ravi.K@okaxis",
    "MA3EWDE1S00123456",
    "04A29BC177",
    "04A2-9BC1-77",
]


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def ids(**given: str) -> list[dict[str, str]]:
    return [{"kind": k, "value": v} for k, v in given.items()]


class Cpo:
    def __init__(self, h: Harness, participant: Participant) -> None:
        self.h, self.p = h, participant

    @property
    def id(self) -> str:
        return self.p.subscriber_id

    async def post(self, path: str, body: Any) -> httpx.Response:
        raw = json.dumps(body).encode()
        return await self.h.signed("POST", path, self.p.keys, self.p.subscriber_id, raw)

    async def report(
        self, ref: str, identifiers: list[dict[str, str]], *, ago: float = 3600, **extra: Any
    ) -> httpx.Response:
        body = {
            "session_ref": ref,
            "amount": {"value": "420.00", "currency": "INR"},
            "occurred_at": iso(self.h.clock() - ago),
            "identifiers": identifiers,
            **extra,
        }
        return await self.post("/abuse/defaulters/report", body)

    async def observe(self, identifiers: list[dict[str, str]], ago: float = 0) -> None:
        body = {
            "observed_at": iso(self.h.clock() - ago),
            "context": "registration",
            "identifiers": identifiers,
        }
        answer = await self.post("/abuse/observations", body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"message": {"ack": {"status": "ACK"}}}

    async def ask(self, identifiers: list[dict[str, str]]) -> httpx.Response:
        body = {"purpose": "postpaid_session", "identifiers": identifiers}
        return await self.post("/abuse/status", body)

    async def status(self, identifiers: list[dict[str, str]]) -> dict[str, Any]:
        answer = await self.ask(identifiers)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def act(self, case_id: str, action: str, **body: Any) -> httpx.Response:
        """The action's signed body names the case and carries a unique request id."""
        doc = {"case_id": case_id, "request_id": f"r-{next(_REQUESTS)}", **body}
        return await self.post(f"/abuse/defaulters/{case_id}/{action}", doc)

    async def dispute(self, case_id: str, identifiers: list[dict[str, str]]) -> httpx.Response:
        """For the person in front of this CPO, who presents ``identifiers``."""
        return await self.act(case_id, "dispute", identifiers=identifiers)


async def cpo(h: Harness, name: str, kind: ParticipantType = ParticipantType.BPP) -> Cpo:
    """A SUBSCRIBED participant; a BPP is granted the non-payer API (``defaulters``)."""
    participant = Participant(name, type=kind, url=f"https://{name}/beckn")
    await h.enrol(participant)
    if kind is ParticipantType.BPP:
        await h.grant(participant)
    return Cpo(h, participant)


@pytest.fixture
async def h(store_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(store_url, tmp_path) as harness:
        yield harness


@pytest.fixture
async def one(h: Harness) -> Cpo:
    return await cpo(h, "cpo-one.example")


@pytest.fixture
async def two(h: Harness) -> Cpo:
    return await cpo(h, "cpo-two.example")


async def case_of(cpo: Cpo, ref: str, identifiers: list[dict[str, str]]) -> str:
    answer = await cpo.report(ref, identifiers)
    assert answer.status_code == 201, answer.text
    case_id: str = answer.json()["case_id"]
    return case_id


async def test_a_reused_vpa_blocks_after_the_notice_period(h: Harness, one: Cpo, two: Cpo) -> None:
    reported = await one.report("s-1", ids(phone=PHONE, upi_vpa=VPA, vin=VIN))
    assert reported.status_code == 201, reported.text
    case = reported.json()
    assert (case["status"], case["standing"]) == ("open", "in_notice")
    assert (await two.status(ids(upi_vpa=VPA)))["verdict"] == "allow"
    h.clock.advance(8 * DAY)
    answer = await two.status(ids(phone="91234 56789", upi_vpa=VPA.lower()))
    assert (answer["verdict"], answer["path"]) == ("block", "store"), answer
    assert answer["reasons"][0] == {
        "kind": "upi_vpa",
        "match": "direct",
        "hops": 0,
        "strength": 1.0,
    }
    assert (answer["case_count"], answer["outstanding_band"]) == (1, "<500")
    assert "settle_with" not in answer  # creditors are not disclosed by default
    assert "cpo-one" not in json.dumps(answer)


async def test_a_retried_report_is_the_same_case(h: Harness, one: Cpo) -> None:
    first = await one.report("s-1", ids(phone=PHONE, upi_vpa=VPA))
    h.clock.advance(-1)  # the same facts again ("occurred_at" one hour before the same now)
    retry = await one.report("s-1", ids(upi_vpa=VPA, phone=PHONE))
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["case_id"] == first.json()["case_id"]
    changed = await one.report("s-1", ids(phone=PHONE, upi_vpa=VPA), amount={"value": "1.00"})
    assert changed.status_code == 400  # amount must be a full object
    other = await one.report("s-1", ids(phone=PHONE))
    assert other.status_code == 409, other.text
    assert other.json()["error"]["path"] == "session_ref"
    h.clock.advance(8 * DAY)
    assert (await one.status(ids(upi_vpa=VPA)))["case_count"] == 1


async def test_only_the_creditor_settles_and_settling_delists_at_once(
    h: Harness, one: Cpo, two: Cpo
) -> None:
    case_id = await case_of(one, "s-1", ids(upi_vpa=VPA))
    h.clock.advance(8 * DAY)
    assert (await two.status(ids(upi_vpa=VPA)))["verdict"] == "block"
    refused = await two.act(case_id, "settle")
    assert refused.status_code == 403
    assert "only the creditor" in refused.json()["error"]["message"]
    settled = await one.act(case_id, "settle")
    assert settled.status_code == 200, settled.text
    assert settled.json() == {"case_id": case_id, "status": "settled", "standing": "closed"}
    assert (await two.status(ids(upi_vpa=VPA)))["verdict"] == "allow"
    again = await one.act(case_id, "withdraw")
    assert again.status_code == 409
    assert (await one.act("no-such-case", "settle")).status_code == 404


async def test_a_dispute_caps_the_case_until_the_creditor_resolves_it(
    h: Harness, one: Cpo, two: Cpo
) -> None:
    case_id = await case_of(one, "s-1", ids(upi_vpa=VPA))
    h.clock.advance(8 * DAY)
    disputed = await two.dispute(case_id, ids(upi_vpa=VPA))
    assert disputed.json()["status"] == "disputed"
    answer = await two.status(ids(upi_vpa=VPA))
    assert (answer["verdict"], answer["disputed_cases"]) == ("prepaid_only", 1)
    assert (await two.act(case_id, "resolve", outcome="confirmed")).status_code == 403
    bad = await one.act(case_id, "resolve", outcome="maybe")
    assert bad.status_code == 400
    assert bad.json()["error"]["path"] == "outcome"
    confirmed = await one.act(case_id, "resolve", outcome="confirmed")
    assert confirmed.json()["status"] == "open"
    assert (await two.status(ids(upi_vpa=VPA)))["verdict"] == "block"
    assert (await two.dispute(case_id, ids(upi_vpa=VPA))).status_code == 409
    audit = await h.app.state.stores.cases.audit_log(20)
    disputes = [a for a in audit if a.action == "dispute"]
    assert [(a.actor, a.before, a.after) for a in disputes] == [(two.id, "open", "disputed")]
    assert disputes[0].tokens
    assert disputes[0].request_id


async def test_an_unresolved_dispute_expires_the_case(h: Harness, one: Cpo, two: Cpo) -> None:
    case_id = await case_of(one, "s-1", ids(upi_vpa=VPA))
    await two.dispute(case_id, ids(upi_vpa=VPA))
    h.clock.advance(31 * DAY)
    assert (await two.status(ids(upi_vpa=VPA)))["verdict"] == "allow"


async def test_a_recycled_number_does_not_follow_its_new_owner(
    h: Harness, one: Cpo, two: Cpo
) -> None:
    await case_of(one, "s-1", ids(phone=PHONE, upi_vpa=VPA, vin=VIN))
    h.clock.advance(10 * DAY)
    phone_only = await two.status(ids(phone=PHONE))
    assert (phone_only["verdict"], phone_only["reasons"][0]["kind"]) == ("prepaid_only", "phone")
    h.clock.advance(100 * DAY)  # the number is reassigned to someone else
    await two.observe(ids(phone=PHONE, upi_vpa="asha@ybl"))
    assert (await two.status(ids(phone=PHONE, upi_vpa="asha@ybl")))["verdict"] == "allow"
    assert (await two.status(ids(phone=PHONE)))["verdict"] == "allow"
    # the defaulter's own VPA still counts
    assert (await two.status(ids(upi_vpa=VPA)))["verdict"] == "block"


async def test_evidence_follows_links_to_a_new_number(h: Harness, one: Cpo, two: Cpo) -> None:
    await case_of(one, "s-1", ids(phone=PHONE, rfid=RFID))
    h.clock.advance(30 * DAY)
    new_phone, device = "99887 76655", "app-install-0001"
    await two.observe(ids(phone=new_phone, rfid=RFID, device=device))
    by_phone = await two.status(ids(phone=new_phone))
    assert by_phone["verdict"] == "prepaid_only"  # a phone alone never blocks
    assert by_phone["reasons"][0]["match"] == "linked"
    by_device = await two.status(ids(phone=new_phone, device=device))
    assert by_device["verdict"] == "prepaid_only"
    assert by_device["score"] >= by_phone["score"]
    assert (await two.status(ids(rfid=RFID.lower())))["verdict"] == "block"


async def test_a_fleet_vehicle_counts_for_nothing(h: Harness, one: Cpo, two: Cpo) -> None:
    await case_of(one, "s-1", ids(vin=VIN, upi_vpa="driver0@okaxis"))
    for i in range(1, 7):  # six more drivers: more distinct people than the policy allows
        await two.observe(ids(vin=VIN, upi_vpa=f"driver{i}@okaxis"))
    h.clock.advance(8 * DAY)
    assert (await two.status(ids(vin=VIN)))["verdict"] == "allow"
    assert (await two.status(ids(upi_vpa="driver3@okaxis")))["verdict"] == "allow"
    assert (await two.status(ids(upi_vpa="driver0@okaxis")))["verdict"] == "block"


@pytest.mark.parametrize(
    ("identifiers", "path", "words"),
    [
        (ids(phone=PHONE, upi_vpa="not-a-vpa"), "identifiers[1].value", "(upi_vpa): not a UPI VPA"),
        (ids(phone="1600 123 456"), "identifiers[0].value", "(phone):"),
        (ids(phone="98765 43210", vin="SHORT"), "identifiers[1].value", "(vin): a VIN is 17"),
        ([{"kind": "aadhaar", "value": "1234"}], "identifiers[0].kind", "unknown kind"),
    ],
)
async def test_a_bad_identifier_is_named_and_nothing_is_stored(
    h: Harness, one: Cpo, identifiers: list[dict[str, str]], path: str, words: str
) -> None:
    padded = [*identifiers, *ids(upi_vpa="pad@okaxis")]  # observations link two or more
    for answer in [
        await one.report("s-1", identifiers),
        await one.post(
            "/abuse/observations",
            {"observed_at": iso(h.clock()), "context": "session", "identifiers": padded},
        ),
        await one.ask(identifiers),
    ]:
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["path"] == path
        assert words in error["message"]
        assert "9876543210" not in error["message"]
    abuse = h.app.state.stores
    assert await abuse.cases.audit_log(10) == []
    assert await abuse.graph.neighbours([f"phone:{'0' * 64}"], 5) == {f"phone:{'0' * 64}": {}}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"amount": {"value": "20.00", "currency": "INR"}}, "amount.value"),
        ({"amount": {"value": "4.2.0", "currency": "INR"}}, "amount.value"),
        ({"amount": {"value": "420.001", "currency": "INR"}}, "amount.value"),
        ({"amount": {"value": "420.00", "currency": "USD"}}, "amount.currency"),
        ({"occurred_at": "2990-01-01T00:00:00Z"}, "occurred_at"),
        ({"occurred_at": "2001-01-01T00:00:00Z"}, "occurred_at"),
        ({"occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),
        ({"session_ref": ""}, "session_ref"),
        ({"surprise": 1}, "surprise"),
        ({"amount": "420"}, "amount"),
    ],
)
async def test_a_bad_report_is_refused_by_field(
    h: Harness, one: Cpo, change: dict[str, Any], path: str | None
) -> None:
    answer = await one.report("s-1", ids(upi_vpa=VPA), **change)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].get("path") == path
    assert await h.app.state.stores.cases.audit_log(10) == []


async def test_only_subscribed_bpps_may_call(h: Harness, one: Cpo) -> None:
    bap = await cpo(h, "app.example", ParticipantType.BAP)
    refused = await bap.ask(ids(upi_vpa=VPA))
    assert refused.status_code == 401
    assert "app.example is not a subscribed BPP" in refused.json()["error"]["message"]
    unsigned = await h.client.post("/abuse/status", json={"purpose": "postpaid_session"})
    assert unsigned.status_code == 401
    body = json.dumps({"purpose": "postpaid_session", "identifiers": ids(upi_vpa=VPA)}).encode()
    header = sign_header(
        body,
        one.p.keys.signing_key,
        subscriber_id=one.id,
        unique_key_id=one.p.keys.unique_key_id,
        created=int(h.clock()),
    )
    sent = [
        await h.client.post("/abuse/status", content=body, headers={"Authorization": header})
        for _ in range(2)
    ]
    assert [s.status_code for s in sent] == [200, 401]
    assert "replay" in sent[1].json()["error"]["message"].lower()
    await h.as_operator("POST", f"/admin/subscribers/{one.id}/suspend")
    await h.registry.sync()
    assert (await one.ask(ids(upi_vpa=VPA))).status_code == 401


def signed_status(h: Harness, one: Cpo, identifiers: list[dict[str, str]]) -> tuple[bytes, str]:
    h.clock.advance(1)
    body = json.dumps({"purpose": "postpaid_session", "identifiers": identifiers}).encode()
    header = sign_header(
        body,
        one.p.keys.signing_key,
        subscriber_id=one.id,
        unique_key_id=one.p.keys.unique_key_id,
        created=int(h.clock()),
    )
    return body, header


async def send_status(h: Harness, request: tuple[bytes, str]) -> httpx.Response:
    body, header = request
    headers = {"Authorization": header, "Content-Type": "application/json"}
    return await h.client.post("/abuse/status", content=body, headers=headers)


async def test_a_replayed_status_query_spends_and_audits_nothing(
    store_url: str, tmp_path: Path
) -> None:
    """The query quota's store step marks the signature: a replay is a 401 that takes no
    quota (the burst's new queries all still fit, one more does not) and leaves no audit
    entry. One identifier a query, a burst of 8, one more every 10 s."""
    quota = {"query_quota": {"per_hour": 360, "burst": 8}}
    async with running(store_url, tmp_path, defaulters=quota) as h:
        one = await cpo(h, "cpo-one.example")
        first = signed_status(h, one, ids(upi_vpa=VPA))
        assert (await send_status(h, first)).status_code == 200
        for _ in range(3):
            again = await send_status(h, first)
            assert again.status_code == 401, again.text
            assert "replayed" in again.json()["error"]["message"]
        answers = [await send_status(h, signed_status(h, one, ids(upi_vpa=VPA))) for _ in range(8)]
        assert [a.status_code for a in answers] == [200] * 7 + [429]
        audited = await h.app.state.stores.cases.audit_log(20)
        assert [a.action for a in audited] == ["status"] * 8 + ["status_refused"]


@pytest.mark.redis
async def test_a_replayed_status_query_is_refused_while_the_store_is_down(
    tmp_path: Path,
) -> None:
    """While the store does not answer, this replica's own guard refuses a replay, of a query
    sent before the outage or during it; the query itself is answered per on_store_error."""
    policy = {"on_store_error": "allow", "store_timeout_ms": 2000}  # killed: refused at once
    with RedisServer(aof=True) as server:
        async with running(server.url, tmp_path, defaulters=policy) as h:
            one = await cpo(h, "cpo-one.example")
            before = signed_status(h, one, ids(upi_vpa=VPA))
            assert (await send_status(h, before)).status_code == 200
            assert (await send_status(h, before)).status_code == 401  # the store's mark
            server.kill()
            try:
                during = signed_status(h, one, ids(upi_vpa=VPA))
                first = await send_status(h, during)
                assert first.status_code == 200, first.text
                assert first.json()["path"] == "allow-on-error"
                for replay in (during, before):
                    refused = await send_status(h, replay)
                    assert refused.status_code == 401, refused.text
                    assert "replayed" in refused.json()["error"]["message"]
            finally:
                server.restart()
            back = await send_status(h, signed_status(h, one, ids(upi_vpa=VPA)))
            assert (back.status_code, back.json()["path"]) == (200, "store"), back.text


async def test_status_queries_are_rate_limited_and_audited(store_url: str, tmp_path: Path) -> None:
    """The quota counts identifiers: 8 at once, then one every 10 s."""
    quota = {"query_quota": {"per_hour": 360, "burst": 8}}
    four = ids(phone=PHONE, upi_vpa=VPA, vin=VIN, rfid=RFID)
    async with running(store_url, tmp_path, defaulters=quota) as h:
        one = await cpo(h, "cpo-one.example")
        answers = [await one.ask(four) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].json()["error"]["code"] == "50001"
        assert 30 < int(answers[2].headers["retry-after"]) <= 40
        h.clock.advance(40)
        assert (await one.ask(four)).status_code == 200
        audit = await h.app.state.stores.cases.audit_log(10)
        assert [(a.action, a.actor, a.purpose) for a in audit] == [
            ("status", one.id, "postpaid_session"),
            ("status", one.id, "postpaid_session"),
            ("status_refused", one.id, "postpaid_session"),
            ("status", one.id, "postpaid_session"),
        ]


async def test_shadow_mode_records_without_enforcing(store_url: str, tmp_path: Path) -> None:
    policy = {"shadow": True, "disclose_creditors": True}
    async with running(store_url, tmp_path, defaulters=policy) as h:
        one, two = await cpo(h, "cpo-one.example"), await cpo(h, "cpo-two.example")
        case_id = await case_of(one, "s-1", ids(upi_vpa=VPA))
        h.clock.advance(8 * DAY)
        answer = await two.status(ids(upi_vpa=VPA))
        assert (answer["verdict"], answer["shadow_verdict"]) == ("allow", "block")
        assert answer["settle_with"] == [{"creditor": one.id, "case_id": case_id}]
        audit = await h.app.state.stores.cases.audit_log(1)
        assert (audit[0].verdict, audit[0].note) == ("block", "shadow")


async def test_no_raw_identifier_is_stored_or_logged(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(store_url, tmp_path) as h:
        one, two = await cpo(h, "cpo-one.example"), await cpo(h, "cpo-two.example")
        everything = ids(phone=PHONE, upi_vpa=VPA, vin=VIN, rfid=RFID)
        case_id = await case_of(one, "s-1", everything)
        await two.observe(everything)
        h.clock.advance(8 * DAY)
        assert (await two.status(everything))["verdict"] == "block"
        await two.dispute(case_id, ids(phone=PHONE))
        await one.report("s-2", ids(phone=PHONE, upi_vpa="bad"))  # refused, logged
        stored = stored_text(store_url)
    assert "cpo-one.example" in stored  # the dump does see the data
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    for raw in RAW_FORMS:
        assert raw not in stored
        assert raw.lower() not in stored.lower()
        assert raw not in logged


async def test_every_endpoint_is_documented(h: Harness) -> None:
    schema = (await h.client.get("/schema/openapi.json")).json()
    abuse = {p for p in schema["paths"] if p.startswith("/abuse/")}
    assert abuse == {
        "/abuse/defaulters/report",
        "/abuse/observations",
        "/abuse/status",
        "/abuse/defaulters/{case_id}/settle",
        "/abuse/defaulters/{case_id}/withdraw",
        "/abuse/defaulters/{case_id}/dispute",
        "/abuse/defaulters/{case_id}/resolve",
        "/abuse/quota/check",
        "/abuse/events",
        "/abuse/baps/{bap_id}",
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("description"), (method, path)
