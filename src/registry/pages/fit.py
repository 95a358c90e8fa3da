"""What a unit can claim: the open slots of published plans and the open needs of other units, each
with only the unit's offers that fit it, and why.

"Fits" is the match board's own rule, not a copy of it: each demand's board (`registry.read.board`,
the query the coordinator's board and the allocator use: category within the demand's, active,
not expired, available for the whole window, the same measure, serving the place) is read whole,
and `assess` there drops an offer with nothing left in the window. The unit's candidates are then
kept, with the remaining capacity the board found. A demand no offer of the unit fits is counted,
not listed: a reason for each offer that does not fit would need the rules repeated here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar import Request

from registry.domain.values import Measure
from registry.edge.http import read_pool
from registry.matching.config import MatchConfig
from registry.matching.scoring import Demand, Scored
from registry.read.board import read_need_board, read_plan_board
from registry.read.queries import NeedFilter, PlanFilter, list_needs, list_plans
from registry.read.views import NeedView, PlanView

# Enough open plans and needs for a subdistrict's registry.
MANY = 500

_plans = msgspec.json.Decoder(PlanView)
_needs = msgspec.json.Decoder(NeedView)


class Fit(msgspec.Struct, frozen=True, kw_only=True):
    """One of the unit's offers that fits a demand, with what the board found."""

    offer_id: uuid.UUID
    title: str
    category: str
    remaining: int
    # The offer's category is the demand's own (not one within it).
    same_category: bool


class Claimable(msgspec.Struct, frozen=True, kw_only=True):
    """An open slot or need, with the unit's offers that fit it (best first)."""

    category: str
    starts_at: datetime
    ends_at: datetime
    uncovered: int
    measure: Measure
    fits: list[Fit]
    # A slot: its plan's id and title, the slot's id and notes; a need: its id, title and unit.
    plan_id: uuid.UUID | None = None
    plan_title: str | None = None
    slot_id: uuid.UUID | None = None
    notes: str | None = None
    need_id: uuid.UUID | None = None
    need_title: str | None = None
    need_unit_id: uuid.UUID | None = None


def _fits(demand: Demand, candidates: list[Scored], unit_id: uuid.UUID) -> list[Fit]:
    return [
        Fit(
            offer_id=c.offer.offer_id,
            title=c.offer.title,
            category=c.offer.category,
            remaining=c.remaining,
            same_category=c.offer.category == demand.category,
        )
        for c in candidates
        if c.offer.unit_id == unit_id
    ]


async def claimable(
    request: Request[Any, Any, Any], unit_id: uuid.UUID, as_of: int | None
) -> tuple[list[Claimable], int]:
    """The open slots and needs the unit has a fitting offer for, and how many open ones it has none for."""
    pool = await read_pool(request, as_of)
    config: MatchConfig = request.app.state.settings.matching
    now = request.app.state.registry.clock()
    found: list[Claimable] = []
    unfit = 0
    plans = await list_plans(pool, PlanFilter(status="published"), as_of, 0, MANY)
    for doc in plans.docs:
        plan_id = _plans.decode(doc).id
        plan, board = await read_plan_board(pool, plan_id, as_of, config, now=now)
        for slot, matches in zip(plan.slots, board.demands, strict=True):
            if slot.uncovered <= 0:
                continue
            fits = _fits(matches.demand, matches.candidates, unit_id)
            if not fits:
                unfit += 1
                continue
            found.append(
                Claimable(
                    category=slot.category,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    uncovered=slot.uncovered,
                    measure=slot.measure,
                    fits=fits,
                    plan_id=plan.id,
                    plan_title=plan.title,
                    slot_id=slot.id,
                    notes=slot.notes,
                )
            )
    for status in ("open", "partially_met"):
        needs = await list_needs(pool, NeedFilter(status=status), as_of, 0, MANY)
        for doc in needs.docs:
            listed = _needs.decode(doc)
            if listed.unit_id == unit_id:  # a unit's own offer never meets its own need
                continue
            need, board = await read_need_board(pool, listed.id, as_of, config, now=now)
            (matches,) = board.demands
            fits = _fits(matches.demand, matches.candidates, unit_id)
            if not fits or need.uncovered <= 0:
                unfit += 1 if need.uncovered > 0 else 0
                continue
            found.append(
                Claimable(
                    category=need.category,
                    starts_at=need.starts_at,
                    ends_at=need.ends_at,
                    uncovered=need.uncovered,
                    measure=need.measure,
                    fits=fits,
                    need_id=need.id,
                    need_title=need.title,
                    need_unit_id=need.unit_id,
                )
            )
    return found, unfit
