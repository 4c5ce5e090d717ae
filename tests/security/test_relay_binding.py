"""Attacks on scraping protection by a relay: a rogue BPP (a competitor) spending a rival BAP's
quota or poisoning its score, forwarding a BAP's request it altered or did not receive, and
flooding the service. Each is performed over HTTP against the real app, and checks the
refusal and that the BAP's quota (``RateLimit`` remaining on the real gateway's next check)
and events are untouched.

Gateways are trusted to name the BAP; a BPP speaks for a BAP only with the BAP's own signed
request (``bap_request``), which the service verifies with the BAP's registry key.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.antiabuse.beckn import forwarded, request_body, search_body
from uei.antiabuse.scraping.events import Funnel, Search
from uei.antiabuse.stores import AbuseStores
from uei.registry.model import ParticipantType
from uei.trust import generate_key_set
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

LIMIT = 20
WINDOW = 3600.0
"""The BAP's search rule: 20 an hour, one unit back every 180 s, so the harness clock (one
second per request) refills nothing during a test and ``remaining`` counts every spend."""
QUOTAS: dict[str, Any] = {
    "tiers": {
        "default": {
            "search": {"limit": LIMIT, "window_seconds": WINDOW},
            "select": {"limit": LIMIT, "window_seconds": WINDOW},
            "init": {"limit": 2},
            "confirm": {"limit": 2},
            "status": {"limit": 2},
            "cancel": {"limit": 2},
        }
    },
    "relays": {"overrides": {"greedy-cpo.example": {"limit": 3, "window_seconds": WINDOW}}},
}
GPS = {"gps": "12.971600,77.594600", "radius_km": 5}


def _bap(name: str) -> Participant:
    return Participant(name, type=ParticipantType.BAP, url=f"https://{name}/beckn")


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Caller:
    h: Harness
    p: Participant

    async def post(self, path: str, body: Any) -> httpx.Response:
        raw = json.dumps(body).encode()
        return await self.h.signed("POST", path, self.p.keys, self.p.subscriber_id, raw)

    async def check(self, body: dict[str, Any]) -> httpx.Response:
        return await self.post("/abuse/quota/check", body)


@dataclass
class World:
    h: Harness
    app: Participant
    """The victim BAP."""
    rival_app: Participant
    """Another BAP, which signs requests naming the victim."""
    bg: Caller
    rogue: Caller
    """A BPP: a CPO that competes with the CPOs the victim's users compare."""
    cpo: Caller
    """An honest BPP, forwarding the requests the victim sent it."""
    greedy: Caller
    """A BPP with a relay rule of its own: 3 calls an hour."""
    serial: int = 0

    @property
    def store(self) -> AbuseStores:
        store: AbuseStores = self.h.app.state.stores
        return store

    def fresh(self) -> str:
        self.serial += 1
        return f"m-{self.serial}"

    def signed_search(self, message_id: str, **fields: Any) -> dict[str, str]:
        """The victim's own search, signed now, as a BPP receives it."""
        body = search_body(self.app.subscriber_id, message_id, **fields)
        return forwarded(body, self.app.keys, self.app.subscriber_id, self.h.clock())

    async def gateway_check(self) -> httpx.Response:
        """The real gateway relays one of the victim's searches."""
        body = {"bap_id": "app.example", "action": "search", "message_id": self.fresh()}
        answer = await self.bg.check(body | {"search": GPS})
        assert answer.status_code == 200, answer.text
        return answer

    async def events(self) -> list[Any]:
        found = await self.store.events.events(
            "app.example", self.h.clock() - 86_400, self.h.clock() + 1
        )
        return list(found)


def remaining(answer: httpx.Response) -> int:
    """``r`` of the ``RateLimit`` header: where the BAP stands after this check."""
    return int(answer.headers["RateLimit"].split(";r=")[1].split(";")[0])


