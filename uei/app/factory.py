"""The application factory: the one place where parts are wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
from litestar import Litestar, Router
from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.routes import HTTPRoute
from litestar.types import ControllerRouterHandler

from uei.access import CALLER, Caller
from uei.antiabuse.defaulters.http import ROUTER as ABUSE_ROUTER
from uei.antiabuse.defaulters.http import AbuseApi
from uei.antiabuse.defaulters.service import Defaulters
from uei.antiabuse.overview import Overview
from uei.antiabuse.quotas.http import QuotasApi
from uei.antiabuse.quotas.relays import RelayMeter
from uei.antiabuse.quotas.service import Quotas
from uei.antiabuse.review import ROUTER as REVIEW_ROUTER
from uei.antiabuse.review import ReviewApi
from uei.antiabuse.scraping.http import ROUTER as SCRAPING_ROUTER
from uei.antiabuse.scraping.http import ScrapingApi
from uei.antiabuse.scraping.scorer import Scorer
from uei.antiabuse.secret import SecretError, load_network_secret
from uei.antiabuse.stores import VerdictStore, abuse_stores
from uei.app.answers import ANSWERS, DEDI_REFUSALS, REFUSALS, encoded
from uei.app.auth import DegradingReplayGuard, bap_verifier, is_subscribed_bap
from uei.app.dashboard import router as dashboard_router
from uei.app.dashboard import template_config
from uei.app.dashboard.session import DashboardState, SessionKeys
from uei.app.dependencies import DEPENDENCIES
from uei.app.docs import assets_router, render_plugins
from uei.app.edge import edge
from uei.app.errors import answer, exception_handlers
from uei.app.examples import EXAMPLES
from uei.app.guard import guard, undeclared, unguarded
from uei.app.health import healthz, readyz
from uei.app.metrics import every_series, timed_pass
from uei.app.observe import metrics
from uei.app.openapi import (
    StrictBodies,
    document_answers,
    document_examples,
    document_refusals,
    document_signatures,
)
from uei.app.reload import WATCH_SECONDS, PolicyHolder, reload_on_hangup
from uei.app.settings import Settings
from uei.app.signing import ResponseSigner
from uei.registry.challenger import Challenger
from uei.registry.http.admin import (
    admin_action,
    admin_allow,
    admin_approve,
    admin_grant,
    admin_list,
    admin_revoke_key,
)
from uei.registry.http.changelog import change_log
from uei.registry.http.dedi import (
    dedi_lookup,
    dedi_query,
    dedi_record_versions,
    dedi_registry,
    dedi_registry_versions,
)
from uei.registry.http.dedi_watch import dedi_subscribe, dedi_subscriptions, dedi_unsubscribe
from uei.registry.http.lookup import key_path, lookup, lookup_v2, well_known
from uei.registry.http.subscribe import challenges, revoke_own_key, subscribe
from uei.registry.identity import ConfigError, OperatorsFile, RegistryIdentity
from uei.registry.operations import Reserved
from uei.registry.persistence import judge_persistence
from uei.registry.service import Registry
from uei.registry.stores import registry_store
from uei.registry.stores.watches import watch_store
from uei.registry.urls import Resolve, system_resolve
from uei.registry.watcher import Watcher
from uei.storage.backend import open_backend
from uei.storage.files import private_data_dir
from uei.storage.outage import Outage
from uei.tally import FLUSH_SECONDS, TALLY

__all__ = ["create_app"]

log = logging.getLogger("uei.app")

MAX_BODY_BYTES = 1024 * 1024
"""The largest request body the service reads; past it, a 413 NACK before anything is decoded
or stored. A full batch of 1000 ordinary events is about 170 KB."""

_ROUTES: list[ControllerRouterHandler] = [
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
    dedi_registry,
    dedi_lookup,
    dedi_query,
    dedi_registry_versions,
    dedi_record_versions,
    dedi_subscribe,
    dedi_unsubscribe,
    dedi_subscriptions,
    admin_list,
    admin_allow,
    admin_approve,
    admin_action,
    admin_revoke_key,
    admin_grant,
    ABUSE_ROUTER,
    SCRAPING_ROUTER,
    REVIEW_ROUTER,
]


def _is_public(route: ControllerRouterHandler) -> bool:
    return isinstance(route, HTTPRouteHandler) and route.opt.get(CALLER) is Caller.PUBLIC


def _routes() -> list[ControllerRouterHandler]:
    """Every route behind the one guard but the public ones (the key path, lookups, health),
    which pay nothing for it. A route's opt decides its side; ``create_app`` checks it."""
    guarded = Router(
        "/", route_handlers=[r for r in _ROUTES if not _is_public(r)], before_request=guard
    )
    return [*(r for r in _ROUTES if _is_public(r)), assets_router(), guarded, dashboard_router()]


