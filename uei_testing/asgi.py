"""One signed JSON POST as an ASGI server hands it to the app: its scope and its one body
message, for driving the real app in process without sockets (``bench.roundtrips``, and the
tests that count what a request waits for)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["json_post"]


def json_post(
    path: str, body: bytes, authorization: str
) -> tuple[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]]]:
    """The scope and the ``receive`` of a ``POST path`` carrying ``body`` (the whole body in
    one message, as a server that has read it all; asked again, it waits: the client never
    disconnects mid-request here)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"uei"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", authorization.encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
        "state": {},
    }

    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return scope, receive
