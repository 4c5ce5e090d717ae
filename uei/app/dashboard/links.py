"""Sign-in links for the dashboard: a short-lived, single-use token signed with an operator key.

``token = base64url(claims JSON) "." base64url(Ed25519 signature)``, the signature over
``b"uei-dashboard-link\\n" + claims JSON`` (the prefix keeps a link's signature from being any
other message's). The claims name the operator, its key id, the expiry and a random nonce; the
service refuses a token whose key is not an operator key it loaded, whose expiry has passed or
lies further ahead than ``MAX_TTL``, or whose nonce it has seen (``uei/app/dashboard/signin.py``).
No I/O here: ``uei admin dashboard-link`` makes tokens, the sign-in route reads them.
"""

from __future__ import annotations

import base64
import binascii
import secrets

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

__all__ = ["MAX_TTL", "Claims", "LinkError", "make_token", "read_token", "verify_token"]

MAX_TTL = 3600
"""The longest a link may live (seconds): a link is for opening now, not for keeping."""
_CONTEXT = b"uei-dashboard-link\n"


class Claims(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    operator_id: str
    key_id: str
    expires: int
    nonce: str


class LinkError(ValueError):
    """The link cannot sign anyone in; the message says why (shown on the sign-in page)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(signing_key: SigningKey, operator_id: str, key_id: str, now: float, ttl: int) -> str:
    if not 0 < ttl <= MAX_TTL:
        raise LinkError(f"a link lives 1 to {MAX_TTL} seconds, not {ttl}")
    claims = msgspec.json.encode(
        Claims(operator_id, key_id, int(now) + ttl, secrets.token_urlsafe(16))
    )
    signature = signing_key.sign(_CONTEXT + claims).signature
    return f"{_b64(claims)}.{_b64(signature)}"


def read_token(token: str) -> tuple[Claims, bytes, bytes]:
    """(claims, the claims' bytes, the signature), not yet verified."""
    try:
        head, _, tail = token.partition(".")
        raw, signature = _unb64(head), _unb64(tail)
        claims = msgspec.json.decode(raw, type=Claims)
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise LinkError(f"the link is malformed: {exc}") from None
    if len(signature) != 64:
        raise LinkError("the link is malformed: its signature is not 64 bytes")
    return claims, raw, signature


def verify_token(raw: bytes, signature: bytes, key: VerifyKey, claims: Claims, now: float) -> None:
    """Raise ``LinkError`` unless ``key`` signed the claims and they are within their time."""
    try:
        key.verify(_CONTEXT + raw, signature)
    except BadSignatureError:
        raise LinkError("the link's signature does not verify with that operator key") from None
    if claims.expires <= now:
        raise LinkError("the link has expired: make a new one with `uei admin dashboard-link`")
    if claims.expires > now + MAX_TTL:
        raise LinkError(f"the link claims to live longer than {MAX_TTL} s; make a new one")
