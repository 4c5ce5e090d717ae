"""The dashboard's scraping and non-payer pages over HTTP through the real app (SQLite):
real events, quota checks, a real scoring pass, reports, status queries and disputes, read
back by a signed-in operator; refusals are pages, and no raw identifier ever reaches one."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.antiabuse.test_http import DAY, PHONE, RAW_FORMS, VPA, Cpo, case_of, cpo, ids
from tests.antiabuse.test_quota_http import APP, Relay, wire
from uei.antiabuse.scraping.policy import ScrapingAction
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureNote
from uei.registry.model import ParticipantType
from uei_testing.dashboard import Dashboard, sign_in
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

_ISLAND = re.compile(r'<script type="application/json" id="figures">(.*?)</script>', re.S)


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        await harness.enrol(APP)
        yield harness


@pytest.fixture
async def bg(h: Harness) -> Relay:
    gateway = Participant("bg.example", type=ParticipantType.BG)
    await h.enrol(gateway)
    return Relay(h, gateway)


async def dash(h: Harness) -> Dashboard:
    return await sign_in(h.client, h.operator, h.operator_id, h.clock)


def figures(page: str) -> dict[str, Any]:
    found = _ISLAND.search(page)
    assert found is not None, page[:500]
    decoded: dict[str, Any] = json.loads(found.group(1))
    return decoded


def trace(figure: dict[str, Any], name: str, series: str = "y") -> list[Any]:
    (found,) = [t for t in figure["data"] if t["name"].startswith(name)]
    values: list[Any] = found[series]
    return values


async def sweep(h: Harness, bg: Relay, n: int = 200) -> None:
    """A gateway's log of a grid sweep over the last 50 minutes, a few bookings after it."""
    start = h.clock() - 3000
    events = [
        wire("search", f"sweep-{i}", start + i * 5)
        | {
            "search": {
                "gps": f"{12.9 + (i % 10) * 0.01:.4f},{77.5 + (i // 10) * 0.01:.4f}",
                "radius_km": 1,
            }
        }
        for i in range(n)
    ]
    events += [wire("select", f"sel-{i}", start + 100 + i) for i in range(3)]
    events += [wire("confirm", "conf-0", start + 200)]
    answer = await bg.post("/abuse/events", {"events": events})
    assert answer.status_code == 200, answer.text
    assert answer.json()["recorded"] == len(events)


async def test_a_bap_page_plots_its_real_traffic_and_explains_its_verdict(
    h: Harness, bg: Relay
) -> None:
    await sweep(h, bg)
    for i in range(5):  # checked on the search path as well
        assert (await bg.check(f"live-{i}")).status_code == 200
    (verdict,) = [v for v in await h.app.state.score() if v.bap_id == APP.subscriber_id]
    d = await dash(h)
    page = await d.get(f"/dashboard/scraping/{APP.subscriber_id}")
    assert page.status_code == 200, page.text
    shown = figures(page.text)
    assert sum(trace(shown["searches"], "searches")) == 205
    funnel = shown["funnel"]
    assert (sum(trace(funnel, "select")), sum(trace(funnel, "confirm"))) == (3, 1)
    # the quota replay: the default search rule admits all of it; each search costs 1 unit
    assert sum(trace(shown["quota"], "admitted", "customdata")) == 205
    assert sum(trace(shown["quota"], "refused", "customdata")) == 0
    assert len(shown["centres"]["data"][0]["x"]) == 205
    assert trace(shown["score"], "score") == [verdict.score]
    text = html.unescape(page.text)
    assert f"{verdict.score:.3f}" in text
    for reason in verdict.reasons:
        assert reason in text
    for note in verdict.top:
        assert note.name in text
    # every action enforced beside shadow, as the verdict has them
    for action in ScrapingAction:
        row = re.search(rf'<tr data-action="{action.value}">(.*?)</tr>', page.text, re.S)
        assert row is not None
        assert ("enforced</span>" in row.group(1)) is (action in verdict.actions)
        assert ("shadow</span>" in row.group(1)) is (action in verdict.shadow_actions)
    # plotly.js from the service itself, and the script that draws from the data island
    assert '<script src="/dashboard/assets/plotly.min.js"></script>' in page.text
    assert "Plotly.newPlot" in page.text
    assert (await d.get("/dashboard/assets/plotly.min.js")).status_code == 200


