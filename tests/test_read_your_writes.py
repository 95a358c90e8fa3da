"""Read-your-writes without serialising writers: writes commit, then wait for the leader's batches.

A write answers once its append has committed and the read model has applied its position, but
no write takes the projection's checkpoint lock to get there: the leader alone applies the log,
a page at a time, and wakes every write its batch covered. When a batch fails, the events stay
in the log, the checkpoint stays before them, and the writes waiting on them answer 503 with their
recorded position; a retry with the same Idempotency-Key replays the write once the read model
has it. Served by a real uvicorn process, so the leader, the waits and the notifications are
those of production.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from tests.api_fixtures import unit_body
from tests.helpers import coordinator_token, refuse_rows
from tests.registry_server import RegistryServer, registry_server

WRITERS = 32


@pytest.fixture
def server(database_dsn: str) -> Iterator[RegistryServer]:
    with registry_server(database_dsn) as started:
        yield started


@pytest.fixture
async def client(server: RegistryServer, database_dsn: str) -> AsyncIterator[httpx.AsyncClient]:
    token = await coordinator_token(database_dsn)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.base, headers=headers, timeout=30) as opened:
        yield opened


async def _counter(client: httpx.AsyncClient, name: str) -> float:
    text = (await client.get("/metrics")).text
    found = re.search(rf'^{name}_total\{{projection="registry"\}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def _until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def test_writes_commit_while_the_checkpoint_is_locked_and_only_the_leader_waits_on_it(
    client: httpx.AsyncClient, database_dsn: str
) -> None:
    assert (await client.post("/api/v1/units", json=unit_body("热身单位"))).status_code == 201
    holder = await asyncpg.connect(database_dsn)
    watcher = await asyncpg.connect(database_dsn)
    try:
        batches_before = await _counter(client, "registry_projection_batches")
        head_before = await watcher.fetchval("SELECT position FROM events_head")
        holding = holder.transaction()
        await holding.start()
        await holder.execute("SELECT 1 FROM projection_checkpoints WHERE name = 'registry' FOR UPDATE")
        writes = [
            asyncio.create_task(client.post("/api/v1/units", json=unit_body(f"共建单位{i}")))
            for i in range(WRITERS)
        ]

        async def all_committed() -> bool:
            return await watcher.fetchval("SELECT position FROM events_head") >= head_before + WRITERS

        await _until(all_committed)
        assert not any(w.done() for w in writes), "a write answered before the read model had it"
        # Every write is in the log and waiting; only one session (the leader's batch) waits on the
        # checkpoint row. Before, each write's own catch-up queued there, one behind the other.
        blocked_by_holder = "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))"
        waiting_on_lock = await watcher.fetchval(blocked_by_holder, holder.get_server_pid())
        assert waiting_on_lock == 1
        await holding.rollback()
        responses = await asyncio.gather(*writes)
        assert [r.status_code for r in responses] == [201] * WRITERS
        # Released, the leader applies every waiting write in one batch (two if one more came).
        assert await _counter(client, "registry_projection_batches") - batches_before <= 2
        for response in responses:
            assert (await client.get(f"/api/v1/units/{response.json()['id']}")).status_code == 200
    finally:
        await holder.close()
        await watcher.close()


async def test_thirty_two_concurrent_writes_are_applied_by_a_handful_of_batches(
    client: httpx.AsyncClient,
) -> None:
    batches_before = await _counter(client, "registry_projection_batches")

    async def write_then_list(i: int) -> None:
        created = await client.post("/api/v1/units", json=unit_body(f"并发单位{i}"))
        assert created.status_code == 201, created.text
        # Read-your-writes through the read model's list, in the same breath as the response.
        listed = await client.get("/api/v1/units", params={"q": f"并发单位{i}"})
        assert created.json()["id"] in [u["id"] for u in listed.json()["items"]]

    await asyncio.gather(*(write_then_list(i) for i in range(WRITERS)))
    batches = await _counter(client, "registry_projection_batches") - batches_before
    assert 1 <= batches <= 8, f"{batches} batches for {WRITERS} writes"


async def test_a_failing_batch_answers_503_with_the_position_and_a_retry_replays_once_fixed(
    client: httpx.AsyncClient, database_dsn: str
) -> None:
    admin = await asyncpg.connect(database_dsn)
    try:
        await refuse_rows(admin, "units", "poison", "a poisoned row")
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = await client.post("/api/v1/units", json=unit_body("poison 单位"), headers=key)
        assert first.status_code == 503, first.text
        assert first.headers["Retry-After"]
        # A registration appends two events, the unit's and its name's (the position is the last).
        position = int(first.headers["X-Log-Position"])
        assert f"recorded at log position {position}" in first.json()["detail"]
        # Recorded once; the checkpoint stays just before it; /ready and the metrics say why.
        assert await admin.fetchval("SELECT position FROM events_head") == position
        assert await admin.fetchval("SELECT position FROM projection_checkpoints") == position - 2
        ready = await client.get("/ready")
        assert ready.status_code == 503 and "a poisoned row" in ready.json()["detail"]
        assert await _counter(client, "registry_projection_failures") >= 1
        behind = await client.post("/api/v1/units", json=unit_body("后来的单位"))
        assert behind.status_code == 503
        assert int(behind.headers["X-Log-Position"]) == position + 2

        await admin.execute("DROP TRIGGER refuse_poison ON registry_read.units")

        async def is_ready() -> bool:
            return (await client.get("/ready")).status_code == 200

        await _until(is_ready)
        again = await client.post("/api/v1/units", json=unit_body("poison 单位"), headers=key)
        assert again.status_code == 201, again.text
        assert await admin.fetchval("SELECT position FROM events_head") == position + 2
        assert (await client.get(f"/api/v1/units/{again.json()['id']}")).json()["name"] == "poison 单位"
        assert await admin.fetchval("SELECT count(*) FROM events WHERE type = 'unit_registered'") == 2
    finally:
        await admin.close()
