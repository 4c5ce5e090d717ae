"""Signing in and out, and the dashboard's own assets.

``GET /dashboard/login?token=...`` takes a link from ``uei admin dashboard-link``: the token
must verify with an operator key loaded from ``UEI_OPERATORS``, be within its time, and be
used for the first time on any replica (its nonce is marked in the store's replay guard, the
one the signed routes use). Then a session cookie and a redirect to ``/dashboard``, so the
token is not left in the address bar or the history. Signing in needs no stored password.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import File, Redirect, Template

from uei.app.dashboard.kit import ACTION, PAGE, PAGES, PREFIX, PUBLIC, render, session_of
from uei.app.dashboard.links import LinkError, read_token, verify_token
from uei.app.dashboard.session import (
    COOKIE,
    PAGE_REASONS,
    SESSION_SECONDS,
    SIGNED_OUT,
    SIGNED_OUT_MARK,
    dashboard_state,
)
from uei.registry.http.auth import registry_of

__all__ = ["PLOTLY_FILE", "home", "login", "logout", "plotly_asset", "signin"]


def _plotly_file() -> Path:
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise RuntimeError("the plotly package is not installed (a runtime dependency)")
    return Path(spec.origin).parent / "package_data" / "plotly.min.js"


PLOTLY_FILE = _plotly_file()
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_TOKEN = QueryParameter(
    max_length=2048, description="the token of a `uei admin dashboard-link` link"
)


def _cookie_flags(max_age: int) -> dict[str, Any]:
    return {
        "key": COOKIE,
        "path": PREFIX,
        "secure": True,
        "httponly": True,
        "samesite": "strict",
        "max_age": max_age,
    }


@get("/signin", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
def signin(request: Request[Any, Any, Any], reason: FromQuery[str | None] = None) -> Template:
    """How to sign in (and why the last attempt or page was refused)."""
    return render(request, "signin.html", reason=reason if reason in PAGE_REASONS else "")


@get("/login", opt=PUBLIC, include_in_schema=False)
async def login(
    request: Request[Any, Any, Any], token: Annotated[str, _TOKEN] = ""
) -> Redirect | Template:
    """A sign-in link: verified, used once, then a session and a redirect to the dashboard."""
    state = dashboard_state(request)
    now = state.clock()
    try:
        claims, raw, signature = read_token(token)
        key = state.operators.current().get((claims.operator_id, claims.key_id))
        if key is None:
            raise LinkError(f"{claims.operator_id}|{claims.key_id} is not an operator key")
        verify_token(raw, signature, key, claims, now)
        # single use on every replica: the store's replay guard, the signed routes' own
        if not await registry_of(request).store.first_use(
            f"dashboard-link:{claims.nonce}", claims.expires, now
        ):
            raise LinkError("the link has been used already: make a new one")
    except LinkError as exc:
        return render(request, "signin.html", status_code=401, reason=str(exc))
    value, _ = state.keys.issue(claims.operator_id, claims.key_id, now)
    response = Redirect(PREFIX, status_code=303, headers=_NO_STORE)
    response.set_cookie(value=value, **_cookie_flags(SESSION_SECONDS))
    return response


@post("/logout", opt=ACTION, include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """Ends the session: marked signed out in the store (a copy of the cookie is refused on
    every replica), and the cookie cleared in this browser."""
    session = session_of(request)
    mark = SIGNED_OUT_MARK + session.session_id
    await registry_of(request).store.first_use(
        mark, session.expires, dashboard_state(request).clock()
    )
    response = Redirect(
        f"{PREFIX}/signin?{urlencode({'reason': SIGNED_OUT})}", status_code=303, headers=_NO_STORE
    )
    response.set_cookie(value="", **_cookie_flags(0))
    return response


@get("/", opt=PAGE, include_in_schema=False, sync_to_thread=False)
def home() -> Redirect:
    return Redirect(f"{PREFIX}/subscribers", status_code=303)


@get("/assets/plotly.min.js", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
def plotly_asset() -> File:
    """plotly.js from the ``plotly`` package, so plots work with no network."""
    return File(
        PLOTLY_FILE,
        media_type="text/javascript",
        content_disposition_type="inline",
        headers={"Cache-Control": "public, max-age=86400"},
    )


PAGES.extend([signin, login, logout, home, plotly_asset])
