"""``Client``: signed requests to a UEI registry, each answer checked against its signature.

Every answer the registry sends carries ``Signature``: a Beckn signature header value made by
the registry over the exact response bytes. ``Client`` verifies it with the registry's signing
key, either pinned (``registry_key=``) or read once from ``/.well-known/uei-registry.json``
(whose own answer must verify with the key it publishes), and raises ``UnverifiedAnswer``
when it does not hold. Refusals (4xx, 5xx) come back as an ``Answer`` whose ``error`` is the
NACK's; the convenience methods that return data raise ``Refused`` instead.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import msgspec

from uei.trust import (
    GATEWAY_HEADER,
    KeySet,
    SignatureError,
    encode_key,
    load_verify_key,
    parse_header,
    sign_header,
    verify,
)

__all__ = ["Answer", "Client", "Refused", "RegistryKey", "UnverifiedAnswer", "forwarded"]

WELL_KNOWN = "/.well-known/uei-registry.json"
SIGNATURE_HEADER = "signature"

ParticipantType = Literal["BAP", "BPP", "BG"]
Identifier = Mapping[str, str]
"""``{"kind": "phone", "value": "+91 98450 12345"}`` (optionally ``"scope"``)."""


class UnverifiedAnswer(Exception):
    """The answer's ``Signature`` is missing or does not verify with the registry's key."""

    def __init__(self, reason: str, response: httpx.Response) -> None:
        super().__init__(
            f"the registry's signature on {response.request.method} "
            f"{response.request.url.path} ({response.status_code}) does not verify: {reason}"
        )
        self.reason = reason
        self.response = response


class Refused(Exception):
    """A verified refusal: the HTTP status and the NACK's code, message and path."""

    def __init__(self, answer: Answer) -> None:
        error = answer.error
        message = error.get("message", answer.body[:200].decode("utf-8", "replace"))
        super().__init__(f"{answer.status}: {message}")
        self.answer = answer
        self.status = answer.status
        self.code: str | None = error.get("code")
        self.message: str = message
        self.path: str | None = error.get("path")


@dataclass(frozen=True, slots=True)
class RegistryKey:
    """Who the registry is and the key it signs with (``/.well-known/uei-registry.json``)."""

    subscriber_id: str
    unique_key_id: str
    signing_public_key: str
    encr_public_key: str


@dataclass(frozen=True, slots=True)
class Answer:
    """One verified answer: status, headers and the exact bytes the registry signed."""

    status: int
    headers: httpx.Headers
    body: bytes
    verified: bool
    """False only for a bodiless answer (304) that carried no signature: nothing to prove."""

    @property
    def ok(self) -> bool:
        return self.status < 400

    def json(self) -> Any:
        return msgspec.json.decode(self.body) if self.body else None

    @property
    def error(self) -> dict[str, str]:
        """The NACK's ``error`` (``code``, ``message``, ``path``), empty when there is none."""
        if self.ok:
            return {}
        try:
            data = self.json()
        except msgspec.DecodeError:
            return {}
        found = data.get("error") if isinstance(data, dict) else None
        if isinstance(found, dict):
            return {k: str(v) for k, v in found.items() if v is not None}
        if isinstance(data, dict) and "title" in data:  # a problem document (quota refusals)
            return {"message": str(data.get("detail") or data["title"])}
        return {}

    def raise_for_refusal(self) -> Answer:
        if not self.ok:
            raise Refused(self)
        return self


def forwarded(authorization: str, body: bytes) -> dict[str, str]:
    """The ``bap_request`` a BPP forwards: the BAP's ``Authorization`` header as received and
    base64 of the exact bytes it signed (never re-serialized)."""
    return {"authorization": authorization, "body": base64.b64encode(body).decode("ascii")}


