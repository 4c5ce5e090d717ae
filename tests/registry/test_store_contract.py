"""The registry store contract, run against every backend (see conftest.py)."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest

from tests.registry.conftest import StoreOpener
from uei.registry.changelog import CHALLENGE, Actor, Draft, chain, verify_chain
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


def _drafts(sid: str, n: int = 1) -> list[Draft]:
    return [
        Draft(sid, f"action-{i}", Actor.subscriber(sid), None, "UNDER_SUBSCRIPTION", f"k-{i}")
        for i in range(n)
    ]


async def test_commit_then_load_round_trips(store: RegistryStore) -> None:
    assert await store.load("a.example") is None
    assert await store.head() is None
    saved, _ = await store.commit(_sub("a.example"), _drafts("a.example"), 1000.0, ["k1"])
    assert saved.version == 1
    assert await store.load("a.example") == saved
    assert await store.key_owner("k1") == "a.example"
    assert await store.key_owner("k2") is None
    head = await store.head()
    assert head is not None
    assert (head.seq, head.subscriber_id) == (1, "a.example")


async def test_a_key_id_belongs_to_one_subscriber(store: RegistryStore) -> None:
    await store.commit(_sub("a.example"), _drafts("a.example"), 1000.0, ["shared"])
    with pytest.raises(SaveConflict) as caught:
        await store.commit(_sub("b.example"), _drafts("b.example"), 1000.0, ["free", "shared"])
    assert (caught.value.reason, caught.value.key_id) == (ConflictReason.KEY, "shared")
    assert await store.load("b.example") is None
    assert await store.key_owner("free") is None
    a = await store.load("a.example")
    assert a is not None
    await store.commit(a, _drafts("a.example"), 1001.0, ["shared"])  # its own: fine


async def test_commits_without_entries_leave_the_log_alone(store: RegistryStore) -> None:
    saved, _ = await store.commit(_sub("a.example"), _drafts("a.example"), 1000.0, [])
    again, entries = await store.commit(
        msgspec.structs.replace(saved, updated=2000.0), [], 2000.0, []
    )
    assert (again.version, entries) == (2, [])
    assert await store.load("a.example") == again
    assert len(await store.log_after(0, 10)) == 1


async def test_log_pages_and_chain(store: RegistryStore) -> None:
    for i in range(7):
        sid = f"s{i}.example"
        await store.commit(_sub(sid), _drafts(sid, n=2), 1000.0, [])
    everything = await store.log_after(0, 1000)
    assert [e.seq for e in everything] == list(range(1, 15))
    verify_chain(everything)
    assert await store.log_after(10, 3) == everything[10:13]
    assert await store.log_after(14, 10) == []
    assert sorted(s.subscriber_id for s in await store.load_all()) == [
        f"s{i}.example" for i in range(7)
    ]


async def test_another_replica_sees_every_acknowledged_write(
    store: RegistryStore, store_opener: StoreOpener
) -> None:
    saved, _ = await store.commit(_sub("a.example"), _drafts("a.example"), 1000.0, ["k1"])
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


async def test_a_mark_is_seen_by_every_replica_until_it_expires(
    store: RegistryStore, store_opener: StoreOpener
) -> None:
    """``marked`` reads what ``first_use`` wrote (the dashboard's signed-out sessions)."""
    other = await store_opener()
    now = time.time()  # Redis expires marks on its own clock
    assert not await other.marked("session-1", now)
    assert await store.first_use("session-1", int(now) + 60, now)
    assert await other.marked("session-1", now)
    assert not await other.marked("session-2", now)
    assert await store.first_use("session-3", int(now) - 10, now - 20)  # already expired
    assert not await other.marked("session-3", now)


async def test_ping(store: RegistryStore) -> None:
    await store.ping()


# --- commit: the store chains the log itself ----------------------------------------------


async def test_commits_of_different_subscribers_all_succeed_at_once_and_chain(
    store: RegistryStore, store_opener: StoreOpener
) -> None:
    """N commits at once, from two replicas, each read before any was written: none is refused
    (the store chains each onto the head it holds then), and the log verifies."""
    other = await store_opener()
    n = 60
    commits = [
        (store if i % 2 else other).commit(
            _sub(f"s{i}.example"), _drafts(f"s{i}.example", 2), 1000.5, []
        )
        for i in range(n)
    ]
    results = await asyncio.gather(*commits, return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    log = await store.log_after(0, 1000)
    assert [e.seq for e in log] == list(range(1, 2 * n + 1))
    verify_chain(log)
    done = [r for r in results if not isinstance(r, BaseException)]
    appended = sorted((e for _, entries in done for e in entries), key=lambda e: e.seq)
    assert appended == log  # what each commit returned is what the log holds
    assert {e.subscriber_id for e in log} == {f"s{i}.example" for i in range(n)}
    assert len(await store.load_all()) == n


async def test_commit_chains_exactly_as_the_changelog_does(store: RegistryStore) -> None:
    """Byte for byte: the entries a store chains are the ones ``changelog.chain`` gives after
    the same head, whatever the strings and the time hold."""
    first, _ = await store.commit(_sub("a.example"), _drafts("a.example", n=3), 1000.0, [])
    head = await store.head()
    drafts = [
        Draft(
            "a.example",
            "key_added",
            Actor.operator('ops "quoted" \\ ü'),
            "SUBSCRIBED",
            None,
            "k/ü-1",
        ),
        Draft("a.example", "revoked", Actor.subscriber("a.example"), None, "REVOKED"),
    ]
    _, entries = await store.commit(first, drafts, 1_790_000_123.456789, ["k/ü-1"])
    assert entries == chain(head, drafts, 1_790_000_123.456789)
    assert await store.log_after(3, 10) == entries
    verify_chain(await store.log_after(0, 10))
    # hashed payloads of every length across BLAKE2b's 128-byte block boundaries
    sweep = [Draft("x" * i, "a", Actor.subscriber("s"), None, None) for i in range(1, 200)]
    head = await store.head()
    _, entries = await store.commit(_sub("b.example"), sweep, 7.25, [])
    assert entries == chain(head, sweep, 7.25)
    verify_chain(await store.log_after(0, 1000))


async def test_commit_from_a_stale_copy_is_refused_and_writes_nothing(
    store: RegistryStore, store_opener: StoreOpener
) -> None:
    """The per-subscriber compare-and-set stays: a copy read before another replica changed
    the subscriber (e.g. revoked a key) cannot be written, and appends nothing."""
    stale, _ = await store.commit(_sub("a.example"), _drafts("a.example"), 1000.0, ["k1"])
    other = await store_opener()
    fresh, _ = await other.commit(
        msgspec.structs.replace(stale, status=Status.REVOKED), _drafts("a.example"), 1001.0, []
    )
    head = await store.head()
    with pytest.raises(SaveConflict) as caught:
        await store.commit(
            msgspec.structs.replace(stale, subscriber_url="https://evil.example/beckn"),
            _drafts("a.example", 2),
            1002.0,
            ["k9"],
        )
    assert caught.value.reason is ConflictReason.VERSION
    assert await store.load("a.example") == fresh
    assert await store.head() == head
    assert await store.key_owner("k9") is None


async def test_concurrent_commits_of_one_read_let_exactly_one_win(store: RegistryStore) -> None:
    base, _ = await store.commit(_sub("a.example"), _drafts("a.example"), 1000.0, [])
    attempts = [
        store.commit(
            msgspec.structs.replace(base, subscriber_url=f"https://a.example/{i}"),
            _drafts("a.example"),
            1001.0,
            [],
        )
        for i in range(8)
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, SaveConflict) for r in results if r not in winners)
    assert await store.load("a.example") == winners[0][0]
    assert len(await store.log_after(0, 10)) == 2


async def test_commit_key_claims_and_no_entries(store: RegistryStore) -> None:
    await store.commit(_sub("a.example"), _drafts("a.example"), 1000.0, ["shared"])
    with pytest.raises(SaveConflict) as caught:
        await store.commit(_sub("b.example"), _drafts("b.example"), 1000.0, ["free", "shared"])
    assert (caught.value.reason, caught.value.key_id) == (ConflictReason.KEY, "shared")
    assert await store.key_owner("free") is None
    assert await store.load("b.example") is None
    head = await store.head()
    saved, entries = await store.commit(_sub("c.example"), [], 1000.0, [])
    assert entries == []
    assert await store.head() == head
    assert saved.version == 1


async def test_commit_gives_the_chain_hashes_main_gave(store: RegistryStore) -> None:
    """Known answers, computed by ``changelog.chain`` before the store chained the log: the
    hashes every store writes are byte for byte the ones ``uei log verify`` always checked."""
    drafts = [
        Draft(
            "cpo.example",
            "subscribe",
            Actor.subscriber("cpo.example"),
            None,
            "UNDER_SUBSCRIPTION",
            "k1",
        ),
        Draft(
            "cpo.example", "challenge_passed", CHALLENGE, "UNDER_SUBSCRIPTION", "SUBSCRIBED", "k1"
        ),
    ]
    _, entries = await store.commit(_sub("cpo.example"), drafts, 1_790_000_000.25, ["k1"])
    assert [(e.seq, e.hash) for e in entries] == [
        (1, "4b79cba4d4417c31029e9c5b2b7456b58520b2a3870d11d15ccc84fde097e01a"),
        (2, "dfbf357a91909b65642fd2c524616b68fbe6630987d59711335219944fdf2fda"),
    ]
    assert entries[0].prev_hash == "0" * 64
    assert entries[1].prev_hash == entries[0].hash
