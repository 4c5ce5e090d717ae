"""Every way a uei/trust/ operation can fail, as a small hierarchy.

Each error's message starts with a short reason word (``expired``, ``replayed``...) followed by
the detail, so a log line, a NACK body and the CLI can show it as it is.
"""

from __future__ import annotations

__all__ = [
    "AlgorithmMismatch",
    "ChallengeError",
    "DigestMismatch",
    "Expired",
    "KeyFormatError",
    "MalformedHeader",
    "NotYetValid",
    "Replayed",
    "SignatureError",
    "SignatureMismatch",
    "TrustError",
    "UnknownAlgorithm",
    "UnknownKey",
]


class TrustError(Exception):
    """Root of every failure raised by uei/trust/."""


class KeyFormatError(TrustError, ValueError):
    """A key that cannot be decoded: bad base64, wrong length, wrong key type, bad DER."""


class ChallengeError(TrustError):
    """The on_subscribe challenge could not be encrypted, decrypted or checked."""


class SignatureError(TrustError):
    """A request or response signature was refused.

    ``reason`` is the short word that starts the message; subclasses set it.
    """

    reason = "invalid signature"
    header_name = "Authorization"
    """The header that carried the refused signature (servers set it for the 401 answer)."""

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(f"{self.reason}: {detail}" if detail else self.reason)


class MalformedHeader(SignatureError):
    reason = "malformed header"


class UnknownAlgorithm(SignatureError):
    reason = "unknown algorithm"


class AlgorithmMismatch(SignatureError):
    reason = "algorithm mismatch"


class UnknownKey(SignatureError):
    reason = "unknown key"


class DigestMismatch(SignatureError):
    reason = "digest mismatch"


class SignatureMismatch(SignatureError):
    reason = "signature mismatch"


class NotYetValid(SignatureError):
    reason = "not yet valid"


class Expired(SignatureError):
    reason = "expired"


class Replayed(SignatureError):
    reason = "replayed"
