"""One consistent view of the read model, and the log position it stands for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from events.sql import Connection, query


@asynccontextmanager
async def snapshot(pool: asyncpg.Pool[Any], as_of: int | None) -> AsyncIterator[tuple[Connection, int]]:
    """A read-only repeatable-read transaction and its position: `as_of`, or the checkpoint it sees.

    The projection writes its rows and its checkpoint in one transaction, so the checkpoint a
    snapshot sees is exactly the position its rows stand for.
    """
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        position = as_of if as_of is not None else (await conn.fetchval(query("registry/read-position")) or 0)
        yield conn, position
