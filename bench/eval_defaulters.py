"""Defaulter verdicts on the synthetic population, through the real service.

    python -m bench.eval_defaulters [--users 3000] [--seed 7] [--store sqlite|redis]
                                    [--policies policies.yaml] [population options]

Generates the population (bench/population.py), starts the real app in-process (the Litestar
app over ``httpx.ASGITransport``, its lifespan, the real store: SQLite in a temporary
directory, or a real redis-server with ``--store redis``), enrols the CPOs as SUBSCRIBED BPPs
granted the non-payer API (``defaulters``)
and replays every event in time order with real Beckn signatures: registrations and sessions
(``/abuse/observations``), unpaid sessions (``/abuse/defaulters/report``), payments
(``.../settle``) and the status query before every post-paid session (``/abuse/status``).
The app's clock is the simulation's: it jumps to each event's time (and moves at least one
second per request, so no two signatures are alike), which plays months of history in
minutes: notice periods, recycled numbers, expired cases.

Prints precision and recall of ``block`` and of ``block or prepaid_only`` against the ground
truth (does the person asking have a case that counts now?), recall for defaulters who reuse a
strong identifier (a family whose policy strength reaches the block threshold), recall per kept
identifier, false positives per segment (recycled numbers' new owners, families, fleet
drivers, settled debts) and the blocks resting only on a phone number. Exits 1 when a target
of docs/architecture.md, Numbers is missed.

Driving an already running ``uei serve`` is not supported: months of history need the
service's clock, which only an in-process app lets us move.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shlex
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import httpx

from bench.population import (
    CPOS,
    DAY,
    KEPT_KINDS,
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
    generate,
    population_options,
)
from uei.antiabuse.defaulters.policy import DefaultersPolicy
from uei.antiabuse.secret import create_secret_file
from uei.app.factory import create_app
from uei.app.policy import load_policies
from uei.app.settings import Settings
from uei.registry.changelog import Actor, chain
from uei.registry.identity import save_key_file
from uei.registry.model import Attempt, AttemptOutcome
from uei.registry.operations import challenge_passed, change_grant, subscribe
from uei.registry.policy import RegistryPolicy
from uei.registry.stores import RegistryStore
from uei.trust import KeySet, encode_key, generate_key_set, sign_header
from uei_testing.factories import Participant

START = 1_767_225_600.0
"""2026-01-01T00:00:00Z: the simulation's day 0 on the app's clock."""

TARGET_PRECISION = 0.995
TARGET_STRONG_RECALL = 0.90


class SimClock:
    """The app's clock: the simulation's time, moved by the replay only."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True, slots=True)
class Answer:
    query: Query
    truth: bool
    """The ground truth when the service answered (the query's own time, give or take the
    seconds the clock ran ahead)."""
    phase: str
    verdict: str
    score: float
    reasons: tuple[tuple[str, str, int], ...]
    """(kind, direct or linked, hops) of every reason."""
    phone_only: bool


@dataclass
class Replay:
    answers: list[Answer] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    max_drift: float = 0.0
    seconds: float = 0.0


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


async def enrol(store: RegistryStore, participant: Participant, now: float, days: float) -> None:
    """``participant`` SUBSCRIBED (stored directly, as if it had passed the challenge), its key
    valid for ``days`` (the whole simulation), and granted the non-payer API by an operator
    (``defaulters.access: granted``), all in the change log."""
    policy = RegistryPolicy(approve_types=[])
    request = participant.request(valid_from=now, valid_until=now + days * DAY)
    out = subscribe(None, request, policy, now, participant.signed_by())
    attempt = Attempt(1, now, participant.keys.unique_key_id, AttemptOutcome.PASSED, 200)
    passed = challenge_passed(out.subscriber, attempt, policy)
    granted = change_grant(
        passed.subscriber, "defaulters", now, Actor.operator("ops"), granted=True
    )
    drafts = out.drafts + passed.drafts + granted.drafts
    await store.save(granted.subscriber, chain(await store.head(), drafts, now), out.claim_key_ids)


