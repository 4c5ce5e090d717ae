"""Each relay's own calls, metered: no BG or BPP can flood the service, whichever BAPs it names.

The relay's rule (``quotas.relays``: its override, or its type's) is GCRA on one key per relay
subscriber id, taken before anything else the call does, so a relay over its rule touches no
BAP's quota. By default each replica meters its share (the rule divided by
``quotas.replicas``) in process: a flood guard needs no store round trip, and the replicas
together admit at most the rule. With ``relays.shared: true`` the bucket is one in the store,
on the store's clock, shared by every replica (one more round trip per call); when the store
does not answer in time the rule's ``on_store_error`` decides, as for a BAP's rule.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from uei.antiabuse.quotas.gcra import QuotaAnswer
from uei.antiabuse.quotas.metrics import QUOTA_DECISIONS
from uei.antiabuse.quotas.rules import QuotaRule
from uei.antiabuse.quotas.service import (
    QuotaDecisionPath,
    Quotas,
    RuleStanding,
    outcome_label,
    store_timeout,
)
from uei.antiabuse.stores import StoreUnavailable
from uei.errors import QuotaState, RateLimited
from uei.tally import TALLY

log = logging.getLogger("uei.quotas")

__all__ = ["Metered", "RelayMeter"]


class Metered(RuleStanding, frozen=True, kw_only=True):
    """A relay's standing under its own rule (``relay.gateway``, ``relay.bpp`` or
    ``relay.<subscriber>``) after this call."""

    over: bool
    """The rule refused (allowed anyway if it is in shadow)."""

    @property
    def reason(self) -> str:
        return (
            f"relay quota {self.rule}: {self.limit} per {self.window_seconds:g} s for this "
            "caller's own calls"
            + (f" (this call costs {self.cost})" if self.cost > 1 else "")
            + (
                ""
                if self.path in (QuotaDecisionPath.STORE, QuotaDecisionPath.REPLICA)
                else f"; decided {self.path.value}"
            )
        )


@dataclass
class RelayMeter:
    """On the same store, policy, clock and local fallback as the BAPs' quotas."""

    quotas: Quotas
    _shadow_warned: dict[str, float] = field(default_factory=dict)

    async def take(self, relay: str, *, gateway: bool, cost: int = 1) -> Metered:
        q = self.quotas
        policy = q.quotas()
        resolved = policy.relays.rule_for(relay, gateway=gateway)
        rule = resolved.rule
        cost = max(1, min(cost, rule.limit))  # a batch larger than the burst costs the burst
        key = f"relay\x00{relay}"
        if not policy.relays.shared:
            path = QuotaDecisionPath.REPLICA
            answer = q.local.take(key, rule, policy.replicas, cost)
        else:
            path, answer = await self._shared(key, rule, cost)
        if not answer.allowed and rule.shadow:
            self._say_shadowed(relay, resolved.name)
        outcome = outcome_label(answer.allowed, rule.shadow)
        TALLY.count(QUOTA_DECISIONS, (outcome, path.value, "relay"))
        return Metered(
            allowed=answer.allowed or rule.shadow,
            rule=resolved.name,
            limit=rule.limit,
            window_seconds=rule.window_seconds,
            remaining=answer.remaining,
            reset_seconds=answer.reset_after,
            retry_after=answer.retry_after,
            cost=cost,
            path=path,
            over=not answer.allowed,
        )

    async def _shared(
        self, key: str, rule: QuotaRule, cost: int
    ) -> tuple[QuotaDecisionPath, QuotaAnswer]:
        q = self.quotas
        policy = q.quotas()
        try:
            async with asyncio.timeout(store_timeout(q.store, policy)):
                answer = await q.store.take(
                    key,
                    interval=rule.interval,
                    burst=rule.limit,
                    cost=cost,
                    now=None if q.store_clock else q.clock(),
                )
        except (StoreUnavailable, TimeoutError) as exc:
            q.warn_unreachable(exc)
            return q.local.fallback(key, rule, policy.replicas, cost)
        return QuotaDecisionPath.STORE, answer

    async def charge(self, relay: str, gateway: bool, cost: int = 1) -> None:
        """Take ``cost`` from the relay's own rule, or refuse the call (``RateLimited``: a 429
        quota-exceeded problem with the relay's rule in its headers) and nothing else of it
        happens."""
        metered = await self.take(relay, gateway=gateway, cost=cost)
        if not metered.allowed:
            quota = QuotaState(
                metered.rule,
                metered.limit,
                metered.window_seconds,
                metered.remaining,
                metered.reset_seconds,
            )
            raise RateLimited(metered.reason, metered.retry_after, quota)

    def _say_shadowed(self, relay: str, rule: str) -> None:
        """What a shadow rule would have done, once a minute per relay."""
        now = self.quotas.clock()
        if now - self._shadow_warned.get(relay, float("-inf")) >= 60.0:
            if len(self._shadow_warned) > 10_000:
                self._shadow_warned.clear()
            self._shadow_warned[relay] = now
            log.warning("relay %s is over its rule %s (shadow: allowed)", relay, rule)
