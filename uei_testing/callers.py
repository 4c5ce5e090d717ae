"""Signed callers over the app harness, and NACK checks, for HTTP tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from uei.trust import sign_header
from uei_testing.factories import Participant
from uei_testing.harness import Harness

__all__ = ["Caller", "iso", "nack"]


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def nack(response: httpx.Response, status: int) -> dict[str, Any]:
    """The refusal's ``error``, after checking it is a Beckn NACK with ``status``."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/"), response.headers
    body = response.json()
    assert body["message"] == {"ack": {"status": "NACK"}}, body
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str), error
    assert error["code"].isdigit(), error
    assert isinstance(error["message"], str), error
    assert error["message"].strip(), error
    return error


class Caller:
    """A SUBSCRIBED participant signing its requests (the harness moves the clock for each)."""

    def __init__(self, h: Harness, participant: Participant) -> None:
        self.h, self.p = h, participant

    async def send(self, path: str, body: bytes) -> httpx.Response:
        return await self.h.signed("POST", path, self.p.keys, self.p.subscriber_id, body)

    async def post(self, path: str, doc: Any) -> httpx.Response:
        return await self.send(path, json.dumps(doc).encode())

    async def stream(self, path: str, body: bytes, chunk: int = 64 * 1024) -> httpx.Response:
        """``body`` signed, but sent in chunks without a Content-Length (chunked transfer),
        so only the bytes actually received can tell the app how large it is."""
        self.h.clock.advance(1)
        header = sign_header(
            body,
            self.p.keys.signing_key,
            subscriber_id=self.p.subscriber_id,
            unique_key_id=self.p.keys.unique_key_id,
            created=int(self.h.clock()),
        )

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), chunk):
                yield body[start : start + chunk]

        return await self.h.client.post(
            path,
            content=chunks(),
            headers={"Authorization": header, "Content-Type": "application/json"},
        )
