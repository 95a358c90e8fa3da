"""The composition root: `create_app(settings)` wires the store, the read model and the routes."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware

from events import EventStore, ProjectionError
from events.runner import ProjectionRunner
from events.store import create_pool
from registry import secret as registry_secret
from registry.api import ops
from registry.api.docs import openapi_config
from registry.api.gate import ApiGate
from registry.api.ops import health, metrics, ready
from registry.api.routes.audit import AuditController
from registry.api.routes.categories import list_categories
from registry.api.routes.commitments import CommitmentController
from registry.api.routes.contacts import ContactController
from registry.api.routes.needs import NeedController
from registry.api.routes.offers import OfferController
from registry.api.routes.plans import PlanController
from registry.api.routes.tokens import TokenController
from registry.api.routes.units import UnitController
from registry.edge.auth import PUBLIC_PATHS, auth_throttle
from registry.edge.page_cache import PageCache
from registry.edge.problems import EXCEPTION_HANDLERS
from registry.matching import allocation
from registry.pages import PAGE_PATHS, csrf_config, pages_router, static_router, template_config
from registry.pages.sessions import PageSessions
from registry.read.fresh import FreshDocs
from registry.read.projection import read_model_projection, registry_codec
from registry.read.replica import ReadSide
from registry.service.execute import Registry
from registry.settings import Settings, settings_from_env

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


def database_timeouts(settings: Settings) -> dict[str, float]:
    """The pool options that bound every wait for the database (see Settings)."""
    return {
        "timeout": settings.connect_timeout_seconds,
        "command_timeout": settings.command_timeout_seconds,
        "acquire_timeout": settings.acquire_timeout_seconds,
    }


def session_settings(settings: Settings) -> dict[str, str]:
    """What every connection of the application sets when it opens: the role it works as.

    Sent in the startup packet, so the role holds from the first statement of every connection
    (the pools', the runner's leader lock, the listener), and RESET ROLE, RESET ALL or DISCARD ALL
    return to it. Only SET ROLE NONE returns to the login role: hence a deployment logs in as a
    role that is no more than a member of this one (docs/access.md).
    """
    return {"role": settings.database_role}


async def open_registry(settings: Settings) -> Registry:
    """The store (typed events), the read model kept up to date, the write side, the list pool."""
    store = await EventStore.connect(
        settings.database_url,
        codec=registry_codec(),
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        server_settings=session_settings(settings),
        **database_timeouts(settings),
    )
    list_pool = await _list_pool(settings, settings.database_url)
    fresh = FreshDocs()
    runner = ProjectionRunner(
        store,
        [read_model_projection(fresh)],
        name="registry",
        wait_timeout=settings.projection_wait_seconds,
        on_batch=ops.projection_batch,
        on_failure=ops.projection_failure,
    )
    if settings.read_database_url is None:
        reads = ReadSide(list_pool, runner, is_replica=False, wait_seconds=0)
    else:
        replica = await _list_pool(settings, settings.read_database_url)
        reads = ReadSide(replica, runner, is_replica=True, wait_seconds=settings.projection_wait_seconds)
    try:
        await runner.catch_up()
    except ProjectionError as error:
        # Serve anyway: reads answer from the read model as far as it got, writes answer 503 with
        # their position, and /ready and the metrics say why (the runner keeps trying).
        log.error("the read model could not catch up at start: %s", error)
    return Registry(store, runner, list_pool, reads, settings.clock, fresh)


async def _list_pool(settings: Settings, url: str) -> asyncpg.Pool[Any]:
    # List queries test optional filters with `$n IS NULL`: with custom plans PostgreSQL folds
    # those away and uses the indexes that fit. Other queries keep cheap generic plans.
    return await create_pool(
        url,
        min_size=1,
        max_size=settings.pool_max_size,
        server_settings={**session_settings(settings), "plan_cache_mode": "force_custom_plan"},
        **database_timeouts(settings),
    )


def create_app(settings: Settings) -> Litestar:
    csrf = csrf_config()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        registry = await open_registry(settings)
        secret = await registry_secret.resolve(settings.secret, settings.secret_file, registry.store.pool)
        csrf.secret = secret
        app.state.page_sessions = PageSessions(
            registry.store.pool,
            secret,
            idle=timedelta(minutes=settings.session_idle_minutes),
            lifetime=timedelta(hours=settings.session_max_hours),
        )
        app.state.registry = registry
        app.state.page_cache = PageCache(settings.list_cache_bytes)
        app.state.settings = settings
        app.state.store = registry.store
        app.state.runner = registry.runner
        registry.runner.start()
        # Off the event loop: requests are served while CP-SAT loads; then what start-up made
        # is set aside from the cycle collector.
        warming = asyncio.get_running_loop().run_in_executor(None, allocation.warm_up)
        warming.add_done_callback(_freeze_what_start_up_made)
        try:
            yield
        finally:
            await warming
            await registry.close()
            # What was frozen is collectable again: a process that opens another app (the
            # tests) would otherwise keep this one's cycles for good.
            gc.unfreeze()

    return Litestar(
        route_handlers=[
            health, ready, metrics, list_categories,
            UnitController, OfferController, NeedController, PlanController, TokenController,
            CommitmentController, ContactController, AuditController, pages_router(), static_router(),
        ],
        lifespan=[lifespan],
        middleware=[DefineMiddleware(ApiGate, exclude=[*PUBLIC_PATHS, *PAGE_PATHS])],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"auth_throttle": auth_throttle(settings)}),
        request_max_body_size=MAX_BODY_BYTES,
        template_config=template_config(),
        csrf_config=csrf,
        openapi_config=openapi_config(),
    )  # fmt: skip


def _freeze_what_start_up_made(_: object) -> None:
    """Keep the objects start-up made (modules, routes, pandas under CP-SAT, pools) out of every
    later full collection: none of them is garbage, yet each full collection walked them all, and
    a board's few thousand objects a request bring one on every ten or so (50-150 ms each: the
    matches p99). Not collected first: a full collection here costs 0.1-0.3 s, at every start of
    an app, which the tests do thousands of times; what start-up left as garbage is little, and
    given back to the collector when the app stops."""
    gc.freeze()


def app_from_env() -> Litestar:
    """The factory uvicorn workers call: settings come from the environment."""
    return create_app(settings_from_env())
