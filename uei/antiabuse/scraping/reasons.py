"""A verdict's reasons in plain words, from the features of the unit that made the score: what
pattern was found in how many searches, and whether those searches led to bookings. And the
rule that keeps actions proportionate to that evidence: a BAP whose searches convert at an
honest rate is never coarsened, throttled or blocked, whatever its rhythm; a sub-population
known never to convert can be. "Converts below the honest rate" is a finding, not a point
estimate: a depot console booking one round in five converts at 2% of its searches in one
evening and 4% the next, so a unit is taken to convert below the rate only when so few selects
in so many searches would be unlikely (one chance in ten or less) at the honest rate.

Pure: features in, sentences and a yes/no out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from uei.antiabuse.scraping.features import by_trips, unit_selects
from uei.antiabuse.scraping.subpop import ROUND_SPAN_S

__all__ = [
    "converts_honestly",
    "credibly_below",
    "describe",
    "rests_on_unknown",
    "withheld",
    "withheld_for_one_user",
    "withheld_reviewed",
    "withheld_unknown",
]

_SUBPOPULATIONS = {
    "lattice inside the traffic": "grid_known",
    "evenly stepped sweep inside the traffic": "chain_known",
    "repeated spots, no bookings": "spot_known",
    "spots polled on a period": "spot_known",
    "the same rounds of far-apart places, no bookings": "round_known",
    "a lattice in rounds of far-apart places, no bookings": "round_grid_known",
}
"""The signals about a part of a unit's searches, and the feature saying whether that part's
conversion is known."""

_STRONG = 0.5
"""A signal this strong or more is described."""


def _minutes(seconds: float) -> str:
    if seconds <= 0:
        return ""
    if seconds < 120:
        return f"period {seconds:.0f} s"
    return f"period {seconds / 60:.0f} min"


def _selects(share: float, known: float, searches: float, what: str) -> str:
    if known < 0.5:
        return "bookings unknown (no transaction ids; part of the BAP's traffic)"
    led = round(share * searches)
    return f"{led} of them led to a select ({share:.1%}) {what}".rstrip()


def _part(f: Mapping[str, float], found: str, unit: str, what: str, extra: list[str]) -> str:
    """A sub-population's sentence: how many of the unit's searches (the ``{found}_*``
    features), what they do, ``extra`` details, and whether they led to selects."""
    n = f[f"{found}_searches"]
    head = f"{n:.0f} searches ({n / max(1.0, _searches(f)):.0%} of {unit}'s) {what}"
    selects = _selects(f[f"{found}_select_share"], f[f"{found}_known"], n, "")
    return ", ".join([head, *extra, selects])


def describe(f: Mapping[str, float], signals: Mapping[str, float], unit: str) -> list[str]:
    """Sentences for the signals that fired on a unit (``unit``: 'the BAP' or 'one user')."""
    out: list[str] = []
    period = _minutes(f.get("spot_period_s", 0.0))
    if signals.get("lattice inside the traffic", 0.0) >= _STRONG:
        what = (
            f"on a {f['grid_rows']:.0f}x{f['grid_cols']:.0f} lattice of "
            f"{f['grid_step_km']:.1f} km ({f['grid_nodes']:.0f} nodes)"
        )
        extra = [p for p in (_minutes(f["grid_period_s"]),) if p]
        if f["grid_radius_share"] >= 0.9:
            extra.append("one radius")
        out.append(_part(f, "grid", unit, what, extra))
    if signals.get("evenly stepped sweep inside the traffic", 0.0) >= _STRONG:
        what = (
            f"stepping {f['chain_step_km']:.2f} km from one fresh point to the next "
            f"({f['chain_pairs']:.0f} different pairs)"
        )
        extra = ["one radius"] if f["chain_radius_share"] >= 0.9 else []
        out.append(_part(f, "chain", unit, what, extra))
    if signals.get("repeated spots, no bookings", 0.0) >= _STRONG:
        what = f"at {f['spot_sites']:.0f} exact points searched again and again"
        out.append(_part(f, "spot", unit, what, [period] if period else []))
    if signals.get("spots polled on a period", 0.0) >= _STRONG:
        visits = f["spot_visits"] / max(1.0, f["spot_sites"])
        what = f"polling {f['spot_sites']:.0f} exact points, {visits:.0f} visits each on a period"
        extra = [period.replace("period", "about every", 1)] if period else []
        if f["spot_rounds"] >= 0.5:
            extra.append("the points polled together")
        out.append(_part(f, "spot", unit, what, extra))
    if signals.get("the same rounds of far-apart places, no bookings", 0.0) >= _STRONG:
        what = (
            f"in {f['rounds']:.0f} rounds of {f['round_places']:.0f} places or so, each round "
            f"one transaction within {ROUND_SPAN_S / 60:.0f} min, the same places round after "
            "round"
        )
        out.append(_part(f, "round", unit, what, []))
    if signals.get("a lattice in rounds of far-apart places, no bookings", 0.0) >= _STRONG:
        what = (
            f"in rounds of far-apart places, each round one transaction within "
            f"{ROUND_SPAN_S / 60:.0f} min, on a lattice of {f['round_grid_step_km']:.1f} km "
            f"({f['round_grid_nodes']:.0f} nodes)"
        )
        out.append(_part(f, "round_grid", unit, what, []))
    if signals.get("searches at volume, never books", 0.0) >= _STRONG:
        out.append(f"{_searches(f):.0f} searches in the window and {_led(f)}")
    if signals.get("grid sweep", 0.0) >= _STRONG:
        out.append(f"every search a new point of a regular sweep, {_led(f)}")
    if signals.get("clockwork polling", 0.0) >= _STRONG:
        out.append(f"the same places polled on a fixed period, {_led(f)}")
    return out


def _led(f: Mapping[str, float]) -> str:
    """How many of the unit's searches led to a select, when the rules that fired allow a few."""
    selects = round(unit_selects(f))
    return f"only {selects} led to a select" if selects else "no select"


