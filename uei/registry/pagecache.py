"""Encoded lookup pages, least recently used first out, bounded in bytes.

A page stands for a window of time (until the view changes or a key considered starts or ends
its validity); the view clears the cache when it changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["ENTRY_OVERHEAD", "Page", "PageCache"]

ENTRY_OVERHEAD = 512
"""Bytes counted for each entry besides its body: the key, the entry and the cache's node.
Without it, a stream of distinct near-empty pages would cost memory the bound does not see."""


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    total: int
    since: float
    until: float

    @property
    def cost(self) -> int:
        return len(self.body) + ENTRY_OVERHEAD


class PageCache:
    def __init__(self, max_bytes: int) -> None:
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()
        self._max_bytes = max_bytes
        self.bytes = 0
        """What the pages kept cost, as ``Page.cost`` counts; never above ``max_bytes``."""

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        self._max_bytes = value
        self._shrink()

    def get(self, key: Hashable, now: float) -> Page | None:
        """The page kept under ``key`` if it stands at ``now``; a stale one is dropped."""
        page = self._pages.get(key)
        if page is None:
            return None
        if not page.since <= now < page.until:
            self._drop(key)
            return None
        self._pages.move_to_end(key)
        return page

    def put(self, key: Hashable, page: Page) -> None:
        """Keep ``page``, the least recently used ones leaving to make room; a page costing
        more than the whole bound is not kept."""
        if key in self._pages:
            self._drop(key)
        if page.cost > self._max_bytes:
            return
        self._pages[key] = page
        self.bytes += page.cost
        self._shrink()

    def clear(self) -> None:
        self._pages.clear()
        self.bytes = 0

    def _drop(self, key: Hashable) -> None:
        self.bytes -= self._pages.pop(key).cost

    def _shrink(self) -> None:
        while self.bytes > self._max_bytes:
            self.bytes -= self._pages.popitem(last=False)[1].cost
