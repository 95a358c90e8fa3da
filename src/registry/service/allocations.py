"""Allocating a plan: the board read at one position, one solver call, and (unless a dry run) every
assignment dispatched as a commitment in one atomic append with the record of what the solver saw."""

from __future__ import annotations

import uuid

import msgspec

from registry.domain import commitment
from registry.domain.commitment import Origin
from registry.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from registry.domain.events import AllocatedQuantity, PlanAllocated, UnmetQuantity
from registry.domain.plan import Plan
from registry.domain.values import Role
from registry.matching.allocation import Allocation, Edge, OfferSupply, SlotDemand, allocate
from registry.matching.config import MatchConfig
from registry.matching.scoring import Weights
from registry.read.board import Board, read_plan_board
from registry.service.aggregates import COMMITMENTS, OFFERS, PLANS
from registry.service.commitments import emit
from registry.service.context import Command
from registry.service.execute import Registry
from registry.service.work import UnitOfWork, run
from registry.streams import stream_id

# The solver sees each slot's best candidates only: more rarely changes the optimum and costs time.
CANDIDATES_PER_SLOT = 100
_STALE_READS = 5


class AssignmentOut(msgspec.Struct, frozen=True, kw_only=True):
    slot_id: uuid.UUID
    offer_id: uuid.UUID
    unit_id: uuid.UUID
    quantity: int
    score: float
    commitment_id: uuid.UUID | None = None


class UnmetOut(msgspec.Struct, frozen=True, kw_only=True):
    slot_id: uuid.UUID
    quantity: int


