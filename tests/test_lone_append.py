"""A lone append is one statement: the database chains the hashes exactly as events.chain does,
checks the conditions, keeps idempotency keys and notifies; concurrent appends still share
transactions (group commit)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from events import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    AppendResult,
    EventStore,
    IdempotencyKeyReused,
    Metadata,
    NewEvent,
    StreamAppend,
    WrongExpectedVersion,
)
from events.append import prepare, write_batch
from events.chain import GENESIS_HASH, chain, record_bytes
from events.lone import MAX_LONE_EVENTS, write_alone
from events.migrate import MIGRATIONS, migrate
from events.sql import query
from events.store import create_pool
from events.writer import BATCHES_IN_FLIGHT
from tests.helpers import ev


class Statements:
    """Every statement the store's pooled connections send, in order."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def attach(self, conn: asyncpg.Connection[Any]) -> None:
        conn.add_query_logger(lambda logged: self.sent.append(logged.query))

    def names(self) -> list[str]:
        """The statements, each named by its first word or the query file it comes from."""
        named = {query(f"events/{name}"): name for name in ("append-one", "append-one-event")}
        return [named.get(q) or q.split()[0].upper().rstrip(";") for q in self.sent]


@pytest.fixture
async def watched(database_dsn: str) -> AsyncIterator[tuple[EventStore, Statements]]:
    statements = Statements()
    pool = await create_pool(database_dsn, min_size=1, max_size=20, init=statements.attach)
    store = EventStore(pool)
    try:
        yield store, statements
    finally:
        await store.close()
        await pool.close()


async def warm_up(store: EventStore) -> None:
    """asyncpg looks up a statement's types when a connection first sends it: both are sent."""
    await store.append("warm-up", [ev()])
    await store.append("warm-up", [ev(), ev()])


async def test_a_lone_append_is_one_statement(watched: tuple[EventStore, Statements]) -> None:
    store, statements = watched
    await warm_up(store)
    statements.sent.clear()
    await store.append("s-1", [ev(1)], expected_version=NO_STREAM)
    await store.append_many([StreamAppend("s-1", [ev(2), ev(3)], 1), StreamAppend("s-2", [ev(4)])])
    # One event to one stream: the statement itself; anything longer: the function.
    assert statements.names() == ["append-one-event", "append-one"]


async def test_a_lone_event_the_statement_cannot_write_is_judged_by_the_function(
    watched: tuple[EventStore, Statements],
) -> None:
    store, statements = watched
    await warm_up(store)
    await store.append("s", [ev(1)], NO_STREAM, idempotency_key="k")
    statements.sent.clear()
    with pytest.raises(WrongExpectedVersion):
        await store.append("s", [ev(2)], NO_STREAM)
    assert await store.append("s", [ev(1)], NO_STREAM, idempotency_key="k") == AppendResult(4, 1)
    assert statements.names() == ["append-one-event", "append-one"] * 2
    assert await store.append("s", [ev(2)], 1) == AppendResult(5, 2)
    assert (await store.verify()).ok


async def test_concurrent_appends_still_share_transactions(watched: tuple[EventStore, Statements]) -> None:
    store, statements = watched
    results = await asyncio.gather(*(store.append(f"c-{i}", [ev(i)], NO_STREAM) for i in range(50)))
    assert sorted(r.position for r in results) == list(range(1, 51))
    transactions = statements.names().count("append-one") + statements.names().count("BEGIN")
    assert transactions < 50
    assert (await store.verify()).ok


async def test_a_long_append_takes_the_batch_path(watched: tuple[EventStore, Statements]) -> None:
    store, statements = watched
    many = [ev(i) for i in range(MAX_LONE_EVENTS + 1)]
    result = await store.append("long", many)
    assert result == AppendResult(MAX_LONE_EVENTS + 1, MAX_LONE_EVENTS + 1)
    assert statements.names()[0] == "BEGIN"
    assert (await store.verify()).ok


AWKWARD = [
    {"title": "家庭 é 😀", "escaped": "\\u0000 and \u2028"},
    {"long": "é" * 5000},
    {},
    [1, 2.5, None, True],
]


