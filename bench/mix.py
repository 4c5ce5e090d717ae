"""The load's request mix: the kinds of call, their shares, and the answers each may give."""

from __future__ import annotations

from typing import Final

GET_KEY: Final = "GET /lookup/{id}/{kid}"
POST_LOOKUP: Final = "POST /lookup"
QUOTA: Final = "POST /abuse/quota/check"
STATUS: Final = "POST /abuse/status"
REPORT: Final = "POST /abuse/defaulters/report"
KINDS: Final = (GET_KEY, POST_LOOKUP, QUOTA, STATUS, REPORT)
SIGNED: Final = frozenset({QUOTA, STATUS, REPORT})
MIX: Final = {GET_KEY: 70.0, POST_LOOKUP: 10.0, QUOTA: 10.0, STATUS: 7.0, REPORT: 3.0}
OK: Final = {
    GET_KEY: frozenset({200}),
    POST_LOOKUP: frozenset({200}),
    QUOTA: frozenset({200}),
    STATUS: frozenset({200}),
    REPORT: frozenset({200, 201}),
}
REFUSED: Final = {QUOTA: frozenset({429}), STATUS: frozenset({429})}
"""Refusals the API promises under its quotas: counted apart, not as errors."""

DOMAIN = "ev-charging:uei"
PEOPLE = 5000
"""Users the CPOs ask about and report; a tenth of them are reported (defaulters)."""
TIMEOUT = 10.0
"""Seconds a request may take before it counts as an error (timeout)."""
