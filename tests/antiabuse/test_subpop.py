"""Scraping sub-populations found from the queries alone (no user references): a lattice
inside an app's traffic, spots searched again and again, and how each converts; the
transaction id's digest; and actions proportionate to that evidence."""

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
from uei.antiabuse.scraping.events import (
    Funnel,
    FunnelKind,
    Search,
    decode_event,
    encode_event,
    txn_digest,
)
from uei.antiabuse.scraping.features import FEATURES, features, network_context, track_share
from uei.antiabuse.scraping.policy import ScrapingAction, ScrapingPolicy
from uei.antiabuse.scraping.reasons import EVIDENCE, credibly_below, describe
from uei.antiabuse.scraping.scorer import units_of, verdict_for
from uei.antiabuse.scraping.subpop import (
    ROUND_FEATURES,
    Conversion,
    evenly_stepped,
    polled_spots,
    rounds,
    spot_rhythm,
)
from uei.antiabuse.scraping.wire import WireEvent

T0 = 1_790_000_000.0
WINDOW = 6 * 3600.0
KM_LAT = 110.574


def crowd(n: int, seed: int = 1, *, txn: bool = False, book: float = 0.0) -> list[Search | Funnel]:
    """People around three hubs of a city, at random times; with ``book``, that share of
    them select (tied by transaction id when ``txn``)."""
    rng = np.random.default_rng(seed)
    hubs = np.array([[12.97, 77.59], [12.93, 77.62], [13.03, 77.60]])
    pick = hubs[rng.integers(0, 3, n)]
    lat = pick[:, 0] + rng.normal(0, 0.02, n)
    lon = pick[:, 1] + rng.normal(0, 0.02, n)
    at = rng.uniform(T0, T0 + WINDOW, n)
    out: list[Search | Funnel] = []
    for i in range(n):
        t = f"c{seed}-{i}" if txn else ""
        out.append(Search(float(at[i]), float(lat[i]), float(lon[i]), 5.0, "bg", "", t))
        if rng.random() < book:
            out.append(Funnel(float(at[i]) + 60, FunnelKind.SELECT, "cpo", f"L{i % 40}", "", t))
    return out


def sweep(
    n: int,
    step_km: float,
    jitter_m: float,
    seed: int = 2,
    *,
    txn: bool = False,
    angle_deg: float = 0.0,
    hexagonal: bool = False,
) -> list[Search]:
    """``n`` searches over a 12x12 lattice in raster order, around the clock; the lattice
    turned by ``angle_deg``, or hexagonal (every other row shifted by half a step, rows
    step * sqrt(3) / 2 apart)."""
    rng = np.random.default_rng(seed)
    km_lon = 111.32 * math.cos(math.radians(12.97))
    turn = math.radians(angle_deg)
    out = []
    for i in range(n):
        r, c = divmod(i % 144, 12)
        if hexagonal:
            east, north = (c + (r % 2) / 2) * step_km, r * step_km * math.sqrt(3) / 2
        else:
            east, north = c * step_km, r * step_km
        east, north = (
            east * math.cos(turn) - north * math.sin(turn),
            east * math.sin(turn) + north * math.cos(turn),
        )
        lat = 12.90 + north / KM_LAT + rng.normal(0, jitter_m / 1000 / KM_LAT)
        lon = 77.50 + east / km_lon + rng.normal(0, jitter_m / 1000 / 108)
        t = f"s{i}" if txn else ""
        out.append(Search(T0 + i * WINDOW / n, float(lat), float(lon), 3.0, "bg", "", t))
    return out


def of(events: Sequence[Search | Funnel]) -> dict[str, float]:
    searches = [e for e in events if isinstance(e, Search)]
    funnel = [e for e in events if isinstance(e, Funnel)]
    return features(searches, funnel, T0, T0 + WINDOW, network_context([]))


def signals(values: dict[str, float]) -> dict[str, float]:
    row = [values[name] for name in FEATURES]
    (scored,) = score_windows([row], [row] * 10, window_hours=6.0)
    return scored.signals


@pytest.mark.parametrize("jitter_m", [0.0, 40.0])
@pytest.mark.parametrize("share", [0.08, 0.2])
def test_a_lattice_inside_an_app_is_found_without_user_references(
    jitter_m: float, share: float
) -> None:
    honest = crowd(1500, book=0.15)
    n = round(1500 * share / (1 - share))
    found = of([*honest, *sweep(n, 1.5, jitter_m)])
    assert found["grid_z"] > 12
    assert found["grid_searches"] >= 0.8 * n
    assert found["grid_nodes"] >= 20
    assert found["grid_step_km"] == pytest.approx(1.5, rel=0.05) or found["grid_step_km"] < 1.5
    # without transaction ids nobody can say whether the lattice's searches convert
    assert found["grid_known"] == 0.0
    strength = signals(found)["lattice inside the traffic"]
    # (above a flag's 0.65 only as far as its radius is its own: see the radius test below)
    assert 0.5 <= strength <= 0.75
    # the crowd alone holds no lattice
    alone = of(honest)
    assert signals(alone)["lattice inside the traffic"] < 0.05


@pytest.mark.parametrize("jitter_m", [0.0, 40.0])
@pytest.mark.parametrize(
    ("angle_deg", "hexagonal"), [(17.0, False), (38.0, False), (0.0, True), (23.0, True)]
)
def test_a_lattice_off_the_axes_is_found_as_well_as_one_on_them(
    jitter_m: float, angle_deg: float, hexagonal: bool
) -> None:
    """A sweep need not run north-south: a square lattice turned by any angle, or a
    hexagonal one, hidden at a fifth of an app's traffic, is found as one on the axes is."""
    honest = crowd(1500, book=0.15)
    n = 375
    found = of([*honest, *sweep(n, 1.5, jitter_m, angle_deg=angle_deg, hexagonal=hexagonal)])
    assert found["grid_z"] > 12
    assert found["grid_searches"] >= 0.8 * n
    assert found["grid_nodes"] >= 20
    assert found["grid_known"] == 0.0
    assert 0.5 <= signals(found)["lattice inside the traffic"] <= 0.75


