"""Projection benchmark: rebuild the read model of a 1,000,000-event registry log.

    uv run python -m bench.projection            # 1,000,000 events (~4 min on 2 cores)
    uv run python -m bench.projection --quick    # 100,000 events (< 1 min, numbers indicative)
    uv run python -m bench.projection --events N --repeat K

One PostgreSQL server (DATABASE_URL if set, else the embedded one in .registry-bench/), one fresh
database. The log is what the registry writes, made with the domain's own rules: 1,000 units;
plans drafted with five slots and published; for every slot three offers submitted and revised
0-2 times; each offer claims its slot (commitment, capacity held, demand covered: one atomic
step over three streams), most claims are confirmed and most confirmed ones fulfilled.

Measured, in turns, in the same run:
- **ours**: `ProjectionRunner.rebuild` — the whole log into a fresh schema, every version of every
  entity a row of its own, secondary indexes built at the end, then swapped in;
- **ours, live pages**: `catch_up` from zero into the live schema, its indexes kept as it goes
  (what the leader does when it falls behind), on the first `--live` events;
- **raw**: asyncpg reading the same events in keyset pages and COPYing one row per event of
  equal width (the `state` and `doc` of a read-model row of average width from the table the
  event's stream goes to: real JSON, compressible as ours is) into an unindexed table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.api_offers import _units
from bench.common import DATA_DIR, ROOT, Server
from events import ANY, EventStore, Metadata, NewEvent, StreamAppend
from events.append import prepare, write_batch
from events.projection import apply_batch, create_schema
from events.runner import ProjectionRunner
from events.sql import query
from registry.database import embedded_dsn
from registry.domain import commitment, offer, plan
from registry.domain.commitment import Circumstances, Origin, Side
from registry.domain.events import (
    Event,
    OfferRevised,
    OfferSubmitted,
    PlanDrafted,
    PlanPublished,
    SlotAdded,
    tag_of,
)
from registry.domain.taxonomy import CATEGORIES
from registry.domain.values import Capacity, Measure, OneOffWindow
from registry.read.projection import read_model_projection, registry_codec

RESULTS = ROOT / "bench" / "results" / "projection.json"
TARGET_RATE = 20_000  # events/s
TARGET_RATIO = 0.3  # of the raw path
PAGE = 2_000
LEAVES = [code for code in CATEGORIES if not any(other.startswith(code + ".") for other in CATEGORIES)]
AREA = "虹口区/欧阳路街道"
HOUR = timedelta(hours=1)
ROWS = """
SELECT (SELECT count(*) FROM registry_read.offers) + (SELECT count(*) FROM registry_read.plans)
     + (SELECT count(*) FROM registry_read.commitments) + (SELECT count(*) FROM registry_read.units)
"""


def say(text: str) -> None:
    print(text, flush=True)


# --- the log --------------------------------------------------------------------------------


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _metadata(rng: random.Random) -> Metadata:
    return Metadata(actor=f"token:{_id(rng)}", role="coordinator", correlation_id=str(_id(rng)))


class _Log:
    """Atomic steps (one or more streams each) made with the domain, and the states they leave."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.steps: list[list[StreamAppend]] = []
        self.events = 0

    def step(self, *streams: tuple[str, list[Event]]) -> None:
        appends = [
            StreamAppend(
                stream, [NewEvent(type=tag_of(e), data=e, metadata=_metadata(self.rng)) for e in events], ANY
            )
            for stream, events in streams
            if events
        ]
        self.steps.append(appends)
        self.events += sum(len(a.events) for a in appends)


def _plan_with_claims(log: _Log, units: list[uuid.UUID], day: datetime) -> None:
    rng = log.rng
    plan_id = _id(rng)
    drafted = PlanDrafted(
        plan_id=plan_id, title=f"社区服务日 {rng.randrange(10_000)}", venue="社区党群服务中心", area=AREA,
        starts_at=day, ends_at=day + timedelta(hours=4), expected_attendance=200,
    )  # fmt: skip
    slots = [
        SlotAdded(
            plan_id=plan_id, slot_id=_id(rng), category=rng.choice(LEAVES), quantity=6,
            starts_at=day + timedelta(minutes=30 * i), ends_at=day + timedelta(hours=2, minutes=30 * i),
        )
        for i in range(5)
    ]  # fmt: skip
    planned: Any = None
    for event in [drafted, *slots, PlanPublished(plan_id=plan_id)]:
        planned = plan.evolve(planned, event)
    log.step((f"plan-{plan_id}", [drafted, *slots, PlanPublished(plan_id=plan_id)]))
    for slot in slots:
        for _ in range(3):
            offer_id = _id(rng)
            submitted = OfferSubmitted(
                offer_id=offer_id, unit_id=rng.choice(units), category=slot.category,
                title=f"{CATEGORIES[slot.category].label_zh} {rng.randrange(1000)}", description="服务说明",
                capacity=Capacity(quantity=rng.randint(2, 20), measure=Measure.PEOPLE),
                availability=[OneOffWindow(starts_at=day - HOUR, ends_at=day + 6 * HOUR)],
                service_area=[AREA], tags=["便民"],
            )  # fmt: skip
            events: list[Event] = [submitted]
            for _ in range(rng.choice([0, 1, 1, 2])):
                events.append(OfferRevised(offer_id=offer_id, title=f"{submitted.title} (修订)"))
            offered: Any = None
            for event in events:
                offered = offer.evolve(offered, event)
            log.step((f"offer-{offer_id}", events))
            planned, offered = _claim(log, planned, offered, slot.slot_id)


