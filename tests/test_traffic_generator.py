"""The synthetic search traffic: deterministic, well-formed on the wire, and its ground truth
describes what the scrapers and the honest apps actually do."""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from uei.antiabuse.scraping.events import Funnel, FunnelKind, Search
from uei_testing.traffic import (
    DEFAULT_START,
    FUNNEL_TYPES,
    LABELS,
    Traffic,
    events_by_bap,
    generate,
    main,
    parse_at,
    to_events,
    truth_from_json,
)

HOUR = 3600.0
MORNING = DEFAULT_START + 8 * HOUR
SMALL: dict[str, Any] = {
    "seed": 11,
    "hours": 3.0,
    "start": MORNING,
    "scale": 0.1,
    "sweepers": 2,
    "pollers": 3,
    "low_and_slow": 2,
    "hidden": 2,
}

AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
GPS = re.compile(r"^-?\d{1,2}\.\d{6},-?\d{1,3}\.\d{6}$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SEARCH_KEYS = {"type", "bap_id", "message_id", "at", "search", "via"}
FUNNEL_KEYS = {"type", "bap_id", "message_id", "at", "bpp_id", "location_id"}


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return generate(**SMALL)


def by_label(traffic: Traffic) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for event in traffic.events:
        found[traffic.baps[event["bap_id"]].label][event["type"]] += 1
    return found


def test_same_seed_same_traffic(traffic: Traffic) -> None:
    again = generate(**SMALL)
    assert again.events == traffic.events
    assert again.baps == traffic.baps
    other = generate(**{**SMALL, "seed": 12})
    assert other.events != traffic.events


def test_honest_apps_do_not_depend_on_the_scrapers(traffic: Traffic) -> None:
    alone = generate(**{**SMALL, "sweepers": 0, "pollers": 0, "low_and_slow": 0, "hidden": 0})
    assert {b.label for b in alone.baps.values()} == {"honest"}
    honest = [e for e in traffic.events if traffic.baps[e["bap_id"]].label == "honest"]
    assert alone.events == honest


def test_every_bap_has_a_truth_and_every_label_is_there(traffic: Traffic) -> None:
    seen = {e["bap_id"] for e in traffic.events}
    assert seen <= set(traffic.baps)
    assert {b.label for b in traffic.baps.values()} == set(LABELS)
    for bap in traffic.baps.values():
        assert bap.label in LABELS
        assert bap.size in ("large", "medium", "small", "scraper")
        assert (bap.size == "scraper") == (bap.label in ("sweeper", "poller", "low_and_slow"))
        assert bool(bap.scraper_users) == (bap.label == "hidden")
    labels = Counter(b.label for b in traffic.baps.values())
    assert labels["sweeper"] == 2
    assert labels["poller"] == 3
    assert labels["low_and_slow"] == 2
    assert labels["hidden"] == 2
    # Scrapers, large and medium apps all search in three morning hours.
    for bap in traffic.baps.values():
        if bap.size in ("large", "medium", "scraper") and bap.label != "low_and_slow":
            assert bap.bap_id in seen, bap


def test_hidden_scrapers_search_inside_a_real_app(traffic: Traffic) -> None:
    for bap in traffic.baps.values():
        if bap.label != "hidden":
            continue
        mine = [e for e in traffic.events if e["bap_id"] == bap.bap_id]
        scraping = [e for e in mine if e.get("user_ref") in bap.scraper_users]
        honest = [e for e in mine if e.get("user_ref") not in bap.scraper_users]
        assert scraping, bap
        assert all(e["type"] == "search" for e in scraping)
        assert len({e["user_ref"] for e in honest}) > 5
        assert any(e["type"] == "confirm" for e in honest)
        assert all(traffic.is_scraping(e) for e in scraping)
        assert not any(traffic.is_scraping(e) for e in honest)


def test_scrapers_do_not_book_and_honest_apps_do(traffic: Traffic) -> None:
    counts = by_label(traffic)
    for label in ("sweeper", "poller", "low_and_slow"):
        assert counts[label]["confirm"] == 0
        assert counts[label]["select"] <= traffic_count(traffic, label)
    honest = counts["honest"]
    assert honest["search"] > 1000
    # ~20% of sessions (about 2 searches each) select, 60% of those init, 80% of those confirm.
    assert 0.05 < honest["select"] / honest["search"] < 0.2
    assert 0.4 < honest["init"] / honest["select"] < 0.8
    assert 0.65 < honest["confirm"] / honest["init"] < 0.95
    assert honest["cancel"] < 0.15 * honest["confirm"]
    for bap in traffic.baps.values():
        if bap.size == "large":
            kinds = Counter(e["type"] for e in traffic.events if e["bap_id"] == bap.bap_id)
            assert kinds["confirm"] > 5, bap


def traffic_count(traffic: Traffic, label: str) -> int:
    return sum(1 for b in traffic.baps.values() if b.label == label)


def test_pollers_poll_on_their_period(traffic: Traffic) -> None:
    pollers = [b for b in traffic.baps.values() if b.label == "poller"]
    assert pollers
    for bap in pollers:
        period = float(bap.style.removeprefix("poll/").removesuffix("s"))
        assert 30 <= period <= 300
        times: dict[str, list[float]] = defaultdict(list)
        for e in traffic.events:
            if e["bap_id"] == bap.bap_id and e["type"] == "search":
                times[e["search"]["gps"]].append(parse_at(e["at"]))
        assert 3 <= len(times) <= 15
        for spot in times.values():
            gaps = [b - a for a, b in itertools.pairwise(spot)]
            middle = statistics.median(gaps)
            assert abs(middle - period) < 0.05 * period, (bap, middle)
            spread = statistics.median(abs(g - middle) for g in gaps)
            assert spread < 0.05 * period, (bap, spread)


def test_sweepers_cover_a_lattice(traffic: Traffic) -> None:
    for bap in traffic.baps.values():
        if bap.label != "sweeper":
            continue
        searches = [e for e in traffic.events if e["bap_id"] == bap.bap_id]
        assert len({e["search"]["radius_km"] for e in searches}) == 1
        assert len({e["search"]["gps"] for e in searches}) > 30
        assert len(searches) > 3 * 300 * SMALL["scale"] * 0.5


def test_wire_events_are_well_formed(traffic: Traffic) -> None:
    assert traffic.end == MORNING + 3 * HOUR
    assert traffic.events
    last = traffic.start
    ids = set()
    for e in traffic.events:
        keys = set(e) - {"user_ref"}
        if e["type"] == "search":
            assert keys == SEARCH_KEYS
            assert set(e["search"]) == {"gps", "radius_km"}
            assert GPS.match(e["search"]["gps"]), e
            assert isinstance(e["search"]["radius_km"], float)
            assert 0 < e["search"]["radius_km"] <= 25
            assert e["via"]
        else:
            assert e["type"] in FUNNEL_TYPES
            assert keys == FUNNEL_KEYS
            assert e["bpp_id"].startswith("cpo-")
            assert e["location_id"]
        if "user_ref" in e:
            assert isinstance(e["user_ref"], str)
            assert e["user_ref"]
        assert isinstance(e["bap_id"], str)
        assert UUID4.match(e["message_id"]), e
        ids.add(e["message_id"])
        assert AT.match(e["at"]), e
        at = parse_at(e["at"])
        assert traffic.start <= at < traffic.end
        assert at >= last
        last = at
    assert len(ids) == len(traffic.events)


def test_to_events_round_trips(traffic: Traffic) -> None:
    events = to_events(traffic.events)
    assert len(events) == len(traffic.events)
    kinds = Counter(e.kind.value if isinstance(e, Funnel) else "search" for e in events)
    assert kinds == Counter(e["type"] for e in traffic.events)
    for wire, event in zip(traffic.events, events, strict=True):
        assert event.at == parse_at(wire["at"])
        assert event.user == wire.get("user_ref", "")
        if isinstance(event, Search):
            lat, lon = wire["search"]["gps"].split(",")
            assert (event.lat, event.lon) == (float(lat), float(lon))
            assert event.radius_km == wire["search"]["radius_km"]
            assert event.via == wire["via"]
        else:
            assert event.kind == FunnelKind(wire["type"])
            assert (event.bpp_id, event.location_id) == (wire["bpp_id"], wire["location_id"])
    bare = [{k: v for k, v in e.items() if k != "via"} for e in traffic.events[:50]]
    assert all(
        e.via == "bg.test" for e in to_events(bare, via_default="bg.test") if isinstance(e, Search)
    )
    grouped = events_by_bap(traffic.events)
    assert sum(len(v) for v in grouped.values()) == len(events)
    assert set(grouped) == {e["bap_id"] for e in traffic.events}


def test_a_day_has_a_rhythm() -> None:
    day = generate(seed=5, hours=24, scale=0.02, sweepers=1, pollers=1, low_and_slow=0, hidden=0)
    night: Counter[str] = Counter()
    evening: Counter[str] = Counter()
    for e in day.events:
        hour = (parse_at(e["at"]) - DEFAULT_START) / HOUR
        label = day.baps[e["bap_id"]].label
        if e["type"] == "search" and 1 <= hour < 5:
            night[label] += 1
        elif e["type"] == "search" and 17 <= hour < 21:
            evening[label] += 1
    assert evening["honest"] > 8 * night["honest"]
    for label in ("sweeper", "poller"):
        assert 0.8 < evening[label] / night[label] < 1.25


def test_command_line_writes_events_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "traffic.jsonl"
    result = CliRunner().invoke(
        main, ["--seed", "3", "--hours", "0.5", "--scale", "0.02", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = out.read_bytes().splitlines()
    truth = truth_from_json(msgspec.json.decode(out.with_suffix(".truth.json").read_bytes()))
    again = generate(seed=3, hours=0.5, scale=0.02)
    assert [msgspec.json.decode(line) for line in lines] == again.events
    assert truth == again.baps
