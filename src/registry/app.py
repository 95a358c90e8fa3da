"""The composition root: `create_app(settings)` wires the store and the HTTP routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.response import Response

from events import EventStore
from registry.settings import Settings, settings_from_env


@get("/health", operation_id="health", tags=["ops"])
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/ready", operation_id="ready", tags=["ops"])
async def ready(state: State) -> Response[dict[str, object]]:
    """Readiness: the database answers and the log head can be read."""
    store: EventStore = state.store
    try:
        position, head_hash = await store.head()
    except (OSError, asyncpg.PostgresError) as error:
        return Response({"status": "unavailable", "detail": str(error)}, status_code=503)
    return Response({"status": "ready", "head_position": position, "head_hash": head_hash})


def create_app(settings: Settings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        store = await EventStore.connect(
            settings.database_url, min_size=settings.pool_min_size, max_size=settings.pool_max_size
        )
        app.state.store = store
        try:
            yield
        finally:
            await store.close()

    return Litestar(route_handlers=[health, ready], lifespan=[lifespan])


def app_from_env() -> Litestar:
    """The factory uvicorn workers call: settings come from the environment."""
    return create_app(settings_from_env())
