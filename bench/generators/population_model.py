"""The population's records: identifiers, accounts, cases, people, the events a run replays
(observations, reports, settlements, status queries), its configuration and command-line
options, and the ground truth of a status query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import click

from uei.antiabuse.defaulters.policy import DefaultersPolicy

DAY = 86400.0

CPOS = (
    "cpo-voltway.example",
    "cpo-chargegrid.example",
    "cpo-plugpoint.example",
    "cpo-ampere-hub.example",
    "cpo-greenmile.example",
    "cpo-fastlane.example",
)
"""The CPOs (BPPs) that sign reports, observations and status queries."""

BAPS = ("bap-evmap.example", "bap-chargeup.example", "bap-roamly.example", "bap-wattnow.example")
"""The apps (BAPs) whose device ids CPOs see; a device id is scoped to its app."""

KEPT_KINDS = ("upi_vpa", "rfid", "vin", "device")
"""What a re-registering defaulter may keep (the phone number is always new)."""

_FAMILY = {"phone": "phone", "upi_vpa": "upi_vpa", "vin": "vehicle", "rfid": "credential"}


@dataclass(frozen=True, slots=True)
class Ident:
    kind: str
    """phone, upi_vpa, vin, rfid or device (the API's kinds)."""
    value: str
    scope: str | None = None
    """For a device: the app (BAP) it belongs to."""

    @property
    def family(self) -> str:
        """What it matches as in the service (``vin`` -> vehicle, ``rfid`` -> credential)."""
        return _FAMILY.get(self.kind, self.kind)

    def wire(self, style: int = 0) -> dict[str, str]:
        """As a CPO sends it; CPOs write phone numbers differently (``style``)."""
        value = self.value
        if self.kind == "phone":
            value = (value, f"+91 {value[:5]} {value[5:]}", f"0{value}")[style % 3]
        found = {"kind": self.kind, "value": value}
        if self.scope is not None:
            found["scope"] = self.scope
        return found


@dataclass(slots=True)
class Account:
    """What one person gave one or more CPOs at signup."""

    phone: Ident
    vpa: Ident | None
    vehicle: Ident | None
    rfid: Ident | None
    device: Ident
    registered: set[str] = field(default_factory=set)
    """The CPOs this account signed up with."""

    def identifiers(self) -> tuple[Ident, ...]:
        return tuple(
            i for i in (self.phone, self.vpa, self.vehicle, self.rfid, self.device) if i is not None
        )


@dataclass(slots=True)
class Case:
    """The truth about one unpaid session."""

    session_ref: str
    cpo: str
    occurred: float
    settled: float | None = None


@dataclass(slots=True)
class Person:
    pid: int
    role: str
    """honest, family, fleet or recycled_owner."""
    group: int | None = None
    """The family or fleet vehicle."""
    defaulter: str | None = None
    """same_account, keep or change_all (None: never defaults)."""
    kept: tuple[str, ...] = ()
    """``keep``: what carried over to the new account (of KEPT_KINDS)."""
    strong_reuse: bool = False
    """A defaulter whose later accounts still hold a strong identifier of the defaulting one
    (a family whose policy strength reaches the block threshold)."""
    second_phone: bool = False
    group_has_defaulter: bool = False
    recycled_from: int | None = None
    """recycled_owner: the defaulter whose abandoned number this person was given."""
    cases: list[Case] = field(default_factory=list)

    @property
    def segment(self) -> str:
        """The group this person's answers are reported under."""
        if self.defaulter is not None:
            prefix = {"honest": "", "family": "family_", "fleet": "fleet_"}[self.role]
            return f"{prefix}defaulter_{self.defaulter}"
        if self.role == "honest":
            return "honest_second_phone" if self.second_phone else "honest"
        if self.role == "family":
            return "family_of_defaulter" if self.group_has_defaulter else "family"
        if self.role == "fleet":
            return "fleet_with_defaulter" if self.group_has_defaulter else "fleet"
        return self.role


@dataclass(frozen=True, slots=True)
class Observe:
    at: float
    cpo: str
    context: str
    """registration or session."""
    identifiers: tuple[Ident, ...]
    pid: int


@dataclass(frozen=True, slots=True)
class Report:
    at: float
    cpo: str
    session_ref: str
    occurred: float
    amount: str
    identifiers: tuple[Ident, ...]
    pid: int


@dataclass(frozen=True, slots=True)
class Settle:
    at: float
    cpo: str
    session_ref: str
    pid: int


@dataclass(frozen=True, slots=True)
class Query:
    at: float
    cpo: str
    identifiers: tuple[Ident, ...]
    pid: int
    truth: bool
    """The person has a case that counts now."""
    phase: str
    """clean (never defaulted so far), counts, in_notice, settled or expired."""


Event = Observe | Report | Settle | Query


@dataclass(frozen=True, slots=True)
class Config:
    users: int = 3000
    """People, not counting the recycled numbers' new owners (added on top)."""
    seed: int = 7
    days: float = 420.0
    """Length of the simulated history: longer than the case expiry, so some cases expire."""
    defaulter_rate: float = 0.06
    """Share of individuals who leave a session unpaid."""
    same_account_share: float = 0.3
    """Of defaulters: keep using the same account."""
    change_all_share: float = 0.15
    """Of defaulters: re-register with nothing in common (the rest keep something)."""
    settle_rate: float = 0.2
    """Share of unpaid sessions paid later."""
    second_phone_rate: float = 0.1
    """Share of honest individuals with a second number, used at a second CPO."""
    family_share: float = 0.15
    """Share of people who live in a family sharing one vehicle."""
    fleet_share: float = 0.08
    """Share of people who drive a fleet vehicle."""
    group_defaulter_rate: float = 0.3
    """Chance that a family or a fleet vehicle has one defaulter."""
    recycle_rate: float = 0.7
    """Chance that an abandoned defaulter's number is given to a new owner in time."""
    sessions_per_month: float = 0.7
    """Average charging sessions per person and month (fleet drivers: 2.5 times)."""
    vehicle_rate: float = 0.65
    """Share of people who register their vehicle in the app."""
    rfid_rate: float = 0.3
    """Share of people with an RFID card."""
    vpa_rate: float = 0.85
    """Share of people who pay by UPI (the rest by card, which is not an identifier here)."""


_OPTION_HELP = {
    "users": "People (the new owners of recycled numbers come on top).",
    "seed": "Random seed: the same seed gives the same population.",
    "days": "Simulated history in days (longer than the case expiry).",
    "defaulter_rate": "Share of individuals who leave a session unpaid.",
    "same_account_share": "Of defaulters: those who keep their account.",
    "change_all_share": "Of defaulters: those who re-register with nothing in common.",
    "settle_rate": "Share of unpaid sessions paid later.",
    "second_phone_rate": "Share of honest individuals with a second number.",
    "family_share": "Share of people in families sharing a vehicle.",
    "fleet_share": "Share of people driving a fleet vehicle.",
    "group_defaulter_rate": "Chance a family or fleet vehicle has one defaulter.",
    "recycle_rate": "Chance an abandoned defaulter's number gets a new owner.",
    "sessions_per_month": "Sessions per person and month (fleet drivers 2.5x).",
    "vehicle_rate": "Share of people who register their vehicle in the app.",
    "rfid_rate": "Share of people with an RFID card.",
    "vpa_rate": "Share of people who pay by UPI.",
}

F = TypeVar("F", bound=Callable[..., Any])


def population_options(fn: F) -> F:
    """The generator's options (``--users``, ``--seed``, proportions) on a click command."""
    for f in reversed(fields(Config)):
        default = f.default
        fn = click.option(
            f"--{f.name.replace('_', '-')}",
            type=type(default),
            default=default,
            show_default=True,
            help=_OPTION_HELP[f.name],
        )(fn)
    return fn


def config_from(options: dict[str, Any]) -> Config:
    known = {f.name for f in fields(Config)}
    return Config(**{k: v for k, v in options.items() if k in known})


def config_argv(config: Config) -> list[str]:
    """The options that reproduce ``config`` (those that differ from the defaults)."""
    default = Config()
    found: list[str] = []
    for f in fields(Config):
        value = getattr(config, f.name)
        if value != getattr(default, f.name):
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            found += [f"--{f.name.replace('_', '-')}", shown]
    return found


def truth(p: Person, at: float, policy: DefaultersPolicy) -> tuple[bool, str]:
    """Does ``p`` have a case that counts at ``at``, and the phase they are in: counts,
    in_notice, settled, expired, or clean (no unpaid session so far)."""
    notice = policy.notice_days * DAY
    expiry = policy.case_expiry_days * DAY
    phases: set[str] = set()
    for case in p.cases:
        age = at - case.occurred
        if age < 0:
            continue
        if case.settled is not None and case.settled <= at:
            phases.add("settled")
        elif age >= expiry:
            phases.add("expired")
        elif age < notice:
            phases.add("in_notice")
        else:
            phases.add("counts")
    for phase in ("counts", "in_notice", "settled", "expired"):
        if phase in phases:
            return phase == "counts", phase
    return False, "clean"


@dataclass
class Population:
    config: Config
    policy: DefaultersPolicy
    persons: list[Person]
    events: list[Event]
    """In time order."""

    def truth(self, pid: int, at: float) -> tuple[bool, str]:
        """The ground truth about person ``pid`` at ``at`` (see ``truth``)."""
        return truth(self.persons[pid], at, self.policy)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for p in self.persons:
            found[p.segment] = found.get(p.segment, 0) + 1
        return dict(sorted(found.items()))
