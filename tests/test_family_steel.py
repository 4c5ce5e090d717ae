"""The steel family (held out: these tests read its truth and events, never a score)."""

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
from uei_testing.families import FAMILIES, steel
from uei_testing.families.world import SCRAPER_CLASSES, World

F64 = npt.NDArray[np.float64]
SEEDS = (1, 2, 3, 4)
START = 1_802_284_200.0
"""IST midnight starting Thursday 11 February 2027."""


@functools.cache
def day(seed: int) -> World:
    return steel.generate(seed, START, 24.0)


@functools.cache
def land(seed: int) -> tuple[steel.Steel, steel.Chargers]:
    g = steel.geography(seed)
    return g, steel.chargers(seed, g)


def xy(g: steel.Steel, events: list[Search]) -> tuple[F64, F64]:
    return g.xy(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def hours(events: list[Search] | list[Funnel]) -> F64:
    return np.array([((e.at - START) % 86_400) / 3600 for e in events])


def gaps(starts: list[float]) -> F64:
    return np.diff(np.array(starts))


def crowded(h: F64) -> npt.NDArray[np.bool_]:
    d = np.stack([((h - s + 12) % 24) - 12 for s in steel.SHIFTS])
    return np.asarray(((d >= steel.CROWD[0]) & (d <= steel.CROWD[1])).any(axis=0))


def share(w: World, bap: str) -> float:
    return len(scraping(w, bap)) / len(searches(w, bap))


def km(g: steel.Steel, a: Search, b: Search) -> float:
    ax, ay = g.xy(a.lat, a.lon)
    bx, by = g.xy(b.lat, b.lon)
    return float(math.hypot(float(ax - bx), float(ay - by)))


# -- the day's size, its truth, its wiring ------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_day_sizes(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    assert w.family == "steel"
    assert 25 <= len(w.baps) <= 40
    assert 55_000 <= w.total() <= 75_000
    assert 70 <= c.total() <= 120
    owners = set(c.every().cpos)
    assert 6 <= len(owners) <= 8
    assert {steel.PLANT_CPO, steel.COAL_CPO} <= owners
    assert all(re.fullmatch(r"cpo-[a-z]+\.steel\.example", o) for o in owners)
    assert all(re.fullmatch(r"[a-z]+\d\d\.steel\.example", b) for b in w.baps)


def test_registered_deterministic_and_seeds_differ() -> None:
    assert FAMILIES["steel"] is steel.generate
    again = steel.generate(1, START, 24.0)
    first = day(1)
    assert (again.events, again.baps, again.scraping) == (first.events, first.baps, first.scraping)
    for a, b in itertools.combinations([day(s) for s in SEEDS], 2):
        assert a.events != b.events
        assert [t.style for t in a.baps.values()] != [t.style for t in b.baps.values()]


def test_places_move_with_the_seed() -> None:
    lands = [land(s)[0] for s in SEEDS]
    keys = {(g.lat, g.lon, g.plant.x, g.washery, g.mines[0], g.coaltown.x) for g in lands}
    assert len(keys) == len(SEEDS)
    assert len({tuple(land(s)[1].groups["city"].lat.tolist()) for s in SEEDS}) == len(SEEDS)


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
        "belt-wide aggregator",
        "coal-town app",
        "energy-management console",
        "shift-bus depot console",
        "coalfield haul dispatch",
        "township residents' app",
        "gate e-rickshaw app",
        "shift workers' carpool app",
        "brand A in-car head units",
        "brand B in-car head units",
        "electric tippers' telematics",
        "field technicians' app",
    ):
        assert w.baps[one(w, text)].label == "honest", text
    assert 2 <= len(styled(w, "steel-city app, about")) <= 3
    assert all(w.baps[b].label == "honest" for b in styled(w, "steel-city app, about"))
    tiny = styled(w, "tiny new app")
    assert 2 <= len(tiny) <= 3
    assert all(w.baps[b].label == "honest" and len(searches(w, b)) < 30 for b in tiny)
    assert len(styled(w, "own app, booking its own chargers")) == 3


