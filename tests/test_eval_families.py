"""The families evaluation's quick path runs end to end through the real Scorer and prints
its tables (structure only: the figures are the benchmark's, not a test's); the ``delta`` and
``ring`` families' days (both written held out) are what their briefs say (truth and events
only, never scored)."""

from __future__ import annotations

import functools
import itertools
import statistics
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bench.drivers.eval_families import QUICK, SPLIT, main, plan
from uei.antiabuse.scraping.events import Funnel, Search
from uei_testing.families import FAMILIES, SCRAPER_CLASSES, World, delta, ring
from uei_testing.families.world import ist_hours
from uei_testing.traffic import DEFAULT_START


def test_the_split_keeps_held_out_worlds_apart_from_tuning_ones() -> None:
    tuning = set(plan(False, "tuning"))
    held = set(plan(False, "held-out"))
    assert tuning
    assert held
    assert not {(f, s) for _, f, s in tuning} & {(f, s) for _, f, s in held}
    # leave-one-family-out: some families are never tuned on at all
    assert set(SPLIT["held-out"]) - set(SPLIT["tuning"])
    # the families written as held out stay held out until a round looks at them (issue 14's
    # record: hills moved to tuning at step 4 of SPLIT's history, delta at step 6, ring at
    # step 8; twin was registered held out at step 9)
    assert {"towns", "coast", "twin"} <= set(SPLIT["held-out"]) - set(SPLIT["tuning"])
    assert SPLIT["held-out"]["twin"] == (1, 2, 3, 4)
    for seen in ("hills", "delta", "ring"):
        assert SPLIT["tuning"][seen] == (1, 2, 3, 4)
        assert seen not in SPLIT["held-out"]
    assert set(SPLIT["held-out"]) | set(SPLIT["tuning"]) == set(FAMILIES)
    # the smoke test's days are none of the evaluation's
    quick = {(f, s) for _, f, s in plan(True, "all")}
    assert not quick & {(f, s) for _, f, s in tuning | held}
    assert set(QUICK) == {"tuning", "held-out"}


