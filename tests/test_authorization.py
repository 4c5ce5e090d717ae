"""Authorization, generated from the app's own route table.

``ROUTES`` below says, for every (method, path) the app serves, who may call it and whether it
changes state or spends quota (then a replayed signature must be refused). The first test
fails when the app has a route the table does not name (or the other way round), the second
when a route's own declaration (its ``opt``, which the app's one guard enforces) says other
than its row, so a route cannot be added without deciding who may call it. Every protected
route is then attacked the same ways: unsigned, forged, altered after signing, expired, dated
in the future, signed by an unknown, a suspended or a revoked participant, replayed, and
called by the wrong role.

One app (SQLite, background work off) serves the whole module; each test enrols its own
participants, so tests do not see each other's state.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import pytest
from litestar import Litestar, Router, get
from litestar.routes import HTTPRoute

from tests.antiabuse.beckn import forwarded, search_body
from uei.access import CALLER, CSRF, ONCE
from uei.access import Caller as Declared
from uei.app.guard import guard, undeclared, unguarded
from uei.beckn import ErrorCode
from uei.registry.model import ParticipantType
from uei.trust import KeySet, body_digest, generate_key_set, sign_header
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

DOMAIN = "ev-charging:uei"

Who = Literal[
    "public",  # anyone, unsigned
    "operator",  # an operator key in UEI_OPERATORS
    "cpo",  # a SUBSCRIBED BPP an operator granted the non-payer API (defaulters.access)
    "relay",  # a SUBSCRIBED BG, or a SUBSCRIBED BPP forwarding the BAP's signed request
    "reader",  # an operator, or the BAP named in the path
    "subscriber",  # any SUBSCRIBED participant
    "subscriber-self",  # the subscriber named in the path (any status but REVOKED), or an operator
    "registrant",  # the signer itself: its own registration (/subscribe)
    "operator-session",  # an operator signed in to the dashboard (a session cookie, no signature)
]
Kind = Literal["operator", "BAP", "BPP", "BG", "CPO"]
"""Who signs: an operator, or a fresh SUBSCRIBED participant of that type (``CPO``: a BPP
granted ``defaulters``; a plain ``BPP`` has no grant)."""
Expect = Literal["refused", "allowed", "conflict", "forbidden"]
Attack = Literal[
    "unsigned",
    "forged",
    "altered",
    "expired",
    "future",
    "unknown",
    "suspended",
    "revoked",
    "replayed",
]

_COUNTER = itertools.count(1)
GPS = {"gps": "12.971600,77.594600", "radius_km": 5}


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


# --- callers and the calls a route is built from ---------------------------------------------


@dataclass(frozen=True)
class Caller:
    subscriber_id: str
    keys: KeySet
    kind: Kind

    @property
    def key_id(self) -> str:
        return self.keys.unique_key_id


@dataclass(frozen=True)
class Call:
    """A valid request for the route, for the legitimate caller: path parameters and body."""

    params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class World:
    """What one test has enrolled, on the module's app."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.operator = Caller(h.operator_id, h.operator, "operator")

    async def enrol(self, kind: Kind) -> Caller:
        if kind == "operator":
            return self.operator
        name = f"{kind.lower()}-{next(_COUNTER)}.example"
        role = ParticipantType.BPP if kind == "CPO" else ParticipantType(kind)
        participant = Participant(name, type=role, url=f"https://{name}/beckn")
        await self.h.enrol(participant)
        if kind == "CPO":
            await self.h.grant(participant)
        return Caller(name, participant.keys, kind)

    def header(
        self,
        body: bytes,
        caller: Caller,
        *,
        created: int | None = None,
        expires: int | None = None,
        keys: KeySet | None = None,
    ) -> str:
        """A Beckn signature over ``body`` claiming to be ``caller``, signed with ``keys``
        (default: the caller's own). The clock moves a second first, so every header is new."""
        self.h.clock.advance(1)
        return sign_header(
            body,
            (keys or caller.keys).signing_key,
            subscriber_id=caller.subscriber_id,
            unique_key_id=caller.key_id,
            created=int(self.h.clock()) if created is None else created,
            expires=expires,
        )

    async def send(self, method: str, path: str, body: bytes, header: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if header is not None:
            headers["Authorization"] = header
        return await self.h.client.request(method, path, content=body, headers=headers)

    async def signed(self, method: str, path: str, body: bytes, caller: Caller) -> httpx.Response:
        return await self.send(method, path, body, self.header(body, caller))

    async def operator_does(self, path: str) -> None:
        done = await self.signed("POST", path, b"", self.operator)
        assert done.status_code == 200, done.text
        await self.h.registry.sync()

    async def case_of(self, creditor: Caller) -> tuple[str, list[dict[str, str]]]:
        """A case ``creditor`` reports: (its id, its identifiers)."""
        identifiers = [{"kind": "upi_vpa", "value": f"user{next(_COUNTER)}@okaxis"}]
        body = encode(
            {
                "session_ref": f"s-{next(_COUNTER)}",
                "amount": {"value": "420.00", "currency": "INR"},
                "occurred_at": iso(self.h.clock() - 3600),
                "identifiers": identifiers,
            }
        )
        reported = await self.signed("POST", "/abuse/defaulters/report", body, creditor)
        assert reported.status_code == 201, reported.text
        case_id: str = reported.json()["case_id"]
        return case_id, identifiers

    async def dispute(self, case_id: str, identifiers: list[dict[str, str]], by: Caller) -> None:
        body = action_body(case_id, identifiers=identifiers)
        disputed = await self.signed("POST", f"/abuse/defaulters/{case_id}/dispute", body, by)
        assert disputed.json()["status"] == "disputed", disputed.text


Builder = Callable[[World, Caller], Awaitable[Call]]


def action_body(case_id: str, **extra: Any) -> bytes:
    """A case action's body: it names its case and carries a unique request id, so the
    signature binds the case and no two actions share one."""
    return encode({"case_id": case_id, "request_id": f"r-{next(_COUNTER)}", **extra})


async def nothing(world: World, caller: Caller) -> Call:
    return Call()


async def add_city(world: World, caller: Caller) -> Call:
    """An existing subscriber adds a role: signed with its own valid key."""
    return Call(body=encode({"type": "BPP", "domain": "ev-charging:uei", "city": "std:011"}))


async def empty_json(world: World, caller: Caller) -> Call:
    return Call(body=b"{}")


async def some_key(world: World, caller: Caller) -> Call:
    someone = await world.enrol("BPP")
    return Call({"subscriber_id": someone.subscriber_id, "unique_key_id": someone.key_id})


NETWORK = {"namespace": "uei.network", "registry_name": "ev-charging"}
"""The shipped ``registry.network_memberships``: the DeDi registry the records are under."""


async def dedi_registry(world: World, caller: Caller) -> Call:
    return Call(NETWORK)


async def dedi_key(world: World, caller: Caller) -> Call:
    """beckn-onix's key lookup: the subscriber, the wildcard registry, the key."""
    someone = await world.enrol("BPP")
    return Call(
        {
            "namespace": someone.subscriber_id,
            "registry_name": "subscribers.beckn.one",
            "record_name": someone.key_id,
        }
    )


async def dedi_record(world: World, caller: Caller) -> Call:
    someone = await world.enrol("BPP")
    return Call({**NETWORK, "record_name": someone.subscriber_id})


def watch_body(record_name: str) -> bytes:
    return encode(
        {
            **NETWORK,
            "record_name": record_name,
            "webhook_url": "http://127.0.0.1:9/hook",
            "webhook_secret": "sixteen-or-more-characters",
            "request_id": str(next(_COUNTER)),
        }
    )


async def dedi_watch(world: World, caller: Caller) -> Call:
    """A watch on the caller's own record (any SUBSCRIBED participant may watch any record)."""
    return Call(body=watch_body(caller.subscriber_id))


async def dedi_own_watch(world: World, caller: Caller) -> Call:
    """Ending a watch the caller registered."""
    made = await world.signed("POST", "/dedi/subscribe", watch_body(caller.subscriber_id), caller)
    assert made.status_code == 201, made.text
    watch_id = made.json()["data"]["subscription_id"]
    return Call(body=encode({"subscription_id": watch_id, "request_id": str(next(_COUNTER))}))


async def v2_lookup(world: World, caller: Caller) -> Call:
    return Call(body=encode({"type": "BPP"}))


async def own_path(world: World, caller: Caller) -> Call:
    return Call({"subscriber_id": caller.subscriber_id})


async def own_unknown_key(world: World, caller: Caller) -> Call:
    """Revoking a key the caller does not have: a 404 once past authorization."""
    return Call({"subscriber_id": caller.subscriber_id, "unique_key_id": "no-such-key"})


async def fresh_id(world: World, caller: Caller) -> Call:
    return Call(
        {"subscriber_id": f"newcomer-{next(_COUNTER)}.example"},
        encode({"roles": [{"type": "BPP"}], "request_id": str(next(_COUNTER))}),
    )


async def suspend_someone(world: World, caller: Caller) -> Call:
    victim = await world.enrol("BPP")
    return Call({"subscriber_id": victim.subscriber_id, "action": "suspend"})


async def approve_someone(world: World, caller: Caller) -> Call:
    """A subscriber whose gateway role waits for an operator: approve names it."""
    cpo = await world.enrol("BPP")
    asked = await world.signed("POST", "/subscribe", encode({"type": "BG", "domain": DOMAIN}), cpo)
    assert asked.status_code == 200, asked.text
    body = encode({"role": {"type": "BG"}, "request_id": str(next(_COUNTER))})
    return Call({"subscriber_id": cpo.subscriber_id}, body)


async def grant_someone(world: World, caller: Caller) -> Call:
    cpo = await world.enrol("BPP")
    return Call({"subscriber_id": cpo.subscriber_id, "service": "defaulters", "change": "grant"})


async def revoke_someones_key(world: World, caller: Caller) -> Call:
    victim = await world.enrol("BPP")
    return Call({"subscriber_id": victim.subscriber_id, "unique_key_id": victim.key_id})


async def report(world: World, caller: Caller) -> Call:
    body = {
        "session_ref": f"s-{next(_COUNTER)}",
        "amount": {"value": "420.00", "currency": "INR"},
        "occurred_at": iso(world.h.clock() - 3600),
        "identifiers": [{"kind": "upi_vpa", "value": "ravi.k@okaxis"}],
    }
    return Call(body=encode(body))


async def observation(world: World, caller: Caller) -> Call:
    body = {
        "observed_at": iso(world.h.clock()),
        "context": "registration",
        "identifiers": [
            {"kind": "upi_vpa", "value": "ravi.k@okaxis"},
            {"kind": "vin", "value": "MA3EWDE1S00123456"},
        ],
    }
    return Call(body=encode(body))


async def status_query(world: World, caller: Caller) -> Call:
    body = {
        "purpose": "postpaid_session",
        "identifiers": [{"kind": "upi_vpa", "value": "ravi.k@okaxis"}],
    }
    return Call(body=encode(body))


async def own_case(world: World, caller: Caller) -> Call:
    case_id, _ = await world.case_of(caller)
    return Call({"case_id": case_id}, action_body(case_id))


async def dispute_a_case(world: World, caller: Caller) -> Call:
    """Another CPO's case, for the person in front of the caller (who presents its VPA)."""
    case_id, identifiers = await world.case_of(await world.enrol("CPO"))
    return Call({"case_id": case_id}, action_body(case_id, identifiers=identifiers))


async def resolve_own_case(world: World, caller: Caller) -> Call:
    """A case of the caller's that another CPO disputed: the caller may resolve it."""
    case_id, identifiers = await world.case_of(caller)
    await world.dispute(case_id, identifiers, await world.enrol("CPO"))
    return Call({"case_id": case_id}, action_body(case_id, outcome="confirmed"))


async def bap_search(world: World) -> dict[str, str]:
    """A fresh BAP's own signed search, as a relay received it (``bap_request``)."""
    bap = await world.enrol("BAP")
    body = search_body(bap.subscriber_id, f"m-{next(_COUNTER)}")
    return forwarded(body, bap.keys, bap.subscriber_id, world.h.clock())


async def quota_check(world: World, caller: Caller) -> Call:
    """The BAP's signed search: what a BPP must send, and a gateway may."""
    return Call(body=encode({"bap_request": await bap_search(world)}))


async def events(world: World, caller: Caller) -> Call:
    return Call(body=encode({"events": [{"bap_request": await bap_search(world)}]}))


async def gateway_check(world: World) -> bytes:
    """A gateway's check, on its own word (no ``bap_request``)."""
    bap = await world.enrol("BAP")
    body = {
        "bap_id": bap.subscriber_id,
        "action": "search",
        "message_id": f"m-{next(_COUNTER)}",
        "search": GPS,
    }
    return encode(body)


async def gateway_events(world: World) -> bytes:
    bap = await world.enrol("BAP")
    event = {
        "type": "search",
        "bap_id": bap.subscriber_id,
        "message_id": f"m-{next(_COUNTER)}",
        "at": iso(world.h.clock()),
        "search": GPS,
    }
    return encode({"events": [event]})


async def own_bap(world: World, caller: Caller) -> Call:
    return Call({"bap_id": caller.subscriber_id})


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    who: Who
    once: bool
    """Changes state or spends quota: the same signed request twice is refused the second time."""
    build: Builder = nothing
    suspended: Expect = "refused"
    """How a SUSPENDED subscriber signing its own request is answered."""
    reasons: dict[Attack, str] = field(default_factory=dict)
    """Where the refusal's reason is worded otherwise than in ``REASON``."""
    unsigned: int = 200
    """A public route's answer to its built request, unsigned."""


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/healthz"): Route("public", once=False),
    ("GET", "/readyz"): Route("public", once=False),
    ("GET", "/metrics"): Route("public", once=False),
    ("GET", "/.well-known/uei-registry.json"): Route("public", once=False),
    ("POST", "/lookup"): Route("public", once=False, build=empty_json),
    ("GET", "/lookup/{subscriber_id:str}/{unique_key_id:str}"): Route(
        "public", once=False, build=some_key
    ),
    ("GET", "/log"): Route("public", once=False),
    # the DeDi read API (Beckn v2): public and unsigned, as DeDi reads are
    ("GET", "/dedi/lookup/{namespace:str}/{registry_name:str}"): Route(
        "public", once=False, build=dedi_registry
    ),
    ("GET", "/dedi/lookup/{namespace:str}/{registry_name:str}/{record_name:str}"): Route(
        "public", once=False, build=dedi_key
    ),
    ("GET", "/dedi/query/{namespace:str}/{registry_name:str}"): Route(
        "public", once=False, build=dedi_registry
    ),
    ("GET", "/dedi/versions/{namespace:str}/{registry_name:str}"): Route(
        "public", once=False, build=dedi_registry
    ),
    ("GET", "/dedi/versions/{namespace:str}/{registry_name:str}/{record_name:str}"): Route(
        "public", once=False, build=dedi_record
    ),
    ("POST", "/v2.0/lookup"): Route("subscriber", once=False, build=v2_lookup),
    # DeDi watch webhooks: any SUBSCRIBED participant, its own watches only
    ("POST", "/dedi/subscribe"): Route("subscriber", once=True, build=dedi_watch),
    ("POST", "/dedi/unsubscribe"): Route("subscriber", once=True, build=dedi_own_watch),
    ("GET", "/dedi/subscriptions"): Route("subscriber", once=False),
    # a suspended subscriber is still refused: the state machine has no subscribe from SUSPENDED
    ("POST", "/subscribe"): Route(
        "registrant",
        once=True,
        build=add_city,
        suspended="conflict",
        reasons={"revoked": "must sign with one of its pending keys (none)"},
    ),
    # a suspended subscriber may still read its challenges, but changes nothing: revoking a
    # compromised key while suspended is the operator's (uei admin revoke-key)
    ("GET", "/subscribers/{subscriber_id:str}/challenges"): Route(
        "subscriber-self", once=False, build=own_path, suspended="allowed"
    ),
    ("POST", "/subscribers/{subscriber_id:str}/keys/{unique_key_id:str}/revoke"): Route(
        "subscriber-self", once=True, build=own_unknown_key, suspended="forbidden"
    ),
    ("GET", "/admin/subscribers"): Route("operator", once=False),
    ("POST", "/admin/subscribers/{subscriber_id:str}/allow"): Route(
        "operator", once=True, build=fresh_id
    ),
    ("POST", "/admin/subscribers/{subscriber_id:str}/approve"): Route(
        "operator", once=True, build=approve_someone
    ),
    ("POST", "/admin/subscribers/{subscriber_id:str}/{action:str}"): Route(
        "operator", once=True, build=suspend_someone
    ),
    ("POST", "/admin/subscribers/{subscriber_id:str}/keys/{unique_key_id:str}/revoke"): Route(
        "operator", once=True, build=revoke_someones_key
    ),
    ("POST", "/admin/subscribers/{subscriber_id:str}/grants/{service:str}/{change:str}"): Route(
        "operator", once=True, build=grant_someone
    ),
    ("POST", "/abuse/defaulters/report"): Route("cpo", once=True, build=report),
    ("POST", "/abuse/observations"): Route("cpo", once=True, build=observation),
    ("POST", "/abuse/status"): Route("cpo", once=True, build=status_query),
    ("POST", "/abuse/defaulters/{case_id:str}/settle"): Route("cpo", once=True, build=own_case),
    ("POST", "/abuse/defaulters/{case_id:str}/withdraw"): Route("cpo", once=True, build=own_case),
    ("POST", "/abuse/defaulters/{case_id:str}/dispute"): Route(
        "cpo", once=True, build=dispute_a_case
    ),
    ("POST", "/abuse/defaulters/{case_id:str}/resolve"): Route(
        "cpo", once=True, build=resolve_own_case
    ),
    ("POST", "/abuse/quota/check"): Route("relay", once=True, build=quota_check),
    ("POST", "/abuse/events"): Route("relay", once=True, build=events),
    ("GET", "/abuse/baps/{bap_id:str}"): Route("reader", once=False, build=own_bap),
    ("GET", "/admin/audit"): Route("operator", once=False),
    ("GET", "/admin/disputes"): Route("operator", once=False),
    ("GET", "/admin/baps"): Route("operator", once=False),
    # the operator dashboard: HTML pages and POST forms for a signed-in operator (a session
    # from a `uei admin dashboard-link` link; tests/dashboard attack the sessions and CSRF)
    ("GET", "/dashboard/signin"): Route("public", once=False),
    ("GET", "/dashboard/login"): Route("public", once=False, unsigned=401),  # no token: refused
    ("GET", "/dashboard/assets/plotly.min.js"): Route("public", once=False),
    ("GET", "/dashboard"): Route("operator-session", once=False),
    ("POST", "/dashboard/logout"): Route("operator-session", once=False),
    ("GET", "/dashboard/subscribers"): Route("operator-session", once=False),
    ("GET", "/dashboard/subscribers/{subscriber_id:str}"): Route("operator-session", once=False),
    ("POST", "/dashboard/subscribers/{subscriber_id:str}/actions/{action:str}"): Route(
        "operator-session", once=False
    ),
    ("GET", "/dashboard/log"): Route("operator-session", once=False),
    ("GET", "/dashboard/policy"): Route("operator-session", once=False),
    ("GET", "/dashboard/scraping"): Route("operator-session", once=False),
    ("GET", "/dashboard/scraping/{bap_id:str}"): Route("operator-session", once=False),
    ("GET", "/dashboard/non-payers"): Route("operator-session", once=False),
}
SESSION_PARAMS = {"subscriber_id": "any.example", "action": "suspend", "bap_id": "any.example"}
"""Path parameters for the dashboard's routes in the tests below (authorization comes first,
so the subscriber need not exist)."""

