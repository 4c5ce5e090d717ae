"""The quota check: may this BAP take this action now?

Callers are already authenticated (the BG or BPP that relays the BAP's request, by its Beckn
signature), and the BAP id was verified by that caller. This layer picks the rule, applies the
BAP's latest scraping verdict (read from a short in-process cache: never scored here), takes
quota on the store's clock, and when the store does not answer in time follows the rule's
failure mode. Every answer says which path it took.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import msgspec

from uei.antiabuse.quotas.gcra import QuotaAnswer, gcra
from uei.antiabuse.quotas.metrics import QUOTA_DECISIONS
from uei.antiabuse.quotas.rules import FailureMode, QuotaAction, QuotaRule, QuotasPolicy
from uei.antiabuse.scraping.events import Search
from uei.antiabuse.scraping.policy import ScrapingAction, ScrapingPolicy
from uei.antiabuse.scraping.verdicts import BapVerdict
from uei.antiabuse.stores import QuotaStore, StoreUnavailable, VerdictStore
from uei.tally import TALLY
from uei.trust import MemoryReplayGuard, PendingReplay
from uei.trust.errors import Replayed

log = logging.getLogger("uei.quotas")

__all__ = [
    "CheckResult",
    "LocalQuotas",
    "QuotaDecisionPath",
    "Quotas",
    "VerdictCache",
    "retry_key",
    "store_timeout",
]


class QuotaDecisionPath(StrEnum):
    """How a decision was reached."""

    STORE = "store"
    """The shared store decided (every replica agrees)."""
    REPLICA = "replica"
    """This replica decided on its share of the rule, by design (a relay's own meter)."""
    LOCAL = "local"
    """The store did not answer: this replica's share of the rule decided."""
    ALLOW_ON_ERROR = "allow-on-error"
    DENY_ON_ERROR = "deny-on-error"


class RuleStanding(msgspec.Struct, frozen=True, kw_only=True):
    """Where a caller stands under one rule after a decision (what the ratelimit headers say)."""

    allowed: bool
    """What the caller should do."""
    rule: str
    """The rule's name: ``<action>.<tier>``, ``relay.gateway``..."""
    limit: int
    """Units per window under the rule as applied (after any throttle)."""
    window_seconds: float
    remaining: int
    reset_seconds: float
    retry_after: float
    cost: int
    path: QuotaDecisionPath


class CheckResult(RuleStanding, frozen=True, kw_only=True):
    """A BAP's quota check."""

    duplicate: bool
    verdict: ScrapingAction | None
    """The strongest scraping action applied to this BAP, if any."""
    shadow_verdict: ScrapingAction | None
    """The strongest action due but in shadow mode."""
    quota_exceeded: bool
    """The quota refused (whether or not the rule is in shadow)."""
    shadow_rule: bool
    blocked: bool
    coarsen: bool
    reasons: list[str]


@dataclass
class LocalQuotas:
    """GCRA in this process, for when the store is unreachable: each replica admits its share
    (the rule divided by the number of replicas), so the network stays near the rule."""

    clock: Callable[[], float]
    max_keys: int = 100_000
    _tats: dict[str, float] = field(default_factory=dict)

    def take(self, key: str, rule: QuotaRule, replicas: int, cost: int) -> QuotaAnswer:
        share = max(1, rule.limit // replicas)
        if len(self._tats) >= self.max_keys and key not in self._tats:
            self._tats.clear()  # bounded memory; an outage long enough to fill it is rare
        answer, tat = gcra(
            self._tats.get(key), self.clock(), rule.window_seconds / share, share, cost
        )
        self._tats[key] = tat
        return answer

    def fallback(
        self, key: str, rule: QuotaRule, replicas: int, cost: int
    ) -> tuple[QuotaDecisionPath, QuotaAnswer]:
        """The store did not answer: the rule's ``on_store_error`` decides, and says so."""
        mode = rule.on_store_error
        if mode is FailureMode.LOCAL:
            return QuotaDecisionPath.LOCAL, self.take(key, rule, replicas, cost)
        allowed = mode is FailureMode.ALLOW
        path = QuotaDecisionPath.ALLOW_ON_ERROR if allowed else QuotaDecisionPath.DENY_ON_ERROR
        return path, QuotaAnswer(allowed, 0, 0.0 if allowed else 1.0, rule.window_seconds)


@dataclass
class VerdictCache:
    """Each BAP's latest verdict, read from the store at most once per ``ttl`` per replica."""

    store: VerdictStore
    clock: Callable[[], float]
    _seen: dict[str, tuple[float, BapVerdict | None]] = field(default_factory=dict)

    async def get(self, bap: str, ttl: float, timeout: float | None) -> BapVerdict | None:
        now = self.clock()
        cached = self._seen.get(bap)
        if cached is not None and now - cached[0] < ttl:
            return cached[1]
        try:
            async with asyncio.timeout(timeout):  # no task per call, unlike wait_for
                verdict = await self.store.verdict(bap)
        except (StoreUnavailable, TimeoutError):
            return cached[1] if cached is not None else None  # the last one known
        if len(self._seen) > 100_000:
            self._seen.clear()
        self._seen[bap] = (now, verdict)
        return verdict


def store_timeout(store: QuotaStore, policy: QuotasPolicy) -> float | None:
    """How long a decision waits for ``store`` before its rule's failure mode: the policy's
    ``store_timeout_ms`` for a remote store; to the end for an embedded one, whose call runs on
    its own worker thread whatever the caller waits (a busy machine must not turn a quota
    already taken into a failure-mode answer)."""
    return policy.store_timeout_ms / 1000 if store.remote else None


def retry_key(action: QuotaAction, message_id: str, search: Search | None) -> str:
    """What makes a check a retry of an earlier one: the same action, Beckn message id and
    query. The BAP picks its message ids, so a new search under an old id is a new check (and
    a new event), never a free one."""
    query = f"{search.lat:.6f},{search.lon:.6f},{search.radius_km:g}" if search else ""
    text = f"{action.value}|{message_id}|{query}"
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _applied(rule: QuotaRule, verdict: BapVerdict | None) -> QuotaRule:
    if verdict is None or ScrapingAction.THROTTLE not in verdict.actions:
        return rule
    limit = max(1, math.floor(rule.limit * verdict.throttle_scale))
    return msgspec.structs.replace(rule, limit=limit)


def outcome_label(
    within: bool, shadow: bool, *, duplicate: bool = False, blocked: bool = False
) -> str:
    """A decision's ``outcome`` label (``uei_quota_decisions_total``)."""
    if duplicate:
        return "duplicate"
    if blocked:
        return "blocked"
    if within:
        return "allowed"
    return "shadow" if shadow else "refused"


def _explain(verdict: BapVerdict) -> str:
    top = ", ".join(
        f"{n.name} {n.value:.3g} (network {n.typical_low:.3g}..{n.typical_high:.3g})"
        for n in verdict.top[:3]
    )
    return f"scraping score {verdict.score:.2f}" + (f": {top}" if top else "")


@dataclass
class Quotas:
    store: QuotaStore
    verdict_store: VerdictStore
    """Where scoring leaves each BAP's verdict (read through a per-replica cache)."""
    quotas: Callable[[], QuotasPolicy]
    scraping: Callable[[], ScrapingPolicy]
    clock: Callable[[], float]
    store_clock: bool = True
    """Take quota on the store's clock (production: one clock for every replica); ``False``
    uses ``clock`` (tests, replays)."""
    local: LocalQuotas = field(init=False)
    local_replays: MemoryReplayGuard = field(init=False, default_factory=MemoryReplayGuard)
    """Quota checks' signatures this replica saw, for when the store does not answer."""
    _warned: float = field(init=False, default=float("-inf"))
    verdicts: VerdictCache = field(init=False)

    def __post_init__(self) -> None:
        self.local = LocalQuotas(self.clock)
        self.verdicts = VerdictCache(self.verdict_store, self.clock)

    def warn_unreachable(self, exc: Exception) -> None:
        """Say the store is failing, once per 10 s (not once per decision)."""
        now = self.clock()
        if now - self._warned >= 10.0:
            self._warned = now
            log.warning(
                "quota store did not answer (%s: %s); rules' on_store_error decide",
                type(exc).__name__,
                exc,
            )

    async def check(
        self,
        bap: str,
        action: QuotaAction,
        message_id: str,
        search: Search | None,
        *,
        dedupe_seconds: float | None = None,
        replay: PendingReplay | None = None,
    ) -> CheckResult:
        """``dedupe_seconds``: keep this check's answer for retries at least this long (a
        forwarded signed request: as long as its signature is valid), if longer than the
        policy's ``dedupe_seconds``. ``replay``: the request's signature, marked in the same
        store step (a replay raises ``Replayed``, nothing taken); while the store does not
        answer, this replica's own guard decides."""
        policy = self.quotas()
        timeout = store_timeout(self.store, policy)
        scraping = self.scraping()
        verdict = await self.verdicts.get(bap, scraping.verdict_cache_seconds, timeout)
        if (
            verdict is not None
            and self.clock() - verdict.scored_at > scraping.verdict_expiry_seconds
        ):
            verdict = None
        resolved = policy.rule_for(bap, action)
        rule = _applied(resolved.rule, verdict)
        cost = policy.search_cost.of(search.radius_km if search is not None else None)
        path, duplicate = QuotaDecisionPath.STORE, False
        mark = (replay.signature, replay.expires) if replay and replay.signature else None
        try:
            async with asyncio.timeout(timeout):
                checked = await self.store.check(
                    bap,
                    resolved.name,
                    retry_key(action, message_id, search),
                    interval=rule.interval,
                    burst=rule.limit,
                    cost=cost,
                    search=search,
                    answer_seconds=max(policy.dedupe_seconds, dedupe_seconds or 0.0),
                    keep_seconds=scraping.retention_seconds,
                    now=None if self.store_clock else self.clock(),
                    replay=mark,
                )
            if checked.replayed:
                raise Replayed("sign each attempt anew")
            answer, duplicate = checked.answer, checked.duplicate
            if mark is not None:  # remembered here too: a replay during a later outage
                await self.local_replays.first_use(*mark, self.clock())
        except (StoreUnavailable, TimeoutError) as exc:
            self.warn_unreachable(exc)
            if mark is not None and not await self.local_replays.first_use(*mark, self.clock()):
                raise Replayed("sign each attempt anew") from None
            key = f"{bap}\x00{resolved.name}"
            path, answer = self.local.fallback(key, rule, policy.replicas, cost)
        actions = verdict.actions if verdict is not None else []
        shadowed = verdict.shadow_actions if verdict is not None else []
        blocked = ScrapingAction.BLOCK in actions
        reasons: list[str] = []
        if not answer.allowed:
            reasons.append(
                f"quota {resolved.name}: {rule.limit} per {rule.window_seconds:g} s"
                + (f" (this search costs {cost})" if cost > 1 else "")
                + ("" if path is QuotaDecisionPath.STORE else f"; decided {path.value}")
            )
        if verdict is not None and (actions or shadowed):
            reasons.append(_explain(verdict))
        allowed = (answer.allowed or rule.shadow) and not blocked
        outcome = outcome_label(answer.allowed, rule.shadow, duplicate=duplicate, blocked=blocked)
        TALLY.count(QUOTA_DECISIONS, (outcome, path.value, "bap"))
        return CheckResult(
            allowed=allowed,
            rule=resolved.name,
            limit=rule.limit,
            window_seconds=rule.window_seconds,
            remaining=answer.remaining,
            reset_seconds=answer.reset_after,
            retry_after=answer.retry_after,
            cost=cost,
            path=path,
            duplicate=duplicate,
            verdict=actions[-1] if actions else None,
            shadow_verdict=shadowed[-1] if shadowed else None,
            quota_exceeded=not answer.allowed,
            shadow_rule=rule.shadow,
            blocked=blocked,
            coarsen=ScrapingAction.COARSEN in actions,
            reasons=reasons,
        )
