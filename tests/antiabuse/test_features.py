"""Scraping features (uei/antiabuse/scraping/features.py): always finite, order-free, and telling
the scraper shapes of DESIGN 6.3 (grid sweeps, periodic pollers, no funnel, flat day) apart
from people looking for a charger."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uei.antiabuse.scraping.anomaly import score_windows
from uei.antiabuse.scraping.events import Funnel, FunnelKind, Search
from uei.antiabuse.scraping.features import (
    FEATURES,
    FLEET_DRIVES,
    IST_OFFSET_S,
    NetworkContext,
    NetworkTally,
    _nearest_distances,
    cell,
    features,
    is_drive,
    network_context,
)

FEW = settings(max_examples=60, deadline=None)
HOUR = 3600.0
DAY = 86_400.0
T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC, a whole number of days since the epoch
WINDOW = 6 * HOUR
Unit = tuple[list[Search], list[Funnel]]
NONE = NetworkContext(busy_cells=frozenset(), busy_locations=frozenset())

# everything else is a share of something, in [0, 1]
UNBOUNDED = {name for name in FEATURES if name.startswith("log_")} | {"radius_cv"}
# the sub-populations' counts, sizes and periods (subpop.py); their shares are in [0, 1]
UNBOUNDED |= {
    "grid_z",
    "grid_searches",
    "grid_rows",
    "grid_cols",
    "grid_nodes",
    "grid_step_km",
    "grid_period_s",
    "spot_searches",
    "spot_sites",
    "spot_period_s",
    "spot_visits",
    "trips",
    "trip_bookings",
}
RATIOS = [name for name in FEATURES if name not in UNBOUNDED]
LATTICE_AND_COVERAGE = (
    "cells_per_search",
    "log_cells_per_hour",
    "bbox_coverage",
    "nn_regularity",
    "nn_step_share",
    "exact_repeat_share",
    "busy_cell_share",
)

times = st.one_of(
    st.floats(T0 - 600, T0 + WINDOW + 600),
    st.sampled_from([T0, T0 + 60, T0 + 60, T0 + WINDOW - 1, T0 + WINDOW]),
)
lats = st.one_of(st.floats(-90, 90), st.sampled_from([12.97, 12.97, 28.61, 0.0]))
lons = st.one_of(st.floats(-180, 180), st.sampled_from([77.59, 77.59, 77.2, 0.0]))
radii = st.one_of(st.floats(0, 200), st.sampled_from([5.0, 10.0]))
names = st.sampled_from(["", "bg.one", "bg.two", "cpo.three"])
searches_st = st.lists(
    st.builds(Search, at=times, lat=lats, lon=lons, radius_km=radii, via=names, user=names),
    max_size=60,
)
funnel_st = st.lists(
    st.builds(
        Funnel,
        at=times,
        kind=st.sampled_from(list(FunnelKind)),
        bpp_id=st.sampled_from(["cpo.a", "cpo.b", "cpo.c"]),
        location_id=st.sampled_from(["loc1", "loc2", "loc3", "loc4"]),
        user=names,
    ),
    max_size=20,
)
cells_st = st.frozensets(st.tuples(st.integers(-100, 20_000), st.integers(-100, 20_000)))
networks = st.builds(
    NetworkContext,
    busy_cells=cells_st,
    busy_locations=st.frozensets(st.sampled_from(["loc1", "loc2", "elsewhere"])),
    cell_deg=st.sampled_from([0.01, 0.05, 1.0]),
)
wild = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, -1e300, 1e308, math.inf, -math.inf, math.nan, 180.0, -180.0, 90.0]),
)


def of(
    searches: Sequence[Search],
    funnel: Sequence[Funnel] = (),
    network: NetworkContext = NONE,
    *,
    start: float = T0,
    end: float = T0 + WINDOW,
    max_points: int = 4000,
) -> dict[str, float]:
    return features(searches, funnel, start, end, network, max_points=max_points)


def check_sane(values: dict[str, float]) -> None:
    assert list(values) == list(FEATURES)
    for name, value in values.items():
        assert isinstance(value, float), name
        assert math.isfinite(value), name
        assert value >= 0.0, name
    for name in RATIOS:
        assert values[name] <= 1.0, name


def periodic(period: float, count: int, jitter: float = 0.0, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    offsets = rng.uniform(-jitter, jitter, count) * period
    return [T0 + 10.0 + i * period + float(o) for i, o in enumerate(offsets)]


def poisson(mean_gap: float, count: int, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    return [T0 + 10.0 + float(t) for t in np.cumsum(rng.exponential(mean_gap, count))]


def at_times(ts: Sequence[float], lat: float = 12.97, lon: float = 77.59) -> list[Search]:
    return [Search(t, lat, lon, 5.0) for t in ts]


def grid_sweep(rows: int, cols: int, step: float = 0.01) -> list[Search]:
    """A lattice of centres, one every 5 s, in the middle of cells."""
    return [
        Search(T0 + 5.0 * (r * cols + c), 12.005 + r * step, 77.005 + c * step, 25.0)
        for r in range(rows)
        for c in range(cols)
    ]


def uniform_points(count: int, seed: int, span: float) -> list[Search]:
    rng = np.random.default_rng(seed)
    lat = 12.0 + rng.uniform(0, span, count)
    lon = 77.0 + rng.uniform(0, span, count)
    return [
        Search(T0 + 5.0 * i, float(a), float(b), 25.0)
        for i, (a, b) in enumerate(zip(lat, lon, strict=True))
    ]


def honest_day(seed: int = 0) -> tuple[list[Search], list[Funnel]]:
    """People in two city clusters, daytime only, random arrivals and radii, and a funnel."""
    rng = np.random.default_rng(seed)
    searches: list[Search] = []
    funnel: list[Funnel] = []
    for _ in range(400):
        hour = rng.choice([7, 8, 9, 12, 13, 17, 18, 19, 20, 21])
        at = T0 + hour * HOUR - IST_OFFSET_S + float(rng.uniform(0, HOUR))
        city = (12.97, 77.59) if rng.random() < 0.7 else (28.61, 77.2)
        lat = city[0] + float(rng.normal(0, 0.03))
        lon = city[1] + float(rng.normal(0, 0.03))
        searches.append(Search(at, lat, lon, float(rng.choice([2.0, 5.0, 10.0, 3.0]))))
        if rng.random() < 0.2:
            cpo = f"cpo.{rng.integers(4)}"
            location = f"{cpo}/loc{rng.integers(3)}"
            funnel.append(Funnel(at + 30, FunnelKind.SELECT, cpo, location))
            if rng.random() < 0.5:
                funnel.append(Funnel(at + 60, FunnelKind.INIT, cpo, location))
                if rng.random() < 0.5:
                    funnel.append(Funnel(at + 90, FunnelKind.CONFIRM, cpo, location))
    return searches, funnel


# --- shape of the answer -------------------------------------------------------------------


def test_feature_names_are_unique_and_all_present() -> None:
    assert len(set(FEATURES)) == len(FEATURES)
    assert list(of([])) == list(FEATURES)


def test_empty_window_is_quiet() -> None:
    values = of([])
    check_sane(values)
    assert values["log_searches_per_hour"] == 0.0
    assert values["select_per_search"] == 0.0
    assert values["log_median_gap"] == pytest.approx(math.log1p(WINDOW))


@FEW
@given(searches=searches_st, funnel=funnel_st, network=networks)
def test_every_feature_is_finite_and_bounded(
    searches: list[Search], funnel: list[Funnel], network: NetworkContext
) -> None:
    check_sane(of(searches, funnel, network))


@FEW
@given(
    searches=st.lists(
        st.builds(Search, at=times, lat=wild, lon=wild, radius_km=wild, via=names), max_size=8
    ),
    funnel=funnel_st,
)
def test_wild_numbers_stay_finite(searches: list[Search], funnel: list[Funnel]) -> None:
    check_sane(of(searches, funnel))


@pytest.mark.parametrize("count", [1, 2, 3, 500])
def test_one_time_and_place(count: int) -> None:
    values = of([Search(T0 + 99, 12.97, 77.59, 5.0)] * count)
    check_sane(values)
    assert values["exact_repeat_share"] == (count - 1) / count
    assert values["nn_regularity"] == 0.0  # one centre is no lattice
    assert values["arrival_regularity"] == 0.0  # one instant is no rhythm


@pytest.mark.parametrize(("start", "end"), [(T0, T0), (T0, T0 - 1), (math.nan, T0), (T0, math.inf)])
def test_window_must_be_finite_and_not_empty(start: float, end: float) -> None:
    with pytest.raises(ValueError, match="window"):
        features([], [], start, end, NONE)


@FEW
@given(searches=searches_st, funnel=funnel_st, network=networks, data=st.data())
def test_order_of_events_does_not_matter(
    searches: list[Search], funnel: list[Funnel], network: NetworkContext, data: st.DataObject
) -> None:
    shuffled_searches = data.draw(st.permutations(searches))
    shuffled_funnel = data.draw(st.permutations(funnel))
    assert of(shuffled_searches, shuffled_funnel, network) == of(searches, funnel, network)


@FEW
@given(searches=searches_st, funnel=funnel_st)
def test_events_outside_the_window_are_ignored(
    searches: list[Search], funnel: list[Funnel]
) -> None:
    inside = [s for s in searches if T0 <= s.at < T0 + WINDOW]
    inside_funnel = [f for f in funnel if T0 <= f.at < T0 + WINDOW]
    assert of(searches, funnel) == of(inside, inside_funnel)


def test_volume_is_log_searches_per_hour() -> None:
    values = of(at_times(periodic(60.0, 120)), start=T0, end=T0 + 2 * HOUR)
    assert values["log_searches_per_hour"] == pytest.approx(math.log1p(60.0))


# --- cells ---------------------------------------------------------------------------------


def test_cell_floors_both_coordinates() -> None:
    assert cell(0.0151, 0.0251) == (1, 2)
    assert cell(-0.0049, -0.0149) == (-1, -2)
    assert cell(12.9712, 77.5946) == (1297, 7759)
    assert cell(12.9712, 77.5946, size=0.1) == (129, 775)


def test_cell_keeps_points_on_the_globe() -> None:
    assert cell(math.nan, math.inf) == (0, 0)
    assert cell(1e300, 0.5) == (9000, 50)
    assert cell(0.5, 190.5) == cell(0.5, -169.5)
    assert cell(0.5, -1e300)[1] in range(-18000, 18001)


@pytest.mark.parametrize("size", [0.0, -0.01, math.nan, math.inf, 1e-9])
def test_cell_size_must_be_sane(size: float) -> None:
    with pytest.raises(ValueError, match="cell size"):
        cell(1.0, 1.0, size)
    with pytest.raises(ValueError, match="cell size"):
        NetworkContext(frozenset(), frozenset(), cell_deg=size)


# --- geography ---------------------------------------------------------------------------


@FEW
@given(
    points=st.lists(
        st.tuples(st.integers(0, 40), st.integers(100, 900), st.integers(0, 40)),
        min_size=1,
        max_size=40,
    ),
    shift=st.tuples(st.integers(-300, 300), st.integers(-300, 300)),
    busy=st.frozensets(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=10),
)
def test_moving_everything_by_whole_cells_keeps_lattice_and_coverage(
    points: list[tuple[int, int, int]],
    shift: tuple[int, int],
    busy: frozenset[tuple[int, int]],
) -> None:
    """Centres are whole numbers of 1e-5 degree, away from cell edges (a cell is 1000 of them),
    so a shift by whole cells moves every cell index and every centre by exactly the same."""
    dr, dc = shift

    def searches(dr: int, dc: int) -> list[Search]:
        return [
            Search(
                T0 + 7.0 * i,
                (1_200_000 + (r + dr) * 1000 + off) / 1e5,
                (7_700_000 + (c + dc) * 1000 + off) / 1e5,
                5.0,
            )
            for i, (r, off, c) in enumerate(points)
        ]

    def network(dr: int, dc: int) -> NetworkContext:
        cells = frozenset((1200 + r + dr, 7700 + c + dc) for r, c in busy)
        return NetworkContext(busy_cells=cells, busy_locations=frozenset())

    here = of(searches(0, 0), network=network(0, 0))
    there = of(searches(dr, dc), network=network(dr, dc))
    for name in LATTICE_AND_COVERAGE:
        assert there[name] == here[name], name


def test_grid_sweep_is_a_lattice_and_random_points_are_not() -> None:
    grid = of(grid_sweep(30, 30))
    assert grid["nn_regularity"] > 0.95
    assert grid["nn_step_share"] > 0.95
    for seed in range(3):
        scattered = of(uniform_points(900, seed, span=0.3))
        assert scattered["nn_regularity"] < 0.7
        assert scattered["nn_step_share"] < 0.4
        assert grid["nn_regularity"] > scattered["nn_regularity"] + 0.25


def test_lattice_survives_subsampling() -> None:
    """With fewer points allowed than centres, a lattice still looks like one and random points
    still do not (a thinned lattice, every n-th centre, would not look like one)."""
    grid = of(grid_sweep(60, 60), max_points=700)
    scattered = of(uniform_points(3600, 7, span=0.6), max_points=700)
    assert grid["nn_regularity"] > 0.95
    assert grid["nn_step_share"] > 0.95
    assert scattered["nn_regularity"] < 0.7
    assert scattered["nn_step_share"] < 0.4


def test_lattice_with_jitter_still_scores_high() -> None:
    rng = np.random.default_rng(3)
    jittered = [
        Search(s.at, s.lat + float(rng.uniform(-1e-4, 1e-4)), s.lon, s.radius_km)
        for s in grid_sweep(25, 25)
    ]
    assert of(jittered)["nn_regularity"] > 0.9


@FEW
@given(
    st.lists(
        st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=2, max_size=80, unique=True
    )
)
def test_nearest_distances_match_brute_force(points: list[tuple[int, int]]) -> None:
    xy = np.array(points, dtype=np.float64)
    gaps = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(gaps, np.inf)
    found = _nearest_distances(xy[:, 0].copy(), xy[:, 1].copy())
    assert sorted(found) == pytest.approx(sorted(gaps.min(axis=1)))


def test_sweep_covers_its_box_and_city_clusters_do_not() -> None:
    sweep = of(grid_sweep(20, 20))
    honest, funnel = honest_day()
    people = of(honest, funnel, start=T0, end=T0 + DAY)
    assert sweep["bbox_coverage"] == 1.0
    assert sweep["cells_per_search"] == 1.0
    assert people["bbox_coverage"] < 0.01
    assert people["cells_per_search"] < sweep["cells_per_search"]


def test_poller_repeats_exact_centres_and_revisits_on_its_period() -> None:
    sites = [(12.9701, 77.5901), (12.9802, 77.6003), (12.9503, 77.5702)]
    poller = [
        Search(T0 + 10 + 60.0 * i + 0.2 * k, lat, lon, 1.0)
        for i in range(300)
        for k, (lat, lon) in enumerate(sites)
    ]
    values = of(poller)
    assert values["exact_repeat_share"] > 0.99
    assert values["revisit_period_share"] > 0.99
    assert values["cells_per_search"] < 0.01
    people = of(at_times(poisson(60.0, 900, seed=4)))
    assert people["revisit_period_share"] < 0.3


def test_busy_cells_and_locations_come_from_the_network() -> None:
    busy = NetworkContext(
        busy_cells=frozenset({cell(12.9701, 77.5901)}), busy_locations=frozenset({"loc1"})
    )
    searches = [Search(T0 + 1, 12.9701, 77.5901, 1.0), Search(T0 + 2, 28.6, 77.2, 1.0)] * 2
    funnel = [
        Funnel(T0 + 3, FunnelKind.SELECT, "cpo.a", "loc1"),
        Funnel(T0 + 4, FunnelKind.SELECT, "cpo.a", "loc2"),
        Funnel(T0 + 5, FunnelKind.SELECT, "cpo.b", "loc2"),
        Funnel(T0 + 6, FunnelKind.SELECT, "cpo.b", "loc2"),
    ]
    values = of(searches, funnel, busy)
    assert values["busy_cell_share"] == 0.5
    assert values["busy_location_select_share"] == 0.25
    assert of(searches, funnel)["busy_cell_share"] == 0.0


# --- rhythm ------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [1.0, 60.0, 600.0])
def test_clockwork_is_regular_and_poisson_is_not(period: float) -> None:
    count = min(300, int(WINDOW / period) - 2)
    clockwork = of(at_times(periodic(period, count, jitter=0.009, seed=1)))
    assert clockwork["arrival_regularity"] > 0.95
    assert clockwork["period_share"] > 0.95
    assert clockwork["log_median_gap"] == pytest.approx(math.log1p(period), rel=0.02)
    for seed in range(3):
        random = of(at_times(poisson(period, count, seed=seed)))
        assert random["arrival_regularity"] < 0.7
        assert random["period_share"] < 0.3


def test_parallel_batches_count_as_one_poll() -> None:
    batches = [t for t in periodic(60.0, 200) for _ in range(4)]
    values = of(at_times(batches))
    assert values["period_share"] == 1.0
    assert values["log_median_gap"] == pytest.approx(math.log1p(60.0))


def test_night_is_midnight_to_six_in_india() -> None:
    def night(*utc_seconds_of_day: float) -> float:
        return of(at_times([T0 + s for s in utc_seconds_of_day]), start=T0, end=T0 + DAY)[
            "night_share"
        ]

    assert night(20 * HOUR) == 1.0  # 01:30 IST
    assert night(18.5 * HOUR) == 1.0  # 00:00 IST
    assert night(18.5 * HOUR - 1) == 0.0  # 23:59:59 IST
    assert night(0.5 * HOUR - 1) == 1.0  # 05:59:59 IST
    assert night(0.5 * HOUR) == 0.0  # 06:00 IST
    assert night(2 * HOUR) == 0.0  # 07:30 IST
    assert night(20 * HOUR, 2 * HOUR, 3 * HOUR, 23 * HOUR) == 0.5


def test_flat_day_has_full_hour_entropy_and_people_do_not() -> None:
    flat = of(at_times(periodic(DAY / 240, 240)), start=T0, end=T0 + DAY)
    # T0 is 05:30 IST, so the IST hour 06:00-07:00 starts half an hour later
    one_hour = of(at_times([T0 + 1800 + 30.0 * i for i in range(100)]), start=T0, end=T0 + DAY)
    honest, funnel = honest_day()
    people = of(honest, funnel, start=T0, end=T0 + DAY)
    assert flat["hour_entropy"] == pytest.approx(1.0)
    assert flat["night_share"] == pytest.approx(0.25)
    assert one_hour["hour_entropy"] == 0.0
    assert people["hour_entropy"] < 0.8
    assert people["night_share"] == 0.0


# --- funnel, fan-out and radius ------------------------------------------------------------


def test_people_book_and_scrapers_do_not() -> None:
    honest, funnel = honest_day()
    people = of(honest, funnel, start=T0, end=T0 + DAY)
    scraper = of(grid_sweep(20, 20), start=T0, end=T0 + DAY)
    for name in ("select_per_search", "init_per_search", "confirm_per_search"):
        assert people[name] > scraper[name] == 0.0, name
    assert 0.1 < people["select_per_search"] < 0.3
    assert people["confirm_per_select"] > 0.1
    assert scraper["confirm_per_select"] == 0.0
    assert people["log_funnel_cpos"] > scraper["log_funnel_cpos"] == 0.0
    assert 0.0 < people["locations_per_select"] < 1.0


def test_funnel_ratios_are_smoothed_and_capped() -> None:
    selects = [Funnel(T0 + i, FunnelKind.SELECT, "cpo.a", "loc1") for i in range(5)]
    confirms = [Funnel(T0 + i, FunnelKind.CONFIRM, "cpo.a", "loc1") for i in range(9)]
    values = of([], selects + confirms)
    check_sane(values)
    assert values["select_per_search"] == 1.0
    assert values["confirm_per_select"] == 1.0
    two = of(at_times([T0 + 1, T0 + 2, T0 + 3]), selects[:1])
    assert two["select_per_search"] == 0.25
    assert two["locations_per_select"] == 1.0


def test_fan_out_counts_distinct_cpos_and_relays() -> None:
    searches = [Search(T0 + i, 12.97, 77.59, 5.0, via=f"bpp.{i % 3}") for i in range(30)]
    funnel = [Funnel(T0 + i, FunnelKind.SELECT, f"cpo.{i % 4}", f"loc{i % 2}") for i in range(8)]
    values = of(searches, funnel)
    assert values["log_search_vias"] == pytest.approx(math.log1p(3))
    assert values["log_funnel_cpos"] == pytest.approx(math.log1p(4))
    assert values["locations_per_select"] == 0.25


def test_fixed_wide_radius_versus_varied_radii() -> None:
    fixed = of(grid_sweep(10, 10))
    varied = of([Search(T0 + i, 12.97, 77.59, r) for i, r in enumerate([2.0, 5.0, 5.0, 10.0])])
    assert fixed["log_mean_radius"] == pytest.approx(math.log1p(25.0))
    assert fixed["radius_cv"] == 0.0
    assert fixed["max_radius_share"] == 1.0
    assert varied["log_mean_radius"] == pytest.approx(math.log1p(5.5))
    assert varied["radius_cv"] > 0.4
    assert varied["max_radius_share"] == 0.25


# --- network context -----------------------------------------------------------------------


def test_busy_cells_count_units_not_searches() -> None:
    a, b, c = (12.9701, 77.5901), (12.9801, 77.5901), (12.9901, 77.5901)
    loud: Unit = ([Search(T0, *a, 1.0)] * 100, [])
    quiet: list[Unit] = [([Search(T0, *b, 1.0), Search(T0, *c, 1.0)], []) for _ in range(3)]
    context = network_context([loud, *quiet], top_cells=2)
    assert context.busy_cells == {cell(*b), cell(*c)}
    assert network_context([loud, *quiet], top_cells=3).busy_cells == {cell(*p) for p in (a, b, c)}


def test_busy_cell_ties_go_to_the_smaller_cell() -> None:
    units: list[Unit] = [
        ([Search(T0, 12.0 + k * 0.01 + 0.005, 77.005, 1.0)], []) for k in (5, 3, 9, 1)
    ]
    context = network_context(units, top_cells=2)
    assert context.busy_cells == {(1201, 7700), (1203, 7700)}
    assert network_context(units[::-1], top_cells=2) == context


def test_busy_locations_count_selects_and_confirms() -> None:
    def step(kind: FunnelKind, location: str) -> Funnel:
        return Funnel(T0, kind, "cpo.a", location)

    funnel = [
        step(FunnelKind.SELECT, "loc-b"),
        step(FunnelKind.CONFIRM, "loc-b"),
        step(FunnelKind.SELECT, "loc-a"),
        step(FunnelKind.CONFIRM, "loc-a"),
        step(FunnelKind.SELECT, "loc-c"),
        step(FunnelKind.INIT, "loc-c"),
        step(FunnelKind.INIT, "loc-c"),
        step(FunnelKind.CANCEL, "loc-c"),
        step(FunnelKind.CANCEL, "loc-c"),
        step(FunnelKind.SELECT, "loc-d"),
    ]
    context = network_context([([], funnel[:3]), ([], funnel[3:])], top_locations=2)
    assert context.busy_locations == {"loc-a", "loc-b"}
    assert context.busy_cells == frozenset()


def test_network_context_uses_its_cell_size() -> None:
    context = network_context([([Search(T0, 12.97, 77.59, 1.0)], [])], cell_deg=0.1)
    assert context.cell_deg == 0.1
    assert context.busy_cells == {cell(12.97, 77.59, 0.1)}
    assert of([Search(T0 + 1, 12.97, 77.59, 1.0)], network=context)["busy_cell_share"] == 1.0


def test_network_context_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        network_context([], top_cells=-1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=0, max_size=12),
        max_size=20,
    ),
    st.integers(1, 8),
)
def test_a_tally_of_units_one_at_a_time_is_the_context_of_them_all(
    units: list[list[tuple[int, int]]], top: int
) -> None:
    """Whenever its counts are merged, the tally finds what a count of distinct units per
    cell finds (ties to the smaller cell)."""

    class Tiny(NetworkTally):
        _COMPACT = 3  # merge every few cells

    windows: list[Unit] = [
        ([Search(T0, 12.0 + r * 0.01 + 0.005, 77.0 + c * 0.01 + 0.005, 1.0) for r, c in cells], [])
        for cells in units
    ]
    tally = Tiny()
    for searches, funnel in windows:
        tally.add(searches, funnel)
    per_cell: dict[tuple[int, int], int] = {}
    for cells in units:
        for r, c in set(cells):
            key = (1200 + r, 7700 + c)
            per_cell[key] = per_cell.get(key, 0) + 1
    expected = {k for k, _ in sorted(per_cell.items(), key=lambda kv: (-kv[1], kv[0]))[:top]}
    assert tally.context(top_cells=top).busy_cells == expected
    assert network_context(windows, top_cells=top).busy_cells == expected


def _drive(txn: str, at: float, n: int, lat: float = 12.9) -> list[Search]:
    """A head unit's ``n`` refreshes on one drive, 5 minutes and about 2 km apart."""
    return [Search(at + i * 300.0, lat + 0.02 * i, 77.5, 5.0, "bg", txn=txn) for i in range(n)]


