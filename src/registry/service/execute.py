"""Running a command: load the entity from its stream, decide, append, project.

Optimistic concurrency end to end: the append expects the version the decision was made on. With
If-Match the caller named that version, and a mismatch is theirs to resolve (412); without it we
decide again on the fresh state, so no update is ever lost, only re-judged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import asyncpg
import msgspec

from events import AppendResult, EventStore, IdempotencyKeyReused, Metadata, NewEvent, WrongExpectedVersion
from events.runner import ProjectionRunner
from registry.domain.errors import Conflict, NotFound, PreconditionFailed
from registry.domain.events import Event, tag_of
from registry.read.replica import ReadSide
from registry.service.context import Command
from registry.streams import Kind, stream_id

S = TypeVar("S")
ATTEMPTS = 5


class Aggregate(msgspec.Struct, Generic[S], frozen=True):
    """How one kind of entity is rebuilt from its events and judged."""

    kind: Kind
    # Typed loosely on input: each module's evolve takes its own state type.
    evolve: Callable[[Any, Event], S | None]
    decide: Callable[[Any, Any], list[Event]]


class Written(msgspec.Struct, Generic[S], frozen=True):
    """The outcome of a command: the entity's state and version, and the log position reached."""

    entity_id: uuid.UUID
    state: S
    version: int
    position: int | None


class Registry:
    """The write side: commands in, events appended, read model brought up to date."""

    def __init__(
        self, store: EventStore, runner: ProjectionRunner, list_pool: asyncpg.Pool[Any], reads: ReadSide
    ) -> None:
        self.store = store
        self.runner = runner
        # Read-model lists the write side needs run here (custom plans, on the primary).
        self.list_pool = list_pool
        # Where the API's lists, boards and reports run: this pool, or a standby's.
        self.reads = reads

    async def close(self) -> None:
        await self.runner.stop()
        await self.list_pool.close()
        if self.reads.pool is not self.list_pool:
            await self.reads.pool.close()
        await self.store.close()

    async def load(self, aggregate: Aggregate[Any], entity_id: uuid.UUID) -> tuple[Any, int]:
        """The entity's state (None if absent) and version, folded from its stream."""
        state: Any = None
        version = 0
        async for recorded in self.store.read_stream(stream_id(aggregate.kind, entity_id)):
            state = aggregate.evolve(state, recorded.data)
            version = recorded.version
        return state, version

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
        command makes the entity (so its absence is expected, not a 404).
        """
        replay = await self._replay(aggregate, entity_id, context)
        if replay is not None:
            return replay
        for _ in range(ATTEMPTS):
            state, version = await self.load(aggregate, entity_id)
            if state is None and not creates:
                raise NotFound(aggregate.kind, entity_id)
            if state is not None and authorize is not None:
                authorize(state)
            if context.if_match is not None and context.if_match != version:
                raise PreconditionFailed(context.if_match, version)
            events = aggregate.decide(state, command)
            if not events:
                assert state is not None, "a command on a missing entity always decides something"
                return Written(entity_id, state, version, None)
            try:
                result = await self.store.append(
                    stream_id(aggregate.kind, entity_id),
                    [self.new_event(e, context) for e in events],
                    expected_version=version,
                    idempotency_key=context.scoped_key,
                    fingerprint=context.fingerprint,
                )
            except WrongExpectedVersion as conflict:
                if context.if_match is not None:
                    raise PreconditionFailed(context.if_match, conflict.actual) from None
                continue
            await self.runner.await_position(result.position)
            return Written(entity_id, _fold(aggregate, state, events), result.version, result.position)
        raise Conflict("the entity kept changing while this command was decided; try again")

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


def _fold(aggregate: Aggregate[S], state: S | None, events: list[Event]) -> S:
    for event in events:
        state = aggregate.evolve(state, event)
    assert state is not None, "what was just decided leaves the entity in being"
    return state
