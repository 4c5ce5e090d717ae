"""Client processes (spawned), each running its plan, their results gathered over pipes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import multiprocessing.connection
import time
from collections.abc import Sequence
from typing import Any

from bench.client.plan import Plan
from bench.client.run import Result, run_plan
from bench.cpu import CpuMeter
from bench.generators.participants import Member, Person
from bench.generators.requests import Requests
from bench.profiler import Profiler


def driver_main(
    pipe: multiprocessing.connection.Connection,
    members: list[Member],
    users: list[Person],
) -> None:
    """A driver process: for each plan received, build its requests and say "built"; on
    "connect", open its connections and say "ready"; on "go", run and send the result back.
    None ends it. (Connections are opened only once every driver has built its requests:
    uvicorn closes a keep-alive connection idle for 5 s.)"""
    while True:
        plan = pipe.recv()
        if plan is None:
            return
        requests = Requests(plan, members, users, time.time())
        gc.collect()
        gc.freeze()  # no full collection walks the built requests mid-phase (12-19 ms each)
        pipe.send("built")
        pipe.recv()
        pipe.send(asyncio.run(run_plan(plan, requests, pipe)))
        gc.unfreeze()


class Drivers:
    def __init__(self, count: int, members: list[Member], users: list[Person]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[multiprocessing.connection.Connection] = []
        self.processes: list[Any] = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=driver_main, args=(theirs, members, users), daemon=True
            )
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    @property
    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.processes]

    def run(
        self,
        plans: Sequence[Plan],
        cpu: CpuMeter | None = None,
        profiler: Profiler | None = None,
    ) -> Result:
        for pipe, plan in zip(self.pipes, plans, strict=True):
            pipe.send(plan)
        for step in ("built", "ready"):
            for pipe in self.pipes:
                if pipe.recv() != step:
                    raise RuntimeError(f"a driver did not say {step}")
            if step == "built":
                for pipe in self.pipes:
                    pipe.send("connect")
        if profiler is not None:
            profiler.start()
        if cpu is not None:
            cpu.start()
        for pipe in self.pipes:
            pipe.send("go")
        merged = Result()
        for pipe in self.pipes:
            merged.merge(pipe.recv())
        if cpu is not None:
            cpu.stop()
        return merged

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
