"""Real HTTP peers on loopback for registry tests: a subscriber answering on_subscribe."""

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

from trust import (
    KeySet,
    decrypt_challenge,
    encode_key,
    load_encryption_public_key,
    load_verify_key,
    parse_header,
    verify,
)
from trust.encoding import b64encode

Style = Literal["decrypt", "sign", "wrong", "garbage", "error"]


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
