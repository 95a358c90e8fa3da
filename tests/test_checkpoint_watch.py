"""Waiting for a checkpoint: woken by the leader, by polling, told of failures, never fooled.

The watch of a runner that another process leads: nothing in this process applies events, so
only the checkpoints in the database (moved here by SQL, as that leader's commits would) and
failures reported to it can wake its waiters.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from events import EventStore, ProjectionBehind
from events.runner import ProjectionRunner
from events.watch import CheckpointWatch, Failure
from tests.projection_fixture import offers_projection

SET = "UPDATE projection_checkpoints SET position = $1 WHERE name = 'offers'"


@pytest.fixture
async def watch(store: EventStore) -> AsyncIterator[CheckpointWatch]:
    runner = ProjectionRunner(store, [offers_projection()])
    await runner.catch_up()  # the checkpoint row exists, at 0
    yield runner.watch
    await runner.watch.close()


async def test_a_waiter_returns_once_the_checkpoint_in_the_database_passes_its_position(
    store: EventStore, watch: CheckpointWatch
) -> None:
    waiting = asyncio.create_task(watch.wait(5, timeout=5))
    await asyncio.sleep(0.2)
    await store.pool.execute(SET, 4)
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await store.pool.execute(SET, 5)
    await asyncio.wait_for(waiting, 2)


async def test_the_leader_in_this_process_wakes_waiters_at_once_in_position_order(
    watch: CheckpointWatch,
) -> None:
    await watch.wait(0, timeout=1)  # reads the checkpoints
    done: list[int] = []

    async def wait(position: int) -> None:
        await watch.wait(position, timeout=5)
        done.append(position)

    waiters = [asyncio.create_task(wait(p)) for p in (9, 3, 6)]
    await asyncio.sleep(0.01)
    watch.advance("offers", 6)  # the database's checkpoint stays 0: only this can wake them
    await asyncio.sleep(0.01)
    assert sorted(done) == [3, 6]
    watch.advance("offers", 9)
    await asyncio.gather(*waiters)
    assert sorted(done) == [3, 6, 9]


async def test_a_failure_answers_the_waiters_past_it_at_once_and_later_ones_at_the_next_try(
    watch: CheckpointWatch,
) -> None:
    await watch.wait(0, timeout=1)
    watch.advance("offers", 2)
    stuck = asyncio.create_task(watch.wait(4, timeout=30))
    await asyncio.sleep(0)
    watch.failed(Failure("offers", 2, "a poisoned row"))
    with pytest.raises(ProjectionBehind, match="a poisoned row") as raised:
        await asyncio.wait_for(stuck, 1)
    assert raised.value.position == 4
    await watch.wait(2, timeout=1)  # applied before the failure: answered
    assert "offers" in watch.failures  # on record for /ready
    # A later waiter waits for the runner's next try: failing again answers it at once ...
    again = asyncio.create_task(watch.wait(3, timeout=30))
    await asyncio.sleep(0.01)
    watch.failed(Failure("offers", 2, "a poisoned row"))
    with pytest.raises(ProjectionBehind):
        await asyncio.wait_for(again, 1)
    # ... and getting past it answers the next one, and clears the record.
    later = asyncio.create_task(watch.wait(3, timeout=30))
    await asyncio.sleep(0.01)
    watch.advance("offers", 3)
    await asyncio.wait_for(later, 1)
    assert watch.failures == {}


async def test_a_wait_that_times_out_names_its_position(watch: CheckpointWatch) -> None:
    with pytest.raises(ProjectionBehind, match="position 7") as raised:
        await watch.wait(7, timeout=0.2)
    assert raised.value.position == 7


async def test_after_its_listening_session_is_lost_what_it_knew_is_read_again(
    store: EventStore, watch: CheckpointWatch
) -> None:
    await watch.wait(0, timeout=1)
    watch.advance("offers", 10)
    # The database came back from a crash with its last batches undone: the checkpoint is 5.
    watch.forget()
    waiting = asyncio.create_task(watch.wait(8, timeout=5))
    await asyncio.sleep(0.2)
    assert not waiting.done(), "a stale 10 answered for a checkpoint at 0"
    await store.pool.execute(SET, 8)
    await asyncio.wait_for(waiting, 2)
