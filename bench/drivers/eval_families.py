"""Scraping verdicts on independently designed traffic families, tuned on some and reported
on the others (uei_testing/families/).

    python -m bench.eval_families [--quick] [--split all|tuning|held-out] [--plot FILE]

Each (family, seed) is a network day. Its events are recorded in a real anti-abuse store
(SQLite in a temporary directory, ``open_abuse_stores``) and scored by the real ``Scorer``
in process, with the shipped ``policies.yaml`` scraping section, a pass every ``PASS_EVERY``
hours once the first window is full (each pass's forest learns from the earlier passes'
rows, as in production). The HTTP path is ``python -m bench.eval_scraping``'s.

The split is declared here (``SPLIT``, with its history): the detector's rules were designed
looking only at TUNING worlds; HELD OUT worlds are whole families no rule was tuned on
(leave-one-family-out: ``towns``, ``coast``, ``port`` and ``isles``) and
unseen seeds of the tuning families.

A sample is (BAP, pass): its verdict's score that pass (0 without one). Scraper samples count
only in passes whose window holds at least ``ACTIVE`` of its scraping searches (a low-and-slow
scraper in office hours is not scraping at 03:00). Per family and split it prints ROC-AUC of
scraper samples against honest ones; per scraper class the recall at <= 1 honest BAP flagged
(per network day, the threshold is the second-highest honest BAP's best score that day: a
sample is caught when strictly above it); and how many honest BAPs any verdict gave each action
(applied or in shadow: what the policy's bands would do), and how many scraper BAPs were given
coarsen or more in a window where they scraped (what the actions reach). Writes a plot: score
distributions per class and a ROC curve per family.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from bench.progress import bar
from uei.antiabuse.scraping.policy import ScrapingAction, ScrapingPolicy
from uei.antiabuse.scraping.scorer import Scorer
from uei.antiabuse.stores import open_abuse_stores
from uei.app.policy import load_policies
from uei_testing.families import FAMILIES, Truth, World
from uei_testing.traffic import DEFAULT_START

TUNING = "tuning"
HELD_OUT = "held-out"

SPLIT: dict[str, dict[str, tuple[int, ...]]] = {
    # How this split came to be, in order (never changed to suit a figure):
    # 1. Decided before any detector change: TUNING metro and sprawl seeds 1-3; HELD OUT metro
    #    and sprawl seeds 101-103, corridor seeds 1-4 and towns seeds 2-5 (towns seed 1 had
    #    been seen once, untuned, in the first smoke run, so it was left out).
    # 2. The first held-out run (after the rules were set on tuning worlds only) showed the
    #    detector failing on corridor (head units taken for a lattice, a person widening the
    #    radius taken for a poll). Both were fixed looking at corridor seed 1, so corridor
    #    moved to TUNING, and its seeds 101-104 and a new family, coast (written after those
    #    fixes, its numbers never looked at before it was first reported), are HELD OUT.
    # 3. Before the second round of detector changes (hidden polls without transaction ids,
    #    lattices off the axes): a new family, hills (rotated and hexagonal lattices hidden in
    #    apps, pollers with 7-40 min jittered periods in apps, an app snapping to a 1 km grid
    #    that books, head units booking ~1%, a night fleet, a national aggregator), was
    #    written and registered HELD OUT, seeds 1-4, and committed before any rule changed.
    #    That round tunes on TUNING only (new tuning seeds of metro, sprawl, corridor allowed).
    # 4. The third round (lattices turned off the axes, two-way, found in a box among many
    #    towns) was designed on unit tests, then looked at hills' hidden sweeps per window
    #    (hills seeds 1-3), so hills moved to TUNING. A new held-out family was asked of a
    #    separate session and did not arrive: the held-out split of this round is the unseen
    #    seeds of metro, sprawl and corridor, towns and coast (all seen in earlier rounds'
    #    reports; no rule was tuned on them). A next round needs a new family first.
    # 5. A new family, delta (a river delta: an old city on two banks with few bridges,
    #    satellite towns, a highway spine, a power-cut burst; hidden sweeps in random order and
    #    over both banks skipping the river, a poll hidden in an aggregator, a sweeper rotating
    #    BAP keys), was written by a separate session from a brief, independently of the
    #    detector's rules, and registered HELD OUT with seeds 1-4. It was never scored while it
    #    was written: its first figures are the lead's first evaluation.
    # 6. Delta's first held-out run (041ecc9) showed an honest depot console coarsened and
    #    throttled (seed 1) and hidden sweeps and a hidden poll missed (seeds 1-3). The fix of
    #    the first (conversion below the honest rate must be shown, not estimated) was designed
    #    looking at delta seed 1, so delta moved to TUNING.
    # 7. A new family, ring (a planned inland city on two concentric ring roads and six radial
    #    highways, an airport out on one radial, IT parks, satellite towns, a cricket-match
    #    surge; a polar sweep and a road-following sweep hidden in apps, a poll with
    #    exponential gaps hidden in a big app, a distributed sweeper whose many user refs each
    #    take a few cells an hour), was written by a separate session from a brief,
    #    independently of the detector's rules, and registered HELD OUT with seeds 1-4. It was
    #    never scored while it was written.
    # 8. Ring's first held-out run (af8317b; docs/scraping-families.md, fourth round) missed
    #    its polar and road-following sweeps (0.12). Sweeps that are not lattices were then
    #    designed looking at ring's windows, so ring moved to TUNING; a new held-out family
    #    was asked of a separate session first.
    # 9. A new family, twin (twin cities: a planned capital on a street grid turned ~15 degrees,
    #    with a cantonment and a lake nobody searches, and an old industrial city 12-18 km away
    #    joined by an expressway with a plaza midway; clockwork honest consoles, a nearby
    #    widget, night trucks, an expo surge; an Archimedean spiral, a blue-noise coverage set
    #    and a triangular lattice turned with the grid hidden in apps, a poll whose chargers
    #    each keep their own period hidden in an aggregator, a sweeper spread over three
    #    gateways), was written by a separate session from a brief, independently of the
    #    detector's rules, and registered HELD OUT with seeds 1-4. It was never scored while it
    #    was written.
    # 10. Twin's first held-out run (bcbd149; docs/scraping-families.md, fourth round) gave the
    #    CPO's own ops console coarsen, throttle and block. Its untied walk-in bookings were
    #    looked at (twin seed 1) to decide when transaction ids tie nothing, so twin moved to
    #    TUNING; a new held-out family was asked of a separate session first.
    # 11. A new family, plateau (a dry plateau: a junction city where two national highways
    #    cross, with logistics parks, a BRT corridor, a walled town and a station; a mining
    #    belt of small towns with highway plazas every 25-50 km; a temple town with a festival
    #    surge; a Hilbert-curve sweep, a density-adaptive sweep and a sweep of the highway
    #    plazas hidden in apps, a poll whose rounds each visit a random subset of its chargers
    #    hidden in an e-auto driver app, a jittered sweeper, a sweeper sharing a tiny app's
    #    BAP key), was written by a separate session from a brief, independently of the
    #    detector's rules, and registered HELD OUT with seeds 1-4. It was never scored while
    #    it was written.
    # 12. A new family, valley (a long, narrow river valley in the hills: a winding river with a
    #    road along it, a string of towns with one district town, a steel township with three
    #    shift-change crowds, a hill station at the head with Saturday tourists driving up in the
    #    morning and down in the evening, a reservoir nobody searches; a sweep along the winding
    #    road, a jittered lattice over the district town in random order and a poll whose period
    #    drifts hidden in apps, a sybil sweep splitting one lattice across 3-5 BAP keys, a
    #    sweeper rotating its radius round by round), was written by a separate session from a
    #    brief, independently of the detector's rules, and registered HELD OUT with seeds 1-4.
    #    It was never scored while it was written.
    # 13. A new family, port (a port-and-industrial coastal city on a weekday: a container
    #    terminal on reclaimed land with a truck yard and a gate, a fishing harbour, an old
    #    town behind it, a new town inland, logistics parks along a highway, an island suburb
    #    over one bridge, a bending coast with sea nobody searches; three shift-change crowds,
    #    night trucks; a jittered lattice over the old and new towns hidden in a logistics app,
    #    a poll of the terminal's and truck yard's chargers with gaps drawn in 6-14 min hidden
    #    in a trucking aggregator, a sybil poller sharing one spot list across 3-4 BAP keys, a
    #    sweeper alternating two radii round by round, a night-only low-and-slow scraper, a
    #    poller behind a tiny new app's key), was written by a separate session from a brief,
    #    independently of the detector's rules, and registered HELD OUT with seeds 1-4. It was
    #    never scored while it was written.
    # 14. Port's first held-out run (224e99a; docs/scraping-families.md, sixth round) gave its
    #    honest BAPs the same actions as plateau's and valley's (an own-site console, head
    #    units counted per search). The next rules (head units per trip; the network saying
    #    which BPP a console is one operator with) are designed looking at plateau's and
    #    valley's windows, so both moved to TUNING before any of them was read; port and the
    #    other held-out worlds judge the rules. A next round needs a new family first.
    # 15. A new family, desert (a desert tourism-and-energy region on a Saturday: a walled fort
    #    city on a hill with a cantonment nobody searches, a long national highway with sparse
    #    chargers and dhabas, a railway junction town, a spur road to dune camps, a wind-farm
    #    ridge and a solar park whose operators run their own depot chargers; a fair with a
    #    visitor surge, tourists out to the camps and back at night, long-haul buses at night;
    #    a turned lattice swept boustrophedon over the fort city hidden in a city app, a fake
    #    head unit driving virtual trips over every road piece hidden in a trip-planner app, a
    #    poll of random 60-90% subsets of the road and camp chargers hidden in an aggregator,
    #    pollers with a per-round period and behind a tiny app's key, a sweeper offsetting its
    #    grid by half a step each round, an office-hours scraper and one spread over three BAP
    #    keys), was written by a separate session from a brief, independently of the
    #    detector's rules, and registered HELD OUT with seeds 1-4. It was never scored while
    #    it was written.
    # 16. A new family, lakes (an IT-and-university city on a monsoon weekday built round a
    #    chain of lakes nobody searches: an old centre, an IT corridor of tech parks with their
    #    own chargers along a ring road, a campus, an industrial estate with an e-bus depot,
    #    satellite villages, an airport out on an expressway with a toll plaza, a hill town up
    #    a state highway's ghat; office peaks, heavy rain 16:00-19:00, a cricket match with a
    #    surge before and after; a triangular lattice over the corridor in a fresh random order
    #    each round hidden in a city app, a spiral out from the old centre at a new angle each
    #    round hidden in a ride-hailing-like aggregator, a poll of random subsets of the depot's
    #    and the corridor's chargers hidden in the national aggregator, a fake head unit
    #    without transaction ids, a poll split into disjoint shares over 4-6 tiny keys, a
    #    match-hours poller, a booking scraper varying its radius and never cancelling, a
    #    rain-and-night scraper and a trickle riding along a city app's key), was written by
    #    a separate session from a brief, independently of the detector's rules, and
    #    registered HELD OUT with seeds 1-4. It was never scored while it was written.
    # 17. Desert's first held-out run (ffd884c; docs/scraping-families.md, seventh round) still
    #    gave its buses' and cars' head units every action. The next rule is designed
    #    looking at desert's windows, so desert moved to TUNING before any of them was read;
    #    lakes (written for this), port and the other held-out worlds judge it. (What its
    #    windows then showed: the head units' transactions are there, but longer than a trip
    #    may be, and they wait at dhabas refreshing one spot.)
    # 18. Lakes' first held-out run (3ec8d38; docs/scraping-families.md, eighth round) read
    #    0.00 for every recall: more than one honest BAP scored 1.0 each day. The next rules
    #    are designed looking at lakes' windows, so lakes moved to TUNING before any of them
    #    was read; a new held-out family was asked of a separate session first (plains,
    #    registered below once it lands), and towns, coast, port and the unseen seeds judge.
    # 19. A new family, plains (a district of the Indo-Gangetic plains on a foggy winter
    #    weekday: a district town on a wide river with one road bridge and a flood plain
    #    nobody searches, a cantonment, a sugar-mill belt, an expressway with tolls and
    #    wayside amenities, an inland container depot with an electric-truck yard, a
    #    university, a grain market with night trucks; fog slowing the highway until 10:30, a
    #    wedding-season evening; a turned lattice over the whole district in a Hilbert-like
    #    order hidden in a city app, a "parked head unit" driving drive-shaped transactions
    #    to a rival's chargers and waiting there 30-90 minutes refreshing the spot, a poll of
    #    random subsets of the amenities' and the yard's chargers hidden in the national
    #    aggregator, one lattice's rows split over three keys, an evening poller varying its
    #    radius, a booking scraper that cancels, fog-hours and trickle low-and-slow
    #    scrapers), was written by a separate session from a brief, independently of the
    #    detector's rules, and registered HELD OUT with seeds 1-4. It was never scored while
    #    it was written.
    # 20. Plains' first held-out run (e4fc5a3; docs/scraping-families.md, ninth round) missed
    #    its parked head unit (waits of 30-90 minutes, shorter than what the drive rule
    #    leaves free, score 0.16-0.23) and flagged its bus operator and truck fleet, whose
    #    transactions wait at amenities and queue at tolls. The next rules are designed
    #    looking at plains' windows, so plains moved to TUNING before any of them was read;
    #    a new held-out family was asked of a separate session first, from a brief that
    #    names no rule and no scraper (it invents both from the list).
    # 21. A new family, steel (an industrial belt of eastern India on a three-shift weekday:
    #    a steel city and its township beside a walled steel plant nobody searches inside but
    #    at its gates, a shift-bus depot, a coalfield of open-cast mines with miners' colonies
    #    joined by haul roads to a washery, a national highway with a coal town and the
    #    district headquarters; shift changes at 06:00, 14:00 and 22:00 with crowds, haul
    #    trucks pausing at the handovers, an evening peak tariff, a weekly haat; a greedy disc
    #    cover of the city's chargers hidden in a city app, map-pan bursts of 2x2 lattice
    #    tiles over the coalfield hidden in the miners' app, a shadow poll riding a ride-hail
    #    app's own sessions, an offset poll from points off the gate chargers hidden in a
    #    national aggregator, a bursty two-state poller, a shift-clock poller with user
    #    references, a quadtree sweeper, one lattice relayed over three keys by shift, a rival
    #    CPO's sweep booking at its own chargers, a low-and-slow scraper posing as many made-up
    #    users and on some seeds a slow coalfield sweep), was written by a separate session
    #    from a brief, independently of the detector's rules, and registered HELD OUT with
    #    seeds 1-4. It was never scored while it was written.
    # 22. Steel's held-out runs (tenth round) gave its electric tippers' telematics (seed 1)
    #    and the plant's energy console (seed 4) every action, and missed its map-pan bursts,
    #    offset poll, self-booking scraper and made-up users. The next rules are designed
    #    looking at steel's windows, so steel moved to TUNING before any of them was read; a
    #    new held-out family was asked of a separate session first, from a brief that names
    #    no rule and no scraper.
    # 23. A new family, mela (a river-confluence pilgrimage city on a day of a month-long fair
    #    holding a great bathing day's dawn: a tent city of numbered sectors on the sandbanks,
    #    pontoon bridges over rivers nobody searches, parking lots with e-bus and e-rickshaw
    #    shuttles, an old city, a railway junction with special trains, a cantonment nobody
    #    searches, a VIP closure, an expressway to the state capital), was written by a
    #    separate session from that brief, independently of the detector's rules, and
    #    registered HELD OUT with seeds 1-4. It was never scored while it was written.
    # 24. Mela's first held-out run (9166d72; docs/scraping-families.md, eleventh round) read
    #    0.00 for every recall (its shuttle depot manager and power-cell console given every
    #    action), and the round's rule for a sweep booking at one CPO flagged its sanitation
    #    fleet (seed 2), which the rules before the round did not (run side by side). The next
    #    rules are designed looking at mela's windows, so mela moved to TUNING before any was
    #    read; a new held-out family was asked of a separate session first, from that brief.
    # 25. A new family, isles (an island union territory on a weekday whose afternoon brings a
    #    cyclone warning: a capital town with an old harbour and ferries on a timetable, a sea
    #    bridge to the next island, a trunk road through a forest reserve to small towns, a
    #    naval base, an airfield and the sea nobody searches, beach resorts, fishing villages,
    #    a small airport; ferries stop and people crowd jetties and charge up at home after
    #    the warning), was written by a separate session from that brief, independently of
    #    the detector's rules, and registered HELD OUT with seeds 1-4. It was never scored
    #    while it was written.
    TUNING: {
        "metro": (1, 2, 3),
        "sprawl": (1, 2, 3),
        "corridor": (1, 2, 3, 4),
        "hills": (1, 2, 3, 4),
        "delta": (1, 2, 3, 4),
        "ring": (1, 2, 3, 4),
        "twin": (1, 2, 3, 4),
        "plateau": (1, 2, 3, 4),
        "valley": (1, 2, 3, 4),
        "desert": (1, 2, 3, 4),
        "lakes": (1, 2, 3, 4),
        "plains": (1, 2, 3, 4),
        "steel": (1, 2, 3, 4),
        "mela": (1, 2, 3, 4),
    },
    HELD_OUT: {
        "metro": (101, 102, 103),
        "sprawl": (101, 102, 103),
        "corridor": (101, 102, 103, 104),
        "towns": (2, 3, 4, 5),
        "coast": (1, 2, 3, 4),
        "port": (1, 2, 3, 4),
        "isles": (1, 2, 3, 4),
    },
}
QUICK: dict[str, dict[str, tuple[int, ...]]] = {
    # a smoke test of the path, with days outside SPLIT's
    TUNING: {"metro": (901,)},
    HELD_OUT: {"towns": (901,)},
}
HOURS = 24.0
QUICK_HOURS = 10.0
PASS_EVERY = 4.0
"""Hours between scoring passes, from the first full window on."""
ACTIVE = 10
"""A scraper's pass counts when its window holds this many of its scraping searches."""
POLICIES = Path(__file__).resolve().parents[2] / "policies.yaml"