async def test_the_database_hashes_the_bytes_events_chain_hashes(store: EventStore) -> None:
    await store.append("offer-共建", [NewEvent(type="t", data=d) for d in AWKWARD[:2]], NO_STREAM)
    metadata = Metadata(actor="人", extra={"é": 1})
    await store.append_many([
        StreamAppend("a-" + "长" * 150, [NewEvent(type="类型", data=AWKWARD[2], schema_version=3)]),
        StreamAppend("b", [NewEvent(type="t", data=AWKWARD[3], metadata=metadata)]),
    ])  # fmt: skip
    rows = await store.pool.fetch("SELECT * FROM events ORDER BY position")
    assert len(rows) == 4
    previous = GENESIS_HASH
    for row in rows:
        record = record_bytes(
            row["position"], row["event_id"], row["stream_id"], row["version"], row["type"],
            row["schema_version"], row["recorded_at"], row["data"], row["metadata"],
        )  # fmt: skip
        previous = chain(previous, record)
        assert bytes(row["hash"]) == previous, row["position"]
    head = await store.pool.fetchrow("SELECT position, hash FROM events_head")
    assert (head["position"], bytes(head["hash"])) == (4, previous)
    assert (await store.verify()).ok


async def test_lone_conditions_are_judged_after_the_head_lock(store: EventStore) -> None:
    await store.append("s", [ev(1)], expected_version=NO_STREAM)
    for expected, actual in ((NO_STREAM, 1), (0, 1), (5, 1)):
        with pytest.raises(WrongExpectedVersion) as caught:
            await store.append("s", [ev()], expected_version=expected)
        assert (caught.value.expected, caught.value.actual) == (expected, actual)
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append("new", [ev()], expected_version=STREAM_EXISTS)
    assert caught.value.actual == 0
    # A failing second stream writes nothing of the first.
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append_many([StreamAppend("t", [ev()], ANY), StreamAppend("s", [ev()], 7)])
    assert (caught.value.stream_id, caught.value.actual) == ("s", 1)
    assert await store.stream_version("t") == 0
    # Nothing failed moved the head: the next position follows without a gap.
    assert await store.append("s", [ev(2)], expected_version=1) == AppendResult(2, 2)


async def test_a_lone_retry_replays_and_a_reused_key_is_refused(store: EventStore) -> None:
    first = await store.append_many(
        [StreamAppend("x", [ev(1)], NO_STREAM), StreamAppend("y", [ev(2), ev(3)], NO_STREAM)], "key-1"
    )
    assert first == [AppendResult(1, 1), AppendResult(3, 2)]
    again = await store.append_many(
        [StreamAppend("x", [ev(1)], NO_STREAM), StreamAppend("y", [ev(2), ev(3)], NO_STREAM)], "key-1"
    )
    assert again == first
    with pytest.raises(IdempotencyKeyReused):
        await store.append("x", [ev(9)], idempotency_key="key-1")
    assert (await store.head())[0] == 3
    stored = await store.idempotent_result("key-1")
    assert stored is not None and [r for _, r in stored.streams] == first


