"""The anti-abuse pages' plotly figures: built from the pure views, JSON all the way, and
embedded so that no value can break out of the page's data island."""

from __future__ import annotations

import json

import msgspec

from uei.antiabuse.defaulters.ledger import AuditEntry, CaseStatus
from uei.antiabuse.defaulters.overview import verdict_mix
from uei.antiabuse.quotas.rules import QuotaRule, SearchCost
from uei.antiabuse.scraping.events import Search
from uei.antiabuse.scraping.policy import Actions
from uei.antiabuse.scraping.timeline import activity, bins, centres, quota_use
from uei.antiabuse.scraping.verdicts import BapVerdict
from uei.app.dashboard.abuse_plots import (
    case_status_figure,
    centres_figure,
    data_island,
    funnel_figure,
    quota_figure,
    score_figure,
    searches_figure,
    verdict_mix_figure,
)

T0 = 1_790_000_000.0


def test_scraping_figures_carry_the_series_of_the_views() -> None:
    over = bins(T0, T0 + 600, 60)
    searches = [
        Search(at=T0 + i / 100, lat=12.9 + i / 1e4, lon=77.6, radius_km=5.0) for i in range(90)
    ]
    seen = activity(searches, over)
    figures = {
        "searches": searches_figure(seen),
        "quota": quota_figure(quota_use(searches, over, QuotaRule(limit=30), SearchCost())),
        "funnel": funnel_figure(seen),
        "centres": centres_figure(centres(searches, 50)),
        "score": score_figure(
            [BapVerdict(bap_id="b", scored_at=T0, window_start=T0, window_end=T0, score=0.7)],
            Actions(),
        ),
    }
    decoded = json.loads(msgspec.json.encode(figures))
    assert decoded["searches"]["data"][0]["y"] == seen.searches
    assert decoded["searches"]["data"][0]["x"][0] == "2026-09-21T14:13:20Z"
    quota = {t["name"].split(" ")[0]: t for t in decoded["quota"]["data"]}
    # the burst of 90 searches in one second: 30 units admitted, 60 refused, as shares of
    # the 30 units a minute the rule admits at its sustained rate
    assert (quota["admitted"]["customdata"][0], quota["admitted"]["y"][0]) == (30, 100.0)
    assert (quota["refused"]["customdata"][0], quota["refused"]["y"][0]) == (60, 200.0)
    assert set(quota["rule"]["y"]) == {100.0}
    assert len(decoded["centres"]["data"][0]["x"]) == 50
    assert [t["name"] for t in decoded["funnel"]["data"]] == ["search", "select", "init", "confirm"]
    assert decoded["score"]["data"][0]["y"] == [0.7]
    assert len(decoded["score"]["layout"]["shapes"]) == 4  # one band per action


def test_non_payer_figures() -> None:
    entries = [AuditEntry(at=T0, actor="c", action="status", verdict="block", note="shadow")]
    mix = verdict_mix(entries, T0 - 86_400, T0 + 1, complete=True)
    names = [t["name"] for t in verdict_mix_figure(mix)["data"]]
    assert names == ["allow", "prepaid_only", "block", "block (shadow)"]
    counts = dict.fromkeys(CaseStatus, 0) | {CaseStatus.DISPUTED: 3}
    bars = case_status_figure(counts)["data"][0]
    assert dict(zip(bars["x"], bars["y"], strict=True))["disputed"] == 3


def test_the_data_island_cannot_be_closed_by_a_value() -> None:
    hostile = "</script><script>alert(1)</script><!-- & \u2028"
    island = data_island({"f": {"data": [{"name": hostile}], "layout": {}}})
    assert not {"<", ">", "&"} & set(island)
    assert "\u2028" not in island
    assert json.loads(island)["f"]["data"][0]["name"] == hostile  # JSON.parse gives it back
