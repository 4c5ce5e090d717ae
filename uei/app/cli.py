"""``uei``: the command line. Bad arguments print one line and exit 2, never a traceback.

Key arguments take the key text itself (base64 in any accepted encoding, or PEM), or
``@path`` to read it from a file.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from uei import __version__
from uei.app.cli_examples import with_examples
from uei.app.cli_ops import abuse, admin, log_group, policies
from uei.app.cli_participant import participant, request_command
from uei.trust import (
    KeyFormatError,
    SignatureError,
    SignatureMismatch,
    TrustError,
    body_digest,
    decrypt_challenge,
    encrypt_challenge,
    explain_mismatch,
    generate_key_set,
    load_encryption_private_key,
    load_encryption_public_key,
    load_signing_key,
    load_verify_key,
    parse_header,
    sign_header,
    verify,
)

__all__ = ["cli", "main"]

T = TypeVar("T")

_HEADER_NAMES = ("authorization:", "x-gateway-authorization:")


def _key(loader: Callable[[str, str], T], value: str, option: str) -> T:
    """Load a key from its text or from ``@file``; a bad key is a usage error naming the option."""
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text()
        except OSError as exc:
            raise click.BadParameter(f"cannot read {value[1:]}: {exc.strerror}") from None
    try:
        return loader(text, option)
    except KeyFormatError as exc:
        raise click.BadParameter(str(exc)) from None


def _read_body(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="uei", message="%(prog)s %(version)s")
def cli() -> None:
    """UEI registry and abuse protection: keys, Beckn signatures, challenge crypto, the server."""


@cli.group()
def keys() -> None:
    """Generate participant keys."""


@keys.command("generate")
@click.option("--key-id", help="unique_key_id to publish the keys under (default: a new UUID)")
@click.option(
    "--subscriber-id",
    help="also record who the keys are for, so that `uei request --key-file` and "
    "`uei participant` need no --subscriber-id",
)
def keys_generate(key_id: str | None, subscriber_id: str | None) -> None:
    """Print a fresh Ed25519 signing pair and X25519 encryption pair as JSON (raw base64).

    The private signing key is the 32-byte seed (what beckn-onix reads; uei also accepts the
    64-byte libsodium form and PKCS#8 wherever it takes a key). The output holds private
    keys: keep it out of version control.
    """
    fields = generate_key_set(key_id).as_json_fields()
    if subscriber_id is not None:
        fields = {"subscriber_id": subscriber_id, **fields}
    click.echo(json.dumps(fields, indent=2))


@keys.command("secret")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def keys_secret(file: Path) -> None:
    """Create FILE holding a fresh network secret (owner-only permissions).

    The secret keys identity tokens: every replica sharing a store needs the same one, named
    by UEI_NETWORK_SECRET. Changing it makes every stored token unmatchable.
    """
    from uei.antiabuse.secret import create_secret_file

    try:
        create_secret_file(file)
    except FileExistsError:
        raise click.ClickException(f"{file} exists; a secret is never overwritten") from None
    click.echo(f"created {file}")


@cli.command("sign")
@click.option(
    "--private-key",
    "private_key",
    required=True,
    metavar="KEY",
    help="Ed25519 private key (seed, 64-byte libsodium key or PKCS#8; text or @file)",
)
@click.option("--subscriber-id", required=True, help="subscriber_id for the keyId")
@click.option("--key-id", required=True, help="unique_key_id for the keyId")
@click.option(
    "--body",
    "body_path",
    required=True,
    metavar="FILE",
    help="file holding the exact body bytes to send ('-' for standard input)",
)
@click.option("--created", type=int, metavar="UNIX_SECONDS", help="default: now")
@click.option("--expires", type=int, metavar="UNIX_SECONDS", help="default: created + 3600")
@click.option(
    "--gateway",
    is_flag=True,
    help="sign as a gateway, for X-Gateway-Authorization (the value has the same form)",
)
def sign_command(
    private_key: str,
    subscriber_id: str,
    key_id: str,
    body_path: str,
    created: int | None,
    expires: int | None,
    gateway: bool,
) -> None:
    """Print the Beckn signature header value for a body, signed over its exact bytes."""
    key = _key(load_signing_key, private_key, "--private-key")
    body = _read_body(body_path)
    created = int(time.time()) if created is None else created
    if expires is not None and expires <= created:
        raise click.BadParameter("--expires must be after --created")
    click.echo(
        sign_header(
            body,
            key,
            subscriber_id=subscriber_id,
            unique_key_id=key_id,
            created=created,
            expires=expires,
        )
    )


@cli.command("verify")
@click.option(
    "--body",
    "body_path",
    required=True,
    metavar="FILE",
    help="file holding the exact body bytes received ('-' for standard input)",
)
@click.option(
    "--authorization",
    required=True,
    metavar="HEADER",
    help="the Authorization or X-Gateway-Authorization value (the name may be included)",
)
@click.option(
    "--public-key",
    required=True,
    metavar="KEY",
    help="the signer's Ed25519 public key (raw or SPKI base64, PEM; text or @file)",
)
@click.option("--now", type=float, metavar="UNIX_SECONDS", help="time to check against")
@click.option(
    "--max-skew",
    type=float,
    default=5.0,
    show_default=True,
    help="seconds a created time may lie in the future",
)
def verify_command(
    body_path: str, authorization: str, public_key: str, now: float | None, max_skew: float
) -> None:
    """Check a Beckn signature over a body: prints 'valid' (exit 0) or 'invalid: why' (exit 1).

    When the signature does not hold, it also prints the digest of the body as given and
    tries common re-serializations of the JSON, to tell whether the sender signed other bytes
    than it sent.
    """
    key = _key(load_verify_key, public_key, "--public-key")
    body = _read_body(body_path)
    header = authorization.strip()
    if header.lower().startswith(_HEADER_NAMES):
        header = header.split(":", 1)[1]
    moment = time.time() if now is None else now
    try:
        params = parse_header(header)
        verify(body, params, key, now=moment, max_skew=max_skew)
    except SignatureMismatch as exc:
        explanation = explain_mismatch(body, params, key)
        reason = f"digest mismatch: {explanation}" if explanation else str(exc)
        click.echo(f"invalid: {reason}")
        click.echo(f"digest of the body as given: BLAKE-512={body_digest(body)}")
        sys.exit(1)
    except SignatureError as exc:
        click.echo(f"invalid: {exc}")
        sys.exit(1)
    click.echo("valid")


@cli.group()
def challenge() -> None:
    """The on_subscribe challenge: X25519 shared secret, AES-256-ECB, PKCS#7, base64."""


_challenge_keys = [
    click.option(
        "--private-key",
        required=True,
        metavar="KEY",
        help="your X25519 private key (raw or PKCS#8; text or @file)",
    ),
    click.option(
        "--peer-public-key",
        required=True,
        metavar="KEY",
        help="the other side's X25519 public key (raw or SPKI; text or @file)",
    ),
]


def _with_challenge_keys(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_challenge_keys):
        command = option(command)
    return command


@challenge.command("decrypt")
@_with_challenge_keys
@click.option("--ciphertext", required=True, metavar="B64", help="the challenge as received")
def challenge_decrypt(private_key: str, peer_public_key: str, ciphertext: str) -> None:
    """Print the plaintext of a challenge (what a subscriber answers)."""
    private = _key(load_encryption_private_key, private_key, "--private-key")
    peer = _key(load_encryption_public_key, peer_public_key, "--peer-public-key")
    try:
        click.echo(decrypt_challenge(ciphertext, private, peer))
    except TrustError as exc:
        raise click.BadParameter(str(exc), param_hint="--ciphertext") from None


@challenge.command("encrypt")
@_with_challenge_keys
@click.option("--plaintext", required=True, metavar="TEXT", help="the challenge text")
def challenge_encrypt(private_key: str, peer_public_key: str, plaintext: str) -> None:
    """Print base64 of the encrypted challenge (what a registry sends)."""
    private = _key(load_encryption_private_key, private_key, "--private-key")
    peer = _key(load_encryption_public_key, peer_public_key, "--peer-public-key")
    try:
        click.echo(encrypt_challenge(plaintext, private, peer))
    except TrustError as exc:
        raise click.BadParameter(str(exc), param_hint="--peer-public-key") from None


MAX_HEADER_BYTES = 16 * 1024
"""The largest request line and header block uvicorn (h11) buffers while it arrives: a Beckn
request's headers are well under 2 KiB. Past it, a plain-text 400 before the app sees it."""


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="port to listen on (0: any free one; the start's log says which)",
)
@click.option(
    "--timeout-keep-alive",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    metavar="SECONDS",
    help="close a keep-alive connection that sends no new request for this long",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="answer 408 and close the connection when a request body has not arrived in full "
    "this long after its headers  [default: UEI_BODY_TIMEOUT, else 10]",
)
@click.option(
    "--limit-concurrency",
    type=click.IntRange(min=1),
    metavar="N",
    help="answer 503 to new requests while N connections and requests are open (bounds "
    "memory under a flood; idle connections count too)  [default: no limit]",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="worker processes sharing the port, each with its own app, store connection and "
    "policy (SIGHUP reloads every one); N > 1 needs a Redis UEI_STORE (the SQLite file "
    "serves one process). The socket is made so that answers go out at once (TCP_NODELAY), "
    "which stock `uvicorn --workers` misses",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="info",
    show_default=True,
    envvar="UEI_LOG_LEVEL",
    help="the least severe log lines written (env UEI_LOG_LEVEL)",
)
@click.option(
    "--access-log",
    is_flag=True,
    envvar="UEI_ACCESS_LOG",
    help="also log one line per request (client, method, path, status)  [env UEI_ACCESS_LOG]",
)
def serve(
    host: str,
    port: int,
    timeout_keep_alive: int,
    body_timeout: float | None,
    limit_concurrency: int | None,
    workers: int,
    log_level: str,
    access_log: bool,
) -> None:
    """Start the service (SQLite in ./.uei unless UEI_STORE says otherwise).

    Slow clients: idle keep-alive connections close after --timeout-keep-alive, request
    bodies must arrive within --body-timeout, header blocks are capped at 16 KiB. How slowly
    headers arrive, and how many connections one client holds, are left to a reverse proxy
    in front (e.g. nginx's client_header_timeout and limit_conn).

    Files the service writes (the data directory, the database, keys) are its owner's only.
    """
    import asyncio

    from uei.app.banner import creating, startup_lines
    from uei.app.factory import create_app
    from uei.app.observe import log_config
    from uei.app.policy import PolicyError
    from uei.app.settings import Settings
    from uei.app.workers import APP, CannotListen, frozen_after_startup, serve_workers
    from uei.registry.identity import ConfigError
    from uei.registry.persistence import require_persistence
    from uei.registry.policy import Persistence

    os.umask(0o077)  # whatever this process writes is its owner's alone (workers inherit it)
    if body_timeout is not None:  # workers build their app from the environment
        os.environ["UEI_BODY_TIMEOUT"] = str(body_timeout)
    try:
        settings = Settings.from_env(os.environ)
        if workers > 1 and settings.embedded:
            raise click.UsageError(
                "--workers above 1 needs UEI_STORE=redis:// or redis+cluster://: the SQLite "
                "file serves one process"
            )
        notice = creating(settings, data_dir_given="UEI_DATA_DIR" in os.environ)
        if notice is not None:
            click.echo(f"uei: {notice}", err=True)
        # built here even with workers: a bad setting or policy fails once, before they
        # start, and first-run files (keys, secret) are made once, not raced for
        app = create_app(settings)
        if not settings.embedded:
            asyncio.run(_reach(settings))
        if app.state.policy.current.registry.persistence is Persistence.REQUIRE:
            asyncio.run(require_persistence(settings.store))
    except (ConfigError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    options: dict[str, Any] = {
        "log_config": log_config(log_level.upper(), access_log),
        "log_level": log_level.lower(),
        "access_log": access_log,
        "timeout_keep_alive": timeout_keep_alive,
        "limit_concurrency": limit_concurrency,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }
    banner = startup_lines(
        settings,
        app.state.identity.subscriber_id,
        app.state.identity.keys.unique_key_id,
        len(app.state.operators.current()),
        workers,
    )
    # one worker serves the app built here; several each build their own from the environment
    try:
        served = frozen_after_startup(app) if workers == 1 else APP
        serve_workers(served, port, workers, host=host, banner=banner, **options)
    except CannotListen as exc:
        raise click.ClickException(str(exc)) from None


async def _reach(settings: Any) -> None:
    """Connect to the shared store once before serving: an unreachable one is one line
    naming UEI_STORE, not a traceback from the first worker's start."""
    from redis.exceptions import RedisError

    from uei.app.banner import describe_store
    from uei.registry.identity import ConfigError
    from uei.storage.backend import RedisBackend, open_backend
    from uei.storage.errors import StoreUnavailable

    try:
        backend = await open_backend(settings.store_url)
        try:
            if isinstance(backend, RedisBackend):
                answered = backend.client.ping()
                if not isinstance(answered, bool):  # redis-py types sync and async alike
                    await answered
        finally:
            await backend.close()
    except (RedisError, OSError, StoreUnavailable, TimeoutError) as exc:
        raise ConfigError(
            f"cannot reach the store UEI_STORE={describe_store(settings).split(' ', 1)[-1]}: "
            f"{exc} (is it running, and is the address right?)"
        ) from None


cli.add_command(abuse)
cli.add_command(admin)
cli.add_command(log_group)
cli.add_command(participant)
cli.add_command(policies)
cli.add_command(request_command)
with_examples(cli)


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors become one line on stderr and exit status 2."""
    try:
        cli.main(args=argv, prog_name="uei", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"uei: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.Abort:
        click.echo("uei: aborted", err=True)
        sys.exit(130)
