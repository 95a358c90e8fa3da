"""Export and import of the log: a registry's log moved to another database verifies and rebuilds
the same read models there; any altered line is refused by number and nothing is loaded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
import pytest

from events import EventStore, NewEvent
from events.chain import GENESIS_HASH, chain, record_bytes
from events.transfer import (
    ExportedEvent,
    ExportHeader,
    ImportRefused,
    LogNotEmpty,
    LogReader,
    export_log,
    import_log,
)
from registry.app import open_registry
from registry.read.projection import SCHEMA
from registry.settings import Settings
from tests.api_fixtures import Api, cloned_database, offer_body, plan_body, serving_api

DAY = {"starts_at": "2026-10-17T08:00:00+08:00", "ends_at": "2026-10-17T18:00:00+08:00"}
MORNING = {"starts_at": "2026-10-17T09:00:00+08:00", "ends_at": "2026-10-17T12:00:00+08:00"}


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


async def fill_registry(api: Api) -> None:
    """Units (made by the fixture), an offer, a published plan with a slot, a confirmed and
    fulfilled commitment, a revised offer: every read-model table gets rows, some of them closed."""
    body = offer_body(
        category="repair.umbrella", availability=[DAY], capacity={"quantity": 5, "measure": "people"}
    )
    offered = await _ok(await api.post(f"/api/v1/units/{api.units['own']}/offers", body), 201)
    plan = await _ok(await api.post("/api/v1/plans", plan_body(**DAY)), 201)
    slot = await _ok(
        await api.post(f"/api/v1/plans/{plan['id']}/slots", {"category": "repair", "quantity": 2, **MORNING}),
        201,
    )
    await _ok(await api.post(f"/api/v1/plans/{plan['id']}/publish"))
    made = await _ok(
        await api.post(
            "/api/v1/commitments",
            {"offer_id": offered["id"], "quantity": 2, "plan_id": plan["id"], "slot_id": slot["id"]},
        ),
        201,
    )
    path = f"/api/v1/commitments/{made['id']}"
    await _ok(await api.post(f"{path}/confirm", who="liaison_own"))
    await _ok(
        await api.post(f"{path}/fulfil", {"people_served": 40, "volunteer_hours": 5.5}, who="liaison_own")
    )
    await _ok(await api.patch(f"/api/v1/offers/{offered['id']}", {"title": "修伞·磨刀"}, who="liaison_own"))


async def fill_registry_at(dsn: str) -> None:
    async with serving_api(dsn) as api:
        await fill_registry(api)


async def export_lines(pool: asyncpg.Pool[Any], after: int = 0) -> list[bytes]:
    return [line async for line in export_log(pool, after)]


async def read_model_rows(dsn: str) -> dict[str, list[str]]:
    """Every row of every read-model table, as text, in a stable order."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1", SCHEMA
        )
        rows: dict[str, list[str]] = {}
        for t in tables:
            name = t["table_name"]
            found = await conn.fetch(f'SELECT x::text AS row FROM {SCHEMA}."{name}" x ORDER BY 1')
            rows[name] = [r["row"] for r in found]
        return rows
    finally:
        await conn.close()


async def log_rows(pool: asyncpg.Pool[Any]) -> list[str]:
    return [r["row"] for r in await pool.fetch("SELECT e::text AS row FROM events e ORDER BY position")]


@pytest.fixture
async def target_dsn(server_dsn: str, template_database: str, run_prefix: str) -> AsyncIterator[str]:
    """A second fresh, migrated database, for the import."""
    async with cloned_database(
        server_dsn, template_database, f"{run_prefix}_target_{uuid.uuid4().hex[:8]}"
    ) as dsn:
        yield dsn


@pytest.fixture
async def target(target_dsn: str) -> AsyncIterator[EventStore]:
    store = await EventStore.connect(target_dsn)
    yield store
    await store.close()


