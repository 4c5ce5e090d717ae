"""Finding 3, "reads: a revocation reaches every replica's view within one second, always":
following the change log runs in its own loop, so a challenge that hangs (a subscriber whose
on_subscribe accepts the connection and never answers) cannot hold it up."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.conftest import backend_url
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def silent_peer() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A subscriber URL on loopback that accepts every connection and never says a word;
    the event is set once the registry has connected."""
    connected = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        connected.set()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/beckn", connected
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def _until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    """Poll ``check`` until it holds; fail once ``within`` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            pytest.fail(f"not within {within:g} s: {what}")
        await asyncio.sleep(0.01)


async def _subscribe(h: Harness, who: Participant) -> int:
    public = who.request()
    body = {
        "subscriber_id": who.subscriber_id,
        "url": who.url,
        "type": who.type.value,
        "domain": "ev-charging:uei",
        "ukId": who.keys.unique_key_id,
        "signing_public_key": public.signing_public_key,
        "encr_public_key": public.encr_public_key,
    }
    response = await h.signed(
        "POST", "/subscribe", who.keys, who.subscriber_id, json.dumps(body).encode()
    )
    return response.status_code


@pytest.mark.redis
async def test_a_revocation_reaches_a_replica_whose_challenge_hangs(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = backend_url(request, "redis", tmp_path)
    one = Participant("one.example")
    key_path = f"/lookup/one.example/{one.keys.unique_key_id}"
    slow = {"timeout_seconds": 120.0}  # the attempt stays open for the whole test
    async with (
        silent_peer() as (peer_url, connected),
        running(url, tmp_path) as a,
        running(url, tmp_path, background=True, challenge=slow) as b,
    ):
        interval = b.app.state.settings.follow_interval
        await a.enrol(one)

        async def seen_by_b(status: int) -> bool:
            return (await b.client.get(key_path)).status_code == status

        await _until(lambda: seen_by_b(200), 5.0, "replica B follows the enrolment")

        # B's own challenge loop takes up an attempt that will not end during the test
        assert await _subscribe(b, Participant("hung.example", url=peer_url)) == 200
        await asyncio.wait_for(connected.wait(), timeout=10.0)

        revoked = await a.as_operator(
            "POST", f"/admin/subscribers/one.example/keys/{one.keys.unique_key_id}/revoke"
        )
        assert revoked.status_code == 200
        await _until(lambda: seen_by_b(410), 2 * interval, "B's view has the revocation")
        hung = await b.registry.store.load("hung.example")
        assert hung is not None
        assert hung.attempts == ()  # the attempt is still in flight
