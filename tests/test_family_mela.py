"""The mela family (held out: these tests read its truth and events, never a score)."""

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
    trips,
)
from uei.antiabuse.scraping.events import Funnel, Search
from uei_testing.families import mela
from uei_testing.families.world import SCRAPER_CLASSES, World

F64 = npt.NDArray[np.float64]
SEEDS = (1, 2, 3, 4)
START = 1_802_284_200.0
"""An IST midnight (Thursday 11 February 2027)."""


@functools.cache
def day(seed: int) -> World:
    return mela.generate(seed, START, 24.0)


@functools.cache
def land(seed: int) -> tuple[mela.Mela, mela.Chargers, mela.Timetable]:
    g = mela.geography(seed)
    return g, mela.chargers(seed, g), mela.timetable(seed, g)


def xy(g: mela.Mela, events: list[Search]) -> tuple[F64, F64]:
    return g.xy(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def hours(events: list[Search] | list[Funnel]) -> F64:
    return np.array([((e.at - START) % 86_400) / 3600 for e in events])


def offset(t: float) -> float:
    return (t - START) % 86_400


def gaps(starts: list[float]) -> F64:
    return np.diff(np.array(starts))


def share(w: World, bap: str) -> float:
    return len(scraping(w, bap)) / len(searches(w, bap))


def km(g: mela.Mela, a: Search, b: Search) -> float:
    ax, ay = g.xy(a.lat, a.lon)
    bx, by = g.xy(b.lat, b.lon)
    return float(math.hypot(float(ax - bx), float(ay - by)))


def pt(g: mela.Mela, e: Search) -> tuple[float, float]:
    x, y = g.xy(e.lat, e.lon)
    return float(x), float(y)


def ll(g: mela.Mela, points: list[tuple[float, float]]) -> set[tuple[float, float]]:
    return {g.ll1(*p) for p in points}


def within(h: F64, span: tuple[float, float]) -> npt.NDArray[np.bool_]:
    return np.asarray(((h >= span[0]) & (h < span[1])) | ((h + 24 >= span[0]) & (h + 24 < span[1])))


# -- the day's size, its truth, its wiring ------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_day_sizes(seed: int) -> None:
    w = day(seed)
    _, c, _ = land(seed)
    assert w.family == "mela"
    assert 28 <= len(w.baps) <= 40
    assert 40_000 <= w.total() <= 80_000
    assert 60 <= c.total() <= 120
    owners = set(c.every().cpos)
    assert 6 <= len(owners) <= 8
    assert {mela.MELA_CPO, mela.TRANSIT_CPO} <= owners
    assert all(re.fullmatch(r"cpo-[a-z]+\.mela\.example", o) for o in owners)
    assert all(re.fullmatch(r"[a-z]+\d\d\.mela\.example", b) for b in w.baps)


def test_deterministic_and_seeds_differ() -> None:
    again = mela.generate(1, START, 24.0)
    first = day(1)
    assert (again.events, again.baps, again.scraping) == (first.events, first.baps, first.scraping)
    for a, b in itertools.combinations([day(s) for s in SEEDS], 2):
        assert a.events != b.events
        assert [t.style for t in a.baps.values()] != [t.style for t in b.baps.values()]


def test_places_move_with_the_seed() -> None:
    lands = [land(s)[0] for s in SEEDS]
    keys = {(g.lat, g.lon, g.oldcity.x, g.cantonment.x, g.lots[0], g.grid.angle) for g in lands}
    assert len(keys) == len(SEEDS)
    assert len({tuple(land(s)[1].groups["sectors"].lat.tolist()) for s in SEEDS}) == len(SEEDS)
    assert len({land(s)[2].vip for s in SEEDS}) == len(SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_label_the_brief_asks_for(seed: int) -> None:
    w = day(seed)
    count = Counter(t.label for t in w.baps.values())
    assert set(count) == {"honest", *SCRAPER_CLASSES}
    assert count["hidden_sweep"] == 2
    assert count["hidden_poll"] == 2
    assert count["sweeper"] == 4
    assert count["poller"] == 2
    assert count["booking_scraper"] == 1
    assert 1 <= count["low_and_slow"] <= 2
    for text in (
        "national aggregator, ~",
        "six-city aggregator",
        "official pilgrim app",
        "capital-city app",
        "fair police and ambulance fleet dispatch",
        "shuttle e-buses' telematics",
        "e-rickshaw shuttle drivers' app",
        "brand A in-car head units",
        "brand B in-car head units",
        "shuttle operator's depot manager",
        "power-cell console",
        "kalpvasis' app",
        "akharas' procession coordinators",
        "fair sanitation fleet",
    ):
        assert w.baps[one(w, text)].label == "honest", text
    city = styled(w, "old-city app, about")
    assert 1 <= len(city) <= 2
    assert all(w.baps[b].label == "honest" for b in city)
    tiny = styled(w, "tiny new app")
    assert 2 <= len(tiny) <= 3
    assert all(w.baps[b].label == "honest" and len(searches(w, b)) < 30 for b in tiny)
    assert 2 <= len(styled(w, "own app, booking its own chargers")) <= 3


def test_the_second_low_and_slow_on_some_seeds_only() -> None:
    have = [bool(styled(day(s), "slow Halton trickle")) for s in SEEDS]
    assert any(have)
    assert not all(have)


@pytest.mark.parametrize("seed", SEEDS)
def test_events_well_formed_and_wired(seed: int) -> None:
    w = day(seed)
    _, c, _ = land(seed)
    sites = set(c.every().ids)
    assert set(w.scraping) == {b for b, t in w.baps.items() if t.label != "honest"}
    two = 0
    refs = Counter[str]()
    for bap, truth in w.baps.items():
        mine = searches(w, bap)
        assert mine, truth
        vias = {e.via for e in mine}
        assert vias <= set(mela.GATEWAYS)
        two += len(vias) == 2
        for e in mine:
            assert w.start <= e.at < w.end
            assert 0 < e.radius_km <= 50
            if e.via == mela.GATEWAYS[0]:
                assert e.txn
            if e.via == mela.GATEWAYS[1]:
                assert not e.txn
        by: dict[tuple[str, str], list[Funnel]] = {}
        for f in funnels(w, bap):
            assert w.start <= f.at < w.end
            assert f.bpp_id.endswith(".mela.example")
            assert f.location_id in sites or f.location_id.startswith("ml-far-")
            if f.txn:  # one booking per transaction and site
                by.setdefault((f.txn, f.location_id), []).append(f)
        for got in by.values():
            steps = [f.kind.value for f in got]
            if got[-1].at < w.end - 600:
                assert steps in (["select"], ["select", "init", "confirm"]), (truth, steps)
        if truth.label.startswith("hidden"):
            assert not any(e.user for e in scraping(w, bap))
            assert own(w, bap)
        users = {e.user for e in mine}
        assert all(u.startswith(f"{bap}/u") for u in users - {""})
        refs["all" if "" not in users else "none" if users == {""} else "some"] += 1
    assert two >= 3
    assert min(refs.values()) >= 2
    assert set(refs) == {"all", "some", "none"}
    total = Counter[str]()
    for bap in labelled(w, "honest"):
        total += kinds(w, bap)
    assert 0.03 < total["confirm"] / total["search"] < 0.2


# -- the land -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_geography(seed: int) -> None:
    g, c, tt = land(seed)
    river = g.river
    assert river.wet(0.0, 0.0)[()]  # the confluence
    for arm, half in zip(river.arms, river.half, strict=True):
        assert 0.25 <= half <= 0.7
        x, y = arm.sample(0.5)
        assert river.wet(x, y).all()
    # the old city, the towns and the cantonment on dry land, each on its own bank
    assert g.bank_of((g.oldcity.x, g.oldcity.y)) == mela.W_BANK
    assert 3.5 <= math.hypot(g.oldcity.x, g.oldcity.y) <= 5.0
    assert [g.bank_of((t.x, t.y)) for t in g.towns] == [mela.NE_BANK, mela.SE_BANK]
    cant = g.cantonment
    assert g.bank_of((cant.x, cant.y)) == mela.W_BANK
    assert 8.0 <= math.hypot(cant.x, cant.y) <= 11.0
    cx, cy = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-2, 2, 41))
    inside = cant.inside(cant.x + cx.ravel(), cant.y + cy.ravel())
    assert not river.wet(cant.x + cx.ravel()[inside], cant.y + cy.ravel()[inside]).any()
    assert 13.0 <= math.hypot(*g.airport) <= 18.0
    # the sectors: 25-55 sandbank cells within the fair's reach, numbered row by row
    assert 25 <= len(g.grid.cells) <= 55
    assert g.grid.cells == tuple(sorted(g.grid.cells, key=lambda ij: (ij[1], ij[0])))
    for k in range(len(g.grid.cells)):
        px, py = g.grid.centre(k)
        assert math.hypot(px, py) <= g.fair_r
        assert 0.25 < float(river.gap(px, py)[0]) < 2.6
        assert g.grid.sector_of(px, py) == k
    banks = Counter(g.bank_of(p) for p in g.grid.centres())
    assert min(banks[b] for b in range(3)) >= 3
    # the ghats on the banks, the main one on the sangam nose
    assert 5 <= len(g.ghats) <= 8
    assert all(0.0 < float(river.gap(*p)[0]) < 0.2 for p in g.ghats)
    assert g.bank_of(g.ghats[0]) == mela.W_BANK
    assert math.hypot(*g.ghats[0]) < 1.5
    # the lots at the fair's edges, two on the west bank, each with a dry route to a ghat
    assert 4 <= len(g.lots) <= 6
    lb = g.lot_banks()
    assert lb.count(mela.W_BANK) == 2
    assert 1 <= lb.count(mela.NE_BANK) <= 2
    assert 1 <= lb.count(mela.SE_BANK) <= 2
    for p, route, k in zip(g.lots, g.routes, g.route_ghat, strict=True):
        assert g.fair_r + 0.3 <= math.hypot(*p) <= g.fair_r + 1.5
        assert route.spot(0.0) == p
        assert route.spot(route.length()) == g.ghats[k]
        assert g.bank_of(g.ghats[k]) == g.bank_of(p)
        assert g.dry(*route.sample(0.05)).all()
    # the pontoons: the only ways across, each from one bank to the other over its arm
    assert 3 <= len(g.pontoons) <= 7
    sides = {0: (mela.W_BANK, mela.NE_BANK), 1: (mela.W_BANK, mela.SE_BANK),
             2: (mela.NE_BANK, mela.SE_BANK)}  # fmt: skip
    for k, a, b in g.pontoons:
        assert (g.bank_of(a), g.bank_of(b)) == sides[k]
        assert not river.wet(*a)[()]
        assert not river.wet(*b)[()]
        assert math.dist(a, b) <= 2 * river.half[k] + 0.2
    for kind, line in g.roads:
        x, y = line.sample(0.05)
        if kind == "crossing":  # dry but on its pontoon, between its middle two points
            d = np.arange(0.0, line.length() + 1e-9, 0.05)
            on = (d > line.s[1] + 1e-6) & (d < line.s[2] - 1e-6)
            assert g.dry(x[~on], y[~on], 0.0).all()
            assert river.wet(x[on], y[on]).any()
        elif kind == "expressway":
            assert g.dry(x, y, 0.3).all()
        else:
            assert g.dry(x, y, 0.0).all(), kind
    assert 130 <= math.hypot(g.capital.x, g.capital.y) <= 175
    assert np.all(np.diff(g.plazas) >= 25)
    assert np.all(np.diff(g.plazas) <= 40)
    assert 4 <= len(g.far) <= 6
    assert all(200 <= math.hypot(f[0], f[1]) <= 700 for f in g.far)
    # the chargers: all on dry land; the sectors' the fair authority's, the bays the shuttles'
    sx, sy = g.xy(c.every().lat, c.every().lon)
    assert g.dry(sx, sy).all()
    assert set(c.groups["sectors"].cpos) == {mela.MELA_CPO}
    assert set(c.groups["bays"].cpos) == {mela.TRANSIT_CPO}
    assert not {mela.MELA_CPO, mela.TRANSIT_CPO} & set(c.public().cpos)
    ex, ey = g.xy(c.groups["sectors"].lat, c.groups["sectors"].lon)
    assert [g.grid.sector_of(float(a), float(b)) for a, b in zip(ex, ey, strict=True)] == list(
        c.sector
    )
    assert list(c.sector) == sorted(c.sector)
    # the day: the VIP closure in the late morning over the pontoon nearest the main ghat
    assert 10.0 <= tt.vip[0] <= 12.0
    assert 2.5 <= tt.vip[1] - tt.vip[0] <= 4.0
    assert 14 <= len(tt.trains) <= 34
    assert all(20 / 60 - 1e-9 <= d <= 45 / 60 + 1e-9 for d in np.diff(tt.trains))


