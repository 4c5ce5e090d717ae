"""Behaviour features of one unit's searches and funnel steps in a time window (the design, 6.3).

A unit is a BAP, or one user of a BAP. Competing CPOs scrape the network's availability through
a BAP in a few recognisable ways, and each feature here measures one trait that separates them
from people looking for a charger:

- grid sweepers query centres on a regular lattice, many distinct cells, wide radius;
- hotspot pollers query the same few busy sites on a fixed period (say every 60 s);
- low-and-slow scrapers stay under quota but are still lattice-like or periodic and flat over
  the day;
- none of them book, so their look-to-book funnel is empty.

People cluster in cities, follow the day (little traffic between 00:00 and 06:00 IST), arrive
at random, use varied radii, and some of their searches lead to select, init and confirm with a
few CPOs. ``features`` turns a window into a fixed vector (``FEATURES``, in that order) for the
anomaly scorer; ``network_context`` supplies what "busy" means network-wide.

Everything is pure and deterministic: no clock, no randomness, and the result does not depend on
the order of the events. Every value is a finite float for any input (empty lists, one event,
all events at one time and place, non-finite or huge coordinates). Cost is bounded: the work is
vectorised with numpy and the nearest-neighbour part looks at most ``max_points`` distinct
centres.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from uei.antiabuse.scraping.events import Funnel, FunnelKind, Search
from uei.antiabuse.scraping.subpop import (
    ROUND_FEATURES,
    SUBPOP_FEATURES,
    Conversion,
    rounds,
    subpopulations,
)

__all__ = [
    "FEATURES",
    "IST_OFFSET_S",
    "TRIP_VIEW",
    "NetworkContext",
    "NetworkTally",
    "by_trips",
    "cell",
    "features",
    "is_drive",
    "network_context",
    "unit_selects",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_S = TypeVar("_S", bound=np.generic)

FEATURES: tuple[str, ...] = (
    # Volume. log1p(searches per hour). Scrapers: high (sweepers, pollers) or low (low-and-slow).
    "log_searches_per_hour",
    # Look-to-book funnel; counts over (searches + 1), so zero searches is fine, capped at 1.
    # Scrapers: 0. Honest: selects 10-30 %, confirms a few %.
    "select_per_search",
    "init_per_search",
    "confirm_per_search",
    # confirms / (selects + 1), capped at 1. Scrapers: 0. Honest: a fair share of selects confirm.
    "confirm_per_select",
    # Geographic sweep. Distinct cells / searches. Sweepers: near 1 (each query a new cell).
    # Pollers: near 0. Honest: in between, often low (people search from the same places).
    "cells_per_search",
    # log1p(distinct cells per hour). Sweepers: high.
    "log_cells_per_hour",
    # Distinct cells / cells in the bounding box of the searched cells, in [0, 1]. Sweepers: near
    # 1 (they fill the box). Honest: low (city clusters leave most of the box empty).
    "bbox_coverage",
    # Lattice regularity of the distinct query centres: 1 - coefficient of variation of their
    # nearest-neighbour distances (in degrees, centres to 1e-5 degree), clipped to [0, 1] (0 with
    # fewer than 4 distinct centres).
    # Grid sweeps: near 1. Uniform random points: about 0.5. City clusters: lower still.
    "nn_regularity",
    # Fraction of those nearest-neighbour distances within 10 % of their median: the share of
    # centres on a common step. Grid sweeps: near 1. Uniform random points: about 0.14.
    "nn_step_share",
    # Inter-arrival regularity 1 / (1 + CV) of the gaps between distinct search times (to the
    # millisecond; 0 with fewer than 3 gaps). Clockwork: near 1. Poisson: 0.5. Bursty humans: <0.5.
    "arrival_regularity",
    # Fraction of those gaps within 10 % of their median: a dominant polling period.
    # Pollers and periodic low-and-slow scrapers: near 1. Poisson: about 0.07.
    "period_share",
    # log1p(median gap in seconds); log1p(window length) when there is no gap. Fast pollers: low.
    "log_median_gap",
    # Fraction of same-cell revisit gaps (a cell searched again) within 10 % of their median
    # (0 with fewer than 3 such gaps). Pollers that cycle through several sites: near 1.
    "revisit_period_share",
    # Fraction of searches at an exact centre (to 1e-5 degree, about a metre) already searched in
    # the window. Pollers: near 1 (they query the site's own coordinates). Honest: lower (GPS
    # positions move). Sweepers: near 0.
    "exact_repeat_share",
    # Fraction of searches whose cell is one of the network's busy cells. Hotspot pollers: high.
    "busy_cell_share",
    # Fraction of selects on the network's busy locations (0 without selects). Honest: some;
    # scrapers: 0 (they do not select).
    "busy_location_select_share",
    # Fan-out across CPOs. log1p(distinct bpp_ids among funnel events). Scrapers: 0.
    "log_funnel_cpos",
    # Share of the selects at the CPO selected most (0 without selects). People: spread over
    # the CPOs near them. A CPO's own app, a fleet's console, a rival CPO booking at its own
    # chargers to look like a customer: 1.
    "select_cpo_share",
    # log1p(distinct subscribers that relayed the searches, ``via``). Sweepers fan out wide.
    "log_search_vias",
    # Distinct locations selected / selects (0 without selects). Honest: a few favourites.
    "locations_per_select",
    # Radius profile. log1p(mean radius in km). Sweepers: high (wide radius).
    "log_mean_radius",
    # Coefficient of variation of the radius. Scrapers: 0 (one fixed radius). Honest: varied.
    "radius_cv",
    # Fraction of searches at the largest radius seen. Scrapers: 1. Honest: lower.
    "max_radius_share",
    # Diurnal rhythm. Fraction of searches between 00:00 and 06:00 IST. Bots: about 1/4 (flat).
    # Honest: small.
    "night_share",
    # Entropy of the IST hour-of-day histogram / log(24), in [0, 1]. Bots: near 1 over a day
    # (flat). Honest: lower.
    "hour_entropy",
    # Share of searches in the middle of a moving track: an earlier search 30 s to 15 min
    # before, 0.2 km or more away at road speed, and a later one about where and when moving on
    # at that velocity would put it (``track_share``). In-car head units refreshing as they
    # drive: high. People, pollers: near 0.
    "track_share",
    # Trips: a transaction (Beckn's ``context.transaction_id``) of 2 to ``TRIP_MAX`` searches
    # within ``TRIP_SPAN_S`` is one trip (a head unit's refreshes on one drive, a person
    # refining a search), and so is a longer one that is a drive (``is_drive``: up to
    # ``DRIVE_MAX`` searches within ``DRIVE_SPAN_S``, leading on along a road at road speed,
    # a long-haul bus's night); whether it led to a booking is one decision, not one per search.
    # ``trip_share``: share of the searches in trips (0 when the unit's transaction ids tie
    # nothing). ``trips``: the decisions, trips that ended (no search in the window's last
    # ``TRIP_QUIET_S``, or booked) and each search outside a trip. ``trip_bookings``: those
    # that booked (a confirm, no cancel), with each confirm outside a trip. A trip still
    # going at the window's end has not failed to book yet. Head units: most searches in
    # trips booking at an honest rate. Scrapers: none in trips, or trips that never book.
    "trip_share",
    "trips",
    "trip_bookings",
    # 1 when the unit's (or, for one user of a BAP, the BAP's) waits at a stop are a fleet's:
    # some drive booked, or it made ``FLEET_DRIVES`` drives or more in the window; a wait of up
    # to ``DWELL_S`` polls nothing. 0 otherwise: every search at a stop counts (a head unit
    # parked at one rival charger after another waits for their availability, and never
    # books).
    "fleet_waits",
    # Share of searches in drives (``is_drive``): vehicles moving on along roads, and waiting
    # on the way. Head units, buses, trucks: high. Sweeps, polls, people: 0.
    "drive_share",
    # Sub-populations found from the queries alone (``subpop.py``): a lattice of centres and
    # spots searched again and again inside the unit's traffic, and how each converts; and
    # rounds of places far apart in one transaction, the same places again and again.
    *SUBPOP_FEATURES,
    *ROUND_FEATURES,
)

IST_OFFSET_S = 5 * 3600 + 30 * 60
"""India Standard Time is UTC+5:30, all year."""

_DAY_S = 86_400.0
_NIGHT_END_HOUR = 6
_UNTIED = 1
"""Selects with transaction ids, none of them a search's, from which a unit's transaction ids
are taken to tie nothing."""
_KM_MAX = 20_000.0  # half the Earth's circumference: no radius is wider than this
_QUANTUM = 100_000.0  # exact centres are compared to 1e-5 degree
_Q_LAT = 9_000_001  # offsets making quantised coordinates non-negative
_Q_LON = 18_000_001
_Q_LON_SPAN = 2 * _Q_LON + 1
_MIN_CELL_DEG = 1e-5  # keeps cell indices well inside the key's 31 bits
_KEY_OFFSET = 1 << 30
_KEY_SHIFT = 31
_MIN_CENTRES = 4  # fewer distinct centres say nothing about a lattice
_MIN_GAPS = 3  # fewer gaps say nothing about a rhythm
_STEP_TOLERANCE = 0.1  # "on the common step / period" means within 10 % of the median


@dataclass(frozen=True, slots=True)
class NetworkContext:
    """What is busy network-wide in the window, for the concentration features."""

    busy_cells: frozenset[tuple[int, int]]
    """Grid cells (see ``cell``) with the most network-wide activity."""
    busy_locations: frozenset[str]
    """location_ids with the most network-wide selects and confirms."""
    cell_deg: float = 0.01
    """Grid size in degrees (about 1.1 km of latitude)."""

    def __post_init__(self) -> None:
        _check_cell_size(self.cell_deg)


def _check_cell_size(size: float) -> None:
    if not (math.isfinite(size) and size >= _MIN_CELL_DEG):
        raise ValueError(f"cell size must be a finite number of degrees >= {_MIN_CELL_DEG}")


def _sanitise(lat: F64, lon: F64) -> tuple[F64, F64]:
    """Coordinates on the globe: non-finite values become 0, latitude is clipped to [-90, 90]
    and longitude outside [-180, 180) is wrapped into it (values inside are left untouched)."""
    lat = np.clip(np.where(np.isfinite(lat), lat, 0.0), -90.0, 90.0)
    lon = np.where(np.isfinite(lon), lon, 0.0)
    outside = (lon < -180.0) | (lon >= 180.0)
    if outside.any():
        wrapped = np.clip(np.mod(lon + 180.0, 360.0) - 180.0, -180.0, 180.0)
        lon = np.where(outside, wrapped, lon)
    return lat, lon


def _cell_indices(lat: F64, lon: F64, size: float) -> tuple[I64, I64]:
    """Cell indices of sanitised coordinates."""
    return (
        np.floor(lat / size).astype(np.int64),
        np.floor(lon / size).astype(np.int64),
    )


def _cell_keys(lat: F64, lon: F64, size: float) -> I64:
    row, col = _cell_indices(lat, lon, size)
    return ((row + _KEY_OFFSET) << _KEY_SHIFT) | (col + _KEY_OFFSET)


def _key_of(c: tuple[int, int]) -> int | None:
    row, col = c
    if not (-_KEY_OFFSET <= row < _KEY_OFFSET and -_KEY_OFFSET <= col < _KEY_OFFSET):
        return None  # no coordinate on the globe falls in such a cell
    return ((row + _KEY_OFFSET) << _KEY_SHIFT) | (col + _KEY_OFFSET)


def _cell_of_key(key: int) -> tuple[int, int]:
    return (key >> _KEY_SHIFT) - _KEY_OFFSET, (key & ((1 << _KEY_SHIFT) - 1)) - _KEY_OFFSET


def cell(lat: float, lon: float, size: float = 0.01) -> tuple[int, int]:
    """The grid cell (row, column) = (floor(lat / size), floor(lon / size)) of a point, after
    non-finite coordinates become 0, latitude is clipped and longitude wrapped onto the globe."""
    _check_cell_size(size)
    la, lo = _sanitise(np.array([lat], dtype=np.float64), np.array([lon], dtype=np.float64))
    row, col = _cell_indices(la, lo, size)
    return int(row[0]), int(col[0])


def _coordinates(searches: Sequence[Search]) -> tuple[F64, F64]:
    n = len(searches)
    lat = np.fromiter(map(attrgetter("lat"), searches), dtype=np.float64, count=n)
    lon = np.fromiter(map(attrgetter("lon"), searches), dtype=np.float64, count=n)
    return _sanitise(lat, lon)


def network_context(
    windows: Sequence[tuple[Sequence[Search], Sequence[Funnel]]],
    *,
    top_cells: int = 50,
    top_locations: int = 50,
    cell_deg: float = 0.01,
) -> NetworkContext:
    """From every unit's events in the window: the cells searched by the most distinct units,
    and the locations with the most selects + confirms. Ties go to the smaller cell (row, then
    column) and the smaller location_id, so the answer does not depend on any order."""
    tally = NetworkTally(cell_deg)
    for searches, funnel in windows:
        tally.add(searches, funnel)
    return tally.context(top_cells=top_cells, top_locations=top_locations)


class NetworkTally:
    """``network_context`` one unit at a time, holding only each cell's count of units and
    each location's count of selects and confirms (never the events), so that a scoring pass
    can read the network BAP by BAP."""

    _COMPACT = 1 << 16
    """Cells held unmerged before they are merged into the counts."""

    def __init__(self, cell_deg: float = 0.01) -> None:
        _check_cell_size(cell_deg)
        self._cell_deg = cell_deg
        self._keys: I64 = np.zeros(0, dtype=np.int64)
        self._units: I64 = np.zeros(0, dtype=np.int64)
        self._pending: list[I64] = []
        self._held = 0
        self._locations: Counter[str] = Counter()

    def add(self, searches: Sequence[Search], funnel: Sequence[Funnel]) -> None:
        """Count one unit's window."""
        if searches:
            lat, lon = _coordinates(searches)
            distinct = _distinct(_cell_keys(lat, lon, self._cell_deg))
            self._pending.append(distinct)
            self._held += distinct.size
            if self._held > self._COMPACT:
                self._merge()
        self._locations.update(
            f.location_id for f in funnel if f.kind in (FunnelKind.SELECT, FunnelKind.CONFIRM)
        )

    def _merge(self) -> None:
        if not self._pending:
            return
        keys = np.concatenate([self._keys, *self._pending])
        weights = np.concatenate([self._units, np.ones(self._held, dtype=np.int64)])
        self._keys, inverse = np.unique(keys, return_inverse=True)
        self._units = np.bincount(inverse, weights=weights).astype(np.int64)
        self._pending, self._held = [], 0

    def context(self, *, top_cells: int = 50, top_locations: int = 50) -> NetworkContext:
        """The busiest cells and locations counted so far."""
        if top_cells < 0 or top_locations < 0:
            raise ValueError("top_cells and top_locations must not be negative")
        self._merge()
        busy_cells: frozenset[tuple[int, int]] = frozenset()
        if self._keys.size and top_cells > 0:
            # keys are ascending, so a stable sort on -units breaks ties by cell
            order = np.argsort(-self._units, kind="stable")[:top_cells]
            busy_cells = frozenset(_cell_of_key(int(k)) for k in self._keys[order])
        ranked = sorted(self._locations.items(), key=lambda item: (-item[1], item[0]))
        busy_locations = frozenset(location for location, _ in ranked[:top_locations])
        return NetworkContext(
            busy_cells=busy_cells, busy_locations=busy_locations, cell_deg=self._cell_deg
        )


