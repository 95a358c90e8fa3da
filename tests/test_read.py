"""Reading: one stream by version range, the whole log by position with filters, upcasting."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import msgspec

from events import EventStore, JsonCodec, NewEvent, TypedCodec, Upcasters
from tests.helpers import collect, ev


async def test_read_stream_returns_versions_in_range(store: EventStore) -> None:
    await store.append("s", [ev(i) for i in range(1, 6)])
    await store.append("other", [ev(99)])
    events = await collect(store.read_stream("s", from_version=2, to_version=4))
    assert [(e.version, e.data["n"]) for e in events] == [(2, 2), (3, 3), (4, 4)]


async def test_read_stream_pages_through_long_streams(store: EventStore) -> None:
    await store.append("s", [ev(i) for i in range(25)])
    events = await collect(store.read_stream("s", page_size=7))
    assert [e.version for e in events] == list(range(1, 26))


async def test_read_stream_of_unknown_stream_is_empty(store: EventStore) -> None:
    assert await collect(store.read_stream("nobody")) == []


async def test_read_all_after_and_limit_page_in_position_order(store: EventStore) -> None:
    for i in range(10):
        await store.append(f"s-{i % 3}", [ev(i)])
    events = await collect(store.read_all(after=3, limit=5, page_size=2))
    assert [e.position for e in events] == [4, 5, 6, 7, 8]
    assert [e.data["n"] for e in events] == [3, 4, 5, 6, 7]


async def test_read_all_filters_by_stream_prefix_and_type(store: EventStore) -> None:
    await store.append("offer-1", [ev(1, "offer_submitted")])
    await store.append("plan-1", [ev(2, "plan_drafted")])
    await store.append("offer-2", [ev(3, "offer_submitted"), ev(4, "offer_paused")])
    offers = await collect(store.read_all(stream_prefix="offer-"))
    assert [e.data["n"] for e in offers] == [1, 3, 4]
    submitted = await collect(store.read_all(types=["offer_submitted", "plan_drafted"]))
    assert [e.data["n"] for e in submitted] == [1, 2, 3]
    both = await collect(store.read_all(stream_prefix="offer-", types=["offer_paused"]))
    assert [e.data["n"] for e in both] == [4]


async def test_stream_prefix_is_literal_not_a_pattern(store: EventStore) -> None:
    await store.append("a_b", [ev(1)])
    await store.append("axb", [ev(2)])
    assert [e.data["n"] for e in await collect(store.read_all(stream_prefix="a_"))] == [1]


async def test_read_all_filters_by_time_range_and_actor(store: EventStore) -> None:
    await store.append("s", [NewEvent(type="t", data={"n": 1}, metadata={"actor": "ann"})])
    await asyncio.sleep(0.01)
    middle = (await collect(store.read_all()))[0].recorded_at + timedelta(milliseconds=5)
    await store.append("s", [NewEvent(type="t", data={"n": 2}, metadata={"actor": "bob"})])
    assert [e.data["n"] for e in await collect(store.read_all(since=middle))] == [2]
    assert [e.data["n"] for e in await collect(store.read_all(until=middle))] == [1]
    assert [e.data["n"] for e in await collect(store.read_all(actor="ann"))] == [1]
    assert await store.position_at(middle) == 1


class Renamed(msgspec.Struct):
    full_name: str
    phone_hidden: bool


def _v1_to_v2(data: dict[str, object]) -> dict[str, object]:
    return {"full_name": data["name"]}


def _v2_to_v3(data: dict[str, object]) -> dict[str, object]:
    return {**data, "phone_hidden": True}


async def test_upcasters_lift_old_payloads_on_read_and_leave_the_log_alone(
    store: EventStore,
) -> None:
    await store.append("s", [NewEvent(type="renamed", data={"name": "李"}, schema_version=1)])
    await store.append("s", [NewEvent(type="renamed", data={"full_name": "王"}, schema_version=2)])
    await store.append(
        "s",
        [NewEvent(type="renamed", data={"full_name": "张", "phone_hidden": False}, schema_version=3)],
    )
    upcasters = Upcasters()
    upcasters.register("renamed", 1, _v1_to_v2)
    upcasters.register("renamed", 2, _v2_to_v3)

    store.codec = JsonCodec(upcasters)
    plain = await collect(store.read_stream("s"))
    assert [e.data for e in plain] == [
        {"full_name": "李", "phone_hidden": True},
        {"full_name": "王", "phone_hidden": True},
        {"full_name": "张", "phone_hidden": False},
    ]
    assert [e.schema_version for e in plain] == [3, 3, 3]

    store.codec = TypedCodec({"renamed": Renamed}, upcasters)
    typed = await collect(store.read_all())
    assert typed[0].data == Renamed("李", True)
    assert typed[2].data == Renamed("张", False)

    stored = await store.pool.fetchval("SELECT data FROM events WHERE position = 1")
    assert stored == '{"name":"李"}'
    assert (await store.verify()).ok
