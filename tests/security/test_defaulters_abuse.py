"""Attacks on non-payer protection, each over HTTP against the real app: using the API without
the operator's grant, enumerating phone numbers through status queries, case actions whose
signature does not bind their case, disputing a stranger's case, and a store outage. Each
checks the refusal and that nothing was recorded."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import signal
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from uei.antiabuse.defaulters.ledger import CaseStatus
from uei.antiabuse.identity import Kind, token
from uei.antiabuse.stores import AbuseStores
from uei.registry.model import ParticipantType
from uei.trust import sign_header
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running
from uei_testing.redis_servers import RedisServer

pytestmark = pytest.mark.anyio

DAY = 86400.0
VPA, OTHER_VPA = "ravi.k@okaxis", "asha@ybl"
PHONES = ["98765 43210", "91234 56789", "99887 76655"]
_IDS = itertools.count(1)


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def ids(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"kind": k, "value": v} for k, v in pairs]


def nack(response: httpx.Response, status: int, path: str | None, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["message"]["ack"]["status"] == "NACK", body
    assert body["error"].get("path") == path, body
    assert fragment in body["error"]["message"], body


class Cpo:
    def __init__(self, h: Harness, participant: Participant) -> None:
        self.h, self.p = h, participant

    @property
    def id(self) -> str:
        return self.p.subscriber_id

    def header(self, raw: bytes, created: int) -> dict[str, str]:
        value = sign_header(
            raw,
            self.p.keys.signing_key,
            subscriber_id=self.id,
            unique_key_id=self.p.keys.unique_key_id,
            created=created,
        )
        return {"Authorization": value, "Content-Type": "application/json"}

    async def post(self, path: str, body: Any) -> httpx.Response:
        raw = json.dumps(body).encode()
        return await self.h.signed("POST", path, self.p.keys, self.id, raw)

    async def report(self, ref: str, identifiers: list[dict[str, str]]) -> httpx.Response:
        body = {
            "session_ref": ref,
            "amount": {"value": "420.00", "currency": "INR"},
            "occurred_at": iso(self.h.clock() - 3600),
            "identifiers": identifiers,
        }
        return await self.post("/abuse/defaulters/report", body)

    async def observe(self, identifiers: list[dict[str, str]]) -> httpx.Response:
        body = {
            "observed_at": iso(self.h.clock()),
            "context": "session",
            "identifiers": identifiers,
        }
        return await self.post("/abuse/observations", body)

    async def ask(self, identifiers: list[dict[str, str]]) -> httpx.Response:
        return await self.post(
            "/abuse/status", {"purpose": "postpaid_session", "identifiers": identifiers}
        )

    async def act(self, case_id: str, action: str, **body: Any) -> httpx.Response:
        doc = {"case_id": case_id, "request_id": f"r-{next(_IDS)}", **body}
        return await self.post(f"/abuse/defaulters/{case_id}/{action}", doc)


async def cpo(h: Harness, name: str, *, granted: bool = True) -> Cpo:
    participant = Participant(name, type=ParticipantType.BPP, url=f"https://{name}/beckn")
    await h.enrol(participant)
    if granted:
        await h.grant(participant)
    return Cpo(h, participant)


async def case_of(creditor: Cpo, ref: str, identifiers: list[dict[str, str]]) -> str:
    answer = await creditor.report(ref, identifiers)
    assert answer.status_code == 201, answer.text
    case_id: str = answer.json()["case_id"]
    return case_id


def store_of(h: Harness) -> AbuseStores:
    store: AbuseStores = h.app.state.stores
    return store


def tok(h: Harness, kind: Kind, raw: str) -> str:
    return str(token(h.app.state.abuse.secret, kind, raw))


async def nothing_known_of(h: Harness, *tokens: str) -> None:
    """No case names these tokens and no link touches them."""
    store = store_of(h)
    assert await store.cases.cases_for(tokens) == {}
    assert await store.graph.neighbours(tokens, 10) == {t: {} for t in tokens}


@contextlib.contextmanager
def heard(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Records from here on in ``caplog``: Litestar's default logging setup replaced the
    root logger's handlers (caplog's among them) when the app was made."""
    root = logging.getLogger()
    root.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    caplog.clear()
    try:
        yield
    finally:
        root.removeHandler(caplog.handler)


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        yield harness