def _booking(txn: str, at: float, *, cancel: bool = False) -> list[Funnel]:
    kinds = [FunnelKind.SELECT, FunnelKind.INIT, FunnelKind.CONFIRM]
    kinds += [FunnelKind.CANCEL] if cancel else []
    return [Funnel(at + i, kind, "cpo", "L1", txn=txn) for i, kind in enumerate(kinds)]


def test_a_transaction_of_a_few_searches_is_one_trip_and_one_chance_to_book() -> None:
    end = T0 + WINDOW
    searches: list[Search] = []
    funnel: list[Funnel] = []
    for k in range(30):  # 30 drives of 6 refreshes, ended long before the window's end
        searches += _drive(f"t{k}", T0 + k * 400.0, 6)
    for k in range(3):  # three of them book
        funnel += _booking(f"t{k}", T0 + k * 400.0 + 1600.0)
    funnel += _booking("t3", T0 + 3 * 400.0 + 1600.0, cancel=True)  # a booking taken back
    searches += _drive("late", end - 700.0, 2)  # still driving: it may yet book
    f = features(searches, funnel, T0, end, NONE)
    assert f["trip_share"] == 1.0
    assert f["trips"] == 30.0
    assert f["trip_bookings"] == 3.0
    # a drive that books near the window's end has ended, whenever its last search was
    f = features(searches, [*funnel, *_booking("late", end - 60.0)], T0, end, NONE)
    assert (f["trips"], f["trip_bookings"]) == (31.0, 4.0)


