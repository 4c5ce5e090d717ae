"""Operator sessions on the dashboard: an HMAC-signed cookie, and CSRF tokens bound to it.

A session starts from a sign-in link (``signin.py``). Its cookie (``Secure; HttpOnly;
SameSite=Strict; Path=/dashboard``) holds the operator, its key id, an expiry and a random
session id, with an HMAC-SHA256 keyed by a secret derived from the network secret (every
replica has it, so any replica accepts the cookie; nothing is stored per session). Each
request re-checks the operator key against the operators file as it is now: an operator
removed from the file loses its session on the next request. Signing out marks the session id
in the store until the session would have expired, so a copy of the cookie is refused on every
replica from then on.

The CSRF token of a session is an HMAC of its session id: a form carries it in a hidden
field, and every action (``opt={"csrf": True}``) checks it, and ``Origin`` /
``Sec-Fetch-Site`` when the browser sends them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Request

from uei.registry.changelog import Actor
from uei.registry.http.auth import registry_of
from uei.registry.identity import OperatorsFile

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "SESSION_SECONDS",
    "SIGNED_OUT_MARK",
    "OperatorsFile",
    "Session",
    "SessionKeys",
    "SessionRefused",
    "authenticate_session",
]

COOKIE = "uei_dashboard"
CSRF_FIELD = "csrf_token"
"""The hidden form field every action's form carries."""
SESSION_SECONDS = 8 * 3600
"""How long a session lasts from sign-in (then a new link)."""
SIGNED_OUT_MARK = "dashboard-session:"
"""A signed-out session's mark in the store (the replay guard's, kept until the session would
have expired): a copy of its cookie is refused on every replica."""
ENDED = "this session was signed out; sign in again"


SIGNED_OUT = "signed out"
PAGE_REASONS = frozenset(
    {
        SIGNED_OUT,
        "you are not signed in",
        "the session cookie is malformed; sign in again",
        "the session cookie is not this service's; sign in again",
        "the session has expired; sign in again",
        "the operator key you signed in with is no longer an operator's",
        ENDED,
    }
)
"""Why a page sent its caller to sign in: the sign-in page shows a reason from its query only
if it is one of these, so a crafted link cannot make the service's page say anything else."""


class SessionRefused(Exception):
    """No (valid) session, or an action without its CSRF proof: the dashboard answers with
    the sign-in page (a page) or a 403 page (an action), never data."""

    def __init__(self, reason: str, *, forbidden: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.forbidden = forbidden


class _Cookie(msgspec.Struct, frozen=True, array_like=True):
    operator_id: str
    key_id: str
    expires: int
    session_id: str


@dataclass(frozen=True, slots=True)
class Session:
    """The signed-in operator of a dashboard request (``request.state.caller``)."""

    operator: Actor
    key_id: str
    session_id: str
    expires: int
    csrf_token: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionKeys:
    """The session cookie's and the CSRF tokens' MAC key, derived from the network secret
    (BLAKE2b keyed by it, personalised), so it is never the secret itself."""

    def __init__(self, network_secret: bytes) -> None:
        self._key = hashlib.blake2b(
            b"session", key=network_secret[:64], digest_size=32, person=b"uei-dashboard"
        ).digest()

    def _mac(self, data: bytes) -> bytes:
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def issue(self, operator_id: str, key_id: str, now: float) -> tuple[str, Session]:
        """A new session's cookie value and the session."""
        cookie = _Cookie(operator_id, key_id, int(now) + SESSION_SECONDS, secrets.token_hex(16))
        raw = msgspec.json.encode(cookie)
        return f"{_b64(raw)}.{_b64(self._mac(b'cookie:' + raw))}", self._session(cookie)

    def csrf(self, session_id: str) -> str:
        return _b64(self._mac(b"csrf:" + session_id.encode()))

    def _session(self, cookie: _Cookie) -> Session:
        return Session(
            Actor.operator(cookie.operator_id),
            cookie.key_id,
            cookie.session_id,
            cookie.expires,
            self.csrf(cookie.session_id),
        )

    def read(self, value: str, now: float) -> Session:
        try:
            head, _, tail = value.partition(".")
            raw, mac = _unb64(head), _unb64(tail)
        except (binascii.Error, ValueError):
            raise SessionRefused("the session cookie is malformed; sign in again") from None
        if not hmac.compare_digest(mac, self._mac(b"cookie:" + raw)):
            raise SessionRefused("the session cookie is not this service's; sign in again")
        cookie = msgspec.json.decode(raw, type=_Cookie)  # ours (the MAC says so): decodes
        if cookie.expires <= now:
            raise SessionRefused("the session has expired; sign in again")
        return self._session(cookie)


@dataclass(frozen=True, slots=True)
class DashboardState:
    """What the dashboard's routes share (``app.state.dashboard``)."""

    keys: SessionKeys
    operators: OperatorsFile
    clock: Callable[[], float]


def dashboard_state(request: Request[Any, Any, Any]) -> DashboardState:
    state: DashboardState = request.app.state.dashboard
    return state


def _same_origin(request: Request[Any, Any, Any]) -> None:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        raise SessionRefused(
            f"an action from another site (Sec-Fetch-Site: {site})", forbidden=True
        )
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise SessionRefused(f"an action from another origin ({origin})", forbidden=True)


async def authenticate_session(request: Request[Any, Any, Any], *, csrf: bool) -> Session:
    """The operator signed in on this request; with ``csrf``, also proof that the request
    comes from the dashboard's own form in this session."""
    state = dashboard_state(request)
    value = request.cookies.get(COOKIE)
    if not value:
        raise SessionRefused("you are not signed in")
    session = state.keys.read(value, state.clock())
    if (session.operator.id, session.key_id) not in state.operators.current():
        raise SessionRefused("the operator key you signed in with is no longer an operator's")
    if await registry_of(request).store.marked(SIGNED_OUT_MARK + session.session_id, state.clock()):
        raise SessionRefused(ENDED)
    if csrf:
        _same_origin(request)
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf_token):
            raise SessionRefused(
                "the form's CSRF token is missing or not this session's; reload the page",
                forbidden=True,
            )
    return session
