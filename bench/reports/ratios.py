"""Ratios as the reports show them: n/d, and "0.950 (19/20)" with n/a for an empty d."""

from __future__ import annotations


def ratio(n: int, d: int) -> float:
    return n / d if d else float("nan")


def fraction(n: int, d: int, places: int) -> str:
    return f"{ratio(n, d):.{places}f} ({n}/{d})" if d else "n/a (0/0)"
