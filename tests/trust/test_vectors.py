"""Known-answer vectors (uei_testing/conformance/signing_vectors.json) and their negatives."""

from __future__ import annotations

import json
import time

import pytest
from nacl.signing import SigningKey

from uei.trust import (
    AlgorithmMismatch,
    Expired,
    NotYetValid,
    SignatureMismatch,
    UnknownAlgorithm,
    body_digest,
    build_header,
    decrypt_challenge,
    encode_key,
    encrypt_challenge,
    explain_mismatch,
    load_encryption_private_key,
    load_encryption_public_key,
    load_signing_key,
    load_verify_key,
    parse_header,
    shared_secret,
    sign,
    signing_string,
    verify,
)
from uei.trust.encoding import b64encode
from uei_testing.vectors import BAP, CHALLENGE, DATA, RequestVector, request_vectors

VECTORS = request_vectors()
SIGNED_BY_US = [v for v in VECTORS if v.private_key]


@pytest.mark.parametrize("case", DATA["blake2b_512"], ids=lambda c: c["input"][:20])
def test_blake2b_512(case: dict[str, str]) -> None:
    digest = body_digest(case["input"].encode())
    assert digest == case["base64"]
    assert bytes.fromhex(case["hex"]) == __import__("base64").b64decode(digest)


def test_bap_digest_and_signing_string_are_byte_exact() -> None:
    vector = DATA["request_signatures"][0]
    assert body_digest(BAP.body) == vector["digest"]
    assert (
        signing_string(BAP.created, BAP.expires, vector["digest"])
        == vector["signing_string"].encode()
    )


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v.name)
def test_vector_verifies_inside_its_window(v: RequestVector) -> None:
    params = parse_header(v.header) if v.header else None
    if params is None:
        params = parse_header(
            f'keyId="bg.example|k1|ed25519",algorithm="ed25519",created="{v.created}",'
            f'expires="{v.expires}",headers="(created) (expires) digest",signature="{v.signature}"'
        )
    assert params.signature == v.signature
    verify(v.body, params, load_verify_key(v.public_key), now=v.created + 1)


def test_long_expiry_vector_verifies_against_the_live_clock() -> None:
    (v,) = [v for v in VECTORS if v.name == "succinct-sdk-long-expiry"]
    assert v.header is not None
    verify(v.body, parse_header(v.header), load_verify_key(v.public_key), now=time.time())


@pytest.mark.parametrize("v", SIGNED_BY_US, ids=lambda v: v.name)
def test_signing_reproduces_the_published_signature(v: RequestVector) -> None:
    assert v.private_key is not None
    key = load_signing_key(v.private_key)
    assert encode_key(key.verify_key) == v.public_key
    params = sign(
        v.body,
        key,
        subscriber_id="example-bap.com",
        unique_key_id="ae3ea24b-cfec-495e-81f8-044aaef164ac",
        created=v.created,
        expires=v.expires,
    )
    assert params.signature == v.signature
    if v.header is not None:
        assert build_header(params) == v.header


def test_unspaced_signing_string_does_not_verify() -> None:
    """The documentation erratum: no space after each colon. Such a signature must fail."""
    assert BAP.private_key is not None
    key = load_signing_key(BAP.private_key)
    digest = body_digest(BAP.body)
    unspaced = f"(created):{BAP.created}\n(expires):{BAP.expires}\ndigest:BLAKE-512={digest}"
    signature = b64encode(key.sign(unspaced.encode()).signature)
    params = parse_header(BAP.header or "")
    forged = parse_header(build_header(params).replace(params.signature, signature))
    with pytest.raises(SignatureMismatch):
        verify(BAP.body, forged, key.verify_key, now=BAP.created)


@pytest.mark.parametrize("indent", [None, 2, 4])
def test_reserialized_body_does_not_verify_and_is_explained(indent: int | None) -> None:
    reserialized = json.dumps(json.loads(BAP.body), indent=indent).encode()
    assert reserialized != BAP.body
    params = parse_header(BAP.header or "")
    key = load_verify_key(BAP.public_key)
    with pytest.raises(SignatureMismatch) as caught:
        verify(reserialized, params, key, now=BAP.created)
    assert body_digest(reserialized) in str(caught.value)
    explanation = explain_mismatch(reserialized, params, key)
    assert explanation is not None
    assert "re-serialized minified" in explanation
    assert body_digest(BAP.body) in explanation


def test_explain_mismatch_says_nothing_for_a_plain_forgery() -> None:
    params = parse_header(BAP.header or "")
    other = SigningKey.generate().verify_key
    assert explain_mismatch(BAP.body, params, other) is None


def test_expired_and_future_created_are_refused_at_the_boundaries() -> None:
    params = parse_header(BAP.header or "")
    key = load_verify_key(BAP.public_key)
    verify(BAP.body, params, key, now=BAP.expires)  # the last valid second
    with pytest.raises(Expired, match=r"^expired: expires=1641291475 passed 1 s ago"):
        verify(BAP.body, params, key, now=BAP.expires + 1)
    verify(BAP.body, params, key, now=BAP.created - 5)  # inside the default 5 s skew
    with pytest.raises(NotYetValid, match=r"^not yet valid: created=1641287875 is 6 s ahead"):
        verify(BAP.body, params, key, now=BAP.created - 6)
    verify(BAP.body, params, key, now=BAP.created - 30, max_skew=30)


def test_key_id_algorithm_must_match_the_algorithm_parameter() -> None:
    header = (BAP.header or "").replace("|ed25519", "|rsa-sha256")
    with pytest.raises(AlgorithmMismatch, match="keyId names 'rsa-sha256'"):
        parse_header(header)
    with pytest.raises(UnknownAlgorithm, match="only ed25519"):
        parse_header(header.replace('algorithm="ed25519"', 'algorithm="rsa-sha256"'))


@pytest.mark.parametrize(
    "variant",
    [
        lambda h: h.replace('",', '", '),
        lambda h: h.replace('created="1641287875"', "created=1641287875").replace(
            'expires="1641291475"', "expires=1641291475"
        ),
        lambda h: h.replace("(created) (expires) digest", "(created)(expires)digest"),
        lambda h: h.replace("(created) (expires) digest", " (created)(expires)digest"),
        lambda h: h.removeprefix("Signature "),
        lambda h: h.replace('",', '" , '),
    ],
    ids=[
        "comma-space",
        "unquoted-numbers",
        "headers-unspaced",
        "headers-leading-space",
        "no-scheme",
        "space-around-comma",
    ],
)
def test_header_variants_deployed_clients_send_are_accepted(variant: object) -> None:
    assert callable(variant)
    header = variant(BAP.header)
    assert header != BAP.header
    params = parse_header(header)
    assert params == parse_header(BAP.header or "")
    verify(BAP.body, params, load_verify_key(BAP.public_key), now=BAP.created)


def test_challenge_vector_decrypts_and_encrypts_byte_exact() -> None:
    private = load_encryption_private_key(CHALLENGE["encryption_private_key_pkcs8_der_b64"])
    peer = load_encryption_public_key(CHALLENGE["encryption_public_key_spki_der_b64"])
    assert b64encode(shared_secret(private, peer)) == CHALLENGE["shared_secret_b64"]
    assert decrypt_challenge(CHALLENGE["ciphertext_b64"], private, peer) == CHALLENGE["plaintext"]
    assert encrypt_challenge(CHALLENGE["plaintext"], private, peer) == CHALLENGE["ciphertext_b64"]
