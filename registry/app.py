"""The application factory: the one place where parts are wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable

import httpx
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.types import ControllerRouterHandler

from antiabuse.http import ROUTER as ABUSE_ROUTER
from antiabuse.http import AbuseApi
from antiabuse.scraping.http import ROUTER as SCRAPING_ROUTER
from antiabuse.scraping.http import ScrapingApi
from antiabuse.scraping.quotas import Quotas
from antiabuse.scraping.relays import RelayMeter
from antiabuse.scraping.scorer import Scorer
from antiabuse.secret import SecretError, load_network_secret
from antiabuse.service import Defaulters
from antiabuse.stores import ScrapingStore, open_abuse_store
from registry.challenger import Challenger
from registry.http.admin import (
    admin_action,
    admin_allow,
    admin_grant,
    admin_list,
    admin_revoke_key,
)
from registry.http.auth import (
    DegradingReplayGuard,
    authenticate_bpp,
    authenticate_reader,
    authenticate_relay,
    bap_verifier,
    is_subscribed_bap,
)
from registry.http.changelog import change_log
from registry.http.errors import StrictBodies, document_refusals, exception_handlers
from registry.http.health import healthz, readyz
from registry.http.lookup import key_path, lookup, lookup_v2, well_known
from registry.http.observe import metrics, observe
from registry.http.signing import ResponseSigner
from registry.http.subscribe import challenges, revoke_own_key, subscribe
from registry.identity import ConfigError, RegistryIdentity, load_operators
from registry.operations import Reserved
from registry.policy import configured_policies
from registry.service import Registry
from registry.settings import Settings
from registry.stores import open_store

__all__ = ["create_app"]

log = logging.getLogger("uei.app")

MAX_BODY_BYTES = 1024 * 1024
"""The largest request body the service reads; past it, a 413 NACK before anything is decoded
or stored. A full batch of 1000 ordinary events is about 170 KB."""

ROUTES: list[ControllerRouterHandler] = [
    healthz,
    readyz,
    metrics,
    well_known,
    lookup,
    lookup_v2,
    key_path,
    subscribe,
    challenges,
    revoke_own_key,
    change_log,
    admin_list,
    admin_allow,
    admin_action,
    admin_revoke_key,
    admin_grant,
    ABUSE_ROUTER,
    SCRAPING_ROUTER,
]


async def _follow(registry: Registry, interval: float) -> None:
    """Keep the view on the log head and run due challenges, until cancelled."""
    while True:
        try:
            await registry.sync()
            await registry.run_due_challenges()
        except Exception:  # the loop must survive a store outage
            log.exception("background follow failed; retrying")
        await asyncio.sleep(interval)


async def _score(scorer: Scorer, store: ScrapingStore, clock: Callable[[], float]) -> None:
    """Score the network on the policy's schedule, one replica per period (a store lease),
    until cancelled. Scoring works off the request path; checks read what it stores."""
    owner = secrets.token_hex(8)
    while True:
        every = scorer.policy().score_every_seconds
        if every > 0:
            try:
                if await store.lease("score", owner, every * 0.9, clock()):
                    verdicts = await scorer.run()
                    log.info("scoring pass: %d BAPs scored", len(verdicts))
            except Exception:  # the loop must survive a store outage
                log.exception("scoring pass failed; retrying next period")
        await asyncio.sleep(every if every > 0 else 60.0)


def create_app(
    settings: Settings, *, clock: Callable[[], float] = time.time, background: bool = True
) -> Litestar:
    """``background=False`` leaves following the log and running challenges to the caller
    (``app.state.registry.sync()`` / ``run_due_challenges()``), for deterministic tests."""
    policies = configured_policies(settings)
    identity = RegistryIdentity.load(
        settings.registry_keys, settings.data_dir, settings.registry_id, settings.embedded
    )
    operators = load_operators(settings.operators_file)
    try:
        secret = load_network_secret(settings.network_secret, settings.data_dir, settings.embedded)
    except SecretError as exc:
        raise ConfigError(str(exc)) from None
    signer = ResponseSigner(identity, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        store = await open_store(settings.store)
        abuse_store = await open_abuse_store(settings.store)
        async with httpx.AsyncClient(follow_redirects=False) as client:
            registry = Registry(
                store,
                lambda: app.state.policies.registry,
                Challenger(identity, client, clock),
                clock,
                Reserved(frozenset({identity.subscriber_id}), frozenset(identity.key_ids)),
            )
            app.state.registry = registry
            app.state.replay_guard = DegradingReplayGuard(store, timeout=0.5)
            app.state.abuse = AbuseApi(
                Defaulters(abuse_store, lambda: app.state.policies.defaulters, clock),
                secret,
                authenticate_bpp,
            )
            quotas = Quotas(
                abuse_store,
                lambda: app.state.policies.quotas,
                lambda: app.state.policies.scraping,
                clock,
                store_clock=clock is time.time,
            )
            app.state.scraping = ScrapingApi(
                quotas=quotas,
                relays=RelayMeter(quotas),
                store=abuse_store,
                secret=secret,
                authenticate_relay=authenticate_relay,
                authenticate_reader=authenticate_reader,
                is_bap=lambda bap: is_subscribed_bap(registry, bap),
                bap_verifier=lambda: bap_verifier(registry),
            )
            try:
                await registry.sync()
                scorer = Scorer(abuse_store, lambda: app.state.policies.scraping, clock)
                app.state.scorer = scorer
                tasks = (
                    [
                        asyncio.create_task(_follow(registry, settings.follow_interval)),
                        asyncio.create_task(_score(scorer, abuse_store, clock)),
                    ]
                    if background
                    else []
                )
                try:
                    yield
                finally:
                    for task in tasks:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
            finally:
                await abuse_store.close()
                await store.close()

    app = Litestar(
        route_handlers=ROUTES,
        exception_handlers=exception_handlers,
        lifespan=[lifespan],
        middleware=[observe, signer.middleware],
        plugins=[StrictBodies()],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="UEI registry and abuse protection",
            version="0.1.0",
            path="/schema",
            use_handler_docstrings=True,
            description="Subscriber registry and abuse protection for the UEI Beckn network. "
            "Every response carries a `Signature` header: a Beckn signature by the registry "
            "over the exact response bytes (keys at /.well-known/uei-registry.json).",
        ),
        debug=False,
    )
    document_refusals(app.openapi_schema)
    app.state.settings = settings
    app.state.policies = policies
    app.state.identity = identity
    app.state.operators = operators
    app.state.signer = signer
    return app
