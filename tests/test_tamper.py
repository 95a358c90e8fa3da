"""Append-only by the database, and tampering found by the hash chain at its exact position."""

from __future__ import annotations

import asyncpg
import pytest

from events import EventStore
from events.chain import GENESIS_HASH
from tests.helpers import ev


async def _fill(store: EventStore, count: int = 10) -> None:
    for i in range(count):
        await store.append(f"s-{i % 3}", [ev(i)])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET data = '{\"n\": 666}' WHERE position = 3",
        "DELETE FROM events WHERE position = 3",
        "TRUNCATE events",
        "UPDATE events_idempotency SET result = '[]'",
        "DELETE FROM events_idempotency",
        "TRUNCATE events_idempotency",
    ],
)
async def test_changing_the_log_is_refused_by_the_database(store: EventStore, statement: str) -> None:
    await _fill(store, 5)
    await store.append("k", [ev()], idempotency_key="key")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await store.pool.execute(statement)
    assert (await store.verify()).ok


async def test_writer_role_may_only_read_and_insert(store: EventStore) -> None:
    privileges = await store.pool.fetch(
        "SELECT privilege_type FROM information_schema.role_table_grants "
        "WHERE grantee = 'events_writer' AND table_name = 'events' ORDER BY 1"
    )
    assert [r["privilege_type"] for r in privileges] == ["INSERT", "SELECT"]


async def test_verify_of_an_intact_log_reports_head(store: EventStore) -> None:
    empty = await store.verify()
    assert (empty.ok, empty.checked, empty.head_position, empty.head_hash) == (
        True, 0, 0, GENESIS_HASH.hex(),
    )  # fmt: skip
    await _fill(store)
    report = await store.verify()
    assert report.ok and report.checked == 10 and report.first_bad_position is None
    assert (report.head_position, report.head_hash) == (10, (await store.head())[1])


async def _tamper(store: EventStore, *statements: str) -> None:
    """Alter the log the way only a superuser could: with the guard triggers switched off."""
    async with store.pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
        for statement in statements:
            await conn.execute(statement)
        await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")


async def test_verify_finds_an_altered_payload_at_its_position(store: EventStore) -> None:
    await _fill(store)
    await _tamper(store, "UPDATE events SET data = '{\"n\":666}' WHERE position = 7")
    report = await store.verify()
    assert not report.ok
    assert report.first_bad_position == 7
    assert report.checked == 6


async def test_verify_finds_an_altered_payload_even_with_equal_json_meaning(
    store: EventStore,
) -> None:
    await _fill(store)
    await _tamper(store, "UPDATE events SET data = '{\"n\": 4}' WHERE position = 5")  # a space added
    assert (await store.verify()).first_bad_position == 5


async def test_verify_finds_an_altered_hash(store: EventStore) -> None:
    await _fill(store)
    await _tamper(store, "UPDATE events SET hash = sha256('forged') WHERE position = 4")
    assert (await store.verify()).first_bad_position == 4


async def test_verify_finds_a_deleted_row(store: EventStore) -> None:
    await _fill(store)
    await _tamper(store, "DELETE FROM events WHERE position = 6")
    report = await store.verify()
    assert report.first_bad_position == 6
    assert "missing" in (report.reason or "")


async def test_verify_finds_rows_cut_off_the_end(store: EventStore) -> None:
    await _fill(store)
    await _tamper(store, "DELETE FROM events WHERE position > 8")
    assert (await store.verify()).first_bad_position == 9


async def test_verify_finds_swapped_payloads(store: EventStore) -> None:
    await _fill(store)
    await _tamper(
        store,
        "UPDATE events SET data = CASE position WHEN 3 THEN (SELECT data FROM events WHERE position = 8)"
        " ELSE (SELECT data FROM events WHERE position = 3) END WHERE position IN (3, 8)",
    )
    assert (await store.verify()).first_bad_position == 3


async def test_verify_finds_a_rewritten_metadata_actor(store: EventStore) -> None:
    await _fill(store)
    await _tamper(store, 'UPDATE events SET metadata = \'{"actor":"someone-else"}\' WHERE position = 2')
    assert (await store.verify()).first_bad_position == 2
