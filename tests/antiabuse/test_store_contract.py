"""One contract for every anti-abuse store: SQLite, a real Redis, a real 3-node Cluster."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from tests.conftest import backend_params, backend_url
from uei.antiabuse.defaulters.ledger import AuditEntry, Case, CaseStatus
from uei.antiabuse.defaulters.policy import DefaultersPolicy
from uei.antiabuse.defaulters.verdict import Evidence
from uei.antiabuse.defaulters.walk import NOTHING, Reads, Walk, gated, walk
from uei.antiabuse.quotas.gcra import QuotaAnswer
from uei.antiabuse.stores import AbuseStores, CaseConflict, open_abuse_stores
from uei.antiabuse.stores.redis_defaulters import RedisCases

pytestmark = pytest.mark.anyio

NOW = 1_790_000_000.0


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[AbuseStores]:
    opened = await open_abuse_stores(store_url)
    yield opened
    await opened.close()


def case(
    case_id: str = "c1", ref: str = "s-1", creditor: str = "cpo.example", **kw: object
) -> Case:
    fields: dict[str, object] = {
        "case_id": case_id,
        "creditor": creditor,
        "session_ref": ref,
        "amount_paise": 42_000,
        "currency": "INR",
        "occurred_at": NOW - 3600,
        "reported_at": NOW,
        "tokens": ("phone:p1", "upi_vpa:v1"),
        "updated": NOW,
    }
    fields.update(kw)
    return Case(**fields)  # type: ignore[arg-type]


def entry(action: str, case_id: str | None = None) -> AuditEntry:
    return AuditEntry(at=NOW, actor="cpo.example", action=action, case_id=case_id)


async def test_a_case_is_stored_once_per_creditor_and_session_ref(store: AbuseStores) -> None:
    first = await store.cases.create_case(case(), entry("report", "c1"))
    assert first.version == 1
    again = await store.cases.create_case(case("c2"), entry("report", "c2"))
    assert again == first
    other_cpo = await store.cases.create_case(
        case("c3", creditor="cpo-two.example"), entry("report")
    )
    assert other_cpo.case_id == "c3"
    assert set(await store.cases.load_cases(["c1", "c2", "c3", "nope"])) == {"c1", "c3"}
    assert await store.cases.cases_for(["phone:p1", "upi_vpa:v1", "phone:none"]) == {
        "phone:p1": ["c1", "c3"],
        "upi_vpa:v1": ["c1", "c3"],
    }
    audited = await store.cases.audit_log(10)
    assert [(a.action, a.case_id) for a in audited] == [("report", "c1"), ("report", None)]


async def test_concurrent_reports_of_one_session_make_one_case(store: AbuseStores) -> None:
    made = await asyncio.gather(
        *(store.cases.create_case(case(f"c{i}"), entry("report", f"c{i}")) for i in range(8))
    )
    assert len({m.case_id for m in made}) == 1
    assert len(await store.cases.audit_log(100)) == 1
    assert await store.cases.cases_for(["phone:p1"]) == {"phone:p1": [made[0].case_id]}


async def test_save_refuses_a_stale_version_and_writes_nothing(store: AbuseStores) -> None:
    stored = await store.cases.create_case(case(), entry("report", "c1"))
    settled = msgspec.structs.replace(stored, status=CaseStatus.SETTLED)
    saved = await store.cases.save_case(settled, entry("settle", "c1"))
    assert saved.version == 2
    with pytest.raises(CaseConflict):
        await store.cases.save_case(
            msgspec.structs.replace(stored, status=CaseStatus.WITHDRAWN), entry("withdraw", "c1")
        )
    assert (await store.cases.load_cases(["c1"]))["c1"] == saved
    assert [a.action for a in await store.cases.audit_log(10)] == ["report", "settle"]


async def test_links_grow_and_only_move_forward_in_time(store: AbuseStores) -> None:
    await store.graph.link(["phone:p1", "upi_vpa:v1", "vehicle:x"], NOW - 100)
    await store.graph.link(["phone:p1", "upi_vpa:v1"], NOW - 500)  # older news changes nothing
    await store.graph.link(["phone:p1", "upi_vpa:v2", "phone:p1"], NOW)
    found = await store.graph.neighbours(["phone:p1", "vehicle:x", "device:none"], 10)
    assert found == {
        "phone:p1": {"upi_vpa:v1": NOW - 100, "vehicle:x": NOW - 100, "upi_vpa:v2": NOW},
        "vehicle:x": {"phone:p1": NOW - 100, "upi_vpa:v1": NOW - 100},
        "device:none": {},
    }
    assert await store.graph.degrees(["phone:p1", "upi_vpa:v2", "device:none"]) == {
        "phone:p1": {"upi_vpa": 2, "vehicle": 1},
        "upi_vpa:v2": {"phone": 1},
    }


async def test_a_link_retried_after_a_partial_write_completes_it(store: AbuseStores) -> None:
    await store.graph.link(["phone:p1", "upi_vpa:v1"], NOW)
    await store.graph.link(["phone:p1", "upi_vpa:v1", "vehicle:x"], NOW)
    await store.graph.link(["phone:p1", "upi_vpa:v1", "vehicle:x"], NOW)
    assert await store.graph.degrees(["phone:p1", "vehicle:x"]) == {
        "phone:p1": {"upi_vpa": 1, "vehicle": 1},
        "vehicle:x": {"phone": 1, "upi_vpa": 1},
    }


async def test_neighbours_keep_the_most_recent_when_limited(store: AbuseStores) -> None:
    for i in range(6):
        await store.graph.link(["vehicle:fleet", f"phone:d{i}"], NOW + i)
    found = await store.graph.neighbours(["vehicle:fleet"], 3)
    assert found == {
        "vehicle:fleet": {"phone:d5": NOW + 5, "phone:d4": NOW + 4, "phone:d3": NOW + 3}
    }
    assert await store.graph.degrees(["vehicle:fleet"]) == {"vehicle:fleet": {"phone": 6}}


async def test_quota_follows_gcra_and_keys_are_independent(store: AbuseStores) -> None:
    interval, burst = 10.0, 3
    answers = [
        await store.quotas.take("status:a", interval=interval, burst=burst, now=NOW)
        for _ in range(4)
    ]
    assert [a.allowed for a in answers] == [True, True, True, False]
    assert [a.remaining for a in answers[:3]] == [2, 1, 0]
    assert answers[3].retry_after == pytest.approx(interval)
    assert (await store.quotas.take("status:b", interval=interval, burst=burst, now=NOW)).allowed
    assert not (
        await store.quotas.take("status:a", interval=interval, burst=burst, now=NOW + 9.9)
    ).allowed
    assert (
        await store.quotas.take("status:a", interval=interval, burst=burst, now=NOW + 10.0)
    ).allowed


async def test_concurrent_takes_never_exceed_the_burst(store: AbuseStores) -> None:
    answers = await asyncio.gather(
        *(store.quotas.take("k", interval=60.0, burst=5, now=NOW) for _ in range(20))
    )
    assert sum(a.allowed for a in answers) == 5


async def test_take_once_marks_the_signature_with_the_take(store: AbuseStores) -> None:
    """A signature takes once: its repeat is None and takes nothing, a refusal marks too."""

    async def take(signature: str, at: float = NOW) -> QuotaAnswer | None:
        return await store.quotas.take_once(
            "status:a", (signature, int(NOW) + 300), interval=10.0, burst=2, cost=1, now=at
        )

    first = await take("sig-1")
    assert first is not None
    assert (first.allowed, first.remaining) == (True, 1)
    assert await take("sig-1") is None
    second = await take("sig-2")
    assert second is not None
    assert (second.allowed, second.remaining) == (True, 0)
    refused = await take("sig-3")
    assert refused is not None
    assert not refused.allowed
    assert await take("sig-3", NOW + 20) is None  # marked though refused
    later = await take("sig-4", NOW + 20)
    assert later is not None
    assert later.allowed
    # one bucket with take: the marks took from it, the repeats did not
    plain = await store.quotas.take("status:a", interval=10.0, burst=2, now=NOW + 20)
    assert (plain.allowed, plain.remaining) == (True, 0)


async def test_concurrent_repeats_of_one_signature_take_once(store: AbuseStores) -> None:
    answers = await asyncio.gather(
        *(
            store.quotas.take_once("k", ("sig", int(NOW) + 60), interval=60.0, burst=5, now=NOW)
            for _ in range(10)
        )
    )
    assert [a.allowed for a in answers if a is not None] == [True]


def _reads_everything(asked: list[str], limit: int) -> Walk:
    """A walk whose second step depends on the first's answers, and reads every kind."""
    first = yield Reads(degrees=asked, cases_for=asked)
    linked = sorted(first.degrees)
    ids = sorted({c for found in first.cases_for.values() for c in found})
    second = yield Reads(neighbours=linked, cases=ids, limit=limit)
    return Evidence(second.neighbours, first.degrees, first.cases_for, second.cases)


