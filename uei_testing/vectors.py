"""Typed access to the conformance vectors (``conformance/signing_vectors.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PATH = Path(__file__).parent / "conformance" / "signing_vectors.json"
DATA: dict[str, Any] = json.loads(PATH.read_text())


@dataclass(frozen=True)
class RequestVector:
    name: str
    body: bytes
    public_key: str
    header: str | None
    private_key: str | None
    created: int
    expires: int
    signature: str


def request_vectors() -> list[RequestVector]:
    by_name = {v["name"]: v for v in DATA["request_signatures"]}
    out = []
    for v in DATA["request_signatures"]:
        body = v["body"] if "body" in v else by_name[v["body_ref"]]["body"]
        header = v.get("header")
        created, expires, signature = v.get("created"), v.get("expires"), v.get("signature")
        if header is not None:
            params = dict(
                part.split("=", 1) for part in header.removeprefix("Signature ").split(",")
            )
            created = int(params["created"].strip('"'))
            expires = int(params["expires"].strip('"'))
            signature = params["signature"].strip('"')
        out.append(
            RequestVector(
                name=v["name"],
                body=body.encode(),
                public_key=v["signing_public_key"],
                header=header,
                private_key=v.get("signing_private_key_libsodium64"),
                created=int(created),
                expires=int(expires),
                signature=str(signature),
            )
        )
    return out


BAP = request_vectors()[0]
CHALLENGE: dict[str, str] = DATA["challenge_crypto"][0]
