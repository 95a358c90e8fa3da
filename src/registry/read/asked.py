"""The time a read asks about: now for a current read, the position's recorded time for one `as_of`.

What depends on time without an event (an offer expires at the end of its `valid_until`) is
derived from it, so a read as of an earlier position shows what was true then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from events.sql import Connection, query

# Before the first event nothing has expired.
BEFORE_ANY_EVENT = datetime(1970, 1, 1, tzinfo=UTC)


async def asked_time(
    conn: Connection | asyncpg.Pool[Any], as_of: int | None, now: datetime | None
) -> datetime:
    """`now` (the wall clock if None) for a current read; as of a position, the time it was recorded."""
    if as_of is None:
        return now if now is not None else datetime.now(UTC)
    recorded: datetime | None = await conn.fetchval(query("registry/time-at"), as_of)
    return recorded if recorded is not None else BEFORE_ANY_EVENT
