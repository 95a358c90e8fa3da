"""Units of work: one decision across several streams, appended atomically or not at all.

A commitment touches its own stream, its offer's and its plan's or need's. Each stream is read
once, its version remembered; events emitted are folded into the cached state at once, so a
second step on the same entity sees the first (an allocation that puts two slots on one offer).
The append then expects every version that was read: a concurrent change anywhere makes the
whole unit run again on fresh state, so no capacity is ever committed twice.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from events import StreamAppend, WrongExpectedVersion
from registry.domain.errors import Conflict, NotFound, PreconditionFailed
from registry.domain.events import Event
from registry.service.context import Command
from registry.service.execute import Aggregate, Registry, Written
from registry.streams import entity_id, stream_id

S = TypeVar("S")
# Contention is expected (thirty liaisons claiming the last places of one offer): every lost
# race means another request won, so a request loses at most as often as capacity is taken.
ATTEMPTS = 40


class UnitOfWork:
    def __init__(self, registry: Registry, context: Command) -> None:
        self.registry = registry
        self.context = context
        self._states: dict[str, Any] = {}
        self._versions: dict[str, int] = {}
        self._aggregates: dict[str, Aggregate[Any]] = {}
        self._emitted: dict[str, list[Event]] = {}

    def reset(self) -> None:
        """Forget everything read and emitted (to start the unit over on fresh state)."""
        self._states.clear()
        self._versions.clear()
        self._aggregates.clear()
        self._emitted.clear()

    def version_of(self, aggregate: Aggregate[Any], key: uuid.UUID) -> int:
        """The version the entity was read at (it must have been loaded)."""
        return self._versions[stream_id(aggregate.kind, key)]

    async def load(self, aggregate: Aggregate[S], key: uuid.UUID) -> S | None:
        stream = stream_id(aggregate.kind, key)
        if stream not in self._versions:
            self._states[stream], self._versions[stream] = await self.registry.load(aggregate, key)
            self._aggregates[stream] = aggregate
        state: S | None = self._states[stream]
        return state

    async def require(self, aggregate: Aggregate[S], key: uuid.UUID, conditional: bool = False) -> S:
        """The entity, or NotFound; `conditional` holds it to the request's If-Match."""
        state = await self.load(aggregate, key)
        if state is None:
            raise NotFound(aggregate.kind, key)
        version = self._versions[stream_id(aggregate.kind, key)]
        if conditional and self.context.if_match is not None and self.context.if_match != version:
            raise PreconditionFailed(self.context.if_match, version)
        return state

    def emit(self, aggregate: Aggregate[Any], key: uuid.UUID, events: list[Event]) -> None:
        if not events:
            return
        stream = stream_id(aggregate.kind, key)
        if stream not in self._versions:
            raise RuntimeError(f"{stream} was not loaded before events were emitted for it")
        state = self._states[stream]
        for event in events:
            state = aggregate.evolve(state, event)
        self._states[stream] = state
        self._emitted.setdefault(stream, []).extend(events)

    def appends(self) -> list[StreamAppend]:
        """What to append, streams in the order first emitted to (the primary entity's first)."""
        return [
            StreamAppend(
                stream, [self.registry.new_event(e, self.context) for e in events], self._versions[stream]
            )
            for stream, events in self._emitted.items()
        ]


Work = Callable[[UnitOfWork], Awaitable[uuid.UUID]]


async def run(registry: Registry, context: Command, work: Work, attempts: int = ATTEMPTS) -> Written[None]:
    """Run `work` until its appends land on the versions it read; it returns its primary entity's id."""
    replay = await _replay(registry, context)
    if replay is not None:
        return replay
    for attempt in range(attempts):
        unit = UnitOfWork(registry, context)
        primary = await work(unit)
        appends = unit.appends()
        if not appends:
            return Written(primary, None, 0, None)
        try:
            results = await registry.store.append_many(appends, context.scoped_key, context.fingerprint)
        except WrongExpectedVersion:
            # Spread the retries of requests that raced for the same entity.
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311 — jitter, not secrecy
            continue
        await registry.runner.await_position(max(r.position for r in results))
        return Written(primary, None, results[0].version, max(r.position for r in results))
    raise Conflict("the entities kept changing while this was decided; try again")


async def _replay(registry: Registry, context: Command) -> Written[None] | None:
    earlier = await registry.earlier_append(context)
    if earlier is None:
        return None
    stream, result = earlier[0]
    return Written(entity_id(stream), None, result.version, max(r.position for _, r in earlier))