def test_the_second_low_and_slow_on_some_seeds_only() -> None:
    have = [bool(styled(day(s), "slow belt sweep")) for s in SEEDS]
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
        assert vias <= set(steel.GATEWAYS)
        two += len(vias) == 2
        for e in mine:
            assert w.start <= e.at < w.end
            assert 0 < e.radius_km <= 50
            if e.via == steel.GATEWAYS[0]:
                assert e.txn
            if e.via == steel.GATEWAYS[1]:
                assert not e.txn
        by: dict[tuple[str, str], list[Funnel]] = {}
        for f in funnels(w, bap):
            assert w.start <= f.at < w.end
            assert f.bpp_id.endswith(".steel.example")
            assert f.location_id in sites or f.location_id.startswith("st-far-")
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
    g, c = land(seed)
    p = g.plant
    assert 4.0 <= g.city.r <= 6.0
    assert 5.5 <= math.hypot(p.x, p.y) <= 7.5
    assert 2.2 <= p.a <= 3.0
    assert 1.2 <= p.b <= 1.8
    assert 2.5 <= math.hypot(g.township.x, g.township.y) <= 3.5
    assert 3 <= len(g.gates) <= 4
    for x, y in g.gates:  # on the rim, facing the city, its spoke clear of the works
        assert not p.inside(x, y)[()]
        assert p.inside(x, y, 0.2)[()]
        s = np.linspace(0, 1, 400)
        assert not p.inside(x * s, y * s).any()
        assert math.hypot(x, y) < math.hypot(p.x, p.y)
    for a, b in itertools.combinations(g.gates, 2):
        assert math.dist(a, b) >= 1.2
    assert 0.4 <= math.dist(g.depot, g.gates[0]) <= 0.71
    assert 4 <= len(g.mines) <= 6
    for m, col in zip(g.mines, g.colonies, strict=True):
        assert 14.0 <= math.hypot(*m) <= 35.0
        assert 1.5 <= math.dist(m, (col.x, col.y)) <= 3.0
        assert float(g.highway.gap(*m)[0]) > 6.0
    for a, b in itertools.combinations(g.mines, 2):
        assert math.dist(a, b) >= 5.0
    assert 9.0 <= math.hypot(*g.washery) <= 13.0
    assert 1.5 <= float(g.highway.gap(0.0, 0.0)[0]) <= 5.5
    assert 1.0 <= float(g.highway.gap(g.coaltown.x, g.coaltown.y)[0]) <= 2.1
    assert 1.0 <= float(g.highway.gap(g.hq.x, g.hq.y)[0]) <= 2.1
    assert 25 <= math.hypot(g.coaltown.x, g.coaltown.y) <= 45
    assert 38 <= math.hypot(g.hq.x, g.hq.y) <= 65
    assert np.all(np.diff(g.plazas) >= 10)
    assert np.all(np.diff(g.plazas) <= 20)
    assert 4 <= len(g.far) <= 6
    assert all(150 <= math.hypot(f[0], f[1]) <= 600 for f in g.far)
    for kind, line in g.roads:  # no road runs through the works
        rx, ry = line.sample(0.1)
        assert not p.inside(rx, ry).any(), kind
    # the chargers: the works' at its gates and depot only, the mines' at the pit-heads
    cx, cy = g.xy(c.every().lat, c.every().lon)
    assert not p.inside(cx, cy).any()
    assert set(c.of("gates", "depot").cpos) == {steel.PLANT_CPO}
    assert set(c.of("pits", "washery").cpos) == {steel.COAL_CPO}
    assert not {steel.PLANT_CPO, steel.COAL_CPO} & set(c.public().cpos)
    px, py = g.xy(c.groups["pits"].lat, c.groups["pits"].lon)
    assert all(
        min(math.dist((a, b), m) for m in g.mines) < 0.3 for a, b in zip(px, py, strict=True)
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_nobody_searches_inside_the_works(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    for bap in labelled(w, "honest") + [b for b in w.baps if w.baps[b].label.startswith("hidden")]:
        x, y = xy(g, own(w, bap))
        assert not g.plant.inside(x, y).any(), w.baps[bap].style


# -- the day's rhythm ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_shift_changes_bring_crowds(seed: int) -> None:
    w = day(seed)
    for text in ("township residents' app", "gate e-rickshaw app"):
        h = hours(searches(w, one(w, text)))
        inside = crowded(h)
        window = 3 * (steel.CROWD[1] - steel.CROWD[0])
        assert inside.sum() / window > 2.0 * (~inside).sum() / (24 - window), text
    # the carpool: most searches in the 75 minutes before a shift starts
    h = hours(searches(w, one(w, "shift workers' carpool app")))
    before = np.zeros(h.size, dtype=np.bool_)
    for s in steel.SHIFTS:
        d = ((h - s + 12) % 24) - 12
        before |= (d >= -1.3) & (d <= 0)
    assert before.mean() > 0.95


@pytest.mark.parametrize("seed", SEEDS)
def test_the_haat_and_the_bazaar_evening(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    bap = one(w, "coal-town app")
    mine = searches(w, bap)
    h = hours(mine)
    haat = (h >= steel.HAAT[0]) & (h < steel.HAAT[1])
    assert haat.sum() / 5 > 2.0 * (~haat).sum() / 19
    x, y = xy(g, mine)
    assert np.mean(np.hypot(x - g.coaltown.x, y - g.coaltown.y) < 6) > 0.7
    h = hours([e for b in styled(w, "steel-city app, about") for e in searches(w, b)])
    evening = (h >= 18) & (h < 21)
    night = (h >= 1) & (h < 4)
    assert evening.sum() > 4 * night.sum()


# -- the consoles and fleets --------------------------------------------------------------------


def midnight_offset(t: float) -> float:
    return (t - START) % 86_400


@pytest.mark.parametrize("seed", SEEDS)
def test_energy_console_on_the_clock_faster_in_the_peak_tariff(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "energy-management console")
    mine = searches(w, bap)
    s = c.of("gates", "depot")
    assert spots(mine) == coords(s)
    starts = [r[0].at for r in rounds(mine, 30)]
    for t in starts:
        h = midnight_offset(t) / 3600
        period = 180 if steel.TARIFF[0] <= h < steel.TARIFF[1] else 900
        assert midnight_offset(t) % period == 0
    assert len(starts) == 4 * 20 + 20 * 4
    assert all(len(r) == len(s.ids) for r in rounds(mine, 30))
    k = kinds(w, bap)
    assert 1 / 80 < k["confirm"] / k["search"] < 1 / 20
    assert not any(e.user for e in mine)


@pytest.mark.parametrize("seed", SEEDS)
def test_bus_depot_console_in_the_shift_windows(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "shift-bus depot console")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.groups["depot"])
    starts = [r[0].at for r in rounds(mine, 30)]
    h = np.array([midnight_offset(t) / 3600 for t in starts])
    d = np.stack([((h - s + 12) % 24) - 12 for s in steel.SHIFTS])
    win = np.asarray(((d >= -1.25) & (d <= 0.75)).any(axis=0))
    assert all(
        midnight_offset(t) % (300 if k else 1800) == 0
        for t, k in zip(starts, win.tolist(), strict=True)
    )
    assert win.sum() > 60
    assert (~win).sum() > 30
    booked = [f.at for f in funnels(w, bap) if f.kind.value == "select"]
    fb = np.array([midnight_offset(t) / 3600 for t in booked])
    db = np.stack([((fb - s + 12) % 24) - 12 for s in steel.SHIFTS])
    near = ((db >= -1.3) & (db <= 0.8)).any(axis=0)
    assert 0.25 < near.sum() / win.sum() < 0.65
    assert (~near).sum() / (~win).sum() < 0.15


@pytest.mark.parametrize("seed", SEEDS)
def test_haul_dispatch_rotates_the_mines_on_a_clock(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "coalfield haul dispatch")
    mine = searches(w, bap)
    pits = c.groups["pits"]
    assert spots(mine) <= coords(pits)
    checks = rounds(mine, 20)
    period = set(np.round(gaps([r[0].at for r in checks])).tolist())
    assert len(period) == 1
    assert period <= {180.0, 240.0, 300.0}
    which = [min(range(len(g.mines)), key=lambda k: km_to(g, r[0], g.mines[k])) for r in checks]
    n = len(g.mines)
    assert all(b == (a + 1) % n for a, b in itertools.pairwise(which))
    k = kinds(w, bap)
    assert 1 / 14 < k["confirm"] / len(checks) < 1 / 3
    assert all(f.location_id in pits.ids for f in funnels(w, bap))


def km_to(g: steel.Steel, e: Search, p: tuple[float, float]) -> float:
    x, y = g.xy(e.lat, e.lon)
    return math.hypot(float(x) - p[0], float(y) - p[1])


@pytest.mark.parametrize("seed", SEEDS)
def test_rickshaws_search_their_ranks_exact_spot(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "gate e-rickshaw app")
    mine = searches(w, bap)
    ranks = {g.ll1(*p) for p in g.gates}
    assert spots(mine) == {(float(a), float(b)) for a, b in ranks}
    assert all(e.user for e in mine)
    k = kinds(w, bap)
    assert 0.03 < k["confirm"] / k["search"] < 0.12
    assert {f.location_id for f in funnels(w, bap)} <= set(c.groups["gateside"].ids)


@pytest.mark.parametrize("seed", SEEDS)
def test_head_unit_brands_and_their_transaction_ids(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    a, b = one(w, "brand A in-car head units"), one(w, "brand B in-car head units")
    assert all(e.txn for e in searches(w, a))
    assert not any(e.txn for e in searches(w, b))
    trips: dict[str, list[Search]] = {}
    for e in searches(w, a):
        trips.setdefault(e.txn, []).append(e)
    steps = [km(g, p, q) for t in trips.values() for p, q in itertools.pairwise(t)]
    moving = [s for s in steps if s > 0]
    assert np.median(moving) == pytest.approx(3.0, abs=0.6)
    assert max(steps) <= 4.01
    assert steps.count(0.0) > 0  # the gate queues
    booked = {f.txn for f in funnels(w, a) if f.kind.value == "select"}
    assert 0.03 < len(booked) / len(trips) < 0.13
    near = np.zeros(0)
    for bap in (a, b):
        x, y = xy(g, searches(w, bap))
        gap = np.min([line.gap(x, y) for _, line in g.roads], axis=0)
        near = np.concatenate([near, gap])
    assert near.max() < 1e-6  # every refresh on a road


@pytest.mark.parametrize("seed", SEEDS)
def test_tippers_shuttle_the_haul_roads_and_queue_at_the_weighbridge(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "electric tippers' telematics")
    mine = searches(w, bap)
    assert all(e.txn and e.user for e in mine)
    x, y = xy(g, mine)
    haul = [line for kind, line in g.roads if kind == "haul"]
    assert np.min([line.gap(x, y) for line in haul], axis=0).max() < 1e-6
    wash = g.ll1(*g.washery)
    trips: dict[str, list[Search]] = {}
    for e in mine:
        trips.setdefault(e.txn, []).append(e)
    queued = [t for t in trips.values() if sum((e.lat, e.lon) == wash for e in t) >= 3]
    assert len(queued) > len(trips) / 4
    sel = [f for f in funnels(w, bap) if f.kind.value == "select"]
    assert {f.location_id for f in sel} <= set(c.groups["pits"].ids)
    assert 1 / 12 < len(sel) / (len(trips) / 2) < 1 / 3  # per round trip
    h = hours(sel)
    d = np.stack([((h - s + 12) % 24) - 12 for s in steel.SHIFTS])
    at_change = ((d >= -1) & (d <= 1)).any(axis=0)
    assert at_change.sum() / 6 > (~at_change).sum() / 18  # more at the handovers


@pytest.mark.parametrize("seed", SEEDS)
def test_technicians_visit_their_own_sites_and_test_charge(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "field technicians' app")
    cpo = w.baps[bap].style.split("app of ")[1].split(":")[0]
    s = c.owned(cpo, c.public())
    mine = searches(w, bap)
    assert spots(mine) <= coords(s)
    assert all(e.user and e.radius_km == 0.5 for e in mine)
    h = hours(mine)
    assert h.min() >= steel.ROUNDS[0]
    assert h.max() < steel.ROUNDS[1] + 0.5
    for user in {e.user for e in mine}:  # 2-4 searches of one site, then on to the next
        for visit in rounds([e for e in mine if e.user == user], 360):
            assert 2 <= len(visit) <= 4
            assert len(spots(visit)) == 1
    conf = [f for f in funnels(w, bap) if f.kind.value == "confirm"]
    assert {f.bpp_id for f in conf} == {cpo}
    per = Counter(e.user for e in mine)
    assert all(10 <= n <= 40 for n in per.values())


@pytest.mark.parametrize("seed", SEEDS)
def test_cpo_apps_book_their_own_chargers(seed: int) -> None:
    w = day(seed)
    for bap in styled(w, "own app, booking its own chargers"):
        cpo = w.baps[bap].style.split("'s own app")[0]
        k = kinds(w, bap)
        assert k["confirm"] > 5
        assert {f.bpp_id for f in funnels(w, bap)} == {cpo}


@pytest.mark.parametrize("seed", SEEDS)
def test_national_aggregators_mostly_far_away(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    for bap, lo, hi in (
        (one(w, "national aggregator, ~"), 0.78, 0.92),
        (one(w, "offset poll hidden in a national aggregator"), 0.72, 0.88),
    ):
        x, y = xy(g, own(w, bap))
        far = np.hypot(x, y) > 100
        assert lo < far.mean() < hi
    x, y = xy(g, searches(w, one(w, "belt-wide aggregator")))
    towns = {
        "city": np.hypot(x, y) < 8,
        "coal": np.hypot(x - g.coaltown.x, y - g.coaltown.y) < 6,
        "hq": np.hypot(x - g.hq.x, y - g.hq.y) < 7,
    }
    assert all(m.mean() > 0.1 for m in towns.values())


# -- the scrapers -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_disc_cover_sweep_hidden_in_a_city_app(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "greedy disc cover")
    sweep = scraping(w, bap)
    assert 0.1 <= share(w, bap) <= 0.25
    assert len({e.radius_km for e in sweep}) == 1
    runs = rounds(sweep, 60)
    n = len(runs[0])
    assert all(len(r) == n for r in runs[:-1] if r[-1].at < w.end - 900)
    first = runs[1]
    for run in runs[2:-1]:
        d = [km(g, a, b) for a, b in zip(first, run, strict=True)]
        if seed % 2:  # exact centres, the same tour each round
            assert max(d) == 0.0
        else:
            assert max(d) <= 0.25
            assert min(d) > 0.0
    # the discs: a greedy cover of the city's and the gates' public chargers
    s = c.of("city", "gateside")
    sx, sy = g.xy(s.lat, s.lon)
    r = float(w.baps[bap].style.split("within ")[1].split(" km")[0])
    cover = steel.disc_cover(sx, sy, r)
    assert len(cover) == n
    assert first[0].radius_km >= max(d for _, _, d in cover) + 0.3
    if seed % 2:
        assert spots(first) == {g.ll1(a, b) for a, b, _ in cover}
    else:
        assert not spots(sweep) & coords(c.every())
    cx, cy = xy(g, first)
    d = np.hypot(sx[:, None] - cx[None, :], sy[:, None] - cy[None, :]).min(axis=1)
    assert d.max() <= first[0].radius_km - 0.29 + 0.121
    # a round just before each shift change
    h = hours([r[0] for r in runs])
    for s_ in steel.SHIFTS:
        dd = ((h - s_ + 12) % 24) - 12
        assert ((dd >= -25 / 60) & (dd <= -15 / 60)).any()
    x, y = xy(g, own(w, bap))
    assert np.mean(np.hypot(x, y) < 8) > 0.7


@pytest.mark.parametrize("seed", SEEDS)
def test_map_pan_bursts_over_the_coalfield(seed: int) -> None:
    w = day(seed)
    g, _ = land(seed)
    bap = one(w, "map-pan bursts")
    sweep = scraping(w, bap)
    assert 0.05 <= share(w, bap) <= 0.12
    step = float(w.baps[bap].style.split("a ")[1].split(" km")[0])
    bursts = rounds(sweep, 60)
    assert all(1 <= len(b) <= 4 for b in bursts)
    gap = gaps([b[0].at for b in bursts])
    assert gap.min() >= 1200 - 60
    assert gap.max() <= 2400 + 60
    for b in bursts:
        for p, q in itertools.combinations(b, 2):
            assert km(g, p, q) <= step * math.sqrt(2) + 0.15  # one tile of 2x2
    x, y, _ = steel.belt_lattice(g, step)
    nodes = {(round(float(a), 6), round(float(b_), 6)) for a, b_ in zip(*g.ll(x, y), strict=True)}
    got = {(round(e.lat, 6), round(e.lon, 6)) for e in sweep}
    if seed % 2 == 0:
        assert got <= nodes
    else:
        assert not got & nodes
    x, y = xy(g, own(w, bap))
    belt = np.min([np.hypot(x - m[0], y - m[1]) for m in (*g.mines, g.washery)], axis=0)
    near_coal = np.hypot(x - g.coaltown.x, y - g.coaltown.y) < 6
    assert np.mean((belt < 5) | near_coal) > 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_shadow_poll_rides_the_apps_own_sessions(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "shadow poll")
    poll = scraping(w, bap)
    assert 0.05 <= share(w, bap) <= 0.15
    mine = np.array([e.at for e in own(w, bap)])
    for e in poll:  # seconds after one of the app's own searches
        k = np.searchsorted(mine, e.at)
        assert (k > 0 and 2 <= e.at - mine[k - 1] <= 20) or (mine[:k] >= e.at - 20).any()
    assert spots(poll) <= coords(c.of("city", "gateside"))
    n = int(w.baps[bap].style.split("the next of ")[1].split(" ")[0])
    per = Counter((e.lat, e.lon) for e in poll)
    assert len(per) == n
    assert max(per.values()) - min(per.values()) <= 1  # round-robin
    # the poll keeps the app's rhythm: night is quiet for both
    h = hours(poll)
    assert ((h >= 1) & (h < 4)).mean() < 0.06


@pytest.mark.parametrize("seed", SEEDS)
def test_offset_poll_never_queries_a_chargers_own_spot(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "offset poll hidden in a national aggregator")
    poll = scraping(w, bap)
    assert 0.05 <= share(w, bap) <= 0.2
    s = c.of("gateside", "gates")
    sx, sy = g.xy(s.lat, s.lon)
    city = c.groups["city"]
    cx, cy = g.xy(city.lat, city.lon)
    k = int(np.argmin(np.hypot(cx, cy)))
    sx, sy = np.append(sx, cx[k]), np.append(sy, cy[k])
    n = sx.size
    runs = rounds(poll, 90)
    assert all(len(r) == n for r in runs if r[-1].at < w.end - 120)
    gap = gaps([r[0].at for r in runs])
    assert gap.min() >= 240
    assert gap.max() <= 1800 + 60
    assert 450 < np.median(gap) < 800
    for e in poll:  # from 150-450 m off one site, just wide enough to reach it
        x, y = g.xy(e.lat, e.lon)
        d = np.hypot(sx - x, sy - y)
        fits = (d >= 0.149) & (d <= 0.451) & (d + 0.29 <= e.radius_km) & (e.radius_km <= d + 1.01)
        assert fits.any()
    assert len({e.radius_km for e in poll}) > 20
    assert not spots(poll) & coords(c.every())


@pytest.mark.parametrize("seed", SEEDS)
def test_bursty_poller_has_bursts_and_lulls(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "bursty poller")
    mine = searches(w, bap)
    assert spots(mine) <= coords(c.of("city", "gateside"))
    runs = rounds(mine, 60)
    gap = gaps([r[0].at for r in runs])
    burst = (gap >= 120) & (gap <= 300)
    lull = (gap >= 1200) & (gap <= 3600)
    assert (burst | lull).all()
    assert burst.sum() >= 10
    assert lull.sum() >= 5
    # bursts come in runs
    flips = int(np.sum(burst[1:] != burst[:-1]))
    assert flips < len(gap) / 2
    assert not funnels(w, bap)


@pytest.mark.parametrize("seed", SEEDS)
def test_shift_clock_poller(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "shift-clock poller")
    mine = searches(w, bap)
    assert spots(mine) == coords(c.of("gates", "depot", "pits"))
    runs = rounds(mine, 60)
    for a, b in itertools.pairwise(runs):
        h = hours([a[0]])
        d = ((h - np.array(steel.SHIFTS) + 12) % 24) - 12
        near = bool((np.abs(d) <= 1.0).any())
        gap = b[0].at - a[0].at
        assert (180 <= gap <= 420) if near else (720 <= gap <= 2100)
    users = [r[0].user for r in runs]
    assert len(set(users)) == 3
    assert all(u == users[i % 3] for i, u in enumerate(users))


@pytest.mark.parametrize("seed", SEEDS)
def test_quadtree_sweeper(seed: int) -> None:
    w = day(seed)
    g, c = land(seed)
    bap = one(w, "quadtree sweeper")
    mine = searches(w, bap)
    s = c.every()
    x, y = g.xy(s.lat, s.lon)
    box = steel.region_box(g)
    leaves = steel.quadtree(x, y, box)
    area = sum((2 * r / math.sqrt(2)) ** 2 for _, _, r in leaves)
    assert area == pytest.approx((box[2] - box[0]) * (box[3] - box[1]))
    for lx, ly, r in leaves:  # each leaf holds at most three chargers, or is the smallest
        half = r / math.sqrt(2)
        inside = (np.abs(x - lx) < half) & (np.abs(y - ly) < half)
        assert inside.sum() <= 3 or half * 2 <= (box[2] - box[0]) / 2**6 + 1e-9
    n = len(leaves)
    assert len(mine) > n
    for i, e in enumerate(mine):
        lx, ly, r = leaves[i % n]
        la, lo = g.ll1(lx, ly)
        assert (e.lat, e.lon) == (la, lo)
        assert e.radius_km == round(min(50.0, r), 2)
    assert len({e.radius_km for e in mine}) >= 3


@pytest.mark.parametrize("seed", SEEDS)
def test_shift_relay_keys_share_one_raster_sweep(seed: int) -> None:
    w = day(seed)
    keys = styled(w, "shift relay key")
    assert len(keys) == 3
    spans = ((6, 14), (14, 22), (22, 30))
    for bap, (lo, hi) in zip(keys, spans, strict=True):
        h = hours(searches(w, bap))
        assert (((h >= lo) & (h < hi)) | ((h + 24 >= lo) & (h + 24 < hi))).all()
    every = sorted((e for b in keys for e in searches(w, b)), key=lambda e: e.at)
    n = len(spots(every))
    assert all(e.lat == every[i % n].lat and e.lon == every[i % n].lon for i, e in enumerate(every))
    lats = [e.lat for e in every[:n]]
    assert lats == sorted(lats)  # raster order, row by row
    assert all(not e.user for e in every)


@pytest.mark.parametrize("seed", SEEDS)
def test_booking_scraper_books_its_own_chargers(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    (bap,) = labelled(w, "booking_scraper")
    cpo = w.baps[bap].style.split("rival CPO ")[1].split("'s")[0]
    k = kinds(w, bap)
    assert 0.012 < k["confirm"] / k["search"] < 0.05
    assert k["cancel"] == 0
    assert {f.bpp_id for f in funnels(w, bap)} == {cpo}
    assert {f.location_id for f in funnels(w, bap)} <= set(c.owned(cpo).ids)
    assert not spots(searches(w, bap)) & coords(c.every())
    assert 3 <= len({e.user for e in searches(w, bap)}) <= 6


@pytest.mark.parametrize("seed", SEEDS)
def test_many_faces_low_and_slow(seed: int) -> None:
    w = day(seed)
    _, c = land(seed)
    bap = one(w, "many faces")
    mine = searches(w, bap)
    assert spots(mine) <= coords(c.every())
    assert 3 * 24 * 0.8 <= len(mine) <= 8 * 24 * 1.4
    per = Counter(e.user for e in mine)
    assert "" not in per
    assert len(per) >= 30
    assert max(per.values()) <= 15
    assert not funnels(w, bap)


def test_slow_belt_sweep_one_every_eight_to_sixteen_minutes() -> None:
    for seed in SEEDS:
        w = day(seed)
        for bap in styled(w, "slow belt sweep"):
            mine = searches(w, bap)
            gap = gaps([e.at for e in mine])
            assert gap.min() >= 480
            assert gap.max() <= 960
            assert not any(e.user for e in mine)
            assert {e.via for e in mine} <= set(steel.GATEWAYS[1:])
