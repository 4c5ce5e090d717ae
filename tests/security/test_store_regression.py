"""Finding 7, "the store can silently go back": Redis restarts without its data, fails over to
a replica that missed writes, or a backup is restored. Every replica notices at its next
follow step, rebuilds its view from the store, and says so (log, ``/readyz``); operators can
act again. And at start, a Redis that would lose acknowledged writes is named (or refused)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import msgspec
import pytest
import redis

from tests.conftest import backend_url
from tests.registry.service_process import UEI
from uei.antiabuse.secret import create_secret_file
from uei.app.reload import PolicyHolder
from uei.registry.identity import ConfigError, save_key_file
from uei.registry.records import iso
from uei.registry.stores import RegistryStore
from uei.trust import generate_key_set
from uei_testing.factories import Participant, enrol
from uei_testing.harness import Harness, running
from uei_testing.redis_servers import RedisCluster, RedisServer, redis_command

pytestmark = pytest.mark.anyio

_REG = "{uei:reg}"


@pytest.fixture
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The session's Redis (AOF off), emptied."""
    return backend_url(request, "redis", tmp_path)


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A plain client, to do to the store what an outage or an operator's restore does."""
    client = redis.Redis(port=redis_server.port)
    yield client
    client.close()


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """``caplog`` (the app leaves the root logger's handlers alone)."""
    caplog.set_level(logging.INFO)
    return caplog


def _registry_keys(raw: redis.Redis) -> list[bytes]:
    return cast(list[bytes], raw.keys(f"{_REG}*"))


def _errors(logged: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in logged.records if r.levelno >= logging.ERROR]


async def _key_path(h: Harness, who: Participant) -> int:
    response = await h.client.get(f"/lookup/{who.subscriber_id}/{who.keys.unique_key_id}")
    return response.status_code


async def _ready(h: Harness) -> tuple[int, str]:
    response = await h.client.get("/readyz")
    detail: str = response.json()["detail"]
    return response.status_code, detail


def _policy_loaded(h: Harness) -> str:
    """/readyz's last part before any reload."""
    holder: PolicyHolder = h.app.state.policy
    return f"policy loaded at {iso(holder.loaded_at)}"


def _subscribe_body(who: Participant) -> bytes:
    public = who.request()
    return json.dumps(
        {
            "subscriber_id": who.subscriber_id,
            "url": who.url,
            "type": who.type.value,
            "domain": "ev-charging:uei",
            "city": "std:080",
            "country": "IND",
            "ukId": who.keys.unique_key_id,
            "signing_public_key": public.signing_public_key,
            "encr_public_key": public.encr_public_key,
        }
    ).encode()


async def _subscribe(h: Harness, who: Participant) -> tuple[int, str]:
    response = await h.signed(
        "POST", "/subscribe", who.keys, who.subscriber_id, _subscribe_body(who)
    )
    return response.status_code, response.text


@pytest.mark.redis
async def test_redis_that_lost_its_data_is_noticed_and_every_view_rebuilt(
    url: str, redis_server: RedisServer, tmp_path: Path, logged: pytest.LogCaptureFixture
) -> None:
    one, two = Participant("one.example"), Participant("two.example")
    async with (
        running(url, tmp_path, onboarding="allowlist") as a,
        running(url, tmp_path, onboarding="allowlist") as b,
    ):
        await a.enrol(one)
        await a.enrol(two)
        await b.registry.sync()
        seq = b.registry.view.seq
        assert seq > 0
        assert [await _key_path(h, one) for h in (a, b)] == [200, 200]

        redis_command(redis_server.port, "FLUSHALL")  # restarted without its data
        for h in (a, b):
            assert await h.registry.sync() == 0
            # the view is the store's, not the stale one
            assert await _key_path(h, one) == 404
            assert (h.registry.view.seq, len(h.registry.view)) == (0, 0)
            status, detail = await _ready(h)
            assert status == 200
            assert f"log at 0; store log went back from {seq} to 0; view rebuilt at " in detail
        errors = _errors(logged)
        assert len(errors) == 2
        assert all(f"store log went back from {seq} to 0" in e.getMessage() for e in errors)
        assert all(e.exc_info is None and "\n" not in e.getMessage() for e in errors)

        # operators can act again, and what they do reaches the other replica
        allowed = await a.as_operator(
            "POST", "/admin/subscribers/one.example/allow", b'{"roles": [{"type": "BPP"}]}'
        )
        assert (allowed.status_code, allowed.json()["status"]) == (200, "INITIATED")
        assert await _subscribe(a, one) == (200, '{"status":"UNDER_SUBSCRIPTION"}')
        head = await b.registry.store.head()
        assert head is not None
        assert await b.registry.sync() == head.seq
        listed = await b.as_operator("GET", "/admin/subscribers")
        assert [(s["subscriber_id"], s["status"]) for s in listed.json()] == [
            ("one.example", "UNDER_SUBSCRIPTION")
        ]


