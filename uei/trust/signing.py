"""Sign and verify Beckn bodies (requests and registry responses alike), BECKN-006 as deployed.

``signing = "(created): C\\n(expires): E\\ndigest: BLAKE-512=" + base64(BLAKE2b-512(body))``,
signed with Ed25519. Everything here is pure: the caller passes the time in.
"""

from __future__ import annotations

import hmac

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from uei.trust.digest import body_digest
from uei.trust.encoding import b64decode, b64encode
from uei.trust.errors import DigestMismatch, Expired, NotYetValid, SignatureMismatch
from uei.trust.header import SignatureParams, build_header

__all__ = [
    "DEFAULT_MAX_SKEW",
    "DEFAULT_TTL",
    "check_times",
    "sign",
    "sign_header",
    "signing_string",
    "verify",
]

DEFAULT_MAX_SKEW = 5.0
"""Seconds a ``created`` may lie in the future (clocks drift)."""

DEFAULT_TTL = 3600
"""Seconds from ``created`` to ``expires`` when the signer does not say (as ONDC's utility)."""


def signing_string(created: int, expires: int, digest: str) -> bytes:
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}".encode()


def sign(
    body: bytes,
    key: SigningKey,
    *,
    subscriber_id: str,
    unique_key_id: str,
    created: int,
    expires: int | None = None,
) -> SignatureParams:
    """Sign ``body`` exactly as given. ``expires`` defaults to ``created + DEFAULT_TTL``."""
    if expires is None:
        expires = created + DEFAULT_TTL
    message = signing_string(created, expires, body_digest(body))
    return SignatureParams(
        subscriber_id=subscriber_id,
        unique_key_id=unique_key_id,
        created=created,
        expires=expires,
        signature=b64encode(key.sign(message).signature),
    )


def sign_header(
    body: bytes,
    key: SigningKey,
    *,
    subscriber_id: str,
    unique_key_id: str,
    created: int,
    expires: int | None = None,
) -> str:
    """``sign`` then ``build_header``: the value for ``Authorization`` (or the response header)."""
    return build_header(
        sign(
            body,
            key,
            subscriber_id=subscriber_id,
            unique_key_id=unique_key_id,
            created=created,
            expires=expires,
        )
    )


def check_times(params: SignatureParams, *, now: float, max_skew: float = DEFAULT_MAX_SKEW) -> None:
    """Raise ``NotYetValid`` or ``Expired`` when ``now`` is outside the signature's window."""
    if params.created > now + max_skew:
        raise NotYetValid(
            f"created={params.created} is {params.created - now:.0f} s ahead of now "
            f"({now:.0f}); at most {max_skew:g} s of clock skew is accepted"
        )
    if now > params.expires:
        raise Expired(f"expires={params.expires} passed {now - params.expires:.0f} s ago")


def verify(
    body: bytes,
    params: SignatureParams,
    key: VerifyKey,
    *,
    now: float,
    max_skew: float = DEFAULT_MAX_SKEW,
    claimed_digest: str | None = None,
) -> None:
    """Check the time window, then the signature over the exact ``body`` bytes.

    ``claimed_digest`` is the sender's own ``Digest: BLAKE-512=...`` value when it sent one;
    a disagreement with the body is then reported as ``DigestMismatch``.
    Raises a ``SignatureError`` subclass; returns nothing when the signature holds.
    """
    check_times(params, now=now, max_skew=max_skew)
    digest = body_digest(body)
    if claimed_digest is not None and not hmac.compare_digest(claimed_digest, digest):
        raise DigestMismatch(
            f"the Digest header says BLAKE-512={claimed_digest} but the body received hashes "
            f"to BLAKE-512={digest}"
        )
    message = signing_string(params.created, params.expires, digest)
    try:
        key.verify(message, b64decode(params.signature, "signature"))
    except (BadSignatureError, ValueError):
        raise SignatureMismatch(
            f"the signature does not verify with key {params.key_id} over a body whose "
            f"BLAKE-512 digest is {digest}"
        ) from None
