"""``uei admin``, ``uei log`` and ``uei policies``: the operator's commands.

``uei admin`` signs each request with an operator key file (``uei admin add-operator`` makes
one) and sends it to a running service. Every POST carries a fresh request id, so two commands
in the same second never share a signature (the service would refuse the second as a replay).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import click
import httpx
import msgspec

from uei.app.dashboard.links import MAX_TTL, make_token
from uei.app.policy import PolicyError, configured_policies, load_policies
from uei.app.settings import Settings
from uei.registry.changelog import ChainBroken, LogEntry, verify_chain
from uei.registry.identity import ConfigError, load_key_file, save_key_file
from uei.storage.files import write_private
from uei.trust import (
    ChallengeError,
    KeySet,
    encode_key,
    generate_key_set,
    load_verify_key,
    sign_header,
    verify_site_verification,
)

__all__ = ["abuse", "admin", "log_group", "policies"]

_URL = click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    envvar="UEI_URL",
    help="the service's base URL (env UEI_URL)",
)


@click.group()
def policies() -> None:
    """Check the network policy file."""


@policies.command("check")
@click.argument("path", type=click.Path(path_type=Path), default="policies.yaml")
def policies_check(path: Path) -> None:
    """Decode PATH strictly: prints 'ok' or the key, line and reason that are wrong (exit 1)."""
    try:
        load_policies(path)
    except PolicyError as exc:
        click.echo(f"invalid: {exc}")
        sys.exit(1)
    click.echo(f"ok: {path}")


@click.group("log")
def log_group() -> None:
    """Follow and check the registry's change log."""


@log_group.command("verify")
@_URL
@click.option(
    "--entries", "show", is_flag=True, help="also print every entry: seq, action, subject, who"
)
def log_verify(url: str, show: bool) -> None:
    """Fetch the whole change log and check its hash chain and the signed head against the
    registry's published key. Exit 0 when the chain holds, 1 when it does not."""
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            known = client.get("/.well-known/uei-registry.json").raise_for_status().json()
            entries: list[LogEntry] = []
            while True:
                page = client.get("/log", params={"after": len(entries), "limit": 1000})
                body = page.raise_for_status().json()
                batch = msgspec.convert(body["entries"], list[LogEntry])
                entries += batch
                if not batch:
                    head = body["head"]
                    break
    except (httpx.HTTPError, KeyError, msgspec.ValidationError) as exc:
        raise click.ClickException(f"cannot read the log from {url}: {exc}") from None
    try:
        verify_chain(entries)
        if (head["seq"], head["hash"]) != (
            (entries[-1].seq, entries[-1].hash) if entries else (0, "0" * 64)
        ):
            raise ChainBroken("the signed head is not the last entry")
        verify_site_verification(
            f"{head['seq']}:{head['hash']}",
            head["signature"],
            load_verify_key(known["signing_public_key"]),
        )
    except (ChainBroken, ChallengeError) as exc:
        click.echo(f"invalid: {exc}")
        sys.exit(1)
    if show:
        for e in entries:
            subject = e.subscriber_id + (f"|{e.unique_key_id}" if e.unique_key_id else "")
            click.echo(f"{e.seq:>6} {e.action:32} {subject:48} by {e.actor}")
    click.echo(f"valid: {len(entries)} entries, head {head['seq']} {head['hash']}")


@click.group()
@click.option(
    "--key-file",
    type=click.Path(path_type=Path),
    envvar="UEI_OPERATOR_KEY",
    help="operator key file (env UEI_OPERATOR_KEY)",
)
@_URL
@click.pass_context
def admin(ctx: click.Context, key_file: Path | None, url: str) -> None:
    """Operator actions on a running service, signed with an operator key."""
    ctx.obj = {"key_file": key_file, "url": url}


@admin.command("add-operator")
@click.option("--operator-id", required=True, help="the operator's name, e.g. ops")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="where to write the new private key file (owner-only permissions)",
)
def add_operator(operator_id: str, out: Path) -> None:
    """Create an operator key and list it in the operators file the service reads
    (UEI_OPERATORS, default $UEI_DATA_DIR/operators.json). Restart the service to load it."""
    settings = Settings.from_env(os.environ)
    if out.exists():
        raise click.BadParameter(f"{out} exists; refusing to overwrite a key", param_hint="--out")
    keys = generate_key_set()
    save_key_file(out, keys, operator_id)
    listing = settings.operators_file
    current: list[dict[str, str]] = json.loads(listing.read_text()) if listing.exists() else []
    current.append(
        {
            "operator_id": operator_id,
            "unique_key_id": keys.unique_key_id,
            "signing_public_key": encode_key(keys.verify_key),
        }
    )
    write_private(listing, json.dumps(current, indent=2))
    click.echo(
        f"operator {operator_id} key {keys.unique_key_id}: private key in {out}, "
        f"public key listed in {listing}"
    )