@pytest.mark.redis
async def test_a_restored_older_state_is_noticed_and_changes_reach_every_replica(
    url: str, raw: redis.Redis, tmp_path: Path, logged: pytest.LogCaptureFixture
) -> None:
    one, two = Participant("one.example"), Participant("two.example")
    async with running(url, tmp_path) as a, running(url, tmp_path) as b:
        await a.enrol(one)
        older = await a.registry.store.head()
        assert older is not None
        snapshot = {key: cast(bytes, raw.dump(key)) for key in _registry_keys(raw)}  # a backup
        await a.enrol(two)
        suspended = await a.as_operator("POST", "/admin/subscribers/one.example/suspend")
        assert suspended.status_code == 200
        for h in (a, b):
            await h.registry.sync()
            assert [await _key_path(h, one), await _key_path(h, two)] == [404, 200]
        seq = b.registry.view.seq

        raw.delete(*_registry_keys(raw))  # the backup is restored
        for key, value in snapshot.items():
            raw.restore(key, 0, value)
        for h in (a, b):
            await h.registry.sync()
            assert [await _key_path(h, one), await _key_path(h, two)] == [200, 404]
            assert f"store log went back from {seq} to {older.seq}" in (await _ready(h))[1]
        assert len(_errors(logged)) == 2

        # the operator suspends again; the other replica follows (its view was ahead before)
        again = await a.as_operator("POST", "/admin/subscribers/one.example/suspend")
        assert again.status_code == 200
        assert await b.registry.sync() == 1
        assert await _key_path(b, one) == 404
        assert await _subscribe(b, two) == (200, '{"status":"UNDER_SUBSCRIPTION"}')


@pytest.mark.redis
async def test_another_log_of_equal_length_is_noticed(
    url: str, redis_server: RedisServer, tmp_path: Path, logged: pytest.LogCaptureFixture
) -> None:
    """A failover to a replica that missed some writes and took as many others since: the
    log is as long as the view's, but its entries are other ones."""
    x, y = Participant("x.example"), Participant("y.example")
    z, w = Participant("z.example"), Participant("w.example")
    async with running(url, tmp_path) as a, running(url, tmp_path) as b:
        await a.enrol(x)
        await a.enrol(y)
        await b.registry.sync()
        seq = b.registry.view.seq

        redis_command(redis_server.port, "FLUSHALL")
        store: RegistryStore = a.registry.store
        await enrol(store, z, a.clock())
        await enrol(store, w, a.clock())
        head = await store.head()
        assert head is not None
        assert head.seq == seq
        for h in (a, b):
            assert await h.registry.sync() == 0
            assert [await _key_path(h, p) for p in (x, y, z, w)] == [404, 404, 200, 200]
            assert h.registry.view.last_hash == head.hash
            status, detail = await _ready(h)
            assert status == 200
            assert f"store log differs at entry {seq} from the log this replica applied" in detail
        assert len(_errors(logged)) == 2


@pytest.mark.redis
async def test_readiness_fails_until_the_view_is_rebuilt(
    url: str, raw: redis.Redis, tmp_path: Path, logged: pytest.LogCaptureFixture
) -> None:
    """The store went back and its documents cannot be read yet (here: one this version does
    not understand): not ready, with the reason, and the rebuild is tried at every step."""
    one = Participant("one.example")
    async with running(url, tmp_path) as h:
        await h.enrol(one)
        seq = h.registry.view.seq
        raw.flushall()
        raw.hset(f"{_REG}:sub:odd.example", mapping={"v": 1, "doc": b'{"not": "a subscriber"}'})
        raw.sadd(f"{_REG}:subs", "odd.example")
        with pytest.raises(msgspec.ValidationError):
            await h.registry.sync()
        status, detail = await _ready(h)
        assert status == 503
        assert detail.startswith(f"store log went back from {seq} to 0; the view is not rebuilt")
        assert any(f"went back from {seq} to 0" in e.getMessage() for e in _errors(logged))

        raw.delete(f"{_REG}:sub:odd.example")
        raw.srem(f"{_REG}:subs", "odd.example")
        assert await h.registry.sync() == 0
        status, detail = await _ready(h)
        assert status == 200
        assert detail.startswith(f"log at 0; store log went back from {seq} to 0; view rebuilt")
        assert await _key_path(h, one) == 404


# --- persistence at start ---------------------------------------------------------------


