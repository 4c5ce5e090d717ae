"""The registry store contract, run against every backend (see conftest.py)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from tests.registry.conftest import StoreOpener
from uei.registry.changelog import Actor, Draft, LogEntry, chain, verify_chain
from uei.registry.model import Status, Subscriber
from uei.registry.stores import ConflictReason, RegistryStore, SaveConflict

pytestmark = pytest.mark.anyio


def _sub(sid: str, **changes: object) -> Subscriber:
    sub = Subscriber(
        subscriber_id=sid,
        subscriber_url=f"https://{sid}/beckn",
        status=Status.UNDER_SUBSCRIPTION,
        created=1000.0,
        updated=1000.0,
    )
    return msgspec.structs.replace(sub, **changes)


async def _entries(store: RegistryStore, sid: str, n: int = 1) -> list[LogEntry]:
    drafts = [
        Draft(sid, f"action-{i}", Actor.subscriber(sid), None, "UNDER_SUBSCRIPTION")
        for i in range(n)
    ]
    return chain(await store.head(), drafts, at=1000.0)


async def test_save_then_load_round_trips(store: RegistryStore) -> None:
    assert await store.load("a.example") is None
    assert await store.head() is None
    saved = await store.save(_sub("a.example"), await _entries(store, "a.example"), ["k1"])
    assert saved.version == 1
    assert await store.load("a.example") == saved
    assert await store.key_owner("k1") == "a.example"
    assert await store.key_owner("k2") is None
    head = await store.head()
    assert head is not None
    assert (head.seq, head.subscriber_id) == (1, "a.example")


async def test_stale_version_is_refused_and_writes_nothing(store: RegistryStore) -> None:
    first = await store.save(_sub("a.example"), await _entries(store, "a.example"), [])
    await store.save(first, await _entries(store, "a.example"), [])
    stale = msgspec.structs.replace(first, subscriber_url="https://evil.example")
    with pytest.raises(SaveConflict) as caught:
        await store.save(stale, await _entries(store, "a.example"), ["k9"])
    assert caught.value.reason is ConflictReason.VERSION
    loaded = await store.load("a.example")
    assert loaded is not None
    assert (loaded.version, loaded.subscriber_url) == (2, "https://a.example/beckn")
    assert len(await store.log_after(0, 100)) == 2
    assert await store.key_owner("k9") is None


async def test_log_that_moved_on_is_refused_and_writes_nothing(store: RegistryStore) -> None:
    early = await _entries(store, "a.example")  # chained after an empty log
    await store.save(_sub("b.example"), await _entries(store, "b.example"), [])
    with pytest.raises(SaveConflict) as caught:
        await store.save(_sub("a.example"), early, [])
    assert caught.value.reason is ConflictReason.LOG
    assert await store.load("a.example") is None


async def test_a_key_id_belongs_to_one_subscriber(store: RegistryStore) -> None:
    await store.save(_sub("a.example"), await _entries(store, "a.example"), ["shared"])
    with pytest.raises(SaveConflict) as caught:
        await store.save(_sub("b.example"), await _entries(store, "b.example"), ["free", "shared"])
    assert (caught.value.reason, caught.value.key_id) == (ConflictReason.KEY, "shared")
    assert await store.load("b.example") is None
    assert await store.key_owner("free") is None
    a = await store.load("a.example")
    assert a is not None
    await store.save(a, await _entries(store, "a.example"), ["shared"])  # its own: fine


async def test_saves_without_entries_leave_the_log_alone(store: RegistryStore) -> None:
    saved = await store.save(_sub("a.example"), await _entries(store, "a.example"), [])
    again = await store.save(msgspec.structs.replace(saved, updated=2000.0), [], [])
    assert again.version == 2
    assert len(await store.log_after(0, 10)) == 1


async def test_log_pages_and_chain(store: RegistryStore) -> None:
    for i in range(7):
        sid = f"s{i}.example"
        await store.save(_sub(sid), await _entries(store, sid, n=2), [])
    everything = await store.log_after(0, 1000)
    assert [e.seq for e in everything] == list(range(1, 15))
    verify_chain(everything)
    assert await store.log_after(10, 3) == everything[10:13]
    assert await store.log_after(14, 10) == []
    assert sorted(s.subscriber_id for s in await store.load_all()) == [
        f"s{i}.example" for i in range(7)
    ]


async def test_concurrent_saves_of_one_read_let_exactly_one_win(store: RegistryStore) -> None:
    base = await store.save(_sub("a.example"), await _entries(store, "a.example"), [])
    head = await store.head()
    attempts = [
        store.save(
            msgspec.structs.replace(base, subscriber_url=f"https://a.example/{i}"),
            chain(
                head,
                [Draft("a.example", "url_changed", Actor.subscriber("a.example"), None, None)],
                at=1.0,
            ),
            [],
        )
        for i in range(8)
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    winners = [r for r in results if isinstance(r, Subscriber)]
    assert len(winners) == 1
    assert all(isinstance(r, SaveConflict) for r in results if r not in winners)
    assert await store.load("a.example") == winners[0]
    assert len(await store.log_after(0, 10)) == 2


async def test_another_replica_sees_every_acknowledged_write(
    store: RegistryStore, store_opener: StoreOpener
) -> None:
    saved = await store.save(_sub("a.example"), await _entries(store, "a.example"), ["k1"])
    other = await store_opener()
    assert await other.load("a.example") == saved
    assert await other.key_owner("k1") == "a.example"
    assert await other.head() == await store.head()


async def test_replay_guard_is_shared_between_replicas(
    store: RegistryStore, store_opener: StoreOpener
) -> None:
    other = await store_opener()
    assert await store.first_use("sig-1", 2_000_000_000, 1_900_000_000.0)
    assert not await other.first_use("sig-1", 2_000_000_000, 1_900_000_000.0)
    assert await other.first_use("sig-2", 2_000_000_000, 1_900_000_000.0)


async def test_ping(store: RegistryStore) -> None:
    await store.ping()
