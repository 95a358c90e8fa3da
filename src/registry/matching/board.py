"""What a board is answered as: each slot's (or the need's) shown candidates with their factors.

Pure: the board itself is read by `registry.read.board`; here it is only explained.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from registry.domain.need import Need
from registry.domain.plan import Plan
from registry.matching.scoring import Candidate, Weights, explain_all
from registry.read.board import Board


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
            candidates=explain_all(found.candidates[:limit], weights),
        )
        for slot, found in zip(plan.slots, board.demands, strict=True)
    ]
    return PlanMatches(plan_id=plan.id, log_position=board.position, weights=weights, slots=slots)


def need_matches(need: Need, board: Board, weights: Weights, limit: int) -> NeedMatches:
    return NeedMatches(
        need_id=need.id, log_position=board.position, weights=weights, uncovered=need.uncovered,
        candidates=explain_all(board.demands[0].candidates[:limit], weights),
    )  # fmt: skip