def _operator_key(ctx: click.Context) -> tuple[KeySet, str]:
    """The operator key file's keys and operator id (``--key-file`` / ``UEI_OPERATOR_KEY``)."""
    key_file: Path | None = ctx.obj["key_file"]
    if key_file is None:
        raise click.UsageError("--key-file (or UEI_OPERATOR_KEY) is required")
    try:
        keys, operator_id = load_key_file(key_file)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--key-file") from None
    if not operator_id:
        raise click.BadParameter(
            "the key file names no subscriber_id (operator id)", param_hint="--key-file"
        )
    return keys, operator_id


def _send(ctx: click.Context, method: str, path: str, fields: dict[str, Any] | None = None) -> Any:
    keys, operator_id = _operator_key(ctx)
    body = (
        json.dumps({**(fields or {}), "request_id": str(uuid.uuid4())}).encode()
        if method == "POST"
        else b""
    )
    header = sign_header(
        body,
        keys.signing_key,
        subscriber_id=operator_id,
        unique_key_id=keys.unique_key_id,
        created=int(time.time()),
    )
    try:
        with httpx.Client(base_url=ctx.obj["url"], timeout=10) as client:
            response = client.request(
                method,
                path,
                content=body,
                headers={"Authorization": header, "Content-Type": "application/json"},
            )
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {ctx.obj['url']}: {exc}") from None
    answer = response.json()
    if response.status_code >= 400:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        click.echo(f"refused ({response.status_code}): {error.get('message', response.text)}")
        sys.exit(1)
    return answer


@admin.command("dashboard-link")
@click.option(
    "--base-url",
    help="the dashboard's address as the browser reaches it (default: --url)",
)
@click.option(
    "--ttl",
    type=click.IntRange(1, MAX_TTL),
    default=300,
    show_default=True,
    help="seconds the link stays usable",
)
@click.pass_context
def dashboard_link(ctx: click.Context, base_url: str | None, ttl: int) -> None:
    """Print a single-use sign-in link to the operator dashboard, signed with the operator
    key (--key-file): open it in a browser within --ttl seconds. Nothing is sent; the
    service verifies the link against the operators file (UEI_OPERATORS) when it is opened."""
    keys, operator_id = _operator_key(ctx)
    token = make_token(keys.signing_key, operator_id, keys.unique_key_id, time.time(), ttl)
    base = (base_url or ctx.obj["url"]).rstrip("/")
    click.echo(f"{base}/dashboard/login?{urlencode({'token': token})}")


@admin.command("list")
@click.option("--status", help="only subscribers in this status")
@click.option("--type", "type_", help="only this participant type (BAP, BPP, BG)")
@click.pass_context
def admin_list(ctx: click.Context, status: str | None, type_: str | None) -> None:
    """List subscribers with their status, roles and keys."""
    query = "&".join(f"{k}={v}" for k, v in (("status", status), ("type", type_)) if v)
    for sub in _send(ctx, "GET", "/admin/subscribers" + (f"?{query}" if query else "")):
        click.echo(json.dumps(sub))


_REASON = click.option("--reason", help="why: recorded in the change log with the operator's id")
_TYPE = click.Choice(["BAP", "BPP", "BG"], case_sensitive=False)


@admin.command("allow")
@click.argument("subscriber_id")
@click.option(
    "--type",
    "types",
    type=_TYPE,
    multiple=True,
    required=True,
    help="a role the entry allows (repeat for several)",
)
@click.option("--domain", help="the domain those roles are allowed in (default: any open one)")
@click.pass_context
def admin_allow(
    ctx: click.Context, subscriber_id: str, types: tuple[str, ...], domain: str | None
) -> None:
    """Put SUBSCRIBER_ID on the allowlist (onboarding: allowlist) with the roles it may
    take, e.g. `uei admin allow cpo.example --type BPP --domain ev-charging:uei`. For a
    subscriber already listed, adds roles."""
    roles = [{"type": t.upper(), "domain": domain} for t in types]
    answer = _send(ctx, "POST", f"/admin/subscribers/{subscriber_id}/allow", {"roles": roles})
    click.echo(f"{answer['subscriber_id']}: {answer['status']}")


@admin.command("approve")
@click.argument("subscriber_id")
@click.option("--type", "type_", type=_TYPE, help="approve only this pending role's type")
@click.option("--domain", help="with --type: only in this domain")
@click.pass_context
def admin_approve(
    ctx: click.Context, subscriber_id: str, type_: str | None, domain: str | None
) -> None:
    """Grant what waits for an operator: the subscriber (require_approval) and its pending
    roles. Roles of the policy's approve_types (gateways) are approved only when named:
    `uei admin approve gw.example --type BG`."""
    if domain is not None and type_ is None:
        raise click.UsageError("--domain goes with --type")
    fields = {"role": {"type": type_.upper(), "domain": domain}} if type_ else {}
    answer = _send(ctx, "POST", f"/admin/subscribers/{subscriber_id}/approve", fields)
    click.echo(f"{answer['subscriber_id']}: {answer['status']}")


