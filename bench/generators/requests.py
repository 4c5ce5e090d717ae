"""Ready-to-send request bytes for the load's mix, built before the clock starts."""

from __future__ import annotations

import base64
import itertools
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.client.plan import Plan
from bench.generators.participants import Member, Person
from bench.local import HOST
from bench.mix import DOMAIN, GET_KEY, KINDS, QUOTA, SIGNED, STATUS


class Requests:
    """Ready-to-send request bytes by kind: lookups cycle (repeats are what verifiers send);
    signed requests are each used once."""

    def __init__(
        self, plan: Plan, members: Sequence[Member], users: Sequence[Person], now: float
    ) -> None:
        self.rng = random.Random(plan.seed)
        self.host = f"{HOST}:{plan.port}".encode()
        self.tag = plan.tag
        self.members = members
        self.bgs = [m for m in members if m.type == "BG"]
        self.baps = [m for m in members if m.type == "BAP"]
        self.bpps = [m for m in members if m.type == "BPP"]
        self.users = users
        self.defaulters = users[: max(1, len(users) // 10)]
        self.created = int(now)
        self.occurred = (datetime.fromtimestamp(now, UTC) - timedelta(days=8)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        self._keys: dict[str, Any] = {}
        self._signed: set[tuple[str, bytes]] = set()
        self.serial = itertools.count()
        total = sum(plan.weights.values())
        kinds = [k for k in KINDS if plan.weights.get(k, 0) > 0]
        cumulative = list(itertools.accumulate(plan.weights[k] / total for k in kinds))
        self.sequence = [
            kinds[min(len(kinds) - 1, _bisect(cumulative, self.rng.random()))] for _ in range(20011)
        ]
        self.cycled: dict[str, list[bytes]] = {}
        self.once: dict[str, list[bytes]] = {}
        for kind in kinds:
            if kind in SIGNED:
                n = int(plan.expected * plan.weights[kind] / total * 1.3) + 200
                self.once[kind] = [self._build(kind) for _ in range(n)]
            else:
                order = list(members)
                self.rng.shuffle(order)
                self.cycled[kind] = [self._unsigned(kind, m) for m in order]
        self._cursor = dict.fromkeys(self.cycled, 0)
        self.probe = self._unsigned(GET_KEY, members[0])
        """A request both apps answer, to see which worker accepted a connection."""
        self._turn = 0

    def next(self) -> tuple[str, bytes] | None:
        """The next request of the mix, or None when the signed ones ran out."""
        kind = self.sequence[self._turn % len(self.sequence)]
        self._turn += 1
        pool = self.cycled.get(kind)
        if pool is not None:
            i = self._cursor[kind]
            self._cursor[kind] = i + 1
            return kind, pool[i % len(pool)]
        ready = self.once[kind]
        if not ready:
            return None
        return kind, ready.pop()

    # -- building

    def _head(self, method: bytes, path: bytes) -> bytes:
        return b"%s %s HTTP/1.1\r\nhost: %s\r\n" % (method, path, self.host)

    def _post(self, path: bytes, body: bytes, authorization: str | None = None) -> bytes:
        head = self._head(b"POST", path)
        head += b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body)
        if authorization is not None:
            head += b"authorization: %s\r\n" % authorization.encode()
        return head + b"\r\n" + body

    def _unsigned(self, kind: str, m: Member) -> bytes:
        if kind == GET_KEY:
            path = f"/lookup/{m.subscriber_id}/{m.unique_key_id}".encode()
            return self._head(b"GET", path) + b"\r\n"
        if self.rng.random() < 0.6:  # beckn-onix: subscriber and key id
            body = {"subscriber_id": m.subscriber_id, "ukId": m.unique_key_id}
        else:  # ONDC style: subscriber, type, domain
            body = {"subscriber_id": m.subscriber_id, "type": m.type, "domain": DOMAIN}
        return self._post(b"/lookup", json.dumps(body).encode())

    def _sign(self, m: Member, body: bytes) -> str:
        from nacl.signing import SigningKey

        from uei.trust import sign_header

        key = self._keys.get(m.subscriber_id)
        if key is None:
            key = self._keys[m.subscriber_id] = SigningKey(m.seed)
        return sign_header(
            body,
            key,
            subscriber_id=m.subscriber_id,
            unique_key_id=m.unique_key_id,
            created=self.created,
        )

    def _bap_request(self, bap: Member, ref: str, bpp_id: str) -> dict[str, str]:
        """A BAP's Beckn search (UEI: a circle around the user) or a select sent to the BPP,
        signed by the BAP as it sent it: what a BPP forwards to have it checked."""
        rng = self.rng
        context = {
            "domain": DOMAIN,
            "action": "search",
            "version": "1.1.0",
            "bap_id": bap.subscriber_id,
            "bap_uri": f"https://{bap.subscriber_id}/beckn",
            "transaction_id": ref,
            "message_id": ref,
            "timestamp": datetime.fromtimestamp(self.created, UTC).isoformat(),
        }
        message: dict[str, Any] = {}
        if rng.random() < 0.8:
            lat, lon = 12.9716 + rng.uniform(-0.2, 0.2), 77.5946 + rng.uniform(-0.2, 0.2)
            radius = {"type": "CONSTANT", "value": str(rng.choice([2, 5])), "unit": "km"}
            circle = {"gps": f"{lat:.6f},{lon:.6f}", "radius": radius}
            message = {"intent": {"fulfillment": {"stops": [{"location": {"circle": circle}}]}}}
        else:
            context |= {"action": "select", "bpp_id": bpp_id, "bpp_uri": f"https://{bpp_id}/"}
            message = {"order": {"provider": {"id": "p1"}, "items": [{"id": "charging-01"}]}}
        raw = json.dumps({"context": context, "message": message}, separators=(",", ":")).encode()
        return {"authorization": self._sign(bap, raw), "body": base64.b64encode(raw).decode()}

    def _build(self, kind: str) -> bytes:
        rng, n = self.rng, next(self.serial)
        ref = f"{self.tag}-{n}"
        body: dict[str, Any]
        if kind == QUOTA:
            bap = rng.choice(self.baps)
            if rng.random() < 0.8:  # a gateway, on its own word
                body = {"bap_id": bap.subscriber_id, "message_id": ref}
                if rng.random() < 0.8:
                    lat, lon = 12.9716 + rng.uniform(-0.2, 0.2), 77.5946 + rng.uniform(-0.2, 0.2)
                    gps, radius = f"{lat:.5f},{lon:.5f}", rng.choice([2, 5])
                    body["action"] = "search"
                    body["search"] = {"gps": gps, "radius_km": radius}
                else:
                    body["action"] = "select"
                if rng.random() < 0.5:
                    body["user_ref"] = f"u{rng.randrange(10**6)}"
                signer = rng.choice(self.bgs)
            else:  # a BPP, forwarding the BAP's own signed request
                signer = rng.choice(self.bpps)
                body = {"bap_request": self._bap_request(bap, ref, signer.subscriber_id)}
            path = b"/abuse/quota/check"
        elif kind == STATUS:
            user = rng.choice(self.users)
            second = {"kind": "upi_vpa", "value": user.upi}
            if rng.random() < 0.5:
                second = {"kind": "rfid", "value": user.rfid}
            body = {
                "purpose": "postpaid_session",
                "identifiers": [{"kind": "phone", "value": user.phone}, second],
            }
            signer, path = rng.choice(self.bpps), b"/abuse/status"
        else:
            user = rng.choice(self.defaulters)
            body = {
                "session_ref": ref,
                "amount": {"value": rng.choice(["180.00", "420.00", "955.50"]), "currency": "INR"},
                "occurred_at": self.occurred,
                "identifiers": [
                    {"kind": "phone", "value": user.phone},
                    {"kind": "upi_vpa", "value": user.upi},
                    {"kind": "vin", "value": user.vin},
                ],
            }
            signer, path = rng.choice(self.bpps), b"/abuse/defaulters/report"
        raw = json.dumps(body, separators=(",", ":")).encode()
        if (signer.subscriber_id, raw) in self._signed:
            # a status body carries no unique id: the same CPO asking about the same person
            # in the same second would be a replay, so draw another question
            return self._build(kind)
        self._signed.add((signer.subscriber_id, raw))
        return self._post(path, raw, self._sign(signer, raw))


def _bisect(cumulative: Sequence[float], x: float) -> int:
    for i, edge in enumerate(cumulative):
        if x < edge:
            return i
    return len(cumulative) - 1
