"""CPU used by named processes, and by the rest of the machine, over a phase (from /proc)."""

from __future__ import annotations

import os
import time
from pathlib import Path


class CpuMeter:
    """CPU seconds (user + system) of named processes over a phase, from /proc, and what the
    rest of the machine used meanwhile (other processes, interrupts): well above 0.1 core,
    something else competed with the run."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.ticks = os.sysconf("SC_CLK_TCK")
        self._start: dict[str, list[float]] = {}
        self._machine_start = 0.0
        self._wall = 0.0
        self.used: dict[str, float] = {}
        self.each: dict[str, list[float]] = {}
        self.wall = 0.0

    def _read(self) -> dict[str, list[float]]:
        seconds = {}
        for name, pids in self.groups.items():
            each = []
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    each.append(0.0)
                    continue
                each.append((int(fields[11]) + int(fields[12])) / self.ticks)
            seconds[name] = each
        return seconds

    def _machine(self) -> float:
        """CPU seconds every process on the machine has used (/proc/stat: all but idle)."""
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
        return (user + nice + system + irq + softirq + steal) / self.ticks

    def start(self) -> None:
        self._start = self._read()
        self._machine_start = self._machine()
        self._wall = time.perf_counter()

    def stop(self) -> None:
        end = self._read()
        machine = self._machine() - self._machine_start
        self.wall = time.perf_counter() - self._wall
        self.each = {
            k: [b - a for a, b in zip(self._start.get(k, [0.0] * len(v)), v, strict=True)]
            for k, v in end.items()
        }
        self.used = {k: sum(v) for k, v in self.each.items()}
        self.used["rest of machine"] = max(0.0, machine - sum(self.used.values()))

    def describe(self) -> str:
        if not self.wall:
            return ""
        parts = []
        for name, used in self.used.items():
            part = f"{name} {used / self.wall:.2f}"
            if len(self.each.get(name, [])) > 1:
                part += " (" + " + ".join(f"{u / self.wall:.2f}" for u in self.each[name]) + ")"
            parts.append(part)
        return "CPU cores busy: " + ", ".join(parts)