class AllocationOut(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: uuid.UUID
    dry_run: bool
    # The log position the solver's inputs were read at (recompute with as_of = this).
    log_position: int
    allocation_id: uuid.UUID | None
    solver: str
    solver_version: str
    status: str
    weights: Weights
    assignments: list[AssignmentOut]
    unmet: list[UnmetOut]


def solve(plan: Plan, board: Board) -> Allocation:
    slots = [
        SlotDemand(slot_id=s.id, starts_at=s.starts_at, ends_at=s.ends_at, demand=s.uncovered)
        for s in plan.slots
    ]
    edges = [
        Edge(slot_id=slot.id, offer_id=c.offer.offer_id, score=c.score)
        for slot, found in zip(plan.slots, board.demands, strict=True)
        for c in found.candidates[:CANDIDATES_PER_SLOT]
    ]
    used = dict.fromkeys(e.offer_id for e in edges)
    offers = [
        OfferSupply(offer_id=o, capacity=board.offers[o].capacity, holds=board.offers[o].holds) for o in used
    ]
    return allocate(slots, offers, edges)


def _out(
    plan: Plan, board: Board, allocation: Allocation, config: MatchConfig, allocation_id: uuid.UUID | None
) -> AllocationOut:
    assignments = [
        AssignmentOut(
            slot_id=a.slot_id,
            offer_id=a.offer_id,
            unit_id=board.offers[a.offer_id].unit_id,
            quantity=a.quantity,
            score=a.score,
            commitment_id=commitment_id_of(allocation_id, a.slot_id, a.offer_id) if allocation_id else None,
        )
        for a in allocation.assignments
    ]
    return AllocationOut(
        plan_id=plan.id, dry_run=allocation_id is None, log_position=board.position,
        allocation_id=allocation_id,
        solver=allocation.solver, solver_version=allocation.solver_version, status=allocation.status,
        weights=config.weights, assignments=assignments,
        unmet=[UnmetOut(slot_id=u.slot_id, quantity=u.quantity) for u in allocation.unmet],
    )  # fmt: skip


def commitment_id_of(allocation_id: uuid.UUID, slot_id: uuid.UUID, offer_id: uuid.UUID) -> uuid.UUID:
    """Each dispatched assignment's commitment id, derived so a retried allocation names the same."""
    return uuid.uuid5(allocation_id, f"{slot_id}/{offer_id}")


async def preview(
    registry: Registry, plan_id: uuid.UUID, as_of: int | None, config: MatchConfig
) -> AllocationOut:
    """A dry run: what the solver would dispatch, as of now or of a past position."""
    plan, board = await read_plan_board(
        registry.list_pool, plan_id, as_of, config, CANDIDATES_PER_SLOT, now=registry.clock()
    )
    return _out(plan, board, solve(plan, board), config, None)


class _StaleBoard(Exception):
    """The read model had not yet applied a change the streams already show."""


async def dispatch(
    registry: Registry, ctx: Command, plan_id: uuid.UUID, config: MatchConfig
) -> tuple[AllocationOut, int | None]:
    """Solve and dispatch every assignment as a proposed commitment, all in one append."""
    ctx.actor.require(Role.COORDINATOR)
    allocation_id = ctx.new_id()
    outcome: list[AllocationOut] = []

    async def work(unit: UnitOfWork) -> uuid.UUID:
        for _ in range(_STALE_READS):
            try:
                outcome[:] = [await _dispatch_once(registry, unit, plan_id, allocation_id, config)]
                return plan_id
            except _StaleBoard:
                unit.reset()
                await registry.runner.await_position()
        raise Conflict("the registry kept changing while the plan was allocated; try again")

    written = await run(registry, ctx, work, [stream_id("plan", plan_id)])
    if not outcome:  # a retried request: the first one's allocation, as it recorded it
        return await _recorded(registry, plan_id, allocation_id), written.position
    return outcome[0], written.position


async def _recorded(registry: Registry, plan_id: uuid.UUID, allocation_id: uuid.UUID) -> AllocationOut:
    async for recorded in registry.store.read_stream(stream_id("plan", plan_id)):
        event = recorded.data
        if isinstance(event, PlanAllocated) and event.allocation_id == allocation_id:
            return AllocationOut(
                plan_id=plan_id, dry_run=False, log_position=event.read_position, allocation_id=allocation_id,
                solver=event.solver, solver_version=event.solver_version, status=event.status,
                weights=msgspec.convert(event.weights, Weights),
                assignments=[
                    AssignmentOut(
                        slot_id=a.slot_id, offer_id=a.offer_id, unit_id=a.unit_id, quantity=a.quantity,
                        score=a.score, commitment_id=a.commitment_id,
                    )
                    for a in event.assignments
                ],
                unmet=[UnmetOut(slot_id=u.slot_id, quantity=u.quantity) for u in event.unmet],
            )  # fmt: skip
    raise NotFound("allocation", allocation_id)


async def _dispatch_once(
    registry: Registry, unit: UnitOfWork, plan_id: uuid.UUID, allocation_id: uuid.UUID, config: MatchConfig
) -> AllocationOut:
    now = registry.clock()
    plan, board = await read_plan_board(
        registry.list_pool, plan_id, None, config, CANDIDATES_PER_SLOT, now=now
    )
    if plan.status not in ("draft", "published", "staffed"):
        raise Conflict(f"the plan is {plan.status}; only a draft or published plan is allocated")
    await unit.require(PLANS, plan_id)
    if unit.version_of(PLANS, plan_id) != board.version:
        raise _StaleBoard
    allocation = solve(plan, board)
    out = _out(plan, board, allocation, config, allocation_id)
    record = PlanAllocated(
        plan_id=plan_id, allocation_id=allocation_id, read_position=board.position,
        weights=msgspec.structs.asdict(config.weights), solver=allocation.solver,
        solver_version=allocation.solver_version, status=allocation.status,
        assignments=[
            AllocatedQuantity(
                slot_id=a.slot_id, offer_id=a.offer_id, unit_id=a.unit_id, quantity=a.quantity,
                score=a.score, commitment_id=a.commitment_id or allocation_id,
            )
            for a in out.assignments
        ],
        unmet=[UnmetQuantity(slot_id=u.slot_id, quantity=u.quantity) for u in out.unmet],
    )  # fmt: skip
    unit.emit(PLANS, plan_id, [record])
    for a in out.assignments:
        offered = await unit.require(OFFERS, a.offer_id)
        if unit.version_of(OFFERS, a.offer_id) != board.offer_versions[a.offer_id]:
            raise _StaleBoard
        current = await unit.require(PLANS, plan_id)
        slot = current.slot(a.slot_id)
        assert slot is not None and a.commitment_id is not None
        await unit.load(COMMITMENTS, a.commitment_id)
        effects = commitment.make(
            commitment_id=a.commitment_id, offer=offered, target=commitment.slot_target(current, slot),
            quantity=a.quantity, origin=Origin.DISPATCH, now=now, allocation_id=allocation_id,
        )  # fmt: skip
        emit(unit, a.commitment_id, effects, a.offer_id, plan_id, None)
    return out


def check_recompute(dry_run: bool, as_of: int | None) -> None:
    if as_of is not None and not dry_run:
        raise InvalidInput([FieldError("as_of", "only a dry run can be computed as of a past position")])