# --- finding 2: only granted CPOs ------------------------------------------------------------


async def test_a_bpp_without_the_grant_can_neither_report_observe_query_nor_act(
    h: Harness,
) -> None:
    """With open onboarding a BPP identity is free: the attacker subscribes one and uses the
    non-payer API. Shipped ``access: granted`` refuses it until an operator grants it."""
    creditor = await cpo(h, "cpo-one.example")
    case_id = await case_of(creditor, "s-1", ids(("upi_vpa", VPA)))
    h.clock.advance(8 * DAY)
    intruder = await cpo(h, "free-bpp.example", granted=False)
    audit = await store_of(h).cases.audit_log(100)
    theirs = ids(("upi_vpa", OTHER_VPA), ("phone", PHONES[1]))

    async def every_call() -> list[httpx.Response]:
        return [
            await intruder.report("s-9", theirs),
            await intruder.observe(theirs),
            await intruder.ask(ids(("upi_vpa", VPA))),
            await intruder.act(case_id, "settle"),
            await intruder.act(case_id, "withdraw"),
            await intruder.act(case_id, "dispute", identifiers=ids(("upi_vpa", VPA))),
            await intruder.act(case_id, "resolve", outcome="cancelled"),
        ]

    for refused in await every_call():
        nack(refused, 403, None, "free-bpp.example has no defaulters grant")
        assert "uei admin grant free-bpp.example defaulters" in refused.text
    assert await store_of(h).cases.audit_log(100) == audit
    await nothing_known_of(h, tok(h, Kind.UPI_VPA, OTHER_VPA), tok(h, Kind.PHONE, PHONES[1]))
    case = (await store_of(h).cases.load_cases([case_id]))[case_id]
    assert (case.status, case.version) == (CaseStatus.OPEN, 1)

    await h.grant(intruder.p)  # the operator vets the CPO: uei admin grant ... defaulters
    assert (await intruder.ask(ids(("upi_vpa", VPA)))).json()["verdict"] == "block"
    assert (await intruder.report("s-9", theirs)).status_code == 201

    await h.revoke_grant(intruder.p)  # uei admin revoke-grant ... defaulters
    audit = await store_of(h).cases.audit_log(100)
    for refused in await every_call():
        nack(refused, 403, None, "has no defaulters grant")
    assert await store_of(h).cases.audit_log(100) == audit


async def test_subscribed_bpp_access_admits_any_bpp_and_still_no_one_else(
    tmp_path: Path,
) -> None:
    async with running(
        f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, defaulters={"access": "subscribed_bpp"}
    ) as h:
        bpp = await cpo(h, "any-bpp.example", granted=False)
        assert (await bpp.ask(ids(("upi_vpa", VPA)))).status_code == 200
        app = Participant("app.example", type=ParticipantType.BAP)
        await h.enrol(app)
        body = json.dumps({"purpose": "postpaid_session", "identifiers": ids(("upi_vpa", VPA))})
        answer = await h.signed("POST", "/abuse/status", app.keys, app.subscriber_id, body.encode())
        nack(answer, 401, "Authorization", "app.example is not a subscribed BPP")


# --- finding 2: enumeration is bounded by identifiers ----------------------------------------


