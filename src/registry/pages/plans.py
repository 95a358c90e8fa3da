"""Plans and a plan's board: the list (searched, filtered, paged), slots with their coverage, ranked
candidates, the unit claims awaiting the centre, and one candidate dispatched by hand.

The coordinator's forms on a plan live beside: `plan_forms` (draft, slots, publish, complete,
cancel, confirm a claim), `allocate` (the dry run, then its dispatch), `report`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, get, post
from litestar.datastructures import MultiDict
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.types import ControllerRouterHandler

from registry.domain.taxonomy import CATEGORIES
from registry.domain.values import LOCAL_ZONE, Role
from registry.edge.auth import COORDINATOR_OR_LIAISON, EVERYONE
from registry.edge.http import command, read_pool
from registry.matching.board import plan_matches
from registry.matching.config import MatchConfig
from registry.pages.choices import category_label, category_options
from registry.pages.forms import Form, ident, number
from registry.pages.i18n import lang_of
from registry.pages.render import PAGES, as_of_position, page
from registry.read.board import read_plan_board
from registry.read.queries import (
    CommitmentFilter,
    OfferFilter,
    PlanFilter,
    UnitFilter,
    list_commitments,
    list_offers,
    list_plans,
    list_units,
)
from registry.read.views import CommitmentView, OfferView, PlanView, UnitView
from registry.service.commitments import MakeCommitment, make_commitment
from registry.service.context import Actor

# Enough for the registry of one subdistrict; the pages show no cursor.
MANY = 1000
CANDIDATES_SHOWN = 5

_plans = msgspec.json.Decoder(PlanView)
_units = msgspec.json.Decoder(UnitView)
_offers = msgspec.json.Decoder(OfferView)
_commitments = msgspec.json.Decoder(CommitmentView)
# Plans on one page of the list; a "more" link carries the last one's position on.
PAGE_SIZE = 20
STATUSES = ("draft", "published", "staffed", "completed", "cancelled")
LONGEST_SEARCH = 100


def local(moment: datetime) -> datetime:
    """A moment as the pages show it: in Asia/Shanghai, whatever offset it was given with."""
    return moment.astimezone(LOCAL_ZONE)


def labels(request: Request[Any, Any, Any]) -> Any:
    lang = lang_of(request.cookies.get("lang"))
    return lambda code: category_label(code, lang)


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


class ListAsked(msgspec.Struct, frozen=True, kw_only=True):
    """The plans list's search and filters as asked; what cannot be a filter is left out, not a 500."""

    where: PlanFilter
    after: int

    @classmethod
    def of(cls, query: MultiDict[str]) -> ListAsked:
        q = (query.get("q") or "").strip()[:LONGEST_SEARCH] or None
        status = query.get("status") if query.get("status") in STATUSES else None
        category = query.get("category") if query.get("category") in CATEGORIES else None
        after = query.get("after") or ""
        return cls(
            where=PlanFilter(q=q, status=status, category=category),
            after=int(after) if after.isdigit() and len(after) < 19 else 0,
        )

    def more(self, last: int, as_of: str | None) -> str:
        """The query of the next page: the same search and filters, after `last`."""
        asked = {"q": self.where.q, "status": self.where.status, "category": self.where.category}
        asked |= {"after": str(last), "as_of": as_of}
        return urlencode({k: v for k, v in asked.items() if v})


@get(f"{PAGES}/plans", include_in_schema=False, guards=[EVERYONE])
async def plans_page(request: Request[Actor, Any, Any]) -> Template:
    as_of = await as_of_position(request)
    asked = ListAsked.of(request.query_params)
    found = await list_plans(await read_pool(request, as_of), asked.where, as_of, asked.after, PAGE_SIZE)
    more = asked.more(found.last, request.query_params.get("as_of")) if found.last is not None else None
    actor: Actor = request.user
    lang = lang_of(request.cookies.get("lang"))
    return page(
        request, "plans.html", plans=[_plans.decode(doc) for doc in found.docs], asked=asked.where,
        more=more, statuses=STATUSES, categories=category_options(lang), label=labels(request), local=local,
        can_draft=actor.role == Role.COORDINATOR and as_of is None,
    )  # fmt: skip


async def claims_of(
    request: Request[Any, Any, Any], plan_id: uuid.UUID, as_of: int | None
) -> list[CommitmentView]:
    """The units' claims (认领) on the plan's slots, awaiting the centre's confirmation."""
    where = CommitmentFilter(plan_id=plan_id, status="claimed")
    found = await list_commitments(await read_pool(request, as_of), where, as_of, 0, MANY)
    return [_commitments.decode(doc) for doc in found.docs]


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
    coordinating = actor.role == Role.COORDINATOR and as_of is None
    claims = await claims_of(request, plan_id, as_of) if actor.role == Role.COORDINATOR else []
    offers = {o.id: o for o in await offers_of(request, None, as_of)} if claims else {}
    return page(
        request, "board.html", plan=plan, slots=list(zip(plan.slots, matches.slots, strict=True)),
        position=board.position, units=units, label=labels(request), claims=claims, offers=offers,
        local=local, show_candidates=actor.role in (Role.COORDINATOR, Role.AUDITOR),
        can_act=coordinating and open_, coordinating=coordinating,
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


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [plans_page, board_page, dispatch]
