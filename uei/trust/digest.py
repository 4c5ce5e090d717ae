"""The Beckn body digest: BLAKE2b-512 over the exact bytes received."""

from __future__ import annotations

import hashlib

from uei.trust.encoding import b64encode

__all__ = ["body_digest"]


def body_digest(body: bytes) -> str:
    """Standard padded base64 of BLAKE2b-512(body). Never hash a re-serialized body."""
    return b64encode(hashlib.blake2b(body, digest_size=64).digest())
