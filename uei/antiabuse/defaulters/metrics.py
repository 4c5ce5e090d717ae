"""Prometheus metrics of non-payer protection, defined once per process."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["STATUS_VERDICTS"]

STATUS_VERDICTS = Counter(
    "uei_status_verdicts_total",
    "Status answers by the decision's verdict (allow, prepaid_only, block), shadow (true: "
    "recorded, allow answered) and path (store, allow-on-error, deny-on-error)",
    ["verdict", "shadow", "path"],
)
