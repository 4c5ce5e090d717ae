"""One contract for the scraping half of every store: SQLite, a real Redis, a real Cluster."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from uei.antiabuse.scraping.events import Funnel, FunnelKind, Search
from uei.antiabuse.scraping.policy import ScrapingAction
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureNote, FeatureRow
from uei.antiabuse.stores import AbuseStores, Checked, open_abuse_stores

pytestmark = pytest.mark.anyio

NOW = 1_790_000_000.0
KEEP = 7200.0


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[AbuseStores]:
    opened = await open_abuse_stores(store_url)
    yield opened
    await opened.close()


def search(at: float, lat: float = 12.97, user: str = "") -> Search:
    return Search(at=at, lat=lat, lon=77.59, radius_km=5.0, via="bg.example", user=user)


async def check(
    store: AbuseStores,
    message_id: str,
    *,
    bap: str = "bap.example",
    now: float | None = NOW,
    burst: int = 3,
    interval: float = 10.0,
    cost: int = 1,
    at: float = NOW,
) -> tuple[bool, int, bool]:
    checked = await store.quotas.check(
        bap,
        "search.default",
        message_id,
        interval=interval,
        burst=burst,
        cost=cost,
        search=search(at),
        answer_seconds=600.0,
        keep_seconds=KEEP,
        now=now,
    )
    return checked.answer.allowed, checked.answer.remaining, checked.duplicate


async def test_check_takes_quota_and_a_retried_message_id_costs_nothing(store: AbuseStores) -> None:
    assert await check(store, "m1") == (True, 2, False)
    assert await check(store, "m1") == (True, 2, True)  # the first answer, nothing taken
    assert await check(store, "m2") == (True, 1, False)
    assert await check(store, "m3") == (True, 0, False)
    assert await check(store, "m4") == (False, 0, False)
    assert await check(store, "m4") == (False, 0, True)
    # refills at one unit per interval on the clock handed in
    assert (await check(store, "m5", now=NOW + 10.0))[0]
    # a weighted check needs as many units as it costs
    assert not (await check(store, "m6", now=NOW + 20.0, cost=2))[0]
    assert (await check(store, "m6b", now=NOW + 40.0, cost=2))[0]


async def test_a_check_marks_its_signature_and_a_replay_takes_and_records_nothing(
    store: AbuseStores,
) -> None:
    def mark(signature: str) -> tuple[str, int]:
        return signature, int(NOW) + 300

    async def checked(message_id: str, signature: str) -> Checked:
        return await store.quotas.check(
            "bap.example",
            "search.default",
            message_id,
            interval=10.0,
            burst=3,
            cost=1,
            search=search(NOW, lat=12.0 + len(message_id)),
            answer_seconds=600.0,
            keep_seconds=KEEP,
            now=NOW,
            replay=mark(signature),
        )

    first = await checked("m1", "sig-1")
    assert (first.replayed, first.answer.remaining) == (False, 2)
    again = await checked("m-other", "sig-1")  # the same signature, whatever the body says
    assert again.replayed
    assert not again.answer.allowed
    fresh = await checked("m2", "sig-2")  # a new signature: taken from what the first left
    assert (fresh.replayed, fresh.answer.remaining) == (False, 1)
    recorded = await store.events.events("bap.example", NOW - 1, NOW + 1)
    assert len(recorded) == 2  # the replay recorded no search


async def test_check_records_each_search_once_on_event_time(store: AbuseStores) -> None:
    await check(store, "m1", at=NOW - 100)
    await check(store, "m1", at=NOW - 100)
    await check(store, "m2", at=NOW - 50)
    await check(store, "m3", at=NOW - 5000)  # another hour bucket
    found = await store.events.events("bap.example", NOW - 3600, NOW)
    assert [e.at for e in found] == [NOW - 100, NOW - 50]
    assert all(isinstance(e, Search) for e in found)
    assert await store.events.active(NOW - 3600, NOW) == ["bap.example"]
    assert len(await store.events.events("bap.example", NOW - 7200, NOW)) == 3
    assert await store.events.active(NOW + 7200, NOW + 10800) == []


async def test_store_clock_decides_when_no_time_is_handed_in(store: AbuseStores) -> None:
    answers = [await check(store, f"m{i}", now=None, burst=2, interval=3600.0) for i in range(3)]
    assert [a[0] for a in answers] == [True, True, False]
    checked = await store.quotas.check(
        "bap.example",
        "search.default",
        "m9",
        interval=3600.0,
        burst=2,
        cost=1,
        search=None,
        answer_seconds=600.0,
        keep_seconds=KEEP,
    )
    assert abs(checked.at - time.time()) < 60  # the store's clock, not a handed-in time
    assert checked.answer.retry_after > 3000


async def test_concurrent_checks_never_exceed_the_burst(store: AbuseStores) -> None:
    answers = await asyncio.gather(
        *(check(store, f"m{i}", burst=5, interval=60.0) for i in range(20))
    )
    assert sum(a[0] for a in answers) == 5


async def test_bap_quotas_are_independent(store: AbuseStores) -> None:
    assert (await check(store, "m1", burst=1))[0]
    assert not (await check(store, "m2", burst=1))[0]
    assert (await check(store, "m2", bap="other.example", burst=1))[0]


async def test_a_meter_is_gcra_on_one_key_and_every_call_counts(store: AbuseStores) -> None:
    """A relay's own calls: no dedupe, nothing recorded, refusals take nothing."""
    taken = [
        (await store.quotas.take("bg.example", interval=10.0, burst=3, cost=1, now=NOW)).allowed
        for _ in range(4)
    ]
    assert taken == [True, True, True, False]
    refused = await store.quotas.take("bg.example", interval=10.0, burst=3, cost=1, now=NOW)
    assert (refused.remaining, refused.retry_after) == (0, 10.0)
    assert (
        await store.quotas.take("bg.example", interval=10.0, burst=3, cost=1, now=NOW + 10)
    ).allowed
    # another key, and the same id's BAP quota, are apart
    assert (await store.quotas.take("bpp.example", interval=10.0, burst=3, cost=3, now=NOW)).allowed
    assert await check(store, "m1", bap="bg.example") == (True, 2, False)
    assert await store.events.events("bg.example", NOW - 1, NOW + 1) == [search(NOW)]


