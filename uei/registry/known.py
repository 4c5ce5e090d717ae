"""The filter values some subscriber in the view has, per lookup field.

A lookup for a value nobody has matches what any other such value matches, so the page cache
can keep one entry for all of them (instead of one per value a caller makes up).
"""

from __future__ import annotations

from uei.registry.model import Subscriber

__all__ = ["FIELDS", "KnownValues"]

FIELDS = ("subscriber_id", "type", "domain", "city", "country", "unique_key_id")


def _pairs(sub: Subscriber) -> set[tuple[str, str]]:
    pairs = {("subscriber_id", sub.subscriber_id)}
    for r in sub.roles:
        pairs.update(
            (("type", r.type.value), ("domain", r.domain), ("city", r.city), ("country", r.country))
        )
    pairs.update(("unique_key_id", k.unique_key_id) for k in sub.keys)
    return pairs


class KnownValues:
    """For each (field, value), how many subscribers have it: adding or removing a subscriber
    costs its own roles and keys, whatever the size of the view."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}

    def add(self, sub: Subscriber) -> None:
        counts = self._counts
        for pair in _pairs(sub):
            counts[pair] = counts.get(pair, 0) + 1

    def remove(self, sub: Subscriber) -> None:
        counts = self._counts
        for pair in _pairs(sub):
            left = counts[pair] - 1
            if left:
                counts[pair] = left
            else:
                del counts[pair]

    def __len__(self) -> int:
        """How many (field, value) pairs some subscriber has."""
        return len(self._counts)

    def has(self, field: str, value: str) -> bool:
        return (field, value) in self._counts
