"""A BAP's own Beckn requests as it signs them, and the ``bap_request`` a relay forwards.

The search is the UEI EV-charging guide's (beckn/missions ``UEI/implementation_guide_charging.md``,
"search"): the centre and radius in ``message.intent.fulfillment.stops[0].location.circle``,
``radius.value`` a string with its ``unit``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from uei.trust import KeySet, sign_header

__all__ = ["forwarded", "request_body", "search_body"]


def request_body(
    bap_id: str,
    message_id: str,
    action: str = "search",
    *,
    bpp_id: str | None = None,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "domain": "ev-charging:uei",
        "action": action,
        "version": "1.1.0",
        "bap_id": bap_id,
        "bap_uri": f"https://{bap_id}/beckn",
        "transaction_id": f"t-{message_id}",
        "message_id": message_id,
        "timestamp": "2026-01-05T09:21:12.618Z",
        "ttl": "PT10M",
    }
    if bpp_id is not None:
        context |= {"bpp_id": bpp_id, "bpp_uri": f"https://{bpp_id}/beckn"}
    return {"context": context, "message": message or {}}


def search_body(
    bap_id: str,
    message_id: str,
    *,
    gps: str | None = "12.971600,77.594600",
    radius: tuple[str | float, str] = ("5", "km"),
    bpp_id: str | None = None,
) -> dict[str, Any]:
    """A UEI search for chargers around ``gps`` (none: a search by connector type only)."""
    fulfillment: dict[str, Any] = {
        "tags": [{"list": [{"descriptor": {"code": "connector-type"}, "value": "CCS2"}]}]
    }
    if gps is not None:
        value, unit = radius
        circle = {"gps": gps, "radius": {"type": "CONSTANT", "value": value, "unit": unit}}
        fulfillment["stops"] = [{"location": {"circle": circle}}]
    intent = {"descriptor": {"name": "chargers near me"}, "fulfillment": fulfillment}
    return request_body(bap_id, message_id, bpp_id=bpp_id, message={"intent": intent})


def forwarded(
    body: dict[str, Any] | bytes,
    keys: KeySet,
    signer: str,
    created: float,
    *,
    expires: int | None = None,
) -> dict[str, str]:
    """``bap_request``: the BAP's Authorization header over the exact bytes, and the bytes."""
    raw = body if isinstance(body, bytes) else json.dumps(body, indent=1).encode()
    header = sign_header(
        raw,
        keys.signing_key,
        subscriber_id=signer,
        unique_key_id=keys.unique_key_id,
        created=int(created),
        expires=expires,
    )
    return {"authorization": header, "body": base64.b64encode(raw).decode()}
