"""Where read-model reads run: the primary, or a hot standby that replays the primary's WAL.

A standby's read models are the primary's, as of the WAL it has replayed: every table, index and
projection checkpoint arrives together, so what it answers is the registry as of its checkpoint,
never a mixture. Current reads there are as fresh as the replay; a read as of a position waits
until the standby has replayed that far, so it is exact wherever it runs.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from events.runner import ProjectionRunner


class ReadSide:
    """The pool read-model lists, boards and reports run on, and how far its read models are."""

    def __init__(
        self, pool: asyncpg.Pool[Any], runner: ProjectionRunner, *, is_replica: bool, wait_seconds: float
    ) -> None:
        self.pool = pool
        self.runner = runner
        self.is_replica = is_replica
        self.wait_seconds = wait_seconds

    async def position(self) -> int:
        """The position every read model here has applied (the least of their checkpoints)."""
        return min((await self.runner.positions(self.pool)).values(), default=0)

    async def pool_at(self, position: int | None) -> asyncpg.Pool[Any]:
        """The pool to read at `position` (None: current) on, once its read models have reached it.

        On the primary every write brings the read model up to itself before it answers, so there
        is nothing to wait for. A standby that does not reach `position` in time raises
        TimeoutError, which the API answers 503 with Retry-After.
        """
        if self.is_replica and position is not None:
            # A position past the log's head reads the head: as on the primary, the present.
            head, _ = await self.runner.store.head()
            await self.runner.wait_for(min(position, head), self.wait_seconds, self.pool)
        return self.pool