async def test_a_query_cannot_carry_a_list_of_numbers(tmp_path: Path) -> None:
    """A query presents at most 8 identifiers, at most 2 of one kind; a refused query costs
    no quota and records nothing."""
    quota = {"query_quota": {"per_hour": 8, "burst": 8}}
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, defaulters=quota) as h:
        one = await cpo(h, "cpo-one.example")
        nine = ids(
            ("phone", PHONES[0]),
            ("phone", PHONES[1]),
            ("upi_vpa", VPA),
            ("upi_vpa", OTHER_VPA),
            ("rfid", "04A2-9BC1-77"),
            ("rfid", "04A2-9BC1-78"),
            ("battery_id", "BAT-0001"),
            ("battery_id", "BAT-0002"),
            ("device", "app-install-0001"),
        )
        nack(await one.ask(nine), 400, "identifiers", "length <= 8")
        three_phones = ids(
            ("phone", PHONES[0]), ("upi_vpa", VPA), *[("phone", p) for p in PHONES[1:]]
        )
        nack(
            await one.ask(three_phones), 400, "identifiers[3]", "at most 2 identifiers of one kind"
        )
        # a VIN and a chassis number are one kind (vehicle), an RFID card and an idTag another
        vehicles = ids(
            ("vin", "MA3EWDE1S00123456"), ("chassis", "CH12345"), ("vin", "MA3EWDE1S00123457")
        )
        nack(await one.ask(vehicles), 400, "identifiers[2]", "(vehicle)")
        credentials = ids(
            ("rfid", "04A29BC177"), ("ocpp_id_tag", "TAG0001"), ("rfid", "04A29BC178")
        )
        nack(await one.ask(credentials), 400, "identifiers[2]", "(credential)")
        assert await store_of(h).cases.audit_log(10) == []
        # nothing was spent: a full query of 8 still fits the burst of 8
        full = await one.ask(nine[:8])
        assert (full.status_code, full.json()["path"]) == (200, "store"), full.text


async def test_the_query_quota_counts_identifiers_not_queries(tmp_path: Path) -> None:
    """With ``query_quota`` 8 identifiers an hour (burst 8), a CPO asking about 9 numbers is
    refused on the ninth however few queries carry them."""
    quota = {"query_quota": {"per_hour": 8, "burst": 8}}
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, defaulters=quota) as h:
        one, two = await cpo(h, "cpo-one.example"), await cpo(h, "cpo-two.example")
        six = ids(
            ("phone", PHONES[0]),
            ("phone", PHONES[1]),
            ("upi_vpa", VPA),
            ("upi_vpa", OTHER_VPA),
            ("rfid", "04A29BC177"),
            ("rfid", "04A29BC178"),
        )
        answers = [
            await one.ask(six),
            await one.ask(ids(("phone", PHONES[2]), ("battery_id", "BAT-0001"))),
            await one.ask(ids(("battery_id", "BAT-0002"))),
        ]
        assert [a.status_code for a in answers] == [200, 200, 429], answers[-1].text
        refused = answers[2]
        assert refused.json()["error"]["code"] == "50001"
        assert "8 identifiers per hour" in refused.json()["error"]["message"]
        assert 0 < int(refused.headers["retry-after"]) <= 450  # one identifier every 450 s
        # another CPO's quota is its own
        assert (await two.ask(ids(("battery_id", "BAT-0002")))).status_code == 200
        audit = [(a.actor, a.action, a.note) for a in await store_of(h).cases.audit_log(10)]
        assert audit[-2] == (one.id, "status_refused", "1 identifiers")
        h.clock.advance(450)
        assert (await one.ask(ids(("battery_id", "BAT-0002")))).status_code == 200


# --- finding 3: case actions name their case -------------------------------------------------


async def test_a_case_action_acts_only_on_the_case_its_signed_body_names(h: Harness) -> None:
    creditor = await cpo(h, "cpo-one.example")
    first = await case_of(creditor, "s-1", ids(("upi_vpa", VPA)))
    second = await case_of(creditor, "s-2", ids(("upi_vpa", OTHER_VPA)))
    store = store_of(h)
    audit = await store.cases.audit_log(100)
    # the signed body names the first case; the path the second
    raw = json.dumps({"case_id": first, "request_id": "r-1"}).encode()
    h.clock.advance(1)
    header = creditor.header(raw, int(h.clock()))
    misdirected = await h.client.post(
        f"/abuse/defaulters/{second}/withdraw", content=raw, headers=header
    )
    nack(misdirected, 400, "case_id", "the body names another case than the path")
    for action, extra in [("settle", {}), ("resolve", {"outcome": "cancelled"})]:
        body = {"case_id": first, "request_id": f"r-{next(_IDS)}", **extra}
        wrong = await creditor.post(f"/abuse/defaulters/{second}/{action}", body)
        nack(wrong, 400, "case_id", "names another case")
    for missing in ({"request_id": "r-2"}, {"case_id": second}, {}):
        refused = await creditor.post(f"/abuse/defaulters/{second}/settle", missing)
        assert refused.status_code == 400, refused.text
    cases = await store.cases.load_cases([first, second])
    assert {(c.status, c.version) for c in cases.values()} == {(CaseStatus.OPEN, 1)}
    assert await store.cases.audit_log(100) == audit