@pytest.mark.parametrize(
    ("n", "jitter_m", "hexagonal"), [(90, 30.0, False), (150, 30.0, False), (150, 0.0, True)]
)
def test_a_small_lattice_among_many_towns_is_found(
    n: int, jitter_m: float, hexagonal: bool
) -> None:
    """A sweep turned off the axes over a few kilometres of one town, a twentieth of the
    searches of an app whose people spread over towns a hundred kilometres apart (and come
    back to the same spots): the lattice is found in the box its nodes' steps make, then
    counted over every search."""
    people: list[Search | Funnel] = []
    for k, (dlat, dlon) in enumerate([(0.0, 0.0), (0.9, 0.4), (-0.6, 1.1), (1.2, -0.8)]):
        for e in crowd(400, seed=10 + k):
            if isinstance(e, Search):
                people.append(
                    Search(e.at, round(e.lat + dlat, 3), round(e.lon + dlon, 3), 5.0, "bg")
                )
    found = of([*people, *sweep(n, 1.3, jitter_m, hexagonal=hexagonal, angle_deg=29.0)])
    assert found["grid_z"] > 12
    assert found["grid_searches"] >= 0.8 * n
    assert found["grid_nodes"] >= 0.8 * min(n, 144)
    assert 0.5 <= signals(found)["lattice inside the traffic"] <= 0.75
    assert signals(of(people))["lattice inside the traffic"] < 0.05


def varied(events: list[Search | Funnel], seed: int = 4) -> list[Search | Funnel]:
    """The same searches, each at a radius people pick (2, 5, 10 or 20 km)."""
    rng = random.Random(seed)
    return [
        Search(e.at, e.lat, e.lon, rng.choice((2.0, 5.0, 10.0, 20.0)), e.via, e.user, e.txn)
        if isinstance(e, Search)
        else e
        for e in events
    ]


def test_a_lattice_at_its_own_radius_ranks_with_the_scrapers() -> None:
    """Bookings unknown either way: a sweep asking every node at one radius among people who
    vary theirs ranks with the scrapers (0.9, still a flag in the verdict); the same lattice
    at the radii the app's people use stays at a flag's level (0.65), as people on a grid
    snapped for privacy do."""
    people = varied(crowd(1500, book=0.15))
    own = of([*people, *sweep(375, 1.5, 0.0, angle_deg=23.0)])
    mixed = of([*people, *varied(list(sweep(375, 1.5, 0.0, angle_deg=23.0)), seed=5)])
    assert own["grid_radius_share"] == 1.0
    assert own["max_radius_share"] < 0.4
    assert signals(own)["lattice inside the traffic"] >= 0.85
    assert 0.5 <= signals(mixed)["lattice inside the traffic"] <= 0.65


def test_transaction_ids_say_the_lattice_never_converts_while_the_app_does() -> None:
    found = of([*crowd(1500, txn=True, book=0.2), *sweep(300, 2.0, 40.0, txn=True)])
    assert found["select_per_search"] > 0.1
    assert found["grid_known"] == 1.0
    assert found["grid_select_share"] < 0.01
    assert signals(found)["lattice inside the traffic"] == 1.0


def test_a_fleet_checking_its_depots_on_the_clock_and_booking_is_not_a_poller() -> None:
    depots = [(12.9 + 0.013 * i, 77.55 + 0.021 * (i % 3)) for i in range(10)]
    events: list[Search | Funnel] = []
    for k in range(24):  # every 15 minutes for six hours
        for d, (lat, lon) in enumerate(depots):
            t = T0 + k * 900 + d
            events.append(Search(t, lat, lon, 1.0, "bg"))
            if (k + d) % 3 == 0:
                events.append(Funnel(t + 60, FunnelKind.SELECT, "cpo", f"D{d}"))
    found = of(events)
    assert found["spot_share"] == 1.0
    assert found["spot_known"] == 1.0  # the depots are the whole unit: its own rate
    assert found["spot_select_share"] > 0.3
    assert max(signals(found).values()) == 0.0


def test_polled_spots_without_bookings_are_repeats_that_never_convert() -> None:
    sites = [(12.95 + 0.01 * i, 77.6) for i in range(6)]
    polls = [Search(T0 + k * 120, *sites[k % 6], 2.0, "bg") for k in range(180)]
    found = of(polls)
    assert found["spot_sites"] == 6
    assert found["spot_period_s"] == pytest.approx(720)
    assert signals(found)["repeated spots, no bookings"] == 1.0


POLICY = ScrapingPolicy()


def verdict_of(
    events: list[Search | Funnel], policy: ScrapingPolicy = POLICY
) -> tuple[list[ScrapingAction], list[str]]:
    units = units_of("app.example", events, 10)
    values = {u.key: of([*u.searches, *u.funnel]) for u in units}
    rows = [[values[u.key][n] for n in FEATURES] for u in units]
    scored = score_windows(rows, rows * 5, window_hours=6.0)
    v = verdict_for(
        "app.example",
        list(zip(units, scored, strict=True)),
        values,
        policy,
        start=T0,
        end=T0 + WINDOW,
        scored_at=T0 + WINDOW,
    )
    return [*v.actions, *v.shadow_actions], v.reasons


def test_a_bap_that_converts_is_at_most_flagged_however_regular() -> None:
    # clockwork that books: 10 points every 15 minutes, a third of them selected
    events: list[Search | Funnel] = []
    for k in range(24):
        for d in range(10):
            t = T0 + k * 900 + d
            events.append(Search(t, 12.9 + 0.013 * d, 77.55, 1.0, "bg"))
            if (k + d) % 3 == 0:
                events.append(Funnel(t + 60, FunnelKind.SELECT, "cpo", f"D{d}"))
    due, _ = verdict_of(events)
    assert not set(due) & {ScrapingAction.COARSEN, ScrapingAction.THROTTLE, ScrapingAction.BLOCK}