def _distinct(values: npt.NDArray[_S]) -> npt.NDArray[_S]:
    """The distinct values, ascending (like np.unique, without its hashing, which is slower
    here)."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _in_window(at: F64, start: float, end: float) -> npt.NDArray[np.bool_]:
    return (at >= start) & (at < end)  # NaN times fall outside


def _cv(values: F64) -> float:
    """Coefficient of variation; 0 when the mean is 0."""
    mean = float(values.mean())
    if not mean > 0.0:
        return 0.0
    return float(values.std()) / mean


def _median_share(values: F64) -> float:
    """Fraction of values within ``_STEP_TOLERANCE`` of their median."""
    median = float(np.median(values))
    return float(np.mean(np.abs(values - median) <= _STEP_TOLERANCE * median))


def _nearest_distances(x: F64, y: F64) -> F64:
    """Exact Euclidean distance from each of n >= 2 distinct points to its nearest neighbour.

    A k-d tree keeps this O(n log n) whatever the layout (clusters of very different density
    included). scikit-learn is imported here, not at the top, so that importing this module
    stays cheap for callers that never compute features."""
    from sklearn.neighbors import KDTree  # type: ignore[import-untyped]

    points = np.column_stack((x, y))
    # each point's nearest point is itself (distance 0, as the points are distinct); take the next
    distances, _ = KDTree(points).query(points, k=2)
    return np.asarray(distances[:, 1], dtype=np.float64)


def _lattice(qlat: F64, qlon: F64, max_points: int) -> tuple[float, float]:
    """(nn_regularity, nn_step_share) of distinct quantised centres in canonical order.

    Beyond ``max_points`` centres, the ``max_points`` nearest the median centre are used: a
    spatially contiguous patch keeps a lattice a lattice and random points as random as they
    were, where a thinned sample would not."""
    if qlat.size > max_points:
        if max_points < _MIN_CENTRES:
            return 0.0, 0.0
        d2 = (qlat - np.median(qlat)) ** 2 + (qlon - np.median(qlon)) ** 2
        keep = np.sort(np.argpartition(d2, max_points - 1)[:max_points])
        qlat, qlon = qlat[keep], qlon[keep]
    if qlat.size < _MIN_CENTRES:
        return 0.0, 0.0
    nearest = _nearest_distances(qlon, qlat)
    regularity = min(1.0, max(0.0, 1.0 - _cv(nearest)))
    return regularity, _median_share(nearest)


TRIP_MAX = 16
"""A transaction of more searches than this is no trip (its searches count one by one),
unless it is a drive (``is_drive``)."""
TRIP_SPAN_S = 3 * 3600.0
"""Nor is one whose searches spread over more than this."""
DRIVE_MAX = 240
"""A drive is a trip of at most this many searches (a long-haul bus refreshing every 2 km
for 8 hours makes about as many)..."""
DRIVE_SPAN_S = 8 * 3600.0
"""... within this."""
_DRIVE_STOP_KM = 0.3
"""Searches this near the one before are the same stop (a vehicle parked, or in a jam)."""
_DRIVE_BACK = 0.3
"""A stop this near an earlier one (straight-line distance over the road travelled between
them) has come back to it."""
_DRIVE_BACKS = 0.2
"""A drive's stops that came back to an earlier one: at most this share of them (a hairpin,
a loop round a block)."""
DWELL_S = 45 * 60.0
"""A drive's searches at one stop after its first, up to this long after it, are the vehicle
waiting there (a meal at a dhaba, a jam, a toll queue), when the unit's waits are a fleet's
(``FLEET_DRIVES``): they are not spots polled."""
_DRIVE_SPOT_DEG = 0.002
"""A drive's search revisits a place when it comes back within this grid's square (about
200 m) of another drive's search there."""
_DRIVE_KEY = 1 << 62
"""Marks a drive's spot key apart from the cells' keys (which stay below 2**62)."""
FLEET_DRIVES = 10
"""A unit's waits are a fleet's with this many drives in the window, or fewer of which some
booked."""