async def test_a_walk_reads_each_step_as_the_single_reads_do(store: AbuseStores) -> None:
    made = await store.cases.create_case(case(), entry("report", "c1"))
    for i in range(4):
        await store.graph.link(["phone:p1", f"upi_vpa:w{i}"], NOW + i)
    await store.graph.link(["upi_vpa:v1", "vehicle:x"], NOW)
    asked = ["phone:p1", "upi_vpa:v1", "device:none"]
    got = await store.graph.walk(_reads_everything(asked, 3))
    linked = ["phone:p1", "upi_vpa:v1"]
    assert got == Evidence(
        await store.graph.neighbours(linked, 3),
        await store.graph.degrees(asked),
        await store.cases.cases_for(asked),
        await store.cases.load_cases(["c1"]),
    )
    assert got.cases == {"c1": made}
    assert got.neighbours["phone:p1"] == {f"upi_vpa:w{i}": NOW + i for i in (3, 2, 1)}
    assert got.degrees["upi_vpa:v1"] == {"vehicle": 1}
    # nothing to read in a step: answered empty
    empty = await store.graph.walk(_reads_everything(["device:none"], 3))
    assert empty == Evidence({}, {}, {}, {})


def _small_large_small(one: str, many: list[str], limit: int) -> Walk:
    """A step of one lookup, one of many, then one again (a store may read small steps and
    large ones differently: SQLite reads a handful on the event loop, the rest on a thread)."""
    first = yield Reads(degrees=[one])
    second = yield Reads(neighbours=many, cases_for=many, limit=limit)
    third = yield Reads(degrees=[one, *many[:1]])
    return Evidence(second.neighbours, {**first.degrees, **third.degrees}, second.cases_for, {})


