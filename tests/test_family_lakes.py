"""The lakes family (held out: these tests read its truth and events, never a score)."""

from __future__ import annotations

import functools
import itertools
import math
import re
import statistics
from collections import Counter

import numpy as np
import numpy.typing as npt
import pytest

from tests.family_views import (
    coords,
    funnels,
    kinds,
    labelled,
    own,
    rounds,
    scraping,
    searches,
    spots,
    starts,
    styled,
    trips,
)
from uei.antiabuse.scraping.events import Funnel, Search
from uei_testing.families import FAMILIES, lakes
from uei_testing.families.world import SCRAPER_CLASSES, World

F64 = npt.NDArray[np.float64]
SEEDS = (1, 2, 3, 4)
START = 1_793_557_800.0
"""An IST midnight."""


@functools.cache
def day(seed: int) -> World:
    return lakes.generate(seed, START, 24.0)


@functools.cache
def land(seed: int) -> tuple[lakes.Lakes, lakes.Chargers]:
    g = lakes.geography(seed)
    return g, lakes.chargers(seed, g)


def xy(g: lakes.Lakes, events: list[Search]) -> tuple[F64, F64]:
    return g.xy(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def hours(events: list[Search] | list[Funnel]) -> F64:
    return np.array([((e.at - START) % 86_400) / 3600 for e in events])


# -- the day's size, its truth, its wiring ------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_day_sizes(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    assert w.family == "lakes"
    assert 30 <= len(w.baps) <= 40
    assert 40_000 <= w.total() <= 75_000
    assert 60 <= c.total() <= 110
    owners = set(c.every.cpos)
    assert 6 <= len(owners) <= 8
    assert {lakes.AIRPORT_CPO, lakes.DEPOT_CPO, lakes.PARK_CPO} <= owners
    assert all(re.fullmatch(r"cpo-[a-z]+\.lakes\.example", o) for o in owners)


def test_registered_deterministic_and_seeds_differ() -> None:
    assert FAMILIES["lakes"] is lakes.generate
    again = lakes.generate(1, START, 24.0)
    first = day(1)
    assert (again.events, again.baps, again.scraping) == (first.events, first.baps, first.scraping)
    days = [day(s) for s in SEEDS]
    for a, b in itertools.combinations(days, 2):
        assert a.events != b.events
        assert [t.style for t in a.baps.values()] != [t.style for t in b.baps.values()]


def test_places_move_with_the_seed() -> None:
    lands = [land(s)[0] for s in SEEDS]
    keys = {(g.lat, g.lakes[0], g.stadium, g.airport, g.town, g.corridor) for g in lands}
    assert len(keys) == len(SEEDS)
    assert len({tuple(land(s)[1].groups["city"].lat.tolist()) for s in SEEDS}) == len(SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_label_the_brief_asks_for(seed: int) -> None:
    w = day(seed)
    count = Counter(t.label for t in w.baps.values())
    assert set(count) == {"honest", *SCRAPER_CLASSES}
    assert count["hidden_sweep"] == 2
    assert count["hidden_poll"] == 1
    assert count["sweeper"] == 1
    assert count["booking_scraper"] == 1
    assert 1 <= count["low_and_slow"] <= 2
    keys = styled(w, "spread over")
    assert 4 <= len(keys) <= 6
    assert count["poller"] == len(keys) + 1
    for text in (
        "ride-hailing app",
        "student app",
        "e-bus depot console",
        "airport operator's console",
        "tech park facility console",
        "car-rental fleet",
        "brand A in-car head units",
        "brand B in-car head units",
        "temple trust app",
    ):
        (bap,) = styled(w, text)
        assert w.baps[bap].label == "honest"
    assert 2 <= len(styled(w, "city app, about")) <= 3
    tiny = styled(w, "tiny new app")
    assert 2 <= len(tiny) <= 3
    assert all(len(searches(w, b)) < 30 for b in tiny)
    assert 3 <= len(styled(w, "own app, booking its own chargers")) <= 5


def test_the_trickle_rides_along_on_some_seeds_only() -> None:
    have = [bool(styled(day(s), "a steady trickle")) for s in SEEDS]
    assert any(have)
    assert not all(have)


@pytest.mark.parametrize("seed", SEEDS)
def test_events_well_formed_and_wired(seed: int) -> None:
    w = day(seed)
    assert set(w.scraping) == {b for b, t in w.baps.items() if t.label != "honest"}
    two = 0
    for bap, truth in w.baps.items():
        mine = searches(w, bap)
        assert mine, truth
        vias = {e.via for e in mine}
        assert vias <= set(lakes.GATEWAYS)
        two += len(vias) == 2
        for e in mine:
            assert w.start <= e.at < w.end
            assert 0 < e.radius_km <= 50
            if e.via == lakes.GATEWAYS[0]:
                assert e.txn
            if e.via == lakes.GATEWAYS[1]:
                assert not e.txn
        by: dict[tuple[str, str], list[Funnel]] = {}
        for f in funnels(w, bap):
            assert f.bpp_id.endswith(".lakes.example")
            assert f.location_id.startswith("lk-")
            if f.txn:  # one booking per transaction and site (a cancel carries no id)
                by.setdefault((f.txn, f.location_id), []).append(f)
        for got in by.values():
            steps = [f.kind.value for f in got]
            if got[-1].at < w.end - 600:  # but for bookings cut short by the day's end
                assert steps in (["select"], ["select", "init", "confirm"]), (truth, steps)
            else:
                assert steps == ["select", "init", "confirm"][: len(steps)]
        if truth.label.startswith("hidden"):
            assert not any(e.user for e in scraping(w, bap))
    assert two >= 3
    honest = Counter[str]()
    for bap in labelled(w, "honest"):
        honest += kinds(w, bap)
    assert 0.02 < honest["confirm"] / honest["search"] < 0.2


# -- the land and the lakes ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_geography(seed: int) -> None:
    g, c = land(seed)
    assert 4 <= len(g.lakes) <= 7
    assert 8.0 <= g.ring_r <= 11.0
    assert all(8.0 <= math.hypot(x, y) <= 12.0 for x, y in zip(g.ring.x, g.ring.y, strict=True))
    lo, hi = g.corridor
    assert math.radians(69) <= hi - lo <= math.radians(111)
    assert 3 <= len(g.parks) <= 4
    assert all(g.in_corridor(np.array([x]), np.array([y]))[0] for x, y in g.parks)
    assert 25 <= math.hypot(*g.airport) <= 35
    assert g.toll == pytest.approx(g.expressway.length / 2)
    assert 80 <= math.hypot(g.town.x, g.town.y) <= 120
    assert 6 <= len(g.villages) <= 12
    assert all(14 <= math.hypot(v.x, v.y) <= 28 for v in g.villages)
    assert math.hypot(g.industrial.x, g.industrial.y) > g.ring_r
    assert 4 <= len(g.far) <= 6
    # the ghat: the last few km of the highway climb in hairpins
    x, y = g.highway.x, g.highway.y
    heading = np.arctan2(np.diff(y), np.diff(x))
    turns = np.abs(np.angle(np.exp(1j * np.diff(heading))))
    last = g.highway.cum[1:-1] >= g.ghat - 1e-9
    assert int((turns[last] > math.radians(120)).sum()) >= 5
    assert not (turns[~last] > math.radians(90)).any()
    assert g.highway.length - g.ghat >= 5
    # the depot's 15-30 bays in rows, the operators' own sites
    assert 15 <= len(c.groups["depot"].ids) <= 30
    assert set(c.groups["depot"].cpos) == {lakes.DEPOT_CPO}
    assert set(c.groups["airport"].cpos) == {lakes.AIRPORT_CPO}
    assert set(c.groups["park"].cpos) == {lakes.PARK_CPO}
    dx, dy = g.xy(c.groups["depot"].lat, c.groups["depot"].lon)
    assert np.hypot(dx - g.depot[0], dy - g.depot[1]).max() < 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_nothing_on_the_water(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    sx, sy = g.xy(c.every.lat, c.every.lon)
    assert not g.wet(sx, sy).any()
    shore = 0
    for bap in w.baps:
        x, y = xy(g, searches(w, bap))
        assert not g.wet(x, y).any(), w.baps[bap]
        if w.baps[bap].label == "honest":
            shore += int((g.shore(x, y) < 0.4).sum())
    assert shore > 200  # people all round the lakes, a hole where the water is


# -- hidden scrapers ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_triangular_lattice_over_the_corridor_in_a_city_app(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (bap,) = styled(w, "triangular lattice")
    assert w.baps[bap].label == "hidden_sweep"
    assert w.baps[bap].style.endswith("of a city app")
    step, turn, _ = lakes.lattice_plan(seed)
    assert f"{step:.3f} km" in w.baps[bap].style
    points = scraping(w, bap)
    assert 0.06 <= len(points) / len(searches(w, bap)) <= 0.20
    assert kinds(w, bap)["confirm"] > 10  # a real app that books
    assert len({e.radius_km for e in points}) == 1
    x, y = xy(g, points)
    ox, oy = lakes.origin(g)
    m = (
        np.array(
            [
                [math.cos(turn), math.cos(turn + math.pi / 3)],
                [math.sin(turn), math.sin(turn + math.pi / 3)],
            ]
        )
        * step
    )
    ij = np.linalg.solve(m, np.vstack([x - ox, y - oy]))
    node = m @ np.round(ij)
    off = np.hypot(x - ox - node[0], y - oy - node[1])
    if seed % 2:
        assert off.max() < 1e-6
    else:
        assert off.min() >= 0.02 - 1e-6
        assert off.max() <= 0.06 + 1e-6
    assert g.in_corridor(x, y, 1.7).all()
    nodes = set(zip(*(np.round(lakes.tri_lattice(g, step, turn), 6).tolist()), strict=True))
    got = rounds(points, 300)
    assert len(got) >= 3
    orders = []
    for r in got[:-1]:
        rx, ry = xy(g, r)
        ri = np.round(np.linalg.solve(m, np.vstack([rx - ox, ry - oy])))
        rn = m @ ri
        visited = [(round(a + ox, 6), round(b + oy, 6)) for a, b in zip(*rn.tolist(), strict=True)]
        assert len(visited) == len(nodes)
        assert {(round(a, 5), round(b, 5)) for a, b in visited} == {
            (round(a, 5), round(b, 5)) for a, b in nodes
        }
        orders.append(tuple(visited))
    assert len(set(orders)) == len(orders)  # a fresh order each round


@pytest.mark.parametrize("seed", SEEDS)
def test_spiral_out_from_the_old_centre_in_an_aggregator(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (bap,) = styled(w, "spiral sweep")
    assert w.baps[bap].label == "hidden_sweep"
    assert w.baps[bap].style.endswith("of a ride-hailing-like aggregator")
    points = scraping(w, bap)
    assert 0.05 <= len(points) / len(searches(w, bap)) <= 0.12
    assert kinds(w, bap)["confirm"] > 10
    spacing, reach = lakes.spiral_plan(seed)
    b = spacing / (2 * math.pi)
    offsets = []
    got = rounds(points, 300)
    assert len(got) >= 3
    for k, r in enumerate(got):
        x, y = xy(g, r)
        dist = np.hypot(x, y)
        assert np.all(np.diff(dist) > 0)  # growing outward
        assert dist[0] < spacing
        assert dist.max() <= reach + 1e-6
        lag = np.angle(np.exp(1j * (np.arctan2(y, x) - dist / b)))
        assert np.abs(np.angle(np.exp(1j * (lag - lag[0])))).max() < 1e-6  # one offset a round
        offsets.append(float(lag[0]))
        if k < len(got) - 1:  # a whole round: every point of the spiral off the water
            fx, fy = lakes.spiral(g, spacing, reach, float(lag[0]))
            assert np.allclose(x, fx, atol=1e-6)
            assert np.allclose(y, fy, atol=1e-6)
    assert len({round(o, 3) for o in offsets}) == len(offsets)
    assert not g.wet(*xy(g, points)).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_subset_poll_of_depot_and_corridor_in_the_national_aggregator(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    (bap,) = labelled(w, "hidden_poll")
    assert "national aggregator" in w.baps[bap].style
    mine = scraping(w, bap)
    every = coords(c.of("depot", "park", "parks", "corridor"))
    assert spots(mine) == every
    got = rounds(mine, 60)
    assert len(got) >= 90
    sizes = set()
    for r in got:
        assert len(spots(r)) == len(r)
        assert 0.5 * len(every) - 1 <= len(r) <= 0.8 * len(every) + 1
        sizes.add(len(r))
    assert len(sizes) > 3
    assert len({frozenset(spots(r)) for r in got}) == len(got)
    gaps = np.diff([r[0].at for r in got])
    assert gaps.min() >= 360
    assert gaps.max() <= 900
    assert gaps.std() > 100
    polled = {e.txn for e in mine if e.txn}
    assert not any(f.txn in polled for f in funnels(w, bap))
    # its own traffic: 75-90% in the far cities
    x, y = xy(g, own(w, bap))
    assert 0.75 <= float(np.mean(np.hypot(x, y) > lakes.FAR_KM)) <= 0.9
    assert kinds(w, bap)["confirm"] > 20


# -- scrapers of their own ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_fake_head_unit_has_no_transaction_ids_and_never_books(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (bap,) = labelled(w, "sweeper")
    assert "fake head unit" in w.baps[bap].style
    mine = searches(w, bap)
    assert len(mine) > 150
    assert not any(e.txn for e in mine)
    assert not funnels(w, bap)
    x, y = xy(g, mine)
    road = np.minimum(g.expressway.distance(x, y), g.highway.distance(x, y))
    assert road.max() < 0.01
    assert (g.highway.distance(x, y) < 0.01).sum() > 50
    assert (g.expressway.distance(x, y) < 0.01).sum() > 20
    assert len(spots(mine)) > 0.6 * len(mine)  # no jams, no toll queue
    hops = np.hypot(np.diff(x), np.diff(y))
    moving = hops[(hops > 0.35) & (hops < 8)]
    assert moving.max() <= 4.0 + 1e-6
    assert 2.5 <= float(np.median(moving)) <= 3.5


@pytest.mark.parametrize("seed", SEEDS)
def test_distributed_poll_keys_take_disjoint_shares(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    keys = styled(w, "spread over")
    shares = [spots(searches(w, k)) for k in keys]
    for a, b in itertools.combinations(shares, 2):
        assert not a & b
    assert set().union(*shares) == coords(c.of("park", "parks", "airport"))
    for k in keys:
        assert w.baps[k].label == "poller"
        assert not funnels(w, k)
        found = re.search(r"every (\d+) min", w.baps[k].style)
        assert found
        period = 60 * float(found.group(1))
        assert 600 - 30 <= period <= 1200 + 30
        gaps = np.diff(starts(searches(w, k), 120))
        assert gaps.min() >= 0.6 * (period - 30)
        assert gaps.max() <= 1.4 * (period + 30)
        assert gaps.std() / gaps.mean() > 0.1  # +-40% jitter
        for r in rounds(searches(w, k), 120)[:-1]:
            assert spots(r) == shares[keys.index(k)]


@pytest.mark.parametrize("seed", SEEDS)
def test_stadium_poller_only_around_the_match(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    (bap,) = styled(w, "a poll of the stadium's chargers")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["stadium"])
    h = hours(mine)
    assert np.all((h >= 17) | (h < 0.5))
    assert ((h >= 19) & (h < 23)).sum() > 0.4 * len(mine)
    assert h[h >= 12].min() < 17.2
    assert ((h >= 23.5) | (h < 0.5)).sum() > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_booking_scraper_books_one_to_two_percent_and_never_cancels(seed: int) -> None:
    w = day(seed)
    (bap,) = labelled(w, "booking_scraper")
    count = kinds(w, bap)
    assert 0.01 <= count["confirm"] / count["search"] <= 0.02
    assert count["select"] == count["init"] == count["confirm"]
    assert count["cancel"] == 0
    radii = [e.radius_km for e in searches(w, bap)]
    assert 1.0 <= min(radii) < 1.3
    assert 5.7 < max(radii) <= 6.0
    assert len(set(radii)) > 100
    assert sum(a != b for a, b in itertools.pairwise(radii)) > 0.95 * len(radii)
    for f in funnels(w, bap):
        assert f.txn


@pytest.mark.parametrize("seed", SEEDS)
def test_low_and_slow_in_the_rain_and_at_night(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    (bap,) = styled(w, "in the rain hours")
    mine = searches(w, bap)
    h = hours(mine)
    assert np.all(((h >= 16) & (h < 19)) | (h >= 23) | (h < 5))
    assert ((h >= 16) & (h < 19)).sum() >= 10
    assert (h < 5).sum() >= 20
    assert spots(mine) <= coords(c.local)
    gaps = np.diff([e.at for e in mine])
    inside = gaps[gaps < 3600]
    assert inside.min() >= 240
    assert inside.max() <= 720
    assert not funnels(w, bap)


def test_trickle_along_a_city_app_key() -> None:
    for seed in SEEDS:
        w = day(seed)
        for bap in styled(w, "a steady trickle"):
            assert w.baps[bap].label == "low_and_slow"
            mine = scraping(w, bap)
            gaps = np.diff([e.at for e in mine])
            assert gaps.min() >= 480
            assert gaps.max() <= 900
            assert len(mine) >= 90
            assert len(own(w, bap)) > 5 * len(mine)  # the app's own users too
            assert not any(e.user for e in mine)


# -- honest consoles, fleets and head units -----------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_airport_console_fixed_clock_and_rare_bookings(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    (bap,) = styled(w, "airport operator's console")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["airport"])
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(starts(mine, 120))}
    assert len(gaps) == 1
    (period,) = gaps
    assert period in {600.0, 660.0, 720.0, 780.0, 840.0, 900.0}
    h = hours(mine)
    assert (h < 5).sum() > 100  # day and night
    count = kinds(w, bap)
    assert 150 <= count["search"] / count["confirm"] <= 300
    assert {f.bpp_id for f in funnels(w, bap)} == {lakes.AIRPORT_CPO}


@pytest.mark.parametrize("seed", SEEDS)
def test_tech_park_console_every_twenty_minutes_in_office_hours(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    (bap,) = styled(w, "tech park facility console")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["park"])
    begun = starts(mine, 120)
    assert {round(b - a, 6) for a, b in itertools.pairwise(begun)} == {1200.0}
    h = hours(mine)
    assert h.min() >= 8
    assert h.max() < 20
    assert len(begun) == 36
    count = kinds(w, bap)
    assert 50 <= count["search"] / count["confirm"] <= 200
    assert {f.bpp_id for f in funnels(w, bap)} == {lakes.PARK_CPO}


@pytest.mark.parametrize("seed", SEEDS)
def test_bus_depot_console_night_window(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    (bap,) = styled(w, "e-bus depot console")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["depot"])
    begun = np.array(starts(mine, 120))
    h = ((begun - START) % 86_400) / 3600
    night = (h >= 22) | (h < 5.5)
    assert set(np.round(np.diff(begun[h < 5.5])).tolist()) == {300.0}
    assert set(np.round(np.diff(begun[h >= 22])).tolist()) == {300.0}
    day_gaps = np.diff(begun[(h >= 5.5) & (h < 22)])
    assert set(np.round(day_gaps).tolist()) == {1800.0}
    assert night.sum() == 90  # 22:00-05:30 every 5 minutes
    confirms = [f for f in funnels(w, bap) if f.kind.value == "confirm"]
    fh = hours(confirms)
    at_night = ((fh >= 22) | (fh < 5.6)).sum()
    sh = hours(mine)
    night_searches = ((sh >= 22) | (sh < 5.5)).sum()
    assert at_night / night_searches > 0.5  # books most of its night searches
    assert (len(confirms) - at_night) / (len(mine) - night_searches) < 0.1
    assert {f.bpp_id for f in funnels(w, bap)} == {lakes.DEPOT_CPO}


@pytest.mark.parametrize("seed", SEEDS)
def test_rental_fleet_books_a_third(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (bap,) = styled(w, "car-rental fleet")
    count = kinds(w, bap)
    assert 0.3 <= count["confirm"] / count["search"] <= 0.37
    x, y = xy(g, searches(w, bap))
    near = np.hypot(x - g.airport[0], y - g.airport[1]) < 2
    assert near.mean() > 0.6


@pytest.mark.parametrize("seed", SEEDS)
def test_head_unit_brands_and_their_transaction_ids(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (a,) = styled(w, "brand A in-car head units")
    (b,) = styled(w, "brand B in-car head units")
    assert all(e.txn for e in searches(w, a))
    assert not any(e.txn for e in searches(w, b))
    assert not any(f.txn for f in funnels(w, b))
    assert kinds(w, b)["select"] > 5
    got = trips(searches(w, a))
    assert len(got) >= 200
    booked = {f.txn for f in funnels(w, a)}
    assert 0.03 <= len(booked) / len(got) <= 0.11
    hops: list[float] = []
    repeats = 0
    tx, ty = g.expressway.point(g.toll)
    for trip in got:
        assert len({(e.user, e.via) for e in trip}) == 1  # one car, one trip
        x, y = xy(g, trip)
        hops += np.hypot(np.diff(x), np.diff(y)).tolist()
        for (la, lo), n in Counter((e.lat, e.lon) for e in trip).items():
            if n >= 2:
                px, py = g.xy(la, lo)
                toll = math.hypot(float(px) - tx, float(py) - ty) < 1e-6
                ring = float(g.ring.distance(px, py)[0]) < 1e-6
                assert toll or ring
                repeats += 1
    moving = np.array([h for h in hops if h > 0.01])
    assert moving.max() <= 5.0 + 1e-6
    assert 2.5 <= float(np.median(moving)) <= 4.5
    assert repeats >= 10  # jams on the ring road and queues at the toll plaza
    x, y = xy(g, searches(w, a))
    road = np.minimum(
        np.minimum(g.expressway.distance(x, y), g.highway.distance(x, y)), g.ring.distance(x, y)
    )
    assert road.max() < 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_head_units_crawl_and_make_short_trips_in_the_rain(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (a,) = styled(w, "brand A in-car head units")
    wet: list[float] = []
    dry: list[float] = []
    rain_len: list[float] = []
    dry_len: list[float] = []
    for trip in trips(searches(w, a)):
        x, y = xy(g, trip)
        d = np.hypot(np.diff(x), np.diff(y))
        h = hours(trip)
        span = float(d.sum())
        (rain_len if 16 <= h[0] < 19 else dry_len).append(span)
        for k in np.flatnonzero(d > 1.0).tolist():
            pace = (trip[k + 1].at - trip[k].at) / float(d[k])
            (wet if 16 <= h[k] < 19 else dry).append(pace)
    assert statistics.median(wet) > 3 * statistics.median(dry)
    assert statistics.median(rain_len) < 0.75 * statistics.median(dry_len)


# -- honest apps and the day's shape ------------------------------------------------------------


def _city_searches(w: World) -> list[Search]:
    out = [e for b in styled(w, "city app, about") for e in searches(w, b)]
    return sorted(out, key=lambda e: e.at)


@pytest.mark.parametrize("seed", SEEDS)
def test_rain_keeps_people_searching_near_home(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    mine = _city_searches(w)
    x, y = xy(g, mine)
    h = hours(mine)
    homes = [*g.homes, *g.village_hubs()]
    near = np.zeros(x.size, dtype=bool)
    for hx, hy, spread, _ in homes:
        near |= np.hypot(x - hx, y - hy) < 2 * spread
    rain = (h >= 16) & (h < 19)
    before = (h >= 12) & (h < 16)
    assert near[rain].mean() > near[before].mean() + 0.15
    assert rain.sum() / 3 > 1.3 * before.sum() / 4


@pytest.mark.parametrize("seed", SEEDS)
def test_match_surge_at_the_stadium(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    honest = [e for b in labelled(w, "honest") for e in searches(w, b)]
    x, y = xy(g, honest)
    h = hours(honest)
    at = np.hypot(x - g.stadium[0], y - g.stadium[1]) < 1.0
    surge = ((h >= 17.5) & (h < 19)) | (h >= 23) | (h < 0.5)
    ordinary = (h >= 8) & (h < 16)
    assert (at & surge).sum() / 3.0 > 3 * (at & ordinary).sum() / 8.0


@pytest.mark.parametrize("seed", SEEDS)
def test_office_peaks(seed: int) -> None:
    w = day(seed)
    mine = _city_searches(w)
    h = hours(mine)
    am = ((h >= 9) & (h < 10.5)).sum() / 1.5
    midday = ((h >= 12) & (h < 15)).sum() / 3
    pm = ((h >= 18) & (h < 20)).sum() / 2
    night = ((h >= 1) & (h < 5)).sum() / 4
    assert am > 1.4 * midday
    assert pm > 1.4 * midday
    assert midday > 3 * night


@pytest.mark.parametrize("seed", SEEDS)
def test_ride_hailing_near_the_airport_and_the_corridor(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (bap,) = styled(w, "ride-hailing app")
    x, y = xy(g, searches(w, bap))
    airport = np.hypot(x - g.airport[0], y - g.airport[1]) < 3
    assert (airport | g.in_corridor(x, y)).mean() > 0.5
    count = kinds(w, bap)
    assert count["confirm"] / count["search"] > 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_student_and_temple_bursts(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (uni,) = styled(w, "student app")
    h = hours(searches(w, uni))
    lecture = (np.abs(h - np.round(h)) < 0.25) & (h >= 8.7) & (h < 17.3)
    assert lecture.mean() > 0.6
    x, y = xy(g, searches(w, uni))
    assert (np.hypot(x - g.campus.x, y - g.campus.y) < 2 * g.campus.r).mean() > 0.5
    (temple,) = styled(w, "temple trust app")
    h = hours(searches(w, temple))
    aarti = ((h >= 5) & (h < 6.6)) | ((h >= 18.25) & (h < 19.6))
    assert aarti.mean() > 0.6
    x, y = xy(g, searches(w, temple))
    assert (np.hypot(x - g.town.x, y - g.town.y) < 3 * g.town.r).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_cpo_apps_book_their_own_chargers(seed: int) -> None:
    w = day(seed)
    for bap in styled(w, "own app, booking its own chargers"):
        name = w.baps[bap].style.split("'s own app")[0]
        booked = {f.bpp_id for f in funnels(w, bap)}
        assert booked == {f"cpo-{name}.lakes.example"}
        count = kinds(w, bap)
        assert count["confirm"] / count["search"] > 0.05
