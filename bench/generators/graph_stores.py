"""Bulk-loads the graph in each store's own layout (rows in the SQLite tables, hashes and sets
under the Redis store's keys), and checks a sample through the store API."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
from pathlib import Path

import msgspec
import redis

from bench.generators.graph import Graph
from bench.progress import bar as progress_bar
from uei.antiabuse.stores import AbuseStores, open_abuse_stores
from uei.antiabuse.stores.codec import encode
from uei.antiabuse.stores.redis_defaulters import (
    _REFS,
    _adjacency_key,
    _case_key,
    _degree_key,
    _index_key,
)


def write_sqlite(path: Path, g: Graph) -> None:
    """Rows straight into the store's tables (created by the store itself), in key order,
    in one transaction."""

    async def create_tables() -> None:
        await (await open_abuse_stores(f"sqlite:///{path}")).close()

    asyncio.run(create_tables())
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    db.execute("BEGIN")
    order = sorted(range(len(g.names)), key=g.names.__getitem__)
    links: list[tuple[str, str, float]] = []
    degrees: list[tuple[str, str, int]] = []
    with progress_bar(len(order), "sqlite: links and degrees") as bar:
        for n, a in enumerate(order, 1):
            adjacent = g.adjacency[a]
            if adjacent:
                name = g.names[a]
                links.extend(sorted((name, g.names[b], seen) for b, seen in adjacent.items()))
                degrees.extend((name, f, c) for f, c in sorted(g.degree(a).items()))
            if n % 20_000 == 0 or n == len(order):
                db.executemany("INSERT INTO abuse_links VALUES (?, ?, ?)", links)
                db.executemany("INSERT INTO abuse_degrees VALUES (?, ?, ?)", degrees)
                links.clear()
                degrees.clear()
                bar.update(20_000 if n % 20_000 == 0 else n % 20_000)
    db.executemany(
        "INSERT INTO abuse_cases VALUES (?, ?, ?, ?, ?)",
        [(c.case_id, c.creditor, c.session_ref, c.version, encode(c)) for c in g.cases],
    )
    db.executemany(
        "INSERT OR IGNORE INTO abuse_case_tokens VALUES (?, ?)",
        [(t, c.case_id) for c in g.cases for t in c.tokens],
    )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    # Loaded without syncing: flush now, or the first checkpoint a status query triggers
    # (its audit commit) pays for writing back the whole load (hundreds of ms, once).
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_redis(url: str, g: Graph) -> None:
    """The store's key layout (adjacency and degree hashes per token, the ledger under its
    hash tag), written through pipelines."""
    client = redis.Redis.from_url(url)
    pipe = client.pipeline(transaction=False)
    with progress_bar(len(g.names), "redis: links and degrees") as bar:
        for a, name in enumerate(g.names):
            adjacent = g.adjacency[a]
            if adjacent:
                mapping = {g.names[b]: repr(seen) for b, seen in adjacent.items()}
                pipe.hset(_adjacency_key(name), mapping=mapping)
                pipe.hset(_degree_key(name), mapping=g.degree(a))
            if (a + 1) % 5_000 == 0 or a + 1 == len(g.names):
                pipe.execute()
                bar.update(5_000 if (a + 1) % 5_000 == 0 else (a + 1) % 5_000)
    for case in g.cases:
        ref = msgspec.json.encode([case.creditor, case.session_ref]).decode()
        pipe.hset(_case_key(case.case_id), mapping={"version": case.version, "doc": encode(case)})
        pipe.hset(_REFS, ref, case.case_id)
        for t in case.tokens:
            pipe.sadd(_index_key(t), case.case_id)
    pipe.execute()
    client.close()


async def verify(store: AbuseStores, g: Graph, rng: random.Random) -> None:
    """What the store API reads back for a sample is what was generated."""
    sample = [*rng.sample(range(len(g.names)), min(300, len(g.names))), *g.fleet[:3]]
    names = [g.names[i] for i in sample]
    degrees = await store.graph.degrees(names)
    neighbours = await store.graph.neighbours(names, 10_000)
    for i, name in zip(sample, names, strict=True):
        assert degrees.get(name, {}) == g.degree(i), name
        assert neighbours[name] == {g.names[b]: s for b, s in g.adjacency[i].items()}, name
    picked = rng.sample(g.cases, min(100, len(g.cases)))
    loaded = await store.cases.load_cases(c.case_id for c in picked)
    by_token = await store.cases.cases_for(t for c in picked for t in c.tokens)
    for case in picked:
        assert loaded[case.case_id] == case, case.case_id
        assert all(case.case_id in by_token[t] for t in case.tokens), case.case_id
