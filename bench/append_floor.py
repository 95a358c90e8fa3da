"""Where a lone append's time goes beyond a raw INSERT: the guarantees, one at a time.

    uv run python -m bench.append_floor                 # 30 blocks of 100 appends a path (~1 min)
    uv run python -m bench.append_floor --blocks 10

One fresh database, one connection a path, generic plans for every statement (as the store's
writer has them). In turns, a block of 100 one-event appends (a new stream each) of every path,
so that the machine's busy spells touch them alike; the median block is reported, in µs an
append, with `synchronous_commit` on (what a caller waits for) and off (the same without the
WAL's flush: CPU and round trips only):

- **raw INSERT**: bench.event_store's baseline, a row of the same shape into a table with the
  same keys and indexes, its position from a sequence;
- **gap-free insert**: the least that gives gap-free positions, the head row moved and the event
  inserted in one statement (no version check, no idempotency key, no hash, no notification);
- **the lone statement**: `events/append-one-event` sent bare, everything the store guarantees
  (the stream's version checked, the key looked up and kept, the hash chained, subscribers
  notified);
- **EventStore.append**: the same statement through the store (preparing and validating the
  append, the writer's lone path, the pool).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from bench.common import DATA_DIR, Server
from bench.event_store import (
    EVENT_TYPE,
    METADATA,
    METADATA_JSON,
    RAW_INDEXES,
    RAW_INSERT,
    RAW_TABLE,
    _encoder,
    payload,
    raw_row,
)
from events import NO_STREAM, EventStore, NewEvent
from events.sql import query
from registry.database import embedded_dsn

BLOCK = 100  # appends a path per turn
# The head moved and the event inserted, nothing else: what gap-free positions cost at least.
GAP_FREE_INSERT = """
WITH moved AS (
    UPDATE events_head h SET position = h.position + 1
    WHERE h.singleton AND $2::integer IS NOT NULL
    RETURNING h.position, h.hash
)
INSERT INTO events (position, event_id, stream_id, version, type, schema_version,
                    data, metadata, recorded_at, hash)
SELECT m.position, $3::uuid, $1::text, 1, $4::text, $5::integer,
       $6::text::json, $7::text::json, clock_timestamp(), m.hash
FROM moved m
RETURNING position, version
"""

Append = Callable[[int], Awaitable[Any]]


async def paths(dsn: str, synchronous_commit: str) -> tuple[dict[str, Append], list[Any]]:
    """Each path's one append (given a number never used before), and what to close after."""
    commit = {"synchronous_commit": synchronous_commit}
    # The writer's own connections are set so (events.store); the bare paths likewise.
    settings = {"plan_cache_mode": "force_generic_plan", "jit": "off", **commit}
    raw, gap_free, lone = [await asyncpg.connect(dsn, server_settings=settings) for _ in range(3)]
    await raw.execute(f"DROP TABLE IF EXISTS raw_events; {RAW_TABLE}; {RAW_INDEXES}")
    store = await EventStore.connect(dsn, server_settings=commit)
    statement = query("events/append-one-event")

    def arguments(i: int, prefix: str) -> tuple[Any, ...]:
        data = _encoder.encode(payload(i)).decode()
        return (f"{prefix}-{i}", -2, uuid.uuid4(), EVENT_TYPE, 1, data, METADATA_JSON)

    async def store_append(i: int) -> None:
        event = NewEvent(type=EVENT_TYPE, data=payload(i), metadata=METADATA)
        await store.append(f"store-{i}", [event], expected_version=NO_STREAM)

    found = {
        "raw INSERT": lambda i: raw.execute(RAW_INSERT, *raw_row(i, "raw")),
        "gap-free insert (head + event)": lambda i: gap_free.fetchrow(GAP_FREE_INSERT, *arguments(i, "gap")),
        "the lone statement, bare": lambda i: lone.fetchrow(statement, *arguments(i, "lone"), None, None),
        "EventStore.append": store_append,
    }
    return found, [raw, gap_free, lone, store]


async def measure(dsn: str, blocks: int, synchronous_commit: str) -> dict[str, float]:
    """The median block's µs an append, per path."""
    found, closing = await paths(dsn, synchronous_commit)
    times: dict[str, list[float]] = {name: [] for name in found}
    number = 0
    try:
        for block in range(blocks + 2):  # the first two warm the caches and plans, untimed
            for name, append in found.items():
                started = time.perf_counter()
                for _ in range(BLOCK):
                    number += 1
                    await append(number)
                if block >= 2:
                    times[name].append((time.perf_counter() - started) / BLOCK * 1e6)
    finally:
        for thing in closing:
            await thing.close()
    return {name: statistics.median(values) for name, values in times.items()}


async def run(blocks: int) -> None:
    server = Server(os.environ.get("DATABASE_URL") or embedded_dsn(DATA_DIR))
    await server.drop_leftovers()
    print(f"load average {os.getloadavg()[0]:.2f}; {blocks} blocks of {BLOCK} appends a path, in turns")
    results = {}
    for mode in ("on", "off"):
        async with server.database(f"floor_{mode}", migrated=True) as dsn:
            results[mode] = await measure(dsn, blocks, mode)
    print(f"\n{'path':<34}{'sync on µs':>12}{'vs raw':>8}{'sync off µs':>13}{'vs raw':>8}")
    for name in results["on"]:
        on, off = results["on"][name], results["off"][name]
        print(
            f"{name:<34}{on:>12,.0f}{results['on']['raw INSERT'] / on:>7.2f}x"
            f"{off:>13,.0f}{results['off']['raw INSERT'] / off:>7.2f}x"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}; 'vs raw': raw's time over the path's")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--blocks", type=int, default=30, help="timed turns of every path")
    asyncio.run(run(parser.parse_args(argv).blocks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
