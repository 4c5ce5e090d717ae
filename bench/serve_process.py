"""``bench.serve_app`` in a subprocess of its own, and stopping a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.local import REPO


def start_serve_app(
    which: str, port: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """``python -m bench.serve_app WHICH PORT`` on this environment plus ``env``, from the
    repository's root, its output in ``log``; the caller polls it until it answers."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bench.serve_app", which, str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, wait up to 10 s, then kill."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
