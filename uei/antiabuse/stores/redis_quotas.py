"""Quota buckets and BAP checks on Redis and Redis Cluster.

A BAP's buckets, the answers kept for its retried message ids and its event buckets share its
hash tag, so a check (take, dedupe, record the search) is one atomic script on one node. Every
other bucket (a relay's, a CPO's query or dispute quota) has its own tag.
"""

from __future__ import annotations

from uei.antiabuse.quotas.gcra import QuotaAnswer
from uei.antiabuse.scraping.events import Search, encode_event
from uei.antiabuse.stores.protocols import Checked
from uei.antiabuse.stores.redis_base import RedisKeys
from uei.antiabuse.stores.redis_scraping import bap_tag, event_bucket, mark_active
from uei.storage.backend import RedisBackend
from uei.storage.errors import reachable_methods

__all__ = ["RedisQuotas"]


@reachable_methods
class RedisQuotas(RedisKeys):
    """``QuotaStore``."""

    def __init__(self, backend: RedisBackend) -> None:
        super().__init__(backend)
        self._check = self._script("gcra", "check")
        self._take = self._script("gcra", "take")
        self._take_once = self._script("gcra", "take_once")

    async def check(
        self,
        bap: str,
        rule: str,
        message_id: str,
        *,
        interval: float,
        burst: int,
        cost: int,
        search: Search | None,
        answer_seconds: float,
        keep_seconds: float,
        now: float | None = None,
        replay: tuple[str, int] | None = None,
    ) -> Checked:
        sc = bap_tag(bap)
        bucket = event_bucket(bap, search.at if search is not None else 0.0)
        allowed, remaining, retry, reset, at, duplicate, fresh, replayed = await self._check(
            keys=[
                f"{sc}:q:{rule}",
                f"{sc}:c:{message_id}",
                f"{sc}:e:search:{message_id}",
                bucket,
                f"{sc}:seen:{replay[0] if replay else ''}",
            ],
            args=[
                "" if now is None else repr(now),
                repr(interval),
                burst,
                cost,
                int(answer_seconds * 1000),
                encode_event(search) if search is not None else "",
                int(keep_seconds * 1000),
                str(replay[1]) if replay else "",
            ],
        )
        if fresh:
            await mark_active(self._client, bap, [bucket], keep_seconds)
        answer = QuotaAnswer(bool(int(allowed)), int(remaining), float(retry), float(reset))
        return Checked(answer, bool(duplicate), float(at), bool(int(replayed)))

    async def take(
        self, key: str, *, interval: float, burst: int, cost: int = 1, now: float | None = None
    ) -> QuotaAnswer:
        allowed, remaining, retry, reset = await self._take(
            keys=[f"uei:q:{{{key}}}"],
            args=["" if now is None else repr(now), repr(interval), burst, cost],
        )
        return QuotaAnswer(bool(int(allowed)), int(remaining), float(retry), float(reset))

    async def take_once(
        self,
        key: str,
        replay: tuple[str, int],
        *,
        interval: float,
        burst: int,
        cost: int = 1,
        now: float | None = None,
    ) -> QuotaAnswer | None:
        taken = await self._take_once(
            keys=[f"uei:q:{{{key}}}", f"uei:q:{{{key}}}:seen:{replay[0]}"],
            args=["" if now is None else repr(now), repr(interval), burst, cost, str(replay[1])],
        )
        if taken is None:
            return None
        allowed, remaining, retry, reset = taken
        return QuotaAnswer(bool(int(allowed)), int(remaining), float(retry), float(reset))
