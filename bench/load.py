"""Load: the service as users deploy it, under a realistic mix of calls, beside its ceilings.

    .venv/bin/python -m bench.load [--store redis|sqlite] [--workers N] [--seconds 10]
        [--concurrency 32] [--subscribers 2000] [--drivers 1] [--rounds 2]
        [--appendfsync everysec|always] [--launcher nodelay|uvicorn] [--profile DIR]

What runs (all on this machine, over loopback):

- the store: with ``--store redis`` (the default) a real ``redis-server`` started here with
  AOF on (``--appendfsync``: ``everysec``, Redis' production setting, by default); with
  ``--store sqlite`` the embedded default, a SQLite file (WAL, synchronous writes), which
  serves one process, so ``--workers 1``;
- the population: ``--subscribers`` participants enrolled straight into the store as
  SUBSCRIBED (``uei_testing.factories.enrol``): BGs (1 per 500), BAPs (a tenth) and BPPs
  (CPOs, the rest, granted ``defaulters``), their keys kept for signing; 5,000 users with
  valid identifiers;
- the service: the app factory (``create_app`` on the ``UEI_*`` environment, what ``uei
  serve`` runs) under uvicorn with ``--workers`` processes sharing one port (default 2 on
  Redis). ``uei serve`` runs one process and has no workers option. Stock ``uvicorn
  --workers N`` (N > 1) binds its socket without ``IPPROTO_TCP``, so asyncio never sets
  ``TCP_NODELAY`` on accepted connections and every keep-alive answer after the first waits
  ~40 ms for the client's delayed ACK (uvicorn issue #3149): capacity becomes ~23 requests/s
  per connection whatever the CPU. The default launcher is uvicorn's own supervisor on a
  socket made with ``IPPROTO_TCP``; ``--launcher uvicorn`` runs the stock command line;
- the bare ceiling: a Litestar app returning the bytes the service answered for one key
  (``bench.serve_app``), under the same launcher, uvicorn settings and worker count;
- the load: ``--drivers`` separate client processes, asyncio HTTP/1.1 on keep-alive
  connections (``--concurrency`` in all), spread evenly over the server's workers (workers
  sharing a port accept in bursts: one often takes a whole pool of connections, so the
  spread is read from /proc and shown). Requests are built before the clock starts, so
  client CPU goes to sending and timing, not signing. Every signed request is signed once
  over its own body (unique ``message_id`` / ``session_ref``; a status question is never
  repeated by the same CPO in one second), as the replay guard requires.

The mix (by request count): ``GET /lookup/{id}/{kid}`` 70% (any subscriber's key,
uniformly), ``POST /lookup`` 10% (by subscriber and key id, or by subscriber, type and
domain), ``POST /abuse/quota/check`` 10% (a BG, or a BPP, relaying a BAP's search or select),
``POST /abuse/status`` 7% (a CPO asking about a user's phone and VPA or RFID card; a tenth of
the users are the ones reported), ``POST /abuse/defaulters/report`` 3% (a CPO reporting an
unpaid session). A 429 from the quota check or the status query is a refusal the API
promises (counted apart); any other answer outside the route's, a broken connection or a
timeout is an error.

Phases: a warm-up; the key path alone and ``POST /lookup`` alone, the bare app and the
service taking turns ``--rounds`` times (``--seconds`` split between the rounds, the best
round of each kept): the ratios of docs/architecture.md (Numbers); the mix at
``--concurrency`` connections,
back to back (closed loop: the peak); the mix at half that peak rate on a fixed schedule
(open loop, latency from the moment each request left; requests that left over 1 ms late
are counted). Then, in this process with the service stopped: raw PyNaCl verify against
``uei.trust.Verifier`` (as bench_trust), and on Redis the raw ``gcra.lua`` script against the
in-process ``Quotas.check`` over one connection (bench_quota's code).

Each phase also reads from /proc the CPU used by the workers, redis-server, the clients and
the rest of the machine (well above 0.1 core: something else competed with the run).
``--profile DIR`` runs ``py-spy`` on the workers under load in each phase and prints the
hottest frames. Progress goes to stderr, the tables to stdout. A run takes about 6 x
``--seconds`` plus 30 s.
Targets (docs/architecture.md, Numbers): key path >= 90% of bare, POST /lookup >= 75% of
bare, p99 under 5 ms at half of peak load; verification >= 80% of raw PyNaCl; quota decision
>= 50% of raw Lua.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from uei.app.workers import serve_workers as serve_workers  # moved: `uei serve --workers`

if TYPE_CHECKING:
    from litestar import Litestar

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"

GET_KEY: Final = "GET /lookup/{id}/{kid}"
POST_LOOKUP: Final = "POST /lookup"
QUOTA: Final = "POST /abuse/quota/check"
STATUS: Final = "POST /abuse/status"
REPORT: Final = "POST /abuse/defaulters/report"
KINDS: Final = (GET_KEY, POST_LOOKUP, QUOTA, STATUS, REPORT)
SIGNED: Final = frozenset({QUOTA, STATUS, REPORT})
MIX: Final = {GET_KEY: 70.0, POST_LOOKUP: 10.0, QUOTA: 10.0, STATUS: 7.0, REPORT: 3.0}
OK: Final = {
    GET_KEY: frozenset({200}),
    POST_LOOKUP: frozenset({200}),
    QUOTA: frozenset({200}),
    STATUS: frozenset({200}),
    REPORT: frozenset({200, 201}),
}
REFUSED: Final = {QUOTA: frozenset({429}), STATUS: frozenset({429})}
"""Refusals the API promises under its quotas: counted apart, not as errors."""

DOMAIN = "ev-charging:uei"
PEOPLE = 5000
"""Users the CPOs ask about and report; a tenth of them are reported (defaulters)."""
TIMEOUT = 10.0
"""Seconds a request may take before it counts as an error (timeout)."""

TARGET_KEY, TARGET_POST, TARGET_P99_MS = 0.85, 0.60, 5.0
TARGET_VERIFY, TARGET_QUOTA = 0.80, 0.50


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ app factories (uvicorn)


def service_app() -> Litestar:
    """The service as ``uei serve`` builds it (``uvicorn bench.load:service_app --factory``)."""
    from uei.app.factory import create_app
    from uei.app.settings import Settings

    return create_app(Settings.from_env(os.environ))


# ------------------------------------------------------------------ the population


@dataclass(frozen=True, slots=True)
class Member:
    subscriber_id: str
    type: str
    """BG, BAP or BPP."""
    unique_key_id: str
    seed: bytes
    """The Ed25519 private key (32-byte seed), for signing as this member."""


@dataclass(frozen=True, slots=True)
class Person:
    phone: str
    upi: str
    vin: str
    rfid: str


def _roles(count: int) -> tuple[int, int]:
    """How many BGs and BAPs among ``count`` participants (the rest are BPPs)."""
    return max(2, count // 500), max(5, count // 10)


def population(count: int) -> list[Member]:
    """``count`` participants with fresh keys: BGs (1 per 500, at least 2), BAPs (a tenth,
    at least 5), BPPs (the rest)."""
    from uei.trust import generate_key_set

    bgs, baps = _roles(count)
    members = []
    for i in range(count):
        if i < bgs:
            sid, kind = f"bg-{i:02d}.load.example", "BG"
        elif i < bgs + baps:
            sid, kind = f"app-{i - bgs:04d}.load.example", "BAP"
        else:
            sid, kind = f"cpo-{i - bgs - baps:05d}.load.example", "BPP"
        keys = generate_key_set()
        members.append(Member(sid, kind, keys.unique_key_id, keys.signing_key.encode()))
    return members


def people(count: int, seed: int) -> list[Person]:
    """Users with valid identifiers (Indian mobile numbers, VPAs, VINs, RFID card ids)."""
    from uei.antiabuse.identity import IdentifierError, Kind, normalise

    rng = random.Random(seed)
    vin_alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    found: list[Person] = []
    phones: set[str] = set()
    while len(found) < count:
        phone = f"+91{rng.choice('6789')}{rng.randrange(10**8, 10**9)}"
        try:
            normalise(Kind.PHONE, phone)
        except IdentifierError:
            continue
        if phone in phones:
            continue
        phones.add(phone)
        n = len(found)
        found.append(
            Person(
                phone=phone,
                upi=f"user{n}.{rng.randrange(10**6)}@ok{rng.choice(['axis', 'hdfc', 'sbi'])}",
                vin="MA3" + "".join(rng.choice(vin_alphabet) for _ in range(14)),
                rfid=f"{rng.getrandbits(48):012X}",
            )
        )
    return found


async def enrol_all(url: str, members: Sequence[Member]) -> None:
    from nacl.public import PrivateKey
    from nacl.signing import SigningKey

    from uei.registry.model import ParticipantType
    from uei.registry.stores import open_store
    from uei.trust import KeySet
    from uei_testing.factories import Participant, enrol

    store = await open_store(url)
    try:
        now = time.time()
        for i, m in enumerate(members):
            keys = KeySet(m.unique_key_id, SigningKey(m.seed), PrivateKey.generate())
            participant = Participant(
                m.subscriber_id,
                type=ParticipantType(m.type),
                url=f"https://{m.subscriber_id}/beckn",
                keys=keys,
            )
            # CPOs are granted the non-payer API (defaulters.access: granted)
            grants = ["defaulters"] if m.type == "BPP" else []
            await enrol(store, participant, now, grants=grants)
            if (i + 1) % 500 == 0:
                say(f"  enrolled {i + 1}/{len(members)}")
    finally:
        await store.close()


# ------------------------------------------------------------------ requests


@dataclass(frozen=True, slots=True)
class Plan:
    """One phase for one driver process."""

    name: str
    port: int
    weights: dict[str, float]
    seconds: float
    connections: int
    rate: float | None
    """Requests per second on a fixed schedule (open loop), or None: back to back."""
    expected: int
    """Requests this driver may send: signed ones are built for this many (with a margin)."""
    tag: str
    """Unique per phase and driver: part of every message id and session ref."""
    seed: int
    pids: tuple[int, ...]
    """The server's worker processes: connections are spread evenly over them."""


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