OWNER: dict[Who, Kind] = {
    "operator": "operator",
    "cpo": "CPO",
    "relay": "BG",
    "reader": "BAP",
    "subscriber": "BAP",
    "subscriber-self": "BPP",
    "registrant": "BPP",
}
"""Who the legitimate request of each role is built for (and signed by)."""

ALSO_ALLOWED: dict[Who, tuple[Kind, ...]] = {
    "relay": ("BPP",),
    "reader": ("operator",),
    "subscriber": ("BPP", "BG"),
    "subscriber-self": ("operator",),
}
"""Other signers that get through with the owner's request."""

OUTSIDERS: dict[Who, tuple[tuple[Kind, int], ...]] = {
    "operator": (("BAP", 401), ("BPP", 401), ("BG", 401)),
    # a BPP without the defaulters grant signed correctly: 403, it may not use this API
    "cpo": (("BAP", 401), ("BG", 401), ("operator", 401), ("BPP", 403)),
    "relay": (("BAP", 401), ("operator", 401)),
    "reader": (("BAP", 403), ("BPP", 403), ("BG", 403)),
    "subscriber": (("operator", 401),),
    "subscriber-self": (("BAP", 401), ("BPP", 401)),
    "registrant": (),
}
"""Signers refused with the owner's request (fresh participants, never the owner itself)."""

