"""The anti-abuse store protocol: the ledger of cases, the identity graph, quotas, the audit.

A store moves bytes; every decision is made by the pure core. Promises:

- ``create_case`` is atomic and idempotent on (creditor, session_ref): it stores the case, its
  token index and its audit entry together, or returns the case already stored under that ref;
- ``save_case`` stores a changed case with its audit entry only if the stored version is still
  the one read (``CaseConflict`` otherwise, nothing written);
- ``link`` only ever adds pairs or moves a pair's last-seen time forward, so a retry after a
  failure completes the write and never undoes one;
- ``take`` applies GCRA atomically across every replica sharing the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import msgspec

from antiabuse.ledger import AuditEntry, Case
from antiabuse.quota import QuotaAnswer

__all__ = [
    "AbuseStore",
    "CaseConflict",
    "decode_audit",
    "decode_case",
    "encode",
]


class CaseConflict(Exception):
    """The case changed since it was read; nothing was written."""


class AbuseStore(Protocol):
    async def create_case(self, case: Case, audit: AuditEntry) -> Case:
        """Store ``case`` (version 1) unless its (creditor, session_ref) is taken; return the
        case stored under that ref either way."""
        ...

    async def load_cases(self, case_ids: Iterable[str]) -> dict[str, Case]: ...

    async def save_case(self, case: Case, audit: AuditEntry) -> Case:
        """Store ``case`` if the stored version is ``case.version``; return it as stored."""
        ...

    async def cases_for(self, tokens: Iterable[str]) -> dict[str, list[str]]:
        """token -> ids of the cases that name it (tokens naming none are left out)."""
        ...

    async def link(self, tokens: Sequence[str], seen_at: float) -> None:
        """Record every pair of ``tokens`` as seen together at ``seen_at``."""
        ...

    async def neighbours(self, tokens: Iterable[str], limit: int) -> dict[str, dict[str, float]]:
        """token -> {neighbour: last seen together}, at most ``limit`` per token, most recent
        first when there are more."""
        ...

    async def degrees(self, tokens: Iterable[str]) -> dict[str, dict[str, int]]:
        """token -> {family: distinct neighbours}, for tokens that have any."""
        ...

    async def take(
        self, key: str, now: float, interval: float, burst: int, cost: int = 1
    ) -> QuotaAnswer: ...

    async def audit(self, entry: AuditEntry) -> None: ...

    async def audit_log(self, limit: int) -> list[AuditEntry]:
        """The most recent ``limit`` audit entries, oldest first."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


_case_decoder = msgspec.json.Decoder(Case)
_audit_decoder = msgspec.json.Decoder(AuditEntry)
_encoder = msgspec.json.Encoder()


def encode(value: Case | AuditEntry) -> bytes:
    return _encoder.encode(value)


def decode_case(data: bytes | str) -> Case:
    return _case_decoder.decode(data)


def decode_audit(data: bytes | str) -> AuditEntry:
    return _audit_decoder.decode(data)
