"""GCRA (uei/antiabuse/quotas/gcra.py) against an independent leaky-bucket model.

Times and intervals are multiples of 1/4 second so that every sum is exact in binary floating
point and the model can be compared with ``==``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import example, given, settings
from hypothesis import strategies as st

from uei.antiabuse.quotas.gcra import QuotaAnswer, gcra

QUARTER = 0.25
FEW = settings(max_examples=200, deadline=None)

intervals = st.integers(1, 40).map(lambda n: n * QUARTER)
bursts = st.integers(1, 8)
starts = st.integers(0, 4 * 10**9).map(lambda n: n * QUARTER)
gaps = st.integers(0, 80).map(lambda n: n * QUARTER)


@dataclass
class Bucket:
    """A leaky bucket: each unit of cost pours ``interval`` seconds of water in, which drains
    at one second per second; a request is refused if it would overflow ``burst`` units."""

    interval: float
    burst: int
    level: float = 0.0
    last: float | None = None

    def take(self, now: float, cost: int) -> tuple[bool, int, float, float]:
        """(allowed, remaining, retry_after, reset_after) as the model sees them."""
        if self.last is not None:
            self.level = max(0.0, self.level - (now - self.last))
        self.last = now
        capacity = self.burst * self.interval
        wanted = self.level + cost * self.interval
        allowed = wanted <= capacity
        if allowed:
            self.level = wanted
        remaining = max(0, math.floor((capacity - self.level) / self.interval))
        retry_after = 0.0 if allowed else wanted - capacity
        return allowed, remaining, retry_after, self.level


def run(
    start: float, steps: list[tuple[float, int]], interval: float, burst: int
) -> list[tuple[float, float | None, QuotaAnswer, float]]:
    """Feed ``gcra`` a sequence of (gap, cost); returns (now, tat before, answer, tat after)."""
    tat: float | None = None
    now = start
    seen = []
    for gap, cost in steps:
        now += gap
        answer, stored = gcra(tat, now, interval, burst, cost)
        seen.append((now, tat, answer, stored))
        tat = stored
    return seen


steps_of_one = st.lists(st.tuples(gaps, st.just(1)), min_size=1, max_size=60)


@FEW
@given(intervals, bursts, starts)
def test_a_fresh_key_allows_exactly_burst_at_one_instant(
    interval: float, burst: int, now: float
) -> None:
    tat: float | None = None
    for taken in range(burst):
        answer, tat = gcra(tat, now, interval, burst)
        assert answer.allowed
        assert answer.remaining == burst - taken - 1
        assert answer.retry_after == 0.0
        assert answer.reset_after == (taken + 1) * interval
    refused, kept = gcra(tat, now, interval, burst)
    assert not refused.allowed
    assert refused.remaining == 0
    assert refused.retry_after == interval
    assert kept == tat


@FEW
@given(intervals, bursts, starts, st.integers(1, 30))
def test_after_the_burst_one_request_per_interval_is_sustained(
    interval: float, burst: int, now: float, periods: int
) -> None:
    tat: float | None = None
    for _ in range(burst):
        _, tat = gcra(tat, now, interval, burst)
    for k in range(1, periods + 1):
        at = now + k * interval
        answer, tat = gcra(tat, at, interval, burst)
        assert answer.allowed
        assert answer.remaining == 0
        extra, kept = gcra(tat, at, interval, burst)
        assert not extra.allowed
        assert kept == tat


@FEW
@given(
    intervals,
    bursts,
    starts,
    st.lists(st.tuples(gaps, st.integers(1, 3)), min_size=1, max_size=60),
)
def test_gcra_agrees_with_a_leaky_bucket(
    interval: float, burst: int, start: float, steps: list[tuple[float, int]]
) -> None:
    bucket = Bucket(interval, burst)
    for (now, _, answer, stored), (_, cost) in zip(
        run(start, steps, interval, burst), steps, strict=True
    ):
        allowed, remaining, retry_after, reset_after = bucket.take(now, cost)
        assert answer.allowed is allowed
        assert answer.remaining == remaining
        if cost <= burst:  # a request larger than the burst can never be allowed
            assert answer.retry_after == retry_after
        assert answer.reset_after == reset_after
        assert max(stored - now, 0.0) == bucket.level


@FEW
@given(intervals, bursts, starts, steps_of_one)
def test_no_window_allows_more_than_burst_plus_its_length_over_the_interval(
    interval: float, burst: int, start: float, steps: list[tuple[float, int]]
) -> None:
    allowed = [now for now, _, answer, _ in run(start, steps, interval, burst) if answer.allowed]
    for i, first in enumerate(allowed):
        for j in range(i, len(allowed)):
            window = allowed[j] - first
            assert j - i + 1 <= burst + window / interval


@FEW
@given(
    intervals,
    bursts,
    starts,
    st.lists(st.tuples(gaps, st.integers(1, 3)), min_size=1, max_size=40),
)
def test_retry_after_is_exactly_when_the_request_would_be_allowed(
    interval: float, burst: int, start: float, steps: list[tuple[float, int]]
) -> None:
    for (now, tat, answer, _), (_, cost) in zip(
        run(start, steps, interval, burst), steps, strict=True
    ):
        if answer.allowed or cost > burst:
            continue
        assert answer.retry_after > 0
        later, _ = gcra(tat, now + answer.retry_after, interval, burst, cost)
        assert later.allowed
        sooner, _ = gcra(tat, now + answer.retry_after - QUARTER / 2, interval, burst, cost)
        assert not sooner.allowed


@FEW
@given(
    intervals,
    bursts,
    starts,
    st.lists(st.tuples(gaps, st.integers(1, 3)), min_size=1, max_size=60),
)
def test_refusals_do_not_move_the_stored_tat(
    interval: float, burst: int, start: float, steps: list[tuple[float, int]]
) -> None:
    for (now, tat, answer, stored), (_, cost) in zip(
        run(start, steps, interval, burst), steps, strict=True
    ):
        before = now if tat is None else max(tat, now)
        if answer.allowed:
            assert stored == before + cost * interval
            continue
        # what is stored means the same as what was there: no credit is spent on a refusal
        assert max(stored, now) == before
        if tat is not None and tat >= now:
            assert stored == tat


@FEW
@given(intervals, bursts, starts, st.integers(1, 50))
def test_hammering_while_refused_does_not_delay_the_next_allowed_request(
    interval: float, burst: int, now: float, tries: int
) -> None:
    tat: float | None = None
    for _ in range(burst):
        _, tat = gcra(tat, now, interval, burst)
    assert tat is not None
    first, _ = gcra(tat, now, interval, burst)
    for k in range(tries):
        at = now + first.retry_after * k / (tries + 1)
        refused, tat = gcra(tat, at, interval, burst)
        assert not refused.allowed
    answer, _ = gcra(tat, now + first.retry_after, interval, burst)
    assert answer.allowed


@FEW
@given(
    st.floats(0.5, 100_000),
    st.integers(1, 100),
    st.integers(1, 100),
    st.floats(0, 2e9),
    st.one_of(st.none(), st.floats(0, 1)),
)
# (496.908... + 3600) - 3600 rounds up past 496.908...: found by the property below
@example(per_hour=1.0, burst=1, cost=1, now=496.90815196569883, idle_for=None)
def test_a_key_whose_tat_has_passed_allows_any_request_up_to_the_burst(
    per_hour: float, burst: int, cost: int, now: float, idle_for: float | None
) -> None:
    interval = 3600.0 / per_hour
    cost = min(cost, burst)
    tat = None if idle_for is None else now - idle_for * burst * interval
    answer, stored = gcra(tat, now, interval, burst, cost)
    assert answer.allowed
    assert answer.retry_after == 0.0
    assert stored == now + cost * interval


@FEW
@given(
    st.floats(1, 100_000),
    st.integers(1, 100),
    st.floats(0, 2e9),
    st.lists(st.floats(0, 3600), min_size=1, max_size=40),
)
@example(per_hour=1.0, burst=1, start=1.6411918610601788, waits=[495.26696010463866])
def test_answers_are_consistent_at_realistic_rates(
    per_hour: float, burst: int, start: float, waits: list[float]
) -> None:
    interval = 3600.0 / per_hour
    tat: float | None = None
    now = start
    for wait in waits:
        now += wait
        answer, stored = gcra(tat, now, interval, burst)
        assert 0 <= answer.remaining < burst
        assert answer.reset_after >= 0
        slack = 4 * math.ulp(now + burst * interval)  # (now + x) - now: exact to its last place
        assert answer.reset_after <= burst * interval + slack
        assert (answer.retry_after == 0.0) is answer.allowed
        assert answer.retry_after <= interval + slack
        if not answer.allowed:
            assert stored == tat
        tat = stored
