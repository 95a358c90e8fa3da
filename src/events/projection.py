"""Projections: read models kept by handlers that run in the same transaction as their checkpoint.

A projection owns one PostgreSQL schema. Its handlers write unqualified table names, and the
runner points `search_path` at the schema they should write to: the live one, or a shadow one
while rebuilding or checking. A handler that fails rolls back its whole batch, read model and
checkpoint together, so the two never disagree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping

import msgspec

from events.codec import Codec
from events.model import RecordedEvent
from events.read import LogFilter, read_all_page, to_event
from events.sql import Connection, query

Handler = Callable[[Connection, RecordedEvent], Awaitable[None]]


class Projection:
    """A named read model: its schema, the DDL of its tables, and a handler per event type."""

    def __init__(self, name: str, schema: str, ddl: str, handlers: Mapping[str, Handler]) -> None:
        if not name or not schema:
            raise ValueError("a projection needs a name and a schema")
        self.name = name
        self.schema = schema
        self.ddl = ddl
        self.handlers = dict(handlers)
        # A changed DDL means the stored read model no longer fits the code: rebuild it.
        self.schema_hash = hashlib.sha256(ddl.encode()).hexdigest()

    @property
    def types(self) -> list[str]:
        return sorted(self.handlers)


class Difference(msgspec.Struct, frozen=True):
    """A table whose live rows and rebuilt rows differ."""

    table: str
    only_in_live: int
    only_in_rebuild: int


async def create_schema(conn: Connection, projection: Projection, schema: str) -> None:
    """(Re)create `schema` and the projection's tables in it; runs in the caller's transaction."""
    await conn.execute(query("events/schema-drop"), schema)
    await conn.execute(query("events/schema-create"), schema)
    await conn.execute(query("events/search-path"), schema)
    await conn.execute(projection.ddl)


async def apply_batch(
    conn: Connection,
    projection: Projection,
    codec: Codec,
    schema: str,
    after: int,
    batch_size: int,
    up_to: int | None = None,
) -> int:
    """Apply the events after `after` (at most `batch_size` handled ones) to `schema`.

    Runs in the caller's transaction; returns the position the read model has reached, which is
    the log head (or `up_to`, if lower) when fewer than `batch_size` handled events remained.
    """
    head: int = await conn.fetchval(query("events/head-position"))
    if up_to is not None:
        head = min(head, up_to)
    if head <= after:
        return after
    rows = await read_all_page(conn, after, batch_size, LogFilter(types=projection.types), up_to=head)
    await conn.execute(query("events/search-path"), schema)
    for row in rows:
        event = to_event(row, codec)
        await projection.handlers[event.type](conn, event)
    return rows[-1]["position"] if len(rows) == batch_size else head


async def schema_differences(conn: Connection, live: str, candidate: str) -> list[Difference]:
    rows = await conn.fetch(query("events/schema-differences"), live, candidate)
    return [Difference(r["table_name"], r["only_in_live"], r["only_in_candidate"]) for r in rows]
