"""Non-payer protection: the ledger, the identity graph and verdicts, over a store.

Callers are already authenticated (a BPP the policy admits, by its Beckn signature);
identifiers are already tokens. This layer applies the policy's time rules and quotas,
retries lost updates, gathers the evidence a verdict needs and audits every change and every
query. Every call's store work is bounded by ``store_timeout_ms``: past it, or when the store
is down, a status query answers per ``on_store_error`` and anything else is an ``Unavailable``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import msgspec

from uei.antiabuse.defaulters.ledger import DAY, Action, AuditEntry, Case, act
from uei.antiabuse.defaulters.policy import DefaultersPolicy, OnStoreError, Verdict
from uei.antiabuse.defaulters.verdict import Decision, Evidence, decide, without_evidence
from uei.antiabuse.defaulters.walk import NOTHING, gated, walk
from uei.antiabuse.stores import (
    CaseConflict,
    CaseStore,
    GraphStore,
    QuotaAnswer,
    QuotaStore,
    StoreUnavailable,
)
from uei.antiabuse.times import checked
from uei.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    Unavailable,
)
from uei.storage.outage import Outage
from uei.trust import MemoryReplayGuard, PendingReplay
from uei.trust.errors import Replayed

__all__ = ["RETRY_AFTER_OUTAGE", "Answer", "Context", "DecisionPath", "Defaulters", "Purpose"]

log = logging.getLogger("uei.defaulters")

RETRY_AFTER_OUTAGE = 5.0
"""``Retry-After`` on a 503 while the store does not answer."""


class Purpose(StrEnum):
    POSTPAID_SESSION = "postpaid_session"
    ACCOUNT_REGISTRATION = "account_registration"


class Context(StrEnum):
    REGISTRATION = "registration"
    SESSION = "session"


class DecisionPath(StrEnum):
    """How a status answer was reached."""

    STORE = "store"
    """From the ledger and the identity graph."""
    ALLOW_ON_ERROR = "allow-on-error"
    """The store did not answer; ``on_store_error: allow``."""
    DENY_ON_ERROR = "deny-on-error"
    """The store did not answer; ``on_store_error: deny``."""


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    decision: Decision
    enforced: Verdict
    """What the CPO should do: the decision's verdict, or ``allow`` in shadow mode."""
    shadow: bool
    path: DecisionPath = DecisionPath.STORE


