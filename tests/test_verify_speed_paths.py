"""Verify's fast path hashes the same bytes as the chain: the database's encoding of each field,
the page fetched while the one before is hashed, and every tamper still named at its position."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import EventStore, Metadata, NewEvent, StreamAppend
from events.chain import encoded_record, micros, record_bytes
from events.sql import query
from events.verify import verify_log
from tests.helpers import ev


def test_record_bytes_keep_the_form_every_stored_hash_was_made_with() -> None:
    # Digests made by the first implementation of the chain: a changed form would orphan every log.
    record = record_bytes(
        123456789, uuid.UUID("0f0e0d0c-0b0a-4908-8706-050403020100"), "offer-共建", 7, "offer_revised", 2,
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), '{"title":"家庭 \\u00e9 😀"}',
        '{"actor":"token:x"}',
    )  # fmt: skip
    assert hashlib.sha256(record).hexdigest() == (
        "a543cc684265d1f3445dc101532d08d96f3a0a90db4ded6561c0035871875ad4"
    )
    long_text = record_bytes(
        1, uuid.UUID(int=0), "s", 1, "t", 1,
        datetime(2026, 11, 25, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8))),
        '"' + "é" * 5000 + '"', "{}",
    )  # fmt: skip
    assert hashlib.sha256(long_text).hexdigest() == (
        "da6b2dbbc6e7ca69c6007c6011d9ecdb500415702e87a4eb06278a04141bd6a6"
    )


@given(
    stream_id=st.text(min_size=1),
    type_=st.text(min_size=1),
    data=st.text() | st.text(min_size=4100, max_size=4200),
    metadata=st.text(),
    position=st.integers(1, 2**63 - 1),
    version=st.integers(1, 2**31 - 1),
    moment=st.datetimes(timezones=st.just(UTC)),
)
def test_encoded_record_is_record_bytes_of_the_encoded_fields(
    stream_id: str, type_: str, data: str, metadata: str, position: int, version: int, moment: datetime
) -> None:
    event_id = uuid.uuid4()
    encoded = encoded_record(
        str(position).encode(), str(event_id).encode(), stream_id.encode(), str(version).encode(),
        type_.encode(), b"3", str(micros(moment)).encode(), data.encode(), metadata.encode(),
    )  # fmt: skip
    assert encoded == record_bytes(position, event_id, stream_id, version, type_, 3, moment, data, metadata)


async def test_verify_page_hands_over_the_bytes_the_chain_hashed(store: EventStore) -> None:
    awkward = [
        {"title": "家庭关系调解 😀", "note": 'quote " backslash \\ tab \t'},
        {"long": "長" * 3000},  # over 4096 bytes of UTF-8
        {"escaped": "\u00e9\u2028", "n": -1.5e300},
    ]
    await store.append_many(
        [
            StreamAppend(
                f"offer-{'共' * 190}-{i}",
                [NewEvent(type="类型_" + "t" * 150, data=data, metadata=Metadata(actor="社区 🙂"))],
            )
            for i, data in enumerate(awkward)
        ]
    )
    rows = await store.pool.fetch(query("events/verify-page"), 0, 10)
    events = [e async for e in store.read_all()]
    assert len(rows) == len(events) == 3
    for row, event in zip(rows, events, strict=True):
        position, event_id, stream_id, version, type_, schema_version, recorded_at, data, metadata, _ = row
        stored = await store.pool.fetchrow(
            "SELECT data::text AS data, metadata::text AS metadata FROM events WHERE position = $1", position
        )
        assert stored is not None
        expected = record_bytes(
            event.position, event.event_id, event.stream_id, event.version, event.type,
            event.schema_version, event.recorded_at, stored["data"], stored["metadata"],
        )  # fmt: skip
        assert expected == encoded_record(
            b"%d" % position, str(event_id).encode(), stream_id.encode(), b"%d" % version,
            type_.encode(), b"%d" % schema_version, recorded_at.encode(), data, metadata,
        )  # fmt: skip
    assert (await store.verify()).ok


async def _tamper(store: EventStore, *statements: str) -> None:
    """Alter the log the way only a superuser could: with the guard triggers switched off."""
    async with store.pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
        for statement in statements:
            await conn.execute(statement)
        await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")


async def _fill(store: EventStore, count: int) -> None:
    await store.append_many([StreamAppend(f"s-{i}", [ev(i)]) for i in range(count)])


@pytest.mark.parametrize("page_size", [1, 7, 249, 250, 251, 600, 700, 701, 2000])
async def test_verify_checks_every_row_whatever_the_page_size(store: EventStore, page_size: int) -> None:
    await _fill(store, 700)
    seen: list[int] = []
    report = await store.verify()
    paged = await verify_log(store.pool, page_size=page_size, progress=seen.append)
    assert report.ok and paged.ok and paged.checked == 700 and paged.head_hash == report.head_hash
    # After each page; a last, empty page when the pages came out even.
    pages = [min(n, 700) for n in range(page_size, 700 + page_size, page_size)]
    assert seen == pages + ([700] if 700 % page_size == 0 else [])


@pytest.mark.parametrize("bad", [1, 250, 251, 501, 699, 700])
@pytest.mark.parametrize("page_size", [7, 300, 2000])
async def test_verify_names_an_altered_row_in_any_page_or_slice(
    store: EventStore, bad: int, page_size: int
) -> None:
    await _fill(store, 700)
    await _tamper(store, f"UPDATE events SET data = '{{\"n\":666}}' WHERE position = {bad}")
    report = await verify_log(store.pool, page_size=page_size)
    assert (report.ok, report.first_bad_position, report.checked) == (False, bad, bad - 1)
    assert report.reason == "the stored bytes do not match the hash chain"


@pytest.mark.parametrize("page_size", [5, 300])
async def test_verify_names_a_row_missing_at_a_page_boundary(store: EventStore, page_size: int) -> None:
    await _fill(store, 700)
    await _tamper(store, "DELETE FROM events WHERE position = 301")
    report = await verify_log(store.pool, page_size=page_size)
    assert report.first_bad_position == 301
    assert report.reason == "position 301 is missing (next stored is 302)"


async def test_a_verify_that_stops_early_leaves_its_connection_usable(database_dsn: str) -> None:
    store = await EventStore.connect(database_dsn, min_size=1, max_size=1)
    try:
        await _fill(store, 50)
        await _tamper(store, "UPDATE events SET hash = sha256('forged') WHERE position = 2")
        # Position 2 is bad while the next page is already being fetched on the same connection.
        for _ in range(3):
            assert (await verify_log(store.pool, page_size=3)).first_bad_position == 2
        assert await store.pool.fetchval("SELECT count(*) FROM events") == 50
    finally:
        await store.close()


async def test_verify_names_a_time_moved_to_infinity(store: EventStore) -> None:
    await _fill(store, 10)
    await _tamper(store, "UPDATE events SET recorded_at = 'infinity' WHERE position = 4")
    report = await store.verify()
    assert (report.first_bad_position, report.reason) == (4, "the stored bytes do not match the hash chain")


async def test_verify_names_a_time_moved_by_one_microsecond(store: EventStore) -> None:
    await _fill(store, 10)
    await _tamper(
        store, "UPDATE events SET recorded_at = recorded_at + interval '1 microsecond' WHERE position = 6"
    )
    assert (await store.verify()).first_bad_position == 6