def _claim(log: _Log, planned: Any, offered: Any, slot_id: uuid.UUID) -> tuple[Any, Any]:
    """A liaison claims, the centre mostly confirms, the unit mostly reports the service done."""
    rng = log.rng
    target = commitment.slot_target(planned, planned.slot(slot_id))
    if target.uncovered < 1:
        return planned, offered
    commitment_id = _id(rng)
    effects = commitment.make(
        commitment_id=commitment_id,
        offer=offered,
        target=target,
        quantity=rng.randint(1, 2),
        origin=Origin.CLAIM,
        now=target.starts_at,
    )
    state: Any = None
    steps = [effects]
    state = _fold(commitment.evolve, state, effects.commitment)
    # Recorded after the window, within the slot's bounds, as the registry requires.
    at = Circumstances(
        now=target.ends_at, measure=offered.capacity.measure,
        people_limit=planned.people_limit(planned.slot(slot_id))[0],
    )  # fmt: skip
    if rng.random() < 0.85:
        steps.append(commitment.confirm(state, Side.CENTRE, at))
        state = _fold(commitment.evolve, state, steps[-1].commitment)
        if rng.random() < 0.7:
            steps.append(commitment.fulfil(state, rng.randint(5, 40), 2.0 * state.quantity, None, at))
    elif rng.random() < 0.5:
        steps.append(commitment.release(state, "另有安排"))
    for done in steps:
        log.step(
            (f"commitment-{commitment_id}", done.commitment),
            (f"offer-{offered.id}", done.offer),
            (f"plan-{planned.id}", done.target),
        )
        offered = _fold(offer.evolve, offered, done.offer)
        planned = _fold(plan.evolve, planned, done.target)
    return planned, offered


def _fold(evolve: Any, state: Any, events: list[Event]) -> Any:
    for event in events:
        state = evolve(state, event)
    return state


def registry_log(count: int, seed: int = 20261203) -> Iterator[list[list[StreamAppend]]]:
    """About `count` events as groups of atomic steps, ~PAGE events a group."""
    rng = random.Random(seed)  # reproducible data, not security
    log = _Log(rng)
    units = _units(rng, 1_000)
    for registered in units:
        log.step((f"unit-{registered.unit_id}", [registered]))
    ids = [u.unit_id for u in units]
    first_day = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    made = 0
    while made < count:
        _plan_with_claims(log, ids, first_day + timedelta(days=rng.randrange(120)))
        if log.events >= PAGE or made + log.events >= count:
            made += log.events
            yield log.steps
            log = _Log(rng)


async def load(dsn: str, count: int) -> int:
    """Write the log in transactions of ~PAGE events, each step an append of its own."""
    store = await EventStore.connect(dsn)
    try:
        async with store.pool.acquire() as conn:
            for steps in registry_log(count):
                async with conn.transaction():
                    outcomes = await write_batch(conn, [prepare(step, None) for step in steps])
                assert all(isinstance(o, list) for o in outcomes), outcomes[:3]
        head, _ = await store.head()
        await store.pool.execute("VACUUM (ANALYZE) events")
        return head
    finally:
        await store.close()


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Rate:
    name: str
    events: int
    runs: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / statistics.median(self.runs)

    def line(self, raw: Rate | None) -> str:
        rates = sorted(self.events / s for s in self.runs)
        ratio = f"{self.rate / raw.rate:5.2f}x raw" if raw is not None else "          "
        spread = f"  runs {rates[0]:,.0f}-{rates[-1]:,.0f}" if len(rates) > 1 else ""
        return f"  {self.name:<58} {self.rate:>9,.0f} events/s  {ratio}{spread}"


RAW_TABLE = """
CREATE TABLE raw_rows (
    id uuid, version integer, created_position bigint, kind text, status text, search text,
    state json, doc json, created_at timestamptz, valid_from bigint, valid_to bigint
)
"""
RAW_READ = (
    "SELECT position, stream_id, version, type, recorded_at FROM events "
    "WHERE position > $1 ORDER BY position LIMIT $2"
)
# A row of average width from each read-model table: the raw path writes one like it per event.
TYPICAL_ROW = """
SELECT state::text AS state, doc::text AS doc FROM registry_read.{table}
ORDER BY abs(octet_length(state::text) + octet_length(doc::text)
             - (SELECT avg(octet_length(state::text) + octet_length(doc::text)) FROM registry_read.{table}))
LIMIT 1
"""
KINDS = {"unit": "units", "offer": "offers", "plan": "plans", "commitment": "commitments"}


