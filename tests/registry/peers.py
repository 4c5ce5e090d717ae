"""Real HTTP peers on loopback for registry tests: a subscriber answering on_subscribe, and
hostile ones speaking raw HTTP/1.1 (a trickling answer, an endless answer, a silent port)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
import uvicorn
from litestar import Litestar, Request, Response, post
from nacl.bindings import crypto_sign

from uei.trust import (
    KeySet,
    decrypt_challenge,
    encode_key,
    load_encryption_public_key,
    load_verify_key,
    parse_header,
    verify,
)
from uei.trust.encoding import b64encode

Style = Literal["decrypt", "sign", "wrong", "garbage", "error"]
HostileStyle = Literal["trickle", "huge", "silent"]


@dataclass
class SubscriberPeer:
    """A participant's on_subscribe endpoint. It checks the registry's signature on each call
    with the registry's published key, then answers in ``style``."""

    keys: KeySet
    registry_well_known: dict[str, str]
    style: Style = "decrypt"
    calls: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def on_subscribe(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        signature = parse_header(request.headers["authorization"])
        verify(
            body,
            signature,
            load_verify_key(self.registry_well_known["signing_public_key"]),
            now=signature.created,
        )
        call = msgspec.json.decode(body)
        self.calls.append(call)
        if self.style == "error":
            return Response(b"down for maintenance", status_code=503)
        if self.style == "garbage":
            return Response(b"<html>not json</html>", status_code=200)
        if self.style == "sign":
            signed = crypto_sign(
                call["challenge"].encode(),
                bytes(self.keys.signing_key) + bytes(self.keys.verify_key),
            )
            answer = b64encode(signed)
        elif self.style == "wrong":
            answer = "not-the-answer"
        else:
            answer = decrypt_challenge(
                call["challenge"],
                self.keys.encryption_key,
                load_encryption_public_key(self.registry_well_known["encr_public_key"]),
            )
        return Response(msgspec.json.encode({"answer": answer}), media_type="application/json")

    def public(self) -> dict[str, str]:
        return {
            "unique_key_id": self.keys.unique_key_id,
            "signing_public_key": encode_key(self.keys.verify_key),
            "encr_public_key": encode_key(self.keys.encryption_public_key),
        }


@contextlib.asynccontextmanager
async def serve(
    peer: SubscriberPeer, prefix: str = "/beckn", port: int = 0
) -> AsyncIterator[SubscriberPeer]:
    """Serve ``peer`` on a loopback port. The socket listens before serving starts, so the
    peer is reachable as soon as this yields: nothing to wait for."""

    @post(f"{prefix}/on_subscribe", status_code=200)
    async def on_subscribe(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await peer.on_subscribe(request)

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(Litestar([on_subscribe]), log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    peer.url = f"http://127.0.0.1:{port}{prefix}"
    try:
        yield peer
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class HostilePeer:
    """An on_subscribe endpoint on raw asyncio streams, for attacks on the challenger.

    ``trickle``: answers 200 with a ``Content-Length`` of ``body_bytes``, then sends one byte
    every ``interval`` seconds. ``huge``: answers 200 with a body of ``body_bytes`` (chunked,
    or with its ``Content-Length`` when not ``chunked``), made lazily as the connection takes
    it (its send buffer is kept small, so what it counts as sent is what left it).
    ``silent``: closes every connection at once (a peer the test expects never to be called).
    ``closed_early`` says the registry closed the connection before the whole answer was
    sent; ``done`` is set when a connection's handling ends."""

    style: HostileStyle
    body_bytes: int = 0
    interval: float = 0.2
    chunked: bool = True
    url: str = ""
    connections: int = 0
    sent: int = 0
    closed_early: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            if self.style != "silent":
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(_content_length(head))
                if self.style == "trickle":
                    await self._trickle(reader, writer)
                else:
                    await self._huge(writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.closed_early = True
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self.done.set()

    async def _trickle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % self.body_bytes
        )
        await writer.drain()
        for _ in range(self.body_bytes):
            if reader.at_eof() or reader.exception() is not None:
                self.closed_early = True
                return
            writer.write(b" ")
            await writer.drain()
            self.sent += 1
            await asyncio.sleep(self.interval)  # the attacker's pace, not a wait in a test

    async def _huge(self, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        framing = (
            b"Transfer-Encoding: chunked"
            if self.chunked
            else b"Content-Length: %d" % self.body_bytes
        )
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%s\r\n\r\n" % framing)
        chunk = b" " * (64 * 1024)
        while self.sent < self.body_bytes:
            part = chunk[: self.body_bytes - self.sent]
            writer.write(b"%x\r\n%s\r\n" % (len(part), part) if self.chunked else part)
            await writer.drain()
            self.sent += len(part)
        if self.chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


@contextlib.asynccontextmanager
async def serve_hostile(peer: HostilePeer, prefix: str = "/beckn") -> AsyncIterator[HostilePeer]:
    """Serve ``peer`` on a loopback port (listening when this yields)."""
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await peer.handle(reader, writer)
        finally:
            handlers.discard(task)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    peer.url = f"http://127.0.0.1:{port}{prefix}"
    try:
        yield peer
    finally:
        server.close()
        running = list(handlers)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await server.wait_closed()