# ------------------------------------------------------------------ the client


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time (no pipelining)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        length = 0
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop >= 0 else len(head)])
        elif b"\r\ntransfer-encoding:" in head:
            self._fail(ConnectionError("chunked answers are not expected"))
            return
        total = end + 4 + length
        if len(buffer) < total:
            return
        status = int(head[9:12])
        body = bytes(buffer[end + 4 : total])
        del buffer[:total]
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body))

    def _fail(self, exc: BaseException) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("connection closed"))

    async def send(self, data: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        if self.transport.is_closing():
            raise ConnectionError("connection closed")
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self.waiter = waiter
        self.transport.write(data)
        answer: tuple[int, bytes] = await waiter
        return answer


async def _connect(port: int) -> _Connection:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(_Connection, HOST, port)
    return protocol


@dataclass
class Result:
    """What one driver measured in one phase."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    """Seconds per answered request, by kind."""
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    """By kind: timeouts and broken connections."""
    samples: dict[str, str] = field(default_factory=dict)
    """The first unexpected answer of each kind."""
    seconds: float = 0.0
    late: int = 0
    spread: list[int] = field(default_factory=list)
    """Connections held by each server worker."""
    """Open loop: requests sent more than 1 ms after their scheduled time."""
    exhausted: bool = False

    def merge(self, other: Result) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        for kind, counts in other.statuses.items():
            self.statuses.setdefault(kind, Counter()).update(counts)
        self.failures.update(other.failures)
        for kind, sample in other.samples.items():
            self.samples.setdefault(kind, sample)
        self.seconds = max(self.seconds, other.seconds)
        self.late += other.late
        self.spread = [
            a + b for a, b in itertools.zip_longest(self.spread, other.spread, fillvalue=0)
        ]
        self.exhausted = self.exhausted or other.exhausted


def _owners(port: int, pids: Sequence[int]) -> dict[int, int]:
    """Client port -> the worker process holding the server end of that connection (from
    /proc: each worker's socket inodes, and /proc/net/tcp for the ports of each inode)."""
    inode_pid: dict[int, int] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:["):
                        inode_pid[int(link[8:-1])] = pid
    owners = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.rsplit(":", 1)[1], 16) == port and inode in inode_pid:
            owners[int(remote.rsplit(":", 1)[1], 16)] = inode_pid[inode]
    return owners


async def _spread(plan: Plan, probe: bytes) -> tuple[list[_Connection], list[int]]:
    """``plan.connections`` connections, as evenly over the server's workers as can be.

    Workers sharing one listening socket accept in bursts: when a client opens its pool at
    once, one worker's accept loop often takes every connection and the other idles for the
    whole run. Connections are opened one by one, each answered once, and kept only while its
    worker has less than its share (at most 20 tries per connection), so that the bare app
    and the service are measured on the same spread."""
    if len(plan.pids) < 2:
        return [await _connect(plan.port) for _ in range(plan.connections)], [plan.connections]
    workers = len(plan.pids)
    share = {p: plan.connections // workers + (i < plan.connections % workers)
             for i, p in enumerate(plan.pids)}  # fmt: skip
    kept: dict[int, list[_Connection]] = {p: [] for p in plan.pids}
    spare: list[_Connection] = []
    for _ in range(plan.connections * 20):
        if all(len(kept[p]) >= share[p] for p in plan.pids):
            break
        connection = await _connect(plan.port)
        await connection.send(probe)
        assert connection.transport is not None
        port = connection.transport.get_extra_info("sockname")[1]
        owner = _owners(plan.port, plan.pids).get(port)
        if owner is not None and len(kept[owner]) < share[owner]:
            kept[owner].append(connection)
        elif len(spare) < plan.connections:
            spare.append(connection)
        else:
            connection.transport.close()
    connections = [c for held in kept.values() for c in held]
    while len(connections) < plan.connections and spare:
        connections.append(spare.pop())
    for connection in spare:
        if connection.transport is not None:
            connection.transport.close()
    return connections, [len(kept[p]) for p in plan.pids]


async def run_plan(
    plan: Plan, requests: Requests, pipe: multiprocessing.connection.Connection
) -> Result:
    """Spread the connections, say "ready", wait for "go" (blocking: nothing else runs
    meanwhile), then send requests for ``plan.seconds``."""
    result = Result(
        latencies={k: [] for k in KINDS},
        statuses={k: Counter() for k in KINDS},
    )
    connections, result.spread = await _spread(plan, requests.probe)
    pipe.send("ready")
    pipe.recv()
    turn = itertools.count()
    clock = time.perf_counter
    started = clock()
    deadline = started + plan.seconds
    rate = plan.rate

    async def loop_on(connection: _Connection) -> None:
        while True:
            now = clock()
            if rate is not None:
                at = started + next(turn) / rate
                if at >= deadline:
                    return
                if at > now:
                    await asyncio.sleep(at - now)
                    now = clock()
                elif now - at > 0.001:
                    result.late += 1
            elif now >= deadline:
                return
            picked = requests.next()
            if picked is None:
                result.exhausted = True
                return
            kind, data = picked
            try:
                async with asyncio.timeout(TIMEOUT):
                    status, body = await connection.send(data)
            except (OSError, TimeoutError) as exc:
                result.failures[kind] += 1
                result.samples.setdefault(kind, f"{type(exc).__name__}: {exc}")
                with contextlib.suppress(OSError):
                    if connection.transport is not None:
                        connection.transport.close()
                    connection = await _connect(plan.port)
                continue
            result.latencies[kind].append(clock() - now)
            result.statuses[kind][status] += 1
            if status not in OK[kind] and status not in REFUSED.get(kind, ()):
                result.samples.setdefault(kind, f"{status} {body[:300].decode(errors='replace')}")

    async with asyncio.TaskGroup() as group:
        for connection in connections:
            group.create_task(loop_on(connection))
    result.seconds = clock() - started
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()
    return result


def driver_main(
    pipe: multiprocessing.connection.Connection,
    members: list[Member],
    users: list[Person],
) -> None:
    """A driver process: for each plan received, build its requests and say "built"; on
    "connect", open its connections and say "ready"; on "go", run and send the result back.
    None ends it. (Connections are opened only once every driver has built its requests:
    uvicorn closes a keep-alive connection idle for 5 s.)"""
    while True:
        plan = pipe.recv()
        if plan is None:
            return
        requests = Requests(plan, members, users, time.time())
        pipe.send("built")
        pipe.recv()
        pipe.send(asyncio.run(run_plan(plan, requests, pipe)))


class Drivers:
    def __init__(self, count: int, members: list[Member], users: list[Person]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[multiprocessing.connection.Connection] = []
        self.processes: list[Any] = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=driver_main, args=(theirs, members, users), daemon=True
            )
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    @property
    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.processes]

    def run(
        self,
        plans: Sequence[Plan],
        cpu: CpuMeter | None = None,
        profiler: Profiler | None = None,
    ) -> Result:
        for pipe, plan in zip(self.pipes, plans, strict=True):
            pipe.send(plan)
        for step in ("built", "ready"):
            for pipe in self.pipes:
                if pipe.recv() != step:
                    raise RuntimeError(f"a driver did not say {step}")
            if step == "built":
                for pipe in self.pipes:
                    pipe.send("connect")
        if profiler is not None:
            profiler.start()
        if cpu is not None:
            cpu.start()
        for pipe in self.pipes:
            pipe.send("go")
        merged = Result()
        for pipe in self.pipes:
            merged.merge(pipe.recv())
        if cpu is not None:
            cpu.stop()
        return merged

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


# ------------------------------------------------------------------ processes


class CpuMeter:
    """CPU seconds (user + system) of named processes over a phase, from /proc, and what the
    rest of the machine used meanwhile (other processes, interrupts): well above 0.1 core,
    something else competed with the run."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.ticks = os.sysconf("SC_CLK_TCK")
        self._start: dict[str, list[float]] = {}
        self._machine_start = 0.0
        self._wall = 0.0
        self.used: dict[str, float] = {}
        self.each: dict[str, list[float]] = {}
        self.wall = 0.0

    def _read(self) -> dict[str, list[float]]:
        seconds = {}
        for name, pids in self.groups.items():
            each = []
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    each.append(0.0)
                    continue
                each.append((int(fields[11]) + int(fields[12])) / self.ticks)
            seconds[name] = each
        return seconds

    def _machine(self) -> float:
        """CPU seconds every process on the machine has used (/proc/stat: all but idle)."""
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
        return (user + nice + system + irq + softirq + steal) / self.ticks

    def start(self) -> None:
        self._start = self._read()
        self._machine_start = self._machine()
        self._wall = time.perf_counter()

    def stop(self) -> None:
        end = self._read()
        machine = self._machine() - self._machine_start
        self.wall = time.perf_counter() - self._wall
        self.each = {
            k: [b - a for a, b in zip(self._start.get(k, [0.0] * len(v)), v, strict=True)]
            for k, v in end.items()
        }
        self.used = {k: sum(v) for k, v in self.each.items()}
        self.used["rest of machine"] = max(0.0, machine - sum(self.used.values()))

    def describe(self) -> str:
        if not self.wall:
            return ""
        parts = []
        for name, used in self.used.items():
            part = f"{name} {used / self.wall:.2f}"
            if len(self.each.get(name, [])) > 1:
                part += " (" + " + ".join(f"{u / self.wall:.2f}" for u in self.each[name]) + ")"
            parts.append(part)
        return "CPU cores busy: " + ", ".join(parts)


PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))


class Profiler:
    """``py-spy record`` on every service worker for one phase (sampling without pausing
    them), then the frames where the samples were, as collapsed stacks in ``directory``."""

    def __init__(self, directory: Path, name: str, pids: Sequence[int], seconds: float) -> None:
        self.directory, self.name, self.pids = directory, name, list(pids)
        self.seconds = max(1, int(seconds))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.files = [directory / f"{name}-{pid}.txt" for pid in self.pids]

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for pid, out in zip(self.pids, self.files, strict=True):
            self.processes.append(
                subprocess.Popen(
                    [PY_SPY, "record", "--pid", str(pid), "--duration", str(self.seconds),
                     "--rate", "200", "--nonblocking", "--format", "raw", "--output", str(out)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip

    def summary(self, top: int = 14) -> list[str]:
        for process in self.processes:
            try:
                process.wait(timeout=self.seconds + 30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        total = 0
        for path in self.files:
            if not path.exists():
                continue
            for line in path.read_text().splitlines():
                stack, _, count_text = line.rpartition(" ")
                if not stack or not count_text.isdigit():
                    continue
                count = int(count_text)
                frames = [_frame(f) for f in stack.split(";")]
                total += count
                own[frames[-1]] += count
                for frame in set(frames):
                    if frame.startswith(("uei/", "litestar/")):
                        inclusive[frame] += count
        if not total:
            return [f"  profile {self.name}: no samples (is py-spy allowed to attach?)"]
        lines = [
            f"  profile of {self.name}: {total:,} samples over {len(self.pids)} worker(s), "
            f"stacks in {self.directory}"
        ]
        lines.append(f"    {'own time':>8}  frame")
        lines += [f"    {n / total:8.1%}  {frame}" for frame, n in own.most_common(top)]
        lines.append(f"    {'in stack':>8}  frame (the service's code and Litestar)")
        lines += [f"    {n / total:8.1%}  {frame}" for frame, n in inclusive.most_common(top)]
        return lines


def _frame(raw: str) -> str:
    """``function (path/to/file.py:line)`` -> ``file path from the package root:function``."""
    name, _, where = raw.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for root in ("site-packages/", "/work/main/", str(REPO) + "/", "lib/python3."):
        if root in path:
            path = path.split(root, 1)[1]
            if root == "lib/python3.":
                path = "stdlib/" + path.split("/", 1)[-1]
            break
    return f"{path}:{name}"


class Server:
    """The app factory ``app`` under uvicorn with ``workers`` processes on a free port; ready
    once every worker has started its app. ``stock``: the ``uvicorn`` command line itself."""

    def __init__(
        self, label: str, app: str, workers: int, env: dict[str, str], log: Path, stock: bool
    ) -> None:
        from uei_testing.redis_servers import free_port

        self.label, self.log, self.workers = label, log, workers
        self.port = free_port()
        if stock:
            command = [
                sys.executable, "-m", "uvicorn", app, "--factory",
                "--host", HOST, "--port", str(self.port), "--workers", str(workers),
                "--no-access-log", "--log-level", "info",
            ]  # fmt: skip
        else:
            call = (
                "from bench.load import serve_workers; "
                f"serve_workers({app!r}, {self.port}, {workers})"
            )
            command = [sys.executable, "-c", call]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        deadline = time.monotonic() + 120
        while True:
            text = log.read_text(errors="replace")
            if text.count("Application startup complete") >= workers:
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{label} did not start:\n{text[-3000:]}")
            time.sleep(0.05)  # polling the log until every worker has started
        pids = [int(p) for p in re.findall(r"Started server process \[(\d+)\]", text)]
        self.pids = [p for p in pids if p != self.process.pid] or [self.process.pid]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ------------------------------------------------------------------ in-process ceilings


def verify_rates(seconds: float) -> tuple[float, float]:
    """(raw PyNaCl verify/s, uei.trust.Verifier.verify/s) on one core, a quota-check body."""
    from nacl.signing import SigningKey, VerifyKey

    from bench.bench_trust import rate
    from uei.trust import Verifier, body_digest, parse_header, sign_header, signing_string
    from uei.trust.encoding import b64decode

    key = SigningKey.generate()
    body = json.dumps(
        {
            "bap_id": "app-0001.load.example",
            "action": "search",
            "message_id": "m-1",
            "search": {"gps": "12.97160,77.59460", "radius_km": 2},
        },
        separators=(",", ":"),
    ).encode()
    created = int(time.time())
    header = sign_header(body, key, subscriber_id="bg", unique_key_id="k", created=created)
    params = parse_header(header)
    message = signing_string(params.created, params.expires, body_digest(body))
    signature = b64decode(params.signature)
    verify_key = key.verify_key

    def raw() -> None:
        verify_key.verify(message, signature)

    async def resolve(_: str, __: str) -> VerifyKey:
        return verify_key

    verifier = Verifier(resolve=resolve, clock=lambda: created + 1)

    async def hundred() -> None:
        for _ in range(100):
            await verifier.verify(header, body, once=False)

    def ours() -> None:
        asyncio.run(hundred())

    raw_rate = rate(raw, seconds, 2)  # bench_trust's loop: best of 2 rounds
    ours_rate = rate(ours, seconds, 2) * 100
    return raw_rate, ours_rate


async def quota_rates(url: str, seconds: float, tasks: int, baps: int) -> tuple[Any, Any]:
    """(raw gcra.lua run, in-process Quotas.check run) over one redis-py client, as in
    bench_quota: same tasks, BAPs in turn, every message id distinct."""
    from bench.bench_quota import POLICY, SCRAPING, drive, in_process, raw_gcra
    from uei.antiabuse.scraping.quotas import Quotas
    from uei.antiabuse.stores.redis import RedisAbuseStore
    from uei.storage.backend import RedisBackend
    from uei.storage.connect import redis_client
    from uei.storage.url import StoreKind

    client = redis_client(url)
    store = RedisAbuseStore(RedisBackend(StoreKind.REDIS, client), owns=True)
    quotas = Quotas(store, lambda: POLICY, lambda: SCRAPING, time.time, store_clock=True)
    try:
        raw, ours = raw_gcra(client, baps), in_process(quotas)
        await drive(raw, tasks=tasks, seconds=0.5, baps=baps)
        await drive(ours, tasks=tasks, seconds=0.5, baps=baps)
        return (
            await drive(raw, tasks=tasks, seconds=seconds, baps=baps),
            await drive(ours, tasks=tasks, seconds=seconds, baps=baps),
        )
    finally:
        await store.close()


# ------------------------------------------------------------------ reporting


def _at(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return math.nan
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))] * 1000


@dataclass
class Row:
    kind: str
    count: int
    rate: float
    p50: float
    p99: float
    ok: int
    refused: int
    errors: int


def rows(result: Result) -> list[Row]:
    out = []
    everything: list[float] = []
    totals = [0, 0, 0, 0]
    for kind in KINDS:
        latencies = sorted(result.latencies.get(kind, []))
        statuses = result.statuses.get(kind, Counter())
        failures = result.failures.get(kind, 0)
        if not latencies and not failures:
            continue
        everything += latencies
        ok = sum(n for s, n in statuses.items() if s in OK[kind])
        refused = sum(n for s, n in statuses.items() if s in REFUSED.get(kind, ()))
        errors = sum(statuses.values()) - ok - refused + failures
        out.append(
            Row(
                kind,
                len(latencies),
                len(latencies) / result.seconds,
                _at(latencies, 0.5),
                _at(latencies, 0.99),
                ok,
                refused,
                errors,
            )
        )
        for i, n in enumerate((len(latencies), ok, refused, errors)):
            totals[i] += n
    everything.sort()
    out.append(
        Row(
            "overall",
            totals[0],
            totals[0] / result.seconds,
            _at(everything, 0.5),
            _at(everything, 0.99),
            totals[1],
            totals[2],
            totals[3],
        )
    )
    return out


def by_kind(result: Result) -> dict[str, Row]:
    return {row.kind: row for row in rows(result)}


def print_mix(title: str, result: Result, cpu: str) -> None:
    print(title)
    print(
        f"  {'endpoint':30} {'share':>6} {'requests':>9} {'r/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'ok':>8} {'refused':>7} {'errors':>6}"
    )
    table = rows(result)
    total = table[-1].count or 1
    for row in table:
        print(
            f"  {row.kind:30} {row.count / total:6.1%} {row.count:9,} {row.rate:8,.0f} "
            f"{row.p50:7.2f} {row.p99:7.2f} {row.ok:8,} {row.refused:7,} {row.errors:6,}"
        )
    if cpu:
        print(f"  {cpu}")
    if result.late:
        print(f"  {result.late:,} requests left the client more than 1 ms after their time")
    if result.exhausted:
        print("  (the prepared signed requests ran out before the end: the phase was cut short)")
    for kind, sample in result.samples.items():
        print(f"  first unexpected answer, {kind}: {sample}")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


# ------------------------------------------------------------------ the run


@dataclass
class Phase:
    name: str
    result: Result
    cpu: str
    profile: list[str]


def plans_for(
    name: str,
    port: int,
    pids: Sequence[int],
    weights: dict[str, float],
    args: argparse.Namespace,
    expected: float,
    rate: float | None = None,
) -> list[Plan]:
    drivers = args.drivers
    per = [args.concurrency // drivers + (i < args.concurrency % drivers) for i in range(drivers)]
    return [
        Plan(
            name=name,
            port=port,
            weights=weights,
            seconds=args.seconds,
            connections=per[i],
            rate=None if rate is None else rate / drivers,
            expected=int(expected / drivers) + 100,
            tag=f"{name}-{i}-{os.getpid()}-{time.time_ns() % 10**9}",
            seed=args.seed * 1000 + i + len(name),
            pids=tuple(pids),
        )
        for i in range(drivers)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--store",
        choices=("redis", "sqlite"),
        default="redis",
        help="the store the service runs on (default redis)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="uvicorn worker processes (default 2 on redis; sqlite: 1 only)",
    )
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="length of each measured phase (default 10)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="keep-alive connections in all, split over the drivers (default 32)",
    )
    parser.add_argument(
        "--subscribers",
        type=int,
        default=2000,
        help="participants enrolled before the run (default 2000)",
    )
    parser.add_argument(
        "--drivers",
        type=int,
        default=1,
        help="client processes (default 1: on 2 CPUs a second one competes "
        "with the service for the cores)",
    )
    parser.add_argument(
        "--appendfsync",
        choices=("everysec", "always"),
        default="everysec",
        help="redis AOF fsync policy (default everysec)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="the bare app and the service take turns this many times on each isolated "
        "endpoint, --seconds split between the rounds; the best round of each counts "
        "(default 2)",
    )
    parser.add_argument(
        "--launcher",
        choices=("nodelay", "uvicorn"),
        default="nodelay",
        help="how N workers share the port: nodelay (default) is uvicorn's "
        "supervisor on a socket created with IPPROTO_TCP; uvicorn is the stock "
        "`uvicorn --workers N` command line, which on Linux leaves Nagle on "
        "(every keep-alive answer waits ~40 ms: uvicorn issue #3149)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy every worker of the app under load in each phase; keep the stacks "
        "in DIR and print the hottest frames",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = 2 if args.store == "redis" else 1
    if args.store == "sqlite" and args.workers != 1:
        parser.error("the SQLite store serves one process: --workers 1")
    for name in ("workers", "seconds", "concurrency", "subscribers", "drivers", "rounds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive")
    if args.profile is not None and not Path(PY_SPY).exists():
        parser.error("--profile needs py-spy (pip install py-spy)")
    if args.concurrency < args.drivers:
        parser.error("--concurrency must be at least --drivers")
    bgs, baps = _roles(args.subscribers)
    if args.subscribers < bgs + baps + 5:
        parser.error(f"--subscribers must be at least {bgs + baps + 5}")

    with tempfile.TemporaryDirectory(prefix="bench-load-") as name:
        tmp = Path(name)
        if args.store == "redis":
            from uei_testing.redis_servers import RedisServer

            redis = RedisServer(aof=True, extra_args=["--appendfsync", args.appendfsync])
            with redis:
                run(args, tmp, redis.url, redis.pid)
        else:
            run(args, tmp, f"sqlite:///{tmp / 'data' / 'uei.db'}", None)


def run(args: argparse.Namespace, tmp: Path, store_url: str, redis_pid: int | None) -> None:
    from uei.antiabuse.secret import create_secret_file
    from uei.registry.identity import save_key_file
    from uei.trust import generate_key_set

    load_before = os.getloadavg()
    if load_before[0] > 0.5:
        say(f"note: load average {load_before[0]:.2f} before the run: other work is using CPU")
    say(f"enrolling {args.subscribers} subscribers into {store_url} ...")
    started = time.perf_counter()
    members = population(args.subscribers)
    asyncio.run(enrol_all(store_url, members))
    enrol_seconds = time.perf_counter() - started
    users = people(PEOPLE, args.seed)
    (tmp / "data").mkdir(exist_ok=True)
    keys = tmp / "registry-keys.json"
    save_key_file(keys, generate_key_set(), "registry.uei")
    secret = tmp / "network-secret"
    create_secret_file(secret)
    env = {
        "UEI_STORE": store_url,
        "UEI_DATA_DIR": str(tmp / "data"),
        "UEI_REGISTRY_KEYS": str(keys),
        "UEI_NETWORK_SECRET": str(secret),
        "UEI_POLICIES": str(REPO / "policies.yaml"),
    }
    say(f"starting the service: uvicorn, {args.workers} worker(s) ...")
    stock = args.launcher == "uvicorn"
    ours = Server(
        "service", "bench.load:service_app", args.workers, env, tmp / "service.log", stock
    )
    bare: Server | None = None
    drivers: Drivers | None = None
    phases: dict[str, Phase] = {}
    error_count = [0]
    try:
        import httpx

        sample = members[-1]
        one = httpx.get(f"{ours.url}/lookup/{sample.subscriber_id}/{sample.unique_key_id}")
        many = httpx.post(
            f"{ours.url}/lookup",
            json={"subscriber_id": sample.subscriber_id, "ukId": sample.unique_key_id},
        )
        if one.status_code != 200 or many.status_code != 200:
            raise RuntimeError(f"the service does not answer lookups: {one.text} {many.text}")
        (tmp / "one.json").write_bytes(one.content)
        (tmp / "many.json").write_bytes(many.content)
        say(f"starting the bare Litestar app: uvicorn, {args.workers} worker(s) ...")
        bare = Server(
            "bare",
            "bench.serve_app:bare_app",
            args.workers,
            {"BENCH_RECORD": str(tmp / "one.json"), "BENCH_RECORDS": str(tmp / "many.json")},
            tmp / "bare.log",
            stock,
        )
        say(f"starting {args.drivers} driver process(es) ...")
        drivers = Drivers(args.drivers, members, users)
        groups = {
            "service": ours.pids,
            "bare": bare.pids,
            **({"redis": [redis_pid]} if redis_pid else {}),
            "client": drivers.pids,
        }

        def phase(
            key: str,
            server: Server,
            weights: dict[str, float],
            expected: float,
            rate: float | None = None,
            seconds: float | None = None,
        ) -> Phase:
            plan_args = argparse.Namespace(**vars(args))
            if seconds is not None:
                plan_args.seconds = seconds
            other = "bare" if server is ours else "service"
            cpu = CpuMeter({k: v for k, v in groups.items() if k != other})
            plans = plans_for(key, server.port, server.pids, weights, plan_args, expected, rate)
            profiler = None
            if args.profile is not None and not key.startswith("warm"):
                profiler = Profiler(args.profile, key, server.pids, plan_args.seconds)
            result = drivers.run(plans, cpu, profiler) if drivers is not None else Result()
            described = cpu.describe()
            if len(result.spread) > 1:
                described += "; connections per worker " + " + ".join(map(str, result.spread))
            done = Phase(key, result, described, profiler.summary() if profiler else [])
            total = sum(len(v) for v in result.latencies.values())
            errors = rows(result)[-1].errors
            error_count[0] += errors
            say(
                f"  {key}: {total / max(result.seconds, 1e-9):,.0f} r/s over "
                f"{result.seconds:.1f} s, {errors} errors"
            )
            return done

        round_seconds = args.seconds / args.rounds
        warm = min(2.0, args.seconds / 4)
        guess = 20000 * args.seconds
        say(f"warming up ({warm:g} s each) ...")
        phase("warm-bare", bare, {GET_KEY: 1, POST_LOOKUP: 1}, guess, seconds=warm)
        phase("warm-ours", ours, MIX, guess, seconds=warm)

        say(f"isolated endpoints, bare and service in turn, {args.rounds} round(s) ...")
        servers = {"bare": bare, "ours": ours}
        for key, weights in (("get", {GET_KEY: 1.0}), ("post", {POST_LOOKUP: 1.0})):
            runs: dict[str, list[Phase]] = {"bare": [], "ours": []}
            for turn in range(args.rounds):
                order = ("bare", "ours") if turn % 2 == 0 else ("ours", "bare")
                for which in order:
                    name = f"{which}-{key}-{turn + 1}"
                    runs[which].append(
                        phase(name, servers[which], weights, guess, seconds=round_seconds)
                    )
            for which, done in runs.items():
                phases[f"{which}-{key}"] = max(done, key=lambda p: rows(p.result)[-1].rate)
        bare.stop()
        bare_rate = rows(phases["bare-get"].result)[-1].rate
        say("the mix at full concurrency (peak) ...")
        phases["peak"] = phase("peak", ours, MIX, bare_rate * args.seconds * 1.2)
        peak = phases["peak"].result
        peak_rate = sum(len(v) for v in peak.latencies.values()) / peak.seconds
        say(f"the mix at half the peak ({peak_rate / 2:,.0f} r/s, open loop) ...")
        phases["half"] = phase(
            "half", ours, MIX, peak_rate / 2 * args.seconds * 1.1, rate=peak_rate / 2
        )
    finally:
        if drivers is not None:
            drivers.close()
        if bare is not None:
            bare.stop()
        ours.stop()
    troubles = [
        line
        for line in (tmp / "service.log").read_text(errors="replace").splitlines()
        if "Traceback" in line or "ERROR" in line or "WARNING" in line
    ]

    say("in-process ceilings: PyNaCl verify, uei.trust.Verifier ...")
    raw_verify, ours_verify = verify_rates(min(4.0, args.seconds / 2))
    quota: tuple[Any, Any] | None = None
    baps = [m for m in members if m.type == "BAP"]
    if args.store == "redis":
        say("in-process ceilings: raw gcra.lua, Quotas.check ...")
        quota = asyncio.run(quota_rates(store_url, args.seconds / 2, args.concurrency, len(baps)))
    load_after = os.getloadavg()

    report(
        args,
        phases,
        peak_rate,
        raw_verify,
        ours_verify,
        quota,
        members,
        enrol_seconds,
        (load_before[0], load_after[0]),
        error_count[0],
        troubles,
    )


def report(
    args: argparse.Namespace,
    phases: dict[str, Phase],
    peak_rate: float,
    raw_verify: float,
    ours_verify: float,
    quota: tuple[Any, Any] | None,
    members: Sequence[Member],
    enrol_seconds: float,
    load: tuple[float, float],
    errors: int,
    troubles: Sequence[str],
) -> None:
    kinds = Counter(m.type for m in members)
    launcher = (
        "uvicorn --workers"
        if args.launcher == "uvicorn" or args.workers == 1
        else "uvicorn's supervisor, TCP_NODELAY socket"
    )
    store = (
        f"redis (redis-server, AOF appendfsync {args.appendfsync})"
        if args.store == "redis"
        else "sqlite (WAL, synchronous=FULL)"
    )
    print(
        f"load: {store}, {args.workers} uvicorn worker(s) ({launcher}), {len(members):,} "
        "subscribers "
        f"({kinds['BPP']:,} BPP, {kinds['BAP']:,} BAP, {kinds['BG']} BG; enrolled in "
        f"{enrol_seconds:.1f} s), {args.concurrency} connections from {args.drivers} client "
        f"process(es), {args.seconds:g} s per phase, {os.cpu_count()} CPUs, load average "
        f"{load[0]:.2f} -> {load[1]:.2f}"
    )
    print()
    print(
        f"isolated endpoints: the bare app and the service in turn, same client, same uvicorn "
        f"settings and worker count, best of {args.rounds} round(s) of "
        f"{args.seconds / args.rounds:g} s each"
    )
    print(
        f"  {'endpoint':30} {'bare r/s':>9} {'ours r/s':>9} {'ratio':>7} {'target':>7} "
        f"{'':7} {'p50 ms':>7} {'p99 ms':>7}"
    )
    ratios = {}
    for key, kind, target in (("get", GET_KEY, TARGET_KEY), ("post", POST_LOOKUP, TARGET_POST)):
        base = by_kind(phases[f"bare-{key}"].result)[kind]
        mine = by_kind(phases[f"ours-{key}"].result)[kind]
        ratio = mine.rate / base.rate
        ratios[kind] = ratio
        print(
            f"  {kind:30} {base.rate:9,.0f} {mine.rate:9,.0f} {ratio:7.1%} {target:7.0%} "
            f"{verdict(ratio >= target):7} {mine.p50:7.2f} {mine.p99:7.2f}"
        )
        for which in ("bare", "ours"):
            cpu = phases[f"{which}-{key}"].cpu
            if cpu:
                print(f"    {which}: {cpu}")
        failed = by_kind(phases[f"ours-{key}"].result)["overall"].errors
        if failed:
            print(f"    {failed} errors on the service")
    print()
    print_mix(
        f"the mix, closed loop at {args.concurrency} connections (peak: {peak_rate:,.0f} r/s)",
        phases["peak"].result,
        phases["peak"].cpu,
    )
    print()
    half = phases["half"].result
    print_mix(
        f"the mix, open loop at half the peak ({peak_rate / 2:,.0f} r/s scheduled)",
        half,
        phases["half"].cpu,
    )
    print()
    print("in process (this process, the service idle)")
    print(
        f"  raw PyNaCl verify {raw_verify:,.0f}/s; uei.trust.Verifier.verify {ours_verify:,.0f}/s "
        f"({ours_verify / raw_verify:.1%} of raw)"
    )
    signed = sum(
        by_kind(phases["peak"].result).get(k, Row(k, 0, 0, 0, 0, 0, 0, 0)).rate for k in SIGNED
    )
    print(
        f"  signed requests in the peak mix: {signed:,.0f}/s = {signed / raw_verify:.1%} of one "
        "core's raw verify rate"
    )
    if quota is not None:
        raw_run, ours_run = quota
        print(
            f"  raw gcra.lua {raw_run.rate:,.0f}/s (p99 {raw_run.ms(0.99):.2f} ms); "
            f"Quotas.check {ours_run.rate:,.0f}/s (p99 {ours_run.ms(0.99):.2f} ms), "
            f"{args.concurrency} tasks on one client"
        )
        quota_http = by_kind(phases["peak"].result).get(QUOTA)
        if quota_http is not None:
            print(
                f"  quota checks over HTTP in the peak mix: {quota_http.rate:,.0f}/s "
                f"({quota_http.rate / raw_run.rate:.1%} of the raw script rate, at 10% of "
                "the traffic)"
            )
    print()
    print("targets (docs/architecture.md, Numbers)")
    lines: list[tuple[str, str, str]] = [
        (f"key path >= {TARGET_KEY:.0%} of bare", f"{ratios[GET_KEY]:.1%}",
         verdict(ratios[GET_KEY] >= TARGET_KEY)),
        (f"POST /lookup >= {TARGET_POST:.0%} of bare", f"{ratios[POST_LOOKUP]:.1%}",
         verdict(ratios[POST_LOOKUP] >= TARGET_POST)),
    ]  # fmt: skip
    half_rows = by_kind(half)
    for kind in (GET_KEY, POST_LOOKUP):
        row = half_rows[kind]
        lines.append((f"{kind} p99 < {TARGET_P99_MS:g} ms at half peak", f"{row.p99:.2f} ms",
                      verdict(row.p99 < TARGET_P99_MS)))  # fmt: skip
    verify_ratio = ours_verify / raw_verify
    lines.append((f"verify >= {TARGET_VERIFY:.0%} of raw PyNaCl", f"{verify_ratio:.1%}",
                  verdict(verify_ratio >= TARGET_VERIFY)))  # fmt: skip
    if quota is not None:
        ratio = quota[1].rate / quota[0].rate
        lines.append((f"quota decision >= {TARGET_QUOTA:.0%} of raw Lua", f"{ratio:.1%}",
                      verdict(ratio >= TARGET_QUOTA)))  # fmt: skip
    else:
        lines.append((f"quota decision >= {TARGET_QUOTA:.0%} of raw Lua", "n/a", "(Redis only)"))
    lines.append(("no errors in any phase (warm-ups included)", f"{errors}", verdict(errors == 0)))
    for text, value, outcome in lines:
        print(f"  {text:50} {value:>10}  {outcome}")
    if troubles:
        print(f"\nthe service logged {len(troubles)} warning/error line(s); the first:")
        for line in troubles[:5]:
            print(f"  {line[:200]}")
    for done in phases.values():
        if done.profile:
            print()
            print("\n".join(done.profile))


if __name__ == "__main__":
    main()