async def _refused(url: str, tmp_path: Path, **policy: Any) -> str:
    """The ``ConfigError`` that stops the app at start (Litestar's lifespan hands it over
    wrapped in exception groups)."""
    with pytest.raises((ConfigError, BaseExceptionGroup)) as caught:
        async with running(url, tmp_path, **policy):
            pass
    error: BaseException = caught.value
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    assert isinstance(error, ConfigError), repr(error)
    return str(error)


@pytest.mark.redis
async def test_require_refuses_a_redis_without_aof(url: str, tmp_path: Path) -> None:
    port = url.split(":")[2].split("/")[0]
    assert (await _refused(url, tmp_path, persistence="require")).startswith(
        f"registry.persistence is require, but AOF is off on 127.0.0.1:{port} appendonly no: "
        "a restart of Redis would lose acknowledged writes."
    )


@pytest.mark.redis
def test_uei_serve_refuses_a_redis_without_aof_in_one_line(url: str, tmp_path: Path) -> None:
    keys, secret, policies = (tmp_path / n for n in ("keys.json", "secret", "policies.yaml"))
    save_key_file(keys, generate_key_set(), "registry.uei")
    create_secret_file(secret)
    policies.write_text("registry:\n  persistence: require\n")
    env = {
        **os.environ,
        "UEI_DATA_DIR": str(tmp_path / "data"),
        "UEI_STORE": url,
        "UEI_REGISTRY_KEYS": str(keys),
        "UEI_NETWORK_SECRET": str(secret),
        "UEI_POLICIES": str(policies),
    }
    result = subprocess.run(
        [str(UEI), "serve", "--port", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    port = url.split(":")[2].split("/")[0]
    assert (result.returncode, result.stderr.count("\n")) == (2, 1)
    assert result.stderr.startswith(
        f"uei: error: registry.persistence is require, but AOF is off on 127.0.0.1:{port} "
        "appendonly no: a restart of Redis would lose acknowledged writes."
    )


@pytest.mark.redis
async def test_warn_starts_on_a_redis_without_aof_and_says_so(
    url: str, tmp_path: Path, logged: pytest.LogCaptureFixture
) -> None:
    port = url.split(":")[2].split("/")[0]
    async with running(url, tmp_path, persistence="warn") as h:
        status, detail = await _ready(h)
    assert status == 200
    assert detail == (
        f"log at 0; persistence at risk (AOF is off on 127.0.0.1:{port} appendonly no); "
        + _policy_loaded(h)
    )
    (warning,) = [r for r in logged.records if "AOF is off" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert f"127.0.0.1:{port}" in warning.getMessage()


@pytest.mark.redis
async def test_require_starts_on_a_redis_with_aof(tmp_path: Path) -> None:
    with RedisServer(aof=True) as server:
        async with running(server.url, tmp_path, persistence="require") as h:
            assert await _ready(h) == (
                200,
                f"log at 0; persistence ok (127.0.0.1:{server.port} appendonly yes); "
                + _policy_loaded(h),
            )


@pytest.mark.redis
async def test_a_redis_that_refuses_config_is_unknown(
    tmp_path: Path, logged: pytest.LogCaptureFixture
) -> None:
    """Managed Redis often disables CONFIG: persistence cannot be checked."""
    with RedisServer(extra_args=["--rename-command", "CONFIG", ""]) as server:
        unknown = f"persistence is unknown on 127.0.0.1:{server.port} CONFIG refused: "
        assert unknown in await _refused(server.url, tmp_path, persistence="require")
        async with running(server.url, tmp_path) as h:
            status, detail = await _ready(h)
    assert status == 200
    assert unknown in detail
    assert any("persistence is unknown" in r.getMessage() for r in logged.records)


async def test_every_cluster_master_is_checked(
    request: pytest.FixtureRequest,
    redis_cluster: RedisCluster,
    tmp_path: Path,
    logged: pytest.LogCaptureFixture,
) -> None:
    url = backend_url(request, "cluster", tmp_path)
    refused = await _refused(url, tmp_path, persistence="require")
    async with running(url, tmp_path):
        pass
    (warning,) = [r for r in logged.records if "AOF is off" in r.getMessage()]
    for port in redis_cluster.ports:
        assert f"127.0.0.1:{port} appendonly no" in refused
        assert f"127.0.0.1:{port} appendonly no" in warning.getMessage()


@pytest.mark.sqlite
async def test_sqlite_has_nothing_to_check(tmp_path: Path) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, persistence="require") as h:
        assert await _ready(h) == (
            200,
            f"log at 0; persistence ok (sqlite WAL, synchronous=FULL); {_policy_loaded(h)}",
        )
