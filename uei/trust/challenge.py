"""The on_subscribe challenge and site-verification crypto, both directions.

challenge = base64(AES-256-ECB/PKCS#7(otp, key = raw X25519 shared secret)), no KDF: the
scheme beckn-registry and ONDC deploy. Site verification: Ed25519 over the raw request id.
The Beckn protocol server answers a challenge with base64 of libsodium ``crypto_sign`` output
(64-byte signature, then the challenge string as sent) instead of decrypting it.
"""

from __future__ import annotations

import hmac
import secrets

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from nacl.bindings import crypto_scalarmult
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, PublicKey
from nacl.signing import SigningKey, VerifyKey

from uei.trust.encoding import b64decode, b64encode
from uei.trust.errors import ChallengeError

__all__ = [
    "decrypt_challenge",
    "encrypt_challenge",
    "new_otp",
    "shared_secret",
    "sign_site_verification",
    "verify_signed_answer",
    "verify_site_verification",
]

_BLOCK_BITS = 128


def shared_secret(private: PrivateKey, peer: PublicKey) -> bytes:
    """The raw 32-byte X25519 shared secret (no hashing), used directly as the AES-256 key."""
    try:
        secret: bytes = crypto_scalarmult(bytes(private), bytes(peer))
    except CryptoError:  # libsodium refuses an all-zero result
        secret = bytes(32)
    if not any(secret):
        raise ChallengeError("the peer's encryption key is a low-order point (shared secret is 0)")
    return secret


def _cipher(private: PrivateKey, peer: PublicKey) -> Cipher[modes.ECB]:
    return Cipher(algorithms.AES(shared_secret(private, peer)), modes.ECB())  # noqa: S305


def encrypt_challenge(plaintext: str, private: PrivateKey, peer: PublicKey) -> str:
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    padded = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = _cipher(private, peer).encryptor()
    return b64encode(encryptor.update(padded) + encryptor.finalize())


def decrypt_challenge(ciphertext: str, private: PrivateKey, peer: PublicKey) -> str:
    try:
        raw = b64decode(ciphertext, "challenge")
    except ValueError as exc:
        raise ChallengeError(str(exc)) from None
    if not raw or len(raw) % (_BLOCK_BITS // 8):
        raise ChallengeError(f"challenge is {len(raw)} bytes, not a whole number of AES blocks")
    decryptor = _cipher(private, peer).decryptor()
    unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
    try:
        padded = decryptor.update(raw) + decryptor.finalize()
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode()
    except (ValueError, UnicodeDecodeError):
        raise ChallengeError(
            "challenge does not decrypt with these keys (bad PKCS#7 padding or not UTF-8)"
        ) from None


def new_otp() -> str:
    """A fresh random challenge plaintext (128 bits, URL-safe text)."""
    return secrets.token_urlsafe(16)


def sign_site_verification(request_id: str, key: SigningKey) -> str:
    """Ed25519 over the raw request id string, no hashing: ONDC's ``ondc-site-verification``."""
    return b64encode(key.sign(request_id.encode()).signature)


def verify_site_verification(request_id: str, signature: str, key: VerifyKey) -> None:
    try:
        key.verify(request_id.encode(), b64decode(signature, "site verification signature"))
    except (BadSignatureError, ValueError):
        raise ChallengeError(
            "the site verification signature does not verify over the request id"
        ) from None


def verify_signed_answer(answer: str, challenge: str, key: VerifyKey) -> None:
    """Check a protocol-server style answer: base64(signature || challenge as sent)."""
    try:
        signed = b64decode(answer, "answer")
        message = key.verify(signed)
    except (BadSignatureError, ValueError):
        raise ChallengeError(
            "the answer is not the challenge signed with the subscriber's signing key"
        ) from None
    if not hmac.compare_digest(message, challenge.encode()):
        raise ChallengeError("the answer signs a different string than the challenge sent")