def _stops(x: F64, y: F64) -> npt.NDArray[np.bool_]:
    """Per search (in time order): whether it is a new stop, not within ``_DRIVE_STOP_KM`` of
    the stop before."""
    stop = np.ones(x.size, dtype=np.bool_)
    last = 0
    for i in range(1, x.size):
        if math.hypot(x[i] - x[last], y[i] - y[last]) < _DRIVE_STOP_KM:
            stop[i] = False
        else:
            last = i
    return stop


def drive_stops(x: F64, y: F64, at: F64) -> npt.NDArray[np.bool_] | None:
    """Per search, whether it is a new stop (``_stops``), if one transaction's searches (km
    coordinates, times; in time order) are one vehicle's drive; else None. A drive: three
    stops or more (searches within ``_DRIVE_STOP_KM`` of the one before are one stop), each
    reached from the one before at road speed (144 km/h), and the road travelled never
    coming back near where it was (``_DRIVE_BACK``, but for ``_DRIVE_BACKS`` of the stops).
    A lattice, a spiral or a ring of polled spots keeps coming back beside its earlier rows,
    rings or rounds; a road leads on."""
    stop = _stops(x, y)
    sx, sy, st = x[stop], y[stop], at[stop]
    m = st.size
    if m < 3:
        return None
    step = np.hypot(np.diff(sx), np.diff(sy))
    if bool((step > _TRACK_MAX_KM_PER_S * np.diff(st) + _DRIVE_STOP_KM).any()):
        return None
    road = np.concatenate(([0.0], np.cumsum(step)))
    apart = np.hypot(sx[:, None] - sx[None, :], sy[:, None] - sy[None, :])
    travelled = road[:, None] - road[None, :]
    earlier = np.tri(m, k=-2, dtype=np.bool_)  # stop j at least two before stop k
    back = (apart < _DRIVE_BACK * travelled) & earlier
    return stop if int(np.count_nonzero(back.any(axis=1))) <= _DRIVE_BACKS * m else None