async def assert_empty(store: EventStore) -> None:
    assert await store.head() == (0, GENESIS_HASH.hex())
    assert await store.pool.fetchval("SELECT count(*) FROM events") == 0


# -- a registry's log, moved ----------------------------------------------------------------------


async def test_an_exported_registry_log_imports_with_the_same_head_and_read_models(
    database_dsn: str, target_dsn: str, target: EventStore
) -> None:
    await fill_registry_at(database_dsn)
    source = await EventStore.connect(database_dsn)
    try:
        lines = await export_lines(source.pool)
        source_head = await source.head()
        source_rows = await log_rows(source.pool)
    finally:
        await source.close()
    assert source_head[0] > 10

    report = await import_log(target.pool, lines, batch_size=4)  # several batches, one transaction

    assert (report.events, report.head_position, report.head_hash) == (source_head[0], *source_head)
    verified = await target.verify()
    assert verified.ok and verified.checked == source_head[0]
    assert (verified.head_position, verified.head_hash) == source_head
    assert await log_rows(target.pool) == source_rows  # same positions, ids, times, bytes, hashes

    registry = await open_registry(Settings(database_url=target_dsn, pool_min_size=1, pool_max_size=2))
    await registry.close()
    source_models, target_models = await read_model_rows(database_dsn), await read_model_rows(target_dsn)
    assert set(source_models) >= {"units", "offers", "plans", "commitments", "tokens"}
    assert all(source_models[t] for t in ("units", "offers", "plans", "commitments", "tokens"))
    assert target_models == source_models


async def test_an_export_is_a_header_then_one_line_per_event_with_the_stored_bytes(store: EventStore) -> None:
    await store.append("s-1", [NewEvent(type="t", data={"text": '虹口区 "quoted" \\ \u2028', "n": 1.5})])
    await store.append(
        "s-2", [NewEvent(type="u", data=[1, 2], metadata={"actor": "someone"}, schema_version=3)]
    )
    lines = await export_lines(store.pool)

    assert len(lines) == 3 and all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    header = msgspec.json.decode(lines[0], type=ExportHeader)
    head = await store.head()
    assert (header.format, header.format_version, header.after, header.after_hash) == (
        "events-ndjson", 1, 0, GENESIS_HASH.hex(),
    )  # fmt: skip
    assert (header.head_position, header.head_hash) == head
    stored = await store.pool.fetch("SELECT * FROM events ORDER BY position")
    for line, row in zip(lines[1:], stored, strict=True):
        event = msgspec.json.decode(line, type=ExportedEvent)
        assert (event.position, event.event_id, event.stream_id, event.version, event.type) == (
            row["position"], str(row["event_id"]), row["stream_id"], row["version"], row["type"],
        )  # fmt: skip
        assert (event.schema_version, event.recorded_at, event.hash) == (
            row["schema_version"], row["recorded_at"], bytes(row["hash"]).hex(),
        )  # fmt: skip
        assert event.recorded_at.microsecond == row["recorded_at"].microsecond
        # The payloads are strings holding the stored JSON text, byte for byte.
        assert (event.data, event.metadata) == (row["data"], row["metadata"])
        assert isinstance(msgspec.json.decode(line)["data"], str)


async def test_an_export_after_a_position_starts_there_and_names_the_hash_it_chains_from(
    store: EventStore,
) -> None:
    for i in range(6):
        await store.append("s", [NewEvent(type="t", data={"i": i})])
    lines = await export_lines(store.pool, after=4)
    header = msgspec.json.decode(lines[0], type=ExportHeader)
    hash_at_4 = await store.pool.fetchval("SELECT hash FROM events WHERE position = 4")
    assert (header.after, header.after_hash, header.head_position) == (4, bytes(hash_at_4).hex(), 6)
    assert [msgspec.json.decode(line, type=ExportedEvent).position for line in lines[1:]] == [5, 6]


