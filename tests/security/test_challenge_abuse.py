"""Attacks through the on_subscribe challenge: anyone who subscribes makes the registry call a
URL of their choosing. Findings 4 (a slow or huge answer holds the registry) and 5 (the
registry reaches loopback, link-local and private addresses and reports what each answered).

Each attack goes over HTTP through the real app to real peers on loopback; DNS is simulated
by an injected resolver, and no test sends a byte anywhere but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from pathlib import Path

import httpx
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.registry.peers import HostilePeer, serve_hostile
from uei.errors import InvalidRequest
from uei.registry.challenger import Challenger
from uei.registry.identity import RegistryIdentity
from uei.registry.model import Attempt, AttemptOutcome, Key, KeyState, Status, Subscriber
from uei.registry.policy import ChallengePolicy, Networks
from uei.registry.urls import MAX_URL_LENGTH, check_url, is_public
from uei.trust import (
    KeySet,
    decrypt_challenge,
    encode_key,
    generate_key_set,
    load_encryption_public_key,
)
from uei_testing.harness import Harness, running

SID = "attacker.example"
PUBLIC = "93.184.215.14"
"""A public address the simulated DNS gives out. Nothing ever connects to it: every test
that hands it out either refuses before connecting or runs no challenge."""

DENY = {"private_networks": "deny"}


class FakeDns:
    """Simulated DNS: each host answers its next list of addresses (the last one repeats); a
    host with no answers, or an empty answer, does not resolve. Records every lookup."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        queue = self.answers.get(host)
        if not queue:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(addresses)


def _store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'uei.db'}"


async def _subscribe(h: Harness, url: str, keys: KeySet | None = None) -> httpx.Response:
    keys = keys or generate_key_set()
    body = {
        "subscriber_id": SID,
        "subscriber_url": url,
        "type": "BPP",
        "domain": "ev-charging:uei",
        "unique_key_id": keys.unique_key_id,
        "signing_public_key": encode_key(keys.verify_key),
        "encr_public_key": encode_key(keys.encryption_public_key),
    }
    return await h.signed("POST", "/subscribe", keys, SID, json.dumps(body).encode())


async def _last_attempt(h: Harness) -> Attempt:
    sub = await h.registry.store.load(SID)
    assert sub is not None
    return sub.attempts[-1]


async def _ended(peer: HostilePeer) -> None:
    """Until the peer's connection handling has ended (a hang guard, not a timing bound)."""
    await asyncio.wait_for(peer.done.wait(), 60)


# --- finding 4: an answer cannot hold the registry ---------------------------------------


@pytest.mark.anyio
async def test_a_trickling_answer_cannot_hold_an_attempt_past_its_deadline(
    tmp_path: Path,
) -> None:
    """Attack: answer 200 with a Content-Length, then send one byte every 0.2 s. Before, the
    timeout was per read, so no read ever timed out: the attempt lasted as long as the peer
    liked (20 s here) and ended as bad_response. Now one deadline covers the whole attempt:
    the registry gives up and closes the connection while the peer is still trickling."""
    async with running(_store(tmp_path), tmp_path, challenge={"timeout_seconds": 1}) as h:
        peer = HostilePeer("trickle", body_bytes=100, interval=0.2)
        async with serve_hostile(peer):
            assert (await _subscribe(h, peer.url)).status_code == 200
            assert await h.registry.run_due_challenges() == 1
            await _ended(peer)
        attempt = await _last_attempt(h)
        assert (attempt.outcome, attempt.error) == (AttemptOutcome.TIMEOUT, "no answer within 1 s")
        assert peer.connections == 1
        assert peer.closed_early
        assert peer.sent < peer.body_bytes


