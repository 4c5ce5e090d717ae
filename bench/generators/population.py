"""A synthetic EV-charging population with ground truth, for the defaulter verdicts.

    python -m bench.population --users 3000 --seed 7 [--out population.jsonl]

People sign up with CPOs (a ``registration`` observation of the identifiers they give: phone,
UPI VPA, the vehicle registered in the app, an RFID card, the app's device id), and charge: a
status query (``postpaid_session``) before every post-paid session, then a ``session``
observation of the identifiers used. Some sessions are left unpaid: the CPO reports them a
little later, and some of those debts are paid later (the creditor settles the case).

Who is in it:

- honest people (the large majority), some with a second phone number at a second CPO;
- defaulters who keep their account (``same_account``); who re-register with a new phone
  number but keep one or more of their VPA, RFID card, vehicle or app install (``keep``; which
  ones is recorded); and who change everything (``change_all``: nothing links them to their
  debt, so no system could or should catch them);
- recycled numbers: a defaulter's abandoned number handed to an innocent new owner, more
  than the recycling horizon after the defaulter was last seen with it;
- families (2-4 people, each with their own phone and VPA) sharing one vehicle, where one
  member may be a defaulter;
- fleet vehicles driven by more drivers than the fan-out limit, one of whom may default.

Behaviour is modelled the same way for everyone, honest or not: what a person presents at a
status query is what their account at that CPO holds (the phone; the VPA when one is on file
and used; the registered vehicle) plus what starts the session (an RFID tap, or the app and so
its device id). A defaulter's kept identifier reaches a query only that way.

Every status query carries the ground truth about the *person* asking: do they have a case
that counts now (unpaid, the notice period since the session passed, not expired, not
settled)? Dates are seconds from the start of the simulation.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
import msgspec

from bench.generators.population_model import (
    _FAMILY,
    BAPS,
    CPOS,
    DAY,
    KEPT_KINDS,
    Account,
    Case,
    Config,
    Event,
    Ident,
    Observe,
    Person,
    Population,
    Query,
    Report,
    Settle,
    config_argv,
    config_from,
    population_options,
    truth,
)
from uei.antiabuse.defaulters.policy import DefaultersPolicy
from uei.antiabuse.identity import IdentifierError, Kind, family_named, normalise

__all__ = [
    "CPOS",
    "DAY",
    "KEPT_KINDS",
    "Case",
    "Config",
    "Event",
    "Ident",
    "Observe",
    "Person",
    "Population",
    "Query",
    "Report",
    "Settle",
    "config_argv",
    "config_from",
    "generate",
    "population_options",
    "truth",
]

_CPO_WEIGHTS = (0.3, 0.22, 0.16, 0.14, 0.1, 0.08)

_PSPS = ("okaxis", "oksbi", "okhdfcbank", "okicici", "ybl", "paytm", "ibl", "axl")
_NAMES = (
    "ravi", "priya", "arjun", "ananya", "vikram", "sneha", "rahul", "divya", "karthik",
    "meera", "suresh", "lakshmi", "amit", "pooja", "rohan", "kavya", "sanjay", "neha",
    "arun", "deepa", "manoj", "swathi", "imran", "fatima", "gurpreet", "harpreet",
)  # fmt: skip
_WMIS = ("MAT", "MA1", "MZB", "MEX", "MD2", "MBJ")
_VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_HEX = "0123456789ABCDEF"


_KEEP_ODDS = {"upi_vpa": 0.45, "rfid": 0.4, "vin": 0.7, "device": 0.35}
"""How likely a re-registering defaulter keeps each: the car is hardest to change, a new app
install or a new VPA are easy."""


class _Generator:
    def __init__(self, config: Config, policy: DefaultersPolicy) -> None:
        self.c = config
        self.rng = random.Random(config.seed)
        self.policy = policy
        self.end = config.days * DAY
        self.used: set[str] = set()
        self.events: list[tuple[float, int, Event]] = []
        self.queries: list[tuple[float, int, str, tuple[Ident, ...], int]] = []
        self.seq = 0
        self.persons: list[Person] = []
        self.abandoned: list[tuple[Ident, float, int]] = []
        """(phone, last seen with its defaulter, the defaulter)"""
        self.refs = 0

    # -- identifiers -----------------------------------------------------------------

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value

    def phone(self) -> Ident:
        rng = self.rng

        def make() -> str:
            while True:
                digits = rng.choice("9876") + "".join(rng.choices("0123456789", k=9))
                try:
                    normalise(Kind.PHONE, digits)
                except IdentifierError:
                    continue
                return digits

        return Ident("phone", self._unique(make))

    def vpa(self) -> Ident:
        rng = self.rng

        def make() -> str:
            name = rng.choice(_NAMES)
            if rng.random() < 0.5:
                name += "." + rng.choice(_NAMES)[0]
            return f"{name}{rng.randint(1, 9999)}@{rng.choice(_PSPS)}"

        return Ident("upi_vpa", self._unique(make))

    def vin(self) -> Ident:
        rng = self.rng
        return Ident(
            "vin",
            self._unique(lambda: rng.choice(_WMIS) + "".join(rng.choices(_VIN_ALPHABET, k=14))),
        )

    def rfid(self) -> Ident:
        rng = self.rng
        return Ident(
            "rfid", self._unique(lambda: "".join(rng.choices(_HEX, k=rng.choice((8, 14)))))
        )

    def device(self, bap: str | None = None) -> Ident:
        rng = self.rng
        value = self._unique(lambda: f"{rng.getrandbits(64):016x}")
        return Ident("device", value, bap or rng.choice(BAPS))

    def account(
        self,
        *,
        shared: Ident | None = None,
        registers: float = 1.0,
        vpa_rate: float | None = None,
    ) -> Account:
        """A new person's account. ``shared``: a vehicle they use (a family's, a fleet's),
        registered with chance ``registers``; otherwise their own, if they register one."""
        c, rng = self.c, self.rng
        pays_by_upi = rng.random() < (c.vpa_rate if vpa_rate is None else vpa_rate)
        if shared is not None:
            vehicle = shared if rng.random() < registers else None
        else:
            vehicle = self.vin() if rng.random() < c.vehicle_rate else None
        return Account(
            phone=self.phone(),
            vpa=self.vpa() if pays_by_upi else None,
            vehicle=vehicle,
            rfid=self.rfid() if rng.random() < c.rfid_rate else None,
            device=self.device(),
        )

    # -- time ------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        self.seq += 1
        self.events.append((event.at, self.seq, event))

    def sessions(self, start: float, stop: float, rate: float) -> list[float]:
        """Session times as a Poisson process of ``rate`` sessions a month."""
        found: list[float] = []
        t = start
        per_second = rate / (30 * DAY)
        while True:
            t += self.rng.expovariate(per_second)
            if t >= stop:
                return found
            found.append(t)

    def rate(self, factor: float = 1.0) -> float:
        return self.c.sessions_per_month * factor * self.rng.lognormvariate(-0.125, 0.5)

    def cpos(self, second: float = 0.3) -> list[str]:
        rng = self.rng
        home = rng.choices(CPOS, _CPO_WEIGHTS)[0]
        found = [home]
        if rng.random() < second:
            found.append(rng.choice([c for c in CPOS if c != home]))
        return found

    # -- behaviour -------------------------------------------------------------------

    def charge(self, p: Person, accounts: dict[str, Account], t: float) -> tuple[str, Account]:
        """One post-paid session at ``t``: signup first if new at that CPO, the status query,
        then the session's observation. Returns where and with which account."""
        rng = self.rng
        cpos = list(accounts)
        cpo = cpos[0] if len(cpos) == 1 or rng.random() < 0.75 else rng.choice(cpos[1:])
        acct = accounts[cpo]
        if cpo not in acct.registered:
            acct.registered.add(cpo)
            self._emit(
                Observe(t - rng.uniform(120, 900), cpo, "registration", acct.identifiers(), p.pid)
            )
        presented = [acct.phone]
        if acct.vpa is not None and rng.random() < 0.95:
            presented.append(acct.vpa)
        if acct.vehicle is not None and rng.random() < 0.9:
            presented.append(acct.vehicle)
        if acct.rfid is not None and rng.random() < 0.5:
            presented.append(acct.rfid)  # started with a tap of the card
        else:
            presented.append(acct.device)  # started from the app
        ids = tuple(presented)
        self.seq += 1
        self.queries.append((t - rng.uniform(5, 60), self.seq, cpo, ids, p.pid))
        self._emit(Observe(t, cpo, "session", ids, p.pid))
        return cpo, acct

    def unpaid(self, p: Person, cpo: str, acct: Account, t: float, fleet: bool) -> None:
        rng = self.rng
        self.refs += 1
        ref = f"S{self.refs:07d}-{rng.getrandbits(24):06x}"
        kwh = rng.uniform(8, 60 if fleet else 40)
        amount = f"{kwh * rng.uniform(18, 24):.2f}"
        reported = t + rng.uniform(0.05, 3) * DAY
        case = Case(ref, cpo, t)
        self._emit(Report(reported, cpo, ref, t, amount, acct.identifiers(), p.pid))
        if rng.random() < self.c.settle_rate:
            settled = t + rng.uniform(5, 90) * DAY
            if settled < self.end:
                case.settled = settled
                self._emit(Settle(settled, cpo, ref, p.pid))
        p.cases.append(case)

    def live(self, p: Person, accounts: dict[str, Account], start: float, factor: float) -> None:
        """An honest life from ``start`` to the end."""
        for t in self.sessions(start, self.end, self.rate(factor)):
            self.charge(p, accounts, t)

    def default_life(
        self, p: Person, kind: str, accounts: dict[str, Account], start: float, factor: float
    ) -> None:
        """Charge, leave one session unpaid, and carry on as ``kind`` says."""
        c, rng = self.c, self.rng
        p.defaulter = kind
        fleet = p.role == "fleet"
        rate = self.rate(factor)
        first = start + 14 * DAY
        last = self.end - 45 * DAY
        d = rng.uniform(first, max(first, last))
        for t in self.sessions(start, d, rate):
            self.charge(p, accounts, t)
        cpo, acct = self.charge(p, accounts, d)
        self.unpaid(p, cpo, acct, d, fleet)
        old = next(iter(accounts.values()))
        had = {
            "upi_vpa": old.vpa is not None,
            "rfid": old.rfid is not None,
            "vin": old.vehicle is not None,
            "device": True,
        }
        if kind == "same_account":
            p.kept = tuple(k for k in KEPT_KINDS if had[k])
            p.strong_reuse = self._strong(p.kept)
            again = rng.random() < 0.15
            for t in self.sessions(d + rng.uniform(2, 30) * DAY, self.end, rate):
                cpo, acct = self.charge(p, accounts, t)
                if again:
                    self.unpaid(p, cpo, acct, t, fleet)
                    again = False
            return
        # A new number (and a new account); the old numbers are abandoned at the default.
        for phone in dict.fromkeys(a.phone for a in accounts.values()):
            self.abandoned.append((phone, d, p.pid))
        kept: list[str] = []
        if kind == "keep":
            candidates = [k for k in KEPT_KINDS if had[k]]
            kept = [k for k in candidates if rng.random() < _KEEP_ODDS[k]]
            if not kept:
                kept = rng.choices(candidates, [_KEEP_ODDS[k] for k in candidates])
        p.kept = tuple(k for k in KEPT_KINDS if k in kept)
        p.strong_reuse = self._strong(p.kept)
        new = Account(
            phone=self.phone(),
            vpa=old.vpa
            if "upi_vpa" in kept
            else (self.vpa() if rng.random() < c.vpa_rate else None),
            vehicle=old.vehicle if "vin" in kept else (self.vin() if rng.random() < 0.3 else None),
            rfid=old.rfid if "rfid" in kept else (self.rfid() if rng.random() < 0.3 else None),
            device=old.device if "device" in kept else self.device(),
        )
        cpos = list(accounts) if rng.random() < 0.5 else self.cpos()
        self.live(p, dict.fromkeys(cpos, new), d + rng.uniform(7, 60) * DAY, factor)

    def _strong(self, kept: Sequence[str]) -> bool:
        strength, block = self.policy.strength.of, self.policy.thresholds.block
        return any(strength(family_named(_FAMILY.get(k, k))) >= block for k in kept)

    def defaulter_kind(self) -> str:
        c, x = self.c, self.rng.random()
        if x < c.same_account_share:
            return "same_account"
        if x < c.same_account_share + c.change_all_share:
            return "change_all"
        return "keep"

    def person(self, role: str, group: int | None = None) -> Person:
        p = Person(len(self.persons), role, group)
        self.persons.append(p)
        return p

    # -- segments --------------------------------------------------------------------

    def individual(self) -> None:
        c, rng = self.c, self.rng
        p = self.person("honest")
        acct = self.account()
        defaults = rng.random() < c.defaulter_rate
        p.second_phone = not defaults and rng.random() < c.second_phone_rate
        cpos = self.cpos(1.0 if p.second_phone else 0.3)
        accounts = dict.fromkeys(cpos, acct)
        if p.second_phone:
            # A dual-SIM user: the second CPO knows the second number.
            accounts[cpos[1]] = Account(
                self.phone(), acct.vpa, acct.vehicle, acct.rfid, acct.device
            )
        if defaults:
            start = rng.uniform(0, self.end - 120 * DAY)
            self.default_life(p, self.defaulter_kind(), accounts, start, 1.0)
        else:
            self.live(p, accounts, rng.uniform(0, 0.6 * self.end), 1.0)

    def family(self, gid: int) -> int:
        c, rng = self.c, self.rng
        size = rng.randint(2, 4)
        car = self.vin()
        start = rng.uniform(0, 0.55 * self.end)
        culprit = rng.randrange(size) if rng.random() < c.group_defaulter_rate else None
        cpos = self.cpos()
        for i in range(size):
            p = self.person("family", gid)
            p.group_has_defaulter = culprit is not None
            acct = self.account(shared=car, registers=0.85)
            mine = cpos if rng.random() < 0.7 else self.cpos()
            joined = start + rng.uniform(0, 30) * DAY
            if i == culprit:
                self.default_life(p, self.defaulter_kind(), dict.fromkeys(mine, acct), joined, 1.0)
            else:
                self.live(p, dict.fromkeys(mine, acct), joined, 1.0)
        return size

    def fleet(self, gid: int) -> int:
        c, rng = self.c, self.rng
        drivers = rng.randint(6, 14)
        car = self.vin()
        start = rng.uniform(0, 0.4 * self.end)
        cpo = rng.choices(CPOS, _CPO_WEIGHTS)[0]
        culprit = rng.randrange(drivers) if rng.random() < c.group_defaulter_rate else None
        for i in range(drivers):
            p = self.person("fleet", gid)
            p.group_has_defaulter = culprit is not None
            acct = self.account(shared=car, vpa_rate=0.9)
            joined = start + (rng.uniform(0, 3) if i < 2 else rng.uniform(0, 120)) * DAY
            accounts = {cpo: acct}
            if rng.random() < 0.3:
                accounts[rng.choice([x for x in CPOS if x != cpo])] = acct
            if i == culprit:
                self.default_life(p, self.defaulter_kind(), accounts, joined, 2.5)
            else:
                self.live(p, accounts, joined, 2.5)
        return drivers

    def recycled(self) -> None:
        """Abandoned numbers go to new owners, after the operator's quarantine."""
        horizon = self.policy.recycling_horizon_days
        for phone, last_seen, previous in list(self.abandoned):
            if self.rng.random() >= self.c.recycle_rate:
                continue
            handed = last_seen + (horizon + self.rng.uniform(1, 60)) * DAY
            joined = handed + self.rng.uniform(0, 20) * DAY
            if joined > self.end - 15 * DAY:
                continue
            p = self.person("recycled_owner")
            p.recycled_from = previous
            acct = self.account()
            acct.phone = phone
            self.live(p, dict.fromkeys(self.cpos(), acct), joined, 1.0)

    # -- truth -----------------------------------------------------------------------

    def run(self) -> Population:
        c = self.c
        target_family = round(c.users * c.family_share)
        target_fleet = round(c.users * c.fleet_share)
        made = family = fleet = gid = 0
        while made < c.users:
            gid += 1
            if family < target_family:
                n = self.family(gid)
                family += n
            elif fleet < target_fleet:
                n = self.fleet(gid)
                fleet += n
            else:
                self.individual()
                n = 1
            made += n
        self.recycled()
        by_pid = {p.pid: p for p in self.persons}
        for at, seq, cpo, ids, pid in self.queries:
            counts, phase = truth(by_pid[pid], at, self.policy)
            self.events.append((at, seq, Query(at, cpo, ids, pid, counts, phase)))
        self.events.sort(key=lambda e: (e[0], e[1]))
        events = [e for _, _, e in self.events]
        return Population(c, self.policy, self.persons, events)


