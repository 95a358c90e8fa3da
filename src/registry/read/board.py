"""The match board: every slot of a plan (or a need) with its ranked candidates, read at one position.

All of it is read in one repeatable-read transaction of the read model, whose checkpoint says
which log position that snapshot is; or as of a given position. Either way the board names its
position, so the same board (and the allocation made from it) can be read again later.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec

from events.sql import Connection, query
from registry.domain.capacity import Hold
from registry.domain.errors import NotFound
from registry.domain.need import Need
from registry.domain.plan import Plan
from registry.domain.taxonomy import subtree_bounds
from registry.domain.values import LOCAL_ZONE
from registry.matching.config import MatchConfig
from registry.matching.scoring import Demand, OfferFacts, Scored, UnitHistory, assess, ranked
from registry.read.asked import asked_time
from registry.read.snapshot import snapshot
from registry.read.windows import week_span

# Every candidate the board needs when no limit is asked for: as many as any demand can have.
ALL = 2**31 - 1


class DemandMatches(msgspec.Struct, frozen=True, kw_only=True):
    demand: Demand
    # Ranked best first; `explain` turns the ones shown into Candidates with their factors.
    candidates: list[Scored]


class Board(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    # The plan's or need's version in the snapshot, and each candidate offer's: a write made
    # from this board expects exactly these.
    version: int
    demands: list[DemandMatches]
    offers: dict[uuid.UUID, OfferFacts]
    offer_versions: dict[uuid.UUID, int]


_plan_decoder = msgspec.json.Decoder(Plan)
_need_decoder = msgspec.json.Decoder(Need)


async def read_plan_board(
    pool: asyncpg.Pool[Any],
    plan_id: uuid.UUID,
    as_of: int | None,
    config: MatchConfig,
    keep: int = ALL,
    now: datetime | None = None,
) -> tuple[Plan, Board]:
    """The plan's board: each slot's best `keep` candidates, ranked. `now` (the wall clock if
    None) is the time a current board asks about; one `as_of` a position asks about its time."""
    async with snapshot(pool, as_of) as (conn, position):
        row = await conn.fetchrow(query("registry/plan-state"), plan_id, as_of)
        if row is None:
            raise NotFound("plan", plan_id)
        plan = _plan_decoder.decode(row["state"])
        demands = [
            Demand(
                category=s.category,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                quantity=s.uncovered,
                place=plan.area,
                measure=s.measure,
            )
            for s in plan.slots
        ]
        asked = await asked_time(conn, as_of, now)
        board = await _board(conn, position, as_of, asked, demands, None, plan.starts_at, config, keep)
    return plan, msgspec.structs.replace(board, version=row["version"])


async def read_need_board(
    pool: asyncpg.Pool[Any],
    need_id: uuid.UUID,
    as_of: int | None,
    config: MatchConfig,
    keep: int = ALL,
    now: datetime | None = None,
) -> tuple[Need, Board]:
    """The need's board: its best `keep` candidates, ranked (`now` as for a plan's)."""
    async with snapshot(pool, as_of) as (conn, position):
        row = await conn.fetchrow(query("registry/need-state"), need_id, as_of)
        if row is None:
            raise NotFound("need", need_id)
        need = _need_decoder.decode(row["state"])
        demand = Demand(
            category=need.category, starts_at=need.starts_at, ends_at=need.ends_at,
            quantity=need.uncovered, place=row["area"], measure=need.measure,
        )  # fmt: skip
        asked = await asked_time(conn, as_of, now)
        board = await _board(
            conn, position, as_of, asked, [demand], need.unit_id, need.starts_at, config, keep
        )
    return need, msgspec.structs.replace(board, version=row["version"])


async def _board(
    conn: Connection,
    position: int,
    as_of: int | None,
    asked: datetime,
    demands: Sequence[Demand],
    excluded_unit: uuid.UUID | None,
    moment: datetime,
    config: MatchConfig,
    keep: int,
) -> Board:
    rows = await conn.fetch(
        query("registry/match-candidates"), as_of, *_demand_arrays(demands, excluded_unit),
        *_history_bounds(moment, config), list(msgspec.structs.astuple(config.weights)),
        [config.tuning.busy_commitments, config.tuning.received_for_full_nudge], keep,
        [d.measure.value for d in demands], asked,
    )  # fmt: skip
    offers: dict[uuid.UUID, OfferFacts] = {}
    history: dict[uuid.UUID, UnitHistory] = {}
    for row in rows:  # an offer fitting several slots comes once per slot: its facts are built once
        if row["id"] not in offers:
            offers[row["id"]] = _facts(row)
            history.setdefault(row["unit_id"], _history(row))
    found: list[list[Scored]] = [[] for _ in demands]
    for row in rows:
        index: int = row["demand"]
        facts = offers[row["id"]]
        covering = row["covering_seconds"]
        candidate = assess(
            demands[index], facts, history[facts.unit_id], config.weights, config.tuning, covering
        )
        if candidate is not None:
            found[index].append(candidate)
    matches = [
        DemandMatches(demand=d, candidates=ranked(c)[:keep]) for d, c in zip(demands, found, strict=True)
    ]
    kept = {c.offer.offer_id for m in matches for c in m.candidates}
    return Board(
        position=position, version=0, demands=matches,
        offers={k: v for k, v in offers.items() if k in kept},
        offer_versions={row["id"]: row["version"] for row in rows if row["id"] in kept},
    )  # fmt: skip


def _demand_arrays(demands: Sequence[Demand], excluded_unit: uuid.UUID | None) -> list[list[Any]]:
    """The demands as the candidate query takes them: parallel arrays, one element a demand."""
    bounds = [subtree_bounds(d.category) for d in demands]
    weeks = [week_span(d.starts_at, d.ends_at) for d in demands]
    return [
        list(range(len(demands))),
        [d.category for d in demands],
        [low for low, _ in bounds],
        [high for _, high in bounds],
        [d.starts_at for d in demands],
        [d.ends_at for d in demands],
        [start for start, _ in weeks],
        [end for _, end in weeks],
        [d.place for d in demands],
        [excluded_unit] * len(demands),
        [d.quantity for d in demands],
    ]


def _history_bounds(moment: datetime, config: MatchConfig) -> tuple[datetime, datetime, datetime, datetime]:
    """The month a unit's commitments count for fairness, and the days its received help counts."""
    month_start, month_end = month_of(moment)
    return month_start, month_end, moment - timedelta(days=config.reciprocity_days), moment


def _facts(row: asyncpg.Record) -> OfferFacts:
    holds = [
        Hold(commitment_id=uuid.UUID(int=0), quantity=q, starts_at=s, ends_at=e)
        for q, s, e in zip(row["hold_quantities"], row["hold_starts"], row["hold_ends"], strict=True)
    ]
    return OfferFacts(
        offer_id=row["id"], unit_id=row["unit_id"], unit_area=row["area"], category=row["category"],
        title=row["title"], capacity=row["capacity"], holds=holds, covering_seconds=0.0,
    )  # fmt: skip


def _history(row: asyncpg.Record) -> UnitHistory:
    return UnitHistory(
        fulfilled=row["fulfilled"],
        declined=row["declined"],
        no_shows=row["no_shows"],
        committed_this_month=row["committed_this_month"],
        received_recently=row["received_recently"],
    )


def month_of(moment: datetime) -> tuple[datetime, datetime]:
    """The calendar month (Asia/Shanghai) holding `moment`, as [start, end)."""
    local = moment.astimezone(LOCAL_ZONE)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end