REASON: dict[Attack, tuple[ErrorCode, str]] = {
    "unsigned": (ErrorCode.INVALID_SIGNATURE, "the Authorization header is missing"),
    "forged": (ErrorCode.INVALID_SIGNATURE, "signature mismatch"),
    # the header carries no digest: the server hashes the bytes it received, so an altered
    # body is a signature that does not verify over them (the message names their digest)
    "altered": (ErrorCode.INVALID_SIGNATURE, "signature mismatch"),
    "expired": (ErrorCode.STALE_REQUEST, "expired"),
    "future": (ErrorCode.STALE_REQUEST, "not yet valid"),
    "unknown": (ErrorCode.INVALID_SIGNATURE, "unknown key"),
    "suspended": (ErrorCode.INVALID_SIGNATURE, "is SUSPENDED"),
    "revoked": (ErrorCode.INVALID_SIGNATURE, "revoked"),
    "replayed": (ErrorCode.INVALID_SIGNATURE, "replayed: sign each attempt anew"),
}


def _id(method: str, path: str) -> str:
    return f"{method} {path}"


def _protected() -> Iterator[tuple[str, str, Route]]:
    """The routes a Beckn signature opens (the dashboard's take a session instead)."""
    for (method, path), route in ROUTES.items():
        if route.who not in ("public", "operator-session"):
            yield method, path, route


