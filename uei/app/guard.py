"""The one authorization guard: every route declares who may call it in its ``opt``
(``uei/access.py``); this guard reads the declaration, verifies the request's signature once
with the resolver for that caller, refuses a replay where the route says ``once``, and leaves
the verified caller on ``request.state.caller`` for the handler.

The resolvers stay where the knowledge is: operators, subscribers, the subscriber named in
the path and the registrant in ``uei/registry/http/auth.py``; CPOs (the grant), relays and
readers in ``uei/app/auth.py``; an operator signed in to the dashboard (a session cookie, no
signature) in ``uei/app/dashboard/session.py``. The guard runs before the handler's parameters
are decoded, so an unsigned or wrongly signed request learns nothing about its body or
parameters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from litestar import Request
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler

from uei.access import CALLER, CSRF, IN_STORE, ONCE, PENDING_KEYS, Caller
from uei.app.auth import authenticate_bpp, authenticate_reader, authenticate_relay
from uei.app.dashboard.session import authenticate_session
from uei.registry.http.auth import (
    authenticate_operator,
    authenticate_registrant,
    authenticate_self,
    authenticate_subscriber,
)
from uei.trust import PendingReplay

__all__ = ["guard", "undeclared", "unguarded"]

Resolve = Callable[[Request[Any, Any, Any], Mapping[str, Any], bool], Awaitable[object]]


async def _operator(request: Request[Any, Any, Any], _: Mapping[str, Any], once: bool) -> object:
    return await authenticate_operator(request, once=once)


async def _subscriber(request: Request[Any, Any, Any], _: Mapping[str, Any], once: bool) -> object:
    return await authenticate_subscriber(request, once=once)


async def _subscriber_self(
    request: Request[Any, Any, Any], opt: Mapping[str, Any], once: bool
) -> object:
    subscriber_id: str = request.path_params["subscriber_id"]
    pending_ok = bool(opt.get(PENDING_KEYS, False))
    return await authenticate_self(request, subscriber_id, once=once, pending_ok=pending_ok)


async def _registrant(request: Request[Any, Any, Any], _: Mapping[str, Any], once: bool) -> object:
    return await authenticate_registrant(request, once=once)


async def _cpo(request: Request[Any, Any, Any], _: Mapping[str, Any], once: bool) -> object:
    return await authenticate_bpp(request, once=once)


async def _relay(request: Request[Any, Any, Any], _: Mapping[str, Any], once: bool) -> object:
    return await authenticate_relay(request, once=once)


async def _reader(request: Request[Any, Any, Any], _: Mapping[str, Any], once: bool) -> object:
    return await authenticate_reader(request, once=once)


async def _operator_session(
    request: Request[Any, Any, Any], opt: Mapping[str, Any], _: bool
) -> object:
    return await authenticate_session(request, csrf=bool(opt.get(CSRF, False)))


_RESOLVERS: dict[Caller, Resolve] = {
    Caller.OPERATOR: _operator,
    Caller.SUBSCRIBER: _subscriber,
    Caller.SUBSCRIBER_SELF: _subscriber_self,
    Caller.REGISTRANT: _registrant,
    Caller.CPO: _cpo,
    Caller.RELAY: _relay,
    Caller.READER: _reader,
    Caller.OPERATOR_SESSION: _operator_session,
}
"""Who each declared caller is, resolved; ``PUBLIC`` needs no one. ``REGISTRANT`` reads the
raw body (a newcomer's key is in it) and ``SUBSCRIBER_SELF`` the path's ``subscriber_id``."""


def _litestars_own(handler: BaseRouteHandler) -> bool:
    """The OPTIONS answer Litestar adds to every path (its ``Allow`` header): public."""
    return isinstance(handler, HTTPRouteHandler) and handler.http_methods == {"OPTIONS"}


def undeclared(handlers: Sequence[BaseRouteHandler]) -> list[str]:
    """The handlers that do not say who may call them (the app refuses to start with any)."""
    return [
        h.handler_name
        for h in handlers
        if not isinstance(h.opt.get(CALLER), Caller) and not _litestars_own(h)
    ]


def unguarded(handlers: Sequence[BaseRouteHandler]) -> list[str]:
    """The handlers that declare a caller other than the public but that the guard does not
    wrap (the app refuses to start with any: such a route would answer anyone)."""
    return [
        h.handler_name
        for h in handlers
        if isinstance(h.opt.get(CALLER), Caller)
        and h.opt[CALLER] is not Caller.PUBLIC
        and (not isinstance(h, HTTPRouteHandler) or h.resolve_before_request() is not guard)
    ]


async def guard(request: Request[Any, Any, Any]) -> None:
    """The one authorization of every guarded route, as the guarded routers' ``before_request``
    hook: it runs before the handler's parameters are decoded, as a Litestar guard would,
    without the copy of the route handler Litestar hands each guard on every request (about
    3% of a quota check's CPU)."""
    handler = request.route_handler
    opt = handler.opt
    if CALLER not in opt and _litestars_own(handler):
        return
    resolve = _RESOLVERS.get(Caller(opt[CALLER]))
    if resolve is None:
        return
    state = request.state  # a new State object each time it is read: once
    if opt.get(ONCE) == IN_STORE:  # the handler's store step marks it (uei/access.py)
        state.replay = PendingReplay()
    state.caller = await resolve(request, opt, bool(opt.get(ONCE, False)))
