"""The README's runnable blocks, as ``tests/test_readme.py`` runs them and
``python -m bench.first_hour`` times them: the blocks marked ``<!-- readme-test: NAME -->``,
the onboarding walk-through on free ports, split into its numbered steps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from uei_testing.harness import REPO

__all__ = ["REGISTRY_PORT", "RESPONDER_PORT", "Step", "blocks", "onboarding", "steps"]

MARKER = re.compile(
    r"<!-- readme-test: (?P<name>[\w-]+) -->\n```(?:sh|python)\n(?P<body>.*?)\n```", re.S
)
REGISTRY_PORT, RESPONDER_PORT = 8100, 8101
"""The ports the onboarding block names (the walk-through moves them to free ones)."""
_STEP = re.compile(r"^# (?P<number>\d+)\. (?P<title>[^:.;,(\n]+)", re.M)


def blocks(readme: Path = REPO / "README.md") -> dict[str, str]:
    return {m["name"]: m["body"] for m in MARKER.finditer(readme.read_text())}


def onboarding(
    registry: int, responder: int, python: str, readme: Path = REPO / "README.md"
) -> tuple[str, str]:
    """The onboarding block as a script on ports ``registry`` and ``responder``, running the
    Python client block (returned, to be written to ``client.py``) where the README says:
    just before the block's last line, the ``kill``."""
    found = blocks(readme)
    script, client = found["onboarding"], found["client"]
    for old, new in ((REGISTRY_PORT, registry), (RESPONDER_PORT, responder)):
        if str(old) not in script:
            raise ValueError(f"the onboarding block no longer names port {old}")
        script = script.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}")
        script = script.replace(f"--port {old}", f"--port {new}")
    client = client.replace(f"127.0.0.1:{REGISTRY_PORT}", f"127.0.0.1:{registry}")
    head, last = script.rstrip().rsplit("\n", 1)
    if not last.startswith("kill %1 %2"):
        raise ValueError(f"the onboarding block ends with {last!r}, not the kill")
    return (
        f"{head}\n\n# 8. The Python client: the status query again\n{python} client.py\n\n"
        f"# 9. Stop the registry and the responder\n{last}\n",
        client,
    )


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    """The words of its ``# N. ...`` comment up to the first colon or full stop."""
    script: str


def steps(script: str) -> list[Step]:
    """``script`` cut at its ``# N. Title`` comments (what comes before the first is step 0,
    what follows the last the last step)."""
    cuts = list(_STEP.finditer(script))
    found = []
    for i, cut in enumerate(cuts):
        end = cuts[i + 1].start() if i + 1 < len(cuts) else len(script)
        found.append(Step(int(cut["number"]), cut["title"].strip(), script[cut.start() : end]))
    return found
