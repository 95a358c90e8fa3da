"""Projections: read models kept by handlers that run in the same transaction as their checkpoint.

A projection owns one PostgreSQL schema. Its handlers write unqualified table names, and the
runner points `search_path` at the schema they should write to: the live one, or a shadow one
while rebuilding or checking. A handler that fails rolls back its whole batch, read model and
checkpoint together, so the two never disagree.

A projection takes its events one at a time (`handlers`, one per type) or a page at a time
(`apply`, which sees every event of the page it handles, in order): the second lets it fold a
page in memory and write each table's rows set-based. A projection may also bring a `build` of
its own for filling an empty schema (rebuild, check), which remembers what it made instead of
reading it back, so that one page is folded while the one before it is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Protocol

import msgspec

from events.codec import Codec
from events.model import RecordedEvent
from events.read import to_event
from events.sql import Connection, query

Handler = Callable[[Connection, RecordedEvent], Awaitable[None]]
BatchHandler = Callable[[Connection, Sequence[RecordedEvent]], Awaitable[None]]
# The checkpoint a committed batch moved from, and the one it moved to.
Committed = Callable[[int, int], None]


class PageWrites(Protocol):
    """What a page of events made, to be written in the caller's transaction."""

    async def write(self, conn: Connection) -> None: ...


class Build(Protocol):
    """A projection's own build of an empty schema from the start of the log.

    It remembers every entity it has made, so folding needs no reads of the schema, and a page
    can be folded while the one before it is still being written.
    """

    def add(self, events: Sequence[RecordedEvent]) -> None:
        """Fold more of the page's events."""
        ...

    def take(self) -> PageWrites:
        """What the page's events made; the next `add` begins the next page."""
        ...


class Projection:
    """A named read model: its schema, the DDL of its tables, and how it takes its events.

    Either `handlers` (one per event type, called event by event) or `apply` with the `types` it
    takes (called once per page with that page's events of those types). `committed` hears of
    each batch the runner commits (the positions it moved the checkpoint from and to): what the
    last `apply` made is then in the schema for good.
    """

    def __init__(
        self,
        name: str,
        schema: str,
        ddl: str,
        handlers: Mapping[str, Handler] | None = None,
        *,
        apply: BatchHandler | None = None,
        types: Collection[str] = (),
        build: Callable[[], Build] | None = None,
        committed: Committed | None = None,
    ) -> None:
        if not name or not schema:
            raise ValueError("a projection needs a name and a schema")
        if (handlers is None) == (apply is None):
            raise ValueError("a projection takes its events by handlers or by apply, not both")
        self.name = name
        self.schema = schema
        self.ddl = ddl
        self.handlers = dict(handlers or {})
        self.apply = apply if apply is not None else self._apply_each
        self.types = sorted(self.handlers) if handlers is not None else sorted(types)
        # Optional: how to fill an empty schema fast (rebuild, check); `apply` does it otherwise.
        self.build = build
        # Optional: told by the runner once a batch's transaction has committed, before anyone
        # waiting for its positions is woken (what the batch's `apply` made is now the schema's).
        self.committed = committed
        # A changed DDL means the stored read model no longer fits the code: rebuild it.
        self.schema_hash = hashlib.sha256(ddl.encode()).hexdigest()

    async def _apply_each(self, conn: Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            await self.handlers[event.type](conn, event)


class Difference(msgspec.Struct, frozen=True):
    """A table whose live rows and rebuilt rows differ."""

    table: str
    only_in_live: int
    only_in_rebuild: int


async def create_schema(conn: Connection, projection: Projection, schema: str) -> None:
    """(Re)create `schema` and the projection's tables in it; runs in the caller's transaction."""
    await conn.execute(query("events/schema-drop"), schema)
    await conn.execute(query("events/schema-create"), schema)
    await conn.execute(query("events/projection-transaction"), schema)
    await conn.execute(projection.ddl)


async def apply_batch(
    conn: Connection,
    projection: Projection,
    codec: Codec,
    after: int,
    batch_size: int,
    up_to: int | None = None,
) -> int:
    """Apply the events after `after` (at most `batch_size` handled ones) to the projection's schema.

    Runs in the caller's transaction, which has been set up to write the schema (the runner's
    projection-batch-lock, or projection-transaction); returns the position the read model has
    reached, which is the log head (or `up_to`, if lower) when fewer than `batch_size` handled
    events remained.
    """
    types = list(projection.types) if projection.types is not None else None
    rows = await conn.fetch(query("events/projection-page"), after, _up_to(up_to), types, batch_size)
    head: int = rows[0]["head"]
    if head <= after:
        return after
    if rows[0]["position"] is None:  # nothing of the projection's between `after` and the head
        await projection.apply(conn, [])
        return head
    await projection.apply(conn, [to_event(row[:_EVENT_COLUMNS], codec) for row in rows])
    return rows[-1]["position"] if len(rows) == batch_size else head


def _up_to(position: int | None) -> int:
    return position if position is not None else 2**63 - 1


# projection-page's columns: an event's, as to_event takes them, then the head.
_EVENT_COLUMNS = 10


async def apply_events(
    conn: Connection, projection: Projection, schema: str, events: Sequence[RecordedEvent]
) -> None:
    """Apply `events` (already read, in order) to `schema`, in the caller's transaction."""
    await conn.execute(query("events/projection-transaction"), schema)
    await projection.apply(conn, events)


async def schema_differences(conn: Connection, live: str, candidate: str) -> list[Difference]:
    rows = await conn.fetch(query("events/schema-differences"), live, candidate)
    return [Difference(r["table_name"], r["only_in_live"], r["only_in_candidate"]) for r in rows]
