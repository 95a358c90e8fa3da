"""What must hold after a fault: straight from the events table, the read model and the chain.

Used by the fault tests once the load has stopped; each check returns what it found wrong (an
empty list when all is well), so that a failing test names every culprit at once.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import asyncpg
import httpx

from events import EventStore
from events.runner import ProjectionRunner
from registry.read.projection import read_model_projection, registry_codec
from tests.workload import Ack

# What one step on a commitment's stream writes, in the same append, to the other streams it
# touches: the offer's (capacity) and the plan's or need's (demand covered).
COMPANIONS: dict[str, Counter[str]] = {
    "commitment_proposed": Counter(["capacity_held", "demand_covered"]),
    "commitment_claimed": Counter(["capacity_held", "demand_covered"]),
    "commitment_confirmed": Counter(["demand_covered"]),
    "commitment_fulfilled": Counter(["demand_covered"]),
    "commitment_declined": Counter(["capacity_freed", "demand_covered"]),
    "commitment_released": Counter(["capacity_freed", "demand_covered"]),
    "commitment_no_show": Counter(["capacity_freed", "demand_covered"]),
    "fulfilment_corrected": Counter(["demand_covered"]),
    "fulfilment_correction_requested": Counter(),
}


async def missing_acks(conn: asyncpg.Connection[Any], acks: Iterable[Ack]) -> list[str]:
    """Acknowledged writes the log does not hold: at the position, and the version, they were given."""
    acks = list(acks)
    at = {
        r["position"]: r["stream_id"]
        for r in await conn.fetch(
            "SELECT position, stream_id FROM events WHERE position = ANY($1::bigint[])",
            sorted({a.position for a in acks}),
        )
    }
    versions = {
        r["stream_id"]: r["version"]
        for r in await conn.fetch(
            "SELECT stream_id, max(version) AS version FROM events WHERE stream_id = ANY($1::text[]) "
            "GROUP BY stream_id",
            sorted({a.stream for a in acks}),
        )
    }
    found = []
    for ack in acks:
        if at.get(ack.position) not in ack.streams:
            found.append(f"{ack.op}: position {ack.position} holds {at.get(ack.position)}, not {ack.stream}")
        if versions.get(ack.stream, 0) < ack.version:
            found.append(f"{ack.op}: {ack.stream} is at {versions.get(ack.stream, 0)}, {ack.version} acked")
    return found


async def half_applied(conn: asyncpg.Connection[Any]) -> list[str]:
    """Commitment steps whose events did not all land in one transaction.

    Every event naming a commitment is grouped by the transaction that inserted it (`xmin`): in
    each group the events on the commitment's own stream must come with exactly their companions
    on the offer's and the plan's or need's streams, and the companions with them.
    """
    rows = await conn.fetch(
        "SELECT xmin::text AS tx, data->>'commitment_id' AS commitment_id, type, stream_id "
        "FROM events WHERE data->>'commitment_id' IS NOT NULL ORDER BY position"
    )
    groups: dict[tuple[str, str], list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        groups[row["tx"], row["commitment_id"]].append(row)
    found = []
    for (tx, commitment_id), events in groups.items():
        own = [e["type"] for e in events if e["stream_id"] == f"commitment-{commitment_id}"]
        expected: Counter[str] = Counter()
        for step in own:
            expected += COMPANIONS[step]
        actual = Counter(e["type"] for e in events if e["stream_id"] != f"commitment-{commitment_id}")
        if not own or actual != expected:
            found.append(f"commitment {commitment_id} in transaction {tx}: {own} with {dict(actual)}")
    return found


async def stale_entities(base: str, token: str, acks: Iterable[Ack]) -> list[str]:
    """Entities the API shows at an older version than a write to them was acknowledged with."""
    newest: dict[str, int] = {}
    for ack in acks:
        newest[ack.stream] = max(newest.get(ack.stream, 0), ack.version)
    found: list[str] = []
    limit = asyncio.Semaphore(8)

    async def read(http: httpx.AsyncClient, stream: str, version: int) -> None:
        kind, _, entity_id = stream.partition("-")
        async with limit:
            response = await http.get(f"/api/v1/{kind}s/{entity_id}")
        if response.status_code != 200:
            found.append(f"{stream}: {response.status_code} {response.text}")
        elif response.json()["version"] < version:
            found.append(f"{stream}: version {response.json()['version']}, {version} acked")

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        await asyncio.gather(*(read(http, stream, version) for stream, version in newest.items()))
    return found


async def log_and_read_model(dsn: str) -> tuple[int, int, list[str]]:
    """The log head, the read model's checkpoint, and what is wrong: a break in the hash chain, or
    the live read model differing from a rebuild up to its checkpoint (`registry projections
    rebuild --check`)."""
    store = await EventStore.connect(dsn, codec=registry_codec(), min_size=1, max_size=2)
    try:
        projection = read_model_projection()
        runner = ProjectionRunner(store, [projection], name="registry")
        head, _ = await store.head()
        checkpoint = (await runner.positions())[projection.name]
        differences = await runner.check(projection)
        report = await store.verify()
        problems = [
            f"{d.table}: {d.only_in_live} only live, {d.only_in_rebuild} only rebuilt" for d in differences
        ]
        if not report.ok:
            problems.append(f"the hash chain breaks at {report.first_bad_position}: {report.reason}")
        return head, checkpoint, problems
    finally:
        await store.close()
