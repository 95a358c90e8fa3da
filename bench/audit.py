"""Audit benchmark: verify, export and import a 1,000,000-event log; reads `as_of` a past position.

    uv run python -m bench.audit            # full: 1,000,000 events; read model of 1,000 units,
                                            # 20,000 offers, 10,000 revisions (~5 min, 2 cores)
    uv run python -m bench.audit --quick    # 20,000 events; 100 units, 2,000 offers (< 1 min)

One PostgreSQL server (DATABASE_URL if set, else the embedded one in .registry-bench/), a fresh
database per part, dropped afterwards. Everything compared is measured in the same run.

The log: registry-like events (units registered; offers submitted, then revised, paused and
resumed; metadata as the service writes it: data and metadata together 230-690 bytes of JSON,
about 460 on average) appended through `EventStore.append_many`, one call of about 1,000 events
at a time. That load is the append throughput the import is compared with.

- verify: `EventStore.verify()` over the whole log, `--repeat` times;
- read_all and export, in turns, `--repeat` times: `EventStore.read_all()` with the registry's
  typed codec (every payload decoded to its Struct), and `events.transfer.export_log` written
  to /dev/null; then one more export, into a temporary file;
- import: `events.transfer.import_log` of that file into a second fresh database (every line
  decoded and its hash re-checked), then verified;
- as_of: a registry read model loaded as bench/api_offers.py loads it, then offers revised so
  that rows have history; `get_doc` and `list_offers` (the read functions behind
  `GET /api/v1/offers/{id}` and `GET /api/v1/offers`) timed one at a time, current and
  `as_of` a position in the middle of the revisions, taken in turns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.api_offers import _offer, _units, load
from bench.common import DATA_DIR, ROOT, Server
from events import NO_STREAM, EventStore, Metadata, NewEvent, StreamAppend
from events.transfer import export_log, import_log
from registry.app import open_registry
from registry.database import embedded_dsn
from registry.domain.events import (
    Event,
    OfferPaused,
    OfferResumed,
    OfferRevised,
    OfferSubmitted,
    tag_of,
)
from registry.domain.values import Capacity, Measure
from registry.read.projection import registry_codec
from registry.read.queries import OfferFilter, get_doc, list_offers
from registry.settings import Settings

RESULTS = ROOT / "bench" / "results" / "audit.json"
BATCH = 1_000  # events per append_many call while loading the log
UNITS_IN_LOG = 1_000

TARGET_VERIFY = 200_000  # events/s
TARGET_AS_OF_P99 = 2.0  # at most this many times the current read's p99

# The filtered list of bench/api_offers.py: repair, a Saturday hour in Shanghai.
REPAIR_WINDOW = OfferFilter(
    category="repair",
    available_from=datetime.fromisoformat("2026-12-12T10:00:00+08:00"),
    available_to=datetime.fromisoformat("2026-12-12T11:00:00+08:00"),
)


@dataclass
class Options:
    quick: bool
    events: int
    units: int
    offers: int
    revisions: int
    queries: int
    repeat: int


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, one run each")
    parser.add_argument("--events", type=int, help="events in the log (1,000,000; quick 20,000)")
    parser.add_argument("--units", type=int, help="units in the as_of read model (1,000; quick 100)")
    parser.add_argument("--offers", type=int, help="offers in the as_of read model (20,000; quick 2,000)")
    parser.add_argument("--revisions", type=int, help="offer revisions after the load (10,000; quick 1,000)")
    parser.add_argument("--queries", type=int, help="timed calls per read and variant (1,000; quick 200)")
    parser.add_argument(
        "--repeat", type=int, help="runs of verify and of read_all/export, in turns (3; quick 1)"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    return Options(
        quick=quick,
        events=args.events or (20_000 if quick else 1_000_000),
        units=args.units or (100 if quick else 1_000),
        offers=args.offers or (2_000 if quick else 20_000),
        revisions=args.revisions or (1_000 if quick else 10_000),
        queries=args.queries or (200 if quick else 1_000),
        repeat=args.repeat or (1 if quick else 3),
    )


def say(text: str) -> None:
    print(text, flush=True)


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Rate:
    name: str
    events: int
    runs: list[float] = field(default_factory=list)  # seconds of every run

    @property
    def seconds(self) -> float:
        return statistics.median(self.runs)

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def line(self) -> str:
        spread = ""
        if len(self.runs) > 1:
            rates = sorted(self.events / s for s in self.runs)
            spread = f"  runs {rates[0]:,.0f}-{rates[-1]:,.0f}"
        return f"  {self.name:<62} {self.rate:>10,.0f} events/s  ({self.seconds:.2f} s){spread}"


# --- the log ------------------------------------------------------------------------------


def _metadata(rng: random.Random) -> Metadata:
    """What the service writes: the token's subject and role, a correlation and a request id."""
    return Metadata(
        actor=f"token:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        role=rng.choice(["unit", "coordinator"]),
        correlation_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        request_id=f"{rng.getrandbits(64):016x}",
    )


