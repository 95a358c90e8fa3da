"""Read models served from a hot standby (REGISTRY_READ_DATABASE_URL), on clusters of the test's own.

Lists run on the standby and are as fresh as its WAL replay: with replay paused, a unit written
on the primary is found by id (the primary) but not yet listed (the standby). A read as of a
position waits for the standby to reach it, and answers 503 with Retry-After if it does not in
time; once replay resumes the same read answers. A standby that is gone makes lists 503 and
/ready 503, while writes and reads by id carry on.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from registry.app import create_app, open_registry
from registry.settings import Settings
from tests.api_fixtures import unit_body
from tests.helpers import coordinator_token, migrated
from tests.private_postgres import private_cluster, standby_of

WAIT_SECONDS = 2.0


async def sql(dsn: str, statement: str) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(statement)
    finally:
        await conn.close()


def listed(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_lists_run_on_the_standby_and_reads_as_of_a_position_wait_for_it() -> None:
    with private_cluster() as primary:
        await migrated(primary.dsn)
        token = await coordinator_token(primary.dsn, "replica")
        with standby_of(primary) as standby:
            settings = Settings(
                database_url=primary.dsn, read_database_url=standby.dsn, projection_wait_seconds=WAIT_SECONDS,
                pool_min_size=1, pool_max_size=4,
            )  # fmt: skip
            auth = {"Authorization": f"Bearer {token}"}
            async with AsyncTestClient(create_app(settings)) as client:
                first = await client.post("/api/v1/units", json=unit_body("和平眼科医院"), headers=auth)
                assert first.status_code == 201, first.text
                at = first.headers["X-Log-Position"]
                assert first.json()["id"] in listed(
                    await client.get(f"/api/v1/units?as_of={at}", headers=auth)
                )

                # Replay paused: the standby stays where it is.
                await sql(standby.dsn, "SELECT pg_wal_replay_pause()")
                second = await client.post("/api/v1/units", json=unit_body("长海医院虹口院区"), headers=auth)
                assert second.status_code == 201, second.text
                new_id, at = second.json()["id"], second.headers["X-Log-Position"]
                assert (await client.get(f"/api/v1/units/{new_id}", headers=auth)).status_code == 200
                assert new_id not in listed(await client.get("/api/v1/units", headers=auth))
                started = time.monotonic()
                behind = await client.get(f"/api/v1/units?as_of={at}", headers=auth)
                assert behind.status_code == 503 and behind.headers["Retry-After"], behind.text
                assert time.monotonic() - started < WAIT_SECONDS + 3
                ready = await client.get("/ready")
                assert ready.status_code == 200, ready.text
                assert ready.json()["replica_position"] < ready.json()["head_position"]

                await sql(standby.dsn, "SELECT pg_wal_replay_resume()")
                assert new_id in listed(await client.get(f"/api/v1/units?as_of={at}", headers=auth))
                assert new_id in listed(await client.get("/api/v1/units", headers=auth))

                # The standby gone: lists are 503, the rest carries on.
                standby.stop("fast")
                gone = await client.get("/api/v1/units", headers=auth)
                assert gone.status_code == 503 and gone.headers["Retry-After"], gone.text
                third = await client.post("/api/v1/units", json=unit_body("城管欧阳中队"), headers=auth)
                assert third.status_code == 201, third.text
                assert (
                    await client.get(f"/api/v1/units/{third.json()['id']}", headers=auth)
                ).status_code == 200
                assert (await client.get("/ready")).status_code == 503


async def test_without_a_standby_lists_read_the_primary(database_dsn: str) -> None:
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=2))
    try:
        assert registry.reads.pool is registry.list_pool and not registry.reads.is_replica
        # As of a position far past the head: the present, at once, as ever.
        pool = await asyncio.wait_for(registry.reads.pool_at(2**62), timeout=5)
        assert pool is registry.list_pool
    finally:
        await registry.close()
