"""The registry's own keys and the operators' keys, from configuration.

Embedded default: the registry's key set is created at first start in ``UEI_DATA_DIR`` with
owner-only permissions. With Redis (several replicas) every replica must use the same keys, so
``UEI_REGISTRY_KEYS`` must name the file and the service refuses to start without it.
Operators are listed in ``UEI_OPERATORS`` (default ``$UEI_DATA_DIR/operators.json``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import msgspec
from nacl.signing import VerifyKey

from uei.registry.model import Key, KeyState, ParticipantType, Role, Status, Subscriber
from uei.trust import (
    KeyFormatError,
    KeySet,
    UnknownKey,
    encode_key,
    encode_spki,
    generate_key_set,
    load_encryption_private_key,
    load_signing_key,
    load_verify_key,
)

__all__ = ["ConfigError", "Operator", "RegistryIdentity", "load_operators", "save_key_file"]


_OWN_KEY_YEARS = 10
"""How long the registry's own record says its key is valid from start (it is rotated by
configuration, not by expiry)."""


class ConfigError(RuntimeError):
    """The service cannot start as configured; the message says what to set."""


class _KeyFile(msgspec.Struct, forbid_unknown_fields=False):
    unique_key_id: str
    signing_private_key: str
    encr_private_key: str
    subscriber_id: str | None = None


def save_key_file(path: Path, keys: KeySet, subscriber_id: str | None = None) -> None:
    """Write a key file (``uei keys generate`` fields) readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fields: dict[str, str] = dict(keys.as_json_fields())
    if subscriber_id is not None:
        fields["subscriber_id"] = subscriber_id
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(fd, 0o600)  # whatever the umask
        json.dump(fields, out, indent=2)


def load_key_file(path: Path) -> tuple[KeySet, str | None]:
    try:
        data = msgspec.json.decode(path.read_bytes(), type=_KeyFile)
        keys = KeySet(
            data.unique_key_id,
            load_signing_key(data.signing_private_key),
            load_encryption_private_key(data.encr_private_key),
        )
    except (OSError, msgspec.DecodeError, KeyFormatError) as exc:
        raise ConfigError(f"cannot use the key file {path}: {exc}") from None
    return keys, data.subscriber_id


@dataclass(frozen=True)
class RegistryIdentity:
    subscriber_id: str
    keys: KeySet

    @classmethod
    def load(
        cls, key_file: Path | None, data_dir: Path, subscriber_id: str, embedded: bool
    ) -> RegistryIdentity:
        if key_file is None:
            if not embedded:
                raise ConfigError(
                    "UEI_REGISTRY_KEYS must name the registry's key file when the store is "
                    "shared (Redis): every replica signs with the same keys. Create one with "
                    "`uei keys generate > registry-keys.json` and keep it private."
                )
            key_file = data_dir / "registry-keys.json"
            if not key_file.exists():
                save_key_file(key_file, generate_key_set(), subscriber_id)
        keys, named = load_key_file(key_file)
        return cls(named or subscriber_id, keys)

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key id the registry signs or has signed with: reserved for it alone."""
        return (self.keys.unique_key_id,)

    def record(self, domains: list[str], country: str, now: float) -> Subscriber:
        """The registry as a subscriber of type BREG, built from its keys: the only record
        lookups serve under its id (the store never holds it)."""
        key = Key(
            unique_key_id=self.keys.unique_key_id,
            signing_public_key=encode_key(self.keys.verify_key),
            encr_public_key=encode_key(self.keys.encryption_public_key),
            valid_from=now,
            valid_until=now + _OWN_KEY_YEARS * 365 * 86400.0,
            state=KeyState.VALID,
            created=now,
            updated=now,
        )
        return Subscriber(
            subscriber_id=self.subscriber_id,
            subscriber_url="",
            status=Status.SUBSCRIBED,
            created=now,
            updated=now,
            roles=tuple(Role(ParticipantType.BREG, d, country) for d in domains),
            keys=(key,),
            challenge_passed=True,
        )

    def well_known(self) -> dict[str, str]:
        """The published keys: raw base64 (Beckn clients, and existing UEI ones) and, under
        ``*_der``, the same keys as base64 SPKI DER (ONDC's utilities load only that)."""
        return {
            "subscriber_id": self.subscriber_id,
            "unique_key_id": self.keys.unique_key_id,
            "signing_public_key": encode_key(self.keys.verify_key),
            "encr_public_key": encode_key(self.keys.encryption_public_key),
            "signing_public_key_der": encode_spki(self.keys.verify_key),
            "encr_public_key_der": encode_spki(self.keys.encryption_public_key),
        }


class Operator(msgspec.Struct, frozen=True):
    operator_id: str
    unique_key_id: str
    signing_public_key: str


def load_operators(path: Path) -> dict[tuple[str, str], VerifyKey]:
    """(operator_id, unique_key_id) -> key. A missing file means no operators."""
    if not path.exists():
        return {}
    try:
        operators = msgspec.json.decode(path.read_bytes(), type=list[Operator])
        return {
            (o.operator_id, o.unique_key_id): load_verify_key(o.signing_public_key)
            for o in operators
        }
    except (OSError, msgspec.DecodeError, KeyFormatError) as exc:
        raise ConfigError(f"cannot use the operators file {path}: {exc}") from None


class OperatorsFile:
    """The operator keys as ``UEI_OPERATORS`` says now, for every operator-signed route and the
    dashboard: read strictly at start (a bad file stops the start), then re-read whenever its
    mtime or size changes, so an operator taken out of the file is refused at once on every
    route, without a restart. A file that became unreadable or invalid keeps no one in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = self._stat()
        self._keys = load_operators(path)

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def current(self) -> dict[tuple[str, str], VerifyKey]:
        seen = self._stat()
        if seen != self._seen or seen is None:
            try:
                self._keys = load_operators(self.path)
            except ConfigError:
                self._keys = {}
            self._seen = seen
        return self._keys


def operator_key(
    operators: dict[tuple[str, str], VerifyKey], operator_id: str, unique_key_id: str
) -> VerifyKey:
    found = operators.get((operator_id, unique_key_id))
    if found is None:
        raise UnknownKey(f"{operator_id}|{unique_key_id} is not an operator key")
    return found
