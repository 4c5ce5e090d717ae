"""Signing in to the dashboard with a link, over HTTP through the real app (SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from uei.app.dashboard.session import COOKIE
from uei.trust import generate_key_set
from uei_testing.dashboard import link_token, sign_in, sign_in_as
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        yield harness


async def test_a_link_signs_an_operator_in(h: Harness) -> None:
    answer = await h.client.get(
        "/dashboard/login", params={"token": link_token(h.operator, h.operator_id, h.clock())}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard"
    cookie = answer.headers["set-cookie"]
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/dashboard"):
        assert flag.lower() in cookie.lower(), cookie
    page = await h.client.get("/dashboard/subscribers", headers={"Cookie": cookie.split(";")[0]})
    assert page.status_code == 200
    assert "operator <strong>ops</strong>" in page.text


async def test_a_page_without_a_session_is_the_sign_in_page(h: Harness) -> None:
    answer = await h.client.get("/dashboard/subscribers")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/dashboard/signin")
    explained = await h.client.get(answer.headers["location"])
    assert explained.status_code == 200
    assert "uei admin" in explained.text
    assert "dashboard-link" in explained.text


async def test_the_helper_signs_in(h: Harness) -> None:
    dash = await sign_in(h.client, h.operator, h.operator_id, h.clock)
    assert (await dash.get("/dashboard/policy")).status_code == 200
    assert COOKIE not in (await dash.get("/dashboard/log")).text


async def test_a_link_works_once(h: Harness) -> None:
    token = link_token(h.operator, h.operator_id, h.clock())
    await sign_in_as(h.client, token)
    again = await h.client.get("/dashboard/login", params={"token": token})
    assert again.status_code == 401
    assert "used already" in again.text
    assert "set-cookie" not in again.headers


async def test_a_stranger_key_is_refused(h: Harness) -> None:
    stranger = generate_key_set(h.operator.unique_key_id)
    answer = await h.client.get(
        "/dashboard/login", params={"token": link_token(stranger, h.operator_id, h.clock())}
    )
    assert answer.status_code == 401
    assert "does not verify" in answer.text
