"""Realistic examples for the request bodies, shown by the API documents (and sent as written by
``tests/test_docs_offline.py``, so none can drift from what the service accepts). Keyed by
the body's schema name in the OpenAPI document."""

from __future__ import annotations

from typing import Any

__all__ = ["EXAMPLES"]

_WHEN = "2026-12-01T18:42:00+05:30"
_PERSON = [
    {"kind": "phone", "value": "+91 98765 43210"},
    {"kind": "upi_vpa", "value": "ravi.kumar@okaxis"},
]

EXAMPLES: dict[str, dict[str, Any]] = {
    "LookupBody": {"subscriber_id": "cpo.example.in", "type": "BPP", "domain": "ev-charging:uei"},
    "SubscribeBody": {
        "subscriber_id": "cpo.example.in",
        "subscriber_url": "https://cpo.example.in/beckn",
        "type": "BPP",
        "domain": "ev-charging:uei",
        "city": "std:080",
        "country": "IND",
        "unique_key_id": "k-2026-12",
        "signing_public_key": "Fhjwaka1Za+ld+7Nms7S0C675r24mZoyWVn8JbYTjSs=",
        "encr_public_key": "3vx7ZnJqDA+3Q4nNwIcZC8qJ6J/KGjUnYIbgf3c3jmk=",
        "valid_from": "2026-12-01T00:00:00Z",
        "valid_until": "2027-12-01T00:00:00Z",
    },
    "StatusBody": {"purpose": "postpaid_session", "identifiers": _PERSON},
    "ReportBody": {
        "session_ref": "sess-2026-12-01-00042",
        "amount": {"value": "412.50", "currency": "INR"},
        "occurred_at": _WHEN,
        "identifiers": [*_PERSON, {"kind": "vin", "value": "MA3ERLF3S00123456"}],
    },
    "ObservationBody": {"observed_at": _WHEN, "context": "registration", "identifiers": _PERSON},
    "ActionBody": {"case_id": "c-3f9a1b", "request_id": "settle-2026-12-02-0001"},
    "DisputeBody": {
        "case_id": "c-3f9a1b",
        "request_id": "dispute-2026-12-02-0001",
        "identifiers": [_PERSON[1]],
    },
    "ResolveBody": {"case_id": "c-3f9a1b", "request_id": "resolve-0001", "outcome": "confirmed"},
    "CheckBody": {
        "bap_id": "app.example.in",
        "action": "search",
        "message_id": "6f1c2a52-0d7e-4d2b-9a55-3c1e2f0a7b10",
        "search": {"gps": "12.9716,77.5946", "radius_km": 5},
    },
    "EventsBody": {
        "events": [
            {
                "type": "search",
                "bap_id": "app.example.in",
                "message_id": "6f1c2a52-0d7e-4d2b-9a55-3c1e2f0a7b10",
                "at": _WHEN,
                "search": {"gps": "12.9716,77.5946", "radius_km": 5},
            },
            {
                "type": "select",
                "bap_id": "app.example.in",
                "message_id": "9b7e4c11-5a20-4f6e-8d3a-0e4b6c2d1f99",
                "at": "2026-12-01T18:43:10+05:30",
                "bpp_id": "cpo.example.in",
                "location_id": "blr-indiranagar-03",
            },
        ]
    },
}