async def test_a_meter_uses_the_store_clock_when_no_time_is_handed_in(store: AbuseStores) -> None:
    first = await store.quotas.take("bg.example", interval=3600.0, burst=1, cost=1)
    second = await store.quotas.take("bg.example", interval=3600.0, burst=1, cost=1)
    assert (first.allowed, second.allowed) == (True, False)
    assert 3500 < second.retry_after <= 3600


async def test_concurrent_meters_never_exceed_the_burst(store: AbuseStores) -> None:
    answers = await asyncio.gather(
        *(store.quotas.take("bg.example", interval=60.0, burst=5, cost=1) for _ in range(20))
    )
    assert sum(a.allowed for a in answers) == 5


async def test_events_are_recorded_once_per_kind_and_message(store: AbuseStores) -> None:
    select = Funnel(at=NOW - 10, kind=FunnelKind.SELECT, bpp_id="cpo.example", location_id="L1")
    confirm = Funnel(at=NOW - 5, kind=FunnelKind.CONFIRM, bpp_id="cpo.example", location_id="L1")
    assert await store.events.record("bap.example", [("t1", select), ("t1", confirm)], KEEP) == 2
    assert (
        await store.events.record("bap.example", [("t1", select), ("s1", search(NOW - 20))], KEEP)
        == 1
    )
    # a search checked before is not recorded again when a gateway uploads its log
    await check(store, "s2", at=NOW - 30)
    assert await store.events.record("bap.example", [("s2", search(NOW - 30))], KEEP) == 0
    found = await store.events.events("bap.example", NOW - 3600, NOW)
    assert [type(e).__name__ for e in found] == ["Search", "Search", "Funnel", "Funnel"]
    assert found[2] == select


