"""The quota check: may this BAP take this action now? Asked by the relay (a BG or a BPP)
serving the BAP's request, before it serves it.

The route declares ``Caller.RELAY``: the app's guard verifies the relay, meters its own call
against its own rule (``relays.py``: over it, a 429 before anything else) and leaves a
``Relay`` on ``request.state.caller``. The handler binds the check to the BAP it speaks for
(``uei/antiabuse/scraping/binding.py``: a gateway's word, or the BAP's signed request a BPP
forwards), asks the quota service and answers with IETF ratelimit headers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.types import ASGIApp

from uei.access import CALLER, IN_STORE, ONCE, Caller
from uei.antiabuse.identity import user_token
from uei.antiabuse.quotas.relays import RelayMeter
from uei.antiabuse.quotas.service import Quotas, RuleStanding
from uei.antiabuse.scraping.binding import Relay, bind_check
from uei.antiabuse.scraping.events import Search
from uei.antiabuse.scraping.wire import CheckAnswer, CheckBody
from uei.beckn import ABNORMAL_USAGE, QUOTA_EXCEEDED, ErrorCode, problem
from uei.errors import NotFound
from uei.prebuilt import PROBLEM_JSON, json_answer
from uei.trust import Verifier

__all__ = ["CHECK", "RELAY", "QuotasApi", "quota_check", "ratelimit_headers"]


@dataclass(frozen=True, slots=True)
class QuotasApi:
    """What the search path's routes read off the app's state (``state.quotas``, left there by
    the app's lifespan)."""

    quotas: Quotas
    relays: RelayMeter
    secret: bytes
    """The network secret, for user references."""
    is_bap: Callable[[str], bool]
    """Whether a subscriber id is a SUBSCRIBED BAP."""
    bap_verifier: Callable[[], Verifier]
    """The check of a BAP's own signature on a request a relay forwards: a SUBSCRIBED BAP's
    valid registry key, the registry's time limits, no replay guard."""

    def user(self, bap: str, ref: str | None) -> str:
        """The BAP's user reference as a token keyed by the network secret ("" for none)."""
        return user_token(self.secret, bap, ref) if ref is not None else ""


_encode = msgspec.json.Encoder().encode

RELAY = {CALLER: Caller.RELAY, ONCE: True}
"""The event upload: signed by a relay, a replayed signature refused by the guard."""
CHECK = {CALLER: Caller.RELAY, ONCE: IN_STORE}
"""The quota check: signed by a relay, a replayed signature refused by the check's own store
step (one script marks it and takes quota)."""


def _structured(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ratelimit_headers(
    result: RuleStanding, retry_after: int | None = None
) -> list[tuple[bytes, bytes]]:
    """IETF httpapi ratelimit-headers: the rule as applied, and where the caller stands; a
    refusal's ``Retry-After`` (the rule's wait unless ``retry_after`` says otherwise)."""
    name = _structured(result.rule)
    policy = f"{name};q={result.limit};w={math.ceil(result.window_seconds)}"
    headers = [
        (b"ratelimit-policy", policy.encode()),
        (b"ratelimit", f"{name};r={result.remaining};t={math.ceil(result.reset_seconds)}".encode()),
    ]
    if not result.allowed:
        wait = retry_after if retry_after is not None else math.ceil(result.retry_after)
        headers.append((b"retry-after", b"%d" % max(1, wait)))
    return headers


@post(
    "/quota/check",
    status_code=200,
    tags=["scraping"],
    summary="May this BAP take this action now?",
    responses={200: ResponseSpec(CheckAnswer, description="allowed: the BAP may go on")},
    opt=CHECK,
)
async def quota_check(request: Request[Any, Any, Any], data: JSONBody[CheckBody]) -> ASGIApp:
    """Signed by the BG or BPP relaying a BAP's request, before serving it. A gateway names
    the BAP, action, message id and search; a BPP forwards the BAP's own signed request
    (``bap_request``: its Authorization header as received and the base64 of the bytes it
    signed), from which they are read: without it a BPP is refused (403), and fields stated
    besides must agree with it (400 naming the field). Each relay's own calls are metered
    first, by the app's guard (``relays.py``): over its rule, a 429 for the relay, no BAP's
    quota touched.

    Then takes quota from the BAP's rule for the action (its override, its tier's, or the
    default tier's; a wider search costs more) on the store's clock, shared by every replica,
    and applies the BAP's latest scraping verdict. Records the search for scoring. The same
    check again (``message_id`` and query) answers as before and costs nothing.

    ``200`` with ``decision: allow``, or ``429`` with ``decision: deny`` in a problem body
    (type ``quota-exceeded``, or ``abnormal-usage-detected`` for a blocked BAP) that is also
    a Beckn NACK. Both carry ``RateLimit-Policy`` and ``RateLimit``; a refusal carries
    ``Retry-After``, which the caller may relay to the BAP."""
    api: QuotasApi = request.app.state.quotas  # a hot path: no dependency to resolve
    state = request.state
    caller: Relay = state.caller
    bound = await bind_check(data, caller, api.bap_verifier)
    if not api.is_bap(bound.bap_id):
        raise NotFound(f"{bound.bap_id} is not a subscribed BAP", "bap_id")
    search: Search | None = None
    if bound.query is not None:
        search = Search(
            at=api.quotas.clock(),
            lat=bound.query.lat,
            lon=bound.query.lon,
            radius_km=bound.query.radius_km,
            via=caller.subscriber_id,
            user=api.user(bound.bap_id, bound.user_ref),
        )
    result = await api.quotas.check(
        bound.bap_id,
        bound.action,
        bound.message_id,
        search,
        dedupe_seconds=bound.dedupe_seconds,
        replay=state.replay,  # marked in the check's own store step (IN_STORE)
    )
    shadow_deny = result.quota_exceeded and result.shadow_rule and not result.blocked
    answer = CheckAnswer(
        decision="allow" if result.allowed else "deny",
        limit=result.limit,
        remaining=result.remaining,
        reset=math.ceil(result.reset_seconds),
        verdict=result.verdict.value if result.verdict else "none",
        reasons=result.reasons,
        path=result.path.value,
        rule=result.rule,
        cost=result.cost,
        coarsen=result.coarsen,
        duplicate=result.duplicate,
        shadow_decision="deny" if shadow_deny else None,
        shadow_verdict=result.shadow_verdict.value if result.shadow_verdict else None,
    )
    if result.allowed:
        return json_answer(200, _encode(answer), ratelimit_headers(result))
    retry_after = None
    if result.blocked:
        kind, title, code = ABNORMAL_USAGE, "Abnormal usage detected", ErrorCode.ABNORMAL_USAGE
        message = f"{bound.bap_id} is blocked for scraping; " + "; ".join(result.reasons)
        scoring = api.quotas.scraping().score_every_seconds
        retry_after = math.ceil(scoring or 3600)  # until the next scoring may lift it
    else:
        kind, title, code = QUOTA_EXCEEDED, "Quota exceeded", ErrorCode.RATE_LIMITED
        message = "; ".join(result.reasons)
    envelope = msgspec.to_builtins(problem(kind, title, 429, code, message))
    body = msgspec.to_builtins(answer) | envelope
    return json_answer(429, _encode(body), ratelimit_headers(result, retry_after), PROBLEM_JSON)
