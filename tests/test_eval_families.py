"""The families evaluation's quick path runs end to end through the real Scorer and prints
its tables (structure only: the figures are the benchmark's, not a test's); the ``delta``,
``ring``, ``twin``, ``plateau``, ``valley``, ``port`` and ``desert`` families' days (all written
held out) are what their briefs say (truth and events only, never scored)."""

from __future__ import annotations

import functools
import itertools
import math
import re
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bench.drivers.eval_families import QUICK, SPLIT, Sample, main, plan
from bench.reports.families import scrapers_acted_on
from uei.antiabuse.scraping.events import Funnel, Search
from uei.antiabuse.scraping.policy import ScrapingAction
from uei_testing.families import (
    FAMILIES,
    SCRAPER_CLASSES,
    Truth,
    World,
    delta,
    desert,
    plateau,
    port,
    ring,
    twin,
    valley,
)
from uei_testing.families.world import Sites, ist_hours
from uei_testing.traffic import DEFAULT_START


@functools.cache
def day_of(family: str, seed: int) -> World:
    """A family's 24 h day from ``DEFAULT_START``, made once for the whole module."""
    return FAMILIES[family](seed, DEFAULT_START, 24.0)


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
    # step 8, twin at step 10; plateau was registered held out at step 11, valley at step 12,
    # port at step 13; plateau and valley moved to tuning at step 14; desert was registered held
    # out at step 15, lakes at step 16; desert moved to tuning at step 17, lakes at step 18;
    # plains was registered held out at step 19 and moved to tuning at step 20; steel was
    # registered held out at step 21 and moved to tuning at step 22; mela was registered held
    # out at step 23 and moved to tuning at step 24; isles was registered held out at step 25)
    held_only = set(SPLIT["held-out"]) - set(SPLIT["tuning"])
    assert {"towns", "coast", "port", "isles"} <= held_only
    for fresh in ("port", "isles"):
        assert SPLIT["held-out"][fresh] == (1, 2, 3, 4)
    seen_families = (
        "hills",
        "delta",
        "ring",
        "twin",
        "plateau",
        "valley",
        "desert",
        "lakes",
        "plains",
        "steel",
        "mela",
    )
    for seen in seen_families:
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
    assert out.count("scrapers coarsened+ / all") == 2
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_a_family_named_runs_alone_and_one_outside_the_split_is_refused(tmp_path: Path) -> None:
    plot = tmp_path / "towns.png"
    result = CliRunner().invoke(main, ["--quick", "--family", "towns", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "--family towns" in out.splitlines()[0]
    assert "HELD-OUT (towns seeds" in out
    assert "TUNING (" not in out
    assert not any(line.split()[:1] == ["metro"] for line in out.splitlines())
    assert any(line.split()[:1] == ["towns"] and "/" in line for line in out.splitlines())
    refused = CliRunner().invoke(
        main, ["--quick", "--split", "tuning", "--family", "towns", "--plot", str(plot)]
    )
    assert refused.exit_code == 2
    assert "no world of the tuning split is of towns" in refused.output
    unknown = CliRunner().invoke(main, ["--quick", "--family", "atlantis"])
    assert unknown.exit_code == 2
    assert "atlantis" in unknown.output


def test_scrapers_acted_on_counts_each_scraper_once_per_seed() -> None:
    def sample(seed: int, bap: str, label: str, *due: ScrapingAction) -> Sample:
        return Sample("held-out", "f", seed, Truth(bap, label, "x"), 6.0, 0.9, due, ())

    flag, coarsen, block = ScrapingAction.FLAG, ScrapingAction.COARSEN, ScrapingAction.BLOCK
    samples = [
        sample(1, "a", "poller", coarsen),
        sample(1, "a", "poller", block),  # the same scraper in another window
        sample(2, "a", "poller"),  # the same BAP id on another seed: another scraper
        sample(1, "b", "sweeper", flag),  # a flag is no action on it
        sample(1, "h", "honest", block),  # honest BAPs are counted elsewhere
    ]
    assert scrapers_acted_on(samples) == (1, 3)


# -- the delta family (written held out; these tests read its truth and events, never a score)

DELTA_SEEDS = (1, 2, 3, 4)


def searches(world: World, bap: str) -> list[Search]:
    return [e for e in world.events[bap] if isinstance(e, Search)]


def scraping_searches(world: World, bap: str) -> list[Search]:
    times = set(world.scraping.get(bap, []))
    return [e for e in searches(world, bap) if e.at in times]


def of(world: World, label: str) -> list[str]:
    return [b for b, t in world.baps.items() if t.label == label]


def kinds(world: World, bap: str) -> Counter[str]:
    return Counter(e.kind.value if isinstance(e, Funnel) else "search" for e in world.events[bap])


def check_day(
    day: World,
    baps: tuple[int, int],
    events: tuple[int, int],
    gateways: tuple[str, ...] | None,
) -> None:
    """What a family written from a brief promises of its day: its size, every class in its
    truth, each scraper's scraping searches its own events, events in the window and in time
    order, searches on the Earth (through the family's ``gateways``, when it names them) with
    the BAP's own user references, funnels naming a BPP and a location, each transaction's
    funnel opened by a select."""
    family = day.family
    assert baps[0] <= len(day.baps) <= baps[1]
    assert events[0] <= day.total() <= events[1]
    assert {t.label for t in day.baps.values()} == {"honest", *SCRAPER_CLASSES}
    for bap, truth in day.baps.items():
        assert truth.bap_id == bap
        assert truth.style
        assert bap.endswith(f".{family}.example")
        if truth.label == "honest":
            assert bap not in day.scraping
        else:  # every scraper scrapes, and its scraping searches are its own events
            assert len(scraping_searches(day, bap)) >= 50, truth
            assert len(scraping_searches(day, bap)) == len(day.scraping[bap])
        mine = day.events[bap]
        assert all(day.start <= e.at < day.end for e in mine)
        assert [e.at for e in mine] == sorted(e.at for e in mine)
        for e in mine:
            if isinstance(e, Search):
                assert -90 < e.lat < 90
                assert -180 < e.lon < 180
                assert 0 < e.radius_km <= 50
                assert gateways is None or e.via in gateways
                assert not e.user or e.user.startswith(f"{bap}/")
            else:
                assert e.bpp_id
                assert e.location_id
        for txn in {e.txn for e in mine if isinstance(e, Funnel) and e.txn}:
            steps = [e.kind.value for e in mine if isinstance(e, Funnel) and e.txn == txn]
            assert steps[0] == "select", truth


def steps_of(day: World, bap: str) -> list[list[str]]:
    """Each transaction's funnel steps, cancels left out."""
    mine = [e for e in day.events[bap] if isinstance(e, Funnel) and e.txn]
    return [
        [e.kind.value for e in mine if e.txn == txn and e.kind.value != "cancel"]
        for txn in {e.txn for e in mine}
    ]


def check_wiring(day: World, *, bg3: bool = True) -> None:
    """Transaction ids and user references vary by app and gateway (some all, some none,
    some a share); ``bg`` always reports transaction ids, ``bg2`` never, ``bg3`` (when
    ``bg3``) for some apps."""
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
    assert txn_by_via[(f"bg2.{day.family}.example", True)] == 0
    assert txn_by_via[(f"bg.{day.family}.example", False)] == 0
    if bg3:
        assert txn_by_via[(f"bg3.{day.family}.example", True)] > 0


def test_delta_places_move_with_the_seed() -> None:
    rivers = [delta.geography(s).river for s in DELTA_SEEDS]
    assert len({(r.lat, r.width_km, len(r.bridges)) for r in rivers}) == len(DELTA_SEEDS)


@pytest.mark.parametrize("seed", DELTA_SEEDS)
def test_delta_day_size_and_truth(seed: int) -> None:
    day = day_of("delta", seed)
    assert day.family == "delta"
    check_day(day, (30, 45), (40_000, 80_000), None)
    honest = Counter[str]()
    for bap in of(day, "honest"):
        honest += kinds(day, bap)
    assert 0.05 < honest["confirm"] / honest["search"] < 0.2
    assert of(day, "sweeper")
    assert len({day.baps[b].style for b in of(day, "sweeper")}) == 1  # one operator's keys


@pytest.mark.parametrize("seed", DELTA_SEEDS)
def test_delta_hidden_sweeps_never_search_the_river(seed: int) -> None:
    day, river = day_of("delta", seed), delta.geography(seed).river
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
    day = day_of("delta", seed)
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
    day = day_of("delta", seed)
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
    day, d = day_of("delta", seed), delta.geography(seed)
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


def styled(world: World, start: str) -> str:
    (bap,) = [b for b, t in world.baps.items() if t.style.startswith(start)]
    return bap


def hours_of(events: list[Search]) -> np.ndarray:
    return ist_hours(np.array([e.at for e in events], dtype=np.float64))


def test_ring_places_move_with_the_seed() -> None:
    cities = [ring.geography(s) for s in RING_SEEDS]
    assert len({(g.lat, g.radii, g.airport_radial) for g in cities}) == len(RING_SEEDS)


@pytest.mark.parametrize("seed", RING_SEEDS)
def test_ring_day_size_truth_and_well_formed_events(seed: int) -> None:
    day = day_of("ring", seed)
    assert day.family == "ring"
    check_day(day, (35, 45), (50_000, 80_000), ring.GATEWAYS)
    honest = Counter[str]()
    for bap in of(day, "honest"):
        honest += kinds(day, bap)
    assert 0.05 < honest["confirm"] / honest["search"] < 0.2
    assert honest["select"] >= honest["init"] >= honest["confirm"]
    check_wiring(day, bg3=False)


@pytest.mark.parametrize("seed", RING_SEEDS)
def test_ring_hidden_sweeps_keep_to_their_shares_and_shapes(seed: int) -> None:
    day, g = day_of("ring", seed), ring.geography(seed)
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
    day, g = day_of("ring", seed), ring.geography(seed)
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
    day = day_of("ring", seed)
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
    day, g = day_of("ring", seed), ring.geography(seed)
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


# -- the twin family (written held out; these tests read its truth and events, never a score) -

TWIN_SEEDS = (1, 2, 3, 4)


def xy_of(g: twin.Twin, events: list[Search]) -> tuple[np.ndarray, np.ndarray]:
    return g.xy(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def test_twin_places_move_with_the_seed() -> None:
    cities = [twin.geography(s) for s in TWIN_SEEDS]
    assert len({(g.lat, g.rot, g.old) for g in cities}) == len(TWIN_SEEDS)


@pytest.mark.parametrize("seed", TWIN_SEEDS)
def test_twin_day_size_truth_and_well_formed_events(seed: int) -> None:
    day = day_of("twin", seed)
    assert day.family == "twin"
    check_day(day, (30, 45), (45_000, 80_000), twin.GATEWAYS)
    # a funnel runs select -> init -> confirm in order within each transaction
    for bap, truth in day.baps.items():
        for steps in steps_of(day, bap):
            assert steps[:3] in (
                ["select"],
                ["select", "init", "confirm"],
                ["select", "select"],
                ["select", "init"],
            ), (truth, steps)
    honest = Counter[str]()
    for bap in of(day, "honest"):
        honest += kinds(day, bap)
    assert 0.04 < honest["confirm"] / honest["search"] < 0.2
    assert honest["select"] >= honest["init"] >= honest["confirm"]
    check_wiring(day)


@pytest.mark.parametrize("seed", TWIN_SEEDS)
def test_twin_geography_and_where_nobody_searches(seed: int) -> None:
    day, g = day_of("twin", seed), twin.geography(seed)
    c = twin.chargers(day, g)
    ox, oy, orad = g.old
    assert 12.0 <= math.hypot(ox, oy) <= 18.0
    assert 12 <= math.degrees(abs(g.rot)) <= 18
    # the plaza is midway along the expressway between the two cities' edges
    (ax, ay), (bx, by) = g.expressway
    assert math.hypot(g.plaza[0] - (ax + bx) / 2, g.plaza[1] - (ay + by) / 2) < 1e-9
    assert math.hypot(ax, ay) == pytest.approx(g.radius)
    assert math.hypot(bx - ox, by - oy) == pytest.approx(orad)
    # the campus and the expo ground are at the capital's edge
    for x, y in (g.campus, g.expo):
        assert 0.8 * g.radius <= math.hypot(x, y) <= g.radius
    # no charger stands in the lake or the cantonment, and no honest app searches there
    for s in (*c.places, c.plaza, c.own, c.bus, c.shuttle, c.depots):
        assert not g.closed_ll(s.lat, s.lon).any()
    for bap in of(day, "honest"):
        mine = searches(day, bap)
        lat, lon = np.array([e.lat for e in mine]), np.array([e.lon for e in mine])
        assert not g.closed_ll(lat, lon).any(), day.baps[bap]
    # a sweeper's lattice over the capital does not know where they are
    naive = [e for b in of(day, "sweeper") for e in scraping_searches(day, b)]
    lat, lon = np.array([e.lat for e in naive]), np.array([e.lon for e in naive])
    assert g.closed_ll(lat, lon).any()
    # the two cities both hold people and chargers
    assert len(c.places[twin.CAPITAL].ids) >= 50
    assert len(c.places[twin.OLD].ids) >= 25


@pytest.mark.parametrize("seed", TWIN_SEEDS)
def test_twin_hidden_sweeps_keep_to_their_shares_and_shapes(seed: int) -> None:
    day, g = day_of("twin", seed), twin.geography(seed)
    hidden = of(day, "hidden_sweep")
    assert len(hidden) == 3
    (spiral,) = [b for b in hidden if day.baps[b].style.startswith("Archimedean")]
    (blue,) = [b for b in hidden if day.baps[b].style.startswith("blue-noise")]
    (tri,) = [b for b in hidden if day.baps[b].style.startswith("ride-hailing")]
    for bap, low, high in ((spiral, 0.08, 0.20), (blue, 0.05, 0.15), (tri, 0.05, 0.10)):
        points = scraping_searches(day, bap)
        assert low <= len(points) / len(searches(day, bap)) <= high, day.baps[bap]
        # inside a real app: people's searches and bookings around it
        assert kinds(day, bap)["confirm"] > 10
    # the spiral: one radius, no user reference; its distance from the centre grows with the
    # angle turned (an Archimedean spiral), a point every 1-2 km
    points = scraping_searches(day, spiral)
    assert len({e.radius_km for e in points}) == 1
    assert all(not e.user for e in points)
    x, y = xy_of(g, points)
    r = np.hypot(x, y)
    passes = np.split(np.arange(r.size), np.flatnonzero(np.diff(r) < -1.0) + 1)
    assert len(passes) >= 2
    for idx in passes:
        if idx.size < 10:
            continue
        assert np.all(np.diff(r[idx]) > 0)
        turned = np.abs(np.unwrap(np.arctan2(y[idx], x[idx])) - math.atan2(y[idx[0]], x[idx[0]]))
        slope, cut = np.polyfit(turned, r[idx], 1)
        assert np.max(np.abs(r[idx] - (slope * turned + cut))) < 0.1
        assert 1.5 <= 2 * math.pi * slope <= 2.5  # the arms' spacing
        assert 1.0 <= statistics.median(np.hypot(np.diff(x[idx]), np.diff(y[idx]))) <= 2.0
    assert r.max() <= g.radius + 0.5
    # the blue-noise set: random points over the old city, none closer than 1 km, covering
    # it, not a lattice, visited in random order at one radius, some with transaction ids
    points = scraping_searches(day, blue)
    assert len({e.radius_km for e in points}) == 1
    assert 0 < sum(bool(e.txn) for e in points) < len(points)
    x, y = xy_of(g, points)
    spots = np.unique(np.stack([x, y], axis=1).round(6), axis=0)
    ox, oy, orad = g.old
    assert np.all(np.hypot(spots[:, 0] - ox, spots[:, 1] - oy) <= orad + 0.5 + 1e-6)
    d = np.hypot(spots[:, None, 0] - spots[None, :, 0], spots[:, None, 1] - spots[None, :, 1])
    np.fill_diagonal(d, np.inf)
    near = d.min(axis=1)
    assert near.min() >= 1.0
    assert near.std() / near.mean() > 0.05  # not a lattice: no one spacing
    probe = np.random.default_rng(0).uniform(-1, 1, (400, 2)) * orad * 0.7 + [ox, oy]
    gap = np.hypot(probe[:, None, 0] - spots[None, :, 0], probe[:, None, 1] - spots[None, :, 1])
    assert gap.min(axis=1).max() < 3.0  # it covers the city
    angles = np.degrees(np.arctan2(*(spots[d.argmin(axis=1)] - spots).T[::-1])) % 60
    assert np.histogram(angles, bins=6, range=(0, 60))[0].min() > 0
    hop = np.hypot(np.diff(x), np.diff(y))
    assert statistics.median(hop.tolist()) > 2 * near.mean()  # random order, not a raster
    # the triangular lattice over the capital, turned with the street grid, two radii taking
    # turns, no user reference
    points = scraping_searches(day, tri)
    assert all(not e.user for e in points)
    radii = [e.radius_km for e in points]
    assert len(set(radii)) == 2
    assert all(a != b for a, b in itertools.pairwise(radii))
    x, y = xy_of(g, points)
    u, v = g.grid(x, y)
    spots = np.unique(np.stack([u, v], axis=1).round(6), axis=0)
    step = float(np.min(np.hypot(np.diff(spots[:, 0]), np.diff(spots[:, 1]))))
    d = np.hypot(spots[:, None, 0] - spots[None, :, 0], spots[:, None, 1] - spots[None, :, 1])
    np.fill_diagonal(d, np.inf)
    step = float(d.min())
    assert 1.2 <= step <= 2.0
    j = spots[:, 1] / (step * math.sqrt(3) / 2)
    i = spots[:, 0] / step - 0.5 * j
    assert np.allclose(j, np.round(j), atol=1e-6)
    assert np.allclose(i, np.round(i), atol=1e-6)
    assert np.all(np.hypot(x, y) <= g.radius)


@pytest.mark.parametrize("seed", TWIN_SEEDS)
def test_twin_pollers_and_sweepers_keep_their_rhythm(seed: int) -> None:
    day = day_of("twin", seed)
    # the hidden poll: each charger on its own period of 10-40 minutes, never in rounds
    (poll,) = of(day, "hidden_poll")
    assert day.baps[poll].style.startswith("two-city aggregator")
    mine = scraping_searches(day, poll)
    assert 0.05 <= len(mine) / len(searches(day, poll)) <= 0.15
    spots: dict[tuple[float, float], list[float]] = {}
    for e in mine:
        spots.setdefault((e.lat, e.lon), []).append(e.at)
    assert 8 <= len(spots) <= 20
    periods = []
    for times in spots.values():
        gaps = np.diff(times)
        assert gaps.max() - gaps.min() <= 4.0
        periods.append(float(np.median(gaps)))
    assert 600 - 2 <= min(periods) <= max(periods) <= 2400 + 2
    periods.sort()
    assert min(b - a for a, b in itertools.pairwise(periods)) > 10  # each its own
    # never in rounds: no two chargers' polls keep together (a round's would, every time)
    for a, b in itertools.combinations(spots.values(), 2):
        other = np.array(b)
        close = [float(np.min(np.abs(other - t))) < 5 for t in a]
        assert sum(close) < 0.3 * len(a)
    # the sweeper spreads one lattice over the three gateways
    (three,) = [b for b in of(day, "sweeper") if "three gateways" in day.baps[b].style]
    mine = scraping_searches(day, three)
    vias = Counter(e.via for e in mine)
    assert set(vias) == set(twin.GATEWAYS)
    assert min(vias.values()) > 0.15 * len(mine)
    assert len({(e.lat, e.lon) for e in mine}) < 0.5 * len(mine)
    for bap in of(day, "booking_scraper"):
        count = kinds(day, bap)
        assert 0.002 <= count["confirm"] / count["search"] <= 0.03
    for bap in of(day, "poller") + of(day, "low_and_slow") + of(day, "sweeper"):
        assert kinds(day, bap)["confirm"] == 0
    for bap in of(day, "low_and_slow"):
        mine = scraping_searches(day, bap)
        assert 6 * 24 * 0.6 <= len(mine) <= 25 * 24 * 1.4
        assert 0 < sum(bool(e.user) for e in mine) < len(mine)
        h = hours_of(mine)
        assert ((h >= 7) & (h < 22)).mean() > 0.75  # people's daily rhythm


@pytest.mark.parametrize("seed", TWIN_SEEDS)
def test_twin_honest_habits(seed: int) -> None:
    day, g = day_of("twin", seed), twin.geography(seed)
    # the CPO's ops screen: its own 20-40 chargers every 5 minutes, 07-23, converting 2-6%
    own = styled(day, "CPO's own app")
    mine = searches(day, own)
    assert 20 <= len({(e.lat, e.lon) for e in mine}) <= 40
    rounds = [mine[0].at] + [b.at for a, b in itertools.pairwise(mine) if b.at - a.at > 60]
    assert all(299 <= b - a <= 301 for a, b in itertools.pairwise(rounds))
    h = hours_of(mine)
    assert ((h >= 7) & (h < 23)).all()
    assert 0.015 <= kinds(day, own)["confirm"] / len(mine) <= 0.07
    assert {e.bpp_id for e in day.events[own] if isinstance(e, Funnel)} == {twin.OWN_CPO}
    # the school buses check 3-6 depot chargers at 06-08 and 14-16 only, booking ~30% of rounds
    bus = styled(day, "school-bus fleet")
    mine = searches(day, bus)
    assert 3 <= len({(e.lat, e.lon) for e in mine}) <= 6
    h = hours_of(mine)
    assert (((h >= 6) & (h < 8.1)) | ((h >= 14) & (h < 16.1))).all()
    rounds = [mine[0].at] + [b.at for a, b in itertools.pairwise(mine) if b.at - a.at > 60]
    assert 0.12 <= kinds(day, bus)["select"] / len(rounds) <= 0.5
    # the campus shuttle: 2 chargers every 15 minutes, weekday daytime (the day is a Monday)
    shuttle = styled(day, "campus shuttle")
    mine = searches(day, shuttle)
    assert len({(e.lat, e.lon) for e in mine}) == 2
    rounds = [mine[0].at] + [b.at for a, b in itertools.pairwise(mine) if b.at - a.at > 60]
    assert all(899 <= b - a <= 901 for a, b in itertools.pairwise(rounds))
    h = hours_of(mine)
    assert ((h >= 8) & (h < 18)).all()
    assert 0.03 <= kinds(day, shuttle)["select"] / len(rounds) <= 0.35
    assert not twin.weekday(DEFAULT_START - 2 * 86_400)  # and none on a Saturday
    # the nearby widget: exact repeats from one spot every 2 minutes for 5-20 minutes
    pop = styled(day, "popular app with a nearby-chargers widget")
    mine = searches(day, pop)
    at: dict[tuple[float, float, float, str], list[float]] = {}
    for e in mine:
        at.setdefault((e.lat, e.lon, e.radius_km, e.user), []).append(e.at)
    repeats, runs = 0, []
    for times in at.values():
        run = [times[0]]
        for a, b in itertools.pairwise(times):
            if 119 <= b - a <= 121:
                repeats += 1
                run.append(b)
            else:
                runs.append(run[-1] - run[0])
                run = [b]
        runs.append(run[-1] - run[0])
    assert repeats > 0.5 * len(mine)
    long = [x for x in runs if x > 0]
    assert max(long) <= 20 * 60
    assert statistics.median(long) >= 4 * 60
    # the trucks search along the expressway at night
    trucks = styled(day, "EV truck fleet")
    mine = searches(day, trucks)
    h = hours_of(mine)
    assert ((h >= 21) | (h < 6)).mean() > 0.9
    x, y = xy_of(g, mine)
    (ax, ay), (bx, by) = g.expressway
    ex, ey = g.estate
    off = np.minimum(
        np.abs((bx - ax) * (ay - y) - (ax - x) * (by - ay)) / math.hypot(bx - ax, by - ay),
        np.abs((ex - bx) * (by - y) - (bx - x) * (ey - by)) / math.hypot(ex - bx, ey - by),
    )
    assert np.quantile(off, 0.95) < 0.2
    assert kinds(day, trucks)["confirm"] > 0
    # ride-hailing drivers refresh every 1-4 minutes on the move, 3-8% of searches booked
    drivers = styled(day, "ride-hailing driver app")
    mine = [e for e in searches(day, drivers) if e.at not in set(day.scraping[drivers])]
    assert 0.025 <= kinds(day, drivers)["confirm"] / len(searches(day, drivers)) <= 0.09
    by_txn: dict[tuple[str, str], list[Search]] = {}
    for e in mine:
        if e.txn and e.user:
            by_txn.setdefault((e.user, e.txn), []).append(e)
    gaps = [b.at - a.at for trip in by_txn.values() for a, b in itertools.pairwise(trip)]
    if gaps:  # when its gateways send transaction ids and its drivers user references
        assert min(gaps) >= 60
        assert sum(x <= 240 for x in gaps) > 0.9 * len(gaps)
        moved = [
            math.hypot(*(np.subtract(xy_of(g, [b]), xy_of(g, [a])).ravel()))
            for trip in by_txn.values()
            for a, b in itertools.pairwise(trip)
        ]
        assert statistics.median(moved) > 0.2
    # two or three tiny new apps
    tiny = [b for b, t in day.baps.items() if t.style.startswith("tiny")]
    assert 2 <= len(tiny) <= 3
    assert all(len(searches(day, b)) < 30 for b in tiny)
    # the aggregator's searches are in both cities
    (agg,) = of(day, "hidden_poll")
    x, y = xy_of(g, searches(day, agg))
    ox, oy, orad = g.old
    in_old = np.hypot(x - ox, y - oy) < orad + 2
    assert 0.15 < in_old.mean() < 0.6


@pytest.mark.parametrize("seed", TWIN_SEEDS)
def test_twin_expo_surge_brings_many_apps_to_the_expo_ground(seed: int) -> None:
    day, g = day_of("twin", seed), twin.geography(seed)
    expo = twin.expo(day, g)
    assert day.start < expo.start < expo.end < day.end
    assert expo.end - expo.start == 3 * 3600
    before, during = Counter[str](), Counter[str]()
    length = expo.end - expo.start
    for bap in of(day, "honest") + of(day, "hidden_sweep"):
        for e in searches(day, bap):
            if e.at in set(day.scraping.get(bap, [])):
                continue
            near = np.hypot((e.lat - expo.lat) * 110.574, (e.lon - expo.lon) * g.km_lon)
            if near < 1.5 * expo.spread_km:
                if expo.start <= e.at < expo.end:
                    during[bap] += 1
                elif expo.start - length <= e.at < expo.start:
                    before[bap] += 1
    assert sum(during.values()) > 5 * sum(before.values())
    assert sum(n >= 20 for n in during.values()) >= 5
    # the crowd books less: the ordinary apps' selects at the expo's chargers per search near
    # it during the surge, against their selects per search all day
    s = twin.chargers(day, g).places[twin.CAPITAL]
    where = dict(zip(s.ids, zip(s.lat.tolist(), s.lon.tolist(), strict=True), strict=True))
    ordinary = [b for b, t in day.baps.items() if t.style == "ordinary app"]
    selects = 0
    for bap in ordinary:
        for f in day.events[bap]:
            if isinstance(f, Funnel) and f.kind.value == "select" and f.location_id in where:
                lat, lon = where[f.location_id]
                near = np.hypot((lat - expo.lat) * 110.574, (lon - expo.lon) * g.km_lon)
                selects += bool(near < 2.0 and expo.start <= f.at < expo.end + 600)
    count = Counter[str]()
    for bap in ordinary:
        count += kinds(day, bap)
    assert selects / sum(during[b] for b in ordinary) < 0.6 * count["select"] / count["search"]


# -- the plateau family (held out: these tests read its truth and events, never a score) -------

PLATEAU_SEEDS = (1, 2, 3, 4)


def pxy(g: plateau.Plateau, events: list[Search]) -> tuple[np.ndarray, np.ndarray]:
    return g.xy(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def test_plateau_places_move_with_the_seed() -> None:
    lands = [plateau.geography(s) for s in PLATEAU_SEEDS]
    assert len({(g.lat, g.arms, g.towns) for g in lands}) == len(PLATEAU_SEEDS)


@pytest.mark.parametrize("seed", PLATEAU_SEEDS)
def test_plateau_day_size_truth_and_well_formed_events(seed: int) -> None:
    day = day_of("plateau", seed)
    assert day.family == "plateau"
    check_day(day, (30, 45), (40_000, 80_000), plateau.GATEWAYS)
    # a funnel runs select -> init -> confirm in order within each transaction
    for bap, truth in day.baps.items():
        for steps in steps_of(day, bap):
            assert steps[:3] in (
                ["select"],
                ["select", "init", "confirm"],
                ["select", "select"],
                ["select", "init"],
            ), (truth, steps)
    honest = Counter[str]()
    for bap in of(day, "honest"):
        honest += kinds(day, bap)
    assert 0.03 < honest["confirm"] / honest["search"] < 0.2
    assert honest["select"] >= honest["init"] >= honest["confirm"]
    check_wiring(day)


@pytest.mark.parametrize("seed", PLATEAU_SEEDS)
def test_plateau_geography(seed: int) -> None:
    day, g = day_of("plateau", seed), plateau.geography(seed)
    c = plateau.chargers(day, g)
    assert 7.0 <= g.radius <= 8.0  # ~15 km across
    assert 8 <= len(g.towns) <= 14
    for x, y, _, _ in g.towns:
        assert 25 <= math.hypot(x, y) <= 125
    assert 55 <= math.hypot(g.temple[0], g.temple[1]) <= 95
    # two highways crossing at the city: four arms, two straight lines
    assert _angle(g.arms[0], g.arms[1]) == pytest.approx(math.pi)
    assert _angle(g.arms[2], g.arms[3]) == pytest.approx(math.pi)
    assert math.radians(59) <= _angle(g.arms[0], g.arms[2]) <= math.radians(121)
    # plazas every 25-50 km along each arm, on the highway, in highway order
    for arm in range(4):
        along = [p[3] for p in g.plazas if p[2] == arm]
        assert along
        assert all(25 <= b - a <= 50 for a, b in itertools.pairwise(along))
    for x, y, arm, d in g.plazas:
        assert (x, y) == pytest.approx(g.on_arm(arm, d))
    assert [p[2] for p in g.plazas] == sorted(p[2] for p in g.plazas)
    assert 10 <= len(g.stands) <= 20
    assert 30 <= len(c.depots.ids) <= 60
    assert 4 <= len(c.brt.ids) <= 8


def _angle(a: float, b: float) -> float:
    d = abs(a - b) % (2 * math.pi)
    return min(d, 2 * math.pi - d)


@pytest.mark.parametrize("seed", PLATEAU_SEEDS)
def test_plateau_hidden_sweeps_keep_to_their_shares_and_shapes(seed: int) -> None:
    day, g = day_of("plateau", seed), plateau.geography(seed)
    c = plateau.chargers(day, g)
    hidden = of(day, "hidden_sweep")
    assert len(hidden) == 3
    (curve,) = [b for b in hidden if day.baps[b].style.startswith("Hilbert")]
    (adapt,) = [b for b in hidden if day.baps[b].style.startswith("national aggregator")]
    (plazas,) = [b for b in hidden if day.baps[b].style.startswith("highway-assist")]
    for bap, low, high in ((curve, 0.08, 0.20), (adapt, 0.05, 0.12), (plazas, 0.05, 0.15)):
        share = len(scraping_searches(day, bap)) / len(searches(day, bap))
        assert low <= share <= high, day.baps[bap]
        assert kinds(day, bap)["confirm"] > 10  # inside a real app
    # the Hilbert curve: one radius, no user ref, each step to an adjacent cell 0.8-1.5 km
    # away, 256 cells covering the city
    points = scraping_searches(day, curve)
    assert len({e.radius_km for e in points}) == 1
    assert all(not e.user for e in points)
    x, y = pxy(g, points)
    hop = np.hypot(np.diff(x), np.diff(y))
    step = float(np.median(hop))
    assert 0.8 <= step <= 1.5
    # never a diagonal or a jump (a Hilbert curve), but from its end back to its start
    assert (~np.isclose(hop, step, rtol=1e-6)).sum() <= len(points) // 256 + 1
    assert len({(round(a, 6), round(b, 6)) for a, b in zip(x, y, strict=True)}) == min(
        256, len(points)
    )
    # the adaptive sweep: 1 km at 1 km in the city, 5 km at 5 km out in the belt; some txns
    points = scraping_searches(day, adapt)
    assert {e.radius_km for e in points} == {1.0, 5.0}
    assert 0 < sum(bool(e.txn) for e in points) < len(points)
    x, y = pxy(g, points)
    r = np.hypot(x, y)
    radius = np.array([e.radius_km for e in points])
    assert np.all(r[radius == 1.0] <= g.radius + 0.6)
    assert np.all((r[radius == 5.0] >= 24.99) & (r[radius == 5.0] <= 125.01))
    for rad in (1.0, 5.0):
        m = radius == rad
        assert np.allclose(x[m] / rad, np.round(x[m] / rad), atol=1e-6)
        assert np.allclose(y[m] / rad, np.round(y[m] / rad), atol=1e-6)
    # the plazas: each plaza's exact spot, in highway order, over and over, one radius
    points = scraping_searches(day, plazas)
    assert len({e.radius_km for e in points}) == 1
    where = list(zip(c.plazas.lat.tolist(), c.plazas.lon.tolist(), strict=True))
    idx = [where.index((e.lat, e.lon)) for e in points]
    assert all((b - a) % len(where) == 1 for a, b in itertools.pairwise(idx))
    assert len(points) >= 2 * len(where)


@pytest.mark.parametrize("seed", PLATEAU_SEEDS)
def test_plateau_subset_poll_and_own_scrapers(seed: int) -> None:
    day = day_of("plateau", seed)
    (poll,) = of(day, "hidden_poll")
    assert day.baps[poll].style.startswith("e-auto driver app")
    mine = scraping_searches(day, poll)
    assert 0.05 <= len(mine) / len(searches(day, poll)) <= 0.15
    spots = {(e.lat, e.lon) for e in mine}
    assert 10 <= len(spots) <= 25
    rounds: list[list[Search]] = [[mine[0]]]
    for a, b in itertools.pairwise(mine):
        if b.at - a.at > 60:
            rounds.append([])
        rounds[-1].append(b)
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert min(gaps) >= 300 - 1
    assert max(gaps) <= 1200 + 20
    sizes = [len({(e.lat, e.lon) for e in r}) for r in rounds]
    assert min(sizes) >= 3  # a subset, never all of them together
    assert max(sizes) <= 8
    assert len({frozenset((e.lat, e.lon) for e in r) for r in rounds}) > 0.8 * len(rounds)
    # the jittered sweeper: its points 100-200 m off a lattice, three radii
    (jit,) = [b for b in of(day, "sweeper") if "jittered" in day.baps[b].style]
    mine = scraping_searches(day, jit)
    assert len({e.radius_km for e in mine}) == 3
    assert len({(e.lat, e.lon) for e in mine}) == len(mine)
    # the shared key: a tiny app's honest searches ~5% of the key's
    (shared,) = [b for b in of(day, "sweeper") if "sharing a tiny app" in day.baps[b].style]
    own = len(searches(day, shared)) - len(scraping_searches(day, shared))
    assert own > 0
    assert 0.03 <= own / len(searches(day, shared)) <= 0.08
    for bap in of(day, "booking_scraper"):
        count = kinds(day, bap)
        assert 0.002 <= count["confirm"] / count["search"] <= 0.03
    for bap in of(day, "poller") + of(day, "low_and_slow") + [jit]:
        assert kinds(day, bap)["confirm"] == 0
    for bap in of(day, "low_and_slow"):
        mine = scraping_searches(day, bap)
        assert 4 * 24 * 0.6 <= len(mine) <= 20 * 24 * 1.4
        assert all(e.user for e in mine)
        h = hours_of(mine)
        assert ((h >= 7) & (h < 22)).mean() > 0.75
        # its user references change at 04:00 IST: none seen on both sides
        before = {e.user for e, x in zip(mine, h, strict=True) if x < 4}
        after = {e.user for e, x in zip(mine, h, strict=True) if x >= 4}
        assert after
        assert not before & after


@pytest.mark.parametrize("seed", PLATEAU_SEEDS)
def test_plateau_honest_habits(seed: int) -> None:
    day, g = day_of("plateau", seed), plateau.geography(seed)
    c = plateau.chargers(day, g)
    # the fleet: all its depot chargers every 10-20 minutes round the clock, booking 5-15%
    fleet = styled(day, "logistics fleet manager")
    mine = searches(day, fleet)
    assert {(e.lat, e.lon) for e in mine} == set(
        zip(c.depots.lat.tolist(), c.depots.lon.tolist(), strict=True)
    )
    rounds = [mine[0].at] + [b.at for a, b in itertools.pairwise(mine) if b.at - a.at > 60]
    assert all(0.95 * 600 <= b - a <= 1.05 * 1200 for a, b in itertools.pairwise(rounds))
    assert len(set(hours_of(mine).astype(int).tolist())) == 24
    assert 0.02 <= kinds(day, fleet)["select"] / len(rounds) <= 0.25
    # the BRT console: every 5 minutes, books more at night than by day
    brt = styled(day, "BRT depot console")
    mine = searches(day, brt)
    rounds = [mine[0].at] + [b.at for a, b in itertools.pairwise(mine) if b.at - a.at > 60]
    assert all(299 <= b - a <= 301 for a, b in itertools.pairwise(rounds))
    sel = [f.at for f in day.events[brt] if isinstance(f, Funnel) and f.kind.value == "select"]
    h = hours_of([Search(t, 0, 0, 1, "", "", "") for t in sel])
    night = ((h >= 22) | (h < 6)).sum() / (8 / 24 * len(rounds))
    daytime = ((h >= 6) & (h < 22)).sum() / (16 / 24 * len(rounds))
    assert night > 2 * daytime
    # the highway drivers search along the arms, 10-30 km apart
    hosts = of(day, "hidden_sweep")
    (hwy,) = [b for b in hosts if day.baps[b].style.startswith("highway-assist")]
    mine = [e for e in searches(day, hwy) if e.at not in set(day.scraping[hwy])]
    x, y = pxy(g, mine)
    off = np.min([np.abs(-x * math.sin(a) + y * math.cos(a)) for a in g.arms], axis=0)
    assert np.quantile(off, 0.95) < 0.3
    # the staff app keeps office hours in the towns, ~30% of sessions book
    staff = styled(day, "mining-company staff app")
    mine = searches(day, staff)
    h = hours_of(mine)
    assert ((h >= 9) & (h < 18.2)).mean() > 0.85
    x, y = pxy(g, mine)
    assert (np.hypot(x, y) > 20).mean() > 0.8
    assert 0.12 <= kinds(day, staff)["confirm"] / len(mine) <= 0.3
    # the e-auto drivers search their stands' exact spots many times an hour
    (auto,) = of(day, "hidden_poll")
    stands = set(zip(*(a.tolist() for a in g.ll(*np.array(g.stands).T)), strict=True))
    mine = [e for e in searches(day, auto) if e.at not in set(day.scraping[auto])]
    assert {(e.lat, e.lon) for e in mine} <= stands
    per_stand_hour = Counter((e.lat, e.lon, int(e.at // 3600)) for e in mine)
    assert statistics.median(per_stand_hour.values()) >= 3
    assert 0.025 <= kinds(day, auto)["confirm"] / len(searches(day, auto)) <= 0.09
    # the tiny apps
    tiny = [b for b, t in day.baps.items() if t.style.startswith("tiny")]
    assert 2 <= len(tiny) <= 3
    assert all(len(searches(day, b)) < 30 for b in tiny)
    # the national aggregator: most of its searches far away
    agg = next(b for b in of(day, "hidden_sweep") if day.baps[b].style.startswith("national"))
    mine = [e for e in searches(day, agg) if e.at not in set(day.scraping[agg])]
    x, y = pxy(g, mine)
    assert (np.hypot(x, y) > 200).mean() > 0.6


@pytest.mark.parametrize("seed", PLATEAU_SEEDS)
def test_plateau_festival_surge_at_the_temple(seed: int) -> None:
    day, g = day_of("plateau", seed), plateau.geography(seed)
    fest = plateau.festival(day, g)
    assert day.start < fest.start < fest.end < day.end
    assert fest.end - fest.start == 4 * 3600
    before, during = Counter[str](), Counter[str]()
    length = fest.end - fest.start
    for bap in of(day, "honest") + of(day, "hidden_sweep"):
        for e in searches(day, bap):
            if e.at in set(day.scraping.get(bap, [])):
                continue
            near = np.hypot((e.lat - fest.lat) * 110.574, (e.lon - fest.lon) * g.km_lon)
            if near < 3 * fest.spread_km:
                if fest.start <= e.at < fest.end:
                    during[bap] += 1
                elif fest.start - length <= e.at < fest.start:
                    before[bap] += 1
    assert sum(during.values()) > 5 * sum(before.values())
    assert sum(n >= 20 for n in during.values()) >= 5
    pilgrim = styled(day, "pilgrim app")
    assert during[pilgrim] > 0.3 * len(searches(day, pilgrim))
    count = kinds(day, pilgrim)  # a crowd books less
    assert 0.004 <= count["confirm"] / count["search"] <= 0.1


# -- the valley family (held out: these tests read its truth and events, never a score) --------

VALLEY_SEEDS = (1, 2, 3, 4)


def vxy(g: valley.Valley, events: list[Search]) -> tuple[np.ndarray, np.ndarray]:
    return g.xy(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def own_searches(world: World, bap: str) -> list[Search]:
    times = set(world.scraping.get(bap, []))
    return [e for e in searches(world, bap) if e.at not in times]


def styled_in(world: World, start: str) -> list[str]:
    return [b for b, t in world.baps.items() if t.style.startswith(start)]


def rounds_of(events: list[Search], gap: float = 60.0) -> list[list[Search]]:
    out: list[list[Search]] = [[events[0]]]
    for a, b in itertools.pairwise(events):
        if b.at - a.at > gap:
            out.append([])
        out[-1].append(b)
    return out


def test_valley_places_move_with_the_seed() -> None:
    lands = [valley.geography(s) for s in VALLEY_SEEDS]
    assert len({(g.lat, g.river, g.reservoir) for g in lands}) == len(VALLEY_SEEDS)


@pytest.mark.parametrize("seed", VALLEY_SEEDS)
def test_valley_day_size_truth_and_well_formed_events(seed: int) -> None:
    day = day_of("valley", seed)
    assert day.family == "valley"
    check_day(day, (30, 45), (40_000, 90_000), valley.GATEWAYS)
    for bap, truth in day.baps.items():
        events = day.events[bap]
        found = [e for e in events if isinstance(e, Search)]
        started = {e.txn: e.at for e in reversed(found) if e.txn}
        at = np.array([e.at for e in found])
        for e in events:
            if isinstance(e, Search):
                assert e.via.endswith(".valley.example")
                continue
            assert e.bpp_id.endswith(".valley.example")
            assert e.location_id.startswith("vl-")
            # a funnel follows a search: of its transaction, and of its BAP within 30 minutes
            if e.txn:
                assert started[e.txn] < e.at, truth
            if e.kind.value == "select":
                before = at[at < e.at]
                assert before.size, truth
                assert e.at - before[-1] < 1800, truth
        for steps in steps_of(day, bap):
            assert steps in (["select"], ["select", "init", "confirm"]), (truth, steps)
    honest = Counter[str]()
    for bap in of(day, "honest"):
        honest += kinds(day, bap)
    assert 0.01 < honest["confirm"] / honest["search"] < 0.15
    assert honest["select"] >= honest["init"] >= honest["confirm"] > 10 * honest["cancel"] > 0
    check_wiring(day)
    # apps use one gateway or split over two
    vias = [len({e.via for e in searches(day, b)}) for b in day.baps]
    assert set(vias) == {1, 2}


@pytest.mark.parametrize("seed", VALLEY_SEEDS)
def test_valley_geography_and_the_reservoir_nobody_searches(seed: int) -> None:
    day, g = day_of("valley", seed), valley.geography(seed)
    c = valley.chargers(seed, g)
    # a winding river of 6-10 bends, 80-110 km; a valley 4-8 km wide; the road along a bank
    assert 6 <= len(g.river) - 2 <= 10
    river_len = float(valley.project(g.river, *g.river[-1])[1][0])
    assert 80 <= river_len <= 110
    assert 80 <= g.road_length() <= 115
    turns = []
    for (ax, ay), (bx, by), (cx, cy) in zip(g.river, g.river[1:], g.river[2:], strict=False):
        turn = math.atan2(cy - by, cx - bx) - math.atan2(by - ay, bx - ax)
        turns.append(abs((turn + math.pi) % (2 * math.pi) - math.pi))
    assert all(math.radians(19) <= t <= math.radians(51) for t in turns)
    assert 2.0 <= g.half_width <= 4.0
    rx, ry = valley.along(g.road, np.linspace(0, g.road_length(), 400))
    off, _ = valley.project(g.river, rx, ry)
    assert np.all(off >= g.road_offset - 1e-6)
    assert np.all(off < g.half_width + 0.5)
    # 6-9 towns along the road, one of them the district town (~10 km across, 4-6 hubs)
    assert 6 <= len(g.towns) <= 9
    assert [t.s for t in g.towns] == sorted(t.s for t in g.towns)
    district = g.towns[g.district]
    assert 4.5 <= district.radius <= 5.5
    assert 4 <= len(district.hubs) <= 6
    assert all(t.radius <= 1.6 for t in g.small_towns())
    # the steel township near the mouth, the hill station at the head
    assert g.township.s <= 10
    assert g.hill.s == pytest.approx(g.road_length())
    # the reservoir part way up, the road clear of it; no charger in its water
    s0, s1, hw = g.reservoir
    assert 0.5 * river_len <= s0 < s1 <= 0.85 * river_len
    assert hw < g.road_offset
    assert g.wet(*g.dam())[0] == 1
    assert 60 <= c.total() <= 120
    assert 4 <= len(c.cpos) <= 6
    assert 6 <= len(c.depots.ids) <= 12
    assert 3 <= len(c.bus.ids) <= 6
    for s in (c.public, c.depots, c.bus):
        x, y = g.xy(s.lat, s.lon)
        assert np.all(g.in_valley(x, y) == 1)
        assert all(cpo.endswith(".valley.example") for cpo in s.cpos)
    assert all(5 <= b - a <= 15 for a, b in itertools.pairwise(c.road_s))
    x, y = g.xy(c.public.lat[list(c.road)], c.public.lon[list(c.road)])
    assert np.all(valley.project(g.road, x, y)[0] < 1e-6)
    # every search is in the valley (or, for the aggregator, a far city); none in the water
    (agg,) = styled_in(day, "national aggregator")
    for bap in day.baps:
        x, y = vxy(g, searches(day, bap))
        inside = g.in_valley(x, y) == 1
        assert not np.any(g.wet(x, y)), day.baps[bap]
        if bap == agg:
            assert np.all(inside | (g.near_far_city(x, y) == 1))
        else:
            assert np.all(inside), day.baps[bap]
    # and people do search right beside it: the water is empty, not the valley around it
    x, y = vxy(g, [e for b in of(day, "honest") for e in searches(day, b)])
    d, along = valley.project(g.river, x, y)
    assert np.sum((along > s0) & (along < s1) & (d < hw + 3)) > 20


@pytest.mark.parametrize("seed", VALLEY_SEEDS)
def test_valley_hidden_sweeps_keep_to_their_shares_and_shapes(seed: int) -> None:
    day, g = day_of("valley", seed), valley.geography(seed)
    hidden = of(day, "hidden_sweep")
    assert len(hidden) == 2
    (road,) = styled_in(day, "road sweep")
    (grid,) = styled_in(day, "jittered lattice")
    for bap, low, high in ((road, 0.08, 0.25), (grid, 0.05, 0.15)):
        share = len(scraping_searches(day, bap)) / len(searches(day, bap))
        assert low <= share <= high, day.baps[bap]
        assert kinds(day, bap)["confirm"] > 10  # inside a real app
    # the road sweep: points on the winding road every 1-2 km, both ways, one radius, no ref
    points = scraping_searches(day, road)
    assert len({e.radius_km for e in points}) == 1
    assert all(not e.user for e in points)
    x, y = vxy(g, points)
    dist, s = valley.project(g.road, x, y)
    assert np.all(dist < 1e-6)
    ds = np.diff(s)
    step = float(np.median(np.abs(ds)))
    assert 1.0 <= step <= 2.0
    assert np.mean(np.isclose(np.abs(ds), step, rtol=1e-4)) > 0.5
    assert np.mean(np.abs(ds) <= step * 1.0001) > 0.95  # it walks, never jumps
    assert 0.3 < np.mean(ds > 0) < 0.7  # up the valley and back down
    assert len({(e.lat, e.lon) for e in points}) >= min(len(points), 40)
    # not a straight line: the road bends, so the points do not lie on one
    coef = np.polyfit(x, y, 1)
    assert np.max(np.abs(y - np.polyval(coef, x))) > 2.0
    # the lattice: each visit 100-300 m off a node of its lattice in the district town, in
    # random order, on the app's own daily rhythm, some visits with transaction ids
    points = scraping_searches(day, grid)
    found = re.search(r"a ([0-9.]+) km lattice", day.baps[grid].style)
    assert found
    step = float(found.group(1))
    assert 1.5 <= step <= 3.0
    town = g.towns[g.district]
    x, y = vxy(g, points)
    i, j = np.round((x - town.x) / step), np.round((y - town.y) / step)
    off = np.hypot(x - town.x - i * step, y - town.y - j * step)
    assert np.all(off >= 0.1 - 0.005)
    assert np.all(off <= 0.3 + 0.005)
    assert np.all(np.hypot(x - town.x, y - town.y) <= town.radius)
    nodes = list(zip(i.tolist(), j.tolist(), strict=True))
    assert len(set(nodes)) >= 8
    assert len(set(nodes[: len(set(nodes))])) == len(set(nodes))  # a pass visits each once
    assert len({e.radius_km for e in points}) == 1
    assert 0 < sum(bool(e.txn) for e in points) < len(points)
    assert all(not e.user for e in points)
    sweep_hours = np.bincount(hours_of(points).astype(int), minlength=24)
    own_hours = np.bincount(hours_of(own_searches(day, grid)).astype(int), minlength=24)
    assert np.corrcoef(sweep_hours, own_hours)[0, 1] > 0.6
    assert sweep_hours[9:21].sum() > 4 * sweep_hours[:6].sum()


@pytest.mark.parametrize("seed", VALLEY_SEEDS)
def test_valley_drifting_poll_in_the_aggregator(seed: int) -> None:
    day, g = day_of("valley", seed), valley.geography(seed)
    c = valley.chargers(seed, g)
    (poll,) = of(day, "hidden_poll")
    assert day.baps[poll].style.startswith("national aggregator")
    mine = scraping_searches(day, poll)
    assert 0.05 <= len(mine) / len(searches(day, poll)) <= 0.15
    spots = {(e.lat, e.lon) for e in mine}
    assert 8 <= len(spots) <= 20
    assert spots <= set(zip(c.public.lat.tolist(), c.public.lon.tolist(), strict=True))
    rounds = rounds_of(mine)
    assert all({(e.lat, e.lon) for e in r} == spots for r in rounds[:-1])
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert min(gaps) >= 6 * 60 * 0.97
    assert max(gaps) <= 30 * 60 * 1.03
    # the period holds for 1-3 hours, then changes: runs of steady gaps
    runs: list[list[float]] = [[gaps[0]]]
    for a, b in itertools.pairwise(gaps):
        if abs(b / a - 1) > 0.05:
            runs.append([])
        runs[-1].append(b)
    assert len(runs) >= 6
    for run in runs[:-1]:
        assert max(run) / min(run) < 1.05
        assert 0.95 * 3600 <= sum(run) <= 3 * 3600 + 1.05 * max(run)
    assert len({round(statistics.median(r) / 60) for r in runs}) >= 4
    # its host's own traffic: mostly far cities, 5-10% in the valley
    x, y = vxy(g, own_searches(day, poll))
    assert 0.03 <= float(np.mean(g.in_valley(x, y))) <= 0.12


@pytest.mark.parametrize("seed", VALLEY_SEEDS)
def test_valley_sybil_sweep_and_own_scrapers(seed: int) -> None:
    day, g = day_of("valley", seed), valley.geography(seed)
    keys = styled_in(day, "sybil key")
    assert 3 <= len(keys) <= 5
    assert all(day.baps[b].label == "sweeper" for b in keys)
    found = re.search(r"one ([0-9.]+) km lattice", day.baps[keys[0]].style)
    assert found
    step = float(found.group(1))
    sets = [{(e.lat, e.lon) for e in scraping_searches(day, b)} for b in keys]
    for one, other in itertools.combinations(sets, 2):
        assert not one & other
    every = [p for s in sets for p in s]
    x, y = g.xy(np.array([p[0] for p in every]), np.array([p[1] for p in every]))
    i, j = (x - x.min()) / step, (y - y.min()) / step
    assert np.allclose(i, np.round(i), atol=0.01)
    assert np.allclose(j, np.round(j), atol=0.01)
    owner = [n for n, s in enumerate(sets) for _ in s]
    cells = zip(np.round(i).astype(int).tolist(), np.round(j).astype(int).tolist(), strict=True)
    key_of = dict(zip(cells, owner, strict=True))
    k = len(keys)
    # in each row of the lattice, the keys take turns: every k-th node is one key's
    rows: dict[int, list[int]] = {}
    for cell in sorted(key_of, key=lambda c: (c[1], c[0])):
        rows.setdefault(cell[1], []).append(cell[0])
    for row, cols in rows.items():
        for a, b in itertools.pairwise(cols):
            if b - a == 1:
                assert (key_of[(b, row)] - key_of[(a, row)]) % k == 1
        for a, b in itertools.combinations(cols, 2):
            if key_of[(a, row)] == key_of[(b, row)]:
                assert (b - a) % k == 0
    for s in sets:
        assert len(s) >= 10
        assert 0.5 / k <= len(s) / len(every) <= 1.6 / k
    assert len({e.radius_km for b in keys for e in scraping_searches(day, b)}) == 1
    # the rotating sweeper: exact points, the same each round, its radius turning round by round
    (rot,) = styled_in(day, "rotating-radius sweeper")
    mine = scraping_searches(day, rot)
    n = len({(e.lat, e.lon) for e in mine})
    assert len(mine) >= 3 * n
    first = [(e.lat, e.lon) for e in mine[:n]]
    assert len(set(first)) == n
    radii = []
    for r in range(len(mine) // n):
        turn = mine[r * n : (r + 1) * n]
        assert [(e.lat, e.lon) for e in turn] == first
        assert len({e.radius_km for e in turn}) == 1
        radii.append(turn[0].radius_km)
    assert len(set(radii)) == 3
    assert all(radii[r] == radii[r % 3] for r in range(len(radii)))
    # the poller: 10-30 chargers a round, each round's gap drawn in 10-40 minutes
    (poller,) = of(day, "poller")
    mine = scraping_searches(day, poller)
    spots = {(e.lat, e.lon) for e in mine}
    assert 10 <= len(spots) <= 30
    rounds = rounds_of(mine)
    assert all({(e.lat, e.lon) for e in r} == spots for r in rounds[:-1])
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert min(gaps) >= 600
    assert max(gaps) <= 2400
    assert statistics.pstdev(gaps) > 300
    # the booking scraper: selects on 1-2%, confirms about half, cancels most within 10 min
    (booker,) = of(day, "booking_scraper")
    count = kinds(day, booker)
    assert 0.005 <= count["select"] / count["search"] <= 0.03
    assert 0.2 <= count["confirm"] / count["select"] <= 0.8
    assert count["cancel"] >= 0.5 * count["confirm"]
    confirmed = {
        e.txn: e.at for e in day.events[booker] if isinstance(e, Funnel) and e.kind == "confirm"
    }
    for e in day.events[booker]:
        if isinstance(e, Funnel) and e.kind == "cancel":
            assert 0 < e.at - confirmed[e.txn] <= 600
    # low and slow: 3-15 an hour on people's rhythm, a coarse lattice in random order
    slow = of(day, "low_and_slow")
    assert 2 <= len(slow) <= 3
    refs = []
    for bap in slow:
        mine = scraping_searches(day, bap)
        assert 3 * 24 * 0.6 <= len(mine) <= 15 * 24 * 1.4
        h = hours_of(mine)
        assert ((h >= 7) & (h < 22)).mean() > 0.75
        assert kinds(day, bap)["confirm"] == 0
        x, y = vxy(g, mine)
        pts = np.unique(np.round(np.stack([x, y], axis=1), 6), axis=0)
        near = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
        assert np.min(near + 1e9 * np.eye(len(pts))) >= 5.0 - 1e-6
        users = {e.user for e in mine}
        refs.append(bool(users - {""}))
        if users - {""}:
            assert "" not in users
            before = {e.user for e, x in zip(mine, h, strict=True) if x < valley.ROTATE}
            after = {e.user for e, x in zip(mine, h, strict=True) if x >= valley.ROTATE}
            assert before
            assert after
            assert not before & after
    assert any(refs)
    assert not all(refs)
    for bap in [*keys, rot, poller]:
        assert kinds(day, bap)["select"] == 0


@pytest.mark.parametrize("seed", VALLEY_SEEDS)
def test_valley_honest_habits(seed: int) -> None:
    day, g = day_of("valley", seed), valley.geography(seed)
    c = valley.chargers(seed, g)
    # the steel plant's fleet console: its depot every 8-15 minutes, books ~1 in 200-400
    (fleet,) = styled_in(day, "steel plant fleet console")
    mine = searches(day, fleet)
    depots = set(zip(c.depots.lat.tolist(), c.depots.lon.tolist(), strict=True))
    rounds = rounds_of(mine)
    assert all({(e.lat, e.lon) for e in r} == depots for r in rounds[:-1])
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert min(gaps) >= 480
    assert max(gaps) <= 900
    assert statistics.pstdev(gaps) > 10  # jittered
    assert len(set(hours_of(mine).astype(int).tolist())) == 24
    selects = kinds(day, fleet)["select"]
    assert selects >= 1
    assert 1 / 650 <= selects / len(mine) <= 1 / 130
    # the bus depot: 3-6 chargers every 5-10 minutes from 04:00 to 23:00, ~15% of rounds book
    (bus,) = styled_in(day, "bus depot console")
    mine = searches(day, bus)
    h = hours_of(mine)
    assert np.all((h >= 4) & (h < 23))
    assert h.min() < 4.2
    assert h.max() > 22.8
    rounds = rounds_of(mine)
    spots = set(zip(c.bus.lat.tolist(), c.bus.lon.tolist(), strict=True))
    assert all({(e.lat, e.lon) for e in r} == spots for r in rounds)
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert all(300 <= gap <= 600 for gap in gaps if gap < 3600)
    assert 0.07 <= kinds(day, bus)["select"] / len(rounds) <= 0.25
    # the township's residents crowd the app at the three shift changes; ~15% book
    (town,) = styled_in(day, "steel township residents")
    mine = searches(day, town)
    h = hours_of(mine)
    in_shift = np.zeros(h.size, dtype=bool)
    for start in valley.SHIFTS:
        window = (h >= start) & (h < start + 1)
        in_shift |= window
        daytime = ((h >= 7) & (h < 21) & ~window).sum() / 13.0
        assert window.sum() > 3 * daytime
    x, y = vxy(g, mine)
    near = np.hypot(x - g.township.x, y - g.township.y)
    assert np.mean(near <= g.township.radius) > 0.85
    assert np.all(near <= g.township.radius + 2.5)
    sessions = len({e.txn or (e.user, e.at) for e in mine})
    assert 0.06 <= kinds(day, town)["confirm"] / sessions <= 0.2
    # the tourists drive up in the morning, down in the evening; 8-15% of trips book
    (tour,) = styled_in(day, "tourist app")
    trips: dict[str, list[Search]] = {}
    for e in searches(day, tour):
        trips.setdefault(e.txn, []).append(e)
    assert "" not in trips
    up = down = morning = evening = 0
    for trip in trips.values():
        x, y = vxy(g, trip)
        dist, s = valley.project(g.road, x, y)
        assert np.all(dist < 0.15)
        if len(trip) < 2:
            continue
        assert np.all((np.abs(np.diff(s)) >= 4.5) & (np.abs(np.diff(s)) <= 20.5))
        start = float(hours_of(trip[:1])[0])
        if valley.UP[0] <= start < valley.UP[1]:
            morning += 1
            up += s[-1] > s[0]
        elif valley.DOWN[0] <= start < valley.DOWN[1]:
            evening += 1
            down += s[-1] < s[0]
    assert morning > 100
    assert evening > 100
    assert up > 0.85 * morning
    assert down > 0.85 * evening
    assert morning + evening > 0.75 * len(trips)
    assert 0.05 <= kinds(day, tour)["select"] / len(trips) <= 0.2
    # the tea estates: a few dozen searches in office hours, ~30% book
    (tea,) = styled_in(day, "tea-estate")
    mine = searches(day, tea)
    assert 10 <= len(mine) <= 80
    h = hours_of(mine)
    assert np.all((h >= valley.OFFICE[0]) & (h < valley.OFFICE[1] + 0.1))
    assert 0.1 <= kinds(day, tea)["confirm"] / len(mine) <= 0.5
    # ordinary apps of 30 to 3,000 searches a day, some refining a search 2-4 times
    apps = [b for b in of(day, "honest") if day.baps[b].style.startswith("ordinary app")]
    assert 10 <= len(apps) <= 14
    sizes = [len(searches(day, b)) for b in apps]
    assert min(sizes) < 100
    assert max(sizes) > 1500
    refined = 0
    for bap in apps:
        per_txn = Counter(e.txn for e in searches(day, bap) if e.txn)
        refined += any(3 <= n <= 5 for n in per_txn.values())
        assert max(per_txn.values(), default=1) <= 5
        if len(searches(day, bap)) > 500:
            assert 0.005 <= kinds(day, bap)["confirm"] / len(searches(day, bap)) <= 0.12
    assert refined >= 2
    # the tiny apps; the taxi drivers at their stands
    tiny = styled_in(day, "tiny new app")
    assert 2 <= len(tiny) <= 3
    assert all(len(searches(day, b)) < 30 for b in tiny)
    (taxi,) = styled_in(day, "taxi-stand app")
    assert 5 <= len(g.stands) <= 10
    stands = {g.ll1(*p) for p in g.stands}
    mine = searches(day, taxi)
    assert {(e.lat, e.lon) for e in mine} <= stands
    per_stand_hour = Counter((e.lat, e.lon, int(e.at // 3600)) for e in mine)
    assert statistics.median(per_stand_hour.values()) >= 3
    assert 0.03 <= kinds(day, taxi)["confirm"] / len(mine) <= 0.11


# -- the port family (held out: these tests read its truth and events, never a score) ---------

PORT_SEEDS = (1, 2, 3, 4)


def puv(g: port.Port, events: list[Search]) -> tuple[np.ndarray, np.ndarray]:
    return g.uv(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def spots_of(events: list[Search]) -> set[tuple[float, float]]:
    return {(e.lat, e.lon) for e in events}


def coords(*sites: Sites) -> set[tuple[float, float]]:
    return {(a, b) for s in sites for a, b in zip(s.lat.tolist(), s.lon.tolist(), strict=True)}


def test_port_places_move_with_the_seed() -> None:
    lands = [port.geography(s) for s in PORT_SEEDS]
    assert len({(g.lat, g.theta, g.island, g.harbour, g.highway) for g in lands}) == len(PORT_SEEDS)
    sites = [port.chargers(s, g) for s, g in zip(PORT_SEEDS, lands, strict=True)]
    assert len({tuple(c.terminal.lat.tolist()) for c in sites}) == len(PORT_SEEDS)


@pytest.mark.parametrize("seed", PORT_SEEDS)
def test_port_day_size_truth_and_well_formed_events(seed: int) -> None:
    day = day_of("port", seed)
    assert day.family == "port"
    check_day(day, (30, 40), (40_000, 60_000), port.GATEWAYS)
    for bap, truth in day.baps.items():
        for e in day.events[bap]:
            if isinstance(e, Funnel):
                assert e.bpp_id.endswith(".port.example")
                assert e.location_id.startswith("pt-")
        for steps in steps_of(day, bap):
            assert steps in (["select"], ["select", "init", "confirm"]), (truth, steps)
        if truth.label.startswith("hidden"):  # the gateway cannot know a hidden scraper's user
            assert not any(e.user for e in scraping_searches(day, bap))
    honest = Counter[str]()
    for bap in of(day, "honest"):
        honest += kinds(day, bap)
    assert 0.01 < honest["confirm"] / honest["search"] < 0.15
    check_wiring(day)
    assert {len({e.via for e in searches(day, b)}) for b in day.baps} == {1, 2}


@pytest.mark.parametrize("seed", PORT_SEEDS)
def test_port_searches_fall_on_land_never_at_sea(seed: int) -> None:
    day, g = day_of("port", seed), port.geography(seed)
    c = port.chargers(seed, g)
    # the coast bends away from the port and runs straight along the terminal's quay
    u = np.linspace(-15, 15, 601)
    coast = g.coast(u)
    assert np.ptp(coast) > 1.0
    assert np.all(coast[np.abs(u) <= g.terminal[0] / 2] == 0)
    # the terminal's chargers are on reclaimed land, seaward of the old shore
    tu, tv = puv_sites(g, c.terminal)
    assert np.all(tv < 0)
    assert np.all(g.dry(tu, tv) == 1)
    # the island is out at sea, reached by one bridge: round it, only the bridge is dry
    i = g.island
    a = np.linspace(0, 2 * math.pi, 720, endpoint=False)
    ru, rv = i.u + (i.r + 0.3) * np.cos(a), i.v + (i.r + 0.3) * np.sin(a)
    assert np.array_equal(g.dry(ru, rv), g.on_bridge(ru, rv))
    assert 0 < g.on_bridge(ru, rv).sum() < 20
    assert g.bridge[2] - g.bridge[1] >= 1.5
    for s in (c.public, c.terminal):
        su, sv = puv_sites(g, s)
        assert np.all(g.dry(su, sv) == 1)
    # every search is on land; the national apps' others in far cities (inland, on land too)
    for bap in day.baps:
        su, sv = puv(g, searches(day, bap))
        assert np.all(g.dry(su, sv) == 1), day.baps[bap]
        near = np.hypot(su - g.new.u, sv - g.new.v) < 70
        assert np.all(near | (g.near_far_city(su, sv) == 1)), day.baps[bap]
    # and people do search at the water's edge, on the island and on the bridge
    su, sv = puv(g, [e for b in of(day, "honest") for e in searches(day, b)])
    shore = (sv > g.coast(su)) & (sv < g.coast(su) + 0.5) & (np.abs(su) < 20)
    assert shore.sum() > 50
    assert g.on_island(su, sv).sum() > 200
    assert g.on_bridge(su, sv).sum() >= 10
    # while a good part of the city's box is sea
    bu, bv = np.meshgrid(np.linspace(-12, 12, 49), np.linspace(-6, 12, 37))
    wet = g.dry(bu.ravel(), bv.ravel()) == 0
    assert 0.15 < wet.mean() < 0.6


def puv_sites(g: port.Port, s: Sites) -> tuple[np.ndarray, np.ndarray]:
    return g.uv(s.lat, s.lon)


@pytest.mark.parametrize("seed", PORT_SEEDS)
def test_port_hidden_lattice_is_a_share_of_a_logistics_app(seed: int) -> None:
    day, g = day_of("port", seed), port.geography(seed)
    (bap,) = of(day, "hidden_sweep")
    assert day.baps[bap].style.endswith("of a logistics app")
    points = scraping_searches(day, bap)
    assert 0.10 <= len(points) / len(searches(day, bap)) <= 0.20
    assert kinds(day, bap)["confirm"] > 10  # inside a real app that books
    found = re.search(r"a ([0-9.]+) km lattice", day.baps[bap].style)
    assert found
    step = float(found.group(1))
    assert 0.9 <= step <= 1.5
    u, v = puv(g, points)
    assert np.all(g.dry(u, v) == 1)
    i, j = np.round(u / step), np.round(v / step)
    off = np.hypot(u - i * step, v - j * step)
    assert np.all(off >= 0.02 - 0.002)
    assert np.all(off <= 0.05 + 0.002)
    nu, nv = i * step, j * step
    town = np.zeros(u.size, dtype=bool)
    for d in (g.old, g.new):
        town |= np.hypot(nu - d.u, nv - d.v) <= d.r + 1e-6
    assert town.all()
    assert {e.radius_km for e in points} == {points[0].radius_km}
    # full rounds of the same nodes in the same order, at a steady period
    rounds = rounds_of(points, gap=300)
    assert len(rounds) >= 5
    nodes = [
        list(zip(np.round(puv(g, r)[0] / step), np.round(puv(g, r)[1] / step), strict=True))
        for r in rounds
    ]
    assert len(nodes[0]) >= 8
    assert all(n == nodes[0] for n in nodes[:-1])
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert max(gaps) - min(gaps) <= 40
    assert 1800 - 40 <= min(gaps) <= 4 * 3600


@pytest.mark.parametrize("seed", PORT_SEEDS)
def test_port_terminal_poll_gaps_are_irregular_in_range(seed: int) -> None:
    day, g = day_of("port", seed), port.geography(seed)
    c = port.chargers(seed, g)
    (bap,) = of(day, "hidden_poll")
    assert day.baps[bap].style.startswith("trucking aggregator")
    mine = scraping_searches(day, bap)
    assert spots_of(mine) == coords(c.terminal, c.yard)
    rounds = rounds_of(mine, gap=120)
    assert all(spots_of(r) == spots_of(mine) for r in rounds[:-1])
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert min(gaps) >= 6 * 60
    assert max(gaps) <= 14 * 60
    assert statistics.pstdev(gaps) > 90  # drawn afresh, not a period
    terminal = set(c.terminal.ids)
    assert not any(isinstance(e, Funnel) and e.location_id in terminal for e in day.events[bap])
    assert 0.05 <= len(mine) / len(searches(day, bap)) <= 0.35
    assert kinds(day, bap)["confirm"] > 10  # the truckers' own bookings


@pytest.mark.parametrize("seed", PORT_SEEDS)
def test_port_sybil_keys_share_one_spot_list(seed: int) -> None:
    day, g = day_of("port", seed), port.geography(seed)
    c = port.chargers(seed, g)
    keys = [b for b, t in day.baps.items() if t.style.startswith("sybil key")]
    assert 3 <= len(keys) <= 4
    assert all(day.baps[b].label == "poller" for b in keys)
    sets = [spots_of(searches(day, b)) for b in keys]
    assert all(s == sets[0] for s in sets)
    assert 11 <= len(sets[0]) <= 23
    assert sets[0] <= coords(c.town)
    # the keys take turns down the one list
    owner = {e.at: k for k, b in enumerate(keys) for e in searches(day, b)}
    every = sorted((e for b in keys for e in searches(day, b)), key=lambda e: e.at)
    rounds = rounds_of(every, gap=120)
    order = [(e.lat, e.lon) for e in rounds[0]]
    assert len(order) == len(sets[0])
    for r in rounds[:-1]:
        assert [(e.lat, e.lon) for e in r] == order
        turns = [owner[e.at] for e in r]
        assert all((b - a) % len(keys) == 1 for a, b in itertools.pairwise(turns))
    sizes = [len(searches(day, b)) for b in keys]
    assert max(sizes) / min(sizes) < 1.2
    for b in keys:
        assert kinds(day, b)["select"] == 0


@pytest.mark.parametrize("seed", PORT_SEEDS)
def test_port_consoles_book_at_their_rates(seed: int) -> None:
    day = day_of("port", seed)
    (fleet,) = [b for b, t in day.baps.items() if t.style.startswith("e-truck fleet console")]
    count = kinds(day, fleet)
    assert 0.18 <= count["confirm"] / count["search"] <= 0.37
    h = hours_of(searches(day, fleet))
    assert ((h >= 22) | (h < 6)).mean() > 0.3  # day and night
    (ops,) = [b for b, t in day.baps.items() if t.style.startswith("port authority's")]
    count = kinds(day, ops)
    assert count["confirm"] >= 2
    assert 120 <= count["search"] / count["confirm"] <= 350
    rounds = rounds_of(searches(day, ops), gap=120)
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert round(statistics.median(gaps)) in (900, 1200, 1800)
    assert max(gaps) - min(gaps) < 1e-6  # on the clock
    (harbour,) = [b for b, t in day.baps.items() if t.style.startswith("harbour-master")]
    h = hours_of(searches(day, harbour))
    assert np.all((h >= 3.5) & (h < 7.8))


@pytest.mark.parametrize("seed", PORT_SEEDS)
def test_port_own_scrapers(seed: int) -> None:
    day = day_of("port", seed)
    # the night-only scraper: 22:00-06:00 IST, long random gaps
    (slow,) = of(day, "low_and_slow")
    mine = scraping_searches(day, slow)
    h = hours_of(mine)
    assert np.all((h >= 22) | (h < 6))
    gaps = np.diff([e.at for e in mine])
    night = gaps[gaps < 3600]
    assert night.min() >= 150
    assert night.max() <= 600
    assert night.std() > 60
    assert kinds(day, slow)["select"] == 0
    # the alternating sweeper: the same grid each round, its radius flipping round by round
    (alt,) = [b for b, t in day.baps.items() if t.style.startswith("alternating-radius")]
    mine = scraping_searches(day, alt)
    n = len(spots_of(mine))
    assert len(mine) >= 3 * n
    first = [(e.lat, e.lon) for e in mine[:n]]
    radii = []
    for r in range(len(mine) // n):
        turn = mine[r * n : (r + 1) * n]
        assert [(e.lat, e.lon) for e in turn] == first
        assert len({e.radius_km for e in turn}) == 1
        radii.append(turn[0].radius_km)
    assert radii[0] != radii[1]
    assert all(r == radii[k % 2] for k, r in enumerate(radii))
    # the booking scraper books ~1% and cancels every booking
    (booker,) = of(day, "booking_scraper")
    count = kinds(day, booker)
    assert 0.004 <= count["confirm"] / count["search"] <= 0.02
    assert count["select"] - 1 <= count["confirm"] <= count["select"]
    assert count["confirm"] - 1 <= count["cancel"] <= count["confirm"]
    # the poller behind a tiny new app's key: the app's real users share it
    (tiny,) = [b for b in of(day, "poller") if "tiny app's key" in day.baps[b].style]
    own = [e for e in searches(day, tiny) if e.at not in set(day.scraping[tiny])]
    assert 3 <= len(own) <= 60
    assert len(scraping_searches(day, tiny)) > 10 * len(own)


@pytest.mark.parametrize("seed", PORT_SEEDS)
def test_port_shift_crowds_and_night_trucks(seed: int) -> None:
    day, g = day_of("port", seed), port.geography(seed)
    # the ride-hail drivers crowd the port gate at each shift change
    (ride,) = [b for b, t in day.baps.items() if t.style.startswith("city ride-hail")]
    mine = searches(day, ride)
    u, v = puv(g, mine)
    gate = np.hypot(u - g.gate[0], v - g.gate[1]) < 0.8
    h = hours_of(mine)
    crowd = np.zeros(h.size, dtype=bool)
    for change in port.SHIFTS:
        lo, hi = (change + port.CROWD[0]) % 24, (change + port.CROWD[1]) % 24
        crowd |= (h >= lo) & (h < hi)
    span = (port.CROWD[1] - port.CROWD[0]) * len(port.SHIFTS)
    inside = (gate & crowd).sum() / span
    outside = (gate & ~crowd).sum() / (24 - span)
    assert inside > 4 * outside
    # the trucking aggregator's own truckers drive mostly at night
    (truck,) = of(day, "hidden_poll")
    h = hours_of(own_searches(day, truck))
    assert ((h >= 22) | (h < 6)).mean() > 0.4


# -- the desert family (held out: these tests read its truth and events, never a score) -------

DESERT_SEEDS = (1, 2, 3, 4)


@functools.cache
def desert_land(seed: int) -> tuple[desert.Desert, desert.Chargers]:
    g = desert.geography(seed)
    return g, desert.chargers(seed, g)


def dxy(g: desert.Desert, events: list[Search]) -> tuple[np.ndarray, np.ndarray]:
    return g.xy(np.array([e.lat for e in events]), np.array([e.lon for e in events]))


def test_desert_places_move_with_the_seed() -> None:
    lands = [desert_land(s)[0] for s in DESERT_SEEDS]
    keys = {(g.lat, g.fair, g.cantonment, g.camps.x, g.highway.verts, g.ridge) for g in lands}
    assert len(keys) == len(DESERT_SEEDS)
    sites = [desert_land(s)[1] for s in DESERT_SEEDS]
    assert len({tuple(c.new.lat.tolist()) for c in sites}) == len(DESERT_SEEDS)


@pytest.mark.parametrize("seed", DESERT_SEEDS)
def test_desert_day_size_truth_and_well_formed_events(seed: int) -> None:
    day = day_of("desert", seed)
    _, c = desert_land(seed)
    assert day.family == "desert"
    check_day(day, (30, 40), (40_000, 65_000), desert.GATEWAYS)
    assert 50 <= c.total() <= 90
    owners = set(c.every.cpos)
    assert desert.WIND_CPO in owners
    assert 5 <= len(owners) <= 6
    assert set(c.wind.cpos) == {desert.WIND_CPO}
    assert set(c.solar.cpos) == {desert.SOLAR_CPO}
    for bap, truth in day.baps.items():
        for e in day.events[bap]:
            if isinstance(e, Funnel):
                assert e.bpp_id.startswith("cpo-")
                assert e.bpp_id.endswith(".desert.example")
                assert e.location_id.startswith("ds-")
        for steps in steps_of(day, bap):
            assert steps in (["select"], ["select", "init", "confirm"]), (truth, steps)
        if truth.label.startswith("hidden"):
            assert not any(e.user for e in scraping_searches(day, bap))
    honest = Counter[str]()
    for bap in of(day, "honest"):
        honest += kinds(day, bap)
    assert 0.01 < honest["confirm"] / honest["search"] < 0.15
    check_wiring(day)
    assert {len({e.via for e in searches(day, b)}) for b in day.baps} == {1, 2}
    tiny = [b for b, t in day.baps.items() if t.style.startswith("tiny new app")]
    assert 2 <= len(tiny) <= 3
    assert all(len(searches(day, b)) < 30 for b in tiny)


@pytest.mark.parametrize("seed", DESERT_SEEDS)
def test_desert_geography_and_the_cantonment_nobody_searches(seed: int) -> None:
    day = day_of("desert", seed)
    g, c = desert_land(seed)
    assert 120 <= g.highway.length <= 180
    assert 3 <= len(g.highway.verts) - 1 <= 4  # 2-3 bends
    assert 2.4 <= g.highway.distance((0.0, 0.0)) <= 4.0
    assert 60 <= abs(g.junction_s - g.city_s) <= 80
    assert 35 <= math.hypot(g.camps.x, g.camps.y) <= 50
    (ax, ay), (bx, by) = g.ridge
    assert 19 <= math.hypot((ax + bx) / 2, (ay + by) / 2) <= 31
    assert 3 <= len(g.dhabas) - 1 <= 5
    stops = np.diff(g.stops)
    assert np.all((stops >= 40) & (stops <= 90))
    assert 4 <= len(g.far) <= 6
    k = g.cantonment
    assert g.old.r < math.hypot(k.x, k.y) < g.new.r + 2 * k.r
    # no charger and no search in the cantonment; people all round it
    sx, sy = g.xy(c.every.lat, c.every.lon)
    assert not g.in_cantonment(sx, sy).any()
    around = 0
    for bap in day.baps:
        x, y = dxy(g, searches(day, bap))
        assert not g.in_cantonment(x, y).any(), day.baps[bap]
        near = np.hypot(x, y) < 250
        assert np.all(near | (g.near_far_city(x, y) == 1)), day.baps[bap]
        if day.baps[bap].label == "honest":
            around += int(((g.in_cantonment(x, y, 2.0) == 1) & ~(g.in_cantonment(x, y) == 1)).sum())
    assert around > 100


def _lattice_of(day: World) -> tuple[str, float, float]:
    (bap,) = [b for b in of(day, "hidden_sweep") if "lattice" in day.baps[b].style]
    found = re.search(r"a ([0-9.]+) km lattice turned ([0-9.]+) deg", day.baps[bap].style)
    assert found
    return bap, float(found.group(1)), math.radians(float(found.group(2)))


@pytest.mark.parametrize("seed", DESERT_SEEDS)
def test_desert_hidden_lattice_turned_boustrophedon_in_a_city_app(seed: int) -> None:
    day = day_of("desert", seed)
    g, _ = desert_land(seed)
    bap, step, angle = _lattice_of(day)
    assert day.baps[bap].style.endswith("of a city app")
    assert 0.8 <= step <= 1.2
    assert 0.1 < angle < math.pi / 2 - 0.1
    points = scraping_searches(day, bap)
    assert 0.08 <= len(points) / len(searches(day, bap)) <= 0.25
    assert kinds(day, bap)["confirm"] > 10  # a real app that books
    x, y = dxy(g, points)
    a = x * math.cos(angle) + y * math.sin(angle)
    b = -x * math.sin(angle) + y * math.cos(angle)
    i, j = np.round(a / step), np.round(b / step)
    off = np.hypot(a - i * step, b - j * step)
    if seed % 2:  # exact nodes (as far as the style's digits tell them)
        assert off.max() < 1e-4
    else:
        assert off.min() >= 0.03 - 1e-4
        assert off.max() <= 0.08 + 1e-4
    assert not g.in_cantonment(x, y).any()
    assert {e.radius_km for e in points} == {points[0].radius_km}
    nodes, _, ni, nj = desert.fort_lattice(g, step, angle)
    rounds = rounds_of(points, gap=600)
    assert len(rounds) >= 4
    for r in rounds[:-1]:
        assert len(r) == nodes.size
    for r in rounds[:-1]:  # every round the same nodes in the same order
        rx, ry = dxy(g, r)
        ra = rx * math.cos(angle) + ry * math.sin(angle)
        rb = -rx * math.sin(angle) + ry * math.cos(angle)
        assert np.array_equal(np.round(ra / step), ni)
        assert np.array_equal(np.round(rb / step), nj)
    # row by row, the rows alternating direction (boustrophedon)
    rows = [
        [i2 for _, i2 in run]
        for _, run in itertools.groupby(zip(nj.tolist(), ni.tolist(), strict=True), lambda p: p[0])
    ]
    starts = [j2 for j2, _ in itertools.groupby(nj.tolist())]
    assert len(rows) >= 5
    assert all(p < q for p, q in itertools.pairwise(starts))
    ways = {(k % 2, float(np.sign(np.diff(r)).mean())) for k, r in enumerate(rows) if len(r) > 1}
    assert len(ways) == 2
    assert {w2 for _, w2 in ways} == {1.0, -1.0}
    gaps = [q[0].at - p[0].at for p, q in itertools.pairwise(rounds)]
    assert max(gaps) - min(gaps) <= 20  # a steady period
    assert 1.5 * 3600 - 20 <= min(gaps) <= 5 * 3600 + 20


def _on_roads(g: desert.Desert, x: float, y: float) -> float:
    return min(g.highway.distance((x, y)), g.spur.distance((x, y)))


def trips_of(events: list[Search]) -> list[list[Search]]:
    """Searches grouped by transaction (those with one), in time order."""
    out: dict[str, list[Search]] = {}
    for e in events:
        if e.txn:
            out.setdefault(e.txn, []).append(e)
    return list(out.values())


@pytest.mark.parametrize("seed", DESERT_SEEDS)
def test_desert_fake_head_unit_drives_every_road_piece_in_rounds(seed: int) -> None:
    day = day_of("desert", seed)
    g, _ = desert_land(seed)
    (bap,) = [b for b in of(day, "hidden_sweep") if "fake head unit" in day.baps[b].style]
    assert day.baps[bap].style.endswith("of a trip-planner app with a drive mode")
    fake = scraping_searches(day, bap)
    assert 0.05 <= len(fake) / len(searches(day, bap)) <= 0.10
    assert kinds(day, bap)["confirm"] > 10  # its real drivers and users book
    assert {e.radius_km for e in fake} == {fake[0].radius_km}
    x, y = dxy(g, fake)
    assert max(_on_roads(g, a, b) for a, b in zip(x.tolist(), y.tolist(), strict=True)) < 0.06
    # each fake trip is a transaction of its own (where the gateway reports ids): its
    # refreshes 3-5 km apart along the road, one after the other, never booking
    trips = trips_of(fake)
    assert len(trips) >= 10
    assert sum(len(t) for t in trips) >= 0.5 * len(fake)
    order = [e.txn for e in fake if e.txn]
    assert [k for k, _ in itertools.groupby(order)] == [t[0].txn for t in trips]
    for trip in trips:
        tx, ty = dxy(g, trip)
        hops = np.hypot(np.diff(tx), np.diff(ty))
        assert np.all(hops >= 2.7), hops
        assert np.all(hops <= 5.05), hops
    booked = {e.txn for e in day.events[bap] if isinstance(e, Funnel)}
    assert not booked & {t[0].txn for t in trips}
    # rounds over every piece of the highway and the spur road
    rounds = rounds_of(fake, gap=40 * 60)
    assert len(rounds) >= 3
    for r in rounds[:-1]:
        rx, ry = dxy(g, r)
        for road in (g.highway, g.spur):
            for s in np.arange(0.0, road.length, 2.0).tolist():
                px, py = road.at(s)
                assert np.hypot(rx - px, ry - py).min() < 5.1, (road.length, s)


@pytest.mark.parametrize("seed", DESERT_SEEDS)
def test_desert_head_units_refresh_along_the_roads_and_park_at_dhabas(seed: int) -> None:
    day = day_of("desert", seed)
    g, _ = desert_land(seed)
    for start in ("long-haul bus", "car brand"):
        (bap,) = styled_in(day, start)
        mine = searches(day, bap)
        trips = trips_of(mine)
        assert len(trips) >= 50
        for trip in trips:  # one vehicle's one trip: one user, one gateway, a few hours
            assert len({(e.user, e.via) for e in trip}) == 1
            assert trip[-1].at - trip[0].at < 6 * 3600
        hops: list[float] = []
        parked = 0
        for trip in trips:
            tx, ty = dxy(g, trip)
            hops += np.hypot(np.diff(tx), np.diff(ty)).tolist()
            spots = Counter((e.lat, e.lon) for e in trip)
            for (la, lo), n in spots.items():
                if n >= 2:
                    px, py = g.xy(la, lo)
                    dhaba = min(math.hypot(float(px) - a, float(py) - b) for a, b in g.dhabas)
                    assert dhaba < 0.01
                    parked += 1
        moving = np.array([h for h in hops if h > 0.05])
        assert moving.max() <= 6.1
        assert 2.0 <= float(np.median(moving)) <= 6.0
        assert parked >= 3  # refreshes repeat at one spot while parked at a dhaba
        booked = {e.txn for e in day.events[bap] if isinstance(e, Funnel)}
        assert 0.01 <= len(booked) / len(trips) <= 0.18
        x, y = dxy(g, mine)
        far = np.array([_on_roads(g, a, b) for a, b in zip(x.tolist(), y.tolist(), strict=True)])
        assert np.mean(far < 0.1) > 0.85  # on the roads (the rest on the way out of town)
        h = hours_of(mine)
        assert ((h >= 22) | (h < 6)).mean() > (0.35 if start == "long-haul bus" else 0.05)


@pytest.mark.parametrize("seed", DESERT_SEEDS)
def test_desert_subset_poll_hidden_in_an_aggregator(seed: int) -> None:
    day = day_of("desert", seed)
    _, c = desert_land(seed)
    (bap,) = of(day, "hidden_poll")
    assert day.baps[bap].style.endswith("of a national aggregator")
    mine = scraping_searches(day, bap)
    assert 0.10 <= len(mine) / len(searches(day, bap)) <= 0.30
    every = coords(c.road)
    assert spots_of(mine) == every
    rounds = rounds_of(mine, gap=120)
    assert len(rounds) >= 60
    sizes = []
    for r in rounds:
        spots = [(e.lat, e.lon) for e in r]
        assert len(set(spots)) == len(spots)
        sizes.append(len(spots))
        assert 0.6 * len(every) - 1e-9 <= len(spots) <= 0.9 * len(every) + 1e-9
    assert len(set(sizes)) > 1 or len(every) < 4
    assert len({frozenset(spots_of(r)) for r in rounds}) > len(rounds) / 2  # a new subset
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert min(gaps) >= 8 * 60
    assert max(gaps) <= 20 * 60
    assert statistics.pstdev(gaps) > 120
    polled = {e.txn for e in mine if e.txn}
    assert polled
    assert not any(isinstance(e, Funnel) and e.txn in polled for e in day.events[bap])
    assert kinds(day, bap)["confirm"] > 20  # the aggregator's own users book
    # a national app: most of its own traffic in the far cities
    g, _ = desert_land(seed)
    x, y = dxy(g, own_searches(day, bap))
    assert 0.7 < float(np.mean(np.hypot(x, y) > 200)) < 0.95
    (agg,) = styled_in(day, "national aggregator")
    x, y = dxy(g, searches(day, agg))
    assert 0.8 <= float(np.mean(np.hypot(x, y) > 200)) <= 0.9


@pytest.mark.parametrize("seed", DESERT_SEEDS)
def test_desert_consoles_keep_their_clocks_and_booking_rates(seed: int) -> None:
    day = day_of("desert", seed)
    _, c = desert_land(seed)
    # the wind farm's console: its own chargers on the clock day and night, two staff around
    # each shift change, about 1 booking in 120-250 searches
    (wind,) = styled_in(day, "wind-farm maintenance console")
    mine = searches(day, wind)
    assert spots_of(mine) == coords(c.wind)
    count = kinds(day, wind)
    assert 120 <= count["search"] / count["confirm"] <= 250
    assert {e.bpp_id for e in day.events[wind] if isinstance(e, Funnel)} == {desert.WIND_CPO}
    rounds = rounds_of(mine, gap=120)
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    period = statistics.median(gaps)
    assert round(period) in (600, 900, 1200)
    assert max(gaps) - min(gaps) < 1e-6  # on the clock
    n = len(c.wind.ids)
    for r in rounds:
        at = float(hours_of(r[:1])[0])
        changing = any(abs((at - x + 12) % 24 - 12) <= desert.SHIFT_HALF for x in desert.SHIFTS)
        assert len(r) == (2 * n if changing else n)
    # the solar park's O&M console: the contractor's depot chargers on the clock in daylight
    (solar,) = styled_in(day, "solar park O&M console")
    mine = searches(day, solar)
    assert spots_of(mine) == coords(c.solar)
    h = hours_of(mine)
    assert np.all((h >= 6) & (h < 19.1))
    count = kinds(day, solar)
    assert 75 <= count["search"] / count["confirm"] <= 160  # about, in whole bookings
    rounds = rounds_of(mine, gap=120)
    gaps = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert 20 * 60 <= gaps[0] <= 40 * 60
    assert max(gaps) - min(gaps) < 1e-6
    # the tourist-cab fleet: its depot every 15 minutes day and night, a third booked
    (cabs,) = styled_in(day, "tourist-cab fleet dispatch")
    mine = searches(day, cabs)
    starts = [r[0].at for r in rounds_of(mine, gap=300)]
    assert {round(b - a) for a, b in itertools.pairwise(starts)} == {900}
    assert (hours_of(mine) < 6).sum() >= 20
    count = kinds(day, cabs)
    assert 0.29 <= count["confirm"] / count["search"] <= 0.38
    depot = set(c.cabs.ids)
    assert all(e.location_id in depot for e in day.events[cabs] if isinstance(e, Funnel))
    # the camp-resort app's staff book guests' charging: it converts well
    (camp,) = styled_in(day, "camp-resort app")
    count = kinds(day, camp)
    assert count["confirm"] / count["search"] > 0.2


@pytest.mark.parametrize("seed", DESERT_SEEDS)
def test_desert_own_scrapers(seed: int) -> None:
    day = day_of("desert", seed)
    g, c = desert_land(seed)
    # office hours only: chargers' exact spots in random order, 3-12 minutes apart
    (office,) = styled_in(day, "office-hours scraper")
    mine = scraping_searches(day, office)
    h = hours_of(mine)
    assert np.all((h >= 10) & (h < 18))
    assert h.min() < 10.2
    assert h.max() > 17.5
    gaps = np.diff([e.at for e in mine])
    assert gaps.min() >= 180
    assert gaps.max() <= 720
    assert gaps.std() > 90
    assert spots_of(mine) <= coords(c.every)
    index = {
        p: k for k, p in enumerate(zip(c.every.lat.tolist(), c.every.lon.tolist(), strict=True))
    }
    picks = np.array([index[(e.lat, e.lon)] for e in mine])
    assert 0.3 < float(np.mean(np.diff(picks) > 0)) < 0.7  # in random order
    assert kinds(day, office)["select"] == 0
    # one slow sweep spread over three BAP keys, taking turns at random
    keys = styled_in(day, "a slow sweep of chargers' spots spread over three BAP keys")
    assert len(keys) == 3
    assert all(day.baps[k].label == "low_and_slow" for k in keys)
    every = sorted((e for k in keys for e in searches(day, k)), key=lambda e: e.at)
    gaps = np.diff([e.at for e in every])
    assert gaps.min() >= 120
    assert gaps.max() <= 900
    x, y = dxy(g, every)
    sx, sy = g.xy(c.every.lat, c.every.lon)
    near = np.hypot(x[:, None] - sx[None, :], y[:, None] - sy[None, :]).min(axis=1)
    assert near.max() < 0.2
    sizes = [len(searches(day, k)) for k in keys]
    assert min(sizes) >= 50
    # the sweeper: every round's grid half a step off the one before
    (sweeper,) = of(day, "sweeper")
    found = re.search(r"a ([0-9.]+) km grid", day.baps[sweeper].style)
    assert found
    step = float(found.group(1))
    mine = scraping_searches(day, sweeper)
    x, y = dxy(g, mine)
    assert not g.in_cantonment(x, y).any()
    fx = np.round((x / step) % 1.0 * 2) % 2  # 0 on the grid, 1 half a step off it
    fy = np.round((y / step) % 1.0 * 2) % 2
    assert np.array_equal(fx, fy)
    turns = [k for k, _ in itertools.groupby(fx.tolist())]
    assert len(turns) >= 6
    assert all(a != b for a, b in itertools.pairwise(turns))
    runs = [len(list(r)) for _, r in itertools.groupby(fx.tolist())]
    sizes = [desert.inhabited_grid(g, step, off)[0].size for off in (0.0, step / 2)]
    assert runs[:-1] == [sizes[k % 2] for k in range(len(runs) - 1)]
    # the booking scraper: about 1% booked, each booking cancelled 5-20 minutes later
    (booker,) = of(day, "booking_scraper")
    count = kinds(day, booker)
    assert 0.004 <= count["confirm"] / count["search"] <= 0.02
    assert count["select"] - 1 <= count["confirm"] <= count["select"]  # but at the day's end
    assert count["confirm"] - 1 <= count["cancel"] <= count["confirm"]
    steps: dict[str, dict[str, float]] = {}
    for e in day.events[booker]:
        if isinstance(e, Funnel):
            assert e.txn  # through a gateway that reports transaction ids
            steps.setdefault(e.txn, {})[e.kind.value] = e.at
    for got in steps.values():
        if {"confirm", "cancel"} <= set(got):
            assert 300 <= got["cancel"] - got["confirm"] <= 1200
    # the pollers: the fair grounds' and city chargers with each wait drawn in 5-25 min
    (fair,) = [b for b in of(day, "poller") if "fair-ground" in day.baps[b].style]
    mine = scraping_searches(day, fair)
    assert coords(c.fair) <= spots_of(mine) <= coords(c.city)
    rounds = rounds_of(mine, gap=120)
    waits = [b[0].at - a[0].at for a, b in itertools.pairwise(rounds)]
    assert min(waits) >= 300
    assert max(waits) <= 1500
    assert statistics.pstdev(waits) > 150
    # and one behind a tiny app's key, the app's few real users sharing it
    (tiny,) = [b for b in of(day, "poller") if "tiny app's key" in day.baps[b].style]
    own = own_searches(day, tiny)
    assert 3 <= len(own) <= 30
    assert len(scraping_searches(day, tiny)) > 10 * len(own)
    assert spots_of(scraping_searches(day, tiny)) == coords(c.junction, c.highway)
    assert 2 <= len(of(day, "poller")) <= 3


@pytest.mark.parametrize("seed", DESERT_SEEDS)
def test_desert_fair_surge_and_the_drive_to_the_camps(seed: int) -> None:
    day = day_of("desert", seed)
    g, _ = desert_land(seed)
    honest = [e for b in of(day, "honest") for e in searches(day, b)]
    x, y = dxy(g, honest)
    h = hours_of(honest)
    fair = np.hypot(x - g.fair[0], y - g.fair[1]) < 0.5
    during = (h >= desert.FAIR[0]) & (h < desert.FAIR[1])
    span = desert.FAIR[1] - desert.FAIR[0]
    assert (fair & during).sum() / span > 4 * (fair & ~during).sum() / (24 - span)
    # most apps are at the fair
    apps = {b for b in of(day, "honest") if "head units" not in day.baps[b].style}
    there = 0
    for b in apps:
        bx, by = dxy(g, searches(day, b))
        there += int((np.hypot(bx - g.fair[0], by - g.fair[1]) < 0.5).sum() > 0)
    assert there >= len(apps) / 2
    # the spur road is busy on the way out (14:00-17:00) and back (21:00-01:00)
    spur = np.array(
        [
            g.spur.distance((a, b)) < 0.2 and math.hypot(a, b) > 5
            for a, b in zip(x.tolist(), y.tolist(), strict=True)
        ]
    )
    trips = ((h >= 14) & (h < 17)) | (h >= 21) | (h < 1)
    assert (spur & trips).sum() / 7 > 3 * (spur & ~trips).sum() / 17
    # the dune camps fill in the evening
    camps = np.hypot(x - g.camps.x, y - g.camps.y) < g.camps.r + 0.5
    assert (camps & (h >= 17)).sum() > 2 * (camps & (h >= 6) & (h < 13)).sum()


# -- every family written from a brief: the same seed the same day, seeds different days ------

WRITTEN: dict[str, tuple[int, ...]] = {
    "delta": DELTA_SEEDS,
    "ring": RING_SEEDS,
    "twin": TWIN_SEEDS,
    "plateau": PLATEAU_SEEDS,
    "valley": VALLEY_SEEDS,
    "port": PORT_SEEDS,
    "desert": DESERT_SEEDS,
}


@pytest.mark.parametrize("name", sorted(WRITTEN))
def test_a_family_is_deterministic_by_seed_and_seeds_differ(name: str) -> None:
    seeds = WRITTEN[name]
    again = FAMILIES[name](1, DEFAULT_START, 24.0)  # made anew, not the cached day
    first = day_of(name, 1)
    assert (again.events, again.baps, again.scraping) == (first.events, first.baps, first.scraping)
    days = [day_of(name, s) for s in seeds]
    for a, b in itertools.combinations(days, 2):
        assert a.events != b.events
        assert [t.style for t in a.baps.values()] != [t.style for t in b.baps.values()]
    assert len({(len(d.baps), d.total()) for d in days}) == len(seeds)
