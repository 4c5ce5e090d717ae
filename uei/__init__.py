"""The UEI registry and abuse protection service: one import package."""
