"""ONDC's key forms, over HTTP through the real app, with ONDC's own ``cryptography`` calls.

ONDC's utilities (its on_subscribe server's ``decrypt`` and its ``encrypt``) load the other
side's X25519 key with ``load_der_public_key(b64decode(key))``: base64 SPKI DER, which is
what ONDC's registry publishes. They load their own private key with
``load_der_private_key(b64decode(key))`` (PKCS#8 DER), exchange, and use the raw 32-byte
shared secret as an AES-256-ECB key with PKCS#7 padding. The steps below are those calls
(facts from ONDC's reference code; no ONDC code is copied).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from litestar import Request, Response

from tests.registry.peers import SubscriberPeer, serve
from uei.trust import (
    KeySet,
    decrypt_challenge,
    encode_key,
    encode_spki,
    generate_key_set,
    load_encryption_public_key,
    load_verify_key,
    parse_header,
    verify,
)
from uei_testing.factories import Participant
from uei_testing.harness import running

pytestmark = pytest.mark.anyio

SID = "ondc-np.example"


# --- ONDC's steps, as its utilities make them ----------------------------------------------


def ondc_private_key(keys: KeySet) -> str:
    """The participant's X25519 private key as ONDC keeps it: base64 PKCS#8 DER."""
    private = X25519PrivateKey.from_private_bytes(bytes(keys.encryption_key))
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(der).decode()


def _shared_key(own_private_b64: str, other_public_b64: str) -> bytes:
    private = serialization.load_der_private_key(base64.b64decode(own_private_b64), password=None)
    public = serialization.load_der_public_key(base64.b64decode(other_public_b64))
    assert isinstance(private, X25519PrivateKey)
    assert isinstance(public, X25519PublicKey)
    return private.exchange(public)


def ondc_decrypt(other_public_b64: str, own_private_b64: str, cipher_b64: str) -> str:
    decryptor = Cipher(algorithms.AES(_shared_key(own_private_b64, other_public_b64)), modes.ECB())
    plain = decryptor.decryptor().update(base64.b64decode(cipher_b64))
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(plain) + unpadder.finalize()).decode()


def ondc_encrypt(own_private_b64: str, other_public_b64: str, message: str) -> str:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(message.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_shared_key(own_private_b64, other_public_b64)), modes.ECB())
    return base64.b64encode(encryptor.encryptor().update(padded)).decode()


class OndcPeer(SubscriberPeer):
    """ONDC's on_subscribe server, configured with the registry's encryption key exactly as
    ``/.well-known/uei-registry.json`` publishes it under ``encr_public_key_der``."""

    async def on_subscribe(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        signature = parse_header(request.headers["authorization"])
        key = load_verify_key(self.registry_well_known["signing_public_key"])
        verify(body, signature, key, now=signature.created)
        call = msgspec.json.decode(body)
        self.calls.append(call)
        answer = ondc_decrypt(
            self.registry_well_known["encr_public_key_der"],
            ondc_private_key(self.keys),
            call["challenge"],
        )
        return Response(msgspec.json.encode({"answer": answer}), media_type="application/json")


# --- the tests ------------------------------------------------------------------------------


def test_the_der_form_is_spki_of_the_same_key() -> None:
    """44 bytes: the RFC 8410 SPKI prefix and the raw key; ``cryptography`` reads back the
    same 32 bytes."""
    keys = generate_key_set()
    der = base64.b64decode(encode_spki(keys.encryption_public_key))
    assert der[:12] == bytes.fromhex("302a300506032b656e032100")
    assert der[12:] == bytes(keys.encryption_public_key)
    loaded = serialization.load_der_public_key(der)
    assert isinstance(loaded, X25519PublicKey)
    assert loaded.public_bytes_raw() == bytes(keys.encryption_public_key)
    assert load_encryption_public_key(encode_spki(keys.encryption_public_key)) == (
        keys.encryption_public_key
    )
    signing = base64.b64decode(encode_spki(keys.verify_key))
    assert signing[:12] == bytes.fromhex("302a300506032b6570032100")


async def test_ondcs_on_subscribe_server_passes_with_the_published_der_key(
    tmp_path: Path,
) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h:
        answer = await h.client.get("/.well-known/uei-registry.json")
        assert answer.status_code == 200
        h.check_signed(answer)
        known = answer.json()
        # raw forms kept for existing clients; the DER forms are the same keys
        assert known["encr_public_key"] == h.well_known["encr_public_key"]
        assert len(base64.b64decode(known["encr_public_key"])) == 32
        assert len(base64.b64decode(known["signing_public_key"])) == 32
        # ONDC's load of the raw form fails: that is the reported bug
        with pytest.raises(ValueError, match="Could not deserialize key data"):
            serialization.load_der_public_key(base64.b64decode(known["encr_public_key"]))
        encr = serialization.load_der_public_key(base64.b64decode(known["encr_public_key_der"]))
        assert isinstance(encr, X25519PublicKey)
        assert base64.b64encode(encr.public_bytes_raw()).decode() == known["encr_public_key"]
        signing = serialization.load_der_public_key(
            base64.b64decode(known["signing_public_key_der"])
        )
        assert isinstance(signing, Ed25519PublicKey)
        assert base64.b64encode(signing.public_bytes_raw()).decode() == known["signing_public_key"]

        peer = OndcPeer(generate_key_set(), known)
        async with serve(peer):
            body = {
                "subscriber_id": SID,
                "url": peer.url,
                "type": "BAP",
                "domain": "ev-charging:uei",
                "city": "std:080",
                "country": "IND",
                "unique_key_id": peer.keys.unique_key_id,
                "signing_public_key": encode_key(peer.keys.verify_key),
                # an ONDC participant registers its encryption key in DER form
                "encr_public_key": encode_spki(peer.keys.encryption_public_key),
            }
            raw = json.dumps(body).encode()
            subscribed = await h.signed("POST", "/subscribe", peer.keys, SID, raw)
            assert subscribed.status_code == 200, subscribed.text
            assert await h.registry.run_due_challenges() == 1
        assert len(peer.calls) == 1
        sub = await h.registry.store.load(SID)
        assert sub is not None
        assert sub.status.value == "SUBSCRIBED"
        assert sub.attempts[-1].outcome.value == "passed"


async def test_ondcs_encrypt_loads_the_keys_v2_lookup_returns(tmp_path: Path) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h:
        target, caller = Participant("cpo-ondc.example"), Participant("bap-ondc.example")
        await h.enrol(target)
        await h.enrol(caller)
        ask = json.dumps({"subscriber_id": target.subscriber_id}).encode()
        found = await h.signed(
            "POST", "/v2.0/lookup", caller.keys, caller.subscriber_id, ask, header="Authorization"
        )
        assert found.status_code == 200, found.text
        h.check_signed(found)
        (record,) = found.json()
        # ONDC's encrypt(): the looked-up key loads as DER, and it is the target's own key
        message = "hello from an ONDC client"
        sealed = ondc_encrypt(ondc_private_key(caller.keys), record["encr_public_key"], message)
        opened = decrypt_challenge(
            sealed, target.keys.encryption_key, caller.keys.encryption_public_key
        )
        assert opened == message
        # the signing key stays raw (32 bytes), as ONDC publishes it
        assert base64.b64decode(record["signing_public_key"]) == bytes(target.keys.verify_key)
        # the Beckn lookup keeps raw keys: the same key, the other spelling
        beckn = (await h.client.post("/lookup", content=ask)).json()
        assert beckn[0]["encr_public_key"] == encode_key(target.keys.encryption_public_key)
        assert {**beckn[0], "encr_public_key": record["encr_public_key"]} == record