_GRANT = click.Choice(["defaulters"])


@admin.command("grant")
@click.argument("subscriber_id")
@click.argument("service", type=_GRANT)
@click.pass_context
def admin_grant(ctx: click.Context, subscriber_id: str, service: str) -> None:
    """Grant SERVICE to a subscriber: `defaulters` lets a BPP use the non-payer API (report,
    observe, query, act on cases) with the policy's `defaulters.access: granted`."""
    answer = _send(ctx, "POST", f"/admin/subscribers/{subscriber_id}/grants/{service}/grant")
    click.echo(f"{answer['subscriber_id']}: granted {service}")


@admin.command("revoke-grant")
@click.argument("subscriber_id")
@click.argument("service", type=_GRANT)
@click.pass_context
def admin_revoke_grant(ctx: click.Context, subscriber_id: str, service: str) -> None:
    """Take a granted SERVICE back (every replica within a second)."""
    answer = _send(ctx, "POST", f"/admin/subscribers/{subscriber_id}/grants/{service}/revoke")
    click.echo(f"{answer['subscriber_id']}: {service} grant revoked")


for _action in ("suspend", "reinstate", "revoke"):

    def _make(action: str) -> None:
        @admin.command(action, help=f"{action.capitalize()} a subscriber.")
        @click.argument("subscriber_id")
        @_REASON
        @click.pass_context
        def command(ctx: click.Context, subscriber_id: str, reason: str | None) -> None:
            fields = {"reason": reason} if reason else {}
            answer = _send(ctx, "POST", f"/admin/subscribers/{subscriber_id}/{action}", fields)
            click.echo(f"{answer['subscriber_id']}: {answer['status']}")

    _make(_action)


@admin.command("revoke-key")
@click.argument("subscriber_id")
@click.argument("unique_key_id")
@click.pass_context
def admin_revoke_key(ctx: click.Context, subscriber_id: str, unique_key_id: str) -> None:
    """Revoke one key of a subscriber (every lookup drops it at once)."""
    answer = _send(ctx, "POST", f"/admin/subscribers/{subscriber_id}/keys/{unique_key_id}/revoke")
    click.echo(f"{answer['subscriber_id']}: key {unique_key_id} revoked")


@click.group()
def abuse() -> None:
    """Run anti-abuse jobs against the store the service uses (UEI_STORE)."""


@abuse.command("score")
@click.option(
    "--at",
    type=float,
    metavar="UNIX_SECONDS",
    help="score the window ending at this time (default: now), e.g. to replay a past day",
)
def abuse_score(at: float | None) -> None:
    """Run one scoring pass now: the job the service runs every `score_every_seconds`.

    Reads every active BAP's events in the policy's window, scores them against the
    network's recent windows, stores one verdict per BAP with the actions its score calls
    for, and prints them (most suspicious first). Settings come from the environment as for
    `uei serve` (UEI_STORE, UEI_POLICIES)."""
    import asyncio

    from uei.antiabuse.scraping.scorer import Scorer
    from uei.antiabuse.scraping.verdicts import BapVerdict
    from uei.antiabuse.stores import open_abuse_stores

    settings = Settings.from_env(os.environ)
    try:
        scraping = configured_policies(settings).scraping
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from None

    async def run() -> list[BapVerdict]:
        stores = await open_abuse_stores(settings.store)
        try:
            with click.progressbar(
                length=1, label="reading BAPs (the network, then each BAP)", file=sys.stderr
            ) as bar:

                def progress(done: int, total: int) -> None:
                    bar.length = total
                    bar.update(done - bar.pos)

                scorer = Scorer(stores.events, stores.verdicts, lambda: scraping, time.time)
                return await scorer.run(at, progress)
        finally:
            await stores.close()

    verdicts = asyncio.run(run())
    if not verdicts:
        click.echo(f"no BAP had {scraping.min_searches} or more searches in the window")
        return
    click.echo(f"{'bap_id':40} {'score':>6}  {'actions':24} top features")
    for v in sorted(verdicts, key=lambda v: (-v.score, v.bap_id)):
        acts = ",".join(a.value for a in v.actions) + "".join(
            f",({a.value})" for a in v.shadow_actions
        )
        top = ", ".join(f"{n.name}={n.value:.3g}" for n in v.top[:3])
        click.echo(f"{v.bap_id:40} {v.score:6.3f}  {acts.lstrip(','):24} {top}")
