"""The write path's look-ups on a connection of the store's own, not in the pool's queue.

A writer asks the store small questions on its way (which version each of these streams is
at), and each is one more wait for a pooled connection, which under load is the readers' queue:
~50 ms at the median and ~220 ms on average under `bench.load`, where the statement itself
takes well under a millisecond. A claim refused on a state this process kept is checked with
one such question before it is answered (half the claims under that load). So these questions go
to one connection of the store's own, one at a time: the queue there is only other writers'
look-ups, each a fraction of a millisecond.

Only read-only statements run here, so one on a connection lost midway (a restart, a terminated
backend) is asked again once on a new connection; an outage still surfaces as the error it is.
A store made over a pool alone (no DSN to open connections with) asks the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import asyncpg

from events.outage import is_unavailable

if TYPE_CHECKING:
    from events.writer import OpenConnection

CLOSE_TIMEOUT_SECONDS = 5


class LookupLane:
    def __init__(self, pool: asyncpg.Pool[Any], open_connection: OpenConnection | None) -> None:
        self._pool = pool
        self._open = open_connection
        self._conn: asyncpg.Connection[Any] | None = None
        self._turn = asyncio.Lock()
        self._loggers: list[Callable[[Any], None]] = []

    def add_query_logger(self, callback: Callable[[Any], None]) -> None:
        """asyncpg's query logger, on the lane's connection now and on every one it opens later
        (to trace what the write path asks; a store over a pool alone asks the pool)."""
        self._loggers.append(callback)
        if self._conn is not None:
            self._conn.add_query_logger(callback)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """The rows of a read-only statement."""
        if self._open is None:
            return await self._pool.fetch(sql, *args)
        async with self._turn:
            kept = self._conn is not None and not self._conn.is_closed()
            try:
                return await self._fetch(self._open, sql, args)
            except Exception as error:
                if not (kept and is_unavailable(error)):
                    raise
            # The connection kept from before had been lost: asked once more on a new one.
            return await self._fetch(self._open, sql, args)

    async def _fetch(
        self, open_connection: OpenConnection, sql: str, args: tuple[Any, ...]
    ) -> list[asyncpg.Record]:
        conn = self._conn
        if conn is None or conn.is_closed():
            conn = self._conn = await open_connection()
            for callback in self._loggers:
                conn.add_query_logger(callback)
        try:
            return await conn.fetch(sql, *args)
        except asyncpg.PostgresError as error:
            if is_unavailable(error):
                self._drop()
            raise
        except BaseException:
            # Lost, timed out or cancelled mid-statement: the session's state is unknown.
            self._drop()
            raise

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=CLOSE_TIMEOUT_SECONDS)
