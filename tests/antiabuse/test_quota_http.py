"""Quota checks, events and BAP verdicts through the real app with real signatures."""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.antiabuse.beckn import forwarded, search_body
from tests.antiabuse.dump import stored_text
from uei.antiabuse.scraping.policy import (
    ActionBand,
    Actions,
    ScrapingAction,
    ScrapingPolicy,
    ThrottleBand,
)
from uei.antiabuse.scraping.scorer import Scorer
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureNote
from uei.antiabuse.stores import AbuseStores
from uei.registry.model import ParticipantType
from uei.trust import sign_header
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running
from uei_testing.redis_servers import RedisServer

pytestmark = pytest.mark.anyio

QUOTAS: dict[str, Any] = {
    "tiers": {
        "default": {
            "search": {"limit": 3, "window_seconds": 30},
            "select": {"limit": 2, "window_seconds": 60},
            "init": {"limit": 2},
            "confirm": {"limit": 2},
            "status": {"limit": 2},
            "cancel": {"limit": 2},
        },
        "large": {"search": {"limit": 100, "window_seconds": 60}},
    },
    "members": {"big.example": "large"},
    "overrides": {"big.example": {"select": {"limit": 7, "shadow": True}}},
}
GPS = {"gps": "12.971600,77.594600", "radius_km": 5}
APP = Participant("app.example", type=ParticipantType.BAP, url="https://app.example/beckn")
"""The BAP most tests check (its keys sign the requests a BPP forwards)."""


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


class Relay:
    """A BG (or BPP) on the search path, signing its calls."""

    def __init__(self, h: Harness, participant: Participant) -> None:
        self.h, self.p = h, participant

    async def post(self, path: str, body: Any) -> httpx.Response:
        raw = json.dumps(body).encode()
        return await self.h.signed("POST", path, self.p.keys, self.p.subscriber_id, raw)

    async def check(
        self, message_id: str, *, bap: str = "app.example", action: str = "search", **extra: Any
    ) -> httpx.Response:
        body: dict[str, Any] = {"bap_id": bap, "action": action, "message_id": message_id}
        if action == "search":
            body["search"] = GPS
        body.update(extra)
        return await self.post("/abuse/quota/check", body)

    async def forward(
        self, message_id: str, *, bap: Participant = APP, **extra: Any
    ) -> httpx.Response:
        """Check the BAP's own signed search, as a BPP must."""
        signed = search_body(bap.subscriber_id, message_id)
        request = forwarded(signed, bap.keys, bap.subscriber_id, self.h.clock())
        return await self.post("/abuse/quota/check", {"bap_request": request, **extra})


async def participant(h: Harness, name: str, kind: ParticipantType) -> Participant:
    p = Participant(name, type=kind, url=f"https://{name}/beckn")
    await h.enrol(p)
    return p


