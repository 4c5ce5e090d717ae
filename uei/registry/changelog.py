"""The hash-chained change log: every key and status change, each entry bound to the last.

``hash = BLAKE2b-256(prev_hash || canonical JSON of the entry without its hash)``, hex. The
first entry's ``prev_hash`` is 64 zeros. An entry with a ``reason`` (an operator's, from the
dashboard or the admin API) hashes it as a ninth member after the actor; one without hashes
the eight members entries had before reasons existed, so old entries verify unchanged. A
follower can recompute the chain from any entry it trusts and detect an edited, dropped or
reordered entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from enum import StrEnum

import msgspec

__all__ = [
    "CHALLENGE",
    "GENESIS",
    "Actor",
    "ActorKind",
    "ChainBroken",
    "Draft",
    "LogEntry",
    "chain",
    "chain_parts",
    "verify_chain",
]

GENESIS = "0" * 64


class ActorKind(StrEnum):
    OPERATOR = "operator"
    """A key listed in UEI_OPERATORS."""
    SUBSCRIBER = "subscriber"
    """A subscriber, by a signature with one of its own keys."""
    REGISTRY = "registry"
    """The registry itself (the on_subscribe challenge)."""


class Actor(msgspec.Struct, frozen=True):
    """Who made a change. The kind is its own field, so no subscriber id can pass for an
    operator whatever it is called."""

    kind: ActorKind
    id: str

    @classmethod
    def operator(cls, operator_id: str) -> Actor:
        return cls(ActorKind.OPERATOR, operator_id)

    @classmethod
    def subscriber(cls, subscriber_id: str) -> Actor:
        return cls(ActorKind.SUBSCRIBER, subscriber_id)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id}"


CHALLENGE = Actor(ActorKind.REGISTRY, "on_subscribe")
"""The registry's challenge loop, which makes a key valid."""


class Draft(msgspec.Struct, frozen=True):
    """A change before it has a place in the chain."""

    subscriber_id: str
    action: str
    actor: Actor
    old_status: str | None
    new_status: str | None
    unique_key_id: str | None = None
    reason: str | None = None
    """Why (an operator's words), recorded with the change."""


class LogEntry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    seq: int
    at: float
    subscriber_id: str
    unique_key_id: str | None
    action: str
    old_status: str | None
    new_status: str | None
    actor: Actor
    reason: str | None = None
    """Absent (not null) when none was given, so entries without one encode as before."""
    prev_hash: str
    hash: str


class _Hashed(msgspec.Struct, frozen=True, array_like=True):
    seq: int
    at: float
    subscriber_id: str
    unique_key_id: str | None
    action: str
    old_status: str | None
    new_status: str | None
    actor: Actor


class _HashedWithReason(_Hashed, frozen=True, array_like=True):
    reason: str


class ChainBroken(ValueError):
    """The log does not chain; the message names the first entry that fails and why."""


def _digest(prev_hash: str, fields: _Hashed) -> str:
    payload = prev_hash.encode() + msgspec.json.encode(fields)
    return hashlib.blake2b(payload, digest_size=32).hexdigest()


def _fields(entry: LogEntry) -> _Hashed:
    fields = (
        entry.seq,
        entry.at,
        entry.subscriber_id,
        entry.unique_key_id,
        entry.action,
        entry.old_status,
        entry.new_status,
        entry.actor,
    )
    if entry.reason is None:
        return _Hashed(*fields)
    return _HashedWithReason(*fields, entry.reason)


def chain(head: LogEntry | None, drafts: Iterable[Draft], at: float) -> list[LogEntry]:
    """Give ``drafts`` their sequence numbers and hashes after ``head``."""
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
    entries = []
    for draft in drafts:
        seq += 1
        entry = LogEntry(
            seq=seq,
            at=at,
            subscriber_id=draft.subscriber_id,
            unique_key_id=draft.unique_key_id,
            action=draft.action,
            old_status=draft.old_status,
            new_status=draft.new_status,
            actor=draft.actor,
            reason=draft.reason,
            prev_hash=prev,
            hash="",
        )
        digest = _digest(prev, _fields(entry))
        entries.append(msgspec.structs.replace(entry, hash=digest))
        prev = digest
    return entries


def _entry(draft: Draft, seq: int, at: float, prev_hash: str, digest: str) -> LogEntry:
    return LogEntry(
        seq=seq,
        at=at,
        subscriber_id=draft.subscriber_id,
        unique_key_id=draft.unique_key_id,
        action=draft.action,
        old_status=draft.old_status,
        new_status=draft.new_status,
        actor=draft.actor,
        reason=draft.reason,
        prev_hash=prev_hash,
        hash=digest,
    )


def chain_parts(draft: Draft, at: float) -> tuple[bytes, bytes]:
    """The bytes of ``draft``'s entry around the parts only the log's head decides, for a
    store that chains in its own language (the Redis append script):

    - ``hashed``: the hashed JSON after its sequence number, so that
      ``hash = BLAKE2b-256(prev_hash || b"[" || str(seq) || hashed)``;
    - ``stored``: the stored JSON between the sequence number and the hashes, so that the entry
      is ``b'{"seq":' || str(seq) || stored || b',"prev_hash":"' || prev_hash ||
      b'","hash":"' || hash || b'"}'``, exactly what ``msgspec.json.encode`` gives.
    """
    entry = _entry(draft, 0, at, "", "")
    hashed = msgspec.json.encode(_fields(entry))
    stored = msgspec.json.encode(entry)
    hashed_head, stored_head, stored_tail = b"[0", b'{"seq":0', b',"prev_hash":"","hash":""}'
    if not (
        hashed.startswith(hashed_head)
        and stored.startswith(stored_head)
        and stored.endswith(stored_tail)
    ):
        raise AssertionError("the log entry's JSON layout changed: update chain_parts")
    return hashed[len(hashed_head) :], stored[len(stored_head) : -len(stored_tail)]


def verify_chain(entries: Sequence[LogEntry], prev: LogEntry | None = None) -> None:
    """Raise ``ChainBroken`` at the first entry that does not follow ``prev`` (or genesis)."""
    seq, prev_hash = (prev.seq, prev.hash) if prev is not None else (0, GENESIS)
    for entry in entries:
        if entry.seq != seq + 1:
            raise ChainBroken(f"entry {entry.seq}: expected sequence number {seq + 1}")
        if entry.prev_hash != prev_hash:
            raise ChainBroken(f"entry {entry.seq}: prev_hash does not match entry {seq}'s hash")
        if _digest(prev_hash, _fields(entry)) != entry.hash:
            raise ChainBroken(f"entry {entry.seq}: its hash does not match its contents")
        seq, prev_hash = entry.seq, entry.hash
