"""The DeDi read API under ``/dedi`` (Beckn v2): what beckn-onix's ``dediregistry`` plugin asks.

Public and unsigned, as DeDi reads are; every answer still carries the registry's
``Signature`` header (``uei/app/signing.py``). Lookups and queries read this replica's view,
never the store; versions read the change log. A lookup answers **200 only for a live
record**: beckn-onix's plugin ignores ``is_revoked`` and trusts any 200, so a revoked or
suspended key is a 410 and an unknown (or not yet, or no longer valid) one a 404. Refusals
use DeDi's error body ``{message, error, code}``; the status comes from the app's one
error table (``app.state.answer_error``).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Annotated, Any, Protocol

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, QueryParameter
from litestar.types import ExceptionHandlersMap

from uei.access import CALLER, Caller
from uei.errors import Gone, NotFound, UeiError
from uei.registry.changelog import LogEntry
from uei.registry.dedi import (
    WILDCARD,
    DediRecord,
    RecordState,
    digest,
    newest_record,
    records,
    to_record,
)
from uei.registry.http.auth import registry_of
from uei.registry.identity import RegistryIdentity
from uei.registry.model import Key, Subscriber
from uei.registry.records import iso
from uei.registry.service import Registry

__all__ = [
    "DediError",
    "dedi_lookup",
    "dedi_query",
    "dedi_record_versions",
    "dedi_registry",
    "dedi_registry_versions",
]

log = logging.getLogger("uei.dedi")
_encoder = msgspec.json.Encoder()
MAX_PAGE_SIZE = 100
MAX_VERSIONS = 1000
"""Most version ids one registry versions answer lists (the newest); ``total_versions``
counts them all."""
_LOG_PAGE = 1000


class DediError(msgspec.Struct):
    """DeDi's ``ErrorResponse``."""

    message: str
    error: str
    code: str


class Withdrawn(Gone):
    """A record that exists and must not be trusted: revoked, or its subscriber suspended."""

    def __init__(self, message: str, state: RecordState) -> None:
        super().__init__(message, "record_name")
        self.state = state


class _Refused(Protocol):
    status: int
    headers: dict[str, str]


class _Answers(Protocol):
    def __call__(self, error: UeiError, /) -> _Refused: ...


def _error_code(exc: Exception, status: int) -> str:
    if isinstance(exc, Withdrawn):
        return f"RECORD_{exc.state.value.upper()}"
    if status == 404:
        return "NOT_FOUND"
    if status < 500:
        return "INVALID_REQUEST"
    return "INTERNAL_ERROR"


def _dedi_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """DeDi's error shape for every refusal of a ``/dedi`` route, at the status the app's one
    table gives (``uei/app/errors.py``): 404 unknown, 410 revoked or suspended, 400 bad input."""
    headers: dict[str, str] = {}
    if isinstance(exc, UeiError):
        answer_error: _Answers = request.app.state.answer_error
        found = answer_error(exc)
        status, headers, detail = found.status, found.headers, exc.message
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        detail = str(exc.detail)
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
            first = exc.extra[0]
            if isinstance(first, dict):
                detail = f"{first.get('key', 'query')}: {first.get('message', detail)}"
    else:
        log.exception("unhandled error on a DeDi route", exc_info=exc)
        status, detail = 500, "internal error; it has been logged"
    body = DediError(message=HTTPStatus(status).phrase, error=detail, code=_error_code(exc, status))
    return Response(
        _encoder.encode(body), status_code=status, media_type=MediaType.JSON, headers=headers
    )


_ERRORS: ExceptionHandlersMap = {
    UeiError: _dedi_error,
    HTTPException: _dedi_error,
    Exception: _dedi_error,
}
_PUBLIC = {CALLER: Caller.PUBLIC}
_ERROR_DOCS = {
    400: ResponseSpec(DediError, description="a malformed query (DeDi's error body)"),
    404: ResponseSpec(DediError, description="no such registry or record (DeDi's error body)"),
}


def _json(body: object) -> Response[bytes]:
    return Response(_encoder.encode(body), status_code=200, media_type=MediaType.JSON)