def depot(rounds: int, booked: set[int]) -> list[Search | Funnel]:
    """A console checking its 5 chargers every 10 minutes, booking in the rounds ``booked``."""
    events: list[Search | Funnel] = []
    for k in range(rounds):
        for d in range(5):
            t = T0 + k * 600 + d
            events.append(Search(t, 12.9 + 0.004 * d, 77.55, 1.0, "bg"))
        if k in booked:
            events.append(Funnel(T0 + k * 600 + 90, FunnelKind.SELECT, "cpo", f"D{k % 5}"))
    return events


def test_a_depot_booking_a_few_rounds_is_not_shown_to_convert_below_the_honest_rate() -> None:
    # 180 searches, 4 selects: 2.2%, below 3%, yet 4 or fewer would happen one time in three
    # at 3% (delta seed 1's depot02 in its evening window). Never booking, the same clockwork
    # is coarsened: the proportionality is what withholds the action.
    never, _ = verdict_of(depot(36, set()))
    assert ScrapingAction.COARSEN in never
    due, reasons = verdict_of(depot(36, {3, 12, 21, 30}))
    assert not set(due) & {ScrapingAction.COARSEN, ScrapingAction.THROTTLE, ScrapingAction.BLOCK}
    assert any("4 of 180 led to a select" in r and "withheld" in r for r in reasons)


def test_a_lattice_booking_one_percent_at_volume_is_shown_to_convert_below() -> None:
    swept = sweep(500, 2.0, 0.0, txn=True)
    booked = [
        Funnel(s.at + 60, FunnelKind.SELECT, "cpo", f"L{i}", "", s.txn)
        for i, s in enumerate(swept)
        if i % 100 == 7
    ]
    due, _ = verdict_of([*crowd(1500, txn=True, book=0.2), *swept, *booked])
    assert ScrapingAction.COARSEN in due


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=3000),
    st.integers(min_value=0, max_value=300),
    st.floats(min_value=0.001, max_value=0.5),
)
def test_credibly_below_is_a_one_sided_binomial_test(n: int, k: int, rate: float) -> None:
    from scipy.stats import binom  # type: ignore[import-untyped]

    k = min(k, n)
    p = float(binom.cdf(k, n, rate))
    if abs(p - EVIDENCE) > 1e-9:
        assert credibly_below(k, n, rate) == (k < rate * n and p <= EVIDENCE)
    # one more select is never more evidence of converting below the rate
    if credibly_below(k + 1, n, rate):
        assert credibly_below(k, n, rate)


def test_a_lattice_known_not_to_convert_can_be_coarsened_and_says_why() -> None:
    events = [*crowd(1500, txn=True, book=0.2), *sweep(300, 2.0, 0.0, txn=True)]
    due, reasons = verdict_of(events)
    assert ScrapingAction.COARSEN in due
    (lattice,) = [r for r in reasons if "lattice" in r]
    # the sweep's 300, and the few of the crowd's that fall within the tolerance by chance
    assert 300 <= int(lattice.split()[0]) <= 330
    assert "12x12 lattice of 2.0 km" in lattice
    assert "0 of them led to a select" in lattice


def test_without_transaction_ids_a_hidden_lattice_is_flagged_and_no_more() -> None:
    events = [*crowd(1500, book=0.2), *sweep(300, 2.0, 0.0)]
    due, reasons = verdict_of(events)
    assert due == [ScrapingAction.FLAG]
    assert any("bookings unknown" in r for r in reasons)


# -- the transaction id: parsed, digested, stored ---------------------------------------------

ids = st.text(min_size=1, max_size=128)


@given(ids, ids, st.text(min_size=1, max_size=40))
def test_a_transaction_digest_ties_one_transaction_and_hides_the_id(
    a: str, b: str, bap: str
) -> None:
    d = txn_digest(bap, a)
    assert d == txn_digest(bap, a)
    assert len(d) == 12
    assert all(c in "0123456789abcdef" for c in d)
    if a != b:
        assert d != txn_digest(bap, b) or len({a, b}) == 1
    assert txn_digest(bap, None) == txn_digest(bap, "") == ""


@settings(max_examples=60)
@given(st.one_of(st.none(), st.text(max_size=140)))
def test_the_wire_event_takes_an_optional_transaction_id(value: str | None) -> None:
    body = {"type": "search", "bap_id": "app.example", "message_id": "m1"}
    raw = msgspec.json.encode(body if value is None else body | {"transaction_id": value})
    if value is None or 1 <= len(value) <= 128:
        assert msgspec.json.decode(raw, type=WireEvent).transaction_id == value
    else:
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(raw, type=WireEvent)


@given(st.text(max_size=20), st.floats(allow_nan=False, allow_infinity=False))
def test_events_stored_before_the_transaction_id_decode_unchanged(txn: str, at: float) -> None:
    new = Search(at, 12.9, 77.6, 5.0, "bg", "u", txn)
    assert decode_event(encode_event(new)) == new
    # an event stored by the previous release: the same array without its last field
    old = msgspec.msgpack.encode(["s", at, 12.9, 77.6, 5.0, "bg", "u"])
    assert decode_event(old) == Search(at, 12.9, 77.6, 5.0, "bg", "u", "")
    old_funnel = msgspec.msgpack.encode(["f", at, "select", "cpo", "L1", ""])
    assert decode_event(old_funnel) == Funnel(at, FunnelKind.SELECT, "cpo", "L1", "", "")


# -- polls hidden in an app, and fleets on the move -------------------------------------------


def hidden_poll(
    rounds: int, sites: int, low_s: float, high_s: float, seed: int = 3
) -> list[Search]:
    """A poll of ``sites`` exact points, all in one round, each round after a gap drawn
    between ``low_s`` and ``high_s``; no user reference, no transaction id."""
    rng = np.random.default_rng(seed)
    points = [(12.95 + 0.011 * i, 77.58 + 0.007 * i) for i in range(sites)]
    out, t = [], T0 + float(rng.uniform(0, low_s))
    for _ in range(rounds):
        for k, (lat, lon) in enumerate(points):
            out.append(Search(t + k * 0.5, lat, lon, 2.0, "bg"))
        t += float(rng.uniform(low_s, high_s))
    return [s for s in out if s.at < T0 + WINDOW]


