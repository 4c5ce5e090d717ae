"""``uei.storage``: the SQLite backend's group commit."""