async def _every(interval: float, what: str, step: Callable[[], Awaitable[object]]) -> None:
    """Run ``step`` every ``interval`` seconds (or back to back when it takes longer), until
    cancelled. Following the log and running challenges each get one such loop, so a slow
    challenge never delays a revocation reaching this replica's view."""
    loop = asyncio.get_running_loop()
    outage = Outage(what, log)  # one line when it starts failing, one when it recovers
    while True:
        started = loop.time()
        try:
            await step()
        except Exception as exc:  # the loop must survive a store outage
            outage.failed(exc, started, "retrying")
        else:
            outage.answered(started)
        await asyncio.sleep(max(0.0, started + interval - loop.time()))


async def _flush() -> None:
    TALLY.flush()


async def _score(scorer: Scorer, store: VerdictStore, clock: Callable[[], float]) -> None:
    """Score the network on the policy's schedule, one replica per period (a store lease),
    until cancelled. Scoring works off the request path; checks read what it stores."""
    owner = secrets.token_hex(8)
    while True:
        every = scorer.policy().score_every_seconds
        if every > 0:
            try:
                if await store.lease("score", owner, every * 0.9, clock()):
                    verdicts = await timed_pass(scorer.run)
                    log.info("scoring pass: %d BAPs scored", len(verdicts))
            except Exception:  # the loop must survive a store outage
                log.exception("scoring pass failed; retrying next period")
        await asyncio.sleep(every if every > 0 else 60.0)


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    background: bool = True,
    resolve: Resolve = system_resolve,
) -> Litestar:
    """``background=False`` leaves following the log, running challenges, delivering DeDi
    webhooks and watching the policy file to the caller (``app.state.registry.sync()`` /
    ``run_due_challenges()`` / ``app.state.watcher.tick()`` / ``app.state.policy.check()``),
    for deterministic tests; SIGHUP reloads the policy either way; ``resolve`` is how
    subscriber URLs' hosts are resolved (tests simulate DNS with it)."""
    private_data_dir(settings.data_dir)  # an existing one open to others is tightened
    every_series()
    holder = PolicyHolder(settings, clock)
    identity = RegistryIdentity.load(
        settings.registry_keys, settings.data_dir, settings.registry_id, settings.embedded
    )
    operators = OperatorsFile(settings.operators_file)
    try:
        secret = load_network_secret(settings.network_secret, settings.data_dir, settings.embedded)
    except SecretError as exc:
        raise ConfigError(str(exc)) from None
    signer = ResponseSigner(identity, clock)

    async def watch() -> None:
        holder.check()  # a small file's stat, read only when it changed: no thread needed

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        policies = holder.current  # what the start reads once (see policies.yaml's header)
        backend = await open_backend(settings.store_url)  # the process's one client or connection
        try:
            store = await registry_store(backend)
            watches = await watch_store(backend)
            abuse = await abuse_stores(backend)
        except BaseException:
            await backend.close()
            raise
        async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
            registry = Registry(
                store,
                lambda: holder.current.registry,
                Challenger(identity, client, clock, resolve),
                clock,
                Reserved(frozenset({identity.subscriber_id}), frozenset(identity.key_ids)),
                identity.record(policies.registry.domains, policies.registry.countries[0], clock()),
            )
            app.state.registry = registry
            watcher = Watcher(
                watches,
                store,
                lambda: registry.view,
                lambda: holder.current.registry,
                identity,
                client,
                clock,
                resolve,
            )
            app.state.watcher = watcher  # DeDi webhooks (tests call watcher.tick())
            app.state.stores = abuse  # every anti-abuse store (tools and tests read them)
            app.state.replay_guard = DegradingReplayGuard(store, timeout=0.5)
            app.state.abuse = AbuseApi(
                Defaulters(
                    abuse.cases,
                    abuse.graph,
                    abuse.quotas,
                    lambda: holder.current.defaulters,
                    clock,
                ),
                secret,
            )
            quotas = Quotas(
                abuse.quotas,
                abuse.verdicts,
                lambda: holder.current.quotas,
                lambda: holder.current.scraping,
                clock,
                store_clock=clock is time.time,
            )
            search_path = QuotasApi(
                quotas=quotas,
                relays=RelayMeter(quotas),
                secret=secret,
                is_bap=lambda bap: is_subscribed_bap(registry, bap),
                bap_verifier=lambda: bap_verifier(registry),
            )
            app.state.quotas = search_path
            app.state.scraping = ScrapingApi(search_path, abuse.events, abuse.verdicts)
            app.state.review = ReviewApi(
                abuse.cases, abuse.verdicts, lambda: holder.current.defaulters, clock
            )
            app.state.overview = Overview(
                abuse.cases,
                abuse.events,
                abuse.verdicts,
                lambda: holder.current.defaulters,
                lambda: holder.current.quotas,
                lambda: holder.current.scraping,
                clock,
            )
            try:
                app.state.persistence = judge_persistence(
                    await store.durability(), policies.registry.persistence
                )
                await registry.sync()
                interval = settings.follow_interval
                scorer = Scorer(
                    abuse.events, abuse.verdicts, lambda: holder.current.scraping, clock
                )
                app.state.scorer = scorer
                app.state.score = lambda: timed_pass(scorer.run)  # one measured pass
                tasks = (
                    [
                        asyncio.create_task(
                            _every(interval, "following the change log", registry.sync)
                        ),
                        asyncio.create_task(
                            _every(interval, "starting challenges", registry.start_challenges)
                        ),
                        asyncio.create_task(
                            _every(interval, "delivering DeDi webhooks", watcher.start)
                        ),
                        asyncio.create_task(_score(scorer, abuse.verdicts, clock)),
                        asyncio.create_task(_every(WATCH_SECONDS, "watching the policy", watch)),
                    ]
                    if background
                    else []
                )
                # what the hot paths counted reaches the metrics (uei/tally.py)
                tasks.append(asyncio.create_task(_every(FLUSH_SECONDS, "metrics", _flush)))
                try:
                    with reload_on_hangup(holder):
                        yield
                finally:
                    for task in tasks:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
                    await registry.stop_challenges()
                    await watcher.stop()
                    TALLY.flush()
            finally:
                await backend.close()  # once: the stores built on it never close it

    app = Litestar(
        route_handlers=_routes(),
        dependencies=DEPENDENCIES,
        exception_handlers=exception_handlers,
        lifespan=[lifespan],
        middleware=[edge(signer, settings.body_timeout)],
        plugins=[StrictBodies()],
        template_config=template_config(),  # the dashboard's pages
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="UEI registry and abuse protection",
            version="0.1.0",
            path="/schema",
            # the documents are public: the one guard reads this like any route's opt
            openapi_router=Router(
                "/schema", route_handlers=[], include_in_schema=False, opt={CALLER: Caller.PUBLIC}
            ),
            render_plugins=render_plugins(),  # offline: assets from the service itself
            use_handler_docstrings=True,
            description="Subscriber registry and abuse protection for the UEI Beckn network. "
            "Every response carries a `Signature` header: a Beckn signature by the registry "
            "over the exact response bytes (keys at /.well-known/uei-registry.json).",
        ),
        debug=False,
        # logging is the process's to configure (`uei serve` does, with JSON lines): Litestar's
        # default would replace the root logger's handlers, hiding records from whoever else
        # listens (the test suite's scan for raw identifiers among them)
        logging_config=None,
    )
    handlers = [
        handler
        for route in app.routes
        for handler in (
            route.route_handlers if isinstance(route, HTTPRoute) else [route.route_handler]
        )
    ]
    missing = undeclared(handlers)
    if missing:
        raise ImproperlyConfiguredException(
            f"routes without opt={{'caller': ...}} (uei/access.py): {', '.join(missing)}"
        )
    exposed = unguarded(handlers)
    if exposed:
        raise ImproperlyConfiguredException(
            f"routes declaring a caller but not behind the guard: {', '.join(exposed)}"
        )
    document_refusals(app.openapi_schema)
    document_signatures(app.openapi_schema, app.routes)
    document_examples(app.openapi_schema, EXAMPLES)
    document_answers(
        app.openapi_schema,
        {k: encoded(v) for k, v in ANSWERS.items()},
        REFUSALS,
        {k: encoded(v) for k, v in DEDI_REFUSALS.items()},
    )
    app.state.settings = settings
    app.state.policy = holder
    app.state.identity = identity
    app.state.operators = operators
    app.state.dashboard = DashboardState(SessionKeys(secret), operators, clock)
    app.state.signer = signer
    app.state.answer_error = answer  # the key path answers its own refusals (it signs them)
    return app
