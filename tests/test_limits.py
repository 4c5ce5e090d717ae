"""Limits on what one request may carry, through the real app (in process, SQLite store).

Every refusal here must be a Beckn NACK (``error.code`` and ``error.message``), never a 5xx:
the body size, identifiers per request, events per batch, an oversized signature header,
bodies that are not JSON or not an object, and integers beyond what the store can hold.

Signed routes authenticate in a guard that reads the body before it is decoded, so the tests
sign their requests properly: a limit has to hold for a caller who is allowed in.

In process (httpx's ASGI transport) there is no HTTP server in front of the app, so these
tests show the app's own handling. Under ``uei serve`` uvicorn (h11) refuses a header block
over 16 KiB that arrives in pieces with a plain-text 400 before the app sees it, but one that
arrives in a single read still reaches the app: the app's handling is what counts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from uei.antiabuse.stores import AbuseStores
from uei_testing.callers import Caller, iso, nack
from uei_testing.harness import Harness

pytestmark = pytest.mark.anyio

TWO_MB = 2 * 1024 * 1024
"""An oversized body: twice the largest body the service is meant to take (1 MiB)."""
MAX_IDENTIFIERS = 16
"""Per report or observation (a session's identifiers)."""
MAX_QUERY_IDENTIFIERS = 8
"""Per status query, at most 2 of one kind (tests/security/test_defaulters_abuse.py)."""
MAX_EVENTS = 1000
GPS = {"gps": "12.971600,77.594600", "radius_km": 5}


def store_of(h: Harness) -> AbuseStores:
    store: AbuseStores = h.app.state.stores
    return store


def search_event(h: Harness, message_id: str) -> dict[str, Any]:
    return {
        "type": "search",
        "bap_id": "app.example",
        "message_id": message_id,
        "at": iso(h.clock() - 60),
        "search": GPS,
    }


def report(h: Harness, ref: str, identifiers: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "session_ref": ref,
        "amount": {"value": "420.00", "currency": "INR"},
        "occurred_at": iso(h.clock() - 3600),
        "identifiers": identifiers,
    }


def vpas(n: int) -> list[dict[str, str]]:
    return [{"kind": "upi_vpa", "value": f"user{i}@okaxis"} for i in range(n)]


def mixed(n: int) -> list[dict[str, str]]:
    """``n`` identifiers, at most two of each kind (what one status query may carry)."""
    kinds = ["rfid", "battery_id", "device", "chassis"]  # one family each
    return [{"kind": kinds[i // 2 % len(kinds)], "value": f"user{i}-0000"} for i in range(n)]


def padded(doc: Any, size: int = TWO_MB) -> bytes:
    """``doc`` as JSON followed by whitespace up to ``size`` bytes: still a valid body, so
    only its size can be the reason for a refusal."""
    raw = json.dumps(doc).encode()
    return raw + b" " * (size - len(raw))


async def recorded_events(h: Harness) -> int:
    return len(await store_of(h).events.events("app.example", h.clock() - 7200, h.clock() + 1))


# --- body size ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/lookup", "/subscribe"])
async def test_an_oversized_body_to_an_open_route_is_a_413_nack(
    h: Harness, cpo: Caller, path: str
) -> None:
    """``/lookup`` is unsigned, and ``/subscribe`` reads its body to find the signer's key (a
    newcomer's is in it): neither may read 2 MB into memory for anyone. (Unsigned, the guard
    refuses ``/subscribe`` before reading the body.)"""
    if path == "/subscribe":
        answer = await cpo.send(path, padded({}))
    else:
        answer = await h.client.post(
            path, content=padded({}), headers={"Content-Type": "application/json"}
        )
    error = nack(answer, 413)
    assert "too large" in error["message"].lower()


async def test_an_oversized_event_batch_is_a_413_nack_and_nothing_is_recorded(
    h: Harness, bg: Caller
) -> None:
    answer = await bg.send("/abuse/events", padded({"events": [search_event(h, "m1")]}))
    error = nack(answer, 413)
    assert "too large" in error["message"].lower()
    assert await recorded_events(h) == 0


async def test_an_oversized_report_is_a_413_nack_and_no_case_is_opened(
    h: Harness, cpo: Caller
) -> None:
    doc = report(h, "s-1", vpas(1))
    nack(await cpo.send("/abuse/defaulters/report", padded(doc)), 413)
    # the same report at its own size opens the case now (201), not answers an old one (200)
    assert (await cpo.post("/abuse/defaulters/report", doc)).status_code == 201


async def test_an_oversized_body_without_a_content_length_is_a_413_nack(
    h: Harness, bg: Caller
) -> None:
    """Chunked: the limit must count the bytes received, not trust a header."""
    answer = await bg.stream("/abuse/events", padded({"events": [search_event(h, "m1")]}))
    nack(answer, 413)
    assert await recorded_events(h) == 0


async def test_a_full_batch_of_ordinary_events_is_within_the_body_limit(
    h: Harness, bg: Caller
) -> None:
    """The body limit must leave room for the largest batch a gateway really sends."""
    body = json.dumps({"events": [search_event(h, f"m{i}") for i in range(MAX_EVENTS)]})
    assert len(body) < TWO_MB // 4
    answer = await bg.send("/abuse/events", body.encode())
    assert answer.status_code == 200, answer.text[:500]
    assert answer.json() == {"received": MAX_EVENTS, "recorded": MAX_EVENTS}


# --- identifiers per request, events per batch ----------------------------------------------


def identifiers_body(h: Harness, path: str, identifiers: list[dict[str, str]]) -> dict[str, Any]:
    if path == "/abuse/status":
        return {"purpose": "postpaid_session", "identifiers": identifiers}
    if path == "/abuse/observations":
        return {"observed_at": iso(h.clock()), "context": "session", "identifiers": identifiers}
    return report(h, "s-ids", identifiers)


@pytest.mark.parametrize(
    ("path", "ok", "most"),
    [
        ("/abuse/status", 200, MAX_QUERY_IDENTIFIERS),
        ("/abuse/observations", 200, MAX_IDENTIFIERS),
        ("/abuse/defaulters/report", 201, MAX_IDENTIFIERS),
    ],
)
async def test_at_most_16_identifiers_per_report_and_8_per_query(
    h: Harness, cpo: Caller, path: str, ok: int, most: int
) -> None:
    too_many = await cpo.post(path, identifiers_body(h, path, mixed(most + 1)))
    error = nack(too_many, 400)
    assert error["path"] == "identifiers"
    assert str(most) in error["message"]
    enough = await cpo.post(path, identifiers_body(h, path, mixed(most)))
    assert enough.status_code == ok, enough.text


async def test_at_most_1000_events_per_batch_and_a_refused_batch_records_nothing(
    h: Harness, bg: Caller
) -> None:
    batch = [search_event(h, f"m{i}") for i in range(MAX_EVENTS + 1)]
    error = nack(await bg.post("/abuse/events", {"events": batch}), 400)
    assert error["path"] == "events"
    assert str(MAX_EVENTS) in error["message"]
    assert await recorded_events(h) == 0


# --- headers --------------------------------------------------------------------------------

HUGE = "a" * (64 * 1024)


@pytest.mark.parametrize(
    ("header", "challenge"),
    [("Authorization", "WWW-Authenticate"), ("X-Gateway-Authorization", "Proxy-Authenticate")],
)
@pytest.mark.parametrize(
    "value", [f"Signature {HUGE}", f'Signature keyId="{HUGE}"'], ids=["garbage", "key-id"]
)
async def test_a_64kb_signature_header_is_a_401_nack(
    h: Harness, header: str, challenge: str, value: str
) -> None:
    answer = await h.client.post(
        "/abuse/status",
        content=b"{}",
        headers={header: value, "Content-Type": "application/json"},
    )
    error = nack(answer, 401)
    assert error["code"] == "30016"
    assert error["path"] == header
    assert answer.headers[challenge].startswith("Signature ")


async def test_a_refused_signature_header_is_not_echoed_back(h: Harness) -> None:
    answer = await h.client.post(
        "/abuse/status",
        content=b"{}",
        headers={"Authorization": f'Signature keyId="{HUGE}"'},
    )
    nack(answer, 401)
    assert len(answer.content) < 1024


async def test_a_64kb_header_the_app_does_not_read_changes_nothing(h: Harness) -> None:
    answer = await h.client.get("/healthz", headers={"X-Padding": HUGE})
    assert answer.status_code == 200


async def test_a_content_length_that_is_not_a_number_is_a_400_nack(h: Harness) -> None:
    answer = await h.client.post("/lookup", content=b"{}", headers={"Content-Length": "two"})
    error = nack(answer, 400)
    assert "content-length" in error["message"].lower()


# --- bodies that are not JSON, or not an object ---------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"purpose": "postpaid_session", "identifiers" [] }', id="syntax"),
        pytest.param(b'{"purpose": "postpaid_session"} trailing', id="trailing-text"),
        pytest.param(
            b'{"purpose": "\xff\xfe"}',
            id="not-utf8",
        ),
        pytest.param(
            b'{"purpose": "postpaid_session", "identifiers": [',
            id="truncated",
        ),
    ],
)
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "open"])
async def test_a_body_that_is_not_json_is_a_400_nack_saying_so(
    h: Harness, cpo: Caller, body: bytes, signed: bool
) -> None:
    """Signed: ``/abuse/status`` (decoded after the guard); open: ``/lookup``."""
    if signed:
        answer = await cpo.send("/abuse/status", body)
    else:
        answer = await h.client.post(
            "/lookup", content=body, headers={"Content-Type": "application/json"}
        )
    error = nack(answer, 400)
    assert "json" in error["message"].lower()


