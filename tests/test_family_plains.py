"""The plains family (held out: these tests read its truth and events, never a score)."""

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
    one,
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
from uei_testing.families import FAMILIES, plains
from uei_testing.families.world import SCRAPER_CLASSES, World

F64 = npt.NDArray[np.float64]
SEEDS = (1, 2, 3, 4)
START = 1_799_692_200.0
"""IST midnight starting Tuesday 12 January 2027."""


@functools.cache
def day(seed: int) -> World:
    return plains.generate(seed, START, 24.0)


@functools.cache
def land(seed: int) -> tuple[plains.Plains, plains.Chargers]:
    g = plains.geography(seed)
    return g, plains.chargers(seed, g)


def xy(g: plains.Plains, events: list[Search]) -> tuple[F64, F64]:
    return g.xy(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def hours(events: list[Search] | list[Funnel]) -> F64:
    return np.array([((e.at - START) % 86_400) / 3600 for e in events])


def on_road(g: plains.Plains, x: F64, y: F64, *names: str) -> npt.NDArray[np.bool_]:
    """Whether each point lies on one of the roads of kinds ``names`` (all when none)."""
    out = np.zeros(x.size, dtype=np.bool_)
    for kind, line in g.roads:
        if not names or kind in names:
            out |= line.gap(x, y) < 1e-6
    return out


def rate(h: F64, lo: float, hi: float) -> float:
    """Per hour in IST hours [lo, hi) (``hi`` past 24 wraps)."""
    inside = ((h >= lo) & (h < hi)) | ((h + 24 >= lo) & (h + 24 < hi))
    return float(inside.sum()) / (hi - lo)


def honest(w: World) -> list[Search]:
    return [e for b in labelled(w, "honest") for e in searches(w, b)]


# -- the day's size, its truth, its wiring ------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_day_sizes(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    assert w.family == "plains"
    assert 25 <= len(w.baps) <= 35
    assert 45_000 <= w.total() <= 75_000
    assert 70 <= c.total() <= 120
    owners = set(c.every.cpos)
    assert 6 <= len(owners) <= 9
    assert {plains.WAYSIDE_CPO, plains.ICD_CPO, plains.COOP_CPO} <= owners
    assert all(re.fullmatch(r"cpo-[a-z]+\.plains\.example", o) for o in owners)


def test_registered_deterministic_and_seeds_differ() -> None:
    assert FAMILIES["plains"] is plains.generate
    again = plains.generate(1, START, 24.0)
    first = day(1)
    assert (again.events, again.baps, again.scraping) == (first.events, first.baps, first.scraping)
    for a, b in itertools.combinations([day(s) for s in SEEDS], 2):
        assert a.events != b.events
        assert [t.style for t in a.baps.values()] != [t.style for t in b.baps.values()]


def test_places_move_with_the_seed() -> None:
    lands = [land(s)[0] for s in SEEDS]
    keys = {(g.lat, g.river.bearing, g.cantonment, g.icd, g.campus, g.mills[0]) for g in lands}
    assert len(keys) == len(SEEDS)
    assert len({round(g.expressway.gap(0.0, 0.0)[0], 6) for g in lands}) == len(SEEDS)
    assert len({tuple(land(s)[1].groups["town"].lat.tolist()) for s in SEEDS}) == len(SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_label_the_brief_asks_for(seed: int) -> None:
    w = day(seed)
    count = Counter(t.label for t in w.baps.values())
    assert set(count) == {"honest", *SCRAPER_CLASSES}
    assert count["hidden_sweep"] == 1
    assert count["hidden_poll"] == 1
    assert count["sweeper"] == 3
    assert count["poller"] == 2
    assert count["booking_scraper"] == 1
    assert 1 <= count["low_and_slow"] <= 2
    for text in (
        "university student app",
        "hospital ambulance fleet console",
        "ICD yard console",
        "sugar cooperative console",
        "expressway bus operator",
        "electric-truck fleet telematics",
        "brand A in-car head units",
        "brand B in-car head units",
        "taxi-union app",
    ):
        assert w.baps[one(w, text)].label == "honest"
    assert 2 <= len(styled(w, "city app, about")) <= 3
    assert all(w.baps[b].label == "honest" for b in styled(w, "city app, about"))
    tiny = [b for b in styled(w, "tiny new app") if w.baps[b].label == "honest"]
    assert 2 <= len(tiny) <= 3
    assert all(len(searches(w, b)) < 30 for b in tiny)
    assert 3 <= len(styled(w, "own app, booking its own chargers")) <= 5


def test_the_second_low_and_slow_rides_along_on_some_seeds_only() -> None:
    have = [bool(styled(day(s), "riding a tiny new app's key")) for s in SEEDS]
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
        assert vias <= set(plains.GATEWAYS)
        two += len(vias) == 2
        for e in mine:
            assert w.start <= e.at < w.end
            assert 0 < e.radius_km <= 50
            if e.via == plains.GATEWAYS[0]:
                assert e.txn
            if e.via == plains.GATEWAYS[1]:
                assert not e.txn
        by: dict[tuple[str, str], list[Funnel]] = {}
        for f in funnels(w, bap):
            assert w.start <= f.at < w.end
            assert f.bpp_id.endswith(".plains.example")
            assert f.location_id.startswith("pl-")
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
        users = {e.user for e in mine}
        if len(users) > 1:
            assert all(u.startswith(f"{bap}/u") for u in users - {""})
    assert two >= 3
    total = Counter[str]()
    for bap in labelled(w, "honest"):
        total += kinds(w, bap)
    assert 0.02 < total["confirm"] / total["search"] < 0.2


# -- the land, the river and the roads ----------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_geography(seed: int) -> None:
    g, c = land(seed)
    r = g.river
    assert 1.0 <= g.bazaar.r <= 2.0
    assert 1.0 <= r.width <= 2.2
    assert 5.0 <= r.plain <= 10.0
    assert g.river.near_side(0.0, 0.0, g.bazaar.r)[0]  # the walled bazaar on the near bank
    assert 1.2 <= g.cantonment.r <= 2.0
    assert 3.0 <= math.hypot(g.cantonment.x, g.cantonment.y) <= 5.5
    # one road bridge and one rail bridge over the water, 1.5-3 km apart
    for b in (g.bridge, g.rail_bridge):
        _, a = r.across(b.x, b.y)
        assert a[0] < -r.width / 2 < r.width / 2 < a[-1]
        assert r.wet(float(b.x.mean()), float(b.y.mean()))[0]
    gap = math.dist(
        (g.bridge.x.mean(), g.bridge.y.mean()), (g.rail_bridge.x.mean(), g.rail_bridge.y.mean())
    )
    assert 1.4 <= gap <= 3.2
    assert math.hypot(*g.approach.spot(0.0)) < 6
    # the expressway 12-20 km out, its interchanges, tolls and amenities in the district
    assert 12.0 <= g.expressway.gap(0.0, 0.0)[0] <= 20.0
    assert 2 <= len(g.interchanges) <= 3
    assert len(g.tolls) == len(g.amenities) == 2
    for d in (*g.interchanges, *g.tolls, *g.amenities):
        assert 12.0 <= math.hypot(*g.spot_on(d)) <= 60.0
    ix = g.spot_on(g.interchanges[g.icd_interchange])
    assert math.dist(g.icd, ix) <= 3.2
    assert 6.0 <= math.hypot(g.campus.x, g.campus.y) <= 10.0
    assert 8 <= len(g.villages) == len(g.mills) <= 14
    assert all(10.0 <= math.hypot(*m) <= 30.0 for m in g.mills)
    assert all(g.river.near_side(v.x, v.y, 1.0)[0] for v in g.villages)
    assert 3 <= len(g.halls) <= 6
    # 3-5 far cities on the expressway, 150-500 km out, both ways
    assert 3 <= len(g.far) <= 5
    ends = []
    for fx, fy, _, _ in g.far:
        assert 150.0 <= math.hypot(fx, fy) <= 500.0
        assert g.expressway.gap(fx, fy)[0] < 1e-6
        ends.append(plains._arc(g.expressway, (fx, fy)) < min(g.interchanges))
    assert any(ends)
    assert not all(ends)
    # roads bend round the cantonment; only the bridge and its approach leave the near bank
    for kind, line in g.roads:
        x, y = line.sample(0.05)
        assert not g.cantonment.near(x, y, 0.1).any(), kind
        if kind not in ("bridge", "approach", "expressway"):
            assert g.river.near_side(x, y).all(), kind
    # the expressway is joined only at its interchanges
    net = plains.Network.build(g)
    joins = set()
    for k, edges in enumerate(net.nbr):
        kinds_here = {kind for _, _, kind in edges}
        if "expressway" in kinds_here and len(kinds_here) > 1:
            joins.add(k)
    points = [g.spot_on(d) for d in g.interchanges]
    assert len(joins) == len(points)
    for k in joins:
        assert min(math.dist((net.x[k], net.y[k]), p) for p in points) < 1e-6
    # the operators' own sites
    assert set(c.groups["mills"].cpos) == {plains.COOP_CPO}
    assert set(c.groups["icd"].cpos) == {plains.ICD_CPO}
    assert set(c.groups["amenity"].cpos) == {plains.WAYSIDE_CPO}
    assert set(c.groups["hospital"].cpos) == {c.depot}
    bx, by = g.xy(c.groups["icd"].lat, c.groups["icd"].lon)
    assert np.hypot(bx - g.icd[0], by - g.icd[1]).max() < 0.1
    assert len({round(float(v), 4) for v in by}) >= 3  # in rows
    ax, ay = g.xy(c.groups["amenity"].lat, c.groups["amenity"].lon)
    courts = [g.spot_on(d) for d in g.amenities]
    assert all(
        min(math.dist((a, b), p) for p in courts) < 0.25 for a, b in zip(ax, ay, strict=True)
    )
    assert len(ax) >= 12  # food courts with many chargers


@pytest.mark.parametrize("seed", SEEDS)
def test_nobody_searches_the_water_the_plain_or_the_cantonment(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    sx, sy = g.xy(c.every.lat, c.every.lon)
    assert not g.closed(sx, sy).any()
    assert not g.river.on_plain(sx, sy).any()
    assert not g.river.wet(sx, sy).any()
    roadside = 0
    for bap in w.baps:
        x, y = xy(g, searches(w, bap))
        assert not g.closed(x, y).any(), w.baps[bap]
        assert not g.cantonment.near(x, y).any()
        if w.baps[bap].label == "honest":
            roadside += int(g.river.on_plain(x, y).sum())
    assert roadside > 10  # but along the bridge's approach road


@pytest.mark.parametrize("seed", SEEDS)
def test_the_bazaar_is_dense_and_fills_in_the_evening(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    mine = honest(w)
    x, y = xy(g, mine)
    d = np.hypot(x, y)
    rb = g.bazaar.r
    inner = (d <= rb).sum() / (math.pi * rb * rb)
    outer = ((d > rb) & (d <= 6.0)).sum() / (math.pi * (36.0 - rb * rb))
    assert inner > 3 * outer
    h = hours(mine)
    bazaar = h[d <= rb]
    assert rate(bazaar, 17, 21) > 1.5 * rate(bazaar, 11, 16)


@pytest.mark.parametrize("seed", SEEDS)
def test_wedding_processions_and_mandi_nights(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    mine = honest(w)
    x, y = xy(g, mine)
    h = hours(mine)
    halls = np.zeros(x.size, dtype=np.bool_)
    for hx, hy in g.halls:
        halls |= np.hypot(x - hx, y - hy) < 0.4
    assert rate(h[halls], 19, 24) > 3 * rate(h[halls], 10, 17)
    mandi = np.hypot(x - g.mandi[0], y - g.mandi[1]) < 0.6
    assert rate(h[mandi], 22, 28) > 2 * rate(h[mandi], 10, 18)


# -- the fog ------------------------------------------------------------------------------------


def _hops(g: plains.Plains, bap: str, w: World) -> list[tuple[float, float, float, bool]]:
    """Each move within a trip: (km, km/h, hour it began, whether it was on the expressway);
    but for moves off a halt (a toll queue), whose start is the last refresh before the wait
    ended."""
    out = []
    for trip in trips(searches(w, bap)):
        x, y = xy(g, trip)
        ex = g.expressway.gap(x, y) < 1e-6
        h = hours(trip)
        for k in range(len(trip) - 1):
            if k and (x[k], y[k]) == (x[k - 1], y[k - 1]):
                continue
            d = math.hypot(x[k + 1] - x[k], y[k + 1] - y[k])
            dt = trip[k + 1].at - trip[k].at
            if d > 0.05 and dt > 0:
                out.append((d, d / dt * 3600, float(h[k]), bool(ex[k] and ex[k + 1])))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_fog_slows_the_roads_and_thickens_the_refreshes(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    for text, dry_hop, fog_hop in (
        ("brand A in-car head units", (3.0, 6.0), (1.5, 3.0)),
        ("electric-truck fleet telematics", (5.0, 10.0), (2.0, 4.0)),
    ):
        hops = _hops(g, one(w, text), w)
        fog = [hp for hp in hops if 4.5 <= hp[2] < 10.5]
        dry = [hp for hp in hops if not 4.5 <= hp[2] < 10.5]
        assert max(hp[1] for hp in fog) <= 50.0 + 1e-6
        fast = [hp[1] for hp in fog if hp[3]]
        assert len(fast) > 20
        assert 30.0 <= statistics.median(fast) <= 50.0
        assert statistics.median(hp[1] for hp in dry if hp[3]) > 60.0
        assert dry_hop[0] <= statistics.median(hp[0] for hp in dry) <= dry_hop[1]
        assert fog_hop[0] * 0.8 <= statistics.median(hp[0] for hp in fog) <= fog_hop[1]
        assert max(hp[0] for hp in hops) <= dry_hop[1] + 1e-6
    # trips start later: few cars set out in the fog, a rush once it lifts
    begun = np.array([t[0].at for t in trips(searches(w, one(w, "brand A in-car head units")))])
    h = ((begun - START) % 86_400) / 3600
    assert rate(h, 5, 9) < 0.45 * rate(h, 11, 14)


# -- the hidden scrapers ------------------------------------------------------------------------


def test_hilbert_curve_steps_to_a_neighbour() -> None:
    n = 16
    cells = sorted((plains.hilbert(n, i, j), i, j) for i in range(n) for j in range(n))
    assert [d for d, _, _ in cells] == list(range(n * n))
    for (_, i, j), (_, k, m) in itertools.pairwise(cells):
        assert abs(i - k) + abs(j - m) == 1


@pytest.mark.parametrize("seed", SEEDS)
def test_hilbert_sweep_of_the_district_in_a_city_app(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (bap,) = labelled(w, "hidden_sweep")
    truth = w.baps[bap]
    assert truth.style.endswith("of a city app")
    assert "Hilbert" in truth.style
    step, turn, orient, _ = plains.lattice_plan(seed)
    assert 2.0 <= step <= 3.0
    assert f"{step:.2f} km" in truth.style
    points = scraping(w, bap)
    assert 0.05 <= len(points) / len(searches(w, bap)) <= 0.15
    assert kinds(w, bap)["confirm"] > 10  # a real app that books
    assert len({e.radius_km for e in points}) == 1
    x, y = xy(g, points)
    c, s = math.cos(turn), math.sin(turn)
    i = np.round((x * c + y * s) / step).astype(np.int64)
    j = np.round((-x * s + y * c) / step).astype(np.int64)
    nx, ny = step * (i * c - j * s), step * (i * s + j * c)
    off = np.hypot(x - nx, y - ny)
    if seed % 2:
        assert off.max() < 1e-6
    else:
        assert off.min() >= 0.03 - 1e-6
        assert off.max() <= 0.08 + 1e-6
    px, py = plains.lattice_nodes(g, step, turn, orient)
    plan = {(float(a), float(b)): k for k, (a, b) in enumerate(zip(px, py, strict=True))}
    assert len(plan) == px.size
    visited = [plan[(float(a), float(b))] for a, b in zip(nx, ny, strict=True)]
    assert all((b - a) % px.size == 1 for a, b in itertools.pairwise(visited))
    # along a space-filling curve: nearly every next node is a neighbour on the lattice
    hop = np.hypot(np.diff(px), np.diff(py))
    assert float(np.mean(np.abs(hop - step) < 1e-6)) > 0.85
    # over the whole district: the town, the mill belt, the expressway
    assert np.hypot(px, py).min() < step
    assert (g.expressway.gap(px, py) < step).sum() >= 5
    assert np.hypot(px, py).max() > 25


@pytest.mark.parametrize("seed", SEEDS)
def test_subset_poll_of_amenities_and_truck_yard_in_the_national_aggregator(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    (bap,) = labelled(w, "hidden_poll")
    assert "national aggregator" in w.baps[bap].style
    mine = scraping(w, bap)
    every = coords(c.of("amenity", "icd"))
    assert spots(mine) == every
    got = rounds(mine, 60)
    assert len(got) >= 60
    sizes = set()
    for r in got:
        assert len(spots(r)) == len(r)
        assert 0.4 * len(every) - 1 <= len(r) <= 0.7 * len(every) + 1
        sizes.add(len(r))
    assert len(sizes) > 3
    gaps = np.diff([r[0].at for r in got])
    assert gaps.min() >= 480
    assert gaps.max() <= 1200 + 5 * len(every)
    assert gaps.std() > 100
    polled = {e.txn for e in mine if e.txn}
    assert not any(f.txn in polled for f in funnels(w, bap))
    # its own traffic: 70-85% in the far cities
    x, y = xy(g, own(w, bap))
    assert 0.7 <= float(np.mean(np.hypot(x, y) > plains.FAR_KM)) <= 0.85
    assert kinds(w, bap)["confirm"] > 20


# -- scrapers of their own ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_parked_head_unit_visits_every_rival_site_and_never_books(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "a parked head unit")
    assert w.baps[bap].label == "poller"
    assert not funnels(w, bap)
    mine = searches(w, bap)
    assert all(e.txn for e in mine)
    rival = coords(c.owned(c.rival))
    assert 6 <= len(rival) <= 9
    waited = set()
    got = trips(mine)
    assert len(got) >= len(rival)
    for trip in got:
        assert len({(e.user, e.via) for e in trip}) == 1
        (spot, _), *_ = Counter((e.lat, e.lon) for e in trip).most_common()
        if trip[-1].at < w.end - 5400:  # a whole trip: a drive, then the wait
            assert spot in rival
            at = [e.at for e in trip if (e.lat, e.lon) == spot]
            assert 25 * 60 <= at[-1] - at[0] <= 90 * 60
            assert min(np.diff(at)) >= 120 - 1e-6
            assert max(np.diff(at)) <= 300 + 1e-6
            waited.add(spot)
            moving = [e for e in trip if (e.lat, e.lon) != spot]
            x, y = xy(g, moving)
            assert np.hypot(np.diff(x), np.diff(y)).max(initial=0.0) <= 5.0 + 1e-6
    assert waited == rival
    drive = [e for e in mine if (e.lat, e.lon) not in rival]
    x, y = xy(g, drive)
    assert on_road(g, x, y).mean() > 0.5  # drives on the real roads (and the lanes off them)


@pytest.mark.parametrize("seed", SEEDS)
def test_three_keys_sweep_interleaved_rows_of_one_lattice(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    keys = labelled(w, "sweeper")
    step, half = plains.rows_plan(seed)
    x, y, rows = plains.row_nodes(g, step, half)
    lat, lon = g.ll(x, y)
    every: set[tuple[float, float]] = set()
    for k, bap in enumerate(keys):
        assert f"key {k + 1} of 3" in w.baps[bap].style
        assert not funnels(w, bap)
        mine = searches(w, bap)
        want = {(float(lat[j]), float(lon[j])) for j in np.flatnonzero(rows % 3 == k)}
        assert spots(mine) == want
        got = rounds(mine, 120)
        assert len(got) >= 8
        for r in got[:-1]:
            assert len(r) == len(want)
            ry = np.array([e.lat for e in r])
            rx = np.array([e.lon for e in r])
            assert np.all(np.diff(ry) >= 0)  # row after row, south to north
            same = np.diff(ry) == 0
            assert np.all(np.diff(rx)[same] > 0)  # each row west to east
        ly = sorted({e.lat for e in mine})
        assert all(b - a > 2.5 * step / 110.574 for a, b in itertools.pairwise(ly))  # sparse rows
        every |= want
    assert every == set(zip(lat.tolist(), lon.tolist(), strict=True))


@pytest.mark.parametrize("seed", SEEDS)
def test_wedding_poller_of_the_halls_and_the_bazaar(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "marriage halls' and the bazaar's chargers")
    assert w.baps[bap].label == "poller"
    mine = searches(w, bap)
    assert spots(mine) == coords(c.of("halls", "bazaar"))
    h = hours(mine)
    assert np.all((h >= 18) | (h < 1))
    assert (h < 1).sum() > 0
    assert h[h >= 12].min() < 18.2
    radii = [e.radius_km for e in mine]
    assert 0.5 <= min(radii) < 0.6
    assert 2.9 < max(radii) <= 3.0
    assert len(set(radii)) > 0.9 * len(radii)
    assert not funnels(w, bap)


@pytest.mark.parametrize("seed", SEEDS)
def test_booking_scraper_books_two_to_four_percent_and_cancels_half(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    (bap,) = labelled(w, "booking_scraper")
    count = kinds(w, bap)
    assert 0.02 <= count["confirm"] / count["search"] <= 0.04
    assert count["select"] == count["init"] == count["confirm"]
    assert count["cancel"] == math.ceil(count["confirm"] / 2)
    x, y = xy(g, searches(w, bap))
    assert np.hypot(x, y).max() <= 6.0 + 1e-6
    assert len({e.radius_km for e in searches(w, bap)}) == 1
    assert all(f.txn or f.kind.value == "cancel" for f in funnels(w, bap))


@pytest.mark.parametrize("seed", SEEDS)
def test_low_and_slow_in_the_fog_only(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "in the fog hours only")
    assert w.baps[bap].label == "low_and_slow"
    mine = searches(w, bap)
    h = hours(mine)
    assert np.all((h >= 4.5) & (h < 10.5))
    assert len(mine) >= 35
    assert spots(mine) <= coords(c.local)
    assert len(spots(mine)) == len(mine)
    gaps = np.diff([e.at for e in mine])
    assert gaps.min() >= 240
    assert gaps.max() <= 540
    assert not funnels(w, bap)


def test_second_low_and_slow_rides_a_tiny_app_key() -> None:
    for seed in SEEDS:
        w = day(seed)
        _, c = land(seed)
        for bap in styled(w, "riding a tiny new app's key"):
            assert w.baps[bap].label == "low_and_slow"
            mine = scraping(w, bap)
            gaps = np.diff([e.at for e in mine])
            assert gaps.min() >= 600
            assert gaps.max() <= 1200
            assert len(mine) >= 70
            assert spots(mine) <= coords(c.local)
            assert 0 < len(own(w, bap)) < 30
            assert not any(e.user for e in mine)


# -- honest consoles ----------------------------------------------------------------------------


def _clock(begun: list[float]) -> set[float]:
    return {round(b - a, 6) for a, b in itertools.pairwise(begun)}


@pytest.mark.parametrize("seed", SEEDS)
def test_ambulance_console_every_ten_minutes_booking_one_in_twenty(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "hospital ambulance fleet console")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["hospital"])
    begun = starts(mine, 120)
    assert _clock(begun) == {600.0}
    assert len(begun) == 144
    count = kinds(w, bap)
    assert 18 <= count["search"] / count["confirm"] <= 22
    assert {f.bpp_id for f in funnels(w, bap)} == {c.depot}


@pytest.mark.parametrize("seed", SEEDS)
def test_icd_console_night_charging_window(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "ICD yard console")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["icd"])
    begun = np.array(starts(mine, 120))
    h = ((begun - START) % 86_400) / 3600
    assert set(np.round(np.diff(begun[h < 6])).tolist()) == {300.0}
    assert set(np.round(np.diff(begun[h >= 20])).tolist()) == {300.0}
    assert set(np.round(np.diff(begun[(h >= 6) & (h < 20)])).tolist()) == {1800.0}
    assert ((h >= 20) | (h < 6)).sum() == 120
    confirms = [f for f in funnels(w, bap) if f.kind.value == "confirm"]
    fh = hours(confirms)
    night = ((fh >= 20) | (fh < 6.1)).sum()
    sh = hours(mine)
    night_searches = ((sh >= 20) | (sh < 6)).sum()
    assert night / night_searches > 0.5  # books most of its night searches
    assert (len(confirms) - night) / (len(mine) - night_searches) < 0.1
    assert {f.bpp_id for f in funnels(w, bap)} == {plains.ICD_CPO}


@pytest.mark.parametrize("seed", SEEDS)
def test_sugar_cooperative_console_through_the_shifts(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "sugar cooperative console")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["mills"])
    begun = starts(mine, 120)
    assert _clock(begun) == {900.0}
    assert len(begun) == 64
    h = hours(mine)
    assert h.min() >= 6
    assert h.max() < 22.1
    count = kinds(w, bap)
    assert 45 <= count["search"] / count["confirm"] <= 55
    assert {f.bpp_id for f in funnels(w, bap)} == {plains.COOP_CPO}


# -- honest vehicles ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_head_unit_brands_and_their_transaction_ids(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    a = one(w, "brand A in-car head units")
    b = one(w, "brand B in-car head units")
    assert all(e.txn for e in searches(w, a))
    assert not any(e.txn for e in searches(w, b))
    assert not any(f.txn for f in funnels(w, b))
    assert kinds(w, b)["select"] > 5
    got = trips(searches(w, a))
    assert len(got) >= 250
    booked = {f.txn for f in funnels(w, a)}
    assert 0.035 <= len(booked) / len(got) <= 0.11
    for trip in got:
        assert len({(e.user, e.via) for e in trip}) == 1  # one car, one trip
    for bap in (a, b):
        x, y = xy(g, searches(w, bap))
        assert on_road(g, x, y).mean() > 0.85
        assert on_road(g, x, y, "expressway").sum() > 100
        assert on_road(g, x, y, "highway").sum() > 100
        assert on_road(g, x, y, "bridge", "approach").sum() > 5


@pytest.mark.parametrize("seed", SEEDS)
def test_buses_halt_at_an_amenity_and_book_one_trip_in_two_to_four(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "expressway bus operator")
    mine = searches(w, bap)
    assert all(e.txn for e in mine)
    got = trips(mine)
    assert len(got) >= 20
    courts = [g.spot_on(d) for d in g.amenities]
    halts = 0
    moves: list[float] = []
    for trip in got:
        x, y = xy(g, trip)
        assert (g.expressway.gap(x, y) < 1e-6).any()
        spot, n = Counter((e.lat, e.lon) for e in trip).most_common(1)[0]
        step = np.hypot(np.diff(x), np.diff(y))
        moves += step[step > 0.05].tolist()
        if n >= 2:
            px, py = g.xy(*spot)
            assert min(math.dist((float(px), float(py)), p) for p in courts) < 1e-6
            at = np.array([e.at for e in trip if (e.lat, e.lon) == spot])
            assert np.diff(at).min() >= 180 - 1e-6
            assert np.diff(at).max() <= 360 + 1e-6
            if trip[0].at < at[0] and trip[-1].at > at[-1]:
                assert 14 * 60 <= at[-1] - at[0] <= 40 * 60
                halts += 1
    assert halts >= 10
    assert max(moves) <= 15.0 + 1e-6
    assert 8.0 <= statistics.median(moves) <= 15.0
    booked = {f.txn for f in funnels(w, bap)}
    assert 2.0 <= len(got) / len(booked) <= 4.0
    assert {f.bpp_id for f in funnels(w, bap)} == {plains.WAYSIDE_CPO}
    assert {f.location_id for f in funnels(w, bap)} <= set(c.groups["amenity"].ids)


@pytest.mark.parametrize("seed", SEEDS)
def test_trucks_queue_at_the_tolls_and_run_the_freight_route(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    bap = one(w, "electric-truck fleet telematics")
    mine = searches(w, bap)
    assert all(e.txn for e in mine)
    tolls = [g.spot_on(d) for d in g.tolls]
    queues = 0
    for trip in trips(mine):
        assert len({(e.user, e.via) for e in trip}) == 1
        for (la, lo), n in Counter((e.lat, e.lon) for e in trip).items():
            if n >= 2:
                px, py = g.xy(la, lo)
                assert min(math.dist((float(px), float(py)), p) for p in tolls) < 1e-6
                queues += 1
    assert queues >= 10
    x, y = xy(g, mine)
    assert on_road(g, x, y, "expressway", "access", "freight", "link", "town").all()
    assert on_road(g, x, y, "freight").sum() > 20
    assert (np.hypot(x - g.icd[0], y - g.icd[1]) < 0.01).sum() > 10


@pytest.mark.parametrize("seed", SEEDS)
def test_taxi_union_at_the_station(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "taxi-union app")
    mine = searches(w, bap)
    x, y = xy(g, mine)
    assert np.hypot(x - g.station[0], y - g.station[1]).max() < 0.2
    count = kinds(w, bap)
    assert count["confirm"] / count["search"] > 0.04
    assert {f.location_id for f in funnels(w, bap)} <= set(c.groups["station"].ids)
    # drivers wait on the stand for the late fog trains into the late morning
    h = hours(mine)
    assert rate(h, 4.5, 10.5) < rate(h, 8.0, 14.0) * 1.5
    for trip in trips(mine):
        gaps = np.diff([e.at for e in trip])
        assert gaps.min() >= 150 - 1e-6
        assert gaps.max() <= 420 + 1e-6


# -- honest apps --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_student_app_bursts_at_class_changes(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    bap = one(w, "university student app")
    mine = searches(w, bap)
    h = hours(mine)
    change = (np.abs(h - np.round(h)) < 0.25) & (h >= 8.7) & (h < 16.3)
    assert change.mean() > 0.6
    x, y = xy(g, mine)
    assert (np.hypot(x - g.campus.x, y - g.campus.y) < 2 * g.campus.r).mean() > 0.6


@pytest.mark.parametrize("seed", SEEDS)
def test_cpo_apps_book_their_own_chargers(seed: int) -> None:
    w = day(seed)
    for bap in styled(w, "own app, booking its own chargers"):
        name = w.baps[bap].style.split("'s own app")[0]
        assert {f.bpp_id for f in funnels(w, bap)} == {f"cpo-{name}.plains.example"}
        count = kinds(w, bap)
        assert count["confirm"] / count["search"] > 0.05


@pytest.mark.parametrize("seed", SEEDS)
def test_city_apps_of_different_sizes(seed: int) -> None:
    w = day(seed)
    sizes = sorted(len(searches(w, b)) for b in styled(w, "city app, about"))
    assert all(b > 1.2 * a for a, b in itertools.pairwise(sizes))
    for b in styled(w, "city app, about"):
        assert kinds(w, b)["confirm"] > 5