class Answer(msgspec.Struct):
    message: str
    data: Any


# --- which registry ----------------------------------------------------------------------


def _memberships(registry: Registry) -> list[str]:
    return list(registry.policy().network_memberships)


def _ours(registry: Registry, namespace: str, registry_name: str) -> None:
    if f"{namespace}/{registry_name}" not in _memberships(registry):
        raise NotFound(f"no registry {namespace}/{registry_name} here", "registry_name")


def _namespaces(registry: Registry) -> set[str]:
    return {m.split("/", 1)[0] for m in _memberships(registry)}


def _record(registry: Registry, sub: Subscriber, key: Key) -> DediRecord:
    policy = registry.policy()
    return to_record(
        sub, key, registry.clock(), list(policy.network_memberships), policy.dedi.ttl_seconds
    )


def _live(found: DediRecord, what: str) -> DediRecord:
    """``found`` if it may be trusted now; 410 revoked or suspended, 404 otherwise."""
    if found.state is RecordState.LIVE:
        return found
    if found.state in (RecordState.REVOKED, RecordState.SUSPENDED):
        raise Withdrawn(f"{what} is {found.state.value}", found.state)
    raise NotFound(f"{what} is {found.state.value}: not valid now", "record_name")


# --- lookups ------------------------------------------------------------------------------


class RegistryMeta(msgspec.Struct):
    registry_id: str
    registry_name: str
    namespace_id: str
    namespace: str
    description: str
    digest: str
    """hex(BLAKE2b-256(JCS(meta))), as a record's digest is of its details."""
    meta: dict[str, str]
    version: str
    version_count: int
    state: str
    record_count: int
    network_memberships: list[str]
    created_at: str
    updated_at: str
    ttl: int


@get(
    "/dedi/lookup/{namespace:str}/{registry_name:str}",
    tags=["dedi"],
    summary="DeDi registry metadata",
    opt=_PUBLIC,
    exception_handlers=_ERRORS,
    responses={
        200: ResponseSpec(Answer, description="`data`: the registry, `data.meta` its keys"),
        **_ERROR_DOCS,
    },
)
async def dedi_registry(
    request: Request[Any, Any, Any], namespace: FromPath[str], registry_name: FromPath[str]
) -> Response[bytes]:
    """The registry's metadata, for a ``{namespace}/{registry_name}`` listed in
    ``registry.network_memberships``: ``data.meta`` holds only strings (beckn-onix keeps
    nothing else): the registry's subscriber id, key id, keys (raw and SPKI DER base64) and
    where its well-known document is. 404 for any other registry."""
    registry = registry_of(request)
    _ours(registry, namespace, registry_name)
    identity: RegistryIdentity = request.app.state.identity
    meta = {
        **identity.well_known(),
        "well_known_url": "/.well-known/uei-registry.json",
        "lookup_url": "/dedi/lookup/{subscriber_id}/subscribers.beckn.one/{key_id}",
        "digest_algorithm": "blake2b-256 over RFC 8785 JCS of details",
    }
    view = registry.view
    own = view.pinned[0] if view.pinned else None
    since = iso(own.created if own is not None else registry.clock())
    policy = registry.policy()
    data = RegistryMeta(
        registry_id=f"{namespace}/{registry_name}",
        registry_name=registry_name,
        namespace_id=namespace,
        namespace=namespace,
        description=policy.dedi.description,
        digest=digest(meta),
        meta=meta,
        version=str(view.seq),
        version_count=view.seq,
        state="active",
        record_count=sum(len(s.keys) for s in view.subscribers()),
        network_memberships=list(policy.network_memberships),
        created_at=since,
        updated_at=since,
        ttl=policy.dedi.ttl_seconds,
    )
    return _json(Answer("Registry retrieved successfully", data))


