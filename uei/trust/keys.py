"""Load Ed25519 and X25519 keys in every encoding seen on Beckn networks; emit raw base64.

Accepted private keys: a 32-byte seed, a 64-byte libsodium secret key (seed then public key),
or PKCS#8 DER (with or without the embedded public key), each as base64 or PEM text.
Accepted public keys: raw 32 bytes or SPKI DER, as base64 or PEM text.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from nacl.public import PrivateKey, PublicKey
from nacl.signing import SigningKey, VerifyKey

from uei.trust.der import DerError, read_pkcs8, read_spki, write_spki
from uei.trust.encoding import b64decode, b64encode
from uei.trust.errors import KeyFormatError

__all__ = [
    "KeySet",
    "der_form",
    "encode_key",
    "encode_spki",
    "generate_key_set",
    "load_encryption_private_key",
    "load_encryption_public_key",
    "load_signing_key",
    "load_verify_key",
]

_Curve = Literal["Ed25519", "X25519"]


def _from_der(
    reader: Callable[[bytes], tuple[str, bytes]],
    der: bytes,
    curve: _Curve,
    what: str,
    expected: str,
) -> bytes:
    form = expected.rsplit(" or ", 1)[-1]
    try:
        found, raw = reader(der)
    except DerError as exc:
        raise KeyFormatError(f"{what} is {len(der)} bytes: expected {expected} ({exc})") from None
    if found != curve:
        raise KeyFormatError(f"{what} is an {found} key in {form}, not an {curve} key")
    return raw


def _decode(text: str | bytes, what: str) -> bytes:
    """Raw bytes from base64 text, or from PEM text (the DER inside)."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    text = text.strip()
    if text.startswith("-----BEGIN"):
        body = [line for line in text.splitlines() if line and not line.startswith("-----")]
        text = "".join(body)
    if not text:
        raise KeyFormatError(f"{what} is empty")
    try:
        return b64decode(text, what)
    except ValueError as exc:
        raise KeyFormatError(str(exc)) from None


def _private_seed(text: str | bytes, curve: _Curve, what: str) -> bytes:
    raw = _decode(text, what)
    if len(raw) == 32:
        return raw
    if len(raw) == 64 and curve == "Ed25519":
        seed, public = raw[:32], raw[32:]
        if bytes(SigningKey(seed).verify_key) != public:
            raise KeyFormatError(f"{what}: the 64-byte key's public half does not match its seed")
        return seed
    seeds = "a 32-byte seed, a 64-byte libsodium key" if curve == "Ed25519" else "a 32-byte key"
    return _from_der(read_pkcs8, raw, curve, what, f"{seeds} or PKCS#8 DER")


def _public_raw(text: str | bytes, curve: _Curve, what: str) -> bytes:
    raw = _decode(text, what)
    if len(raw) == 32:
        return raw
    return _from_der(read_spki, raw, curve, what, "32 raw bytes or SPKI DER")


def load_signing_key(text: str | bytes, what: str = "signing private key") -> SigningKey:
    return SigningKey(_private_seed(text, "Ed25519", what))


def load_verify_key(text: str | bytes, what: str = "signing public key") -> VerifyKey:
    return VerifyKey(_public_raw(text, "Ed25519", what))


def load_encryption_private_key(
    text: str | bytes, what: str = "encryption private key"
) -> PrivateKey:
    return PrivateKey(_private_seed(text, "X25519", what))


def load_encryption_public_key(text: str | bytes, what: str = "encryption public key") -> PublicKey:
    return PublicKey(_public_raw(text, "X25519", what))


def encode_key(key: SigningKey | VerifyKey | PrivateKey | PublicKey) -> str:
    """Raw base64: the 32-byte seed for private keys, the 32-byte point for public keys."""
    return b64encode(bytes(key))


def encode_spki(key: VerifyKey | PublicKey) -> str:
    """Base64 SPKI DER of a public key: the form ONDC's registry publishes and its utilities
    load (``load_der_public_key(b64decode(key))``)."""
    curve: _Curve = "Ed25519" if isinstance(key, VerifyKey) else "X25519"
    return b64encode(write_spki(curve, bytes(key)))


def der_form(text: str, what: str = "encryption public key") -> str:
    """An X25519 public key given in either form (raw or SPKI, base64 or PEM) as base64 SPKI
    DER: the same key, ONDC's spelling."""
    return encode_spki(load_encryption_public_key(text, what))


@dataclass(frozen=True, slots=True)
class KeySet:
    """A participant's signing and encryption key pairs and the id it publishes them under."""

    unique_key_id: str
    signing_key: SigningKey
    encryption_key: PrivateKey

    @property
    def verify_key(self) -> VerifyKey:
        return self.signing_key.verify_key

    @property
    def encryption_public_key(self) -> PublicKey:
        return self.encryption_key.public_key

    def as_json_fields(self) -> dict[str, str]:
        """The fields ``uei keys generate`` prints, all raw base64."""
        return {
            "unique_key_id": self.unique_key_id,
            "signing_public_key": encode_key(self.verify_key),
            "signing_private_key": encode_key(self.signing_key),
            "encr_public_key": encode_key(self.encryption_public_key),
            "encr_private_key": encode_key(self.encryption_key),
        }


def generate_key_set(unique_key_id: str | None = None) -> KeySet:
    """Fresh key pairs. The key id defaults to a random UUID-shaped string."""
    return KeySet(unique_key_id or str(uuid.uuid4()), SigningKey.generate(), PrivateKey.generate())