def test_a_poll_on_a_jittered_period_hidden_in_an_app_ranks_with_scrapers() -> None:
    app = crowd(2000, book=0.15)
    polls = hidden_poll(30, 5, 7 * 60, 20 * 60)  # about 7% of the BAP's searches
    found = of([*app, *polls])
    assert found["spot_sites"] == 5
    assert found["spot_known"] == 0.0
    assert found["spot_regularity"] > 0.7
    assert found["spot_rounds"] == 1.0
    assert signals(found)["spots polled on a period"] >= 0.85
    # the app alone has no such spots
    assert signals(of(app))["spots polled on a period"] == 0.0


def test_a_hidden_poll_of_unknown_conversion_is_only_flagged_and_says_why() -> None:
    due, reasons = verdict_of([*crowd(2000, book=0.01), *hidden_poll(30, 5, 7 * 60, 20 * 60)])
    assert due == [ScrapingAction.FLAG]
    (poll,) = [r for r in reasons if "polling" in r]
    assert "5 exact points" in poll
    assert "bookings unknown" in poll
    assert any("coarsen, throttle and block withheld" in r for r in reasons)


def test_a_poll_converts_as_its_polled_spots_do_not_as_the_favourite_points_beside_it() -> None:
    # delta's regional aggregator in the afternoon: a poll of 5 chargers among people who
    # search at 3 chargers' exact points at random times and book a third of the time; every
    # search with a transaction id. The poll's spots are visited on a period, the favourite
    # points not: the spots' conversion is the poll's own.
    rng = np.random.default_rng(9)
    polls = [
        Search(s.at, s.lat, s.lon, s.radius_km, s.via, "", f"p{i}")
        for i, s in enumerate(hidden_poll(30, 5, 7 * 60, 20 * 60))
    ]
    favourites: list[Search | Funnel] = []
    for i, t in enumerate(np.sort(rng.uniform(T0, T0 + WINDOW, 45))):
        lat, lon = [(12.90, 77.50), (12.91, 77.52), (12.93, 77.51)][int(rng.integers(0, 3))]
        favourites.append(Search(float(t), lat, lon, 5.0, "bg", "", f"f{i}"))
        if i % 3 == 0:
            favourites.append(Funnel(float(t) + 60, FunnelKind.SELECT, "cpo", "L", "", f"f{i}"))
    found = of([*crowd(2000, txn=True, book=0.15), *polls, *favourites])
    assert found["spot_sites"] == 8
    assert found["spot_known"] == 1.0
    assert found["spot_select_share"] == 0.0
    assert signals(found)["spots polled on a period"] >= 0.5


def test_favourite_places_revisited_at_random_are_not_a_poll() -> None:
    rng = np.random.default_rng(5)
    homes = [(12.9 + 0.01 * i, 77.6) for i in range(6)]
    events = [
        Search(float(t), *homes[int(rng.integers(0, 6))], 5.0, "bg")
        for t in np.sort(rng.uniform(T0, T0 + WINDOW, 150))
    ]
    found = of([*crowd(1500, book=0.15), *events])
    assert found["spot_sites"] == 6
    # visits under ten minutes apart merge, which evens the gaps a little: still below 0.66
    assert found["spot_regularity"] < 0.66
    assert signals(found)["spots polled on a period"] == 0.0


@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.floats(0, 86_400, allow_nan=False)),
        min_size=0,
        max_size=60,
    ),
    st.randoms(use_true_random=False),
)
@settings(max_examples=150, deadline=None)
def test_spot_rhythm_and_polled_spots_are_bounded_and_order_independent(
    visits: list[tuple[int, float]], shuffle: random.Random
) -> None:
    spot = np.array([v[0] for v in visits], dtype=np.int64)
    start = np.array([v[1] for v in visits], dtype=np.float64)
    got = spot_rhythm(spot, start)
    assert all(0.0 <= v <= 1.0 and math.isfinite(v) for v in got)
    order = list(range(len(visits)))
    shuffle.shuffle(order)
    assert spot_rhythm(spot[order], start[order]) == pytest.approx(got)
    polled = polled_spots(spot, start)
    assert set(polled.tolist()) <= set(spot.tolist())
    assert np.array_equal(polled_spots(spot[order], start[order]), polled)