def is_drive(x: F64, y: F64, at: F64) -> bool:
    """Whether one transaction's searches are a drive (``drive_stops``)."""
    return drive_stops(x, y, at) is not None


TRIP_QUIET_S = 1800.0
"""A trip with a search this near the window's end may still book: it is not counted yet."""
TRIP_VIEW = 0.5
"""A unit with this share of its searches in trips or more is judged by its trips as well."""


def unit_selects(f: Mapping[str, float]) -> float:
    """The unit's selects in the window, from its features (``select_per_search`` is selects
    over searches + 1; ``searches`` is the window's count, which the scorer adds)."""
    return f["select_per_search"] * (f.get("searches", 0.0) + 1.0)


def by_trips(f: Mapping[str, float]) -> float | None:
    """The unit's bookings per decision (``trip_bookings / (trips + 1)``) when most of its
    searches are trips (``TRIP_VIEW``), else None."""
    if f["trip_share"] < TRIP_VIEW:
        return None
    return f["trip_bookings"] / (f["trips"] + 1.0)


class Trips(NamedTuple):
    """A unit's trips (see FEATURES) and, per search, what its drives say of it."""

    share: float
    trips: float
    bookings: float
    fleet_waits: bool
    dwell: npt.NDArray[np.bool_]
    """It waits at a drive's stop, up to ``DWELL_S`` after the stop's first search, and the
    unit's waits are a fleet's (``fleet_waits``)."""
    drive: npt.NDArray[np.bool_]
    """It is one of a drive's searches."""


