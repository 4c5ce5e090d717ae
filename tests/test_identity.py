"""Identifier normalisation and keyed tokens (uei/antiabuse/identity.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uei.antiabuse.identity import (
    _NORMALISERS,
    FAMILIES,
    Family,
    IdentifierError,
    Kind,
    normalise,
    token,
)

SECRET = b"s" * 32
OTHER_SECRET = b"t" * 32

mobile_subscriber = st.from_regex(r"[6-9][0-9]{9}", fullmatch=True)
vin = st.from_regex(r"[A-HJ-NPR-Z0-9]{17}", fullmatch=True)


@pytest.mark.parametrize(
    "spelling",
    [
        "98765 43210",
        "+91 98765 43210",
        "09876543210",
        "+91-98765-43210",
        "(+91) 9876543210",
        "919876543210",
    ],
)
def test_phone_spellings_normalise_to_one_e164(spelling: str) -> None:
    assert normalise(Kind.PHONE, spelling) == ("phone", "+919876543210")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1600123456", "160-series"),
        ("160 012 3456", "160-series"),
        ("022 2345 6789", "not a mobile number"),
        ("+1 415 555 2671", "not an Indian"),
        ("12345", "not a valid Indian number"),
        ("call me", "not a phone number"),
        ("", "1..256"),
    ],
)
def test_phones_that_are_not_a_person_s_mobile_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason) as caught:
        normalise(Kind.PHONE, raw)
    assert raw not in str(caught.value) or raw == ""


@given(mobile_subscriber, st.sampled_from(["", "+91", "0", "+91 ", "91"]))
def test_every_valid_mobile_normalises_idempotently(number: str, prefix: str) -> None:
    try:
        family, e164 = normalise(Kind.PHONE, prefix + number)
    except IdentifierError as exc:
        assert exc.reason in {"not a valid Indian number", "not a mobile number"}  # noqa: PT017
        return
    assert family == "phone"
    assert e164 == "+91" + number
    assert normalise(Kind.PHONE, e164) == (family, e164)


@given(vin, st.lists(st.sampled_from([" ", "-", ".", "/"]), max_size=4), st.data())
def test_vins_ignore_case_and_separators(value: str, seps: list[str], data: st.DataObject) -> None:
    spelled = value.lower()
    for sep in seps:
        at = data.draw(st.integers(0, len(spelled)))
        spelled = spelled[:at] + sep + spelled[at:]
    assert normalise(Kind.VIN, spelled) == ("vehicle", value)
    assert token(SECRET, Kind.VIN, spelled) == token(SECRET, Kind.CHASSIS, value)


@pytest.mark.parametrize("bad", ["MA3EWDE1S00I12345", "SHORT", "MA3EWDE1S00123456789"])
def test_malformed_vins(bad: str) -> None:
    with pytest.raises(IdentifierError, match="17 letters and digits"):
        normalise(Kind.VIN, bad)


def test_vpa_case_and_shape() -> None:
    assert normalise(Kind.UPI_VPA, " Ravi.K@OkSBI ") == ("upi_vpa", "ravi.k@oksbi")
    for bad in ["ravi", "@oksbi", "ravi@", "ravi@ok sbi", "r@1bank"]:
        with pytest.raises(IdentifierError, match="handle@psp"):
            normalise(Kind.UPI_VPA, bad)


def test_rfid_and_ocpp_id_tag_are_one_credential() -> None:
    assert token(SECRET, Kind.RFID, "04:a2:3b:1c") == token(SECRET, Kind.OCPP_ID_TAG, "04A23B1C")
    assert token(SECRET, Kind.BATTERY_ID, "04A23B1C") != token(SECRET, Kind.RFID, "04A23B1C")


def test_device_ids_are_scoped_to_the_reporting_app() -> None:
    a = token(SECRET, Kind.DEVICE, "a1b2c3d4e5", scope="bap-one.example")
    b = token(SECRET, Kind.DEVICE, "A1B2C3D4E5", scope="bap-one.example")
    c = token(SECRET, Kind.DEVICE, "a1b2c3d4e5", scope="bap-two.example")
    assert a == b
    assert a != c
    with pytest.raises(IdentifierError, match="scoped to the reporting app"):
        token(SECRET, Kind.DEVICE, "a1b2c3d4e5")


@given(mobile_subscriber.filter(lambda n: not n.startswith("160")))
def test_tokens_are_keyed_and_never_contain_the_value(number: str) -> None:
    try:
        mine = token(SECRET, Kind.PHONE, number)
    except IdentifierError:
        return
    assert number not in mine.value
    assert len(mine.value) == 64
    assert mine != token(OTHER_SECRET, Kind.PHONE, number)
    assert mine == token(SECRET, Kind.PHONE, "+91" + number)


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        token(b"short", Kind.PHONE, "9876543210")


@given(st.sampled_from(list(Kind)), st.text(max_size=80))
def test_normalisers_only_ever_raise_identifier_errors(kind: Kind, raw: str) -> None:
    try:
        family, value = normalise(kind, raw, scope="bap.example")
    except IdentifierError:
        return
    assert family
    assert (
        value
        == normalise(
            kind, value.split("|")[-1] if kind is Kind.DEVICE else value, scope="bap.example"
        )[1]
    )


def test_every_kind_has_a_family_and_a_normaliser() -> None:
    assert set(FAMILIES) == set(Kind) == set(_NORMALISERS)
    assert set(FAMILIES.values()) == set(Family)


def _phonenumbers_says(raw: str) -> str:
    """The phone rule read with phonenumbers alone, step by step (parse, is_valid_number,
    number_type): the answer ``_phone``'s faster reading must give on every input."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, "IN")
    except phonenumbers.NumberParseException:
        return "refused: not a phone number"
    if number.country_code != 91:
        return "refused: not an Indian (+91) number"
    if not phonenumbers.is_valid_number(number):
        return "refused: not a valid Indian number"
    if phonenumbers.number_type(number) is not phonenumbers.PhoneNumberType.MOBILE:
        return "refused: not a mobile number"
    if phonenumbers.national_significant_number(number).startswith("160"):
        return "refused: 160-series numbers belong to institutions, not people"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalised_or_refused(raw: str) -> str:
    """The phone normaliser itself (``normalise`` first bounds the length)."""
    try:
        return _NORMALISERS[Kind.PHONE](Kind.PHONE, raw, None)
    except IdentifierError as exc:
        return f"refused: {exc.reason}"


spelled_numbers = st.one_of(
    st.from_regex(r"\+91[0-9]{10}", fullmatch=True),  # the spelling read without parse
    st.from_regex(r"\+91[6-9][0-9]{8,10}", fullmatch=True),  # one digit short or long
    st.from_regex(r"(\+|0|00)?[0-9]{1,3}[ -]?[0-9]{6,11}", fullmatch=True),
    st.from_regex(r"\+91[6-9][0-9]{9}[\n x#0-9]{0,4}", fullmatch=True),  # trailing bits
    st.text(alphabet="+0123456789 -()x٣", max_size=16),
)


@given(spelled_numbers)
def test_phones_normalise_exactly_as_phonenumbers_reads_them(raw: str) -> None:
    assert _normalised_or_refused(raw) == _phonenumbers_says(raw)


@pytest.mark.parametrize(
    "raw", ["+919876543210", "+916000000000", "+911600000000", "+915876543210", "+91987654321٣"]
)
def test_the_common_spelling_agrees_with_phonenumbers(raw: str) -> None:
    assert _normalised_or_refused(raw) == _phonenumbers_says(raw)