def _follow_up(rng: random.Random, offer: OfferSubmitted, paused: bool) -> Event:
    """A later change to an offer: mostly revisions, sometimes a pause or a resumption."""
    if paused:
        return OfferResumed(offer_id=offer.offer_id)
    roll = rng.random()
    if roll < 0.15:
        return OfferPaused(offer_id=offer.offer_id)
    if roll < 0.6:
        quantity = rng.randint(1, 50)
        return OfferRevised(
            offer_id=offer.offer_id, capacity=Capacity(quantity=quantity, measure=Measure.HOURS)
        )
    fresh = _offer(rng, offer.unit_id)
    return OfferRevised(
        offer_id=offer.offer_id, title=fresh.title, availability=fresh.availability, tags=["便民", "上门"]
    )


def registry_log(count: int, seed: int = 20261125) -> Iterator[list[StreamAppend]]:
    """`count` events as append_many calls of about BATCH events each: the units first, then
    offers, each submitted with 0-3 later changes in its own stream."""
    rng = random.Random(seed)  # reproducible data, not security
    units = _units(rng, min(UNITS_IN_LOG, count))
    made = 0
    chunk: list[StreamAppend] = []
    in_chunk = 0

    def add(stream: str, events: list[Event]) -> list[StreamAppend] | None:
        nonlocal chunk, in_chunk, made
        new = [NewEvent(type=tag_of(e), data=e, metadata=_metadata(rng)) for e in events]
        chunk.append(StreamAppend(stream, new, NO_STREAM))
        in_chunk += len(new)
        made += len(new)
        if in_chunk < BATCH:
            return None
        full, chunk, in_chunk = chunk, [], 0
        return full

    for unit in units:
        if (full := add(f"unit-{unit.unit_id}", [unit])) is not None:
            yield full
    while made < count:
        offer = _offer(rng, rng.choice(units).unit_id)
        events: list[Event] = [offer]
        paused = False
        for _ in range(min(rng.choice([0, 0, 1, 1, 2, 3]), count - made - 1)):
            events.append(_follow_up(rng, offer, paused))
            paused = isinstance(events[-1], OfferPaused)
        if (full := add(f"offer-{offer.offer_id}", events)) is not None:
            yield full
    if chunk:
        yield chunk


async def load_log(dsn: str, count: int) -> tuple[Rate, int]:
    """Append the log through the store; returns the append rate and the bytes of JSON stored.

    Only the append_many calls are timed, not the making of the events."""
    rate = Rate(f"append: EventStore.append_many, {BATCH:,} events a call", count)
    store = await EventStore.connect(dsn)
    try:
        await store.head()  # the pool is open before the clock starts
        elapsed = 0.0
        for chunk in registry_log(count):
            started = time.perf_counter()
            await store.append_many(chunk)
            elapsed += time.perf_counter() - started
        rate.runs.append(elapsed)
        position, _ = await store.head()
        assert position == count, (position, count)
        size = await store.pool.fetchval(
            "SELECT sum(octet_length(data::text) + octet_length(metadata::text)) FROM events"
        )
        await store.pool.execute("VACUUM (ANALYZE) events")
        return rate, int(size)
    finally:
        await store.close()


