"""A small typed client for UEI participants, CPOs and gateways.

It signs each request with the caller's ``KeySet`` (Beckn ``Authorization``, or
``X-Gateway-Authorization`` for a gateway) and checks every answer's ``Signature`` header
against the registry's published key before handing it back. It imports only ``uei.trust``
(and httpx, msgspec): participants can vendor it without the service.
"""

from uei.client.client import (
    Answer,
    Client,
    Refused,
    RegistryKey,
    UnverifiedAnswer,
    forwarded,
)

__all__ = ["Answer", "Client", "Refused", "RegistryKey", "UnverifiedAnswer", "forwarded"]
