"""A deadline on reading a request body (``uei.app.edge`` applies it), so a client trickling
its body cannot hold a request open: what has not arrived in full ``seconds`` after the
request reached the app (its headers were in) is answered 408 (a Beckn NACK, through the one
exception table) and the connection is closed.

One watch per app, not a timer per request: a request waiting for its body is listed with its
deadline while it waits, and one timer, armed while any is listed, looks every fifth of
``seconds`` (at most every second) and ends those past it. A deadline is kept to within that
look (0.5 s -> answered after 0.5-0.6 s). A body that is already in, as nearly all are, costs a
listing and an unlisting: ``asyncio.timeout`` around each read cost about 6 us, a sixth of a
``POST /lookup``'s time in the app.

The server bounds the rest: uvicorn closes keep-alive connections idle between requests
(``uei serve --timeout-keep-alive``) and refuses header blocks over 16 KiB that arrive in
pieces. Nothing in uvicorn bounds how slowly the headers themselves arrive, or how long a new
connection may wait before its first request: that is a reverse proxy's job.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_408_REQUEST_TIMEOUT
from litestar.types import Receive, ReceiveMessage

__all__ = ["BODILESS", "BodyDeadline", "BodyTimeout"]

BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods whose bodies no route reads."""


class BodyTimeout(HTTPException):
    status_code = HTTP_408_REQUEST_TIMEOUT

    def __init__(self, seconds: float) -> None:
        super().__init__(
            detail=f"the request body did not arrive in full within {seconds:g} s",
            headers={"Connection": "close"},  # what else is on the wire is not read
        )


class BodyDeadline:
    """The body deadline of every request of one app (see the module)."""

    def __init__(self, seconds: float, clock: Callable[[], float] | None = None) -> None:
        """``clock``: monotonic seconds (the running loop's, by default)."""
        self.seconds = seconds
        self._clock = clock
        self._every = min(1.0, seconds / 5)
        self._waiting: dict[asyncio.Task[Any], float] = {}
        self._late: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self._armed: asyncio.AbstractEventLoop | None = None
        """The loop the watch's timer is set on (none while nobody waits)."""

    def reading(self, receive: Receive) -> Receive:
        """``receive`` for a request that has just reached the app: its reads of the body end
        with ``BodyTimeout`` once ``seconds`` have passed; reads after the body's last part
        (a disconnect) are left alone."""
        loop = asyncio.get_running_loop()
        deadline = (self._clock or loop.time)() + self.seconds
        complete = False

        async def receive_in_time() -> ReceiveMessage:
            nonlocal complete
            if complete:
                return await receive()
            task = asyncio.current_task()
            assert task is not None  # an ASGI app runs in a task
            self._waiting[task] = deadline
            if self._armed is not loop:
                self._armed = loop
                loop.call_later(self._every, self._watch, loop)
            try:
                message = await receive()
            except asyncio.CancelledError:
                if task not in self._late:
                    raise
                self._late.discard(task)
                task.uncancel()  # the watch's cancel, not the server's
                raise BodyTimeout(self.seconds) from None
            finally:
                del self._waiting[task]
            complete = message["type"] != "http.request" or not message.get("more_body")
            return message

        return receive_in_time

    def look(self) -> None:
        """End the reads waiting past their deadline (the watch's timer calls this)."""
        now = (self._clock or asyncio.get_running_loop().time)()
        for task, deadline in self._waiting.items():
            if deadline <= now and not task.cancelling() and task not in self._late:
                self._late.add(task)  # (one the server is cancelling already is left to it)
                task.cancel()  # raises in its read, now waiting

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._armed is not loop:
            return  # a timer left on another loop (an app served again in a new one)
        self.look()
        if self._waiting:
            loop.call_later(self._every, self._watch, loop)
        else:
            self._armed = None
