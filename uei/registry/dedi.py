"""The registry as a DeDi directory (Beckn v2): records, their states and digests. Pure data.

A DeDi record here is one key of one subscriber: ``record_id`` is the key's
``unique_key_id`` (unique in the registry: subscribe refuses a key id another subscriber
holds) and ``record_name`` the subscriber's id. ``details`` carries what beckn-onix's
``dediregistry`` plugin reads (``url, type, domain, subscriber_id, signing_public_key,
encr_public_key``, keys raw base64) and the rest of the key's Beckn record.

The digest, which anyone can recompute from the answer alone::

    digest = hex(BLAKE2b-256(UTF-8(JCS(details))))

JCS is RFC 8785 (JSON Canonicalization Scheme): members sorted by their names' UTF-16 code
units, no whitespace, strings escaped as ECMAScript's JSON.stringify does (only ``"``, ``\\``
and control characters; ``\\b \\f \\n \\r \\t`` short, others ``\\u00xx`` lower-case hex; all
else, non-ASCII included, as UTF-8), numbers in ECMAScript's shortest form. BLAKE2b with a
32-byte digest (``hashlib.blake2b(data, digest_size=32)``, Go's ``blake2b.Sum256``), hex in
lower case.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from enum import StrEnum

import msgspec

from uei.registry.model import Key, KeyState, Status, Subscriber
from uei.registry.records import iso

__all__ = [
    "WILDCARD",
    "DediRecord",
    "Details",
    "RecordState",
    "digest",
    "jcs",
    "newest_record",
    "records",
    "state_of",
    "to_record",
]

WILDCARD = "subscribers.beckn.one"
"""beckn-onix's registry name for "any registry", in
``/lookup/{subscriber_id}/{WILDCARD}/{key_id}``."""


class RecordState(StrEnum):
    """DeDi's record states, and what of a key and its subscriber each stands for."""

    DRAFT = "draft"
    """Not valid yet: the key waits for its challenge or its valid_from, or the subscriber for
    its subscription (INITIATED, UNDER_SUBSCRIPTION)."""
    LIVE = "live"
    """A valid key of a SUBSCRIBED subscriber: the only state a lookup answers 200 for."""
    SUSPENDED = "suspended"
    """The subscriber is SUSPENDED (or INVALID_SSL): the key is not to be trusted now."""
    REVOKED = "revoked"
    """The key, or its subscriber, is REVOKED: for good."""
    EXPIRED = "expired"
    """The key is past valid_until, or the subscriber EXPIRED or UNSUBSCRIBED."""


_SUSPENDED = frozenset({Status.SUSPENDED, Status.INVALID_SSL})
_EXPIRED = frozenset({Status.EXPIRED, Status.UNSUBSCRIBED})


def state_of(sub: Subscriber, key: Key, now: float) -> RecordState:
    if key.state is KeyState.REVOKED or sub.status is Status.REVOKED:
        return RecordState.REVOKED
    if sub.status in _SUSPENDED:
        return RecordState.SUSPENDED
    if sub.status in _EXPIRED or (key.state is KeyState.VALID and now > key.valid_until):
        return RecordState.EXPIRED
    if sub.status is not Status.SUBSCRIBED or not key.usable_at(now) or not sub.roles:
        return RecordState.DRAFT
    return RecordState.LIVE


class Details(msgspec.Struct, frozen=True):
    subscriber_id: str
    url: str
    type: str
    domain: str
    city: str
    country: str
    unique_key_id: str
    signing_public_key: str
    """Ed25519, raw 32 bytes, base64 (beckn-onix passes it to ``ed25519.Verify`` as is)."""
    encr_public_key: str
    """X25519, raw 32 bytes, base64."""
    valid_from: str
    valid_until: str
    status: str
    """The subscriber's Beckn status."""


class DediRecord(msgspec.Struct, frozen=True):
    """A record as DeDi's ``Record`` names its fields, with what beckn-onix reads."""

    record_id: str
    record_name: str
    namespace: str
    namespace_id: str
    registry_name: str
    registry_id: str
    details: Details
    digest: str
    state: RecordState
    is_revoked: bool
    network_memberships: list[str]
    valid_till: str
    created_at: str
    updated_at: str
    ttl: int
    """Seconds a client may cache this record: a JSON number (beckn-onix ignores a string)."""


_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')
"""Strings JCS writes as they are, between quotes (the common case, checked in one match)."""


