"""Concurrency: one winner per expected version, gap-free positions, tailing that skips nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from events import NO_STREAM, EventStore, WrongExpectedVersion
from events.append import prepare, write_batch
from events.model import StreamAppend
from tests.helpers import ev


@pytest.fixture
async def stores(database_dsn: str) -> AsyncIterator[list[EventStore]]:
    """Several stores on one database: as many writers competing as separate processes would."""
    opened = [await EventStore.connect(database_dsn, max_size=8) for _ in range(4)]
    yield opened
    for store in opened:
        await store.close()


async def test_fifty_appends_with_one_expected_version_exactly_one_wins(
    stores: list[EventStore],
) -> None:
    await stores[0].append("offer-1", [ev(0)])

    async def attempt(i: int) -> int | None:
        try:
            return (await stores[i % len(stores)].append("offer-1", [ev(i)], expected_version=1)).version
        except WrongExpectedVersion as conflict:
            assert (conflict.expected, conflict.actual) == (1, 2)
            return None

    results = await asyncio.gather(*(attempt(i) for i in range(50)))
    assert [r for r in results if r is not None] == [2]
    rows = await stores[0].pool.fetchval("SELECT count(*) FROM events WHERE stream_id = 'offer-1'")
    assert rows == 2


async def test_64_writers_x_200_appends_give_positions_1_to_12800_and_a_valid_chain(
    stores: list[EventStore],
) -> None:
    async def writer(w: int) -> None:
        store = stores[w % len(stores)]
        for i in range(200):
            await store.append(f"w{w}-{i}", [ev(i)], expected_version=NO_STREAM)

    await asyncio.gather(*(writer(w) for w in range(64)))
    positions = await stores[0].pool.fetch("SELECT position FROM events ORDER BY position")
    assert [r["position"] for r in positions] == list(range(1, 12801))
    report = await stores[0].verify()
    assert report.ok and report.checked == 12800 and report.head_position == 12800


async def test_subscriber_sees_every_event_once_in_order_while_transactions_are_held_open(
    stores: list[EventStore],
) -> None:
    subscriber = stores[0]
    total_appends = 4 * 50 + 5  # four writers and five slow, held-open transactions
    seen: list[int] = []

    async def tail() -> None:
        async for event in subscriber.subscribe(after=0, poll_interval=0.05):
            seen.append(event.position)
            if len(seen) == total_appends:
                return

    async def writer(store: EventStore, w: int) -> None:
        for i in range(50):
            await store.append(f"w{w}-{i}", [ev(i)])

    async def held_open(k: int) -> None:
        # Write a batch, then keep its transaction (and so the log head) open for a while.
        await asyncio.sleep(0.02 * k)
        async with subscriber.pool.acquire() as conn, conn.transaction():
            await write_batch(conn, [prepare([StreamAppend(f"slow-{k}", [ev(k)])], None)])
            await asyncio.sleep(0.15)

    tailing = asyncio.create_task(tail())
    await asyncio.gather(
        *(writer(store, w) for w, store in enumerate(stores)), *(held_open(k) for k in range(5))
    )
    await asyncio.wait_for(tailing, timeout=30)
    assert seen == list(range(1, total_appends + 1))


async def test_a_request_the_database_refuses_fails_alone_not_its_whole_batch(
    store: EventStore,
) -> None:
    # Fault injection: the database refuses any event of stream "poison".
    await store.pool.execute(
        """
        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.stream_id = 'poison' THEN RAISE EXCEPTION 'poison refused'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_poison BEFORE INSERT ON events
            FOR EACH ROW EXECUTE FUNCTION refuse_poison();
        """
    )
    streams = [f"good-{i}" for i in range(10)] + ["poison"] + [f"good-{i}" for i in range(10, 20)]
    results = await asyncio.gather(*(store.append(s, [ev()]) for s in streams), return_exceptions=True)
    failures = [s for s, r in zip(streams, results, strict=True) if isinstance(r, Exception)]
    assert failures == ["poison"]
    positions = await store.pool.fetchval("SELECT array_agg(position ORDER BY position) FROM events")
    assert positions == list(range(1, 21))
    assert (await store.verify()).ok
