"""``uei request`` and ``uei participant serve``: onboarding and calling the registry without
writing code.

``uei request`` signs a request with a participant's key file, sends it, prints the answer and
checks the registry's ``Signature`` on it (``uei.client``). ``uei participant serve`` answers
the registry's on_subscribe challenge for a key file, as ``uei/registry/challenger.py``
expects: ``{"answer": <the decrypted challenge>}`` (policy ``accept_decrypted``), or base64 of
``crypto_sign(challenge)`` with the signing key (``accept_signed``, the Beckn protocol server).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import httpx
import msgspec

from uei.client import Client, RegistryKey, UnverifiedAnswer
from uei.registry.identity import ConfigError, load_key_file
from uei.trust import (
    KeySet,
    SignatureError,
    TrustError,
    decrypt_challenge,
    load_encryption_public_key,
    load_verify_key,
    parse_header,
    verify,
)

__all__ = ["participant", "request_command"]

EXIT_REFUSED = 1
"""The registry answered, signed, with a refusal (4xx or 5xx)."""
EXIT_UNVERIFIED = 3
"""The answer's signature is missing or does not verify with the registry's key."""

_KEY_FILE_HELP = (
    "participant key file: the JSON `uei keys generate` prints (unique_key_id, "
    "signing_private_key, encr_private_key; a subscriber_id field is used when present)"
)


def _keys(path: Path, option: str) -> tuple[KeySet, str | None]:
    try:
        return load_key_file(path)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _registry_file(path: Path) -> RegistryKey:
    try:
        return msgspec.json.decode(path.read_bytes(), type=RegistryKey)
    except (OSError, msgspec.DecodeError) as exc:
        raise click.BadParameter(
            f"cannot read the registry's identity from {path}: {exc}", param_hint="--registry-file"
        ) from None


@click.command("request")
@click.argument("method", type=click.Choice(["GET", "POST"], case_sensitive=False))
@click.argument("url")
@click.option(
    "--body",
    "body_path",
    metavar="FILE",
    help="file holding the exact body bytes to send and sign ('-' for standard input; "
    "default: an empty body)",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="UEI_KEY_FILE",
    help=_KEY_FILE_HELP + "  [env UEI_KEY_FILE; without it the request goes unsigned]",
)
@click.option(
    "--subscriber-id",
    envvar="UEI_SUBSCRIBER_ID",
    help="who signs (the keyId's subscriber_id)  [env UEI_SUBSCRIBER_ID; default: the key "
    "file's subscriber_id]",
)
@click.option(
    "--gateway",
    is_flag=True,
    help="sign in X-Gateway-Authorization (a gateway relaying) instead of Authorization",
)
@click.option(
    "--registry-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="pin the registry's identity: a saved copy of /.well-known/uei-registry.json "
    "(default: read it from the service, checked against its own signature)",
)
@click.option(
    "--include", "-i", is_flag=True, help="print the status line and headers before the body"
)
def request_command(
    method: str,
    url: str,
    body_path: str | None,
    key_file: Path | None,
    subscriber_id: str | None,
    gateway: bool,
    registry_file: Path | None,
    include: bool,
) -> None:
    """Sign and send a request to the registry; print the answer; check its signature.

    \b
    uei request POST http://127.0.0.1:8000/subscribe --body subscribe.json \\
                --key-file cpo-keys.json --subscriber-id cpo.example
    uei request POST http://127.0.0.1:8000/lookup --body lookup.json
    uei request GET  http://127.0.0.1:8000/lookup/cpo.example/KEY_ID

    The body is sent exactly as in FILE (Beckn signs bytes: never re-serialized). The
    answer's body goes to standard output; one line on standard error says its status and
    whether the registry's Signature verified. Exit 0 for a verified success, 1 for a
    verified refusal (the NACK's message is on standard error), 3 when the answer's
    signature is missing or does not verify (the answer then goes to standard error only,
    marked as unverified), 2 for bad arguments or a service that cannot be reached.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="URL")
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    body = b""
    if body_path is not None:
        try:
            body = sys.stdin.buffer.read() if body_path == "-" else Path(body_path).read_bytes()
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {body_path}: {exc.strerror}", param_hint="--body"
            ) from None
    keys, signer = None, None
    if key_file is not None:
        keys, named = _keys(key_file, "--key-file")
        signer = subscriber_id or named
        if signer is None:
            raise click.UsageError(
                "--subscriber-id is required: the key file names no subscriber_id"
            )
    elif subscriber_id is not None or gateway:
        raise click.UsageError("--subscriber-id and --gateway sign: give --key-file too")
    pinned = _registry_file(registry_file) if registry_file is not None else None

    async def send() -> Any:
        async with Client(
            base, subscriber_id=signer, keys=keys, registry_key=pinned, gateway=gateway
        ) as client:
            return await client.request(method.upper(), path, body, signed=keys is not None)

    try:
        answer = asyncio.run(send())
    except UnverifiedAnswer as exc:
        # nothing unverified goes to standard output, where a script would take it as said
        response = exc.response
        click.echo(f"uei: NOT VERIFIED: {exc}", err=True)
        click.echo(f"the unverified answer ({response.status_code}):", err=True)
        sys.stderr.buffer.write(response.content + b"\n")
        sys.stderr.flush()
        sys.exit(EXIT_UNVERIFIED)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {base}: {exc}") from None
    if include:
        _print_head(answer.status, answer.headers)
    _print_body(answer.body)
    proof = "signature valid" if answer.verified else "no body, nothing signed"
    registry = answer.headers.get("signature", "")
    who = ""
    if registry:
        params = parse_header(registry)
        who = f" ({params.subscriber_id}|{params.unique_key_id})"
    if answer.ok:
        click.echo(f"{answer.status}: {proof}{who}", err=True)
        return
    error = answer.error
    where = f" [{error['path']}]" if error.get("path") else ""
    message = error.get("message", "refused")
    click.echo(f"{answer.status}: {message}{where}; {proof}{who}", err=True)
    sys.exit(EXIT_REFUSED)


