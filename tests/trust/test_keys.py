"""Key loading in every deployed encoding, and clear refusals."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from uei.trust import (
    KeyFormatError,
    encode_key,
    generate_key_set,
    load_encryption_private_key,
    load_encryption_public_key,
    load_signing_key,
    load_verify_key,
)
from uei.trust.der import DerError, read_pkcs8, read_spki
from uei.trust.encoding import b64encode
from uei_testing.vectors import BAP, CHALLENGE

_DER = serialization.Encoding.DER
_PEM = serialization.Encoding.PEM
_PKCS8 = serialization.PrivateFormat.PKCS8
_SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
_NONE = serialization.NoEncryption()


def _pkcs8_v2(seed: bytes, public: bytes, oid: str) -> bytes:
    """OneAsymmetricKey (version 1) with the [1] public key, as some utilities emit."""
    inner = (
        bytes.fromhex(f"020101300506032b65{oid}04220420") + seed + bytes.fromhex("812100") + public
    )
    return bytes([0x30, len(inner)]) + inner


@given(st.binary(min_size=32, max_size=32))
def test_every_signing_key_encoding_loads_to_the_same_seed(seed: bytes) -> None:
    crypto = Ed25519PrivateKey.from_private_bytes(seed)
    public = crypto.public_key().public_bytes_raw()
    forms = [
        b64encode(seed),
        b64encode(seed + public),
        b64encode(crypto.private_bytes(_DER, _PKCS8, _NONE)),
        crypto.private_bytes(_PEM, _PKCS8, _NONE).decode(),
        b64encode(_pkcs8_v2(seed, public, "70")),
    ]
    for form in forms:
        key = load_signing_key(form)
        assert encode_key(key) == b64encode(seed)
        assert bytes(key.verify_key) == public
    spki = crypto.public_key().public_bytes(_DER, _SPKI)
    pem = crypto.public_key().public_bytes(_PEM, _SPKI).decode()
    for text in [b64encode(public), b64encode(spki), pem]:
        assert encode_key(load_verify_key(text)) == b64encode(public)


@given(st.binary(min_size=32, max_size=32))
def test_every_encryption_key_encoding_loads_to_the_same_key(raw: bytes) -> None:
    crypto = X25519PrivateKey.from_private_bytes(raw)
    public = crypto.public_key().public_bytes_raw()
    for form in [
        b64encode(raw),
        b64encode(crypto.private_bytes(_DER, _PKCS8, _NONE)),
        b64encode(_pkcs8_v2(raw, public, "6e")),
    ]:
        key = load_encryption_private_key(form)
        assert encode_key(key) == b64encode(raw)
        assert bytes(key.public_key) == public
    spki = b64encode(crypto.public_key().public_bytes(_DER, _SPKI))
    assert encode_key(load_encryption_public_key(spki)) == b64encode(public)


def test_published_vector_keys_load() -> None:
    assert BAP.private_key is not None
    assert encode_key(load_signing_key(BAP.private_key).verify_key) == BAP.public_key
    private = load_encryption_private_key(CHALLENGE["encryption_private_key_pkcs8_der_b64"])
    assert len(bytes(private)) == 32


@pytest.mark.parametrize(
    ("loader", "value", "message"),
    [
        (load_signing_key, "", "is empty"),
        (load_signing_key, "not base64!!", "not valid base64"),
        (load_signing_key, b64encode(b"x" * 20), "20 bytes: expected a 32-byte seed, a 64-byte"),
        (load_verify_key, b64encode(b"x" * 31), "31 bytes: expected 32 raw bytes or SPKI DER"),
        (
            load_verify_key,
            CHALLENGE["encryption_public_key_spki_der_b64"],
            "is an X25519 key in SPKI DER, not an Ed25519 key",
        ),
        (
            load_signing_key,
            CHALLENGE["encryption_private_key_pkcs8_der_b64"],
            "is an X25519 key in PKCS#8 DER, not an Ed25519 key",
        ),
        (load_encryption_private_key, b64encode(b"y" * 64), "64 bytes: expected a 32-byte key"),
    ],
)
def test_bad_keys_are_refused_with_the_reason(loader: object, value: str, message: str) -> None:
    assert callable(loader)
    with pytest.raises(KeyFormatError, match=message):
        loader(value)


def test_libsodium_key_whose_halves_disagree_is_refused() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    with pytest.raises(KeyFormatError, match="public half does not match"):
        load_signing_key(b64encode(bytes(a) + bytes(b.verify_key)))


@given(st.binary(max_size=120))
def test_der_readers_refuse_garbage_with_der_errors_only(data: bytes) -> None:
    for reader in (read_pkcs8, read_spki):
        try:
            curve, raw = reader(data)
        except DerError:
            continue
        assert curve in {"Ed25519", "X25519"}
        assert len(raw) == 32


def test_generated_key_sets_are_distinct_working_pairs() -> None:
    first, second = generate_key_set(), generate_key_set("k-2")
    assert first.unique_key_id != second.unique_key_id
    assert second.unique_key_id == "k-2"
    fields = first.as_json_fields()
    signing = load_signing_key(fields["signing_private_key"])
    assert encode_key(signing.verify_key) == fields["signing_public_key"]
    encryption = load_encryption_private_key(fields["encr_private_key"])
    assert encode_key(encryption.public_key) == fields["encr_public_key"]
    assert fields["signing_public_key"] != second.as_json_fields()["signing_public_key"]