@dataclass(frozen=True, slots=True)
class Defaulters:
    cases: CaseStore
    graph: GraphStore
    quotas: QuotaStore
    """The CPOs' query and dispute quotas."""
    policy: Callable[[], DefaultersPolicy]
    clock: Callable[[], float]
    outage: Outage = field(default_factory=lambda: Outage("the non-payer store", log))
    local_replays: MemoryReplayGuard = field(default_factory=MemoryReplayGuard)
    """Status queries' signatures this replica saw, for when the store does not answer."""

    @contextlib.asynccontextmanager
    async def _reaching_store(self) -> AsyncIterator[None]:
        """The store work of one call, within ``store_timeout_ms``; a store that is down or
        too slow is an ``Unavailable``, said in the log once per outage, not once per call."""
        try:
            async with asyncio.timeout(self.policy().store_timeout_ms / 1000):
                yield
        except (StoreUnavailable, TimeoutError) as exc:
            self.outage.failed(
                exc, self.clock(), "non-payer calls answer 503, status queries on_store_error"
            )
            raise Unavailable(
                "the non-payer store did not answer; nothing was recorded or decided, "
                f"retry in {RETRY_AFTER_OUTAGE:g} s",
                RETRY_AFTER_OUTAGE,
            ) from None
        self.outage.answered(self.clock())

    def _check_time(self, at: float, field: str, policy: DefaultersPolicy) -> None:
        checked(
            at,
            field,
            now=self.clock(),
            max_age=policy.case_expiry_days * DAY,
            too_old=f"is older than the network's case expiry ({policy.case_expiry_days:g} "
            "days); it would never count",
        )

    async def report(
        self,
        creditor: str,
        session_ref: str,
        amount_paise: int,
        currency: str,
        occurred_at: float,
        tokens: Sequence[str],
    ) -> tuple[Case, bool]:
        """(the case, whether this call created it). A retry of a report returns its case."""
        policy = self.policy()
        self._check_time(occurred_at, "occurred_at", policy)
        if amount_paise < round(policy.minimum_amount * 100):
            raise InvalidRequest(
                f"below the network's minimum of {policy.minimum_amount:.2f} INR", "amount.value"
            )
        now = self.clock()
        case = Case(
            case_id=secrets.token_hex(12),
            creditor=creditor,
            session_ref=session_ref,
            amount_paise=amount_paise,
            currency=currency,
            occurred_at=occurred_at,
            reported_at=now,
            tokens=tuple(dict.fromkeys(tokens)),
            updated=now,
        )
        audit = AuditEntry(
            at=now, actor=creditor, action="report", case_id=case.case_id, after="open"
        )
        async with self._reaching_store():
            stored = await self.cases.create_case(case, audit)
            if stored.case_id == case.case_id or stored.same_report(case):
                # The identifiers of one session were seen together: link them (idempotent,
                # so a retry of the report completes a link write an outage cut short).
                await self.graph.link(stored.tokens, stored.occurred_at)
        if stored.case_id != case.case_id and not stored.same_report(case):
            raise Conflict("this session_ref was reported before with other details", "session_ref")
        return stored, stored.case_id == case.case_id

    async def observe(
        self, reporter: str, tokens: Sequence[str], observed_at: float, context: Context
    ) -> None:
        self._check_time(observed_at, "observed_at", self.policy())
        async with self._reaching_store():
            await self.graph.link(tokens, observed_at)
            await self.cases.audit(
                AuditEntry(
                    at=self.clock(),
                    actor=reporter,
                    action="observe",
                    tokens=tuple(tokens),
                    note=context.value,
                )
            )

    async def case_for(self, case_id: str) -> Case:
        found = (await self.cases.load_cases([case_id])).get(case_id)
        if found is None:
            raise NotFound(f"no case {case_id}", "case_id")
        return found

    async def act(self, actor: str, case_id: str, action: Action, request_id: str) -> Case:
        """Settle, withdraw, confirm or cancel (a dispute is ``dispute``)."""
        async with self._reaching_store():
            return await self._act(actor, case_id, action, request_id)

    async def dispute(
        self, actor: str, case_id: str, presented: Collection[str], request_id: str
    ) -> Case:
        """Dispute for the person in front of ``actor``, who presented identifiers (tokens)
        the case must name. Each CPO's disputes are rate limited, refused ones too: each is a
        question about what a case names."""
        quota = self.policy().dispute.quota
        async with self._reaching_store():
            now = self.clock()
            taken = await self.quotas.take(
                f"dispute:{actor}", interval=quota.interval, burst=quota.limit, now=now
            )
            refused = AuditEntry(
                at=now,
                actor=actor,
                action="dispute_refused",
                case_id=case_id,
                tokens=tuple(presented),
                request_id=request_id,
            )
            if not taken.allowed:
                await self.cases.audit(msgspec.structs.replace(refused, note="quota"))
                raise RateLimited(
                    f"dispute quota exceeded ({quota.limit} per {quota.window_seconds:g} s)",
                    taken.retry_after,
                )
            try:
                return await self._act(actor, case_id, Action.DISPUTE, request_id, presented)
            except Forbidden:
                await self.cases.audit(msgspec.structs.replace(refused, note="no identifier"))
                raise

    async def _act(
        self,
        actor: str,
        case_id: str,
        action: Action,
        request_id: str,
        presented: Collection[str] = (),
    ) -> Case:
        """Apply ``action``; a concurrent change is re-read and the action re-decided."""
        while True:
            case = await self.case_for(case_id)
            now = self.clock()
            changed = act(case, action, actor, now, presented)
            audit = AuditEntry(
                at=now,
                actor=actor,
                action=action.value,
                case_id=case_id,
                before=case.status.value,
                after=changed.status.value,
                tokens=tuple(presented),
                request_id=request_id,
            )
            try:
                return await self.cases.save_case(changed, audit)
            except CaseConflict:
                continue

    async def status(
        self,
        asker: str,
        tokens: Sequence[str],
        purpose: Purpose,
        cost: int,
        replay: PendingReplay | None = None,
    ) -> Answer:
        """``cost``: the identifiers presented (the query quota counts identifiers, not
        queries). ``replay``: the request's signature, marked in the same store step as the
        quota (a replay raises ``Replayed``: nothing taken, nothing audited); while the store
        does not answer, this replica's own guard decides. When the store does not answer:
        what ``on_store_error`` says."""
        policy = self.policy()
        now = self.clock()
        mark = (replay.signature, replay.expires) if replay and replay.signature else None
        marked = False  # the store marked it (and this replica's guard holds it)
        try:
            async with self._reaching_store():
                quota = policy.query_quota
                key = f"status:{asker}"
                refused = False

                async def take() -> QuotaAnswer | None:
                    nonlocal refused
                    if mark is None:
                        got: QuotaAnswer | None = await self.quotas.take(
                            key, interval=quota.interval, burst=quota.burst, cost=cost, now=now
                        )
                    else:
                        got = await self.quotas.take_once(
                            key,
                            mark,
                            interval=quota.interval,
                            burst=quota.burst,
                            cost=cost,
                            now=now,
                        )
                    refused = got is None or not got.allowed
                    return got

                # over a network, the evidence's first reads go out beside the quota (one
                # round trip, not two); the walk goes on only if the quota was taken (read,
                # never returned, for a refused query: nothing is written but the refusal's
                # audit). Embedded, one after the other: neither waits on a network, and
                # the task beside would cost the request a turn of the event loop.
                steps = gated(walk(tokens, policy, now), lambda: refused)
                if self.quotas.remote:
                    once, evidence = await _beside(take(), self.graph.walk(steps))
                else:
                    once = await take()
                    taken = once is not None and not refused
                    evidence = await self.graph.walk(steps) if taken else NOTHING
                if once is None:
                    raise Replayed("sign each attempt anew")
                if mark is not None:
                    marked = True
                    await self.local_replays.first_use(*mark, now)  # for a later outage
                return await self._status(asker, tokens, purpose, cost, policy, once, now, evidence)
        except Unavailable:
            if (
                mark is not None
                and not marked
                and not await self.local_replays.first_use(*mark, now)
            ):
                raise Replayed("sign each attempt anew") from None
            mode = policy.on_store_error
            decision = without_evidence(mode)
            return Answer(
                decision=decision,
                enforced=Verdict.ALLOW if policy.shadow else decision.verdict,
                shadow=policy.shadow,
                path=DecisionPath.ALLOW_ON_ERROR
                if mode is OnStoreError.ALLOW
                else DecisionPath.DENY_ON_ERROR,
            )

    async def _status(
        self,
        asker: str,
        tokens: Sequence[str],
        purpose: Purpose,
        cost: int,
        policy: DefaultersPolicy,
        granted: QuotaAnswer,
        now: float,
        evidence: Evidence,
    ) -> Answer:
        quota = policy.query_quota
        if not granted.allowed:
            await self.cases.audit(
                AuditEntry(
                    at=now,
                    actor=asker,
                    action="status_refused",
                    purpose=purpose.value,
                    note=f"{cost} identifiers",
                )
            )
            raise RateLimited(
                f"status query quota exceeded ({quota.per_hour:g} identifiers per hour, burst "
                f"{quota.burst}; this query presents {cost})",
                granted.retry_after,
            )
        decision = decide(tokens, evidence, policy, now)
        await self.cases.audit(
            AuditEntry(
                at=now,
                actor=asker,
                action="status",
                purpose=purpose.value,
                verdict=decision.verdict.value,
                score=decision.score,
                tokens=tuple(tokens),
                note="shadow" if policy.shadow else None,
            )
        )
        enforced = Verdict.ALLOW if policy.shadow else decision.verdict
        return Answer(decision=decision, enforced=enforced, shadow=policy.shadow)


_A = TypeVar("_A")
_B = TypeVar("_B")


async def _beside(first: Awaitable[_A], second: Coroutine[Any, Any, _B]) -> tuple[_A, _B]:
    """``first`` and ``second`` at once (``second`` as a task), both answered; if ``first``
    fails or the caller is cancelled, ``second`` is cancelled and awaited before the error
    goes on (no task outlives the call)."""
    task = asyncio.ensure_future(second)
    try:
        a = await first
    except BaseException:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise
    return a, await task