def _rows(txn: str, at: float, n: int) -> list[Search]:
    """``n`` searches over a lattice of rows of 6 nodes 1 km apart, row by row, each row the
    other way (a sweep), a minute apart."""
    return [
        Search(
            at + i * 60.0,
            12.9 + 0.009 * (i // 6),
            77.5 + 0.009 * (i % 6 if (i // 6) % 2 == 0 else 5 - i % 6),
            5.0,
            "bg",
            txn=txn,
        )
        for i in range(n)
    ]


def test_long_or_lasting_transactions_and_single_searches_count_one_by_one() -> None:
    end = T0 + WINDOW
    long = _rows("long", T0, 17)  # more searches than a trip holds, and no drive
    lasting = [  # two searches four hours apart
        Search(T0 + 60.0, 12.0, 77.0, 5.0, txn="lasting"),
        Search(T0 + 4 * HOUR, 12.0, 77.1, 5.0, txn="lasting"),
    ]
    single = [Search(T0 + 100.0 + i, 13.0, 77.0 + 0.01 * i, 5.0, txn=f"s{i}") for i in range(5)]
    trip = _drive("trip", T0 + HOUR, 4)
    funnel = [
        *_booking("long", T0 + 600.0),
        *_booking("s0", T0 + 200.0),
        Funnel(T0 + 300.0, FunnelKind.CONFIRM, "cpo", "L2"),  # no transaction id
    ]
    f = features([*long, *lasting, *single, *trip], funnel, T0, end, NONE)
    assert f["trip_share"] == pytest.approx(4 / 28)
    assert f["trips"] == 17 + 2 + 5 + 1
    assert f["trip_bookings"] == 3.0


def test_a_long_drive_is_one_trip_and_its_waits_at_a_stop_poll_nothing() -> None:
    """A long-haul bus's drive (more refreshes than ``TRIP_MAX``), with 30 minutes at a dhaba
    refreshing every 2 minutes, is one trip; when the drive books, those refreshes are no spot
    polled. When no drive books, the wait is the spot searched
    again and again (a head unit parked at a rival's charger). The same searches
    without the transaction id are a spot searched again and again; the same number of
    searches sweeping rows in one transaction is no trip."""
    end = T0 + WINDOW
    out = _drive("bus", T0, 20)  # 20 refreshes over 38 km
    parked = [
        Search(T0 + 6000.0 + i * 120.0, out[-1].lat + 0.02, 77.5, 5.0, "bg", txn="bus")
        for i in range(15)
    ]
    on = [
        Search(T0 + 8000.0 + i * 300.0, out[-1].lat + 0.04 + 0.02 * i, 77.5, 5.0, "bg", txn="bus")
        for i in range(10)
    ]
    drive = [*out, *parked, *on]
    assert is_drive(*_km(drive))
    booked = [*_booking("other", T0 + 60.0), *_booking("bus", T0 + 11_000.0)]
    f = features([*drive, *_drive("other", T0, 3)], booked, T0, end, NONE)
    assert (f["trip_share"], f["trips"], f["trip_bookings"]) == (1.0, 2.0, 2.0)
    assert f["fleet_waits"] == 1.0
    assert f["drive_share"] == 1.0  # the bus's drive and the other trip's
    assert f["spot_searches"] == 0.0
    # the same drive, and only a search that is no drive books: no drive went anywhere
    person = Search(T0 + 30.0, 13.2, 77.9, 5.0, "bg", txn="person")
    other = _booking("person", T0 + 60.0)  # the unit's ids still tie its selects to searches
    alone = features([*drive, person], other, T0, end, NONE)
    assert (alone["trips"], alone["trip_bookings"], alone["fleet_waits"]) == (2.0, 1.0, 0.0)
    assert alone["spot_searches"] >= 15
    # one user of a BAP whose waits are a fleet's is judged by the BAP's (``fleet_waits``)
    told = features([*drive, person], other, T0, end, NONE, fleet_waits=True)
    assert told["spot_searches"] == 0.0
    # and so are the waits of a fleet's drives, booked or not (FLEET_DRIVES)
    roads = [_drive(f"o{k}", T0 + 60.0 * k, 3, lat=13.5 + 0.1 * k) for k in range(FLEET_DRIVES - 1)]
    assert all(is_drive(*_km(road)) for road in roads)
    others = [s for road in roads for s in road]
    fleet = features([*drive, *others, person], other, T0, end, NONE)
    assert (fleet["fleet_waits"], fleet["spot_searches"]) == (1.0, 0.0)
    anonymous = [msgspec.structs.replace(s, txn="") for s in drive]
    g = features(anonymous, [], T0, end, NONE)
    assert g["trips"] == 0.0
    assert g["spot_searches"] >= 15
    sweep = _rows("sweep", T0, len(drive))
    assert not is_drive(*_km(sweep))
    h = features([*sweep, *_drive("other", T0, 3)], booked, T0, end, NONE)
    assert h["trip_share"] == pytest.approx(3 / (len(drive) + 3))
    assert h["drive_share"] == h["trip_share"]  # the other trip is a drive, the rows none


def _km(searches: list[Search]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array([s.lon * 108.5 for s in searches]),
        np.array([s.lat * 110.574 for s in searches]),
        np.array([s.at for s in searches]),
    )


def test_no_trips_where_transaction_ids_tie_nothing() -> None:
    # every select starts a transaction of its own (a console booking walk-ins): the ids say
    # nothing about the searches
    searches = [s for k in range(10) for s in _drive(f"t{k}", T0 + k * 1800.0, 3)]
    funnel = [f for k in range(3) for f in _booking(f"walk-in-{k}", T0 + k * 60.0)]
    f = features(searches, funnel, T0, T0 + WINDOW, NONE)
    assert (f["trip_share"], f["trips"], f["trip_bookings"]) == (0.0, 0.0, 0.0)


def test_a_poll_whose_rounds_are_drives_still_comes_back_to_the_same_places() -> None:
    """A rival polls 6 sites along a road every 10 minutes, each round one transaction at road
    speed (a drive), each query 20-60 m off the site so no centre repeats exactly. Trips on
    one road come by the same cells; this comes back to the same spots on a period, and the
    revisits say so (the clockwork rule reads them)."""
    rng = random.Random(5)
    sites = [(12.905 + 0.01 * k, 77.505 + 0.003 * k) for k in (0, 1, 3, 4, 6, 8)]
    searches = []
    for r in range(int(WINDOW // 600)):
        t = T0 + r * 600.0
        for k, (lat, lon) in enumerate(sites):
            off = rng.uniform(0.0002, 0.0005)
            searches.append(Search(t + 90.0 * k, lat + off, lon - off, 3.0, "bg", txn=f"r{r}"))
    f = features(searches, [], T0, T0 + WINDOW, NONE)
    assert f["drive_share"] == 1.0  # each round is a drive
    assert f["fleet_waits"] == 1.0  # and there are many of them
    assert f["revisit_period_share"] > 0.7
    (scored,) = score_windows([[f[name] for name in FEATURES]], [], window_hours=6.0)
    assert scored.signals["clockwork polling"] >= 0.5
