"""Commitment use cases: dispatch and claim, the other side's answer, fulfilment and its
correction, and the releases that follow an offer's withdrawal, a plan's or need's cancellation,
or a plan's completion with `release_open`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from registry.domain import commitment, need, offer, plan
from registry.domain.commitment import Circumstances, Commitment, Effects, Origin, Side, Target
from registry.domain.errors import Conflict, Forbidden, NotFound
from registry.domain.values import Role
from registry.service.aggregates import COMMITMENTS, NEEDS, OFFERS, PLANS, UNITS
from registry.service.context import Actor, Command
from registry.service.execute import Aggregate, Registry, Written
from registry.service.work import UnitOfWork, run
from registry.streams import stream_id

S = TypeVar("S")


class MakeCommitment(msgspec.Struct, frozen=True, kw_only=True):
    commitment_id: uuid.UUID
    offer_id: uuid.UUID
    quantity: int
    plan_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    need_id: uuid.UUID | None = None


async def make_commitment(registry: Registry, ctx: Command, cmd: MakeCommitment) -> Written[None]:
    """A coordinator dispatches (派单); the offer's unit's liaison claims (认领)."""
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)
    origin = Origin.DISPATCH if ctx.actor.role == Role.COORDINATOR else Origin.CLAIM

    async def work(unit: UnitOfWork) -> uuid.UUID:
        offered = await unit.require(OFFERS, cmd.offer_id)
        ctx.actor.require_unit(offered.unit_id)
        target = await load_target(unit, cmd.plan_id, cmd.slot_id, cmd.need_id)
        unit.presume_absent(COMMITMENTS, cmd.commitment_id)
        if await unit.load(COMMITMENTS, cmd.commitment_id) is not None:
            raise Conflict(f"commitment {cmd.commitment_id} already exists")
        effects = commitment.make(
            commitment_id=cmd.commitment_id,
            offer=offered,
            target=target,
            quantity=cmd.quantity,
            origin=origin,
            now=registry.clock(),
        )
        emit(unit, cmd.commitment_id, effects, cmd.offer_id, target.plan_id, target.need_id)
        return cmd.commitment_id

    return await run(registry, ctx, work, _contended(cmd))


def _contended(cmd: MakeCommitment) -> list[str]:
    """What many claims at once fight over: the offer's stream, and the need's or the slot's plan's."""
    streams = [stream_id("offer", cmd.offer_id)]
    if cmd.need_id is not None:
        streams.append(stream_id("need", cmd.need_id))
    elif cmd.plan_id is not None:
        streams.append(stream_id("plan", cmd.plan_id))
    return streams


async def load_target(
    unit: UnitOfWork, plan_id: uuid.UUID | None, slot_id: uuid.UUID | None, need_id: uuid.UUID | None
) -> Target:
    if need_id is not None:
        needed = await unit.require(NEEDS, need_id)
        needing_unit = await unit.require(UNITS, needed.unit_id)
        return commitment.need_target(needed, needing_unit.area)
    assert plan_id is not None and slot_id is not None, "the request names a slot or a need"
    planned = await unit.require(PLANS, plan_id)
    slot = planned.slot(slot_id)
    if slot is None:
        raise NotFound("slot", slot_id)
    return commitment.slot_target(planned, slot)


def emit(
    unit: UnitOfWork,
    commitment_id: uuid.UUID,
    effects: Effects,
    offer_id: uuid.UUID,
    plan_id: uuid.UUID | None,
    need_id: uuid.UUID | None,
) -> None:
    """A step's events, each to its stream: the commitment's, the offer's, the plan's or need's."""
    unit.emit(COMMITMENTS, commitment_id, effects.commitment)
    unit.emit(OFFERS, offer_id, effects.offer)
    if need_id is not None:
        unit.emit(NEEDS, need_id, effects.target)
    elif plan_id is not None:
        unit.emit(PLANS, plan_id, effects.target)


def side_of(actor: Actor, state: Commitment) -> Side:
    """Which side the actor is on: the centre (coordinators) or the offering unit (its liaison)."""
    if actor.role == Role.COORDINATOR:
        return Side.CENTRE
    if actor.role == Role.LIAISON and actor.unit_id == state.unit_id:
        return Side.UNIT
    raise Forbidden("only the centre's coordinators and the offering unit's liaison act on a commitment")


Step = Callable[[Commitment, Side, Circumstances], Effects]


async def step(registry: Registry, ctx: Command, commitment_id: uuid.UUID, decide: Step) -> Written[None]:
    """One step of a commitment's life, with the offer and demand it touches, all at once."""
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)

    async def work(unit: UnitOfWork) -> uuid.UUID:
        state = await unit.require(COMMITMENTS, commitment_id, conditional=True)
        side = side_of(ctx.actor, state)
        effects = decide(state, side, await _circumstances(unit, state, registry.clock()))
        await _emit_step(unit, state, effects)
        return commitment_id

    return await run(registry, ctx, work, [stream_id("commitment", commitment_id)])


