"""The scraping and non-payer pages in real Chromium, against a live service on loopback: a
BAP that swept a grid is scored by the service's own scoring pass, and its page draws every
plot with the plotly.js the service serves (no request leaves loopback)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from uei.antiabuse.scraping.events import Event, Funnel, FunnelKind, Search
from uei.antiabuse.scraping.policy import Actions
from uei.antiabuse.stores import open_abuse_stores
from uei.registry.model import ParticipantType
from uei_testing.browser import LiveService, live_service
from uei_testing.factories import Participant

if TYPE_CHECKING:
    from playwright.sync_api import Page

SWEEPER = Participant("sweeper.example", type=ParticipantType.BAP, url="https://s.example/b")
PLOTS = ("searches", "quota", "funnel", "centres", "score")


async def _log_a_sweep(store_url: str, now: float) -> None:
    """What a gateway's upload leaves in the store: a 10x20 grid swept in the last 50
    minutes, three selects (the same as ``POST /abuse/events`` records)."""
    stores = await open_abuse_stores(store_url)
    try:
        start = now - 3000
        events: list[tuple[str, Event]] = [
            (
                f"sweep-{i}",
                Search(
                    at=start + i * 5,
                    lat=12.9 + (i % 10) * 0.01,
                    lon=77.5 + (i // 10) * 0.01,
                    radius_km=1.0,
                    via="bg.example",
                ),
            )
            for i in range(200)
        ]
        events += [
            (f"sel-{i}", Funnel(start + 100 + i, FunnelKind.SELECT, "cpo.example", "L1"))
            for i in range(3)
        ]
        await stores.events.record(SWEEPER.subscriber_id, events, 86_400.0)
    finally:
        await stores.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    tmp = tmp_path_factory.mktemp("live-abuse")
    # before the service starts, so that its first scoring pass scores the sweep; in a
    # thread of its own (Playwright's sync API keeps a loop running in this one)
    seeding = threading.Thread(
        target=asyncio.run, args=(_log_a_sweep(f"sqlite:///{tmp / 'uei.db'}", time.time()),)
    )
    seeding.start()
    seeding.join()
    with live_service(tmp, [SWEEPER]) as live:
        yield live


def _ranked(page: Page, service: LiveService) -> None:
    """The ranking, once the service's first scoring pass (at start) has stored a verdict."""
    deadline = time.monotonic() + 60
    while True:
        page.goto(f"{service.base_url}/dashboard/scraping")
        if page.locator(f'#ranking tr[data-bap="{SWEEPER.subscriber_id}"]').count():
            return
        assert time.monotonic() < deadline, "no scoring pass stored a verdict in 60 s"
        page.wait_for_timeout(250)


def test_a_flagged_bap_s_plots_render(
    service: LiveService, page: Page, offline: list[str], screenshot: Callable[..., Path]
) -> None:
    page.goto(service.dashboard_link())
    _ranked(page, service)
    row = page.locator(f'#ranking tr[data-bap="{SWEEPER.subscriber_id}"]')
    assert row.get_attribute("class") == "flagged"
    screenshot(page, "dashboard-scraping", docs=True)
    row.locator("a").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/dashboard/scraping/{SWEEPER.subscriber_id}")
    for name in PLOTS:  # plotly drew each figure: its SVG is in the page
        page.wait_for_selector(f"#plot-{name} svg.main-svg", timeout=30_000)
    assert page.locator("#plot-centres .scatterlayer .point").count() == 200
    bars = page.locator("#plot-searches .barlayer .point").count()
    assert bars > 0
    throttle = page.locator('#actions tr[data-action="throttle"]').inner_text()
    # as the policy in force ships it (the service runs on the built-in scraping defaults)
    assert ("enforced" in throttle) is not Actions().throttle.shadow, throttle
    screenshot(page, "dashboard-scraping-bap", docs=True)
    page.goto(f"{service.base_url}/dashboard/non-payers")
    for name in ("statuses", "verdicts"):
        page.wait_for_selector(f"#plot-{name} svg.main-svg", timeout=30_000)
    screenshot(page, "dashboard-non-payers", docs=True)
    assert offline == []
