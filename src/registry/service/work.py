"""The write engine: every command is a unit of work over one or several streams, appended
atomically or not at all, with one retry policy.

A commitment touches its own stream, its offer's and its plan's or need's; a revision of an offer
touches the offer's alone (`Registry.execute` is this engine on one stream). Each stream is read
once, its version remembered; events emitted are folded into the attempt's state at once, so a
second step on the same entity sees the first (an allocation that puts two slots on one offer).
The append then expects every version that was read: a concurrent change anywhere refuses the
whole append, and the unit is decided again on fresh state, so no capacity is committed twice
and no unconditional update is lost.

A stream's first look asks the store nothing when it can: a stream this process has folded is
taken from the state cache (`registry.service.states`) at the version kept there, and the
stream of an id the server has just drawn is taken as empty. The append expects those versions,
so what another process changed meanwhile makes the store refuse it, and the next attempt reads
the stream; a refusal decided on a cached state is given only once one query for the versions
says nothing moved (else it is decided again); that query is asked on the store's own look-up
connection, not in the pool's queue (`events.lookup`). In one process, where commands on a stream take
turns and every append lands in the cache, that spares a write every read of its streams.

How one command runs:

1. An earlier request with the same idempotency key is answered as it was (before any turn).
2. If another command of this process has (or waits for) the turn of one of its hot streams (the
   ones it names: a claim names its offer and its slot's plan or need), it decides first without
   the turn. A refusal (the capacity is gone) is the answer at once, once one query for the
   versions of every stream read says none moved: the state was real at that instant. So a
   claim that cannot succeed never queues behind the ones that can.
3. The turns of its hot streams, and of every stream the decision writes, are taken all at once
   (`registry.service.locks`: nobody holds one turn while waiting for another): commands on one
   stream in this process take turns instead of racing; only another process's write can make
   the append lose. A decision that writes a stream whose turn it does not hold (a release
   names its commitment, and writes its offer and plan too) takes that turn too if nobody has
   or wants it; else it is not appended, and the work is decided again with those turns.
4. Under the turns the work decides on its streams as the commands ahead of it in the queue
   left them: each is taken from the state cache where that is newer than the earlier look (no
   query: in one process, every append lands in the cache, so a turn is not held across a wait
   for a pooled connection); the append expects the versions taken. The turns are let go when
   the append returns, before the wait for the read model, or when the work refuses: that
   refusal is checked with one version query as in 2 once they are let go (if something moved,
   the work is decided again).
5. Lost (`WrongExpectedVersion`): a stream held to the request's If-Match is 412 at once; else a
   pause (`registry.service.retry`: exponential backoff, full jitter, bounded attempts), then
   the turns of every stream the lost attempt wrote, and the work is decided again. Another
   process raced it, so the streams as read are checked against the store: the one the append
   lost on is read again, the others only when one query for their versions says they moved
   too.
6. A domain error on the fresh state (the capacity is gone, the slot is full) is the answer at
   once: it is never retried. If a request with the same idempotency key landed meanwhile (two
   copies of one request queued behind each other), that one's answer is given instead.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from events import AppendResult, StreamAppend, WrongExpectedVersion
from registry.domain.errors import Conflict, NotFound, PreconditionFailed, RegistryError
from registry.domain.events import Event
from registry.service.context import Command
from registry.service.entity import Aggregate, Written
from registry.service.retry import WRITE_ATTEMPTS, WRITE_EARLY_REFUSALS, WRITE_RETRIES
from registry.service.states import fold_key
from registry.streams import entity_id, stream_id

if TYPE_CHECKING:
    from registry.service.execute import Registry

S = TypeVar("S")
T = TypeVar("T")


class _Read(NamedTuple):
    aggregate: Aggregate[Any]
    state: Any
    version: int


class UnitOfWork:
    """What one attempt read and emitted, and the streams as read, kept across attempts."""

    def __init__(self, registry: Registry, context: Command) -> None:
        self.registry = registry
        self.context = context
        # Each stream as read from the store: reused by a retry while its version still holds.
        self._read: dict[str, _Read] = {}
        # This attempt: each stream's state as read, then as the events emitted to it leave it.
        self._states: dict[str, Any] = {}
        self._emitted: dict[str, list[Event]] = {}
        self._conditional: set[str] = set()
        # Streams an append of this unit lost on, or found moved: read from the store from now on
        # (never presumed absent or taken from the state cache again).
        self._stale: set[str] = set()
        # Streams taken from the state cache without asking the store (see `load`).
        self._unchecked: set[str] = set()
        # Every stream folded from the store, in order, over all attempts.
        self.reads: list[str] = []

    def reset(self) -> None:
        """Forget everything read and emitted (to start the unit over on the store's state)."""
        self._stale.update(self._read)
        self._read.clear()
        self.begin_attempt()

    def begin_attempt(self) -> None:
        """Start an attempt: what was read is kept, what was decided is not."""
        self._states.clear()
        self._emitted.clear()
        self._conditional.clear()

    def version_of(self, aggregate: Aggregate[Any], key: uuid.UUID) -> int:
        """The version the entity was read at (it must have been loaded)."""
        return self._read[stream_id(aggregate.kind, key)].version

    def presume_absent(self, aggregate: Aggregate[Any], key: uuid.UUID) -> None:
        """Take the entity as having no events yet, without reading its stream.

        For an entity whose id the server has just drawn (uuid4, or derived from an idempotency
        key whose earlier request has not landed): reading its stream would find nothing, at the
        cost of one more wait for a pooled connection. The append expects the stream to be empty,
        so if it exists after all the store refuses the append, and the next attempt reads it.
        """
        stream = stream_id(aggregate.kind, key)
        if stream not in self._read and stream not in self._stale:
            self._read[stream] = _Read(aggregate, None, 0)

    async def load(self, aggregate: Aggregate[S], key: uuid.UUID) -> S | None:
        """The entity as this attempt has it: as first read, then as the events emitted leave it.

        A stream this process has folded is first taken from the state cache as it is, without
        asking the store whether it moved (one wait for a pooled connection less): the append
        expects the version it was taken at, so a stream another process moved meanwhile makes
        the store refuse it, and the next attempt reads it. A refusal decided on such a state is
        checked before it is given (`checked_refusal`).
        """
        stream = stream_id(aggregate.kind, key)
        if stream not in self._states:
            read = self._read.get(stream)
            if read is None:
                read = self._read[stream] = await self._first_read(aggregate, key, stream)
            self._states[stream] = read.state
        return self.state_of(aggregate, key)

    async def _first_read(self, aggregate: Aggregate[Any], key: uuid.UUID, stream: str) -> _Read:
        version, state = self.registry.states.latest(fold_key(aggregate.evolve, stream))
        if version > 0 and stream not in self._stale:
            self._unchecked.add(stream)
            return _Read(aggregate, state, version)
        self.reads.append(stream)
        return _Read(aggregate, *await self.registry.load(aggregate, key))

    async def checked_refusal(self) -> bool:
        """Whether a refusal of this attempt stands: True unless it was decided on a state taken
        from the cache that the store has moved past (then decide again on the fresh state)."""
        return not self._unchecked or await self.forget_moved()

    async def require(self, aggregate: Aggregate[S], key: uuid.UUID, conditional: bool = False) -> S:
        """The entity, or NotFound; `conditional` holds it to the request's If-Match."""
        state = await self.load(aggregate, key)
        if state is None:
            raise NotFound(aggregate.kind, key)
        if conditional:
            self.hold_to_if_match(aggregate, key)
        return state

    def hold_to_if_match(self, aggregate: Aggregate[Any], key: uuid.UUID) -> None:
        """412 unless the entity (loaded) is at the request's If-Match, now and when appended."""
        stream = stream_id(aggregate.kind, key)
        self._conditional.add(stream)
        version = self._read[stream].version
        if self.context.if_match is not None and self.context.if_match != version:
            raise PreconditionFailed(self.context.if_match, version)

    def emit(self, aggregate: Aggregate[Any], key: uuid.UUID, events: list[Event]) -> None:
        if not events:
            return
        stream = stream_id(aggregate.kind, key)
        if stream not in self._states:
            raise RuntimeError(f"{stream} was not loaded before events were emitted for it")
        state = self._states[stream]
        for event in events:
            state = aggregate.evolve(state, event)
        self._states[stream] = state
        self._emitted.setdefault(stream, []).extend(events)

    def state_of(self, aggregate: Aggregate[S], key: uuid.UUID) -> S | None:
        """The entity as this attempt left it (it must have been loaded)."""
        state: S | None = self._states[stream_id(aggregate.kind, key)]
        return state

    def appends(self) -> list[StreamAppend]:
        """What to append, streams in the order first emitted to (the primary entity's first)."""
        return [
            StreamAppend(
                stream, [self.registry.new_event(e, self.context) for e in events], self._read[stream].version
            )
            for stream, events in self._emitted.items()
        ]

    def written(self) -> list[str]:
        """The streams this attempt emitted to."""
        return list(self._emitted)

    def lost_on(self, lost: WrongExpectedVersion) -> None:
        """The append lost on `lost.stream_id`: 412 if the request held it to If-Match, else forget it."""
        if self.context.if_match is not None and lost.stream_id in self._conditional:
            raise PreconditionFailed(self.context.if_match, lost.actual) from None
        self._stale.add(lost.stream_id)
        read = self._read.pop(lost.stream_id, None)
        if read is not None:
            self.registry.states.behind(fold_key(read.aggregate.evolve, lost.stream_id))

    def catch_up_cached(self) -> None:
        """Take each stream as read at the state cache's version where that is newer (no query).

        After a wait for the turns: the commands ahead in the queue moved the streams, and each
        append of this process lands in the cache, so the cache has them as they left them. A
        stream this process moved without keeping its state (a keyed request) is read again. What
        another process changed meanwhile makes the append lose, and every stream counts as
        unchecked, so a refusal decided now is checked first (`checked_refusal`).
        """
        for stream, read in list(self._read.items()):
            key = fold_key(read.aggregate.evolve, stream)
            if self.registry.states.is_behind(key):
                del self._read[stream]  # the next load reads it from the store
                continue
            version, state = self.registry.states.get(key)
            if version > read.version:
                self._read[stream] = _Read(read.aggregate, state, version)
            self._unchecked.add(stream)

    async def forget_moved(self) -> bool:
        """Forget the streams that moved since they were read (one query for all their versions).

        A stream moved by this process's own appends is taken from the state cache at its new
        version instead, without reading it: under a turn that is the common case (the commands
        ahead in the queue moved it), and it keeps the turn from being held across those reads.
        True if none had moved: then every stream as read was the store's at the query's instant.
        """
        self._unchecked.clear()  # every stream kept is the store's as of the query below
        if not self._read:
            return True
        now = await self.registry.store.stream_versions(list(self._read))
        moved = [(stream, v) for stream, v in now.items() if v != self._read[stream].version]
        for stream, version in moved:
            aggregate = self._read[stream].aggregate
            known, state = self.registry.states.get(fold_key(aggregate.evolve, stream))
            if known == version:
                self._read[stream] = _Read(aggregate, state, version)
            else:
                del self._read[stream]
                self._stale.add(stream)
        return not moved

    def keep_landed(self, results: list[AppendResult]) -> None:
        """Let the state cache know the states this unit's appends left (one result per stream).

        Only when the append is certainly this unit's own: a keyed request may have been answered
        with the result of an earlier copy, whose events were decided on another state.
        """
        for (stream, events), result in zip(self._emitted.items(), results, strict=True):
            read = self._read[stream]
            key = fold_key(read.aggregate.evolve, stream)
            if self.context.scoped_key is None and result.version == read.version + len(events):
                self.registry.states.keep(key, result.version, self._states[stream])
            else:
                self.registry.states.behind(key)  # the next first look reads it from the store


class Landed(NamedTuple):
    """A unit of work whose appends landed (`results` empty when it decided nothing)."""

    primary: uuid.UUID
    unit: UnitOfWork
    results: list[AppendResult]


Work = Callable[[UnitOfWork], Awaitable[uuid.UUID]]


async def write(
    registry: Registry,
    context: Command,
    work: Work,
    hot_streams: Iterable[str],
    replay: Callable[[], Awaitable[T | None]],
    answer: Callable[[Landed], T],
) -> T:
    """Run `work` until its appends land on the versions it read (see the module's docstring).

    `work` returns its primary entity's id; `replay` answers a request whose idempotency key has
    landed before (None if it has not); `answer` turns what landed into the caller's result.
    """
    earlier = await replay()
    if earlier is not None:
        return earlier
    policy = registry.retry
    unit = UnitOfWork(registry, context)
    turns = set(hot_streams)
    try:
        # What may have moved the streams since they were read: nothing yet, this process's
        # commands (a wait for the turns), or another process (a lost append).
        moved_by = _MovedBy.NOBODY
        if not registry.locks.free(turns):
            # Someone has the turn: decide meanwhile; a sure refusal need not queue at all.
            turns.update(await _peek(unit, work))
            moved_by = _MovedBy.THIS_PROCESS
        losses = 0
        for attempt in range(policy.attempts):
            if attempt and losses:
                await asyncio.sleep(policy.pause(losses))
            outcome = await _attempt(unit, work, turns, moved_by)
            moved_by = _MovedBy.THIS_PROCESS
            if isinstance(outcome, _Wider):
                turns.update(outcome.streams)
                losses = 0  # nothing raced: no pause
                continue
            if isinstance(outcome, _Refused):
                if await unit.checked_refusal():
                    raise outcome.error
                losses = 0  # decided on a state gone by, nothing appended: decide again at once
                continue
            if isinstance(outcome, WrongExpectedVersion):
                WRITE_RETRIES.labels(outcome.stream_id.partition("-")[0]).inc()
                unit.lost_on(outcome)
                turns.update(unit.written())
                losses += 1
                moved_by = _MovedBy.ANOTHER_PROCESS
                continue
            primary, results = outcome
            unit.keep_landed(results)
            if not results:
                earlier = await _landed_meanwhile(context, replay)
                return earlier if earlier is not None else answer(Landed(primary, unit, []))
            await registry.runner.await_position(max(r.position for r in results))
            return answer(Landed(primary, unit, results))
    except RegistryError:
        # Out of the turns: a replay may wait for the read model.
        if (earlier := await _landed_meanwhile(context, replay)) is not None:
            return earlier
        raise
    raise Conflict(
        f"the entities kept changing while this was decided ({policy.attempts} attempts); try again"
    )


class _MovedBy(enum.Enum):
    """Who may have moved the streams of a unit since it read them, before an attempt."""

    NOBODY = enum.auto()  # the first attempt, straight after the first looks
    THIS_PROCESS = enum.auto()  # the commands ahead in the turns' queue: the state cache has it
    ANOTHER_PROCESS = enum.auto()  # an append lost: ask the store what moved


class _Wider(NamedTuple):
    """The work wrote streams whose turns it did not hold: nothing appended, try again with them."""

    streams: list[str]


class _Refused(NamedTuple):
    """The work refused under the turns: the refusal is checked once they are let go."""

    error: RegistryError


async def _peek(unit: UnitOfWork, work: Work) -> list[str]:
    """Decide without the turns; the streams the decision writes (their turns are needed too).

    A refusal (capacity gone, slot full, 404, 412) is the answer at once if every stream read
    is still at the version read (one query): the state decided on was then the registry's state
    at that query's instant, so the refusal is what a turn taken at that instant would have
    answered too. If something moved meanwhile, the refusal is forgotten and the work queues.
    """
    unit.begin_attempt()
    try:
        await work(unit)
    except RegistryError:
        if await unit.forget_moved():
            WRITE_EARLY_REFUSALS.inc()
            raise
        return []
    return unit.written()


async def _attempt(
    unit: UnitOfWork, work: Work, turns: set[str], moved_by: _MovedBy
) -> tuple[uuid.UUID, list[AppendResult]] | WrongExpectedVersion | _Wider | _Refused:
    """Decide and append once, holding `turns` until the append returns (no results: nothing decided).

    A refusal is returned, not raised: checking it may take a version query, and a turn is never
    held across a wait for a pooled connection.
    """
    registry, context = unit.registry, unit.context
    async with registry.locks.hold(turns) as held:
        if moved_by is _MovedBy.THIS_PROCESS:
            unit.catch_up_cached()
        elif moved_by is _MovedBy.ANOTHER_PROCESS:
            await unit.forget_moved()
        unit.begin_attempt()
        WRITE_ATTEMPTS.inc()
        try:
            primary = await work(unit)
        except RegistryError as refused:
            return _Refused(refused)
        appends = unit.appends()
        if not appends:
            return primary, []
        if not held.extend(unit.written()):
            # Appending now could race a command of this process that has one of those turns.
            return _Wider(unit.written())
        try:
            return primary, await registry.store.append_many(appends, context.scoped_key, context.fingerprint)
        except WrongExpectedVersion as lost:
            return lost


async def _landed_meanwhile(context: Command, replay: Callable[[], Awaitable[T | None]]) -> T | None:
    """A copy of this request (same key) that landed while this one queued: answer as it was."""
    return await replay() if context.scoped_key is not None else None


async def run(
    registry: Registry, context: Command, work: Work, hot_streams: Iterable[str] = ()
) -> Written[None]:
    """Run `work` as one unit of work; `hot_streams` (that others write too) are locked from the start."""

    async def replay() -> Written[None] | None:
        earlier = await registry.earlier_append(context)
        if earlier is None:
            return None
        stream, result = earlier[0]
        return Written(entity_id(stream), None, result.version, max(r.position for _, r in earlier))

    def answer(landed: Landed) -> Written[None]:
        if not landed.results:
            return Written(landed.primary, None, 0, None)
        results = landed.results
        return Written(landed.primary, None, results[0].version, max(r.position for r in results))

    return await write(registry, context, work, hot_streams, replay, answer)
