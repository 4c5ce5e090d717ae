"""The body deadline (``uei.app.deadline.BodyDeadline``) on its own, its clock injected and
its watch called by the test: a read past its deadline ends in ``BodyTimeout``, nothing else
does. (Served, over a socket trickling a body: ``tests/security/test_small_attacks.py``.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from uei.app.deadline import BodyDeadline, BodyTimeout

pytestmark = pytest.mark.anyio

BODY = {"type": "http.request", "body": b"{}", "more_body": False}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Wire:
    """A server's ``receive``: what has arrived, or a wait for it."""

    def __init__(self, *ready: dict[str, Any]) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for message in ready:
            self.queue.put_nowait(message)

    async def receive(self) -> Any:
        return await self.queue.get()


def _reading(read: Any) -> asyncio.Task[Any]:
    async def run() -> Any:
        return await read()

    return asyncio.create_task(run())


async def _waiting_on(task: asyncio.Task[Any]) -> None:
    while not task.done() and task.get_stack() == []:
        await asyncio.sleep(0)  # a turn of the loop, no time: until the read waits
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_read_waiting_past_its_deadline_ends_in_a_408() -> None:
    clock = Clock()
    deadline = BodyDeadline(5.0, clock)
    state: dict[str, Any] = {}

    async def handler() -> None:
        read = deadline.reading(Wire().receive)  # nothing ever arrives
        try:
            await read()
        except BodyTimeout as exc:
            state["error"] = exc
            state["cancelling"] = asyncio.current_task().cancelling()  # type: ignore[union-attr]

    task = asyncio.create_task(handler())
    await _waiting_on(task)
    clock.now += 4.9
    deadline.look()
    await _waiting_on(task)
    assert not task.done()  # not yet
    clock.now += 0.2
    deadline.look()
    await asyncio.wait_for(task, 30)
    assert state["error"].status_code == 408
    assert state["error"].detail == "the request body did not arrive in full within 5 s"
    assert state["cancelling"] == 0  # the handler may answer: its task is not cancelled


async def test_a_body_already_in_is_read_whenever_the_handler_reads_it() -> None:
    clock = Clock()
    deadline = BodyDeadline(5.0, clock)
    read = deadline.reading(Wire(BODY).receive)
    clock.now += 60  # the handler was busy elsewhere (a store) well past the deadline
    deadline.look()
    assert await read() == BODY


async def test_the_servers_own_cancel_is_not_a_timeout() -> None:
    clock = Clock()
    deadline = BodyDeadline(5.0, clock)
    task = _reading(deadline.reading(Wire().receive))
    await _waiting_on(task)
    clock.now += 60
    task.cancel()  # the client went away: uvicorn cancels the request's task
    deadline.look()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_reads_after_the_last_part_of_the_body_are_left_alone() -> None:
    """After the body, a read waits for a disconnect as long as the connection stays."""
    clock = Clock()
    deadline = BodyDeadline(5.0, clock)
    wire = Wire(BODY)
    read = deadline.reading(wire.receive)
    assert await read() == BODY
    task = _reading(read)
    await _waiting_on(task)
    clock.now += 60
    deadline.look()
    await _waiting_on(task)
    assert not task.done()
    wire.queue.put_nowait({"type": "http.disconnect"})
    assert await asyncio.wait_for(task, 30) == {"type": "http.disconnect"}


async def test_the_watch_keeps_its_own_time() -> None:
    """Its own timer, on the loop's clock, ends a stalled read without the test's help; the
    next request's body, already in, is read as ever."""
    deadline = BodyDeadline(0.05)
    with pytest.raises(BodyTimeout):
        await asyncio.wait_for(deadline.reading(Wire().receive)(), 30)
    read = deadline.reading(Wire(BODY).receive)
    assert await read() == BODY
