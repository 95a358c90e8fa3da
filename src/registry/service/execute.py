"""The write side's face: `Registry` holds the store, the runner and the pools, and runs commands.

`execute` runs a command on one entity as a unit of work over its one stream, through the same
engine as every multi-stream command (`registry.service.work`): optimistic concurrency end to end,
the append expecting the version the decision was made on. With If-Match the caller named that
version, and a mismatch is theirs to resolve (412, never retried); without it we decide again on
the fresh state, so no update is ever lost, only re-judged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sysconfig
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import asyncpg

from events import AppendResult, EventStore, IdempotencyKeyReused, Metadata, NewEvent
from events.runner import ProjectionRunner
from registry.domain.errors import NotFound
from registry.domain.events import Event, tag_of
from registry.read.fresh import FreshDocs
from registry.read.replica import ReadSide
from registry.service.context import Clock, Command, wall_clock
from registry.service.entity import Aggregate, Written
from registry.service.locks import StreamLocks
from registry.service.retry import RETRY, RetryPolicy
from registry.service.states import StateCache, fold_key
from registry.service.work import Landed, UnitOfWork, write
from registry.streams import stream_id

__all__ = ["Aggregate", "Registry", "Written"]

log = logging.getLogger(__name__)
# How long a shutdown waits for the runner and the pools before it terminates the connections.
CLOSE_GRACE_SECONDS = 10.0
S = TypeVar("S")
# Where the frames that say nothing of who holds a connection live (asyncio's, asyncpg's).
_NOT_OURS = tuple(sysconfig.get_paths()[name] for name in ("stdlib", "purelib", "platlib"))


def outstanding(pools: dict[str, asyncpg.Pool[Any]]) -> str:
    """What a shutdown still waits for: each pool's connections in use, and every other task of
    the loop with the line it waits at (the one holding a connection among them)."""
    in_use = [
        f"{name} pool: {pool.get_size() - pool.get_idle_size()} of {pool.get_size()} connections in use"
        for name, pool in pools.items()
    ]
    current = asyncio.current_task()
    tasks = [_where(task) for task in asyncio.all_tasks() if task is not current and not task.done()]
    return "; ".join([*in_use, *(tasks or ["no other task"])])


def _where(task: asyncio.Task[Any]) -> str:
    """The task's name and the innermost line of ours (not the standard library's, not a
    package's) its coroutines wait at: a suspended task's stack is its outermost frame alone, so
    the chain of awaited coroutines is walked instead."""
    awaited: Any = task.get_coro()
    frames = []
    while getattr(awaited, "cr_frame", None) is not None:
        frames.append(awaited.cr_frame)
        awaited = awaited.cr_await
    ours = [f for f in frames if not f.f_code.co_filename.startswith(_NOT_OURS)]
    if not (ours or frames):
        return f"task {task.get_name()}"
    frame = (ours or frames)[-1]
    return f"task {task.get_name()} at {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


class Registry:
    """The write side: commands in, events appended, read model brought up to date."""

    def __init__(
        self,
        store: EventStore,
        runner: ProjectionRunner,
        list_pool: asyncpg.Pool[Any],
        reads: ReadSide,
        clock: Clock = wall_clock,
        fresh: FreshDocs | None = None,
    ) -> None:
        self.store = store
        self.runner = runner
        # Read-model lists the write side needs run here (custom plans, on the primary).
        self.list_pool = list_pool
        # Where the API's lists, boards and reports run: this pool, or a standby's.
        self.reads = reads
        # Commands on one stream in this process take turns; only other processes race them.
        self.locks = StreamLocks()
        self.states = StateCache()
        self.retry: RetryPolicy = RETRY
        self.clock = clock
        # The documents this process's leader has just made, for the answers of writes.
        self.fresh = fresh if fresh is not None else FreshDocs()

    async def close(self, grace_seconds: float = CLOSE_GRACE_SECONDS) -> None:
        """Stop the runner and close the pools; what has not closed within the grace is terminated.

        A graceful pool close waits for every connection to be given back: one that never is (a
        leak) would hold the process's shutdown for ever. Seen in the tests, rarely, after the
        test client's last request, and not found yet: so the wait is bounded, and the warning
        names what was still out (connections in use, tasks and where each one waits), so that
        the next time it happens says where the leak is.
        """
        pools = {"write": self.store.pool, "list": self.list_pool}
        if self.reads.pool is not self.list_pool:
            pools["read"] = self.reads.pool
        closing = asyncio.get_running_loop().create_task(self._close(), name="registry-close")
        try:
            done, _ = await asyncio.wait({closing}, timeout=grace_seconds)
            if closing in done:
                closing.result()  # its error, if it failed
                return
            # Told before the close is cancelled: a cancelled pool close terminates the pool,
            # and what held it would no longer show.
            log.warning(
                "the registry did not close within %s s: terminating its pools; still out: %s",
                grace_seconds, outstanding(pools),
            )  # fmt: skip
        finally:
            if not closing.done():
                closing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await closing
        for pool in pools.values():
            pool.terminate()

    async def _close(self) -> None:
        await self.runner.stop()
        await self.list_pool.close()
        if self.reads.pool is not self.list_pool:
            await self.reads.pool.close()
        await self.store.close()

    async def load(self, aggregate: Aggregate[Any], entity_id: uuid.UUID) -> tuple[Any, int]:
        """The entity's state (None if absent) and version, folded from its stream.

        Only the events after the version this process last folded are read (service.states).
        """
        stream = stream_id(aggregate.kind, entity_id)
        key = fold_key(aggregate.evolve, stream)
        version, state = self.states.get(key)
        async for recorded in self.store.read_stream(stream, from_version=version + 1):
            state = aggregate.evolve(state, recorded.data)
            version = recorded.version
        self.states.keep(key, version, state)
        return state, version

    async def stream_exists(self, stream: str) -> bool:
        """Whether the stream has an event: a yes is kept, a no is asked again every time.

        A stream's events are never removed, so once seen it exists for good. Submitting an offer
        or raising a need asks this of its unit, and under load every question is another wait
        for a pooled connection (~90 ms at p50 under `bench.load`).
        """
        key = ("exists", stream)
        if self.states.get(key)[0] > 0:
            return True
        version = await self.store.stream_version(stream)
        if version > 0:
            self.states.keep(key, version, True)
        return version > 0

    async def execute(
        self,
        aggregate: Aggregate[S],
        entity_id: uuid.UUID,
        command: Any,
        context: Command,
        authorize: Callable[[S], None] | None = None,
        creates: bool = False,
    ) -> Written[S]:
        """Decide `command` against the entity and append what it decides.

        `authorize` sees the current state before anything is decided; `creates` says the
        command makes the entity (so its absence is expected, not a 404, and its stream is not
        read first: see `UnitOfWork.presume_absent`).
        """
        stream = stream_id(aggregate.kind, entity_id)

        async def decide(unit: UnitOfWork) -> uuid.UUID:
            if creates and context.if_match is None:
                unit.presume_absent(aggregate, entity_id)
            state = await unit.load(aggregate, entity_id)
            if state is None and not creates:
                raise NotFound(aggregate.kind, entity_id)
            if state is not None and authorize is not None:
                authorize(state)
            unit.hold_to_if_match(aggregate, entity_id)
            unit.emit(aggregate, entity_id, aggregate.decide(state, command))
            return entity_id

        def answer(landed: Landed) -> Written[S]:
            state = landed.unit.state_of(aggregate, entity_id)
            assert state is not None, "a command on a missing entity always decides something"
            if not landed.results:
                return Written(entity_id, state, landed.unit.version_of(aggregate, entity_id), None)
            result = landed.results[0]
            return Written(entity_id, state, result.version, result.position)

        async def replay() -> Written[S] | None:
            return await self._replay(aggregate, entity_id, context)

        return await write(self, context, decide, [stream], replay, answer)

    async def _replay(
        self, aggregate: Aggregate[S], entity_id: uuid.UUID, context: Command
    ) -> Written[S] | None:
        """A retried request (same idempotency key) gets the entity as the first one left it."""
        earlier = await self.earlier_append(context)
        if earlier is None:
            return None
        stream, result = earlier[0]
        state: S | None = None
        async for recorded in self.store.read_stream(stream, to_version=result.version):
            state = aggregate.evolve(state, recorded.data)
        assert state is not None
        return Written(entity_id, state, result.version, result.position)

    async def earlier_append(self, context: Command) -> list[tuple[str, AppendResult]] | None:
        """Where the first request with this idempotency key landed, per stream (None if new).

        A different request under the same key is refused; without a fingerprint (a caller in
        this process, owning its keys) the key alone decides.
        """
        key = context.scoped_key
        if key is None:
            return None
        earlier = await self.store.idempotent_result(key)
        if earlier is None:
            return None
        if context.fingerprint is not None and earlier.fingerprint != context.fingerprint:
            raise IdempotencyKeyReused(key)
        # The first request may have been recorded and then lost the database before the read
        # model followed (it was answered 503): the retry's answer is read from the read model.
        await self.runner.await_position(max(result.position for _, result in earlier.streams))
        return earlier.streams

    @staticmethod
    def new_event(event: Event, context: Command) -> NewEvent:
        metadata = Metadata(
            actor=context.actor.subject,
            role=context.actor.role.value,
            correlation_id=context.correlation_id,
            request_id=context.request_id,
        )
        return NewEvent(type=tag_of(event), data=event, metadata=metadata)