@dataclass(frozen=True, slots=True)
class Sample:
    split: str
    family: str
    seed: int
    truth: Truth
    hour: float
    score: float
    due: tuple[ScrapingAction, ...]
    """Every action the policy's bands gave this verdict, applied or in shadow."""
    reasons: tuple[str, ...]

    @property
    def scraper(self) -> bool:
        return self.truth.label != "honest"


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    worlds: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    """(split, family, seed, BAPs, events)."""
    timings: dict[str, float] = field(default_factory=dict)


def chosen(quick: bool, only: Sequence[str] = ()) -> dict[str, dict[str, tuple[int, ...]]]:
    """The split's worlds (``QUICK``'s with ``quick``), only the families ``only`` names when
    it names any."""
    split = QUICK if quick else SPLIT
    return {
        name: {f: seeds for f, seeds in families.items() if not only or f in only}
        for name, families in split.items()
    }


def plan(quick: bool, split: str, only: Sequence[str] = ()) -> list[tuple[str, str, int]]:
    return [
        (name, family, seed)
        for name, families in chosen(quick, only).items()
        if split in ("all", name)
        for family, seeds in families.items()
        for seed in seeds
    ]


async def score_world(world: World, policy: ScrapingPolicy, split: str, out: Results) -> None:
    with tempfile.TemporaryDirectory(prefix="uei-families-") as tmp:
        stores = await open_abuse_stores(f"sqlite:///{Path(tmp) / 'uei.db'}")
        try:
            began = time.perf_counter()
            keep = 86_400.0 * 30
            for bap, events in world.events.items():
                await stores.events.record(bap, [(f"m{i}", e) for i, e in enumerate(events)], keep)
            out.timings["recording events"] = (
                out.timings.get("recording events", 0.0) + time.perf_counter() - began
            )
            began = time.perf_counter()
            window = policy.window_seconds
            scorer = Scorer(stores.events, stores.verdicts, lambda: policy, lambda: world.end)
            end = world.start + window
            while end <= world.end + 1e-6:
                verdicts = {v.bap_id: v for v in await scorer.run(now=end)}
                hour = (end - world.start) / 3600.0
                for bap, truth in world.baps.items():
                    if truth.label != "honest":
                        times = world.scraping.get(bap, [])
                        if sum(end - window <= t < end for t in times) < ACTIVE:
                            continue
                    v = verdicts.get(bap)
                    due = (*v.actions, *v.shadow_actions) if v is not None else ()
                    reasons = tuple(n.signal for n in v.top if n.signal) if v is not None else ()
                    out.samples.append(
                        Sample(
                            split,
                            world.family,
                            world.seed,
                            truth,
                            hour,
                            v.score if v is not None else 0.0,
                            tuple(sorted(set(due), key=list(ScrapingAction).index)),
                            reasons,
                        )
                    )
                end += PASS_EVERY * 3600.0
            out.timings["scoring passes"] = (
                out.timings.get("scoring passes", 0.0) + time.perf_counter() - began
            )
        finally:
            await stores.close()


