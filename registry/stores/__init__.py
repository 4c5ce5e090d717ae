"""Registry storage: one protocol, SQLite and Redis (standalone or Cluster) behind it."""

from registry.stores.base import RegistryStore, SaveConflict
from registry.stores.factory import open_store

__all__ = ["RegistryStore", "SaveConflict", "open_store"]
