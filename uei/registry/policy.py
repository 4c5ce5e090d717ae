"""The network policy (``policies.yaml``): typed, decoded strictly, errors with line numbers.

Each part owns its section's types; this module composes them and loads the file. Unknown keys,
wrong types and bad values are load-time errors that name the key and its line.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import msgspec
import yaml

from uei.antiabuse.policy import DefaultersPolicy
from uei.antiabuse.scraping.policy import QuotasPolicy, ScrapingPolicy
from uei.registry.model import ParticipantType
from uei.registry.settings import Settings

__all__ = [
    "ChallengePolicy",
    "KeyValidityPolicy",
    "LookupPolicy",
    "Networks",
    "Onboarding",
    "Persistence",
    "Policies",
    "PolicyError",
    "RegistryPolicy",
    "configured_policies",
    "load_policies",
    "parse_policies",
]

_Positive = Annotated[float, msgspec.Meta(gt=0)]
_NonNegative = Annotated[float, msgspec.Meta(ge=0)]


class Onboarding(StrEnum):
    OPEN = "open"
    ALLOWLIST = "allowlist"


class Networks(StrEnum):
    DENY = "deny"
    """Only public addresses: the registry is never a way into a private network."""
    ALLOW = "allow"
    """Private, loopback and link-local addresses too (local tours and tests)."""


class Persistence(StrEnum):
    WARN = "warn"
    """Say loudly at start when Redis does not persist every write (AOF off)."""
    REQUIRE = "require"
    """Refuse to start on a Redis that does not persist every write."""


class KeyValidityPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    max_days: Annotated[int, msgspec.Meta(ge=1)] = 730
    """Longest valid_from..valid_until a subscriber may ask for."""
    default_days: Annotated[int, msgspec.Meta(ge=1)] = 365
    """Validity given when a subscriber does not say."""
    max_backdate_seconds: Annotated[int, msgspec.Meta(ge=0)] = 300
    """How far in the past a valid_from may lie (clock skew)."""
    max_pending: Annotated[int, msgspec.Meta(ge=1, le=100)] = 3
    """Keys one subscriber may have waiting for their challenge at once."""


class LookupPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    max_age_seconds: Annotated[int, msgspec.Meta(ge=0)] = 60
    """Cache-Control max-age on the key path."""
    page_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 100
    max_page_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000
    cache_bytes: Annotated[int, msgspec.Meta(ge=0)] = 64 * 1024 * 1024
    """Most bytes of encoded lookup pages each replica keeps."""


class ChallengePolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    timeout_seconds: _Positive = 5.0
    """One on_subscribe attempt may take this long in all: connect, send and read."""
    retry_after_seconds: list[_NonNegative] = msgspec.field(
        default_factory=lambda: [0.0, 10.0, 60.0, 300.0, 1800.0]
    )
    """Delay before each attempt, from the subscribe; its length is the number of attempts."""
    accept_decrypted: bool = True
    """Answers that decrypt the challenge (ONDC, beckn-registry)."""
    accept_signed: bool = True
    """Answers that sign the challenge as sent (the Beckn protocol server)."""
    private_networks: Networks = Networks.DENY
    """Whether subscriber URLs may resolve to private, loopback or link-local addresses."""
    max_concurrent: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 32
    """Attempts in flight at once on one replica (each subscriber's one at a time)."""
    rechallenge_after_seconds: _NonNegative = 60.0
    """An empty /subscribe restarts the schedule only this long after it last started."""


class RegistryPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    onboarding: Onboarding = Onboarding.OPEN
    require_approval: bool = False
    """When true, passing the challenge waits for an operator's approve."""
    domains: list[str] = msgspec.field(default_factory=lambda: ["ev-charging:uei"])
    countries: list[str] = msgspec.field(default_factory=lambda: ["IND"])
    max_skew_seconds: _NonNegative = 5.0
    """How far in the future a signature's created time may lie."""
    max_signature_lifetime_seconds: _Positive = 3600.0
    """Longest validity (expires - created) a request signature may claim."""
    approve_types: list[ParticipantType] = msgspec.field(
        default_factory=lambda: [ParticipantType.BG]
    )
    """Roles that wait for an operator's approve in every onboarding mode."""
    persistence: Persistence = Persistence.WARN
    """What to do at start on a Redis that does not persist every write."""
    keys: KeyValidityPolicy = KeyValidityPolicy()
    lookup: LookupPolicy = LookupPolicy()
    challenge: ChallengePolicy = ChallengePolicy()


class Policies(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    version: int = 1
    registry: RegistryPolicy = RegistryPolicy()
    defaulters: DefaultersPolicy = DefaultersPolicy()
    quotas: QuotasPolicy = QuotasPolicy()
    scraping: ScrapingPolicy = ScrapingPolicy()


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, the key and the line."""


_AT = re.compile(r"`\$((?:\.[^.`\[]+|\[\d+\]|\[\.\.\.\])*)`")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")


def _node_at(root: yaml.Node, path: str) -> yaml.Node:
    """Walk the YAML node tree along a msgspec path such as ``.registry.keys[0]``. msgspec
    writes ``[...]`` for a value under a key it does not name: the walk then takes the first
    entry along which the rest of the path goes furthest."""
    parts: list[str] = re.findall(r"\.[^.\[]+|\[\d+\]|\[\.\.\.\]", path)
    return _walk(root, parts)[0]


def _walk(node: yaml.Node, parts: list[str]) -> tuple[yaml.Node, int]:
    """(the deepest node reached, how many parts were followed)."""
    for i, part in enumerate(parts):
        if part == "[...]" and isinstance(node, yaml.MappingNode) and node.value:
            walks = [_walk(v, parts[i + 1 :]) for _, v in node.value]
            deepest, depth = max(walks, key=lambda w: w[1])
            return deepest, i + 1 + depth
        if part.startswith(".") and isinstance(node, yaml.MappingNode):
            name = part[1:]
            found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == name]
            if not found:
                return node, i
            node = found[0]
        elif part.startswith("[") and isinstance(node, yaml.SequenceNode):
            index = int(part[1:-1])
            if index >= len(node.value):
                return node, i
            node = node.value[index]
        else:
            return node, i
    return node, len(parts)


def _line_of(root: yaml.Node | None, message: str) -> int | None:
    if root is None:
        return None
    at = _AT.search(message)
    node = _node_at(root, at.group(1) if at else "")
    unknown = _UNKNOWN.search(message)
    if unknown and isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == unknown.group(1):
                return int(key.start_mark.line) + 1
    return int(node.start_mark.line) + 1


def parse_policies(text: str, source: str = "policies.yaml") -> Policies:
    """Decode policy text strictly; raise ``PolicyError`` with ``source:line: what``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolicyError(f"{source}{line}: not valid YAML: {problem}") from None
    try:
        return msgspec.convert(data if data is not None else {}, Policies, strict=True)
    except msgspec.ValidationError as exc:
        number = _line_of(root, str(exc))
        where = f"{source}:{number}" if number else source
        raise PolicyError(f"{where}: {exc}") from None


def load_policies(path: Path) -> Policies:
    try:
        text = path.read_text()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc.strerror}") from None
    return parse_policies(text, str(path))


def configured_policies(settings: Settings) -> Policies:
    """The policy file the settings name; the defaults when it is absent and not required."""
    if settings.policies_required or settings.policies.exists():
        return load_policies(settings.policies)
    return Policies()
