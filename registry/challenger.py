"""Send one on_subscribe challenge and judge the answer. Every outcome becomes an ``Attempt``.

The registry POSTs ``{subscriber_id, unique_key_id, pub_key_id, challenge}`` to
``{subscriber_url}/on_subscribe``, signed with its own key. ``challenge`` is a fresh random
text encrypted to the key being proven. Two answer styles pass (policy may turn either off):
``{"answer": <the plaintext>}``, and ``{"answer": base64(crypto_sign(challenge))}`` made with
the subscriber's signing key (the Beckn protocol server).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

import httpx
import msgspec

from registry.identity import RegistryIdentity
from registry.model import Attempt, Key, Subscriber
from registry.policy import ChallengePolicy
from trust import (
    ChallengeError,
    encrypt_challenge,
    load_encryption_public_key,
    load_verify_key,
    new_otp,
    sign_header,
    verify_signed_answer,
)

__all__ = ["Challenger"]

_MAX_ANSWER_BYTES = 64 * 1024


class _Answer(msgspec.Struct):
    answer: str


class Challenger:
    def __init__(
        self,
        identity: RegistryIdentity,
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._identity = identity
        self._client = client
        self._clock = clock

    def _judge(
        self, answer: str, otp: str, challenge: str, key: Key, policy: ChallengePolicy
    ) -> str:
        if policy.accept_decrypted and hmac.compare_digest(answer.encode(), otp.encode()):
            return "passed"
        if policy.accept_signed:
            try:
                verify_signed_answer(answer, challenge, load_verify_key(key.signing_public_key))
            except ChallengeError:
                pass
            else:
                return "passed"
        return "wrong_answer"

    async def attempt(
        self, sub: Subscriber, key: Key, number: int, policy: ChallengePolicy
    ) -> Attempt:
        started = self._clock()
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
        header = sign_header(
            body,
            self._identity.keys.signing_key,
            subscriber_id=self._identity.subscriber_id,
            unique_key_id=self._identity.keys.unique_key_id,
            created=int(started),
            expires=int(started) + 300,
        )

        def result(outcome: str, status: int | None = None, error: str | None = None) -> Attempt:
            return Attempt(number, started, key.unique_key_id, outcome, status, error)

        url = f"{sub.subscriber_url}/on_subscribe"
        try:
            response = await self._client.post(
                url,
                content=body,
                timeout=policy.timeout_seconds,
                headers={"Content-Type": "application/json", "Authorization": header},
            )
        except httpx.TimeoutException:
            return result("timeout", error=f"no answer from {url} in {policy.timeout_seconds:g} s")
        except httpx.HTTPError as exc:
            return result("unreachable", error=f"{url}: {type(exc).__name__}: {exc}"[:300])
        if response.status_code != 200:
            return result(
                "http_error", response.status_code, f"{url} answered {response.status_code}"
            )
        if len(response.content) > _MAX_ANSWER_BYTES:
            return result("bad_response", 200, "the answer is too large")
        try:
            answer = msgspec.json.decode(response.content, type=_Answer).answer
        except msgspec.DecodeError as exc:
            return result("bad_response", 200, f'expected {{"answer": "..."}}: {exc}'[:300])
        outcome = self._judge(answer, otp, challenge, key, policy)
        error = (
            None
            if outcome == "passed"
            else "the answer is neither the decrypted "
            "challenge nor the challenge signed with the subscriber's signing key"
        )
        return result(outcome, 200, error)
