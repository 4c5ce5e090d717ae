"""``uei serve`` as a real process on loopback, for CLI and crash tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from uei_testing.redis_servers import free_port

UEI = Path(sys.executable).parent / "uei"


class ServiceProcess:
    def __init__(self, env: dict[str, str], cwd: Path, args: Sequence[str] = ()) -> None:
        """``args``: more ``uei serve`` options."""
        self.env = {**os.environ, **env}
        self.cwd = cwd
        self.args = list(args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> ServiceProcess:
        process = subprocess.Popen(
            [str(UEI), "serve", "--port", str(self.port), *self.args],
            cwd=self.cwd,
            env=self.env,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # wait for the server's own word, not a timer
            seen.append(line)
            if "Uvicorn running on" in line:
                break
        else:
            process.wait(timeout=10)
            process.stderr.close()
            raise RuntimeError("uei serve did not start:\n" + "".join(seen[-20:]))
        self._process = process
        return self

    def send(self, sig: int) -> None:
        """Send ``sig`` to the running process (e.g. SIGHUP: reload the policy)."""
        assert self._process is not None, "not started"
        self._process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, nothing is flushed on the way out."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._close()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._close()

    def _close(self) -> None:
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