def cars(n_cars: int, period_s: float, seed: int = 4) -> list[Search]:
    """Head units: each car drives a straight road at 40-70 km/h for the window, refreshing
    every ``period_s`` (a few seconds of jitter, ~50 m of GPS noise)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_cars):
        lat, lon = 12.5 + rng.uniform(0, 1), 77.0 + rng.uniform(0, 1)
        heading = rng.uniform(0, 2 * math.pi)
        speed = rng.uniform(40, 70) / 3600  # km/s
        t0 = T0 + rng.uniform(0, 600)
        for k in range(int((WINDOW - 600) / period_s)):
            km = speed * k * period_s
            out.append(
                Search(
                    t0 + k * period_s + float(rng.uniform(-3, 3)),
                    lat + km * math.sin(heading) / KM_LAT + rng.normal(0, 0.0004),
                    lon + km * math.cos(heading) / 108 + rng.normal(0, 0.0004),
                    25.0,
                    "bg",
                )
            )
    return out


def test_head_units_on_the_move_are_tracks_and_booking_one_percent_is_not_never() -> None:
    refreshes = cars(20, 180)
    bookings = [
        Funnel(s.at + 60, FunnelKind.SELECT, "cpo", f"L{i}")
        for i, s in enumerate(refreshes)
        if i % 100 == 0
    ]
    found = of([*refreshes, *bookings])
    assert found["track_share"] > 0.7
    assert 0.005 < found["select_per_search"] < 0.02
    assert signals(found)["searches at volume, never books"] == 0.0
    # the same refreshes without a single booking: never books
    assert signals(of(refreshes))["searches at volume, never books"] > 0.9
    # people and pollers stay put: no tracks
    assert of(crowd(1500))["track_share"] < 0.05
    assert of(hidden_poll(30, 5, 420, 1200))["track_share"] < 0.05


coordinates = st.floats(-1.0, 1.0, allow_nan=False)


@given(
    st.lists(st.tuples(coordinates, coordinates, st.floats(0, 21_600)), max_size=80),
    st.randoms(use_true_random=False),
)
@settings(max_examples=100, deadline=None)
def test_track_share_is_a_share_and_order_independent(
    points: list[tuple[float, float, float]], shuffle: random.Random
) -> None:
    x = np.array([p[0] * 50 for p in points], dtype=np.float64)
    y = np.array([p[1] * 50 for p in points], dtype=np.float64)
    t = np.array([p[2] for p in points], dtype=np.float64)
    got = track_share(x, y, t)
    assert 0.0 <= got <= 1.0
    order = list(range(len(points)))
    shuffle.shuffle(order)
    assert track_share(x[order], y[order], t[order]) == pytest.approx(got)


def test_refreshes_along_roads_are_not_a_lattice_once_the_frame_is_turned_onto_them() -> None:
    """A car on each of three parallel roads 1.5 km apart, at one speed, refreshing every two
    minutes: their centres are evenly spaced along lines at 26 degrees. Turned onto the roads
    they fill three rows of a lattice, but each sits in a column of its own: not a two-way
    lattice."""
    rng = np.random.default_rng(8)
    heading = math.radians(26.0)
    km_lon = 111.32 * math.cos(math.radians(12.97))
    out: list[Search | Funnel] = []
    for car in range(3):
        across, start_km = 1.5 * (car % 3), float(rng.uniform(0, 2.0))
        for k in range(150):
            along = start_km + 2.0 * k  # 60 km/h, a refresh every 120 s
            north = along * math.sin(heading) + across * math.cos(heading)
            east = along * math.cos(heading) - across * math.sin(heading)
            out.append(
                Search(T0 + car * 40 + k * 120.0, 12.5 + north / KM_LAT, 77.0 + east / km_lon, 25.0)
            )
    found = of(out)
    assert found["grid_aligned"] < 0.3
    assert signals(found)["lattice inside the traffic"] < 0.05


# -- sweeps that are no lattice: points a step apart, one after another ------------------------


def road_sweep(
    n: int, step_km: float, *, gap_s: tuple[float, float] = (180, 540), seed: int = 6
) -> list[Search]:
    """``n`` searches at points every ``step_km`` down three roads out of a city centre (each
    road turned its own way, with a bend), in road order, one radius, a gap drawn from
    ``gap_s`` (3-9 minutes) between them; each with a transaction id."""
    rng = np.random.default_rng(seed)
    out: list[Search] = []
    t, i = T0, 0
    for heading in (0.3, 2.2, 4.1):
        for k in range(1, 40):
            if i >= n:
                return out
            bend = heading + (0.2 if k > 20 else 0.0)
            north = sum(step_km * math.sin(heading if m <= 20 else bend) for m in range(1, k + 1))
            east = sum(step_km * math.cos(heading if m <= 20 else bend) for m in range(1, k + 1))
            out.append(
                Search(t, 12.97 + north / KM_LAT, 77.59 + east / 108.4, 1.0, "bg", "", f"r{i}")
            )
            t += float(rng.uniform(*gap_s))
            i += 1
    return out


def polar_sweep(rings: int, step_deg: float, ring_km: float) -> list[Search]:
    """Rings every ``ring_km`` around a centre, a point every ``step_deg``, ring by ring, one
    radius, every 40 s."""
    out: list[Search] = []
    for r in range(1, rings + 1):
        for a in np.arange(0.0, 360.0, step_deg):
            km, turn = r * ring_km, math.radians(float(a))
            lat = 12.97 + km * math.sin(turn) / KM_LAT
            lon = 77.59 + km * math.cos(turn) / 108.4
            out.append(Search(T0 + 40.0 * len(out), lat, lon, 2.0, "bg", "", f"p{len(out)}"))
    return [s for s in out if s.at < T0 + WINDOW]


def test_a_road_following_sweep_hidden_in_an_app_is_an_evenly_stepped_sweep() -> None:
    app = crowd(2000, txn=True, book=0.15)
    found = of([*app, *road_sweep(60, 1.8)])
    assert found["chain_step_km"] == pytest.approx(1.8, abs=0.02)
    assert found["chain_pairs"] >= 40
    assert found["chain_select_share"] == 0.0
    assert found["chain_known"] == 1.0
    assert found["chain_radius_share"] == 1.0
    assert signals(found)["evenly stepped sweep inside the traffic"] >= 0.9
    # no lattice to find: the roads are turned their own ways
    assert signals(found)["lattice inside the traffic"] < 0.5
    # 100 steps and no select is shown to convert below the honest rate (60 would not be)
    due, reasons = verdict_of([*app, *road_sweep(100, 1.8, gap_s=(60, 240))])
    assert ScrapingAction.COARSEN in due
    assert any("stepping 1.79 km" in r and "0 of them led to a select" in r for r in reasons)


def test_a_polar_sweep_is_an_evenly_stepped_sweep() -> None:
    found = of([*crowd(2000, txn=True, book=0.15), *polar_sweep(7, 15.0, 1.9)])
    assert found["chain_pairs"] >= 40
    assert signals(found)["evenly stepped sweep inside the traffic"] >= 0.9


def tight_crowd(n: int, seed: int = 3) -> list[Search]:
    """People searching close around two hubs (about 450 m either way): their steps pile up
    in a smooth hump under a kilometre, which many pairs make 'significant' by a few per
    cent."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        lat, lon = [(12.97, 77.59), (12.93, 77.62)][i % 2]
        at = float(T0 + rng.uniform(0, WINDOW))
        out.append(Search(at, lat + rng.normal(0, 0.004), lon + rng.normal(0, 0.004), 5.0, "bg"))
    return out


def test_people_and_moving_cars_take_no_one_step_again_and_again() -> None:
    # a hump of 8,000 people's steps is 'significant' by a few per cent: no step of a sweep
    assert of(list(tight_crowd(8000)))["chain_pairs"] == 0.0
    for events in (crowd(3000, book=0.1), [*crowd(1000), *cars(12, 120.0)]):
        found = of(list(events))
        assert signals(found)["evenly stepped sweep inside the traffic"] == 0.0