# --- verify, read_all, export, import ---------------------------------------------------------


async def timed(work: Awaitable[Any]) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


async def verify(store: EventStore, count: int) -> None:
    report = await store.verify()
    assert report.ok and report.checked == count, report


async def read_all(store: EventStore, count: int) -> None:
    seen = 0
    async for _ in store.read_all():
        seen += 1
    assert seen == count, (seen, count)


async def export(store: EventStore, count: int, path: Path) -> None:
    lines = 0
    with path.open("wb") as out:
        async for line in export_log(store.pool):
            out.write(line)
            lines += 1
    assert lines == count + 1, (lines, count)  # the header, then one line an event


async def run_log(server: Server, options: Options, scratch: Path) -> tuple[list[Rate], dict[str, Any]]:
    n = options.events
    file = scratch / "log.ndjson"  # ~0.8 GB for 1,000,000 events
    async with server.database("audit_log", migrated=True) as dsn:
        append, payload_bytes = await load_log(dsn, n)
        say(append.line())
        say(f"  (payloads: data + metadata average {payload_bytes / n:,.0f} bytes of JSON an event)")
        store = await EventStore.connect(dsn, codec=registry_codec())
        try:
            verified = Rate("verify: EventStore.verify()", n)
            await read_all(store, n)  # one untimed pass, so that every timed one finds warm caches
            for run in range(options.repeat):
                verified.runs.append(await timed(verify(store, n)))
                say(verified.line() + f"  [run {run + 1}]")
            replay = Rate("read_all: EventStore.read_all(), registry TypedCodec", n)
            exported = Rate("export: events.transfer.export_log to /dev/null", n)
            for run in range(options.repeat):
                replay.runs.append(await timed(read_all(store, n)))
                say(replay.line() + f"  [run {run + 1}]")
                exported.runs.append(await timed(export(store, n, Path(os.devnull))))
                say(exported.line() + f"  [run {run + 1}]")
            # Once more into a file, for the import: the same export plus writing ~0.8 GB.
            to_file = Rate("export: events.transfer.export_log to a file", n)
            to_file.runs.append(await timed(export(store, n, file)))
            say(to_file.line())
            head = await store.head()
        finally:
            await store.close()
    file_bytes = file.stat().st_size
    say(f"  (export file: {file_bytes / 2**20:,.0f} MiB, {file_bytes / n:,.0f} bytes an event)")
    imported = Rate("import: events.transfer.import_log of that file", n)
    async with server.database("audit_import", migrated=True) as dsn:
        target = await EventStore.connect(dsn)
        try:
            with file.open("rb") as lines:
                started = time.perf_counter()
                report = await import_log(target.pool, lines)
                imported.runs.append(time.perf_counter() - started)
            assert (report.head_position, report.head_hash) == head, (report, head)
            await verify(target, n)
        finally:
            await target.close()
    say(imported.line())
    sizes = {"payload_bytes_per_event": payload_bytes / n, "export_bytes_per_event": file_bytes / n}
    return [append, verified, replay, exported, to_file, imported], sizes


# --- as_of ----------------------------------------------------------------------------------


@dataclass
class Latency:
    name: str
    current_ms: list[float] = field(default_factory=list)
    as_of_ms: list[float] = field(default_factory=list)

    @staticmethod
    def quantile(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, float]:
        p = self.quantile
        return {
            "current_p50_ms": p(self.current_ms, 0.5),
            "current_p99_ms": p(self.current_ms, 0.99),
            "as_of_p50_ms": p(self.as_of_ms, 0.5),
            "as_of_p99_ms": p(self.as_of_ms, 0.99),
            "p99_ratio": p(self.as_of_ms, 0.99) / p(self.current_ms, 0.99),
        }