@pytest.fixture
async def h(store_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(store_url, tmp_path, quotas=QUOTAS) as harness:
        await harness.enrol(APP)
        for bap in ("big.example", "other.example"):
            await participant(harness, bap, ParticipantType.BAP)
        yield harness


@pytest.fixture
async def bg(h: Harness) -> Relay:
    return Relay(h, await participant(h, "bg.example", ParticipantType.BG))


def store_of(h: Harness) -> AbuseStores:
    store: AbuseStores = h.app.state.stores
    return store


async def test_quota_allows_the_burst_then_refuses_with_headers_and_a_problem(
    h: Harness, bg: Relay
) -> None:
    answers = [await bg.check(f"m{i}") for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    first = answers[0]
    assert first.headers["RateLimit-Policy"] == '"search.default";q=3;w=30'
    assert first.headers["RateLimit"] == '"search.default";r=2;t=10'
    assert "Retry-After" not in first.headers
    assert first.json()["decision"] == "allow"
    assert first.json()["path"] == "store"
    refused = answers[3]
    body = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["Retry-After"] == "7"  # 3 of the 10 s to the next unit have passed
    assert refused.headers["RateLimit"].startswith('"search.default";r=0;')
    assert body["decision"] == "deny"
    assert body["type"].endswith("#quota-exceeded")
    assert body["status"] == 429
    assert body["message"]["ack"]["status"] == "NACK"
    assert body["error"]["code"] == "50001"
    assert "search.default: 3 per 30 s" in body["reasons"][0]
    h.clock.advance(10)  # one unit refills (the harness moves 1 s per request as well)
    assert (await bg.check("m5")).status_code == 200
    assert (await bg.check("m6")).status_code == 429


async def test_the_same_message_id_counts_once(h: Harness, bg: Relay) -> None:
    first = (await bg.check("m1")).json()
    again = (await bg.check("m1")).json()
    assert (first["remaining"], first["duplicate"]) == (2, False)
    assert (again["remaining"], again["duplicate"], again["decision"]) == (2, True, "allow")
    assert (await bg.check("m2")).json()["remaining"] == 1
    searches = await store_of(h).events.events("app.example", h.clock() - 7200, h.clock() + 1)
    assert len(searches) == 2


async def test_an_old_message_id_on_a_new_request_is_a_new_check(h: Harness, bg: Relay) -> None:
    """The BAP picks message ids: reusing one for another search or action is not a retry."""
    await bg.check("m1")
    moved = await bg.check("m1", search={"gps": "12.99,77.60", "radius_km": 5})
    assert (moved.json()["duplicate"], moved.json()["remaining"]) == (False, 1)
    select = await bg.check("m1", action="select")
    assert (select.json()["duplicate"], select.json()["rule"]) == (False, "select.default")
    assert len(await store_of(h).events.events("app.example", h.clock() - 7200, h.clock() + 1)) == 2


async def test_a_wide_search_costs_more(h: Harness, bg: Relay) -> None:
    wide = await bg.check("m1", search={"gps": "12.97,77.59", "radius_km": 10})
    assert wide.json()["cost"] == 2  # 1 + (10 - 5 km) * 0.2
    assert wide.json()["remaining"] == 1
    wider = await bg.check("m2", search={"gps": "12.97,77.59", "radius_km": 25})
    assert wider.status_code == 429
    assert wider.json()["cost"] == 5


async def test_the_most_specific_rule_wins_and_shadow_rules_allow(h: Harness, bg: Relay) -> None:
    big = await bg.check("m1", bap="big.example")
    assert big.headers["RateLimit-Policy"] == '"search.large";q=100;w=60'
    # the large tier names no init rule: the default tier's applies
    init = await bg.check("m2", bap="big.example", action="init")
    assert init.json()["rule"] == "init.default"
    # the override wins over the tier, and it is in shadow: never refused, but says so
    answers = [(await bg.check(f"s{i}", bap="big.example", action="select")) for i in range(8)]
    assert [a.status_code for a in answers] == [200] * 8
    assert answers[0].headers["RateLimit-Policy"] == '"select.big.example";q=7;w=60'
    assert answers[6].json().get("shadow_decision") is None
    assert answers[7].json()["shadow_decision"] == "deny"
    # quotas are per BAP: app.example still has its own
    assert (await bg.check("m3", bap="app.example")).json()["remaining"] == 2


async def test_only_a_bg_or_bpp_may_check_a_subscribed_bap(h: Harness, bg: Relay) -> None:
    bap = Relay(h, await participant(h, "sneaky-bap.example", ParticipantType.BAP))
    refused = await bap.check("m1")
    assert refused.status_code == 401
    bpp = Relay(h, await participant(h, "cpo.example", ParticipantType.BPP))
    bare = await bpp.check("m1")  # a BPP naming a BAP on its own word
    assert bare.status_code == 403
    assert bare.json()["error"]["path"] == "bap_request"
    assert (await bpp.forward("m1")).status_code == 200  # the BAP's own signed request
    unknown = await bg.check("m2", bap="nobody.example")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["path"] == "bap_id"
    unsigned = await h.client.post("/abuse/quota/check", json={"bap_id": "app.example"})
    assert unsigned.status_code == 401


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"search": None}, "search"),
        ({"search": {"gps": "12.97;77.59", "radius_km": 5}}, "search.gps"),
        ({"search": {"gps": "97.0,77.59", "radius_km": 5}}, "search.gps"),
        ({"search": {"gps": "12.97,77.59", "radius_km": 0}}, "search.radius_km"),
        ({"action": "sweep"}, "action"),
        ({"bap_id": "bad id"}, "bap_id"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_checks_are_named_and_cost_nothing(
    h: Harness, bg: Relay, change: dict[str, Any], path: str
) -> None:
    body: dict[str, Any] = {"bap_id": "app.example", "action": "search", "message_id": "m1"}
    body["search"] = GPS
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    answer = await bg.post("/abuse/quota/check", body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["path"] == path
    assert (await bg.check("m2")).json()["remaining"] == 2


def wire(kind: str, message_id: str, at: float, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "bap_id": "app.example",
        "message_id": message_id,
        "at": iso(at),
    }
    if kind == "search":
        event["search"] = GPS
    else:
        event |= {"bpp_id": "cpo.example", "location_id": "L1"}
    return event | extra


async def test_events_are_recorded_once_on_event_time(h: Harness, bg: Relay) -> None:
    t = h.clock() - 600
    batch = [wire("search", "m1", t), wire("select", "m1", t + 5), wire("confirm", "m1", t + 9)]
    first = await bg.post("/abuse/events", {"events": batch})
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 3, "recorded": 3}
    again = await bg.post("/abuse/events", {"events": batch})
    assert again.json() == {"received": 3, "recorded": 0}
    # a search the gateway checked is not counted again when it uploads its log
    await bg.check("m2")
    logged = await bg.post("/abuse/events", {"events": [wire("search", "m2", h.clock())]})
    assert logged.json()["recorded"] == 0
    found = await store_of(h).events.events("app.example", t - 1, h.clock() + 1)
    assert [e.at for e in found][:3] == [t, t + 5, t + 9]
    assert len(found) == 4


async def test_a_batch_with_one_bad_event_is_refused_whole(h: Harness, bg: Relay) -> None:
    t = h.clock() - 600
    bad = wire("select", "m2", t)
    del bad["location_id"]
    answer = await bg.post("/abuse/events", {"events": [wire("search", "m1", t), bad]})
    assert answer.status_code == 400
    assert answer.json()["error"]["path"] == "events[1].location_id"
    stranger = wire("search", "m3", t, bap_id="nobody.example")
    answer = await bg.post("/abuse/events", {"events": [wire("search", "m1", t), stranger]})
    assert answer.status_code == 404
    assert answer.json()["error"]["path"] == "events[1].bap_id"
    naive = wire("search", "m1", t) | {"at": "2026-11-02T10:00:00"}
    answer = await bg.post("/abuse/events", {"events": [naive]})
    assert answer.status_code == 400
    assert answer.json()["error"]["path"] == "events[0].at"
    assert await store_of(h).events.events("app.example", h.clock() - 7200, h.clock() + 1) == []
    too_many = [wire("search", f"m{i}", t) for i in range(1001)]
    assert (await bg.post("/abuse/events", {"events": too_many})).status_code == 400


PAST_CACHE = ScrapingPolicy().verdict_cache_seconds + 1
"""Seconds after which a replica reads a BAP's verdict again."""


def verdict(
    h: Harness, *actions: ScrapingAction, shadow: tuple[ScrapingAction, ...] = ()
) -> BapVerdict:
    return BapVerdict(
        bap_id="app.example",
        scored_at=h.clock(),
        window_start=h.clock() - 3600,
        window_end=h.clock(),
        score=0.97,
        actions=list(actions),
        shadow_actions=list(shadow),
        throttle_scale=0.34,
        searches=5000,
        top=[FeatureNote("lattice_regularity", 0.99, 0.05, 0.41, "grid sweep")],
        features={"lattice_regularity": 0.99},
    )


async def test_verdicts_apply_to_checks(h: Harness, bg: Relay) -> None:
    store = store_of(h)
    await store.verdicts.save_pass(
        [verdict(h, ScrapingAction.FLAG, ScrapingAction.COARSEN)], [], 5, 0
    )
    h.clock.advance(PAST_CACHE)  # past the verdict cache
    answer = (await bg.check("m1")).json()
    assert (answer["verdict"], answer["coarsen"], answer["decision"]) == ("coarsen", True, "allow")
    assert "lattice_regularity 0.99 (network 0.05..0.41)" in answer["reasons"][0]
    await store.verdicts.save_pass([verdict(h, ScrapingAction.THROTTLE)], [], 5, 0)
    h.clock.advance(PAST_CACHE)
    throttled = await bg.check("m2")
    assert throttled.headers["RateLimit-Policy"] == '"search.default";q=1;w=30'  # 3 * 0.34
    await store.verdicts.save_pass(
        [verdict(h, ScrapingAction.FLAG, shadow=(ScrapingAction.BLOCK,))], [], 5, 0
    )
    h.clock.advance(60)
    shadowed = (await bg.check("m3")).json()
    assert (shadowed["decision"], shadowed["shadow_verdict"]) == ("allow", "block")
    await store.verdicts.save_pass([verdict(h, ScrapingAction.BLOCK)], [], 5, 0)
    h.clock.advance(PAST_CACHE)
    blocked = await bg.check("m4")
    assert blocked.status_code == 429
    assert blocked.json()["type"].endswith("#abnormal-usage-detected")
    assert blocked.json()["error"]["code"] == "50002"
    assert int(blocked.headers["Retry-After"]) >= 60
    # the search is still recorded, so the next pass sees whether the BAP stopped
    assert len(await store.events.events("app.example", h.clock() - 7200, h.clock() + 1)) == 4


async def test_a_bap_report_is_for_operators_and_that_bap(h: Harness, bg: Relay) -> None:
    app = Participant("app.example", type=ParticipantType.BAP)
    assert (await h.as_operator("GET", "/abuse/baps/app.example")).json()["verdict"] is None
    await store_of(h).verdicts.save_pass([verdict(h, ScrapingAction.FLAG)], [], 5, 0)
    await store_of(h).verdicts.save_pass([verdict(h, ScrapingAction.COARSEN)], [], 5, 0)
    report = (await h.as_operator("GET", "/abuse/baps/app.example")).json()
    assert report["verdict"]["actions"] == ["coarsen"]
    assert [v["actions"] for v in report["history"]] == [["flag"]]
    assert report["verdict"]["top"][0]["name"] == "lattice_regularity"
    assert report["quotas"]["search"] == "3 per 30 s (search.default)"
    other = await participant(h, "nosy.example", ParticipantType.BAP)
    nosy = await h.signed("GET", "/abuse/baps/app.example", other.keys, other.subscriber_id)
    assert nosy.status_code == 403
    assert (await h.client.get("/abuse/baps/app.example")).status_code == 401
    del app


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("allow", [200] * 3), ("deny", [429] * 3), ("local", [200, 429, 429])],
)
@pytest.mark.redis
async def test_an_unreachable_store_follows_each_rules_failure_mode_then_recovers(
    tmp_path: Path, mode: str, expected: list[int]
) -> None:
    quotas = {
        "tiers": {
            "default": {
                **QUOTAS["tiers"]["default"],
                "search": {
                    "limit": 4,
                    "window_seconds": 60,
                    "on_store_error": mode,
                },
            }
        },
        "replicas": 4,  # the local share: one each
        # Redis is killed (refused at once), not hung: the timeout only has to outlast a
        # busy machine's ordinary calls, so the checks before and after take the store path
        "store_timeout_ms": 2000,
    }
    with RedisServer(aof=True) as server:
        async with running(server.url, tmp_path, quotas=quotas) as h:
            await participant(h, "app.example", ParticipantType.BAP)
            bg = Relay(h, await participant(h, "bg.example", ParticipantType.BG))
            assert (await bg.check("m0")).json()["path"] == "store"
            server.kill()
            answers = [await bg.check(f"m{i}") for i in range(1, 4)]
            assert [a.status_code for a in answers] == expected
            paths = {a.json()["path"] for a in answers}
            assert paths == {"local" if mode == "local" else f"{mode}-on-error"}
            readiness = await h.client.get("/readyz")
            assert readiness.status_code == 503
            server.restart()  # same port, AOF reloaded: the service reconnects by itself
            assert (await h.client.get("/readyz")).status_code == 200
            back = await bg.check("m9")
            assert (back.status_code, back.json()["path"]) == (200, "store")


