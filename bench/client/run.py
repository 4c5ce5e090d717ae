"""Runs one plan: connections spread over the server's workers, closed or open loop, latencies
and statuses by kind."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import multiprocessing.connection
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.client.connection import _connect, _Connection
from bench.client.plan import Plan
from bench.generators.requests import Requests
from bench.mix import KINDS, OK, REFUSED, TIMEOUT


@dataclass
class Result:
    """What one driver measured in one phase."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    """Seconds per answered request, by kind."""
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    """By kind: timeouts and broken connections."""
    samples: dict[str, str] = field(default_factory=dict)
    """The first unexpected answer of each kind."""
    seconds: float = 0.0
    late: int = 0
    spread: list[int] = field(default_factory=list)
    """Connections held by each server worker."""
    """Open loop: requests sent more than 1 ms after their scheduled time."""
    exhausted: bool = False

    def merge(self, other: Result) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        for kind, counts in other.statuses.items():
            self.statuses.setdefault(kind, Counter()).update(counts)
        self.failures.update(other.failures)
        for kind, sample in other.samples.items():
            self.samples.setdefault(kind, sample)
        self.seconds = max(self.seconds, other.seconds)
        self.late += other.late
        self.spread = [
            a + b for a, b in itertools.zip_longest(self.spread, other.spread, fillvalue=0)
        ]
        self.exhausted = self.exhausted or other.exhausted


def _owners(port: int, pids: Sequence[int]) -> dict[int, int]:
    """Client port -> the worker process holding the server end of that connection (from
    /proc: each worker's socket inodes, and /proc/net/tcp for the ports of each inode)."""
    inode_pid: dict[int, int] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:["):
                        inode_pid[int(link[8:-1])] = pid
    owners = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.rsplit(":", 1)[1], 16) == port and inode in inode_pid:
            owners[int(remote.rsplit(":", 1)[1], 16)] = inode_pid[inode]
    return owners


async def _spread(plan: Plan, probe: bytes) -> tuple[list[_Connection], list[int]]:
    """``plan.connections`` connections, as evenly over the server's workers as can be.

    Workers sharing one listening socket accept in bursts: when a client opens its pool at
    once, one worker's accept loop often takes every connection and the other idles for the
    whole run. Connections are opened one by one, each answered once, and kept only while its
    worker has less than its share (at most 20 tries per connection), so that the bare app
    and the service are measured on the same spread."""
    if len(plan.pids) < 2:
        return [await _connect(plan.port) for _ in range(plan.connections)], [plan.connections]
    workers = len(plan.pids)
    share = {p: plan.connections // workers + (i < plan.connections % workers)
             for i, p in enumerate(plan.pids)}  # fmt: skip
    kept: dict[int, list[_Connection]] = {p: [] for p in plan.pids}
    spare: list[_Connection] = []
    for _ in range(plan.connections * 20):
        if all(len(kept[p]) >= share[p] for p in plan.pids):
            break
        connection = await _connect(plan.port)
        await connection.send(probe)
        assert connection.transport is not None
        port = connection.transport.get_extra_info("sockname")[1]
        owner = _owners(plan.port, plan.pids).get(port)
        if owner is not None and len(kept[owner]) < share[owner]:
            kept[owner].append(connection)
        elif len(spare) < plan.connections:
            spare.append(connection)
        else:
            connection.transport.close()
    connections = [c for held in kept.values() for c in held]
    while len(connections) < plan.connections and spare:
        connections.append(spare.pop())
    for connection in spare:
        if connection.transport is not None:
            connection.transport.close()
    return connections, [len(kept[p]) for p in plan.pids]


async def run_plan(
    plan: Plan, requests: Requests, pipe: multiprocessing.connection.Connection
) -> Result:
    """Spread the connections, say "ready", wait for "go" (blocking: nothing else runs
    meanwhile), then send requests for ``plan.seconds``."""
    result = Result(
        latencies={k: [] for k in KINDS},
        statuses={k: Counter() for k in KINDS},
    )
    connections, result.spread = await _spread(plan, requests.probe)
    pipe.send("ready")
    pipe.recv()
    turn = itertools.count()
    clock = time.perf_counter
    started = clock()
    deadline = started + plan.seconds
    rate = plan.rate

    async def loop_on(connection: _Connection) -> None:
        while True:
            now = clock()
            if rate is not None:
                at = started + next(turn) / rate
                if at >= deadline:
                    return
                if at > now:
                    await asyncio.sleep(at - now)
                    now = clock()
                elif now - at > 0.001:
                    result.late += 1
            elif now >= deadline:
                return
            picked = requests.next()
            if picked is None:
                result.exhausted = True
                return
            kind, data = picked
            try:
                async with asyncio.timeout(TIMEOUT):
                    status, body = await connection.send(data)
            except (OSError, TimeoutError) as exc:
                result.failures[kind] += 1
                result.samples.setdefault(kind, f"{type(exc).__name__}: {exc}")
                with contextlib.suppress(OSError):
                    if connection.transport is not None:
                        connection.transport.close()
                    connection = await _connect(plan.port)
                continue
            result.latencies[kind].append(clock() - now)
            result.statuses[kind][status] += 1
            if status not in OK[kind] and status not in REFUSED.get(kind, ()):
                result.samples.setdefault(kind, f"{status} {body[:300].decode(errors='replace')}")

    async with asyncio.TaskGroup() as group:
        for connection in connections:
            group.create_task(loop_on(connection))
    result.seconds = clock() - started
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()
    return result
