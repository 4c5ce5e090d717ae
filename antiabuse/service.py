"""Non-payer protection: the ledger, the identity graph and verdicts, over a store.

Callers are already authenticated (a SUBSCRIBED BPP, by its Beckn signature); identifiers are
already tokens. This layer applies the policy's time rules, retries lost updates, gathers the
evidence a verdict needs and audits every change and every query.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import msgspec

from antiabuse.errors import Conflict, InvalidRequest, NotFound, RateLimited
from antiabuse.ledger import DAY, Action, AuditEntry, Case, act
from antiabuse.policy import DefaultersPolicy, Verdict
from antiabuse.stores import AbuseStore, CaseConflict
from antiabuse.times import checked
from antiabuse.verdict import Decision, Evidence, decide, passable, usable

__all__ = ["Answer", "Context", "Defaulters", "Purpose"]


class Purpose(StrEnum):
    POSTPAID_SESSION = "postpaid_session"
    ACCOUNT_REGISTRATION = "account_registration"


class Context(StrEnum):
    REGISTRATION = "registration"
    SESSION = "session"


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    decision: Decision
    enforced: Verdict
    """What the CPO should do: the decision's verdict, or ``allow`` in shadow mode."""
    shadow: bool


@dataclass(frozen=True, slots=True)
class Defaulters:
    store: AbuseStore
    policy: Callable[[], DefaultersPolicy]
    clock: Callable[[], float]

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
        stored = await self.store.create_case(case, audit)
        if stored.case_id != case.case_id and not stored.same_report(case):
            raise Conflict("this session_ref was reported before with other details", "session_ref")
        # The identifiers of one session were seen together: link them (idempotent, so a
        # retry of the report completes a link write an outage cut short).
        await self.store.link(stored.tokens, stored.occurred_at)
        return stored, stored.case_id == case.case_id

    async def observe(
        self, reporter: str, tokens: Sequence[str], observed_at: float, context: Context
    ) -> None:
        self._check_time(observed_at, "observed_at", self.policy())
        await self.store.link(tokens, observed_at)
        await self.store.audit(
            AuditEntry(
                at=self.clock(),
                actor=reporter,
                action="observe",
                tokens=tuple(tokens),
                note=context.value,
            )
        )

    async def case_for(self, case_id: str) -> Case:
        found = (await self.store.load_cases([case_id])).get(case_id)
        if found is None:
            raise NotFound(f"no case {case_id}", "case_id")
        return found

    async def act(self, actor: str, case_id: str, action: Action) -> Case:
        """Apply ``action``; a concurrent change is re-read and the action re-decided."""
        while True:
            case = await self.case_for(case_id)
            now = self.clock()
            changed = act(case, action, actor, now)
            audit = AuditEntry(
                at=now,
                actor=actor,
                action=action.value,
                case_id=case_id,
                before=case.status.value,
                after=changed.status.value,
            )
            try:
                return await self.store.save_case(changed, audit)
            except CaseConflict:
                continue

    async def evidence(self, query: Sequence[str], policy: DefaultersPolicy) -> Evidence:
        """What the stores hold around ``query``: links followed as far as a verdict may go,
        by the verdict's own rules, so nothing is read that could not count."""
        now = self.clock()
        degrees = await self.store.degrees(query)
        neighbours: dict[str, dict[str, float]] = {}
        frontier = [t for t in dict.fromkeys(query) if usable(t, degrees, policy)]
        for _ in range(policy.max_hops):
            found = await self.store.neighbours(frontier, policy.max_neighbours)
            neighbours.update(found)
            fresh = {n for links in found.values() for n in links if n not in degrees}
            degrees.update(await self.store.degrees(fresh))
            frontier = sorted(
                {
                    n
                    for t in frontier
                    for n, seen in found.get(t, {}).items()
                    if n not in neighbours and passable(t, n, seen, degrees, policy, now)
                }
            )
            if not frontier:
                break
        reached = set(degrees) | set(neighbours) | set(query)
        cases_by_token = await self.store.cases_for(reached)
        cases = await self.store.load_cases(c for ids in cases_by_token.values() for c in ids)
        # A phone number in a case counts only if recently seen with that case's person: its
        # links say when, so read them for phones that reach a case.
        phones = [t for t in cases_by_token if t.startswith("phone:") and t not in neighbours]
        neighbours.update(await self.store.neighbours(phones, policy.max_neighbours))
        return Evidence(neighbours, degrees, cases_by_token, cases)

    async def status(self, asker: str, tokens: Sequence[str], purpose: Purpose) -> Answer:
        policy = self.policy()
        now = self.clock()
        quota = policy.query_quota
        granted = await self.store.take(
            f"status:{asker}", now, 3600.0 / quota.per_hour, quota.burst
        )
        if not granted.allowed:
            await self.store.audit(
                AuditEntry(at=now, actor=asker, action="status_refused", purpose=purpose.value)
            )
            raise RateLimited(
                f"status query quota exceeded ({quota.per_hour:g} per hour, burst {quota.burst})",
                granted.retry_after,
            )
        decision = decide(tokens, await self.evidence(tokens, policy), policy, now)
        await self.store.audit(
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
