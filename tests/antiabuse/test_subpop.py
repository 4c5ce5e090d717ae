"""Scraping sub-populations found from the queries alone (no user references): a lattice
inside an app's traffic, spots searched again and again, and how each converts; the
transaction id's digest; and actions proportionate to that evidence."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uei.antiabuse.scraping.anomaly import score_windows
from uei.antiabuse.scraping.events import (
    Funnel,
    FunnelKind,
    Search,
    decode_event,
    encode_event,
    txn_digest,
)
from uei.antiabuse.scraping.features import FEATURES, features, network_context
from uei.antiabuse.scraping.policy import ScrapingAction, ScrapingPolicy
from uei.antiabuse.scraping.scorer import units_of, verdict_for
from uei.antiabuse.scraping.wire import WireEvent

T0 = 1_790_000_000.0
WINDOW = 6 * 3600.0
KM_LAT = 110.574


def crowd(n: int, seed: int = 1, *, txn: bool = False, book: float = 0.0) -> list[Search | Funnel]:
    """People around three hubs of a city, at random times; with ``book``, that share of
    them select (tied by transaction id when ``txn``)."""
    rng = np.random.default_rng(seed)
    hubs = np.array([[12.97, 77.59], [12.93, 77.62], [13.03, 77.60]])
    pick = hubs[rng.integers(0, 3, n)]
    lat = pick[:, 0] + rng.normal(0, 0.02, n)
    lon = pick[:, 1] + rng.normal(0, 0.02, n)
    at = rng.uniform(T0, T0 + WINDOW, n)
    out: list[Search | Funnel] = []
    for i in range(n):
        t = f"c{seed}-{i}" if txn else ""
        out.append(Search(float(at[i]), float(lat[i]), float(lon[i]), 5.0, "bg", "", t))
        if rng.random() < book:
            out.append(Funnel(float(at[i]) + 60, FunnelKind.SELECT, "cpo", f"L{i % 40}", "", t))
    return out


def sweep(
    n: int, step_km: float, jitter_m: float, seed: int = 2, *, txn: bool = False
) -> list[Search]:
    """``n`` searches over a 12x12 lattice in raster order, around the clock."""
    rng = np.random.default_rng(seed)
    dlat = step_km / KM_LAT
    dlon = step_km / (111.32 * math.cos(math.radians(12.97)))
    out = []
    for i in range(n):
        r, c = divmod(i % 144, 12)
        lat = 12.90 + r * dlat + rng.normal(0, jitter_m / 1000 / KM_LAT)
        lon = 77.50 + c * dlon + rng.normal(0, jitter_m / 1000 / 108)
        t = f"s{i}" if txn else ""
        out.append(Search(T0 + i * WINDOW / n, float(lat), float(lon), 3.0, "bg", "", t))
    return out


def of(events: Sequence[Search | Funnel]) -> dict[str, float]:
    searches = [e for e in events if isinstance(e, Search)]
    funnel = [e for e in events if isinstance(e, Funnel)]
    return features(searches, funnel, T0, T0 + WINDOW, network_context([]))


def signals(values: dict[str, float]) -> dict[str, float]:
    row = [values[name] for name in FEATURES]
    (scored,) = score_windows([row], [row] * 10, window_hours=6.0)
    return scored.signals


@pytest.mark.parametrize("jitter_m", [0.0, 40.0])
@pytest.mark.parametrize("share", [0.08, 0.2])
def test_a_lattice_inside_an_app_is_found_without_user_references(
    jitter_m: float, share: float
) -> None:
    honest = crowd(1500, book=0.15)
    n = round(1500 * share / (1 - share))
    found = of([*honest, *sweep(n, 1.5, jitter_m)])
    assert found["grid_z"] > 12
    assert found["grid_searches"] >= 0.8 * n
    assert found["grid_nodes"] >= 20
    assert found["grid_step_km"] == pytest.approx(1.5, rel=0.05) or found["grid_step_km"] < 1.5
    # without transaction ids nobody can say whether the lattice's searches convert
    assert found["grid_known"] == 0.0
    strength = signals(found)["lattice inside the traffic"]
    assert 0.5 <= strength <= 0.65
    # the crowd alone holds no lattice
    alone = of(honest)
    assert signals(alone)["lattice inside the traffic"] < 0.05


def test_transaction_ids_say_the_lattice_never_converts_while_the_app_does() -> None:
    found = of([*crowd(1500, txn=True, book=0.2), *sweep(300, 2.0, 40.0, txn=True)])
    assert found["select_per_search"] > 0.1
    assert found["grid_known"] == 1.0
    assert found["grid_select_share"] < 0.01
    assert signals(found)["lattice inside the traffic"] == 1.0


def test_a_fleet_checking_its_depots_on_the_clock_and_booking_is_not_a_poller() -> None:
    depots = [(12.9 + 0.013 * i, 77.55 + 0.021 * (i % 3)) for i in range(10)]
    events: list[Search | Funnel] = []
    for k in range(24):  # every 15 minutes for six hours
        for d, (lat, lon) in enumerate(depots):
            t = T0 + k * 900 + d
            events.append(Search(t, lat, lon, 1.0, "bg"))
            if (k + d) % 3 == 0:
                events.append(Funnel(t + 60, FunnelKind.SELECT, "cpo", f"D{d}"))
    found = of(events)
    assert found["spot_share"] == 1.0
    assert found["spot_known"] == 1.0  # the depots are the whole unit: its own rate
    assert found["spot_select_share"] > 0.3
    assert max(signals(found).values()) == 0.0


def test_polled_spots_without_bookings_are_repeats_that_never_convert() -> None:
    sites = [(12.95 + 0.01 * i, 77.6) for i in range(6)]
    polls = [Search(T0 + k * 120, *sites[k % 6], 2.0, "bg") for k in range(180)]
    found = of(polls)
    assert found["spot_sites"] == 6
    assert found["spot_period_s"] == pytest.approx(720)
    assert signals(found)["repeated spots, no bookings"] == 1.0


POLICY = ScrapingPolicy()


def verdict_of(events: list[Search | Funnel]) -> tuple[list[ScrapingAction], list[str]]:
    units = units_of("app.example", events, 10)
    values = {u.key: of([*u.searches, *u.funnel]) for u in units}
    rows = [[values[u.key][n] for n in FEATURES] for u in units]
    scored = score_windows(rows, rows * 5, window_hours=6.0)
    v = verdict_for(
        "app.example",
        list(zip(units, scored, strict=True)),
        values,
        POLICY,
        start=T0,
        end=T0 + WINDOW,
        scored_at=T0 + WINDOW,
    )
    return [*v.actions, *v.shadow_actions], v.reasons


def test_a_bap_that_converts_is_at_most_flagged_however_regular() -> None:
    # clockwork that books: 10 points every 15 minutes, a third of them selected
    events: list[Search | Funnel] = []
    for k in range(24):
        for d in range(10):
            t = T0 + k * 900 + d
            events.append(Search(t, 12.9 + 0.013 * d, 77.55, 1.0, "bg"))
            if (k + d) % 3 == 0:
                events.append(Funnel(t + 60, FunnelKind.SELECT, "cpo", f"D{d}"))
    due, _ = verdict_of(events)
    assert not set(due) & {ScrapingAction.COARSEN, ScrapingAction.THROTTLE, ScrapingAction.BLOCK}


def test_a_lattice_known_not_to_convert_can_be_coarsened_and_says_why() -> None:
    events = [*crowd(1500, txn=True, book=0.2), *sweep(300, 2.0, 0.0, txn=True)]
    due, reasons = verdict_of(events)
    assert ScrapingAction.COARSEN in due
    (lattice,) = [r for r in reasons if "lattice" in r]
    # the sweep's 300, and the few of the crowd's that fall within the tolerance by chance
    assert 300 <= int(lattice.split()[0]) <= 330
    assert "12x12 lattice of 2.0 km" in lattice
    assert "0 of them led to a select" in lattice


def test_without_transaction_ids_a_hidden_lattice_is_flagged_and_no_more() -> None:
    events = [*crowd(1500, book=0.2), *sweep(300, 2.0, 0.0)]
    due, reasons = verdict_of(events)
    assert due == [ScrapingAction.FLAG]
    assert any("bookings unknown" in r for r in reasons)


# -- the transaction id: parsed, digested, stored ---------------------------------------------

ids = st.text(min_size=1, max_size=128)


@given(ids, ids, st.text(min_size=1, max_size=40))
def test_a_transaction_digest_ties_one_transaction_and_hides_the_id(
    a: str, b: str, bap: str
) -> None:
    d = txn_digest(bap, a)
    assert d == txn_digest(bap, a)
    assert len(d) == 12
    assert all(c in "0123456789abcdef" for c in d)
    if a != b:
        assert d != txn_digest(bap, b) or len({a, b}) == 1
    assert txn_digest(bap, None) == txn_digest(bap, "") == ""


@settings(max_examples=60)
@given(st.one_of(st.none(), st.text(max_size=140)))
def test_the_wire_event_takes_an_optional_transaction_id(value: str | None) -> None:
    body = {"type": "search", "bap_id": "app.example", "message_id": "m1"}
    raw = msgspec.json.encode(body if value is None else body | {"transaction_id": value})
    if value is None or 1 <= len(value) <= 128:
        assert msgspec.json.decode(raw, type=WireEvent).transaction_id == value
    else:
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(raw, type=WireEvent)


@given(st.text(max_size=20), st.floats(allow_nan=False, allow_infinity=False))
def test_events_stored_before_the_transaction_id_decode_unchanged(txn: str, at: float) -> None:
    new = Search(at, 12.9, 77.6, 5.0, "bg", "u", txn)
    assert decode_event(encode_event(new)) == new
    # an event stored by the previous release: the same array without its last field
    old = msgspec.msgpack.encode(["s", at, 12.9, 77.6, 5.0, "bg", "u"])
    assert decode_event(old) == Search(at, 12.9, 77.6, 5.0, "bg", "u", "")
    old_funnel = msgspec.msgpack.encode(["f", at, "select", "cpo", "L1", ""])
    assert decode_event(old_funnel) == Funnel(at, FunnelKind.SELECT, "cpo", "L1", "", "")