def _trips(
    txns: Sequence[str],
    x: F64,
    y: F64,
    at: F64,
    end: float,
    booked: set[str],
    confirms: Sequence[str],
    fleet_waits: bool | None,
) -> Trips:
    """The trips of a unit's searches' transaction ids, places (km) and times, given the
    transactions that booked and every confirm's transaction; ``fleet_waits`` as given, or
    (None) from these transactions."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    count: Counter[str] = Counter()
    for txn, t in zip(txns, at.tolist(), strict=True):
        if txn:
            count[txn] += 1
            first[txn] = min(first.get(txn, t), t)
            last[txn] = max(last.get(txn, t), t)
    shaped = {
        txn
        for txn, c in count.items()
        if 2 <= c <= TRIP_MAX and last[txn] - first[txn] <= TRIP_SPAN_S
    }
    long = {
        txn
        for txn, c in count.items()
        if TRIP_MAX < c <= DRIVE_MAX and last[txn] - first[txn] <= DRIVE_SPAN_S
    }
    dwell = np.zeros(at.size, dtype=np.bool_)
    drive = np.zeros(at.size, dtype=np.bool_)
    drives: set[str] = set()
    rows: dict[str, list[int]] = {txn: [] for txn in shaped | long if count[txn] > 2}
    for row, txn in enumerate(txns):
        if txn in rows:
            rows[txn].append(row)
    for txn, where in rows.items():
        idx = np.array(where, dtype=np.int64)
        idx = idx[np.lexsort((y[idx], x[idx], at[idx]))]  # the same order whatever the input's
        stop = drive_stops(x[idx], y[idx], at[idx])
        if stop is None:
            continue
        shaped.add(txn)
        drives.add(txn)
        drive[idx] = True
        arrived = at[idx][stop][np.cumsum(stop) - 1]  # each search's stop's first search
        dwell[idx[~stop & (at[idx] - arrived <= DWELL_S)]] = True
    if fleet_waits is None:
        fleet_waits = len(drives) >= FLEET_DRIVES or bool(drives & booked)
    if not fleet_waits:
        # a vehicle waiting at a stop polls nothing when it is one of a fleet's: a bus
        # halting at a dhaba, a truck in a toll queue, many drives or some of them booking; a
        # head unit parked at one rival charger after another, a few drives never booking, is
        # waiting for their availability
        dwell[:] = False
    in_trips = sum(count[txn] for txn in shaped)
    ended = [txn for txn in shaped if txn in booked or last[txn] <= end - TRIP_QUIET_S]
    outside = len(txns) - in_trips
    bookings = sum(txn in booked for txn in ended)
    bookings += sum(t not in shaped and (not t or t in booked) for t in confirms)
    trips = _share(in_trips, len(txns)), float(len(ended) + outside), float(bookings)
    return Trips(*trips, fleet_waits, dwell, drive)


_TRACK_POINTS = 2000
"""The track test looks at this many searches at most (a contiguous stretch of time)."""
_TRACK_KM_PER_S = 0.02
"""How time counts against distance when looking for a search's neighbours."""
_TRACK_NEIGHBOURS = 24
_TRACK_GAP_S = (30.0, 900.0)
_TRACK_MIN_KM = 0.2
_TRACK_MAX_KM_PER_S = 0.04
"""144 km/h."""
_TRACK_TOLERANCE = 0.3
"""How near (km, with time at ``_TRACK_KM_PER_S``) the continuation must land."""


