"""PostgreSQL stopped under a write load, then started again, with the registry left running.

The test runs its own cluster (the server other tests share must not stop). While the database is
down every request is answered within a bound, with 503 and Retry-After, never 500, and /ready
says 503. Once it is back the same app process recovers by itself: reads and writes succeed,
/ready is 200, the projection runner leads again (its advisory-lock connection and its LISTEN
connection are reopened) and applies what reaches the log, and no acknowledged write is lost.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Iterator

import asyncpg
import httpx
import pytest

from events import EventStore, NewEvent
from events.outage import is_unavailable
from events.store import create_pool
from registry.settings import SettingsError, settings_from_env
from tests.api_fixtures import unit_body
from tests.fault_checks import half_applied, log_and_read_model, missing_acks, stale_entities
from tests.helpers import coordinator_token, migrated
from tests.private_postgres import PrivateCluster, private_cluster
from tests.registry_server import RegistryServer
from tests.workload import Record, drive, make_cast, wait_until

CLIENTS = 24
ACKED_BEFORE_OUTAGE = 50
ACKED_AFTER_RECOVERY = 25
OUTAGE_SECONDS = 2.5
# Every request is answered within this, database or no database.
BOUND_SECONDS = 10.0
ANSWERS = {*range(200, 300), 503}


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    with private_cluster() as started:
        yield started


Answer = tuple[int | str, float, str | None]  # status or transport error, seconds, Retry-After


async def _watch(base: str, token: str, until: asyncio.Event) -> tuple[list[Answer], list[Answer]]:
    """/ready's answers, and those of writes begun while the database is down, until `until`.

    The load's own clients cannot show that a write begun in the outage is refused: when the
    database went away each may have been waiting for its committed write to be applied, and
    such a write rightly waits out the outage and is answered 2xx (under CI's load all 24 once
    did, and none began a request in the outage). A fresh write, begun after the stop, must be
    answered 503 within the bound.
    """
    ready: list[Answer] = []
    writes: list[Answer] = []
    async with httpx.AsyncClient(
        base_url=base, timeout=BOUND_SECONDS + 5, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        while not until.is_set():
            ready.append(await _answer(http.get("/ready")))
            key = {"Idempotency-Key": str(uuid.uuid4())}
            writes.append(
                await _answer(http.post("/api/v1/units", json=unit_body("停库时登记"), headers=key))
            )
            await asyncio.sleep(0.2)
    return ready, writes


async def _answer(request: Awaitable[httpx.Response]) -> Answer:
    started = time.monotonic()
    try:
        response = await request
    except httpx.TransportError as error:
        return type(error).__name__, time.monotonic() - started, None
    return response.status_code, time.monotonic() - started, response.headers.get("retry-after")


async def _runner_back(dsn: str) -> bool:
    """The app's projection runner holds its leader lock and listens, each on a session of its own."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted) AS leaders, "
            "(SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'LISTEN %') AS listeners"
        )
        assert row is not None
        return (row["leaders"], row["listeners"]) == (1, 1)
    finally:
        await conn.close()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_database_outage_is_503_within_a_bound_and_the_app_recovers_by_itself(
    cluster: PrivateCluster, mode: str
) -> None:
    dsn = cluster.dsn
    await migrated(dsn)
    token = await coordinator_token(dsn)
    server = RegistryServer(dsn)
    record, stop, outage_over = Record(), asyncio.Event(), asyncio.Event()
    try:
        await asyncio.to_thread(server.start)
        cast = await make_cast(server.base, token)
        load = asyncio.create_task(drive(server.base, cast, CLIENTS, record, stop, BOUND_SECONDS + 5))
        try:
            await wait_until(lambda: len(record.acks) >= ACKED_BEFORE_OUTAGE, 30, "writes before the outage")
            stopped_at = time.monotonic()
            await asyncio.to_thread(cluster.stop, mode)
            watching = asyncio.create_task(_watch(server.base, token, outage_over))
            await asyncio.sleep(OUTAGE_SECONDS)
            outage_over.set()
            ready_in_outage, writes_in_outage = await watching
            await asyncio.to_thread(cluster.start)
            restarted_at = time.monotonic()
            await wait_until(
                lambda: record.acks_after(restarted_at) >= ACKED_AFTER_RECOVERY, 30, "writes after recovery"
            )
        finally:
            stop.set()
            await asyncio.wait_for(load, 60)

        begun_in_outage = [a for a in record.attempts if stopped_at < a.started < restarted_at]
        # A write the load began as the database went away may wait and be answered 2xx after the
        # restart, within the bound, which is right; any other answer is a 503 with Retry-After.
        assert all(a.status == 503 or 200 <= a.status < 300 for a in begun_in_outage), record.statuses()
        assert all(a.retry_after for a in record.attempts if a.status == 503)
        unexpected = [a for a in record.attempts if a.status not in ANSWERS]
        assert not unexpected, unexpected[:5]
        slow = [a for a in record.attempts if a.seconds > BOUND_SECONDS]
        assert not slow, slow[:5]
        for answers in (ready_in_outage, writes_in_outage):
            assert answers and all(status == 503 and after for status, _, after in answers), answers
            assert all(seconds <= BOUND_SECONDS for _, seconds, _ in answers), answers

        # Recovered without a restart: ready, and the runner leads and listens again.
        async with httpx.AsyncClient(base_url=server.base, timeout=BOUND_SECONDS) as http:
            await wait_until(
                lambda: _status(http, "/ready", 200), 20, "/ready after the outage", interval=0.2
            )
            await wait_until(lambda: _runner_back(dsn), 10, "the runner's lock and LISTEN sessions")
            # Written behind the app's back, so that only the runner's own loop can apply it.
            store = await EventStore.connect(dsn, min_size=1, max_size=1)
            try:
                marker = await store.append("fault-test", [NewEvent(type="outage_marker", data={})])
            finally:
                await store.close()
            await wait_until(lambda: _ready_at(http, marker.position), 10, "the runner applying the log")

        conn = await asyncpg.connect(dsn)
        try:
            assert await missing_acks(conn, record.acks) == []
            assert await half_applied(conn) == []
        finally:
            await conn.close()
        assert await stale_entities(server.base, token, record.acks) == []
        head, checkpoint, problems = await log_and_read_model(dsn)
        assert checkpoint == head
        assert problems == []
    finally:
        await asyncio.to_thread(server.stop)


