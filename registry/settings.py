"""Service settings, read once from the environment at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    """``UEI_DATA_DIR`` (default ``./.uei``), ``UEI_STORE`` (default SQLite in the data dir),
    ``UEI_POLICIES`` (default ``./policies.yaml``)."""

    data_dir: Path
    store: str
    policies: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        data_dir = Path(env.get("UEI_DATA_DIR", ".uei"))
        store = env.get("UEI_STORE") or f"sqlite:///{data_dir / 'uei.db'}"
        return cls(
            data_dir=data_dir,
            store=store,
            policies=Path(env.get("UEI_POLICIES", "policies.yaml")),
        )