def command_line(quick: bool, split: str, plot: str, only: Sequence[str] = ()) -> str:
    args = ["python", "-m", "bench.eval_families", "--split", split, "--plot", plot]
    args += [a for f in only for a in ("--family", f)]
    return shlex.join([*args, "--quick"] if quick else args)


def evaluate(quick: bool, split: str, only: Sequence[str] = ()) -> Results:
    policy = load_policies(POLICIES).scraping
    out = Results()
    worlds = plan(quick, split, only)
    hours = QUICK_HOURS if quick else HOURS
    with bar(len(worlds), "families", show_pos=True, width=30) as progress:
        for name, family, seed in worlds:
            began = time.perf_counter()
            world = FAMILIES[family](seed, DEFAULT_START, hours)
            out.timings["generating"] = (
                out.timings.get("generating", 0.0) + time.perf_counter() - began
            )
            out.worlds.append((name, family, seed, len(world.baps), world.total()))
            asyncio.run(score_world(world, policy, name, out))
            progress.update(1)
    return out


@click.command()
@click.option("--quick", is_flag=True, help="One short day per split (a smoke test).")
@click.option(
    "--split",
    type=click.Choice(["all", TUNING, HELD_OUT]),
    default="all",
    show_default=True,
    help="Which worlds to run: while tuning, only --split tuning.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, writable=True),
    default="eval-families.png",
    show_default=True,
    help="Where to write the plot (score distributions per class, ROC per family).",
)
@click.option(
    "--family",
    "only",
    multiple=True,
    type=click.Choice(sorted(FAMILIES)),
    help="Only this family's worlds of the split (repeat for more; default: every family).",
)
def main(quick: bool, split: str, plot: str, only: tuple[str, ...]) -> None:
    """Generate every (family, seed) of the split, score each day through the real Scorer on
    a real store, and print per family ROC-AUC, recall per scraper class at <= 1 honest BAP
    flagged and the honest BAPs given each action, tuning and held out separately."""
    from bench.reports.families import draw, table

    click.echo(f"$ {command_line(quick, split, plot, only)}")
    if not plan(quick, split, only):
        raise click.UsageError(f"no world of the {split} split is of {', '.join(only)}")
    began = time.perf_counter()
    results = evaluate(quick, split, only)
    total = time.perf_counter() - began
    click.echo("\n".join(table(results, chosen(quick, only))))
    draw(results, Path(plot))
    click.echo(f"plot: {plot}")
    click.echo("Wall time")
    for stage, seconds in results.timings.items():
        click.echo(f"  {stage:<24}{seconds:>8.1f} s")
    click.echo(f"  {'total':<24}{total:>8.1f} s")
    sys.stdout.flush()


def samples_of(results: Results, split: str, family: str) -> Sequence[Sample]:
    return [s for s in results.samples if s.split == split and s.family == family]
