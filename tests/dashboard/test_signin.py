"""Signing in to the dashboard with a link, over HTTP through the real app (SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner

from tests.conftest import backend_url
from uei.app.cli import cli
from uei.app.dashboard.session import COOKIE, ENDED
from uei.registry.identity import save_key_file
from uei.registry.model import ParticipantType, Status
from uei.trust import generate_key_set
from uei_testing.browser import live_service
from uei_testing.dashboard import Dashboard, link_token, sign_in, sign_in_as
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running
from uei_testing.redis_servers import RedisServer

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


async def test_a_crafted_sign_in_link_cannot_put_words_on_the_page(h: Harness) -> None:
    """Phishing through our own page: a link to the sign-in page whose reason reads "call this
    number to restore access" must not show that text; the reasons the service gives still do."""
    lure = "Your access is suspended: call +91 98765 43210 to restore it"
    crafted = await h.client.get("/dashboard/signin", params={"reason": lure})
    assert crafted.status_code == 200
    assert "98765" not in crafted.text
    assert "call +91" not in crafted.text
    refused = await h.client.get("/dashboard/subscribers")
    explained = await h.client.get(refused.headers["location"])
    assert "you are not signed in" in explained.text


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


async def test_an_expired_link_is_refused(h: Harness) -> None:
    token = link_token(h.operator, h.operator_id, h.clock(), ttl=300)
    h.clock.advance(301)
    answer = await h.client.get("/dashboard/login", params={"token": token})
    assert answer.status_code == 401
    assert "expired" in answer.text


async def test_a_link_from_a_key_that_is_not_an_operators_is_refused(h: Harness) -> None:
    """A participant's own key (or any key the operators file does not list)."""
    participant = generate_key_set("bpp-key-1")
    answer = await h.client.get(
        "/dashboard/login", params={"token": link_token(participant, "cpo.example", h.clock())}
    )
    assert answer.status_code == 401
    assert "is not an operator key" in answer.text


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "x" * 3000])
async def test_a_malformed_link_is_refused(h: Harness, token: str) -> None:
    answer = await h.client.get("/dashboard/login", params={"token": token})
    assert answer.status_code in (400, 401)
    assert "text/html" in answer.headers["content-type"]
    assert "set-cookie" not in answer.headers


async def test_sign_out_clears_the_cookie(h: Harness) -> None:
    dash = await sign_in(h.client, h.operator, h.operator_id, h.clock)
    out = await dash.post("/dashboard/logout")
    assert out.status_code == 303
    assert (
        'uei_dashboard=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    )


async def test_a_copy_of_a_signed_out_cookie_is_refused(h: Harness) -> None:
    """The attack: someone copied the operator's cookie (a shared machine, a proxy log) and
    waits for the operator to sign out. After sign-out the copy opens no page and takes no
    action, though its MAC and expiry are still good."""
    victim = Participant("cpo.example", ParticipantType.BPP)
    await h.enrol(victim)
    dash = await sign_in(h.client, h.operator, h.operator_id, h.clock)
    stolen = dash.cookie
    assert (await dash.get("/dashboard/subscribers")).status_code == 200
    assert (await dash.post("/dashboard/logout")).status_code == 303
    copy = Dashboard(h.client, stolen, dash.csrf_token)
    page = await copy.get("/dashboard/subscribers")
    assert page.status_code == 303
    assert page.headers["location"] == "/dashboard/signin?" + urlencode({"reason": ENDED})
    shown = await h.client.get(page.headers["location"])
    assert ENDED in shown.text
    action = await copy.act(victim.subscriber_id, "suspend", "from a copied cookie")
    assert action.status_code in (303, 403)
    stored = await h.registry.store.load(victim.subscriber_id)
    assert stored is not None
    assert stored.status is Status.SUBSCRIBED
    # a new sign-in starts a new session, which works
    again = await sign_in(h.client, h.operator, h.operator_id, h.clock)
    assert (await again.get("/dashboard/subscribers")).status_code == 200


@pytest.mark.redis
async def test_a_signed_out_session_is_refused_on_every_replica(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = backend_url(request, "redis", tmp_path)
    async with running(url, tmp_path) as a, running(url, tmp_path) as b:
        dash = await sign_in(a.client, a.operator, a.operator_id, a.clock)
        on_b = Dashboard(b.client, dash.cookie, dash.csrf_token)
        assert (await on_b.get("/dashboard/subscribers")).status_code == 200
        assert (await dash.post("/dashboard/logout")).status_code == 303
        refused = await on_b.get("/dashboard/subscribers")
        assert refused.status_code == 303
        assert "signin" in refused.headers["location"]


async def test_the_cli_prints_a_link_that_signs_in(h: Harness, tmp_path: Path) -> None:
    """`uei admin dashboard-link` with the operator's key file: the link it prints works."""
    key_file = tmp_path / "ops-key.json"
    save_key_file(key_file, h.operator, h.operator_id)
    printed = CliRunner().invoke(
        cli,
        ["admin", "--key-file", str(key_file), "dashboard-link", "--base-url", "http://uei/"],
    )
    assert printed.exit_code == 0, printed.output
    link = printed.output.strip()
    assert link.startswith("http://uei/dashboard/login?token=")
    answer = await h.client.get(link)
    assert answer.status_code == 303, answer.text
    too_long = CliRunner().invoke(
        cli, ["admin", "--key-file", str(key_file), "dashboard-link", "--ttl", "7200"]
    )
    assert too_long.exit_code == 2


def test_the_cli_sends_a_reason(tmp_path: Path) -> None:
    """`uei admin suspend --reason` against a live service: the change log records it."""
    cpo = Participant("cpo.example", type=ParticipantType.BPP)
    with live_service(tmp_path, [cpo]) as live:
        done = CliRunner().invoke(
            cli,
            [
                "admin",
                "--key-file",
                str(live.key_file),
                "--url",
                live.base_url,
                "suspend",
                "cpo.example",
                "--reason",
                "chargeback storm",
            ],
        )
        assert done.exit_code == 0, done.output
        log = httpx.get(f"{live.base_url}/log", params={"after": 0}).json()
    last = log["entries"][-1]
    assert (last["new_status"], last["actor"]["id"], last["reason"]) == (
        "SUSPENDED",
        "ops",
        "chargeback storm",
    )


@pytest.mark.redis
async def test_a_store_outage_is_a_page_not_json(tmp_path: Path) -> None:
    """Sign-in and pages while Redis is down: an HTML 503 page with Retry-After (the signed
    API answers a NACK; a person gets a page), and sign-in works again once it is back."""
    with RedisServer(aof=True) as server:
        async with running(server.url, tmp_path) as h:
            dash = await sign_in(h.client, h.operator, h.operator_id, h.clock)
            token = link_token(h.operator, h.operator_id, h.clock())
            server.kill()
            try:
                for answer in (
                    await h.client.get("/dashboard/login", params={"token": token}),
                    await dash.get("/dashboard/subscribers"),
                ):
                    assert answer.status_code == 503
                    assert answer.headers["content-type"].startswith("text/html")
                    assert int(answer.headers["retry-after"]) >= 1
                    assert "The store did not answer" in answer.text
                    assert "Traceback" not in answer.text
                    assert "set-cookie" not in answer.headers
            finally:
                server.restart()
            assert (await dash.get("/dashboard/subscribers")).status_code == 200
            assert (await sign_in_as(h.client, token)).cookie
