"""The network policy (``policies.yaml``): typed, decoded strictly, errors with line numbers.

Each part owns its section's types; this module composes them and loads the file. Unknown keys,
wrong types and bad values are load-time errors that name the key and its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import yaml

from uei.antiabuse.defaulters.policy import DefaultersPolicy
from uei.antiabuse.quotas.rules import QuotasPolicy
from uei.antiabuse.scraping.policy import ScrapingPolicy
from uei.app.settings import Settings
from uei.options import Options
from uei.registry.policy import RegistryPolicy

__all__ = [
    "Policies",
    "PolicyError",
    "configured_policies",
    "decode_policies",
    "load_policies",
    "parse_policies",
]


class Policies(Options, frozen=True):
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


def decode_policies(data: bytes, source: str = "policies.yaml") -> Policies:
    """``parse_policies`` on the file's bytes, which must be UTF-8."""
    try:
        text = data.decode()
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PolicyError(f"{source}:{line}: not UTF-8 text") from None
    return parse_policies(text, source)


def load_policies(path: Path) -> Policies:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc.strerror}") from None
    return decode_policies(data, str(path))


def configured_policies(settings: Settings) -> Policies:
    """The policy file the settings name; the defaults when it is absent and not required."""
    if settings.policies_required or settings.policies.exists():
        return load_policies(settings.policies)
    return Policies()