@pytest.mark.parametrize("seed", SEEDS)
def test_nobody_searches_on_the_river_or_in_the_cantonment(seed: int) -> None:
    w = day(seed)
    g, _, _ = land(seed)
    for bap in w.baps:
        x, y = xy(g, searches(w, bap))
        near = np.hypot(x, y) < 40  # the arms end 30 km out
        assert not g.river.wet(x[near], y[near]).any(), w.baps[bap].style
        assert not g.cantonment.inside(x, y).any(), w.baps[bap].style


# -- the day's rhythm ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_pilgrims_crowd_before_the_dawn_bath(seed: int) -> None:
    w = day(seed)
    g, _, _ = land(seed)
    mine = searches(w, one(w, "official pilgrim app"))
    h = hours(mine)
    dawn = within(h, (3.0, 7.0))
    afternoon = within(h, (12.0, 16.0))
    assert dawn.sum() > 3.5 * afternoon.sum()
    x, y = xy(g, mine)
    assert np.mean(np.hypot(x, y) < g.fair_r + 2) > 0.8
    h = hours([e for b in styled(w, "old-city app, about") for e in searches(w, b)])
    assert within(h, (18.0, 21.0)).sum() > 3 * within(h, (1.0, 4.0)).sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_head_units_keep_off_the_pontoons_in_the_ban_and_queue_at_the_vip_barricade(
    seed: int,
) -> None:
    w = day(seed)
    g, _, tt = land(seed)
    a, b = one(w, "brand A in-car head units"), one(w, "brand B in-car head units")
    assert all(e.txn for e in searches(w, a))
    assert not any(e.txn for e in searches(w, b))
    crossings = [line for kind, line in g.roads if kind == "crossing"]
    others = [line for kind, line in g.roads if kind != "crossing"]
    for bap in (a, b):
        mine = searches(w, bap)
        x, y = xy(g, mine)
        road = np.min([line.gap(x, y) for _, line in g.roads], axis=0)
        assert road.max() < 1e-6  # every refresh on a road
        off = np.min([line.gap(x, y) for line in others], axis=0) > 0.3
        h = hours(mine)
        assert off.any()
        assert not (off & within(h, (0.0, mela.BAN[1] - 0.05))).any()
    # a trip starting on the closed crossing in the closure waits at its barricade
    vip = crossings[tt.vip_pontoon]
    bars = {g.ll1(*vip.spot(float(vip.s[1]))), g.ll1(*vip.spot(float(vip.s[2])))}
    queued = 0
    for t in trips(searches(w, a)):
        at = [e for e in t if (e.lat, e.lon) in bars]
        if len(at) >= 2:
            queued += 1
            assert all(within(hours(at), tt.vip).tolist())
    assert queued >= 1
    booked = {f.txn for f in funnels(w, a) if f.kind.value == "select"}
    assert 0.03 < len(booked) / len(trips(searches(w, a))) < 0.13