@get(
    "/dedi/lookup/{namespace:str}/{registry_name:str}/{record_name:str}",
    tags=["dedi"],
    summary="DeDi record lookup (beckn-onix's key lookup)",
    opt=_PUBLIC,
    exception_handlers=_ERRORS,
    responses={
        200: ResponseSpec(Answer, description="`data`: the live record"),
        **_ERROR_DOCS,
        410: ResponseSpec(DediError, description="the key is revoked or suspended"),
    },
)
async def dedi_lookup(
    request: Request[Any, Any, Any],
    namespace: FromPath[str],
    registry_name: FromPath[str],
    record_name: FromPath[str],
) -> Response[bytes]:
    """Two forms, both exactly 200 for a live record only (410 revoked or suspended, 404
    unknown, pending or expired):

    - ``/dedi/lookup/{subscriber_id}/subscribers.beckn.one/{key_id}``: beckn-onix's key
      lookup (``subscribers.beckn.one`` stands for any registry): the record of that key.
    - ``/dedi/lookup/{namespace}/{registry}/{subscriber_id}``, for a registry listed in
      ``registry.network_memberships`` (or ``{namespace}/subscribers.beckn.one/...``, as
      beckn-onix's node lookup sends): that subscriber's newest live key.

    ``data``: ``record_id`` (the key id), ``record_name`` (the subscriber id), ``details``
    (``url, type, domain, subscriber_id, signing_public_key, encr_public_key``, keys raw
    base64, and the key's validity), ``digest``, ``state``, ``is_revoked``,
    ``network_memberships``, ``created_at``, ``updated_at`` (RFC 3339) and ``ttl`` (seconds,
    a number)."""
    registry = registry_of(request)
    view = registry.view
    if registry_name == WILDCARD:
        sub = view.subscriber(namespace)
        key = sub.key(record_name) if sub is not None else None
        if sub is not None and key is not None:
            found = _live(_record(registry, sub, key), f"key {record_name} of {namespace}")
            return _json(Answer("Record retrieved successfully", found))
        if namespace not in _namespaces(registry):
            raise NotFound(f"no key {record_name} for {namespace} in the registry", "key_id")
    else:
        _ours(registry, namespace, registry_name)
    sub = view.subscriber(record_name)
    key = newest_record(sub, registry.clock()) if sub is not None else None
    if sub is None or key is None:
        raise NotFound(f"no record {record_name} in the registry", "record_name")
    found = _live(_record(registry, sub, key), f"record {record_name}")
    return _json(Answer("Record retrieved successfully", found))


# --- query --------------------------------------------------------------------------------


class RecordPage(msgspec.Struct):
    namespace_id: str
    namespace_name: str
    registry_id: str
    registry_name: str
    total_records: int
    total_pages: int
    page_number: int
    page_size: int
    records: list[DediRecord]


@get(
    "/dedi/query/{namespace:str}/{registry_name:str}",
    tags=["dedi"],
    summary="DeDi query: the registry's records, by state, a page at a time",
    opt=_PUBLIC,
    exception_handlers=_ERRORS,
    responses={200: ResponseSpec(Answer, description="`data.records`: one page"), **_ERROR_DOCS},
)
async def dedi_query(
    request: Request[Any, Any, Any],
    namespace: FromPath[str],
    registry_name: FromPath[str],
    record_state: Annotated[
        RecordState | None,
        QueryParameter(
            name="state", description="only records in this state (default: every state)"
        ),
    ] = None,
    page: Annotated[int, QueryParameter(ge=1, le=2**31 - 1, description="from 1")] = 1,
    page_size: Annotated[
        int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="records per page, at most 100")
    ] = 20,
) -> Response[bytes]:
    """Every record (one per key) of the registry, subscribers by id and each one's keys
    newest first, each with its ``state`` (``draft``, ``live``, ``suspended``, ``revoked``,
    ``expired``) and ``details``; ``state`` filters. ``page_size`` above 100 is a 400."""
    registry = registry_of(request)
    _ours(registry, namespace, registry_name)
    now = registry.clock()
    matching = list(records(registry.view.subscribers(), now, record_state))
    start = (page - 1) * page_size
    chosen = [_record(registry, sub, key) for sub, key in matching[start : start + page_size]]
    data = RecordPage(
        namespace_id=namespace,
        namespace_name=namespace,
        registry_id=f"{namespace}/{registry_name}",
        registry_name=registry_name,
        total_records=len(matching),
        total_pages=(len(matching) + page_size - 1) // page_size,
        page_number=page,
        page_size=page_size,
        records=chosen,
    )
    return _json(Answer("Records retrieved successfully", data))