def test_a_sweep_whose_steps_book_is_not_a_sweep_that_never_does() -> None:
    swept = road_sweep(60, 1.8)
    booked = [Funnel(s.at + 60, FunnelKind.SELECT, "cpo", "L", "", s.txn) for s in swept[::4]]
    found = of([*crowd(2000, txn=True, book=0.15), *swept, *booked])
    assert found["chain_select_share"] >= 0.2
    assert signals(found)["evenly stepped sweep inside the traffic"] == 0.0


@given(
    st.lists(st.tuples(coordinates, coordinates), min_size=0, max_size=60),
    st.randoms(use_true_random=False),
)
@settings(max_examples=100, deadline=None)
def test_evenly_stepped_is_order_independent(
    points: list[tuple[float, float]], shuffle: random.Random
) -> None:
    n = len(points)
    y = np.array([p[0] * 20 for p in points], dtype=np.float64)
    x = np.array([p[1] * 20 for p in points], dtype=np.float64)
    at = np.arange(n, dtype=np.float64) * 30.0  # distinct times: the order in time is one
    radius = np.full(n, 2.0)
    fresh = np.ones(n, dtype=bool)
    got = evenly_stepped(y, x, at, radius, fresh)
    order = list(range(n))
    shuffle.shuffle(order)
    again = evenly_stepped(y[order], x[order], at[order], radius[order], fresh[order])
    if got is None:
        assert again is None
        return
    assert again is not None
    assert (again.z, again.pairs, again.step_km) == pytest.approx((got.z, got.pairs, got.step_km))
    assert np.array_equal(again.on, got.on[order])
    assert got.pairs >= 12


# -- transaction ids that tie nothing ----------------------------------------------------------


def ops_console(rounds: int, book_every: int) -> list[Search | Funnel]:
    """A CPO's console refreshing its 25 chargers every 5 minutes, each round a transaction of
    its own; a walk-in booked through it every ``book_every`` rounds, in a new transaction."""
    events: list[Search | Funnel] = []
    for k in range(rounds):
        t = T0 + 300.0 * k
        for j in range(25):
            events.append(Search(t + j, 12.9 + 0.003 * j, 77.55, 0.5, "bg", "", f"o{k}"))
        if k % book_every == 0:
            events.append(Funnel(t + 60, FunnelKind.SELECT, "own", f"L{k % 25}", "", f"w{k}"))
    return events


def test_a_console_whose_bookings_start_their_own_transactions_converts_as_the_unit() -> None:
    # 72 rounds, 1800 searches, a walk-in every second round: 36 selects (2%), none of them a
    # search's transaction. Those ids tie nothing, so the spots convert as the unit does.
    found = of(ops_console(72, 2))
    assert found["spot_known"] == 1.0
    assert found["spot_select_share"] == pytest.approx(36 / 1800, rel=0.05)
    # and a console whose rounds' own transactions never led anywhere, nor anything else
    never = of([e for e in ops_console(72, 2) if isinstance(e, Search)])
    assert never["spot_select_share"] == 0.0
    assert never["spot_known"] == 1.0


def test_selects_tied_to_searches_are_read_by_transaction() -> None:
    # the same console with a few of its rounds' own transactions booked: those tie
    events: list[Search | Funnel] = [e for e in ops_console(72, 2) if isinstance(e, Search)]
    events += [
        Funnel(T0 + 300.0 * k + 60, FunnelKind.SELECT, "own", "L", "", f"o{k}") for k in (3, 9)
    ]
    found = of(events)
    assert found["spot_select_share"] == pytest.approx(50 / 1800, rel=0.05)


def test_one_users_pattern_in_an_app_that_converts_is_flagged_not_acted_on() -> None:
    # a CPO's console run by three staff in turn, each round a transaction of its own; walk-ins
    # booked (in transactions of their own) on the rounds of two of them, 4% of the searches.
    # The third's 600 searches never led to a select: coarsen, throttle or block would fall on
    # every user of the app, so only the flag stands
    events: list[Search | Funnel] = []
    for k in range(72):
        t, user = T0 + 300.0 * k, f"staff{k % 3}"
        for j in range(25):
            events.append(Search(t + j, 12.9 + 0.003 * j, 77.55, 0.5, "bg", user, f"o{k}"))
        for n in range(k % 3):
            events.append(Funnel(t + 60 + n, FunnelKind.SELECT, "own", "L", user, f"w{k}-{n}"))
    due, reasons = verdict_of(events)
    assert ScrapingAction.FLAG in due
    assert not set(due) & {ScrapingAction.COARSEN, ScrapingAction.THROTTLE, ScrapingAction.BLOCK}
    assert any("one user's" in r and "72 of 1800" in r for r in reasons)
    # the same staff member's rounds as an app of their own: acted on
    alone, _ = verdict_of([e for e in events if e.user == "staff0"])
    assert ScrapingAction.COARSEN in alone


def test_a_bap_the_operator_reviewed_is_at_most_flagged_and_the_verdict_says_why() -> None:
    # plateau's logistics fleet: its 39 depot chargers every 19 minutes, one select in 700
    # searches; in the events a rival's poll. The network operator knows whose chargers they are.
    events: list[Search | Funnel] = [
        Search(T0 + 1140.0 * k + j, 12.9 + 0.004 * j, 77.55, 1.0, "bg", "", f"r{k}")
        for k in range(18)
        for j in range(39)
    ]
    events.append(Funnel(T0 + 600, FunnelKind.SELECT, "fleet-cpo", "D1", "", "r0"))
    acted, _ = verdict_of(events)
    assert ScrapingAction.COARSEN in acted
    policy = msgspec.convert(
        {"reviewed": {"app.example": "logistics fleet polling its own depots"}}, ScrapingPolicy
    )
    due, reasons = verdict_of(events, policy)
    assert due == [ScrapingAction.FLAG]
    assert any("reviewed by the network operator (logistics fleet" in r for r in reasons)


@pytest.mark.parametrize(
    "reviewed", [{"": "why"}, {"app.example": ""}, {"app.example": "x" * 301}, ["app.example"]]
)
def test_a_review_names_a_bap_and_says_what_was_found(reviewed: object) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"reviewed": reviewed}, ScrapingPolicy)


