"""Use cases: each checks who may act, then runs a domain command through the write side."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from registry.domain import need, offer, plan, token, unit, unit_name
from registry.domain.errors import NotFound
from registry.domain.values import Role
from registry.service.aggregates import NEEDS, OFFERS, PLANS, TOKENS, UNITS
from registry.service.context import Command
from registry.service.execute import Registry, Written
from registry.service.unit_names import hold_name
from registry.service.work import UnitOfWork, run
from registry.streams import stream_id

TOKEN_PREFIX = "reg_"  # noqa: S105 — a prefix that makes leaked tokens recognisable, not a secret


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def require_unit_exists(registry: Registry, unit_id: uuid.UUID) -> None:
    if not await registry.stream_exists(stream_id("unit", unit_id)):
        raise NotFound("unit", unit_id)


# -- units ---------------------------------------------------------------------------------------


async def register_unit(registry: Registry, ctx: Command, cmd: unit.RegisterUnit) -> Written[None]:
    """A new unit, and its name in its area held for it in the same append (409 if another has it)."""
    ctx.actor.require(Role.COORDINATOR)

    async def work(uow: UnitOfWork) -> uuid.UUID:
        existing = await uow.load(UNITS, cmd.unit_id)
        uow.emit(UNITS, cmd.unit_id, unit.decide(existing, cmd))
        await hold_name(uow, cmd.unit_id, None, (cmd.area, cmd.name))
        return cmd.unit_id

    name_stream = stream_id("unitname", unit_name.name_id(cmd.area, cmd.name))
    return await run(registry, ctx, work, [stream_id("unit", cmd.unit_id), name_stream])


async def update_unit(registry: Registry, ctx: Command, cmd: unit.UpdateUnitProfile) -> Written[None]:
    """A unit's profile; a new name or area moves its name hold in the same append."""
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)

    async def work(uow: UnitOfWork) -> uuid.UUID:
        before = await uow.require(UNITS, cmd.unit_id, conditional=True)
        ctx.actor.require_unit(before.id)
        uow.emit(UNITS, cmd.unit_id, unit.decide(before, cmd))
        after = uow.state_of(UNITS, cmd.unit_id)
        assert after is not None
        await hold_name(uow, cmd.unit_id, (before.area, before.name), (after.area, after.name))
        return cmd.unit_id

    return await run(registry, ctx, work, [stream_id("unit", cmd.unit_id)])


# -- offers --------------------------------------------------------------------------------------


async def submit_offer(registry: Registry, ctx: Command, cmd: offer.SubmitOffer) -> Written[offer.Offer]:
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)
    ctx.actor.require_unit(cmd.unit_id)
    await require_unit_exists(registry, cmd.unit_id)
    return await registry.execute(OFFERS, cmd.offer_id, cmd, ctx, creates=True)


async def change_offer(registry: Registry, ctx: Command, cmd: offer.OfferCommand) -> Written[offer.Offer]:
    """Revise, pause, resume or withdraw: the offer's unit's liaison, or a coordinator."""
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)
    return await registry.execute(OFFERS, cmd.offer_id, cmd, ctx, lambda s: ctx.actor.require_unit(s.unit_id))


# -- needs ---------------------------------------------------------------------------------------


async def raise_need(registry: Registry, ctx: Command, cmd: need.RaiseNeed) -> Written[need.Need]:
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)
    ctx.actor.require_unit(cmd.unit_id)
    await require_unit_exists(registry, cmd.unit_id)
    return await registry.execute(NEEDS, cmd.need_id, cmd, ctx, creates=True)


async def change_need(registry: Registry, ctx: Command, cmd: need.NeedCommand) -> Written[need.Need]:
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)
    return await registry.execute(NEEDS, cmd.need_id, cmd, ctx, lambda s: ctx.actor.require_unit(s.unit_id))


async def set_need_people_limit(
    registry: Registry, ctx: Command, cmd: need.SetNeedPeopleLimit
) -> Written[need.Need]:
    """The centre bounds what one commitment may report serving (not the needing unit)."""
    ctx.actor.require(Role.COORDINATOR)
    return await registry.execute(NEEDS, cmd.need_id, cmd, ctx)


# -- plans ---------------------------------------------------------------------------------------


async def change_plan(
    registry: Registry, ctx: Command, cmd: plan.PlanCommand, creates: bool = False
) -> Written[plan.Plan]:
    """Draft, add a slot, publish or cancel: the centre's coordinators only."""
    ctx.actor.require(Role.COORDINATOR)
    return await registry.execute(PLANS, cmd.plan_id, cmd, ctx, creates=creates)


# -- tokens --------------------------------------------------------------------------------------


async def issue_token(
    registry: Registry, ctx: Command, role: Role, unit_id: uuid.UUID | None, label: str | None
) -> tuple[Written[token.Token], str]:
    """A new token; returns it with its secret, which is shown this once and stored only hashed."""
    ctx.actor.require(Role.COORDINATOR)
    if unit_id is not None:
        await require_unit_exists(registry, unit_id)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    cmd = token.IssueToken(
        token_id=ctx.new_id(), role=role, unit_id=unit_id, label=label, secret_hash=hash_secret(secret)
    )
    written = await registry.execute(TOKENS, cmd.token_id, cmd, ctx, creates=True)
    return written, secret


async def revoke_token(registry: Registry, ctx: Command, token_id: uuid.UUID) -> Written[token.Token]:
    ctx.actor.require(Role.COORDINATOR)
    return await registry.execute(TOKENS, token_id, token.RevokeToken(token_id=token_id), ctx)
