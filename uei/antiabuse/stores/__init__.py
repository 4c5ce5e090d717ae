"""The anti-abuse stores: narrow protocols, SQLite and Redis (standalone or Cluster)."""

from uei.antiabuse.stores.base import (
    AbuseStore,
    CaseConflict,
    Checked,
    ScrapingStore,
    Store,
    StoreUnavailable,
)
from uei.antiabuse.stores.factory import abuse_store, open_abuse_store

__all__ = [
    "AbuseStore",
    "CaseConflict",
    "Checked",
    "ScrapingStore",
    "Store",
    "StoreUnavailable",
    "abuse_store",
    "open_abuse_store",
]
