"""A report's lines and the targets it missed, kept until the whole report is printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class Figures:
    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    MET: ClassVar[str] = "PASS"
    MISSED: ClassVar[str] = "FAIL"

    def say(self, line: str = "") -> None:
        self.lines.append(line)

    def target(self, name: str, ok: bool, shown: str) -> None:
        self.say(f"  {self.MET if ok else self.MISSED}  {name}: {shown}")
        if not ok:
            self.failed.append(name)
