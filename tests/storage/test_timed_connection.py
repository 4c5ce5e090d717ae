"""The service's Redis clients send each command in the caller's turn, with its deadline kept
(``uei.storage.connect.TimedConnection``): on a real redis-server and a real Redis Cluster, and
against a peer that never reads."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from redis.exceptions import TimeoutError as RedisTimeout

from uei.storage.connect import TimedConnection, redis_client
from uei.storage.url import parse_store_url
from uei_testing.redis_servers import RedisCluster, RedisServer

pytestmark = pytest.mark.anyio


class _Tasks:
    """Counts the tasks the running loop creates while it is installed."""

    def __init__(self) -> None:
        self.created = 0

    def __enter__(self) -> _Tasks:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._before = loop.get_task_factory()

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            self.created += 1
            return asyncio.Task(coro, loop=loop, **kwargs)

        loop.set_task_factory(factory)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.set_task_factory(self._before)


async def _commands_make_no_task(client: Any, *, pipeline: bool) -> None:
    await client.set("timed:{k}", "0")  # connections opened, slot map known
    with _Tasks() as tasks:
        for i in range(20):
            await client.set("timed:{k}", str(i))
            assert await client.get("timed:{k}") == b"%d" % i
        if pipeline:  # a cluster's pipeline runs a task per node, whatever its sends
            pipe = client.pipeline(transaction=False)
            pipe.incr("timed:{k}")
            pipe.get("timed:{k}")
            assert await pipe.execute() == [20, b"20"]
    # redis-py's own send (asyncio.wait_for) makes a task for each of these 40 or 41 sends
    assert tasks.created == 0


@pytest.mark.redis
async def test_a_redis_client_sends_in_the_callers_turn(redis_server: RedisServer) -> None:
    client: Any = redis_client(redis_server.url, 2.0)
    try:
        await _commands_make_no_task(client, pipeline=True)
        connections = client.connection_pool._available_connections
        assert connections
        assert all(type(c) is TimedConnection for c in connections)
        assert all(c.socket_timeout == 2.0 for c in connections)  # the deadline is kept
    finally:
        await client.aclose()


@pytest.mark.cluster
async def test_a_cluster_client_sends_in_the_callers_turn(redis_cluster: RedisCluster) -> None:
    url = parse_store_url(redis_cluster.url).redis_url
    assert url is not None
    client: Any = redis_client(url, 2.0, cluster=True)
    try:
        await client.initialize()
        await _commands_make_no_task(client, pipeline=False)
        nodes = client.get_nodes()
        assert len(nodes) == 3
        assert all(n.connection_class is TimedConnection for n in nodes)
        # the node the client was made with, kept by the nodes manager for later slot maps
        startup = client.nodes_manager.startup_nodes.values()
        assert all(n.connection_class is TimedConnection for n in startup)
    finally:
        await client.aclose()


@pytest.fixture
def deaf_peer() -> Iterator[int]:
    """A port whose server accepts a connection and never reads from it."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    accepted: list[socket.socket] = []
    listener.settimeout(5.0)

    def accept() -> None:
        connection, _ = listener.accept()
        accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(5.0)
        for connection in accepted:
            connection.close()
        listener.close()


async def test_a_send_the_peer_never_reads_ends_at_its_deadline(deaf_peer: int) -> None:
    """The deadline is the client's ``socket_timeout``: here 0.3 s, the least the test can
    wait; a send that could finish never does (the peer reads nothing), so the time it takes
    is the deadline's whatever the machine's load."""
    connection = TimedConnection(
        host="127.0.0.1", port=deaf_peer, socket_timeout=0.3, driver_info=None
    )
    try:
        # no handshake to wait on: no password, db 0, no client names
        await connection.connect()  # type: ignore[no-untyped-call]
        transport = connection._writer.transport  # type: ignore[union-attr]
        value = b"x" * (64 << 20)  # more than every buffer between the two sockets
        with pytest.raises(RedisTimeout, match="writing"):
            await connection.send_command("SET", "k", value)
        assert not connection.is_connected  # closed: no half-sent command left on it
        assert connection.socket_timeout == 0.3
        # closing waits for the peer to read what was written; it never will
        transport.abort()
    finally:
        await connection.disconnect()


class _Handshakes(TimedConnection):
    """Records the read deadline each handshake (CLIENT SETINFO, AUTH, HELLO) runs under."""

    seen: list[float | None]

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        self.seen.append(self.socket_timeout)
        await super().on_connect_check_health(check_health)


@pytest.mark.redis
async def test_a_connection_that_connects_on_its_first_send_shakes_hands_under_its_deadlines(
    redis_server: RedisServer,
) -> None:
    """A cluster node's connections connect on their first send: the handshake's reads keep
    the connection's own deadline, not the send's (which would leave them none)."""
    connection = _Handshakes(host=redis_server.host, port=redis_server.port, socket_timeout=2.0)
    connection.seen = []
    try:
        assert not connection.is_connected
        await connection.send_command("PING")
        assert await connection.read_response() == b"PONG"
        assert connection.seen == [2.0]
    finally:
        await connection.disconnect()