def _sessions() -> list[Any]:
    return [
        pytest.param(m, p, id=_id(m, p))
        for (m, p), r in ROUTES.items()
        if r.who == "operator-session"
    ]


def _attacks() -> Iterator[Any]:
    for method, path, route in _protected():
        participant = route.who != "operator"
        for attack in REASON:
            if attack in ("suspended", "revoked") and not participant:
                continue  # operators are configured keys, not registry participants
            if attack == "suspended" and route.suspended != "refused":
                continue  # see test_a_suspended_subscriber
            if attack == "replayed" and not route.once:
                continue  # see test_read_only_routes_accept_repeats
            yield pytest.param(method, path, attack, id=f"{_id(method, path)}-{attack}")


def fill(template: str, params: dict[str, str]) -> str:
    """``/a/{x:str}/b`` with ``params`` -> ``/a/<x>/b``; every placeholder must be given."""
    names = re.findall(r"\{(\w+)(?::\w+)?\}", template)
    assert set(names) == set(params), f"{template}: build gave {sorted(params)}"
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: params[m.group(1)], template)


def assert_nack(response: httpx.Response, status: int, code: str, fragment: str) -> None:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["message"]["ack"]["status"] == "NACK", body
    assert body["error"]["code"] == code, body
    assert fragment in body["error"]["message"], body


