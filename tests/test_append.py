"""Appending: versions, conditions, atomicity across streams, idempotency, metadata."""

from __future__ import annotations

import uuid

import pytest

from events import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    AppendResult,
    DuplicateEventId,
    EventStore,
    IdempotencyKeyReused,
    Metadata,
    NewEvent,
    StreamAppend,
    WrongExpectedVersion,
)


def ev(n: int = 0, type_: str = "thing_happened", **kw: object) -> NewEvent:
    return NewEvent(type=type_, data={"n": n}, **kw)  # type: ignore[arg-type]


async def collect(iterator):  # type: ignore[no-untyped-def]
    return [e async for e in iterator]


async def test_append_to_new_stream_returns_position_and_version(store: EventStore) -> None:
    result = await store.append("offer-1", [ev(1), ev(2)], expected_version=NO_STREAM)
    assert result == AppendResult(position=2, version=2)
    second = await store.append("offer-1", [ev(3)], expected_version=2)
    assert second == AppendResult(position=3, version=3)


async def test_append_with_stale_version_raises_wrong_expected_version(store: EventStore) -> None:
    await store.append("offer-1", [ev(1), ev(2)])
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append("offer-1", [ev(3)], expected_version=1)
    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == ("offer-1", 1, 2)
    assert "stream: offer-1" in str(caught.value)
    assert [e.version async for e in store.read_stream("offer-1")] == [1, 2]


async def test_no_stream_refuses_an_existing_stream(store: EventStore) -> None:
    await store.append("s", [ev()])
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append("s", [ev()], expected_version=NO_STREAM)
    assert caught.value.actual == 1


async def test_expected_version_zero_means_the_stream_is_new(store: EventStore) -> None:
    await store.append("s", [ev()], expected_version=0)
    with pytest.raises(WrongExpectedVersion):
        await store.append("s", [ev()], expected_version=0)


async def test_stream_exists_refuses_a_new_stream(store: EventStore) -> None:
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append("s", [ev()], expected_version=STREAM_EXISTS)
    assert caught.value.actual == 0
    await store.append("s", [ev()])
    assert (await store.append("s", [ev()], expected_version=STREAM_EXISTS)).version == 2


async def test_any_appends_whatever_the_version(store: EventStore) -> None:
    for _ in range(3):
        await store.append("s", [ev()], expected_version=ANY)
    assert [e.version async for e in store.read_stream("s")] == [1, 2, 3]


async def test_append_many_is_atomic_one_conflict_writes_nothing(store: EventStore) -> None:
    await store.append("plan-1", [ev()])
    with pytest.raises(WrongExpectedVersion) as caught:
        await store.append_many(
            [
                StreamAppend("offer-1", [ev(1)], NO_STREAM),
                StreamAppend("plan-1", [ev(2)], 0),
            ]
        )
    assert caught.value.stream_id == "plan-1"
    assert await collect(store.read_stream("offer-1")) == []
    assert (await store.head())[0] == 1


async def test_append_many_writes_all_streams_in_one_go(store: EventStore) -> None:
    results = await store.append_many(
        [
            StreamAppend("offer-1", [ev(1), ev(2)], NO_STREAM),
            StreamAppend("plan-1", [ev(3)], NO_STREAM),
        ]
    )
    assert results == [AppendResult(2, 2), AppendResult(3, 1)]


async def test_retry_with_same_idempotency_key_returns_first_result_and_writes_nothing(
    store: EventStore,
) -> None:
    first = await store.append("s", [ev(1)], idempotency_key="req-1")
    await store.append("other", [ev(9)])
    again = await store.append("s", [ev(1)], idempotency_key="req-1")
    assert again == first
    assert (await store.head())[0] == 2


async def test_same_idempotency_key_with_other_events_is_refused(store: EventStore) -> None:
    await store.append("s", [ev(1)], idempotency_key="req-1")
    with pytest.raises(IdempotencyKeyReused):
        await store.append("s", [ev(2)], idempotency_key="req-1")


async def test_retry_with_same_event_ids_returns_first_result(store: EventStore) -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    events = [NewEvent(type="t", data={}, id=i) for i in ids]
    first = await store.append("s", events)
    assert await store.append("s", events) == first
    assert (await store.head())[0] == 2
    with pytest.raises(DuplicateEventId):
        await store.append("s", [NewEvent(type="t", data={}, id=ids[0]), ev()])


async def test_concurrent_retries_of_one_key_write_once(store: EventStore) -> None:
    import asyncio

    results = await asyncio.gather(*(store.append("s", [ev(1)], idempotency_key="k") for _ in range(20)))
    assert len(set(results)) == 1
    assert (await store.head())[0] == 1


async def test_every_event_keeps_its_metadata(store: EventStore) -> None:
    meta = Metadata(
        actor="token-7", role="coordinator", correlation_id="c-1", causation_id="e-0",
        request_id="r-1", extra={"ip": "127.0.0.1"},
    )  # fmt: skip
    await store.append("s", [NewEvent(type="t", data={"a": 1}, metadata=meta, schema_version=3)])
    await store.append("s", [NewEvent(type="t", data={}, metadata={"actor": "cli", "role": "auditor"})])
    first, second = await collect(store.read_stream("s"))
    assert first.metadata == meta
    assert first.schema_version == 3
    assert first.recorded_at.tzinfo is not None
    assert second.metadata == Metadata(actor="cli", role="auditor")
    assert first.recorded_at <= second.recorded_at


@pytest.mark.parametrize(
    ("appends", "message"),
    [
        ([], "at least one stream"),
        ([StreamAppend("", [NewEvent(type="t", data={})])], "stream id"),
        ([StreamAppend("s", [])], "no events"),
        ([StreamAppend("s", [NewEvent(type="", data={})])], "event type"),
        ([StreamAppend("s", [NewEvent(type="t", data={})], -3)], "expected version"),
        ([StreamAppend("s\x00", [NewEvent(type="t", data={})])], "NUL"),
        ([StreamAppend("s", [NewEvent(type="t", data={}, metadata={"actor": "a\x00"})])], "NUL"),
        (
            [
                StreamAppend("s", [NewEvent(type="t", data={})]),
                StreamAppend("s", [NewEvent(type="t", data={})]),
            ],
            "twice",
        ),
    ],
)
async def test_malformed_appends_are_refused_before_writing(
    store: EventStore, appends: list[StreamAppend], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await store.append_many(appends)
    assert (await store.head())[0] == 0
