"""What every domain's stores share: the one parse of ``UEI_STORE``, the process's one
backend, the storage error, Lua loading, owner-only files."""
