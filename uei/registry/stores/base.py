"""The registry's store protocol: documents per subscriber, the change log, key ownership.

A store moves bytes and keeps one promise: a write is atomic. ``commit`` (the service's write)
writes the subscriber, appends its changes to the log and claims key ids together, or raises
``SaveConflict`` and writes nothing, when the subscriber changed since it was read or a key id
belongs to someone else. The store itself gives the changes their sequence numbers and chain
hashes after the head it holds at that moment, so two writers of different subscribers never
conflict on the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import msgspec

from uei.registry.changelog import Draft, LogEntry
from uei.registry.model import Subscriber

__all__ = [
    "ConflictReason",
    "Durability",
    "RegistryStore",
    "SaveConflict",
    "decode_entry",
    "decode_subscriber",
    "encode",
]


class ConflictReason(StrEnum):
    """Why a ``commit`` wrote nothing."""

    VERSION = "version"
    """The subscriber changed since it was read."""
    KEY = "key"
    """A key id belongs to another subscriber (``SaveConflict.key_id``)."""


class SaveConflict(Exception):
    """Nothing was written, for ``reason``; ``key_id`` names the taken key id for ``KEY``."""

    def __init__(self, reason: ConflictReason, key_id: str | None = None) -> None:
        super().__init__(f"{reason}:{key_id}" if key_id is not None else str(reason))
        self.reason = reason
        self.key_id = key_id


@dataclass(frozen=True, slots=True)
class Durability:
    """What one server of a store says about keeping the writes it acknowledged."""

    server: str
    persists: bool | None
    """True: every acknowledged write is on disk (AOF on, SQLite); False: a restart loses
    writes (AOF off); None: unknown (the server refuses to say, as managed Redis does)."""
    detail: str
    """e.g. ``appendonly yes``, ``CONFIG refused: ...``."""


class RegistryStore(Protocol):
    async def load(self, subscriber_id: str) -> Subscriber | None: ...

    async def load_all(self) -> list[Subscriber]: ...

    async def key_owner(self, unique_key_id: str) -> str | None: ...

    async def head(self) -> LogEntry | None: ...

    async def log_after(self, seq: int, limit: int) -> list[LogEntry]: ...

    async def commit(
        self,
        subscriber: Subscriber,
        drafts: Sequence[Draft],
        at: float,
        claim_key_ids: Sequence[str],
    ) -> tuple[Subscriber, list[LogEntry]]:
        """Store ``subscriber`` if the stored version is still ``subscriber.version``, and
        append ``drafts`` to the log at ``at``, chained (``changelog.chain``) onto the head the
        store holds inside the same atomic step. Returns the subscriber as stored (version + 1)
        and the entries as appended."""
        ...

    async def first_use(self, signature: str, expires: int, now: float) -> bool:
        """The replay guard (see ``uei.trust.ReplayGuard``), shared by every replica."""
        ...

    async def marked(self, signature: str, now: float) -> bool:
        """Whether ``first_use(signature, ...)`` has been called and its mark has not expired
        (read only: a revocation list, e.g. the dashboard's signed-out sessions)."""
        ...

    async def durability(self) -> list[Durability]:
        """One answer per server holding data (every master of a Redis Cluster)."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


_subscriber_decoder = msgspec.json.Decoder(Subscriber)
_entry_decoder = msgspec.json.Decoder(LogEntry)
_encoder = msgspec.json.Encoder()


def encode(value: Subscriber | LogEntry) -> bytes:
    return _encoder.encode(value)


def decode_subscriber(data: bytes | str) -> Subscriber:
    return _subscriber_decoder.decode(data)


def decode_entry(data: bytes | str) -> LogEntry:
    return _entry_decoder.decode(data)
