"""Realistic examples of the answers, shown by the API documents beside the request bodies'
(``uei/app/examples.py``). Each is a value of the type the route answers, built with that type
(and, where the service has one, the same function the route uses: ``record`` for lookups,
``to_record`` for DeDi, ``chain`` for the change log, ``answer`` for refusals), so an example
cannot name a field the answer does not have. One story runs through them: the CPO
``cpo.example.in`` with key ``k-2026-12`` on 1 December 2026, the BAP ``app.example.in``.

``ANSWERS`` maps ``"METHOD /path"`` (as the schema spells the path) and a status to the example;
``REFUSALS`` holds one NACK per refusal status, as the service sends it."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import msgspec
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from uei.antiabuse.defaulters.bodies import CaseAnswer, StatusAnswer
from uei.antiabuse.defaulters.ledger import Standing
from uei.antiabuse.defaulters.verdict import Reason
from uei.antiabuse.review import (
    AuditLine,
    AuditPage,
    BapLine,
    BapRanking,
    DisputeLine,
    DisputeQueue,
)
from uei.antiabuse.scraping.policy import ScrapingAction
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureNote
from uei.antiabuse.scraping.wire import BapReport, CheckAnswer, EventsAnswer
from uei.app.errors import answer
from uei.app.health import Health
from uei.beckn import Envelope, ack_body
from uei.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidIdentifier,
    InvalidRequest,
    NotFound,
    QuotaState,
    RateLimited,
    UeiError,
    Unavailable,
)
from uei.registry.changelog import CHALLENGE, Actor, Draft, chain
from uei.registry.dedi import digest, to_record
from uei.registry.http.admin import StatusAnswer as AdminAnswer
from uei.registry.http.admin import SubscriberSummary
from uei.registry.http.changelog import Head, LogPage, head_message
from uei.registry.http.dedi import Answer, DediError, RecordPage, RegistryMeta, Version, Versions
from uei.registry.http.dedi_watch import Subscription, SubscriptionAnswer, SubscriptionList
from uei.registry.http.lookup import WellKnown
from uei.registry.http.subscribe import (
    AttemptView,
    ChallengeHistory,
    KeyChallenge,
    SubscribeAnswer,
)
from uei.registry.identity import RegistryIdentity
from uei.registry.model import Key, KeyState, ParticipantType, Role, Status, Subscriber
from uei.registry.records import iso, record
from uei.trust import KeySet, Replayed, SignatureError

__all__ = ["ANSWERS", "DEDI_REFUSALS", "REFUSALS", "encoded"]

_DAY = 86400.0
_AT = 1796130720.0  # 2026-12-01T13:12:00Z (18:42 in Bengaluru), the request examples' time
_KEY_FROM = 1796083200.0  # 2026-12-01T00:00:00Z, the subscribe example's valid_from


def _seed(label: str) -> bytes:
    return hashlib.blake2b(label.encode(), digest_size=32).digest()


_REGISTRY = RegistryIdentity(
    "registry.uei",
    KeySet("reg-2026-k1", SigningKey(_seed("registry signing")), PrivateKey(_seed("registry x"))),
)
_MEMBERSHIPS = ["uei.network/ev-charging"]
_ROLE = Role(ParticipantType.BPP, "ev-charging:uei", "IND", "std:080")
_KEY = Key(  # the subscribe example's key, after its challenge
    unique_key_id="k-2026-12",
    signing_public_key="Fhjwaka1Za+ld+7Nms7S0C675r24mZoyWVn8JbYTjSs=",
    encr_public_key="3vx7ZnJqDA+3Q4nNwIcZC8qJ6J/KGjUnYIbgf3c3jmk=",
    valid_from=_KEY_FROM,
    valid_until=_KEY_FROM + 365 * _DAY,
    state=KeyState.VALID,
    created=_AT - 60,
    updated=_AT - 58,
    attempts_made=1,
)
_CPO = Subscriber(
    subscriber_id="cpo.example.in",
    subscriber_url="https://cpo.example.in/beckn",
    status=Status.SUBSCRIBED,
    created=_AT - 60,
    updated=_AT - 58,
    roles=(_ROLE,),
    keys=(_KEY,),
    challenge_passed=True,
    grants=("defaulters",),
)

_SID = _CPO.subscriber_id
_BY_CPO = Actor.subscriber(_SID)
_LOG = [
    *chain(
        None,
        [
            Draft(_SID, "subscribe", _BY_CPO, None, "UNDER_SUBSCRIPTION"),
            Draft(_SID, "key_added", _BY_CPO, None, "PENDING", "k-2026-12"),
        ],
        _AT - 60,
    )
]
_LOG += chain(
    _LOG[-1],
    [
        Draft(_SID, "key_verified", CHALLENGE, "PENDING", "VALID", "k-2026-12"),
        Draft(_SID, "challenge_passed", CHALLENGE, "UNDER_SUBSCRIPTION", "SUBSCRIBED"),
    ],
    _AT - 58,
)
_HEAD = _LOG[-1]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _dedi(message: str, data: object) -> Answer:
    return Answer(message, data)


_RECORD = to_record(_CPO, _KEY, _AT, _MEMBERSHIPS, 60)
_META = {
    **_REGISTRY.well_known(),
    "well_known_url": "/.well-known/uei-registry.json",
    "lookup_url": "/dedi/lookup/{subscriber_id}/subscribers.beckn.one/{key_id}",
    "digest_algorithm": "blake2b-256 over RFC 8785 JCS of details",
}
_SINCE = iso(_AT - 30 * _DAY)
_VERSIONS = [
    Version(str(e.seq), iso(e.at), e.action, e.unique_key_id, e.old_status, e.new_status, e.hash)
    for e in reversed(_LOG)
]
_WATCH = Subscription(
    subscription_id="w-5c1f0e",
    namespace="uei.network",
    registry_name="ev-charging",
    record_name="cpo.example.in",
    registry_tag=None,
    webhook_url="https://app.example.in/hooks/uei",
    state="active",
    created_at=iso(_AT),
    disabled_at=None,
)
_CASE = CaseAnswer("c-3f9a1b", "open", Standing.IN_NOTICE)
_FEATURES = {
    "log_searches_per_hour": 5.83,
    "select_per_search": 0.0,
    "cells_per_search": 0.97,
    "bbox_coverage": 0.94,
    "nn_regularity": 0.98,
    "arrival_regularity": 0.91,
}
_TOP = [
    FeatureNote("nn_regularity", 0.98, 0.21, 0.62, "grid sweep"),
    FeatureNote("bbox_coverage", 0.94, 0.02, 0.31, "grid sweep"),
    FeatureNote("select_per_search", 0.0, 0.04, 0.28, "searching at volume without booking"),
]
_SCRAPER = BapVerdict(
    bap_id="sweep.example.in",
    scored_at=_AT,
    window_start=_AT - 6 * 3600,
    window_end=_AT,
    score=0.93,
    actions=[ScrapingAction.THROTTLE],
    shadow_actions=[ScrapingAction.FLAG, ScrapingAction.COARSEN, ScrapingAction.BLOCK],
    throttle_scale=0.25,
    searches=2040,
    top=_TOP,
    features=_FEATURES,
    reasons=[
        "1,872 searches (92% of the BAP's) on a 12x12 lattice of 2.0 km (144 nodes), period "
        "173 min, one radius, 0 of them led to a select (0.0%)"
    ],
)
_HONEST = BapVerdict(
    bap_id="app.example.in",
    scored_at=_AT,
    window_start=_AT - 6 * 3600,
    window_end=_AT,
    score=0.12,
    searches=3310,
    top=[FeatureNote("arrival_regularity", 0.44, 0.18, 0.58)],
    features={"log_searches_per_hour": 6.32, "select_per_search": 0.17, "nn_regularity": 0.31},
)


def _line(verdict: BapVerdict) -> BapLine:
    return BapLine(
        bap_id=verdict.bap_id,
        score=verdict.score,
        scored_at=iso(verdict.scored_at),
        window_start=iso(verdict.window_start),
        window_end=iso(verdict.window_end),
        actions=verdict.actions,
        shadow_actions=verdict.shadow_actions,
        throttle_scale=verdict.throttle_scale,
        searches=verdict.searches,
        top=verdict.top,
    )


_TOKENS = [
    "phone:3b1f6c0e9a2d4f5b8c7e1a0d9f3b2c4e5a6d7f8091a2b3c4d5e6f708192a3b4c",
    "upi_vpa:9f2e8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
]
_CHALLENGE_OK = AttemptView(1, iso(_AT - 59), "k-2026-12", "passed", 200, None)
_SUMMARY = SubscriberSummary(
    subscriber_id=_SID,
    subscriber_url=_CPO.subscriber_url,
    status="SUBSCRIBED",
    roles=[_ROLE.label()],
    pending_roles=[],
    allowed=["BPP:ev-charging:uei"],
    grants=["defaulters"],
    keys={"k-2026-12": "VALID"},
    challenge_passed=True,
    created=iso(_CPO.created),
    updated=iso(_CPO.updated),
)
_ADMIN = AdminAnswer(_SID, "SUBSCRIBED")

ANSWERS: dict[tuple[str, str], object] = {
    ("GET /healthz", "200"): Health("ok"),
    ("GET /readyz", "200"): Health(
        "ok",
        "view at log entry 4 of 4; store persists writes (appendonly yes); policy "
        "policies.yaml (sha256 3c9d0a7e5b1f2468...) loaded 2026-12-01T13:00:02Z",
    ),
    ("GET /readyz", "503"): Health("unavailable", "store: StoreUnavailable"),
    ("GET /.well-known/uei-registry.json", "200"): WellKnown(**_REGISTRY.well_known()),
    ("POST /lookup", "200"): [record(_CPO, _ROLE, _KEY)],
    ("POST /v2.0/lookup", "200"): [record(_CPO, _ROLE, _KEY, encr_der=True)],
    ("GET /lookup/{subscriber_id}/{unique_key_id}", "200"): record(_CPO, _ROLE, _KEY),
    ("GET /log", "200"): LogPage(
        entries=_LOG,
        head=Head(
            _HEAD.seq,
            _HEAD.hash,
            _b64(_REGISTRY.keys.signing_key.sign(head_message(_HEAD.seq, _HEAD.hash).encode())),
        ),
    ),
    ("GET /dedi/lookup/{namespace}/{registry_name}", "200"): _dedi(
        "Registry retrieved successfully",
        RegistryMeta(
            registry_id="uei.network/ev-charging",
            registry_name="ev-charging",
            namespace_id="uei.network",
            namespace="uei.network",
            description="UEI EV charging network registry",
            digest=digest(_META),
            meta=_META,
            version=str(_HEAD.seq),
            version_count=_HEAD.seq,
            state="active",
            record_count=1,
            network_memberships=_MEMBERSHIPS,
            created_at=_SINCE,
            updated_at=_SINCE,
            ttl=60,
        ),
    ),
    ("GET /dedi/lookup/{namespace}/{registry_name}/{record_name}", "200"): _dedi(
        "Record retrieved successfully", _RECORD
    ),
    ("GET /dedi/query/{namespace}/{registry_name}", "200"): _dedi(
        "Records retrieved successfully",
        RecordPage(
            namespace_id="uei.network",
            namespace_name="uei.network",
            registry_id="uei.network/ev-charging",
            registry_name="ev-charging",
            total_records=1,
            total_pages=1,
            page_number=1,
            page_size=20,
            records=[_RECORD],
        ),
    ),
    ("GET /dedi/versions/{namespace}/{registry_name}", "200"): _dedi(
        "Versions retrieved successfully",
        Versions(
            registry_name="ev-charging",
            record_name=None,
            created_at=_SINCE,
            updated_at=iso(_HEAD.at),
            total_versions=_HEAD.seq,
            versions=[v.version for v in _VERSIONS],
            entries=None,
            ttl=60,
        ),
    ),
    ("GET /dedi/versions/{namespace}/{registry_name}/{record_name}", "200"): _dedi(
        "Versions retrieved successfully",
        Versions(
            registry_name="ev-charging",
            record_name=_SID,
            created_at=iso(_CPO.created),
            updated_at=iso(_CPO.updated),
            total_versions=len(_VERSIONS),
            versions=[v.version for v in _VERSIONS],
            entries=_VERSIONS,
            ttl=60,
        ),
    ),
    ("POST /subscribe", "200"): SubscribeAnswer("UNDER_SUBSCRIPTION"),
    ("GET /subscribers/{subscriber_id}/challenges", "200"): ChallengeHistory(
        subscriber_id=_SID,
        status="SUBSCRIBED",
        roles=[_ROLE.label()],
        pending_roles=[],
        keys=[KeyChallenge("k-2026-12", "VALID", 1, None)],
        attempts=[_CHALLENGE_OK],
    ),
    ("POST /subscribers/{subscriber_id}/keys/{unique_key_id}/revoke", "200"): SubscribeAnswer(
        "SUBSCRIBED"
    ),
    ("POST /dedi/subscribe", "201"): SubscriptionAnswer("Subscription created", _WATCH),
    ("POST /dedi/unsubscribe", "200"): SubscriptionAnswer(
        "Subscription removed",
        msgspec.structs.replace(_WATCH, state="disabled", disabled_at=iso(_AT + 3600)),
    ),
    ("GET /dedi/subscriptions", "200"): SubscriptionList(
        "Subscriptions retrieved successfully", [_WATCH]
    ),
    ("GET /admin/subscribers", "200"): [_SUMMARY],
    ("POST /admin/subscribers/{subscriber_id}/allow", "200"): AdminAnswer(
        _SID, "UNDER_SUBSCRIPTION"
    ),
    ("POST /admin/subscribers/{subscriber_id}/approve", "200"): _ADMIN,
    ("POST /admin/subscribers/{subscriber_id}/{action}", "200"): AdminAnswer(_SID, "SUSPENDED"),
    ("POST /admin/subscribers/{subscriber_id}/keys/{unique_key_id}/revoke", "200"): _ADMIN,
    ("POST /admin/subscribers/{subscriber_id}/grants/{service}/{change}", "200"): _ADMIN,
    ("POST /abuse/defaulters/report", "201"): _CASE,
    ("POST /abuse/defaulters/report", "200"): _CASE,
    ("POST /abuse/observations", "200"): msgspec.json.decode(ack_body(), type=Envelope),
    ("POST /abuse/status", "200"): StatusAnswer(
        verdict="block",
        score=0.97,
        reasons=[Reason("upi_vpa", "direct", 0, 0.97), Reason("phone", "direct", 0, 0.6)],
        case_count=2,
        disputed_cases=0,
        phone_only=False,
        path="store",
        outstanding_band="500-2000",
        oldest_case_days=41,
    ),
    ("POST /abuse/defaulters/{case_id}/settle", "200"): CaseAnswer(
        "c-3f9a1b", "settled", Standing.CLOSED
    ),
    ("POST /abuse/defaulters/{case_id}/withdraw", "200"): CaseAnswer(
        "c-3f9a1b", "withdrawn", Standing.CLOSED
    ),
    ("POST /abuse/defaulters/{case_id}/dispute", "200"): CaseAnswer(
        "c-3f9a1b", "disputed", Standing.COUNTS
    ),
    ("POST /abuse/defaulters/{case_id}/resolve", "200"): CaseAnswer(
        "c-3f9a1b", "open", Standing.COUNTS
    ),
    ("POST /abuse/quota/check", "200"): CheckAnswer(
        decision="allow",
        limit=3000,
        remaining=2987,
        reset=1,
        verdict="none",
        reasons=[],
        path="store",
        rule="search.default",
        cost=1,
        coarsen=False,
        duplicate=False,
    ),
    ("POST /abuse/events", "200"): EventsAnswer(received=2, recorded=2),
    ("GET /abuse/baps/{bap_id}", "200"): BapReport(
        bap_id=_SCRAPER.bap_id,
        verdict=_SCRAPER,
        history=[msgspec.structs.replace(_SCRAPER, scored_at=_AT - 900, score=0.91)],
        quotas={"search": "750 per 60 s (search.default x 0.25)"},
    ),
    ("GET /admin/audit", "200"): AuditPage(
        entries=[
            AuditLine(
                seq=1042,
                at=iso(_AT),
                actor=_SID,
                action="status",
                purpose="postpaid_session",
                verdict="block",
                score=0.97,
                tokens=_TOKENS,
                request_id=None,
            ),
            AuditLine(
                seq=1041,
                at=iso(_AT - 300),
                actor="cpo2.example.in",
                action="report",
                case_id="c-3f9a1b",
                after="open",
                tokens=_TOKENS,
            ),
        ],
        next_cursor=1040,
        scanned=2,
    ),
    ("GET /admin/disputes", "200"): DisputeQueue(
        expire_days=30.0,
        disputes=[
            DisputeLine(
                case_id="c-3f9a1b",
                creditor="cpo2.example.in",
                amount_paise=41250,
                currency="INR",
                tokens=_TOKENS,
                disputed_at=iso(_AT - 3 * _DAY),
                age_seconds=3 * _DAY,
                deadline=iso(_AT + 27 * _DAY),
                remaining_seconds=27 * _DAY,
                overdue=False,
            )
        ],
        truncated=False,
    ),
    ("GET /admin/baps", "200"): BapRanking(baps=[_line(_SCRAPER), _line(_HONEST)]),
}
"""The example of each JSON answer, by operation and status."""


def _sent(exc: UeiError | SignatureError) -> Any:
    return msgspec.json.decode(answer(exc).body)


REFUSALS: dict[str, tuple[str, Any]] = {
    status: (about, _sent(exc))
    for status, about, exc in (
        (
            "400",
            "a field at fault",
            InvalidRequest("subscriber_url must be an http(s) URL", "subscriber_url"),
        ),
        ("401", "a signature refused", Replayed("sign each attempt anew")),
        (
            "403",
            "a caller without the right",
            Forbidden(
                "cpo.example.in has no defaulters grant: with defaulters.access: granted, only "
                "CPOs an operator granted may use non-payer protection (uei admin grant "
                "cpo.example.in defaulters)"
            ),
        ),
        ("404", "nothing by that name", NotFound("no subscriber cpo2.example.in", "subscriber_id")),
        (
            "409",
            "not possible as things stand",
            Conflict("this session_ref was reported before with other details", "session_ref"),
        ),
        (
            "410",
            "revoked for good",
            Gone("key k-2026-11 of cpo.example.in is revoked", "unique_key_id"),
        ),
        (
            "422",
            "an identifier that does not normalise",
            InvalidIdentifier(
                "identifiers[0] (phone): not a mobile number", "identifiers[0].value"
            ),
        ),
        (
            "429",
            "over a quota (also an RFC 9457 problem)",
            RateLimited(
                "status query quota exceeded (200 identifiers per hour, burst 20; this query "
                "presents 2)",
                18,
                QuotaState("defaulters.query_quota", 200, 3600, 0, 18),
            ),
        ),
        (
            "503",
            "the store did not answer",
            Unavailable("the store did not answer in time: nothing was decided; retry", 1),
        ),
    )
}
"""A Beckn NACK for each refusal status, as ``answer`` makes it, and what it is about."""

DEDI_REFUSALS: dict[str, DediError] = {
    "400": DediError("Bad Request", "page_size must be 1..100", "INVALID_REQUEST"),
    "404": DediError("Not Found", "no record cpo2.example.in in the registry", "NOT_FOUND"),
    "410": DediError("Gone", "key k-2026-11 of cpo.example.in is revoked", "RECORD_REVOKED"),
    "500": DediError("Internal Server Error", "the store did not answer", "INTERNAL_ERROR"),
}
"""DeDi's error body for each status the DeDi reads refuse with."""


def encoded(value: object) -> Any:
    """An example as JSON-ready data, exactly as the service encodes that value."""
    return msgspec.json.decode(msgspec.json.encode(value))
