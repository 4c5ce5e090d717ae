"""The registry app on a chosen backend with a controllable clock, and signed requests."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar

from uei.antiabuse.secret import create_secret_file
from uei.app.factory import create_app
from uei.app.settings import Settings
from uei.registry.identity import load_key_file, save_key_file
from uei.registry.service import Registry
from uei.registry.urls import Resolve
from uei.trust import (
    KeySet,
    encode_key,
    generate_key_set,
    load_verify_key,
    parse_header,
    sign_header,
    verify,
)
from uei_testing.factories import Participant, enrol

REPO = Path(__file__).resolve().parents[1]


class Clock:
    """Time under the test's control; starts at the real time so key validity makes sense."""

    def __init__(self, start: float | None = None) -> None:
        self.now = float(int(start if start is not None else time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    client: httpx.AsyncClient
    app: Litestar
    clock: Clock
    operator: KeySet
    operator_id: str = "ops"

    @property
    def registry(self) -> Registry:
        registry: Registry = self.app.state.registry
        return registry

    @property
    def well_known(self) -> dict[str, str]:
        known: dict[str, str] = self.app.state.identity.well_known()
        return known

    async def signed(
        self,
        method: str,
        path: str,
        keys: KeySet,
        signer: str,
        body: bytes = b"",
        header: str = "Authorization",
    ) -> httpx.Response:
        """Sign ``body`` as ``signer`` and send it; the clock moves one second first, so no
        two requests of a test share a signature (the replay guard would refuse the second)."""
        self.clock.advance(1)
        value = sign_header(
            body,
            keys.signing_key,
            subscriber_id=signer,
            unique_key_id=keys.unique_key_id,
            created=int(self.clock()),
        )
        return await self.client.request(
            method,
            path,
            content=body,
            headers={header: value, "Content-Type": "application/json"},
        )

    async def enrol(self, participant: Participant) -> None:
        """``participant`` SUBSCRIBED (stored directly) and known to this replica's view, with
        no grants (see ``grant``)."""
        await enrol(self.registry.store, participant, self.clock())
        await self.registry.sync()

    async def grant(self, participant: Participant, service: str = "defaulters") -> None:
        """An operator grants ``service`` (the non-payer API) over the admin API, and this
        replica's view follows."""
        await self._change_grant(participant.subscriber_id, service, "grant")

    async def revoke_grant(self, participant: Participant, service: str = "defaulters") -> None:
        await self._change_grant(participant.subscriber_id, service, "revoke")

    async def _change_grant(self, subscriber_id: str, service: str, change: str) -> None:
        path = f"/admin/subscribers/{subscriber_id}/grants/{service}/{change}"
        done = await self.as_operator("POST", path)
        assert done.status_code == 200, done.text
        await self.registry.sync()

    async def as_operator(self, method: str, path: str, body: bytes = b"") -> httpx.Response:
        return await self.signed(method, path, self.operator, self.operator_id, body)

    def check_signed(self, response: httpx.Response) -> None:
        """The response carries the registry's signature over its exact bytes."""
        params = parse_header(response.headers["signature"])
        assert params.subscriber_id == self.well_known["subscriber_id"]
        verify(
            response.content,
            params,
            load_verify_key(self.well_known["signing_public_key"]),
            now=self.clock(),
        )


async def _no_dns(host: str, port: int) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, f"{host}: no DNS in tests")


@contextlib.asynccontextmanager
async def running(
    store_url: str,
    tmp_path: Path,
    *,
    defaulters: dict[str, Any] | None = None,
    quotas: dict[str, Any] | None = None,
    scraping: dict[str, Any] | None = None,
    resolve: Resolve | None = None,
    background: bool = False,
    **policy: Any,
) -> AsyncIterator[Harness]:
    """The app on ``store_url`` with an operator, background work off (tests drive it)
    unless ``background``. ``policy``: the registry section; ``defaulters``, ``quotas``,
    ``scraping``: those; ``resolve``: the app's resolver for subscriber URLs (simulated DNS);
    by default no name resolves, so a test under ``private_networks: deny`` never sends a DNS
    query."""
    # subscriber URLs in tests are peers served on loopback: allow private networks here
    # (the shipped default is deny; tests/security checks deny)
    challenge = {"private_networks": "allow", **policy.pop("challenge", {})}
    policies_doc = {
        "registry": {**policy, "challenge": challenge},
        "defaulters": defaulters or {},
        "quotas": quotas or {},
        "scraping": scraping or {},
    }
    # replicas started on one tmp_path share one operator, as a deployment shares its file
    operator_keys = tmp_path / "operator-key.json"
    if not operator_keys.exists():
        save_key_file(operator_keys, generate_key_set("ops-key-1"), "ops")
    operator, _ = load_key_file(operator_keys)
    operators = tmp_path / "operators.json"
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
    registry_keys = tmp_path / "registry-keys.json"
    if not registry_keys.exists():
        save_key_file(registry_keys, generate_key_set(), "registry.uei")
    secret = tmp_path / "network-secret"
    if not secret.exists():
        create_secret_file(secret)
    policies = tmp_path / "policies.yaml"
    policies.write_text(json.dumps(policies_doc))
    settings = Settings.from_env(
        {
            "UEI_DATA_DIR": str(tmp_path / "data"),
            "UEI_STORE": store_url,
            "UEI_REGISTRY_KEYS": str(registry_keys),
            "UEI_OPERATORS": str(operators),
            "UEI_POLICIES": str(policies),
            "UEI_NETWORK_SECRET": str(secret),
        }
    )
    clock = Clock()
    app = create_app(settings, clock=clock, background=background, resolve=resolve or _no_dns)
    # The app runs in the test's own event loop (not a portal thread), so a test can call the
    # registry directly while real peers served from this loop answer it.
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://uei") as client,
    ):
        yield Harness(client, app, clock, operator)
