"""The registry's HTTP layer: decode, call the service, encode; its callers' resolvers (auth.py)."""
