"""The load's population: participants enrolled straight into the store as SUBSCRIBED, with
their signing keys, and the users the CPOs ask about."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench.progress import bar

# ------------------------------------------------------------------ the population


@dataclass(frozen=True, slots=True)
class Member:
    subscriber_id: str
    type: str
    """BG, BAP or BPP."""
    unique_key_id: str
    seed: bytes
    """The Ed25519 private key (32-byte seed), for signing as this member."""


@dataclass(frozen=True, slots=True)
class Person:
    phone: str
    upi: str
    vin: str
    rfid: str


def _roles(count: int) -> tuple[int, int]:
    """How many BGs and BAPs among ``count`` participants (the rest are BPPs)."""
    return max(2, count // 500), max(5, count // 10)


def population(count: int) -> list[Member]:
    """``count`` participants with fresh keys: BGs (1 per 500, at least 2), BAPs (a tenth,
    at least 5), BPPs (the rest)."""
    from uei.trust import generate_key_set

    bgs, baps = _roles(count)
    members = []
    for i in range(count):
        if i < bgs:
            sid, kind = f"bg-{i:02d}.load.example", "BG"
        elif i < bgs + baps:
            sid, kind = f"app-{i - bgs:04d}.load.example", "BAP"
        else:
            sid, kind = f"cpo-{i - bgs - baps:05d}.load.example", "BPP"
        keys = generate_key_set()
        members.append(Member(sid, kind, keys.unique_key_id, keys.signing_key.encode()))
    return members


def people(count: int, seed: int) -> list[Person]:
    """Users with valid identifiers (Indian mobile numbers, VPAs, VINs, RFID card ids)."""
    from uei.antiabuse.identity import IdentifierError, Kind, normalise

    rng = random.Random(seed)
    vin_alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    found: list[Person] = []
    phones: set[str] = set()
    while len(found) < count:
        phone = f"+91{rng.choice('6789')}{rng.randrange(10**8, 10**9)}"
        try:
            normalise(Kind.PHONE, phone)
        except IdentifierError:
            continue
        if phone in phones:
            continue
        phones.add(phone)
        n = len(found)
        found.append(
            Person(
                phone=phone,
                upi=f"user{n}.{rng.randrange(10**6)}@ok{rng.choice(['axis', 'hdfc', 'sbi'])}",
                vin="MA3" + "".join(rng.choice(vin_alphabet) for _ in range(14)),
                rfid=f"{rng.getrandbits(48):012X}",
            )
        )
    return found


async def enrol_all(url: str, members: Sequence[Member]) -> None:
    from nacl.public import PrivateKey
    from nacl.signing import SigningKey

    from uei.registry.model import ParticipantType
    from uei.registry.stores import open_store
    from uei.trust import KeySet
    from uei_testing.factories import Participant, enrol

    store = await open_store(url)
    try:
        now = time.time()
        with bar(len(members), "enrolling", show_pos=True, width=30) as progress:
            for m in members:
                keys = KeySet(m.unique_key_id, SigningKey(m.seed), PrivateKey.generate())
                participant = Participant(
                    m.subscriber_id,
                    type=ParticipantType(m.type),
                    url=f"https://{m.subscriber_id}/beckn",
                    keys=keys,
                )
                # CPOs are granted the non-payer API (defaulters.access: granted)
                grants = ["defaulters"] if m.type == "BPP" else []
                await enrol(store, participant, now, grants=grants)
                progress.update(1)
    finally:
        await store.close()
