"""The operators' review API through the real app, real signatures, on every backend: the
audit trail, the dispute queue, BAPs ranked by scraping score; every refusal a NACK."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.antiabuse.test_http import DAY, PHONE, RAW_FORMS, VIN, VPA, Cpo, case_of, cpo, ids, iso
from uei.antiabuse.defaulters.ledger import AuditEntry
from uei.antiabuse.scraping.policy import ScrapingAction
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureNote
from uei_testing.callers import nack
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio


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


async def read(h: Harness, path: str, **query: Any) -> httpx.Response:
    url = f"{path}?{urlencode(query)}" if query else path
    return await h.as_operator("GET", url)


async def ok(h: Harness, path: str, **query: Any) -> dict[str, Any]:
    answer = await read(h, path, **query)
    assert answer.status_code == 200, answer.text
    h.check_signed(answer)
    body: dict[str, Any] = answer.json()
    return body


async def test_the_audit_says_who_asked_what_why_and_the_verdict(
    h: Harness, one: Cpo, two: Cpo
) -> None:
    started = h.clock()
    case_id = await case_of(one, "s-1", ids(phone=PHONE, upi_vpa=VPA))
    await two.observe(ids(upi_vpa=VPA, vin=VIN))
    h.clock.advance(8 * DAY)
    asked = await two.status(ids(upi_vpa=VPA))
    page = await ok(h, "/admin/audit")
    entries = page["entries"]
    assert [(e["actor"], e["action"]) for e in entries] == [
        (two.id, "status"),
        (two.id, "observe"),
        (one.id, "report"),
    ]
    status = entries[0]
    assert status["purpose"] == "postpaid_session"
    assert status["verdict"] == asked["verdict"] == "block"
    assert status["score"] > 0
    assert status["tokens"]
    assert all(t.startswith("upi_vpa:") for t in status["tokens"])
    assert entries[2]["case_id"] == case_id
    assert entries[2]["after"] == "open"
    assert [e["seq"] for e in entries] == [3, 2, 1]
    assert page["next_cursor"] is None
    text = (await read(h, "/admin/audit")).text
    assert not [raw for raw in RAW_FORMS if raw in text]
    # filters: by actor, by action, by time
    by_two = await ok(h, "/admin/audit", actor=two.id)
    assert [e["action"] for e in by_two["entries"]] == ["status", "observe"]
    statuses = await ok(h, "/admin/audit", action="status")
    assert [e["seq"] for e in statuses["entries"]] == [3]
    later = await ok(h, "/admin/audit", since=iso(started + DAY))
    assert [e["action"] for e in later["entries"]] == ["status"]
    earlier = await ok(h, "/admin/audit", until=iso(started + DAY))
    assert [e["action"] for e in earlier["entries"]] == ["observe", "report"]


async def test_the_audit_is_paged_back_by_its_cursor(h: Harness, one: Cpo) -> None:
    for i in range(7):
        await case_of(one, f"s-{i}", ids(upi_vpa=f"driver{i}@okaxis"))
    await one.status(ids(upi_vpa=VPA))
    seen: list[int] = []
    query: dict[str, Any] = {"page_size": 3, "action": "report"}
    pages = 0
    while True:
        page = await ok(h, "/admin/audit", **query)
        pages += 1
        assert len(page["entries"]) <= 3
        seen += [e["seq"] for e in page["entries"]]
        if page["next_cursor"] is None:
            break
        query["cursor"] = page["next_cursor"]
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    assert pages == 3
    tail = await ok(h, "/admin/audit", cursor=3)
    assert [e["seq"] for e in tail["entries"]] == [2, 1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"cursor": 0}, "cursor"),
        ({"cursor": 2**70}, "cursor"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-01T00:00:00"}, "since"),  # no zone
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
    ],
)
async def test_a_bad_audit_query_is_a_nack_naming_the_field(
    h: Harness, query: dict[str, Any], field: str
) -> None:
    error = nack(await read(h, "/admin/audit", **query), 400)
    assert error["path"] == field, error


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/admin/disputes", {"limit": 0}, "limit"),
        ("/admin/disputes", {"limit": 10_000}, "limit"),
        ("/admin/baps", {"flagged": "perhaps"}, "flagged"),
        ("/admin/baps", {"limit": -1}, "limit"),
    ],
)
async def test_bad_review_queries_are_nacks_naming_the_field(
    h: Harness, path: str, query: dict[str, Any], field: str
) -> None:
    error = nack(await read(h, path, **query), 400)
    assert error["path"] == field, error


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/disputes", "/admin/baps"])
async def test_only_operators_may_review(h: Harness, one: Cpo, path: str) -> None:
    unsigned = await h.client.get(path)
    assert nack(unsigned, 401)["path"] == "Authorization"
    by_cpo = await h.signed("GET", path, one.p.keys, one.id)
    nack(by_cpo, 401 if by_cpo.status_code == 401 else 403)


async def test_the_dispute_queue_ages_each_dispute_against_the_deadline(
    h: Harness, one: Cpo, two: Cpo
) -> None:
    first = await case_of(one, "s-1", ids(upi_vpa=VPA))
    second = await case_of(one, "s-2", ids(phone=PHONE))
    assert (await ok(h, "/admin/disputes"))["disputes"] == []
    assert (await two.dispute(first, ids(upi_vpa=VPA))).status_code == 200
    disputed_at = h.clock()
    h.clock.advance(10 * DAY)
    assert (await two.dispute(second, ids(phone=PHONE))).status_code == 200
    h.clock.advance(DAY)
    queue = await ok(h, "/admin/disputes")
    assert queue["expire_days"] == 30
    assert not queue["truncated"]
    assert [d["case_id"] for d in queue["disputes"]] == [first, second]
    oldest = queue["disputes"][0]
    assert oldest["creditor"] == one.id
    assert oldest["disputed_at"] == iso(disputed_at)
    assert oldest["deadline"] == iso(disputed_at + 30 * DAY)
    assert oldest["age_seconds"] == pytest.approx(h.clock() - disputed_at)
    assert oldest["remaining_seconds"] == pytest.approx(disputed_at + 30 * DAY - h.clock())
    assert not oldest["overdue"]
    assert oldest["tokens"]
    assert all(t.startswith("upi_vpa:") for t in oldest["tokens"])
    assert [d["case_id"] for d in (await ok(h, "/admin/disputes", limit=1))["disputes"]] == [first]
    assert (await ok(h, "/admin/disputes", limit=1))["truncated"]
    h.clock.advance(20 * DAY)
    assert [d["overdue"] for d in (await ok(h, "/admin/disputes"))["disputes"]] == [True, False]
    # the creditor resolves the first: it leaves the queue
    resolved = await one.act(first, "resolve", outcome="cancelled")
    assert resolved.status_code == 200, resolved.text
    assert [d["case_id"] for d in (await ok(h, "/admin/disputes"))["disputes"]] == [second]
    text = (await read(h, "/admin/disputes")).text
    assert not [raw for raw in RAW_FORMS if raw in text]


def verdict(bap: str, score: float, at: float, *, flagged: bool) -> BapVerdict:
    return BapVerdict(
        bap_id=bap,
        scored_at=at,
        window_start=at - 3600,
        window_end=at,
        score=score,
        actions=[ScrapingAction.FLAG] if flagged else [],
        shadow_actions=[ScrapingAction.BLOCK] if flagged else [],
        searches=40,
        top=[FeatureNote("lattice", 0.9, 0.1, 0.4, "grid sweep")],
    )


async def test_baps_are_ranked_by_their_latest_score(h: Harness) -> None:
    assert (await ok(h, "/admin/baps"))["baps"] == []
    now = h.clock()
    # what a scoring pass stores (the scorer's own tests make these from events)
    await h.app.state.stores.verdicts.save_pass(
        [
            verdict("sweeper.example", 0.95, now, flagged=True),
            verdict("quiet.example", 0.05, now, flagged=False),
            verdict("odd.example", 0.7, now, flagged=True),
        ],
        [],
        10,
        0.0,
    )
    await h.app.state.stores.verdicts.save_pass(
        [verdict("odd.example", 0.2, now + 60, flagged=False)], [], 10, 0.0
    )
    ranked = (await ok(h, "/admin/baps"))["baps"]
    assert [(b["bap_id"], b["score"]) for b in ranked] == [
        ("sweeper.example", 0.95),
        ("odd.example", 0.2),
        ("quiet.example", 0.05),
    ]
    top = ranked[0]
    assert (top["actions"], top["shadow_actions"]) == (["flag"], ["block"])
    assert top["top"][0]["name"] == "lattice"
    assert top["scored_at"] == iso(now)
    flagged = (await ok(h, "/admin/baps", flagged="true"))["baps"]
    assert [b["bap_id"] for b in flagged] == ["sweeper.example"]
    assert [b["bap_id"] for b in (await ok(h, "/admin/baps", limit=1))["baps"]] == [
        "sweeper.example"
    ]


async def test_the_review_routes_are_documented(h: Harness) -> None:
    schema = (await h.client.get("/schema/openapi.json")).json()
    for path in ("/admin/audit", "/admin/disputes", "/admin/baps"):
        operation = schema["paths"][path]["get"]
        assert operation["summary"], path
        assert operation["description"], path
        assert operation["responses"]["4XX"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Nack"
        }
    params = {p["name"]: p for p in schema["paths"]["/admin/audit"]["get"]["parameters"]}
    assert set(params) == {"since", "until", "actor", "action", "cursor", "page_size"}
    assert params["page_size"]["schema"]["maximum"] == 500
    assert params["page_size"]["schema"]["minimum"] == 1


@pytest.mark.sqlite
async def test_a_page_reads_a_bounded_slice_and_says_where_to_go_on(tmp_path: Path) -> None:
    """A filter matching nothing recent reads at most 5000 entries per call, answers a short
    page with a cursor, and the next page goes on from there; ``since`` stops the scan."""
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h:
        cases = h.app.state.stores.cases
        now = h.clock()
        await cases.audit(AuditEntry(at=now - 7200, actor="old.example", action="status"))
        for start in range(0, 5100, 100):
            await asyncio.gather(
                *(
                    cases.audit(AuditEntry(at=now + i, actor="busy.example", action="status"))
                    for i in range(start, start + 100)
                )
            )
        first = await ok(h, "/admin/audit", actor="old.example")
        assert (first["entries"], first["scanned"]) == ([], 5000)
        assert first["next_cursor"] == 5101 - 5000 + 1
        second = await ok(h, "/admin/audit", actor="old.example", cursor=first["next_cursor"])
        assert [e["actor"] for e in second["entries"]] == ["old.example"]
        assert second["next_cursor"] is None
        # since: the scan stops at the first entry older than it (give or take the skew)
        recent = await ok(h, "/admin/audit", actor="old.example", since=iso(now + 5000))
        assert (recent["entries"], recent["next_cursor"]) == ([], None)
        assert recent["scanned"] < 200
