"""The registry server killed with SIGKILL in the middle of a write load, then started again.

Many clients write a mix of everything (commitments among it: appends to three streams at once);
the server is killed while requests are in flight and started again on the same database and
port, and the clients retry what failed with their Idempotency-Keys. Afterwards every write that
was acknowledged is in the log and shown by the API, no commitment step is half there, the read
model equals a rebuild of the log, and the hash chain verifies.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx

from events import EventStore, NewEvent, StreamAppend
from tests.fault_checks import half_applied, log_and_read_model, missing_acks, stale_entities
from tests.helpers import coordinator_token
from tests.registry_server import RegistryServer
from tests.workload import Ack, Record, drive, make_cast, wait_until

CLIENTS = 32
ACKED_BEFORE_KILL = 120
ACKED_AFTER_RESTART = 30
REQUEST_TIMEOUT_SECONDS = 15.0
# Statuses a client may see: a write on its own entities never conflicts, even when retried.
SUCCESS = range(200, 300)


async def test_sigkill_under_load_loses_no_acknowledged_write_and_half_applies_none(
    database_dsn: str,
) -> None:
    token = await coordinator_token(database_dsn)
    server = RegistryServer(database_dsn)
    record, stop = Record(), asyncio.Event()
    try:
        await asyncio.to_thread(server.start)
        cast = await make_cast(server.base, token)
        load = asyncio.create_task(drive(server.base, cast, CLIENTS, record, stop, REQUEST_TIMEOUT_SECONDS))
        try:
            await wait_until(lambda: len(record.acks) >= ACKED_BEFORE_KILL, 30, "writes before the kill")
            killed_at = time.monotonic()
            await asyncio.to_thread(server.kill)
            acked_before_kill = len(record.acks)
            await asyncio.to_thread(server.start)
            restarted_at = time.monotonic()
            await wait_until(
                lambda: record.acks_after(restarted_at) >= ACKED_AFTER_RESTART, 30, "writes after the restart"
            )
        finally:
            stop.set()
            await asyncio.wait_for(load, 60)

        # The kill landed while writes were on the wire, not between them.
        cut_off = [a for a in record.attempts if a.error is not None and a.started < killed_at]
        assert cut_off, f"no request was in flight at the kill: {record.errors()}"
        assert acked_before_kill >= ACKED_BEFORE_KILL
        unexpected = [a for a in record.attempts if a.status is not None and a.status not in SUCCESS]
        assert not unexpected, unexpected[:5]

        conn = await asyncpg.connect(database_dsn)
        try:
            assert await missing_acks(conn, record.acks) == []
            assert await half_applied(conn) == []
        finally:
            await conn.close()
        assert await stale_entities(server.base, token, record.acks) == []

        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            ready = (await http.get("/ready")).json()
            verified = await http.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
        head, checkpoint, problems = await log_and_read_model(database_dsn)
        assert ready["status"] == "ready" and ready["head_position"] == head
        assert checkpoint == head
        assert problems == []
        assert verified.json()["ok"] is True and verified.json()["head_position"] == head
    finally:
        await asyncio.to_thread(server.stop)


async def test_the_checks_find_a_step_written_alone_and_a_write_the_log_lacks(
    store: EventStore, database_dsn: str
) -> None:
    whole, alone, offer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    held = {"commitment_id": str(whole), "offer_id": str(offer)}
    await store.append_many([
        StreamAppend(f"commitment-{whole}", [NewEvent(type="commitment_claimed", data=held)]),
        StreamAppend(f"offer-{offer}", [NewEvent(type="capacity_held", data=held)]),
        StreamAppend(f"need-{offer}", [NewEvent(type="demand_covered", data=held)]),
    ])  # fmt: skip
    # The same step again, with its companions written by a transaction of their own.
    lone = {"commitment_id": str(alone)}
    written = await store.append(f"commitment-{alone}", [NewEvent(type="commitment_claimed", data=lone)])
    await store.append(f"offer-{offer}", [NewEvent(type="capacity_held", data=lone)])
    conn = await asyncpg.connect(database_dsn)
    try:
        found = await half_applied(conn)
        assert len(found) == 2 and all(str(alone) in f for f in found), found
        acked = Ack("claim", f"commitment-{alone}", 1, written.position, frozenset({f"commitment-{alone}"}))
        assert await missing_acks(conn, [acked]) == []
        lost = Ack("claim", f"commitment-{alone}", 2, written.position + 100, acked.streams)
        assert len(await missing_acks(conn, [lost])) == 2
    finally:
        await conn.close()
