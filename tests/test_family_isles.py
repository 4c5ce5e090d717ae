"""The isles family (held out: these tests read its truth and events, never a score)."""

from __future__ import annotations

import functools
import itertools
import math
import re
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
    styled,
)
from uei.antiabuse.scraping.events import Funnel, Search
from uei_testing.families import isles
from uei_testing.families.world import SCRAPER_CLASSES, World

F64 = npt.NDArray[np.float64]
SEEDS = (1, 2, 3, 4)
START = 1_802_284_200.0
"""IST midnight starting Thursday 11 February 2027."""


@functools.cache
def day(seed: int) -> World:
    return isles.generate(seed, START, 24.0)


@functools.cache
def land(seed: int) -> tuple[isles.Isles, isles.Chargers]:
    g = isles.geography(seed)
    return g, isles.chargers(seed, g)


def xy(g: isles.Isles, events: list[Search]) -> tuple[F64, F64]:
    return g.xy(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def hours(events: list[Search] | list[Funnel]) -> F64:
    return np.array([((e.at - START) % 86_400) / 3600 for e in events])


def offset(t: float) -> float:
    return (t - START) % 86_400


def gaps(starts: list[float]) -> F64:
    return np.diff(np.array(starts))


def share(w: World, bap: str) -> float:
    return len(scraping(w, bap)) / len(searches(w, bap))


def rounded(points: set[tuple[float, float]]) -> set[tuple[float, float]]:
    return {(round(a, 7), round(b, 7)) for a, b in points}


def nodes(g: isles.Isles, x: F64, y: F64) -> set[tuple[float, float]]:
    lat, lon = g.ll(x, y)
    return rounded(set(zip(lat.tolist(), lon.tolist(), strict=True)))


# -- the day's size, its truth, its wiring ------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_day_sizes(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    assert w.family == "isles"
    assert 28 <= len(w.baps) <= 40
    assert 40_000 <= w.total() <= 80_000
    assert 50 <= c.total() <= 100
    owners = set(c.every().cpos)
    assert 5 <= len(owners) <= 7
    assert {isles.TRANSPORT_CPO, isles.FERRY_CPO} <= owners
    assert all(re.fullmatch(r"cpo-[a-z]+\.isles\.example", o) for o in owners)
    assert all(re.fullmatch(r"[a-z]+\d\d\.isles\.example", b) for b in w.baps)
    assert set(c.groups["berths"].cpos) == {isles.FERRY_CPO}
    assert set(c.of("depot", "busbays", "secretariat").cpos) == {isles.TRANSPORT_CPO}
    assert len(set(c.every().ids)) == c.total()


def test_deterministic_and_seeds_differ() -> None:
    # (how fast a day is made is a benchmark's to say, not a test's: no timing here)
    again = isles.generate(1, START, 24.0)
    first = day(1)
    assert (again.events, again.baps, again.scraping) == (first.events, first.baps, first.scraping)
    for a, b in itertools.combinations([day(s) for s in SEEDS], 2):
        assert a.events != b.events
        assert [t.style for t in a.baps.values()] != [t.style for t in b.baps.values()]
    lands = [land(s)[0] for s in SEEDS]
    assert len({(g.lat, g.lon, g.near.x, g.far_isle.y, g.base, g.warning) for g in lands}) == 4


@pytest.mark.parametrize("seed", SEEDS)
def test_every_label_the_brief_asks_for(seed: int) -> None:
    w = day(seed)
    count = Counter(t.label for t in w.baps.values())
    assert set(count) == {"honest", *SCRAPER_CLASSES}
    assert count["hidden_sweep"] == 2
    assert count["hidden_poll"] == 2
    assert count["sweeper"] == 2
    assert count["poller"] == 2
    assert count["booking_scraper"] == 1
    assert 1 <= count["low_and_slow"] <= 2
    for text in (
        "national aggregator, ~",
        "islands-wide aggregator",
        "north-towns app",
        "e-bus dispatch",
        "berth console",
        "motor pool",
        "resort e-shuttles",
        "brand A in-car head units",
        "brand B in-car head units",
        "airport taxi rank app",
        "home-charging app",
        "fisheries co-op",
        "network operations centre",
    ):
        assert w.baps[one(w, text)].label == "honest", text
    assert 2 <= len(styled(w, "capital app, about")) <= 3
    tiny = styled(w, "tiny new app")
    assert 2 <= len(tiny) <= 3
    assert all(w.baps[b].label == "honest" and len(searches(w, b)) < 30 for b in tiny)
    assert len(styled(w, "own app, booking its own chargers")) == 2


def test_the_gateway_hopper_on_some_seeds_only() -> None:
    have = [bool(styled(day(s), "gateway hopper")) for s in SEEDS]
    assert any(have)
    assert not all(have)


@pytest.mark.parametrize("seed", SEEDS)
def test_events_well_formed_and_wired(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    sites = set(c.every().ids)
    assert set(w.scraping) == {b for b, t in w.baps.items() if t.label != "honest"}
    two = 0
    refs = Counter[str]()
    for bap, truth in w.baps.items():
        mine = searches(w, bap)
        assert mine, truth
        vias = {e.via for e in mine}
        assert vias <= set(isles.GATEWAYS)
        two += len(vias) == 2
        for e in mine:
            assert w.start <= e.at < w.end
            assert 0 < e.radius_km <= 50
            if e.via == isles.GATEWAYS[0]:
                assert e.txn
            if e.via == isles.GATEWAYS[1]:
                assert not e.txn
        by: dict[tuple[str, str], list[Funnel]] = {}
        for f in funnels(w, bap):
            assert w.start <= f.at < w.end
            assert f.bpp_id.endswith(".isles.example")
            assert f.location_id in sites or f.location_id.startswith("is-far-")
            if f.txn:
                by.setdefault((f.txn, f.location_id), []).append(f)
        for got in by.values():
            steps = [f.kind.value for f in got]
            if got[-1].at < w.end - 6000:
                assert steps in (
                    ["select"],
                    ["select", "init", "confirm"],
                    ["select", "init", "confirm", "cancel"],
                ), (truth, steps)
        if truth.label.startswith("hidden"):
            assert not any(e.user for e in scraping(w, bap))
            assert own(w, bap)
        users = {e.user for e in mine}
        assert all(u.startswith(f"{bap}/u") for u in users - {""})
        refs["all" if "" not in users else "none" if users == {""} else "some"] += 1
    assert two >= 3
    assert set(refs) == {"all", "some", "none"}
    assert min(refs.values()) >= 2
    total = Counter[str]()
    for bap in labelled(w, "honest"):
        total += kinds(w, bap)
    assert 0.03 < total["confirm"] / total["search"] < 0.2


# -- the land -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_geography(seed: int) -> None:
    g, c = land(seed)
    assert g.main.inside(0.0, 0.0, -1.5)[()]  # the capital, on the main island
    assert 1.0 <= math.hypot(*g.harbour) <= 3.2
    assert 84 <= 2 * g.main.b <= 110
    assert 14 <= 2 * g.main.a <= 20
    for x, y in g.jetties:
        assert g.main.inside(x, y)[()]
        assert not g.main.inside(x, y, -0.2)[()]  # on the shore
    bx, by, _ = g.base
    assert 5.0 <= math.hypot(bx, by) <= 9.0
    assert g.main.inside(bx, by)[()]
    assert 3.5 <= math.hypot(*g.airport) <= 5.0
    # the trunk road: on the main island, 1 km from the sea, clear of the closed places
    tx, ty = g.trunk.sample(0.2)
    far = ty > 3
    assert g.main.inside(tx[far], ty[far], -1.0).all()
    assert not g.forbidden(tx, ty, 0.9).any()
    assert g.trunk.length() > 60
    assert 1 <= len(g.towns) <= 2
    assert 4 <= len(g.villages) <= 6
    # the strait and the bridge: the only road over the sea
    bx_, by_ = g.bridge.sample(0.05)
    sea = ~g.land(bx_, by_)
    assert 0.6 - 0.1 <= sea.sum() * 0.05 <= 3.0 + 0.1
    assert 28 <= math.dist(g.harbour, (g.far_isle.x, g.far_isle.y)) <= 42
    ex, ey = g.far_isle.rim(np.linspace(0, 2 * math.pi, 100))
    assert not g.main.inside(ex, ey, 3.0).any()
    assert not g.near.inside(ex, ey, 3.0).any()
    assert 13.0 <= g.warning <= 15.5
    assert 4 <= len(g.far) <= 6
    assert all(1100 <= math.hypot(f[0], f[1]) <= 1500 for f in g.far)
    # every charger where people may be
    cx, cy = g.xy(c.every().lat, c.every().lon)
    assert g.land(cx, cy).all()
    assert not g.forbidden(cx, cy, 0.1).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_nobody_searches_in_the_sea_the_base_the_airfield_or_the_reserve(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    for bap, truth in w.baps.items():
        x, y = xy(g, searches(w, bap))
        home = np.hypot(x, y) < 200
        assert g.land(x[home], y[home]).all(), truth.style
        assert not g.forbidden(x[home], y[home]).any(), truth.style
        assert (np.hypot(x[~home], y[~home]) > 900).all()


# -- the day's rhythm: sailings, flights and the warning -----------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_no_ferry_leaves_the_harbour_after_the_warning(seed: int) -> None:
    g, _ = land(seed)
    routes = isles._ferry_routes(g)
    out = [r for r in routes if r[1] == "H"]
    assert out
    assert all(dep < g.warning for dep, *_ in out)
    back = [r for r in routes if r[2] == "H"]
    assert len(back) == len(out)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_warning_crowds_the_jetties_and_the_airport(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    bap = one(w, "storm-watch poll")
    mine = own(w, bap)
    x, y = xy(g, mine)
    jetty = np.min([np.hypot(x - a, y - b) for a, b in (*g.jetties, g.airport)], axis=0) < 0.8
    h = hours(mine)
    after = (h >= g.warning) & (h < g.warning + 4)
    before = (h >= g.warning - 4) & (h < g.warning)
    assert (jetty & after).sum() > 2 * (jetty & before).sum()
    # people charge up at home
    h = hours(searches(w, one(w, "home-charging app")))
    assert ((h >= g.warning) & (h < g.warning + 4)).sum() > 3 * (
        (h >= g.warning - 4) & (h < g.warning)
    ).sum()
    # the taxi rank
    h = hours(searches(w, one(w, "airport taxi rank app")))
    storm = (h >= g.warning) & (h < g.warning + 3)
    night = (h >= 0) & (h < 3)
    assert storm.sum() > 4 * night.sum()


# -- the honest clockwork -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_bus_dispatch_on_the_clock_and_converts(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "e-bus dispatch")
    mine = searches(w, bap)
    s = c.of("depot", "busbays")
    assert spots(mine) == coords(s)
    runs = rounds(mine, 30)
    assert all(len(r) == len(s.ids) for r in runs)
    for r in runs:
        t = offset(r[0].at)
        evac = g.warning <= t / 3600 < g.warning + 5
        assert t % (300 if evac else 600) == 0
        assert evac or 5 <= t / 3600 < 23
    k = kinds(w, bap)
    assert 1 / 12 < k["confirm"] / len(runs) < 1 / 3
    assert not any(e.user for e in mine)


@pytest.mark.parametrize("seed", SEEDS)
def test_berth_console_follows_the_timetable(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "berth console")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["berths"])
    routes = isles._ferry_routes(g)
    want = {dep - 0.5 for dep, *_ in routes} | {dep - 1 / 6 for dep, *_ in routes}
    want |= {arr + 1 / 12 for *_, arr in routes}
    starts = [offset(r[0].at) / 3600 for r in rounds(mine, 20)]
    for h in starts:
        clocked = h >= g.warning + 0.5 and round(h * 3600) % 900 == 0
        assert clocked or any(abs(h - x) < 1e-6 for x in want), h
    assert all(e.user for e in mine)
    k = kinds(w, bap)
    assert k["confirm"] >= len(routes) / 3
    assert {f.location_id for f in funnels(w, bap)} <= set(c.groups["berths"].ids)


@pytest.mark.parametrize("seed", SEEDS)
def test_motor_pool_shuts_with_the_offices(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "motor pool")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["secretariat"])
    h = hours(mine)
    assert h.min() >= isles.OFFICE[0]
    assert h.max() < min(isles.OFFICE[1], g.warning + 1) + 0.01
    assert all(offset(r[0].at) % 1200 == 0 for r in rounds(mine, 30))
    assert kinds(w, bap)["confirm"] >= 2


@pytest.mark.parametrize("seed", SEEDS)
def test_shuttles_loop_their_stops(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "resort e-shuttles")
    mine = searches(w, bap)
    stops = {g.ll1(*p) for p in (g.jetties[0], (0.0, 0.0), g.bridge_head, *g.resorts)}
    assert spots(mine) == stops
    loops: dict[str, list[Search]] = {}
    for e in mine:
        loops.setdefault(e.txn, []).append(e)
    n = 2 * (len(g.resorts) + 3) - 2
    assert all(len(v) == n for v in loops.values() if v[-1].at < w.end - 7200)
    assert kinds(w, bap)["confirm"] >= 2
    assert {f.location_id for f in funnels(w, bap)} <= set(c.groups["near"].ids)


@pytest.mark.parametrize("seed", SEEDS)
def test_head_units_refresh_on_land_with_and_without_transaction_ids(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    a, b = one(w, "brand A in-car head units"), one(w, "brand B in-car head units")
    assert all(e.txn for e in searches(w, a))
    assert not any(e.txn for e in searches(w, b))
    trips: dict[str, list[Search]] = {}
    for e in searches(w, a):
        trips.setdefault(e.txn, []).append(e)
    steps = []
    for t in trips.values():
        for p, q in itertools.pairwise(t):
            px, py = g.xy(p.lat, p.lon)
            qx, qy = g.xy(q.lat, q.lon)
            steps.append(math.hypot(float(px - qx), float(py - qy)))
    assert np.median(steps) == pytest.approx(2.25, abs=0.4)
    booked = {f.txn for f in funnels(w, a) if f.kind.value == "select"}
    assert 0.03 < len(booked) / len(trips) < 0.16
    lines = [
        g.trunk,
        g.bridge,
        isles.Line.of([(0.0, 0.0), g.airport]),
        isles.Line.of([(0.0, 0.0), g.depot]),
        isles.Line.of([(0.0, 0.0), g.harbour]),
    ]
    for bap in (a, b):
        x, y = xy(g, searches(w, bap))
        assert np.min([line.gap(x, y) for line in lines], axis=0).max() < 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_exact_spot_crowds_taxis_and_boats(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    taxi = one(w, "airport taxi rank app")
    assert spots(searches(w, taxi)) == {g.ll1(*g.airport)}
    k = kinds(w, taxi)
    assert 0.02 < k["confirm"] / k["search"] < 0.12
    fish = one(w, "fisheries co-op")
    assert spots(searches(w, fish)) <= coords(c.groups["villages"])
    assert all(e.user for e in searches(w, fish))
    h = hours(searches(w, fish))
    assert ((h >= 3.5) & (h < 5.5)).mean() == pytest.approx(0.5, abs=0.02)
    assert kinds(w, fish)["confirm"] > 5


@pytest.mark.parametrize("seed", SEEDS)
def test_operations_centre_watches_its_own_sites(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "network operations centre")
    cpo = w.baps[bap].style.split("centre of ")[1].split(":")[0]
    s = c.owned(cpo, c.public())
    mine = searches(w, bap)
    assert spots(mine) == coords(s)
    runs = rounds(mine, 60)
    gap = gaps([r[0].at for r in runs])
    assert gap.min() >= 240
    assert gap.max() <= 540 + 60
    assert len({e.user for e in mine}) == 2
    assert {f.bpp_id for f in funnels(w, bap)} == {cpo}
    assert kinds(w, bap)["confirm"] >= 5


@pytest.mark.parametrize("seed", SEEDS)
def test_cpo_apps_book_their_own_chargers(seed: int) -> None:
    w = day(seed)
    for bap in styled(w, "own app, booking its own chargers"):
        cpo = w.baps[bap].style.split("'s own app")[0]
        assert kinds(w, bap)["confirm"] > 5
        assert {f.bpp_id for f in funnels(w, bap)} == {cpo}


@pytest.mark.parametrize("seed", SEEDS)
def test_national_apps_mostly_far_away(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    for bap in (one(w, "national aggregator, ~"), one(w, "coastline crawl")):
        x, y = xy(g, own(w, bap))
        assert 0.72 < (np.hypot(x, y) > 900).mean() < 0.92
    x, y = xy(g, searches(w, one(w, "islands-wide aggregator")))
    assert (np.hypot(x, y) < 6).mean() > 0.3
    assert (np.hypot(x - g.near.x, y - g.near.y) < 6).mean() > 0.03


# -- the scrapers -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_user_shadowed_lattice(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    bap = one(w, "user-shadowed lattice")
    sweep = scraping(w, bap)
    assert 0.05 <= share(w, bap) <= 0.3
    mine = np.array([e.at for e in own(w, bap)])
    for e in sweep:  # seconds after one of the app's own searches, near it
        assert ((mine <= e.at - 3) & (mine >= e.at - 25 - 120)).any()
    step = float(w.baps[bap].style.split("km of a ")[1].split(" km")[0])
    lx, ly = isles.capital_lattice(g, step, 0.1)
    lattice = nodes(g, lx, ly)
    got = rounded(spots(sweep))
    if seed % 2:
        assert got <= lattice
        assert len(got) > len(lattice) / 3
    else:
        assert not got & lattice
        x, y = xy(g, sweep)
        d = np.hypot(x[:, None] - lx[None, :], y[:, None] - ly[None, :]).min(axis=1)
        assert d.max() <= 0.091
    assert len({e.radius_km for e in sweep}) == 1


@pytest.mark.parametrize("seed", SEEDS)
def test_coastline_crawl(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    bap = one(w, "coastline crawl")
    crawl = scraping(w, bap)
    assert 0.05 <= share(w, bap) <= 0.15
    step = float(w.baps[bap].style.split("every ")[1].split(" km")[0])
    x, y, which = isles.coast_points(g, step)
    assert set(which) == {0, 1, 2}
    pts = list(zip(*g.ll(x, y), strict=True))
    if seed % 2 == 0:  # exact, each the next point round the coast
        index = {(round(a, 7), round(b, 7)): k for k, (a, b) in enumerate(pts)}
        got = [index[(round(e.lat, 7), round(e.lon, 7))] for e in crawl]
        assert all(b == (a + 1) % len(pts) for a, b in itertools.pairwise(got))
    else:
        assert not rounded(spots(crawl)) & nodes(g, x, y)
    assert {e.radius_km for e in crawl} == {2.5}


@pytest.mark.parametrize("seed", SEEDS)
def test_storm_watch_poll_quickens_after_the_warning(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "storm-watch poll")
    poll = scraping(w, bap)
    assert 0.05 <= share(w, bap) <= 0.3
    runs = rounds(poll, 120)
    n = len(spots(poll))
    assert all(len(r) == n for r in runs)
    assert coords(c.of("berths", "busbays", "airport")) <= spots(poll)
    for a, b in itertools.pairwise(runs):
        gap = b[0].at - a[0].at
        if offset(a[0].at) / 3600 >= g.warning:
            assert 240 <= gap <= 540
        else:
            assert 2400 <= gap <= 4800


@pytest.mark.parametrize("seed", SEEDS)
def test_timetable_poll_rounds_at_the_sailings(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    bap = one(w, "timetable poll")
    poll = scraping(w, bap)
    assert 0.05 <= share(w, bap) <= 0.3
    starts = np.array([offset(e.at) / 3600 for e in poll])
    for dep, *_ in isles._ferry_routes(g):
        assert np.isclose(starts, dep - 0.25, atol=1e-6).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_levy_poller_gaps_are_heavy_tailed(seed: int) -> None:
    w = day(seed)
    bap = one(w, "Levy poller")
    mine = searches(w, bap)
    runs = rounds(mine, 60)
    gap = gaps([r[0].at for r in runs])
    assert gap.min() >= 90
    assert gap.max() <= 4500
    assert np.mean(gap) > 1.3 * np.median(gap)
    n = len(spots(mine))
    assert all(round(0.6 * n) <= len(r) <= n for r in runs)
    assert not funnels(w, bap)


@pytest.mark.parametrize("seed", SEEDS)
def test_tourist_trail_poller_follows_the_tourists(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "tourist-trail poller")
    mine = searches(w, bap)
    h = hours(mine)
    assert ((h >= 6) & (h < 22)).all()
    for (a, b), s in isles._trail(w, g, c):
        part = [e for e, x in zip(mine, h, strict=True) if a <= x < b]
        assert spots(part) == coords(s)
    assert len({e.user for e in mine}) == 1


@pytest.mark.parametrize("seed", SEEDS)
def test_shore_ring_and_sunflower_sweeps(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    bap = one(w, "shore-ring sweep")
    step = float(w.baps[bap].style.split("a ")[1].split(" km")[0])
    x, y = isles.shore_ring(g, step)
    lat, lon = g.ll(x, y)
    mine = searches(w, bap)
    k0 = int(np.argmin(np.abs(lat - mine[0].lat) + np.abs(lon - mine[0].lon)))
    for i, e in enumerate(mine):
        k = (k0 + i) % x.size
        assert (e.lat, e.lon) == (float(lat[k]), float(lon[k]))
    bap = one(w, "sunflower sweep")
    mine = searches(w, bap)
    n = len(spots(mine))
    assert n == int(w.baps[bap].style.split(": ")[1].split(" ")[0])
    assert all(e.lat == mine[i % n].lat and e.lon == mine[i % n].lon for i, e in enumerate(mine))
    px, py = xy(g, mine[:n])  # outward from the capital's centre, then from the island's
    r = np.hypot(px, py)
    cut = int(np.flatnonzero(np.diff(r) < -1e-9)[0]) + 1
    assert (np.diff(r[:cut]) > -1e-9).all()
    rb = np.hypot(px[cut:] - g.near.x, py[cut:] - g.near.y)
    assert (np.diff(rb) > -1e-9).all()
    assert (rb <= max(g.near.a, g.near.b) + 1e-6).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_booking_scraper_books_a_little_and_cancels(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    (bap,) = labelled(w, "booking_scraper")
    k = kinds(w, bap)
    assert 0.003 < k["confirm"] / k["search"] < 0.025
    conf = [f for f in funnels(w, bap) if f.kind.value == "confirm"]
    canc = {f.txn: f for f in funnels(w, bap) if f.kind.value == "cancel"}
    for f in conf:
        if f.at < w.end - 5400:
            assert 2400 <= canc[f.txn].at - f.at <= 5400
    assert not spots(searches(w, bap)) & coords(c.every())
    assert 2 <= len({e.user for e in searches(w, bap)}) <= 4


@pytest.mark.parametrize("seed", SEEDS)
def test_fake_tourists_and_the_gateway_hopper(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "fake tourists")
    mine = searches(w, bap)
    assert spots(mine) <= coords(c.every())
    per = Counter(e.user for e in mine)
    assert "" not in per
    assert len(per) >= 20
    assert max(per.values()) <= 6
    h = hours(mine)
    assert h.min() >= 8
    assert h.max() <= 19
    assert not funnels(w, bap)
    for bap in styled(w, "gateway hopper"):
        mine = searches(w, bap)
        gap = gaps([e.at for e in mine])
        assert gap.min() >= 360
        assert gap.max() <= 840
        vias = [e.via for e in mine]
        assert all(v == isles.GATEWAYS[i % 3] for i, v in enumerate(vias))
        assert spots(mine) <= coords(c.public())
