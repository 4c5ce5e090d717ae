"""The network secret that keys identity tokens.

Every replica must use the same secret, or the same phone number becomes different tokens. The
embedded default creates one at first start in the data directory, readable by its owner only;
a shared store (Redis) refuses to start without one named in configuration.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["SecretError", "create_secret_file", "load_network_secret"]

_MIN_BYTES = 32


class SecretError(RuntimeError):
    """The secret cannot be used; the message says what to do."""


def load_network_secret(path: Path | None, data_dir: Path, embedded: bool) -> bytes:
    """The secret from ``path`` (hex), or from / created in ``data_dir`` when ``embedded``."""
    if path is None:
        if not embedded:
            raise SecretError(
                "UEI_NETWORK_SECRET must name the network secret file when the store is "
                "shared: every replica must key identity tokens alike (create one with "
                "`uei keys secret FILE`)"
            )
        path = data_dir / "network-secret"
        if not path.exists():
            create_secret_file(path)
    try:
        text = path.read_text().strip()
        secret = bytes.fromhex(text)
    except OSError as exc:
        raise SecretError(f"cannot read the network secret {path}: {exc.strerror}") from None
    except ValueError:
        raise SecretError(f"the network secret {path} must be hex") from None
    if len(secret) < _MIN_BYTES:
        raise SecretError(f"the network secret {path} must hold at least {_MIN_BYTES} bytes")
    return secret


def create_secret_file(path: Path) -> None:
    """Write a fresh secret (hex) to a new file readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(fd, 0o600)  # whatever the umask
        out.write(secrets.token_hex(_MIN_BYTES) + "\n")
