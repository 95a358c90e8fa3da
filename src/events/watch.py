"""Waiting for projections to reach a position, without taking any lock to get there.

Every process keeps what it knows of the checkpoints and a queue of waiters, each a position and
a future. Three sources move what it knows, and each wakes the waiters it passes:

- the leader's runner, in its own process, the moment a batch commits;
- a LISTEN on `projection_checkpoints`, which the checkpoint's UPDATE notifies on commit, for
  processes whose leader runs elsewhere (and `projection_failures`, when a batch fails there),
  heard on the runner's one listening session beside the log's own `events`;
- polling the checkpoints while anyone waits: the fallback truth, since a notification sent
  while a listener was reconnecting is lost.

So a write waits for the read model like a reader waits for a bus: many at once, for one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec

from events.errors import ProjectionBehind
from events.outage import is_unavailable
from events.subscription import Listener

log = logging.getLogger(__name__)

CHECKPOINTS = "projection_checkpoints"
FAILURES = "projection_failures"
POLL_SECONDS = 0.05


class Failure(msgspec.Struct, frozen=True):
    """A batch that failed: the checkpoint it could not move past, and why."""

    name: str
    position: int
    reason: str


Positions = Callable[[], Awaitable[dict[str, int]]]


class CheckpointWatch:
    """What this process knows of some projections' checkpoints, and who waits on them."""

    def __init__(self, names: Sequence[str], positions: Positions) -> None:
        self._names = list(names)
        self._positions = positions
        self._known: dict[str, int] | None = None
        self.failures: dict[str, Failure] = {}
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._poller: asyncio.Task[None] | None = None

    @property
    def reached(self) -> int | None:
        """The position every projection is known to have applied (None before the first look)."""
        return None if self._known is None else min(self._known.values(), default=0)

    # -- what moves it ---------------------------------------------------------------------------

    def advance(self, name: str, position: int) -> None:
        """A projection's checkpoint reached `position` (it never goes back)."""
        if self._known is None or name not in self._known:
            return  # nothing to compare with yet: the first wait reads the checkpoints
        if position > self._known[name]:
            self._known[name] = position
        failure = self.failures.get(name)
        if failure is not None and position > failure.position:
            del self.failures[name]
        self._wake()

    def forget(self) -> None:
        """Read the checkpoints afresh at the next wait (the session that heard them was lost).

        A database that crashed may come back with its last batches undone (they commit without
        waiting for the disk, see events/projection-transaction.sql): what was known before it
        must not answer for what is there after.
        """
        self._known = None

    def failed(self, failure: Failure) -> None:
        """A batch failed: whoever waits past its checkpoint is told so now, not at a timeout.

        The failure stays on record (for /ready) until the checkpoint passes it.
        """
        self.failures[failure.name] = failure
        reached = self.reached
        kept = []
        for entry in self._waiters:
            position, _, future = entry
            if reached is not None and position <= reached:
                kept.append(entry)
            elif not future.done():
                future.set_exception(ProjectionBehind(position, failure.reason))
        heapq.heapify(kept)
        self._waiters = kept

    def _wake(self) -> None:
        reached = self.reached
        while self._waiters and reached is not None and self._waiters[0][0] <= reached:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)

    # -- waiting ---------------------------------------------------------------------------------

    async def wait(self, position: int, timeout: float) -> None:
        """Return once every projection has applied `position`; ProjectionBehind if not in time."""
        if self._known is None:
            self._known = await self._positions()
        reached = self.reached
        if reached is not None and reached >= position:
            return
        # Even with a failure on record, a new waiter waits: the runner tries again at every
        # append (this write's own among them), and a failure then answers it at once.
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (position, next(self._order), future))
        self._ensure_polling()
        try:
            async with asyncio.timeout(timeout):  # not wait_for: see Wakeup.wait
                await asyncio.shield(future)
        except TimeoutError:
            reason = f"the read model did not reach it within {timeout:g} s"
            raise ProjectionBehind(position, reason) from None

    def _ensure_polling(self) -> None:
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll(), name="checkpoint-watch")

    async def _poll(self) -> None:
        """While anyone waits: listen, and read the checkpoints every POLL_SECONDS in case."""
        while self._waiters:
            await asyncio.sleep(POLL_SECONDS)
            if not self._waiters:
                return
            try:
                positions = await self._positions()
                if self._known is None:
                    self._known = positions
                for name, position in positions.items():
                    self.advance(name, position)
            except Exception as error:
                if not is_unavailable(error):
                    raise
                log.warning("checkpoint watch: database unavailable: %s", error)

    def listeners(self) -> dict[str, Listener]:
        """The channels to hear on a LISTEN session (the runner's), and what each one moves."""
        return {CHECKPOINTS: self._on_checkpoint, FAILURES: self._on_failure}

    def _on_checkpoint(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        name, _, position = str(payload).rpartition(":")
        with contextlib.suppress(ValueError):
            self.advance(name, int(position))

    def _on_failure(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        with contextlib.suppress(msgspec.DecodeError):
            failure = msgspec.json.decode(str(payload), type=Failure)
            if failure.name in self._names:
                self.failed(failure)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        for _, _, future in self._waiters:
            if not future.done():
                future.cancel()
        self._waiters.clear()