def generate(config: Config, policy: DefaultersPolicy | None = None) -> Population:
    """The population and its events in time order (deterministic for a seed). ``policy``
    defines the truth (notice period, case expiry), the recycling horizon and which families
    are strong; the defaults when None."""
    return _Generator(config, policy or DefaultersPolicy()).run()


def _event_json(event: Event) -> dict[str, Any]:
    found = asdict(event)
    found["type"] = type(event).__name__.lower()
    return found


def _lines(population: Population) -> Iterator[str]:
    policy = msgspec.to_builtins(population.policy)
    yield json.dumps({"type": "config", **asdict(population.config), "policy": policy})
    for p in population.persons:
        yield json.dumps({"type": "person", "segment": p.segment, **asdict(p)})
    for e in population.events:
        yield json.dumps(_event_json(e))


@click.command()
@population_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def main(out: Path | None, **options: Any) -> None:
    """Generate the population; write it as JSON lines (config, persons, events) to ``--out``
    (stdout by default) and a summary to stderr."""
    population = generate(config_from(options))
    total = len(population.persons) + len(population.events) + 1
    target = out.open("w") if out is not None else sys.stdout
    try:
        with click.progressbar(_lines(population), length=total, file=sys.stderr) as lines:
            for line in lines:
                target.write(line + "\n")
    finally:
        if out is not None:
            target.close()
    kinds: dict[str, int] = {}
    for e in population.events:
        kinds[type(e).__name__] = kinds.get(type(e).__name__, 0) + 1
    click.echo(f"people: {population.counts()}", err=True)
    click.echo(f"events: {kinds}", err=True)


if __name__ == "__main__":
    main()