# -- the clockwork that converts ----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_emergency_dispatch_on_the_ten_minute_clock_books_when_low(seed: int) -> None:
    w = day(seed)
    g, c, tt = land(seed)
    bap = one(w, "fair police and ambulance fleet dispatch")
    mine = searches(w, bap)
    assert all(offset(e.at) % 600 < 60 for e in mine)
    assert all(e.user for e in mine)
    k = kinds(w, bap)
    assert 0.1 < k["confirm"] / k["search"] < 0.35
    assert {f.location_id for f in funnels(w, bap)} <= set(c.of("sectors", "lots", "city").ids)
    # each low spell: 2 km searches, then 4 km, then a booking
    for user in {e.user for e in mine}:
        theirs = [e for e in mine if e.user == user]
        for spell in trips(theirs):
            radii = [e.radius_km for e in spell]
            assert radii == sorted(radii)
            assert set(radii) <= {2.0, 4.0}
    _, bx, _ = g.pontoons[tt.vip_pontoon]
    at_bar = [e for e in mine if (e.lat, e.lon) == g.ll1(*bx)]
    assert all(within(hours(at_bar), tt.vip).tolist())


@pytest.mark.parametrize("seed", SEEDS)
def test_shuttles_loop_their_stops_and_book_their_bays(seed: int) -> None:
    w = day(seed)
    g, c, tt = land(seed)
    bap = one(w, "shuttle e-buses' telematics")
    mine = searches(w, bap)
    assert all(e.txn for e in mine)
    x, y = xy(g, mine)
    assert np.min([r.gap(x, y) for r in g.routes], axis=0).max() < 1e-6
    loops = trips(mine)
    every = int(w.baps[bap].style.split("bay every ")[1].split(" ")[0])
    for loop in loops[:-1]:
        if loop[0].at < w.start + 3 * 3600 or loop[-1].at > w.end - 2 * 3600:
            continue
        first, last = g.xy(loop[0].lat, loop[0].lon), g.xy(loop[-1].lat, loop[-1].lon)
        lot = min(g.lots, key=lambda p: math.dist(p, (float(first[0]), float(first[1]))))
        assert math.dist(lot, (float(first[0]), float(first[1]))) < 1e-6  # from the lot
        assert math.dist(lot, (float(last[0]), float(last[1]))) < 1e-6  # and back
    # the same stops every loop: a few dozen spots for thousands of searches
    assert len(spots(mine)) < len(mine) / 20
    sel = [f for f in funnels(w, bap) if f.kind.value == "select"]
    assert {f.location_id for f in sel} <= set(c.groups["bays"].ids)
    assert 0.6 / every < len(sel) / len(loops) < 1.3 / every
    # the main ghat's route is shut in the VIP closure
    main = [r for r, k in zip(g.routes, g.route_ghat, strict=True) if k == 0]
    if main:
        gx, gy = g.ll1(*g.ghats[0])
        at = hours([e for e in mine if (e.lat, e.lon) == (gx, gy)])
        inside = within(at, (tt.vip[0] + 1.0, tt.vip[1]))
        assert not inside.any()