async def test_a_lone_append_notifies_after_it_commits(store: EventStore, database_dsn: str) -> None:
    listener = await asyncpg.connect(database_dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    try:
        await listener.add_listener("events", lambda *args: heard.put_nowait(args[-1]))
        await store.append(str(uuid.uuid4()), [ev()])
        assert await asyncio.wait_for(heard.get(), timeout=10) == "1"
    finally:
        await listener.close()


async def _wait_until_blocked_on_a_lock(store: EventStore, others: int) -> None:
    """Until `others` sessions of this database wait for a lock (the head's, here)."""
    for _ in range(1000):
        waiting = await store.pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting >= others:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no append waited for the head")


async def test_a_lone_append_waiting_on_the_head_does_not_judge_by_what_it_saw_before(
    store: EventStore, database_dsn: str
) -> None:
    # A transaction holds the head while it writes version 2 of "s" and idempotency key "k". The
    # lone appends that queue behind it started with a snapshot that cannot see either.
    await store.append("s", [ev(1)], expected_version=NO_STREAM)
    holder = await asyncpg.connect(database_dsn)
    try:
        transaction = holder.transaction()
        await transaction.start()
        written = await write_batch(holder, [prepare([StreamAppend("s", [ev(2)], 1)], "k")])
        assert written == [[AppendResult(2, 2)]]
        after_it = asyncio.create_task(store.append("s", [ev(3)], expected_version=2))
        await _wait_until_blocked_on_a_lock(store, 1)
        retry = asyncio.create_task(store.append("s", [ev(2)], expected_version=1, idempotency_key="k"))
        await transaction.commit()
        # Judged by the stale snapshot, the first would be refused (it saw version 1) and the
        # second written twice (it saw no key "k").
        assert await after_it == AppendResult(3, 3)
        assert await retry == AppendResult(2, 2)
    finally:
        await holder.close()
    assert [e.version async for e in store.read_stream("s")] == [1, 2, 3]
    assert (await store.verify()).ok


def _writer_running() -> bool:
    return any(task.get_name() == "events-writer" for task in asyncio.all_tasks())


async def _hold_the_head(database_dsn: str) -> tuple[asyncpg.Connection[Any], Any]:
    """A session in a transaction that holds the head's lock, as an append in another process does."""
    holder = await asyncpg.connect(database_dsn)
    transaction = holder.transaction()
    await transaction.start()
    await holder.execute("SELECT position FROM events_head FOR UPDATE")
    return holder, transaction


async def test_an_idle_store_writes_a_lone_append_in_the_callers_turn_and_queues_what_follows(
    store: EventStore, database_dsn: str
) -> None:
    assert await store.append("s", [ev(1)], NO_STREAM) == AppendResult(1, 1)
    assert not _writer_running(), "nothing was queued: the caller wrote its request itself"
    holder, transaction = await _hold_the_head(database_dsn)
    try:
        first = asyncio.create_task(store.append("s", [ev(2)], 1))
        await _wait_until_blocked_on_a_lock(store, 1)
        # The first is being written: the ones behind it queue and are written together.
        behind = [asyncio.create_task(store.append(f"t-{i}", [ev(i)], NO_STREAM)) for i in range(10)]
        await asyncio.sleep(0)
        assert _writer_running()
        await transaction.commit()
        # Which waiter PostgreSQL hands the head to first is its business: positions, not order.
        results = [await first] + [await task for task in behind]
        assert results[0].version == 2
        assert sorted(result.position for result in results) == list(range(2, 13))
    finally:
        await holder.close()
    assert (await store.verify()).ok


async def test_a_cancelled_caller_does_not_cancel_its_lone_write(
    store: EventStore, database_dsn: str
) -> None:
    holder, transaction = await _hold_the_head(database_dsn)
    try:
        caller = asyncio.create_task(store.append("s", [ev(1)], NO_STREAM, idempotency_key="k"))
        await _wait_until_blocked_on_a_lock(store, 1)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        await transaction.commit()
    finally:
        await holder.close()
    # The write was sent before the caller gave up: it completes, whole, and the retry replays it.
    assert await store.append("s", [ev(1)], NO_STREAM, idempotency_key="k") == AppendResult(1, 1)
    assert [e.version async for e in store.read_stream("s")] == [1]
    assert (await store.verify()).ok


async def head_scans(conn: asyncpg.Connection[Any]) -> tuple[int, int]:
    """This transaction's sequential and index scans of events_head, so far."""
    row = await conn.fetchrow(
        "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'events_head'"
    )
    assert row is not None
    return row["seq_scan"], row["idx_scan"]


async def append_three(store: EventStore) -> None:
    """Three lone appends, so that a test's own append is not the log's first."""
    for i in range(3):
        await store.append(f"warm-{i}", [ev(i)])


async def test_a_lone_event_is_judged_and_written_without_a_locking_read(
    store: EventStore, database_dsn: str
) -> None:
    conn = await asyncpg.connect(database_dsn)
    try:
        request = prepare([StreamAppend("s", [ev(1)], NO_STREAM)], None)
        stream, event = request.streams[0], request.streams[0].events[0]
        arguments = (
            [stream.stream_id], [-2], [1], [event.event_id], [event.type], [event.schema_version],
            [event.data], [event.metadata], None, b"",
        )  # fmt: skip
        async with conn.transaction():
            row = await conn.fetchrow(query("events/append-one"), *arguments)
            reads = sum(await head_scans(conn))
        assert (row["stream_positions"], row["stream_versions"]) == ([1], [1])
        # The snapshot's read of the head and the UPDATE that locks it by moving it; the locking
        # read (and the check of it against the snapshot) that a longer append takes is not made.
        assert reads == 2
    finally:
        await conn.close()
    assert (await store.verify()).ok


async def test_a_lone_event_finds_the_head_by_its_key_not_by_reading_every_page(
    store: EventStore, database_dsn: str
) -> None:
    # The head's row moves with every append; the pages its old versions spread over stay. A
    # sequential scan (as events_append_one's statements make) reads them all, every append.
    await append_three(store)
    conn = await asyncpg.connect(database_dsn)
    try:
        request = prepare([StreamAppend("s", [ev(1)], NO_STREAM)], None)
        stream, event = request.streams[0], request.streams[0].events[0]
        async with conn.transaction():
            row = await conn.fetchrow(
                query("events/append-one-event"), stream.stream_id, -2, event.event_id, event.type,
                event.schema_version, event.data, event.metadata, None, b"",
            )  # fmt: skip
            scans = await head_scans(conn)
        assert (row["position"], row["version"]) == (4, 1)
        assert scans == (0, 2)
    finally:
        await conn.close()
    assert (await store.verify()).ok


async def _others(admin: asyncpg.Connection[Any], store: EventStore) -> list[int]:
    """The sessions of this database besides `admin` and the store's pooled ones."""
    async with store.pool.acquire() as pooled:
        pooled_pid = await pooled.fetchval("SELECT pg_backend_pid()")
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid NOT IN (pg_backend_pid(), $1)",
        pooled_pid,
    )
    return [row["pid"] for row in rows]


