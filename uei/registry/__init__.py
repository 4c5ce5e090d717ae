"""The UEI subscriber registry and the service's composition root (app factory, settings, CLI)."""