@pytest.mark.parametrize("seed", SEEDS)
def test_depot_manager_on_the_clock_books_in_the_rush(seed: int) -> None:
    w = day(seed)
    g, c, _ = land(seed)
    bap = one(w, "shuttle operator's depot manager")
    mine = searches(w, bap)
    assert spots(mine) == ll(g, list(g.lots))
    runs = rounds(mine, 30)
    assert all(len(r) == len(g.lots) for r in runs)
    for r in runs:
        h = offset(r[0].at) / 3600
        assert offset(r[0].at) % (300 if 1.0 <= h < 9.0 else 600) == 0
    assert len(runs) == 8 * 12 + 16 * 6
    sel = [f for f in funnels(w, bap) if f.kind.value == "select"]
    assert {f.location_id for f in sel} <= set(c.groups["bays"].ids)
    rush = within(hours(sel), (1.0, 9.05))
    assert rush.sum() > 2 * (~rush).sum()
    k = kinds(w, bap)
    assert k["confirm"] > 15


@pytest.mark.parametrize("seed", SEEDS)
def test_power_cell_console_watches_its_own_sectors_in_order(seed: int) -> None:
    w = day(seed)
    _, c, _ = land(seed)
    bap = one(w, "power-cell console")
    mine = searches(w, bap)
    s = c.groups["sectors"]
    assert spots(mine) == coords(s)
    order = list(zip(s.lat.tolist(), s.lon.tolist(), strict=True))
    runs = rounds(mine, 60)
    for r in runs:
        assert [(e.lat, e.lon) for e in r] == order
        h = offset(r[0].at) / 3600
        assert offset(r[0].at) % (300 if mela.BATH[0] <= h < mela.BATH[1] else 1200) == 0
    assert len(runs) == 6 * 12 + 18 * 3
    k = kinds(w, bap)
    assert 1 / 400 < k["confirm"] / k["search"] < 1 / 60
    assert {f.bpp_id for f in funnels(w, bap)} == {mela.MELA_CPO}