async def _circumstances(unit: UnitOfWork, state: Commitment, now: datetime) -> Circumstances:
    """The time, the offer's measure, and the plan's or need's standing and bound on people served."""
    offered = await unit.require(OFFERS, state.offer_id)
    closed = None
    if state.need_id is not None:
        limit, limit_from = (await unit.require(NEEDS, state.need_id)).people_limit
    else:
        assert state.plan_id is not None and state.slot_id is not None, (
            "a commitment goes to a slot or a need"
        )
        planned = await unit.require(PLANS, state.plan_id)
        slot = planned.slot(state.slot_id)
        if slot is None:
            raise NotFound("slot", state.slot_id)
        limit, limit_from = planned.people_limit(slot)
        closed = f"the plan is {planned.status}" if planned.closed else None
    return Circumstances(
        now=now,
        closed=closed,
        measure=offered.capacity.measure,
        people_limit=limit,
        people_limit_from=limit_from,
    )


async def _emit_step(unit: UnitOfWork, state: Commitment, effects: Effects) -> None:
    await unit.require(OFFERS, state.offer_id)
    if state.need_id is not None:
        await unit.require(NEEDS, state.need_id)
    elif state.plan_id is not None:
        await unit.require(PLANS, state.plan_id)
    emit(unit, state.id, effects, state.offer_id, state.plan_id, state.need_id)


def confirm(state: Commitment, side: Side, at: Circumstances) -> Effects:
    return commitment.confirm(state, side, at)


def declining(reason: str | None) -> Step:
    return lambda state, side, at: commitment.decline(state, reason, side, at)


def releasing(reason: str | None) -> Step:
    return lambda state, _side, at: commitment.release(state, reason, at)


def fulfilling(people_served: int, volunteer_hours: float, notes: str | None) -> Step:
    return lambda state, _side, at: commitment.fulfil(state, people_served, volunteer_hours, notes, at)


def no_show(state: Commitment, side: Side, at: Circumstances) -> Effects:
    if side != Side.CENTRE:
        raise Forbidden("a no-show is recorded by the centre")
    return commitment.no_show(state, at)


def correcting(people_served: int, volunteer_hours: float, reason: str) -> Step:
    """The centre corrects a fulfilment's figures."""

    def decide(state: Commitment, side: Side, at: Circumstances) -> Effects:
        if side != Side.CENTRE:
            raise Forbidden("a fulfilment is corrected by the centre; the unit may request a correction")
        return commitment.correct(state, people_served, volunteer_hours, reason, at)

    return decide


def requesting_correction(reason: str, people_served: int | None, volunteer_hours: float | None) -> Step:
    """The offering unit asks the centre to correct its fulfilment."""

    def decide(state: Commitment, side: Side, at: Circumstances) -> Effects:
        if side != Side.UNIT:
            raise Forbidden("a correction is requested by the offering unit's liaison; the centre corrects")
        return commitment.request_correction(state, reason, people_served, volunteer_hours, at)

    return decide


async def release_open(unit: UnitOfWork, commitment_ids: Iterable[uuid.UUID], reason: str) -> None:
    """Release every commitment still open among `commitment_ids` (the cascade of a withdrawal)."""
    for commitment_id in commitment_ids:
        state = await unit.require(COMMITMENTS, commitment_id)
        if state.status.is_open:
            await _emit_step(unit, state, commitment.release(state, reason))


# -- closings that release what is still open ----------------------------------------------------


async def _close_releasing(
    registry: Registry,
    ctx: Command,
    aggregate: Aggregate[S],
    entity_id: uuid.UUID,
    command: Any,
    held: Callable[[S], Iterable[uuid.UUID]],
    reason: str,
    unit_of: Callable[[S], uuid.UUID] | None = None,
) -> Written[None]:
    """Close an entity and, in the same append, release the open commitments it held."""

    async def work(unit: UnitOfWork) -> uuid.UUID:
        state = await unit.require(aggregate, entity_id, conditional=True)
        if unit_of is not None:
            ctx.actor.require_unit(unit_of(state))
        unit.emit(aggregate, entity_id, aggregate.decide(state, command))
        await release_open(unit, held(state), reason)
        return entity_id

    return await run(registry, ctx, work, [stream_id(aggregate.kind, entity_id)])


async def withdraw_offer(registry: Registry, ctx: Command, cmd: offer.WithdrawOffer) -> Written[None]:
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)
    return await _close_releasing(
        registry, ctx, OFFERS, cmd.offer_id, cmd, lambda s: [h.commitment_id for h in s.holds],
        "offer withdrawn", lambda s: s.unit_id,
    )  # fmt: skip


async def cancel_plan(registry: Registry, ctx: Command, cmd: plan.CancelPlan) -> Written[None]:
    ctx.actor.require(Role.COORDINATOR)
    return await _close_releasing(
        registry, ctx, PLANS, cmd.plan_id, cmd,
        lambda s: [c.commitment_id for slot in s.slots for c in slot.covers], "plan cancelled",
    )  # fmt: skip


async def complete_plan(registry: Registry, ctx: Command, cmd: plan.CompletePlan) -> Written[None]:
    """Complete a plan; with `release_open`, its open commitments are released in the same append."""
    ctx.actor.require(Role.COORDINATOR)

    def still_open(state: plan.Plan) -> list[uuid.UUID]:
        if not cmd.release_open:
            return []
        return [c.commitment_id for slot in state.slots for c in slot.covers if c.status.is_open]

    return await _close_releasing(registry, ctx, PLANS, cmd.plan_id, cmd, still_open, "plan completed")


async def cancel_need(registry: Registry, ctx: Command, cmd: need.CancelNeed) -> Written[None]:
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)
    return await _close_releasing(
        registry, ctx, NEEDS, cmd.need_id, cmd, lambda s: [c.commitment_id for c in s.covers],
        "need cancelled", lambda s: s.unit_id,
    )  # fmt: skip
