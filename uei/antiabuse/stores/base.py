"""The anti-abuse store protocol: the ledger of cases, the identity graph, quotas, the audit.

A store moves bytes; every decision is made by the pure core. Promises:

- ``create_case`` is atomic and idempotent on (creditor, session_ref): it stores the case, its
  token index and its audit entry together, or returns the case already stored under that ref;
- ``save_case`` stores a changed case with its audit entry only if the stored version is still
  the one read (``CaseConflict`` otherwise, nothing written);
- ``link`` only ever adds pairs or moves a pair's last-seen time forward, so a retry after a
  failure completes the write and never undoes one;
- ``take`` applies GCRA atomically across every replica sharing the store;
- failures to reach the store raise ``StoreUnavailable`` (the caller bounds the time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec

from uei.antiabuse.defaulters.ledger import AuditEntry, Case
from uei.antiabuse.quotas.gcra import QuotaAnswer
from uei.antiabuse.scraping.events import Event, Search
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureRow
from uei.storage.errors import StoreUnavailable  # raised by every store (uei.storage wraps)

__all__ = [
    "AbuseStore",
    "CaseConflict",
    "Checked",
    "ScrapingStore",
    "Store",
    "StoreUnavailable",
    "decode_audit",
    "decode_case",
    "encode",
    "event_kind",
]


class CaseConflict(Exception):
    """The case changed since it was read; nothing was written."""


@dataclass(frozen=True, slots=True)
class Checked:
    answer: QuotaAnswer
    duplicate: bool
    """This message id was checked before: the answer is the first one, nothing was taken."""
    at: float
    """The store's clock when it decided."""


class ScrapingStore(Protocol):
    """Quotas, events and verdicts for scraping protection. Promises:

    - ``check`` takes quota, keeps its answer for retries of the message id, and records the
      search once, atomically on the store's own clock (``now=None``), across every replica;
    - events are recorded once per (BAP, kind, message id) and read back by event time;
    - ``meter`` applies GCRA to one key alone (a relay's own calls), atomically on the
      store's own clock (``now=None``);
    - failures to reach the store raise ``StoreUnavailable``.
    """

    remote: bool
    """Whether calls cross a network, so that a call not answered in time means the store may
    be unreachable. An embedded store's call runs to completion on its own worker thread
    whatever the caller waits (cancelling the wait would not stop its write): it is awaited
    to the end, and only its own errors take a rule's failure path."""

    async def check(
        self,
        bap: str,
        rule: str,
        message_id: str,
        *,
        interval: float,
        burst: int,
        cost: int,
        search: Search | None,
        answer_seconds: float,
        keep_seconds: float,
        now: float | None = None,
    ) -> Checked: ...

    async def meter(
        self, key: str, *, interval: float, burst: int, cost: int, now: float | None = None
    ) -> QuotaAnswer:
        """Take ``cost`` units from ``key``'s GCRA bucket (refused: nothing taken)."""
        ...

    async def record(
        self, bap: str, events: Sequence[tuple[str, Event]], keep_seconds: float
    ) -> int:
        """Record (message id, event) pairs not recorded before; return how many were new."""
        ...

    async def active(self, start: float, end: float) -> list[str]:
        """BAPs with events timed in [start, end)."""
        ...

    async def events(self, bap: str, start: float, end: float) -> list[Event]:
        """The BAP's events timed in [start, end), in time order."""
        ...

    async def prune(self, before: float) -> None:
        """Forget events timed before ``before`` (stores that expire keys may do nothing)."""
        ...

    async def save_pass(
        self,
        verdicts: Sequence[BapVerdict],
        rows: Sequence[FeatureRow],
        history: int,
        rows_before: float,
    ) -> None:
        """Store a scoring pass: each BAP's latest verdict (keeping ``history`` per BAP) and
        the feature rows the next fits learn from (forgetting rows of windows ending before
        ``rows_before``)."""
        ...

    async def verdict(self, bap: str) -> BapVerdict | None: ...

    async def verdict_history(self, bap: str, limit: int) -> list[BapVerdict]:
        """The BAP's most recent verdicts, newest first."""
        ...

    async def training_rows(self, since: float, limit: int) -> list[FeatureRow]:
        """Feature rows with ``window_end >= since``, at most ``limit``, newest first."""
        ...

    async def lease(self, name: str, owner: str, seconds: float, now: float) -> bool:
        """Hold ``name`` for ``seconds`` unless another owner holds it: one replica scores."""
        ...


def event_kind(event: Event) -> str:
    return "search" if isinstance(event, Search) else event.kind.value


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


class Store(AbuseStore, ScrapingStore, Protocol):
    """Everything the anti-abuse layer keeps, on one backend."""


_case_decoder = msgspec.json.Decoder(Case)
_audit_decoder = msgspec.json.Decoder(AuditEntry)
_encoder = msgspec.json.Encoder()


def encode(value: Case | AuditEntry) -> bytes:
    return _encoder.encode(value)


def decode_case(data: bytes | str) -> Case:
    return _case_decoder.decode(data)


def decode_audit(data: bytes | str) -> AuditEntry:
    return _audit_decoder.decode(data)