@pytest.mark.parametrize("seed", SEEDS)
def test_kalpvasis_search_from_their_tents(seed: int) -> None:
    w = day(seed)
    bap = one(w, "kalpvasis' app")
    mine = searches(w, bap)
    by: dict[str, set[tuple[float, float]]] = {}
    for e in mine:
        if e.user:
            by.setdefault(e.user, set()).add((e.lat, e.lon))
    assert by
    assert all(len(s) == 1 for s in by.values())  # one tent each
    dawn = within(hours(mine), (2.5, 5.0))
    assert dawn.mean() > 0.5
    k = kinds(w, bap)
    assert 0.05 < k["confirm"] / k["search"] < 0.25


@pytest.mark.parametrize("seed", SEEDS)
def test_akharas_stage_at_their_camps_before_their_slots(seed: int) -> None:
    w = day(seed)
    g, c, _ = land(seed)
    bap = one(w, "akharas' procession coordinators")
    mine = searches(w, bap)
    camps = ll(g, g.grid.centres())
    main = g.ll1(*g.ghats[0])
    assert spots(mine) <= camps | {main}
    h = hours([e for e in mine if (e.lat, e.lon) != main and e.radius_km == 1.0])
    assert h.min() >= 2.7
    assert h.max() < 14.0
    per = Counter((e.lat, e.lon) for e in mine if e.radius_km == 1.0)
    assert all(4 <= n <= 8 for n in per.values())
    assert all(e.user for e in mine)
    k = kinds(w, bap)
    assert k["confirm"] >= 2
    assert {f.location_id for f in funnels(w, bap)} <= set(c.groups["sectors"].ids)


