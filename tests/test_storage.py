"""``uei.storage``: the one parse of ``UEI_STORE`` and the one backend per process."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from uei.antiabuse.stores import abuse_stores
from uei.app import factory
from uei.app.settings import Settings
from uei.registry.identity import ConfigError
from uei.registry.stores import registry_store
from uei.storage.backend import Backend, SqliteBackend, open_backend
from uei.storage.url import StoreKind, parse_store_url
from uei_testing.harness import running

pytestmark = pytest.mark.anyio


def test_the_parser_knows_three_schemes() -> None:
    sqlite = parse_store_url("sqlite:///data/uei.db")
    assert (sqlite.kind, sqlite.path, sqlite.embedded) == (
        StoreKind.SQLITE,
        Path("data/uei.db"),
        True,
    )
    redis = parse_store_url("redis://127.0.0.1:6379/0")
    assert (redis.kind, redis.redis_url, redis.embedded) == (
        StoreKind.REDIS,
        "redis://127.0.0.1:6379/0",
        False,
    )
    assert parse_store_url("rediss://h:1/0").kind is StoreKind.REDIS
    cluster = parse_store_url("redis+cluster://127.0.0.1:7000")
    assert (cluster.kind, cluster.redis_url) == (StoreKind.CLUSTER, "redis://127.0.0.1:7000")
    for bad in ("postgres://x", "sqlite://relative", ""):
        with pytest.raises(ValueError, match="is not sqlite:///path"):
            parse_store_url(bad)


def test_settings_use_the_parser() -> None:
    assert Settings.from_env({}).embedded
    assert not Settings.from_env({"UEI_STORE": "redis+cluster://127.0.0.1:7000"}).embedded
    with pytest.raises(ConfigError, match="is not sqlite:///path"):
        _ = Settings.from_env({"UEI_STORE": "mysql://x"}).embedded


@pytest.mark.sqlite
async def test_both_domains_share_one_sqlite_connection_and_thread(tmp_path: Path) -> None:
    """One writing connection and its thread, one reading connection and its thread, and the
    thread that syncs the WAL."""

    def workers() -> list[int]:
        names = [t.name.rpartition("_")[0] for t in threading.enumerate()]
        return [names.count(k) for k in ("uei-sqlite", "uei-sqlite-read", "uei-sqlite-sync")]

    before = workers()
    backend = await SqliteBackend.open(tmp_path / "uei.db")
    try:
        registry, abuse = await registry_store(backend), await abuse_stores(backend)
        assert await registry.first_use("sig", 2_000_000_000, 1_790_000_000.0)
        assert (await abuse.quotas.take("k", interval=1.0, burst=2, now=1_790_000_000.0)).allowed
        await registry.close()  # built on the backend: leaves it open
        await abuse.close()
        assert await registry.head() is None
        after = workers()
        assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    finally:
        await backend.close()


async def test_the_app_opens_one_backend(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Backend] = []

    async def counting(url: Any) -> Backend:
        opened.append(await open_backend(url))
        return opened[-1]

    monkeypatch.setattr(factory, "open_backend", counting)
    async with running(store_url, tmp_path) as h:
        state = h.app.state
        assert len(opened) == 1
        assert state.registry.store._backend is opened[0]
        assert state.stores.backend is opened[0]
        await state.registry.store.ping()
    assert len(opened) == 1