def stored(bap: str, score: float, at: float, *, flagged: bool) -> BapVerdict:
    return BapVerdict(
        bap_id=bap,
        scored_at=at,
        window_start=at - 3600,
        window_end=at,
        score=score,
        actions=[ScrapingAction.FLAG, ScrapingAction.THROTTLE] if flagged else [],
        shadow_actions=[ScrapingAction.BLOCK] if flagged else [],
        throttle_scale=0.25 if flagged else 1.0,
        searches=500,
        top=[FeatureNote("lattice", 0.99, 0.1, 0.4, "grid sweep")],
        reasons=["every search a new point of a regular sweep, no select"],
    )


async def test_the_ranking_puts_the_highest_score_first_and_marks_the_flagged(
    h: Harness, bg: Relay
) -> None:
    await sweep(h, bg, 60)
    scored = {v.bap_id: v for v in await h.app.state.score()}
    now = h.clock()
    # what a scoring pass stores for BAPs the forest found (the scorer's tests make these)
    await h.app.state.stores.verdicts.save_pass(
        [stored("sweeper.example", 0.97, now, flagged=True), stored("quiet.example", 0.01, now,
         flagged=False)], [], 10, 0.0,
    )  # fmt: skip
    d = await dash(h)
    page = await d.get("/dashboard/scraping")
    assert page.status_code == 200, page.text
    rows = re.findall(r'<tr class="(flagged|)" data-bap="([^"]+)">(.*?)</tr>', page.text, re.S)
    order = [bap for _, bap, _ in rows]
    assert order[0] == "sweeper.example"
    assert order[-1] == "quiet.example"
    assert APP.subscriber_id in order
    marks = {bap: mark for mark, bap, _ in rows}
    assert marks["sweeper.example"] == "flagged"
    assert marks["quiet.example"] == ""
    mine = scored[APP.subscriber_id]
    assert (marks[APP.subscriber_id] == "flagged") is bool(mine.actions or mine.shadow_actions)
    sweeper = next(cells for _, bap, cells in rows if bap == "sweeper.example")
    enforced, shadow = re.findall(r"<td[^>]*>(.*?)</td>", sweeper, re.S)[3:5]
    assert '<span class="status bad">flag</span> <span class="status bad">throttle' in enforced
    assert '<span class="status">block</span>' in shadow
    assert "quota x0.25" in sweeper
    only = await d.get("/dashboard/scraping", params={"flagged": "true"})
    flagged = re.findall(r'data-bap="([^"]+)"', only.text)
    assert "sweeper.example" in flagged
    assert "quiet.example" not in flagged
    # the flagged BAP's own page: its actions, enforced beside shadow
    its = await d.get("/dashboard/scraping/sweeper.example")
    assert its.status_code == 200
    block = re.search(r'<tr data-action="block">(.*?)</tr>', its.text, re.S)
    assert block is not None
    assert "shadow</span>" in block.group(1)
    assert "enforced</span>" not in block.group(1)


