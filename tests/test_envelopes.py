"""The Beckn envelopes (uei/beckn.py) and the error -> HTTP table (uei/app/errors.py)."""

from __future__ import annotations

import json

from uei.app.errors import answer
from uei.beckn import ack_body, nack_body
from uei.errors import Conflict, Gone, InvalidTransition, NotFound, QuotaState, RateLimited
from uei.trust import Expired, SignatureMismatch


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
    refused = answer(SignatureMismatch("over digest X"))
    assert refused.status == 401
    assert refused.headers == {
        "WWW-Authenticate": 'Signature realm="uei",headers="(created) (expires) digest"'
    }
    body = json.loads(refused.body)
    assert body["message"]["ack"]["status"] == "NACK"
    assert body["error"] == {
        "code": "30016",
        "message": "signature mismatch: over digest X",
        "path": "Authorization",
    }


def test_unauthorized_for_gateway_header_uses_proxy_authenticate() -> None:
    error = Expired("passed")
    error.header_name = "X-Gateway-Authorization"
    refused = answer(error)
    assert set(refused.headers) == {"Proxy-Authenticate"}
    assert json.loads(refused.body)["error"]["code"] == "30022"


def test_a_subclass_takes_its_nearest_listed_base() -> None:
    assert answer(InvalidTransition("no")).status == answer(Conflict("no")).status == 409
    assert (answer(NotFound("x")).status, answer(Gone("x")).status) == (404, 410)


def test_rate_limited_is_a_problem_with_its_rule_headers() -> None:
    refused = answer(RateLimited("over", 0.2, QuotaState('r"1', 5, 60.0, 0, 1.5)))
    assert (refused.status, refused.media_type) == (429, "application/problem+json")
    assert refused.headers == {
        "RateLimit-Policy": '"r\\"1";q=5;w=60',
        "RateLimit": '"r\\"1";r=0;t=2',
        "Retry-After": "1",
    }
    assert json.loads(refused.body)["type"].endswith("#quota-exceeded")
