"""Everything a store holds, as text: for the privacy scans (no raw identifier anywhere)."""

from __future__ import annotations

import sqlite3
from typing import Any

import redis

from uei.storage.url import StoreKind, parse_store_url

__all__ = ["stored_text"]


def stored_text(store_url: str) -> str:
    """Everything the store holds, as text."""
    url = parse_store_url(store_url)
    if url.path is not None:
        db = sqlite3.connect(url.path)
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [repr(row) for t in tables for row in db.execute(f"SELECT * FROM {t}")]
        db.close()
        return "\n".join(rows)
    assert url.redis_url is not None
    client: Any = (
        redis.RedisCluster.from_url(url.redis_url)
        if url.kind is StoreKind.CLUSTER
        else redis.Redis.from_url(url.redis_url)
    )
    out = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        value = {
            "string": client.get,
            "hash": client.hgetall,
            "set": client.smembers,
            "list": lambda k: client.lrange(k, 0, -1),
            "zset": lambda k: client.zrange(k, 0, -1, withscores=True),
        }[kind](key)
        out.append(f"{key!r} {value!r}")
    client.close()
    return "\n".join(out)