def settings_for(workdir: Path, store_url: str, policies: Path | None) -> Settings:
    operator = generate_key_set("ops-key-1")
    operators = workdir / "operators.json"
    operators.write_text(
        json.dumps(
            [
                {
                    "operator_id": "ops",
                    "unique_key_id": operator.unique_key_id,
                    "signing_public_key": encode_key(operator.verify_key),
                }
            ]
        )
    )
    registry_keys = workdir / "registry-keys.json"
    save_key_file(registry_keys, generate_key_set(), "registry.uei")
    secret = workdir / "network-secret"
    create_secret_file(secret)
    if policies is None:
        policies = workdir / "policies.yaml"
        policies.write_text(json.dumps({"registry": {}, "defaulters": {}}))
    return Settings.from_env(
        {
            "UEI_DATA_DIR": str(workdir / "data"),
            "UEI_STORE": store_url,
            "UEI_REGISTRY_KEYS": str(registry_keys),
            "UEI_OPERATORS": str(operators),
            "UEI_POLICIES": str(policies),
            "UEI_NETWORK_SECRET": str(secret),
        }
    )


def _ids(identifiers: Iterable[Ident], style: int) -> list[dict[str, str]]:
    return [i.wire(style) for i in identifiers]


class Driver:
    """Sends the events as the CPOs would, signed, on the simulation's clock."""

    def __init__(
        self,
        population: Population,
        client: httpx.AsyncClient,
        clock: SimClock,
        cpos: dict[str, KeySet],
    ) -> None:
        self.population = population
        self.client, self.clock, self.cpos = client, clock, cpos
        self.style = {cpo: i for i, cpo in enumerate(CPOS)}
        self.cases: dict[str, str] = {}
        self.replay = Replay()

    async def post(self, at: float, cpo: str, path: str, body: Any) -> httpx.Response:
        """Sign and send at the event's time: the clock jumps there (or one second past the
        previous request, so no two signatures are alike)."""
        self.clock.now = max(START + at, self.clock.now + 1)
        self.replay.max_drift = max(self.replay.max_drift, self.clock.now - (START + at))
        raw = json.dumps(body).encode() if body is not None else b""
        keys = self.cpos[cpo]
        header = sign_header(
            raw,
            keys.signing_key,
            subscriber_id=cpo,
            unique_key_id=keys.unique_key_id,
            created=int(self.clock.now),
        )
        self.replay.requests += 1
        return await self.client.post(
            path, content=raw, headers={"Authorization": header, "Content-Type": "application/json"}
        )

    def _check(self, event: Event, response: httpx.Response, *expected: int) -> bool:
        if response.status_code in expected:
            return True
        kind = type(event).__name__
        self.replay.errors[f"{kind} {response.status_code}: {response.text[:160]}"] += 1
        return False

    async def send(self, event: Event) -> None:
        style = self.style[event.cpo]
        body: dict[str, Any]
        if isinstance(event, Observe):
            body = {
                "observed_at": iso(START + event.at),
                "context": event.context,
                "identifiers": _ids(event.identifiers, style),
            }
            response = await self.post(event.at, event.cpo, "/abuse/observations", body)
            self._check(event, response, 200)
        elif isinstance(event, Report):
            body = {
                "session_ref": event.session_ref,
                "amount": {"value": event.amount, "currency": "INR"},
                "occurred_at": iso(START + event.occurred),
                "identifiers": _ids(event.identifiers, style),
            }
            response = await self.post(event.at, event.cpo, "/abuse/defaulters/report", body)
            if self._check(event, response, 201):
                self.cases[event.session_ref] = response.json()["case_id"]
        elif isinstance(event, Settle):
            case_id = self.cases.get(event.session_ref)
            if case_id is None:
                self.replay.errors["Settle of a case never reported"] += 1
                return
            path = f"/abuse/defaulters/{case_id}/settle"
            body = {"case_id": case_id, "request_id": f"settle-{event.session_ref}"}
            self._check(event, await self.post(event.at, event.cpo, path, body), 200)
        else:
            body = {"purpose": "postpaid_session", "identifiers": _ids(event.identifiers, style)}
            response = await self.post(event.at, event.cpo, "/abuse/status", body)
            if self._check(event, response, 200):
                found = response.json()
                truth, phase = self.population.truth(event.pid, self.clock.now - START)
                self.replay.answers.append(
                    Answer(
                        event,
                        truth,
                        phase,
                        found["verdict"],
                        found["score"],
                        tuple((r["kind"], r["match"], r["hops"]) for r in found["reasons"]),
                        found["phone_only"],
                    )
                )


