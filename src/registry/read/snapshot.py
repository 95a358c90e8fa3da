"""One consistent view of the read model, and the log position it stands for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from events.sql import Connection, query


@asynccontextmanager
async def snapshot(
    pool: asyncpg.Pool[Any], as_of: int | None, *, generic_plans: bool = False
) -> AsyncIterator[tuple[Connection, int]]:
    """A read-only repeatable-read transaction and its position: `as_of`, or the checkpoint it sees.

    The projection writes its rows and its checkpoint in one transaction, so the checkpoint a
    snapshot sees is exactly the position its rows stand for. With `generic_plans`, a current
    snapshot's statements run on generic plans (set in the statement that reads the position, so
    no round trip more; it ends with the transaction): for current-only queries
    (registry.read.current), whose plan then is made once per connection, not at every call.
    """
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        if as_of is not None:
            position = as_of
        else:
            reading = "registry/read-position-generic-plans" if generic_plans else "registry/read-position"
            position = await conn.fetchval(query(reading)) or 0
        yield conn, position
