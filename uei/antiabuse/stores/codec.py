"""How the stores write cases, audit entries and event kinds (every backend the same bytes)."""

from __future__ import annotations

import msgspec

from uei.antiabuse.defaulters.ledger import AuditEntry, Case
from uei.antiabuse.scraping.events import Event, Search

__all__ = ["decode_audit", "decode_case", "encode", "event_kind"]

_case_decoder = msgspec.json.Decoder(Case)
_audit_decoder = msgspec.json.Decoder(AuditEntry)
_encoder = msgspec.json.Encoder()


def encode(value: Case | AuditEntry) -> bytes:
    return _encoder.encode(value)


def decode_case(data: bytes | str) -> Case:
    return _case_decoder.decode(data)


def decode_audit(data: bytes | str) -> AuditEntry:
    return _audit_decoder.decode(data)


def event_kind(event: Event) -> str:
    """The kind an event is deduplicated under: ``search``, or its funnel step."""
    return "search" if isinstance(event, Search) else event.kind.value
