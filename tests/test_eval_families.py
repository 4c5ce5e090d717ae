"""The families evaluation's quick path runs end to end through the real Scorer and prints
its tables (structure only: the figures are the benchmark's, not a test's); the held-out
``delta`` family's days are what its brief says (truth and events only, never scored)."""

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
from uei_testing.families import FAMILIES, SCRAPER_CLASSES, World, delta
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
    # record: hills moved to tuning in the third round, delta in the sixth, and SPLIT's
    # history says so)
    assert {"towns", "coast"} <= set(SPLIT["held-out"]) - set(SPLIT["tuning"])
    for seen in ("hills", "delta"):
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
