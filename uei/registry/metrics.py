"""Prometheus metrics of the registry's own work, defined once per process (the request
metrics every route shares are ``uei.app.metrics``)."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["CHALLENGES", "COMMITS", "LOOKUPS"]

LOOKUPS = Counter("uei_lookups_total", "Key lookups answered", ["path", "outcome"])
CHALLENGES = Counter(
    "uei_challenge_attempts_total", "on_subscribe attempts by outcome", ["outcome"]
)
COMMITS = Counter(
    "uei_registry_commits_total",
    "Registry commits by outcome: saved, retried (a lost race on the subscriber's version, "
    "read and decided again at once), refused (still losing after every attempt)",
    ["outcome"],
)
