"""What ``python -m bench.load`` reads of its redis-server besides the service: the forks an
AOF rewrite makes (a child competing for the CPUs), so a phase it fell in says so."""

from __future__ import annotations

import pytest

from bench.drivers.load import redis_forks
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
