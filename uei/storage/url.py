"""The one parse of ``UEI_STORE``: ``sqlite:///path``, ``redis://host:port/db`` (or
``rediss://``), ``redis+cluster://host:port``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["StoreKind", "StoreUrl", "parse_store_url"]


class StoreKind(StrEnum):
    SQLITE = "sqlite"
    REDIS = "redis"
    CLUSTER = "cluster"


@dataclass(frozen=True, slots=True)
class StoreUrl:
    kind: StoreKind
    text: str
    """The URL as given."""
    path: Path | None = None
    """The SQLite file (``sqlite`` only)."""
    redis_url: str | None = None
    """What redis-py is given: the URL, or a cluster's seed node as ``redis://`` (Redis only)."""

    @property
    def embedded(self) -> bool:
        return self.kind is StoreKind.SQLITE


def parse_store_url(text: str) -> StoreUrl:
    if text.startswith("sqlite:///"):
        return StoreUrl(StoreKind.SQLITE, text, path=Path(text.removeprefix("sqlite:///")))
    if text.startswith("redis+cluster://"):
        seed = "redis://" + text.removeprefix("redis+cluster://")
        return StoreUrl(StoreKind.CLUSTER, text, redis_url=seed)
    if text.startswith(("redis://", "rediss://")):
        return StoreUrl(StoreKind.REDIS, text, redis_url=text)
    raise ValueError(
        f"UEI_STORE {text!r} is not sqlite:///path, redis://host:port/db or redis+cluster://host:port"
    )