@pytest.mark.anyio
@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
async def test_a_huge_answer_is_read_no_further_than_8_kib(tmp_path: Path, chunked: bool) -> None:
    """Attack: answer 200 with a body of 1 GiB, chunked or declared. Before, the whole answer
    was read into memory and only then found too large. Now the answer is streamed (or its
    declared length refused), reading stops past 8 KiB and the connection is closed: the
    peer gets rid of a tiny part of its gigabyte."""
    async with running(_store(tmp_path), tmp_path, challenge={"timeout_seconds": 60}) as h:
        peer = HostilePeer("huge", body_bytes=1 << 30, chunked=chunked)
        async with serve_hostile(peer):
            assert (await _subscribe(h, peer.url)).status_code == 200
            assert await h.registry.run_due_challenges() == 1
            await _ended(peer)
        attempt = await _last_attempt(h)
        assert (attempt.outcome, attempt.http_status) == (AttemptOutcome.BAD_RESPONSE, 200)
        assert attempt.error == "the answer is larger than 8 KiB"
        assert peer.closed_early
        assert peer.sent < 8 * 1024 * 1024


# --- finding 5: the registry calls only public addresses ---------------------------------

REFUSED = [
    ("http://127.0.0.1:{port}/beckn", "public addresses only"),
    ("http://localhost:{port}/beckn", "public addresses only"),
    ("http://[::1]:{port}/beckn", "public addresses only"),
    ("http://[::ffff:127.0.0.1]:{port}/beckn", "public addresses only"),
    ("http://169.254.169.254/latest/meta-data", "public addresses only"),
    ("http://10.0.0.1/beckn", "public addresses only"),
    ("http://100.64.0.1/beckn", "public addresses only"),
    ("http://mixed.example/beckn", "public addresses only"),
    ("http://nowhere.example/beckn", "public addresses only"),
    ("ftp://cpo.example/beckn", "must be an http(s) URL"),
    ("https://cpo.example/" + "a" * 3000, f"longer than {MAX_URL_LENGTH} characters"),
    ("https://admin:secret@cpo.example/beckn", "must not carry a user name or password"),
    ("https://cpo.example/beckn#top", "must not carry a fragment"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("url", "why"), REFUSED)
async def test_a_subscriber_url_the_registry_must_not_call_is_refused_at_subscribe(
    tmp_path: Path, url: str, why: str
) -> None:
    """Attack: subscribe with a subscriber_url on loopback, the cloud metadata address, a
    private network, a name resolving there (``localhost``, or a name with one private
    address among public ones), or one the registry cannot or must not call as given. Before,
    every one but ``ftp://`` (refused then too) was stored and then challenged: the registry
    called the address and its challenge history said what answered there. Now, with
    ``private_networks: deny``, a 400 NACK naming subscriber_url, nothing stored, no call."""
    dns = FakeDns(
        {
            "localhost": [["127.0.0.1", "::1"]],
            "mixed.example": [[PUBLIC, "10.1.2.3"]],
            "cpo.example": [[PUBLIC]],
        }
    )
    async with running(_store(tmp_path), tmp_path, challenge=DENY, resolve=dns) as h:
        peer = HostilePeer("silent")
        async with serve_hostile(peer):
            port = peer.url.split(":")[2].split("/")[0]
            response = await _subscribe(h, url.format(port=port))
            assert response.status_code == 400, response.text
            error = response.json()["error"]
            assert error["path"] == "subscriber_url"
            assert error["message"].startswith("subscriber_url ")
            assert why in error["message"]
            assert await h.registry.store.load(SID) is None
            assert await h.registry.store.head() is None
            assert (await h.client.post("/lookup", json={"subscriber_id": SID})).json() == []
            assert await h.registry.run_due_challenges() == 0
        assert peer.connections == 0


@pytest.mark.anyio
async def test_a_public_subscriber_url_is_accepted_and_normalised_under_deny(
    tmp_path: Path,
) -> None:
    """The control: deny refuses only what it must. (No challenge runs: the simulated public
    address is never connected to.)"""
    dns = FakeDns({"cpo.example": [[PUBLIC]]})
    async with running(_store(tmp_path), tmp_path, challenge=DENY, resolve=dns) as h:
        response = await _subscribe(h, "https://cpo.example/beckn/")
        assert response.status_code == 200, response.text
        sub = await h.registry.store.load(SID)
        assert sub is not None
        assert sub.subscriber_url == "https://cpo.example/beckn"
        assert dns.lookups == ["cpo.example"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("at_connect", "outcome", "error"),
    [
        (
            ["127.0.0.1"],
            AttemptOutcome.REFUSED,
            "the subscriber_url resolves to an address that is not public",
        ),
        (
            ["127.0.0.1", PUBLIC],
            AttemptOutcome.REFUSED,
            "the subscriber_url resolves to an address that is not public",
        ),
        (
            ["::ffff:127.0.0.1"],
            AttemptOutcome.REFUSED,
            "the subscriber_url resolves to an address that is not public",
        ),
        ([], AttemptOutcome.UNREACHABLE, "the subscriber_url does not resolve"),
    ],
)
async def test_dns_rebinding_between_subscribe_and_challenge_gains_nothing(
    tmp_path: Path, at_connect: list[str], outcome: AttemptOutcome, error: str
) -> None:
    """Attack: a name that resolves to a public address when the registry checks it at
    subscribe, and to loopback when the registry connects (DNS rebinding). Before, there was
    no check at all, and the HTTP client resolved the name itself at connect. Now the
    challenger resolves again right before connecting and refuses, without connecting, when
    any address is not public; the loopback peer never sees a connection."""
    dns = FakeDns({"rebind.example": [[PUBLIC], at_connect]})
    async with running(_store(tmp_path), tmp_path, challenge=DENY, resolve=dns) as h:
        peer = HostilePeer("silent")
        async with serve_hostile(peer):
            port = peer.url.split(":")[2].split("/")[0]
            subscribed = await _subscribe(h, f"http://rebind.example:{port}/beckn")
            assert subscribed.status_code == 200, subscribed.text
            assert await h.registry.run_due_challenges() == 1
        attempt = await _last_attempt(h)
        assert (attempt.outcome, attempt.http_status, attempt.error) == (outcome, None, error)
        assert dns.lookups == ["rebind.example", "rebind.example"]
        assert peer.connections == 0


@pytest.mark.anyio
async def test_under_deny_the_challenge_goes_to_the_vetted_address_with_the_real_name() -> None:
    """Attack: DNS rebinding inside the HTTP client (it would resolve the name once more after
    the registry's check). Before, the client was handed the name. Now it is handed the vetted
    address, with the name in ``Host`` and in TLS SNI (so the certificate is still checked
    against the name); a public subscriber passes. (A mock transport: no network.)"""
    keys, registry_keys = generate_key_set(), generate_key_set()
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        challenge = json.loads(request.content)["challenge"]
        plaintext = decrypt_challenge(
            challenge,
            keys.encryption_key,
            load_encryption_public_key(encode_key(registry_keys.encryption_public_key)),
        )
        body = httpx.ByteStream(json.dumps({"answer": plaintext}).encode())
        return httpx.Response(200, stream=body)  # a stream, as from the network

    now = 1_790_000_000.0
    key = Key(
        keys.unique_key_id,
        encode_key(keys.verify_key),
        encode_key(keys.encryption_public_key),
        now,
        now + 86400,
        KeyState.PENDING,
        now,
        now,
    )
    sub = Subscriber(
        SID, "https://cpo.example:8443/beckn", Status.UNDER_SUBSCRIPTION, now, now, keys=(key,)
    )
    dns = FakeDns({"cpo.example": [[PUBLIC]]})
    policy = ChallengePolicy(private_networks=Networks.DENY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        challenger = Challenger(
            RegistryIdentity("registry.uei", registry_keys), client, resolve=dns
        )
        attempt = await challenger.attempt(sub, key, 1, policy)
    assert (attempt.outcome, attempt.error) == (AttemptOutcome.PASSED, None)
    (request,) = requests
    assert str(request.url) == f"https://{PUBLIC}:8443/beckn/on_subscribe"
    assert request.headers["host"] == "cpo.example:8443"
    assert request.extensions["sni_hostname"] == "cpo.example"
    assert dns.lookups == ["cpo.example"]


# --- every failure is a failed attempt, told the same way --------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("networks", ["allow", "deny"])
async def test_a_subscriber_url_that_can_never_be_called_is_a_failed_attempt(
    tmp_path: Path, networks: str
) -> None:
    """Fault: a stored subscriber_url the HTTP client cannot even parse (stored before URLs
    were checked, or by hand). Before, ``httpx.InvalidURL`` is no ``httpx.HTTPError``: it
    escaped ``Challenger.attempt``, ``run_due_challenges`` raised, and the attempt stayed
    claimed. Now it is a failed attempt, unreachable."""
    dns = FakeDns({"cpo.example": [[PUBLIC]]})
    policy = {"private_networks": networks}
    async with running(_store(tmp_path), tmp_path, challenge=policy, resolve=dns) as h:
        assert (await _subscribe(h, "https://cpo.example/beckn")).status_code == 200
        stored = await h.registry.store.load(SID)
        assert stored is not None
        broken = msgspec.structs.replace(stored, subscriber_url="http://[::1/beckn")
        await h.registry.store.commit(broken, [], h.clock(), [])
        assert await h.registry.run_due_challenges() == 1
        attempt = await _last_attempt(h)
        assert (attempt.outcome, attempt.http_status) == (AttemptOutcome.UNREACHABLE, None)
        assert attempt.error == "subscriber_url is not a valid URL"


@pytest.mark.anyio
async def test_a_closed_port_tells_nothing_but_unreachable(tmp_path: Path) -> None:
    """Attack: port scanning through the challenge history (with private networks allowed,
    as in a local tour). Before, the error carried the URL and the raw socket error, which
    tell a closed port from a filtered one. Now one short sentence, the same for every
    address and port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        async with running(_store(tmp_path), tmp_path) as h:
            assert (await _subscribe(h, f"http://127.0.0.1:{port}/beckn")).status_code == 200
            assert await h.registry.run_due_challenges() == 1
            attempt = await _last_attempt(h)
    assert (attempt.outcome, attempt.http_status) == (AttemptOutcome.UNREACHABLE, None)
    assert attempt.error == "could not connect to the subscriber_url"


# --- properties of the pure parts ----------------------------------------------------------

NOT_PUBLIC = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/29",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
    "2001:db8::/32",
]


@given(st.sampled_from(NOT_PUBLIC).flatmap(lambda net: st.ip_addresses(network=net)))
def test_no_address_in_a_special_range_is_public(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    assert not is_public(str(address))
    if isinstance(address, ipaddress.IPv4Address):
        embedded = int(address)
        assert not is_public(f"::ffff:{address}")  # IPv4-mapped
        assert not is_public(str(ipaddress.IPv6Address((0x2002 << 112) | (embedded << 80))))
        assert not is_public(str(ipaddress.IPv6Address((0x64FF9B << 96) | embedded)))  # NAT64


@given(
    st.text(max_size=3000)
    | st.builds("{}{}".format, st.sampled_from(["http://", "https://"]), st.text())
)
def test_check_url_accepts_only_callable_urls_and_refuses_only_with_invalid_request(
    url: str,
) -> None:
    refused: InvalidRequest | None = None
    try:
        checked = check_url(url)
    except InvalidRequest as exc:
        refused = exc
    if refused is not None:
        assert refused.path == "subscriber_url"
        assert refused.message.startswith("subscriber_url ")
        return
    assert len(checked) <= MAX_URL_LENGTH
    assert checked.startswith(("http://", "https://"))
    assert not checked.endswith("/")
    assert check_url(checked) == checked
    parsed = httpx.URL(checked)
    assert parsed.host
    assert not parsed.userinfo
    assert not parsed.fragment
