"""beckn-onix's ``dediregistry`` plugin, its request and parsing rules ported to Python.

Source: beckn/beckn-onix, ``pkg/plugin/implementation/dediregistry/dediregistry.go`` (read at
commit 9a8b49437aef1028de5f2e69c20d605202ac5c94, 2026-08-20) and its tests. The rules, as facts
(no Go code is copied):

- ``Lookup`` sends ``GET {url}/lookup/{subscriber_id}/subscribers.beckn.one/{key_id}``, no
  authentication, ids unescaped; ``LookupRegistry`` ``GET {url}/lookup/{namespace}/{registry}``;
  ``LookupNode`` ``GET {url}/lookup/{ns}/{registry}/{record}`` (each part path-escaped).
- Any status but exactly 200 is an error. The body must be JSON with an object ``data``.
- ``Lookup``: ``data.details`` an object; ``details.signing_public_key`` a non-empty string;
  ``url``, ``type``, ``domain``, ``subscriber_id``, ``encr_public_key`` read as strings when
  they are (else empty); ``data.network_memberships``: the strings of an array (others
  skipped); with ``allowedNetworkIDs`` configured, at least one must be listed (unless the
  subscriber is the shared catalog service); ``created_at`` / ``updated_at`` parsed as
  RFC 3339 (a zero time when absent or malformed); ``data.ttl`` used as the cache time only
  when it is a JSON number above 0 (Go's ``float64`` assertion: a string is ignored).
  ``is_revoked`` is never read: a 200 is trusted.
- The signing key goes to Go's ``ed25519.Verify`` after standard base64 decoding, which panics
  on a key that is not 32 bytes: the port makes that an error.
- ``LookupRegistry``: ``data.meta`` must be an object; only its string values are kept.
- ``LookupNode``: ``data.details`` an object (no signing key required), ``data.meta``
  optional (absent or null is empty).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

__all__ = [
    "DediClientError",
    "RegistryMetadata",
    "Subscription",
    "lookup",
    "lookup_node",
    "lookup_registry",
    "parse_lookup",
    "parse_node",
    "parse_registry",
]

WILDCARD = "subscribers.beckn.one"
DEFAULT_CACHE_SECONDS = 300.0
_CATALOG = frozenset({"staging.catalg.fabric.nfh.global", "fabric.nfh.global"})
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


class DediClientError(Exception):
    """What the plugin would return as an error (the request fails signature validation)."""


@dataclass
class Subscription:
    subscriber_id: str
    url: str
    type: str
    domain: str
    key_id: str
    signing_public_key: str
    encr_public_key: str
    created: datetime | None
    updated: datetime | None
    network_memberships: list[str] = field(default_factory=list)
    cache_seconds: float = DEFAULT_CACHE_SECONDS


@dataclass
class RegistryMetadata:
    namespace: str
    registry_name: str
    meta: dict[str, str]


def _time(value: object) -> datetime | None:
    """Go's ``time.Parse(time.RFC3339, ...)``: None for the zero time it gives on failure."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _string(mapping: dict[str, Any], name: str) -> str:
    value = mapping.get(name)
    return value if isinstance(value, str) else ""


