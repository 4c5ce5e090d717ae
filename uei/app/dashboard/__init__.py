"""The operator dashboard at ``/dashboard``: server-rendered pages for signed-in operators.

Each module appends its route handlers to ``kit.PAGES`` when imported; importing this package
imports them all, and ``router()`` serves them under ``/dashboard`` behind the app's one guard
(pages declare ``kit.PAGE``, actions ``kit.ACTION``, see ``uei/access.py``). Templates live in
``templates/`` and extend ``base.html``.
"""

from __future__ import annotations

from litestar import Router
from litestar.types import ControllerRouterHandler

from uei.app.dashboard import changelog, nonpayers, policy, scraping, signin, subscribers
from uei.app.dashboard.kit import PAGES, PREFIX, exception_handlers, template_config

__all__ = ["MODULES", "PAGES", "handlers", "router", "template_config"]

MODULES = (signin, subscribers, changelog, scraping, nonpayers, policy)
"""The modules whose pages make the dashboard (each appended its handlers to ``PAGES``)."""


def handlers() -> list[ControllerRouterHandler]:
    """Every dashboard route handler (paths relative to ``/dashboard``)."""
    return list(PAGES)


def router() -> Router:
    """The dashboard under ``/dashboard``: every route behind the one guard, answering its
    refusals with pages (the sign-in page, a 403 page), not Beckn NACKs."""
    from uei.app.guard import guard  # the guard imports this package's session module

    return Router(
        PREFIX,
        route_handlers=handlers(),
        before_request=guard,
        exception_handlers=exception_handlers,
        include_in_schema=False,
    )
