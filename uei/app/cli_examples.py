"""An example for every ``uei`` command, shown at the end of its ``--help`` (and checked by
``tests/test_cli_help.py``: every command has one, and each names its own command)."""

from __future__ import annotations

import click

__all__ = ["EXAMPLES", "with_examples"]

_OPS = "UEI_OPERATOR_KEY=ops-key.json "  # the operator key the admin commands sign with

EXAMPLES: dict[str, str] = {
    "keys generate": "uei keys generate --subscriber-id cpo.example.in > cpo-keys.json",
    "keys secret": "uei keys secret /etc/uei/network-secret",
    "sign": 'uei sign --private-key "$(jq -r .signing_private_key cpo-keys.json)" '
    "--subscriber-id cpo.example.in --key-id k1 --body body.json",
    "verify": 'uei verify --body body.json --authorization "$(cat header.txt)" '
    '--public-key "$(jq -r .signing_public_key cpo-keys.json)"',
    "challenge decrypt": 'uei challenge decrypt --private-key "$(jq -r .encr_private_key '
    'cpo-keys.json)" --peer-public-key "$REGISTRY_ENCR_PUBLIC" --ciphertext "$CHALLENGE"',
    "challenge encrypt": 'uei challenge encrypt --private-key "$REGISTRY_ENCR_PRIVATE" '
    '--peer-public-key "$SUBSCRIBER_ENCR_PUBLIC" --plaintext "$OTP"',
    "serve": "UEI_DATA_DIR=/var/lib/uei uei serve --host 0.0.0.0 --port 8000 --access-log",
    "abuse score": "uei abuse score --at 1796148000  # the window ending 2026-12-01 18:00 UTC",
    "admin add-operator": "uei admin add-operator --operator-id ops --out ~/.uei/ops-key.json",
    "admin list": f"{_OPS}uei admin list --status UNDER_SUBSCRIPTION --type BPP",
    "admin allow": f"{_OPS}uei admin allow cpo.example.in --type BPP --domain ev-charging:uei",
    "admin approve": f"{_OPS}uei admin approve gw.example.in --type BG",
    "admin grant": f"{_OPS}uei admin grant cpo.example.in defaulters",
    "admin dashboard-link": f"{_OPS}uei admin dashboard-link --base-url https://uei.example.in",
    "admin revoke-grant": f"{_OPS}uei admin revoke-grant cpo.example.in defaulters",
    "admin suspend": f"{_OPS}uei admin suspend cpo.example.in",
    "admin reinstate": f"{_OPS}uei admin reinstate cpo.example.in",
    "admin revoke": f"{_OPS}uei admin revoke cpo.example.in",
    "admin revoke-key": f"{_OPS}uei admin revoke-key cpo.example.in k-2026-11",
    "log verify": "uei log verify --url http://127.0.0.1:8000",
    "participant subscribe-body": "uei participant subscribe-body --keys cpo-keys.json "
    "--url https://cpo.example.in/beckn --type BPP --city std:080 > subscribe.json",
    "participant serve": "uei participant serve --keys cpo-keys.json --port 8001",
    "policies check": "uei policies check policies.yaml",
    "request": 'uei request POST "$UEI_URL/subscribe" --body subscribe.json '
    "--key-file cpo-keys.json",
}
"""``"group command"`` (or a top-level command's name) -> a command line to copy."""


def with_examples(group: click.Group, prefix: str = "") -> None:
    """Put each command's example at the end of its ``--help``, as written (not rewrapped)."""
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            with_examples(command, f"{path} ")
        elif path in EXAMPLES:
            command.epilog = f"\b\nExample:\n  {EXAMPLES[path]}"
