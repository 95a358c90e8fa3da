"""The write path's version look-ups run on a connection of the store's own (events.lookup): not
in the pool's queue, and one lost under them is replaced without the caller seeing it."""

from __future__ import annotations

import asyncio
import threading

import asyncpg
import pytest

from events import NO_STREAM, EventStore
from tests.helpers import ev


async def _lane_pid(store: EventStore) -> int:
    (row,) = await store.lookups.fetch("SELECT pg_backend_pid() AS pid")
    return int(row["pid"])


async def _terminate(dsn: str, pid: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_terminate_backend($1, 10000)", pid)
    finally:
        await conn.close()


async def test_versions_are_answered_while_every_pooled_connection_is_busy(database_dsn: str) -> None:
    store = await EventStore.connect(database_dsn, min_size=1, max_size=1)
    try:
        await store.append("a", [ev(1)], NO_STREAM)
        async with store.pool.acquire(), asyncio.timeout(5):  # a reader holds the only one
            assert await store.stream_versions(["a", "b"]) == {"a": 1, "b": 0}
    finally:
        await store.close()


@pytest.mark.parametrize("goodbye_read", [True, False], ids=["goodbye-read", "goodbye-unread"])
async def test_a_lost_lookup_connection_is_replaced_and_the_question_asked_again(
    database_dsn: str, goodbye_read: bool
) -> None:
    store = await EventStore.connect(database_dsn, min_size=1, max_size=1)
    admin = await asyncpg.connect(database_dsn)
    try:
        await store.append("a", [ev(1)], NO_STREAM)
        lost = await _lane_pid(store)
        if goodbye_read:
            await admin.execute("SELECT pg_terminate_backend($1, 10000)", lost)
            await asyncio.sleep(0.2)  # the client has seen the session end
        else:
            # Ended from another thread while this loop stands still: the lane's session still
            # looks open to it when the next question is sent.
            terminate = threading.Thread(target=asyncio.run, args=(_terminate(database_dsn, lost),))
            terminate.start()
            terminate.join()
        # Unread, the question goes out on the dead session, fails, and is asked on a new one.
        assert await store.stream_versions(["a"]) == {"a": 1}
        assert await _lane_pid(store) != lost
    finally:
        await admin.close()
        await store.close()
