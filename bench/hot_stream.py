"""Benchmark: bursts of writes on one hot stream, with and without the per-stream turns.

In one process, against the write side itself (`Registry`, no HTTP: the burst is the point), on a
fresh database per measurement:

- *claims*: N liaisons claim one place each of one slot with N places, each with an offer of
  their own: every claim appends to the slot's plan stream;
- *spent*: 30 claims of 1 on one offer of capacity 5: five land, the rest are 409;
- *revisions*: N unconditional revisions of one offer (one stream, `Registry.execute`).

Each burst runs three ways: *turns* (the engine as built: commands on one stream take turns in
the process), *optimistic* (the same engine with the turns switched off, so every command races
every other, as the registry did before) and *two processes* (turns, but the burst split over
two `Registry` objects on one database, whose appends race each other as two servers' would).
Printed per burst and way: the wall time, decide-and-append attempts and lost appends per
request, p50/p99 of one request, and the ratios optimistic / turns of the same run.

    uv run python -m bench.hot_stream            # N = 60, 5 rounds a burst (~1-2 minutes)
    uv run python -m bench.hot_stream --quick    # N = 30, 2 rounds
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from bench.common import DATA_DIR, ROOT, Server
from registry.app import open_registry
from registry.database import embedded_dsn
from registry.domain.errors import Conflict
from registry.domain.offer import ReviseOffer, SubmitOffer
from registry.domain.plan import AddSlot, DraftPlan, PublishPlan
from registry.domain.unit import RegisterUnit
from registry.domain.values import LOCAL_ZONE, Capacity, OneOffWindow, Role
from registry.service import commands, commitments
from registry.service.commitments import MakeCommitment
from registry.service.context import Actor, Command
from registry.service.execute import Registry
from registry.service.locks import StreamLocks, Turns
from registry.service.retry import WRITE_ATTEMPTS, WRITE_RETRIES
from registry.settings import Settings

RESULTS = ROOT / "bench" / "results" / "hot_stream.json"
CENTRE = Command(actor=Actor(subject="bench:hot-stream", role=Role.COORDINATOR))
DAY = (datetime(2026, 10, 17, 8, tzinfo=LOCAL_ZONE), datetime(2026, 10, 17, 18, tzinfo=LOCAL_ZONE))
MORNING = (datetime(2026, 10, 17, 9, tzinfo=LOCAL_ZONE), datetime(2026, 10, 17, 12, tzinfo=LOCAL_ZONE))
WAYS = ("turns", "optimistic", "two processes")


class NoTurns(StreamLocks):
    """The lock table switched off: every command runs at once and races (the old behaviour)."""

    @contextlib.asynccontextmanager
    async def hold(self, streams: Iterable[str]) -> AsyncIterator[Turns]:
        yield Turns(self, [])

    def take_if_free(self, streams: list[str]) -> bool:
        return True


def total(counter: Any) -> float:
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


class World:
    """One unit with its liaison, on a registry (or two) over a fresh database."""

    def __init__(self, registries: list[Registry], unit_id: uuid.UUID) -> None:
        self.registries = registries
        self.unit_id = unit_id
        self.liaison = Command(actor=Actor(subject="bench:liaison", role=Role.LIAISON, unit_id=unit_id))

    def registry_for(self, i: int) -> Registry:
        return self.registries[i % len(self.registries)]

    async def offer(self, capacity: int = 1) -> uuid.UUID:
        submit = SubmitOffer(
            offer_id=uuid.uuid4(), unit_id=self.unit_id, category="repair.umbrella", title="修伞",
            capacity=Capacity(quantity=capacity, measure="people"),
            availability=[OneOffWindow(starts_at=DAY[0], ends_at=DAY[1])],
        )  # fmt: skip
        return (await commands.submit_offer(self.registries[0], CENTRE, submit)).entity_id

    async def slot(self, quantity: int) -> dict[str, uuid.UUID]:
        registry, plan_id, slot_id = self.registries[0], uuid.uuid4(), uuid.uuid4()
        draft = DraftPlan(
            plan_id=plan_id,
            title="秋收",
            venue="党群服务中心",
            area="虹口区",
            starts_at=DAY[0],
            ends_at=DAY[1],
        )
        await commands.change_plan(registry, CENTRE, draft, creates=True)
        add = AddSlot(
            plan_id=plan_id, slot_id=slot_id, category="repair", quantity=quantity,
            starts_at=MORNING[0], ends_at=MORNING[1],
        )  # fmt: skip
        await commands.change_plan(registry, CENTRE, add)
        await commands.change_plan(registry, CENTRE, PublishPlan(plan_id=plan_id))
        return {"plan_id": plan_id, "slot_id": slot_id}

    async def claim(self, i: int, offer_id: uuid.UUID, target: dict[str, uuid.UUID]) -> str:
        cmd = MakeCommitment(commitment_id=uuid.uuid4(), offer_id=offer_id, quantity=1, **target)
        try:
            await commitments.make_commitment(self.registry_for(i), self.liaison, cmd)
        except Conflict:
            return "409"
        return "201"


Burst = Callable[[World, int], Awaitable[list[Callable[[int], Awaitable[str]]]]]


async def claims(world: World, n: int) -> list[Callable[[int], Awaitable[str]]]:
    offers = [await world.offer() for _ in range(n)]
    target = await world.slot(n)
    return [functools.partial(world.claim, offer_id=o, target=target) for o in offers]


async def spent(world: World, n: int) -> list[Callable[[int], Awaitable[str]]]:
    offer_id = await world.offer(capacity=5)
    target = await world.slot(30)
    return [functools.partial(world.claim, offer_id=offer_id, target=target) for _ in range(30)]


async def revisions(world: World, n: int) -> list[Callable[[int], Awaitable[str]]]:
    offer_id = await world.offer()

    async def revise(i: int) -> str:
        try:
            await commands.change_offer(
                world.registry_for(i), CENTRE, ReviseOffer(offer_id=offer_id, tags=[str(i)])
            )
        except Conflict:
            return "409"
        return "200"

    return [revise for _ in range(n)]


BURSTS: dict[str, Burst] = {"claims": claims, "spent": spent, "revisions": revisions}


async def timed(request: Callable[[int], Awaitable[str]], i: int) -> tuple[str, float]:
    started = time.perf_counter()
    status = await request(i)
    return status, time.perf_counter() - started


async def measure(server: Server, burst: Burst, way: str, n: int) -> dict[str, Any]:
    async with server.database("hot", migrated=True) as dsn:
        settings = Settings(database_url=dsn)
        registries = [await open_registry(settings) for _ in range(2 if way == "two processes" else 1)]
        try:
            if way == "optimistic":
                registries[0].locks = NoTurns()
            unit_id = uuid.uuid4()
            register = RegisterUnit(
                unit_id=unit_id, name="和平眼科医院", kind="public_institution", area="虹口区"
            )
            await commands.register_unit(registries[0], CENTRE, register)
            world = World(registries, unit_id)
            requests = await burst(world, n)
            tried, lost = total(WRITE_ATTEMPTS), total(WRITE_RETRIES)
            started = time.perf_counter()
            outcomes = await asyncio.gather(*(timed(r, i) for i, r in enumerate(requests)))
            wall = time.perf_counter() - started
            latencies = sorted(s for _, s in outcomes)
            statuses: dict[str, int] = {}
            for status, _ in outcomes:
                statuses[status] = statuses.get(status, 0) + 1
            return {
                "wall": wall, "requests": len(requests), "statuses": statuses,
                "attempts": (total(WRITE_ATTEMPTS) - tried) / len(requests),
                "lost": (total(WRITE_RETRIES) - lost) / len(requests),
                "p50": statistics.median(latencies), "p99": latencies[int(0.99 * (len(latencies) - 1))],
            }  # fmt: skip
        finally:
            for registry in registries:
                await registry.close()


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per figure, the median over the rounds (statuses: the last round's)."""
    keys = ["wall", "attempts", "lost", "p50", "p99"]
    return {**{k: statistics.median(r[k] for r in runs) for k in keys}, "statuses": runs[-1]["statuses"]}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="N = 30 and 2 rounds a burst")
    parser.add_argument("--n", type=int, help="requests in a claims or revisions burst (default 60)")
    parser.add_argument("--rounds", type=int, help="rounds a burst and way (default 5); the median is shown")
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    n = args.n or (30 if args.quick else 60)
    rounds = args.rounds or (2 if args.quick else 5)
    url = os.environ.get("DATABASE_URL")
    server = Server(url or embedded_dsn(DATA_DIR))
    await server.drop_leftovers()
    settings = await server.settings()
    print(f"PostgreSQL {settings['server_version']}, N = {n}, median of {rounds} rounds", flush=True)
    results: dict[str, dict[str, Any]] = {}
    print(f"{'burst':<10} {'way':<14} {'wall s':>7} {'attempts/req':>12} {'lost/req':>9}", end="")
    print(f" {'p50 s':>7} {'p99 s':>7}  statuses")
    for name, burst in BURSTS.items():
        for way in WAYS:
            runs = [await measure(server, burst, way, n) for _ in range(rounds)]
            row = results[f"{name}/{way}"] = median_of(runs)
            print(
                f"{name:<10} {way:<14} {row['wall']:>7.3f} {row['attempts']:>12.2f} {row['lost']:>9.2f} "
                f"{row['p50']:>7.3f} {row['p99']:>7.3f}  {row['statuses']}",
                flush=True,
            )
    print("\nratios, optimistic / turns (same run):")
    for name in BURSTS:
        turns, optimistic = results[f"{name}/turns"], results[f"{name}/optimistic"]
        print(
            f"  {name:<10} wall x{optimistic['wall'] / turns['wall']:.2f}, "
            f"p99 x{optimistic['p99'] / turns['p99']:.2f}, "
            f"attempts/req {optimistic['attempts']:.2f} vs {turns['attempts']:.2f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"n": n, "rounds": rounds, "results": results}, indent=2))
    print(f"results written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
