"""The tally (``uei/tally.py``): what the hot paths count and observe, written in one flush,
reads exactly as if every request had written its own (same series, counts, buckets, sums)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram

from uei.tally import Tally

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_LABELS = st.sampled_from(["/lookup", "/abuse/status", "/healthz"])
# on a bound, just off it, and anywhere (the +Inf bucket included)
_AMOUNTS = st.one_of(
    st.sampled_from(_BUCKETS),
    st.sampled_from(_BUCKETS).map(lambda b: math.nextafter(b, math.inf)),
    st.floats(min_value=0.0, max_value=5.0),
)


def _metrics() -> tuple[CollectorRegistry, Counter, Histogram]:
    registry = CollectorRegistry()
    counter = Counter("t_requests_total", "requests", ["route"], registry=registry)
    histogram = Histogram(
        "t_duration_seconds", "latency", ["route"], buckets=_BUCKETS, registry=registry
    )
    return registry, counter, histogram


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
        if not s.name.endswith("_created")
    }


@given(st.lists(st.tuples(_LABELS, _AMOUNTS), max_size=60), st.integers(0, 60))
def test_a_flush_writes_what_each_request_would_have(
    requests: list[tuple[str, float]], flush_after: int
) -> None:
    direct, d_counter, d_histogram = _metrics()
    batched, b_counter, b_histogram = _metrics()
    tally = Tally()
    for i, (route, seconds) in enumerate(requests):
        d_counter.labels(route).inc()
        d_histogram.labels(route).observe(seconds)
        tally.count(b_counter, (route,))
        tally.observe(b_histogram, (route,), seconds)
        if i == flush_after:  # flushes in the middle add up as well
            tally.flush()
    tally.flush()
    want, got = _samples(direct), _samples(batched)
    assert want.keys() == got.keys()
    for key, value in want.items():
        assert math.isclose(got[key], value, rel_tol=1e-9, abs_tol=1e-9), key


def test_nothing_is_written_until_the_flush_and_nothing_twice() -> None:
    registry, counter, histogram = _metrics()
    tally = Tally()
    tally.count(counter, ("/lookup",), 3)
    tally.observe(histogram, ("/lookup",), 0.002)
    assert _samples(registry) == {}  # no series yet: nothing was written
    tally.flush()
    tally.flush()
    samples = _samples(registry)
    assert samples[("t_requests_total", (("route", "/lookup"),))] == 3
    assert samples[("t_duration_seconds_count", (("route", "/lookup"),))] == 1
    assert samples[("t_duration_seconds_bucket", (("le", "0.0025"), ("route", "/lookup")))] == 1
    assert samples[("t_duration_seconds_bucket", (("le", "0.001"), ("route", "/lookup")))] == 0