async def test_two_actions_by_one_cpo_in_the_same_second_both_succeed(h: Harness) -> None:
    """Body-less actions signed in one second shared one signature: the second was refused
    as a replay. Each body now names its case and carries its own request id."""
    creditor = await cpo(h, "cpo-one.example")
    first = await case_of(creditor, "s-1", ids(("upi_vpa", VPA)))
    second = await case_of(creditor, "s-2", ids(("upi_vpa", OTHER_VPA)))
    now = int(h.clock()) + 1
    sent = []
    for case_id, action in [(first, "settle"), (second, "withdraw")]:
        raw = json.dumps({"case_id": case_id, "request_id": f"r-{case_id}"}).encode()
        path = f"/abuse/defaulters/{case_id}/{action}"
        sent.append(await h.client.post(path, content=raw, headers=creditor.header(raw, now)))
    assert [(a.status_code, a.json()["status"]) for a in sent] == [
        (200, "settled"),
        (200, "withdrawn"),
    ]
    audit = [(a.action, a.case_id, a.request_id) for a in await store_of(h).cases.audit_log(2)]
    assert audit == [("settle", first, f"r-{first}"), ("withdraw", second, f"r-{second}")]


async def test_a_cpo_cannot_dispute_a_stranger_s_case(h: Harness) -> None:
    """A dispute caps a case at prepaid_only: a CPO may file one only for the person in front
    of it, who presents an identifier the case names."""
    creditor, other = await cpo(h, "cpo-one.example"), await cpo(h, "cpo-two.example")
    case_id = await case_of(creditor, "s-1", ids(("upi_vpa", VPA), ("phone", PHONES[0])))
    store = store_of(h)
    without: list[dict[str, Any]] = [{}, {"identifiers": []}]
    for body, words in zip(without, ["missing required field", "length >= 1"], strict=True):
        nack(await other.act(case_id, "dispute", **body), 400, "identifiers", words)
    stranger = await other.act(case_id, "dispute", identifiers=ids(("upi_vpa", OTHER_VPA)))
    nack(stranger, 403, "identifiers", "none of the identifiers presented is named")
    case = (await store.cases.load_cases([case_id]))[case_id]
    assert (case.status, case.version) == (CaseStatus.OPEN, 1)
    refused = (await store.cases.audit_log(1))[0]
    assert (refused.action, refused.actor, refused.note) == (
        "dispute_refused",
        other.id,
        "no identifier",
    )
    shown = await other.act(case_id, "dispute", identifiers=ids(("phone", PHONES[0])))
    assert shown.json()["status"] == "disputed", shown.text
    done = (await store.cases.audit_log(1))[0]
    assert (done.action, done.actor, done.tokens) == (
        "dispute",
        other.id,
        (tok(h, Kind.PHONE, PHONES[0]),),
    )


async def test_disputes_beyond_the_cpo_s_quota_are_refused(tmp_path: Path) -> None:
    """Every dispute tests whether a case names an identifier: refused ones count too."""
    policy = {"dispute": {"quota": {"limit": 2, "window_seconds": 86400}}}
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, defaulters=policy) as h:
        creditor, other = await cpo(h, "cpo-one.example"), await cpo(h, "cpo-two.example")
        vpas = [f"user{i}@okaxis" for i in range(3)]
        cases = [await case_of(creditor, f"s-{i}", ids(("upi_vpa", v))) for i, v in enumerate(vpas)]
        answers = [
            await other.act(cases[0], "dispute", identifiers=ids(("upi_vpa", OTHER_VPA))),
            await other.act(cases[0], "dispute", identifiers=ids(("upi_vpa", vpas[0]))),
            await other.act(cases[1], "dispute", identifiers=ids(("upi_vpa", vpas[1]))),
        ]
        assert [a.status_code for a in answers] == [403, 200, 429], answers[-1].text
        assert answers[2].json()["error"]["code"] == "50001"
        assert int(answers[2].headers["retry-after"]) > 3600
        stored = await store_of(h).cases.load_cases(cases[1:])
        assert {c.status for c in stored.values()} == {CaseStatus.OPEN}
        assert (await store_of(h).cases.audit_log(1))[0].note == "quota"
        # the creditor's own quota is untouched: it may still dispute (a mistaken report)
        own = await creditor.act(cases[2], "dispute", identifiers=ids(("upi_vpa", vpas[2])))
        assert own.status_code == 200, own.text