@pytest.mark.parametrize(("selects", "said"), [(0, "no select"), (3, "only 3 led to a select")])
@pytest.mark.parametrize(
    ("signal", "opening"),
    [
        ("searches at volume, never books", "1000 searches in the window and"),
        ("grid sweep", "every search a new point of a regular sweep,"),
        ("clockwork polling", "the same places polled on a fixed period,"),
    ],
)
def test_the_unit_wide_rules_say_how_few_selects_there_were(
    selects: int, said: str, signal: str, opening: str
) -> None:
    f = {"searches": 1000.0, "select_per_search": selects / 1001.0}
    (why,) = describe(f, {signal: 0.9}, "the BAP")
    assert why == f"{opening} {said}"


def rounds_of(
    sites: Sequence[tuple[float, float]], rounds: int, seed: int = 7, *, off_km: float = 0.45
) -> list[Search]:
    """A round every 8-14 minutes, one transaction each: every site within seconds of the one
    before, each query from up to ``off_km`` off its site in a new direction."""
    rng = np.random.default_rng(seed)
    km_lon = 111.32 * math.cos(math.radians(12.97))
    out, t = [], T0 + 30.0
    for r in range(rounds):
        at = t
        for lat, lon in sites:
            off, angle = rng.uniform(0.15, off_km), rng.uniform(0, 2 * math.pi)
            la, lo = lat + off * math.sin(angle) / KM_LAT, lon + off * math.cos(angle) / km_lon
            out.append(Search(at, float(la), float(lo), round(off + 0.5, 2), "bg", "", f"r{r}"))
            at += float(rng.uniform(1, 5))
        t += float(rng.uniform(480, 840))
    return [s for s in out if s.at < T0 + WINDOW]