def assert_refused(response: httpx.Response, attack: Attack, route: Route | None = None) -> None:
    code, fragment = REASON[attack]
    if route is not None:
        fragment = route.reasons.get(attack, fragment)
    assert_nack(response, 401, code, fragment)
    assert response.headers["www-authenticate"].startswith('Signature realm="uei"')


def assert_through(response: httpx.Response) -> None:
    """Authorization let the request through: whatever the business answer, not a refusal of
    the caller and never a server error."""
    assert response.status_code not in (401, 403), response.text
    assert response.status_code < 500, response.text


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    tmp = tmp_path_factory.mktemp("authorization")
    async with running(f"sqlite:///{tmp / 'uei.db'}", tmp) as harness:
        yield harness


@pytest.fixture
def world(h: Harness) -> World:
    return World(h)


async def _request(world: World, method: str, path: str) -> tuple[Route, Caller, str, bytes]:
    route = ROUTES[(method, path)]
    owner = await world.enrol(OWNER[route.who])
    call = await route.build(world, owner)
    return route, owner, fill(path, call.params), call.body


# --- the table is the app's -----------------------------------------------------------------


async def test_every_route_of_the_app_is_in_the_table(h: Harness) -> None:
    config = h.app.openapi_config
    docs = (config.path if config is not None and config.path else "/schema").rstrip("/")
    served: set[tuple[str, str]] = set()
    for route in h.app.routes:
        if route.path == docs or route.path.startswith(docs + "/"):
            continue  # the OpenAPI documents
        if isinstance(route, HTTPRoute):
            served |= {(m, route.path) for m in route.methods if m not in ("HEAD", "OPTIONS")}
        else:  # a websocket or mounted ASGI app needs an entry (and a decision) too
            served.add((type(route).__name__, route.path))
    missing = sorted(served - ROUTES.keys())
    assert not missing, (
        f"routes without an authorization entry: {missing}; add each to ROUTES in "
        "tests/test_authorization.py with who may call it and whether it changes state"
    )
    gone = sorted(ROUTES.keys() - served)
    assert not gone, f"ROUTES names routes the app no longer serves: {gone}; remove them"


