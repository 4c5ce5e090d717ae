"""The registry service: store, view, policy and challenger, with no HTTP in sight.

Every change goes through ``_commit``: read the subscriber from the store, decide (a pure
function from ``operations``), chain the log entries, save atomically; on a version or log
conflict (another replica was faster) read again and decide again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from nacl.signing import VerifyKey

from registry.challenger import Challenger
from registry.changelog import LogEntry, chain
from registry.errors import Conflict, NotFound, RegistryError
from registry.follower import Follower
from registry.lifecycle import Event
from registry.model import KeyState, Subscriber
from registry.operations import (
    Outcome,
    SubscribeRequest,
    allow,
    approve,
    challenge_passed,
    claim_attempt,
    operator_action,
    record_attempt,
    revoke_key,
    subscribe,
)
from registry.policy import RegistryPolicy
from registry.stores import RegistryStore, SaveConflict
from registry.view import RegistryView

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
    ) -> None:
        self.store = store
        self.follower = Follower(store, clock)
        self.policy = policy
        self.clock = clock
        self._challenger = challenger
        self._challenges_running: set[tuple[str, str]] = set()

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
        self, subscriber_id: str, decide: Callable[[Subscriber | None], Outcome]
    ) -> tuple[Subscriber, list[LogEntry]]:
        for _ in range(_MAX_COMMIT_TRIES):
            existing = await self.store.load(subscriber_id)
            outcome = decide(existing)
            entries: list[LogEntry] = []
            if outcome.drafts:
                entries = chain(await self.store.head(), outcome.drafts, self.clock())
            try:
                saved = await self.store.save(outcome.subscriber, entries, outcome.claim_key_ids)
            except SaveConflict as conflict:
                if conflict.reason.startswith("key:"):
                    kid = conflict.reason.removeprefix("key:")
                    raise Conflict(
                        f"unique_key_id {kid} belongs to another subscriber", "unique_key_id"
                    ) from None
                continue
            self.view.put(saved)
            return saved, entries
        raise Conflict("the registry is busy with concurrent changes to this subscriber; retry")

    async def subscribe(self, req: SubscribeRequest, actor: str) -> Subscriber:
        owners = {}
        if req.unique_key_id is not None:
            owners[req.unique_key_id] = await self.store.key_owner(req.unique_key_id)
        saved, _ = await self._commit(
            req.subscriber_id,
            lambda existing: subscribe(existing, req, self.policy(), self.clock(), actor, owners),
        )
        return saved

    @staticmethod
    def _require(sub: Subscriber | None, subscriber_id: str) -> Subscriber:
        if sub is None:
            raise NotFound(f"no subscriber {subscriber_id}", "subscriber_id")
        return sub

    async def allow(self, subscriber_id: str, actor: str) -> Subscriber:
        saved, _ = await self._commit(
            subscriber_id, lambda sub: allow(sub, subscriber_id, self.clock(), actor)
        )
        return saved

    async def operator_action(self, subscriber_id: str, action: str, actor: str) -> Subscriber:
        event = OPERATOR_ACTIONS[action]

        def decide(sub: Subscriber | None) -> Outcome:
            current = self._require(sub, subscriber_id)
            if event is Event.APPROVE:
                return approve(current, self.clock(), actor)
            return operator_action(current, event, self.clock(), actor)

        saved, _ = await self._commit(subscriber_id, decide)
        return saved

    async def revoke_key(
        self, subscriber_id: str, unique_key_id: str, actor: str, signed_with: str | None = None
    ) -> Subscriber:
        saved, _ = await self._commit(
            subscriber_id,
            lambda sub: revoke_key(
                self._require(sub, subscriber_id), unique_key_id, self.clock(), actor, signed_with
            ),
        )
        return saved

    # --- challenges -----------------------------------------------------------------------

    async def run_due_challenges(self) -> int:
        """Run every attempt that is due now, concurrently; returns how many ran."""
        due = [
            d for d in self.view.due_challenges(self.clock()) if d not in self._challenges_running
        ]
        results = await asyncio.gather(*(self._challenge(sid, kid) for sid, kid in due))
        return sum(results)

    async def _challenge(self, subscriber_id: str, unique_key_id: str) -> bool:
        self._challenges_running.add((subscriber_id, unique_key_id))
        try:
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
            except RegistryError:
                return False  # not due any more, or another replica took it
            key = claimed.key(unique_key_id)
            if key is None or key.state is not KeyState.PENDING:
                return False
            attempt = await self._challenger.attempt(
                claimed, key, key.attempts_made, policy.challenge
            )
            log.info(
                "challenge %s|%s attempt %d: %s",
                subscriber_id,
                unique_key_id,
                attempt.number,
                attempt.outcome,
            )
            if attempt.outcome == "passed":
                await self._commit(
                    subscriber_id,
                    lambda sub: challenge_passed(
                        self._require(sub, subscriber_id), attempt, policy
                    ),
                )
            else:
                await self._commit(
                    subscriber_id,
                    lambda sub: Outcome(
                        record_attempt(self._require(sub, subscriber_id), attempt, policy)
                    ),
                )
            return True
        finally:
            self._challenges_running.discard((subscriber_id, unique_key_id))

    # --- reading --------------------------------------------------------------------------

    async def challenges(self, subscriber_id: str) -> Subscriber:
        """The subscriber as stored, with its recent challenge attempts."""
        return self._require(await self.store.load(subscriber_id), subscriber_id)

    def verify_key(self, subscriber_id: str, unique_key_id: str) -> VerifyKey:
        return self.view.verify_key(subscriber_id, unique_key_id, self.clock())