@pytest.mark.parametrize("seed", SEEDS)
def test_sanitation_fleet_visits_sectors_in_number_order(seed: int) -> None:
    w = day(seed)
    g, _, _ = land(seed)
    bap = one(w, "fair sanitation fleet")
    mine = searches(w, bap)
    centre = {g.ll1(*p): k for k, p in enumerate(g.grid.centres())}
    assert spots(mine) <= set(centre)
    for shift in trips(mine):
        nums = [centre[(e.lat, e.lon)] for e in shift]
        assert nums == list(range(nums[0], nums[0] + len(nums)))
    sel = [f for f in funnels(w, bap) if f.kind.value == "select"]
    booked = {f.txn for f in sel}
    done = [t for t in trips(mine) if t[-1].at < w.end - 3600]
    assert len(done) >= 6
    assert all(t[0].txn in booked for t in done)  # a booking at the end of every shift
    assert {f.bpp_id for f in sel} == {mela.MELA_CPO}


@pytest.mark.parametrize("seed", SEEDS)
def test_rickshaws_search_their_routes_and_book_a_third(seed: int) -> None:
    w = day(seed)
    g, _, _ = land(seed)
    bap = one(w, "e-rickshaw shuttle drivers' app")
    mine = searches(w, bap)
    x, y = xy(g, mine)
    assert np.min([r.gap(x, y) for r in g.routes], axis=0).max() < 1e-6
    assert all(e.user for e in mine)
    sessions = sum(e.radius_km == 1.5 for e in mine)  # each begins at 1.5 km
    assert all(e.radius_km in (1.5, 3.0) for e in mine)
    k = kinds(w, bap)
    assert 0.15 < k["confirm"] / sessions < 0.45


@pytest.mark.parametrize("seed", SEEDS)
def test_cpo_apps_book_their_own_chargers(seed: int) -> None:
    w = day(seed)
    for bap in styled(w, "own app, booking its own chargers"):
        cpo = w.baps[bap].style.split("'s own app")[0]
        k = kinds(w, bap)
        assert k["confirm"] > 5
        assert {f.bpp_id for f in funnels(w, bap)} == {cpo}


@pytest.mark.parametrize("seed", SEEDS)
def test_aggregators_national_and_six_city(seed: int) -> None:
    w = day(seed)
    g, _, _ = land(seed)
    x, y = xy(g, searches(w, one(w, "national aggregator, ~")))
    assert 0.7 < np.mean(np.hypot(x, y) > 190) < 0.9
    x, y = xy(g, searches(w, one(w, "six-city aggregator")))
    centres = [(0.0, 0.0), (g.capital.x, g.capital.y), *[(f[0], f[1]) for f in g.far[:4]]]
    near = np.array([np.hypot(x - a, y - b) < 30 for a, b in centres])
    assert near.any(axis=0).all()
    assert (near.mean(axis=1) > 0.05).all()


# -- the scrapers -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_corner_sweep_hides_in_the_crowd(seed: int) -> None:
    w = day(seed)
    g, _, _ = land(seed)
    bap = one(w, "crowd-cover corner sweep")
    sweep = scraping(w, bap)
    assert 0.1 <= share(w, bap) <= 0.22
    h = hours(sweep)
    assert (within(h, mela.BATH) | within(h, (mela.AARTI[0], mela.AARTI[1] + 0.3))).all()
    pts = mela.corner_points(g)
    runs = rounds(sweep, 60)
    assert all(len(r) == len(pts) for r in runs if r[-1].at < w.end - 900)
    corners = ll(g, pts)
    if seed % 2:
        for r in runs:
            assert [(e.lat, e.lon) for e in r] == [g.ll1(*p) for p in pts][: len(r)]
    else:
        assert not spots(sweep) & corners
        for r in runs:
            d = [math.dist(pt(g, e), p) for e, p in zip(r, pts, strict=False)]
            assert min(d) >= 0.014
            assert max(d) <= 0.051
    assert len({e.radius_km for e in sweep}) == 1
    # the host's own traffic peaks when the sweep runs
    mine = hours(own(w, bap))
    assert within(mine, mela.BATH).mean() > 0.35