async def typical_rows(store: EventStore) -> dict[str, tuple[str, str]]:
    """Per kind of stream, the state and doc of a read-model row of its table's average width."""
    found = {}
    for kind, table in KINDS.items():
        row = await store.pool.fetchrow(TYPICAL_ROW.format(table=table))
        assert row is not None, table
        found[kind] = (row["state"], row["doc"])
    return found


async def raw_path(store: EventStore, typical: dict[str, tuple[str, str]]) -> None:
    """Read every event and COPY a row as wide as the read model's for it: no decoding, no fold."""
    async with store.pool.acquire() as conn:
        await conn.execute("DROP TABLE IF EXISTS raw_rows")
        await conn.execute(RAW_TABLE)
        after = 0
        while True:
            rows = await conn.fetch(RAW_READ, after, PAGE)
            if not rows:
                return
            records = []
            for position, stream, version, type_, recorded_at in rows:
                kind, _, key = stream.partition("-")
                state, doc = typical[kind]
                records.append(
                    (
                        uuid.UUID(key),
                        version,
                        position,
                        type_,
                        "active",
                        type_,
                        state,
                        doc,
                        recorded_at,
                        position,
                        None,
                    )
                )
            await conn.copy_records_to_table("raw_rows", records=records)
            after = rows[-1][0]


async def live_pages(store: EventStore, up_to: int) -> None:
    """The leader's catch-up from zero with the live indexes, stopped at `up_to`."""
    runner = ProjectionRunner(store, [read_model_projection()], name="bench-live", batch_size=PAGE)
    projection = runner.projections[0]
    async with store.pool.acquire() as conn, conn.transaction():
        await create_schema(conn, projection, "bench_live")
    position = 0
    async with store.pool.acquire() as conn:
        while position < up_to:
            async with conn.transaction():
                await conn.execute(query("events/projection-transaction"), "bench_live")
                reached = await apply_batch(conn, projection, store.codec, position, PAGE, up_to)
            if reached == position:
                break
            position = reached
        await conn.execute("DROP SCHEMA bench_live CASCADE")


async def run(options: argparse.Namespace) -> int:
    dsn = os.environ.get("DATABASE_URL") or embedded_dsn(DATA_DIR)
    server = Server(dsn)
    await server.drop_leftovers()
    say(f"server: {await server.settings()}; load average {os.getloadavg()[0]:.2f}")
    async with server.database("projection", migrated=True) as db:
        started = time.perf_counter()
        head = await load(db, options.events)
        say(f"log: {head:,} events written in {time.perf_counter() - started:.1f} s")
        store = await EventStore.connect(db, codec=registry_codec())
        try:
            runner = ProjectionRunner(store, [read_model_projection()], name="registry", batch_size=PAGE)
            ours = Rate("ours: ProjectionRunner.rebuild (whole log)", head)
            raw = Rate("raw: asyncpg keyset pages + COPY of rows as wide, unindexed", head)
            live_count = min(options.live, head)
            live = Rate(f"ours, live pages: catch_up from zero, indexes kept ({live_count:,})", live_count)
            typical: dict[str, tuple[str, str]] = {}
            for turn in range(options.repeat):
                began = time.perf_counter()
                await runner.rebuild(runner.projections[0])
                ours.runs.append(time.perf_counter() - began)
                say(f"  turn {turn + 1}: {ours.name}: {ours.runs[-1]:.1f} s")
                typical = typical or await typical_rows(store)
                began = time.perf_counter()
                await raw_path(store, typical)
                raw.runs.append(time.perf_counter() - began)
                say(f"  turn {turn + 1}: {raw.name}: {raw.runs[-1]:.1f} s")
            began = time.perf_counter()
            await live_pages(store, live_count)
            live.runs.append(time.perf_counter() - began)
            rows = await store.pool.fetchval(ROWS)
        finally:
            await store.close()
    say(f"\nread-model rows written per rebuild: {rows:,}; load average {os.getloadavg()[0]:.2f}")
    for rate in (raw, ours, live):
        say(rate.line(None if rate is raw else raw))
    ratio = ours.rate / raw.rate
    met = ours.rate >= TARGET_RATE and ratio >= TARGET_RATIO
    say(
        f"\ntarget: rebuild >= {TARGET_RATE:,} events/s and >= {TARGET_RATIO}x raw: "
        f"{ours.rate:,.0f} events/s, {ratio:.2f}x -> {'met' if met else 'NOT met'}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "events": head,
                "rows": rows,
                "rates": {r.name: {"events_per_s": r.rate, "runs_s": r.runs} for r in (raw, ours, live)},
                "ratio": ratio,
                "load_average": os.getloadavg(),
                "when": datetime.now(UTC).isoformat(),
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 events")
    parser.add_argument("--repeat", type=int, default=2, help="turns of raw and rebuild")
    parser.add_argument("--live", type=int, default=200_000, help="events for the live-pages catch-up")
    options = parser.parse_args(argv)
    if options.quick:
        options.events = min(options.events, 100_000)
        options.repeat = 1
        options.live = min(options.live, 50_000)
    return asyncio.run(run(options))


if __name__ == "__main__":
    sys.exit(main())
