"""Benchmark: matching and allocating a 30-slot plan with 1,000 units and 100,000 offers loaded.

One run against one PostgreSQL: the offers of `bench.api_offers` (its loader), the registry under
uvicorn with one worker on loopback (its server helper), and two published plans of 30 slots on
Saturday 2026-12-12 in 虹口区/欧阳路街道, made over HTTP:

- *staggered*: posts of a service fair whose windows overlap partially (9-11, 10-12, 11-13 …),
  so an offer's capacity limits cross and the allocation needs CP-SAT;
- *shifts*: the same 30 slots, each moved to the two-hour block its start falls in, so windows
  are equal or disjoint, limits nest, and min-cost flow solves it.

Per plan, sequential requests on one keep-alive connection (a few warm-ups, then N timed):
`GET /api/v1/plans/{id}/matches`, `POST /api/v1/plans/{id}/allocate {"dry_run": true}`, and
`GET /api/v1/offers` with one slot's filters (category, status, area, window), rotating over
the 30 slots, and all 30 of those lists in a row. In this process, beside them: the candidate
SQL alone on raw asyncpg (the 30 demands in one call, as the board sends them for 20 candidates
a slot, what `matches` shows; and with no cut, every candidate), `read_plan_board` for 20 and
for 100 a slot (that SQL and the scoring; 100 is what allocation reads) and `solve` (the solver).
"vs raw" divides by the candidate SQL for 20 a slot.

    uv run python -m bench.matching            # 1,000 units, 100,000 offers (~7 min on 2 cores)
    uv run python -m bench.matching --quick    # 100 units, 5,000 offers, 20 or 5 calls a scenario
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import inspect
import json
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, NamedTuple
from urllib.parse import urlencode

import asyncpg

from bench.api_offers import ROOT, Served, load
from bench.common import DATA_DIR, Server
from events.sql import query
from registry.app import open_registry
from registry.database import embedded_dsn
from registry.domain.plan import Plan
from registry.domain.values import LOCAL_ZONE
from registry.matching.config import MatchConfig
from registry.read.board import ALL, read_plan_board
from registry.service.allocations import CANDIDATES_PER_SLOT, solve
from registry.settings import Settings

RESULTS = ROOT / "bench" / "results" / "matching.json"
DAY = date(2026, 12, 12)  # a Saturday, the day bench.api_offers asks about too
AREA = "虹口区/欧阳路街道"
MATCHES_P99_MS = 100.0
# What GET …/matches shows a slot unless asked otherwise.
SHOWN = 20
ALLOCATE_MS = 1000.0


class SlotSpec(NamedTuple):
    category: str
    quantity: int
    starts_at: datetime
    ends_at: datetime


def _at(hhmm: str) -> datetime:
    return datetime.combine(DAY, clock.fromisoformat(hhmm), LOCAL_ZONE)


# Leaves and a few parents (`repair` takes 8 leaves, `legal` 3, `counseling` 2); chains such as
# repair 9-11, 10-12, 11-13 make an offer's limits cross.
_FAIR = [
    ("repair", 3, "09:00", "11:00"), ("repair", 2, "10:00", "12:00"), ("repair", 2, "11:00", "13:00"),
    ("repair.umbrella", 1, "09:00", "12:00"), ("repair.shoe", 2, "13:00", "16:00"),
    ("repair.clock", 1, "14:00", "16:00"),
    ("medical.eye-screening", 2, "09:00", "11:00"), ("medical.eye-screening", 2, "10:30", "12:30"),
    ("medical.consultation", 3, "09:00", "12:00"), ("medical.blood-pressure", 2, "13:00", "15:00"),
    ("medical.blood-pressure", 2, "14:00", "16:00"), ("medical.blood-pressure", 1, "15:00", "17:00"),
    ("counseling", 2, "13:00", "15:00"), ("counseling.psychological", 1, "14:00", "17:00"),
    ("legal.consultation", 2, "09:00", "11:00"), ("legal.consultation", 2, "10:00", "12:00"),
    ("legal", 1, "11:00", "13:00"),
    ("publicity.garbage-sorting", 3, "09:00", "12:00"), ("publicity.anti-drug", 2, "13:00", "16:00"),
    ("publicity.anti-fraud", 2, "09:30", "11:30"),
    ("volunteers.crowd-guidance", 5, "09:00", "11:00"), ("volunteers.crowd-guidance", 5, "10:00", "12:00"),
    ("volunteers.crowd-guidance", 5, "11:00", "13:00"), ("volunteers.crowd-guidance", 4, "13:00", "15:00"),
    ("volunteers.crowd-guidance", 4, "15:00", "17:00"),
    ("venue.outdoor", 1, "09:00", "17:00"), ("venue.meeting-room", 1, "13:00", "15:00"),
    ("training.lecture", 1, "14:00", "16:00"), ("science.workshop", 2, "13:30", "15:30"),
    ("culture.performance", 1, "15:00", "17:00"),
]  # fmt: skip
STAGGERED = [SlotSpec(c, q, _at(s), _at(e)) for c, q, s, e in _FAIR]


def _block(slot: SlotSpec) -> SlotSpec:
    """The slot moved to the two-hour block (9-11, 11-13, 13-15, 15-17) its start falls in."""
    hour = 9 + 2 * ((slot.starts_at.hour - 9) // 2)
    start = datetime.combine(DAY, clock(hour), LOCAL_ZONE)
    return slot._replace(starts_at=start, ends_at=start + timedelta(hours=2))


SHIFTS = [_block(slot) for slot in STAGGERED]


class Client:
    """Sequential requests on one keep-alive connection, as the coordinator."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return json.loads(self.answer(method, path, body))

    def answer(self, method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
        """The answer's body, not parsed: what the timed calls wait for (the server's time and the
        transfer, not this client's `json.loads` of a 320 KB board)."""
        payload = json.dumps(body).encode() if body is not None else None
        try:
            self.connection.request(method, path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # uvicorn closes a connection idle for 5 s (while the in-process scenarios ran); the
            # warm-up calls absorb the reconnection.
            self.connection.close()
            self.connection.request(method, path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path} answered {response.status}: {data[:500]!r}")
        return data

    def close(self) -> None:
        self.connection.close()


def create_plan(client: Client, title: str, slots: list[SlotSpec]) -> str:
    """Draft the plan, add its slots, publish it; returns its id."""
    plan = client.call(
        "POST", "/api/v1/plans",
        {"title": title, "venue": "欧阳路街道党群服务中心", "area": AREA,
         "starts_at": _at("08:00").isoformat(), "ends_at": _at("18:00").isoformat()},
    )  # fmt: skip
    for slot in slots:
        client.call(
            "POST", f"/api/v1/plans/{plan['id']}/slots",
            {"category": slot.category, "quantity": slot.quantity,
             "starts_at": slot.starts_at.isoformat(), "ends_at": slot.ends_at.isoformat()},
        )  # fmt: skip
    client.call("POST", f"/api/v1/plans/{plan['id']}/publish")
    return str(plan["id"])


def offer_list_path(plan: Plan, index: int) -> str:
    """`GET /api/v1/offers` with the hard filters of the plan's slot `index`."""
    slot = plan.slots[index]
    filters = {
        "category": slot.category,
        "status": "active",
        "area": plan.area,
        "available_from": slot.starts_at.isoformat(),
        "available_to": slot.ends_at.isoformat(),
    }
    return "/api/v1/offers?" + urlencode(filters)


async def candidate_args(dsn: str, plan_id: uuid.UUID, config: MatchConfig, keep: int) -> tuple[Any, ...]:
    """The candidate SQL's parameters exactly as `read_plan_board` sends them (caught in flight)."""
    sql, sent = query("registry/match-candidates"), []

    def catch(record: Any) -> None:
        if record.query == sql:
            sent.append(record.args)

    async def init(conn: asyncpg.Connection[Any]) -> None:
        conn.add_query_logger(catch)

    async with asyncpg.create_pool(dsn, min_size=1, max_size=1, init=init) as pool:
        await read_plan_board(pool, plan_id, None, config, keep)
        await asyncio.sleep(0)  # loggers are called soon after the query, not during it
    assert len(sent) == 1, sent
    return tuple(sent[0])


async def vacuum_windows(dsn: str) -> None:
    """What the loader does for `offers`: fresh statistics, and pages all-visible (index-only scans)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM ANALYZE registry_read.offer_windows")
    finally:
        await conn.close()


@dataclass
class Measurement:
    name: str
    count: int
    p50_ms: float
    p99_ms: float
    vs_list: float | None = None
    vs_raw: float | None = None
    solver: str | None = None


def _percentile(ordered: list[float], share: float) -> float:
    """Nearest rank: the smallest sample with at least `share` of the samples at or below it."""
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


async def sample(name: str, call: Callable[[int], object], count: int, warmup: int) -> Measurement:
    """`warmup` untimed calls, then `count` timed ones, one after another (awaiting if async)."""
    timings = []
    for i in range(warmup + count):
        started = time.perf_counter()
        result = call(i)
        if inspect.isawaitable(result):
            await result
        if i >= warmup:
            timings.append((time.perf_counter() - started) * 1000)
    ordered = sorted(timings)
    return Measurement(name, count, _percentile(ordered, 0.5), _percentile(ordered, 0.99))


@dataclass
class PlanResult:
    label: str
    plan_id: str
    candidates: dict[str, int]
    allocation: dict[str, Any]
    measurements: list[Measurement] = field(default_factory=list)


class Rig(NamedTuple):
    """What the scenarios run on: the database, the served registry, a raw connection, the pool."""

    dsn: str
    client: Client
    raw: asyncpg.Connection[Any]
    pool: asyncpg.Pool[Any]


async def measure_plan(label: str, plan_id: str, rig: Rig, options: argparse.Namespace) -> PlanResult:
    """Every scenario for one plan, in turn; ratios are of p50s."""
    config, (_, client, raw, pool) = MatchConfig(), rig
    plan, board = await read_plan_board(pool, uuid.UUID(plan_id), None, config, CANDIDATES_PER_SLOT)
    sql = query("registry/match-candidates")
    args = await candidate_args(rig.dsn, plan.id, config, SHOWN)  # what GET …/matches sends
    every = await candidate_args(rig.dsn, plan.id, config, ALL)  # no cut: every candidate
    per_slot = Counter(row["demand"] for row in await raw.fetch(sql, *every))
    sent = len(await raw.fetch(sql, *args))
    counts = [per_slot.get(i, 0) for i in range(len(plan.slots))]
    started = time.perf_counter()
    allocation = client.call("POST", f"/api/v1/plans/{plan_id}/allocate", {"dry_run": True})
    cold_ms = (time.perf_counter() - started) * 1000
    n, local, warmup = options.requests, options.in_process, options.warmup
    paths = [offer_list_path(plan, i) for i in range(len(plan.slots))]
    say(
        f"{label}: {sum(counts):,} candidates over 30 slots, {sent:,} sent for {SHOWN} a slot; "
        f"{allocation['solver']}, timing …"
    )

    found = [
        await sample(f"raw asyncpg: candidate SQL, {SHOWN} a slot", lambda i: raw.fetch(sql, *args), local,
                     warmup),
        await sample("raw asyncpg: candidate SQL, no cut", lambda i: raw.fetch(sql, *every), local, warmup),
        await sample(f"in-process read_plan_board, {SHOWN} a slot",
                     lambda i: read_plan_board(pool, plan.id, None, config, SHOWN), local, warmup),
        await sample(f"in-process read_plan_board, {CANDIDATES_PER_SLOT} a slot",
                     lambda i: read_plan_board(pool, plan.id, None, config, CANDIDATES_PER_SLOT), local,
                     warmup),
        await sample("in-process solve (solver alone)", lambda i: solve(plan, board), local, 1),
        await sample("GET /api/v1/offers, one slot's filters",
                     lambda i: client.answer("GET", paths[i % 30]), n, warmup),
        await sample("GET /api/v1/offers x30, every slot's",
                     lambda i: [client.answer("GET", p) for p in paths], max(n // 10, 3), 1),
        await sample("GET /api/v1/plans/{id}/matches",
                     lambda i: client.answer("GET", f"/api/v1/plans/{plan_id}/matches"), n, warmup),
        await sample("POST /api/v1/plans/{id}/allocate dry run",
                     lambda i: client.answer("POST", f"/api/v1/plans/{plan_id}/allocate", {"dry_run": True}),
                     options.allocations, warmup),
    ]  # fmt: skip
    raw_p50, list_p50 = found[0].p50_ms, found[5].p50_ms
    for m in found[1:]:
        m.vs_list, m.vs_raw = m.p50_ms / list_p50, m.p50_ms / raw_p50
    found[4].solver = found[-1].solver = allocation["solver"]
    return PlanResult(
        label=label, plan_id=plan_id,
        candidates={"total": sum(counts), "min": min(counts), "median": int(statistics.median(counts)),
                    "max": max(counts), "sent_for_shown": sent},
        allocation={"solver": allocation["solver"], "status": allocation["status"],
                    "assigned": sum(a["quantity"] for a in allocation["assignments"]),
                    "unmet": sum(u["quantity"] for u in allocation["unmet"]),
                    "wanted": sum(s.quantity for s in plan.slots), "first_call_ms": cold_ms},
        measurements=found,
    )  # fmt: skip


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _revision() -> str:
    """The commit measured, marked dirty when src/ differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "src")
    return git("rev-parse", "--short", "HEAD") + (" (dirty)" if dirty else "")


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def run(options: argparse.Namespace) -> int:
    started, revision = _load_average(), _revision()
    server = Server(os.environ.get("DATABASE_URL") or embedded_dsn(DATA_DIR))
    await server.drop_leftovers()
    async with server.database("matching", migrated=True) as dsn:
        say(f"loading {options.units:,} units and {options.offers:,} offers …")
        _, token, appended, projected = await load(dsn, options.units, options.offers)
        await vacuum_windows(dsn)
        say(f"appended in {appended:.1f} s, projected in {projected:.1f} s; load average {_load_average()}")
        app = Served("registry.app:app_from_env", {"DATABASE_URL": dsn}, factory=True)
        registry = await open_registry(Settings(database_url=dsn))
        raw = await asyncpg.connect(dsn, server_settings={"plan_cache_mode": "force_custom_plan"})
        try:
            app.wait("/health")
            client = Client(app.port, token)
            plans = {"staggered": create_plan(client, "周六便民服务集市（错峰）", STAGGERED),
                     "shifts": create_plan(client, "周六便民服务集市（分班）", SHIFTS)}  # fmt: skip
            rig = Rig(dsn, client, raw, registry.list_pool)
            results = [await measure_plan(label, plan_id, rig, options) for label, plan_id in plans.items()]
            client.close()
        finally:
            await raw.close()
            await registry.close()
            app.stop()
    extra = {"revision": revision, "appended_s": appended, "projected_s": projected,
             "load_average_before": started}  # fmt: skip
    report(results, options, {**extra, "load_average_after": _load_average()})
    return 0


def report(results: list[PlanResult], options: argparse.Namespace, extra: dict[str, Any]) -> None:
    print(f"\n{'scenario':<44}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}{'vs list':>9}{'vs raw':>8}  solver")
    for plan in results:
        c, a = plan.candidates, plan.allocation
        print(
            f"\n{plan.label} plan: candidates per slot {c['min']}-{c['max']} (median {c['median']}, "
            f"{c['total']:,} in all); allocation {a['status']}, {a['assigned']} of {a['wanted']} assigned; "
            f"the first allocate call took {a['first_call_ms']:.0f} ms"
        )
        for m in plan.measurements:
            ratios = "".join(f"{r:>8.2f}x" if r is not None else f"{'':>9}" for r in (m.vs_list, m.vs_raw))
            print(f"  {m.name:<42}{m.count:>5}{m.p50_ms:>9.2f}{m.p99_ms:>9.2f}{ratios}  {m.solver or ''}")
    print(
        f"\nmeasured at {extra['revision']}; 'vs list' and 'vs raw' are p50 over p50; load average "
        f"{extra['load_average_before']} at the start, {extra['load_average_after']} at the end.\ntargets:"
    )
    targets = []
    for plan in results:
        by_name = {m.name: m for m in plan.measurements}
        matches = by_name["GET /api/v1/plans/{id}/matches"]
        allocate = by_name["POST /api/v1/plans/{id}/allocate dry run"]
        for goal, measured, limit in (
            (f"{plan.label}: matches p99 < {MATCHES_P99_MS:.0f} ms", matches.p99_ms, MATCHES_P99_MS),
            (f"{plan.label}: 30-slot allocation (p99) < {ALLOCATE_MS:.0f} ms", allocate.p99_ms, ALLOCATE_MS),
        ):
            met = measured < limit
            targets.append({"target": goal, "measured_ms": measured, "met": met})
            print(f"  {goal}: {measured:.1f} ms {'PASS' if met else 'MISS'}")
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
        "cores": os.cpu_count(),
        "options": vars(options),
        "plans": [asdict(p) for p in results],
        "targets": targets,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=2, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    layout = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=layout)
    parser.add_argument("--quick", action="store_true", help="100 units, 5,000 offers, 20/5/5 calls")
    parser.add_argument("--requests", type=int, default=200, help="timed matches and offer-list calls")
    parser.add_argument("--allocations", type=int, default=50, help="timed allocate calls")
    parser.add_argument("--in-process", type=int, default=50, help="timed raw SQL, board and solve calls")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls before each scenario")
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--offers", type=int, default=100_000)
    options = parser.parse_args(argv)
    if options.quick:
        options.units, options.offers, options.requests = 100, 5_000, 20
        options.allocations = options.in_process = 5
    return asyncio.run(run(options))


if __name__ == "__main__":
    sys.exit(main())
