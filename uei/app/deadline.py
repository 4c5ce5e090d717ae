"""A deadline on reading a request body, so a client trickling its body cannot hold a request
open: what has not arrived in full ``seconds`` after the request reached the app (its headers
were in) is answered 408 (a Beckn NACK, through the one exception table) and the connection
is closed.

The server bounds the rest: uvicorn closes keep-alive connections idle between requests
(``uei serve --timeout-keep-alive``) and refuses header blocks over 16 KiB that arrive in
pieces. Nothing in uvicorn bounds how slowly the headers themselves arrive, or how long a new
connection may wait before its first request: that is a reverse proxy's job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_408_REQUEST_TIMEOUT
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

__all__ = ["BodyTimeout", "body_deadline"]

_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods whose bodies no route reads."""


class BodyTimeout(HTTPException):
    status_code = HTTP_408_REQUEST_TIMEOUT

    def __init__(self, seconds: float) -> None:
        super().__init__(
            detail=f"the request body did not arrive in full within {seconds:g} s",
            headers={"Connection": "close"},  # what else is on the wire is not read
        )


def body_deadline(seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    """ASGI middleware: every ``receive`` of an HTTP request's body must complete within
    ``seconds`` of the request's start, or ``BodyTimeout`` is raised where the body is read.
    Once the body is complete, ``receive`` (waiting for a disconnect) is not bounded."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope["method"] in _BODILESS:
                await app(scope, receive, send)  # the key path pays nothing
                return
            deadline = asyncio.get_running_loop().time() + seconds
            complete = False

            async def receive_in_time() -> ReceiveMessage:
                nonlocal complete
                if complete:
                    return await receive()
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    raise BodyTimeout(seconds) from None
                complete = message["type"] != "http.request" or not message.get("more_body")
                return message

            await app(scope, receive_in_time, send)

        return bounded

    return middleware
