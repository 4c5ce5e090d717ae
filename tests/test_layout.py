"""The import rules of docs/architecture.md, read from the source: which part may import which.

Every module's imports (``import x`` and ``from x import y``, at any depth: deferred imports
count too) are resolved to project modules and checked against the rules. A rule broken names
the file and the import, so the fix is where the message points."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


SOURCES = {
    _module(p): _imports(p)
    for top in ("uei", "uei_testing", "bench")
    for p in sorted((ROOT / top).rglob("*.py"))
}


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _broken(part: str, allowed: tuple[str, ...]) -> list[str]:
    """Imports of project code from modules under ``part`` outside ``allowed``."""
    return [
        f"{module} imports {name}"
        for module, names in SOURCES.items()
        if _under(module, part)
        for name in sorted(names)
        if _under(name, "uei") or _under(name, "uei_testing") or _under(name, "bench")
        if not any(_under(name, a) for a in allowed)
    ]


@pytest.mark.parametrize(
    ("part", "allowed"),
    [
        ("uei.trust", ("uei.trust",)),
        ("uei.client", ("uei.client", "uei.trust")),
        ("uei.errors", ()),
        ("uei.beckn", ()),
        ("uei.access", ()),
        ("uei.options", ()),
        ("uei.tally", ()),
        ("uei.prebuilt", ()),
        ("uei.storage", ("uei.storage", "uei.errors")),
        (
            "uei.registry",
            ("uei.registry", "uei.trust", "uei.storage", "uei.errors", "uei.beckn", "uei.access",
             "uei.options", "uei.tally", "uei.prebuilt"),
        ),
        (
            "uei.antiabuse",
            ("uei.antiabuse", "uei.trust", "uei.storage", "uei.errors", "uei.beckn", "uei.access",
             "uei.options", "uei.tally", "uei.prebuilt"),
        ),
        ("uei.antiabuse.defaulters", ("uei.antiabuse.defaulters", "uei.antiabuse.identity",
         "uei.antiabuse.stores", "uei.antiabuse.times", "uei.antiabuse.secret", "uei.trust",
         "uei.storage", "uei.errors", "uei.beckn", "uei.access", "uei.options", "uei.tally",
         "uei.prebuilt")),
        ("uei", ("uei",)),
        ("uei_testing", ("uei", "uei_testing")),
        ("bench", ("uei", "uei_testing", "bench")),
    ],
)  # fmt: skip
def test_each_part_imports_only_what_the_map_allows(part: str, allowed: tuple[str, ...]) -> None:
    assert _broken(part, allowed) == []


def test_nothing_imports_the_tests() -> None:
    assert [m for m, names in SOURCES.items() if any(_under(n, "tests") for n in names)] == []


def test_only_the_app_imports_both_domains() -> None:
    both = [
        module
        for module, names in SOURCES.items()
        if _under(module, "uei")
        and any(_under(n, "uei.registry") for n in names)
        and any(_under(n, "uei.antiabuse") for n in names)
    ]
    assert both
    assert [m for m in both if not _under(m, "uei.app")] == []


def test_the_rules_see_the_imports() -> None:
    """The rules above pass because the imports are right, not because none were read."""
    assert "uei.trust" in SOURCES["uei.registry.http.auth"]
    assert any(_under(n, "uei.registry") for n in SOURCES["uei.app.factory"])
    assert len(SOURCES) > 150