async def test_a_store_writes_lone_appends_on_a_connection_of_its_own(database_dsn: str) -> None:
    store = await EventStore.connect(database_dsn, min_size=1, max_size=1)
    admin = await asyncpg.connect(database_dsn)
    try:
        assert await store.append("s", [ev(1)], NO_STREAM) == AppendResult(1, 1)
        assert len(await _others(admin, store)) == 1, "the pool's one connection and the writer's"
        async with store.pool.acquire():
            # The pool's only connection is taken (a reader, say): a lone append does not wait.
            written = await asyncio.wait_for(store.append("s", [ev(2)], 1), timeout=10)
        assert written == AppendResult(2, 2)
        # Only the writer's statements run there, planned once: generic plans from the first call.
        (lone,) = store._writer.idle_connections  # the session alone sees its prepared statements
        plans = await lone.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            query("events/append-one-event"),
        )
        assert (plans["generic_plans"], plans["custom_plans"]) == (2, 0)
    finally:
        await admin.close()
        await store.close()


async def test_a_store_writes_its_batches_on_connections_of_its_own(database_dsn: str) -> None:
    store = await EventStore.connect(database_dsn, min_size=1, max_size=1)
    try:
        async with store.pool.acquire():
            # A reader holds the pool's only connection: concurrent appends, written in batches
            # behind the first (lone) one, do not wait for it.
            appends = [store.append(f"s-{i}", [ev(i)], NO_STREAM) for i in range(20)]
            written = await asyncio.wait_for(asyncio.gather(*appends), timeout=10)
        assert sorted(w.position for w in written) == list(range(1, 21))
        assert 1 <= len(store._writer.idle_connections) <= BATCHES_IN_FLIGHT
    finally:
        await store.close()


