"""The 401 answer and the Beckn envelopes."""

from __future__ import annotations

import json

from uei.trust import Expired, SignatureMismatch, ack_body, nack_body, unauthorized


def test_ack_is_the_beckn_envelope_byte_for_byte() -> None:
    assert ack_body() == b'{"message":{"ack":{"status":"ACK"}}}'


def test_nack_names_code_message_and_path() -> None:
    body = json.loads(
        nack_body("30000", "identifiers[2].value: not a mobile number", "identifiers[2]")
    )
    assert body == {
        "message": {"ack": {"status": "NACK"}},
        "error": {
            "code": "30000",
            "message": "identifiers[2].value: not a mobile number",
            "path": "identifiers[2]",
        },
    }
    assert "path" not in json.loads(nack_body("30000", "bad"))["error"]


def test_unauthorized_for_authorization_header() -> None:
    answer = unauthorized(SignatureMismatch("over digest X"), realm="uei")
    assert answer.status == 401
    assert answer.headers == {
        "WWW-Authenticate": 'Signature realm="uei",headers="(created) (expires) digest"'
    }
    body = json.loads(answer.body)
    assert body["message"]["ack"]["status"] == "NACK"
    assert body["error"] == {
        "code": "30016",
        "message": "signature mismatch: over digest X",
        "path": "Authorization",
    }


def test_unauthorized_for_gateway_header_uses_proxy_authenticate() -> None:
    answer = unauthorized(Expired("passed"), realm="uei", header_name="X-Gateway-Authorization")
    assert set(answer.headers) == {"Proxy-Authenticate"}
    assert json.loads(answer.body)["error"]["code"] == "30022"
