"""Scoring: the pure scorer's properties, units, verdicts and actions, and whole passes over
real stores with synthetic traffic (ground truth from uei_testing.traffic)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from uei.antiabuse.scraping.anomaly import SIGNALS, score_windows
from uei.antiabuse.scraping.events import Funnel, FunnelKind, Search
from uei.antiabuse.scraping.features import FEATURES
from uei.antiabuse.scraping.policy import (
    ActionBand,
    Actions,
    ScrapingAction,
    ScrapingPolicy,
    ThrottleBand,
)
from uei.antiabuse.scraping.scorer import Scorer, units_of, verdict_for
from uei.antiabuse.stores import AbuseStores, open_abuse_stores
from uei.app.cli import cli
from uei_testing.traffic import Traffic, events_by_bap, generate

NOW = 1_790_000_000.0
POLICY = ScrapingPolicy(window_seconds=3 * 3600.0, score_every_seconds=3600.0)

rows = st.lists(
    st.lists(st.floats(0, 10, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=12, deadline=None)
@given(rows, rows)
def test_scores_are_in_unit_range_and_repeatable(
    now: list[list[float]], past: list[list[float]]
) -> None:
    first = score_windows(now, past + now, window_hours=1.0, seed=3)
    again = score_windows(now, past + now, window_hours=1.0, seed=3)
    assert first == again
    for one in first:
        assert 0.0 <= one.forest <= 1.0
        assert 0.0 <= one.score <= 1.0
        assert one.score == max(one.forest, *one.signals.values())
        assert set(one.signals) == {s.name for s in SIGNALS}
        assert all(note.name in FEATURES for note in one.top)


def row(**values: float) -> list[float]:
    base = dict.fromkeys(FEATURES, 0.0)
    base.update(values)
    return [base[n] for n in FEATURES]


def test_booking_silences_the_never_books_signal() -> None:
    busy = {"log_searches_per_hour": 6.0}
    idle, booking = score_windows(
        [row(**busy), row(**busy, select_per_search=0.2)], [], window_hours=1.0
    )
    assert idle.signals["searches at volume, never books"] == 1.0
    assert booking.signals["searches at volume, never books"] == 0.0


def test_a_sweep_is_explained_by_the_features_of_its_signal() -> None:
    typical = [row(cells_per_search=0.2, nn_regularity=0.3, select_per_search=0.2)] * 40
    sweep = row(
        nn_step_share=1.0, nn_regularity=1.0, cells_per_search=1.0, log_searches_per_hour=5.0
    )
    (scored,) = score_windows([sweep], [*typical, sweep], window_hours=1.0)
    assert scored.signals["grid sweep"] == 1.0
    named = [n for n in scored.top if n.signal == "grid sweep"]
    assert {n.name for n in named} == {"nn_step_share", "nn_regularity", "cells_per_search"}
    lattice = next(n for n in scored.top if n.name == "nn_regularity")
    assert lattice.value == 1.0
    assert lattice.typical_high == pytest.approx(0.3)


def search(at: float, user: str = "") -> Search:
    return Search(at=at, lat=12.97, lon=77.59, radius_km=5.0, via="bg", user=user)


def test_units_are_the_bap_and_its_busier_users() -> None:
    events: list[Search | Funnel] = [search(NOW + i, "u1") for i in range(12)]
    events += [search(NOW + i, "u2") for i in range(3)]
    events.append(Funnel(NOW, FunnelKind.SELECT, "cpo", "L1", "u2"))
    units = units_of("app", events, 10)
    assert [(u.key, len(u.searches), len(u.funnel)) for u in units] == [
        ("app", 15, 1),
        ("app#u1", 12, 0),
    ]
    assert units_of("app", events[:9], 10) == []
    # one user making every search is the BAP itself, not a second unit
    assert [u.key for u in units_of("app", events[:12], 10)] == ["app"]


def test_a_verdict_applies_due_actions_and_records_shadow_ones() -> None:
    policy = ScrapingPolicy(
        actions=Actions(
            flag=ActionBand(at=0.5),
            coarsen=ActionBand(at=0.6, shadow=True),
            throttle=ThrottleBand(at=0.85, shadow=True),
            block=ActionBand(at=0.99),
        )
    )
    # 100 searches and no select: shown to convert below the honest rate, so nothing withheld
    units = units_of("app", [search(NOW + i) for i in range(100)], 10)
    (scored,) = score_windows([row(log_searches_per_hour=6.0)], [], window_hours=1.0)
    values = {"app": dict.fromkeys(FEATURES, 0.0)}
    v = verdict_for(
        "app", [(units[0], scored)], values, policy, start=NOW, end=NOW + 1, scored_at=NOW
    )
    assert v.score == 1.0
    assert v.actions == [ScrapingAction.FLAG, ScrapingAction.BLOCK]
    # coarsen and throttle are shadowed here: recorded, not applied
    assert v.shadow_actions == [ScrapingAction.COARSEN, ScrapingAction.THROTTLE]
    assert v.throttle_scale == 1.0
    assert v.searches == 100


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return generate(seed=5, hours=4, scale=0.15, sweepers=2, pollers=2, low_and_slow=0, hidden=1)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[AbuseStores]:
    opened = await open_abuse_stores(store_url)
    yield opened
    await opened.close()


async def load(store: AbuseStores, traffic: Traffic) -> None:
    for bap, events in events_by_bap(traffic.events).items():
        await store.events.record(bap, [(f"m{i}", e) for i, e in enumerate(events)], 86_400.0 * 30)


@pytest.mark.anyio
async def test_a_pass_scores_scrapers_above_every_honest_app(
    store: AbuseStores, traffic: Traffic
) -> None:
    await load(store, traffic)
    scorer = Scorer(store.events, store.verdicts, lambda: POLICY, lambda: traffic.end)
    first = await scorer.run(traffic.end - 3600)
    verdicts = {v.bap_id: v for v in await scorer.run()}
    assert first
    assert verdicts
    honest = [v.score for b, v in verdicts.items() if traffic.baps[b].label == "honest"]
    scrapers = {b: v for b, v in verdicts.items() if traffic.baps[b].label in ("sweeper", "poller")}
    assert len(scrapers) == 4
    assert min(v.score for v in scrapers.values()) > max(honest)
    for v in scrapers.values():
        # due (flag ships in shadow: the families evaluation flagged honest BAPs)
        assert ScrapingAction.FLAG in (*v.actions, *v.shadow_actions)
        assert ScrapingAction.BLOCK in v.shadow_actions  # shipped in shadow
        assert v.top
        assert v.window_end == traffic.end
    # the scraper hidden in an app is found: from the app's own queries (a sub-population of
    # its searches, which needs no user reference) or through its own user
    (hidden,) = [v for b, v in verdicts.items() if traffic.baps[b].label == "hidden"]
    assert hidden.score > max(honest)
    found_by = {n.signal for n in hidden.top} | {n.name for n in hidden.top}
    assert found_by & {"user", "lattice inside the traffic", "repeated spots, no bookings"}, (
        hidden.top
    )
    # what the check path reads, and what the next fit learns from
    some = next(iter(scrapers))
    assert await store.verdicts.verdict(some) == verdicts[some]
    assert len(await store.verdicts.verdict_history(some, 10)) == 2
    assert len(await store.verdicts.training_rows(0.0, 10_000)) >= 2 * len(verdicts)


def test_uei_abuse_score_runs_a_pass_on_the_configured_store(
    tmp_path: Path, traffic: Traffic
) -> None:
    import asyncio

    url = f"sqlite:///{tmp_path / 'uei.db'}"

    async def prepare() -> None:
        store = await open_abuse_stores(url)
        await load(store, traffic)
        await store.close()

    asyncio.run(prepare())
    policies = tmp_path / "policies.yaml"
    policies.write_text("scraping:\n  window_seconds: 10800\n")
    env = {**os.environ, "UEI_STORE": url, "UEI_POLICIES": str(policies)}
    result = CliRunner().invoke(cli, ["abuse", "score", "--at", str(traffic.end)], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    table = lines[lines.index(next(x for x in lines if x.startswith("bap_id"))) + 1 :]
    sweeper = next(b for b, t in traffic.baps.items() if t.label == "sweeper")
    assert any(line.startswith(sweeper) for line in table)
    assert float(table[0].split()[1]) >= float(table[-1].split()[1])
