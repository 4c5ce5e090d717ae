"""Just enough DER to read Ed25519 / X25519 keys in PKCS#8 (v1 and v2) and SPKI form.

RFC 8410: ``PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING
{ OCTET STRING seed }, [0] attributes OPTIONAL, [1] publicKey OPTIONAL }`` and
``SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING key }``.
"""

from __future__ import annotations

__all__ = ["CURVE_OIDS", "DerError", "read_pkcs8", "read_spki", "write_spki"]

CURVE_OIDS = {bytes.fromhex("2b6570"): "Ed25519", bytes.fromhex("2b656e"): "X25519"}
_SEQUENCE, _INTEGER, _BIT_STRING, _OCTET_STRING, _OID = 0x30, 0x02, 0x03, 0x04, 0x06


class DerError(ValueError):
    pass


def _tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """(tag, value, position after) of the element at ``pos``."""
    if pos + 2 > len(data):
        raise DerError("truncated element")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 2 or pos + count > len(data):
            raise DerError("unsupported length encoding")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise DerError("element runs past the end")
    return tag, data[pos:end], end


def _expect(data: bytes, pos: int, tag: int, what: str) -> tuple[bytes, int]:
    found, value, end = _tlv(data, pos)
    if found != tag:
        raise DerError(f"expected {what}")
    return value, end


def _whole_sequence(der: bytes) -> bytes:
    body, end = _expect(der, 0, _SEQUENCE, "a SEQUENCE")
    if end != len(der):
        raise DerError("trailing bytes after the key")
    return body


def _curve(body: bytes, pos: int) -> tuple[str, int]:
    algorithm, pos_after = _expect(body, pos, _SEQUENCE, "an AlgorithmIdentifier")
    oid, oid_end = _expect(algorithm, 0, _OID, "an algorithm OID")
    if oid_end != len(algorithm):
        raise DerError("RFC 8410 keys carry no algorithm parameters")
    curve = CURVE_OIDS.get(oid)
    if curve is None:
        raise DerError(f"algorithm OID {oid.hex()} is neither Ed25519 nor X25519")
    return curve, pos_after


def read_pkcs8(der: bytes) -> tuple[str, bytes]:
    """(curve name, 32-byte private key) from PKCS#8 v1 or v2 (OneAsymmetricKey) DER."""
    body = _whole_sequence(der)
    version, pos = _expect(body, 0, _INTEGER, "a version INTEGER")
    if version not in (b"\x00", b"\x01"):
        raise DerError("unknown PKCS#8 version")
    curve, pos = _curve(body, pos)
    wrapped, pos = _expect(body, pos, _OCTET_STRING, "the private key OCTET STRING")
    seed, seed_end = _expect(wrapped, 0, _OCTET_STRING, "the inner OCTET STRING")
    if seed_end != len(wrapped) or len(seed) != 32:
        raise DerError("the private key is not 32 bytes")
    while pos < len(body):  # [0] attributes and [1] public key: allowed, not needed
        tag, _, pos = _tlv(body, pos)
        if tag not in (0xA0, 0x81, 0xA1):
            raise DerError("unexpected element after the private key")
    return curve, seed


def read_spki(der: bytes) -> tuple[str, bytes]:
    """(curve name, 32-byte public key) from SubjectPublicKeyInfo DER."""
    body = _whole_sequence(der)
    curve, pos = _curve(body, 0)
    bits, end = _expect(body, pos, _BIT_STRING, "the public key BIT STRING")
    if end != len(body) or len(bits) != 33 or bits[0] != 0:
        raise DerError("the public key is not 32 bytes")
    return curve, bits[1:]


def write_spki(curve: str, raw: bytes) -> bytes:
    """SubjectPublicKeyInfo DER of a 32-byte ``curve`` public key: the exact 44 bytes
    ``read_spki`` reads (and ``cryptography``'s ``load_der_public_key`` loads)."""
    oid = next((o for o, name in CURVE_OIDS.items() if name == curve), None)
    if oid is None or len(raw) != 32:
        raise DerError(f"cannot write a {len(raw)}-byte {curve} key as SPKI")
    algorithm = bytes([_SEQUENCE, 2 + len(oid), _OID, len(oid)]) + oid
    bits = bytes([_BIT_STRING, 33, 0]) + raw
    body = algorithm + bits
    return bytes([_SEQUENCE, len(body)]) + body
