"""The registry's HTTP layer: decode, authenticate, call the service, encode."""