def _data(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise DediClientError(f"DeDi request failed with status: {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise DediClientError(f"failed to unmarshal response body: {exc}") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise DediClientError("invalid response format: missing data field")
    return data


def _strings(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item]


def parse_lookup(
    response: httpx.Response, key_id: str, allowed_network_ids: list[str] | None = None
) -> Subscription:
    data = _data(response)
    details = data.get("details")
    if not isinstance(details, dict):
        raise DediClientError("invalid response format: missing details field")
    signing = details.get("signing_public_key")
    if not isinstance(signing, str) or not signing:
        raise DediClientError("invalid or missing signing_public_key in response")
    subscriber_id = _string(details, "subscriber_id")
    memberships = _strings(data.get("network_memberships"))
    outside = not set(memberships) & set(allowed_network_ids or [])
    if allowed_network_ids and subscriber_id not in _CATALOG and outside:
        raise DediClientError(
            f"registry entry with subscriber_id '{subscriber_id}' does not belong to any "
            "configured networks (registry.config.allowedNetworkIDs)"
        )
    ttl = data.get("ttl")
    cache = DEFAULT_CACHE_SECONDS
    if isinstance(ttl, int | float) and not isinstance(ttl, bool) and ttl > 0:
        cache = float(int(ttl))  # Go: time.Duration(ttlSec) * time.Second
    return Subscription(
        subscriber_id=subscriber_id,
        url=_string(details, "url"),
        type=_string(details, "type"),
        domain=_string(details, "domain"),
        key_id=key_id,
        signing_public_key=signing,
        encr_public_key=_string(details, "encr_public_key"),
        created=_time(data.get("created_at")),
        updated=_time(data.get("updated_at")),
        network_memberships=memberships,
        cache_seconds=cache,
    )


def verify_key_bytes(subscription: Subscription) -> bytes:
    """What the signature validator hands ``ed25519.Verify``: standard base64, 32 bytes."""
    try:
        raw = base64.b64decode(subscription.signing_public_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DediClientError(f"signing key is not base64: {exc}") from None
    if len(raw) != 32:
        raise DediClientError(f"ed25519: bad public key length: {len(raw)} (Go panics)")
    return raw


def parse_registry(response: httpx.Response, namespace: str, registry: str) -> RegistryMetadata:
    data = _data(response)
    if "meta" not in data:
        raise DediClientError("invalid response format: missing meta field")
    meta = data["meta"]
    if not isinstance(meta, dict):
        raise DediClientError("invalid response format: invalid meta field")
    kept = {k: v for k, v in meta.items() if isinstance(v, str)}
    return RegistryMetadata(namespace, registry, kept)


def parse_node(response: httpx.Response) -> tuple[Subscription, dict[str, str]]:
    data = _data(response)
    details = data.get("details")
    if not isinstance(details, dict):
        raise DediClientError("invalid response format: missing details field")
    subscription = Subscription(
        subscriber_id=_string(details, "subscriber_id"),
        url=_string(details, "url"),
        type=_string(details, "type"),
        domain=_string(details, "domain"),
        key_id="",
        signing_public_key=_string(details, "signing_public_key"),
        encr_public_key=_string(details, "encr_public_key"),
        created=_time(data.get("created_at")),
        updated=_time(data.get("updated_at")),
    )
    meta = data.get("meta")
    kept = {k: v for k, v in meta.items() if isinstance(v, str)} if isinstance(meta, dict) else {}
    return subscription, kept


async def lookup(
    client: httpx.AsyncClient,
    base: str,
    subscriber_id: str,
    key_id: str,
    allowed_network_ids: list[str] | None = None,
) -> Subscription:
    if not subscriber_id:
        raise DediClientError("subscriber_id is required for DeDi lookup")
    if not key_id:
        raise DediClientError("key_id is required for DeDi lookup")
    response = await client.get(f"{base}/lookup/{subscriber_id}/{WILDCARD}/{key_id}")
    found = parse_lookup(response, key_id, allowed_network_ids)
    verify_key_bytes(found)
    return found


async def lookup_registry(
    client: httpx.AsyncClient, base: str, namespace: str, registry: str
) -> RegistryMetadata:
    response = await client.get(f"{base}/lookup/{namespace}/{registry}")
    return parse_registry(response, namespace, registry)


async def lookup_node(
    client: httpx.AsyncClient, base: str, node_id: str
) -> tuple[Subscription, dict[str, str]]:
    parts = node_id.split("/")
    if len(parts) != 3 or not all(parts):
        raise DediClientError(f"nodeID {node_id!r} must be namespace/registry/recordName")
    escaped = "/".join(quote(p, safe="") for p in parts)
    return parse_node(await client.get(f"{base}/lookup/{escaped}"))