async def _revise(store: EventStore, ids: list[str], revisions: int) -> int:
    """Revise randomly chosen offers (title and capacity); returns the head halfway through."""
    rng = random.Random(7)  # reproducible data, not security
    versions = dict.fromkeys(ids, 1)
    done = middle = 0
    while done < revisions:
        # Calls end exactly halfway, so that the middle position splits the revisions in two.
        goal = revisions // 2 if done < revisions // 2 else revisions
        chosen = rng.sample(ids, min(BATCH, len(ids), goal - done))
        appends = []
        for offer_id in chosen:
            revised = OfferRevised(
                offer_id=uuid.UUID(offer_id), title=f"修订 {rng.randrange(1000)}",
                capacity=Capacity(quantity=rng.randint(1, 50), measure=Measure.HOURS),
            )  # fmt: skip
            event = NewEvent(type=tag_of(revised), data=revised, metadata=_metadata(rng))
            appends.append(StreamAppend(f"offer-{offer_id}", [event], versions[offer_id]))
            versions[offer_id] += 1
        await store.append_many(appends)
        done += len(chosen)
        if not middle and done == revisions // 2:
            middle, _ = await store.head()
    return middle


async def run_as_of(server: Server, options: Options) -> tuple[list[Latency], dict[str, Any]]:
    async with server.database("audit_as_of", migrated=True) as dsn:
        ids, _token, appended, projected = await load(dsn, options.units, options.offers)
        say(f"  loaded {options.units:,} units and {options.offers:,} offers: appended in {appended:.1f} s, "
            f"projected in {projected:.1f} s")  # fmt: skip
        registry = await open_registry(Settings(database_url=dsn))
        try:
            store, lists = registry.store, registry.list_pool
            middle = await _revise(store, ids, options.revisions)
            caught_up = await timed(registry.runner.catch_up())
            head, _ = await store.head()
            await store.pool.execute("VACUUM (ANALYZE) registry_read.offers")
            rows = await store.pool.fetchval("SELECT count(*) FROM registry_read.offers")
            say(f"  {options.revisions:,} revisions projected in {caught_up:.1f} s; offers table: "
                f"{rows:,} rows; head {head:,}, as_of = {middle:,}")  # fmt: skip
            rng = random.Random(11)  # reproducible choice of ids, not security
            sample = [uuid.UUID(rng.choice(ids)) for _ in range(options.queries)]

            async def get(as_of: int | None, i: int) -> Any:
                doc = await get_doc(store.pool, "offers", sample[i], as_of)
                assert doc is not None
                return doc

            async def filtered(as_of: int | None, _: int) -> Any:
                return await list_offers(lists, REPAIR_WINDOW, as_of, 0, 50)

            async def first_page(as_of: int | None, _: int) -> Any:
                page = await list_offers(lists, OfferFilter(), as_of, 0, 50)
                assert len(page.docs) == 50
                return page

            reads: list[tuple[Latency, Callable[[int | None, int], Awaitable[Any]]]] = [
                (Latency("GET /offers/{id}: get_doc"), get),
                (Latency("GET /offers?category=repair&available_from/to: list_offers"), filtered),
                (Latency("GET /offers (first page of 50): list_offers"), first_page),
            ]
            sizes = {
                "filtered_current": len((await filtered(None, 0)).docs),
                "filtered_as_of": len((await filtered(middle, 0)).docs),
            }
            for latency, read in reads:
                for i in range(min(50, options.queries)):  # warm up: plans, caches, pool
                    await read(None, i)
                    await read(middle, i)
                for i in range(options.queries):
                    # In turns, the order switching, so that neither always runs on a warmer cache.
                    for as_of in (None, middle) if i % 2 == 0 else (middle, None):
                        started = time.perf_counter()
                        await read(as_of, i)
                        took = (time.perf_counter() - started) * 1000
                        (latency.current_ms if as_of is None else latency.as_of_ms).append(took)
                s = latency.summary()
                say(f"  {latency.name:<62} current p50 {s['current_p50_ms']:.2f} p99 "
                    f"{s['current_p99_ms']:.2f} ms; as_of p50 {s['as_of_p50_ms']:.2f} p99 "
                    f"{s['as_of_p99_ms']:.2f} ms; p99 {s['p99_ratio']:.2f}x")  # fmt: skip
        finally:
            await registry.close()
    details = {
        "appended_seconds": appended,
        "projected_seconds": projected,
        "revisions_projected_seconds": caught_up,
        "offer_rows": rows,
        "head": head,
        "as_of": middle,
        "page_sizes": sizes,
    }
    return [latency for latency, _ in reads], details


