"""The dashboard and the API documents in real Chromium, against a live service on loopback.

An operator signs in through a link the real ``uei admin dashboard-link`` prints, approves a
subscriber's gateway role, suspends it, and the page and ``GET /lookup/...`` agree; the API
documents render offline (every request off loopback is blocked and none is needed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from uei.registry.model import ParticipantType
from uei.trust import sign_header
from uei_testing.browser import LiveService, live_service
from uei_testing.factories import Participant

if TYPE_CHECKING:
    from playwright.sync_api import Page

DOMAIN = "ev-charging:uei"
CPO = Participant("cpo.example", type=ParticipantType.BPP, url="https://cpo.example/beckn")
APP = Participant("app.example", type=ParticipantType.BAP, url="https://app.example/beckn")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("live"), [CPO, APP]) as live:
        yield live


def _ask_for_a_gateway_role(service: LiveService) -> None:
    body = json.dumps({"type": "BG", "domain": DOMAIN}).encode()
    header = sign_header(
        body,
        CPO.keys.signing_key,
        subscriber_id=CPO.subscriber_id,
        unique_key_id=CPO.keys.unique_key_id,
        created=int(time.time()),
    )
    asked = httpx.post(
        f"{service.base_url}/subscribe",
        content=body,
        headers={"Authorization": header, "Content-Type": "application/json"},
    )
    assert asked.status_code == 200, asked.text


def _act(page: Page, action: str, reason: str, role: str | None = None) -> None:
    form = page.locator(f'form[data-action="{action}"]')
    if role is not None:
        form.locator("select[name=role]").select_option(role)
    form.locator("input[name=reason]").fill(reason)
    form.locator("input[name=confirm]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_sign_in_approve_suspend_and_lookup_agrees(
    service: LiveService, page: Page, offline: list[str], screenshot: Callable[..., Path]
) -> None:
    _ask_for_a_gateway_role(service)
    link = service.dashboard_link()
    page.goto(link)
    assert page.url == f"{service.base_url}/dashboard/subscribers"  # no token left behind
    assert page.locator("header .who strong").inner_text() == "ops"
    rows = page.locator("#subscribers tbody tr[data-subscriber]")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.subscriber)")) == [
        APP.subscriber_id,
        CPO.subscriber_id,
    ]
    screenshot(page, "dashboard-subscribers", docs=True)

    page.click(f"text={CPO.subscriber_id}")
    _act(page, "approve", "gateway contract signed", role=f"BG:{DOMAIN}")
    assert "Done: approve" in page.inner_text("main")
    key = f"{service.base_url}/lookup/{CPO.subscriber_id}/{CPO.keys.unique_key_id}"
    looked = httpx.post(f"{service.base_url}/lookup", json={"subscriber_id": CPO.subscriber_id})
    assert {r["type"] for r in looked.json()} == {"BPP", "BG"}
    assert f"BG:{DOMAIN}" in page.locator("table").first.inner_text()

    _act(page, "suspend", "audit of March invoices")
    assert page.locator("#status").inner_text() == "SUSPENDED"
    history = page.locator("#history").inner_text()
    assert "audit of March invoices" in history
    assert "operator ops" in history
    screenshot(page, "dashboard-subscriber", docs=True)
    answer = httpx.get(key)
    assert answer.status_code != 200 or answer.json()["status"] == "SUSPENDED", answer.text

    page.click("nav >> text=Change log")
    assert page.locator("#chain").inner_text().startswith("Chain verified up to seq")
    screenshot(page, "dashboard-log", docs=True)
    page.click("nav >> text=Policy")
    assert "registry:" in page.locator("#policy-text").inner_text()

    page.goto(link)  # the same link again: refused, no session from it
    assert "used already" in page.inner_text("main")
    assert offline == []


def test_the_api_documents_render_offline(
    service: LiveService, page: Page, offline: list[str], screenshot: Callable[..., Path]
) -> None:
    page.goto(f"{service.base_url}/schema")
    page.wait_for_selector(".opblock-summary", timeout=30_000)
    operations: Any = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/lookup" in [o.replace("\u200b", "") for o in operations]
    screenshot(page, "schema")
    assert offline == [], offline
