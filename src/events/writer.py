"""Group commit: concurrent appends wait in a queue and are written together, one transaction each.

Every append must hold the single log-head lock, so appends are serial whatever we do; what we
choose is how much work one hold of the lock (and one fsync at commit) carries. While one batch
commits, the next gathers, so the batch size adapts to the load by itself. When nothing is
queued or being written, a lone request skips the queue: its caller writes it at once.

Batches and lone writes go out on connections the writer keeps for them when it can open its
own (one per batch in flight), not on the pool's, which readers keep busy under load: a write
that waited for a pooled connection to be appended waited behind reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import asyncpg

from events.append import Outcome, PreparedAppend, write_batch
from events.lone import can_write_alone, write_alone

log = logging.getLogger(__name__)

MAX_BATCH_EVENTS = 2000
# Two batches in flight: while one commits (and waits for its fsync), the next is already
# waiting on the head lock, so the database never waits for Python between batches.
BATCHES_IN_FLIGHT = 2
CLOSE_TIMEOUT_SECONDS = 5

# Opens a connection of the writer's own (see GroupCommitWriter._connection).
OpenConnection = Callable[[], Awaitable["asyncpg.Connection[Any]"]]


class _Pending:
    __slots__ = ("future", "request")

    def __init__(self, request: PreparedAppend, future: asyncio.Future[Outcome]) -> None:
        self.request = request
        self.future = future


class GroupCommitWriter:
    """Writes queued appends in batches, on connections of its own when it can open them."""

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        max_batch_events: int = MAX_BATCH_EVENTS,
        open_connection: OpenConnection | None = None,
    ) -> None:
        self._pool = pool
        self._open = open_connection
        # The writer's own connections not in use now: at most one per batch in flight.
        self.idle_connections: list[asyncpg.Connection[Any]] = []
        self._max = max_batch_events
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(BATCHES_IN_FLIGHT)

    async def submit(self, request: PreparedAppend) -> Outcome:
        """Queue one append and wait until its batch has committed (or failed)."""
        if self._idle() and can_write_alone(request):
            return await self._write_now(request)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="events-writer")
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(request, future))
        # Shielded: a caller that gives up must not cancel a write already in a batch; the
        # outcome then simply goes unread (an idempotency key makes the retry safe).
        return await asyncio.shield(future)

    def _idle(self) -> bool:
        # A request the writer has taken from the queue is in a batch task before the writer
        # next yields, so an empty queue and no task in flight mean nobody is ahead of this one.
        return not self._in_flight and self._queue.empty()

    async def _write_now(self, request: PreparedAppend) -> Outcome:
        """Write a lone request from the caller's turn of the loop, sparing the queue, the writer's
        wake-up and its batch task: the hop that made a lone append cost more than the statement.

        In a task of its own, which the caller awaits shielded, as the queue's futures are: a
        caller that gives up must not cancel a write already sent. It counts as a batch in flight,
        so requests that arrive meanwhile queue and are written together behind it.
        """
        await self._slots.acquire()  # free when idle: the writer holds at most the other one
        task = asyncio.get_running_loop().create_task(self._write_alone(request))
        self._in_flight.add(task)
        task.add_done_callback(self._finished)
        return await asyncio.shield(task)

    async def _write_alone(self, request: PreparedAppend) -> Outcome:
        try:
            async with self._connection() as conn:
                return await write_alone(conn, request)
        finally:
            self._slots.release()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection[Any]]:
        """A connection to write on: one of the writer's own, opened when first needed (else the pool's).

        Borrowing a pooled connection and giving it back cost the event loop ~50 us a write
        (asyncpg's acquire, and a task for its release), a third of a lone write's Python; and
        under load the pool's connections are busy with reads, which a write then queued behind.
        A batch in flight holds one (a lone write counts as one), so there are never more than
        BATCHES_IN_FLIGHT.
        """
        if self._open is None:
            async with self._pool.acquire() as pooled:
                yield cast("asyncpg.Connection[Any]", pooled)  # a proxy that answers as one
            return
        conn = None
        while self.idle_connections and conn is None:
            kept = self.idle_connections.pop()
            conn = None if kept.is_closed() else kept
        if conn is None:
            conn = await self._open()
        try:
            yield conn
        except asyncpg.PostgresError:
            # The server refused a statement: the session is as it was (a transaction that was
            # open has been rolled back), unless the server ended it, which the next use sees.
            self.idle_connections.append(conn)
            raise
        except BaseException:
            # Lost, timed out or cut off mid-statement: it is not used again.
            conn.terminate()
            raise
        self.idle_connections.append(conn)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled():
            task.exception()  # its caller may have gone: the error is its, not the loop's to log

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        own, self.idle_connections = self.idle_connections, []
        for conn in own:
            with contextlib.suppress(Exception):
                await conn.close(timeout=CLOSE_TIMEOUT_SECONDS)  # terminates it if that runs out
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.future.done():
                pending.future.set_exception(RuntimeError("the event store was closed"))

    async def _run(self) -> None:
        while True:
            await self._slots.acquire()
            try:
                batch = [await self._queue.get()]
            except BaseException:
                self._slots.release()
                raise
            size = batch[0].request.event_count
            while size < self._max and not self._queue.empty():
                pending = self._queue.get_nowait()
                batch.append(pending)
                size += pending.request.event_count
            task = asyncio.get_running_loop().create_task(self._write_and_free(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _write_and_free(self, batch: list[_Pending]) -> None:
        try:
            await self._write(batch)
        finally:
            self._slots.release()

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            outcomes = await self._transaction([p.request for p in batch])
        except asyncio.CancelledError:
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(RuntimeError("the event store was closed"))
            raise
        except Exception as error:
            if len(batch) > 1:
                # One request may have poisoned the batch (say, a value PostgreSQL refuses):
                # write each alone so only the culprit fails.
                for pending in batch:
                    await self._write([pending])
                return
            outcomes = [error]  # type: ignore[list-item]
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.future.done():
                continue
            if isinstance(outcome, BaseException):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)

    async def _transaction(self, requests: list[PreparedAppend]) -> list[Outcome]:
        async with self._connection() as conn:
            if len(requests) == 1 and can_write_alone(requests[0]):
                # Nobody else is waiting: one statement (one round trip) instead of a transaction.
                return [await write_alone(conn, requests[0])]
            async with conn.transaction():
                return await write_batch(conn, requests)
