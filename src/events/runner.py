"""Running projections: one leader among processes applies events; anyone can wait, rebuild, check.

Leadership is a session-level advisory lock on a connection of its own: if the leader's process
dies, PostgreSQL ends its session, frees the lock, and the next candidate to ask takes over.
Each batch also locks its projection's checkpoint row and re-reads it, so even two processes
that both believe they lead (a leader that lost its lock connection but not yet noticed) never
apply an event twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from events.errors import ProjectionError
from events.outage import close_session, is_unavailable
from events.projection import Difference, Projection, apply_batch, create_schema, schema_differences
from events.sql import Connection, query
from events.store import EventStore
from events.subscription import Wakeup

log = logging.getLogger(__name__)

BATCH_SIZE = 500


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
    ) -> None:
        names = [p.name for p in projections]
        if len(set(names)) != len(names):
            raise ValueError("two projections share a name")
        self.store = store
        self.projections = list(projections)
        self.name = name
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.is_leader = False
        self.last_error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock_conn: asyncpg.Connection[Any] | None = None
        # Projections whose schema this runner has checked: every write calls catch_up, and the
        # check is a transaction of its own, needed again only if another version rebuilt it.
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

    async def _run(self) -> None:
        wakeup = self.store.wakeup()
        try:
            while True:
                try:
                    if await self._lead():
                        await self._follow(wakeup)
                except Exception:
                    # Nothing may end this loop but stop(): a runner whose task died would leave
                    # the read model behind for good, with only /ready to tell.
                    log.exception("projection runner %s: failed; trying again", self.name)
                await asyncio.sleep(self.poll_interval)
        finally:
            await wakeup.close()

    async def _lead(self) -> bool:
        """Try to become the leader; True if this process leads now."""
        conn: asyncpg.Connection[Any] | None = None
        try:
            conn = await self.store.connect_single()
            if await conn.fetchval(query("events/leader-try-lock"), self.name):
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
        """Bring every projection up to the log head as it is now."""
        for projection in self.projections:
            if projection.name not in self._prepared:
                await self._prepare(projection)
                self._prepared.add(projection.name)
            while await self._step(projection):
                pass

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

    async def _step(self, projection: Projection) -> bool:
        """Apply one batch in one transaction; True if there may be more to do."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(query("events/projection-checkpoint-lock"), projection.name)
            assert row is not None
            if row["schema_hash"] != projection.schema_hash:
                # Another version of the code rebuilt it with other DDL: check again next time.
                self._prepared.discard(projection.name)
                return False
            before = row["position"]
            try:
                reached = await apply_batch(
                    conn, projection, self.store.codec, projection.schema, before, self.batch_size
                )
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
            return True

    # -- waiting -------------------------------------------------------------------------------

    async def await_position(self, position: int | None = None) -> None:
        """Return once every projection has applied the log up to `position` (None: the head now).

        What a write calls before it answers, so a read issued after its response sees it.
        """
        await self.catch_up()

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
        async with self.store.pool.acquire() as conn:
            async with conn.transaction():
                await create_schema(conn, projection, shadow)
            position = 0
            while True:
                async with conn.transaction():
                    reached = await apply_batch(
                        conn, projection, self.store.codec, shadow, position, self.batch_size, up_to
                    )
                if reached == position:
                    return position
                position = reached

    async def _replay(
        self,
        conn: Connection,
        projection: Projection,
        schema: str,
        after: int,
        up_to: int | None,
    ) -> int:
        """Apply events after `after` (up to `up_to` when given) in the caller's transaction."""
        position = after
        while True:
            reached = await apply_batch(
                conn, projection, self.store.codec, schema, position, self.batch_size, up_to
            )
            if reached == position:
                break
            position = reached
        return position
