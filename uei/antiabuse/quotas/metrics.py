"""Prometheus metrics of the quota decisions, defined once per process."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["QUOTA_DECISIONS"]

QUOTA_DECISIONS = Counter(
    "uei_quota_decisions_total",
    "Quota decisions by outcome (allowed; refused; shadow: over a shadow rule, allowed; "
    "blocked: by a scraping verdict; duplicate: a retried message id, answered as first) and "
    "path (store, replica, local, allow-on-error, deny-on-error) and kind (bap: a BAP's "
    "check; relay: a relay's own meter)",
    ["outcome", "path", "kind"],
)