async def test_an_export_pages_through_the_log_in_order(store: EventStore) -> None:
    for i in range(7):
        await store.append(f"s-{i % 2}", [NewEvent(type="t", data={"i": i})])
    lines = [line async for line in export_log(store.pool, page_size=3)]
    assert [msgspec.json.decode(line, type=ExportedEvent).position for line in lines[1:]] == list(range(1, 8))


# -- altered files are refused by line, and nothing is loaded ------------------------------------


async def _small_log(store: EventStore, count: int = 20) -> list[bytes]:
    for i in range(count):
        await store.append(f"s-{i % 3}", [NewEvent(type="thing_happened", data={"n": i})])
    return await export_lines(store.pool)


def _flip_data(line: bytes) -> bytes:
    event = msgspec.json.decode(line)
    assert event["data"].startswith('{"n":')
    return line.replace(b'{\\"n\\":', b'{\\"m\\":', 1)  # one byte of the data field


def _flip_hash(line: bytes) -> bytes:
    start = line.index(b'"hash":"') + len(b'"hash":"')
    flipped = b"0" if line[start : start + 1] != b"0" else b"1"
    return line[:start] + flipped + line[start + 1 :]


def _swap(lines: list[bytes], i: int) -> list[bytes]:
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return lines


Alteration = Callable[[list[bytes]], list[bytes]]

ALTERATIONS: list[tuple[str, Alteration, int, str]] = [
    # (what, how, the line refused (1-based; line 1 is the header), what the reason says)
    (
        "a data byte",
        lambda ls: [*ls[:14], _flip_data(ls[14]), *ls[15:]],
        15,
        "the hash does not match (position 14)",
    ),
    (
        "a hash byte",
        lambda ls: [*ls[:11], _flip_hash(ls[11]), *ls[12:]],
        12,
        "the hash does not match (position 11)",
    ),
    ("two lines swapped", lambda ls: _swap(ls, 16), 17, "position 17 where position 16 was expected"),
    ("a line deleted", lambda ls: [*ls[:9], *ls[10:]], 10, "position 10 where position 9 was expected"),
    ("the last line deleted", lambda ls: ls[:-1], 21, "the file ends at position 19"),
    ("a line cut short", lambda ls: [*ls[:5], ls[5][:-20] + b"\n", *ls[6:]], 6, "malformed"),
    (
        "a byte that is not UTF-8",
        lambda ls: [*ls[:7], ls[7].replace(b"thing", b"th\xffng"), *ls[8:]],
        8,
        "malformed",
    ),
    ("an unknown field", lambda ls: [*ls[:3], ls[3].replace(b"{", b'{"x":1,', 1), *ls[4:]], 4, "malformed"),
    ("an id spelt in capitals", lambda ls: [*ls[:2], _upper_id(ls[2]), *ls[3:]], 3, "malformed"),
    ("the header's head hash", lambda ls: [_flip_hash_field(ls[0], "head_hash"), *ls[1:]], 1, "head hash"),
    ("an empty file", lambda ls: [], 1, "the file is empty"),
]


def _upper_id(line: bytes) -> bytes:
    event = msgspec.json.decode(line)
    return line.replace(event["event_id"].encode(), event["event_id"].upper().encode())


def _flip_hash_field(line: bytes, field: str) -> bytes:
    header = msgspec.json.decode(line)
    value: str = header[field]
    return line.replace(value.encode(), (("1" if value[0] == "0" else "0") + value[1:]).encode())


