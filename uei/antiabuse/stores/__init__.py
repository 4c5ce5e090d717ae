"""The anti-abuse stores: five small protocols, each with a SQLite and a Redis class."""

from uei.antiabuse.quotas.gcra import QuotaAnswer
from uei.antiabuse.stores.factory import AbuseStores, abuse_stores, open_abuse_stores
from uei.antiabuse.stores.protocols import (
    CaseConflict,
    CaseStore,
    Checked,
    EventStore,
    GraphStore,
    QuotaStore,
    VerdictStore,
)
from uei.storage.errors import StoreUnavailable

__all__ = [
    "AbuseStores",
    "CaseConflict",
    "CaseStore",
    "Checked",
    "EventStore",
    "GraphStore",
    "QuotaAnswer",
    "QuotaStore",
    "StoreUnavailable",
    "VerdictStore",
    "abuse_stores",
    "open_abuse_stores",
]
