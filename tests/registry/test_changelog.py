"""The hash chain: built in pieces, verified end to end, and any tampering is found."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from uei.registry.changelog import GENESIS, ChainBroken, Draft, LogEntry, chain, verify_chain

drafts = st.builds(
    Draft,
    subscriber_id=st.sampled_from(["a.example", "b.example"]),
    action=st.sampled_from(["subscribe", "key_added", "suspend"]),
    actor=st.sampled_from(["a.example", "operator:ops"]),
    old_status=st.none() | st.just("SUBSCRIBED"),
    new_status=st.just("SUSPENDED"),
    unique_key_id=st.none() | st.just("k1"),
)


def _build(batches: list[list[Draft]]) -> list[LogEntry]:
    entries: list[LogEntry] = []
    for i, batch in enumerate(batches):
        entries += chain(entries[-1] if entries else None, batch, at=1000.0 + i)
    return entries


@given(st.lists(st.lists(drafts, min_size=1, max_size=3), min_size=1, max_size=6))
def test_chain_built_in_batches_verifies(batches: list[list[Draft]]) -> None:
    entries = _build(batches)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS
    verify_chain(entries)
    for i in range(1, len(entries)):
        verify_chain(entries[i:], entries[i - 1])  # a follower starting mid-way


@given(st.lists(drafts, min_size=2, max_size=6), st.data())
def test_any_edit_drop_or_swap_is_found(batch: list[Draft], data: st.DataObject) -> None:
    entries = chain(None, batch, at=1000.0)
    i = data.draw(st.integers(0, len(entries) - 1))
    kind = data.draw(st.sampled_from(["edit", "drop", "swap"]))
    tampered = list(entries)
    if kind == "edit":
        tampered[i] = msgspec.structs.replace(entries[i], actor="someone-else")
    elif kind == "drop":
        del tampered[i]
        if i == len(entries) - 1:
            tampered.append(msgspec.structs.replace(entries[i], new_status="SUBSCRIBED"))
    else:
        j = (i + 1) % len(entries)
        tampered[i], tampered[j] = tampered[j], tampered[i]
    with pytest.raises(ChainBroken):
        verify_chain(tampered)
