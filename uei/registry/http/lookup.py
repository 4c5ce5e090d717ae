"""Key lookup: the paths every BAP, BPP and BG use to verify signatures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Protocol

import msgspec
from litestar import Request, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.types import ASGIApp

from uei.access import CALLER, Caller
from uei.errors import Gone, InvalidRequest, NotFound, UeiError
from uei.prebuilt import Prebuilt, json_answer
from uei.registry.http.auth import registry_of
from uei.registry.http.bodies import LookupBody
from uei.registry.metrics import LOOKUPS
from uei.registry.records import LookupRecord
from uei.registry.view import LookupFilter
from uei.tally import TALLY

__all__ = ["WellKnown", "key_path", "lookup", "lookup_v2", "well_known"]

_encoder = msgspec.json.Encoder()


class _Refused(Protocol):
    status: int
    body: bytes


class _Answers(Protocol):
    """How the app answers a refusal (``app.state.answer_error``, from its one error table):
    the key path answers and signs its own."""

    def __call__(self, error: UeiError, /) -> _Refused: ...


class _Signer(Protocol):
    """What signs the registry's answers over their exact bytes: the service's response signer
    (``app.state.signer``), which the key path calls itself instead of being buffered by it."""

    def header_for(self, body: bytes) -> bytes: ...


def _signed(
    signer: _Signer, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> Prebuilt:
    """``body`` as JSON after ``headers``, with the registry's signature over its bytes."""
    return json_answer(status, body, [*headers, (b"signature", signer.header_for(body))])


_MAX_PAGE_TOKEN = 2**31 - 1
_EMPTY = LookupBody()
_RESOLVED: dict[tuple[object, ...], LookupFilter] = {}
"""Bodies already checked and made canonical: verifiers send the same few again and again."""


def _resolved(body: LookupBody) -> LookupFilter:
    """``body.resolve()``, remembered (at most 4,096 bodies; a refused one is not kept)."""
    key = msgspec.structs.astuple(body)
    found = _RESOLVED.get(key)
    if found is None:
        found = body.resolve()
        if len(_RESOLVED) >= 4096:
            _RESOLVED.clear()
        _RESOLVED[key] = found
    return found


def _start(page_token: str | None) -> int:
    """The offset a page token stands for: the decimal digits this registry issues, no sign,
    no spaces, below 2**31; anything else is a 400 naming it."""
    if not page_token:
        return 0
    if len(page_token) > 10 or not (page_token.isascii() and page_token.isdigit()):
        raise InvalidRequest("page_token is not one this registry issued", "page_token")
    start = int(page_token)
    if start > _MAX_PAGE_TOKEN:
        raise InvalidRequest(f"page_token must be 0..{_MAX_PAGE_TOKEN}", "page_token")
    return start


def _page(
    request: Request[Any, Any, Any],
    data: LookupBody | None,
    page_size: int | None,
    page_token: str | None,
    *,
    encr_der: bool = False,
) -> ASGIApp:
    registry = registry_of(request)
    limits = registry.policy().lookup
    size = page_size or limits.page_size
    if not 1 <= size <= limits.max_page_size:
        raise InvalidRequest(f"page_size must be 1..{limits.max_page_size}", "page_size")
    start = _start(page_token)
    wanted = _resolved(data or _EMPTY)
    body, total = registry.view.lookup_page(
        wanted, start, size, registry.clock(), cache_bytes=limits.cache_bytes, encr_der=encr_der
    )
    TALLY.count(LOOKUPS, ("list", "ok"))
    headers = [(b"x-total-count", b"%d" % total)]
    if start + size < total:
        link = f'<{request.url.path}?page_size={size}&page_token={start + size}>; rel="next"'
        headers += [(b"x-next-page-token", b"%d" % (start + size)), (b"link", link.encode())]
    signer: _Signer = request.app.state.signer
    return _signed(signer, 200, body, headers)


_PAGE_DOC = {200: ResponseSpec(list[LookupRecord], description="one record per role x valid key")}
_PAGE_SIZE = QueryParameter(description="records per page (policy bounds it)")
_PAGE_TOKEN = QueryParameter(description="X-Next-Page-Token of the last page")