@pytest.mark.parametrize("seed", SEEDS)
def test_radius_ladder_widens_like_a_person(seed: int) -> None:
    w = day(seed)
    g, _, _ = land(seed)
    bap = one(w, "radius ladder")
    ladder = scraping(w, bap)
    assert 0.08 <= share(w, bap) <= 0.15
    anchors = ll(g, mela.ladder_anchors(g))
    assert spots(ladder) <= anchors
    sessions: list[list[Search]] = []
    for e in ladder:  # each session starts again at 1 km
        if e.radius_km == 1.0:
            sessions.append([])
        sessions[-1].append(e)
    assert len(sessions) > 50
    for s in sessions:
        assert len(spots(s)) == 1
        assert [e.radius_km for e in s] == [float(r) for r in range(1, len(s) + 1)]
        assert all(8 <= b.at - a.at <= 40 for a, b in itertools.pairwise(s))
        if s[-1].at < w.end - 300:
            assert 3 <= len(s) <= 5
    # every anchor once a pass before any twice
    first = [(e.lat, e.lon) for e in ladder if e.radius_km == 1.0]
    n = len(anchors)
    assert len(set(first[:n])) == min(n, len(first))


@pytest.mark.parametrize("seed", SEEDS)
def test_pair_midpoint_poll(seed: int) -> None:
    w = day(seed)
    g, c, _ = land(seed)
    bap = one(w, "pair-midpoint poll")
    poll = scraping(w, bap)
    assert 0.06 <= share(w, bap) <= 0.15
    every = c.every()
    ex, ey = g.xy(every.lat, every.lon)
    runs = rounds(poll, 120)
    n = len(runs[0])
    assert all(len(r) == n for r in runs if r[-1].at < w.end - 300)
    assert len(spots(poll)) == n
    assert not spots(poll) & coords(every)
    for e in poll:  # midway between two chargers, reaching both with 200-250 m to spare
        x, y = g.xy(e.lat, e.lon)
        d = np.sort(np.hypot(ex - x, ey - y))
        twin = d[np.flatnonzero(np.diff(d) < 1e-6)]
        assert ((twin + 0.2 <= e.radius_km + 1e-6) & (e.radius_km <= twin + 0.251)).any()
    gap = gaps([r[0].at for r in runs])
    assert gap.min() >= 300
    assert gap.max() <= 3000 + 120
    assert not any(e.user for e in poll)


@pytest.mark.parametrize("seed", SEEDS)
def test_train_echo_poll_follows_the_special_trains(seed: int) -> None:
    w = day(seed)
    g, c, tt = land(seed)
    bap = one(w, "train-echo poll")
    poll = scraping(w, bap)
    assert 0.05 <= share(w, bap) <= 0.3
    trains = np.array(mela.train_times(w, tt))
    for r in rounds(poll, 60):
        lag = r[0].at - trains[trains <= r[0].at].max()
        assert 100 <= lag <= 160 or 400 <= lag <= 480
    assert spots(poll) >= coords(c.groups["station"])
    # the app's own drivers swarm the rank after each train too
    rank = g.ll1(*g.station)
    at = np.array([e.at for e in own(w, bap) if (e.lat, e.lon) == rank])
    after = np.zeros(at.size, dtype=np.bool_)
    for t in trains:
        after |= (at >= t) & (at < t + 1500)
    night = within(hours([e for e in own(w, bap) if (e.lat, e.lon) == rank]), (20.0, 31.0))
    assert after.sum() > (night & ~after).sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_sliding_window_poller(seed: int) -> None:
    w = day(seed)
    _, c, _ = land(seed)
    bap = one(w, "sliding-window poller")
    mine = searches(w, bap)
    style = w.baps[bap].style
    n = int(style.split("a ring of ")[1].split(" ")[0])
    size = int(style.split("the next ")[1].split(" ")[0])
    step = int(style.split("advancing ")[1].split(")")[0])
    assert len(spots(mine)) == n
    assert spots(mine) <= coords(c.fair())
    runs = rounds(mine, 30)
    ring: list[tuple[float, float]] = [(e.lat, e.lon) for e in runs[0]]
    assert all(len(r) == size for r in runs if r[-1].at < w.end - 60)
    for a, b in itertools.pairwise(runs[:20]):  # each window starts ``step`` on
        assert [(e.lat, e.lon) for e in b][: size - step] == [(e.lat, e.lon) for e in a][step:]
    gap = gaps([r[0].at for r in runs])
    assert gap.min() >= 180
    assert gap.max() <= 720
    assert len(np.unique(np.round(gap))) > len(gap) * 0.9  # never the same twice
    assert ring
    assert not funnels(w, bap)


