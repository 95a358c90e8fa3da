"""Subscriptions: catch up, then follow live; woken by NOTIFY, kept honest by polling."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import warnings

import pytest

from events import EventStore, RecordedEvent
from events.read import LogFilter
from events.subscription import Wakeup, follow
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


async def test_a_listener_cancelled_while_it_opens_leaves_no_session_behind(database_dsn: str) -> None:
    """A follower stopped while its LISTEN session is still being set up closes that session.

    Cancelled at every point of the opening in turn (spread over one whole opening's time, as
    long as this machine takes now), in connecting or in one of its LISTENs: none may be left
    for the garbage collector to find open (asyncpg then terminates it with a ResourceWarning,
    whenever the collector runs).
    """
    wakeup = Wakeup(database_dsn, {})
    wakeup.listen_also({f"channel_{n}": lambda *_: None for n in range(8)})
    started = time.perf_counter()
    await wakeup.ensure_listening()
    one_opening = time.perf_counter() - started
    await wakeup.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for step in range(120):
            opening = asyncio.ensure_future(wakeup.ensure_listening())
            await asyncio.sleep(one_opening * step / 100)
            opening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await opening
            await wakeup.close()
        del opening
        gc.collect()
    assert [str(w.message) for w in caught if "unclosed connection" in str(w.message)] == []


async def test_a_wait_cancelled_just_as_it_is_woken_stays_cancelled() -> None:
    # A runner stopped at the moment a notification came must stop: with Python 3.11's
    # asyncio.wait_for the cancellation was swallowed and the runner's loop went on.
    wakeup = Wakeup("postgresql://unused", {})
    waiting = asyncio.create_task(wakeup.wait(60))
    await asyncio.sleep(0)  # it waits for the event
    wakeup.event.set()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
