"""Identifiers as CPOs and BAPs send them, normalised, and turned into keyed tokens.

A raw identifier (phone number, UPI VPA, VIN...) is normalised and immediately becomes
``BLAKE2b-256(key = network secret, "kind:normalised value")``. Only tokens are stored or logged.
Pure: the secret is handed in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

__all__ = [
    "FAMILIES",
    "Family",
    "IdentifierError",
    "Kind",
    "Token",
    "family_named",
    "normalise",
    "token",
    "user_token",
]


class Kind(StrEnum):
    PHONE = "phone"
    UPI_VPA = "upi_vpa"
    VIN = "vin"
    CHASSIS = "chassis"
    BATTERY_ID = "battery_id"
    RFID = "rfid"
    OCPP_ID_TAG = "ocpp_id_tag"
    DEVICE = "device"


class Family(StrEnum):
    """What a token can match: kinds of one family are one thing (a VIN and a chassis number
    are one vehicle; an RFID card and an OCPP idTag are one credential)."""

    PHONE = "phone"
    UPI_VPA = "upi_vpa"
    VEHICLE = "vehicle"
    BATTERY = "battery"
    CREDENTIAL = "credential"
    DEVICE = "device"


FAMILIES: dict[Kind, Family] = {
    Kind.PHONE: Family.PHONE,
    Kind.UPI_VPA: Family.UPI_VPA,
    Kind.VIN: Family.VEHICLE,
    Kind.CHASSIS: Family.VEHICLE,
    Kind.BATTERY_ID: Family.BATTERY,
    Kind.RFID: Family.CREDENTIAL,
    Kind.OCPP_ID_TAG: Family.CREDENTIAL,
    Kind.DEVICE: Family.DEVICE,
}
"""What each kind can match (``normalise`` returns the same families)."""

_BY_NAME: dict[str, Family] = {f.value: f for f in Family}


def family_named(name: str) -> Family:
    """The family a token's ``family:`` prefix names; ``ValueError`` for any other."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"{name!r} is not a family") from None


class IdentifierError(ValueError):
    """An identifier that does not normalise; ``reason`` says why (never echoing the value)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Token:
    """A keyed token. ``family`` is what it can match: a chassis number that is a valid VIN
    and a VIN are one vehicle; an RFID card and an OCPP idTag are one credential."""

    family: Family
    value: str

    def __str__(self) -> str:
        return f"{self.family}:{self.value}"


_SEPARATORS = re.compile(r"[\s\-_.:/]+")
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_CHASSIS = re.compile(r"[A-Z0-9]{5,25}")
_CREDENTIAL = re.compile(r"[A-Z0-9]{4,64}")
_VPA = re.compile(r"[a-z0-9][a-z0-9._\-]{1,255}@[a-z][a-z0-9]{1,63}")
_DEVICE = re.compile(r"[a-z0-9\-_:.]{6,128}")
_MAX_RAW = 256


_E164_MOBILE = re.compile(r"\+91[6-9][0-9]{9}")
"""The spelling nearly every app sends: read without ``phonenumbers.parse`` (about 19 us of
a status query's ~35 us per phone), to the very number it would give (tests/test_identity.py
holds the two to one answer on every input)."""


def _phone(raw: str) -> str:
    if _E164_MOBILE.fullmatch(raw):
        number = phonenumbers.PhoneNumber(country_code=91, national_number=int(raw[3:]))
    else:
        try:
            number = phonenumbers.parse(raw, "IN")
        except NumberParseException:
            raise IdentifierError("phone", "not a phone number") from None
    if number.country_code != 91:
        raise IdentifierError("phone", "not an Indian (+91) number")
    kind = phonenumbers.number_type(number)  # UNKNOWN exactly when not is_valid_number
    if kind is PhoneNumberType.UNKNOWN:
        raise IdentifierError("phone", "not a valid Indian number")
    if kind is not PhoneNumberType.MOBILE:
        raise IdentifierError("phone", "not a mobile number")
    if phonenumbers.national_significant_number(number).startswith("160"):
        raise IdentifierError("phone", "160-series numbers belong to institutions, not people")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _squeezed(raw: str) -> str:
    return _SEPARATORS.sub("", raw).upper()


def _upi_vpa(kind: Kind, raw: str, scope: str | None) -> str:
    vpa = raw.strip().lower()
    if not _VPA.fullmatch(vpa):
        raise IdentifierError(kind.value, "not a UPI VPA of the form handle@psp")
    return vpa


def _vehicle(kind: Kind, raw: str, scope: str | None) -> str:
    value = _squeezed(raw)
    if _VIN.fullmatch(value):
        return value
    if kind is Kind.VIN:
        raise IdentifierError(kind.value, "a VIN is 17 letters and digits, without I, O or Q")
    if not _CHASSIS.fullmatch(value):
        raise IdentifierError(kind.value, "a chassis number is 5..25 letters and digits")
    return value


def _credential(kind: Kind, raw: str, scope: str | None) -> str:
    value = _squeezed(raw)
    if not _CREDENTIAL.fullmatch(value):
        raise IdentifierError(kind.value, "must be 4..64 letters and digits")
    return value


def _device(kind: Kind, raw: str, scope: str | None) -> str:
    if not scope:
        raise IdentifierError(kind.value, "device ids are scoped to the reporting app")
    value = raw.strip().lower()
    if not _DEVICE.fullmatch(value):
        raise IdentifierError(kind.value, "must be 6..128 letters, digits or - _ : .")
    return f"{scope}|{value}"


_Normaliser = Callable[[Kind, str, str | None], str]

_NORMALISERS: dict[Kind, _Normaliser] = {
    Kind.PHONE: lambda kind, raw, scope: _phone(raw),
    Kind.UPI_VPA: _upi_vpa,
    Kind.VIN: _vehicle,
    Kind.CHASSIS: _vehicle,
    Kind.BATTERY_ID: _credential,
    Kind.RFID: _credential,
    Kind.OCPP_ID_TAG: _credential,
    Kind.DEVICE: _device,
}
"""Each kind's normaliser; with ``FAMILIES`` the one table to extend for a new kind."""


def normalise(kind: Kind, raw: str, scope: str | None = None) -> tuple[Family, str]:
    """(family, normalised value) or ``IdentifierError``. ``scope`` is the reporting
    participant, required for device ids (they are per app)."""
    if not raw or len(raw) > _MAX_RAW:
        raise IdentifierError(kind.value, f"must be 1..{_MAX_RAW} characters")
    return FAMILIES[kind], _NORMALISERS[kind](kind, raw, scope)


def token(secret: bytes, kind: Kind, raw: str, scope: str | None = None) -> Token:
    """Normalise and key. The raw value does not survive this call."""
    if len(secret) < 16:
        raise ValueError("the network secret must be at least 16 bytes")
    family, value = normalise(kind, raw, scope)
    digest = hashlib.blake2b(f"{family}:{value}".encode(), key=secret[:64], digest_size=32)
    return Token(family, digest.hexdigest())


def user_token(secret: bytes, bap: str, user_ref: str) -> str:
    """A BAP's own reference for one of its users, keyed like every identifier (scoped to the
    BAP) and shortened: it only has to tell one app's users apart."""
    digest = hashlib.blake2b(f"user:{bap}|{user_ref}".encode(), key=secret[:64], digest_size=12)
    return digest.hexdigest()
