"""The first hour, timed: a fresh clone, its install, the service started as the README says
(``.ci/serve``), its documents and metrics, then the README's onboarding walk-through step by
step (a registry of one's own, a responder, subscribe, SUBSCRIBED, grant, status query,
report, documents and metrics, the Python client) in a fresh temp directory.

    .venv/bin/python -m bench.first_hour [--repo PATH] [--no-clone]

Wall-clock seconds per step (a shared machine: the load average is printed with them). The
walk-through's blocks and steps are ``uei_testing/readme.py``'s, as ``tests/test_readme.py``
runs them; only the ports change (free ones). ``--no-clone`` runs the checkout given, with the
interpreter running this, instead of cloning it and installing into a new ``.venv``.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.progress import bar, say
from uei_testing.harness import REPO
from uei_testing.readme import onboarding, steps
from uei_testing.redis_servers import free_port

_MARK = "@@first-hour step "


@dataclass
class Timed:
    name: str
    seconds: float
    ok: bool
    note: str = ""


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run it to the end; a failure raises with its last line of output."""
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900
    )
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(said[-1] if said else f"exit status {done.returncode}")


def _wait_healthy(url: str, process: subprocess.Popen[str], limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f".ci/serve ended ({process.returncode})")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url}/healthz did not answer in {limit:g} s")


def _docs(url: str) -> str:
    """/schema, every asset it loads, and the schema: what a browser fetches."""
    import re

    page = httpx.get(f"{url}/schema", timeout=10)
    assets = re.findall(r"""<(?:script|link)\b[^>]*?(?:src|href)=["']([^"']+)["']""", page.text)
    for asset in assets:
        httpx.get(f"{url}{asset}" if asset.startswith("/") else f"{url}/schema/{asset}", timeout=10)
    spec = httpx.get(f"{url}/schema/openapi.json", timeout=10).json()
    return f"{len(assets)} assets, {len(spec['paths'])} paths"


def _metrics(url: str) -> str:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    series = [line for line in text.splitlines() if line.startswith("uei_")]
    return f"{len(series)} uei_ series"


def _timed(name: str, fn: Callable[[], str | None], into: list[Timed]) -> bool:
    start = time.monotonic()
    try:
        note = fn() or ""
        ok = True
    except Exception as exc:  # a step that fails is a row of the table, not a traceback
        note, ok = f"{type(exc).__name__}: {exc}", False
    into.append(Timed(name, time.monotonic() - start, ok, note))
    return ok


def _walk(script: str, cwd: Path, env: dict[str, str], into: list[Timed], progress: object) -> None:
    """The walk-through in one bash (its exports and background jobs carry from step to
    step), a marker echoed before each step: a step's time runs from its marker to the next."""
    cut = steps(script)
    marked = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + "".join(
        f"printf '\\n{_MARK}%s\\n' {i}\n{step.script}" for i, step in enumerate(cut)
    )
    marked += f"printf '\\n{_MARK}end\\n'\n"
    process = subprocess.Popen(
        ["bash", "-e", "-c", marked],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    current: tuple[int, float] | None = None
    tail: list[str] = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 1)
            if not ready:
                continue
            line = process.stdout.readline()
            if not line:
                break
            if not line.startswith(_MARK):
                tail = [*tail[-3:], line.strip()]
                continue
            now = time.monotonic()
            if current is not None:
                index, began = current
                into.append(Timed(f"{cut[index].number}. {cut[index].title}", now - began, True))
                progress.update(1)  # type: ignore[attr-defined]
            which = line[len(_MARK) :].strip()
            current = None if which == "end" else (int(which), now)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        returncode = process.wait()
    if current is not None or returncode != 0:
        index, began = current if current is not None else (len(cut) - 1, time.monotonic())
        step = cut[index]
        note = " | ".join(t for t in tail if t)[-200:]
        into.append(Timed(f"{step.number}. {step.title}", time.monotonic() - began, False, note))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout to clone")
    parser.add_argument(
        "--no-clone", action="store_true", help="use --repo and this interpreter as they are"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = parser.parse_args()

    load = os.getloadavg()
    base = Path(tempfile.mkdtemp(prefix="uei-first-hour-"))
    clone, walk = base / "uei", base / "walk"
    walk.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UEI_", "VIRTUAL_ENV"))}
    timed: list[Timed] = []
    registry, responder, service = free_port(), free_port(), free_port()
    script, client = onboarding(registry, responder, "python", args.repo / "README.md")
    (walk / "client.py").write_text(client)
    total = 5 + len(steps(script))
    serving: subprocess.Popen[str] | None = None
    say(f"first hour in {base} (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    try:
        with bar(total, "first hour", show_pos=True, width=30) as progress:
            if args.no_clone:
                clone, bin_dir = args.repo, Path(sys.executable).parent
                progress.update(2)
            else:
                bin_dir = clone / ".venv" / "bin"

                def cloned() -> str:
                    _run(["git", "clone", "-q", str(args.repo), str(clone)], base, env)
                    return ""

                def installed() -> str:
                    _run([str(clone / ".ci" / "bootstrap"), "runtime"], clone, env)
                    return "a new .venv, the project and its dependencies"

                for name, step in (("git clone", cloned), ("install (.ci/bootstrap)", installed)):
                    if not _timed(name, step, timed):
                        return
                    progress.update(1)
            env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
            url = f"http://127.0.0.1:{service}"

            def started() -> str:
                nonlocal serving
                command = [str(clone / ".ci" / "serve"), "--port", str(service)]
                if args.no_clone:
                    command = [str(bin_dir / "uei"), "serve", "--port", str(service)]
                serving = subprocess.Popen(
                    command,
                    cwd=clone,
                    env={**env, "UEI_DATA_DIR": str(base / "service-data")},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    start_new_session=True,
                )
                _wait_healthy(url, serving)
                return url

            for name, step in (
                ("start the service (.ci/serve) until /healthz", started),
                ("the API documents: /schema, its assets", lambda: _docs(url)),
                ("/metrics", lambda: _metrics(url)),
            ):
                if not _timed(name, step, timed):
                    return
                progress.update(1)
            _walk(script, walk, env, timed, progress)
    finally:
        if serving is not None and serving.poll() is None:
            os.killpg(serving.pid, signal.SIGTERM)
            serving.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        _report(timed, load, os.getloadavg())


def _report(timed: list[Timed], before: tuple[float, ...], after: tuple[float, ...]) -> None:
    print(f"\nfirst hour (load average {before[0]:.2f} before, {after[0]:.2f} after; 2 CPUs)")
    print(f"  {'step':52} {'seconds':>8}  ")
    for row in timed:
        mark = "" if row.ok else "  FAILED"
        note = f"  {row.note}" if row.note else ""
        print(f"  {row.name[:52]:52} {row.seconds:8.2f}{mark}{note}")
    print(f"  {'total':52} {sum(r.seconds for r in timed):8.2f}")
    if not all(r.ok for r in timed):
        sys.exit(1)
