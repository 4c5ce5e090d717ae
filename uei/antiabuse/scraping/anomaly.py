"""Anomaly scores for windows of behaviour: an IsolationForest fitted on the network's recent
windows, and rule-based signals where a rule says it more clearly.

Pure apart from the forest's arithmetic: rows in, scores out, the same rows and seed giving the
same scores. The forest is fitted here on rows handed in (never unpickled from a store), and
windows are scored in one batch per pass, never one per request.

A score is in [0, 1]:

- the forest's anomaly (``-score_samples``: about 0.5 or less for typical windows, towards 1
  for windows isolated in few splits) rescaled against the training windows' own spread;
- each signal is a rule over named features with a strength in [0, 1] (a sweep's lattice, a
  poller's clock, searching at volume without ever booking);
- the score is the larger of the forest's (weighted by ``forest_weight``: nothing for a unit
  whose searches convert at an honest rate, or for a handful of searches) and the strongest
  signal's: a rule can raise a score the forest missed, and the forest can catch what no rule
  names. The sub-population signals (a lattice inside the traffic, repeated spots) count
  fully only when their searches are known not to convert (``_does_not_convert``).

A window's explanation is its features furthest outside the network's typical range (the 5th
to 95th percentile of the training windows), with the signals that fired.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import IsolationForest  # type: ignore[import-untyped]

from uei.antiabuse.scraping.features import FEATURES, by_trips, unit_selects
from uei.antiabuse.scraping.verdicts import FeatureNote

__all__ = ["SIGNALS", "Scored", "Signal", "score_windows"]

F64 = npt.NDArray[np.float64]
_INDEX = {name: i for i, name in enumerate(FEATURES)}


def _ramp(value: float, low: float, high: float) -> float:
    """0 at ``low``, 1 at ``high``, linear between (either direction)."""
    if high == low:
        return float(value >= high)
    return min(1.0, max(0.0, (value - low) / (high - low)))


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    """What it says, e.g. ``grid sweep``."""
    features: tuple[str, ...]
    """The features it reads (named in the explanation when it fires)."""
    strength: Callable[[dict[str, float]], float]


def _never_books(f: dict[str, float]) -> float:
    # Many searches in the window and not one select: people book now and then (a few per
    # cent of searches), so the longer the run without one, the surer. ``searches`` is the
    # window's count (the scorer adds it).
    # A fleet of cars whose head units refresh as they drive books on few refreshes, but it
    # does book, and its searches move on along roads: not "never".
    # A unit whose searches are mostly trips (a transaction of a few searches, ``by_trips``)
    # is counted in ended trips: a car's ten refreshes on one drive are one chance to book.
    chances = f["searches"] if by_trips(f) is None else f["trips"]
    evidence = _ramp(chances, 30, 150)
    empty = 1.0 - _ramp(_led_on(f), 0.0, 0.02)
    return evidence * empty * (1.0 - _moving_fleet(f))


def _led_on(f: dict[str, float]) -> float:
    """How often the unit's searches led on: per search, or per trip when most of them are
    trips (``by_trips``), whichever is higher."""
    trips = by_trips(f)
    return f["select_per_search"] if trips is None else max(f["select_per_search"], trips)


def _moving_fleet(f: dict[str, float]) -> float:
    """1 for a unit that books now and then and whose searches mostly follow tracks at road
    speed (head units refreshing as the cars drive), 0 for one that never books or stays put."""
    if f["select_per_search"] <= 0.0:
        return 0.0
    return _ramp(f["track_share"], 0.3, 0.6)


def _enough(f: dict[str, float]) -> float:
    """A handful of searches can fall on a lattice or a rhythm by chance: a pattern counts
    fully from 40 searches in the window."""
    return _ramp(f["searches"], 12, 40)


def _grid_sweep(f: dict[str, float]) -> float:
    # Every search a fresh point, one step from its nearest. A vehicle refreshing every few
    # km along its road does that too, its transactions drives (``drive_share``); a sweep's
    # rows and rounds come back beside each other, and no drive does.
    lattice = _ramp(f["nn_step_share"], 0.4, 0.8) * _ramp(f["nn_regularity"], 0.5, 0.8)
    fresh = _ramp(f["cells_per_search"], 0.2, 0.6)
    road = 1.0 - _ramp(f["drive_share"], 0.3, 0.6)
    return _enough(f) * lattice * fresh * road * (1.0 - _ramp(f["select_per_search"], 0.0, 0.05))


def _clockwork(f: dict[str, float]) -> float:
    # The same places queried again on a fixed period (a car's head unit refreshing while it
    # drives is regular too, but its centre moves on).
    period = max(f["period_share"], f["revisit_period_share"])
    clock = _ramp(period, 0.3, 0.7) * _ramp(f["arrival_regularity"], 0.45, 0.7)
    same_places = _ramp(max(f["exact_repeat_share"], f["revisit_period_share"]), 0.3, 0.7)
    return _enough(f) * clock * same_places * (1.0 - _ramp(f["select_per_search"], 0.0, 0.05))


_UNKNOWN_CONVERSION = 0.65
"""How far a sub-population's pattern alone goes when nobody can say whether its searches
led anywhere (no transaction ids, and it is only part of the unit): enough to flag, never
enough on its own for the stronger actions' bands."""


