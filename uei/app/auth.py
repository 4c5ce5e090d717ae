"""Who may call the routes that join the domains: the callers of the anti-abuse APIs (CPOs,
relays, readers), each a registry participant whose signature is verified with
``uei.registry.http.auth.authenticate`` (the app's guard, ``uei/app/guard.py``, picks the one
a route declares); and the replay guard every route shares."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Request
from nacl.signing import VerifyKey

from uei.antiabuse.defaulters.policy import Access, DefaultersPolicy
from uei.antiabuse.quotas.http import QuotasApi
from uei.antiabuse.scraping.http import Reader, Relay
from uei.app.reload import PolicyHolder
from uei.errors import Forbidden
from uei.registry.http.auth import authenticate, registry_of
from uei.registry.identity import operator_key
from uei.registry.model import ParticipantType, Status, Subscriber
from uei.registry.policy import RegistryPolicy
from uei.registry.service import Registry
from uei.storage.errors import StoreUnavailable
from uei.storage.outage import Outage
from uei.trust import MemoryReplayGuard, ReplayGuard, UnknownKey, Verifier

__all__ = [
    "DEFAULTERS",
    "DegradingReplayGuard",
    "authenticate_bpp",
    "authenticate_reader",
    "authenticate_relay",
    "bap_verifier",
    "is_subscribed_bap",
]


log = logging.getLogger("uei.auth")


class DegradingReplayGuard:
    """The store's replay guard (every replica shares it), or this process's own while the
    store does not answer in time: requests keep being decided (each route's failure mode)
    instead of hanging or failing, and a replay to the same replica is still refused."""

    def __init__(self, shared: ReplayGuard, timeout: float) -> None:
        self._shared = shared
        self._local = MemoryReplayGuard()
        self._timeout = timeout
        self._outage = Outage("the replay guard's store", log)

    async def first_use(self, signature: str, expires: int, now: float) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                first = await self._shared.first_use(signature, expires, now)
        except (StoreUnavailable, TimeoutError) as exc:
            self._outage.failed(exc, now, "using this replica's own until it answers")
            return await self._local.first_use(signature, expires, now)
        self._outage.answered(now)
        # remembered here too, so a replay during a later outage is still caught
        await self._local.first_use(signature, expires, now)
        return first


async def _authenticate_as(
    request: Request[Any, Any, Any], types: frozenset[ParticipantType], what: str, *, once: bool
) -> Subscriber:
    """The SUBSCRIBED participant of one of ``types`` that signed this request (replays
    refused). Anyone else, even another subscribed participant, gets a 401 saying so."""
    registry = registry_of(request)
    signer: list[Subscriber] = []

    async def resolve(sid: str, kid: str) -> VerifyKey:
        sub = registry.view.subscriber(sid)
        if sub is None or not any(r.type in types for r in sub.roles):
            raise UnknownKey(f"{sid} is not a subscribed {what}")
        signer.append(sub)
        return registry.view.verify_key(sid, kid, registry.clock())

    await authenticate(request, resolve, once=once)
    return signer[-1]  # the one whose key verified the signature


DEFAULTERS = "defaulters"
"""The grant for the non-payer API (``uei admin grant SUBSCRIBER_ID defaulters``)."""


async def authenticate_bpp(request: Request[Any, Any, Any], *, once: bool) -> str:
    """A CPO: the callers of non-payer protection. A subscribed BPP that signed the request
    (else 401), and with ``defaulters.access: granted`` one an operator granted ``defaulters``
    (else 403: a signed request by a BPP without the grant)."""
    sub = await _authenticate_as(request, _BPP, "BPP", once=once)
    bpp = sub.subscriber_id
    holder: PolicyHolder = request.app.state.policy
    policy: DefaultersPolicy = holder.current.defaulters
    if policy.access is Access.GRANTED and DEFAULTERS not in sub.grants:
        raise Forbidden(
            f"{bpp} has no defaulters grant: with defaulters.access: granted, only CPOs an "
            f"operator granted may use non-payer protection (uei admin grant {bpp} "
            "defaulters)"
        )
    return bpp


async def authenticate_relay(request: Request[Any, Any, Any], *, once: bool) -> Relay:
    """A BG or a BPP on the search path: the callers of quota checks and event uploads, and
    whether it is a gateway (a granted BG role: trusted to name the BAP) or a BPP (which
    must forward the BAP's own signed request), its call metered against its own rule."""
    sub = await _authenticate_as(request, _RELAY, "BG or BPP", once=once)
    subscriber_id = sub.subscriber_id
    gateway = any(r.type is ParticipantType.BG for r in sub.roles)
    # every call a relay makes is metered against its own rule before anything else of it
    # happens (a malformed body too): over it, a 429 and no BAP's quota is touched
    api: QuotasApi = request.app.state.quotas
    await api.relays.charge(subscriber_id, gateway)
    return Relay(subscriber_id, gateway)


def bap_verifier(registry: Registry) -> Verifier:
    """The check of a BAP's own signature on a request a relay forwards: the key of a
    SUBSCRIBED BAP valid now, the registry's skew and lifetime limits, and no replay guard
    (one search is broadcast to many BPPs; what it spends is deduplicated by its message id
    and query while the signature is valid)."""
    policy: RegistryPolicy = registry.policy()

    async def resolve(sid: str, kid: str) -> VerifyKey:
        if not is_subscribed_bap(registry, sid):
            raise UnknownKey(f"{sid} is not a subscribed BAP")
        return registry.view.verify_key(sid, kid, registry.clock())

    return Verifier(
        resolve=resolve,
        clock=registry.clock,
        max_skew=policy.max_skew_seconds,
        max_lifetime=policy.max_signature_lifetime_seconds,
    )


async def authenticate_reader(request: Request[Any, Any, Any], *, once: bool) -> Reader:
    """An operator (key in ``UEI_OPERATORS``) or any SUBSCRIBED participant: readers of
    verdicts, who may then see their own or, for operators, everyone's."""
    registry = registry_of(request)
    operators = request.app.state.operators.current()
    operator = False

    async def resolve(sid: str, kid: str) -> VerifyKey:
        nonlocal operator
        if (sid, kid) in operators:
            operator = True
            return operator_key(operators, sid, kid)
        return registry.view.verify_key(sid, kid, registry.clock())

    params = await authenticate(request, resolve, once=once)
    return Reader(params.subscriber_id, operator)


def is_subscribed_bap(registry: Registry, subscriber_id: str) -> bool:
    sub = registry.view.subscriber(subscriber_id)
    return (
        sub is not None
        and sub.status is Status.SUBSCRIBED
        and any(r.type is ParticipantType.BAP for r in sub.roles)
    )


_BPP = frozenset({ParticipantType.BPP})
_RELAY = frozenset({ParticipantType.BG, ParticipantType.BPP})