async def test_a_walk_of_small_and_large_steps_reads_as_the_single_reads_do(
    store: AbuseStores,
) -> None:
    many = [f"phone:p{i}" for i in range(40)]
    for i, token in enumerate(many):
        await store.graph.link([token, f"upi_vpa:w{i}", f"vehicle:v{i % 3}"], NOW + i)
    got = await store.graph.walk(_small_large_small("vehicle:v1", many, 5))
    assert got == Evidence(
        await store.graph.neighbours(many, 5),
        await store.graph.degrees(["vehicle:v1", many[0]]),
        await store.cases.cases_for(many),
        {},
    )
    assert len(got.neighbours) == 40
    assert got.degrees["vehicle:v1"] == {"phone": 13, "upi_vpa": 13}


async def test_the_status_walk_follows_links_to_cases(store: AbuseStores) -> None:
    """The verdict's walk over a store: a case two links away is reached, with the links of
    the phone number named in it (a phone counts only while recently seen with its person)."""
    await store.cases.create_case(case(tokens=("phone:p9", "vehicle:far")), entry("report", "c1"))
    await store.graph.link(["upi_vpa:asked", "device:mid"], NOW)
    await store.graph.link(["device:mid", "vehicle:far"], NOW)
    await store.graph.link(["phone:p9", "credential:x"], NOW)
    policy = DefaultersPolicy()
    got = await store.graph.walk(walk(["upi_vpa:asked"], policy, NOW))
    assert set(got.cases) == {"c1"}
    assert got.cases_by_token == {"vehicle:far": ["c1"]}
    assert set(got.neighbours) == {"upi_vpa:asked", "device:mid"}
    assert set(got.degrees) == {"upi_vpa:asked", "device:mid", "vehicle:far"}
    direct = await store.graph.walk(walk(["phone:p9"], policy, NOW))
    assert direct.cases_by_token == {"phone:p9": ["c1"]}
    assert direct.neighbours["phone:p9"] == {"credential:x": NOW}


def _recorded(steps: Walk, seen: list[Reads]) -> Walk:
    """``steps``, each of its reads noted in ``seen`` as the store is asked for it."""
    reads = next(steps)
    while True:
        seen.append(reads)
        found = yield reads
        try:
            reads = steps.send(found)
        except StopIteration as done:
            evidence: Evidence = done.value
            return evidence


