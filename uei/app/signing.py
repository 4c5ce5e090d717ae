"""Sign every response over its exact bytes (``uei.app.edge`` does, for each answer), so a
client can prove what the registry said.

The ``Signature`` header carries a Beckn signature header value (keyId names the registry),
made over the response body exactly as sent; ``uei verify`` checks it. A signature is reused
for identical bodies for up to a minute (it stays valid four minutes more), which keeps the key
path close to a bare handler.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from uei.registry.identity import RegistryIdentity
from uei.trust import body_digest, sign_header

__all__ = ["RESPONSE_SIGNATURE_HEADER", "SIGNS_ITSELF", "ResponseSigner"]

RESPONSE_SIGNATURE_HEADER = "Signature"
_TTL = 300
SIGNS_ITSELF = re.compile(r"/lookup/[^/]+/[^/]+")
"""The key path signs its own answers (every status), so it skips the buffering here."""
_MAX_CACHED = 65_536
_KEY_BYTES = 2048
_REUSE = 60
"""Seconds a signature is reused for identical bytes (the key path's max-age); it stays
valid for _TTL - _REUSE seconds more at least."""


class ResponseSigner:
    def __init__(self, identity: RegistryIdentity, clock: Callable[[], float]) -> None:
        self._identity = identity
        self._clock = clock
        self._cache: dict[bytes, tuple[int, bytes]] = {}

    def header_for(self, body: bytes) -> bytes:
        now = int(self._clock())
        # small bodies are their own key (bytes keep their hash); a large page by its digest,
        # so that the cache never holds many large pages
        key = body if len(body) <= _KEY_BYTES else body_digest(body).encode()
        cached = self._cache.get(key)
        if cached is not None and 0 <= now - cached[0] < _REUSE:
            return cached[1]
        keys = self._identity.keys
        found = sign_header(
            body,
            keys.signing_key,
            subscriber_id=self._identity.subscriber_id,
            unique_key_id=keys.unique_key_id,
            created=now,
            expires=now + _TTL,
        ).encode()
        if len(self._cache) >= _MAX_CACHED:
            del self._cache[next(iter(self._cache))]  # the oldest
        self._cache[key] = (now, found)
        return found