SITES = [(12.90 + 0.03 * (k % 4), 77.50 + 0.03 * (k // 4)) for k in range(8)]


def test_rounds_of_far_apart_places_again_and_again_are_found_inside_an_aggregator() -> None:
    app = crowd(2000, txn=True, book=0.15)
    found = of([*app, *rounds_of(SITES, 30)])
    assert found["rounds"] == 30
    assert found["round_searches"] == 240
    assert found["round_places"] == 8
    assert found["round_known"] == 1.0
    assert found["round_select_share"] == 0.0
    # each query from a new point: no spot repeats
    assert found["spot_searches"] < 20
    assert signals(found)["the same rounds of far-apart places, no bookings"] == 1.0
    assert signals(of(app))["the same rounds of far-apart places, no bookings"] == 0.0


def test_rounds_that_book_and_rounds_that_never_come_back_are_no_such_rounds() -> None:
    # a depot console's rounds of its own chargers, selecting on every fourth round
    console = rounds_of(SITES[:6], 30)
    booked = [
        Funnel(s.at + 30, FunnelKind.SELECT, "cpo", "D1", "", s.txn)
        for s in console
        if s.txn in {f"r{r}" for r in range(0, 30, 4)}
        and s.lat == min(e.lat for e in console if e.txn == s.txn)
    ]
    found = of([*console, *booked])
    assert found["rounds"] == 30
    assert found["round_select_share"] > 0.2
    assert signals(found)["the same rounds of far-apart places, no bookings"] == 0.0
    # people panning a map: a few pans a few hundred metres apart, each person somewhere else
    rng = np.random.default_rng(9)
    pans: list[Search] = []
    for p in range(300):
        lat, lon = 12.97 + rng.normal(0, 0.05), 77.59 + rng.normal(0, 0.05)
        t = T0 + float(rng.uniform(0, WINDOW - 300))
        for k in range(5):
            lat, lon = lat + rng.normal(0, 0.006), lon + rng.normal(0, 0.006)
            pans.append(Search(t + 20 * k, float(lat), float(lon), 5.0, "bg", "", f"p{p}"))
    assert of(pans)["rounds"] <= 3
    # a car refreshing every 2 km at 40 km/h: a drive, its places minutes apart
    drive = [Search(T0 + 180 * k, 12.9 + 0.018 * k, 77.5, 5.0, "bg", "", "d") for k in range(40)]
    assert of(drive)["rounds"] == 0.0


@given(
    st.lists(
        st.tuples(
            st.integers(-1, 5),
            st.floats(-3, 3),
            st.floats(-3, 3),
            st.floats(0, 400),
            st.booleans(),
        ),
        max_size=60,
    ),
    st.randoms(use_true_random=False),
)
@settings(max_examples=150, deadline=None)
def test_rounds_are_bounded_and_order_independent(
    rows: list[tuple[int, float, float, float, bool]], shuffle: random.Random
) -> None:
    def run(rs: list[tuple[int, float, float, float, bool]]) -> dict[str, float]:
        txn = np.array([r[0] for r in rs], dtype=np.int64)
        x, y, at = (np.array([r[i] for r in rs], dtype=np.float64) for i in (1, 2, 3))
        conv = Conversion(np.array([r[4] for r in rs], dtype=np.bool_), txn >= 0, 0.0)
        lat, lon = 12.9 + y * 0.05, 77.5 + x * 0.05  # up to about 17 km each way
        return rounds(txn, lat, lon, at, np.full(at.size, 2.0), conv)

    out = run(rows)
    assert set(out) == set(ROUND_FEATURES)
    assert all(math.isfinite(v) for v in out.values())
    assert 0 <= out["round_searches"] <= sum(r[0] >= 0 for r in rows)
    assert 0 <= out["round_select_share"] <= 1
    if out["rounds"]:
        assert out["rounds"] >= 2
        assert out["round_places"] >= 4
    again = list(rows)
    shuffle.shuffle(again)
    assert run(again) == out


def tiles(bursts: int, every_min: float = 30.0, seed: int = 8) -> list[Search]:
    """A sweep of a 14x14 lattice 2.2 km apart cut into 2x2 tiles, one tile a burst about
    every ``every_min`` minutes (one transaction, its 4 nodes 5-15 s apart, each 20-60 m off),
    tiles in a random order."""
    step_km = 2.2
    rng = np.random.default_rng(seed)
    km_lon = 111.32 * math.cos(math.radians(12.97))
    order = rng.permutation(49)
    out, t = [], T0 + 60.0
    for b in range(bursts):
        ti, tj = divmod(int(order[b % 49]), 7)
        for di, dj in ((0, 0), (0, 1), (1, 0), (1, 1)):
            off, angle = rng.uniform(0.02, 0.06), rng.uniform(0, 2 * math.pi)
            north = (2 * ti + di) * step_km + off * math.sin(angle)
            east = (2 * tj + dj) * step_km + off * math.cos(angle)
            out.append(
                Search(t, 12.8 + north / KM_LAT, 77.4 + east / km_lon, 1.8, "bg", "", f"b{b}")
            )
            t += float(rng.uniform(5, 15))
        t += float(rng.uniform(50, 70)) * every_min
    return [s for s in out if s.at < T0 + WINDOW]


def trip_plans(n: int, seed: int = 10) -> list[Search | Funnel]:
    """People planning a trip: one transaction each, 4-6 towns along a 120 km road searched
    seconds apart, a tenth of them selecting."""
    rng = np.random.default_rng(seed)
    km_lon = 111.32 * math.cos(math.radians(12.97))
    out: list[Search | Funnel] = []
    for p in range(n):
        t = T0 + float(rng.uniform(0, WINDOW - 600))
        for k, along in enumerate(np.sort(rng.uniform(0, 120, int(rng.integers(4, 7))))):
            north, east = along * 0.6 + rng.normal(0, 0.5), along * 0.8 + rng.normal(0, 0.5)
            out.append(
                Search(
                    t + 10 * k, 12.7 + north / KM_LAT, 77.2 + east / km_lon, 5.0, "bg", "", f"t{p}"
                )
            )
        if rng.random() < 0.1:
            out.append(Funnel(t + 120, FunnelKind.SELECT, "cpo", "L1", "", f"t{p}"))
    return out


def test_a_sweep_cut_into_tiles_one_transaction_each_is_a_lattice_in_rounds() -> None:
    app = crowd(2000, txn=True, book=0.15)
    swept = tiles(12)
    found = of([*app, *swept])
    assert found["rounds"] == 0.0  # each tile once: no round comes back
    assert found["round_grid_searches"] == len(swept) == 48
    assert found["round_grid_share"] == 1.0
    assert found["round_grid_step_km"] == pytest.approx(2.2, abs=0.05)
    assert found["round_grid_z"] >= 16
    assert found["round_grid_known"] == 1.0
    assert found["round_grid_select_share"] == 0.0
    said = signals(found)
    assert said["a lattice in rounds of far-apart places, no bookings"] == 1.0
    # drowned in the app's traffic, the whole unit's lattice test does not see it
    assert said["lattice inside the traffic"] < 0.5
    due, reasons = verdict_of([*app, *swept])
    (why,) = [r for r in reasons if "in rounds of far-apart places" in r]
    assert why.startswith("48 searches")
    assert "on a lattice of 2.2 km (48 nodes)" in why
    assert "0 of them led to a select" in why
    # 48 searches without a select are no evidence yet of converting below 3% (one chance in
    # four at that rate): a flag; twice as many are
    assert due == [ScrapingAction.FLAG]
    due, _ = verdict_of([*app, *tiles(24, every_min=14, seed=11)])
    assert ScrapingAction.COARSEN in due


def test_trip_plans_are_rounds_off_any_lattice() -> None:
    found = of([*crowd(1000, txn=True, book=0.15), *trip_plans(60)])
    assert found["round_grid_searches"] < 0.5 * 60 * 4
    assert signals(found)["a lattice in rounds of far-apart places, no bookings"] == 0.0
    assert signals(found)["the same rounds of far-apart places, no bookings"] == 0.0


def test_a_sweep_booking_at_one_cpo_ranks_with_the_scrapers_and_is_flagged_no_more() -> None:
    """A rival CPO sweeps a jittered lattice over the city, one transaction a search, and
    books on 3% of them, always at its own charger nearest the node: at the honest rate,
    so the stronger actions stay withheld, but its bookings pay nobody it swept. The same
    sweep booking at the CPOs round each node, as people would, ranks lower; and so does
    one booking at one CPO on an eighth of its searches (mela's sanitation fleet)."""

    def sweep_booking(cpos: int, every: int = 33) -> list[Search | Funnel]:
        swept = sweep(400, 1.2, 40.0, txn=True)
        booked = [
            Funnel(s.at + 60, FunnelKind.SELECT, f"cpo{i % cpos}", f"L{i}", "", s.txn)
            for i, s in enumerate(swept)
            if i % every == 5
        ]
        return [*swept, *booked]

    own = of(sweep_booking(1))
    assert own["select_cpo_share"] == 1.0
    spread = of(sweep_booking(5))
    assert spread["select_cpo_share"] <= 0.34
    strongest = signals(own)
    assert max(strongest.values()) == pytest.approx(0.9)
    assert max(signals(spread).values()) < 0.8
    due, _ = verdict_of(sweep_booking(1))
    assert due == [ScrapingAction.FLAG]
    # a CPO's own app: people booking at its chargers, no sweep
    assert max(signals(of(crowd(600, txn=True, book=0.1))).values()) < 0.5
    # a fleet whose rounds of its own sites fall on a grid books there when it needs to, on
    # an eighth of its searches: no disguise costs that much
    assert max(signals(of(sweep_booking(1, every=8))).values()) < 0.5


def test_thousands_of_rounds_to_the_same_places_are_compared_with_their_neighbours_only() -> None:
    """A unit sending 3,000 rounds to the same 4 places in 6 hours: every round recurs, and
    each is compared with the 24 rounds next to it in time, not with all 3,000 (whose
    places, all within a kilometre of each other's, would make some 36 million pairs)."""
    sites = SITES[:4]
    flood = [
        Search(T0 + 7.0 * r + k, lat, lon, 1.0, "bg", "", f"f{r}")
        for r in range(3000)
        for k, (lat, lon) in enumerate(sites)
    ]
    found = of(flood)
    assert found["rounds"] == 3000
    assert found["round_searches"] == 12_000
    assert found["round_places"] == 4
