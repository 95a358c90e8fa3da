"""A liaison's inbox: dispatches to accept or decline, accepted ones to record, open slots to claim."""

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
from registry.edge.auth import COORDINATOR_OR_LIAISON
from registry.edge.http import command, read_pool
from registry.edge.requests import FulfilmentIn, ReasonIn
from registry.pages.forms import Form, checked, ident, number
from registry.pages.plans import all_plans, offers_of
from registry.pages.render import PAGES, as_of_position, page
from registry.read.queries import CommitmentFilter, list_commitments
from registry.read.views import CommitmentView
from registry.service import commitments
from registry.service.commitments import MakeCommitment, make_commitment
from registry.service.context import Actor

_commitments = msgspec.json.Decoder(CommitmentView)
INBOX = f"{PAGES}/inbox"


@get(INBOX, include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def inbox_page(request: Request[Actor, Any, Any]) -> Template:
    actor: Actor = request.user
    actor.require(Role.LIAISON, Role.COORDINATOR)
    as_of = await as_of_position(request)
    # A liaison sees its unit's; the centre sees every unit's (claims await its confirmation).
    where = CommitmentFilter(unit_id=actor.unit_id if actor.role == Role.LIAISON else None)
    found = await list_commitments(await read_pool(request, as_of), where, as_of, 0, 1000)
    mine = [_commitments.decode(doc) for doc in found.docs]
    waiting = "proposed" if actor.role == Role.LIAISON else "claimed"
    plans = await all_plans(request, as_of)
    offers = await offers_of(request, actor.unit_id if actor.role == Role.LIAISON else None, as_of)
    open_slots = [
        (p, s) for p in plans if p.status == "published" for s in p.slots if s.committed < s.quantity
    ]
    return page(
        request, "inbox.html",
        waiting=[c for c in mine if c.status == waiting],
        confirmed=[c for c in mine if c.status == "confirmed"],
        plans={p.id: p for p in plans},
        offers={o.id: o for o in offers},
        my_offers=[o for o in offers if o.status == "active"] if actor.role == Role.LIAISON else [],
        open_slots=open_slots, can_act=as_of is None,
    )  # fmt: skip


def _back() -> Redirect:
    return Redirect(INBOX, status_code=HTTP_303_SEE_OTHER)


@post(
    f"{INBOX}/{{commitment_id:uuid}}/accept",
    include_in_schema=False,
    guards=[COORDINATOR_OR_LIAISON],
    status_code=HTTP_303_SEE_OTHER,
)
async def accept(request: Request[Actor, Any, Any], commitment_id: FromPath[uuid.UUID]) -> Redirect:
    """接单 (or, by the centre, confirming a unit's claim)."""
    await commitments.step(
        request.app.state.registry, await command(request), commitment_id, commitments.confirm
    )
    return _back()


@post(
    f"{INBOX}/{{commitment_id:uuid}}/decline",
    include_in_schema=False,
    guards=[COORDINATOR_OR_LIAISON],
    status_code=HTTP_303_SEE_OTHER,
)
async def decline(
    request: Request[Actor, Any, Any], commitment_id: FromPath[uuid.UUID], data: Form
) -> Redirect:
    reason = checked(ReasonIn, reason=data.get("reason", "").strip() or None).reason
    step = commitments.declining(reason)
    await commitments.step(request.app.state.registry, await command(request), commitment_id, step)
    return _back()


@post(
    f"{INBOX}/{{commitment_id:uuid}}/fulfil",
    include_in_schema=False,
    guards=[COORDINATOR_OR_LIAISON],
    status_code=HTTP_303_SEE_OTHER,
)
async def fulfil(
    request: Request[Actor, Any, Any], commitment_id: FromPath[uuid.UUID], data: Form
) -> Redirect:
    """晒单: what was delivered."""
    done = checked(
        FulfilmentIn, people_served=int(number(data, "people_served")),
        volunteer_hours=number(data, "volunteer_hours"), notes=data.get("notes", "").strip() or None,
    )  # fmt: skip
    step = commitments.fulfilling(done.people_served, done.volunteer_hours, done.notes)
    await commitments.step(request.app.state.registry, await command(request), commitment_id, step)
    return _back()


@post(
    f"{INBOX}/claim", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON], status_code=HTTP_303_SEE_OTHER
)
async def claim(request: Request[Actor, Any, Any], data: Form) -> Redirect:
    """认领: the unit offers one of its resources for an open slot."""
    ctx = await command(request)
    cmd = MakeCommitment(
        commitment_id=ctx.new_id(), offer_id=ident(data, "offer_id"), plan_id=ident(data, "plan_id"),
        slot_id=ident(data, "slot_id"), quantity=int(number(data, "quantity", 1)),
    )  # fmt: skip
    await make_commitment(request.app.state.registry, ctx, cmd)
    return _back()


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [inbox_page, accept, decline, fulfil, claim]
