"""One phase for one client process: where, how long, how many connections, what rate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Plan:
    """One phase for one driver process."""

    name: str
    port: int
    weights: dict[str, float]
    seconds: float
    connections: int
    rate: float | None
    """Requests per second on a fixed schedule (open loop), or None: back to back."""
    expected: int
    """Requests this driver may send: signed ones are built for this many (with a margin)."""
    tag: str
    """Unique per phase and driver: part of every message id and session ref."""
    seed: int
    pids: tuple[int, ...]
    """The server's worker processes: connections are spread evenly over them."""
