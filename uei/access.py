"""Who may call a route: what each route declares in Litestar's per-route ``opt``.

Every route handler says ``opt={"caller": Caller.X}``, and ``"once": True`` when it changes
state or spends quota (a replayed signature is then refused). ``uei/app/guard.py`` reads the
declaration, verifies the signature once and puts the verified caller on ``request.state``;
``tests/test_authorization.py`` checks its table against the same declarations. Imports
nothing of the project, so both domains declare their routes with it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CALLER", "CSRF", "IN_STORE", "ONCE", "PENDING_KEYS", "Caller"]


class Caller(StrEnum):
    PUBLIC = "public"
    """Anyone, unsigned."""
    OPERATOR = "operator"
    """An operator key in ``UEI_OPERATORS``."""
    SUBSCRIBER = "subscriber"
    """Any SUBSCRIBED participant."""
    SUBSCRIBER_SELF = "subscriber-self"
    """The subscriber named in the path (any status but REVOKED), or an operator."""
    REGISTRANT = "registrant"
    """The signer itself, of its own registration (``/subscribe``: the key comes from the
    body for a newcomer)."""
    CPO = "cpo"
    """A SUBSCRIBED BPP the policy admits to the non-payer API (``defaulters.access``)."""
    RELAY = "relay"
    """A SUBSCRIBED BG, or a SUBSCRIBED BPP forwarding the BAP's signed request."""
    READER = "reader"
    """An operator or any SUBSCRIBED participant; the handler limits a participant to its own."""
    OPERATOR_SESSION = "operator-session"
    """An operator signed in to the dashboard (a session cookie from a sign-in link, for an
    operator key still in ``UEI_OPERATORS``); no signature. Its actions also say ``CSRF``."""


CALLER = "caller"
"""The ``opt`` key naming the route's ``Caller``."""
ONCE = "once"
"""The ``opt`` key saying the route refuses a replayed signature (default: it does not)."""
IN_STORE = "in-store"
"""``ONCE``'s value for a route that refuses the replay itself, in the same store step that
spends (the quota check's one script): the guard verifies, leaves a ``PendingReplay`` on
``request.state.replay`` and marks nothing; the handler must hand it to that step."""
CSRF = "csrf"
"""The ``opt`` key saying an ``OPERATOR_SESSION`` route is an action: the form must carry the
session's CSRF token (and ``Origin`` / ``Sec-Fetch-Site``, when sent, must be the service's)."""
PENDING_KEYS = "pending_keys"
"""The ``opt`` key letting ``SUBSCRIBER_SELF`` sign with a key still being challenged."""