def _does_not_convert(share: float, known: float) -> float:
    """1 for a sub-population whose searches (nearly) never led to a select, 0 for one that
    converts like people do; ``_UNKNOWN_CONVERSION`` when that is not known."""
    if known < 0.5:
        return _UNKNOWN_CONVERSION
    return 1.0 - _ramp(share, 0.015, 0.05)


_UNKNOWN_SWEEP = 0.9
"""How far a lattice searched at its own radius goes when its conversion is unknown: a
sweep asks every node at one radius while the rest of the app's searches vary theirs; people
on a grid (an app snapping positions for privacy) search at the app's own mix of radii. Enough
to rank it with the scrapers; the verdict still gives it no more than a flag."""


def _books_at_one_cpo(f: dict[str, float]) -> float:
    """1 for a unit whose selects, three or more, all went to one CPO, on few of its searches:
    a disguise costs what it books, so a scraper books about as often as people do and no
    more; a fleet booking its own CPO's chargers books when it needs to, far more often."""
    selects = unit_selects(f)
    few = 1.0 - _ramp(f["select_per_search"], 0.04, 0.08)
    return _ramp(selects, 2, 3) * _ramp(f["select_cpo_share"], 0.9, 1.0) * few


def _sweep_does_not_convert(f: dict[str, float], sweep: str) -> float:
    """How surely a sweep sub-population (``grid`` or ``chain`` features) never converts; when
    that is unknown, a sweep at its own radius goes as far as ``_UNKNOWN_SWEEP``. So does a
    sweep that is half its unit or more when the unit books at one CPO alone, whatever its
    selects: a rival CPO sweeping the others' chargers can book at its own to look like a
    customer, and people sweep no lattice (the bookings still withhold the stronger actions:
    ``reasons.converts_honestly``). A sweep hidden in an app is not judged by the app's
    people's bookings this way, wherever they book."""
    converts = _does_not_convert(f[f"{sweep}_select_share"], f[f"{sweep}_known"])
    if f[f"{sweep}_known"] < 0.5:
        own_radius = _ramp(f[f"{sweep}_radius_share"] - f["max_radius_share"], 0.15, 0.35)
        converts += (_UNKNOWN_SWEEP - _UNKNOWN_CONVERSION) * own_radius
    whole = _ramp(f[f"{sweep}_searches"] / max(1.0, f["searches"]), 0.3, 0.5)
    return max(converts, _UNKNOWN_SWEEP * whole * _books_at_one_cpo(f))


def _hidden_lattice(f: dict[str, float]) -> float:
    # Centres on a regular lattice well beyond chance, over enough distinct nodes to be a grid
    # (or a strip of one: a slow sweep in raster order covers a few rows in a window) and not
    # a few points, whatever else the unit searches.
    shape = _ramp(f["grid_nodes"], 9, 20) * _ramp(f["grid_aligned"], 0.3, 0.6)
    evidence = _ramp(f["grid_z"], 6, 12) * _ramp(f["grid_searches"], 15, 50)
    return shape * evidence * _sweep_does_not_convert(f, "grid")


def _stepped_sweep(f: dict[str, float]) -> float:
    # Fresh points one step apart again and again, between many different pairs of points, at
    # one radius: a sweep going point to point over rings, roads, a spiral or a lattice,
    # whatever else the unit searches. Cars driving at a steady speed and refreshing on a
    # period take one step again and again too, but they go on at that speed (tracks); a
    # sweep waits between its points as it likes.
    evidence = (
        _ramp(f["chain_z"], 6, 12)
        * _ramp(f["chain_pairs"], 12, 30)
        * _ramp(f["chain_searches"], 15, 40)
        * (1.0 - _ramp(f["track_share"], 0.2, 0.5))
    )
    return evidence * _sweep_does_not_convert(f, "chain")


def _repeats_without_bookings(f: dict[str, float]) -> float:
    # The same exact centres searched again and again, and those searches lead nowhere.
    evidence = _ramp(f["spot_searches"], 8, 40) * _ramp(f["spot_share"], 0.04, 0.15)
    return evidence * _does_not_convert(f["spot_select_share"], f["spot_known"])


