"""Finding 5: one subscriber added 198 pending keys and made the registry send 278 signed POSTs
to a URL of its choice. Over HTTP against the real app, with a real peer on loopback counting
what reaches it: pending keys are bounded, a re-challenge is rate-bounded, each key's attempts
end with the schedule, and a suspended subscriber is not called."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.registry.peers import SubscriberPeer, serve
from uei.trust import KeySet, encode_key, generate_key_set
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

SID = "flood.example"
SCHEDULE = [0.0, 10.0, 60.0]


def _key_body(keys: KeySet, **fields: Any) -> bytes:
    return json.dumps(
        {
            "unique_key_id": keys.unique_key_id,
            "signing_public_key": encode_key(keys.verify_key),
            "encr_public_key": encode_key(keys.encryption_public_key),
            **fields,
        }
    ).encode()


async def _run_schedule(h: Harness, seconds: float) -> None:
    """Run every attempt that falls due over ``seconds`` of (test) time."""
    for _ in range(int(seconds)):
        h.clock.advance(1)
        await h.registry.run_due_challenges()


async def test_pending_keys_and_challenges_are_bounded(tmp_path: Path) -> None:
    policy: dict[str, Any] = {
        "keys": {"max_pending": 3},
        "challenge": {"retry_after_seconds": SCHEDULE, "rechallenge_after_seconds": 60},
    }
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, **policy) as h:
        first = generate_key_set()
        peer = SubscriberPeer(first, h.well_known, style="wrong")  # never passes
        async with serve(peer):
            body = _key_body(first, subscriber_url=peer.url, type="BPP", domain="ev-charging:uei")
            assert (await h.signed("POST", "/subscribe", first, SID, body)).status_code == 200
            for _ in range(2):  # up to max_pending keys wait at once
                extra = generate_key_set()
                added = await h.signed("POST", "/subscribe", first, SID, _key_body(extra))
                assert added.status_code == 200, added.text
            refused = await h.signed(
                "POST", "/subscribe", first, SID, _key_body(generate_key_set())
            )
            assert refused.status_code == 400
            assert refused.json()["error"]["path"] == "unique_key_id"
            assert "at most 3" in refused.json()["error"]["message"]
            stored = await h.registry.store.load(SID)
            assert stored is not None
            assert len(stored.keys) == 3
            # an empty subscribe right away restarts nothing
            again = await h.signed("POST", "/subscribe", first, SID, b"")
            assert again.status_code == 409, again.text
            assert "may restart it 60 s after" in again.json()["error"]["message"]
            # every key's attempts end with the schedule: 3 keys x 3 attempts, then silence
            await _run_schedule(h, 200)
            assert len(peer.calls) == 3 * len(SCHEDULE)
            # once the bound has passed it may, and the calls are again bounded by the schedule
            restarted = await h.signed("POST", "/subscribe", first, SID, b"")
            assert restarted.status_code == 200, restarted.text
            refused_again = await h.signed("POST", "/subscribe", first, SID, b"")
            assert refused_again.status_code == 409
            await _run_schedule(h, 200)
            assert len(peer.calls) == 2 * 3 * len(SCHEDULE)


async def test_suspended_and_revoked_subscribers_are_not_called(tmp_path: Path) -> None:
    policy: dict[str, Any] = {"challenge": {"retry_after_seconds": SCHEDULE}}
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, **policy) as h:
        keys = generate_key_set()
        peer = SubscriberPeer(keys, h.well_known)
        async with serve(peer):
            body = _key_body(keys, subscriber_url=peer.url, type="BPP", domain="ev-charging:uei")
            assert (await h.signed("POST", "/subscribe", keys, SID, body)).status_code == 200
            await _run_schedule(h, 1)
            assert (await h.client.get(f"/lookup/{SID}/{keys.unique_key_id}")).status_code == 200
            peer.style = "wrong"
            rotated = generate_key_set()
            added = await h.signed("POST", "/subscribe", keys, SID, _key_body(rotated))
            assert added.status_code == 200, added.text
            calls = len(peer.calls)
            # the operator suspends it before the new key's first attempt
            suspended = await h.as_operator("POST", f"/admin/subscribers/{SID}/suspend")
            assert suspended.status_code == 200, suspended.text
            await _run_schedule(h, 200)
            assert len(peer.calls) == calls
            assert (await h.as_operator("POST", f"/admin/subscribers/{SID}/revoke")).is_success
            await _run_schedule(h, 200)
            assert len(peer.calls) == calls
