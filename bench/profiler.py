"""py-spy on the service's workers for one phase, and the hottest frames."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.local import REPO

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))


class Profiler:
    """``py-spy record`` on every service worker for one phase (sampling without pausing
    them), then the frames where the samples were, as collapsed stacks in ``directory``."""

    def __init__(self, directory: Path, name: str, pids: Sequence[int], seconds: float) -> None:
        self.directory, self.name, self.pids = directory, name, list(pids)
        self.seconds = max(1, int(seconds))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.files = [directory / f"{name}-{pid}.txt" for pid in self.pids]

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for pid, out in zip(self.pids, self.files, strict=True):
            self.processes.append(
                subprocess.Popen(
                    [PY_SPY, "record", "--pid", str(pid), "--duration", str(self.seconds),
                     "--rate", "200", "--nonblocking", "--format", "raw", "--output", str(out)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip

    def summary(self, top: int = 14) -> list[str]:
        for process in self.processes:
            try:
                process.wait(timeout=self.seconds + 30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        total = 0
        for path in self.files:
            if not path.exists():
                continue
            for line in path.read_text().splitlines():
                stack, _, count_text = line.rpartition(" ")
                if not stack or not count_text.isdigit():
                    continue
                count = int(count_text)
                frames = [_frame(f) for f in stack.split(";")]
                total += count
                own[frames[-1]] += count
                for frame in set(frames):
                    if frame.startswith(("uei/", "litestar/")):
                        inclusive[frame] += count
        if not total:
            return [f"  profile {self.name}: no samples (is py-spy allowed to attach?)"]
        lines = [
            f"  profile of {self.name}: {total:,} samples over {len(self.pids)} worker(s), "
            f"stacks in {self.directory}"
        ]
        lines.append(f"    {'own time':>8}  frame")
        lines += [f"    {n / total:8.1%}  {frame}" for frame, n in own.most_common(top)]
        lines.append(f"    {'in stack':>8}  frame (the service's code and Litestar)")
        lines += [f"    {n / total:8.1%}  {frame}" for frame, n in inclusive.most_common(top)]
        return lines


def _frame(raw: str) -> str:
    """``function (path/to/file.py:line)`` -> ``file path from the package root:function``."""
    name, _, where = raw.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for root in ("site-packages/", "/work/main/", str(REPO) + "/", "lib/python3."):
        if root in path:
            path = path.split(root, 1)[1]
            if root == "lib/python3.":
                path = "stdlib/" + path.split("/", 1)[-1]
            break
    return f"{path}:{name}"
