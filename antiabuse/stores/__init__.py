"""The anti-abuse stores: one protocol, SQLite and Redis (standalone or Cluster)."""

from antiabuse.stores.base import AbuseStore, CaseConflict
from antiabuse.stores.factory import open_abuse_store

__all__ = ["AbuseStore", "CaseConflict", "open_abuse_store"]
