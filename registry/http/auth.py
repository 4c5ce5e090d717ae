"""Who is calling: verify the Beckn signature on a request with a resolver for the route."""

from __future__ import annotations

from typing import Any

from litestar import Request
from nacl.signing import VerifyKey

from registry.model import ParticipantType
from registry.policy import RegistryPolicy
from registry.service import Registry
from trust import (
    GATEWAY_HEADER,
    KeyResolver,
    MalformedHeader,
    SignatureError,
    SignatureParams,
    UnknownKey,
    Verifier,
)

__all__ = ["authenticate", "authenticate_bpp", "registry_of"]


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
            replay_guard=registry.store,
            max_skew=policy.max_skew_seconds,
        )
        return await verifier.verify(header, await request.body(), once=once)
    except SignatureError as exc:
        exc.header_name = header_name
        raise


async def authenticate_bpp(request: Request[Any, Any, Any]) -> str:
    """The SUBSCRIBED BPP that signed this request (replays refused): the anti-abuse API's
    callers. Anyone else, even a subscribed BAP, gets a 401 saying so."""
    registry = registry_of(request)

    async def resolve(sid: str, kid: str) -> VerifyKey:
        sub = registry.view.subscriber(sid)
        if sub is None or not any(r.type is ParticipantType.BPP for r in sub.roles):
            raise UnknownKey(f"{sid} is not a subscribed BPP")
        return registry.view.verify_key(sid, kid, registry.clock())

    params = await authenticate(request, resolve, once=True)
    return params.subscriber_id
