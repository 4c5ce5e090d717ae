"""A BAP's traffic over time: intervals, counts, the quota replay and the sampled centres."""

from __future__ import annotations

import itertools

import msgspec
import pytest

from uei.antiabuse.quotas.rules import QuotaRule, SearchCost
from uei.antiabuse.scraping.events import Event, Funnel, FunnelKind, Search
from uei.antiabuse.scraping.policy import ScrapingAction
from uei.antiabuse.scraping.timeline import MAX_BINS, activity, bins, centres, quota_use
from uei.antiabuse.scraping.verdicts import BapVerdict

T0 = 1_790_000_000.0


def search(at: float, radius: float = 5.0, lat: float = 12.9) -> Search:
    return Search(at=at, lat=lat, lon=77.6, radius_km=radius)


def step(at: float, kind: FunnelKind) -> Funnel:
    return Funnel(at=at, kind=kind, bpp_id="cpo.example", location_id="L1")


def test_intervals_cover_the_range_and_are_bounded() -> None:
    over = bins(T0, T0 + 3600, 600)
    assert over.starts() == [T0 + 600 * i for i in range(6)]
    assert (over.index(T0), over.index(T0 + 599.9), over.index(T0 + 3599)) == (0, 0, 5)
    assert over.index(T0 - 1) is None
    assert over.index(T0 + 3600) is None
    wide = bins(T0, T0 + 86_400 * 7, 1)  # a week in seconds would be 604,800 intervals
    assert wide.count == MAX_BINS
    assert wide.end == pytest.approx(T0 + 86_400 * 7)
    assert bins(T0, T0, 60).count == 0


def test_activity_counts_each_kind_per_interval_and_leaves_out_the_rest() -> None:
    over = bins(T0, T0 + 300, 100)
    events: list[Event] = [
        search(T0 - 1),  # before the range
        search(T0 + 1),
        search(T0 + 2),
        step(T0 + 3, FunnelKind.SELECT),
        search(T0 + 150),
        step(T0 + 160, FunnelKind.INIT),
        step(T0 + 170, FunnelKind.CONFIRM),
        step(T0 + 250, FunnelKind.CANCEL),
        search(T0 + 300),  # at the end: outside
    ]
    found = activity(events, over)
    assert found.searches == [2, 1, 0]
    assert found.selects == [1, 0, 0]
    assert found.inits == [0, 1, 0]
    assert found.confirms == [0, 1, 0]
    assert found.cancels == [0, 0, 1]
    assert found.totals == {"search": 3, "select": 1, "init": 1, "confirm": 1}
    msgspec.json.encode(found)  # what a page embeds


def test_quota_replay_admits_the_burst_then_the_sustained_rate() -> None:
    rule = QuotaRule(limit=10, window_seconds=60.0)  # 10 at once, then one per 6 s
    over = bins(T0, T0 + 120, 60)
    # 30 searches in the first second, then one per second for the next minute
    burst = [search(T0 + i / 100) for i in range(30)]
    steady = [search(T0 + 60 + i) for i in range(60)]
    used = quota_use(burst + steady, over, rule, SearchCost())
    assert used.allowed[0] + used.refused[0] == 30
    assert used.allowed[0] == 10
    # the bucket refilled while idle (10), then a minute at the sustained rate (about 10)
    assert 19 <= used.allowed[1] <= 21
    assert used.allowed[1] + used.refused[1] == 60
    assert used.capacity == [10.0, 10.0]
    assert used.rule == "10 per 60 s"
    assert used.throttled == [False, False]


def test_a_wide_search_uses_its_cost_and_a_throttle_shrinks_the_rule_while_in_force() -> None:
    rule = QuotaRule(limit=100, window_seconds=60.0)
    cost = SearchCost(free_radius_km=5.0, per_extra_km=1.0, max=10)
    over = bins(T0, T0 + 180, 60)
    throttle = BapVerdict(
        bap_id="b",
        scored_at=T0 + 120,
        window_start=T0,
        window_end=T0 + 120,
        score=0.9,
        actions=[ScrapingAction.FLAG, ScrapingAction.THROTTLE],
        throttle_scale=0.1,
    )
    mild = msgspec.structs.replace(
        throttle, scored_at=T0 + 10, actions=[ScrapingAction.FLAG], throttle_scale=1.0
    )
    wide = [search(T0 + 1 + i * 0.01, radius=8.0) for i in range(40)]  # 4 units each
    late = [search(T0 + 121 + i * 0.01) for i in range(40)]  # 1 unit each, throttled to 10
    used = quota_use(wide + late, over, rule, cost, [throttle, mild])
    assert used.allowed[0] == 100  # 25 of the 40 wide searches
    assert used.refused[0] == 60
    assert used.throttled == [False, False, True]
    assert used.capacity[2] == pytest.approx(10.0)
    assert used.allowed[2] <= 10
    assert used.allowed[2] + used.refused[2] == 40


def test_centres_are_an_even_bounded_sample_keeping_the_first_and_last() -> None:
    searches = [search(T0 + i, lat=10 + i / 1000) for i in range(1000)]
    picked = centres(searches, 11)
    assert len(picked) == 11
    assert picked[0].at == T0
    assert picked[-1].at == T0 + 999
    gaps = {round(b.at - a.at) for a, b in itertools.pairwise(picked)}
    assert gaps <= {100, 99, 101}
    assert len(centres(searches[:5], 11)) == 5
    assert centres(searches, 0) == []
    assert [c.at for c in centres(searches, 1)] == [T0 + 999]