async def test_a_lost_lone_connection_is_replaced(database_dsn: str) -> None:
    store = await EventStore.connect(database_dsn, min_size=1, max_size=1)
    admin = await asyncpg.connect(database_dsn)
    try:
        await store.append("s", [ev(1)], NO_STREAM)
        (lone,) = await _others(admin, store)
        await admin.execute("SELECT pg_terminate_backend($1, 10000)", lone)
        await asyncio.sleep(0.2)  # the client reads the server's goodbye
        assert await store.append("s", [ev(2)], 1) == AppendResult(2, 2)
        assert len(await _others(admin, store)) == 1
        assert [e.version async for e in store.read_stream("s")] == [1, 2]
    finally:
        await admin.close()
        await store.close()


async def test_a_lone_event_replays_its_key_and_refuses_it_reused(store: EventStore) -> None:
    first = await store.append("x", [ev(1)], NO_STREAM, idempotency_key="key-1")
    assert await store.append("x", [ev(1)], NO_STREAM, idempotency_key="key-1") == first
    with pytest.raises(IdempotencyKeyReused):
        await store.append("x", [ev(2)], idempotency_key="key-1")
    stored = await store.idempotent_result("key-1")
    assert stored is not None and stored.streams == [("x", first)]
    assert await store.append("x", [ev(3)], 1) == AppendResult(2, 2)
    assert (await store.verify()).ok


async def test_a_log_written_before_the_one_statement_event_chains_on_after_the_upgrade(
    empty_database_dsn: str, tmp_path: Path
) -> None:
    # The store as it was before migration 0005: events_append_one with its two statements.
    for migration in sorted(MIGRATIONS.glob("000[1-4]_*.sql")):
        shutil.copy(migration, tmp_path)
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        assert [m.version for m in await migrate(conn, tmp_path)] == [1, 2, 3, 4]
        store = await EventStore.connect(empty_database_dsn)
        try:
            await store.append("s", [ev(1)], NO_STREAM, idempotency_key="before")
            await store.append_many([StreamAppend("s", [ev(2)], 1), StreamAppend("t", [ev(3)])])
        finally:
            await store.close()
        assert [m.version for m in await migrate(conn)] == [5, 6]
    finally:
        await conn.close()
    store = await EventStore.connect(empty_database_dsn)
    try:
        assert await store.append("s", [ev(4)], 2) == AppendResult(4, 3)
        assert await store.append("s", [ev(1)], NO_STREAM, idempotency_key="before") == AppendResult(1, 1)
        with pytest.raises(WrongExpectedVersion):
            await store.append("t", [ev(5)], NO_STREAM)
        report = await store.verify()
        assert report.ok and report.checked == 4
    finally:
        await store.close()


async def test_no_append_path_and_no_read_of_the_head_scans_the_head_table(
    store: EventStore, database_dsn: str
) -> None:
    # As above, for the other statements that touch the head (migration 0006): the batch path's
    # events_begin_append and insert, events_append_one's locking path (two events; a condition
    # that fails), the head's reads and an import's lock. A scan of the table reads every page
    # the head's row has left behind, and their count only grows with the log.
    await append_three(store)
    conn = await asyncpg.connect(database_dsn)
    try:
        async with conn.transaction():
            two = await write_alone(conn, prepare([StreamAppend("two", [ev(1), ev(2)], NO_STREAM)], None))
            refused = await write_alone(conn, prepare([StreamAppend("two", [ev(3)], 7)], None))
            batch = await write_batch(
                conn, [prepare([StreamAppend(f"b-{n}", [ev(n)], NO_STREAM)], None) for n in range(2)]
            )
            head = await conn.fetchval(query("events/head-position"))
            await conn.fetchrow(query("events/head"))
            await conn.fetchrow(query("events/import-begin"))
            scans = await head_scans(conn)
        assert two == [AppendResult(5, 2)] and isinstance(refused, WrongExpectedVersion)
        assert batch == [[AppendResult(6, 1)], [AppendResult(7, 1)]] and head == 7
        assert scans[0] == 0 and scans[1] > 0, scans
    finally:
        await conn.close()
    assert (await store.verify()).ok
