"""Tests for the real-redis test support in ``uei_testing/redis_servers.py``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import redis
from redis.cluster import RedisCluster as ClusterClient

from tests.conftest import backend_url, require_redis
from uei_testing.redis_servers import (
    RedisCluster,
    RedisServer,
    parse_info,
    redis_text,
)

T = TypeVar("T")


def _eventually(action: Callable[[], T], *, timeout: float) -> T:
    """Retry ``action`` on redis errors until it succeeds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except redis.RedisError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(0.05)


def test_server_set_get_via_url(redis_server: RedisServer) -> None:
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    with redis.Redis.from_url(redis_server.url, decode_responses=True) as client:
        assert client.set("infra:greeting", "hello")
        assert client.get("infra:greeting") == "hello"
        client.delete("infra:greeting")


@pytest.mark.redis
def test_aof_survives_sigkill_and_restart() -> None:
    with RedisServer(aof=True) as server:
        port, directory = server.port, server.dir
        with redis.Redis.from_url(server.url, decode_responses=True) as client:
            client.set("durable", "yes")
        pid_before = server.pid
        server.kill()
        assert not server.is_running()
        server.restart()
        assert (server.port, server.dir) == (port, directory)
        assert server.pid != pid_before
        with redis.Redis.from_url(server.url, decode_responses=True) as client:
            assert client.get("durable") == "yes"


@pytest.mark.redis
def test_without_aof_restart_loses_data() -> None:
    """Control for the AOF test: restart really starts an empty process."""
    with RedisServer() as server:
        with redis.Redis.from_url(server.url, decode_responses=True) as client:
            client.set("volatile", "yes")
        server.kill()
        server.restart()
        with redis.Redis.from_url(server.url, decode_responses=True) as client:
            assert client.get("volatile") is None


def test_cluster_spreads_keys_and_honours_hash_tags(redis_cluster: RedisCluster) -> None:
    first_port = redis_cluster.ports[0]
    assert redis_cluster.url == f"redis+cluster://127.0.0.1:{first_port}"
    assert redis_cluster.startup_nodes == [("127.0.0.1", port) for port in redis_cluster.ports]
    masters = {node.port for node in redis_cluster.nodes() if node.is_master}
    assert masters == set(redis_cluster.ports)

    keys = [f"infra:key:{i}" for i in range(30)]
    with ClusterClient(host="127.0.0.1", port=first_port, decode_responses=True) as client:
        for key in keys:
            client.set(key, key.upper())
        assert [client.get(key) for key in keys] == [key.upper() for key in keys]
        slots = [int(client.cluster_keyslot(key)) for key in keys]

        tagged = ["{user:42}:profile", "{user:42}:sessions"]
        for key in tagged:
            client.set(key, "v")
        assert [client.get(key) for key in tagged] == ["v", "v"]
        tagged_slots = {int(client.cluster_keyslot(key)) for key in tagged}
        client.delete(*keys, *tagged)

    assert len(set(slots)) > 1
    assert {redis_cluster.master_port_for_slot(slot) for slot in slots} == masters
    assert len(tagged_slots) == 1
    assert tagged_slots == {redis_cluster.keyslot("user:42")}


@pytest.mark.cluster
def test_cluster_fails_over_after_master_sigkill() -> None:
    with RedisCluster(replicas=1) as cluster:
        assert len(cluster.ports) == 6
        key = "infra:failover"
        victim = cluster.master_port_for_slot(cluster.keyslot(key))
        with redis.Redis(host="127.0.0.1", port=victim, single_connection_client=True) as master:
            master.set(key, "before-kill")
            # WAIT counts replicas that acknowledged this connection's writes.
            assert master.execute_command("WAIT", 1, 5000) == 1

        cluster.kill_node(victim)
        cluster.wait_ready(timeout=15)

        survivor = cluster.live_ports[0]
        assert parse_info(redis_text(survivor, "CLUSTER", "INFO"))["cluster_state"] == "ok"
        new_master = cluster.master_port_for_slot(cluster.keyslot(key))
        assert new_master != victim
        assert victim not in cluster.live_ports
        with ClusterClient(host="127.0.0.1", port=survivor, decode_responses=True) as client:
            assert _eventually(lambda: client.get(key), timeout=5) == "before-kill"


@pytest.mark.parametrize("backend", ["redis", "cluster"])
def test_a_missing_redis_binary_skips_outside_ci_and_fails_under_ci(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no redis-server on PATH
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"redis-server(, redis-cli)? not found on PATH"
    ) as skip:
        require_redis(backend)
    assert "apt-get install redis-server" in str(skip.value)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(
        pytest.fail.Exception, match=r"redis-server(, redis-cli)? not found on PATH"
    ) as fail:
        require_redis(backend)
    assert "apt-get install redis-server" in str(fail.value)
    assert "CI is set" in str(fail.value)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        require_redis(backend)


def test_with_the_binaries_on_path_nothing_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("redis-server", "redis-cli"):
        fake = tmp_path / name
        fake.write_text("#!/bin/sh\n")
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    require_redis("redis")
    require_redis("cluster")
    (tmp_path / "redis-cli").unlink()
    require_redis("redis")
    with pytest.raises(pytest.fail.Exception, match=r"^cluster tests .*redis-cli not found"):
        require_redis("cluster")


def test_a_backend_url_without_its_mark_fails(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """So ``-m`` cannot miss a test that asks for a backend by name."""
    with pytest.raises(pytest.fail.Exception, match=r"mark it @pytest.mark.redis"):
        backend_url(request, "redis", tmp_path)


@pytest.mark.sqlite
def test_a_backend_url_with_its_mark_is_given(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    assert backend_url(request, "sqlite", tmp_path) == f"sqlite:///{tmp_path / 'uei.db'}"