async def test_a_gated_walk_goes_no_further_once_its_gate_closes(store: AbuseStores) -> None:
    """A status query's walk starts beside its quota and goes on only if the quota was
    taken: open, it reads what the walk reads; closed, its first step is its last."""
    await store.cases.create_case(case(tokens=("phone:p9", "vehicle:far")), entry("report", "c1"))
    await store.graph.link(["upi_vpa:asked", "device:mid"], NOW)
    await store.graph.link(["device:mid", "vehicle:far"], NOW)
    policy = DefaultersPolicy()
    full: list[Reads] = []
    whole = await store.graph.walk(_recorded(walk(["upi_vpa:asked"], policy, NOW), full))
    assert len(full) > 2
    assert set(whole.cases) == {"c1"}
    opened: list[Reads] = []
    steps = _recorded(walk(["upi_vpa:asked"], policy, NOW), opened)
    assert await store.graph.walk(gated(steps, lambda: False)) == whole
    assert opened == full
    closed: list[Reads] = []
    steps = _recorded(walk(["upi_vpa:asked"], policy, NOW), closed)
    assert await store.graph.walk(gated(steps, lambda: True)) == NOTHING
    assert closed == full[:1]


async def test_audit_log_keeps_order_and_fields(store: AbuseStores) -> None:
    for i in range(5):
        await store.cases.audit(
            AuditEntry(
                at=NOW + i,
                actor="cpo",
                action="status",
                purpose="postpaid_session",
                verdict="allow",
                score=0.0,
                tokens=(f"phone:p{i}",),
            )
        )
    last = await store.cases.audit_log(2)
    assert [a.tokens for a in last] == [("phone:p3",), ("phone:p4",)]
    assert last[0].purpose == "postpaid_session"


async def test_audit_pages_go_back_from_the_newest_by_seq(store: AbuseStores) -> None:
    assert await store.cases.audit_page(None, 10) == []
    for i in range(7):
        await store.cases.audit(AuditEntry(at=NOW + i, actor=f"cpo{i % 2}", action="status"))
    first = await store.cases.audit_page(None, 3)
    assert [(seq, e.at) for seq, e in first] == [(7, NOW + 6), (6, NOW + 5), (5, NOW + 4)]
    second = await store.cases.audit_page(first[-1][0], 3)
    assert [seq for seq, _ in second] == [4, 3, 2]
    assert [seq for seq, _ in await store.cases.audit_page(second[-1][0], 3)] == [1]
    assert await store.cases.audit_page(1, 3) == []
    assert [seq for seq, _ in await store.cases.audit_page(100, 2)] == [7, 6]
    # case changes are audited in the same sequence
    await store.cases.create_case(case(), entry("report", "c1"))
    assert [(s, e.action) for s, e in await store.cases.audit_page(None, 1)] == [(8, "report")]


async def test_disputed_cases_are_listed_oldest_dispute_first(store: AbuseStores) -> None:
    assert await store.cases.disputed(10) == []
    stored = [
        await store.cases.create_case(case(f"c{i}", f"s-{i}"), entry("report", f"c{i}"))
        for i in range(4)
    ]
    for i in (2, 0, 1):  # disputed in this order
        await store.cases.save_case(
            msgspec.structs.replace(
                stored[i], status=CaseStatus.DISPUTED, disputed_at=NOW + 10 * (3 - i)
            ),
            entry("dispute", f"c{i}"),
        )
    found = await store.cases.disputed(10)
    assert [c.case_id for c in found] == ["c2", "c1", "c0"]
    assert all(c.status is CaseStatus.DISPUTED for c in found)
    assert [c.case_id for c in await store.cases.disputed(2)] == ["c2", "c1"]
    # resolving a dispute takes the case off the list; a confirmed one is open again
    c1 = (await store.cases.load_cases(["c1"]))["c1"]
    await store.cases.save_case(
        msgspec.structs.replace(c1, status=CaseStatus.OPEN, dispute_confirmed=True),
        entry("confirm", "c1"),
    )
    assert [c.case_id for c in await store.cases.disputed(10)] == ["c2", "c0"]