@post(
    "/lookup",
    status_code=200,
    tags=["lookup"],
    summary="Look up subscribers' keys",
    responses=_PAGE_DOC,
    opt={CALLER: Caller.PUBLIC},
)
async def lookup(
    request: Request[Any, Any, Any],
    data: JSONBody[LookupBody | None] = None,
    page_size: Annotated[int | None, _PAGE_SIZE] = None,
    page_token: Annotated[str | None, _PAGE_TOKEN] = None,
) -> ASGIApp:
    """Records for currently valid keys only, newest key first, SUBSCRIBED subscribers unless
    ``status`` says otherwise. Filters: ``subscriber_id, type, domain, city, country,
    unique_key_id`` (also ``ukId``, ``key_id``, ``pub_key_id``), ``status``. Unsigned, as
    deployed clients call it. Pages: ``X-Next-Page-Token`` and ``Link`` when more remain."""
    return _page(request, data, page_size, page_token)


@post(
    "/v2.0/lookup",
    status_code=200,
    tags=["lookup"],
    summary="Look up keys (ONDC, signed)",
    responses=_PAGE_DOC,
    opt={CALLER: Caller.SUBSCRIBER},
)
async def lookup_v2(
    request: Request[Any, Any, Any],
    data: JSONBody[LookupBody | None] = None,
    page_size: Annotated[int | None, _PAGE_SIZE] = None,
    page_token: Annotated[str | None, _PAGE_TOKEN] = None,
) -> ASGIApp:
    """The same filters and records as ``/lookup``, in ONDC's spelling: the caller must sign
    as a subscriber, and ``encr_public_key`` is base64 X25519 SPKI DER, as ONDC's registry
    answers (ONDC's ``encrypt()`` loads it with ``load_der_public_key``). ``signing_public_key``
    stays raw base64, as ONDC publishes it."""
    return _page(request, data, page_size, page_token, encr_der=True)


def _if_none_match(request: Request[Any, Any, Any]) -> bytes | None:
    for name, value in request.scope["headers"]:
        if name == b"if-none-match":
            return bytes(value)
    return None


@get(
    "/lookup/{subscriber_id:str}/{unique_key_id:str}",
    tags=["lookup"],
    summary="One key, for signature verifiers (cacheable)",
    opt={CALLER: Caller.PUBLIC},
    responses={
        200: ResponseSpec(LookupRecord, description="the key's record"),
        304: ResponseSpec(None, description="If-None-Match matched the ETag"),
    },
)
async def key_path(
    request: Request[Any, Any, Any], subscriber_id: FromPath[str], unique_key_id: FromPath[str]
) -> ASGIApp:
    """The record of one valid key, with ``ETag`` and ``Cache-Control: max-age``; 304 on a
    matching ``If-None-Match``, 404 for an unknown or not-yet-valid key, 410 for a revoked one."""
    registry = registry_of(request)
    answer = registry.view.key_answer(subscriber_id, unique_key_id, registry.clock())
    signer: _Signer = request.app.state.signer
    if answer.body is None or answer.etag is None:
        # answered here, signed here: the signing middleware steps aside for this route
        answer_error: _Answers = request.app.state.answer_error
        refused = answer_error((Gone if answer.gone else NotFound)(answer.reason, "unique_key_id"))
        TALLY.count(LOOKUPS, ("key", str(refused.status)))
        return _signed(signer, refused.status, refused.body)
    etag = answer.etag.encode()
    headers = [
        (b"etag", etag),
        (b"cache-control", b"max-age=%d" % registry.policy().lookup.max_age_seconds),
    ]
    TALLY.count(LOOKUPS, ("key", "ok"))
    if _if_none_match(request) == etag:
        return Prebuilt(304, headers, b"")
    return _signed(signer, 200, answer.body, headers)


class WellKnown(msgspec.Struct):
    subscriber_id: str
    unique_key_id: str
    signing_public_key: str
    """Ed25519, raw 32 bytes, base64."""
    encr_public_key: str
    """X25519, raw 32 bytes, base64 (what Beckn and UEI clients read)."""
    signing_public_key_der: str
    """The same Ed25519 key as base64 SPKI DER."""
    encr_public_key_der: str
    """The same X25519 key as base64 SPKI DER: configure ONDC's on_subscribe server with this
    one (its code loads ``load_der_public_key(b64decode(key))``)."""


@get(
    "/.well-known/uei-registry.json",
    tags=["lookup"],
    summary="The registry's own keys",
    sync_to_thread=False,
    opt={CALLER: Caller.PUBLIC},
)
def well_known(request: Request[Any, Any, Any]) -> WellKnown:
    """The key the registry signs responses and challenges with, and encrypts challenges with:
    raw base64 under ``signing_public_key`` and ``encr_public_key``, base64 SPKI DER (ONDC's
    form) under ``signing_public_key_der`` and ``encr_public_key_der``."""
    return WellKnown(**request.app.state.identity.well_known())
