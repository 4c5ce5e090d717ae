"""The policy in force, and reloading it without a restart: on SIGHUP, and when the file changes.

A reload re-reads the file the settings name and decodes it strictly (``load_policies``' rules
and messages). A good file replaces the policy in one assignment of an immutable value: a caller
reads ``holder.current`` once per use and sees one whole policy, old or new. A bad file leaves
the last good policy in force and says why: one error line in the log naming the file and line,
and ``/readyz``. Each process holds its own: with several workers, each reloads itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from uei.app.metrics import RELOADS
from uei.app.policy import Policies, PolicyError, decode_policies
from uei.app.settings import Settings
from uei.registry.records import iso

__all__ = [
    "WATCH_SECONDS",
    "PolicyHolder",
    "Reload",
    "ReloadOutcome",
    "reload_on_hangup",
]

log = logging.getLogger("uei.policy")

WATCH_SECONDS = 2.0
"""How often the file watch looks at the policy file."""


class ReloadOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Reload:
    """What the last reload did."""

    outcome: ReloadOutcome
    at: float
    detail: str
    """ok: the sections that changed, or ``no change``; failed: why, ``file:line: what``."""


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The file as one read saw it."""

    seen: tuple[int, int] | None
    """(mtime in ns, size) from before the read; None when it could not be had."""
    data: bytes | None
    """None when the file is absent or unreadable (``error`` says which)."""
    error: str | None = None

    @property
    def fingerprint(self) -> bytes | str | None:
        """What the content is: its hash, the reason it cannot be read, or None if absent."""
        return hashlib.sha256(self.data).digest() if self.data is not None else self.error


def _digest(snapshot: _Snapshot) -> str:
    return hashlib.sha256(snapshot.data).hexdigest() if snapshot.data is not None else ""


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def _snapshot(path: Path) -> _Snapshot:
    seen = _stat(path)  # before the read: a write after it changes what the next look sees
    try:
        return _Snapshot(seen, path.read_bytes())
    except FileNotFoundError:
        return _Snapshot(seen, None)
    except OSError as exc:
        return _Snapshot(seen, None, exc.strerror or type(exc).__name__)


class PolicyHolder:
    """The policy this process applies (``current``) and what its last reload did."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        """Loads the file now: a bad one raises ``PolicyError`` and the service does not start.
        An absent file is the defaults unless ``UEI_POLICIES`` names it; once a file has been
        loaded, its going missing is a failed reload, not a return to the defaults."""
        self.path = settings.policies
        self._required = settings.policies_required
        self._clock = clock
        self._seen_file = False
        """Whether a file was ever loaded (from then on it must stay)."""
        first = _snapshot(self.path)
        self.current: Policies = self._decode(first)
        self.loaded_at = clock()
        """When the policy in force was read."""
        self.digest = _digest(first)
        """SHA-256 (hex) of the file the policy in force was read from ("" for the defaults)."""
        self.last_reload: Reload | None = None
        self._seen, self._fingerprint = first.seen, first.fingerprint

    def reload(self) -> Reload:
        """Re-read the file; a good one replaces the policy, a bad one is logged and kept out."""
        return self._reload(_snapshot(self.path))

    def check(self) -> Reload | None:
        """The file watch's step: reload when the file's content changed since it was last
        read. Its mtime and size say whether to read it; the hash of what is read, whether it
        changed (rewritten with the same bytes, or touched: no reload, None)."""
        if _stat(self.path) == self._seen:
            return None
        now = _snapshot(self.path)
        if now.fingerprint == self._fingerprint:
            self._seen = now.seen
            return None
        return self._reload(now)

    def readiness(self) -> str:
        """A one-line account for ``/readyz``."""
        last = self.last_reload
        if last is None:
            return f"policy loaded at {iso(self.loaded_at)}"
        if last.outcome is ReloadOutcome.OK:
            return f"policy reloaded at {iso(last.at)}: ok ({last.detail})"
        return (
            f"policy reload failed at {iso(last.at)}: {last.detail}; keeping the policy "
            f"loaded at {iso(self.loaded_at)}"
        )

    def _decode(self, snapshot: _Snapshot) -> Policies:
        if snapshot.error is not None:
            raise PolicyError(f"{self.path}: cannot read the policy file: {snapshot.error}")
        if snapshot.data is None:
            if self._required or self._seen_file:
                raise PolicyError(f"{self.path}: cannot read the policy file: it is missing")
            return Policies()
        policies = decode_policies(snapshot.data, str(self.path))
        self._seen_file = True
        return policies

    def _reload(self, snapshot: _Snapshot) -> Reload:
        self._seen, self._fingerprint = snapshot.seen, snapshot.fingerprint
        at = self._clock()
        try:
            new = self._decode(snapshot)
        except PolicyError as exc:
            kept = iso(self.loaded_at)
            log.error("policy reload failed: %s; keeping the policy loaded at %s", exc, kept)
            self.last_reload = Reload(ReloadOutcome.FAILED, at, str(exc))
            RELOADS.labels(ReloadOutcome.FAILED.value).inc()
            return self.last_reload
        old = self.current
        changed = [f for f in Policies.__struct_fields__ if getattr(new, f) != getattr(old, f)]
        detail = f"changed: {', '.join(changed)}" if changed else "no change"
        self.current, self.loaded_at = new, at  # one assignment: readers see old or new
        self.digest = _digest(snapshot)
        log.info("policy reloaded from %s: %s", self.path, detail)
        self.last_reload = Reload(ReloadOutcome.OK, at, detail)
        RELOADS.labels(ReloadOutcome.OK.value).inc()
        return self.last_reload


_HANGUP_HOLDERS: list[PolicyHolder] = []
"""The holders SIGHUP reloads (several apps may share one process and loop, as in tests)."""


def _on_hangup() -> None:
    for holder in list(_HANGUP_HOLDERS):
        holder.reload()


@contextlib.contextmanager
def reload_on_hangup(holder: PolicyHolder) -> Iterator[None]:
    """While inside, SIGHUP reloads ``holder`` (on the running loop). Quietly nothing where
    signals cannot be had: outside the main thread, or without SIGHUP (Windows)."""
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    if not _HANGUP_HOLDERS:
        try:
            loop.add_signal_handler(hangup, _on_hangup)
        except (NotImplementedError, RuntimeError, ValueError):
            yield
            return
    _HANGUP_HOLDERS.append(holder)
    try:
        yield
    finally:
        _HANGUP_HOLDERS.remove(holder)
        if not _HANGUP_HOLDERS:
            loop.remove_signal_handler(hangup)
