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
from registry.domain.values import LOCAL_ZONE, fold_to_week
from registry.matching.scoring import (
    Candidate,
    Demand,
    OfferFacts,
    Scored,
    Tuning,
    UnitHistory,
    Weights,
    assess,
    explain,
    ranked,
)
from registry.read.snapshot import snapshot

NEWCOMER = UnitHistory()


class MatchConfig(msgspec.Struct, frozen=True, kw_only=True):
    weights: Weights = Weights()
    tuning: Tuning = Tuning()
    # "Received help recently": this many days before the demand starts.
    reciprocity_days: int = 90


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
    pool: asyncpg.Pool[Any], plan_id: uuid.UUID, as_of: int | None, config: MatchConfig
) -> tuple[Plan, Board]:
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
            )
            for s in plan.slots
        ]
        board = await _board(conn, position, as_of, demands, None, plan.starts_at, config)
    return plan, msgspec.structs.replace(board, version=row["version"])


async def read_need_board(
    pool: asyncpg.Pool[Any], need_id: uuid.UUID, as_of: int | None, config: MatchConfig
) -> tuple[Need, Board]:
    async with snapshot(pool, as_of) as (conn, position):
        row = await conn.fetchrow(query("registry/need-state"), need_id, as_of)
        if row is None:
            raise NotFound("need", need_id)
        need = _need_decoder.decode(row["state"])
        demand = Demand(
            category=need.category, starts_at=need.starts_at, ends_at=need.ends_at,
            quantity=need.uncovered, place=row["area"],
        )  # fmt: skip
        board = await _board(conn, position, as_of, [demand], need.unit_id, need.starts_at, config)
    return need, msgspec.structs.replace(board, version=row["version"])


async def _board(
    conn: Connection,
    position: int,
    as_of: int | None,
    demands: Sequence[Demand],
    excluded_unit: uuid.UUID | None,
    moment: datetime,
    config: MatchConfig,
) -> Board:
    bounds = [subtree_bounds(d.category) for d in demands]
    folds = [[*fold_to_week(d.starts_at, d.ends_at), (None, None)] for d in demands]
    rows = await conn.fetch(
        query("registry/match-candidates"),
        as_of,
        list(range(len(demands))),
        [d.category for d in demands],
        [low for low, _ in bounds],
        [high for _, high in bounds],
        [d.starts_at for d in demands],
        [d.ends_at for d in demands],
        [d.place for d in demands],
        [excluded_unit] * len(demands),
        *([f[i][j] for f in folds] for i in (0, 1) for j in (0, 1)),
    )
    unit_ids = list({row["unit_id"] for row in rows})
    areas = dict(await conn.fetch(query("registry/unit-areas"), as_of, unit_ids))
    offers: dict[uuid.UUID, OfferFacts] = {}
    for row in rows:  # an offer fitting several slots comes once per slot: its facts are built once
        if row["id"] not in offers:
            offers[row["id"]] = _facts(row, areas[row["unit_id"]])
    history = await _histories(conn, as_of, set(unit_ids), moment, config)
    found: list[list[Scored]] = [[] for _ in demands]
    for row in rows:
        index: int = row["demand"]
        facts = offers[row["id"]]
        unit_history = history.get(facts.unit_id, NEWCOMER)
        covering = row["covering_seconds"] or 0.0
        candidate = assess(demands[index], facts, unit_history, config.weights, config.tuning, covering)
        if candidate is not None:
            found[index].append(candidate)
    matches = [DemandMatches(demand=d, candidates=ranked(c)) for d, c in zip(demands, found, strict=True)]
    versions = {row["id"]: row["version"] for row in rows}
    return Board(position=position, version=0, demands=matches, offers=offers, offer_versions=versions)


def _facts(row: asyncpg.Record, unit_area: str) -> OfferFacts:
    holds = [
        Hold(commitment_id=uuid.UUID(int=0), quantity=q, starts_at=s, ends_at=e)
        for q, s, e in zip(row["hold_quantities"], row["hold_starts"], row["hold_ends"], strict=True)
    ]
    return OfferFacts(
        offer_id=row["id"], unit_id=row["unit_id"], unit_area=unit_area, category=row["category"],
        title=row["title"], capacity=row["capacity"], holds=holds, covering_seconds=0.0,
    )  # fmt: skip


def month_of(moment: datetime) -> tuple[datetime, datetime]:
    """The calendar month (Asia/Shanghai) holding `moment`, as [start, end)."""
    local = moment.astimezone(LOCAL_ZONE)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


async def _histories(
    conn: Connection,
    as_of: int | None,
    unit_ids: set[uuid.UUID],
    moment: datetime,
    config: MatchConfig,
) -> dict[uuid.UUID, UnitHistory]:
    if not unit_ids:
        return {}
    month_start, month_end = month_of(moment)
    recent_start = moment - timedelta(days=config.reciprocity_days)
    rows = await conn.fetch(
        query("registry/unit-history"), as_of, list(unit_ids), month_start, month_end, recent_start, moment
    )
    return {
        row["unit_id"]: UnitHistory(
            fulfilled=row["fulfilled"],
            declined=row["declined"],
            no_shows=row["no_shows"],
            committed_this_month=row["committed_this_month"],
            received_recently=row["received_recently"],
        )
        for row in rows
    }


# -- what the API answers ------------------------------------------------------------------------


class SlotCandidates(msgspec.Struct, frozen=True, kw_only=True):
    slot_id: uuid.UUID
    category: str
    quantity: int
    uncovered: int
    starts_at: datetime
    ends_at: datetime
    candidates: list[Candidate]


class PlanMatches(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: uuid.UUID
    log_position: int
    weights: Weights
    slots: list[SlotCandidates]


class NeedMatches(msgspec.Struct, frozen=True, kw_only=True):
    need_id: uuid.UUID
    log_position: int
    weights: Weights
    uncovered: int
    candidates: list[Candidate]


def plan_matches(plan: Plan, board: Board, weights: Weights, limit: int) -> PlanMatches:
    slots = [
        SlotCandidates(
            slot_id=slot.id,
            category=slot.category,
            quantity=slot.quantity,
            uncovered=slot.uncovered,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            candidates=[explain(c, weights) for c in found.candidates[:limit]],
        )
        for slot, found in zip(plan.slots, board.demands, strict=True)
    ]
    return PlanMatches(plan_id=plan.id, log_position=board.position, weights=weights, slots=slots)


def need_matches(need: Need, board: Board, weights: Weights, limit: int) -> NeedMatches:
    return NeedMatches(
        need_id=need.id, log_position=board.position, weights=weights, uncovered=need.uncovered,
        candidates=[explain(c, weights) for c in board.demands[0].candidates[:limit]],
    )  # fmt: skip
