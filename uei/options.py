"""The base of every ``policies.yaml`` section, declared once.

A section is frozen (a loaded policy never changes under a request; reload swaps the whole),
keyword-only, and strict: an unknown key is an error that names it, so a typo never passes for
a default. Subclasses inherit all three; each still says ``frozen=True`` so that type
checkers (which do not inherit it) know it too: ``class Lookup(Options, frozen=True)``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["Days", "NonNegative", "Options", "Positive", "Unit"]

Positive = Annotated[float, msgspec.Meta(gt=0)]
NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Unit = Annotated[float, msgspec.Meta(ge=0, le=1)]
"""A probability, a strength or a score: 0 to 1."""
Days = Annotated[float, msgspec.Meta(ge=0)]


class Options(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A section (or part of one) of ``policies.yaml``."""