@pytest.mark.parametrize("seed", SEEDS)
def test_crowd_echo_poller_quickens_with_the_crowd(seed: int) -> None:
    w = day(seed)
    _, c, _ = land(seed)
    bap = one(w, "crowd-echo poller")
    mine = searches(w, bap)
    assert spots(mine) <= coords(c.of("sectors", "lots"))
    runs = rounds(mine, 40)
    starts = [r[0].at for r in runs]
    gap = gaps(starts)
    h = hours([r[0] for r in runs])[:-1]
    dawn, lull = gap[within(h, (3.5, 6.0))], gap[within(h, (12.5, 15.0))]
    assert np.median(dawn) < 300
    assert np.median(lull) > 1200
    assert len({e.user for e in mine}) == 1
    assert all(e.user for e in mine)


@pytest.mark.parametrize("seed", SEEDS)
def test_lattice_random_walk(seed: int) -> None:
    w = day(seed)
    g, _, _ = land(seed)
    bap = one(w, "lattice random walk")
    mine = searches(w, bap)
    step = float(w.baps[bap].style.split("exact ")[1].split(" km")[0])
    nodes = mela.walk_lattice(g, step)
    assert spots(mine) <= ll(g, list(nodes.values()))
    hops = [km(g, a, b) for a, b in itertools.pairwise(mine)]
    neighbour = np.isclose(hops, step, atol=1e-6)
    assert neighbour.mean() > 0.9
    assert len(spots(mine)) > len(nodes) / 2
    assert not any(e.user for e in mine)


@pytest.mark.parametrize("seed", SEEDS)
def test_bank_split_keys_sweep_their_own_banks_at_once(seed: int) -> None:
    w = day(seed)
    g, _, _ = land(seed)
    keys = styled(w, "bank split key")
    assert len(keys) == 3
    step = float(w.baps[keys[0]].style.split("exact ")[1].split(" km")[0])
    starts = []
    for bank, bap in enumerate(keys):
        mine = searches(w, bap)
        pts = mela.bank_lattice(g, step, bank)
        assert [(e.lat, e.lon) for e in mine] == [
            g.ll1(*pts[k % len(pts)]) for k in range(len(mine))
        ]
        assert {g.bank_of(pt(g, e)) for e in mine} == {bank}
        starts.append([e.at for k, e in enumerate(mine) if k % len(pts) == 0])
    first = [s[1] - s[0] for s in starts]
    assert max(first) / min(first) < 1.35  # the three rounds about as long


@pytest.mark.parametrize("seed", SEEDS)
def test_halton_booker_books_about_one_percent(seed: int) -> None:
    w = day(seed)
    g, c, _ = land(seed)
    (bap,) = labelled(w, "booking_scraper")
    mine = searches(w, bap)
    k = kinds(w, bap)
    assert 0.005 < k["confirm"] / k["search"] < 0.02
    assert k["select"] > k["confirm"]
    assert k["cancel"] == 0
    places = (g.oldcity, *g.towns)
    pts = [p for place, m in zip(places, (48, 20, 20), strict=True)
           for p in mela.halton_points(g, place, m)]  # fmt: skip
    assert spots(mine) == ll(g, pts)
    assert not spots(mine) & coords(c.every())
    users = {e.user for e in mine}
    assert "" not in users
    assert 6 <= len(users) <= 10
    assert {f.location_id for f in funnels(w, bap)} <= set(c.of("city", "banks", "lots").ids)


@pytest.mark.parametrize("seed", SEEDS)
def test_crowd_mimic_is_low_and_slow(seed: int) -> None:
    w = day(seed)
    g, c, _ = land(seed)
    bap = one(w, "crowd mimic")
    mine = searches(w, bap)
    assert 24 <= len(mine) <= 5 * 24 * 1.5
    every = c.every()
    ex, ey = g.xy(every.lat, every.lon)
    for e in mine:
        x, y = g.xy(e.lat, e.lon)
        assert 0.019 <= np.hypot(ex - x, ey - y).min() <= 0.061
    per = Counter(e.user for e in mine)
    assert "" not in per
    assert max(per.values()) <= 2
    assert len(per) > len(mine) / 2
    h = hours(mine)
    assert within(h, (2.0, 8.0)).sum() > within(h, (10.0, 16.0)).sum()
    assert not funnels(w, bap)


def test_slow_halton_trickle_over_the_capital() -> None:
    for seed in SEEDS:
        w = day(seed)
        g, _, _ = land(seed)
        for bap in styled(w, "slow Halton trickle"):
            mine = searches(w, bap)
            gap = gaps([e.at for e in mine])
            assert gap.min() >= 540
            assert gap.max() <= 1200
            assert not any(e.user for e in mine)
            assert {e.via for e in mine} <= set(mela.GATEWAYS[1:])
            x, y = xy(g, mine)
            assert (np.hypot(x - g.capital.x, y - g.capital.y) <= g.capital.r).all()