def _print_body(body: bytes) -> None:
    """The answer's exact bytes; on a terminal, a line end after them."""
    sys.stdout.buffer.write(body)
    if sys.stdout.isatty() and not body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def _print_head(status: int, headers: httpx.Headers) -> None:
    lines = [f"HTTP {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    click.echo("\n".join(lines) + "\n")


# -- the on_subscribe responder -------------------------------------------------------------


class _Call(msgspec.Struct):
    subscriber_id: str
    unique_key_id: str
    challenge: str
    pub_key_id: str | None = None


class Responder:
    """An ASGI app answering ``POST .../on_subscribe`` for one key set. It checks that the
    call is signed by the registry (its published signing key) and names this key, then
    answers in ``style``: ``decrypt`` or ``sign``."""

    def __init__(
        self, keys: KeySet, registry: RegistryKey, style: str, max_skew: float = 5.0
    ) -> None:
        self.keys = keys
        self.registry = registry
        self.style = style
        self.max_skew = max_skew
        self.answered = 0

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            params = parse_header(headers.get("authorization", ""))
            if params.subscriber_id != self.registry.subscriber_id:
                raise SignatureError(
                    f"signed by {params.subscriber_id}, not the registry "
                    f"{self.registry.subscriber_id}"
                )
            verify(
                body,
                params,
                load_verify_key(self.registry.signing_public_key),
                now=time.time(),
                max_skew=self.max_skew,
            )
        except SignatureError as exc:
            return 401, {"error": f"not signed by the registry: {exc}"}
        try:
            call = msgspec.json.decode(body, type=_Call)
        except msgspec.DecodeError as exc:
            return 400, {"error": f"not an on_subscribe call: {exc}"}
        if call.unique_key_id != self.keys.unique_key_id:
            return 404, {"error": f"this responder holds key {self.keys.unique_key_id} only"}
        if self.style == "sign":
            signed = self.keys.signing_key.sign(call.challenge.encode())
            text = base64.b64encode(bytes(signed)).decode("ascii")
        else:
            try:
                text = decrypt_challenge(
                    call.challenge,
                    self.keys.encryption_key,
                    load_encryption_public_key(self.registry.encr_public_key),
                )
            except TrustError as exc:
                return 400, {"error": f"the challenge does not decrypt: {exc}"}
        self.answered += 1
        return 200, {"answer": text}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body") or len(body) > 65536:
                break
        if scope["method"] != "POST" or not scope["path"].endswith("/on_subscribe"):
            status, doc = 404, {"error": "only POST .../on_subscribe is answered here"}
        else:
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            status, doc = self.answer(headers, body)
            outcome = "answered" if status == 200 else f"refused ({doc['error']})"
            click.echo(f"on_subscribe for {self.keys.unique_key_id}: {status} {outcome}", err=True)
        payload = json.dumps(doc).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@click.group()
def participant() -> None:
    """Tools for a participant (BAP, BPP, BG) onboarding onto the registry."""


@participant.command("subscribe-body")
@click.option(
    "--keys",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_KEY_FILE_HELP,
)
@click.option(
    "--subscriber-id",
    help="who subscribes (default: the key file's subscriber_id)",
)
@click.option(
    "--url",
    "subscriber_url",
    required=True,
    help="your subscriber_url: the registry calls {url}/on_subscribe, e.g. the address "
    "`uei participant serve` prints",
)
@click.option(
    "--type",
    "type_",
    type=click.Choice(["BAP", "BPP", "BG"], case_sensitive=False),
    required=True,
    help="the role asked for: BAP (an app), BPP (a CPO), BG (a gateway)",
)
@click.option(
    "--domain", default="ev-charging:uei", show_default=True, help="the Beckn domain of the role"
)
@click.option("--city", help="e.g. std:080")
@click.option("--country", default="IND", show_default=True, help="ISO 3166-1 alpha-3 country code")
def participant_subscribe_body(
    key_file: Path,
    subscriber_id: str | None,
    subscriber_url: str,
    type_: str,
    domain: str,
    city: str | None,
    country: str,
) -> None:
    """Print the POST /subscribe body for the public halves of the keys in KEYS.

    \b
    uei participant subscribe-body --keys cpo-keys.json --url http://127.0.0.1:8001/beckn \\
        --type BPP > subscribe.json
    uei request POST http://127.0.0.1:8000/subscribe --body subscribe.json \\
        --key-file cpo-keys.json

    Only public keys go in the body; the request is signed with the private signing key
    (proof of possession), and the registry then challenges the encryption key.
    """
    keys, named = _keys(key_file, "--keys")
    sid = subscriber_id or named
    if sid is None:
        raise click.UsageError("--subscriber-id is required: the key file names no subscriber_id")
    public = {k: v for k, v in keys.as_json_fields().items() if "private" not in k}
    body = {
        "subscriber_id": sid,
        "subscriber_url": subscriber_url,
        "type": type_.upper(),
        "domain": domain,
        **({"city": city} if city else {}),
        "country": country,
        **public,
    }
    click.echo(json.dumps(body))


@participant.command("serve")
@click.option(
    "--keys",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_KEY_FILE_HELP,
)
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="port to listen on (0: any free one, printed at start)",
)
@click.option(
    "--prefix",
    default="/beckn",
    show_default=True,
    help="path of the subscriber_url: the registry calls {subscriber_url}/on_subscribe",
)
@click.option(
    "--registry",
    "registry_url",
    default="http://127.0.0.1:8000",
    show_default=True,
    envvar="UEI_URL",
    help="the registry's base URL, to read its identity at start (env UEI_URL)",
)
@click.option(
    "--registry-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the registry's identity from a saved /.well-known/uei-registry.json instead",
)
@click.option(
    "--answer",
    "style",
    type=click.Choice(["decrypt", "sign"]),
    default="decrypt",
    show_default=True,
    help="decrypt: answer the plaintext of the challenge (policy accept_decrypted, ONDC "
    "style); sign: answer base64(crypto_sign(challenge)) with the signing key (policy "
    "accept_signed, the Beckn protocol server). The shipped policy accepts both",
)
def participant_serve(
    key_file: Path,
    host: str,
    port: int,
    prefix: str,
    registry_url: str,
    registry_file: Path | None,
    style: str,
) -> None:
    """Answer the registry's on_subscribe challenge for the key in KEYS, for onboarding.

    Serves POST {prefix}/on_subscribe on HOST:PORT. Each call must be signed by the
    registry (checked with the signing key it publishes); the answer decrypts the
    challenge with your encryption key and the registry's, or signs it (--answer sign).
    Start it, then POST /subscribe with subscriber_url http://HOST:PORT{prefix}: the
    registry calls it within seconds and your key becomes valid. The first line on
    standard error is `on_subscribe responder listening on <subscriber_url> ...`; one line
    per call follows. A registry on loopback calls a loopback responder only with
    `registry.challenge.private_networks: allow` in its policies.yaml.
    """
    import uvicorn

    keys, _ = _keys(key_file, "--keys")
    if registry_file is not None:
        registry = _registry_file(registry_file)
    else:

        async def fetch() -> RegistryKey:
            async with Client(registry_url) as client:
                return await client.registry()

        try:
            registry = asyncio.run(fetch())
        except (httpx.HTTPError, UnverifiedAnswer) as exc:
            raise click.ClickException(
                f"cannot read the registry's identity from {registry_url}: {exc} (start the "
                "registry first, or give --registry-file)"
            ) from None
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(64)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"on_subscribe responder listening on http://{shown}:{bound}{prefix} for key "
        f"{keys.unique_key_id} (answers by {'decrypting' if style == 'decrypt' else 'signing'}; "
        f"registry {registry.subscriber_id}|{registry.unique_key_id})",
        err=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            Responder(keys, registry, style),
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
    )
    os.set_inheritable(sock.fileno(), False)
    server.run(sockets=[sock])
