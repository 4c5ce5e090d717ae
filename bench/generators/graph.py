"""A synthetic identity graph: people with 2-5 identifiers linked by observations, household
vehicles, recycled phone numbers, fleet vehicles seen with hundreds of drivers, a few percent
of people with reported cases. Every token is the keyed token of a valid raw identifier."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import permutations

from bench.progress import bar as progress_bar
from uei.antiabuse.defaulters.ledger import DAY, Case, CaseStatus, Standing, standing
from uei.antiabuse.defaulters.policy import DefaultersPolicy, QueryQuota
from uei.antiabuse.identity import Kind

POLICY = DefaultersPolicy(query_quota=QueryQuota(per_hour=1e12, burst=1_000_000_000))
"""The network defaults, with a query quota that never refuses."""
FAMILIES = ("upi_vpa", "phone", "credential", "vehicle", "device")
UPI, PHONE, CREDENTIAL, VEHICLE, DEVICE = range(5)
PICK_WEIGHTS = (0.9, 0.85, 0.5, 0.5, 0.4)
"""How likely a person is to have an identifier of each family (sampled without replacement)."""
SIZES, SIZE_WEIGHTS = (2, 3, 4, 5), (0.3, 0.35, 0.25, 0.1)
HOUSEHOLD_VEHICLE = 0.06
"""Chance that a person's vehicle is one another person already drives."""
RECYCLED_PHONE = 0.03
"""Chance that a recently seen person's phone number was someone else's long ago."""
TOKENS_PER_FLEET = 4000
CASE_PEOPLE = 0.03
DEVICE_SCOPE = "app.bench.example"
ASKER = "cpo-bench.example"
PHONE_PREFIXES = ("98", "99", "97", "96", "94", "93", "90", "70")
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
NAMES = ("ravi", "anita", "suresh", "priya", "arjun", "kavya", "imran", "meera", "vikram", "divya")
PSPS = ("okaxis", "oksbi", "okhdfcbank", "ybl", "paytm", "ibl")

Ident = tuple[int, int]
"""(family index, serial): a raw identifier, derived deterministically."""


# ------------------------------------------------------------------ raw identifiers