def _encode(body: bytes | Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return msgspec.json.encode(body)


def _fields(**given: Any) -> dict[str, Any]:
    return {k: v for k, v in given.items() if v is not None}


@dataclass
class Client:
    """An async client for one registry, as one participant.

    ``subscriber_id`` and ``keys`` sign requests (a client without them sends only unsigned
    ones: lookups, the key path). ``gateway=True`` signs in ``X-Gateway-Authorization``.
    ``transport`` lets tests run it against the ASGI app (``httpx.ASGITransport``);
    ``clock`` gives the signing and checking time (default ``time.time``).
    """

    base_url: str
    subscriber_id: str | None = None
    keys: KeySet | None = None
    registry_key: RegistryKey | None = None
    """Pin the registry's identity; without it, read from the well-known file at first use."""
    gateway: bool = False
    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], float] = time.time
    timeout: float = 10.0
    ttl: int = 300
    """Seconds each request's signature stays valid."""
    _http: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url, transport=self.transport, timeout=self.timeout
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def sign(self, body: bytes) -> str:
        """The Beckn signature header value for ``body``, as this client's participant."""
        if self.keys is None or self.subscriber_id is None:
            raise ValueError("this client has no keys: give subscriber_id and keys to sign")
        created = int(self.clock())
        return sign_header(
            body,
            self.keys.signing_key,
            subscriber_id=self.subscriber_id,
            unique_key_id=self.keys.unique_key_id,
            created=created,
            expires=created + self.ttl,
        )

    async def registry(self) -> RegistryKey:
        """The registry's identity: pinned, or read once from the well-known file, whose
        answer must be signed by the key it publishes (and, pinned, must match the pin)."""
        response = await self.http.get(WELL_KNOWN)
        try:
            known = msgspec.json.decode(response.content, type=RegistryKey)
        except msgspec.DecodeError as exc:
            reason = f"{WELL_KNOWN} is not the registry's identity: {exc}"
            raise UnverifiedAnswer(reason, response) from None
        if self.registry_key is not None and known != self.registry_key:
            raise UnverifiedAnswer(f"{WELL_KNOWN} names another key than the pinned one", response)
        self._check(response, known)
        self.registry_key = known
        return known

    def _check(self, response: httpx.Response, registry: RegistryKey) -> bool:
        header = response.headers.get(SIGNATURE_HEADER)
        if header is None:
            if not response.content and response.status_code == 304:
                return False
            raise UnverifiedAnswer("the answer carries no Signature header", response)
        try:
            params = parse_header(header)
            if params.subscriber_id != registry.subscriber_id:
                raise UnverifiedAnswer(
                    f"signed by {params.subscriber_id}, not the registry {registry.subscriber_id}",
                    response,
                )
            if params.unique_key_id != registry.unique_key_id:
                raise UnverifiedAnswer(
                    f"signed with key {params.unique_key_id}, not the registry's "
                    f"{registry.unique_key_id}",
                    response,
                )
            verify(
                response.content,
                params,
                load_verify_key(registry.signing_public_key),
                now=self.clock(),
            )
        except SignatureError as exc:
            raise UnverifiedAnswer(str(exc), response) from None
        return True

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | Any = None,
        *,
        signed: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send ``body`` (bytes as they are, anything else encoded as JSON), signed unless
        ``signed=False``; the answer's signature is checked before it is returned."""
        registry = self.registry_key or await self.registry()
        content = _encode(body)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if signed:
            name = GATEWAY_HEADER if self.gateway else "Authorization"
            sent[name] = self.sign(content)
        response = await self.http.request(method, path, content=content, headers=sent)
        verified = self._check(response, registry)
        return Answer(response.status_code, response.headers, response.content, verified)

    async def _data(self, method: str, path: str, body: Any = None, signed: bool = True) -> Any:
        return (await self.request(method, path, body, signed=signed)).raise_for_refusal().json()

    # -- the registry -----------------------------------------------------------------------

    async def subscribe(
        self,
        subscriber_url: str | None = None,
        *,
        type: ParticipantType | None = None,
        domain: str | None = None,
        city: str | None = None,
        country: str | None = None,
        keys: KeySet | None = None,
        valid_from: str | None = None,
        valid_until: str | None = None,
    ) -> str:
        """``POST /subscribe``: register, add ``keys`` (rotation: signed with the current
        ones), change the URL or add a role; with no argument at all, re-send the challenge.
        Returns the subscriber's status (``UNDER_SUBSCRIPTION``, ``SUBSCRIBED``...)."""
        given = _fields(
            subscriber_url=subscriber_url,
            type=type,
            domain=domain,
            city=city,
            country=country,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        body: dict[str, Any] = {}
        if given or keys is not None:
            new = keys or self.keys
            assert new is not None  # sign() refuses a client without keys first
            body = {
                "subscriber_id": self.subscriber_id,
                **given,
                "unique_key_id": new.unique_key_id,
                "signing_public_key": encode_key(new.verify_key),
                "encr_public_key": encode_key(new.encryption_public_key),
                "nonce": str(uuid.uuid4()),  # two subscribes in one second differ
            }
        data = await self._data("POST", "/subscribe", body or b"")
        return str(data["status"])

    async def lookup(self, **filters: str) -> list[dict[str, Any]]:
        """``POST /lookup`` (unsigned): records of valid keys, newest first. Filters:
        ``subscriber_id, type, domain, city, country, unique_key_id, status``."""
        found: list[dict[str, Any]] = await self._data("POST", "/lookup", filters, signed=False)
        return found

    async def lookup_key(self, subscriber_id: str, unique_key_id: str) -> dict[str, Any] | None:
        """``GET /lookup/{id}/{kid}``, the signature verifiers' path: the record, or None
        when the key is unknown, not valid now, or revoked."""
        answer = await self.request("GET", f"/lookup/{subscriber_id}/{unique_key_id}", signed=False)
        if answer.status in (404, 410):
            return None
        found: dict[str, Any] = answer.raise_for_refusal().json()
        return found

    async def challenges(self, subscriber_id: str | None = None) -> dict[str, Any]:
        """Every on_subscribe attempt for ``subscriber_id`` (default: this client's)."""
        sid = subscriber_id or self.subscriber_id
        found: dict[str, Any] = await self._data("GET", f"/subscribers/{sid}/challenges")
        return found

    async def revoke_key(self, unique_key_id: str) -> dict[str, Any]:
        path = f"/subscribers/{self.subscriber_id}/keys/{unique_key_id}/revoke"
        found: dict[str, Any] = await self._data("POST", path, {"request_id": str(uuid.uuid4())})
        return found

    # -- non-payer protection (a granted BPP) -----------------------------------------------

    async def status(
        self, identifiers: Sequence[Identifier], purpose: str = "postpaid_session"
    ) -> dict[str, Any]:
        """``POST /abuse/status``: the verdict (``allow``, ``prepaid_only``, ``block``)."""
        body = {"purpose": purpose, "identifiers": [dict(i) for i in identifiers]}
        found: dict[str, Any] = await self._data("POST", "/abuse/status", body)
        return found

    async def report(
        self,
        session_ref: str,
        *,
        amount: str,
        occurred_at: str,
        identifiers: Sequence[Identifier],
        currency: str = "INR",
    ) -> dict[str, Any]:
        """``POST /abuse/defaulters/report``: ``{"case_id", "status", "standing"}``."""
        body = {
            "session_ref": session_ref,
            "amount": {"value": amount, "currency": currency},
            "occurred_at": occurred_at,
            "identifiers": [dict(i) for i in identifiers],
        }
        found: dict[str, Any] = await self._data("POST", "/abuse/defaulters/report", body)
        return found

    async def observe(
        self, identifiers: Sequence[Identifier], *, observed_at: str, context: str = "session"
    ) -> dict[str, Any]:
        """``POST /abuse/observations``: identifiers seen together."""
        body = {
            "observed_at": observed_at,
            "context": context,
            "identifiers": [dict(i) for i in identifiers],
        }
        found: dict[str, Any] = await self._data("POST", "/abuse/observations", body)
        return found

    async def _case(self, case_id: str, action: str, **extra: Any) -> dict[str, Any]:
        body = {"case_id": case_id, "request_id": str(uuid.uuid4()), **extra}
        found: dict[str, Any] = await self._data(
            "POST", f"/abuse/defaulters/{case_id}/{action}", body
        )
        return found

    async def settle(self, case_id: str) -> dict[str, Any]:
        return await self._case(case_id, "settle")

    async def withdraw(self, case_id: str) -> dict[str, Any]:
        return await self._case(case_id, "withdraw")

    async def dispute(self, case_id: str, identifiers: Sequence[Identifier]) -> dict[str, Any]:
        return await self._case(case_id, "dispute", identifiers=[dict(i) for i in identifiers])

    async def resolve(
        self, case_id: str, outcome: Literal["confirmed", "cancelled"]
    ) -> dict[str, Any]:
        return await self._case(case_id, "resolve", outcome=outcome)

    # -- scraping protection (a gateway, or a BPP forwarding a BAP's request) ----------------

    async def quota_check(
        self,
        *,
        bap_id: str | None = None,
        action: str | None = None,
        message_id: str | None = None,
        search: Mapping[str, Any] | None = None,
        user_ref: str | None = None,
        bap_request: Mapping[str, str] | None = None,
    ) -> Answer:
        """``POST /abuse/quota/check``. A gateway names the BAP, action, message id and
        search; a BPP passes ``bap_request=forwarded(authorization, body)``. Returns the
        answer itself: a 429 is a decision (``decision: deny``), not an error."""
        body = _fields(
            bap_id=bap_id,
            action=action,
            message_id=message_id,
            search=dict(search) if search is not None else None,
            user_ref=user_ref,
            bap_request=dict(bap_request) if bap_request is not None else None,
        )
        return await self.request("POST", "/abuse/quota/check", body)

    async def events(self, events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """``POST /abuse/events``: ``{"received", "recorded"}``."""
        body = {"events": [dict(e) for e in events]}
        found: dict[str, Any] = await self._data("POST", "/abuse/events", body)
        return found

    async def bap(self, bap_id: str) -> dict[str, Any]:
        """``GET /abuse/baps/{bap_id}``: a BAP's latest verdict (operators and that BAP)."""
        found: dict[str, Any] = await self._data("GET", f"/abuse/baps/{bap_id}")
        return found
