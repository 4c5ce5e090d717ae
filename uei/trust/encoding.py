"""Base64 as Beckn participants write it: standard alphabet, padded, sometimes not quite."""

from __future__ import annotations

import base64
import binascii

__all__ = ["b64decode", "b64encode"]


def b64encode(data: bytes) -> str:
    """Standard, padded base64: the only form uei/trust/ emits."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str | bytes, what: str = "value") -> bytes:
    """Decode standard or URL-safe base64, with or without padding or surrounding whitespace.

    Raises ``ValueError`` naming ``what`` when the text is not base64 at all.
    """
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    raw = b"".join(raw.split())
    if b"-" in raw or b"_" in raw:
        raw = raw.replace(b"-", b"+").replace(b"_", b"/")
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not valid base64") from None