_UNKNOWN_PERIODIC = 0.9
"""How far spots polled on a period go when their conversion is unknown: a rhythm that
regular at exact points is a poll whatever else the unit does, enough to rank it with the
scrapers; the verdict still gives it no more than a flag (``reasons.rests_on_unknown``)."""


def _polled_on_a_period(f: dict[str, float]) -> float:
    # Exact spots visited again and again on a period (jittered or not), several visits each:
    # a poll hidden in the traffic, even at a few per cent of it.
    per_site = f["spot_visits"] / max(1.0, f["spot_sites"])
    evidence = _ramp(f["spot_searches"], 15, 50) * _ramp(per_site, 4, 8)
    rhythm = _ramp(f["spot_regularity"], 0.66, 0.76)
    if f["spot_known"] < 0.5:
        return evidence * rhythm * _UNKNOWN_PERIODIC
    return evidence * rhythm * _does_not_convert(f["spot_select_share"], 1.0)


def _rounds_again_and_again(f: dict[str, float]) -> float:
    # One transaction's searches at four places or more, far apart, within three minutes
    # (nobody is at them all: a script going down its list of sites), the same places again in
    # round after round, and those rounds lead nowhere. Each query may be made from a
    # different point near its site, at a radius just wide enough: the places still come back.
    evidence = _ramp(f["rounds"], 3, 8) * _ramp(f["round_searches"], 20, 50)
    return evidence * _does_not_convert(f["round_select_share"], f["round_known"])


def _lattice_in_rounds(f: dict[str, float]) -> float:
    # Rounds of far-apart places whose searches fall on one lattice, well beyond chance, over
    # enough nodes: a sweep cut into tiles of a few nodes, one tile a transaction, each tile
    # once, that the rest of the unit's traffic would drown. People planning trips make
    # rounds too, off any lattice.
    shape = _ramp(f["round_grid_nodes"], 9, 20) * _ramp(f["round_grid_share"], 0.5, 0.8)
    evidence = _ramp(f["round_grid_z"], 8, 16) * _ramp(f["round_grid_searches"], 15, 40)
    return shape * evidence * _does_not_convert(f["round_grid_select_share"], f["round_grid_known"])


def forest_weight(f: dict[str, float]) -> float:
    """How much of the forest's anomaly a window keeps: none for a unit whose searches lead
    to selects at an honest rate (an unusual rhythm is not abuse when it books), none for a
    fleet of moving cars that books now and then (``_moving_fleet``), none for a handful of
    searches."""
    converts = _ramp(_led_on(f), 0.02, 0.06)
    return (1.0 - converts) * (1.0 - _moving_fleet(f)) * _ramp(f["searches"], 20, 60)


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "searches at volume, never books",
        ("log_searches_per_hour", "select_per_search"),
        _never_books,
    ),
    Signal(
        "grid sweep",
        ("nn_step_share", "nn_regularity", "cells_per_search"),
        _grid_sweep,
    ),
    Signal(
        "clockwork polling",
        ("period_share", "revisit_period_share", "arrival_regularity"),
        _clockwork,
    ),
    Signal(
        "lattice inside the traffic",
        (
            "grid_z",
            "grid_searches",
            "grid_nodes",
            "grid_aligned",
            "grid_radius_share",
            "grid_select_share",
        ),
        _hidden_lattice,
    ),
    Signal(
        "evenly stepped sweep inside the traffic",
        ("chain_z", "chain_pairs", "chain_searches", "chain_step_km", "chain_select_share"),
        _stepped_sweep,
    ),
    Signal(
        "repeated spots, no bookings",
        ("spot_searches", "spot_share", "spot_select_share"),
        _repeats_without_bookings,
    ),
    Signal(
        "spots polled on a period",
        ("spot_searches", "spot_visits", "spot_regularity", "spot_select_share"),
        _polled_on_a_period,
    ),
    Signal(
        "the same rounds of far-apart places, no bookings",
        ("rounds", "round_searches", "round_places", "round_select_share"),
        _rounds_again_and_again,
    ),
    Signal(
        "a lattice in rounds of far-apart places, no bookings",
        ("round_grid_z", "round_grid_searches", "round_grid_nodes", "round_grid_select_share"),
        _lattice_in_rounds,
    ),
)


@dataclass(frozen=True, slots=True)
class Scored:
    score: float
    forest: float
    signals: dict[str, float]
    top: list[FeatureNote]


