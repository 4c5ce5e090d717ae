"""What ``python -m bench.load`` reads of its redis-server besides the service: the forks an
AOF rewrite makes (a child competing for the CPUs), so a phase it fell in says so."""

from __future__ import annotations

import pytest

from bench.drivers.load import redis_forks, rewrite_aof
from uei_testing.redis_servers import RedisServer, redis_text


@pytest.mark.redis
def test_an_aof_rewrite_is_counted_as_a_fork() -> None:
    with RedisServer(aof=True) as redis:
        before = redis_forks(redis.url)
        # the fork has happened when the reply arrives ("rewriting started")
        assert "started" in redis_text(redis.port, "BGREWRITEAOF")
        assert redis_forks(redis.url) == before + 1


def test_sqlite_has_no_forks_to_count() -> None:
    assert redis_forks("sqlite:///uei.db") == 0


@pytest.mark.redis
def test_the_aof_is_rewritten_and_done_before_the_next_phase() -> None:
    from uei_testing.redis_servers import parse_info

    with RedisServer(aof=True) as redis:
        before = redis_forks(redis.url)
        assert rewrite_aof(redis.url) >= 0.0
        info = parse_info(redis_text(redis.port, "INFO", "persistence"))
        assert info["aof_rewrite_in_progress"] == "0"
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert redis_forks(redis.url) == before + 1
