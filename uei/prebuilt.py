"""An answer whose status, headers and bytes are ready: a handler on a hot path returns one
(an ASGI app) and it goes out as two ASGI messages, without the work Litestar's ``Response``
does on the way (its header mapping, media type and cookie handling). Every route that returns
one documents its answers in its ``responses``."""

from __future__ import annotations

from collections.abc import Iterable

from litestar.types import Receive, Scope, Send

__all__ = ["JSON", "PROBLEM_JSON", "Prebuilt", "json_answer"]

JSON = b"application/json"
PROBLEM_JSON = b"application/problem+json"


class Prebuilt:
    """Sent as it is, to any number of requests."""

    __slots__ = ("_body", "_start")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self._start = {"type": "http.response.start", "status": status, "headers": headers}
        self._body = {"type": "http.response.body", "body": body, "more_body": False}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self._start)  # type: ignore[arg-type]
        await send(self._body)  # type: ignore[arg-type]


def json_answer(
    status: int,
    body: bytes,
    headers: Iterable[tuple[bytes, bytes]] = (),
    media_type: bytes = JSON,
) -> Prebuilt:
    """``body`` with its content type and length, after ``headers``."""
    return Prebuilt(
        status,
        [*headers, (b"content-type", media_type), (b"content-length", b"%d" % len(body))],
        body,
    )
