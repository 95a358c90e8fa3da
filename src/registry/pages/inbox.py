"""A liaison's inbox: dispatches to accept or decline, accepted ones to record, and the open slots and
needs of others to claim — each offered only with the unit's offers that fit it (`registry.pages.fit`),
with why; a claim the rules refuse is shown again in its form, in the page's language."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.types import ControllerRouterHandler

from registry.domain.values import Role
from registry.edge.auth import COORDINATOR_OR_LIAISON
from registry.edge.http import command, read_pool
from registry.edge.language import Lang
from registry.edge.requests import CommitmentIn, FulfilmentIn, ReasonIn
from registry.pages.availability import local_input
from registry.pages.choices import category_label, units_by_id
from registry.pages.fit import Claimable, Fit, claimable
from registry.pages.forms import Form, checked, number, submitted
from registry.pages.i18n import lang_of, translator
from registry.pages.offers import whole
from registry.pages.render import PAGES, as_of_position, page
from registry.read.queries import (
    CommitmentFilter,
    NeedFilter,
    OfferFilter,
    PlanFilter,
    list_commitments,
    list_needs,
    list_offers,
    list_plans,
)
from registry.read.views import CommitmentView, NeedView, OfferView, PlanView
from registry.service import commitments
from registry.service.commitments import MakeCommitment, make_commitment
from registry.service.context import Actor

_commitments = msgspec.json.Decoder(CommitmentView)
_plans = msgspec.json.Decoder(PlanView)
_offers = msgspec.json.Decoder(OfferView)
_needs = msgspec.json.Decoder(NeedView)
INBOX = f"{PAGES}/inbox"
# Enough for the registry of one subdistrict; the inbox shows no cursor.
MANY = 1000


async def _context(request: Request[Actor, Any, Any], as_of: int | None) -> dict[str, Any]:
    actor: Actor = request.user
    lang = lang_of(request.cookies.get("lang"))
    pool = await read_pool(request, as_of)
    liaison = actor.role == Role.LIAISON
    # A liaison sees its unit's; the centre sees every unit's (claims await its confirmation).
    where = CommitmentFilter(unit_id=actor.unit_id if liaison else None)
    mine = [_commitments.decode(d) for d in (await list_commitments(pool, where, as_of, 0, MANY)).docs]
    plans = [_plans.decode(d) for d in (await list_plans(pool, PlanFilter(), as_of, 0, MANY)).docs]
    offers = await list_offers(pool, OfferFilter(unit_id=actor.unit_id if liaison else None), as_of, 0, MANY)
    needs = [_needs.decode(d) for d in (await list_needs(pool, NeedFilter(), as_of, 0, MANY)).docs]
    open_, unfit = await claimable(request, actor.unit_id, as_of) if liaison and actor.unit_id else ([], 0)
    waiting = "proposed" if liaison else "claimed"
    return {
        "waiting": [c for c in mine if c.status == waiting],
        "confirmed": [c for c in mine if c.status == "confirmed"],
        "plans": {p.id: p for p in plans}, "needs": {n.id: n for n in needs},
        "offers": {o.id: o for o in map(_offers.decode, offers.docs)},
        "units": await units_by_id(request, as_of), "claimable": open_, "unfit": unfit,
        "can_act": as_of is None, "label": lambda c: category_label(c, lang), "local": local_input,
        "why": lambda fit, demand: why(fit, demand, lang),
    }  # fmt: skip


def why(fit: Fit, demand: Claimable, lang: Lang) -> str:
    """Why the offer fits, in a line: "类别相符 · 时间全覆盖 · 剩余 3 人"."""
    t = translator(lang)
    category = (
        t("fit.same_category")
        if fit.same_category
        else t("fit.within_category", wanted=category_label(demand.category, lang))
    )
    # The board keeps only offers available for the whole window: that part is always so.
    remaining = t("fit.remaining", remaining=fit.remaining, measure=t(f"measure.{demand.measure.value}"))
    return t("fit.joiner").join([category, t("fit.whole_window"), remaining])


@get(INBOX, include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def inbox_page(request: Request[Actor, Any, Any]) -> Template:
    actor: Actor = request.user
    actor.require(Role.LIAISON, Role.COORDINATOR)
    as_of = await as_of_position(request)
    return page(request, "inbox.html", values={}, errors={}, **await _context(request, as_of))


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


@post(f"{INBOX}/claim", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def claim(request: Request[Actor, Any, Any], data: Form) -> Response[Any]:
    """认领: one of the unit's offers for an open slot or another unit's open need, as the API's
    CommitmentIn; a refusal (more than the offer has left, say) is shown in that claim's form."""

    async def write() -> str:
        body = checked(
            CommitmentIn, offer_id=data.get("offer_id") or None, quantity=whole(data.get("quantity", "")),
            plan_id=data.get("plan_id") or None, slot_id=data.get("slot_id") or None,
            need_id=data.get("need_id") or None,
        )  # fmt: skip
        ctx = await command(request)
        cmd = MakeCommitment(
            commitment_id=ctx.new_id(), offer_id=body.offer_id, quantity=body.quantity,
            plan_id=body.plan_id, slot_id=body.slot_id, need_id=body.need_id,
        )  # fmt: skip
        await make_commitment(request.app.state.registry, ctx, cmd)
        return INBOX

    async def context() -> dict[str, Any]:
        return await _context(request, None)

    form = {"quantity": "", "offer_id": "", **data}
    return await submitted(request, form, write, "inbox.html", context)


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [inbox_page, accept, decline, fulfil, claim]
