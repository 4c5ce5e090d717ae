"""What every dashboard page is built with: the list of routes (``PAGES``), the declarations
(``PAGE`` / ``ACTION``), rendering with the shared context, and the HTML answers to refusals.

A module adding pages appends its handlers to ``PAGES`` and is imported by
``uei/app/dashboard/__init__.py``; its templates extend ``base.html`` (``{% block content %}``,
``{% block scripts %}``) and its forms carry ``{{ csrf_token }}`` in a hidden ``csrf_token``
field. Pages and actions are server-rendered HTML; actions are POST forms.
"""

from __future__ import annotations

import math
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler, ExceptionHandlersMap

from uei.access import CALLER, CSRF, Caller
from uei.app.dashboard.session import CSRF_FIELD, Session, SessionRefused
from uei.errors import Unavailable

__all__ = [
    "ACTION",
    "ASSETS",
    "NAV",
    "PAGE",
    "PAGES",
    "PLOTLY",
    "PREFIX",
    "PUBLIC",
    "TEMPLATES",
    "exception_handlers",
    "render",
    "session_of",
    "template_config",
]

PREFIX = "/dashboard"
ASSETS = f"{PREFIX}/assets"
PLOTLY = f"{ASSETS}/plotly.min.js"
"""plotly.js as the ``plotly`` package ships it, served by the service (no CDN)."""
TEMPLATES = Path(__file__).parent / "templates"

PAGES: list[ControllerRouterHandler] = []
"""Every dashboard route handler, paths relative to ``/dashboard``: modules append theirs."""

PAGE = {CALLER: Caller.OPERATOR_SESSION}
"""A page's declaration: a signed-in operator."""
ACTION = {CALLER: Caller.OPERATOR_SESSION, CSRF: True}
"""An action's (a POST form): a signed-in operator, and the session's CSRF token."""
PUBLIC = {CALLER: Caller.PUBLIC}
"""The sign-in routes and the assets."""

NAV = [
    ("subscribers", "Subscribers", f"{PREFIX}/subscribers"),
    ("log", "Change log", f"{PREFIX}/log"),
    ("scraping", "Scraping", f"{PREFIX}/scraping"),
    ("non-payers", "Non-payers", f"{PREFIX}/non-payers"),
    ("policy", "Policy", f"{PREFIX}/policy"),
]
"""(key, label, path) of the navigation; a page passes its key as ``active``."""

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
"""same-origin, not no-referrer: under no-referrer a browser sends ``Origin: null`` with the
forms, which the CSRF check refuses."""


def _csp(nonce: str) -> str:
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Autoescaped Jinja; an undefined name is an error, not an empty string."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def session_of(request: Request[Any, Any, Any]) -> Session:
    """The signed-in operator (the guard put it there for ``PAGE`` and ``ACTION`` routes)."""
    session: Session = request.state.caller
    return session


def render(
    request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any
) -> Template:
    """``template`` with the shared context: ``csrf_token``, ``operator`` (None when signed
    out), ``nav``, ``active`` (the page's nav key, default none), ``plotly`` (the asset's
    path) and ``csp_nonce`` (for an inline ``<script nonce="{{ csp_nonce }}">``)."""
    caller = getattr(request.state, "caller", None)
    session = caller if isinstance(caller, Session) else None
    nonce = secrets.token_urlsafe(12)
    shared: dict[str, Any] = {
        "csrf_token": session.csrf_token if session else "",
        "csrf_field": CSRF_FIELD,
        "operator": session.operator.id if session else None,
        "nav": NAV,
        "active": None,
        "plotly": PLOTLY,
        "csp_nonce": nonce,
        "prefix": PREFIX,
    }
    return Template(
        template_name=template,
        context={**shared, **context},
        status_code=status_code,
        headers={**_HEADERS, "Content-Security-Policy": _csp(nonce)},
    )


def _refused(request: Request[Any, Any, Any], exc: SessionRefused) -> Response[Any]:
    """A page without a session goes to the sign-in page; an action refused is a 403 page."""
    if exc.forbidden:
        return render(request, "refused.html", status_code=403, reason=exc.reason)
    query = urlencode({"reason": exc.reason})
    return Redirect(f"{PREFIX}/signin?{query}", status_code=303, headers=_HEADERS)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Bad query parameters, an unknown path under the dashboard: a page saying so."""
    return render(request, "refused.html", status_code=exc.status_code, reason=str(exc.detail))


def _unavailable(request: Request[Any, Any, Any], exc: Unavailable) -> Response[Any]:
    """The store did not answer (at sign-in, on a page, on an action): a page saying so, with
    ``Retry-After``; nothing was done."""
    page = render(
        request,
        "refused.html",
        status_code=503,
        reason="The store did not answer, so nothing was done; try again in a moment.",
    )
    page.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return page


exception_handlers: ExceptionHandlersMap = {
    SessionRefused: _refused,
    HTTPException: _http,
    Unavailable: _unavailable,
}
"""The dashboard's own answers to refusals: HTML pages, not Beckn NACKs."""