async def test_the_table_is_what_the_routes_declare(h: Harness) -> None:
    """Each route's own ``opt`` (``uei/access.py``), which the app's one guard enforces, says
    the same as its row: who may call it, and whether a replay is refused. A route without a
    declaration fails here (and the app refuses to start)."""
    declared: dict[tuple[str, str], tuple[str | None, bool]] = {}
    for route in h.app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if (method, route.path) in ROUTES:
                declared[(method, route.path)] = (
                    handler.opt.get(CALLER),
                    bool(handler.opt.get(ONCE, False)),  # IN_STORE: refused in its store step
                )
    table = {key: (route.who, route.once) for key, route in ROUTES.items()}
    assert declared == table


async def test_a_route_that_declares_nothing_is_named() -> None:
    """What the app checks at start (it refuses to start with any): the handler's name."""

    @get("/undeclared", sync_to_thread=False)
    def undeclared_route() -> None:
        return None

    @get("/declared", sync_to_thread=False, opt={CALLER: Declared.PUBLIC})
    def declared_route() -> None:
        return None

    assert undeclared([undeclared_route, declared_route]) == ["undeclared_route"]


async def test_a_protected_route_outside_the_guard_is_named() -> None:
    """What the app checks at start: a route declaring a caller must sit behind the guard
    (public routes skip it, so a protected one placed among them would answer anyone)."""

    @get("/exposed", sync_to_thread=False, opt={CALLER: Declared.OPERATOR})
    def exposed_route() -> None:
        return None

    @get("/guarded", sync_to_thread=False, opt={CALLER: Declared.OPERATOR})
    def guarded_route() -> None:
        return None

    @get("/open", sync_to_thread=False, opt={CALLER: Declared.PUBLIC})
    def open_route() -> None:
        return None

    async def own_hook(_: object) -> None:
        return None

    @get("/hooked", sync_to_thread=False, opt={CALLER: Declared.OPERATOR}, before_request=own_hook)
    def hooked_route() -> None:
        return None

    guarded = Router("/", route_handlers=[guarded_route, hooked_route], before_request=guard)
    app = Litestar([exposed_route, open_route, guarded])
    handlers = [h for route in app.routes for h in getattr(route, "route_handlers", [])]
    # a route's own before_request hook replaces the guard's: Litestar runs only the closest
    assert sorted(unguarded(handlers)) == ["exposed_route", "hooked_route"]


# --- public routes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [pytest.param(m, p, id=_id(m, p)) for (m, p), r in ROUTES.items() if r.who == "public"],
)
async def test_public_routes_answer_unsigned(world: World, method: str, path: str) -> None:
    route = ROUTES[(method, path)]
    call = await route.build(world, world.operator)
    response = await world.send(method, fill(path, call.params), call.body, None)
    assert response.status_code == route.unsigned, response.text


# --- the dashboard: a session, never a signature -------------------------------------------


