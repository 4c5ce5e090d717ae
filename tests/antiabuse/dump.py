"""Everything a store holds, as text: for the privacy scans (no raw identifier anywhere)."""

from __future__ import annotations

import sqlite3
from typing import Any

import redis

__all__ = ["stored_text"]


def stored_text(store_url: str) -> str:
    """Everything the store holds, as text."""
    if store_url.startswith("sqlite:///"):
        db = sqlite3.connect(store_url.removeprefix("sqlite:///"))
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [repr(row) for t in tables for row in db.execute(f"SELECT * FROM {t}")]
        db.close()
        return "\n".join(rows)
    port = int(store_url.rsplit(":", 1)[1].split("/")[0])
    client: Any = (
        redis.RedisCluster(host="127.0.0.1", port=port)
        if store_url.startswith("redis+cluster")
        else redis.Redis(port=port)
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
