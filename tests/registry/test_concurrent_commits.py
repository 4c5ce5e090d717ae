"""Many registry changes at once through the service, on every backend: commits of different
subscribers never refuse each other (the store chains the log), two changes to one subscriber
both land (the loser reads again and decides again at once), and the log verifies."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from uei.registry.changelog import Actor, verify_chain
from uei.registry.model import Status, Subscriber
from uei_testing.factories import Participant
from uei_testing.harness import running

pytestmark = pytest.mark.anyio

N = 100


async def _loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]  # simulated DNS: every participant's host is on loopback


def _count(outcome: str) -> float:
    value = REGISTRY.get_sample_value("uei_registry_commits_total", {"outcome": outcome})
    return value or 0.0


async def test_concurrent_subscribes_all_commit_without_refusal(
    store_url: str, tmp_path: Path
) -> None:
    async with running(store_url, tmp_path, resolve=_loopback) as h:
        everyone = [Participant(f"cpo-{i}.example") for i in range(N)]
        retried, refused = _count("retried"), _count("refused")
        saved = await asyncio.gather(
            *(h.registry.subscribe(p.request(), p.signed_by()) for p in everyone)
        )
        assert [s.status for s in saved] == [Status.UNDER_SUBSCRIPTION] * N
        assert (_count("retried"), _count("refused")) == (retried, refused)
        log = await h.registry.store.log_after(0, 10 * N)
        verify_chain(log)
        assert {e.subscriber_id for e in log} == {p.subscriber_id for p in everyone}
        assert (await h.registry.store.head()) == log[-1]
        assert await h.registry.sync() == len(log)  # the follower applies them all


async def test_two_changes_to_one_subscriber_at_once_both_land(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(store_url, tmp_path) as h:
        subjects = [Participant(f"cpo-{i}.example") for i in range(20)]
        for p in subjects:
            await h.enrol(p)
        ops = Actor.operator("ops")
        retried, refused = _count("retried"), _count("refused")
        # every change reads its subscriber before any of them commits: each pair races
        store, load = h.registry.store, h.registry.store.load
        together = asyncio.Barrier(2 * len(subjects))
        first_reads = [0]

        async def read_together(subscriber_id: str) -> Subscriber | None:
            found = await load(subscriber_id)
            if first_reads[0] < together.parties:
                first_reads[0] += 1
                await together.wait()
            return found

        monkeypatch.setattr(store, "load", read_together)
        await asyncio.gather(
            *(h.registry.operator_action(p.subscriber_id, "suspend", ops) for p in subjects),
            *(
                h.registry.change_grant(p.subscriber_id, "defaulters", ops, granted=True)
                for p in subjects
            ),
        )
        assert _count("refused") == refused
        assert _count("retried") - retried == len(subjects)  # one of each pair lost, retried
        for p in subjects:
            stored = await h.registry.store.load(p.subscriber_id)
            assert stored is not None
            assert stored.status is Status.SUSPENDED
            assert "defaulters" in stored.grants
        verify_chain(await h.registry.store.log_after(0, 1000))
