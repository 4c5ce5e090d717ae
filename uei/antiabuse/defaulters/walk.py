"""The evidence walk: which reads a status query needs, step by step, with no I/O.

``walk`` is a generator: it yields a ``Reads`` (what it needs next, every read of a step
independent of the others), is sent back the ``Found`` and finally returns the ``Evidence``.
It follows links from the presented tokens as far as a verdict may go, by the verdict's own
rules (``usable``, ``passable``), so nothing is read that could not count. A store runs it
(``GraphStore.walk``): each step one pipeline on Redis, the whole walk one read on SQLite's
reading connection.

Steps: the query's degrees and cases; per hop, the frontier's links, then the degrees and
cases of the tokens the links reach; last, the cases found and the links of phone numbers
that reach a case (a phone number counts only while recently seen with the case's person).
A step with nothing to read is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from uei.antiabuse.defaulters.ledger import Case
from uei.antiabuse.defaulters.policy import DefaultersPolicy
from uei.antiabuse.defaulters.verdict import Evidence, passable, usable

__all__ = ["NOTHING", "Found", "Reads", "Walk", "gated", "run_reads", "walk"]


@dataclass(frozen=True, slots=True)
class Reads:
    """One step's reads, independent of each other."""

    degrees: Sequence[str] = ()
    """token -> {family: distinct neighbours} (``GraphStore.degrees``)"""
    neighbours: Sequence[str] = ()
    """token -> {neighbour: last seen together} (``GraphStore.neighbours``, ``limit``)"""
    cases_for: Sequence[str] = ()
    """token -> case ids (``CaseStore.cases_for``)"""
    cases: Sequence[str] = ()
    """case id -> case (``CaseStore.load_cases``)"""
    limit: int = 0
    """At most this many neighbours per token, the most recent."""


@dataclass(frozen=True, slots=True)
class Found:
    """What one ``Reads`` found, in the stores' own shapes."""

    degrees: dict[str, dict[str, int]] = field(default_factory=dict)
    neighbours: dict[str, dict[str, float]] = field(default_factory=dict)
    cases_for: dict[str, list[str]] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)


Walk = Generator[Reads, Found, Evidence]

NOTHING = Evidence({}, {}, {}, {})
"""The evidence of a walk stopped before its end (what ``gated`` returns then)."""


def gated(steps: Walk, stop: Callable[[], bool]) -> Walk:
    """``steps``, but ended after any step once ``stop()`` says so (returning ``NOTHING``):
    a status query's first reads go out beside its quota, and the walk goes no further for a
    query the quota refused."""
    reads = next(steps)
    while True:
        found = yield reads
        if stop():
            return NOTHING
        try:
            reads = steps.send(found)
        except StopIteration as done:
            evidence: Evidence = done.value
            return evidence


def walk(query: Sequence[str], policy: DefaultersPolicy, now: float) -> Walk:
    """The evidence around ``query``."""
    asked = list(dict.fromkeys(query))
    first = yield Reads(degrees=asked, cases_for=asked)
    degrees = first.degrees
    cases_by_token = first.cases_for
    neighbours: dict[str, dict[str, float]] = {}
    frontier = [t for t in asked if usable(t, degrees, policy)]
    limit = policy.max_neighbours
    for _ in range(policy.max_hops):
        if not frontier:
            break
        found = (yield Reads(neighbours=frontier, limit=limit)).neighbours
        neighbours.update(found)
        fresh = sorted({n for links in found.values() for n in links if n not in degrees})
        if fresh:
            more = yield Reads(degrees=fresh, cases_for=fresh)
            degrees.update(more.degrees)
            cases_by_token.update(more.cases_for)
        frontier = sorted(
            {
                n
                for t in frontier
                for n, seen in found.get(t, {}).items()
                if n not in neighbours and passable(t, n, seen, degrees, policy, now)
            }
        )
    # tokens with no degrees and no links of their own reach nothing: their cases are read
    # only if they are in the query
    reached = set(degrees) | set(neighbours) | set(asked)
    cases_by_token = {t: ids for t, ids in cases_by_token.items() if t in reached}
    phones = sorted(t for t in cases_by_token if t.startswith("phone:") and t not in neighbours)
    ids = sorted({c for ids in cases_by_token.values() for c in ids})
    cases: dict[str, Case] = {}
    if ids or phones:
        last = yield Reads(cases=ids, neighbours=phones, limit=limit)
        cases = last.cases
        neighbours.update(last.neighbours)
    return Evidence(neighbours, degrees, cases_by_token, cases)


def run_reads(walk: Walk, read: Callable[[Reads], Found], first: Reads | None = None) -> Evidence:
    """Drive ``walk`` to its end with ``read``, one call per step (a store that reads
    synchronously, all steps in one hop); ``first``: the step it has yielded already."""
    try:
        reads = next(walk) if first is None else first
        while True:
            reads = walk.send(read(reads))
    except StopIteration as done:
        evidence: Evidence = done.value
        return evidence
