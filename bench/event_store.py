"""Event store benchmark: appends and replay, beside raw asyncpg and the `eventsourcing` library.

    uv run --group bench python -m bench.event_store            # the full run (~4 min, 2 cores)
    uv run --group bench python -m bench.event_store --quick    # a smoke run (< 30 s)

Everything runs against one PostgreSQL server: DATABASE_URL if set, else the embedded server kept
in .registry-bench/. Every measurement gets a database of its own (CREATE DATABASE, then our
migrations, or the library's own tables), dropped when it is done. Nothing is tuned: the server
runs with its defaults (fsync and synchronous_commit on), so every commit is durable.

Append: single-event appends, each to a new stream, from 1 and from 64 concurrent writers:
  ours        EventStore.append(stream, [event], expected_version=NO_STREAM): group commit, hash
              chain, gap-free positions, expected-version check, durable commit
  raw INSERT  one INSERT of an equal row per transaction into a table of the same shape (same
              columns, keys and indexes; position from a bigserial; no triggers, no head row),
              one connection per writer
  raw COPY    copy_records_to_table, 100 rows per transaction, one connection per writer
  eventsourcing  PostgresApplicationRecorder.insert_events([one stored event]) per thread
Replay: N events loaded, then read back in position order, payloads decoded to msgspec Structs:
  ours        EventStore.read_all() with TypedCodec({"thing_happened": ThingHappened})
  raw         asyncpg keyset pages (WHERE position > $1 ORDER BY position LIMIT $2) of the same
              rows and columns, the data column decoded by msgspec into the same Struct
  eventsourcing  select_notifications() pages, each mapped by Mapper.to_domain_event
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

import events

try:
    # Imported up front, not when first used: a `uv run` without the bench group (say, another
    # shell running the tests) uninstalls the library, and must not do so mid-run.
    from bench import _eventsourcing
except ImportError as missing:  # pragma: no cover - a message for the wrong command
    raise SystemExit(
        f"{missing}: run with the bench group: uv run --group bench python -m bench.event_store"
    ) from missing
from bench.common import DATA_DIR, ROOT, Server
from events import NO_STREAM, EventStore, Metadata, NewEvent, TypedCodec
from events.chain import GENESIS_HASH, chain, record_bytes
from registry.database import embedded_dsn

RESULTS = ROOT / "bench" / "results" / "event_store.json"

EVENT_TYPE = "thing_happened"
METADATA = Metadata(actor="bench")
_encoder = msgspec.json.Encoder()
METADATA_JSON = _encoder.encode(METADATA).decode()
COPY_BATCH = 100  # rows per transaction for the raw COPY appends
# Events per eventsourcing insert_events call when loading its replay log. Larger batches hang:
# the library inserts in psycopg pipeline mode, which deadlocks on large parameters (seen here
# at 2000 events a call; cf. psycopg issue #685).
ES_LOAD_BATCH = 1000
STREAMS = 1000  # streams the replay log is spread over (versions 1..N/STREAMS in each)

# Targets the event store is held to.
TARGET_APPEND_VS_RAW = 1.5
TARGET_LONE_APPEND_VS_RAW = 0.8  # one writer: every lone write pays what this measures
TARGET_APPEND_VS_ES = 10.0
TARGET_REPLAY_VS_RAW = 0.5
TARGET_REPLAY_VS_ES = 3.0


class ThingHappened(msgspec.Struct, frozen=True):
    """The payload of every benchmark event."""

    subject: str
    name: str
    amount: int
    tags: list[str]


def payload(i: int) -> ThingHappened:
    return ThingHappened(
        subject=f"thing-{i}", name=f"thing number {i}", amount=i, tags=["bench", "co-building"]
    )


def payload_dict(i: int) -> dict[str, object]:
    return msgspec.structs.asdict(payload(i))


# --- the raw baseline's table: the events table without triggers, head or CHECKs ------------

COLUMNS = (
    "position", "event_id", "stream_id", "version", "type", "schema_version",
    "data", "metadata", "recorded_at", "hash",
)  # fmt: skip
RAW_TABLE = """
CREATE TABLE raw_events (
    position        bigserial   PRIMARY KEY,
    event_id        uuid        NOT NULL,
    stream_id       text        NOT NULL,
    version         integer     NOT NULL,
    type            text        NOT NULL,
    schema_version  integer     NOT NULL,
    data            json        NOT NULL,
    metadata        json        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    hash            bytea       NOT NULL
);
"""
# The keys and indexes of `events` (left out by --raw-plain).
RAW_INDEXES = """
ALTER TABLE raw_events ADD UNIQUE (event_id), ADD UNIQUE (stream_id, version);
CREATE INDEX raw_events_type_position ON raw_events (type, position);
CREATE INDEX raw_events_recorded_at ON raw_events (recorded_at);
CREATE INDEX raw_events_stream_prefix ON raw_events (stream_id text_pattern_ops, position);
CREATE INDEX raw_events_actor ON raw_events ((metadata ->> 'actor'), position);
"""
RAW_INSERT = """
INSERT INTO raw_events (event_id, stream_id, version, type, schema_version, data, metadata,
                        recorded_at, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
RAW_READ = """
SELECT position, stream_id, version, type, data, metadata, recorded_at, hash, event_id,
       schema_version
FROM events WHERE position > $1 ORDER BY position LIMIT $2
"""


def raw_row(i: int, prefix: str) -> tuple[Any, ...]:
    """The row `EventStore.append` would write for event `i`, less position and chained hash."""
    data = _encoder.encode(payload(i)).decode()
    return (
        uuid.uuid4(), f"{prefix}-{i}", 1, EVENT_TYPE, 1, data, METADATA_JSON,
        datetime.now(UTC), hashlib.sha256(data.encode()).digest(),
    )  # fmt: skip


# --- results ------------------------------------------------------------------------------


@dataclass
class Result:
    group: str  # "append x1", "append x64", "replay"
    system: str  # "ours", "raw", "raw COPY", "eventsourcing"
    label: str
    events: int
    seconds: float  # the median run
    runs: list[float]  # seconds of every run

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


# --- databases ----------------------------------------------------------------------------


async def timed(work: Awaitable[Any]) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


def spread(count: int, writers: int) -> list[range]:
    """Indexes 0..count-1 dealt out to `writers` writers."""
    return [range(w, count, writers) for w in range(writers)]


# --- append -------------------------------------------------------------------------------


async def ours_append(
    dsn: str, count: int, writers: int, warmup: int, *, idempotency_keys: bool = False
) -> float:
    store = await EventStore.connect(dsn)
    try:

        async def writer(indexes: range, prefix: str) -> None:
            for i in indexes:
                event = NewEvent(type=EVENT_TYPE, data=payload(i), metadata=METADATA)
                key = f"{prefix}-key-{i}" if idempotency_keys else None
                await store.append(f"{prefix}-{i}", [event], expected_version=NO_STREAM, idempotency_key=key)

        await asyncio.gather(*(writer(r, "warmup") for r in spread(warmup, writers)))
        elapsed = await timed(asyncio.gather(*(writer(r, "thing") for r in spread(count, writers))))
        position, _ = await store.head()
        assert position == count + warmup, (position, count, warmup)
        return elapsed
    finally:
        await store.close()


async def raw_append(
    dsn: str, count: int, writers: int, warmup: int, *, copy_batch: int | None, indexes: bool
) -> float:
    """One INSERT per transaction, or (with `copy_batch`) COPY of that many rows per transaction."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(RAW_TABLE + (RAW_INDEXES if indexes else ""))
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(dsn, min_size=writers, max_size=writers)
    try:

        async def insert(indexes: range, prefix: str) -> None:
            async with pool.acquire() as conn:
                for i in indexes:
                    await conn.execute(RAW_INSERT, *raw_row(i, prefix))

        async def copy(batches: range, count: int, prefix: str) -> None:
            assert copy_batch is not None
            async with pool.acquire() as conn:
                for b in batches:
                    start = b * copy_batch
                    rows = [raw_row(i, prefix) for i in range(start, min(start + copy_batch, count))]
                    await conn.copy_records_to_table("raw_events", records=rows, columns=COLUMNS[1:])

        def run(n: int, prefix: str) -> Awaitable[Any]:
            if copy_batch is None:
                return asyncio.gather(*(insert(r, prefix) for r in spread(n, writers)))
            batches = -(-n // copy_batch)
            return asyncio.gather(*(copy(r, n, prefix) for r in spread(batches, writers)))

        await run(warmup, "warmup")
        elapsed = await timed(run(count, "thing"))
        total = await pool.fetchval("SELECT count(*) FROM raw_events")
        assert total == count + warmup, (total, count, warmup)
        return elapsed
    finally:
        await pool.close()


async def es_append(dsn: str, count: int, threads: int, warmup: int) -> float:
    return await asyncio.to_thread(
        _eventsourcing.append, dsn, count, threads, max(warmup, threads), payload_dict
    )


# --- replay -------------------------------------------------------------------------------


def log_rows(count: int, streams: int) -> Iterator[tuple[Any, ...]]:
    """`count` rows of a valid log: gap-free positions, rising times, the real hash chain."""
    start = datetime.now(UTC) - timedelta(microseconds=count + 1)
    previous = GENESIS_HASH
    for i in range(count):
        position = i + 1
        event_id = uuid.uuid4()
        stream_id = f"thing-{i % streams}"
        version = i // streams + 1
        recorded_at = start + timedelta(microseconds=i)
        data = _encoder.encode(payload(i)).decode()
        record = record_bytes(
            position, event_id, stream_id, version, EVENT_TYPE, 1, recorded_at, data,
            METADATA_JSON,
        )  # fmt: skip
        previous = chain(previous, record)
        yield (
            position, event_id, stream_id, version, EVENT_TYPE, 1, data, METADATA_JSON,
            recorded_at, previous,
        )  # fmt: skip


async def ours_load(dsn: str, count: int) -> float:
    """COPY a valid log straight into `events` and move the head, in one transaction."""
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        async with conn.transaction():
            rows = log_rows(count, min(STREAMS, count))
            # The generator is consumed while the COPY streams, so hashing overlaps the insert.
            await conn.copy_records_to_table("events", records=rows, columns=COLUMNS)
            last = await conn.fetchrow("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")
            await conn.execute(
                "UPDATE events_head SET position = $1, hash = $2", last["position"], last["hash"]
            )
        elapsed = time.perf_counter() - started
        await conn.execute("VACUUM (ANALYZE) events")
        return elapsed
    finally:
        await conn.close()


async def ours_replay(dsn: str, page_size: int) -> tuple[int, int, float]:
    codec = TypedCodec({EVENT_TYPE: ThingHappened})
    store = await EventStore.connect(dsn, codec=codec)
    try:
        await store.head()  # the pool is open before the clock starts
        seen = checksum = 0
        started = time.perf_counter()
        async for event in store.read_all(page_size=page_size):
            checksum += event.data.amount
            seen += 1
        return seen, checksum, time.perf_counter() - started
    finally:
        await store.close()


async def raw_replay(dsn: str, page_size: int) -> tuple[int, int, float]:
    decoder = msgspec.json.Decoder(ThingHappened)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.fetch(RAW_READ, 0, 1)
        seen = checksum = after = 0
        started = time.perf_counter()
        while True:
            rows = await conn.fetch(RAW_READ, after, page_size)
            for row in rows:
                checksum += decoder.decode(row["data"]).amount
            seen += len(rows)
            if len(rows) < page_size:
                break
            after = rows[-1]["position"]
        return seen, checksum, time.perf_counter() - started
    finally:
        await conn.close()


async def vacuum(dsn: str, table: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        await conn.close()


# --- the run ------------------------------------------------------------------------------


@dataclass
class Options:
    quick: bool
    appends: int
    events: int
    writers: int
    es_threads: list[int]
    page_size: int
    repeat: int
    verify: bool
    idempotency_keys: bool
    raw_indexes: bool
    only: str


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.event_store",
        description="Append and replay throughput of the event store, beside raw asyncpg "
        "and the eventsourcing library, on one PostgreSQL (DATABASE_URL or the embedded one).",
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run (< 30 s)")
    parser.add_argument("--appends", type=int, help="appends per append scenario (default 40,000; quick 300)")
    parser.add_argument(
        "--events", type=int, help="events in the replay log (default 1,000,000; quick 5,000)"
    )
    parser.add_argument("--writers", type=int, default=64, help="concurrent writers (64)")
    parser.add_argument(
        "--es-threads",
        default="16,64",
        help="thread counts for the concurrent eventsourcing appends (16,64)",
    )
    parser.add_argument("--page-size", type=int, default=2000, help="replay page size (2000)")
    parser.add_argument(
        "--repeat",
        type=int,
        help="runs of the append scenarios of ours and raw (COPY too) and of every replay read, "
        "taken in turns, each append run in a fresh database; the median is reported "
        "(default 3; quick 1)",
    )
    parser.add_argument(
        "--verify",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="verify the hash chain of the loaded replay log with EventStore.verify (on)",
    )
    parser.add_argument(
        "--idempotency-keys",
        action="store_true",
        help="give each of our appends an idempotency key too (default: none)",
    )
    parser.add_argument(
        "--raw-plain",
        action="store_true",
        help="raw baseline table with its primary key only (default: the same keys and indexes "
        "as the events table)",
    )
    parser.add_argument(
        "--only", choices=["all", "append", "replay"], default="all", help="which part to run"
    )
    args = parser.parse_args(argv)
    return Options(
        quick=args.quick,
        appends=args.appends or (300 if args.quick else 40_000),
        events=args.events or (5000 if args.quick else 1_000_000),
        writers=args.writers,
        es_threads=[int(t) for t in args.es_threads.split(",") if t],
        page_size=args.page_size,
        repeat=args.repeat or (1 if args.quick else 3),
        verify=args.verify,
        idempotency_keys=args.idempotency_keys,
        raw_indexes=not args.raw_plain,
        only=args.only,
    )


def _load() -> str:
    """The 1, 5 and 15 minute load averages: anything else busy on the machine shows here."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def say(text: str) -> None:
    print(text, flush=True)


def _line(group: str, label: str, events: int, seconds: float, note: str = "") -> None:
    rate = events / seconds if seconds > 0 else float("inf")
    say(f"  {group:<11} {label:<54} {rate:>10,.0f} events/s  ({seconds:.2f} s){note}")


@dataclass
class Scenario:
    group: str
    system: str
    label: str
    work: Callable[[str], Awaitable[float]]  # given a fresh database's DSN, returns seconds
    migrated: bool
    count: int
    runs: int
    times: list[float] = field(default_factory=list)


async def run_appends(server: Server, options: Options) -> list[Result]:
    """Each writer count's scenarios, in turns (ours, raw, COPY, ours, raw, ...) so that a slow
    spell of the machine does not land on one of them alone."""
    n = options.appends
    scenarios: list[Scenario] = []
    for writers in sorted({1, options.writers}):
        group = f"append x{writers}"
        warmup = max(writers, 32)
        # In turns and repeated at every writer count: the lone append's ratio to raw INSERT is
        # a target too, and one run of each on a shared machine may land in different spells.
        runs = options.repeat
        s = "s" if writers > 1 else ""
        keys = ", idempotency keys" if options.idempotency_keys else ""
        # Enough rows that every connection copies several batches; one batch each to warm up.
        rows = max(n, writers * COPY_BATCH * 5)
        group_scenarios = [
            Scenario(
                group,
                "ours",
                f"ours: EventStore.append, {writers} writer{s}{keys}",
                partial(
                    ours_append,
                    count=n,
                    writers=writers,
                    warmup=warmup,
                    idempotency_keys=options.idempotency_keys,
                ),
                migrated=True,
                count=n,
                runs=runs,
            ),
            Scenario(
                group,
                "raw",
                f"raw asyncpg INSERT, 1 per transaction, {writers} conn",
                partial(
                    raw_append,
                    count=n,
                    writers=writers,
                    warmup=warmup,
                    copy_batch=None,
                    indexes=options.raw_indexes,
                ),
                migrated=False,
                count=n,
                runs=runs,
            ),
            Scenario(
                group,
                "raw COPY",
                f"raw asyncpg COPY, {COPY_BATCH} rows per transaction, {writers} conn",
                partial(
                    raw_append,
                    count=rows,
                    writers=writers,
                    warmup=writers * COPY_BATCH,
                    copy_batch=COPY_BATCH,
                    indexes=options.raw_indexes,
                ),
                migrated=False,
                count=rows,
                runs=runs,
            ),
        ]
        for threads in [1] if writers == 1 else options.es_threads:
            s = "s" if threads > 1 else ""
            group_scenarios.append(
                Scenario(
                    group,
                    "eventsourcing",
                    f"eventsourcing insert_events, {threads} thread{s}",
                    partial(es_append, count=n, threads=threads, warmup=warmup),
                    migrated=False,
                    count=n,
                    runs=1,  # long enough, and serial: one run is steady
                )
            )
        for run in range(runs):
            for scenario in group_scenarios:
                if run >= scenario.runs:
                    continue
                name = f"{scenario.system.split()[0].lower()}_{group.split()[-1]}"
                async with server.database(name, migrated=scenario.migrated) as dsn:
                    scenario.times.append(await scenario.work(dsn))
                note = f"  run {run + 1}/{scenario.runs}" if scenario.runs > 1 else ""
                _line(group, scenario.label, scenario.count, scenario.times[-1], note)
        scenarios += group_scenarios
    return [
        Result(x.group, x.system, x.label, x.count, statistics.median(x.times), x.times) for x in scenarios
    ]


async def run_replay(server: Server, options: Options) -> list[Result]:
    """Both logs loaded side by side, then the three readers in turns, `repeat` times."""
    n = options.events
    expected = n * (n - 1) // 2  # the amounts are 0..n-1
    page = options.page_size

    async with (
        server.database("replay_ours", migrated=True) as ours_dsn,
        server.database("replay_es", migrated=False) as es_dsn,
    ):
        seconds = await ours_load(ours_dsn, n)
        say(f"  loaded {n:,} events into events (one COPY, hash chain) in {seconds:.1f} s")
        if options.verify:
            store = await EventStore.connect(ours_dsn)
            try:
                started = time.perf_counter()
                verified = await store.verify()
                took = time.perf_counter() - started
            finally:
                await store.close()
            assert verified.ok and verified.checked == n, verified
            say(f"  verify: the hash chain of {n:,} events is valid ({n / took:,.0f} events/s)")
        seconds = await asyncio.to_thread(
            _eventsourcing.load, es_dsn, n, min(STREAMS, n), ES_LOAD_BATCH, payload_dict
        )
        say(f"  loaded {n:,} events into stored_events (insert_events of {ES_LOAD_BATCH}) in {seconds:.1f} s")
        await vacuum(es_dsn, "stored_events")

        async def es_replay(dsn: str, page_size: int) -> tuple[int, int, float]:
            return await asyncio.to_thread(_eventsourcing.replay, dsn, page_size)

        readers = [
            ("raw", f"raw asyncpg keyset pages of {page}, msgspec", raw_replay, ours_dsn),
            ("ours", "ours: EventStore.read_all, TypedCodec", ours_replay, ours_dsn),
            ("eventsourcing", "eventsourcing select_notifications, to_domain_event", es_replay, es_dsn),
        ]
        # One untimed pass of each log first, so that every timed read finds warm caches.
        await raw_replay(ours_dsn, page)
        await es_replay(es_dsn, page)
        times: dict[str, list[float]] = {system: [] for system, *_ in readers}
        for run in range(options.repeat):
            for system, label, read, dsn in readers:
                seen, checksum, seconds = await read(dsn, page)
                assert seen == n and checksum == expected, (label, seen, n, checksum, expected)
                times[system].append(seconds)
                note = f"  run {run + 1}/{options.repeat}" if options.repeat > 1 else ""
                _line("replay", label, n, seconds, note)
    return [
        Result("replay", system, label, n, statistics.median(times[system]), times[system])
        for system, label, *_ in readers
    ]


def _rate(results: list[Result], group: str, system: str) -> float | None:
    rates = [r.rate for r in results if r.group == group and r.system == system]
    return max(rates) if rates else None


def report(results: list[Result], options: Options) -> list[tuple[str, float, float, bool]]:
    """Print the table and the targets; returns the targets as (name, ratio, goal, met)."""
    say("")
    say(f"{'scenario':<68} {'events/s':>10} {'vs raw':>7} {'vs es':>7}  runs (slowest-fastest)")
    say("-" * 120)
    for result in results:
        raw = _rate(results, result.group, "raw")
        es = _rate(results, result.group, "eventsourcing")
        vs_raw = f"{result.rate / raw:.2f}x" if raw else "-"
        vs_es = f"{result.rate / es:.2f}x" if es else "-"
        name = f"{result.group}: {result.label}"
        spread = ""
        if len(result.runs) > 1:
            rates = sorted(result.events / t for t in result.runs)
            spread = f"  {len(rates)} ({rates[0]:,.0f}-{rates[-1]:,.0f})"
        say(f"{name:<68} {result.rate:>10,.0f} {vs_raw:>7} {vs_es:>7}{spread}")
    say("")
    say("events/s: the median run. vs raw: against raw per-transaction INSERT (append) or the raw")
    say("paged read (replay) at the same concurrency. vs es: against the eventsourcing library")
    say("(for concurrent appends, its best thread count).")
    targets: list[tuple[str, float, float, bool]] = []
    group = f"append x{options.writers}"

    def target(name: str, ours: float | None, other: float | None, goal: float) -> None:
        if ours is None or other is None:
            return
        ratio = ours / other
        targets.append((name, ratio, goal, ratio >= goal))

    target("append x1 vs raw INSERT", _rate(results, "append x1", "ours"),
           _rate(results, "append x1", "raw"), TARGET_LONE_APPEND_VS_RAW)  # fmt: skip
    if options.writers > 1:
        target(f"{group} vs raw INSERT", _rate(results, group, "ours"),
               _rate(results, group, "raw"), TARGET_APPEND_VS_RAW)  # fmt: skip
    target(f"{group} vs eventsourcing", _rate(results, group, "ours"),
           _rate(results, group, "eventsourcing"), TARGET_APPEND_VS_ES)  # fmt: skip
    target("replay vs raw paged read", _rate(results, "replay", "ours"),
           _rate(results, "replay", "raw"), TARGET_REPLAY_VS_RAW)  # fmt: skip
    target("replay vs eventsourcing", _rate(results, "replay", "ours"),
           _rate(results, "replay", "eventsourcing"), TARGET_REPLAY_VS_ES)  # fmt: skip
    if targets:
        say("")
        say("targets:")
        for name, ratio, goal, met in targets:
            say(f"  {name:<40} {ratio:>6.2f}x  (target >= {goal}x)  {'met' if met else 'NOT MET'}")
    return targets


async def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    url = os.environ.get("DATABASE_URL")
    dsn = url or embedded_dsn(DATA_DIR)
    server = Server(dsn)
    await server.drop_leftovers()
    settings = await server.settings()
    say(
        f"PostgreSQL {settings['server_version']} ({'DATABASE_URL' if url else DATA_DIR.name}), "
        f"fsync={settings['fsync']}, synchronous_commit={settings['synchronous_commit']}, "
        f"shared_buffers={settings['shared_buffers']}; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, asyncpg {version('asyncpg')}, "
        f"eventsourcing {version('eventsourcing')}, psycopg {version('psycopg')}"
    )
    say(f"events package: {Path(events.__file__).parent}")
    say(
        f"appends per scenario: {options.appends:,}; replay events: {options.events:,}; "
        f"writers: {options.writers}; page size: {options.page_size}"
        + ("" if options.raw_indexes else "; raw table: primary key only")
    )
    load_before = _load()
    say(f"load average before: {load_before}")
    started = time.perf_counter()
    results: list[Result] = []
    if options.only in ("all", "append"):
        results += await run_appends(server, options)
    if options.only in ("all", "replay"):
        results += await run_replay(server, options)
    targets = report(results, options)
    load_after = _load()
    say(f"\ntotal time {time.perf_counter() - started:.0f} s; load average after: {load_after}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "argv": sys.argv[1:] if argv is None else argv,
                "settings": settings,
                "cores": os.cpu_count(),
                "load_average": {"before": load_before, "after": load_after},
                "options": asdict(options),
                "results": [asdict(r) | {"rate": r.rate} for r in results],
                "targets": [
                    {"name": name, "ratio": ratio, "target": goal, "met": met}
                    for name, ratio, goal, met in targets
                ],
            },
            indent=2,
        )
    )
    say(f"results written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
