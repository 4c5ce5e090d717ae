"""Scraping sub-populations inside one unit's searches, found from the queries alone (no user
identity needed): a lattice of centres, and spots searched again and again; and whether the
searches of each led to selects.

A gateway does not know an app's users, so a sweep run inside a real app's traffic is one
BAP's searches among many. Two traits give it away:

- **a lattice**: a sweep's centres lie on a regular grid, ``step`` km apart in each axis (exactly,
  or within some tens of metres when jittered). People's positions have no such period. The
  period of each axis is found from the spectrum of the centres' projected coordinates (a
  histogram's FFT: a lattice makes its fundamental and the next two harmonics all strong, a
  smooth crowd only the lowest frequencies), and the searches within ``tolerance`` of a node of
  the best pair of periods counted, less those expected there by chance
  ((2 tolerance / step) squared of the searches). The result is a z-score, the excess share,
  the searches on the grid, and its rows and columns.
  A sweep need not run north-south, nor cover the app's whole area: the lattice is looked
  for in frames turned to the dominant step between distinct centres (its direction modulo
  90 degrees for a square lattice, 60 for a hexagonal one, whose rows a rectangular lattice
  of half its step holds; counted only at centres with two or more neighbours one such step
  away, so people's positions around the nodes do not drown it), over every centre and
  inside the box those steps make; then turned again by the tilt of the rows found, until
  they lie on the axes to a few metres over a city. A lattice found in a box is counted over
  every search. It must be two-way (``grid_aligned``): a car's refreshes along one road,
  once the frame is turned onto it, line up in one row. Frames compare by z-score weighted
  by that.
  The spectrum is read from distinct centres (to about 10 m): people come back to the same
  few spots, and those spikes would drown a lattice that visits each node once or twice.
- **repeats**: a poller queries the same few points (a site's own coordinates) over and over;
  a person's phone rarely reports the same point to the metre on three visits in a few hours.
  A spot is a centre (to about 10 m) searched on ``SPOT_REPEATS`` separate visits or more in
  the window (searches there less than ten minutes apart are one visit), or searched
  ``_SPOT_SEARCHES`` times however close together.

Conversion of a sub-population: with transaction ids, the share of its searches whose
transaction reached a select; without them, the unit's own select rate when the
sub-population is (nearly) the whole unit; otherwise unknown (reported as such, never
guessed).

Pure, deterministic and order-independent (the searches are put in a canonical order
first), finite for any input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.neighbors import KDTree  # type: ignore[import-untyped]

__all__ = [
    "ROUND_FEATURES",
    "SUBPOP_FEATURES",
    "Conversion",
    "evenly_stepped",
    "polled_spots",
    "rounds",
    "spot_rhythm",
    "subpopulations",
]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

_KM_LAT = 110.574
_KM_LON = 111.320
_BIN_KM = 0.025
_MAX_BINS = 1 << 15
_MIN_STEP_KM = 0.5
_MAX_STEP_KM = 8.0
_CANDIDATES = 10
_REFINE = 9
_REFINE_BIN_KM = 0.05
_EXACT_POINTS = 2000
_TOLERANCES_KM = (0.006, 0.1)
_MIN_GRID = 12
_ANGLE_BINS = 72
_NEIGHBOURS = 8
_LENGTH_BINS = 20
_SAME_LENGTH = 0.15
_STEP_SLICE = 512
_SAME_STEP_ANGLE = math.radians(8.0)
"""Neighbours this close in length (share) and direction (modulo the lattice's symmetry) to
the nearest one are steps of the same lattice."""
"""Bins of nearest-neighbour step length (log-spaced, from half the smallest step to twice
the largest)."""
"""Neighbours looked at for the nearest one a lattice step away."""
_TURNS = 4
_STARTS = 3
"""Pairs of axis periods refined per tolerance, strongest first."""
_TURN_DONE = math.radians(0.005)
"""A turn this small moves a node less than 2 m across 20 km: the frame is on the lattice."""
_SAME_ANGLE = math.radians(1.0)
"""Orientations closer than this (modulo the lattice's symmetry) are one."""
SPOT_REPEATS = 3
_SPOT_DEG = 1e-4
_VISIT_GAP_S = 600.0
_SPOT_SEARCHES = 8
"""Or this many searches at one point, however close together (a fast poller)."""
_ROUND_S = 60.0
"""Visits to different spots this close together are one round of a poll."""
_MIN_SPOT_GAPS = 6
"""Gaps between visits needed to say how regular they are."""
_WHOLE = 0.8
"""A sub-population of this share of the unit or more converts as the unit does."""
_MIN_KNOWN = 10
"""Searches with a transaction id needed to say how a sub-population converts."""

SUBPOP_FEATURES: tuple[str, ...] = (
    # lattice sub-population
    "grid_z",  # excess of searches on the best lattice over chance, in standard deviations
    "grid_share",  # that excess as a share of the unit's searches, in [0, 1]
    "grid_searches",  # searches on the lattice's nodes
    "grid_rows",  # distinct rows and columns of nodes hit
    "grid_cols",
    "grid_nodes",  # distinct nodes hit
    "grid_aligned",  # share of those nodes in a row and a column with two more of them each
    "grid_fill",  # distinct nodes / (distinct rows x distinct columns)
    "grid_step_km",  # the lattice's step (mean of the two axes)
    "grid_period_s",  # median gap between visits to the same node (0 without revisits)
    "grid_radius_share",  # share of the lattice's searches at its most common radius
    "grid_select_share",  # share of its searches that led to a select (when known)
    "grid_known",  # 1 when that share is known (transaction ids, or the whole unit), else 0
    # repeated spots
    "spot_searches",  # searches at a centre searched SPOT_REPEATS times or more
    "spot_share",
    "spot_sites",  # how many such centres
    "spot_period_s",  # median gap between visits to the same spot
    "spot_select_share",
    "spot_known",
    "spot_visits",  # visits to those centres (a run of searches there < 10 min apart is one)
    "spot_regularity",  # 1 / (1 + CV) of the gaps between visits, each spot's by its median
    "spot_rounds",  # share of visits starting within a minute of a visit to another spot
    # evenly stepped points (a sweep that is no lattice: rings, roads, spirals)
    "chain_z",  # excess of distinct fresh pairs at the commonest step over its neighbourhood
    "chain_searches",  # searches at either end of such a pair
    "chain_pairs",  # distinct pairs of centres at that step
    "chain_step_km",
    "chain_radius_share",  # share of those searches at their most common radius
    "chain_select_share",
    "chain_known",
)


@dataclass(frozen=True, slots=True)
class Conversion:
    """How the unit's searches lead to selects: per search, whether its transaction reached a
    select (None without transaction ids), and the unit's own select rate."""

    converted: B | None
    """Per search (in the order given): its transaction reached a select."""
    has_txn: B | None
    unit_rate: float

    def take(self, index: npt.NDArray[np.int64] | B) -> Conversion:
        """The same for the searches ``index`` picks (positions, or a mask), in its order."""
        return Conversion(
            None if self.converted is None else self.converted[index],
            None if self.has_txn is None else self.has_txn[index],
            self.unit_rate,
        )


def _ramp_index(lo: float, hi: float, n: int) -> tuple[int, int]:
    return max(1, math.ceil(lo)), min(n - 1, math.floor(hi))


def _axis_candidates(v: F64) -> list[tuple[float, float, float]]:
    """(step km, offset km, strength) of the strongest periods of coordinates ``v`` (km)."""
    lo = float(v.min())
    extent = float(v.max()) - lo
    if not extent > 2 * _MIN_STEP_KM:
        return []
    size = max(_BIN_KM, extent / _MAX_BINS)
    bins = int(extent / size) + 1
    idx = np.minimum(((v - lo) / size).astype(np.int64), bins - 1)
    h = np.bincount(idx, minlength=bins).astype(np.float64)
    nfft = 1 << math.ceil(math.log2(2 * bins))
    spec = np.fft.rfft(h, nfft)
    mag = np.abs(spec) / v.size
    span = nfft * size  # km per full FFT length
    j0, j1 = _ramp_index(span / _MAX_STEP_KM, span / max(_MIN_STEP_KM, 3 * size), mag.size // 3 - 2)
    if j1 <= j0:
        return []
    j = np.arange(j0, j1 + 1)
    second = np.maximum.reduce([mag[2 * j - 1], mag[2 * j], mag[2 * j + 1]])
    third = np.maximum.reduce([mag[3 * j - 1], mag[3 * j], mag[3 * j + 1]])
    strength = np.minimum(mag[j], np.minimum(second, third))
    out: list[tuple[float, float, float]] = []
    taken = np.zeros(strength.size, dtype=bool)
    # the refinement sums over a coarser histogram (its phase is still good to a few metres
    # of offset for steps of half a kilometre and more)
    coarse = max(size, _REFINE_BIN_KM)
    cidx = ((v - lo) / coarse).astype(np.int64)
    counts = np.bincount(cidx)
    occupied = np.flatnonzero(counts)
    pos, weights = lo + (occupied + 0.5) * coarse, counts[occupied].astype(np.float64)
    exact = v if v.size <= _EXACT_POINTS else np.sort(v)[:: math.ceil(v.size / _EXACT_POINTS)]
    for k in np.argsort(-strength, kind="stable"):
        if len(out) >= _CANDIDATES:
            break
        if taken[k]:
            continue
        taken[max(0, k - 2) : k + 3] = True
        # refine the frequency between the FFT's bins: over the extent, a step off by one
        # part in a hundred drifts a whole cycle
        freq = float(j[k]) / span  # cycles per km
        for width in (1.0, 0.25, 0.0625):
            f = np.maximum(freq + np.linspace(-width, width, _REFINE) / span, 0.5 / span)
            waves = np.exp(-2j * np.pi * np.outer(f, pos)) @ weights
            freq = float(f[int(np.argmax(np.abs(waves)))])
        # the phase from the exact positions (a bin's centre is up to half a bin off)
        wave = complex(np.exp(-2j * np.pi * freq * exact).sum())
        step = 1.0 / freq
        phase = math.atan2(wave.imag, wave.real)
        offset = (-phase / (2 * math.pi * freq)) % step
        out.append((step, offset, float(strength[k])))
    return out


def _refit(v: F64, step: float, offset: float) -> tuple[float, float]:
    """(step, offset) of a line of lattice positions ``v`` fitted by least squares on their
    node numbers; the given ones when there are too few nodes to fit."""
    nodes = np.round((v - offset) / step)
    if np.unique(nodes).size < 3:
        return step, offset
    slope, intercept = np.polyfit(nodes, v, 1)
    if not (math.isfinite(slope) and slope > 0 and abs(slope / step - 1) < 0.05):
        return step, offset
    return float(slope), float(intercept) % float(slope)


def _aligned(rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> float:
    """Share of distinct nodes that share their row with at least two other distinct nodes
    and their column with at least two others: a lattice's (or a strip of three rows or more)
    all do. Points spaced evenly along a road (a car refreshing as it drives) do not: each
    sits in a row and a column of its own, or, once the frame is turned onto the road, all
    share one row (or a few) and each has a column of its own."""
    nodes = np.unique(np.column_stack((rows, cols)), axis=0)
    if nodes.shape[0] == 0:
        return 0.0
    _, r_inv, r_n = np.unique(nodes[:, 0], return_inverse=True, return_counts=True)
    _, c_inv, c_n = np.unique(nodes[:, 1], return_inverse=True, return_counts=True)
    aligned = (r_n[r_inv] >= 3) & (c_n[c_inv] >= 3)
    return float(np.count_nonzero(aligned)) / int(nodes.shape[0])


def _coarsest(v: F64, step: float, offset: float) -> tuple[float, float]:
    """The coarsest multiple of ``step`` whose nodes still hold (nearly) all of ``v``."""
    for _ in range(4):
        nodes = np.round((v - offset) / step).astype(np.int64)
        for m in (2, 3, 5):
            if step * m > 2 * _MAX_STEP_KM:
                continue
            counts = np.bincount(nodes % m, minlength=m)
            r = int(np.argmax(counts))
            if counts[r] >= 0.95 * nodes.size and np.unique(nodes[nodes % m == r]).size >= 3:
                offset, step = offset + r * step, step * m
                break
        else:
            break
    return step, offset


def _conversion(
    mask: B, conv: Conversion, share: float, chance: float = 0.0
) -> tuple[float, float]:
    """(select share, known) of the searches in ``mask``. ``chance`` is the share of the
    other searches expected in the mask by chance alone: their selects are discounted at the
    rate of the searches outside it."""
    if conv.converted is not None and conv.has_txn is not None:
        with_txn = mask & conv.has_txn
        known = int(np.count_nonzero(with_txn))
        if known >= _MIN_KNOWN:
            hits = float(np.count_nonzero(conv.converted & with_txn))
            if chance > 0.0:
                outside = ~mask & conv.has_txn
                rest = int(np.count_nonzero(outside))
                rate = float(np.count_nonzero(conv.converted & outside)) / rest if rest else 0.0
                stray = chance * rest
                hits = max(0.0, hits - stray * rate)
                return hits / max(1.0, known - stray), 1.0
            return hits / known, 1.0
    if share >= _WHOLE:
        return conv.unit_rate, 1.0
    return 0.0, 0.0


def _revisit_period(keys: npt.NDArray[np.int64], at: F64) -> float:
    """Median gap between consecutive searches at the same key (0 without any)."""
    if keys.size < 2:
        return 0.0
    order = np.lexsort((at, keys))
    same = keys[order][1:] == keys[order][:-1]
    gaps = np.diff(at[order])[same]
    gaps = gaps[gaps > 1.0]
    return float(np.median(gaps)) if gaps.size else 0.0


def spot_rhythm(spot: npt.NDArray[np.int64], start: F64) -> tuple[float, float]:
    """(regularity, rounds) of visits to repeated spots: ``spot`` is each visit's spot and
    ``start`` its first search's time (any order).

    Regularity is 1 / (1 + CV) of the gaps between a spot's consecutive visits, each gap
    divided by its spot's median gap and pooled over spots (0 with fewer than
    ``_MIN_SPOT_GAPS`` gaps): a poll on a period, jittered or not, stays well above 0.7;
    people coming back to a favourite place at random times (a Poisson process) near 0.5
    (up to about 0.65 when visits come every quarter of an hour: visits under ten minutes
    apart are one).
    Rounds is the share of visits that start within ``_ROUND_S`` of a visit to another spot:
    a poller queries its sites together, each round."""
    if spot.size < 2:
        return 0.0, 0.0
    order = np.lexsort((start, spot))
    k, t = spot[order], start[order]
    same = k[1:] == k[:-1]
    gaps = np.diff(t)
    regularity = 0.0
    if int(np.count_nonzero(same)) >= _MIN_SPOT_GAPS:
        of_gap = k[1:][same]
        g = gaps[same]
        # each spot's median gap, broadcast to its gaps
        keys, inverse = np.unique(of_gap, return_inverse=True)
        medians = np.array([np.median(g[inverse == i]) for i in range(keys.size)])
        scaled = g / np.maximum(medians[inverse], 1.0)
        regularity = 1.0 / (1.0 + _cv_of(np.sort(scaled)))
    ks, together = _together(spot, start)
    return regularity, float(np.count_nonzero(together)) / ks.size


def _together(spot: npt.NDArray[np.int64], start: F64) -> tuple[npt.NDArray[np.int64], B]:
    """The visits' spots in time order, and whether each starts within ``_ROUND_S`` of a
    visit to another spot (one round of a poll)."""
    by_time = np.lexsort((spot, start))
    ks, ts = spot[by_time], start[by_time]
    # the nearest visit to another spot before and after each: the one just outside its run
    # of visits to the same spot
    n = ks.size
    idx = np.arange(n)
    first = np.concatenate(([True], ks[1:] != ks[:-1]))
    run_start = np.maximum.accumulate(np.where(first, idx, 0))
    last = np.concatenate((ks[1:] != ks[:-1], [True]))
    run_end = np.minimum.accumulate(np.where(last, idx, n - 1)[::-1])[::-1]
    before, after = run_start - 1, run_end + 1
    together = ((before >= 0) & (ts - ts[np.maximum(before, 0)] <= _ROUND_S)) | (
        (after < n) & (ts[np.minimum(after, n - 1)] - ts <= _ROUND_S)
    )
    return ks, together


_CHAIN_NEXT = 16
"""Searches after each one (in time) that may be its sweep's next point: a sweep hidden in an
app has the app's searches between its own."""
_CHAIN_SPAN_S = 1800.0
_CHAIN_KM = (0.3, 8.0)
"""Steps looked at: longer than a person moving about one place, shorter than a town."""
_CHAIN_BIN_KM = 0.01
_CHAIN_NEAR = (3, 40)
"""The step's neighbourhood, in bins either side (the bins next to it left out)."""
_CHAIN_MIN_NEAR = 10
"""Bins either side, at least, beyond the ones left out (a step near the ends of the range
looked at has a narrower neighbourhood)."""
_CHAIN_FRESH = 3
"""An end of a pair is a centre searched at most this often in the window: favourite points
and polled chargers (repeated spots) are not a sweep's fresh points."""
_MIN_CHAIN = 12
"""Distinct pairs needed at one step."""
_CHAIN_EXCESS = 2.0
"""A step's pairs are at least this many times its neighbourhood's."""
_CHAIN_PEAK_Z = 6.0
"""Another step of the same layout counts when this far beyond its neighbourhood (people's
steps peak at 3-4 at most, over every step looked at)."""


@dataclass(frozen=True, slots=True)
class _Chain:
    z: float
    on: B
    pairs: int
    step_km: float


def evenly_stepped(y: F64, x: F64, at: F64, radius: F64, fresh: B) -> _Chain | None:
    """The step (km, to 10 m) that the most distinct pairs of fresh centres (``fresh``) a few
    searches apart in time at one radius share, well beyond the steps around it: a sweep
    going from point to point of any regular layout (a lattice, rings around a centre, points
    down a road, a spiral) takes the same step again and again between different points;
    people's successive searches are at every distance. Coordinates in km, one order."""
    n = at.size
    if n < _MIN_CHAIN:
        return None
    # the searches at each radius in time order: a sweep's next point is among the next few
    # at its own radius, whatever the app searches at others
    order = np.lexsort((y, x, at, radius))
    ys, xs, ts, rs, ok = y[order], x[order], at[order], radius[order], fresh[order]
    firsts, seconds = [], []
    for k in range(1, min(_CHAIN_NEXT, n - 1) + 1):
        i = np.arange(n - k)
        j = i + k
        keep = ok[i] & ok[j] & (rs[i] == rs[j]) & (ts[j] - ts[i] <= _CHAIN_SPAN_S)
        firsts.append(i[keep])
        seconds.append(j[keep])
    i, j = np.concatenate(firsts), np.concatenate(seconds)
    d = np.hypot(ys[j] - ys[i], xs[j] - xs[i])
    keep = (d >= _CHAIN_KM[0]) & (d <= _CHAIN_KM[1])
    i, j, d = i[keep], j[keep], d[keep]
    if i.size < _MIN_CHAIN:
        return None
    # one count per distinct pair of centres (to 10 m), whichever searches made it, and one
    # histogram of steps per radius (a sweep's steps stand against people's at its radius)
    a = np.round(ys / 0.01).astype(np.int64) * 10_000_019 + np.round(xs / 0.01).astype(np.int64)
    lo, hi = np.minimum(a[i], a[j]), np.maximum(a[i], a[j])
    bins = np.round(d / _CHAIN_BIN_KM).astype(np.int64)
    _, group = np.unique(rs[i], return_inverse=True)
    group = group.reshape(-1)
    _, first = np.unique(np.stack((lo, hi, bins), axis=1), axis=0, return_index=True)
    near_lo, near_hi = _CHAIN_NEAR
    width = int(bins.max()) + near_hi + 2
    groups = int(group.max()) + 1
    counts = np.bincount(group[first] * width + bins[first], minlength=groups * width)
    counts = counts.reshape(groups, width).astype(np.float64)
    # a step falls in one bin or the next: counted over two; against the mean of the bins
    # around it (the density of people's steps at that distance and radius)
    pairs2 = counts[:, :-1] + counts[:, 1:]
    size = pairs2.shape[1]
    total = np.concatenate((np.zeros((groups, 1)), np.cumsum(pairs2, axis=1)), axis=1)
    b = np.arange(size)
    # the neighbourhood holds only steps looked at, as many bins either side (people's steps
    # thin out with distance: a one-sided neighbourhood would tilt the expectation)
    first_bin = round(_CHAIN_KM[0] / _CHAIN_BIN_KM)
    last_bin = min(size, round(_CHAIN_KM[1] / _CHAIN_BIN_KM))
    half = np.minimum(np.minimum(near_hi, b - first_bin), last_bin - 1 - b)
    enough = half >= near_lo + _CHAIN_MIN_NEAR
    half = np.maximum(half, near_lo)

    def span(lo_b: npt.NDArray[np.int64], hi_b: npt.NDArray[np.int64]) -> tuple[F64, F64]:
        lo_c = np.clip(lo_b, 0, size)
        hi_c = np.maximum(np.clip(hi_b, 0, size), lo_c)
        return total[:, hi_c] - total[:, lo_c], (hi_c - lo_c).astype(np.float64)

    left, left_n = span(b - half, b - near_lo + 1)
    right, right_n = span(b + near_lo, b + half + 1)
    expected = (left + right) / np.maximum(left_n + right_n, 1.0)
    z_all = (pairs2 - expected) / np.sqrt(np.maximum(expected, 1.0))
    # a sweep's step stands out of people's steps many times over, not by a few per cent of a
    # smooth hump that many pairs make significant
    z_all[(pairs2 < _MIN_CHAIN) | (pairs2 < _CHAIN_EXCESS * expected) | ~enough] = -np.inf
    where = np.unravel_index(int(np.argmax(z_all)), z_all.shape)
    g_best, best = int(where[0]), int(where[1])
    if not math.isfinite(float(z_all[g_best, best])):
        return None
    # a layout has several steps (each ring its own, the step between rings, a lattice's
    # diagonal): every other peak of that radius as far beyond its neighbourhood counts too
    row, pairs_row, expected_row = z_all[g_best], pairs2[g_best], expected[g_best]
    # a peak is the first bin of a run as high: never two in a row (they would share a bin),
    # and the best one (argmax takes the first) among them
    peak = np.zeros(size, dtype=bool)
    peak[1:-1] = (row[1:-1] > row[:-2]) & (row[1:-1] >= row[2:])
    peak[best] = True
    peaks = np.flatnonzero(peak & ((row >= _CHAIN_PEAK_Z) | (b == best)))
    hits = float(pairs_row[peaks].sum())
    chance = float(expected_row[peaks].sum())
    z = (hits - chance) / math.sqrt(max(chance, 1.0))
    on_pair = np.isin(bins, np.concatenate((peaks, peaks + 1))) & (group == g_best)
    # a sweep's point is a step from the one before it and the one after; a search that met
    # one of them at that distance by chance, only once
    ends = np.bincount(np.concatenate((i[on_pair], j[on_pair])), minlength=n)
    on = ends >= 2
    if int(np.count_nonzero(on)) < _MIN_CHAIN:
        on = ends >= 1
    back = np.empty(n, dtype=bool)
    back[order] = on
    return _Chain(z, back, int(hits), (best + 0.5) * _CHAIN_BIN_KM)


_POLLED_GAPS = 3
"""Gaps between one spot's visits needed to say whether that spot is visited on a period."""
_POLLED_REGULARITY = 0.7
"""1 / (1 + CV) of one spot's gaps from which it is visited on a period."""


def polled_spots(spot: npt.NDArray[np.int64], start: F64) -> npt.NDArray[np.int64]:
    """The spots, of visits to ``spot`` starting at ``start`` (any order), that are polled:
    visited on a period (1 / (1 + CV) of their own gaps at least ``_POLLED_REGULARITY``) and
    mostly in rounds with other spots. People's favourite points are neither, or one by
    chance (visits under ten minutes apart merge, which evens their gaps)."""
    if spot.size < 2:
        return spot[:0]
    order = np.lexsort((start, spot))
    k, t = spot[order], start[order]
    same = k[1:] == k[:-1]
    of_gap, gaps = k[1:][same], np.diff(t)[same]
    keys, inverse, counts = np.unique(of_gap, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=gaps, minlength=keys.size)
    squares = np.bincount(inverse, weights=gaps * gaps, minlength=keys.size)
    mean = sums / np.maximum(counts, 1)
    sd = np.sqrt(np.maximum(squares / np.maximum(counts, 1) - mean * mean, 0.0))
    cv = np.where(mean > 0, sd / np.where(mean > 0, mean, 1.0), np.inf)
    regular = (counts >= _POLLED_GAPS) & (1.0 / (1.0 + cv) >= _POLLED_REGULARITY)
    if not regular.any():
        return keys[regular]
    ks, together = _together(spot, start)
    at_key = np.searchsorted(keys, ks).clip(0, keys.size - 1)
    mine = keys[at_key] == ks  # visits to a spot with gaps
    rounds = np.bincount(
        at_key[mine], weights=together[mine].astype(np.float64), minlength=keys.size
    )
    visits = np.bincount(at_key[mine], minlength=keys.size)
    in_rounds = 2 * rounds >= visits
    return keys[regular & in_rounds]


def _cv_of(values: F64) -> float:
    mean = float(values.mean())
    return float(values.std()) / mean if mean > 0 else 0.0


def _modal_share(values: F64) -> float:
    if values.size == 0:
        return 0.0
    _, counts = np.unique(np.round(values, 3), return_counts=True)
    return float(counts.max()) / values.size


@dataclass(frozen=True, slots=True)
class _Fit:
    """The best lattice in one frame: its z-score, tolerance, the searches on it, and each
    axis's (step, offset), in the frame's coordinates ``y``, ``x`` (km)."""

    z: float
    tol: float
    on: B
    sy: float
    oy: float
    sx: float
    ox: float
    y: F64
    x: F64
    aligned: float
    """``_aligned`` of its nodes: 1 for a lattice, 0 for points along one line."""

    @property
    def rank(self) -> float:
        """How fits in different frames compare: the z-score, weighted by how much of a
        two-way lattice the nodes make (a frame turned onto one road lines a car's refreshes
        up in a row, with a z-score as high as a sweep's)."""
        return self.z * (0.1 + self.aligned)


@dataclass(frozen=True, slots=True)
class _Frame:
    """A turn of the frame (radians) to try, and the box (km: y from, y to, x from, x to)
    to fit in, or None for every centre."""

    theta: float
    box: tuple[float, float, float, float] | None = None


def _lattice_steps(
    dist: F64, angles: F64, usable: B, fold: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """Per centre (a row of its neighbours' distances and step angles): which neighbour is
    the step most other neighbours agree with (as long, along the axes of a lattice of that
    ``fold``), and how many others agree. A centre inside a lattice has two or more (a
    square's four neighbours, a hexagon's six); a person's position has not. People's
    positions around a node may be nearer than the next node: every usable neighbour is
    tried as the step. In slices of centres, so that memory stays bounded."""
    base = np.zeros(dist.shape[0], dtype=np.intp)
    agree = np.zeros(dist.shape[0], dtype=np.int64)
    for lo in range(0, dist.shape[0], _STEP_SLICE):
        d, a, u = (
            dist[lo : lo + _STEP_SLICE],
            angles[lo : lo + _STEP_SLICE],
            usable[lo : lo + _STEP_SLICE],
        )
        ratio = d[:, None, :] / np.maximum(d[:, :, None], 1e-9)
        same = u[:, :, None] & u[:, None, :] & (np.abs(ratio - 1.0) <= _SAME_LENGTH)
        off = np.remainder(fold * (a[:, None, :] - a[:, :, None]), 2 * math.pi)
        same &= np.minimum(off, 2 * math.pi - off) <= fold * _SAME_STEP_ANGLE
        counts = np.count_nonzero(same, axis=2) - 1  # less the step itself
        best = np.argmax(counts, axis=1)  # the nearest of the best-agreeing steps
        base[lo : lo + best.size] = best
        agree[lo : lo + best.size] = counts[np.arange(best.size), best]
    return base, agree


def _orientations(y: F64, x: F64) -> list[_Frame]:
    """Frames to look for a lattice in: the axes as they are, and the step between distinct
    centres that most of a centre's neighbours agree with (its direction modulo 90 degrees
    for a square lattice, modulo 60 for a hexagonal one, and its length), over every centre
    and over the box around the steps that make it. People's positions have no dominant
    step; a lattice's neighbours all lie one step away along its axes, however small a part
    of the traffic it is or of the area the traffic covers."""
    out = [_Frame(0.0)]
    pts = np.unique(np.round(np.column_stack((y, x)), 3), axis=0)
    if pts.shape[0] < _MIN_GRID:
        return out
    k = min(_NEIGHBOURS, pts.shape[0])
    dist, idx = KDTree(pts).query(pts, k=k)
    # neighbours at least half the smallest step away (a jittered sweep's visits to one node
    # lie some tens of metres apart) and at most the largest
    usable = (dist >= _MIN_STEP_KM / 2) & (dist <= _MAX_STEP_KM)
    steps = pts[idx] - pts[:, None, :]
    angles = np.arctan2(steps[..., 0], steps[..., 1])
    size = np.log(2 * _MAX_STEP_KM / _MIN_STEP_KM) / _LENGTH_BINS
    rows = np.arange(pts.shape[0])
    for fold in (4, 6):
        base, agree = _lattice_steps(dist, angles, usable, fold)
        framed = agree >= 2
        if np.count_nonzero(framed) < _MIN_GRID:
            continue
        d = dist[rows, base][framed]
        origin, to = pts[framed], pts[idx[rows, base]][framed]
        turned = (fold * angles[rows, base][framed]) % (2 * math.pi)
        abin = (turned / (2 * math.pi) * _ANGLE_BINS).astype(np.int64) % _ANGLE_BINS
        lbin = np.minimum(
            (np.log(d / (_MIN_STEP_KM / 2)) / size).astype(np.int64), _LENGTH_BINS - 1
        )
        h = np.bincount(abin * _LENGTH_BINS + lbin, minlength=_ANGLE_BINS * _LENGTH_BINS)
        # a step's angle and length both a little off a bin's edge: sum each bin with its
        # neighbours (angles wrap, lengths do not)
        grid = h.reshape(_ANGLE_BINS, _LENGTH_BINS).astype(np.float64)
        padded = np.pad(grid, ((0, 0), (1, 1)))
        summed = np.zeros_like(grid)
        for da in (-1, 0, 1):
            for dl in (-1, 0, 1):
                summed += np.roll(padded, da, axis=0)[:, 1 + dl : 1 + dl + _LENGTH_BINS]
        pa, pl = (int(v) for v in np.unravel_index(int(np.argmax(summed)), summed.shape))
        if summed[pa, pl] < _MIN_GRID:
            continue
        near = (np.abs((abin - pa + _ANGLE_BINS // 2) % _ANGLE_BINS - _ANGLE_BINS // 2) <= 1) & (
            np.abs(lbin - pl) <= 1
        )
        mean = np.exp(1j * turned[near]).mean()
        theta = float(math.atan2(mean.imag, mean.real)) / fold
        ends = np.concatenate((origin[near], to[near]))
        margin = float(np.median(d[near]))
        box = (
            float(ends[:, 0].min()) - margin,
            float(ends[:, 0].max()) + margin,
            float(ends[:, 1].min()) - margin,
            float(ends[:, 1].max()) + margin,
        )
        if all(abs(math.remainder(theta - f.theta, 2 * math.pi / fold)) > _SAME_ANGLE for f in out):
            out.append(_Frame(theta))
        out.append(_Frame(theta, box))
    return out


def _residual_turn(fit: _Fit) -> float:
    """The angle (radians) the frame is still off the lattice found in it: an orientation
    read from nearest-neighbour steps is good to a fraction of a degree, and over a city a
    tenth of a degree drifts a row off its nodes. Rows of the searches on the lattice are
    fitted as ``y = step * row + slope * x + offset`` by least squares (and columns likewise);
    their tilt is the turn still to make."""
    y, x = fit.y[fit.on], fit.x[fit.on]
    rows = np.round((y - fit.oy) / fit.sy)
    cols = np.round((x - fit.ox) / fit.sx)
    tilts: list[float] = []
    for along, across, index in ((y, x, rows), (x, y, cols)):
        if np.unique(index).size < 2 or float(np.ptp(across)) < 2 * _MIN_STEP_KM:
            continue
        design = np.column_stack((index, across, np.ones_like(across)))
        coef, *_ = np.linalg.lstsq(design, along, rcond=None)
        if math.isfinite(float(coef[1])):
            tilts.append(math.atan(float(coef[1])))
    if not tilts:
        return 0.0
    # rows tilted by +a in the frame need the frame turned by +a; columns tilted by +a (x
    # growing with y) by -a
    turn = tilts[0] if len(tilts) == 1 else (tilts[0] - tilts[1]) / 2
    return turn if abs(turn) <= math.radians(3.0) else 0.0


def _fit(y: F64, x: F64, n: int) -> _Fit | None:
    """The lattice whose axes lie on this frame's, best (by ``_Fit.rank``) over the
    strongest pairs of candidate periods of each axis."""
    ys, xs = _axis_candidates(y), _axis_candidates(x)
    if not ys or not xs:
        return None
    dys = [np.abs((y - oy + sy / 2) % sy - sy / 2) for sy, oy, _ in ys]
    dxs = [np.abs((x - ox + sx / 2) % sx - sx / 2) for sx, ox, _ in xs]
    sy_ = np.array([c[0] for c in ys])
    sx_ = np.array([c[0] for c in xs])
    starts: dict[tuple[int, int], float] = {}
    for tol in _TOLERANCES_KM:
        near_y = np.array([d <= tol for d in dys], dtype=np.float64)
        near_x = np.array([d <= tol for d in dxs], dtype=np.float64)
        hits_all = near_y @ near_x.T  # searches near a node, per pair of axis periods
        p = np.outer(np.minimum(1.0, 2 * tol / sy_), np.minimum(1.0, 2 * tol / sx_))
        z_all = (hits_all - n * p) / np.sqrt(np.maximum(n * p * (1 - p), 1.0))
        z_all = np.where(hits_all >= _MIN_GRID, z_all, -np.inf)
        i0, k0 = np.unravel_index(int(np.argmax(z_all)), z_all.shape)
        if not math.isfinite(float(z_all[i0, k0])):
            continue
        # a lattice's divisors hold its nodes too: among pairs that explain (nearly) as
        # many searches as well, the coarsest is the lattice
        close = (hits_all >= 0.95 * hits_all[i0, k0]) & (z_all >= 0.9 * z_all[i0, k0])
        area = np.where(close, np.outer(sy_, sx_), -1.0)
        ci, ck = (int(v) for v in np.unravel_index(int(np.argmax(area)), area.shape))
        picks = [(ci, ck)]
        # and the next strongest pairs: the strongest may be one row of the lattice alone
        for flat in np.argsort(-z_all, axis=None, kind="stable")[: _STARTS - 1]:
            i, k = (int(v) for v in np.unravel_index(int(flat), z_all.shape))
            if math.isfinite(float(z_all[i, k])):
                picks.append((i, k))
        for pick in picks:
            starts.setdefault(pick, tol)
    fits = [_refined(y, x, n, ys[i], xs[k], tol) for (i, k), tol in starts.items()]
    return max(fits, key=lambda f: f.rank, default=None)


def _refined(
    y: F64,
    x: F64,
    n: int,
    ycand: tuple[float, float, float],
    xcand: tuple[float, float, float],
    tol: float,
) -> _Fit:
    """The lattice of one pair of axis periods, fitted to the searches on it."""
    sy, oy, _ = ycand
    sx, ox, _ = xcand
    dy = np.abs((y - oy + sy / 2) % sy - sy / 2)
    dx = np.abs((x - ox + sx / 2) % sx - sx / 2)
    on = (dy <= tol) & (dx <= tol)
    chance = min(1.0, 2 * tol / sy) * min(1.0, 2 * tol / sx)
    z = (int(np.count_nonzero(on)) - n * chance) / math.sqrt(max(n * chance * (1 - chance), 1.0))
    # fit the lattice to the searches on it (the spectrum's period and phase are pulled a
    # little by everything else the unit searches), then count again at each tolerance
    for _ in range(4):
        sy, oy = _refit(y[on], sy, oy)
        sx, ox = _refit(x[on], sx, ox)
        dy = np.abs((y - oy + sy / 2) % sy - sy / 2)
        dx = np.abs((x - ox + sx / 2) % sx - sx / 2)
        found: tuple[float, float, B] | None = None
        for t in _TOLERANCES_KM:
            near = (dy <= t) & (dx <= t)
            hits = int(np.count_nonzero(near))
            chance_t = min(1.0, 2 * t / sy) * min(1.0, 2 * t / sx)
            score = (hits - n * chance_t) / math.sqrt(max(n * chance_t * (1 - chance_t), 1.0))
            if hits >= _MIN_GRID and (found is None or score > found[0]):
                found = (score, t, near)
        if found is None:
            break
        same = bool(np.array_equal(found[2], on))
        z, tol, on = found
        if same:
            break
    # a divisor of the lattice holds its nodes too (every m-th of it): the coarsest that does
    sy, oy = _coarsest(y[on], sy, oy)
    sx, ox = _coarsest(x[on], sx, ox)
    rows = np.round((y[on] - oy) / sy).astype(np.int64)
    cols = np.round((x[on] - ox) / sx).astype(np.int64)
    return _Fit(z, tol, on, sy, oy, sx, ox, y, x, _aligned(rows, cols))


def subpopulations(lat: F64, lon: F64, at: F64, radius: F64, conv: Conversion) -> dict[str, float]:
    """Every name in SUBPOP_FEATURES -> a finite float, for one unit's searches (sanitised
    coordinates, their times and radii, in one order; ``conv`` in the same order)."""
    out = dict.fromkeys(SUBPOP_FEATURES, 0.0)
    n = lat.size
    if n == 0:
        return out
    # a canonical order, so that no float sum depends on the order the events came in
    order = np.lexsort((radius, at, lon, lat))
    lat, lon, at, radius = lat[order], lon[order], at[order], radius[order]
    conv = conv.take(order)
    # repeated spots (to about 10 m)
    keys = (np.round(lat / _SPOT_DEG).astype(np.int64) * 4_000_000) + np.round(
        lon / _SPOT_DEG
    ).astype(np.int64)
    # a visit is a run of searches at the key with no gap over _VISIT_GAP_S (a person widening
    # the radius three times in a minute is one visit, not a poll)
    by_key = np.lexsort((at, keys))
    k_sorted, t_sorted = keys[by_key], at[by_key]
    new_visit = np.ones(n, dtype=bool)
    new_visit[1:] = (k_sorted[1:] != k_sorted[:-1]) | (np.diff(t_sorted) > _VISIT_GAP_S)
    _, first = np.unique(k_sorted, return_index=True)
    visits = np.add.reduceat(new_visit.astype(np.int64), first)
    spot_keys, first_of, key_of, counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    repeated = (visits >= SPOT_REPEATS) | (counts >= _SPOT_SEARCHES)
    spot = repeated[key_of]
    spots = int(np.count_nonzero(repeated))
    if spots:
        share = float(np.count_nonzero(spot)) / n
        out["spot_searches"] = float(np.count_nonzero(spot))
        out["spot_share"] = share
        out["spot_sites"] = float(spots)
        out["spot_period_s"] = _revisit_period(keys[spot], at[spot])
        starts = new_visit & repeated[np.searchsorted(spot_keys, k_sorted)]
        # how the spots convert, measured where the poll is: at the spots visited on a period
        # when those hold most of the visits (people also search at a polled charger's exact
        # point, and at other favourite points, and they book)
        polled_keys = polled_spots(k_sorted[starts], t_sorted[starts])
        polled_visits = int(np.count_nonzero(new_visit & np.isin(k_sorted, polled_keys)))
        measured = spot
        if 2 * polled_visits >= int(np.count_nonzero(starts)):
            measured = np.isin(keys, polled_keys)  # polled spots are repeated spots
        out["spot_select_share"], out["spot_known"] = _conversion(
            measured, conv, float(np.count_nonzero(measured)) / n
        )
        out["spot_visits"] = float(np.count_nonzero(starts))
        out["spot_regularity"], out["spot_rounds"] = spot_rhythm(k_sorted[starts], t_sorted[starts])
    # evenly stepped fresh points
    yk = lat * _KM_LAT
    xk = lon * (_KM_LON * math.cos(math.radians(float(np.median(lat)))))
    chain = evenly_stepped(yk, xk, at, radius, counts[key_of] <= _CHAIN_FRESH)
    if chain is not None:
        found = int(np.count_nonzero(chain.on))
        out["chain_z"] = float(min(max(chain.z, 0.0), 1e6))
        out["chain_searches"] = float(found)
        out["chain_pairs"] = float(chain.pairs)
        out["chain_step_km"] = chain.step_km
        out["chain_radius_share"] = _modal_share(radius[chain.on])
        out["chain_select_share"], out["chain_known"] = _conversion(
            chain.on, conv, float(found) / n
        )
    # a lattice
    if n < _MIN_GRID:
        return out
    # fitted on distinct centres (to about 10 m): people come back to the same few places
    # (a charger's own coordinates) again and again, and those spikes would drown a lattice
    # that visits each of its nodes once or twice in the spectrum
    if first_of.size < _MIN_GRID:
        return out
    y0 = lat[first_of] * _KM_LAT
    x0 = lon[first_of] * (_KM_LON * math.cos(math.radians(float(np.median(lat)))))
    best_fit: _Fit | None = None
    for frame in _orientations(y0, x0):
        inside = np.ones(y0.size, dtype=bool)
        if frame.box is not None:
            ylo, yhi, xlo, xhi = frame.box
            inside = (y0 >= ylo) & (y0 <= yhi) & (x0 >= xlo) & (x0 <= xhi)
            if np.count_nonzero(inside) < _MIN_GRID or np.all(inside):
                continue
        theta = frame.theta
        for _ in range(_TURNS):
            c, s_ = math.cos(theta), math.sin(theta)
            y, x = y0 * c - x0 * s_, y0 * s_ + x0 * c
            fit = _fit(y[inside], x[inside], int(np.count_nonzero(inside)))
            if fit is None:
                break
            if frame.box is not None:
                # the box finds the lattice; it is counted over every centre
                fit = _refined(y, x, y0.size, (fit.sy, fit.oy, 0.0), (fit.sx, fit.ox, 0.0), fit.tol)
            if best_fit is None or fit.rank > best_fit.rank:
                best_fit = fit
            turn = _residual_turn(fit)
            if abs(turn) < _TURN_DONE:
                break
            theta += turn
    if best_fit is None:
        return out
    # every search at a centre on the lattice is on it
    z, tol, on = best_fit.z, best_fit.tol, best_fit.on[key_of]
    sy, oy, sx, ox, y, x = (
        best_fit.sy,
        best_fit.oy,
        best_fit.sx,
        best_fit.ox,
        best_fit.y[key_of],
        best_fit.x[key_of],
    )
    chance = min(1.0, 2 * tol / sy) * min(1.0, 2 * tol / sx)
    hits = int(np.count_nonzero(on))
    if hits < _MIN_GRID:
        return out
    rows = np.round((y[on] - oy) / sy).astype(np.int64)
    cols = np.round((x[on] - ox) / sx).astype(np.int64)
    nodes = rows * 1_000_003 + cols
    share = float(hits) / n
    out["grid_z"] = float(min(max(z, 0.0), 1e6))
    out["grid_share"] = float(min(1.0, max(0.0, share - chance)))
    out["grid_searches"] = float(hits)
    out["grid_rows"] = float(np.unique(rows).size)
    out["grid_cols"] = float(np.unique(cols).size)
    distinct = int(np.unique(nodes).size)
    out["grid_nodes"] = float(distinct)
    out["grid_aligned"] = _aligned(rows, cols)
    out["grid_fill"] = min(1.0, distinct / (out["grid_rows"] * out["grid_cols"]))
    out["grid_step_km"] = (sy + sx) / 2
    out["grid_period_s"] = _revisit_period(nodes, at[on])
    out["grid_radius_share"] = _modal_share(radius[on])
    out["grid_select_share"], out["grid_known"] = _conversion(on, conv, share, chance)
    return out


ROUND_FEATURES: tuple[str, ...] = (
    # rounds: one transaction's searches at several places far apart within minutes
    # (``rounds``); those whose places come back in other rounds, again and again
    "round_searches",  # searches of recurring rounds
    "rounds",  # how many recurring rounds
    "round_places",  # median distinct places of a recurring round
    "round_select_share",
    "round_known",
    # a lattice of the searches of every round, recurring or not (tiles of a sweep, a few
    # nodes at a time, each tile once)
    "round_grid_z",
    "round_grid_searches",
    "round_grid_share",  # share of the rounds' searches on that lattice
    "round_grid_nodes",
    "round_grid_step_km",
    "round_grid_select_share",
    "round_grid_known",
)

ROUND_SPAN_S = 180.0
"""A round's searches all fall within this many seconds..."""
ROUND_PLACES = 4
"""... at this many places or more, each ``_ROUND_APART_KM`` from the round's other places:
nobody is at four places kilometres apart in three minutes, and a vehicle refreshing as it
drives makes a place every few minutes; a script going down a list of sites makes them in
seconds."""
_ROUND_NEAR_KM = 1.0
"""A round's place comes back when another round has a place this near (a query made from
a few hundred metres off a site, in another direction each time, still falls this near)."""
_ROUND_APART_KM = 2 * _ROUND_NEAR_KM
"""A round's places are this far apart or more (searches nearer an earlier place of the
round are that place): so no place comes back as two of another round's, and a person
panning a map a few hundred metres at a time makes no round."""
_ROUND_MATCH = 0.75
"""A round comes back in another when this share of its places or more come back there..."""
_ROUND_AGAIN = 2
"""... and it recurs when it comes back in this many of the rounds next to it or more."""
_ROUND_NEIGHBOURS = 12
"""A round is compared with this many rounds before it and after it in time (a poll's come
one after another, with some of the app's people's rounds between them): the work grows with
the rounds, never with their square, however many rounds a unit sends to the same places."""
_ROUND_MAX_SEARCHES = 64
"""A round's places are read from its first searches, at most this many."""
_ROUND_MAX_PLACES = 20_000
"""The latest rounds' places, at most this many, are kept (a bound on the work)."""


def _rounds(
    txn: npt.NDArray[np.int64], x: F64, y: F64, at: F64, led: B
) -> tuple[list[tuple[npt.NDArray[np.int64], F64]], npt.NDArray[np.bool_]]:
    """Each round's searches (positions in the input) and places (km), in time order, and
    whether each recurs. ``led``: per search, whether it led on (rounds alike in time, places
    and size are ordered by how many of theirs did, so that no order is the input's)."""
    order = np.lexsort((y, x, at, txn))  # a canonical order: by transaction, then time
    t_txn, t_at = txn[order], at[order]
    n = at.size
    starts = np.flatnonzero(np.concatenate(([True], t_txn[1:] != t_txn[:-1])))
    ends = np.concatenate((starts[1:], [n]))
    big = (t_txn[starts] >= 0) & (ends - starts >= ROUND_PLACES)
    big &= t_at[ends - 1] - t_at[starts] <= ROUND_SPAN_S
    found: list[tuple[npt.NDArray[np.int64], F64]] = []
    for a, b in zip(starts[big].tolist(), ends[big].tolist(), strict=True):
        rows = order[a:b]
        px, py = x[rows[:_ROUND_MAX_SEARCHES]], y[rows[:_ROUND_MAX_SEARCHES]]
        keep: list[int] = []
        for i in range(px.size):
            if all(math.hypot(px[i] - px[j], py[i] - py[j]) >= _ROUND_APART_KM for j in keep):
                keep.append(i)
        if len(keep) >= ROUND_PLACES:
            found.append((rows, np.column_stack((px[keep], py[keep]))))
    found.sort(
        key=lambda r: (
            float(at[r[0]].min()),
            tuple(r[1].ravel().tolist()),
            r[0].size,
            int(np.count_nonzero(led[r[0]])),
        )
    )
    total = 0
    for cut in range(len(found) - 1, -1, -1):  # the latest rounds, when there are many
        total += len(found[cut][1])
        if total > _ROUND_MAX_PLACES:
            found = found[cut + 1 :]
            break
    recurs = np.zeros(len(found), dtype=np.bool_)
    for i, (_, mine) in enumerate(found):
        need, back = math.ceil(_ROUND_MATCH * len(mine)), 0
        for j in range(max(0, i - _ROUND_NEIGHBOURS), min(len(found), i + _ROUND_NEIGHBOURS + 1)):
            other = found[j][1]
            if j == i:
                continue
            apart = np.hypot(
                mine[:, None, 0] - other[None, :, 0], mine[:, None, 1] - other[None, :, 1]
            )
            back += int(np.count_nonzero((apart <= _ROUND_NEAR_KM).any(axis=1))) >= need
            if back >= _ROUND_AGAIN:
                recurs[i] = True
                break
    return found, recurs


def rounds(
    txn: npt.NDArray[np.int64], lat: F64, lon: F64, at: F64, radius: F64, conv: Conversion
) -> dict[str, float]:
    """Every name in ROUND_FEATURES -> a finite float, for one unit's searches: each one's
    transaction (an integer code, negative for none), centre (sanitised), time and radius, and
    how they convert (``conv``), in one order.

    A round is a transaction whose searches fall within ``ROUND_SPAN_S`` at ``ROUND_PLACES``
    places or more, ``_ROUND_APART_KM`` apart; it recurs when most of its places
    (``_ROUND_MATCH``) come back within ``_ROUND_NEAR_KM`` in ``_ROUND_AGAIN`` of the rounds
    next to it in time or more (``_ROUND_NEIGHBOURS``). A person jumping the map from town to
    town, or planning a trip, makes a round now and then, somewhere new and off any lattice; a
    script polling its list of sites makes the same round again and again (and so does a depot
    console checking its own sites, which books); a sweep cut into tiles makes rounds on one
    lattice."""
    out = dict.fromkeys(ROUND_FEATURES, 0.0)
    n = at.size
    if n < ROUND_PLACES:
        return out
    y = lat * _KM_LAT
    x = lon * (_KM_LON * math.cos(math.radians(float(np.median(lat)))))
    led = conv.converted if conv.converted is not None else np.zeros(n, dtype=np.bool_)
    found, recurs = _rounds(txn, x, y, at, led)
    if not found:
        return out
    if recurs.any():
        mask = np.zeros(n, dtype=np.bool_)
        for (rows, _), on in zip(found, recurs.tolist(), strict=True):
            mask[rows] = on
        count = int(np.count_nonzero(mask))
        out["round_searches"] = float(count)
        out["rounds"] = float(np.count_nonzero(recurs))
        sizes = np.array([len(places) for _, places in found])
        out["round_places"] = float(np.median(sizes[recurs]))
        out["round_select_share"], out["round_known"] = _conversion(mask, conv, count / n)
    every = np.sort(np.concatenate([rows for rows, _ in found]))
    if every.size >= _MIN_GRID:
        grid = subpopulations(lat[every], lon[every], at[every], radius[every], conv.take(every))
        out["round_grid_z"] = grid["grid_z"]
        out["round_grid_searches"] = grid["grid_searches"]
        out["round_grid_share"] = grid["grid_searches"] / every.size
        out["round_grid_nodes"] = grid["grid_nodes"]
        out["round_grid_step_km"] = grid["grid_step_km"]
        out["round_grid_select_share"] = grid["grid_select_share"]
        out["round_grid_known"] = grid["grid_known"]
    return out