def _searches(f: Mapping[str, float]) -> float:
    return f.get("searches", 0.0)


EVIDENCE = 0.1
"""A unit converts below the honest rate when its selects, or fewer, would come about with at
most this probability from searches converting at that rate (a one-sided binomial test)."""


def credibly_below(selects: float, searches: float, rate: float) -> bool:
    """``selects`` in ``searches`` is evidence of converting below ``rate``: P(X <= selects)
    for X ~ Binomial(searches, rate) is at most ``EVIDENCE``."""
    n, k = round(searches), round(selects)
    if n <= 0 or k >= rate * n:
        return False
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    log_p, log_q = math.log(rate), math.log1p(-rate)
    lg_n = math.lgamma(n + 1)
    tail = sum(
        math.exp(lg_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
        for i in range(k + 1)
    )
    return tail <= EVIDENCE


def _below_per_search(f: Mapping[str, float], rate: float) -> bool:
    return credibly_below(unit_selects(f), _searches(f), rate)


def _honest_by_trips(f: Mapping[str, float], rate: float) -> bool:
    """Most of the unit's searches are trips (``features.by_trips``), and its ended trips are
    not shown to book below ``rate``: a head unit's refreshes on one drive are one decision."""
    return by_trips(f) is not None and not credibly_below(f["trip_bookings"], f["trips"], rate)


def converts_honestly(f: Mapping[str, float], rate: float) -> bool:
    """Neither the unit's searches (per search, or per trip when most of them are trips) nor
    a sub-population of them that a signal found (whose conversion is known) are shown to
    convert below ``rate``."""
    if _below_per_search(f, rate) and not _honest_by_trips(f, rate):
        return False
    for known, share, found in (
        ("grid_known", "grid_select_share", "grid_searches"),
        ("spot_known", "spot_select_share", "spot_searches"),
        ("chain_known", "chain_select_share", "chain_searches"),
        ("round_known", "round_select_share", "round_searches"),
        ("round_grid_known", "round_grid_select_share", "round_grid_searches"),
    ):
        if f[known] >= 0.5 and credibly_below(f[share] * f[found], f[found], rate):
            return False
    return True


def withheld(f: Mapping[str, float], rate: float) -> str:
    selects, searches = unit_selects(f), _searches(f)
    if _below_per_search(f, rate):
        # honest by its trips (``converts_honestly``)
        return (
            f"{f['trip_share']:.0%} of its searches are trips (a transaction of a few "
            f"searches, one chance to book); {f['trip_bookings']:.0f} of {f['trips']:.0f} ended "
            f"trips and single searches booked (honest: {rate:.0%}), and no part of them is "
            "shown not to: coarsen, throttle and block withheld"
        )
    return (
        f"searches convert at an honest rate, or too near it to say otherwise "
        f"({selects:.0f} of {searches:.0f} led to a select, {f['select_per_search']:.1%}; "
        f"honest: {rate:.0%}), and no part of them is shown not to: coarsen, throttle and "
        "block withheld"
    )


def rests_on_unknown(f: Mapping[str, float], signals: Mapping[str, float], score: float) -> bool:
    """The score is a sub-population's pattern whose conversion nobody knows (no
    transaction ids, part of the unit): no other signal reaches it."""
    top = max(signals.values(), default=0.0)
    if top < score:
        return False  # the forest made the score
    deciding = [name for name, value in signals.items() if value >= score]
    return all(name in _SUBPOPULATIONS and f[_SUBPOPULATIONS[name]] < 0.5 for name in deciding)


def withheld_for_one_user(whole: Mapping[str, float], rate: float) -> str:
    selects, searches = unit_selects(whole), _searches(whole)
    return (
        f"the pattern is one user's, and the app's searches as a whole are not shown to convert "
        f"below the honest rate ({selects:.0f} of {searches:.0f} led to a select; honest: "
        f"{rate:.0%}): coarsen, throttle and block, which would fall on every user of the app, "
        "withheld"
    )


def withheld_reviewed(finding: str) -> str:
    return f"reviewed by the network operator ({finding}): coarsen, throttle and block withheld"


def withheld_unknown() -> str:
    return (
        "the pattern is in part of the traffic whose bookings are unknown (no transaction "
        "ids): coarsen, throttle and block withheld"
    )
