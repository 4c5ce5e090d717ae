"""on_subscribe challenge crypto both ways, site verification, protocol-server answers."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from nacl.bindings import crypto_sign
from nacl.public import PrivateKey, PublicKey
from nacl.signing import SigningKey

from uei.trust import (
    ChallengeError,
    decrypt_challenge,
    encrypt_challenge,
    new_otp,
    shared_secret,
    sign_site_verification,
    verify_signed_answer,
    verify_site_verification,
)
from uei.trust.encoding import b64encode

x25519 = st.binary(min_size=32, max_size=32).map(PrivateKey)


@given(x25519, x25519, st.text(max_size=200))
def test_registry_encrypts_and_subscriber_decrypts(
    registry: PrivateKey, subscriber: PrivateKey, otp: str
) -> None:
    challenge = encrypt_challenge(otp, registry, subscriber.public_key)
    assert decrypt_challenge(challenge, subscriber, registry.public_key) == otp


@given(x25519, x25519, x25519)
def test_a_third_party_cannot_read_the_challenge(
    registry: PrivateKey, subscriber: PrivateKey, eve: PrivateKey
) -> None:
    assume(bytes(eve.public_key) != bytes(subscriber.public_key))  # clamping: same key
    otp = "f1e2d3c4b5a6978812345678"
    challenge = encrypt_challenge(otp, registry, subscriber.public_key)
    with contextlib.suppress(ChallengeError):
        assert decrypt_challenge(challenge, eve, registry.public_key) != otp


@pytest.mark.parametrize(
    ("ciphertext", "message"),
    [
        ("!!!", "not valid base64"),
        (b64encode(b"short"), "not a whole number of AES blocks"),
        ("", "not a whole number"),
    ],
)
def test_undecryptable_challenges_say_why(ciphertext: str, message: str) -> None:
    a, b = PrivateKey.generate(), PrivateKey.generate()
    with pytest.raises(ChallengeError, match=message):
        decrypt_challenge(ciphertext, a, b.public_key)


def test_low_order_peer_key_is_refused() -> None:
    with pytest.raises(ChallengeError, match="low-order"):
        shared_secret(PrivateKey.generate(), PublicKey(bytes(32)))


def test_otps_are_fresh() -> None:
    assert len({new_otp() for _ in range(50)}) == 50


def test_site_verification_signs_the_raw_request_id() -> None:
    key = SigningKey.generate()
    signature = sign_site_verification("req-123", key)
    assert key.verify_key.verify(b"req-123", __import__("base64").b64decode(signature))
    verify_site_verification("req-123", signature, key.verify_key)
    with pytest.raises(ChallengeError):
        verify_site_verification("req-124", signature, key.verify_key)


def test_protocol_server_style_answer() -> None:
    """base64(crypto_sign(challenge)): 64-byte signature then the challenge as sent."""
    key = SigningKey.generate()
    challenge = "CrwN248HS4CIYsUvxtrK0pWCBaoyZh4LnWtGqeH7Mpc="
    answer = b64encode(crypto_sign(challenge.encode(), bytes(key) + bytes(key.verify_key)))
    verify_signed_answer(answer, challenge, key.verify_key)
    with pytest.raises(ChallengeError, match="different string"):
        verify_signed_answer(answer, challenge + "x", key.verify_key)
    with pytest.raises(ChallengeError, match="not the challenge signed"):
        verify_signed_answer(answer, challenge, SigningKey.generate().verify_key)