@pytest.mark.parametrize(
    ("alteration", "line", "reason"), [a[1:] for a in ALTERATIONS], ids=[a[0] for a in ALTERATIONS]
)
async def test_an_altered_file_is_refused_at_its_line_and_nothing_is_loaded(
    store: EventStore, target: EventStore, alteration: Alteration, line: int, reason: str
) -> None:
    lines = await _small_log(store)
    assert len(lines) == 21
    altered = alteration(list(lines))
    assert altered != lines

    # Batches of 3: by the time the bad line is read, earlier batches are already inserted.
    with pytest.raises(ImportRefused) as refused:
        await import_log(target.pool, altered, batch_size=3)

    assert refused.value.line == line, refused.value
    assert reason in refused.value.reason
    assert str(refused.value).startswith(f"line {line}: ")
    await assert_empty(target)
    # The same database then takes the unaltered file: the refusal left nothing behind.
    assert (await import_log(target.pool, lines, batch_size=3)).head_position == 20
    assert (await target.verify()).ok


async def test_an_import_into_a_log_with_events_is_refused_and_changes_nothing(
    store: EventStore, target: EventStore
) -> None:
    lines = await _small_log(store, 5)
    await target.append("already", [NewEvent(type="t", data={})])
    before = await target.head()
    with pytest.raises(LogNotEmpty, match="already has 1 events"):
        await import_log(target.pool, lines)
    assert await target.head() == before
    assert await target.pool.fetchval("SELECT count(*) FROM events") == 1


async def test_an_export_made_after_a_position_is_refused_by_import(
    store: EventStore, target: EventStore
) -> None:
    await _small_log(store, 5)
    lines = await export_lines(store.pool, after=2)
    with pytest.raises(ImportRefused, match="line 1: the export starts after position 2"):
        await import_log(target.pool, lines)
    await assert_empty(target)


def _crafted(events: list[tuple[str, int, uuid.UUID]]) -> list[bytes]:
    """A file whose chain verifies: what someone rewriting the log would make."""
    encoder = msgspec.json.Encoder()
    now = datetime(2026, 10, 17, 1, 2, 3, 456789, tzinfo=UTC)
    previous = GENESIS_HASH
    lines = []
    for position, (stream, version, event_id) in enumerate(events, 1):
        record = record_bytes(position, event_id, stream, version, "t", 1, now, "{}", "{}")
        previous = chain(previous, record)
        event = ExportedEvent(
            position=position, event_id=str(event_id), stream_id=stream, version=version, type="t",
            schema_version=1, recorded_at=now, data="{}", metadata="{}", hash=previous.hex(),
        )  # fmt: skip
        lines.append(encoder.encode(event) + b"\n")
    header = ExportHeader(
        format="events-ndjson", format_version=1, after=0, after_hash=GENESIS_HASH.hex(),
        head_position=len(events), head_hash=previous.hex(), exported_at=now,
    )  # fmt: skip
    return [encoder.encode(header) + b"\n", *lines]


async def test_a_file_that_verifies_but_repeats_an_event_id_is_refused_at_the_repeat(
    target: EventStore,
) -> None:
    ids = [uuid.uuid4() for _ in range(5)]
    lines = _crafted(
        [("a", 1, ids[0]), ("a", 2, ids[1]), ("b", 1, ids[2]), ("b", 2, ids[3]), ("c", 1, ids[1])]
    )
    with pytest.raises(ImportRefused, match=f"line 6: event id {ids[1]} appears twice"):
        await import_log(target.pool, lines, batch_size=2)
    await assert_empty(target)


async def test_a_file_that_verifies_but_skips_a_stream_version_is_refused(target: EventStore) -> None:
    lines = _crafted([("a", 1, uuid.uuid4()), ("b", 1, uuid.uuid4()), ("a", 3, uuid.uuid4())])
    with pytest.raises(ImportRefused, match="line 4: stream 'a' goes from version 1 to 3"):
        await import_log(target.pool, lines)
    await assert_empty(target)


def test_a_crafted_file_with_a_consistent_chain_reads_without_a_database() -> None:
    reader = LogReader()
    lines = _crafted([("a", 1, uuid.uuid4()), ("a", 2, uuid.uuid4())])
    assert [e.position for line in lines if (e := reader.read(line)) is not None] == [1, 2]
    assert reader.finish().head_position == 2