@pytest.mark.redis
async def test_a_replayed_check_is_refused_while_the_store_is_down(tmp_path: Path) -> None:
    """The check marks its signature in its own store step; while the store does not answer,
    this replica's own guard refuses a replay, of a check sent before the outage or during it."""
    quotas = QUOTAS | {"store_timeout_ms": 2000}  # Redis is killed, not hung: refused at once
    with RedisServer(aof=True) as server:
        async with running(server.url, tmp_path, quotas=quotas) as h:
            await participant(h, "app.example", ParticipantType.BAP)
            bg = await participant(h, "bg.example", ParticipantType.BG)

            def signed(message_id: str) -> tuple[bytes, dict[str, str]]:
                h.clock.advance(1)
                body = json.dumps(
                    {"bap_id": "app.example", "action": "search", "message_id": message_id}
                    | {"search": GPS}
                ).encode()
                header = sign_header(
                    body,
                    bg.keys.signing_key,
                    subscriber_id=bg.subscriber_id,
                    unique_key_id=bg.keys.unique_key_id,
                    created=int(h.clock()),
                )
                return body, {"Authorization": header, "Content-Type": "application/json"}

            async def send(request: tuple[bytes, dict[str, str]]) -> httpx.Response:
                return await h.client.post(
                    "/abuse/quota/check", content=request[0], headers=request[1]
                )

            before = signed("m-before")
            assert (await send(before)).status_code == 200
            assert (await send(before)).status_code == 401  # refused by the store's mark
            server.kill()
            try:
                during = signed("m-during")
                first = await send(during)
                assert first.status_code == 200, first.text
                assert first.json()["path"] == "local"
                for replay in (during, before):
                    refused = await send(replay)
                    assert refused.status_code == 401, refused.text
                    assert "replayed" in refused.json()["error"]["message"]
            finally:
                server.restart()


