"""Who is calling a registry route: verify the Beckn signature on a request with a resolver
for the route, under the registry's skew and lifetime limits."""

from __future__ import annotations

from typing import Any

from litestar import Request

from uei.registry.policy import RegistryPolicy
from uei.registry.service import Registry
from uei.trust import (
    GATEWAY_HEADER,
    KeyResolver,
    MalformedHeader,
    SignatureError,
    SignatureParams,
    Verifier,
)

__all__ = ["authenticate", "registry_of"]


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
            replay_guard=request.app.state.replay_guard,
            max_skew=policy.max_skew_seconds,
            max_lifetime=policy.max_signature_lifetime_seconds,
        )
        return await verifier.verify(header, await request.body(), once=once)
    except SignatureError as exc:
        exc.header_name = header_name
        raise