@contextlib.contextmanager
def store_url_for(store: str, workdir: Path) -> Iterator[str]:
    if store == "sqlite":
        yield f"sqlite:///{workdir / 'data' / 'uei.db'}"
        return
    from uei_testing.redis_servers import RedisServer

    with RedisServer() as server:
        yield server.url


@contextlib.asynccontextmanager
async def service(
    store_url: str, workdir: Path, policies: Path | None
) -> AsyncIterator[tuple[httpx.AsyncClient, SimClock, dict[str, KeySet]]]:
    clock = SimClock(START - 2 * DAY)
    app = create_app(settings_for(workdir, store_url, policies), clock=clock, background=False)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://uei") as client,
    ):
        # The app's logging setup reports every client request at INFO: not over the bar.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        registry = app.state.registry
        keys: dict[str, KeySet] = {}
        for cpo in CPOS:
            participant = Participant(cpo, url=f"https://{cpo}/beckn")
            await enrol(registry.store, participant, clock(), 729)
            keys[cpo] = participant.keys
        await registry.sync()
        yield client, clock, keys


async def replay(
    population: Population,
    store: str,
    policies: Path | None,
    label: str,
) -> Replay:
    with (
        tempfile.TemporaryDirectory(prefix="uei-eval-") as tmp,
        store_url_for(store, Path(tmp)) as url,
    ):
        async with service(url, Path(tmp), policies) as (client, clock, keys):
            driver = Driver(population, client, clock, keys)
            began = time.perf_counter()
            with click.progressbar(
                length=len(population.events),
                label=label,
                file=sys.stderr,
                show_pos=True,
                show_eta=True,
                width=30,
                update_min_steps=max(1, len(population.events) // 1000),
            ) as bar:
                for event in population.events:
                    await driver.send(event)
                    bar.update(1)
            driver.replay.seconds = time.perf_counter() - began
            return driver.replay


# -- figures ------------------------------------------------------------------------------


def ratio(n: int, d: int) -> float:
    return n / d if d else float("nan")


def fmt(n: int, d: int) -> str:
    return f"{ratio(n, d):.4f} ({n}/{d})" if d else "n/a (0/0)"


def strong_families(policy: DefaultersPolicy) -> list[str]:
    strengths = policy.strength.by_family()
    return [f for f, s in strengths.items() if s >= policy.thresholds.block]


def phone_only_block(a: Answer) -> bool:
    return a.verdict == "block" and (not a.reasons or all(k == "phone" for k, _, _ in a.reasons))


@dataclass
class Figures:
    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def say(self, line: str = "") -> None:
        self.lines.append(line)

    def target(self, name: str, ok: bool, shown: str) -> None:
        self.say(f"  {'PASS' if ok else 'FAIL'}  {name}: {shown}")
        if not ok:
            self.failed.append(name)


def _pattern(a: Answer) -> str:
    return " + ".join(sorted({f"{k}/{'d' if m == 'direct' else f'{h}h'}" for k, m, h in a.reasons}))


def _presented_kept(a: Answer, person: Person, first_case_ids: set[Ident]) -> str:
    """Which of the defaulting account's identifiers (other than the phone) this query
    presented."""
    shown = sorted(
        {i.kind for i in a.query.identifiers if i in first_case_ids and i.kind != "phone"}
    )
    return ",".join(shown) or "none"


def figures(population: Population, result: Replay, policy: DefaultersPolicy) -> Figures:
    out = Figures()
    persons = {p.pid: p for p in population.persons}
    answers = result.answers
    block = [a.verdict == "block" for a in answers]
    restrict = [a.verdict in ("block", "prepaid_only") for a in answers]
    truth = [a.truth for a in answers]

    def confusion(flags: Sequence[bool], name: str) -> None:
        tp = sum(1 for f, t in zip(flags, truth, strict=True) if f and t)
        fp = sum(1 for f, t in zip(flags, truth, strict=True) if f and not t)
        fn = sum(1 for f, t in zip(flags, truth, strict=True) if t and not f)
        out.say(f"  {name:<26} precision {fmt(tp, tp + fp)}   recall {fmt(tp, tp + fn)}")

    out.say("Status queries: precision and recall against the truth (a case counts now)")
    confusion(block, "block")
    confusion(restrict, "block or prepaid_only")

    positives = [a for a in answers if a.truth]

    def recall_row(name: str, group: list[Answer]) -> None:
        b = sum(1 for a in group if a.verdict == "block")
        r = sum(1 for a in group if a.verdict in ("block", "prepaid_only"))
        people = len({a.query.pid for a in group})
        out.say(
            f"  {name:<34} block {fmt(b, len(group)):<22} "
            f"block|prepaid {fmt(r, len(group)):<22} people {people}"
        )

    strong = strong_families(policy)
    out.say()
    out.say(f"Recall on queries by defaulters with a counting case (strong families: {strong})")
    strong_group = [a for a in positives if persons[a.query.pid].strong_reuse]
    recall_row("reuse >= 1 strong identifier", strong_group)
    recall_row("reuse no strong identifier", [a for a in positives if a not in strong_group])
    for kind in ("same_account", "keep", "change_all"):
        recall_row(f"type {kind}", [a for a in positives if persons[a.query.pid].defaulter == kind])
    for kind in KEPT_KINDS:
        recall_row(
            f"keep: kept {kind} (among others)",
            [
                a
                for a in positives
                if persons[a.query.pid].defaulter == "keep" and kind in persons[a.query.pid].kept
            ],
        )
        recall_row(
            f"keep: kept only {kind}",
            [
                a
                for a in positives
                if persons[a.query.pid].defaulter == "keep" and persons[a.query.pid].kept == (kind,)
            ],
        )
    for role in ("honest", "family", "fleet"):
        recall_row(
            f"defaulter role {role}", [a for a in positives if persons[a.query.pid].role == role]
        )
    recall_row(
        "all but change_all",
        [a for a in positives if persons[a.query.pid].defaulter != "change_all"],
    )

    out.say()
    out.say("False positives on queries whose person has no counting case, by segment")
    out.say(f"  {'segment':<34} {'block':<24} {'block|prepaid':<24} people blocked")
    negatives = [a for a in answers if not a.truth]
    by_segment: dict[str, list[Answer]] = defaultdict(list)
    for a in negatives:
        p = persons[a.query.pid]
        key = p.segment if p.defaulter is None else f"{p.segment} [{a.phase}]"
        by_segment[key].append(a)
    for key, group in sorted(by_segment.items()):
        b = sum(1 for a in group if a.verdict == "block")
        r = sum(1 for a in group if a.verdict in ("block", "prepaid_only"))
        blocked = len({a.query.pid for a in group if a.verdict == "block"})
        people = len({a.query.pid for a in group})
        out.say(f"  {key:<34} {fmt(b, len(group)):<24} {fmt(r, len(group)):<24} {blocked}/{people}")

    phone_blocks = sum(1 for a in answers if phone_only_block(a))
    capped_blocks = sum(1 for a in answers if a.verdict == "block" and a.phone_only)
    capped = sum(1 for a in answers if a.phone_only)
    out.say()
    out.say(f"Blocks resting only on a phone number: {phone_blocks}")
    out.say(f"  blocks flagged phone_only: {capped_blocks}; answers capped as phone_only: {capped}")

    fps = Counter(
        f"{persons[a.query.pid].segment}: {_pattern(a)}"
        for a in answers
        if a.verdict == "block" and not a.truth
    )
    if fps:
        out.say()
        out.say("False blocks by segment and reasons (kind/direct or hops)")
        for key, n in fps.most_common(12):
            out.say(f"  {n:>6}  {key}")
    first_ids: dict[int, set[Ident]] = defaultdict(set)
    for e in population.events:
        if isinstance(e, Report) and e.pid not in first_ids:
            first_ids[e.pid] = set(e.identifiers)
    misses = Counter(
        f"{persons[a.query.pid].defaulter} kept={','.join(persons[a.query.pid].kept)} "
        f"presented={_presented_kept(a, persons[a.query.pid], first_ids[a.query.pid])} "
        f"-> {a.verdict}"
        for a in strong_group
        if a.verdict != "block"
    )
    if misses:
        out.say()
        out.say("Missed blocks of strong reusers (what of the unpaid session's ids was presented)")
        for key, n in misses.most_common(12):
            out.say(f"  {n:>6}  {key}")

    tp = sum(1 for f, t in zip(block, truth, strict=True) if f and t)
    fp = sum(1 for f, t in zip(block, truth, strict=True) if f and not t)
    sb = sum(1 for a in strong_group if a.verdict == "block")
    out.say()
    out.say("Targets (docs/architecture.md, Numbers)")
    out.target(
        f"block precision >= {TARGET_PRECISION}",
        tp + fp > 0 and ratio(tp, tp + fp) >= TARGET_PRECISION,
        fmt(tp, tp + fp),
    )
    out.target(
        f"block recall, strong reusers >= {TARGET_STRONG_RECALL}",
        bool(strong_group) and ratio(sb, len(strong_group)) >= TARGET_STRONG_RECALL,
        fmt(sb, len(strong_group)),
    )
    out.target("blocks resting only on a phone number == 0", phone_blocks == 0, str(phone_blocks))
    out.target("no request failed", not result.errors, str(sum(result.errors.values())))
    return out


def command_line(config: Config, store: str, policies: Path | None) -> str:
    args = ["python", "-m", "bench.eval_defaulters", "--users", str(config.users)]
    args += ["--seed", str(config.seed)]
    rest = config_argv(config)
    for name in ("--users", "--seed"):
        if name in rest:
            i = rest.index(name)
            del rest[i : i + 2]
    args += [*rest, "--store", store]
    if policies is not None:
        args += ["--policies", str(policies)]
    return shlex.join(args)


@click.command()
@population_options
@click.option(
    "--store",
    type=click.Choice(["sqlite", "redis"]),
    default="sqlite",
    show_default=True,
    help="The service's store: SQLite in a temporary directory, or a real redis-server.",
)
@click.option(
    "--policies",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A policies.yaml for the service (default: every default).",
)
def main(store: str, policies: Path | None, **options: Any) -> None:
    """Replay the synthetic population through the real service and score its verdicts."""
    config = config_from(options)
    policy = load_policies(policies).defaulters if policies is not None else DefaultersPolicy()
    click.echo(f"$ {command_line(config, store, policies)}")
    began = time.perf_counter()
    population = generate(config, policy)
    generated = time.perf_counter() - began
    kinds = Counter(type(e).__name__ for e in population.events)
    click.echo(
        f"population: {len(population.persons)} people "
        f"({sum(1 for p in population.persons if p.defaulter)} defaulters), "
        f"{len(population.events)} events {dict(sorted(kinds.items()))}, "
        f"generated in {generated:.1f} s"
    )
    click.echo("  " + ", ".join(f"{k} {n}" for k, n in population.counts().items()))
    result = asyncio.run(replay(population, store, policies, f"replay ({store})"))
    click.echo(
        f"replay: {result.requests} signed requests in {result.seconds:.1f} s "
        f"({result.requests / max(result.seconds, 1e-9):.0f}/s) on {store}; "
        f"{len(result.answers)} status answers; the clock ran ahead of an event by at most "
        f"{result.max_drift:.0f} s (truth taken at the clock's time)"
    )
    for error, n in result.errors.most_common(10):
        click.echo(f"  error x{n}: {error}")
    out = figures(population, result, policy)
    click.echo()
    click.echo("\n".join(out.lines))
    if out.failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
