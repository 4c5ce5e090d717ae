"""Service settings, read once from the environment at start."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from uei.registry.identity import ConfigError
from uei.storage.url import StoreUrl, parse_store_url

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Environment variables (all optional on the embedded default):

    ``UEI_DATA_DIR`` (``./.uei``), ``UEI_STORE`` (SQLite in the data dir),
    ``UEI_POLICIES`` (``./policies.yaml``), ``UEI_REGISTRY_ID`` (``registry.uei``),
    ``UEI_REGISTRY_KEYS`` (created in the data dir on SQLite; required with Redis),
    ``UEI_OPERATORS`` (``$UEI_DATA_DIR/operators.json``), ``UEI_NETWORK_SECRET`` (the file
    holding the secret that keys identity tokens; created in the data dir on SQLite, required
    with Redis), ``UEI_BODY_TIMEOUT`` (seconds, ``10``).
    """

    data_dir: Path
    store: str
    policies: Path
    registry_id: str = "registry.uei"
    registry_keys: Path | None = None
    operators: Path | None = None
    network_secret: Path | None = None
    policies_required: bool = False
    """True when UEI_POLICIES names the file: then it must exist. The default path may be
    absent, and the defaults apply."""
    follow_interval: float = 0.5
    """Seconds between change-log polls: revocations reach every replica within one second."""
    body_timeout: float = 10.0
    """Seconds a request body may take to arrive in full after its headers; then a 408."""

    @property
    def store_url(self) -> StoreUrl:
        """``store`` parsed (the one parser, ``uei.storage.url``)."""
        try:
            return parse_store_url(self.store)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    @property
    def embedded(self) -> bool:
        return self.store_url.embedded

    @property
    def operators_file(self) -> Path:
        return self.operators or self.data_dir / "operators.json"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        data_dir = Path(env.get("UEI_DATA_DIR", ".uei"))
        keys = env.get("UEI_REGISTRY_KEYS")
        operators = env.get("UEI_OPERATORS")
        secret = env.get("UEI_NETWORK_SECRET")
        return cls(
            data_dir=data_dir,
            store=env.get("UEI_STORE") or f"sqlite:///{data_dir / 'uei.db'}",
            policies=Path(env.get("UEI_POLICIES", "policies.yaml")),
            policies_required="UEI_POLICIES" in env,
            registry_id=env.get("UEI_REGISTRY_ID", "registry.uei"),
            registry_keys=Path(keys) if keys else None,
            operators=Path(operators) if operators else None,
            network_secret=Path(secret) if secret else None,
            body_timeout=_seconds(env, "UEI_BODY_TIMEOUT", 10.0),
        )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number of seconds, not {text!r}")
    return value
