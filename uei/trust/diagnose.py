"""Explain a signature that does not verify: did the sender hash other bytes than it sent?

The most common interop failure on Beckn networks is a sender that signs one serialization of
its JSON and transmits another (pretty-printed, minified, different escaping). Given the bytes
received, try the usual re-serializations and report the one the signature holds over.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from uei.trust.digest import body_digest
from uei.trust.encoding import b64decode
from uei.trust.header import SignatureParams
from uei.trust.signing import signing_string

__all__ = ["explain_mismatch"]

_FORMS: list[tuple[str, Callable[[Any], str]]] = [
    ("minified", lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False)),
    ("minified, non-ASCII escaped", lambda o: json.dumps(o, separators=(",", ":"))),
    ("with spaces after , and :", lambda o: json.dumps(o, ensure_ascii=False)),
    ("pretty-printed, 2-space indent", lambda o: json.dumps(o, indent=2, ensure_ascii=False)),
    ("pretty-printed, 4-space indent", lambda o: json.dumps(o, indent=4, ensure_ascii=False)),
    ("minified, keys sorted", lambda o: json.dumps(o, separators=(",", ":"), sort_keys=True)),
]


def _candidates(body: bytes) -> Iterator[tuple[str, bytes]]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # not JSON, or nested too deeply
        return
    stripped = body.strip()
    if stripped != body:
        yield "without surrounding whitespace", stripped
    for name, dump in _FORMS:
        form = dump(document).encode()
        if form != body:
            yield name, form
            yield f"{name}, with a trailing newline", form + b"\n"


def explain_mismatch(body: bytes, params: SignatureParams, key: VerifyKey) -> str | None:
    """A sentence naming the serialization the signature was made over, or None if none is."""
    try:
        signature = b64decode(params.signature, "signature")
    except ValueError:
        return None
    for name, form in _candidates(body):
        digest = body_digest(form)
        try:
            key.verify(signing_string(params.created, params.expires, digest), signature)
        except BadSignatureError:
            continue
        return (
            f"the signature verifies over the same JSON re-serialized {name} "
            f"(BLAKE-512={digest}), not over the bytes sent "
            f"(BLAKE-512={body_digest(body)}): the sender hashed different bytes than it sent"
        )
    return None