@pytest.mark.parametrize(
    "bap_id",
    ["bad%20id", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%3Cb%3E", "a" * 300, "x%00y", "-lead"],
)
async def test_an_odd_bap_id_is_a_clear_4xx(h: Harness, bap_id: str) -> None:
    d = await dash(h)
    page = await d.get(f"/dashboard/scraping/{bap_id}")
    if "%2F" in bap_id:  # a slash: no such page at all
        assert page.status_code == 404, page.text
    else:
        assert page.status_code == 400, page.text
        assert "bap_id: a BAP&#39;s subscriber id is a host name" in page.text
    assert "<script>alert" not in page.text
    assert "<b>" not in page.text


async def test_a_bap_with_nothing_recorded_is_a_404_page(h: Harness) -> None:
    d = await dash(h)
    page = await d.get("/dashboard/scraping/nobody.example")
    assert page.status_code == 404
    assert "nothing is recorded for BAP nobody.example" in page.text


@pytest.mark.parametrize(
    "path", ["/dashboard/scraping", "/dashboard/scraping/app.example", "/dashboard/non-payers"]
)
async def test_the_pages_send_the_signed_out_to_sign_in(h: Harness, path: str) -> None:
    answer = await h.client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/dashboard/signin")


async def ledger(h: Harness) -> tuple[Cpo, Cpo, str, str]:
    """Two cases of one person (phone and VPA), one disputed; status queries blocking it."""
    one, two = await cpo(h, "cpo-one.example"), await cpo(h, "cpo-two.example")
    disputed = await case_of(one, "s-1", ids(phone=PHONE, upi_vpa=VPA))
    await case_of(one, "s-2", ids(upi_vpa=VPA))
    settled = await case_of(two, "s-3", ids(phone=PHONE))
    assert (await two.act(settled, "settle")).status_code == 200
    h.clock.advance(8 * DAY)
    assert (await two.status(ids(upi_vpa=VPA)))["verdict"] == "block"
    assert (await two.status(ids(phone=PHONE, upi_vpa=VPA)))["verdict"] == "block"
    answer = await two.dispute(disputed, ids(upi_vpa=VPA))
    assert answer.status_code == 200, answer.text
    return one, two, disputed, settled


async def test_the_non_payer_page_counts_cases_mixes_verdicts_and_ages_disputes(
    h: Harness,
) -> None:
    _, _, disputed, _ = await ledger(h)
    d = await dash(h)
    page = await d.get("/dashboard/non-payers")
    assert page.status_code == 200, page.text
    counts = dict(re.findall(r'data-status="([a-z_]+)">(\d+)<', page.text))
    assert counts == {"open": "1", "disputed": "1", "settled": "1", "withdrawn": "0", "void": "0"}
    shown = figures(page.text)
    bars = shown["statuses"]["data"][0]
    assert dict(zip(bars["x"], bars["y"], strict=True))["disputed"] == 1
    verdicts = shown["verdicts"]
    assert sum(trace(verdicts, "block")) == 2
    assert sum(trace(verdicts, "allow")) == 0
    row = re.search(rf'<tr class="([^"]*)" data-case="{disputed}">(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert "overdue" not in row.group(1)
    assert "cpo-one.example" in row.group(2)
    assert "upi_vpa:" in row.group(2)  # a token, the only form stored
    # past the policy's deadline (30 days) with no resolution: overdue, highlighted
    h.clock.advance(31 * DAY)
    later = await (await dash(h)).get("/dashboard/non-payers")
    row = re.search(rf'<tr class="([^"]*)" data-case="{disputed}">(.*?)</tr>', later.text, re.S)
    assert row is not None
    assert "overdue" in row.group(1)
    assert "overdue by 1.0 d" in row.group(2)


async def test_no_raw_identifier_reaches_any_page(h: Harness, bg: Relay) -> None:
    """The attack: report and query a person by phone number and VPA, then read every page
    an operator can open; neither the raw values nor their normalised forms appear."""
    _, two, _, _ = await ledger(h)
    await two.observe(ids(phone=PHONE, upi_vpa=VPA))
    await sweep(h, bg, 30)
    await h.app.state.score()
    d = await dash(h)
    pages = [
        "/dashboard/non-payers",
        "/dashboard/scraping",
        f"/dashboard/scraping/{APP.subscriber_id}",
    ]
    for path in pages:
        answer = await d.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        for text in (answer.text, html.unescape(answer.text)):
            assert [raw for raw in RAW_FORMS if raw.lower() in text.lower()] == [], path