@pytest.mark.parametrize(("method", "path"), _sessions())
async def test_dashboard_routes_send_the_signed_out_to_sign_in(
    world: World, method: str, path: str
) -> None:
    """No session: the sign-in page, never data, whatever the route; an operator's Beckn
    signature is not a session (a leaked header must not open the dashboard)."""
    url = fill(path, {k: v for k, v in SESSION_PARAMS.items() if "{" + k in path})
    for header in (None, world.header(b"", world.operator)):
        response = await world.send(method, url, b"", header)
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/dashboard/signin?reason=")


@pytest.mark.parametrize(("method", "path"), _sessions())
async def test_dashboard_actions_declare_csrf(h: Harness, method: str, path: str) -> None:
    """Every dashboard POST is an action that checks the session's CSRF token; no page is."""
    handlers: dict[str, Any] = {
        m: handler
        for route in h.app.routes
        if isinstance(route, HTTPRoute) and route.path == path
        for m, (handler, _) in route.route_handler_map.items()
    }
    assert handlers[method].opt.get(CSRF, False) is (method == "POST")


# --- every protected route, every attack ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(m, p, id=_id(m, p)) for m, p, _ in _protected()]
)
async def test_the_right_caller_gets_through(world: World, method: str, path: str) -> None:
    """The baseline the attacks are measured against: the same request, properly signed by
    every caller the table allows, passes authorization."""
    route, owner, url, body = await _request(world, method, path)
    assert_through(await world.signed(method, url, body, owner))
    for kind in ALSO_ALLOWED.get(route.who, ()):
        _, owner, url, body = await _request(world, method, path)
        other = await world.enrol(kind)
        assert_through(await world.signed(method, url, body, other))


@pytest.mark.parametrize(("method", "path", "attack"), list(_attacks()))
async def test_protected_routes_refuse(
    world: World, method: str, path: str, attack: Attack
) -> None:
    route, owner, url, body = await _request(world, method, path)
    now = int(world.h.clock())
    header: str | None
    sent = body
    if attack == "unsigned":
        header = None
    elif attack == "forged":  # the owner's keyId, someone else's key
        header = world.header(body, owner, keys=generate_key_set(owner.key_id))
    elif attack == "altered":
        header = world.header(body, owner)
        sent = body + b" " if body else b"{}"
    elif attack == "expired":
        header = world.header(body, owner, created=now - 120, expires=now - 60)
    elif attack == "future":
        created = now + int(world.h.registry.policy().max_skew_seconds) + 30
        header = world.header(body, owner, created=created, expires=created + 60)
    elif attack == "unknown":
        stranger = Caller(f"stranger-{next(_COUNTER)}.example", generate_key_set(), "BPP")
        header = world.header(body, stranger)
    elif attack == "suspended":
        await world.operator_does(f"/admin/subscribers/{owner.subscriber_id}/suspend")
        header = world.header(body, owner)
    elif attack == "revoked":
        await world.operator_does(
            f"/admin/subscribers/{owner.subscriber_id}/keys/{owner.key_id}/revoke"
        )
        header = world.header(body, owner)
    else:  # replayed: the exact same request again
        header = world.header(body, owner)
        first = await world.send(method, url, body, header)
        assert first.status_code < 500, first.text
    refused = await world.send(method, url, sent, header)
    assert_refused(refused, attack, route)
    if attack == "altered":
        assert body_digest(sent) in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [pytest.param(m, p, id=_id(m, p)) for m, p, r in _protected() if not r.once],
)
async def test_read_only_routes_accept_repeats(world: World, method: str, path: str) -> None:
    """Real clients send identical signed reads in the same second."""
    _, owner, url, body = await _request(world, method, path)
    header = world.header(body, owner)
    for _ in range(2):
        assert_through(await world.send(method, url, body, header))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param(m, p, id=_id(m, p))
        for m, p, r in _protected()
        if r.who != "operator" and r.suspended != "refused"
    ],
)
async def test_a_suspended_subscriber(world: World, method: str, path: str) -> None:
    """The routes the table lets a suspended subscriber reach, and how they answer it."""
    route, owner, url, body = await _request(world, method, path)
    await world.operator_does(f"/admin/subscribers/{owner.subscriber_id}/suspend")
    response = await world.signed(method, url, body, owner)
    if route.suspended == "allowed":
        assert_through(response)
    elif route.suspended == "forbidden":  # signed correctly, refused: it may not act now
        assert_nack(response, 403, "30017", "is SUSPENDED and cannot change")
    else:  # signed correctly, refused by the state machine, nothing changed
        assert_nack(response, 409, ErrorCode.CONFLICT, "is SUSPENDED")


# --- the wrong role -------------------------------------------------------------------------


def _outsiders() -> Iterator[Any]:
    for method, path, route in _protected():
        for kind, status in OUTSIDERS[route.who]:
            yield pytest.param(method, path, kind, status, id=f"{_id(method, path)}-by-{kind}")


