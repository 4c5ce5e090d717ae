"""Operator actions from the dashboard, over HTTP through the real app (SQLite): each needs a
session, the session's CSRF token, a reason and a confirmation, runs the registry's own call,
and is recorded in the change log with the operator and the reason. The refusals here are
attacks: a form posted without the token, with another session's, from another site."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from uei.registry.changelog import (
    GENESIS,
    Actor,
    ChainBroken,
    Draft,
    LogEntry,
    chain,
    verify_chain,
)
from uei.registry.model import ParticipantType
from uei_testing.dashboard import Dashboard, sign_in
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

DOMAIN = "ev-charging:uei"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as harness:
        yield harness


@pytest.fixture
async def dash(h: Harness) -> Dashboard:
    return await sign_in(h.client, h.operator, h.operator_id, h.clock)


async def _cpo(h: Harness, name: str = "cpo.example") -> Participant:
    cpo = Participant(name, type=ParticipantType.BPP, url=f"https://{name}/beckn")
    await h.enrol(cpo)
    return cpo


async def _status(h: Harness, sid: str) -> str:
    status: str = (await h.registry.store.load(sid)).status.value  # type: ignore[union-attr]
    return status


async def _log(h: Harness) -> list[LogEntry]:
    return await h.registry.store.log_after(0, 1000)


async def test_suspend_and_reinstate_are_recorded_with_operator_and_reason(
    h: Harness, dash: Dashboard
) -> None:
    cpo = await _cpo(h)
    done = await dash.act(cpo.subscriber_id, "suspend", "unpaid invoices since March")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/dashboard/subscribers/{cpo.subscriber_id}?done=suspend"
    assert await _status(h, cpo.subscriber_id) == "SUSPENDED"
    await dash.act(cpo.subscriber_id, "reinstate", "paid in full")
    entries = await _log(h)
    verify_chain(entries)  # reasons are hashed and the chain still holds
    mine = [e for e in entries if e.subscriber_id == cpo.subscriber_id][-2:]
    assert [(e.new_status, e.actor.kind.value, e.actor.id, e.reason) for e in mine] == [
        ("SUSPENDED", "operator", "ops", "unpaid invoices since March"),
        ("SUBSCRIBED", "operator", "ops", "paid in full"),
    ]
    page = await dash.get(f"/dashboard/subscribers/{cpo.subscriber_id}")
    assert "unpaid invoices since March" in page.text
    log = await dash.get("/dashboard/log")
    assert "paid in full" in log.text
    assert f"Chain verified up to seq {entries[-1].seq}" in log.text


async def test_the_admin_api_records_a_reason_too(h: Harness) -> None:
    """The signed API and the dashboard make the same call: a reason in the body is kept."""
    cpo = await _cpo(h)
    body = json.dumps({"request_id": "r-1", "reason": "fraud report 17"}).encode()
    done = await h.as_operator("POST", f"/admin/subscribers/{cpo.subscriber_id}/suspend", body)
    assert done.status_code == 200, done.text
    assert (await _log(h))[-1].reason == "fraud report 17"
    served = await h.client.get("/log", params={"after": 0})
    assert served.json()["entries"][-1]["reason"] == "fraud report 17"


async def test_approve_then_suspend_page_and_lookup_agree(h: Harness, dash: Dashboard) -> None:
    cpo = await _cpo(h)
    asked = await h.signed(
        "POST",
        "/subscribe",
        cpo.keys,
        cpo.subscriber_id,
        json.dumps({"type": "BG", "domain": DOMAIN}).encode(),
    )
    assert asked.status_code == 200, asked.text
    done = await dash.post(
        f"/dashboard/subscribers/{cpo.subscriber_id}/actions/approve",
        {"reason": "gateway contract signed", "confirm": "yes", "role": f"BG:{DOMAIN}"},
    )
    assert done.status_code == 303, done.text
    await h.registry.sync()
    looked = await h.client.post("/lookup", json={"subscriber_id": cpo.subscriber_id})
    assert {r["type"] for r in looked.json()} == {"BPP", "BG"}
    page = await dash.get(f"/dashboard/subscribers/{cpo.subscriber_id}")
    assert f"BG:{DOMAIN}" in page.text
    await dash.act(cpo.subscriber_id, "suspend", "audit")
    await h.registry.sync()
    key = await h.client.get(f"/lookup/{cpo.subscriber_id}/{cpo.keys.unique_key_id}")
    assert key.status_code != 200 or key.json()["status"] == "SUSPENDED", key.text
    listed = await dash.get("/dashboard/subscribers", params={"status": "SUSPENDED"})
    assert f'data-subscriber="{cpo.subscriber_id}"' in listed.text
    assert (
        'id="status">SUSPENDED'
        in (await dash.get(f"/dashboard/subscribers/{cpo.subscriber_id}")).text
    )


async def test_grant_gives_the_non_payer_api(h: Harness, dash: Dashboard) -> None:
    cpo = await _cpo(h)
    assert (await dash.act(cpo.subscriber_id, "grant", "signed the CPO terms")).status_code == 303
    sub = await h.registry.store.load(cpo.subscriber_id)
    assert sub is not None
    assert sub.grants == ("defaulters",)


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"confirm": "yes"}, "give a reason"),
        ({"reason": "   ", "confirm": "yes"}, "give a reason"),
        ({"reason": "x" * 501, "confirm": "yes"}, "longer than 500"),
        ({"reason": "audit"}, "tick the box to confirm"),
    ],
)
async def test_an_action_needs_a_reason_and_a_confirmation(
    h: Harness, dash: Dashboard, form: dict[str, str], said: str
) -> None:
    cpo = await _cpo(h)
    refused = await dash.post(f"/dashboard/subscribers/{cpo.subscriber_id}/actions/suspend", form)
    assert refused.status_code == 400
    assert said in refused.text
    assert await _status(h, cpo.subscriber_id) == "SUBSCRIBED"


async def test_an_impossible_transition_is_refused_on_the_page(h: Harness, dash: Dashboard) -> None:
    cpo = await _cpo(h)
    refused = await dash.act(cpo.subscriber_id, "reinstate", "nothing to reinstate")
    assert refused.status_code == 409
    assert "SUBSCRIBED" in refused.text
    assert "text/html" in refused.headers["content-type"]


# --- attacks --------------------------------------------------------------------------------


async def test_an_action_without_the_csrf_token_is_refused(h: Harness, dash: Dashboard) -> None:
    """A forged cross-site form carries the victim's cookie (were SameSite not there) but
    cannot read the token."""
    cpo = await _cpo(h)
    path = f"/dashboard/subscribers/{cpo.subscriber_id}/actions/suspend"
    for token in ("", "not-the-token"):
        refused = await dash.post(path, {"reason": "x", "confirm": "yes"}, csrf=token)
        assert refused.status_code == 403, refused.text
        assert "CSRF" in refused.text
    assert await _status(h, cpo.subscriber_id) == "SUBSCRIBED"


async def test_another_sessions_token_is_refused(h: Harness, dash: Dashboard) -> None:
    other = await sign_in(h.client, h.operator, h.operator_id, h.clock)
    assert other.csrf_token != dash.csrf_token
    cpo = await _cpo(h)
    refused = await dash.post(
        f"/dashboard/subscribers/{cpo.subscriber_id}/actions/suspend",
        {"reason": "x", "confirm": "yes"},
        csrf=other.csrf_token,
    )
    assert refused.status_code == 403
    assert await _status(h, cpo.subscriber_id) == "SUBSCRIBED"


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["origin", "sec-fetch-site"],
)
async def test_an_action_from_another_site_is_refused(
    h: Harness, dash: Dashboard, headers: dict[str, str]
) -> None:
    cpo = await _cpo(h)
    path = f"/dashboard/subscribers/{cpo.subscriber_id}/actions/suspend"
    refused = await dash.client.post(
        path,
        data={"csrf_token": dash.csrf_token, "reason": "x", "confirm": "yes"},
        headers={**dash._headers(None), **headers},
    )
    assert refused.status_code == 403
    assert "another" in refused.text
    same = await dash.post(
        path,
        {"reason": "x", "confirm": "yes"},
        headers={"Origin": "http://uei", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 303


async def test_an_action_without_a_session_is_refused(h: Harness, dash: Dashboard) -> None:
    cpo = await _cpo(h)
    refused = await h.client.post(
        f"/dashboard/subscribers/{cpo.subscriber_id}/actions/suspend",
        data={"csrf_token": dash.csrf_token, "reason": "x", "confirm": "yes"},
    )
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/dashboard/signin")
    assert await _status(h, cpo.subscriber_id) == "SUBSCRIBED"


async def test_a_forged_session_cookie_is_refused(h: Harness, dash: Dashboard) -> None:
    head, _, mac = dash.cookie.partition(".")
    forged = Dashboard(dash.client, f"{head}.{mac[::-1]}", dash.csrf_token)
    answer = await forged.get("/dashboard/subscribers")
    assert answer.status_code == 303
    assert "not+this+service" in answer.headers["location"]


async def test_a_session_ends_when_it_expires(h: Harness, dash: Dashboard) -> None:
    h.clock.advance(8 * 3600 + 1)
    answer = await dash.get("/dashboard/subscribers")
    assert answer.status_code == 303
    assert "expired" in answer.headers["location"]


async def test_an_operator_removed_from_the_file_loses_the_session(
    h: Harness, dash: Dashboard
) -> None:
    assert (await dash.get("/dashboard/subscribers")).status_code == 200
    h.app.state.settings.operators_file.write_text("[]")
    answer = await dash.get("/dashboard/subscribers")
    assert answer.status_code == 303
    explained = await dash.get(answer.headers["location"])
    assert "no longer an operator&#39;s" in explained.text


async def test_the_log_page_names_the_first_entry_that_does_not_chain(
    h: Harness, dash: Dashboard, tmp_path: Path
) -> None:
    """Someone with write access to the database edits an entry: the page says where the
    chain breaks (the same check as `uei log verify`)."""
    for name in ("a.example", "b.example", "c.example"):
        await _cpo(h, name)
    edited = (await _log(h))[1]
    with sqlite3.connect(tmp_path / "uei.db") as db:
        row = db.execute("SELECT entry FROM log WHERE seq = ?", (edited.seq,)).fetchone()
        db.execute(
            "UPDATE log SET entry = ? WHERE seq = ?",
            (bytes(row[0]).replace(b"a.example", b"z.example"), edited.seq),
        )
    page = await dash.get("/dashboard/log")
    assert f"Chain broken at seq {edited.seq}" in page.text
    assert f"verified up to seq {edited.seq - 1}" in page.text


async def test_old_entries_without_a_reason_encode_and_hash_as_before() -> None:
    """An entry without a reason has no ``reason`` member, and its hash is over the eight
    members of before (the digest below was computed before reasons existed)."""
    entry = chain(
        None, [Draft("a.example", "suspend", Actor.operator("ops"), "SUBSCRIBED", "SUSPENDED")], 1.0
    )[0]
    assert b"reason" not in msgspec.json.encode(entry)
    raw = msgspec.json.encode(
        [
            1,
            1.0,
            "a.example",
            None,
            "suspend",
            "SUBSCRIBED",
            "SUSPENDED",
            {"kind": "operator", "id": "ops"},
        ]
    )
    assert entry.hash == hashlib.blake2b(GENESIS.encode() + raw, digest_size=32).hexdigest()
    with_reason = chain(
        None,
        [
            Draft(
                "a.example",
                "suspend",
                Actor.operator("ops"),
                "SUBSCRIBED",
                "SUSPENDED",
                reason="why",
            )
        ],
        1.0,
    )[0]
    assert with_reason.hash != entry.hash
    verify_chain([with_reason])
    tampered = msgspec.structs.replace(with_reason, reason="another why")
    with pytest.raises(ChainBroken):
        verify_chain([tampered])


async def test_the_policy_page_shows_the_file_the_digest_and_a_failed_reload(
    h: Harness, dash: Dashboard, tmp_path: Path
) -> None:
    holder = h.app.state.policy
    policies = tmp_path / "policies.yaml"
    page = await dash.get("/dashboard/policy")
    assert str(policies) in page.text
    assert hashlib.sha256(policies.read_bytes()).hexdigest() in page.text
    assert "none since start" in page.text
    policies.write_text("registry:\n  no_such_key: 1\n")
    holder.reload()
    page = await dash.get("/dashboard/policy")
    assert "The last reload failed" in page.text
    assert "no_such_key" in page.text
