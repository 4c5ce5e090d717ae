"""``uei serve``'s connections write each turn of the event loop's output once
(``uei.app.workers.OneWriteH11``): a real asyncio transport over a loopback connection, its
peer reading what arrived. (Served end to end: ``tests/test_serve_workers.py``.)"""

from __future__ import annotations

import array
import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from uei.app.workers import _OneWritePerTurn

pytestmark = pytest.mark.anyio


class _Recorded(asyncio.Protocol):
    pass


@pytest.fixture
async def connected() -> AsyncIterator[tuple[_OneWritePerTurn, socket.socket, list[bytes]]]:
    """A wrapped client transport, the server's raw socket, and every chunk the transport
    handed to its socket (the real transport's ``write``, seen from outside)."""
    loop = asyncio.get_running_loop()
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = loop.run_in_executor(None, listener.accept)
    transport, _ = await loop.create_connection(_Recorded, *listener.getsockname()[:2])
    peer, _ = await accepted
    listener.close()
    handed: list[bytes] = []
    real_write = transport.write

    def write(data: bytes | bytearray | memoryview) -> None:
        handed.append(bytes(data))
        real_write(data)

    transport.write = write  # type: ignore[method-assign]
    try:
        yield _OneWritePerTurn(transport), peer, handed
    finally:
        transport.abort()
        peer.close()


async def _turn() -> None:
    await asyncio.sleep(0)  # one turn of the loop: what was scheduled ran


def _read(peer: socket.socket, size: int) -> bytes:
    peer.settimeout(10)
    got = b""
    while len(got) < size:
        chunk = peer.recv(size - len(got))
        assert chunk, "closed early"
        got += chunk
    return got


async def test_writes_in_one_turn_leave_as_one(
    connected: tuple[_OneWritePerTurn, socket.socket, list[bytes]],
) -> None:
    wrapped, peer, handed = connected
    wrapped.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n")
    wrapped.write(memoryview(b"body"))
    wrapped.write(b"")  # h11's end of a sized body: nothing
    assert handed == []
    assert wrapped.get_write_buffer_size() == 42  # still counted by flow control
    await _turn()
    assert handed == [b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody"]
    assert wrapped.get_write_buffer_size() == 0
    assert _read(peer, 42).endswith(b"\r\n\r\nbody")


async def test_writes_in_later_turns_leave_in_order(
    connected: tuple[_OneWritePerTurn, socket.socket, list[bytes]],
) -> None:
    wrapped, peer, handed = connected
    wrapped.write(b"first ")
    await _turn()
    wrapped.write(b"second ")
    wrapped.write(b"third")
    await _turn()
    assert handed == [b"first ", b"second third"]
    assert _read(peer, 18) == b"first second third"


async def test_closing_sends_what_is_pending_first(
    connected: tuple[_OneWritePerTurn, socket.socket, list[bytes]],
) -> None:
    wrapped, peer, handed = connected
    wrapped.write(b"last words")
    wrapped.close()
    assert handed == [b"last words"]
    assert wrapped.is_closing()  # the transport's own, passed through
    await _turn()
    assert _read(peer, 10) == b"last words"
    peer.settimeout(10)
    assert peer.recv(1) == b""  # then closed
    assert handed == [b"last words"]  # the scheduled flush found nothing left


async def test_a_large_answer_is_not_held_back(
    connected: tuple[_OneWritePerTurn, socket.socket, list[bytes]],
) -> None:
    """Past 64 KiB in one turn it goes out at once, where the transport's flow control (which
    uvicorn waits on when the client reads slowly) can see it."""
    wrapped, peer, handed = connected
    wrapped.write(b"head ")
    wrapped.write(b"x" * 70_000)
    assert handed == [b"head " + b"x" * 70_000]
    wrapped.write(b" tail")
    await _turn()
    assert handed[1:] == [b" tail"]
    assert _read(peer, 70_010).endswith(b"x tail")


async def test_what_is_held_is_counted_in_bytes(
    connected: tuple[_OneWritePerTurn, socket.socket, list[bytes]],
) -> None:
    wrapped, peer, handed = connected
    wrapped.write(memoryview(array.array("I", [1, 2, 3])))  # 3 items, 12 bytes
    assert wrapped.get_write_buffer_size() == 12
    await _turn()
    assert len(handed[0]) == 12
    assert len(_read(peer, 12)) == 12
