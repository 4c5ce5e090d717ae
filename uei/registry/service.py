"""The registry service: store, view, policy and challenger, with no HTTP in sight.

Every change goes through ``_commit``: read the subscriber from the store, decide (a pure
function from ``operations``), commit atomically. The store chains the log entries onto its
own head inside that step, so commits of different subscribers never conflict; the commit
is refused only when this subscriber changed since it was read (another request or replica
changed it first). Then ``_commit`` reads again and decides again at once, a bounded number
of times: a revoked key or a new status refuses the retry itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import msgspec
from nacl.signing import VerifyKey

from uei.errors import Conflict, NotFound, UeiError
from uei.registry.challenger import Challenger
from uei.registry.changelog import Actor, LogEntry
from uei.registry.follower import Follower
from uei.registry.lifecycle import Event
from uei.registry.metrics import COMMITS
from uei.registry.model import AttemptOutcome, KeyState, RoleGrant, Subscriber
from uei.registry.operations import (
    NOTHING_RESERVED,
    Outcome,
    Reserved,
    SignedBy,
    SubscribeRequest,
    allow,
    approve,
    challenge_passed,
    change_grant,
    claim_attempt,
    operator_action,
    record_attempt,
    revoke_key,
    subscribe,
)
from uei.registry.policy import RegistryPolicy
from uei.registry.stores import ConflictReason, RegistryStore, SaveConflict
from uei.registry.urls import check_subscriber_url
from uei.registry.view import RegistryView

__all__ = ["OPERATOR_ACTIONS", "Registry"]

log = logging.getLogger("uei.registry")

OPERATOR_ACTIONS = {
    "suspend": Event.SUSPEND,
    "reinstate": Event.REINSTATE,
    "revoke": Event.REVOKE,
    "approve": Event.APPROVE,
}
_MAX_COMMIT_TRIES = 10


class Registry:
    def __init__(
        self,
        store: RegistryStore,
        policy: Callable[[], RegistryPolicy],
        challenger: Challenger,
        clock: Callable[[], float],
        reserved: Reserved = NOTHING_RESERVED,
        own: Subscriber | None = None,
    ) -> None:
        """``own``: the registry's own record, served from its identity, never the store."""
        self.store = store
        self.follower = Follower(store, clock, pinned=[own] if own is not None else [])
        self.policy = policy
        self.clock = clock
        self.reserved = reserved
        self._challenger = challenger
        self._challenging: dict[str, asyncio.Task[bool]] = {}
        """subscriber_id -> its attempt in flight: one at a time per subscriber."""
        self._slots: tuple[int, asyncio.Semaphore] | None = None
        """``challenge.max_concurrent`` and the semaphore that bounds attempts to it."""

    # --- following the change log -------------------------------------------------------

    @property
    def view(self) -> RegistryView:
        """This replica's view of the registry (a new one after the follower rebuilds it)."""
        return self.follower.view

    async def sync(self) -> int:
        """One follow step (see ``Follower.step``); returns how many entries it applied."""
        return await self.follower.step()

    # --- changes --------------------------------------------------------------------------

    async def _commit(
        self,
        subscriber_id: str,
        decide: Callable[[Subscriber | None], Outcome],
        reason: str | None = None,
    ) -> tuple[Subscriber, list[LogEntry]]:
        """``reason``: an operator's, recorded on every entry the change makes."""
        for _ in range(_MAX_COMMIT_TRIES):
            existing = await self.store.load(subscriber_id)
            outcome = decide(existing)
            drafts = outcome.drafts
            if reason is not None:
                drafts = [msgspec.structs.replace(d, reason=reason) for d in drafts]
            try:
                saved, entries = await self.store.commit(
                    outcome.subscriber, drafts, self.clock(), outcome.claim_key_ids
                )
            except SaveConflict as conflict:
                if conflict.reason is ConflictReason.KEY:
                    raise Conflict(
                        f"unique_key_id {conflict.key_id} belongs to another subscriber",
                        "unique_key_id",
                    ) from None
                COMMITS.labels("retried").inc()
                continue  # this subscriber changed meanwhile: read it again, decide again
            COMMITS.labels("saved").inc()
            self.view.put(saved)
            return saved, entries
        COMMITS.labels("refused").inc()
        raise Conflict("the registry is busy with concurrent changes to this subscriber; retry")

    async def subscribe(self, req: SubscribeRequest, signed_by: SignedBy) -> Subscriber:
        """``signed_by`` is checked again against the stored subscriber inside the commit."""
        self.reserved.check(req)
        if req.subscriber_url is not None:
            url = await check_subscriber_url(
                req.subscriber_url, self.policy().challenge, self._challenger.resolve
            )
            req = msgspec.structs.replace(req, subscriber_url=url)
        owners = {}
        if req.unique_key_id is not None:
            owners[req.unique_key_id] = await self.store.key_owner(req.unique_key_id)
        saved, _ = await self._commit(
            req.subscriber_id,
            lambda existing: subscribe(
                existing, req, self.policy(), self.clock(), signed_by, owners, self.reserved
            ),
        )
        return saved

    @staticmethod
    def _require(sub: Subscriber | None, subscriber_id: str) -> Subscriber:
        if sub is None:
            raise NotFound(f"no subscriber {subscriber_id}", "subscriber_id")
        return sub

    async def allow(
        self,
        subscriber_id: str,
        grants: list[RoleGrant],
        actor: Actor,
        *,
        reason: str | None = None,
    ) -> Subscriber:
        saved, _ = await self._commit(
            subscriber_id,
            lambda sub: allow(sub, subscriber_id, grants, self.clock(), actor, self.reserved),
            reason,
        )
        return saved

    async def operator_action(
        self,
        subscriber_id: str,
        action: str,
        actor: Actor,
        grant: RoleGrant | None = None,
        *,
        reason: str | None = None,
    ) -> Subscriber:
        event = OPERATOR_ACTIONS[action]

        def decide(sub: Subscriber | None) -> Outcome:
            current = self._require(sub, subscriber_id)
            if event is Event.APPROVE:
                return approve(current, self.clock(), actor, self.policy(), grant)
            return operator_action(current, event, self.clock(), actor)

        saved, _ = await self._commit(subscriber_id, decide, reason)
        return saved

    async def change_grant(
        self,
        subscriber_id: str,
        service: str,
        actor: Actor,
        *,
        granted: bool,
        reason: str | None = None,
    ) -> Subscriber:
        saved, _ = await self._commit(
            subscriber_id,
            lambda sub: change_grant(
                self._require(sub, subscriber_id), service, self.clock(), actor, granted=granted
            ),
            reason,
        )
        return saved

    async def revoke_key(
        self,
        subscriber_id: str,
        unique_key_id: str,
        actor: Actor,
        signed_by: SignedBy | None = None,
        *,
        reason: str | None = None,
    ) -> Subscriber:
        """By an operator, or (``signed_by``) by the subscriber, re-checked in the commit."""
        saved, _ = await self._commit(
            subscriber_id,
            lambda sub: revoke_key(
                self._require(sub, subscriber_id), unique_key_id, self.clock(), actor, signed_by
            ),
            reason,
        )
        return saved

    # --- challenges -----------------------------------------------------------------------

    def start_due_challenges(self) -> list[asyncio.Task[bool]]:
        """Start every attempt due now, each apart, at most ``challenge.max_concurrent`` in
        flight on this replica and one per subscriber: a slow peer delays nobody else. A new
        ``max_concurrent`` (a policy reload) bounds the attempts started from then on; those
        already started finish under the old bound."""
        size = self.policy().challenge.max_concurrent
        if self._slots is None or self._slots[0] != size:
            self._slots = (size, asyncio.Semaphore(size))
        slots = self._slots[1]
        started = []
        for sid, kid in self.view.due_challenges(self.clock()):
            if sid in self._challenging:
                continue
            task = asyncio.create_task(self._challenge(sid, kid, slots))
            self._challenging[sid] = task
            task.add_done_callback(self._finished)
            started.append(task)
        return started

    async def start_challenges(self) -> None:
        """The background step: start what is due, wait for none of it."""
        self.start_due_challenges()

    async def stop_challenges(self) -> None:
        """Cancel the attempts in flight (at shutdown); each is due again on restart."""
        running = list(self._challenging.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def _finished(self, task: asyncio.Task[bool]) -> None:
        for sid, running in list(self._challenging.items()):
            if running is task:
                del self._challenging[sid]

    async def run_due_challenges(self) -> int:
        """Run every attempt that is due now and wait for them; returns how many ran."""
        return sum(await asyncio.gather(*self.start_due_challenges()))

    async def _challenge(
        self, subscriber_id: str, unique_key_id: str, slots: asyncio.Semaphore
    ) -> bool:
        async with slots:
            try:
                return await self._attempt(subscriber_id, unique_key_id)
            except UeiError as exc:  # changed meanwhile: revoked, suspended, proven
                log.info("challenge %s|%s not recorded: %s", subscriber_id, unique_key_id, exc)
            except Exception as exc:  # a store outage: the attempt is due again later
                log.warning(
                    "challenge %s|%s failed: %s: %s",
                    subscriber_id,
                    unique_key_id,
                    type(exc).__name__,
                    exc,
                )
            return False

    async def _attempt(self, subscriber_id: str, unique_key_id: str) -> bool:
        policy = self.policy()
        now = self.clock()
        lease = policy.challenge.timeout_seconds + 5
        try:
            claimed, _ = await self._commit(
                subscriber_id,
                lambda sub: Outcome(
                    claim_attempt(self._require(sub, subscriber_id), unique_key_id, now, lease)
                ),
            )
        except UeiError:
            return False  # not due any more, or another replica took it
        key = claimed.key(unique_key_id)
        if key is None or key.state is not KeyState.PENDING:
            return False
        attempt = await self._challenger.attempt(claimed, key, key.attempts_made, policy.challenge)
        log.info(
            "challenge %s|%s attempt %d: %s",
            subscriber_id,
            unique_key_id,
            attempt.number,
            attempt.outcome,
        )
        if attempt.outcome is AttemptOutcome.PASSED:
            await self._commit(
                subscriber_id,
                lambda sub: challenge_passed(self._require(sub, subscriber_id), attempt, policy),
            )
        else:
            await self._commit(
                subscriber_id,
                lambda sub: Outcome(
                    record_attempt(self._require(sub, subscriber_id), attempt, policy)
                ),
            )
        return True

    # --- reading --------------------------------------------------------------------------

    async def challenges(self, subscriber_id: str) -> Subscriber:
        """The subscriber as stored, with its recent challenge attempts."""
        return self._require(await self.store.load(subscriber_id), subscriber_id)

    def verify_key(self, subscriber_id: str, unique_key_id: str) -> VerifyKey:
        return self.view.verify_key(subscriber_id, unique_key_id, self.clock())