# --- versions -----------------------------------------------------------------------------


class Version(msgspec.Struct):
    """One change-log entry as a version of a record."""

    version: str
    at: str
    action: str
    unique_key_id: str | None
    old_status: str | None
    new_status: str | None
    hash: str


class Versions(msgspec.Struct):
    registry_name: str
    record_name: str | None
    created_at: str | None
    updated_at: str | None
    total_versions: int
    versions: list[str]
    """Change-log sequence numbers (``GET /log``), newest first."""
    entries: list[Version] | None
    ttl: int


@get(
    "/dedi/versions/{namespace:str}/{registry_name:str}",
    tags=["dedi"],
    summary="DeDi registry versions: the change log's sequence numbers",
    opt=_PUBLIC,
    exception_handlers=_ERRORS,
    responses={200: ResponseSpec(Answer, description="`data.versions`"), **_ERROR_DOCS},
)
async def dedi_registry_versions(
    request: Request[Any, Any, Any], namespace: FromPath[str], registry_name: FromPath[str]
) -> Response[bytes]:
    """Each change-log entry is a version of the registry: ``total_versions`` is the log's
    length, ``versions`` the newest 1000 sequence numbers (read the entries with
    ``GET /log?after=N``)."""
    registry = registry_of(request)
    _ours(registry, namespace, registry_name)
    head = await registry.store.head()
    first = await registry.store.log_after(0, 1) if head is not None else []
    total = head.seq if head is not None else 0
    data = Versions(
        registry_name=registry_name,
        record_name=None,
        created_at=iso(first[0].at) if first else None,
        updated_at=iso(head.at) if head is not None else None,
        total_versions=total,
        versions=[str(seq) for seq in range(total, max(total - MAX_VERSIONS, 0), -1)],
        entries=None,
        ttl=registry.policy().dedi.ttl_seconds,
    )
    return _json(Answer("Versions retrieved successfully", data))


def _version(entry: LogEntry) -> Version:
    return Version(
        version=str(entry.seq),
        at=iso(entry.at),
        action=entry.action,
        unique_key_id=entry.unique_key_id,
        old_status=entry.old_status,
        new_status=entry.new_status,
        hash=entry.hash,
    )


@get(
    "/dedi/versions/{namespace:str}/{registry_name:str}/{record_name:str}",
    tags=["dedi"],
    summary="DeDi record versions: a subscriber's change-log entries",
    opt=_PUBLIC,
    exception_handlers=_ERRORS,
    responses={200: ResponseSpec(Answer, description="`data.versions`"), **_ERROR_DOCS},
)
async def dedi_record_versions(
    request: Request[Any, Any, Any],
    namespace: FromPath[str],
    registry_name: FromPath[str],
    record_name: FromPath[str],
) -> Response[bytes]:
    """The change-log entries of the subscriber ``record_name`` (every key and status change,
    each with its sequence number, time, action and hash), newest first. Reads the store's
    log; 404 for a subscriber the registry does not hold."""
    registry = registry_of(request)
    if registry_name != WILDCARD:
        _ours(registry, namespace, registry_name)
    if registry.view.subscriber(record_name) is None:
        raise NotFound(f"no record {record_name} in the registry", "record_name")
    mine: list[LogEntry] = []
    after = 0
    while True:
        page = await registry.store.log_after(after, _LOG_PAGE)
        mine += [e for e in page if e.subscriber_id == record_name]
        if len(page) < _LOG_PAGE:
            break
        after = page[-1].seq
    mine.reverse()
    data = Versions(
        registry_name=registry_name,
        record_name=record_name,
        created_at=iso(mine[-1].at) if mine else None,
        updated_at=iso(mine[0].at) if mine else None,
        total_versions=len(mine),
        versions=[str(e.seq) for e in mine],
        entries=[_version(e) for e in mine],
        ttl=registry.policy().dedi.ttl_seconds,
    )
    return _json(Answer("Versions retrieved successfully", data))