def raw_identifier(family: int, serial: int) -> tuple[Kind, str, str | None, str]:
    """(kind, the value as a CPO would send it, scope, the normalised value): valid by the
    rules of uei.antiabuse.identity, distinct for distinct serials."""
    if family == PHONE:
        suffix = ((serial // 8) * 48271 + 12345) % 10**8  # a bijection on 8 digits
        digits = PHONE_PREFIXES[serial % 8] + f"{suffix:08d}"
        return Kind.PHONE, f"+91 {digits[:5]} {digits[5:]}", None, f"+91{digits}"
    if family == UPI:
        name = f"{NAMES[serial % len(NAMES)]}.{serial}"
        psp = PSPS[serial % len(PSPS)]
        return Kind.UPI_VPA, f"{name.capitalize()}@{psp.upper()}", None, f"{name}@{psp}"
    if family == VEHICLE:
        n, chars = (serial * 1_000_003) % 33**14, []
        for _ in range(14):
            n, digit = divmod(n, 33)
            chars.append(VIN_ALPHABET[digit])
        vin = "MA3" + "".join(chars)
        return Kind.VIN, vin, None, vin
    if family == CREDENTIAL:
        uid = f"04{(serial * 0x9E3779B97F4B) % 2**48:012X}"
        raw = ":".join(uid[i : i + 2] for i in range(0, len(uid), 2)).lower()
        return Kind.RFID, raw, None, uid
    value = f"dev-{(serial * 0x5851F42D4C95) % 2**48:012x}"
    return Kind.DEVICE, value, DEVICE_SCOPE, f"{DEVICE_SCOPE}|{value}"


def keyed(secret: bytes, family: int, serial: int) -> str:
    """The stored token of (family, serial): what uei.antiabuse.identity.token gives for its raw
    value, without the normalising (checked against it for every queried identifier)."""
    name = FAMILIES[family]
    value = raw_identifier(family, serial)[3]
    digest = hashlib.blake2b(f"{name}:{value}".encode(), key=secret[:64], digest_size=32)
    return f"{name}:{digest.hexdigest()}"


# ------------------------------------------------------------------ the graph


@dataclass
class Graph:
    now: float
    meta: list[Ident] = field(default_factory=list)
    """token id -> (family, serial)"""
    adjacency: list[dict[int, float]] = field(default_factory=list)
    """token id -> {neighbour id: last seen together}"""
    names: list[str] = field(default_factory=list)
    people: list[list[int]] = field(default_factory=list)
    fleet: list[int] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    case_people: list[int] = field(default_factory=list)
    """The person each case is about (parallel to ``cases``)."""
    counting: set[int] = field(default_factory=set)
    """People with at least one case that counts now."""
    serials: list[int] = field(default_factory=lambda: [0] * len(FAMILIES))

    def new_token(self, family: int) -> int:
        self.meta.append((family, self.serials[family]))
        self.serials[family] += 1
        self.adjacency.append({})
        return len(self.meta) - 1

    def fresh(self, family: int) -> Ident:
        """An identifier never seen in the graph."""
        self.serials[family] += 1
        return family, self.serials[family] - 1

    def link(self, tokens: Sequence[int], seen: float) -> None:
        for a, b in permutations(tokens, 2):
            links = self.adjacency[a]
            if links.get(b, 0.0) < seen:
                links[b] = seen

    def degree(self, token_id: int) -> dict[str, int]:
        return dict(Counter(FAMILIES[self.meta[b][0]] for b in self.adjacency[token_id]))

    @property
    def links(self) -> int:
        return sum(len(a) for a in self.adjacency)


def _pick_families(rng: random.Random, k: int) -> list[int]:
    """``k`` distinct families, weighted (Efraimidis-Spirakis)."""
    keys = [rng.random() ** (1 / w) for w in PICK_WEIGHTS]
    return sorted(range(len(FAMILIES)), key=keys.__getitem__, reverse=True)[:k]


def generate(target: int, secret: bytes, seed: int, now: float) -> Graph:
    rng = random.Random(seed)
    g = Graph(now)
    fleets = max(1, target // TOKENS_PER_FLEET)
    vehicles: list[int] = []
    old_phones: list[int] = []
    """Phones of people last seen long before the recycling horizon: reassignable."""
    horizon = POLICY.horizon_seconds
    with progress_bar(target, "generating the graph") as bar:
        while len(g.meta) < target - fleets:
            before = len(g.meta)
            seen = now - rng.uniform(3600, 400 * DAY)
            mine: list[int] = []
            for family in _pick_families(rng, rng.choices(SIZES, SIZE_WEIGHTS)[0]):
                if family == VEHICLE and vehicles and rng.random() < HOUSEHOLD_VEHICLE:
                    mine.append(rng.choice(vehicles))
                elif (
                    family == PHONE
                    and old_phones
                    and now - seen < horizon / 2
                    and rng.random() < RECYCLED_PHONE
                ):
                    mine.append(old_phones.pop(rng.randrange(len(old_phones))))
                else:
                    mine.append(g.new_token(family))
                    if family == VEHICLE:
                        vehicles.append(mine[-1])
                    elif family == PHONE and now - seen > horizon + 30 * DAY:
                        old_phones.append(mine[-1])
            g.people.append(mine)
            g.link(mine, seen)
            bar.update(len(g.meta) - before)
        # Fleet vehicles: each seen at sessions with many drivers (far above the fan-out limit).
        for _ in range(fleets):
            vehicle = g.new_token(VEHICLE)
            g.fleet.append(vehicle)
            drivers = min(len(g.people) // 2, int(rng.lognormvariate(4.5, 1.0)) + 8, 3000)
            for person in rng.sample(range(len(g.people)), drivers):
                presented = [t for t in g.people[person] if g.meta[t][0] in (CREDENTIAL, PHONE)]
                g.link([vehicle, *presented[:2]], now - rng.uniform(0, 60 * DAY))
            bar.update(1)
    with progress_bar(len(g.meta), "keying tokens") as bar:
        for start in range(0, len(g.meta), 10_000):
            chunk = g.meta[start : start + 10_000]
            g.names.extend(keyed(secret, f, s) for f, s in chunk)
            bar.update(len(chunk))
    _add_cases(g, rng)
    return g


def _add_cases(g: Graph, rng: random.Random) -> None:
    """A few percent of people with one or two reported sessions: most count now, some are in
    their notice period, settled, withdrawn or disputed."""
    now = g.now
    for person in rng.sample(range(len(g.people)), int(len(g.people) * CASE_PEOPLE)):
        mine = g.people[person]
        for _ in range(2 if rng.random() < 0.15 else 1):
            presented = rng.sample(mine, rng.randint(1, len(mine)))
            occurred = now - rng.uniform(8 * DAY, 300 * DAY)
            status, disputed_at, roll = CaseStatus.OPEN, None, rng.random()
            if roll < 0.05:
                occurred = now - rng.uniform(0.5 * DAY, 6 * DAY)
            elif roll < 0.13:
                status = rng.choice((CaseStatus.SETTLED, CaseStatus.WITHDRAWN))
            elif roll < 0.18:
                status = CaseStatus.DISPUTED
            reported = min(occurred + rng.uniform(600, 2 * DAY), now - 60)
            if status is CaseStatus.DISPUTED:
                disputed_at = now - rng.uniform(0, min(20 * DAY, now - reported))
            case = Case(
                case_id=f"{rng.getrandbits(96):024x}",
                creditor=f"cpo-{rng.randrange(40):02d}.example",
                session_ref=f"s-{len(g.cases):08d}",
                amount_paise=rng.randrange(5_000, 600_000),
                currency="INR",
                occurred_at=occurred,
                reported_at=reported,
                tokens=tuple(g.names[t] for t in presented),
                status=status,
                updated=disputed_at or reported,
                disputed_at=disputed_at,
                version=1,
            )
            g.cases.append(case)
            g.case_people.append(person)
            g.link(presented, occurred)  # a report links the identifiers of its session
            if standing(case, now, POLICY) is Standing.COUNTS:
                g.counting.add(person)