async def test_the_embedded_store_is_awaited_not_raced(tmp_path: Path) -> None:
    """SQLite runs each call to its end on its own worker thread: a busy machine delaying that
    thread must not turn a quota already taken into a failure-mode answer. However short the
    store timeout, the embedded store decides (the timeout is for a remote store)."""
    quotas = QUOTAS | {"store_timeout_ms": 0.001}
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, quotas=quotas) as h:
        await participant(h, "app.example", ParticipantType.BAP)
        bg = Relay(h, await participant(h, "bg.example", ParticipantType.BG))
        answers = [await bg.check(f"m{i}") for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert {a.json()["path"] for a in answers} == {"store"}


async def test_user_references_are_never_stored_raw(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Apps may use a phone number or an e-mail address as their user reference."""
    caplog.set_level(logging.DEBUG)
    refs = ["9876543210", "ravi.k@example.com"]
    async with running(store_url, tmp_path, quotas=QUOTAS) as h:
        await participant(h, "app.example", ParticipantType.BAP)
        bg = Relay(h, await participant(h, "bg.example", ParticipantType.BG))
        await bg.check("m1", user_ref=refs[0])
        event = wire("select", "m1", h.clock(), user_ref=refs[1])
        assert (await bg.post("/abuse/events", {"events": [event]})).json()["recorded"] == 1
        users = {
            e.user
            for e in await store_of(h).events.events("app.example", h.clock() - 60, h.clock() + 1)
        }
        stored = stored_text(store_url)
    assert len(users) == 2
    assert "" not in users  # the references were kept, as keyed tokens
    assert "app.example" in stored  # the dump does see the data
    for ref in refs:
        assert ref not in stored
        assert ref not in caplog.text


async def test_transaction_ids_tie_bookings_and_verdicts_say_why(
    h: Harness, bg: Relay, store_url: str
) -> None:
    """A gateway reports transaction ids: the store keeps only their digest, a pass finds the
    app's hidden lattice that never books, and the BAP's report says so in words."""
    end = h.clock()
    start = end - 6 * 3600
    events: list[dict[str, Any]] = []
    rng = random.Random(5)
    for i in range(400):  # people, a few of whom book
        t = start + i * 50
        lat, lon = rng.gauss(12.95, 0.03), rng.gauss(77.55, 0.03)
        txn = f"raw-transaction-{i}"
        search = {"gps": f"{lat:.6f},{lon:.6f}", "radius_km": 5}
        events.append(wire("search", f"p{i}", t, search=search, transaction_id=txn))
        if i % 5 == 0:
            events.append(wire("select", f"p{i}", t + 30, transaction_id=txn))
    dlon = 2.0 / (111.32 * math.cos(math.radians(12.9)))
    for i in range(200):  # and a 10x10 sweep among them, never booking
        r, c = divmod(i % 100, 10)
        search = {"gps": f"{12.8 + r * 2.0 / 110.574:.6f},{77.4 + c * dlon:.6f}", "radius_km": 3}
        events.append(
            wire(
                "search",
                f"s{i}",
                start + i * 100 + 7,
                search=search,
                transaction_id=f"raw-sweep-{i}",
            )
        )
    for i in range(0, len(events), 500):
        answer = await bg.post("/abuse/events", {"events": events[i : i + 500]})
        assert answer.status_code == 200, answer.text
    stored = await store_of(h).events.events("app.example", start - 1, end + 1)
    assert len(stored) == len(events)
    assert all(len(e.txn) == 12 for e in stored)  # a digest, never the id
    assert "raw-transaction" not in stored_text(store_url)
    policy = ScrapingPolicy(window_seconds=6 * 3600.0)
    store = store_of(h)
    await Scorer(store.events, store.verdicts, lambda: policy, h.clock).run()
    report = (await h.as_operator("GET", "/abuse/baps/app.example")).json()["verdict"]
    (reason,) = [r for r in report["reasons"] if "lattice" in r]
    assert reason.startswith("200 searches")
    assert "10x10 lattice of 2.0 km" in reason
    assert "0 of them led to a select" in reason
    assert "coarsen" in report["actions"] + report["shadow_actions"]


def _head_unit_drives(start: float, every: float, seed: int) -> list[dict[str, Any]]:
    """60 drives of a car brand's head units (``big.example``) from ``start``, one every
    ``every`` seconds: 6 refreshes 3 km apart at road speed, one transaction a drive, a tenth
    of the drives booking."""
    rng = random.Random(seed)
    km_lon = 111.32 * math.cos(math.radians(12.9))
    events: list[dict[str, Any]] = []
    for drive in range(60):
        lat, lon = rng.uniform(12.7, 13.2), rng.uniform(77.3, 77.8)
        heading = rng.uniform(0, 2 * math.pi)
        t = start + drive * every + rng.uniform(0, 60)
        txn = f"drive-{drive}"
        for step in range(6):
            heading += rng.gauss(0, 0.2)
            lat += 3.0 * math.sin(heading) / 110.574
            lon += 3.0 * math.cos(heading) / km_lon
            t += rng.uniform(170, 250)
            search = {"gps": f"{lat:.6f},{lon:.6f}", "radius_km": 5}
            events.append(
                wire(
                    "search",
                    f"c{drive}-{step}",
                    t,
                    bap_id="big.example",
                    search=search,
                    transaction_id=txn,
                )
            )
        if drive % 10 == 0:
            for kind, after in (("select", 20), ("init", 40), ("confirm", 60)):
                events.append(
                    wire(kind, f"c{drive}", t + after, bap_id="big.example", transaction_id=txn)
                )
    return events


async def _scored_with_every_band(
    h: Harness, bg: Relay, events: list[dict[str, Any]], window: float
) -> None:
    """Upload ``events`` and run one scoring pass over ``window`` with every action's band at
    0, so that only the evidence rule stands between a BAP and its actions."""
    for i in range(0, len(events), 500):
        answer = await bg.post("/abuse/events", {"events": events[i : i + 500]})
        assert answer.status_code == 200, answer.text
    every = ActionBand(at=0.0, shadow=True)
    policy = ScrapingPolicy(
        window_seconds=window,
        actions=Actions(flag=every, coarsen=every, throttle=ThrottleBand(at=0.0), block=every),
    )
    store = store_of(h)
    await Scorer(store.events, store.verdicts, lambda: policy, h.clock).run()


async def test_a_poll_whose_rounds_are_drives_is_seen_coming_back_to_the_same_sites(
    h: Harness, bg: Relay
) -> None:
    """A rival polls 6 of a competitor's chargers along a road every 10 minutes for 6 hours,
    each round one transaction at road speed (a drive, and 36 of them make a "fleet"), each
    query up to about 90 m off its site, so that no spot (about 10 m) repeats. Drives on one
    road come by the same cells; this comes back to the same places on a period, and
    throttle applies. Honest head units in the same run are not said to poll."""
    end = h.clock()
    start = end - 6 * 3600
    events = _head_unit_drives(start, every=280.0, seed=13)
    rng = random.Random(5)
    sites = [(12.905 + 0.01 * k, 77.505 + 0.003 * k) for k in (0, 1, 3, 4, 6, 8)]
    for r in range(36):
        for k, (lat, lon) in enumerate(sites):
            dlat, dlon = rng.uniform(-0.0008, 0.0008), rng.uniform(-0.0008, 0.0008)
            search = {"gps": f"{lat + dlat:.6f},{lon + dlon:.6f}", "radius_km": 3}
            at = start + r * 600.0 + 90.0 * k + 5
            txn = f"round-{r}"
            events.append(
                wire("search", f"{txn}-{k}", at, bap_id="other.example", search=search)
                | {"transaction_id": txn}
            )
    await _scored_with_every_band(h, bg, events, window=6 * 3600.0)
    said = "the same places polled on a fixed period"
    poll = (await h.as_operator("GET", "/abuse/baps/other.example")).json()["verdict"]
    assert "throttle" in poll["actions"]
    assert any(r.startswith(said) for r in poll["reasons"]), poll["reasons"]
    cars = (await h.as_operator("GET", "/abuse/baps/big.example")).json()["verdict"]
    assert not any(r.startswith(said) for r in cars["reasons"])


async def test_head_units_are_judged_by_their_trips_and_a_sweep_dressed_as_trips_is_not(
    h: Harness, bg: Relay
) -> None:
    """A car brand's head units refresh every few km on each drive, one transaction a drive,
    and book on a tenth of the drives: per search that is 1.7%, shown below the honest 3%, per
    drive it is not. A sweeper that wraps its lattice in transactions of six searches, the
    size of a drive, gains nothing: its lattice is judged by its own searches, which never
    book. Every band is set to 0, so only the evidence rule stands between a BAP and its
    actions."""
    end = h.clock()
    start = end - 6 * 3600
    events = _head_unit_drives(start, every=280.0, seed=11)
    km_lon = 111.32 * math.cos(math.radians(12.9))
    for i in range(300):  # a 10x10 lattice, three rounds, in "drives" of six searches
        r, c = divmod(i % 100, 10)
        search = {"gps": f"{12.8 + r * 2.0 / 110.574:.6f},{77.4 + c * 2.0 / km_lon:.6f}"}
        events.append(
            wire(
                "search",
                f"s{i}",
                start + i * 60 + 7,
                bap_id="other.example",
                search=search | {"radius_km": 3},
                transaction_id=f"sweep-{i // 6}",
            )
        )
    await _scored_with_every_band(h, bg, events, window=6 * 3600.0)
    cars = (await h.as_operator("GET", "/abuse/baps/big.example")).json()["verdict"]
    assert cars["actions"] == []
    assert cars["shadow_actions"] == ["flag"]
    (why,) = [r for r in cars["reasons"] if "withheld" in r]
    assert "100% of its searches are trips" in why
    assert "6 of 60 ended trips and single searches booked" in why
    sweep = (await h.as_operator("GET", "/abuse/baps/other.example")).json()["verdict"]
    assert sweep["actions"] == ["throttle"]
    assert {"coarsen", "block"} <= set(sweep["shadow_actions"])
    assert not [r for r in sweep["reasons"] if "withheld" in r]


def _parked_drives(
    bap: str, start: float, spots: list[tuple[float, float]], wait: int, *, book_every: int = 0
) -> list[dict[str, Any]]:
    """One transaction a visit to each of ``spots`` in turn, a search every 3 minutes: 5 stops
    3 km apart up the road at road speed, ``wait`` refreshes of the spot's exact centre, 3
    stops on. With ``book_every``, every so many visits book at the spot while waiting."""
    events: list[dict[str, Any]] = []
    t = start
    for visit, (lat, lon) in enumerate(spots):
        txn = f"{bap}-{visit}"
        here = [(lat - 0.027 * (5 - k), lon) for k in range(5)]
        here += [(lat, lon)] * wait
        here += [(lat + 0.027 * (k + 1), lon) for k in range(3)]
        for n, (lat_, lon_) in enumerate(here):
            t += 180.0
            search = {"gps": f"{lat_:.6f},{lon_:.6f}", "radius_km": 5}
            events.append(
                wire("search", f"{txn}-{n}", t, bap_id=bap, search=search, transaction_id=txn)
            )
            if book_every and visit % book_every == 0 and n == 5 + wait // 2:
                for kind, after in (("select", 20), ("init", 40), ("confirm", 60)):
                    events.append(
                        wire(kind, f"{txn}-{n}", t + after, bap_id=bap, transaction_id=txn)
                    )
    return events


@pytest.mark.parametrize(("wait", "visits"), [(38, 5), (13, 8)], ids=["2h", "40min"])
async def test_a_poll_parked_in_drives_at_rival_chargers_is_still_a_poll(
    h: Harness, bg: Relay, wait: int, visits: int
) -> None:
    """A rival dresses its poll as head units: each transaction drives 5 stops at road speed
    to a competitor's charger, then "waits" there refreshing that exact spot every 3 minutes
    (for 2 hours, or for 40 minutes, less than ``DWELL_S``), and drives on, visiting the
    competitor's chargers in turn over 12 hours. A vehicle's wait at a stop is no poll only
    when the unit's waits lead somewhere (some drive that waited booked): these never do, so
    every wait is the spot searched again and again, never booking, and enough of it to show
    so. Honest head units, judged by their trips, stay at a flag; so does an honest bus
    operator whose buses halt 30 minutes at an amenity and book there on every third halt."""
    end = h.clock()
    start = end - 12 * 3600
    events = _head_unit_drives(start, every=700.0, seed=12)  # honest, a tenth booking
    rivals = [(12.80, 77.40), (12.95, 77.62), (13.10, 77.45)]  # a competitor's chargers
    spots = [rivals[v % 3] for v in range(visits)]
    events += _parked_drives("other.example", start, spots, wait)
    amenities = [(12.85, 77.70), (13.05, 77.35)]
    halts = [amenities[v % 2] for v in range(12)]
    events += _parked_drives("app.example", start, halts, 10, book_every=3)  # the bus operator
    await _scored_with_every_band(h, bg, events, window=12 * 3600.0)
    for honest in ("big.example", "app.example"):
        fleet = (await h.as_operator("GET", f"/abuse/baps/{honest}")).json()["verdict"]
        assert fleet["actions"] == [], honest
    parked = (await h.as_operator("GET", "/abuse/baps/other.example")).json()["verdict"]
    assert "throttle" in parked["actions"]
    (why,) = [r for r in parked["reasons"] if "exact points" in r]
    # the rivals' spots (and, visited again and again, the stops up the road to them)
    assert "searched again and again" in why or "polling" in why


def _rounds_of_sites(
    bap: str, start: float, sites: list[tuple[float, float]], rounds: int, *, book_every: int = 0
) -> list[dict[str, Any]]:
    """One transaction a round, a round every 8-14 minutes: each of ``sites`` searched within
    seconds of the one before, from 150-450 m off it in a new direction each time, at a radius
    just wide enough to reach it. With ``book_every``, every so many rounds select a site."""
    rng = random.Random(bap)
    km_lon = 111.32 * math.cos(math.radians(12.9))
    events: list[dict[str, Any]] = []
    t = start
    for r in range(rounds):
        txn, at = f"{bap}-round-{r}", t
        for k, (lat, lon) in enumerate(sites):
            off, angle = rng.uniform(0.15, 0.45), rng.uniform(0, 2 * math.pi)
            la, lo = lat + off * math.sin(angle) / 110.574, lon + off * math.cos(angle) / km_lon
            gps = f"{la:.6f},{lo:.6f}"
            search = {"gps": gps, "radius_km": round(off + rng.uniform(0.3, 1.0), 2)}
            events.append(
                wire("search", f"{txn}-{k}", at, bap_id=bap, search=search, transaction_id=txn)
            )
            at += rng.uniform(1, 5)
        if book_every and r % book_every == 0:
            for kind, after in (("select", 30), ("init", 50), ("confirm", 70)):
                events.append(wire(kind, txn, at + after, bap_id=bap, transaction_id=txn))
        t += rng.uniform(480, 840)
    return events


def _people(bap: str, start: float, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` people round three hubs, each a transaction of one to three searches where they
    are, one in eight of them booking."""
    rng = random.Random(seed)
    hubs = [(12.97, 77.59), (12.93, 77.62), (13.03, 77.60)]
    events: list[dict[str, Any]] = []
    for p in range(n):
        lat, lon = rng.choice(hubs)
        lat, lon = lat + rng.gauss(0, 0.02), lon + rng.gauss(0, 0.02)
        t, txn = start + rng.uniform(0, 6 * 3600 - 900), f"{bap}-p{p}"
        for k in range(rng.randint(1, 3)):
            search = {"gps": f"{lat:.6f},{lon:.6f}", "radius_km": rng.choice((3, 5, 10))}
            events.append(
                wire(
                    "search",
                    f"{txn}-{k}",
                    t + 40 * k,
                    bap_id=bap,
                    search=search,
                    transaction_id=txn,
                )
            )
        if rng.random() < 0.125:
            for kind, after in (("select", 150), ("init", 170), ("confirm", 190)):
                events.append(wire(kind, txn, t + after, bap_id=bap, transaction_id=txn))
    return events


async def test_a_poll_from_points_off_the_sites_in_rounds_hidden_in_an_aggregator_is_found(
    h: Harness, bg: Relay
) -> None:
    """A rival hides its poll of a competitor's 8 chargers in an aggregator's traffic: every
    8-14 minutes one transaction asks for all 8 within seconds, each query made from 150-450 m
    off its charger in a new direction, at a radius just wide enough to reach it, so that no
    centre repeats and no cell stands out among the people's. Nobody is at 8 places km apart
    within half a minute, round after round: the rounds come back to the same places, never
    select, and the aggregator's honest bookings do not cover them. An honest depot console
    checking its own 6 chargers in rounds, and booking on every fourth, is not said to."""
    end = h.clock()
    start = end - 6 * 3600
    sites = [(12.90 + 0.03 * (k % 4), 77.50 + 0.03 * (k // 4)) for k in range(8)]
    events = _people("app.example", start, 1500, seed=21)
    events += _rounds_of_sites("app.example", start + 60, sites, 30)
    depots = [(13.10 + 0.025 * k, 77.70 - 0.02 * k) for k in range(6)]
    events += _rounds_of_sites("other.example", start + 60, depots, 30, book_every=4)
    await _scored_with_every_band(h, bg, events, window=6 * 3600.0)
    agg = (await h.as_operator("GET", "/abuse/baps/app.example")).json()["verdict"]
    (why,) = [r for r in agg["reasons"] if "rounds of" in r]
    assert why.startswith("240 searches"), why
    assert "in 30 rounds of 8 places" in why
    assert "the same places round after round" in why
    assert "0 of them led to a select" in why
    assert "throttle" in agg["actions"]
    assert not [r for r in agg["reasons"] if "withheld" in r]
    console = (await h.as_operator("GET", "/abuse/baps/other.example")).json()["verdict"]
    assert console["actions"] == []
    assert not [r for r in console["reasons"] if "rounds of" in r]


async def test_a_sweep_cut_into_tiles_hidden_in_an_app_is_found_on_its_lattice(
    h: Harness, bg: Relay
) -> None:
    """A rival hides a sweep of a 14x14 lattice (2.2 km) in a city app's traffic, a few nodes
    at a time: every 25-35 minutes one transaction asks for a 2x2 tile within a minute, each
    query 20-60 m off its node, each tile once, in a random order. Among 1,500 people's
    searches its 48 are too few for the app's lattice test to see; as rounds of far-apart
    places, one transaction each, they fall on one lattice and never select, and the app
    ranks with the scrapers. 48 searches without a select are no evidence yet of converting
    below the honest 3% (one chance in four at that rate), so a flag and no more."""
    end = h.clock()
    start = end - 6 * 3600
    events = _people("app.example", start, 1500, seed=23)
    rng = random.Random(8)
    km_lon = 111.32 * math.cos(math.radians(12.9))
    order = rng.sample(range(49), 49)
    t = start + 60
    for b in range(12):
        ti, tj = divmod(order[b], 7)
        txn = f"tile-{b}"
        for di, dj in ((0, 0), (0, 1), (1, 0), (1, 1)):
            off, angle = rng.uniform(0.02, 0.06), rng.uniform(0, 2 * math.pi)
            north = (2 * ti + di) * 2.2 + off * math.sin(angle)
            east = (2 * tj + dj) * 2.2 + off * math.cos(angle)
            search = {"gps": f"{12.8 + north / 110.574:.6f},{77.4 + east / km_lon:.6f}"}
            events.append(
                wire(
                    "search",
                    f"{txn}-{di}{dj}",
                    t,
                    bap_id="app.example",
                    search=search | {"radius_km": 1.8},
                    transaction_id=txn,
                )
            )
            t += rng.uniform(5, 15)
        t += rng.uniform(1500, 2100)
    await _scored_with_every_band(h, bg, events, window=6 * 3600.0)
    app = (await h.as_operator("GET", "/abuse/baps/app.example")).json()["verdict"]
    (why,) = [r for r in app["reasons"] if "in rounds of far-apart places" in r]
    assert why.startswith("48 searches"), why
    assert "on a lattice of 2.2 km (48 nodes)" in why
    assert "0 of them led to a select" in why
    assert app["score"] >= 0.9
    assert app["actions"] == []
    assert app["shadow_actions"] == ["flag"]
    # the app's own lattice test did not see it: only the rounds' sentence names a lattice
    assert [r for r in app["reasons"] if "lattice" in r] == [why]