# --- the run ----------------------------------------------------------------------------------


def report(rates: list[Rate], latencies: list[Latency]) -> list[dict[str, Any]]:
    by = {r.name.split(":")[0]: r for r in rates if not r.name.endswith("to a file")}
    say("")
    say("targets and ratios (same run):")
    targets = []
    verify_rate = by["verify"].rate
    targets.append({"name": "verify events/s", "measured": verify_rate, "target": TARGET_VERIFY,
                    "met": verify_rate >= TARGET_VERIFY})  # fmt: skip
    say(f"  verify {verify_rate:,.0f} events/s (target >= {TARGET_VERIFY:,}): "
        f"{'met' if verify_rate >= TARGET_VERIFY else 'NOT MET'}")  # fmt: skip
    to_file = next(r for r in rates if r.name.endswith("to a file"))
    say(f"  export / read_all: {by['export'].rate / by['read_all'].rate:.2f}x "
        f"(into a file: {to_file.rate / by['read_all'].rate:.2f}x)")  # fmt: skip
    say(f"  import / append:   {by['import'].rate / by['append'].rate:.2f}x")
    for latency in latencies:
        ratio = latency.summary()["p99_ratio"]
        met = ratio <= TARGET_AS_OF_P99
        targets.append({"name": f"as_of p99 / current p99: {latency.name}", "measured": ratio,
                        "target": TARGET_AS_OF_P99, "met": met})  # fmt: skip
        say(f"  as_of p99 {ratio:.2f}x current (target <= {TARGET_AS_OF_P99}x): {latency.name}: "
            f"{'met' if met else 'NOT MET'}")  # fmt: skip
    return targets


async def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    url = os.environ.get("DATABASE_URL")
    server = Server(url or embedded_dsn(DATA_DIR))
    await server.drop_leftovers()
    settings = await server.settings()
    say(
        f"PostgreSQL {settings['server_version']} ({'DATABASE_URL' if url else DATA_DIR.name}), "
        f"fsync={settings['fsync']}, synchronous_commit={settings['synchronous_commit']}, "
        f"shared_buffers={settings['shared_buffers']}; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, asyncpg {version('asyncpg')}, msgspec {version('msgspec')}"
    )
    load_before = _load_average()
    say(f"{options}\nload average before: {load_before}")
    started = time.perf_counter()
    say(f"\nthe log ({options.events:,} events):")
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as scratch:
        rates, sizes = await run_log(server, options, Path(scratch))
    say(f"\nas_of ({options.units:,} units, {options.offers:,} offers, {options.revisions:,} revisions):")
    latencies, as_of = await run_as_of(server, options)
    targets = report(rates, latencies)
    load_after = _load_average()
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
                "rates": [asdict(r) | {"rate": r.rate, "seconds": r.seconds} for r in rates],
                "sizes": sizes,
                "as_of": as_of,
                "latencies": [{"name": x.name, "calls": len(x.current_ms)} | x.summary() for x in latencies],
                "targets": targets,
            },
            indent=2,
        )
    )
    say(f"results written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