async def test_recent_gives_the_latest_events_of_a_window_in_time_order(
    store: AbuseStores,
) -> None:
    # three hours of searches, uploaded out of time order, and another BAP's beside them
    times = [NOW - 3 * 3600 + 600 * i for i in range(18)]
    late_first = times[9:] + times[:9]
    await store.events.record("bap.example", [(f"m{t}", search(t)) for t in late_first], 4 * 3600)
    await store.events.record("other.example", [("x", search(NOW - 60))], 4 * 3600)
    assert await store.events.recent("bap.example", NOW - 4 * 3600, NOW, 100) == [
        search(t) for t in times
    ]
    # the latest ``limit``, still oldest first
    assert await store.events.recent("bap.example", NOW - 4 * 3600, NOW, 4) == [
        search(t) for t in times[-4:]
    ]
    # the window's bounds: start inclusive, end exclusive
    assert await store.events.recent("bap.example", times[2], times[5], 100) == [
        search(t) for t in times[2:5]
    ]
    assert await store.events.recent("nobody.example", NOW - 3600, NOW, 10) == []


def verdict(bap: str, score: float, at: float) -> BapVerdict:
    return BapVerdict(
        bap_id=bap,
        scored_at=at,
        window_start=at - 3600,
        window_end=at,
        score=score,
        actions=[ScrapingAction.FLAG],
        shadow_actions=[ScrapingAction.BLOCK],
        searches=42,
        top=[FeatureNote("lattice", 0.99, 0.1, 0.4, "grid sweep")],
        features={"lattice": 0.99},
    )


async def test_verdicts_keep_the_latest_and_a_bounded_history(store: AbuseStores) -> None:
    assert await store.verdicts.verdict("bap.example") is None
    for i in range(4):
        await store.verdicts.save_pass([verdict("bap.example", i / 10, NOW + i)], [], 3, 0.0)
    latest = await store.verdicts.verdict("bap.example")
    assert latest == verdict("bap.example", 0.3, NOW + 3)
    history = await store.verdicts.verdict_history("bap.example", 10)
    assert [v.score for v in history] == [0.3, 0.2, 0.1]
    assert await store.verdicts.verdict("other.example") is None


async def test_ranked_gives_each_bap_s_latest_verdict_highest_score_first(
    store: AbuseStores,
) -> None:
    assert await store.verdicts.ranked(10) == []
    await store.verdicts.save_pass(
        [verdict("a.example", 0.9, NOW), verdict("b.example", 0.2, NOW)], [], 3, 0.0
    )
    # a later pass lowers a's score and raises c's: the ranking follows the latest verdicts
    await store.verdicts.save_pass(
        [verdict("a.example", 0.1, NOW + 60), verdict("c.example", 0.7, NOW + 60)], [], 3, 0.0
    )
    ranked = await store.verdicts.ranked(10)
    assert [(v.bap_id, v.score) for v in ranked] == [
        ("c.example", 0.7),
        ("b.example", 0.2),
        ("a.example", 0.1),
    ]
    assert ranked[0] == verdict("c.example", 0.7, NOW + 60)
    assert [v.bap_id for v in await store.verdicts.ranked(2)] == ["c.example", "b.example"]


async def test_training_rows_are_read_newest_first_and_old_ones_forgotten(
    store: AbuseStores,
) -> None:
    rows = [FeatureRow(f"bap{i % 3}", NOW + i * 300, [float(i), 1.0]) for i in range(9)]
    await store.verdicts.save_pass([], rows, 3, 0.0)
    got = await store.verdicts.training_rows(NOW + 900, 4)
    assert [r.window_end for r in got] == [NOW + 2400, NOW + 2100, NOW + 1800, NOW + 1500]
    await store.verdicts.save_pass([], [], 3, NOW + 1500)
    assert [r.values[0] for r in await store.verdicts.training_rows(0.0, 100)] == [8, 7, 6, 5]


async def test_a_lease_has_one_holder_until_it_lapses(store: AbuseStores) -> None:
    assert await store.verdicts.lease("score", "a", 60.0, NOW)
    assert not await store.verdicts.lease("score", "b", 60.0, NOW + 1)
    assert await store.verdicts.lease("score", "a", 60.0, NOW + 2)  # the holder renews
