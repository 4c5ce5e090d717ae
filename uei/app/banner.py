"""What a starting service says about itself: which store, policy file, registry identity and
operators it uses, how many worker processes serve, one log line each (``uei serve`` writes them
once, before any worker starts; the address it listens on follows), and, before it creates
them, where a new identity and database go.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from uei.app.settings import Settings
from uei.registry.identity import ConfigError

__all__ = ["creating", "describe_store", "startup_lines"]


def describe_store(settings: Settings) -> str:
    """``UEI_STORE`` as it will be used: SQLite's file as an absolute path, a Redis URL with
    its password hidden."""
    url = settings.store_url
    if url.path is not None:
        return f"SQLite {url.path.resolve()}"
    parts = urlsplit(url.text)
    if parts.password is not None:
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        user = parts.username or ""
        parts = parts._replace(netloc=f"{user}:***@{host}{port}")
    kind = "Redis Cluster" if url.text.startswith("redis+cluster://") else "Redis"
    return f"{kind} {urlunsplit(parts)}"


def _policy(path: Path) -> str:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return f"the built-in defaults ({path.resolve()} does not exist)"
    except OSError as exc:
        return f"{path.resolve()} (unreadable: {exc.strerror})"
    return f"{path.resolve()} (sha256 {digest}...)"


def startup_lines(
    settings: Settings, subscriber_id: str, unique_key_id: str, operators: int, workers: int = 1
) -> list[str]:
    keys = settings.registry_keys or settings.data_dir / "registry-keys.json"
    where = settings.operators_file.resolve()
    return [
        f"store: {describe_store(settings)}",
        f"policy: {_policy(settings.policies)}",
        f"identity: {subscriber_id} key {unique_key_id} from {keys.resolve()}",
        f"operators: {operators} key(s) from {where}"
        if operators
        else f"operators: none ({where} lists no keys): every /admin route refuses every call; "
        "add one with `uei admin add-operator`",
        f"workers: {workers} processes, each with its own store connection and policy"
        if workers > 1
        else "workers: 1 (this process)",
    ]


def creating(settings: Settings, data_dir_given: bool) -> str | None:
    """On the embedded store, what a start is about to create that does not exist yet (a
    registry identity, a database), and where; None when both are there already. A database
    without its registry's identity is refused (``ConfigError``): a new key would sign for a
    registry whose participants trust another."""
    if not settings.embedded:
        return None
    new: list[str] = []
    database = settings.store_url.path
    if settings.registry_keys is None:
        keys = settings.data_dir / "registry-keys.json"
        if not keys.exists():
            if database is not None and database.exists():
                raise ConfigError(
                    f"the database {database.resolve()} exists but the registry identity "
                    f"{keys.resolve()} does not: refusing to make a new identity for an existing "
                    "registry (its participants trust the old key). Restore the key file, or "
                    "name it with UEI_REGISTRY_KEYS"
                )
            new.append(f"a new registry identity ({keys.resolve()})")
    if database is not None and not database.exists():
        new.append(f"a new, empty database ({database.resolve()})")
    if not new:
        return None
    where = (
        ""
        if data_dir_given
        else f"; UEI_DATA_DIR is not set, so the data directory is ./.uei under {Path.cwd()}: "
        "set it to use an existing registry"
    )
    return f"creating {' and '.join(new)}{where}"