def test_quick_run_prints_both_splits_and_writes_a_plot(tmp_path: Path) -> None:
    plot = tmp_path / "families.png"
    result = CliRunner().invoke(main, ["--quick", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("$ python -m bench.eval_families")
    for section in ("TUNING (", "HELD-OUT ("):
        assert section in out
    for family in {f for families in QUICK.values() for f in families}:
        assert any(line.split()[:1] == [family] and "/" in line for line in out.splitlines())
    assert out.count("ROC-AUC >= 0.98 per family:") == 2
    assert out.count("zero honest BAPs coarsened/throttled/blocked:") == 2
    assert plot.read_bytes().startswith(b"\x89PNG")


# -- the delta family (written held out; these tests read its truth and events, never a score)

DELTA_SEEDS = (1, 2, 3, 4)


@functools.cache
def delta_day(seed: int) -> World:
    return FAMILIES["delta"](seed, DEFAULT_START, 24.0)


def searches(world: World, bap: str) -> list[Search]:
    return [e for e in world.events[bap] if isinstance(e, Search)]


def scraping_searches(world: World, bap: str) -> list[Search]:
    times = set(world.scraping.get(bap, []))
    return [e for e in searches(world, bap) if e.at in times]


def of(world: World, label: str) -> list[str]:
    return [b for b, t in world.baps.items() if t.label == label]


def kinds(world: World, bap: str) -> Counter[str]:
    return Counter(e.kind.value if isinstance(e, Funnel) else "search" for e in world.events[bap])


def test_delta_is_deterministic_by_seed_and_seeds_differ() -> None:
    began = time.perf_counter()
    day = delta.generate(1, DEFAULT_START, 24.0)
    assert time.perf_counter() - began < 5.0
    assert day.events == delta_day(1).events
    assert day.baps == delta_day(1).baps
    assert day.scraping == delta_day(1).scraping
    days = [delta_day(s) for s in DELTA_SEEDS]
    for a, b in itertools.combinations(days, 2):
        assert a.events != b.events
        assert [t.style for t in a.baps.values()] != [t.style for t in b.baps.values()]
    # the places, counts and proportions move with the seed too
    rivers = [delta.geography(s).river for s in DELTA_SEEDS]
    assert len({(r.lat, r.width_km, len(r.bridges)) for r in rivers}) == len(DELTA_SEEDS)
    assert len({(len(d.baps), d.total()) for d in days}) == len(DELTA_SEEDS)


@pytest.mark.parametrize("seed", DELTA_SEEDS)
def test_delta_day_size_and_truth(seed: int) -> None:
    day = delta_day(seed)
    assert day.family == "delta"
    assert 30 <= len(day.baps) <= 45
    assert 40_000 <= day.total() <= 80_000
    assert {t.label for t in day.baps.values()} == {"honest", *SCRAPER_CLASSES}
    for bap, truth in day.baps.items():
        assert truth.bap_id == bap
        assert truth.style
        assert bap.endswith(".delta.example")
        if truth.label == "honest":
            assert bap not in day.scraping
        else:  # every scraper scrapes, and its scraping searches are its own events
            assert len(scraping_searches(day, bap)) >= 50, truth
            assert len(scraping_searches(day, bap)) == len(day.scraping[bap])
        events = day.events[bap]
        assert all(day.start <= e.at < day.end for e in events)
        assert [e.at for e in events] == sorted(e.at for e in events)
    honest = Counter[str]()
    for bap in of(day, "honest"):
        honest += kinds(day, bap)
    assert 0.05 < honest["confirm"] / honest["search"] < 0.2
    assert of(day, "sweeper")
    assert len({day.baps[b].style for b in of(day, "sweeper")}) == 1  # one operator's keys


@pytest.mark.parametrize("seed", DELTA_SEEDS)
def test_delta_hidden_sweeps_never_search_the_river(seed: int) -> None:
    day, river = delta_day(seed), delta.geography(seed).river
    hidden = of(day, "hidden_sweep")
    assert len(hidden) >= 2
    for bap in hidden:
        points = scraping_searches(day, bap)
        lat, lon = np.array([e.lat for e in points]), np.array([e.lon for e in points])
        assert not river.wet(lat, lon).any(), day.baps[bap]
        # inside a real app: people's searches and bookings around it
        assert 0.03 < len(points) / len(searches(day, bap)) < 0.3
        assert kinds(day, bap)["confirm"] > 10
    banks = [b for b in hidden if "both banks" in day.baps[b].style]
    assert len(banks) == 1
    points = scraping_searches(day, banks[0])
    across = river.across(np.array([e.lat for e in points]), np.array([e.lon for e in points]))
    assert (across > 0).sum() > 20
    assert (across < 0).sum() > 20
    # the river is where the sweeps go: a naive sweeper's lattice over the city falls in it,
    # and no honest app's user ever searches from the water
    naive = [e for b in of(day, "sweeper") for e in scraping_searches(day, b)]
    assert river.wet(np.array([e.lat for e in naive]), np.array([e.lon for e in naive])).any()
    for bap in of(day, "honest"):
        mine = searches(day, bap)
        lat, lon = np.array([e.lat for e in mine]), np.array([e.lon for e in mine])
        assert not river.wet(lat, lon).any(), day.baps[bap]


@pytest.mark.parametrize("seed", DELTA_SEEDS)
def test_delta_erickshaw_drivers_book_a_quarter_to_two_fifths(seed: int) -> None:
    day = delta_day(seed)
    (swap,) = [b for b, t in day.baps.items() if t.style.startswith("e-rickshaw")]
    assert day.baps[swap].label == "honest"
    count = kinds(day, swap)
    assert count["search"] > 800
    assert 0.25 <= count["confirm"] / count["search"] <= 0.40
    assert {e.bpp_id for e in day.events[swap] if isinstance(e, Funnel)} == {delta.SWAP_CPO}
    # shift peaks: the busiest hour holds several times the quietest
    hours = Counter(int(ist_hours(np.array([e.at]))[0]) for e in searches(day, swap))
    assert max(hours.values()) > 5 * min(hours.get(h, 0) for h in range(24))


@pytest.mark.parametrize("seed", DELTA_SEEDS)
def test_delta_pollers_and_bookers_keep_their_rhythm(seed: int) -> None:
    day = delta_day(seed)
    for bap in of(day, "hidden_poll"):
        spots: dict[tuple[float, float], list[float]] = {}
        for e in scraping_searches(day, bap):
            spots.setdefault((e.lat, e.lon), []).append(e.at)
        assert 5 <= len(spots) <= 12
        gaps = [b - a for times in spots.values() for a, b in itertools.pairwise(times)]
        assert 8 * 60 * 0.8 <= statistics.median(gaps) <= 45 * 60 * 1.2
        assert len(scraping_searches(day, bap)) < 0.25 * len(searches(day, bap))
    for bap in of(day, "booking_scraper"):
        count = kinds(day, bap)
        assert 0.002 <= count["confirm"] / count["search"] <= 0.03
    for bap in of(day, "poller") + of(day, "low_and_slow"):
        assert kinds(day, bap)["confirm"] == 0
    # the bus depots poll their own few chargers on a schedule and book them
    depots = [b for b, t in day.baps.items() if t.style.startswith("bus depot")]
    assert depots
    for bap in depots:
        assert day.baps[bap].label == "honest"
        assert len({(e.lat, e.lon) for e in searches(day, bap)}) <= 5
        assert kinds(day, bap)["confirm"] > 5
    # the rotating keys take turns: one key at a time, each for many searches in a row
    keys = sorted((e.at, b) for b in of(day, "sweeper") for e in scraping_searches(day, b))
    turns = sum(a[1] != b[1] for a, b in itertools.pairwise(keys))
    assert len({b for _, b in keys}) >= 3
    assert turns < len(keys) / 20


@pytest.mark.parametrize("seed", DELTA_SEEDS)
def test_delta_power_cut_sends_many_apps_hunting_in_one_district(seed: int) -> None:
    day, d = delta_day(seed), delta.geography(seed)
    cut = delta.power_cut(day, d, delta.chargers(day, d)[delta.CITY])
    assert day.start < cut.start < cut.end < day.end
    before, during = Counter[str](), Counter[str]()
    length = cut.end - cut.start
    for bap in of(day, "honest"):
        for e in searches(day, bap):
            near = np.hypot((e.lat - cut.lat) * 110.574, (e.lon - cut.lon) * d.city.km_lon())
            if near < 1.5 * cut.spread_km:
                if cut.start <= e.at < cut.end:
                    during[bap] += 1
                elif cut.start - length <= e.at < cut.start:
                    before[bap] += 1
    assert sum(during.values()) > 5 * sum(before.values())
    assert sum(n >= 20 for n in during.values()) >= 5


# -- the ring family (written held out; these tests read its truth and events, never a score) -

RING_SEEDS = (1, 2, 3, 4)


@functools.cache
def ring_day(seed: int) -> World:
    return FAMILIES["ring"](seed, DEFAULT_START, 24.0)


def styled(world: World, start: str) -> str:
    (bap,) = [b for b, t in world.baps.items() if t.style.startswith(start)]
    return bap


def hours_of(events: list[Search]) -> np.ndarray:
    return ist_hours(np.array([e.at for e in events], dtype=np.float64))


def test_ring_is_deterministic_by_seed_and_seeds_differ() -> None:
    began = time.perf_counter()
    day = ring.generate(1, DEFAULT_START, 24.0)
    assert time.perf_counter() - began < 5.0
    assert day.events == ring_day(1).events
    assert day.baps == ring_day(1).baps
    assert day.scraping == ring_day(1).scraping
    days = [ring_day(s) for s in RING_SEEDS]
    for a, b in itertools.combinations(days, 2):
        assert a.events != b.events
        assert [t.style for t in a.baps.values()] != [t.style for t in b.baps.values()]
    cities = [ring.geography(s) for s in RING_SEEDS]
    assert len({(g.lat, g.radii, g.airport_radial) for g in cities}) == len(RING_SEEDS)
    assert len({(len(d.baps), d.total()) for d in days}) == len(RING_SEEDS)


@pytest.mark.parametrize("seed", RING_SEEDS)
def test_ring_day_size_truth_and_well_formed_events(seed: int) -> None:
    day = ring_day(seed)
    assert day.family == "ring"
    assert 35 <= len(day.baps) <= 45
    assert 50_000 <= day.total() <= 80_000
    assert {t.label for t in day.baps.values()} == {"honest", *SCRAPER_CLASSES}
    for bap, truth in day.baps.items():
        assert truth.bap_id == bap
        assert truth.style
        assert bap.endswith(".ring.example")
        if truth.label == "honest":
            assert bap not in day.scraping
        else:  # every scraper scrapes, and its scraping searches are its own events
            assert len(scraping_searches(day, bap)) >= 50, truth
            assert len(scraping_searches(day, bap)) == len(day.scraping[bap])
        events = day.events[bap]
        assert all(day.start <= e.at < day.end for e in events)
        assert [e.at for e in events] == sorted(e.at for e in events)
        for e in events:
            if isinstance(e, Search):
                assert -90 < e.lat < 90
                assert -180 < e.lon < 180
                assert 0 < e.radius_km <= 50
                assert e.via in ring.GATEWAYS
                assert not e.user or e.user.startswith(f"{bap}/")
            else:
                assert e.bpp_id
                assert e.location_id
        # a funnel runs select -> init -> confirm in order within each transaction
        for txn in {e.txn for e in events if isinstance(e, Funnel) and e.txn}:
            steps = [e.kind.value for e in events if isinstance(e, Funnel) and e.txn == txn]
            assert steps[0] == "select", truth
    honest = Counter[str]()
    for bap in of(day, "honest"):
        honest += kinds(day, bap)
    assert 0.05 < honest["confirm"] / honest["search"] < 0.2
    assert honest["select"] >= honest["init"] >= honest["confirm"]
    # transaction ids and user references vary by app and gateway: some all, some none, some
    # a share
    for field in ("txn", "user"):
        shares = []
        for bap in day.baps:
            mine = searches(day, bap)
            shares.append(sum(bool(getattr(e, field)) for e in mine) / len(mine))
        assert any(x == 1.0 for x in shares), field
        assert any(x == 0.0 for x in shares), field
        assert any(0.05 < x < 0.95 for x in shares), field
    txn_by_via = Counter[tuple[str, bool]]()
    for bap in day.baps:
        txn_by_via.update((e.via, bool(e.txn)) for e in searches(day, bap))
    assert txn_by_via[("bg2.ring.example", True)] == 0
    assert txn_by_via[("bg.ring.example", False)] == 0


@pytest.mark.parametrize("seed", RING_SEEDS)
def test_ring_hidden_sweeps_keep_to_their_shares_and_shapes(seed: int) -> None:
    day, g = ring_day(seed), ring.geography(seed)
    hidden = of(day, "hidden_sweep")
    (polar,) = [b for b in hidden if day.baps[b].style.startswith("polar")]
    (roads,) = [b for b in hidden if day.baps[b].style.startswith("road-following")]
    for bap, low, high in ((polar, 0.10, 0.25), (roads, 0.05, 0.15)):
        points = scraping_searches(day, bap)
        assert low <= len(points) / len(searches(day, bap)) <= high, day.baps[bap]
        assert len({e.radius_km for e in points}) == 1
        assert all(not e.user for e in points)
        # inside a real app: people's searches and bookings around it
        assert kinds(day, bap)["confirm"] > 10
    # the polar sweep sits on a few concentric rings, evenly spaced, each no thicker than the
    # jitter (at most 60 m either way)
    points = scraping_searches(day, polar)
    x, y = g.xy(np.array([e.lat for e in points]), np.array([e.lon for e in points]))
    dist = np.sort(np.hypot(x, y))
    rings = np.split(dist, np.flatnonzero(np.diff(dist) > 0.3) + 1)
    assert 3 <= len(rings) <= 10
    assert all(float(r.max() - r.min()) <= 0.125 for r in rings)
    means = np.array([float(np.median(r)) for r in rings])
    gaps = np.diff(means) / float(np.min(np.diff(means)))
    assert np.all(np.abs(gaps - np.round(gaps)) < 0.1)
    # some of its nodes are jittered on every visit, not all of them
    assert 0 < sum(float(r.max() - r.min()) > 0.02 for r in rings) <= len(rings)
    # the road sweep: exact points on the rings and radials, visited in road order
    points = scraping_searches(day, roads)
    x, y = g.xy(np.array([e.lat for e in points]), np.array([e.lon for e in points]))
    rx = np.concatenate([r.x for r in g.roads])
    ry = np.concatenate([r.y for r in g.roads])
    off = [float(np.min(np.hypot(rx - a, ry - b))) for a, b in zip(x, y, strict=True)]
    assert max(off) < 0.05
    step = statistics.median(np.hypot(np.diff(x), np.diff(y)).tolist())
    assert 1.4 <= step <= 2.6
    assert len({(e.lat, e.lon) for e in points}) <= 250


@pytest.mark.parametrize("seed", RING_SEEDS)
def test_ring_pollers_and_sweepers_keep_their_rhythm(seed: int) -> None:
    day, g = ring_day(seed), ring.geography(seed)
    c = ring.chargers(day, g)
    parks = {(float(c.city.lat[j]), float(c.city.lon[j])) for j in c.busy()}
    (poll,) = of(day, "hidden_poll")
    spots: dict[tuple[float, float], list[float]] = {}
    for e in scraping_searches(day, poll):
        spots.setdefault((e.lat, e.lon), []).append(e.at)
    assert 6 <= len(spots) <= 15
    assert set(spots) <= parks
    gaps = [b - a for times in spots.values() for a, b in itertools.pairwise(times)]
    assert 8 * 60 <= statistics.mean(gaps) <= 36 * 60
    # exponential gaps: widely spread, unlike a timer's
    assert statistics.stdev(gaps) > 0.5 * statistics.mean(gaps)
    radii = [e.radius_km for e in scraping_searches(day, poll)]
    assert len(set(radii)) > 5
    assert max(radii) <= 1.1 / 0.9 * min(radii) + 0.02
    assert len(scraping_searches(day, poll)) < 0.22 * len(searches(day, poll))
    # the distributed sweeper: many user references, none taking more than 8 cells an hour
    (dist,) = [b for b in of(day, "sweeper") if day.baps[b].style.startswith("distributed")]
    mine = scraping_searches(day, dist)
    users: dict[str, list[float]] = {}
    for e in mine:
        users.setdefault(e.user, []).append(e.at)
    assert "" not in users
    assert len(users) >= 100
    for times in users.values():
        for i, t in enumerate(times):
            assert sum(t <= u < t + 3600 for u in times[i : i + 10]) <= 8
    assert len(mine) > 20 * len(users) / 4  # together they sweep a lot
    assert len(of(day, "sweeper")) >= 2
    for bap in of(day, "booking_scraper"):
        count = kinds(day, bap)
        assert 0.002 <= count["confirm"] / count["search"] <= 0.03
    for bap in of(day, "poller") + of(day, "low_and_slow") + of(day, "sweeper"):
        assert kinds(day, bap)["confirm"] == 0
    for bap in of(day, "low_and_slow"):
        assert 5 * 24 * 0.6 <= len(scraping_searches(day, bap)) <= 20 * 24 * 1.4


@pytest.mark.parametrize("seed", RING_SEEDS)
def test_ring_honest_habits(seed: int) -> None:
    day = ring_day(seed)
    # the taxi co-op's console: its own chargers every 10 minutes, day and night, booking on
    # a fifth to three tenths of rounds
    taxi = styled(day, "airport taxi co-op")
    mine = searches(day, taxi)
    assert 6 <= len({(e.lat, e.lon) for e in mine}) <= 10
    rounds = [mine[0].at] + [b.at for a, b in itertools.pairwise(mine) if b.at - a.at > 60]
    assert all(599 <= b - a <= 601 for a, b in itertools.pairwise(rounds))
    assert 0.12 <= kinds(day, taxi)["select"] / len(rounds) <= 0.4
    assert (hours_of(mine) < 5).sum() > 100
    # subscribers search in one evening burst for tomorrow's slot, and mostly book
    home = styled(day, "subscription home charging")
    mine = searches(day, home)
    h = hours_of(mine)
    assert ((h >= 21.5) & (h < 23.0)).mean() > 0.8
    assert kinds(day, home)["confirm"] / len(mine) > 0.25
    # delivery riders at the shift changes, booking ~30% of searches
    riders = styled(day, "two-wheeler delivery")
    mine = searches(day, riders)
    h = hours_of(mine)
    near = np.min(np.abs(h[:, None] - np.array(ring.SHIFTS)[None, :]), axis=1) < 1.0
    assert near.mean() > 0.7
    assert 0.24 <= kinds(day, riders)["confirm"] / len(mine) <= 0.36
    # ride-hailing drivers refresh every 2-5 minutes on the move, 5-10% of searches booked
    drivers = styled(day, "ride-hailing driver mode")
    mine = searches(day, drivers)
    assert 0.04 <= kinds(day, drivers)["confirm"] / len(mine) <= 0.11
    by_txn: dict[tuple[str, str], list[Search]] = {}
    for e in mine:
        if e.txn and e.user:
            by_txn.setdefault((e.user, e.txn), []).append(e)
    gaps = [b.at - a.at for trip in by_txn.values() for a, b in itertools.pairwise(trip)]
    if gaps:  # when its gateways send transaction ids and its drivers user references
        assert min(gaps) >= 120
        assert max(gaps) <= 300
    # the map view pans: many searches a few seconds apart, the radius changing with zoom
    pans = styled(day, "map view")
    mine = searches(day, pans)
    assert len({e.radius_km for e in mine}) >= 5
    assert statistics.median(b.at - a.at for a, b in itertools.pairwise(mine)) < 60
    assert 0.02 <= kinds(day, pans)["confirm"] / len(mine) <= 0.09
    # three tiny new apps
    tiny = [b for b, t in day.baps.items() if t.style.startswith("tiny")]
    assert len(tiny) == 3
    assert all(len(searches(day, b)) < 30 for b in tiny)
    # the national aggregator's traffic is mostly far from this city
    (nat,) = [b for b, t in day.baps.items() if t.style.startswith("national")]
    g = ring.geography(seed)
    mine = searches(day, nat)
    far = [np.hypot((e.lat - g.lat) * 110.574, (e.lon - g.lon) * g.km_lon) > 100 for e in mine]
    assert 0.6 < sum(far) / len(far) < 0.9


@pytest.mark.parametrize("seed", RING_SEEDS)
def test_ring_cricket_match_brings_many_apps_to_the_stadium(seed: int) -> None:
    day, g = ring_day(seed), ring.geography(seed)
    match = ring.match(day, g)
    assert day.start < match.start < match.end < day.end
    before, during = Counter[str](), Counter[str]()
    length = match.end - match.start
    for bap in of(day, "honest"):
        for e in searches(day, bap):
            near = np.hypot((e.lat - match.lat) * 110.574, (e.lon - match.lon) * g.km_lon)
            if near < 1.5 * match.spread_km:
                if match.start <= e.at < match.end:
                    during[bap] += 1
                elif match.start - length <= e.at < match.start:
                    before[bap] += 1
    assert sum(during.values()) > 5 * sum(before.values())
    assert sum(n >= 20 for n in during.values()) >= 5
