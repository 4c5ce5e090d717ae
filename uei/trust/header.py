"""The Beckn ``Authorization`` / ``X-Gateway-Authorization`` header: build it and parse it.

Built exactly as BECKN-006 prints it; parsed tolerantly, because deployed clients differ in
separators (``,`` or ``, ``), quoting of the numbers, and spacing inside ``headers``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from uei.trust.encoding import b64decode, b64encode
from uei.trust.errors import AlgorithmMismatch, MalformedHeader, UnknownAlgorithm

__all__ = [
    "ALGORITHM",
    "GATEWAY_HEADER",
    "SIGNED_HEADERS",
    "SignatureParams",
    "build_header",
    "parse_header",
]

ALGORITHM = "ed25519"
SIGNED_HEADERS = "(created) (expires) digest"
GATEWAY_HEADER = "X-Gateway-Authorization"
"""The header a gateway signs a forwarded request in (``Authorization`` is the sender's)."""
_SIGNED_TOKENS = ["(created)", "(expires)", "digest"]
_SIGNATURE_BYTES = 64
MAX_HEADER_LENGTH = 4096
"""A Beckn signature header is a few hundred characters; past this it is refused unread (and
never quoted back)."""

# name=value, value either quoted (no escapes in Beckn headers) or a bare token
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",\s]*))\s*(,|$)')
_HEADER_TOKEN = re.compile(r"\(created\)|\(expires\)|digest|\S")
_DIGITS = re.compile(r"[0-9]{1,15}")
# The canonical form build_header emits and spec-following signers send, read in one match.
# 86 base64 characters then "==" is exactly 64 bytes; the 86th must leave its 4 spare bits
# zero (one of A Q g w) so that only the canonical spelling of a signature takes this path.
_CANONICAL = re.compile(
    r'(?:Signature )?keyId="([^"|,]+)\|([^"|,]+)\|ed25519",algorithm="ed25519",'
    r'created="([0-9]{1,15})",expires="([0-9]{1,15})",'
    r'headers="\(created\) \(expires\) digest",'
    r'signature="([A-Za-z0-9+/]{85}[AQgw]==)"'
)


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """What a Beckn signature header says."""

    subscriber_id: str
    unique_key_id: str
    created: int
    expires: int
    signature: str
    algorithm: str = ALGORITHM
    headers: str = SIGNED_HEADERS

    @property
    def key_id(self) -> str:
        return f"{self.subscriber_id}|{self.unique_key_id}|{self.algorithm}"


def build_header(params: SignatureParams) -> str:
    """The header value in the byte-exact form that BECKN-006 and ONDC print."""
    return (
        f'Signature keyId="{params.key_id}",algorithm="{params.algorithm}",'
        f'created="{params.created}",expires="{params.expires}",'
        f'headers="{params.headers}",signature="{params.signature}"'
    )


def _split_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _PARAM.match(text, pos)
        if match is None or match.end() == pos:
            raise MalformedHeader(f"cannot read a name=value parameter at offset {pos}")
        name = match.group(1)
        if name in params:
            raise MalformedHeader(f"parameter {name} appears twice")
        params[name] = match.group(2) if match.group(2) is not None else match.group(3)
        pos = match.end()
        if match.group(4) == "" and pos < len(text):
            raise MalformedHeader(f"unexpected text at offset {pos}")
    return params


def _timestamp(params: dict[str, str], name: str) -> int:
    value = params.get(name)
    if value is None:
        raise MalformedHeader(f"{name} is missing")
    if not _DIGITS.fullmatch(value):
        raise MalformedHeader(f"{name} must be whole UNIX seconds, got {value!r}")
    return int(value)


def _signed_headers(value: str | None) -> str:
    if value is None:
        return SIGNED_HEADERS
    tokens = _HEADER_TOKEN.findall(value)
    if tokens != _SIGNED_TOKENS:
        raise MalformedHeader(f'headers must be "{SIGNED_HEADERS}", got {value!r}')
    return SIGNED_HEADERS


def parse_header(value: str) -> SignatureParams:
    """Read a signature header value (with or without the ``Signature`` scheme word).

    Raises ``MalformedHeader``, ``UnknownAlgorithm`` or ``AlgorithmMismatch`` naming the fault.
    """
    if len(value) > MAX_HEADER_LENGTH:
        raise MalformedHeader(
            f"the header is {len(value)} characters long; at most {MAX_HEADER_LENGTH}"
        )
    fast = _CANONICAL.fullmatch(value)
    if fast is not None:
        subscriber_id, unique_key_id, created_text, expires_text, canonical = fast.groups()
        created, expires = int(created_text), int(expires_text)
        if expires > created:
            return SignatureParams(subscriber_id, unique_key_id, created, expires, canonical)
    return _parse_tolerant(value)


def _parse_tolerant(value: str) -> SignatureParams:
    text = value.strip()
    if text[:10].lower() == "signature ":
        text = text[10:]
    if not text:
        raise MalformedHeader("the header is empty")
    params = _split_params(text)

    key_id = params.get("keyId")
    if not key_id:
        raise MalformedHeader("keyId is missing")
    parts = key_id.split("|")
    if len(parts) != 3 or not all(parts):
        raise MalformedHeader(
            f"keyId must be subscriber_id|unique_key_id|algorithm, got {key_id!r}"
        )
    subscriber_id, unique_key_id, key_algorithm = parts
    algorithm = params.get("algorithm", key_algorithm)
    if algorithm.lower() != ALGORITHM:
        raise UnknownAlgorithm(f"algorithm is {algorithm!r}; only {ALGORITHM} is accepted")
    if key_algorithm.lower() != algorithm.lower():
        raise AlgorithmMismatch(
            f"keyId names {key_algorithm!r} but the algorithm parameter is {algorithm!r}"
        )

    created = _timestamp(params, "created")
    expires = _timestamp(params, "expires")
    if expires <= created:
        raise MalformedHeader(f"expires ({expires}) is not after created ({created})")

    signature = params.get("signature")
    if not signature:
        raise MalformedHeader("signature is missing")
    try:
        raw = b64decode(signature, "signature")
    except ValueError as exc:
        raise MalformedHeader(str(exc)) from None
    if len(raw) != _SIGNATURE_BYTES:
        raise MalformedHeader(f"signature is {len(raw)} bytes, an ed25519 signature is 64")

    return SignatureParams(
        subscriber_id=subscriber_id,
        unique_key_id=unique_key_id,
        created=created,
        expires=expires,
        signature=b64encode(raw),  # canonical, so a replay cannot hide in re-encoding
        algorithm=ALGORITHM,
        headers=_signed_headers(params.get("headers")),
    )
