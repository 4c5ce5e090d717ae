"""Status questions over the graph: people with a counting case, honest people, unknown
identifiers."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass

from bench.generators.graph import FAMILIES, PHONE, Graph, Ident, keyed, raw_identifier
from uei.antiabuse.defaulters.policy import MAX_OF_ONE_KIND
from uei.antiabuse.identity import token


@dataclass(frozen=True)
class Query:
    label: str
    """``case`` (a person with a case that counts), ``honest`` (no case) or ``unknown``."""
    tokens: tuple[str, ...]
    body: bytes
    """The ``POST /abuse/status`` body with the raw identifiers."""


def make_queries(g: Graph, secret: bytes, count: int, rng: random.Random) -> list[Query]:
    """``count`` distinct queries (no two bodies alike, so no two signatures either)."""
    with_cases = sorted(g.counting)
    reported = set(g.case_people)
    honest = [p for p in range(len(g.people)) if p not in reported]
    taken: set[tuple[Ident, ...]] = set()
    found: list[Query] = []
    while len(found) < count:
        roll = rng.random()
        idents: list[Ident]
        if roll < 0.8:
            label, pool = ("case", with_cases) if roll < 0.35 else ("honest", honest)
            mine = g.people[rng.choice(pool)]
            idents = [g.meta[t] for t in rng.sample(mine, rng.randint(1, min(3, len(mine))))]
            if rng.random() < 0.3:
                idents.append(g.fresh(PHONE))  # a new SIM beside known identifiers
        else:
            label = "unknown"
            idents = [g.fresh(rng.randrange(len(FAMILIES))) for _ in range(rng.randint(1, 3))]
        if tuple(idents) in taken or max(Counter(f for f, _ in idents).values()) > MAX_OF_ONE_KIND:
            continue  # seen, or more of one kind than a query may present
        taken.add(tuple(idents))
        identifiers: list[dict[str, str]] = []
        names: list[str] = []
        for family, serial in idents:
            kind, raw, scope, _ = raw_identifier(family, serial)
            name = keyed(secret, family, serial)
            # The service's own tokenising of the raw value must give the stored token.
            assert str(token(secret, kind, raw, scope)) == name, (kind, raw)
            names.append(name)
            identifiers.append(
                {"kind": kind.value, "value": raw, **({"scope": scope} if scope else {})}
            )
        body = json.dumps({"purpose": "postpaid_session", "identifiers": identifiers})
        found.append(Query(label, tuple(names), body.encode()))
    return found
