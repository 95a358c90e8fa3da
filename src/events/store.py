"""EventStore: the public face of the log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any, Self

import asyncpg

from events.append import IdempotentResult, decode_results, prepare
from events.codec import Codec, JsonCodec
from events.lookup import LookupLane
from events.model import (
    ANY,
    AppendResult,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamAppend,
    VerifyReport,
)
from events.pool import BoundedPool
from events.read import PAGE_SIZE, LogFilter, iterate_all, read_stream_page, to_event
from events.sql import query
from events.subscription import Wakeup, follow
from events.verify import verify_log
from events.writer import GroupCommitWriter


async def _keep_session(_: asyncpg.Connection[Any]) -> None:
    """Nothing to reset: the store never changes session state on pooled connections.

    asyncpg's default reset (`RESET ALL; UNLISTEN *; CLOSE ALL; …`) costs a round trip on every
    release. Settings here are transaction-local (SET LOCAL), listeners and session locks live
    on connections of their own, and an open transaction is still rolled back by asyncpg.
    """


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    acquire_timeout: float | None = None,
    **connect_kwargs: Any,
) -> asyncpg.Pool[Any]:
    """A pool for the store and its readers: no reset round trip on release.

    `acquire_timeout` bounds every wait for a connection; `connect_kwargs` go to each connection
    (asyncpg's `timeout` bounds opening one, `command_timeout` each statement).
    """
    pool = BoundedPool(
        dsn, acquire_timeout=acquire_timeout, min_size=min_size, max_size=max_size, reset=_keep_session,
        **connect_kwargs,
    )  # fmt: skip
    await pool
    return pool


class EventStore:
    """An append-only, hash-chained log of events in PostgreSQL.

    Appends from concurrent tasks are written together (group commit); each still succeeds or
    fails on its own conditions.
    """

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        *,
        codec: Codec | None = None,
        dsn: str | None = None,
        connect_kwargs: dict[str, Any] | None = None,
        owns_pool: bool = False,
        acquire_timeout: float | None = None,
    ) -> None:
        self.pool = pool
        self.codec: Codec = codec or JsonCodec()
        self._dsn = dsn
        self._connect_kwargs = connect_kwargs or {}
        self._owns_pool = owns_pool
        self._acquire_timeout = acquire_timeout
        self._writer = GroupCommitWriter(pool, open_connection=self._open_own_connection if dsn else None)
        # The write path's look-ups (stream versions) skip the pool's queue (events.lookup).
        self.lookups = LookupLane(pool, self._open_own_connection if dsn else None)

    @classmethod
    async def connect(
        cls, dsn: str, *, codec: Codec | None = None, min_size: int = 2, max_size: int = 10,
        acquire_timeout: float | None = None, **connect_kwargs: Any,
    ) -> Self:  # fmt: skip
        """Open a pool on `dsn` and a store over it; `close()` closes both.

        `connect_kwargs` (asyncpg's: `timeout`, `command_timeout`, `server_settings`, …) apply to
        the pool's connections and to the store's own (listening, leading) alike.
        """
        pool = await create_pool(
            dsn, min_size=min_size, max_size=max_size, acquire_timeout=acquire_timeout, **connect_kwargs
        )
        return cls(
            pool, codec=codec, dsn=dsn, connect_kwargs=connect_kwargs, owns_pool=True,
            acquire_timeout=acquire_timeout,
        )  # fmt: skip

    async def close(self) -> None:
        await self._writer.close()
        await self.lookups.close()
        if self._owns_pool:
            await self.pool.close()

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: ExpectedVersion = ANY,
        idempotency_key: str | None = None,
        fingerprint: bytes | None = None,
    ) -> AppendResult:
        """Append `events` to one stream if its version is `expected_version`.

        Raises WrongExpectedVersion on a mismatch, IdempotencyKeyReused when the key was used
        for a different append. A retry with the same key returns the first result.
        """
        results = await self.append_many(
            [StreamAppend(stream_id, events, expected_version)], idempotency_key, fingerprint
        )
        return results[0]

    async def append_many(
        self,
        appends: Sequence[StreamAppend],
        idempotency_key: str | None = None,
        fingerprint: bytes | None = None,
    ) -> list[AppendResult]:
        """Append to several streams atomically: all of it is written, or (on any conflict) none."""
        outcome = await self._writer.submit(prepare(appends, idempotency_key, fingerprint))
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        to_version: int | None = None,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[RecordedEvent]:
        """One stream's events in version order (none if the stream does not exist)."""
        while True:
            rows = await read_stream_page(self.pool, stream_id, from_version, to_version, page_size)
            for row in rows:
                yield to_event(row, self.codec)
            if len(rows) < page_size:
                return
            from_version = rows[-1]["version"] + 1

    def read_all(
        self,
        after: int = 0,
        limit: int | None = None,
        *,
        stream_prefix: str | None = None,
        types: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        actor: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[RecordedEvent]:
        """The log in position order after `after`, filtered, up to `limit` events."""
        where = LogFilter(stream_prefix=stream_prefix, types=types, since=since, until=until, actor=actor)
        return iterate_all(self.pool, self.codec, after, limit, where, page_size)

    def subscribe(
        self,
        after: int = 0,
        *,
        stream_prefix: str | None = None,
        types: Sequence[str] | None = None,
        poll_interval: float = 1.0,
    ) -> AsyncIterator[RecordedEvent]:
        """Catch up from `after`, then follow the log live: every event once, in order."""
        wakeup = self.wakeup()
        where = LogFilter(stream_prefix=stream_prefix, types=types)
        return follow(self.pool, wakeup, self.codec, after, where, poll_interval)

    def wakeup(self, channel: str = "events") -> Wakeup:
        """A listener woken by appends (or by `channel`); see `subscribe`."""
        if self._dsn is None:
            raise RuntimeError("listening needs a store made by EventStore.connect")
        return Wakeup(self._dsn, self._connect_kwargs, channel)

    async def connect_single(self) -> asyncpg.Connection[Any]:
        """A connection of its own, outside the pool (for session-level locks)."""
        if self._dsn is None:
            raise RuntimeError("a separate connection needs a store made by EventStore.connect")
        conn: asyncpg.Connection[Any] = await asyncpg.connect(self._dsn, **self._connect_kwargs)
        return conn

    async def _open_own_connection(self) -> asyncpg.Connection[Any]:
        """A connection of the store's own, for the writer's appends or the write path's look-ups:
        only their few statements run there, so it plans them once (generic plans from the first
        call, as the append function's are) and never considers JIT for them; opened within the
        pool's bound on waiting for one."""
        settings = self._connect_kwargs.get("server_settings") or {}
        own_settings = {**settings, "plan_cache_mode": "force_generic_plan", "jit": "off"}
        kwargs = {**self._connect_kwargs, "server_settings": own_settings}
        async with asyncio.timeout(self._acquire_timeout):
            conn: asyncpg.Connection[Any] = await asyncpg.connect(self._dsn, **kwargs)
        return conn

    async def stream_version(self, stream_id: str) -> int:
        """A stream's current version; 0 if it has no events."""
        return (await self.stream_versions([stream_id]))[stream_id]

    async def stream_versions(self, stream_ids: Sequence[str]) -> dict[str, int]:
        """Each stream's current version (0 for one with no events), in one round trip, asked on
        a connection of the store's own rather than in the pool's queue (events.lookup)."""
        rows = await self.lookups.fetch(query("events/stream-versions"), list(stream_ids))
        return {row["stream_id"]: row["version"] for row in rows}

    async def idempotent_result(self, key: str) -> IdempotentResult | None:
        """What an earlier append made with `key` returned, and the fingerprint it was made with."""
        rows = await self.pool.fetch(query("events/find-idempotency"), [key])
        if not rows:
            return None
        return IdempotentResult(bytes(rows[0]["fingerprint"]), decode_results(rows[0]["result"]))

    async def head(self) -> tuple[int, str]:
        """The last position and its hash (hex)."""
        row = await self.pool.fetchrow(query("events/head"))
        assert row is not None
        return row["position"], bytes(row["hash"]).hex()

    async def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before `moment`, for "as of a time" reads."""
        position: int = await self.pool.fetchval(query("events/position-at"), moment)
        return position

    async def verify(self, progress: Callable[[int], None] | None = None) -> VerifyReport:
        """Recompute the hash chain over the whole log; `progress` gets the count checked so far."""
        return await verify_log(self.pool, progress=progress)