def track_share(x: F64, y: F64, at: F64) -> float:
    """Share of searches (km coordinates, times; one order) that sit in the middle of a track
    moving at road speed: some search 30 s to 15 min before, 0.2 km or more away at 144 km/h
    or less, and another search within ``_TRACK_TOLERANCE`` of where and when going on at the
    same velocity lands. 0 with fewer than 20 searches. Beyond ``_TRACK_POINTS`` searches,
    the middle stretch of time holding that many is looked at."""
    from sklearn.neighbors import KDTree

    n = at.size
    if n < 20:
        return 0.0
    order = np.lexsort((y, x, at))
    if n > _TRACK_POINTS:
        lo = (n - _TRACK_POINTS) // 2
        order = order[lo : lo + _TRACK_POINTS]
    t = at[order] - at[order[0]]
    points = np.column_stack((x[order], y[order], t * _TRACK_KM_PER_S))
    if not np.isfinite(points).all():
        return 0.0
    tree = KDTree(points)
    k = min(_TRACK_NEIGHBOURS, points.shape[0])
    _, near = tree.query(points, k=k)
    i = np.repeat(np.arange(points.shape[0]), k)
    j = near.ravel()
    dt = t[i] - t[j]
    d = np.hypot(points[i, 0] - points[j, 0], points[i, 1] - points[j, 1])
    moving = (
        (dt >= _TRACK_GAP_S[0])
        & (dt <= _TRACK_GAP_S[1])
        & (d >= _TRACK_MIN_KM)
        & (d <= _TRACK_MAX_KM_PER_S * dt)
    )
    if not moving.any():
        return 0.0
    i, j = i[moving], j[moving]
    ahead = 2 * points[i] - points[j]
    gap, _ = tree.query(ahead, k=1)
    on = np.zeros(points.shape[0], dtype=bool)
    on[i[gap[:, 0] <= _TRACK_TOLERANCE]] = True
    return float(np.count_nonzero(on)) / int(points.shape[0])