@pytest.mark.parametrize(("method", "path", "kind", "status"), list(_outsiders()))
async def test_the_wrong_role_is_refused(
    world: World, method: str, path: str, kind: Kind, status: int
) -> None:
    _, _, url, body = await _request(world, method, path)
    outsider = await world.enrol(kind)
    response = await world.signed(method, url, body, outsider)
    assert response.status_code == status, response.text
    assert response.json()["message"]["ack"]["status"] == "NACK"


@pytest.mark.parametrize(
    ("action", "extra"),
    [("settle", {}), ("withdraw", {}), ("resolve", {"outcome": "cancelled"})],
)
async def test_a_cpo_cannot_close_another_cpos_case(
    world: World, action: str, extra: dict[str, str]
) -> None:
    """Only the creditor settles, withdraws or resolves (403,
    uei/antiabuse/defaulters/ledger.py ``act``); any CPO may dispute, which is what makes a case
    resolvable."""
    creditor, other = await world.enrol("CPO"), await world.enrol("CPO")
    case_id, identifiers = await world.case_of(creditor)
    if action == "resolve":
        await world.dispute(case_id, identifiers, other)
    path = f"/abuse/defaulters/{case_id}/{action}"
    refused = await world.signed("POST", path, action_body(case_id, **extra), other)
    assert_nack(refused, 403, "30017", "only the creditor that reported the case")
    done = await world.signed("POST", path, action_body(case_id, **extra), creditor)
    assert done.status_code == 200, done.text


@pytest.mark.parametrize(
    ("path", "build", "where"),
    [
        ("/abuse/quota/check", gateway_check, "bap_request"),
        ("/abuse/events", gateway_events, "events[0].bap_request"),
    ],
)
async def test_a_bpp_speaks_for_a_bap_only_with_its_signed_request(
    world: World, path: str, build: Callable[[World], Awaitable[bytes]], where: str
) -> None:
    """The relay routes' two callers are not alike: a gateway is trusted to name the BAP, a
    BPP (a competitor) must forward the BAP's own signed request. tests/security/
    test_relay_binding.py performs the attacks."""
    body = await build(world)
    refused = await world.signed("POST", path, body, await world.enrol("BPP"))
    assert_nack(refused, 403, "30017", "only by forwarding the BAP's own signed request")
    assert refused.json()["error"]["path"] == where
    assert_through(await world.signed("POST", path, body, await world.enrol("BG")))


async def test_a_bap_reads_only_its_own_verdicts(world: World) -> None:
    mine, theirs = await world.enrol("BAP"), await world.enrol("BAP")
    path = f"/abuse/baps/{theirs.subscriber_id}"
    refused = await world.signed("GET", path, b"", mine)
    assert_nack(refused, 403, "30017", "only operators and the BAP itself")
    for reader in (theirs, world.operator):
        answer = await world.signed("GET", path, b"", reader)
        assert answer.status_code == 200, answer.text
        assert answer.json()["bap_id"] == theirs.subscriber_id


# --- revocation takes effect ----------------------------------------------------------------


async def test_a_revoked_key_stops_working_once_the_view_syncs(world: World) -> None:
    cpo = await world.enrol("CPO")
    ask = (await status_query(world, cpo)).body
    assert (await world.signed("POST", "/abuse/status", ask, cpo)).status_code == 200
    key_path = f"/lookup/{cpo.subscriber_id}/{cpo.key_id}"
    assert (await world.send("GET", key_path, b"", None)).status_code == 200
    await world.operator_does(f"/admin/subscribers/{cpo.subscriber_id}/keys/{cpo.key_id}/revoke")
    assert_refused(await world.signed("POST", "/abuse/status", ask, cpo), "revoked")
    assert (await world.send("GET", key_path, b"", None)).status_code == 410


# --- known holes ----------------------------------------------------------------------------


async def test_a_signature_spent_on_a_read_cannot_then_change_state(world: World) -> None:
    """A Beckn signature covers (created) (expires) digest, not the method or path: a header
    first used on a read is remembered, so it cannot be spent on a write."""
    victim = await world.enrol("BPP")
    header = world.header(b"", world.operator)
    read = await world.send("GET", "/admin/subscribers", b"", header)
    assert read.status_code == 200, read.text
    # whoever saw that header (a proxy, an access log) sends it to a state-changing route
    suspend = await world.send(
        "POST", f"/admin/subscribers/{victim.subscriber_id}/suspend", b"", header
    )
    assert_refused(suspend, "replayed")


async def test_a_signature_claiming_a_long_life_is_refused(world: World) -> None:
    """A leaked header must not be a long-lived credential (max_signature_lifetime_seconds)."""
    now = int(world.h.clock()) + 1
    header = world.header(b"", world.operator, created=now, expires=now + 3601)
    answer = await world.send("GET", "/admin/subscribers", b"", header)
    assert_nack(answer, 401, "30022", "at most 3600 s is accepted")
    ok = world.header(b"", world.operator, created=now + 1, expires=now + 3601)
    assert (await world.send("GET", "/admin/subscribers", b"", ok)).status_code == 200
