"""The one ASGI middleware at the app's edge. For each HTTP request, in one frame and one send
wrapper (not three layers of each, on every hot path):

- a request id (``observe.py``): a well-formed incoming ``X-Request-Id`` is kept, else a new
  one; it is echoed in the response and carried by every log line written meanwhile;
- the request's metrics: its route, status and latency;
- a deadline on reading the body (``deadline.py``): what has not arrived in full ``seconds``
  after the request reached the app is answered 408;
- the answer signed over its exact bytes (``signing.py``), unless its handler signed it (the
  key path signs its own answers, so it is never buffered here).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from uei.app.deadline import BODILESS, BodyDeadline
from uei.app.observe import new_request_id, record, request_id
from uei.app.signing import SIGNS_ITSELF, ResponseSigner

__all__ = ["edge"]


def edge(signer: ResponseSigner, body_seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    deadline = BodyDeadline(body_seconds)

    def middleware(app: ASGIApp) -> ASGIApp:
        async def at_edge(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            rid = new_request_id(scope["headers"])
            token = request_id.set(rid.decode())
            started = time.perf_counter()
            method = scope["method"]
            status = 500
            passthrough = method == "GET" and SIGNS_ITSELF.fullmatch(scope["path"]) is not None
            start: dict[str, Any] = {}
            chunks: list[bytes] = []

            async def out(message: Message) -> None:
                nonlocal status, passthrough
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = message["headers"]
                    # a handler that signed its own bytes goes straight out
                    passthrough = passthrough or any(name == b"signature" for name, _ in headers)
                    message["headers"] = [*headers, (b"x-request-id", rid)]
                    if passthrough:
                        await send(message)
                    else:
                        start.update(message)
                    return
                if passthrough or message["type"] != "http.response.body":
                    await send(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                headers = [*start["headers"], (b"signature", signer.header_for(body))]
                await send(cast("Message", {**start, "headers": headers}))
                await send({"type": "http.response.body", "body": body, "more_body": False})

            # the key path pays nothing
            inbound = receive if method in BODILESS else deadline.reading(receive)
            try:
                await app(scope, inbound, out)
            finally:
                route = str(scope.get("path_template", "unmatched"))
                record(method, route, status, time.perf_counter() - started)
                request_id.reset(token)

        return at_edge

    return middleware
