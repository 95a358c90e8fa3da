"""Plans and a plan's board: slots with their coverage, ranked candidates, dispatch and allocate."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.types import ControllerRouterHandler

from registry.domain.values import Role
from registry.edge.auth import COORDINATOR, COORDINATOR_OR_LIAISON, EVERYONE
from registry.edge.http import command, read_pool
from registry.matching.board import plan_matches
from registry.matching.config import MatchConfig
from registry.pages.forms import Form, ident, number
from registry.pages.render import PAGES, as_of_position, page
from registry.read.board import read_plan_board
from registry.read.queries import OfferFilter, PlanFilter, UnitFilter, list_offers, list_plans, list_units
from registry.read.views import OfferView, PlanView, UnitView
from registry.service import allocations
from registry.service.commitments import MakeCommitment, make_commitment
from registry.service.context import Actor

# Enough for the registry of one subdistrict; the pages show no cursor.
MANY = 1000
CANDIDATES_SHOWN = 5

_plans = msgspec.json.Decoder(PlanView)
_units = msgspec.json.Decoder(UnitView)
_offers = msgspec.json.Decoder(OfferView)


async def all_plans(request: Request[Any, Any, Any], as_of: int | None) -> list[PlanView]:
    found = await list_plans(await read_pool(request, as_of), PlanFilter(), as_of, 0, MANY)
    return [_plans.decode(doc) for doc in found.docs]


async def all_units(request: Request[Any, Any, Any], as_of: int | None) -> list[UnitView]:
    found = await list_units(await read_pool(request, as_of), UnitFilter(), as_of, 0, MANY)
    return [_units.decode(doc) for doc in found.docs]


async def offers_of(
    request: Request[Any, Any, Any], unit_id: uuid.UUID | None, as_of: int | None
) -> list[OfferView]:
    where = OfferFilter(unit_id=unit_id)
    found = await list_offers(await read_pool(request, as_of), where, as_of, 0, MANY)
    return [_offers.decode(doc) for doc in found.docs]


@get(f"{PAGES}/plans", include_in_schema=False, guards=[EVERYONE])
async def plans_page(request: Request[Actor, Any, Any]) -> Template:
    as_of = await as_of_position(request)
    return page(request, "plans.html", plans=await all_plans(request, as_of))


@get(f"{PAGES}/plans/{{plan_id:uuid}}", include_in_schema=False, guards=[EVERYONE])
async def board_page(request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID]) -> Template:
    as_of = await as_of_position(request)
    config: MatchConfig = request.app.state.settings.matching
    plan, board = await read_plan_board(
        await read_pool(request, as_of), plan_id, as_of, config, keep=CANDIDATES_SHOWN
    )
    matches = plan_matches(plan, board, config.weights, CANDIDATES_SHOWN)
    units = {u.id: u for u in await all_units(request, as_of)}
    actor: Actor = request.user
    open_ = plan.status in ("draft", "published", "staffed")
    return page(
        request, "board.html", plan=plan, slots=list(zip(plan.slots, matches.slots, strict=True)),
        position=board.position, units=units,
        show_candidates=actor.role in (Role.COORDINATOR, Role.AUDITOR),
        can_act=actor.role == Role.COORDINATOR and as_of is None and open_,
    )  # fmt: skip


@post(
    f"{PAGES}/plans/{{plan_id:uuid}}/dispatch",
    include_in_schema=False,
    guards=[COORDINATOR_OR_LIAISON],
    status_code=HTTP_303_SEE_OTHER,
)
async def dispatch(request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], data: Form) -> Redirect:
    """派单: one candidate offer to one slot; by the offering unit's liaison it is a claim, as for
    POST /commitments."""
    ctx = await command(request)
    cmd = MakeCommitment(
        commitment_id=ctx.new_id(), offer_id=ident(data, "offer_id"), plan_id=plan_id,
        slot_id=ident(data, "slot_id"), quantity=int(number(data, "quantity", 1)),
    )  # fmt: skip
    await make_commitment(request.app.state.registry, ctx, cmd)
    return Redirect(f"{PAGES}/plans/{plan_id}", status_code=HTTP_303_SEE_OTHER)


@post(
    f"{PAGES}/plans/{{plan_id:uuid}}/allocate",
    include_in_schema=False,
    guards=[COORDINATOR],
    status_code=HTTP_303_SEE_OTHER,
)
async def allocate(request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID]) -> Redirect:
    """Every slot at once, by the solver; each assignment dispatched as a proposed commitment."""
    ctx = await command(request)
    config: MatchConfig = request.app.state.settings.matching
    await allocations.dispatch(request.app.state.registry, ctx, plan_id, config)
    return Redirect(f"{PAGES}/plans/{plan_id}", status_code=HTTP_303_SEE_OTHER)


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [plans_page, board_page, dispatch, allocate]