async def test_cases_are_counted_by_status_as_they_change(store: AbuseStores) -> None:
    assert await store.cases.status_counts() == dict.fromkeys(CaseStatus, 0)
    stored = [
        await store.cases.create_case(case(f"c{i}", f"s-{i}"), entry("report", f"c{i}"))
        for i in range(4)
    ]
    await store.cases.create_case(case("c9", "s-0"), entry("report"))  # a retry: no new case
    disputed = await store.cases.save_case(
        msgspec.structs.replace(stored[0], status=CaseStatus.DISPUTED, disputed_at=NOW),
        entry("dispute", "c0"),
    )
    await store.cases.save_case(
        msgspec.structs.replace(disputed, status=CaseStatus.VOID), entry("cancel", "c0")
    )
    await store.cases.save_case(
        msgspec.structs.replace(stored[1], status=CaseStatus.SETTLED), entry("settle", "c1")
    )
    with pytest.raises(CaseConflict):  # a stale copy changes no count
        await store.cases.save_case(
            msgspec.structs.replace(stored[1], status=CaseStatus.WITHDRAWN), entry("withdraw")
        )
    await store.cases.save_case(
        msgspec.structs.replace(stored[2], status=CaseStatus.DISPUTED, disputed_at=NOW),
        entry("dispute", "c2"),
    )
    assert await store.cases.status_counts() == {
        CaseStatus.OPEN: 1,
        CaseStatus.DISPUTED: 1,
        CaseStatus.SETTLED: 1,
        CaseStatus.WITHDRAWN: 0,
        CaseStatus.VOID: 1,
    }


@pytest.mark.parametrize("backend", backend_params("redis", "cluster"))
async def test_cases_disputed_before_the_index_existed_are_indexed_once(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> None:
    """Redis only: SQLite finds disputed cases by an index on the case document itself."""
    store_url = backend_url(request, backend, tmp_path)
    store = await open_abuse_stores(store_url)
    try:
        await _indexed_once(store_url, store)
    finally:
        await store.close()


async def _indexed_once(store_url: str, store: AbuseStores) -> None:
    stored = [
        await store.cases.create_case(case(f"c{i}", f"s-{i}"), entry("report", f"c{i}"))
        for i in range(3)
    ]
    for i in (1, 2):
        await store.cases.save_case(
            msgspec.structs.replace(stored[i], status=CaseStatus.DISPUTED, disputed_at=NOW + i),
            entry("dispute", f"c{i}"),
        )
    assert isinstance(store.cases, RedisCases)
    client = store.cases._client
    await client.delete(  # as before either index existed
        "{uei:ab}:disputed",
        "{uei:ab}:disputed:indexed",
        "{uei:ab}:status:indexed",
        *(f"{{uei:ab}}:status:{s.value}" for s in CaseStatus),
    )
    assert await store.cases.disputed(10) == []
    assert set((await store.cases.status_counts()).values()) == {0}
    again = await open_abuse_stores(store_url)
    try:
        assert [c.case_id for c in await again.cases.disputed(10)] == ["c1", "c2"]
        counts = await again.cases.status_counts()
        assert (counts[CaseStatus.OPEN], counts[CaseStatus.DISPUTED]) == (1, 2)
        assert isinstance(again.cases, RedisCases)
        assert await again.cases.index_cases() == 0  # done once
    finally:
        await again.close()


async def test_data_survives_reopening(store_url: str, store: AbuseStores) -> None:
    await store.cases.create_case(case(), entry("report", "c1"))
    await store.graph.link(["phone:p1", "upi_vpa:v1"], NOW)
    again = await open_abuse_stores(store_url)
    try:
        assert set(await again.cases.load_cases(["c1"])) == {"c1"}
        assert await again.graph.neighbours(["phone:p1"], 5) == {"phone:p1": {"upi_vpa:v1": NOW}}
    finally:
        await again.close()


@pytest.mark.sqlite
async def test_sqlite_file_can_be_shared_with_the_registry(tmp_path: Path) -> None:
    from uei.registry.stores import open_store

    url = f"sqlite:///{tmp_path / 'uei.db'}"
    registry, abuse = await open_store(url), await open_abuse_stores(url)
    try:
        await abuse.cases.create_case(case(), entry("report", "c1"))
        assert await registry.head() is None
        assert await registry.first_use("sig", int(NOW) + 10, NOW)
    finally:
        await abuse.close()
        await registry.close()
