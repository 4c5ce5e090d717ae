"""The 401 answer for a refused signature: challenge header and NACK body, framework-free."""

from __future__ import annotations

from dataclasses import dataclass, field

from uei.trust.envelope import ErrorCode, nack_body
from uei.trust.errors import Expired, NotYetValid, SignatureError
from uei.trust.header import SIGNED_HEADERS

__all__ = ["GATEWAY_HEADER", "Unauthorized", "unauthorized"]

GATEWAY_HEADER = "X-Gateway-Authorization"


@dataclass(frozen=True, slots=True)
class Unauthorized:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 401


def unauthorized(
    error: SignatureError, *, realm: str, header_name: str = "Authorization"
) -> Unauthorized:
    """``WWW-Authenticate`` for ``Authorization``, ``Proxy-Authenticate`` for the gateway header."""
    challenge = f'Signature realm="{realm}",headers="{SIGNED_HEADERS}"'
    gateway = header_name.lower() == GATEWAY_HEADER.lower()
    code = (
        ErrorCode.STALE_REQUEST
        if isinstance(error, Expired | NotYetValid)
        else ErrorCode.INVALID_SIGNATURE
    )
    return Unauthorized(
        body=nack_body(code, str(error), header_name),
        headers={"Proxy-Authenticate" if gateway else "WWW-Authenticate": challenge},
    )
