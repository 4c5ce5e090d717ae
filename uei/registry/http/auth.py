"""Who is calling a registry route: verify the Beckn signature on a request with a resolver
for the route, under the registry's skew and lifetime limits. The registry's callers (an
operator, a subscriber, the subscriber named in the path) are resolved here; the app's one
guard (``uei/app/guard.py``) picks the one a route declares."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from nacl.signing import VerifyKey

from uei.errors import Forbidden, InvalidRequest
from uei.registry.changelog import Actor
from uei.registry.http.bodies import SubscribeBody
from uei.registry.identity import operator_key
from uei.registry.model import KeyState, Status
from uei.registry.operations import SignedBy, SubscribeRequest, subscribe_signing_key
from uei.registry.policy import RegistryPolicy
from uei.registry.service import Registry
from uei.trust import (
    GATEWAY_HEADER,
    KeyFormatError,
    KeyResolver,
    MalformedHeader,
    SignatureError,
    SignatureParams,
    UnknownKey,
    Verifier,
    encode_key,
    load_verify_key,
)

__all__ = [
    "Registrant",
    "SelfOrOperator",
    "authenticate",
    "authenticate_operator",
    "authenticate_registrant",
    "authenticate_self",
    "authenticate_subscriber",
    "registry_of",
]

SelfOrOperator = tuple[Actor, SignedBy | None]
"""Who signed a subscriber's own route: an operator (no ``SignedBy``), or the subscriber with
the key it signed with (re-checked in the commit of any change it asks for)."""

Registrant = tuple[SubscribeRequest, SignedBy]
"""What a signed ``/subscribe`` asks, and the key that signed it."""

_NOT_REVOKED = frozenset(s for s in Status if s is not Status.REVOKED)


def registry_of(request: Request[Any, Any, Any]) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


async def authenticate(
    request: Request[Any, Any, Any], resolve: KeyResolver, *, once: bool
) -> SignatureParams:
    """The verified signer of this request. ``once``: refuse replays (state-changing routes).

    Raises ``SignatureError`` (a 401 with the reason) with ``header_name`` set, so the answer
    challenges with ``Proxy-Authenticate`` when the gateway header was used.
    """
    registry = registry_of(request)
    policy: RegistryPolicy = registry.policy()
    header_name = "Authorization"
    header = request.headers.get("authorization")
    if header is None and GATEWAY_HEADER.lower() in request.headers:
        header_name, header = GATEWAY_HEADER, request.headers[GATEWAY_HEADER.lower()]
    try:
        if header is None:
            raise MalformedHeader("the Authorization header is missing; sign the request")
        verifier = Verifier(
            resolve=resolve,
            clock=registry.clock,
            # a route whose store step marks the signature itself (uei/access.py IN_STORE)
            # gets it recorded here, not marked
            replay_guard=getattr(request.state, "replay", None) or request.app.state.replay_guard,
            max_skew=policy.max_skew_seconds,
            max_lifetime=policy.max_signature_lifetime_seconds,
        )
        return await verifier.verify(header, await request.body(), once=once)
    except SignatureError as exc:
        exc.header_name = header_name
        raise


async def authenticate_operator(request: Request[Any, Any, Any], *, once: bool) -> Actor:
    """An operator key named in ``UEI_OPERATORS`` signed the request."""
    operators = request.app.state.operators.current()

    async def resolve(operator_id: str, kid: str) -> VerifyKey:
        return operator_key(operators, operator_id, kid)

    return Actor.operator((await authenticate(request, resolve, once=once)).subscriber_id)


async def authenticate_subscriber(request: Request[Any, Any, Any], *, once: bool) -> str:
    """A SUBSCRIBED participant signed the request with a valid key."""
    registry = registry_of(request)

    async def resolve(sid: str, kid: str) -> VerifyKey:
        return registry.verify_key(sid, kid)

    return (await authenticate(request, resolve, once=once)).subscriber_id


async def authenticate_self(
    request: Request[Any, Any, Any], subscriber_id: str, *, once: bool, pending_ok: bool
) -> SelfOrOperator:
    """An operator, or ``subscriber_id`` itself (any status but REVOKED; with ``pending_ok``
    also with a key still being challenged)."""
    registry = registry_of(request)
    operators = request.app.state.operators.current()
    operator = False
    used: list[VerifyKey] = []

    async def resolve(sid: str, kid: str) -> VerifyKey:
        nonlocal operator
        if (sid, kid) in operators:
            operator = True
            return operator_key(operators, sid, kid)
        if sid != subscriber_id:
            raise UnknownKey(f"{sid} may not act for {subscriber_id}")
        sub = registry.view.subscriber(sid) or await registry.store.load(sid)
        key = sub.key(kid) if sub else None
        if key is not None and pending_ok and key.state is KeyState.PENDING:
            used.append(load_verify_key(key.signing_public_key))
        else:
            used.append(registry.view.verify_key(sid, kid, registry.clock(), _NOT_REVOKED))
        return used[-1]

    params = await authenticate(request, resolve, once=once)
    if operator:
        return Actor.operator(params.subscriber_id), None
    signed_by = SignedBy(params.subscriber_id, params.unique_key_id, encode_key(used[-1]))
    return signed_by.actor, signed_by


_AT = re.compile(r" - at `\$\.?([^`]*)`$")


def _subscribe_body(raw: bytes) -> SubscribeBody:
    """The body as the handler's own parameter decodes it (an empty one asks nothing new)."""
    if not raw.strip():
        return SubscribeBody()
    try:  # as Litestar does: JSON first (too deep a nesting is app/errors.py's 400), then the type
        decoded = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from None
    try:
        body = msgspec.convert(decoded, SubscribeBody | None, strict=False)
    except msgspec.ValidationError as exc:
        at = _AT.search(str(exc))
        raise InvalidRequest(str(exc), (at.group(1) or None) if at else None) from None
    return body or SubscribeBody()


async def authenticate_registrant(request: Request[Any, Any, Any], *, once: bool) -> Registrant:
    """The signer of its own registration: a newcomer with the signing key in its own body
    (proof of possession), an existing subscriber with a valid key of its own."""
    registry = registry_of(request)
    resolved: list[Registrant] = []

    async def resolve(sid: str, kid: str) -> VerifyKey:
        req = _subscribe_body(await request.body()).resolve(sid)
        registry.reserved.check(req)  # a 403 naming the field, before any key is looked at
        existing = await registry.store.load(sid)
        try:
            public = subscribe_signing_key(existing, req, kid, registry.clock())
        except Forbidden as exc:
            raise UnknownKey(exc.message) from None
        resolved.append((req, SignedBy(sid, kid, public)))
        try:
            return load_verify_key(public, "signing_public_key")
        except KeyFormatError as exc:
            raise InvalidRequest(str(exc), "signing_public_key") from None

    await authenticate(request, resolve, once=once)
    return resolved[0]
