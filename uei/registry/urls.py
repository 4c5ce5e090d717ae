"""Subscriber URLs the registry will call: their syntax, and where they lead.

The registry calls ``{subscriber_url}/on_subscribe`` for anyone who subscribes, so a URL is a
request to send traffic somewhere. ``check_url`` is the syntax (pure); ``is_public`` judges one
address (pure); ``public_addresses`` resolves a URL's host, and with ``private_networks: deny``
refuses one that leads to loopback, private, link-local or otherwise special addresses. The
challenger resolves again right before it connects and connects to the vetted address itself,
so a name that changes its answer between the two (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from uei.errors import InvalidRequest
from uei.registry.policy import ChallengePolicy, Networks

__all__ = [
    "MAX_URL_LENGTH",
    "Resolve",
    "check_subscriber_url",
    "check_url",
    "is_public",
    "public_addresses",
    "system_resolve",
]

MAX_URL_LENGTH = 2048

Resolve = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port) -> addresses``; raises ``OSError`` for a name that does not resolve."""

_FIELD = "subscriber_url"
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")  # RFC 3986
_HOST_NAME = re.compile(r"(?=.{1,253}$)(?:[a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}\.?")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # embeds an IPv4 address (RFC 6052)


def _refuse(why: str) -> InvalidRequest:
    return InvalidRequest(f"subscriber_url {why}", _FIELD)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str) -> str:
    """``url`` if the registry may call it: http or https, at most 2048 characters of those
    RFC 3986 allows, a host, no user name or password, no query, no fragment. Returned with
    the scheme in lower case and no trailing slash. Raises ``InvalidRequest`` naming
    ``subscriber_url`` and why."""
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(f"is longer than {MAX_URL_LENGTH} characters")
    if not _URL_CHARACTERS.fullmatch(url):
        raise _refuse("has characters a URL may not carry (international names in punycode)")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a port that is not a number in 0..65535
        httpx.URL(url)  # the client that calls it must read it too
    except (ValueError, httpx.InvalidURL):
        raise _refuse("is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _refuse("must be an http(s) URL")
    if "@" in parts.netloc:
        raise _refuse("must not carry a user name or password")
    if not host:
        raise _refuse("has no host")
    if not (_HOST_NAME.fullmatch(host) or _is_ip(host)):
        raise _refuse("has a host that is neither a DNS name nor an IP address")
    if parts.query or "?" in url:
        raise _refuse("must not carry a query (the registry appends /on_subscribe)")
    if parts.fragment or "#" in url:
        raise _refuse("must not carry a fragment")
    return (parts.scheme + url[len(parts.scheme) :]).rstrip("/")


def is_public(address: str) -> bool:
    """Whether ``address`` (an IP address in text) is a public unicast address: not loopback,
    private, link-local, shared (CGNAT), multicast, reserved, unspecified, documentation or
    site-local, nor an IPv6 form embedding one of those (IPv4-mapped, 6to4, NAT64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(str(embedded))
        if ip.is_site_local or ip.teredo is not None:
            return False
    elif ip in _SHARED:
        return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


async def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host``, in its order, each once."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_NOT_PUBLIC = (
    "must resolve to public addresses only (a name that does not resolve, or resolves to a "
    "loopback, private, link-local or reserved address, is refused)"
)


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise _refuse("has no host")
    return host, parts.port or (443 if parts.scheme.lower() == "https" else 80)


async def public_addresses(
    url: str, networks: Networks, resolve: Resolve = system_resolve
) -> list[str]:
    """The addresses ``url``'s host resolves to (an IP literal is its own address). With
    ``Networks.DENY`` every one must be public; with ``ALLOW`` they are not judged. Raises
    ``InvalidRequest`` naming ``subscriber_url`` for a host that does not resolve and, with
    ``DENY``, for one with any address that is not public."""
    try:
        host, port = _host_port(url)
    except ValueError:
        raise _refuse("is not a valid URL") from None
    if _is_ip(host):
        addresses = [host]
    else:
        try:
            addresses = await resolve(host, port)
        except (OSError, UnicodeError):
            addresses = []
    if networks is Networks.DENY and not (addresses and all(map(is_public, addresses))):
        # one answer for a name that does not resolve and one that resolves inward: the
        # difference would tell a caller which internal names exist
        raise _refuse(_NOT_PUBLIC)
    if not addresses:
        raise _refuse("does not resolve")
    return addresses


async def check_subscriber_url(
    url: str, policy: ChallengePolicy, resolve: Resolve = system_resolve
) -> str:
    """``url`` normalised (``check_url``) if a subscriber may give it. With
    ``private_networks: deny`` its host must also resolve, within the challenge timeout, to
    public addresses only; with ``allow`` nothing is resolved."""
    normalised = check_url(url)
    if policy.private_networks is Networks.DENY:
        try:
            async with asyncio.timeout(policy.timeout_seconds):
                await public_addresses(normalised, Networks.DENY, resolve)
        except TimeoutError:
            raise _refuse(_NOT_PUBLIC) from None
    return normalised
