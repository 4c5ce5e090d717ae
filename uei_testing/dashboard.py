"""A test client signed in to the dashboard as an operator, over the app harness or any HTTP
session (a live service): the sign-in link is made as ``uei admin dashboard-link`` makes it.

The session cookie is ``Secure``, which an HTTP client keeps to itself over plain http; the
helper sends it explicitly on each request instead, and the session's CSRF token with each
form, the way the dashboard's own pages do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from uei.app.dashboard.links import make_token
from uei.app.dashboard.session import COOKIE, CSRF_FIELD
from uei.trust import KeySet

__all__ = ["Dashboard", "csrf_of", "link_token", "sign_in", "sign_in_as"]

_CSRF = re.compile(rf'name="{CSRF_FIELD}" value="([^"]*)"')


def link_token(keys: KeySet, operator_id: str, now: float, ttl: int = 300) -> str:
    return make_token(keys.signing_key, operator_id, keys.unique_key_id, now, ttl)


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a dashboard page's forms carry."""
    found = _CSRF.search(page.text)
    assert found is not None, f"no CSRF field on {page.request.url}: {page.text[:300]}"
    return found.group(1)


@dataclass
class Dashboard:
    """An operator's browser, roughly: its session cookie, and forms posted with the token."""

    client: httpx.AsyncClient
    cookie: str
    csrf_token: str
    headers: dict[str, str] = field(default_factory=dict)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.cookie}", **self.headers, **(extra or {})}

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = self._headers(kwargs.pop("headers", None))
        return await self.client.get(path, headers=headers, **kwargs)

    async def post(
        self,
        path: str,
        form: dict[str, str] | None = None,
        *,
        csrf: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """``form`` with this session's CSRF token (or ``csrf``: another one, to attack)."""
        data = {CSRF_FIELD: self.csrf_token if csrf is None else csrf, **(form or {})}
        return await self.client.post(path, data=data, headers=self._headers(headers))

    async def act(self, subscriber_id: str, action: str, reason: str) -> httpx.Response:
        """An action from the subscriber page, confirmed, with ``reason``."""
        return await self.post(
            f"/dashboard/subscribers/{subscriber_id}/actions/{action}",
            {"reason": reason, "confirm": "yes"},
        )


async def sign_in_as(client: httpx.AsyncClient, token: str) -> Dashboard:
    """Open the sign-in link with ``token`` and keep the session it starts."""
    answer = await client.get("/dashboard/login", params={"token": token})
    assert answer.status_code == 303, answer.text[:500]
    cookie = answer.cookies.get(COOKIE) or _cookie(answer)
    home = await client.get("/dashboard/subscribers", headers={"Cookie": f"{COOKIE}={cookie}"})
    assert home.status_code == 200, home.text[:500]
    return Dashboard(client, cookie, csrf_of(home))


def _cookie(answer: httpx.Response) -> str:
    for header in answer.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == COOKIE:
            return rest.split(";", 1)[0]
    raise AssertionError(f"no {COOKIE} cookie in {answer.headers}")


async def sign_in(
    client: httpx.AsyncClient, keys: KeySet, operator_id: str, clock: Callable[[], float]
) -> Dashboard:
    """Signed in as ``operator_id`` (its key must be in the service's operators file), e.g.
    ``await sign_in(h.client, h.operator, h.operator_id, h.clock)`` on the harness."""
    return await sign_in_as(client, link_token(keys, operator_id, clock()))
