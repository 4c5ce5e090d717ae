"""A deadline on reading a request body (``uei.app.edge`` applies it), so a client trickling
its body cannot hold a request open: what has not arrived in full ``seconds`` after the
request reached the app (its headers were in) is answered 408 (a Beckn NACK, through the one
exception table) and the connection is closed.

The server bounds the rest: uvicorn closes keep-alive connections idle between requests
(``uei serve --timeout-keep-alive``) and refuses header blocks over 16 KiB that arrive in
pieces. Nothing in uvicorn bounds how slowly the headers themselves arrive, or how long a new
connection may wait before its first request: that is a reverse proxy's job.
"""

from __future__ import annotations

from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_408_REQUEST_TIMEOUT

__all__ = ["BODILESS", "BodyTimeout"]

BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods whose bodies no route reads."""


class BodyTimeout(HTTPException):
    status_code = HTTP_408_REQUEST_TIMEOUT

    def __init__(self, seconds: float) -> None:
        super().__init__(
            detail=f"the request body did not arrive in full within {seconds:g} s",
            headers={"Connection": "close"},  # what else is on the wire is not read
        )
