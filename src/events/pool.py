"""asyncpg's connection pool, with a bound on how long borrowing a connection may take.

asyncpg applies a timeout to `acquire` only when the caller passes one, and its shortcuts
(`pool.fetch`, `pool.execute`, …) never do. A service must answer within a bound even when the
database is gone or every connection is busy, so this pool gives every `acquire` a default one.

Its connections also take a `json` value as UTF-8 bytes as well as str (see `take_json_as_bytes`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import asyncpg
from asyncpg.pool import PoolAcquireContext

if TYPE_CHECKING:
    _Base = asyncpg.Pool[Any]
else:  # the stubs make Pool generic; at run time it is not
    _Base = asyncpg.Pool


def _json_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


async def take_json_as_bytes(conn: asyncpg.Connection[Any]) -> None:
    """Let `conn` send a `json` value given as UTF-8 bytes as it is, and still as str; read it as str.

    JSON encoders (msgspec) give bytes. asyncpg's own codec takes only str, so a projection
    decoded every document to str for asyncpg to encode it straight back to UTF-8: for a
    rebuild's rows, a few KB of mostly non-ASCII text each, about a tenth of its CPU. json's binary
    form is the text itself, so the bytes go as they are.
    """
    await conn.set_type_codec(
        "json",
        schema="pg_catalog",
        encoder=_json_bytes,
        decoder=functools.partial(str, encoding="utf-8"),
        format="binary",
    )


def _with_json_as_bytes(
    init: Callable[[asyncpg.Connection[Any]], Awaitable[None]] | None,
) -> Callable[[asyncpg.Connection[Any]], Awaitable[None]]:
    async def setup(conn: asyncpg.Connection[Any]) -> None:
        await take_json_as_bytes(conn)
        if init is not None:
            await init(conn)

    return setup


class BoundedPool(_Base):
    """A pool whose `acquire` waits at most `acquire_timeout` seconds unless told otherwise.

    The wait covers queueing for a free connection and opening a new one; past it, the caller
    gets TimeoutError (the API answers 503).
    """

    def __init__(self, dsn: str, *, acquire_timeout: float | None, **kwargs: Any) -> None:
        # asyncpg.create_pool's defaults, which its Pool constructor does not repeat.
        options: dict[str, Any] = {
            "max_queries": 50000, "max_inactive_connection_lifetime": 300.0, "loop": None,
            "connection_class": asyncpg.Connection, "record_class": asyncpg.Record,
        }  # fmt: skip
        options.update(kwargs, init=_with_json_as_bytes(kwargs.get("init")))
        super().__init__(dsn, **options)
        self.acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> PoolAcquireContext[Any]:
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)

    async def _acquire(self, timeout: float | None) -> Any:
        # When the next free holder has an open connection, acquiring it never waits (no queue,
        # no connect): asyncpg's timeout task, ~5 % of a GET by id's CPU, is then skipped, and the
        # timeout is still recorded as the one release() applies by default. These are asyncpg
        # 0.32's internals (pinned): the LIFO queue of free holders, a holder's connection.
        if timeout is None or not self._ready_without_waiting():
            return await super()._acquire(timeout)  # type: ignore[misc]
        proxy = await super()._acquire(None)  # type: ignore[misc]
        proxy._holder._timeout = timeout
        return proxy

    def _ready_without_waiting(self) -> bool:
        holders = self._queue._queue  # type: ignore[attr-defined]
        if not holders or self._setup is not None:  # type: ignore[attr-defined]
            return False
        top = holders[-1]  # the one LifoQueue.get hands out
        con = top._con
        return con is not None and not con.is_closed() and top._generation == self._generation  # type: ignore[attr-defined]