@pytest.mark.parametrize(
    ("body", "got"),
    [(b"[]", "array"), (b'"status"', "str"), (b"42", "int"), (b"true", "bool"), (b"null", "null")],
)
async def test_a_body_that_is_not_an_object_is_a_400_nack_naming_what_it_is(
    h: Harness, cpo: Caller, body: bytes, got: str
) -> None:
    error = nack(await cpo.send("/abuse/status", body), 400)
    assert "object" in error["message"]
    assert got in error["message"]


@pytest.mark.parametrize("body", [b"[1]", b'"x"', b"7"])
async def test_an_open_route_refuses_a_body_that_is_not_an_object(
    h: Harness, cpo: Caller, body: bytes
) -> None:
    """``/lookup`` (unsigned) and ``/subscribe`` (signed by its registrant: the guard reads the
    body for the signer's key) take an object or ``null`` (no filters)."""
    answer = await h.client.post(
        "/lookup", content=body, headers={"Content-Type": "application/json"}
    )
    assert "object" in nack(answer, 400)["message"]
    assert "object" in nack(await cpo.send("/subscribe", body), 400)["message"]


async def test_a_missing_body_is_a_400_nack_saying_a_body_is_needed(
    h: Harness, cpo: Caller
) -> None:
    error = nack(await cpo.send("/abuse/status", b""), 400)
    assert "body" in error["message"].lower()


# --- integers beyond the store's range ------------------------------------------------------


@pytest.mark.parametrize("after", [2**63, 10**30])
async def test_a_log_position_beyond_any_sequence_number_is_a_400_nack(
    h: Harness, after: int
) -> None:
    error = nack(await h.client.get("/log", params={"after": after}), 400)
    assert error["path"] == "after"


async def test_a_log_position_past_the_head_is_an_empty_page(h: Harness) -> None:
    answer = await h.client.get("/log", params={"after": 2**53 - 1})
    assert answer.status_code == 200, answer.text
    assert answer.json()["entries"] == []
