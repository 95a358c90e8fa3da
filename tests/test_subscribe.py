"""Subscriptions: catch up, then follow live; woken by NOTIFY, kept honest by polling."""

from __future__ import annotations

import asyncio

from events import EventStore, RecordedEvent
from events.read import LogFilter
from events.subscription import follow
from tests.helpers import ev


async def _next(iterator: object, timeout: float = 5.0) -> RecordedEvent:
    return await asyncio.wait_for(iterator.__anext__(), timeout)  # type: ignore[attr-defined]


async def test_subscribe_catches_up_then_follows_live(store: EventStore) -> None:
    await store.append("s", [ev(1), ev(2)])
    stream = store.subscribe(after=0, poll_interval=60)
    assert [(await _next(stream)).position for _ in range(2)] == [1, 2]
    await store.append("s", [ev(3)])
    # The poll interval is a minute: only the notification can deliver this in time.
    live = await _next(stream, timeout=5)
    assert (live.position, live.data) == (3, {"n": 3})
    await stream.aclose()  # type: ignore[attr-defined]


async def test_subscribe_after_a_position_starts_there(store: EventStore) -> None:
    await store.append("s", [ev(i) for i in range(5)])
    stream = store.subscribe(after=3)
    assert (await _next(stream)).position == 4
    await stream.aclose()  # type: ignore[attr-defined]


async def test_subscribe_reconnects_a_dropped_listener(store: EventStore) -> None:
    stream = store.subscribe(after=0, poll_interval=60)
    await store.append("s", [ev(1)])
    assert (await _next(stream)).position == 1
    killed = await store.pool.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
    )
    assert killed == 1
    await asyncio.sleep(0.2)
    await store.append("s", [ev(2)])
    assert (await _next(stream, timeout=5)).position == 2
    await store.append("s", [ev(3)])
    assert (await _next(stream, timeout=5)).position == 3
    listening = await store.pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()"
    )
    assert listening == 1
    await stream.aclose()  # type: ignore[attr-defined]


async def test_polling_delivers_even_without_notifications(store: EventStore) -> None:
    # Listening on a channel nobody notifies: only the poll can find new events.
    deaf = store.wakeup(channel="nobody-notifies-this")
    stream = follow(store.pool, deaf, store.codec, 0, LogFilter(), poll_interval=0.1)
    consumer = asyncio.create_task(_next(stream, timeout=5))
    await asyncio.sleep(0.3)
    await store.append("quiet", [ev(1)])
    event = await consumer
    assert event.stream_id == "quiet"
    await stream.aclose()


async def test_subscribe_filters_by_stream_prefix(store: EventStore) -> None:
    await store.append("plan-1", [ev(1)])
    await store.append("offer-1", [ev(2)])
    stream = store.subscribe(stream_prefix="offer-")
    assert (await _next(stream)).stream_id == "offer-1"
    await stream.aclose()  # type: ignore[attr-defined]
