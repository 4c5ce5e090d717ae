"""Send one on_subscribe challenge and judge the answer. Every outcome becomes an ``Attempt``.

The registry POSTs ``{subscriber_id, unique_key_id, pub_key_id, challenge}`` to
``{subscriber_url}/on_subscribe``, signed with its own key. ``challenge`` is a fresh random
text encrypted to the key being proven. Two answer styles pass (policy may turn either off):
``{"answer": <the plaintext>}``, and ``{"answer": base64(crypto_sign(challenge))}`` made with
the subscriber's signing key (the Beckn protocol server).

An attempt cannot hold the registry or turn it into a probe: one deadline covers resolving,
connecting, sending and reading; the answer is read as a stream and at most 8 KiB of it; any
failure whatsoever becomes a failed ``Attempt``, whose error is one short fixed sentence (no
socket errors that would tell a caller what a port said). With ``private_networks: deny`` the
host is resolved again right before connecting, any address that is not public refuses the
attempt, and the connection goes to the vetted address itself (``Host`` and TLS SNI carry the
name), so DNS rebinding between subscribe and challenge gains nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import msgspec

from uei.errors import InvalidRequest
from uei.registry.identity import RegistryIdentity
from uei.registry.metrics import CHALLENGES
from uei.registry.model import Attempt, AttemptOutcome, Key, Subscriber
from uei.registry.policy import ChallengePolicy, Networks
from uei.registry.urls import Resolve, check_url, is_public, public_addresses, system_resolve
from uei.trust import (
    ChallengeError,
    encrypt_challenge,
    load_encryption_public_key,
    load_verify_key,
    new_otp,
    sign_header,
    verify_signed_answer,
)

__all__ = ["MAX_ANSWER_BYTES", "Challenger"]

log = logging.getLogger("uei.challenge")

MAX_ANSWER_BYTES = 8 * 1024
"""The most of an answer the registry reads; past it the connection is closed."""

_CONNECT_FAILED = "could not connect to the subscriber_url"
_CONNECTION_FAILED = "the connection to the subscriber_url failed"


class _Answer(msgspec.Struct):
    answer: str


class _Failed(Exception):
    """An attempt ended early: its outcome, HTTP status and fixed error sentence."""

    def __init__(self, outcome: AttemptOutcome, error: str, status: int | None = None) -> None:
        super().__init__(error)
        self.outcome, self.error, self.status = outcome, error, status


@dataclass(frozen=True)
class _Route:
    """Where one try connects: the URL (its host a vetted address under ``deny``), and the
    headers and extensions that carry the real name for HTTP and TLS."""

    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, str]


class Challenger:
    def __init__(
        self,
        identity: RegistryIdentity,
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
        resolve: Resolve = system_resolve,
    ) -> None:
        self._identity = identity
        self._client = client
        self._clock = clock
        self.resolve = resolve
        """The one resolver: the registry checks subscriber URLs at subscribe with it too."""

    def _judge(
        self, answer: str, otp: str, challenge: str, key: Key, policy: ChallengePolicy
    ) -> AttemptOutcome:
        if policy.accept_decrypted and hmac.compare_digest(answer.encode(), otp.encode()):
            return AttemptOutcome.PASSED
        if policy.accept_signed:
            try:
                verify_signed_answer(answer, challenge, load_verify_key(key.signing_public_key))
            except ChallengeError:
                pass
            else:
                return AttemptOutcome.PASSED
        return AttemptOutcome.WRONG_ANSWER

    async def attempt(
        self, sub: Subscriber, key: Key, number: int, policy: ChallengePolicy
    ) -> Attempt:
        """One call, within ``policy.timeout_seconds`` in all. Never raises (cancellation
        aside): every failure is a failed ``Attempt``."""
        started = self._clock()
        try:
            async with asyncio.timeout(policy.timeout_seconds):
                outcome, status, error = await self._exchange(sub, key, policy, started)
        except _Failed as failed:
            outcome, status, error = failed.outcome, failed.status, failed.error
        except (TimeoutError, httpx.TimeoutException):
            outcome, status = AttemptOutcome.TIMEOUT, None
            error = f"no answer within {policy.timeout_seconds:g} s"
        except Exception:
            log.exception("challenge %s|%s failed", sub.subscriber_id, key.unique_key_id)
            outcome, status, error = (
                AttemptOutcome.UNREACHABLE,
                None,
                "the challenge could not be sent",
            )
        CHALLENGES.labels(outcome.value).inc()
        return Attempt(number, started, key.unique_key_id, outcome, status, error)

    async def _exchange(
        self, sub: Subscriber, key: Key, policy: ChallengePolicy, started: float
    ) -> tuple[AttemptOutcome, int | None, str | None]:
        try:
            url = httpx.URL(f"{check_url(sub.subscriber_url)}/on_subscribe")
        except InvalidRequest as exc:
            raise _Failed(AttemptOutcome.UNREACHABLE, exc.message) from None
        except httpx.InvalidURL:
            raise _Failed(AttemptOutcome.UNREACHABLE, "subscriber_url is not a valid URL") from None
        routes = await self._routes(url, policy)
        otp = new_otp()
        challenge = encrypt_challenge(
            otp,
            self._identity.keys.encryption_key,
            load_encryption_public_key(key.encr_public_key),
        )
        body = msgspec.json.encode(
            {
                "subscriber_id": sub.subscriber_id,
                "unique_key_id": key.unique_key_id,
                "pub_key_id": key.unique_key_id,
                "challenge": challenge,
            }
        )
        headers = {
            "Content-Type": "application/json",
            "Authorization": sign_header(
                body,
                self._identity.keys.signing_key,
                subscriber_id=self._identity.subscriber_id,
                unique_key_id=self._identity.keys.unique_key_id,
                created=int(started),
                expires=int(started) + 300,
            ),
            "Accept-Encoding": "identity",
            # a connection per attempt: never reused for another name on the same address
            "Connection": "close",
        }
        content = await self._post(routes, body, headers, policy)
        try:
            answer = msgspec.json.decode(content, type=_Answer).answer
        except (msgspec.DecodeError, RecursionError):  # nested too deeply is not JSON to us
            raise _Failed(
                AttemptOutcome.BAD_RESPONSE, 'expected {"answer": "..."} in JSON', 200
            ) from None
        outcome = self._judge(answer, otp, challenge, key, policy)
        if outcome is AttemptOutcome.PASSED:
            return outcome, 200, None
        return (
            outcome,
            200,
            "the answer is neither the decrypted challenge nor the challenge signed with the "
            "subscriber's signing key",
        )

    async def _routes(self, url: httpx.URL, policy: ChallengePolicy) -> list[_Route]:
        """With ``allow``: the URL as it is. With ``deny``: one route per address the host
        resolves to right now, all of them public, each connecting to the address itself."""
        if policy.private_networks is Networks.ALLOW:
            return [_Route(url, {}, {})]
        try:
            addresses = await public_addresses(str(url), Networks.ALLOW, self.resolve)
        except InvalidRequest:
            raise _Failed(
                AttemptOutcome.UNREACHABLE, "the subscriber_url does not resolve"
            ) from None
        if not all(is_public(address) for address in addresses):
            raise _Failed(
                AttemptOutcome.REFUSED,
                "the subscriber_url resolves to an address that is not public",
            )
        host = {"Host": url.netloc.decode("ascii")}
        sni = {"sni_hostname": url.host} if url.scheme == "https" else {}
        return [_Route(url.copy_with(host=address), host, sni) for address in addresses]

    async def _post(
        self, routes: list[_Route], body: bytes, headers: dict[str, str], policy: ChallengePolicy
    ) -> bytes:
        """The answer's bytes from the first route that connects."""
        for route in routes:
            try:
                async with self._client.stream(
                    "POST",
                    route.url,
                    content=body,
                    headers={**headers, **route.headers},
                    extensions=route.extensions,
                    timeout=policy.timeout_seconds,
                ) as response:
                    return await _read(response)
            except httpx.ConnectError:
                continue  # the next address, within the same deadline
            except httpx.TimeoutException:
                raise
            except httpx.HTTPError:
                raise _Failed(AttemptOutcome.UNREACHABLE, _CONNECTION_FAILED) from None
        raise _Failed(AttemptOutcome.UNREACHABLE, _CONNECT_FAILED)


async def _read(response: httpx.Response) -> bytes:
    """A 200 answer's bytes, at most ``MAX_ANSWER_BYTES``: past them reading stops, and
    leaving the stream unread closes the connection."""
    if response.status_code != 200:
        status = response.status_code
        raise _Failed(AttemptOutcome.HTTP_ERROR, f"the subscriber_url answered {status}", status)
    if response.headers.get("content-encoding", "identity").strip().lower() != "identity":
        raise _Failed(
            AttemptOutcome.BAD_RESPONSE, "the answer is compressed; the registry asks for none", 200
        )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise _Failed(AttemptOutcome.BAD_RESPONSE, "the answer is larger than 8 KiB", 200)
    content = bytearray()
    async for chunk in response.aiter_raw():
        content += chunk
        if len(content) > MAX_ANSWER_BYTES:
            raise _Failed(AttemptOutcome.BAD_RESPONSE, "the answer is larger than 8 KiB", 200)
    return bytes(content)
