"""What every domain's stores share: the Redis client and Lua loading, owner-only files."""
