"""Projections: checkpoint and read model move together, rebuild equals live, "as of" reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from events import EventStore, NewEvent, ProjectionError
from events.runner import ProjectionRunner
from tests.projection_fixture import AS_OF, CURRENT, offers_projection


def submitted(title: str) -> NewEvent:
    return NewEvent(type="offer_submitted", data={"title": title})


def revised(title: str) -> NewEvent:
    return NewEvent(type="offer_revised", data={"title": title})


@pytest.fixture
async def runner(store: EventStore) -> AsyncIterator[ProjectionRunner]:
    runner = ProjectionRunner(store, [offers_projection(with_poison=True)], poll_interval=0.05)
    yield runner
    await runner.stop()


async def _snapshot(store: EventStore) -> list[tuple[object, ...]]:
    rows = await store.pool.fetch("SELECT * FROM test_offers.offers ORDER BY id, valid_from")
    return [tuple(r) for r in rows]


async def test_catch_up_applies_events_and_moves_the_checkpoint(
    store: EventStore, runner: ProjectionRunner
) -> None:
    await store.append("offer-1", [submitted("义诊")])
    await store.append("other", [NewEvent(type="unrelated", data={})])
    await runner.catch_up()
    assert await store.pool.fetchval(CURRENT, "offer-1") == "义诊"
    assert await runner.positions() == {"offers": 2}


async def test_as_of_query_returns_the_old_row_after_a_later_change(
    store: EventStore, runner: ProjectionRunner
) -> None:
    first = await store.append("offer-1", [submitted("眼科义诊")])
    await store.append("offer-2", [submitted("法律咨询")])
    await store.append("offer-1", [revised("眼科筛查")])
    await runner.catch_up()
    assert await store.pool.fetchval(AS_OF, "offer-1", first.position) == "眼科义诊"
    assert await store.pool.fetchval(AS_OF, "offer-1", 3) == "眼科筛查"
    assert await store.pool.fetchval(AS_OF, "offer-2", first.position) is None
    assert await store.pool.fetchval(CURRENT, "offer-1") == "眼科筛查"


async def test_as_of_query_is_served_by_the_index(store: EventStore, runner: ProjectionRunner) -> None:
    for i in range(300):
        await store.append(f"offer-{i}", [submitted(f"t{i}"), revised(f"u{i}")])
    await runner.catch_up()
    async with store.pool.acquire() as conn, conn.transaction():
        await conn.execute("ANALYZE test_offers.offers")
        lines = await conn.fetch(
            "EXPLAIN SELECT title FROM test_offers.offers WHERE int8range(valid_from, valid_to) @> 17::bigint"
        )
        plan = "\n".join(line[0] for line in lines)
    assert "offers_as_of" in plan


async def test_a_handler_failing_half_way_stops_the_checkpoint_just_before_its_event(
    store: EventStore, runner: ProjectionRunner
) -> None:
    await store.append("offer-1", [submitted("a")])
    await store.append("offer-2", [submitted("b")])
    await runner.catch_up()
    before = (await _snapshot(store), await runner.positions())
    await store.append("offer-3", [submitted("c")])
    await store.append("offer-4", [NewEvent(type="offer_poisoned", data={})])
    await store.append("offer-5", [submitted("e")])
    with pytest.raises(ProjectionError, match="fails half-way"):
        await runner.catch_up()
    # The page is tried again in smaller pages: what came before the poison is applied, nothing
    # of the poison (its handler's first write is rolled back) and nothing after it.
    rows, positions = await _snapshot(store), await runner.positions()
    assert positions == {"offers": 3}
    assert rows == [*before[0], ("offer-3", "c", 3, None)]
    assert isinstance(runner.last_error, ProjectionError)


async def test_committed_hears_each_committed_batch_before_its_waiters_and_never_a_failed_one(
    store: EventStore,
) -> None:
    heard: list[tuple[int, int, int]] = []
    projection = offers_projection(with_poison=True)
    runner = ProjectionRunner(store, [projection], batch_size=2)
    # What the waiters have been told when it is heard: nothing past the batch's start yet.
    projection.committed = lambda before, reached: heard.append((before, reached, runner.watch.reached or 0))
    try:
        await runner.watch.wait(0, 1)  # the watch knows the checkpoints: it can be advanced
        for n in range(3):
            await store.append(f"offer-{n}", [submitted(str(n))])
        await runner.catch_up()
        await store.append("offer-poison", [NewEvent(type="offer_poisoned", data={})])
        with pytest.raises(ProjectionError):
            await runner.catch_up()
        assert heard == [(0, 2, 0), (2, 3, 2)]
        assert await runner.positions() == {"offers": 3}
    finally:
        await runner.stop()


async def test_rebuild_equals_live_and_check_finds_a_tampered_read_model(
    store: EventStore, runner: ProjectionRunner
) -> None:
    for i in range(20):
        await store.append(f"offer-{i}", [submitted(f"t{i}")])
        if i % 3 == 0:
            await store.append(f"offer-{i}", [revised(f"r{i}")])
    await runner.catch_up()
    projection = runner.projections[0]
    assert await runner.check(projection) == []

    await store.pool.execute("UPDATE test_offers.offers SET title = 'forged' WHERE id = 'offer-4'")
    differences = await runner.check(projection)
    assert [(d.table, d.only_in_live, d.only_in_rebuild) for d in differences] == [("offers", 1, 1)]

    live_before = await runner.positions()
    assert await runner.rebuild(projection) == live_before["offers"]
    assert await runner.check(projection) == []
    assert await store.pool.fetchval(CURRENT, "offer-4") == "t4"


async def test_check_compares_at_the_live_checkpoint_not_the_head(
    store: EventStore, runner: ProjectionRunner
) -> None:
    await store.append("offer-1", [submitted("a")])
    await runner.catch_up()
    await store.append("offer-2", [submitted("b")])  # not yet applied
    assert await runner.check(runner.projections[0]) == []


async def test_changed_ddl_rebuilds_the_read_model(store: EventStore) -> None:
    await store.append("offer-1", [submitted("a")])
    old = ProjectionRunner(store, [offers_projection()])
    await old.catch_up()
    new_ddl = offers_projection().ddl + "\nCREATE TABLE extra (x int);"
    new = ProjectionRunner(store, [offers_projection(new_ddl)])
    await new.catch_up()
    assert await store.pool.fetchval("SELECT to_regclass('test_offers.extra')::text") is not None
    assert await store.pool.fetchval(CURRENT, "offer-1") == "a"


async def test_wait_for_returns_once_the_leader_applied_the_position(store: EventStore) -> None:
    leader = ProjectionRunner(store, [offers_projection()], poll_interval=5)
    bystander = ProjectionRunner(store, [offers_projection()])
    leader.start()
    try:
        result = await store.append("offer-1", [submitted("a")])
        await bystander.wait_for(result.position, timeout=5)
        assert await store.pool.fetchval(CURRENT, "offer-1") == "a"
        with pytest.raises(TimeoutError):
            await bystander.wait_for(result.position + 1, timeout=0.2)
    finally:
        await leader.stop()


async def _until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_one_leader_at_a_time_and_another_takes_over_when_it_dies(
    database_dsn: str,
) -> None:
    stores = [await EventStore.connect(database_dsn) for _ in range(2)]
    runners = [ProjectionRunner(s, [offers_projection()], poll_interval=0.1) for s in stores]
    try:
        for r in runners:
            r.start()
        await _until(lambda: any(r.is_leader for r in runners))
        await asyncio.sleep(0.5)
        assert [r.is_leader for r in runners].count(True) == 1
        leader = next(r for r in runners if r.is_leader)
        follower = next(r for r in runners if not r.is_leader)

        # The leader's session dies (as when its process is killed): its lock goes with it.
        assert leader._lock_conn is not None
        pid = leader._lock_conn.get_server_pid()
        await stores[0].pool.execute("SELECT pg_terminate_backend($1)", pid)
        await _until(lambda: follower.is_leader)

        result = await stores[0].append("offer-9", [submitted("after takeover")])
        await follower.wait_for(result.position, timeout=5)
        assert await stores[0].pool.fetchval(CURRENT, "offer-9") == "after takeover"
    finally:
        for r in runners:
            await r.stop()
        for s in stores:
            await s.close()


async def test_the_leader_applies_batches_on_its_own_session_while_every_pooled_connection_is_busy(
    database_dsn: str,
) -> None:
    # Under load the pool's connections are the requests' queue: the batch a write waits for
    # must not queue there behind them. Here the requests hold the whole pool until the write
    # they wait for is in the read model: a batch that needed one of them would never come.
    store = await EventStore.connect(database_dsn, min_size=2, max_size=2)
    leader = ProjectionRunner(store, [offers_projection()], poll_interval=0.05)
    try:
        leader.start()
        await _until(lambda: leader.is_leader)
        # A first batch: the projection's schema is checked, and the watch has looked.
        await leader.await_position((await store.append("offer-0", [submitted("先到")])).position)
        held = [await store.pool.acquire() for _ in range(2)]
        try:
            written = await store.append("offer-1", [submitted("义诊")])  # the lone writer's own session
            await leader.await_position(written.position)
            assert await held[0].fetchval(CURRENT, "offer-1") == "义诊"
        finally:
            for conn in held:
                await store.pool.release(conn)
    finally:
        await leader.stop()
        await store.close()
