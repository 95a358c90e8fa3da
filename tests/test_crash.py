"""A writer killed with SIGKILL mid-batch: nothing of that batch shows, the log stays whole."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from events import EventStore
from tests.fault_writer import BATCH
from tests.helpers import ev


async def _writer_backend_state(store: EventStore) -> str | None:
    state: str | None = await store.pool.fetchval(
        "SELECT state FROM pg_stat_activity WHERE application_name = 'fault-writer' "
        "AND datname = current_database() AND xact_start IS NOT NULL AND backend_xid IS NOT NULL"
    )
    return state


async def test_sigkill_mid_batch_leaves_no_part_of_it_and_a_whole_chain(
    store: EventStore, database_dsn: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fault_writer", database_dsn,
        stdout=asyncio.subprocess.PIPE, cwd=os.getcwd(),
    )  # fmt: skip
    assert process.stdout is not None
    for _ in range(2):  # let two batches commit
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert line.startswith(b"committed")
    # Wait until the third batch's transaction is under way (it has written), then kill.
    for _ in range(2000):
        if await _writer_backend_state(store) is not None:
            break
        await asyncio.sleep(0.002)
    else:
        raise AssertionError("the writer never opened its next transaction")
    process.send_signal(signal.SIGKILL)
    await process.wait()
    # The server notices the dead client and rolls its transaction back.
    for _ in range(500):
        if await _writer_backend_state(store) is None:
            break
        await asyncio.sleep(0.01)

    counts = await store.pool.fetch(
        "SELECT stream_id, count(*) AS n FROM events GROUP BY stream_id ORDER BY stream_id"
    )
    assert len(counts) >= 2
    assert all(row["n"] == BATCH for row in counts), counts
    total = sum(row["n"] for row in counts)
    positions = await store.pool.fetchval("SELECT array_agg(position ORDER BY position) FROM events")
    assert positions == list(range(1, total + 1))
    report = await store.verify()
    assert report.ok and report.head_position == total
    after = await store.append("after-crash", [ev()])
    assert after.position == total + 1
    assert (await store.verify()).ok