async def _status(http: httpx.AsyncClient, path: str, status: int) -> bool:
    return (await http.get(path)).status_code == status


async def _ready_at(http: httpx.AsyncClient, position: int) -> bool:
    response = await http.get("/ready")
    return response.status_code == 200 and response.json()["head_position"] >= position


async def test_a_subscription_waits_out_an_outage_and_misses_nothing(cluster: PrivateCluster) -> None:
    await migrated(cluster.dsn)
    store = await EventStore.connect(cluster.dsn, min_size=1, max_size=2, timeout=5)
    try:
        stream = store.subscribe(after=0, poll_interval=0.1)
        await store.append("s", [NewEvent(type="before", data={"n": 1})])
        assert (await asyncio.wait_for(anext(stream), 5)).position == 1
        # Polled against a stopped server ten times a second: every poll fails.
        pending = asyncio.ensure_future(anext(stream))
        await asyncio.to_thread(cluster.stop, "fast")
        await asyncio.sleep(1.0)
        assert not pending.done(), pending
        await asyncio.to_thread(cluster.start)
        await store.append("s", [NewEvent(type="after", data={"n": 2})])
        after = await asyncio.wait_for(pending, 5)
        assert (after.position, after.type) == (2, "after")
        await stream.aclose()  # type: ignore[attr-defined]
    finally:
        await store.close()


async def test_a_worn_out_pool_refuses_within_its_acquire_timeout(database_dsn: str) -> None:
    pool = await create_pool(database_dsn, min_size=1, max_size=1, acquire_timeout=0.5)
    try:
        async with pool.acquire():
            # The one connection is taken: a query that needs one waits the bound, not forever.
            waiting = asyncio.create_task(pool.fetchval("SELECT 1"))
            done, _ = await asyncio.wait({waiting}, timeout=5)
            if not done:
                waiting.cancel()
            assert waiting in done, "the query was still waiting for a connection after 5 s"
            assert isinstance(waiting.exception(), TimeoutError)
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.close()


def test_database_timeouts_are_read_from_the_environment_and_nonsense_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/registry")
    monkeypatch.setenv("REGISTRY_DB_ACQUIRE_TIMEOUT_SECONDS", "2.5")
    assert settings_from_env().acquire_timeout_seconds == 2.5
    for bad in ("0", "-1", "soon", "nan", "inf"):
        monkeypatch.setenv("REGISTRY_DB_CONNECT_TIMEOUT_SECONDS", bad)
        with pytest.raises(SettingsError, match="REGISTRY_DB_CONNECT_TIMEOUT_SECONDS"):
            settings_from_env()


def _raised_while_handling(cause: BaseException, error: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException:
            raise error  # noqa: B904 — the implicit context is the point
    except BaseException as raised:
        return raised


def test_an_outage_is_told_by_its_class_or_by_what_it_was_raised_from() -> None:
    lost = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    for outage in (
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        lost,
        # How asyncpg reports the rollback after a lost connection, and a FATAL on an idle one.
        _raised_while_handling(lost, asyncpg.InterfaceError("cannot call Transaction.__aexit__()")),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.InternalClientError("cannot switch to state 11; another operation (2) is in progress"),
    ):
        assert is_unavailable(outage), outage
    for fault in (
        ValueError("a bug"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        None,
    ):
        assert not is_unavailable(fault), fault