def refused(answer: httpx.Response, status: int, path: str, fragment: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["message"]["ack"]["status"] == "NACK", body
    assert body["error"]["path"] == path, body
    assert fragment in body["error"]["message"], body


async def _world(store_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async with running(store_url, tmp_path, quotas=QUOTAS) as h:
        app, rival = _bap("app.example"), _bap("rival-app.example")
        callers = {}
        for name, kind in [
            ("bg.example", ParticipantType.BG),
            ("rogue-cpo.example", ParticipantType.BPP),
            ("cpo.example", ParticipantType.BPP),
            ("greedy-cpo.example", ParticipantType.BPP),
        ]:
            participant = Participant(name, type=kind, url=f"https://{name}/beckn")
            await h.enrol(participant)
            callers[name] = Caller(h, participant)
        for bap in (app, rival):
            await h.enrol(bap)
        yield World(
            h,
            app,
            rival,
            callers["bg.example"],
            callers["rogue-cpo.example"],
            callers["cpo.example"],
            callers["greedy-cpo.example"],
        )


@pytest.fixture
async def world(store_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """On every backend: SQLite, a real Redis, a real Redis Cluster."""
    async for w in _world(store_url, tmp_path):
        yield w


@pytest.fixture
async def sqlite_world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in _world(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path):
        yield w


# --- (a) a rogue BPP floods checks naming a rival's BAP -------------------------------------


async def test_a_rogue_bpp_cannot_spend_a_rival_baps_quota(world: World) -> None:
    """The attack that made 18 of the real gateway's 21 checks fail: a BPP checking at a high
    rate in the BAP's name, on its own word. Every one is refused, and the gateway's checks
    for that BAP go on passing with the BAP's quota as the gateway alone left it."""
    before = remaining(await world.gateway_check())
    assert before == LIMIT - 1
    flood = [
        await world.rogue.check(
            {"bap_id": "app.example", "action": "search", "message_id": f"x-{i}", "search": GPS}
        )
        for i in range(40)
    ]
    for answer in flood:
        refused(answer, 403, "bap_request", "forwarding the BAP's own signed request")
    # nor with a request it signed itself, or one the rival app signed in the victim's name
    own = forwarded(
        search_body("app.example", "x-own"),
        world.rogue.p.keys,
        "rogue-cpo.example",
        world.h.clock(),
    )
    refused(
        await world.rogue.check({"bap_request": own}),
        403,
        "bap_request.authorization",
        "rogue-cpo.example is not a subscribed BAP",
    )
    rival = forwarded(
        search_body("app.example", "x-rival"),
        world.rival_app.keys,
        "rival-app.example",
        world.h.clock(),
    )
    refused(
        await world.rogue.check({"bap_request": rival}),
        403,
        "bap_request.authorization",
        "signed by rival-app.example but its context.bap_id is app.example",
    )
    after = [remaining(await world.gateway_check()) for _ in range(3)]
    assert after == [before - 1, before - 2, before - 3]  # only the gateway's own checks
    assert len(await world.events()) == 4  # the gateway's four searches, nothing of the flood


# --- (b) a rogue BPP uploads fake searches ---------------------------------------------------


async def test_a_rogue_bpp_cannot_poison_a_rival_baps_score(world: World) -> None:
    """Fake grid-sweep searches in the BAP's name, uploaded as events, drove its score to 1.0
    with flag and coarsen applied. Refused whole; nothing reaches the BAP's features."""
    t = world.h.clock() - 3000
    sweep = [
        {
            "type": "search",
            "bap_id": "app.example",
            "message_id": f"fake-{i}",
            "at": _iso(t + i),
            "search": {
                "gps": f"{12.9 + (i % 10) * 0.01:.4f},{77.5 + (i // 10) * 0.01:.4f}",
                "radius_km": 1,
            },
        }
        for i in range(200)
    ]
    answer = await world.rogue.post("/abuse/events", {"events": sweep})
    refused(answer, 403, "events[0].bap_request", "forwarding the BAP's own signed request")
    # one genuine forwarded search first does not carry the rest
    genuine = {"bap_request": world.signed_search("real-1")}
    answer = await world.rogue.post("/abuse/events", {"events": [genuine, *sweep[:5]]})
    refused(answer, 403, "events[1].bap_request", "forwarding the BAP's own signed request")
    assert await world.events() == []
    await world.h.app.state.scorer.run()
    report = await world.h.as_operator("GET", "/abuse/baps/app.example")
    assert report.status_code == 200, report.text
    assert report.json()["verdict"] is None
    # the same log from the gateway is recorded (gateways are trusted)
    logged = await world.bg.post("/abuse/events", {"events": sweep[:5]})
    assert logged.json() == {"received": 5, "recorded": 5}


# --- (c) a BPP forwarding the BAP's own request ----------------------------------------------


async def test_a_forwarded_signed_search_is_counted_against_that_bap(world: World) -> None:
    before = remaining(await world.gateway_check())
    signed = world.signed_search("s-1", gps="12.990000,77.610000", radius=("2500", "m"))
    answer = await world.cpo.check({"bap_request": signed})
    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "allow"
    assert answer.json()["rule"] == "search.default"
    assert remaining(answer) == before - 1
    searches = [e for e in await world.events() if isinstance(e, Search)]
    mine = [e for e in searches if e.via == "cpo.example"]
    assert [(e.lat, e.lon, e.radius_km) for e in mine] == [(12.99, 77.61, 2.5)]
    # the same signed request again (a retry, or another BPP it was broadcast to) is free,
    # and so is the gateway's check of the same search
    again = await world.cpo.check({"bap_request": signed})
    assert (again.json()["duplicate"], remaining(again)) == (True, before - 1)
    other = await world.rogue.check({"bap_request": signed})
    assert (other.status_code, other.json()["duplicate"]) == (200, True)
    same = {"bap_id": "app.example", "action": "search", "message_id": "s-1"}
    by_gateway = await world.bg.check(same | {"search": {"gps": "12.99,77.61", "radius_km": 2.5}})
    assert by_gateway.json()["duplicate"] is True
    # stating what the BAP signed is allowed; a wide search costs more; none costs the base
    stated = {"bap_id": "app.example", "message_id": "s-2", "action": "search"}
    wide = world.signed_search("s-2", radius=(25, "km"))
    answer = await world.cpo.check({"bap_request": wide, **stated})
    assert (answer.json()["cost"], remaining(answer)) == (5, before - 6)
    anywhere = world.signed_search("s-3", gps=None)
    answer = await world.cpo.check({"bap_request": anywhere})
    assert (answer.status_code, answer.json()["cost"]) == (200, 1)
    assert len(await world.events()) == 3  # the gateway's, s-1 and s-2: s-3 has no centre


async def test_a_bpp_reports_the_funnel_steps_the_bap_signed(world: World) -> None:
    """A select sent to the BPP: checked against the BAP's select rule and recorded at the
    time the BAP signed it, with the CPO its context names."""
    signed_at = world.h.clock()
    body = request_body("app.example", "sel-1", "select", bpp_id="cpo.example")
    select = forwarded(body, world.app.keys, "app.example", signed_at)
    checked = await world.cpo.check({"bap_request": select})
    assert (checked.status_code, checked.json()["rule"]) == (200, "select.default")
    event = {"bap_request": select, "location_id": "L1"}
    answer = await world.cpo.post("/abuse/events", {"events": [event]})
    assert answer.json() == {"received": 1, "recorded": 1}, answer.text
    [funnel] = await world.events()
    assert isinstance(funnel, Funnel)
    assert (funnel.at, funnel.bpp_id, funnel.location_id) == (signed_at, "cpo.example", "L1")
    # a request the BAP addressed to another CPO is not this BPP's to report
    elsewhere = forwarded(
        request_body("app.example", "sel-2", "select", bpp_id="cpo.example"),
        world.app.keys,
        "app.example",
        world.h.clock(),
    )
    answer = await world.rogue.post("/abuse/events", {"events": [{"bap_request": elsewhere}]})
    refused(answer, 403, "events[0].bap_request.body", "addressed this request to cpo.example")
    assert len(await world.events()) == 1


# --- (d) a forwarded request that does not hold ----------------------------------------------


def _altered(w: World) -> dict[str, Any]:
    signed = w.signed_search("d-1")
    wider = search_body("app.example", "d-1", radius=("50", "km"))
    return {"bap_request": signed | {"body": base64.b64encode(json.dumps(wider).encode()).decode()}}


def _expired(w: World) -> dict[str, Any]:
    now = int(w.h.clock())
    body = search_body("app.example", "d-1")
    return {"bap_request": forwarded(body, w.app.keys, "app.example", now - 120, expires=now - 60)}


def _future(w: World) -> dict[str, Any]:
    later = int(w.h.clock()) + 120
    body = search_body("app.example", "d-1")
    return {"bap_request": forwarded(body, w.app.keys, "app.example", later)}


def _long_lived(w: World) -> dict[str, Any]:
    now = int(w.h.clock())
    body = search_body("app.example", "d-1")
    signed = forwarded(body, w.app.keys, "app.example", now, expires=now + 86_400)
    return {"bap_request": signed}


def _another_bap(w: World) -> dict[str, Any]:
    body = search_body("app.example", "d-1")
    return {"bap_request": forwarded(body, w.rival_app.keys, "rival-app.example", w.h.clock())}


def _forged(w: World) -> dict[str, Any]:
    """The victim's keyId, another key."""
    body = search_body("app.example", "d-1")
    keys = generate_key_set(w.app.keys.unique_key_id)
    signed = forwarded(body, keys, "app.example", w.h.clock())
    return {"bap_request": signed}


def _stated(**fields: Any) -> Any:
    def build(w: World) -> dict[str, Any]:
        return {"bap_request": w.signed_search("d-1"), **fields}

    return build


def _raw(body: bytes) -> Any:
    def build(w: World) -> dict[str, Any]:
        return {"bap_request": forwarded(body, w.app.keys, "app.example", w.h.clock())}

    return build


def _not_base64(w: World) -> dict[str, Any]:
    return {"bap_request": w.signed_search("d-1") | {"body": "not base64!"}}


@pytest.mark.parametrize(
    ("build", "status", "path", "fragment"),
    [
        pytest.param(
            _altered, 403, "bap_request.authorization", "signature mismatch", id="altered"
        ),
        pytest.param(_expired, 403, "bap_request.authorization", "expired", id="expired"),
        pytest.param(_future, 403, "bap_request.authorization", "not yet valid", id="future"),
        pytest.param(
            _long_lived, 403, "bap_request.authorization", "at most 3600 s", id="long-lived"
        ),
        pytest.param(
            _another_bap,
            403,
            "bap_request.authorization",
            "signed by rival-app.example but its context.bap_id is app.example",
            id="another-bap",
        ),
        pytest.param(_forged, 403, "bap_request.authorization", "signature mismatch", id="forged"),
        pytest.param(
            _stated(bap_id="rival-app.example"), 400, "bap_id", "says app.example", id="bap_id"
        ),
        pytest.param(_stated(message_id="d-2"), 400, "message_id", "says d-1", id="message_id"),
        pytest.param(_stated(action="select"), 400, "action", "says search", id="action"),
        pytest.param(
            _stated(search={"gps": "12.971600,77.594600", "radius_km": 1}),
            400,
            "search",
            "searches 12.971600,77.594600 within 5 km",
            id="search",
        ),
        pytest.param(_stated(user_ref="u-1"), 400, "user_ref", "only a gateway", id="user_ref"),
        pytest.param(_not_base64, 400, "bap_request.body", "not valid base64", id="not-base64"),
        pytest.param(
            _raw(b'{"message": {}}'),
            400,
            "bap_request.body",
            "not a Beckn request",
            id="no-context",
        ),
        pytest.param(
            _raw(json.dumps(request_body("app.example", "d-1", "update")).encode()),
            400,
            "bap_request.body",
            "'update' is not one quotas cover",
            id="action-not-covered",
        ),
        pytest.param(
            _raw(json.dumps(search_body("app.example", "d-1", radius=("5", "mi"))).encode()),
            400,
            "bap_request.body",
            "radius.unit is 'mi'",
            id="radius-unit",
        ),
        pytest.param(
            _raw(
                json.dumps(search_body("app.example", "d-1", bpp_id="rogue-cpo.example")).encode()
            ),
            403,
            "bap_request.body",
            "addressed this request to rogue-cpo.example",
            id="addressed-elsewhere",
        ),
    ],
)
async def test_a_forwarded_request_that_does_not_hold_is_refused_and_counts_nothing(
    sqlite_world: World, build: Any, status: int, path: str, fragment: str
) -> None:
    w = sqlite_world
    refused(await w.cpo.check(build(w)), status, path, fragment)
    assert remaining(await w.gateway_check()) == LIMIT - 1  # the gateway's check: the first
    assert len(await w.events()) == 1


async def test_a_suspended_bap_or_a_revoked_key_speaks_for_nobody(sqlite_world: World) -> None:
    """Key validity as for any signature: the registry's view, on every replica."""
    w = sqlite_world
    rival = w.rival_app
    signed = forwarded(
        search_body("rival-app.example", "k-1"), rival.keys, "rival-app.example", w.h.clock()
    )
    revoke = f"/admin/subscribers/rival-app.example/keys/{rival.keys.unique_key_id}/revoke"
    assert (await w.h.as_operator("POST", revoke)).status_code == 200
    await w.h.registry.sync()
    refused(await w.cpo.check({"bap_request": signed}), 403, "bap_request.authorization", "revoked")
    signed = w.signed_search("k-2")
    assert (await w.h.as_operator("POST", "/admin/subscribers/app.example/suspend")).is_success
    await w.h.registry.sync()
    refused(
        await w.cpo.check({"bap_request": signed}),
        403,
        "bap_request.authorization",
        "app.example is not a subscribed BAP",
    )
    assert await w.events() == []


async def test_a_forwarded_event_that_does_not_hold_records_nothing(sqlite_world: World) -> None:
    w = sqlite_world
    good = {"bap_request": w.signed_search("e-1")}
    for bad, status, path, fragment in [
        (_altered(w), 403, "events[1].bap_request.authorization", "signature mismatch"),
        (_another_bap(w), 403, "events[1].bap_request.authorization", "signed by rival-app"),
        ({**good, "message_id": "e-9"}, 400, "events[1].message_id", "says e-1"),
        ({**good, "type": "select"}, 400, "events[1].type", "says search"),
        ({**good, "via": "bg.example"}, 400, "events[1].via", "only what it relayed itself"),
        ({**good, "user_ref": "u-1"}, 400, "events[1].user_ref", "only a gateway"),
        (
            {**good, "at": _iso(w.h.clock() - 7200)},
            400,
            "events[1].at",
            "outside the BAP's signature",
        ),
    ]:
        answer = await w.cpo.post("/abuse/events", {"events": [good, bad]})
        refused(answer, status, path, fragment)
    assert await w.events() == []
    accepted = await w.cpo.post("/abuse/events", {"events": [good]})
    assert accepted.json() == {"received": 1, "recorded": 1}


# --- (e) a relay over its own rule ------------------------------------------------------------


async def test_a_relay_over_its_own_rule_is_refused_before_any_bap_quota(world: World) -> None:
    before = remaining(await world.gateway_check())
    answers = [
        await world.greedy.check({"bap_request": world.signed_search(f"g-{i}")}) for i in range(5)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert remaining(answers[2]) == before - 3
    over = answers[3]
    body = over.json()
    assert over.headers["content-type"].startswith("application/problem+json")
    assert body["type"].endswith("#quota-exceeded")
    assert body["error"]["code"] == "50001"
    assert "relay quota relay.greedy-cpo.example: 3 per 3600 s" in body["error"]["message"]
    assert over.headers["RateLimit-Policy"] == '"relay.greedy-cpo.example";q=3;w=3600'
    assert over.headers["RateLimit"].startswith('"relay.greedy-cpo.example";r=0;')
    assert int(over.headers["Retry-After"]) > 1000
    # the refused calls took nothing from the BAP and recorded nothing
    assert remaining(await world.gateway_check()) == before - 4
    assert len(await world.events()) == 1 + 3 + 1
    # uploads count against the same rule, one unit per event
    upload = await world.greedy.post(
        "/abuse/events", {"events": [{"bap_request": world.signed_search("g-9")}]}
    )
    assert upload.status_code == 429
    # metered before its body is read: a flood of malformed calls is metered too
    assert (await world.greedy.check({"colour": "red"})).status_code == 429
    # other relays are not affected: each has its own
    assert (await world.cpo.check({"bap_request": world.signed_search("c-1")})).status_code == 200


async def _gateway_checks(tmp_path: Path, quotas: dict[str, Any], n: int) -> list[httpx.Response]:
    """``n`` searches a gateway checks for one BAP, on one replica over SQLite."""
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, quotas=quotas) as h:
        await h.enrol(_bap("app.example"))
        bg = Participant("bg.example", type=ParticipantType.BG, url="https://bg.example/beckn")
        await h.enrol(bg)
        gateway = Caller(h, bg)
        return [
            await gateway.check(
                {"bap_id": "app.example", "action": "search", "message_id": f"m{i}", "search": GPS}
            )
            for i in range(n)
        ]


async def test_every_relay_is_metered_gateways_too(tmp_path: Path) -> None:
    quotas = QUOTAS | {"relays": {"gateway": {"limit": 2, "window_seconds": WINDOW}}}
    checks = await _gateway_checks(tmp_path, quotas, 3)
    assert [c.status_code for c in checks] == [200, 200, 429]
    assert checks[0].headers["RateLimit-Policy"] == f'"search.default";q={LIMIT};w=3600'
    assert checks[2].headers["RateLimit-Policy"] == '"relay.gateway";q=2;w=3600'


@pytest.mark.parametrize(("shared", "admitted"), [(False, 2), (True, 4)])
async def test_a_relays_rule_is_each_replicas_share_unless_shared_in_the_store(
    tmp_path: Path, shared: bool, admitted: int
) -> None:
    """``relays.shared: false`` (shipped): each of 2 replicas admits half the rule on its own,
    with nothing in the store; ``true``: one bucket in the store holds the whole rule."""
    relays = {"gateway": {"limit": 4, "window_seconds": WINDOW}, "shared": shared}
    quotas = QUOTAS | {"relays": relays, "replicas": 2}
    checks = await _gateway_checks(tmp_path, quotas, 5)
    assert [c.status_code for c in checks] == [200] * admitted + [429] * (5 - admitted)
    with sqlite3.connect(tmp_path / "uei.db") as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM quota_buckets")]
    assert any(k.startswith("relay\x00") for k in keys) is shared
