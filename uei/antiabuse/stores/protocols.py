"""The anti-abuse store protocols: five small ones, each with one class per backend.

A store moves bytes; every decision is made by the pure core. Each service is handed only the
protocols it uses (``Defaulters``: cases, graph, quotas; ``Quotas``: quotas, verdicts;
``Scorer``: events, verdicts). Every method raises ``StoreUnavailable`` when the backend does
not answer (``uei.storage`` wraps the backend's errors); the caller bounds the time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from uei.antiabuse.defaulters.ledger import AuditEntry, Case, CaseStatus
from uei.antiabuse.defaulters.verdict import Evidence
from uei.antiabuse.defaulters.walk import Walk
from uei.antiabuse.quotas.gcra import QuotaAnswer
from uei.antiabuse.scraping.events import Event, Search
from uei.antiabuse.scraping.verdicts import BapVerdict, FeatureRow

__all__ = [
    "CaseConflict",
    "CaseStore",
    "Checked",
    "EventStore",
    "GraphStore",
    "QuotaStore",
    "VerdictStore",
]


class CaseConflict(Exception):
    """The case changed since it was read; nothing was written."""


class CaseStore(Protocol):
    """The defaulter ledger and its audit. ``create_case`` is atomic and idempotent on
    (creditor, session_ref): it stores the case, its token index and its audit entry together,
    or returns the case already stored under that ref; ``save_case`` stores a changed case
    with its audit entry only if the stored version is still the one read."""

    async def create_case(self, case: Case, audit: AuditEntry) -> Case:
        """Store ``case`` (version 1) unless its (creditor, session_ref) is taken; return the
        case stored under that ref either way."""
        ...

    async def load_cases(self, case_ids: Iterable[str]) -> dict[str, Case]: ...

    async def save_case(self, case: Case, audit: AuditEntry) -> Case:
        """Store ``case`` if the stored version is ``case.version`` (else ``CaseConflict``,
        nothing written); return it as stored."""
        ...

    async def cases_for(self, tokens: Iterable[str]) -> dict[str, list[str]]:
        """token -> ids of the cases that name it (tokens naming none are left out)."""
        ...

    async def audit(self, entry: AuditEntry) -> None: ...

    async def audit_log(self, limit: int) -> list[AuditEntry]:
        """The most recent ``limit`` audit entries, oldest first."""
        ...

    async def audit_page(self, before: int | None, limit: int) -> list[tuple[int, AuditEntry]]:
        """(seq, entry) of at most ``limit`` entries with ``seq < before`` (any, when None),
        newest first. Seqs start at 1, grow by one per entry and are never reused."""
        ...

    async def disputed(self, limit: int) -> list[Case]:
        """At most ``limit`` cases whose status is ``disputed``, the oldest dispute first."""
        ...

    async def status_counts(self) -> dict[CaseStatus, int]:
        """How many cases are stored in each status (every status, 0 when none): read from
        an index, never by reading the cases."""
        ...


class GraphStore(Protocol):
    """Identifier tokens seen together. ``link`` only ever adds pairs or moves a pair's
    last-seen time forward, so a retry after a failure completes the write, never undoes one."""

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

    async def walk(self, walk: Walk) -> Evidence:
        """Run an evidence walk (``uei.antiabuse.defaulters.walk``) to its end: each step's
        reads as ``degrees``, ``neighbours``, ``CaseStore.cases_for`` and
        ``CaseStore.load_cases`` would answer them (the ledger on the same backend is read,
        never written), in as few round trips as the backend allows."""
        ...


@dataclass(frozen=True, slots=True)
class Checked:
    answer: QuotaAnswer
    duplicate: bool
    """This message id was checked before: the answer is the first one, nothing was taken."""
    at: float
    """The store's clock when it decided."""
    replayed: bool = False
    """The request's signature was marked before: nothing was taken, nothing recorded."""


class QuotaStore(Protocol):
    """GCRA buckets, applied atomically across every replica sharing the store, on the
    store's own clock when no ``now`` is handed in."""

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
        replay: tuple[str, int] | None = None,
    ) -> Checked:
        """A BAP's quota check: take ``cost`` from its bucket for ``rule``, keep the answer
        for retries of ``message_id`` (a retry answers the same and takes nothing), and record
        ``search`` once (as ``EventStore.record`` would), all in one atomic step. ``replay``
        (the request's signature and when it expires): marked first, in the same step; if it
        was marked before, the check is ``replayed`` and nothing else happens."""
        ...

    async def take(
        self, key: str, *, interval: float, burst: int, cost: int = 1, now: float | None = None
    ) -> QuotaAnswer:
        """Take ``cost`` units from ``key``'s bucket (refused: nothing taken)."""
        ...

    async def take_once(
        self,
        key: str,
        replay: tuple[str, int],
        *,
        interval: float,
        burst: int,
        cost: int = 1,
        now: float | None = None,
    ) -> QuotaAnswer | None:
        """``take``, with the request's signature (and when it expires) marked first in the
        same atomic step: None if it was marked before (nothing taken). The marks are kept
        beside ``key``'s bucket until the signature expires."""
        ...


class EventStore(Protocol):
    """What relays report from the search path, read back by event time for scoring. Each
    event is recorded once per (BAP, kind, message id)."""

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

    async def recent(self, bap: str, start: float, end: float, limit: int) -> list[Event]:
        """The BAP's latest ``limit`` events timed in [start, end), in time order (operators'
        pages: a bounded read, off the request path). Where a store keeps events in arrival
        order within an hour, an hour holding more than it needs gives its last arrivals."""
        ...

    async def prune(self, before: float) -> None:
        """Forget events timed before ``before`` (stores that expire keys may do nothing)."""
        ...


class VerdictStore(Protocol):
    """Scoring's output and its training memory, and the lease that lets one replica score."""

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

    async def ranked(self, limit: int) -> list[BapVerdict]:
        """The latest verdict of at most ``limit`` BAPs, the highest score first."""
        ...

    async def training_rows(self, since: float, limit: int) -> list[FeatureRow]:
        """Feature rows with ``window_end >= since``, at most ``limit``, newest first."""
        ...

    async def lease(self, name: str, owner: str, seconds: float, now: float) -> bool:
        """Hold ``name`` for ``seconds`` unless another owner holds it: one replica scores."""
        ...
