"""Registry storage: one protocol, SQLite and Redis (standalone or Cluster) behind it."""

from uei.registry.stores.base import ConflictReason, Durability, RegistryStore, SaveConflict
from uei.registry.stores.factory import open_store, registry_store

__all__ = [
    "ConflictReason",
    "Durability",
    "RegistryStore",
    "SaveConflict",
    "open_store",
    "registry_store",
]