DIRECTION: dict[str, int] = {
    # +1: only high values look like scraping; -1: only low ones. Features left out say more
    # about an app's size than its behaviour (a large app searches a lot, everywhere).
    "select_per_search": -1,
    "init_per_search": -1,
    "confirm_per_search": -1,
    "confirm_per_select": -1,
    "cells_per_search": +1,
    "bbox_coverage": +1,
    "nn_regularity": +1,
    "nn_step_share": +1,
    "arrival_regularity": +1,
    "period_share": +1,
    "revisit_period_share": +1,
    "exact_repeat_share": +1,
    "busy_cell_share": +1,
    "busy_location_select_share": -1,
    "log_funnel_cpos": -1,
    "locations_per_select": -1,
    "log_mean_radius": +1,
    "radius_cv": -1,
    "max_radius_share": +1,
    "night_share": +1,
    "hour_entropy": +1,
}
"""How the forest sees each feature: a window is only unusual in the direction of scraping
(an app whose users book more than most is not suspicious for it)."""

_COLUMNS = np.array([_INDEX[n] for n in DIRECTION])
_SIGNS = np.array(list(DIRECTION.values()), dtype=np.float64)


def _one_sided(x: F64, median: F64) -> F64:
    """Fold each directed feature onto its suspicious side of the network's median."""
    cols = x[:, _COLUMNS]
    return np.where(_SIGNS > 0, np.maximum(cols, median), np.minimum(cols, median))


def _forest_scores(training: F64, rows: F64, seed: int) -> F64:
    """Each row's anomaly rescaled against the training rows: 0 at their median anomaly, 1 at
    the most anomalous training row's level or beyond (with at least 0.1 of headroom)."""
    if len(training) < 8:
        return np.zeros(len(rows))
    median = np.median(training[:, _COLUMNS], axis=0)
    training, rows = _one_sided(training, median), _one_sided(rows, median)
    forest = IsolationForest(
        n_estimators=200, max_samples=min(256, len(training)), random_state=seed
    )
    forest.fit(training)
    train_anomaly = -np.asarray(forest.score_samples(training), dtype=np.float64)
    anomaly = -np.asarray(forest.score_samples(rows), dtype=np.float64)
    middle = float(np.median(train_anomaly))
    top = max(float(np.quantile(train_anomaly, 0.99)), middle + 0.1)
    return np.clip((anomaly - middle) / (top - middle), 0.0, 1.0)


def _explain(
    row: F64, low: F64, high: F64, spread: F64, fired: dict[str, float], limit: int
) -> list[FeatureNote]:
    outside = np.maximum(low - row, row - high) / spread
    notes: list[FeatureNote] = []
    named: set[str] = set()
    for signal in SIGNALS:
        if fired.get(signal.name, 0.0) >= 0.5:
            for name in signal.features:
                if name not in named:
                    i = _INDEX[name]
                    notes.append(
                        FeatureNote(name, float(row[i]), float(low[i]), float(high[i]), signal.name)
                    )
                    named.add(name)
    for i in np.argsort(-outside, kind="stable"):
        if len(notes) >= limit or outside[i] <= 0:
            break
        name = FEATURES[int(i)]
        if name not in named:
            notes.append(FeatureNote(name, float(row[i]), float(low[i]), float(high[i])))
            named.add(name)
    return notes[:limit]


def score_windows(
    rows: Sequence[Sequence[float]],
    training: Sequence[Sequence[float]],
    *,
    window_hours: float,
    seed: int = 7,
    top: int = 5,
) -> list[Scored]:
    """Score ``rows`` (feature vectors in ``FEATURES`` order) against a forest fitted on
    ``training`` (the network's recent windows, the current ones included), for windows of
    ``window_hours``."""
    if not rows:
        return []
    x = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
    train = np.asarray(training, dtype=np.float64).reshape(-1, len(FEATURES))
    if len(train) == 0:
        train = x
    # The forest depends on the order of its rows; the order the store returns them in
    # depends on unit keys (keyed user tokens): fit on a canonical order instead.
    train = train[np.lexsort(train.T[::-1])]
    forest = _forest_scores(train, x, seed)
    low = np.quantile(train, 0.05, axis=0)
    high = np.quantile(train, 0.95, axis=0)
    spread = np.maximum(high - low, 1e-3)
    out: list[Scored] = []
    for row, f_score in zip(x, forest, strict=True):
        named = dict(zip(FEATURES, (float(v) for v in row), strict=True))
        named["searches"] = math.expm1(named["log_searches_per_hour"]) * window_hours
        fired = {s.name: round(s.strength(named), 4) for s in SIGNALS}
        weighted = float(f_score) * forest_weight(named)
        score = max(weighted, *fired.values())
        out.append(
            Scored(
                round(score, 4),
                round(weighted, 4),
                fired,
                _explain(row, low, high, spread, fired, top),
            )
        )
    return out