def _escape(text: str) -> str:
    if _PLAIN.fullmatch(text):
        return '"' + text + '"'
    out = []
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20:
            out.append(_SHORT.get(ch) or f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


_SHORT = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _number(value: float) -> str:
    """ECMAScript's Number::toString, which RFC 8785 prescribes (its section 3.2.2.3):
    Python's ``repr`` gives the same shortest round-tripping digits, laid out here as
    ECMAScript lays them out."""
    if not math.isfinite(value):
        raise ValueError("JCS has no form for NaN or infinity")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    exact = Decimal(repr(abs(value))).normalize()
    _, digit_tuple, exponent = exact.as_tuple()
    assert isinstance(exponent, int)
    s = "".join(map(str, digit_tuple))
    k = len(s)
    n = k + exponent  # value = 0.s x 10^n
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + s
    e = n - 1
    tail = ("." + s[1:]) if k > 1 else ""
    return f"{sign}{s[0]}{tail}e{'+' if e >= 0 else '-'}{abs(e)}"


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be")


def jcs(value: object) -> str:
    """RFC 8785 canonical JSON of ``value`` (dicts with str keys, lists, str, int, float,
    bool, None; msgspec structs as their JSON objects)."""
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    return "".join(_jcs(value))


def _jcs(value: object) -> Iterator[str]:
    if value is None:
        yield "null"
    elif value is True:
        yield "true"
    elif value is False:
        yield "false"
    elif isinstance(value, str):
        yield _escape(value)
    elif isinstance(value, int):
        if abs(value) > 2**53:
            raise ValueError("JCS numbers are IEEE 754 doubles: this integer has no exact form")
        yield str(value)
    elif isinstance(value, float):
        yield _number(value)
    elif isinstance(value, list | tuple):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from _jcs(item)
        yield "]"
    elif isinstance(value, dict):
        yield "{"
        for i, name in enumerate(sorted(value, key=_utf16_key)):
            if not isinstance(name, str):
                raise TypeError("JSON object member names are strings")
            if i:
                yield ","
            yield _escape(name)
            yield ":"
            yield from _jcs(value[name])
        yield "}"
    else:
        raise TypeError(f"no JSON form for {type(value).__name__}")


def digest(details: object) -> str:
    """hex(BLAKE2b-256(UTF-8(JCS(details)))): see the module's docstring."""
    if isinstance(details, Details):
        return _details_digest(details)
    return hashlib.blake2b(jcs(details).encode(), digest_size=32).hexdigest()


@functools.lru_cache(maxsize=65_536)
def _details_digest(details: Details) -> str:
    """A record's digest, kept for the same details (a frozen struct: its value is its key),
    so the lookup path canonicalises each record once."""
    return hashlib.blake2b(jcs(details).encode(), digest_size=32).hexdigest()


def to_record(
    sub: Subscriber, key: Key, now: float, memberships: list[str], ttl: int
) -> DediRecord:
    """The DeDi record of ``key`` of ``sub``, under the first network membership's registry."""
    namespace, registry = memberships[0].split("/", 1)
    role = sub.roles[0] if sub.roles else (sub.pending_roles[0] if sub.pending_roles else None)
    details = Details(
        subscriber_id=sub.subscriber_id,
        url=sub.subscriber_url,
        type=role.type.value if role else "",
        domain=role.domain if role else "",
        city=role.city if role else "",
        country=role.country if role else "",
        unique_key_id=key.unique_key_id,
        signing_public_key=key.signing_public_key,
        encr_public_key=key.encr_public_key,
        valid_from=iso(key.valid_from),
        valid_until=iso(key.valid_until),
        status=sub.status.value,
    )
    state = state_of(sub, key, now)
    return DediRecord(
        record_id=key.unique_key_id,
        record_name=sub.subscriber_id,
        namespace=namespace,
        namespace_id=namespace,
        registry_name=registry,
        registry_id=memberships[0],
        details=details,
        digest=digest(details),
        state=state,
        is_revoked=state is RecordState.REVOKED,
        network_memberships=list(memberships),
        valid_till=iso(key.valid_until),
        created_at=iso(min(sub.created, key.created)),
        updated_at=iso(max(sub.updated, key.updated)),
        ttl=ttl,
    )


def _newest_first(keys: Iterable[Key]) -> list[Key]:
    return sorted(keys, key=lambda k: (k.valid_from, k.created, k.unique_key_id), reverse=True)


def newest_record(sub: Subscriber, now: float) -> Key | None:
    """The key a lookup by subscriber (``record_name``) answers with: its newest live key,
    else its newest key of any state (so that a revoked or suspended subscriber is 410, not
    404); None when it has no key."""
    keys = _newest_first(sub.keys)
    for key in keys:
        if state_of(sub, key, now) is RecordState.LIVE:
            return key
    return keys[0] if keys else None


def records(
    subscribers: Iterable[Subscriber], now: float, state: RecordState | None
) -> Iterator[tuple[Subscriber, Key]]:
    """Every (subscriber, key) in ``state`` (any when None): subscribers by id, each one's keys
    newest first."""
    for sub in sorted(subscribers, key=lambda s: s.subscriber_id):
        for key in _newest_first(sub.keys):
            if state is None or state_of(sub, key, now) is state:
                yield sub, key
