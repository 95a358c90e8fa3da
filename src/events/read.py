"""Reading the log: one stream, or all of it, page by page in position order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from events.codec import Codec
from events.model import RecordedEvent
from events.sql import Connection, query

PAGE_SIZE = 2000
_MAX_VERSION = 2**31 - 1
_MAX_POSITION = 2**63 - 1


class LogFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which events of the log a read wants; None means no restriction."""

    stream_prefix: str | None = None
    types: Sequence[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None


def to_event(row: asyncpg.Record | tuple[Any, ...], codec: Codec) -> RecordedEvent:
    """A stored row as a RecordedEvent, its payload decoded (and upcast) by `codec`.

    The hot path of every replay: columns by index, in the order of the read queries.
    """
    position, stream_id, version, type_, data, metadata, recorded_at, hash_, event_id, schema = row
    value, schema_version = codec.decode(type_, schema, data)
    return RecordedEvent(
        position, stream_id, version, type_, value, metadata, recorded_at, hash_, event_id, schema_version
    )


async def read_stream_page(
    conn: Connection | asyncpg.Pool[Any],
    stream_id: str,
    from_version: int,
    to_version: int | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        query("events/read-stream"), stream_id, from_version, to_version or _MAX_VERSION, limit
    )


async def read_all_page(
    conn: Connection | asyncpg.Pool[Any],
    after: int,
    limit: int,
    where: LogFilter,
    up_to: int | None = None,
) -> list[asyncpg.Record]:
    """Rows after `after` (and at most `up_to`), at most `limit` of them, that match `where`."""
    types = list(where.types) if where.types is not None else None
    return await conn.fetch(
        query("events/read-all"),
        after,
        up_to if up_to is not None else _MAX_POSITION,
        where.stream_prefix,
        types,
        where.since,
        where.until,
        where.actor,
        limit,
    )


async def iterate_all(
    pool: asyncpg.Pool[Any],
    codec: Codec,
    after: int,
    limit: int | None,
    where: LogFilter,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[RecordedEvent]:
    """The log after `after`, up to `limit` events, fetched a page at a time."""
    remaining = limit if limit is not None else _MAX_POSITION
    while remaining > 0:
        rows = await read_all_page(pool, after, min(page_size, remaining), where)
        for row in rows:
            yield to_event(row, codec)
        if len(rows) < min(page_size, remaining):
            return
        remaining -= len(rows)
        after = rows[-1]["position"]
