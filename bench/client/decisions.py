"""Decisions per second in process: tasks calling one decision back to back, BAPs in turn, each
call timed."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Decide = Callable[[int, int], Awaitable[bool]]
"""(task, BAP index) -> allowed; raises when a decision did not take the path measured."""


@dataclass
class Run:
    decisions: int
    allowed: int
    seconds: float
    latencies: list[float] = field(repr=False)

    @property
    def rate(self) -> float:
        return self.decisions / self.seconds

    def ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(decide: Decide, *, tasks: int, seconds: float, baps: int) -> Run:
    """``tasks`` loops calling ``decide`` back to back for ``seconds``, BAPs in turn."""
    latencies: list[float] = []
    allowed = 0
    turn = itertools.count()
    deadline = time.perf_counter() + seconds

    async def loop(task: int) -> None:
        nonlocal allowed
        while (start := time.perf_counter()) < deadline:
            ok = await decide(task, next(turn) % baps)  # not `allowed += await`: lost updates
            latencies.append(time.perf_counter() - start)
            allowed += ok

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for task in range(tasks):
            group.create_task(loop(task))
    return Run(len(latencies), allowed, time.perf_counter() - started, latencies)
