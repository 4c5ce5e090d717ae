"""Replays the population through the real app in process, on the simulation's clock: CPOs
enrolled as SUBSCRIBED BPPs granted ``defaulters``, every event signed, every answer kept."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import httpx

from bench.generators.population import (
    CPOS,
    DAY,
    Event,
    Ident,
    Observe,
    Population,
    Query,
    Report,
    Settle,
)
from bench.store import store_url_for
from uei.antiabuse.secret import create_secret_file
from uei.app.factory import create_app
from uei.app.settings import Settings
from uei.registry.changelog import Actor
from uei.registry.identity import save_key_file
from uei.registry.model import Attempt, AttemptOutcome
from uei.registry.operations import challenge_passed, change_grant, subscribe
from uei.registry.policy import RegistryPolicy
from uei.registry.stores import RegistryStore
from uei.trust import KeySet, encode_key, generate_key_set, sign_header
from uei_testing.factories import Participant

START = 1_767_225_600.0
"""2026-01-01T00:00:00Z: the simulation's day 0 on the app's clock."""


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
    await store.commit(granted.subscriber, drafts, now, out.claim_key_ids)


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
