"""The yardstick for reads by id: a bare Litestar endpoint doing one asyncpg `fetchrow` of the
same stored document the registry serves, served like the registry (bench/api_offers.py).

No authentication, no metrics, no problem documents: a pool, one query, the JSON as stored. The
pool is asyncpg's without its reset query on release, as the registry's pools are, so that the
two differ by what the registry does per request, not by a round trip the baseline pays alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, Response, get
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException

DOC = "SELECT doc FROM registry_read.offers WHERE id = $1 AND valid_to IS NULL"


async def _no_reset(_: asyncpg.Connection[Any]) -> None:
    """Keep the session as it is on release (asyncpg's default reset costs a round trip)."""


@asynccontextmanager
async def _pool(app: Litestar) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10, reset=_no_reset)
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


@get("/api/v1/offers/{offer_id:uuid}")
async def offer(offer_id: uuid.UUID, state: State) -> Response[bytes]:
    row = await state.pool.fetchrow(DOC, offer_id)
    if row is None:
        raise NotFoundException()
    return Response(row["doc"].encode(), media_type=MediaType.JSON)


app = Litestar(route_handlers=[offer], lifespan=[_pool])
