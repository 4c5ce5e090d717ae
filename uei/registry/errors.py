"""The registry's errors, each mapped to one HTTP status and Beckn NACK code in one place."""

from __future__ import annotations

from uei.trust import Refusal

__all__ = [
    "Conflict",
    "Forbidden",
    "Gone",
    "InvalidRequest",
    "InvalidTransition",
    "NotFound",
    "RegistryError",
]


class RegistryError(Refusal):
    """Root of the registry's refusals. ``path`` names the field at fault, when one is."""


class InvalidRequest(RegistryError):
    status, code = 400, "30000"


class Forbidden(RegistryError):
    status, code = 403, "30017"


class NotFound(RegistryError):
    status, code = 404, "30004"


class Gone(RegistryError):
    status, code = 410, "30004"


class Conflict(RegistryError):
    status, code = 409, "40002"


class InvalidTransition(Conflict):
    """The lifecycle has no such transition from the current state."""
