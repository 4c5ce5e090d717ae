"""At start: does the store keep what it acknowledges? Judged against ``registry.persistence``.

A Redis without AOF loses every write since its start when it restarts; the replicas then
follow a log that went back (see ``follower``). ``warn`` says so in one loud line; ``require``
refuses to start. A server that will not say (managed Redis often refuses ``CONFIG``) counts as
unknown: a warning, or a refusal under ``require``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from uei.registry.identity import ConfigError
from uei.registry.policy import Persistence
from uei.registry.stores import Durability, open_store

__all__ = ["judge_persistence", "require_persistence"]

log = logging.getLogger("uei.registry.persistence")


def _describe(found: Sequence[Durability]) -> str:
    return ", ".join(f"{d.server} {d.detail}" for d in found)


def judge_persistence(found: Sequence[Durability], policy: Persistence) -> str:
    """The one-line account for ``/readyz``. Under ``warn``, one warning naming the servers
    that may lose acknowledged writes; under ``require``, ``ConfigError`` instead."""
    off = [d for d in found if d.persists is False]
    unknown = [d for d in found if d.persists is None]
    if not off and not unknown:
        return f"persistence ok ({_describe(found)})"
    risks = []
    if off:
        risks.append(f"AOF is off on {_describe(off)}")
    if unknown:
        risks.append(f"persistence is unknown on {_describe(unknown)}")
    risk = "; ".join(risks)
    if policy is Persistence.REQUIRE:
        raise ConfigError(
            f"registry.persistence is require, but {risk}: a restart of Redis would lose "
            "acknowledged writes. Turn AOF on (appendonly yes) on every Redis server, or set "
            "registry.persistence: warn"
        )
    log.warning(
        "%s: a restart of Redis loses acknowledged writes (set appendonly yes; "
        "registry.persistence: require refuses to start without it)",
        risk,
    )
    return f"persistence at risk ({risk})"


async def require_persistence(store_url: str) -> str:
    """``judge_persistence`` under ``require``, on a store opened for the question: ``uei
    serve`` asks before it serves, so that a refusal is one clear line (the app's own start
    refuses as well, but inside the lifespan's traceback)."""
    try:
        store = await open_store(store_url)
        try:
            found = await store.durability()
        finally:
            await store.close()
    except Exception as exc:  # whatever stops the question stops the start
        raise ConfigError(
            "registry.persistence is require, but the store cannot be asked: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    return judge_persistence(found, Persistence.REQUIRE)
