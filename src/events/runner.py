"""Running projections: one leader among processes applies events; anyone can wait, rebuild, check.

Leadership is a session-level advisory lock on a connection of its own: if the leader's process
dies, PostgreSQL ends its session, frees the lock, and the next candidate to ask takes over.
Each batch also locks its projection's checkpoint row and re-reads it, so even two processes
that both believe they lead (a leader that lost its lock connection but not yet noticed) never
apply an event twice.

The leader applies whatever the log holds, a page at a time, as soon as it is woken; writers do
not apply anything. A write waits for its own position with `await_position`, which takes no
lock (see events.watch): while one batch commits, the appends of the next gather, so under load
one batch answers many writes, as one group commit records many appends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import asyncpg
import msgspec

from events.errors import ProjectionBehind, ProjectionError
from events.model import RecordedEvent
from events.outage import close_session, is_unavailable
from events.pool import take_json_as_bytes
from events.projection import (
    Build,
    Difference,
    PageWrites,
    Projection,
    apply_batch,
    apply_events,
    create_schema,
    schema_differences,
)
from events.read import LogFilter, read_all_page, to_event
from events.sql import Connection, query
from events.store import EventStore
from events.subscription import Wakeup
from events.watch import CheckpointWatch, Failure

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
WAIT_SECONDS = 10.0
# Events folded between two turns of the event loop while a rebuild writes and reads ahead.
FOLD_SLICE = 250
INDEX_SESSIONS = 2
# Told of every batch committed (projection name, events it covered) and every failure.
BatchObserver = Callable[[str, int], None]
FailureObserver = Callable[[Failure], None]


class ProjectionRunner:
    """Keeps a set of projections up to date with the log."""

    def __init__(
        self,
        store: EventStore,
        projections: Sequence[Projection],
        *,
        name: str = "projections",
        poll_interval: float = 1.0,
        batch_size: int = BATCH_SIZE,
        wait_timeout: float = WAIT_SECONDS,
        on_batch: BatchObserver | None = None,
        on_failure: FailureObserver | None = None,
    ) -> None:
        names = [p.name for p in projections]
        if len(set(names)) != len(names):
            raise ValueError("two projections share a name")
        self.store = store
        self.projections = list(projections)
        self.name = name
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.wait_timeout = wait_timeout
        self.is_leader = False
        self.last_error: BaseException | None = None
        self.batches_applied = 0
        self._on_batch = on_batch
        self._on_failure = on_failure
        self._task: asyncio.Task[None] | None = None
        self._lock_conn: asyncpg.Connection[Any] | None = None
        self._wakeup: Wakeup | None = None
        self.watch = CheckpointWatch(names, self.positions)
        # Projections whose schema this runner has checked: the check is a transaction of its
        # own, needed again only if another version rebuilt it.
        self._prepared: set[str] = set()

    # -- leading -------------------------------------------------------------------------------

    def start(self) -> None:
        """Run in the background: compete for leadership, and while leading, follow the log."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"runner-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._step_down()
        await self.watch.close()

    async def _run(self) -> None:
        wakeup = self._wakeup = self.store.wakeup()
        wakeup.listen_also(self.watch.listeners(), on_lost=self.watch.forget)
        try:
            while True:
                try:
                    # Led or not, this process hears the checkpoints move (for its waiting writes).
                    await wakeup.ensure_listening()
                    if await self._lead():
                        await self._follow(wakeup)
                except Exception:
                    # Nothing may end this loop but stop(): a runner whose task died would leave
                    # the read model behind for good, with only /ready to tell.
                    log.exception("projection runner %s: failed; trying again", self.name)
                await asyncio.sleep(self.poll_interval)
        finally:
            self._wakeup = None
            await wakeup.close()

    async def _lead(self) -> bool:
        """Try to become the leader; True if this process leads now."""
        conn: asyncpg.Connection[Any] | None = None
        try:
            conn = await self.store.connect_single()
            if await conn.fetchval(query("events/leader-try-lock"), self.name):
                # Its batches run on this session too: it speaks json as the pool's connections do.
                await take_json_as_bytes(conn)
                self._lock_conn, conn = conn, None
                self.is_leader = True
                log.info("projection runner %s: leading", self.name)
                return True
        except Exception as error:
            if not is_unavailable(error):
                raise
            log.warning("projection runner %s: cannot reach the database: %s", self.name, error)
        finally:
            if conn is not None:
                await close_session(conn)
        return False

    async def _follow(self, wakeup: Wakeup) -> None:
        """While the lock connection lives: catch up, then wait to be woken or for the poll."""
        try:
            while self._lock_conn is not None and not self._lock_conn.is_closed():
                await wakeup.ensure_listening()
                wakeup.event.clear()
                try:
                    await self.catch_up()
                    self.last_error = None
                except ProjectionError as error:
                    self.last_error = error
                    log.error("projection runner %s: %s", self.name, error)
                except Exception as error:
                    if not is_unavailable(error):
                        raise
                    # The lock's session may have survived the outage (then we still lead) or
                    # not (then the loop ends here and _run competes again).
                    self.last_error = error
                    log.warning("projection runner %s: database unavailable: %s", self.name, error)
                await wakeup.wait(self.poll_interval)
        finally:
            await self._step_down()

    async def _step_down(self) -> None:
        self.is_leader = False
        conn, self._lock_conn = self._lock_conn, None
        if conn is not None:
            await close_session(conn)

    # -- applying ------------------------------------------------------------------------------

    async def catch_up(self) -> None:
        """Bring every projection up to the log head as it is now.

        A page that fails is tried again in smaller pages, so everything before the event that
        fails is applied and the checkpoint stops just before it; then the failure is reported
        (to waiters here and, by notification, in other processes) and raised.
        """
        for projection in self.projections:
            if projection.name not in self._prepared:
                await self._prepare(projection)
                self._prepared.add(projection.name)
            size = self.batch_size
            while True:
                try:
                    if not await self._step(projection, size):
                        break
                except ProjectionError as error:
                    if size > 1:
                        size //= 2
                        continue
                    await self._report(projection, error)
                    raise

    async def _report(self, projection: Projection, error: ProjectionError) -> None:
        self.last_error = error
        position = (await self.positions())[projection.name]
        failure = Failure(projection.name, position, str(error))
        self.watch.failed(failure)
        if self._on_failure is not None:
            self._on_failure(failure)
        try:
            await self.store.pool.execute(
                query("events/projection-failure-notify"), msgspec.json.encode(failure).decode()
            )
        except Exception as notify_error:  # the waiters elsewhere still learn it at their timeout
            if not is_unavailable(notify_error):
                raise

    async def _prepare(self, projection: Projection) -> None:
        """Create the checkpoint and schema on first use; rebuild when the DDL changed."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            await conn.execute(query("events/projection-checkpoint-ensure"), projection.name)
            row = await conn.fetchrow(query("events/projection-checkpoint-lock"), projection.name)
            assert row is not None
            if row["schema_hash"] == projection.schema_hash:
                return
            if row["schema_hash"]:
                log.warning("projection %s: its tables changed, rebuilding from zero", projection.name)
            await create_schema(conn, projection, projection.schema)
            await conn.execute(
                query("events/projection-checkpoint-set"),
                projection.name,
                0,
                projection.schema_hash,
            )

    @contextlib.asynccontextmanager
    async def _batch_connection(self) -> AsyncIterator[Connection]:
        """The leader's own session (the one holding its lock), else one from the pool.

        Under load the pool's connections are the requests' queue (200 clients, 10 connections):
        a batch that borrowed one waited there behind them (40 ms on average, 136 ms at p90 under
        `bench.load`), and every write waiting for that batch with it. The lock's session is the
        leader's alone, and only this loop uses it, one batch at a time.
        """
        conn = self._lock_conn
        if conn is not None and not conn.is_closed():
            yield conn
            return
        async with self.store.pool.acquire() as pooled:
            yield pooled

    async def _step(self, projection: Projection, size: int) -> bool:
        """Apply one batch of at most `size` events in one transaction; True if it moved."""
        async with self._batch_connection() as conn, conn.transaction():
            # The checkpoint's lock and the transaction's settings, in one round trip.
            lock = query("events/projection-batch-lock")
            row = await conn.fetchrow(lock, projection.name, projection.schema)
            assert row is not None
            if row["schema_hash"] != projection.schema_hash:
                # Another version of the code rebuilt it with other DDL: check again next time.
                self._prepared.discard(projection.name)
                return False
            before = row["position"]
            try:
                reached = await apply_batch(conn, projection, self.store.codec, before, size)
            except (asyncpg.PostgresError, ValueError, KeyError, TypeError) as error:
                if is_unavailable(error):
                    raise  # the database's fault, not the projection's: it is retried as it is
                raise ProjectionError(
                    f"projection {projection.name} failed after position {before}: {error}"
                ) from error
            if reached == before:
                return False
            await conn.execute(
                query("events/projection-checkpoint-set"),
                projection.name,
                reached,
                projection.schema_hash,
            )
        self.batches_applied += 1
        self.last_error = None
        if projection.committed is not None:
            projection.committed(before, reached)
        self.watch.advance(projection.name, reached)
        if self._on_batch is not None:
            self._on_batch(projection.name, reached - before)
        return True

    # -- waiting -------------------------------------------------------------------------------

    async def await_position(self, position: int | None = None) -> None:
        """Return once every projection has applied the log up to `position` (None: the head now).

        What a write calls before it answers, so a read issued after its response sees it. A
        runner that is not running (a command-line tool, say) applies the events itself. Raises
        ProjectionBehind if a batch fails on the way or `wait_timeout` passes.
        """
        if position is None:
            position = await self.store.pool.fetchval(query("events/head-position"))
            assert position is not None
        if self._task is None:
            try:
                await self.catch_up()
            except ProjectionError as error:
                raise ProjectionBehind(position, str(error)) from error
            return
        if self.is_leader and self._wakeup is not None:
            self._wakeup.event.set()  # no need to wait for the append's notification to come round
        await self.watch.wait(position, self.wait_timeout)

    async def positions(self, pool: asyncpg.Pool[Any] | None = None) -> dict[str, int]:
        """Each projection's checkpoint, in the store's database or in `pool`'s (a standby's, say)."""
        names = [p.name for p in self.projections]
        rows = await (pool or self.store.pool).fetch(query("events/projection-checkpoints"), names)
        found = {r["name"]: r["position"] for r in rows}
        return {name: found.get(name, 0) for name in names}

    async def wait_for(
        self, position: int, timeout: float = 10.0, pool: asyncpg.Pool[Any] | None = None
    ) -> None:
        """Return once every projection has applied the log up to `position` (read-your-writes).

        Works in any process, leader or not: it watches the checkpoints in the database (or in
        `pool`'s, which may be a standby replaying the store's WAL).
        """
        deadline = time.monotonic() + timeout
        delay = 0.002
        while min((await self.positions(pool)).values(), default=position) < position:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"projections did not reach position {position} in {timeout}s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    # -- rebuilding and checking ----------------------------------------------------------------

    async def rebuild(self, projection: Projection) -> int:
        """Replay the whole log into a fresh schema beside the live one, then swap it in.

        Readers see the old read model until the swap, and the new one after; the leader (in
        this process or another) simply continues from the new checkpoint. Returns its position.
        """
        shadow = f"{projection.schema}__rebuild"
        reached = await self._build_shadow(projection, shadow, up_to=None)
        async with self.store.pool.acquire() as conn, conn.transaction():
            await conn.execute(query("events/projection-checkpoint-ensure"), projection.name)
            await conn.fetchrow(query("events/projection-checkpoint-lock"), projection.name)
            reached = await self._replay(conn, projection, shadow, reached, up_to=None)
            await conn.execute(query("events/schema-drop"), projection.schema)
            await conn.execute(query("events/schema-rename"), shadow, projection.schema)
            await conn.execute(
                query("events/projection-checkpoint-set"),
                projection.name,
                reached,
                projection.schema_hash,
            )
        return reached

    async def check(self, projection: Projection) -> list[Difference]:
        """Rebuild into a scratch schema and compare it with the live read model; [] if equal."""
        shadow = f"{projection.schema}__check"
        live_position = (await self.positions())[projection.name]
        reached = await self._build_shadow(projection, shadow, up_to=live_position)
        try:
            async with self.store.pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(query("events/projection-checkpoint-lock"), projection.name)
                live_position = row["position"] if row is not None else 0
                await self._replay(conn, projection, shadow, reached, up_to=live_position)
                return await schema_differences(conn, projection.schema, shadow)
        finally:
            async with self.store.pool.acquire() as conn:
                await conn.execute(query("events/schema-drop"), shadow)

    async def _build_shadow(self, projection: Projection, shadow: str, up_to: int | None) -> int:
        """Fill a fresh `shadow` with the log (up to `up_to`) a page at a time; returns the position.

        The shadow is nobody else's, so it is built for speed: its non-unique indexes are made
        once at the end, and the next page is read on a second connection while this one is
        applied, so PostgreSQL and Python work at the same time.
        """
        async with self.store.pool.acquire() as conn:
            async with conn.transaction():
                await create_schema(conn, projection, shadow)
            indexes = await conn.fetch(query("events/schema-secondary-indexes"), shadow)
            async with conn.transaction():
                for index in indexes:
                    await conn.execute(index["drop_statement"])
            head: int = await conn.fetchval(query("events/head-position"))
            if up_to is not None:
                head = min(head, up_to)
            if projection.build is None:
                async for events in self._pages(projection, head):
                    async with conn.transaction():
                        await apply_events(conn, projection, shadow, events)
            else:
                await self._build_pipelined(conn, projection, projection.build(), shadow, head)
            await self._make_indexes([index["create_statement"] for index in indexes])
            return head

    async def _make_indexes(self, statements: list[str]) -> None:
        """Build each index once over every row (far cheaper than entry by entry), two at a time.

        Each build keeps one core busy; two sessions keep two, and indexes of one table may be
        built side by side (each takes a SHARE lock, and those do not conflict).
        """

        async def make(share: list[str]) -> None:
            async with self.store.pool.acquire() as conn, conn.transaction():
                for statement in share:
                    await conn.execute(statement)

        await asyncio.gather(*(make(statements[i::INDEX_SESSIONS]) for i in range(INDEX_SESSIONS)))

    async def _build_pipelined(
        self, conn: Connection, projection: Projection, build: Build, shadow: str, head: int
    ) -> None:
        """Read page N+1 while page N is folded and page N-1 written: each on its own turn.

        Folding is Python's work and writing PostgreSQL's; a page is folded in slices with a turn
        of the event loop between them, so the write and the read ahead go on meanwhile.
        """
        writing: asyncio.Future[None] | None = None
        try:
            async for events in self._pages(projection, head):
                for start in range(0, len(events), FOLD_SLICE):
                    build.add(events[start : start + FOLD_SLICE])
                    await asyncio.sleep(0)
                writes = build.take()
                # What the build remembers lives until it ends: keep the cycle collector from
                # walking it again at every page (a third of a million-event rebuild's time).
                gc.freeze()
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(self._write_page(conn, shadow, writes))
            if writing is not None:
                await writing
        finally:
            gc.unfreeze()
            if writing is not None and not writing.done():
                with contextlib.suppress(Exception):
                    await writing

    @staticmethod
    async def _write_page(conn: Connection, shadow: str, writes: PageWrites) -> None:
        async with conn.transaction():
            await conn.execute(query("events/projection-transaction"), shadow)
            await writes.write(conn)

    async def _pages(self, projection: Projection, head: int) -> AsyncIterator[list[RecordedEvent]]:
        """The projection's events up to `head`, a page at a time, the next read while one is used."""
        where = LogFilter(types=projection.types)
        codec = self.store.codec
        async with self.store.pool.acquire() as reader:

            async def page(after: int) -> list[RecordedEvent]:
                rows = await read_all_page(reader, after, self.batch_size, where, up_to=head)
                return [to_event(row, codec) for row in rows]

            fetching = asyncio.ensure_future(page(0))
            try:
                while True:
                    events = await fetching
                    if len(events) == self.batch_size:
                        fetching = asyncio.ensure_future(page(events[-1].position))
                    if events:
                        yield events
                    if len(events) < self.batch_size:
                        return
            finally:
                with contextlib.suppress(Exception):
                    await fetching

    async def _replay(
        self,
        conn: Connection,
        projection: Projection,
        schema: str,
        after: int,
        up_to: int | None,
    ) -> int:
        """Apply events after `after` (up to `up_to` when given) in the caller's transaction."""
        await conn.execute(query("events/projection-transaction"), schema)
        position = after
        while True:
            reached = await apply_batch(conn, projection, self.store.codec, position, self.batch_size, up_to)
            if reached == position:
                break
            position = reached
        return position