# --- finding 4: a store outage ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "outage", "verdict"),
    [("allow", "killed", "allow"), ("deny", "killed", "prepaid_only"), ("allow", "hung", "allow")],
)
@pytest.mark.redis
async def test_a_store_outage_is_answered_in_bounded_time_then_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: str, outage: str, verdict: str
) -> None:
    """Redis killed (connections refused) or hung (SIGSTOP: connections open, no answers).
    Status answers per ``on_store_error`` and says so in ``path``; every other call is a 503
    NACK with ``Retry-After``; the log says it once, without a traceback; when Redis is back
    everything works again without a restart."""
    # a store timeout that a busy machine's ordinary calls never reach, far below what a hung
    # socket or the client's retries would take
    policy = {"on_store_error": mode, "store_timeout_ms": 1000}
    with RedisServer(aof=True) as server:
        async with running(server.url, tmp_path, defaulters=policy) as h:
            creditor, other = await cpo(h, "cpo-one.example"), await cpo(h, "cpo-two.example")
            case_id = await case_of(creditor, "s-1", ids(("upi_vpa", VPA)))
            h.clock.advance(8 * DAY)
            assert (await other.ask(ids(("upi_vpa", VPA)))).json()["verdict"] == "block"
            with heard(caplog):
                if outage == "killed":
                    server.kill()
                else:
                    server.send_signal(signal.SIGSTOP)
                try:
                    began = time.monotonic()
                    answer = await other.ask(ids(("upi_vpa", VPA)))
                    took = time.monotonic() - began
                    assert answer.status_code == 200, answer.text
                    assert (answer.json()["verdict"], answer.json()["path"]) == (
                        verdict,
                        f"{mode}-on-error",
                    )
                    assert answer.json()["reasons"] == []
                    # the store's own timeout (1 s) plus the replay guard's (0.5 s), not the
                    # client's retries with backoff nor a hung socket
                    assert took < 6, took
                    refusals = [
                        await creditor.report("s-2", ids(("upi_vpa", OTHER_VPA))),
                        await other.observe(ids(("upi_vpa", OTHER_VPA), ("phone", PHONES[1]))),
                        await creditor.act(case_id, "settle"),
                        await other.act(case_id, "dispute", identifiers=ids(("upi_vpa", VPA))),
                    ]
                    for refused in refusals:
                        nack(refused, 503, None, "the non-payer store did not answer")
                        assert refused.json()["error"]["code"] == "31001"
                        assert int(refused.headers["retry-after"]) >= 1
                    assert time.monotonic() - began < 5 * 6
                finally:
                    if outage == "killed":
                        server.restart()  # same port, AOF reloaded
                    else:
                        server.send_signal(signal.SIGCONT)
                failing = [r for r in caplog.records if r.name == "uei.defaulters"]
                assert [r.levelname for r in failing] == ["WARNING"], caplog.text
                assert "did not answer" in failing[0].getMessage()
                assert not [r for r in caplog.records if r.exc_info], caplog.text
                assert "Traceback" not in caplog.text

                back = await other.ask(ids(("upi_vpa", VPA)))
                assert (back.json()["verdict"], back.json()["path"]) == ("block", "store"), (
                    back.text
                )
                said = [r.getMessage() for r in caplog.records if r.name == "uei.defaulters"]
                assert len(said) == 2, said
                assert "answers again" in said[1], said
            retried = await creditor.report("s-2", ids(("upi_vpa", OTHER_VPA)))
            if outage == "killed":  # nothing was recorded
                assert retried.status_code == 201, retried.text
                await nothing_known_of(h, tok(h, Kind.PHONE, PHONES[1]))
            else:
                # a hung store may still run a write it was sent: the retry finds it (200)
                assert retried.status_code in (200, 201), retried.text
            settled = await creditor.act(case_id, "settle")
            assert settled.json()["status"] == "settled", settled.text