def _share(count: int, total: int) -> float:
    return count / total if total > 0 else 0.0


def features(
    searches: Sequence[Search],
    funnel: Sequence[Funnel],
    start: float,
    end: float,
    network: NetworkContext,
    *,
    max_points: int = 4000,
    fleet_waits: bool | None = None,
) -> dict[str, float]:
    """Every name in FEATURES -> a finite float, for the events of ONE unit (a BAP, or one user
    of a BAP) in [start, end). Events outside the window are ignored. See FEATURES for what
    each value means; ``fleet_waits`` is the BAP's for one of its users (None: the unit's
    own)."""
    if not (math.isfinite(start) and math.isfinite(end) and end > start):
        raise ValueError("the window [start, end) must be finite and not empty")
    hours = (end - start) / 3600.0
    out = dict.fromkeys(FEATURES, 0.0)

    # the unit's funnel in the window
    counts: Counter[FunnelKind] = Counter()
    cpos: set[str] = set()
    selected: list[str] = []
    select_cpos: Counter[str] = Counter()
    onward: set[str] = set()  # transactions that reached a select or further
    confirmed: list[str] = []  # each confirm's transaction ('' for none)
    cancelled: set[str] = set()
    for f in funnel:
        if start <= f.at < end:
            counts[f.kind] += 1
            cpos.add(f.bpp_id)
            if f.kind is FunnelKind.SELECT:
                selected.append(f.location_id)
                select_cpos[f.bpp_id] += 1
            if f.kind is FunnelKind.CONFIRM:
                confirmed.append(f.txn)
            if f.kind is FunnelKind.CANCEL:
                cancelled.add(f.txn)
            elif f.txn:
                onward.add(f.txn)
    selects = counts[FunnelKind.SELECT]
    confirms = counts[FunnelKind.CONFIRM]
    out["confirm_per_select"] = min(1.0, confirms / (selects + 1))
    out["locations_per_select"] = _share(len(set(selected)), selects)
    busy = network.busy_locations
    out["busy_location_select_share"] = _share(sum(loc in busy for loc in selected), selects)
    out["log_funnel_cpos"] = math.log1p(len(cpos))
    if selects:
        out["select_cpo_share"] = max(select_cpos.values()) / selects

    # the unit's searches in the window
    at = np.fromiter(map(attrgetter("at"), searches), dtype=np.float64, count=len(searches))
    inside = _in_window(at, start, end)
    if bool(inside.all()):
        kept: Sequence[Search] = searches
    else:
        kept = [searches[i] for i in np.flatnonzero(inside).tolist()]
        at = at[inside]
    n = at.size
    out["log_searches_per_hour"] = math.log1p(n / hours)
    out["select_per_search"] = min(1.0, selects / (n + 1))
    out["init_per_search"] = min(1.0, counts[FunnelKind.INIT] / (n + 1))
    out["confirm_per_search"] = min(1.0, confirms / (n + 1))
    out["log_search_vias"] = math.log1p(len(set(map(attrgetter("via"), kept))))
    if n == 0:
        out["log_median_gap"] = math.log1p(end - start)
        return out
    lat, lon = _coordinates(kept)
    radius = np.fromiter(map(attrgetter("radius_km"), kept), dtype=np.float64, count=n)
    km_lon = 111.320 * math.cos(math.radians(float(np.median(lat))))

    # transactions: trips, and the searches of a vehicle waiting at a drive's stop
    txns = [s.txn for s in kept]
    has_txn = np.fromiter((bool(t) for t in txns), dtype=np.bool_, count=n)
    # transaction ids say which searches led on only if the unit's selects carry its
    # searches' ids: a unit whose every select starts a transaction of its own (a CPO's
    # console booking walk-ins) says nothing that way about its searches
    ties = has_txn.any() and not (len(onward) >= _UNTIED and onward.isdisjoint(txns))
    dwell = drive = np.zeros(n, dtype=np.bool_)
    codes = np.full(n, -1, dtype=np.int64)  # each search's transaction as a number, -1 for none
    if ties:
        codes = np.unique(np.array(txns, dtype=object), return_inverse=True)[1].astype(np.int64)
        codes = np.where(has_txn, codes, -1)
        booked = {t for t in confirmed if t} - cancelled
        trips = _trips(txns, lon * km_lon, lat * 110.574, at, end, booked, confirmed, fleet_waits)
        out["trip_share"], out["trips"], out["trip_bookings"] = trips[:3]
        out["fleet_waits"] = float(trips.fleet_waits)
        dwell, drive = trips.dwell, trips.drive
        out["drive_share"] = float(np.count_nonzero(drive)) / n

    # geographic sweep
    size = network.cell_deg
    row, col = _cell_indices(lat, lon, size)
    keys = ((row + _KEY_OFFSET) << _KEY_SHIFT) | (col + _KEY_OFFSET)
    cells = _distinct(keys)
    out["cells_per_search"] = cells.size / n
    out["log_cells_per_hour"] = math.log1p(cells.size / hours)
    box = float(row.max() - row.min() + 1) * float(col.max() - col.min() + 1)
    out["bbox_coverage"] = min(1.0, cells.size / box)
    busy_keys = [k for k in map(_key_of, network.busy_cells) if k is not None]
    if busy_keys:
        in_busy = np.isin(keys, np.array(busy_keys, dtype=np.int64))
        out["busy_cell_share"] = int(np.count_nonzero(in_busy)) / n

    # exact centres: repeats, and the lattice of the distinct ones (sorted: a canonical order)
    q_lat = np.round(lat * _QUANTUM).astype(np.int64) + _Q_LAT
    q_lon = np.round(lon * _QUANTUM).astype(np.int64) + _Q_LON
    centres = _distinct(q_lat * _Q_LON_SPAN + q_lon)
    out["exact_repeat_share"] = (n - centres.size) / n
    out["nn_regularity"], out["nn_step_share"] = _lattice(
        (centres // _Q_LON_SPAN).astype(np.float64),
        (centres % _Q_LON_SPAN).astype(np.float64),
        max_points,
    )

    # arrivals: gaps between distinct times to the millisecond, so that a batch of parallel
    # requests counts as one poll
    instants = _distinct(np.round((at - start) * 1000.0))
    gaps: F64 = np.diff(instants) / 1000.0
    if gaps.size:
        out["log_median_gap"] = math.log1p(float(np.median(gaps)))
    else:
        out["log_median_gap"] = math.log1p(end - start)
    if gaps.size >= _MIN_GAPS:
        out["arrival_regularity"] = 1.0 / (1.0 + _cv(gaps))
        out["period_share"] = _median_share(gaps)
    place = keys
    if drive.any():
        # a drive's searches revisit a spot (``_DRIVE_SPOT_DEG``), not a cell: trips on one
        # road come by the same cells, a poll dressed as drives comes back to the same sites
        fine = np.floor(lat / _DRIVE_SPOT_DEG) * 1e6 + np.floor(lon / _DRIVE_SPOT_DEG)
        place = np.where(drive, fine.astype(np.int64) | _DRIVE_KEY, keys)
    order = np.lexsort((at, place))
    same_cell = place[order][1:] == place[order][:-1]
    if drive.any():  # a drive waiting at a place is no revisit of it; another drive's visit is
        trip = np.where(drive, codes, -1)[order]
        same_cell &= (trip[1:] != trip[:-1]) | (trip[1:] < 0)
    revisits = np.diff(at[order])[same_cell]
    revisits = revisits[revisits >= 0.001]
    if revisits.size >= _MIN_GAPS:
        out["revisit_period_share"] = _median_share(revisits)

    out["track_share"] = track_share(lon * km_lon, lat * 110.574, at)

    # radius profile (sorted, so that sums do not depend on the input order)
    radius = np.sort(np.clip(np.nan_to_num(radius, nan=0.0, posinf=_KM_MAX), 0.0, _KM_MAX))
    out["log_mean_radius"] = math.log1p(float(radius.mean()))
    out["radius_cv"] = _cv(radius)
    out["max_radius_share"] = int(np.count_nonzero(radius == radius[-1])) / n

    # diurnal rhythm, in IST
    hour = (np.mod(at + IST_OFFSET_S, _DAY_S) // 3600.0).astype(np.int64).clip(0, 23)
    per_hour = np.bincount(hour, minlength=24)
    out["night_share"] = int(per_hour[:_NIGHT_END_HOUR].sum()) / n
    p = per_hour[per_hour > 0] / n
    out["hour_entropy"] = min(1.0, max(0.0, float(-(p * np.log(p)).sum()) / math.log(24)))

    # sub-populations (the radii in the searches' own order, not sorted)
    conversion = Conversion(
        np.fromiter((t in onward for t in txns), dtype=np.bool_, count=n) if ties else None,
        has_txn if ties else None,
        min(1.0, selects / n),
    )
    raw_radius = np.fromiter(map(attrgetter("radius_km"), kept), dtype=np.float64, count=n)
    raw_radius = np.clip(np.nan_to_num(raw_radius, nan=0.0, posinf=_KM_MAX), 0.0, _KM_MAX)
    if ties:
        out.update(rounds(codes, lat, lon, at, raw_radius, conversion))
    if dwell.any():  # a vehicle waiting at a stop polls nothing
        moved = ~dwell
        lat, lon, at, raw_radius = lat[moved], lon[moved], at[moved], raw_radius[moved]
        conversion = conversion.take(moved)
    out.update(subpopulations(lat, lon, at, raw_radius, conversion))
    return out
