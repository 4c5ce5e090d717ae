"""Following the change log: this replica's view kept on the store's log head.

Each step reads the log from the entry the view applied last. That entry must still be there
with the same hash: when the store's log is shorter (Redis restarted without its data) or holds
another entry there (a failover to a replica that missed writes, a restored backup), the view
no longer describes the store, and no later entry could be applied to it safely. The follower
then rebuilds the view from the store's documents and says so, loudly and in ``/readyz``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from uei.registry.changelog import LogEntry
from uei.registry.model import Subscriber
from uei.registry.records import iso
from uei.registry.stores import RegistryStore
from uei.registry.view import RegistryView

__all__ = ["Follower"]

log = logging.getLogger("uei.registry.follower")

_LOG_PAGE = 1000


class Follower:
    def __init__(
        self,
        store: RegistryStore,
        clock: Callable[[], float],
        pinned: Iterable[Subscriber] = (),
    ) -> None:
        self.store = store
        self.view = RegistryView(pinned=pinned)
        """Replaced by a new view on a rebuild: hold the follower, not the view."""
        self._clock = clock
        self._loaded = False
        self.problem: str | None = None
        """Why the view does not describe the store, from detection until it is rebuilt."""
        self.last_rebuild: str | None = None
        """What happened at the last rebuild after the store went back, for ``/readyz``."""

    def readiness(self) -> tuple[bool, str]:
        """(whether the view can be served, a one-line account for ``/readyz``)."""
        if self.problem is not None:
            return False, f"{self.problem}; the view is not rebuilt yet"
        if not self._loaded:
            return False, "the view is not loaded yet"
        detail = f"log at {self.view.seq}"
        return True, detail if self.last_rebuild is None else f"{detail}; {self.last_rebuild}"

    async def step(self) -> int:
        """Apply the entries appended since the last step; returns how many. When the store's
        log no longer continues the view's, rebuild the view from the store instead."""
        if not self._loaded or self.problem is not None:
            await self._rebuild()
            return 0
        applied = 0
        while True:
            view = self.view
            # from the entry the view applied last, to see that it is still the same one
            entries = await self.store.log_after(max(view.seq - 1, 0), _LOG_PAGE)
            if view.seq > 0:
                problem = await self._went_back(view, entries[0] if entries else None)
                if problem is not None:
                    self.problem = problem
                    log.error(
                        "%s (the store lost acknowledged writes: Redis restarted without its "
                        "data, failed over to a replica that missed them, or a backup was "
                        "restored); rebuilding this replica's view from the store",
                        problem,
                    )
                    await self._rebuild()
                    return applied
                entries = entries[1:]
            if not entries:
                return applied
            for sid in {e.subscriber_id for e in entries}:
                fresh = await self.store.load(sid)
                if fresh is not None:
                    view.put(fresh)
            view.reached(entries[-1])
            applied += len(entries)

    async def _went_back(self, view: RegistryView, at_seq: LogEntry | None) -> str | None:
        """Why the store's log does not hold the view's last entry, or None when it does."""
        if at_seq is None:
            head = await self.store.head()
            return f"store log went back from {view.seq} to {head.seq if head else 0}"
        if at_seq.seq != view.seq or at_seq.hash != view.last_hash:
            return f"store log differs at entry {view.seq} from the log this replica applied"
        return None

    async def _rebuild(self) -> None:
        """A new view from the store's documents, at the head read before them (entries
        committed meanwhile are applied again at the next step, which is harmless)."""
        head = await self.store.head()
        subscribers = await self.store.load_all()
        view = self.view.fresh()
        for sub in subscribers:
            view.put(sub)
        if head is not None:
            view.reached(head)
        self.view = view
        self._loaded = True
        if self.problem is not None:
            self.last_rebuild = f"{self.problem}; view rebuilt at {iso(self._clock())}"
            log.warning(
                "view rebuilt from the store: %d subscribers, log at %d", len(view), view.seq
            )
            self.problem = None
