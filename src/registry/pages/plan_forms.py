"""The coordinator's forms on plans: draft one, add a slot, publish, confirm a unit's claim, complete
with the outcome, cancel with a reason. Each decodes into the API's request Struct and calls the
API's service function, so the rules are the API's; a refused form comes back with each error
beside its field and what was typed kept (`registry.pages.forms.submitted`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from registry.domain.errors import FieldError, InvalidInput, NotFound
from registry.domain.plan import (
    AddSlot,
    CancelPlan,
    CompletePlan,
    DraftPlan,
    PublishPlan,
    RemoveSlot,
    ReviseSlot,
)
from registry.domain.values import LOCAL_ZONE, Measure
from registry.edge.auth import COORDINATOR
from registry.edge.http import command, read_pool
from registry.edge.requests import CompleteIn, PlanIn, ReasonIn, SlotIn
from registry.pages.choices import category_options
from registry.pages.forms import Form, checked, submitted, text
from registry.pages.i18n import lang_of
from registry.pages.plans import local
from registry.pages.render import PAGES, page
from registry.read.queries import get_doc
from registry.read.views import PlanView
from registry.service import commands, commitments
from registry.service.context import Actor

PLANS = f"{PAGES}/plans"
_plan = msgspec.json.Decoder(PlanView)
MEASURES = tuple(m.value for m in Measure)


class Fields:
    """A form's text turned into the values a request Struct takes; every unreadable field is named
    at once (`done`), before the Struct's own rules run."""

    def __init__(self, form: Mapping[str, str]) -> None:
        self.form = form
        self.problems: list[FieldError] = []

    def moment(self, field: str) -> datetime | None:
        """A `datetime-local` input (YYYY-MM-DDTHH:MM), read as Asia/Shanghai; None when empty."""
        typed = self.form.get(field, "").strip()
        if not typed:
            return None
        try:
            moment = datetime.fromisoformat(typed)
        except ValueError:
            self.problems.append(FieldError(field, "a date and time is required (YYYY-MM-DDTHH:MM)"))
            return None
        return moment.replace(tzinfo=LOCAL_ZONE) if moment.tzinfo is None else moment

    def whole(self, field: str) -> int | None:
        """A whole number (the Struct bounds it); None when empty."""
        typed = self.form.get(field, "").strip()
        if not typed:
            return None
        if not typed.lstrip("-").isdigit() or len(typed) > 12:
            self.problems.append(FieldError(field, "a whole number is required"))
            return None
        return int(typed)

    def done(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)


async def plan_of(request: Request[Any, Any, Any], plan_id: uuid.UUID) -> PlanView:
    doc = await get_doc(await read_pool(request, None), "plans", plan_id, None)
    if doc is None:
        raise NotFound("plan", plan_id)
    return _plan.decode(doc.json)


def _board(plan_id: uuid.UUID) -> str:
    return f"{PLANS}/{plan_id}"


# -- drafting ------------------------------------------------------------------------------------


@get(f"{PLANS}/new", include_in_schema=False, guards=[COORDINATOR])
async def new_plan_page(request: Request[Actor, Any, Any]) -> Template:
    return page(request, "plan_new.html", values={}, errors={})


@post(f"{PLANS}/new", include_in_schema=False, guards=[COORDINATOR])
async def draft_plan(request: Request[Actor, Any, Any], data: Form) -> Response[Any]:
    async def write() -> str:
        fields = Fields(data)
        window = {"starts_at": fields.moment("starts_at"), "ends_at": fields.moment("ends_at")}
        attendance = fields.whole("expected_attendance")
        fields.done()
        body = checked(
            PlanIn, title=data.get("title", ""), series=text(data, "series"), venue=data.get("venue", ""),
            area=data.get("area", ""), expected_attendance=attendance, **window,
        )  # fmt: skip
        ctx = await command(request)
        cmd = DraftPlan(plan_id=ctx.new_id(), **msgspec.structs.asdict(body))
        written = await commands.change_plan(request.app.state.registry, ctx, cmd, creates=True)
        return _board(written.entity_id)

    return await submitted(request, data, write, "plan_new.html")


# -- slots ---------------------------------------------------------------------------------------


async def _slot_context(
    request: Request[Any, Any, Any], plan_id: uuid.UUID, slot_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """The slot form's page: the plan, the slot being edited (None: a new one), where to post."""
    lang = lang_of(request.cookies.get("lang"))
    plan = await plan_of(request, plan_id)
    slot = None
    if slot_id is not None:
        slot = next((s for s in plan.slots if s.id == slot_id), None)
        if slot is None:
            raise NotFound("slot", slot_id)
    action = f"{_board(plan_id)}/slots/{slot_id}/edit" if slot_id else f"{_board(plan_id)}/slots/new"
    return {
        "plan": plan, "slot": slot, "action": action, "categories": category_options(lang),
        "measures": MEASURES, "local": local,
    }  # fmt: skip


def _local_input(moment: datetime) -> str:
    """A moment as a `datetime-local` input shows it: Asia/Shanghai, to the minute."""
    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")


def _slot_fields(data: Mapping[str, str]) -> SlotIn:
    """The slot form under the API's rules for a slot (SlotIn), for adding and revising alike."""
    fields = Fields(data)
    window = {"starts_at": fields.moment("starts_at"), "ends_at": fields.moment("ends_at")}
    quantity = fields.whole("quantity")
    fields.done()
    return checked(
        SlotIn, category=data.get("category", ""), quantity=quantity if quantity is not None else 0,
        measure=data.get("measure", Measure.PEOPLE.value), notes=text(data, "notes"), **window,
    )  # fmt: skip


@get(f"{PLANS}/{{plan_id:uuid}}/slots/new", include_in_schema=False, guards=[COORDINATOR])
async def new_slot_page(request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID]) -> Template:
    return page(request, "plan_slot.html", values={}, errors={}, **await _slot_context(request, plan_id))


@post(f"{PLANS}/{{plan_id:uuid}}/slots/new", include_in_schema=False, guards=[COORDINATOR])
async def add_slot(
    request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def write() -> str:
        body = _slot_fields(data)
        ctx = await command(request)
        cmd = AddSlot(plan_id=plan_id, slot_id=ctx.new_id(), **msgspec.structs.asdict(body))
        await commands.change_plan(request.app.state.registry, ctx, cmd)
        return _board(plan_id)

    return await submitted(request, data, write, "plan_slot.html", lambda: _slot_context(request, plan_id))


@get(f"{PLANS}/{{plan_id:uuid}}/slots/{{slot_id:uuid}}/edit", include_in_schema=False, guards=[COORDINATOR])
async def edit_slot_page(
    request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], slot_id: FromPath[uuid.UUID]
) -> Template:
    context = await _slot_context(request, plan_id, slot_id)
    slot = context["slot"]
    values = {
        "category": slot.category, "quantity": str(slot.quantity), "measure": slot.measure.value,
        "starts_at": _local_input(slot.starts_at), "ends_at": _local_input(slot.ends_at),
        "notes": slot.notes or "",
    }  # fmt: skip
    return page(request, "plan_slot.html", values=values, errors={}, **context)


@post(f"{PLANS}/{{plan_id:uuid}}/slots/{{slot_id:uuid}}/edit", include_in_schema=False, guards=[COORDINATOR])
async def revise_slot(
    request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], slot_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def write() -> str:
        fields = msgspec.structs.asdict(_slot_fields(data))
        # The bound on people served is a slot's setting of its own (SetSlotPeopleLimit), kept.
        del fields["people_served_limit"]
        cmd = ReviseSlot(plan_id=plan_id, slot_id=slot_id, **fields)
        await commands.change_plan(request.app.state.registry, await command(request), cmd)
        return _board(plan_id)

    return await submitted(
        request, data, write, "plan_slot.html", partial(_slot_context, request, plan_id, slot_id)
    )


@post(
    f"{PLANS}/{{plan_id:uuid}}/slots/{{slot_id:uuid}}/remove", include_in_schema=False, guards=[COORDINATOR]
)
async def remove_slot(
    request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], slot_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def write() -> str:
        cmd = RemoveSlot(plan_id=plan_id, slot_id=slot_id)
        await commands.change_plan(request.app.state.registry, await command(request), cmd)
        return _board(plan_id)

    return await submitted(
        request, data, write, "plan_slot.html", partial(_slot_context, request, plan_id, slot_id)
    )


# -- publishing, claims --------------------------------------------------------------------------


@post(f"{PLANS}/{{plan_id:uuid}}/publish", include_in_schema=False, guards=[COORDINATOR])
async def publish(
    request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def write() -> str:
        await commands.change_plan(
            request.app.state.registry, await command(request), PublishPlan(plan_id=plan_id)
        )
        return _board(plan_id)

    return await submitted(request, data, write, "plan_refused.html", lambda: _refused(request, plan_id))


async def _refused(request: Request[Any, Any, Any], plan_id: uuid.UUID) -> dict[str, Any]:
    return {"plan": await plan_of(request, plan_id)}


@post(
    f"{PLANS}/{{plan_id:uuid}}/claims/{{commitment_id:uuid}}/confirm",
    include_in_schema=False,
    guards=[COORDINATOR],
)
async def confirm_claim(
    request: Request[Actor, Any, Any],
    plan_id: FromPath[uuid.UUID],
    commitment_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    """The centre confirms a unit's 认领 (the inbox's accept does the same step)."""

    async def write() -> str:
        ctx = await command(request)
        await commitments.step(request.app.state.registry, ctx, commitment_id, commitments.confirm)
        return _board(plan_id)

    return await submitted(request, data, write, "plan_refused.html", lambda: _refused(request, plan_id))


# -- closing -------------------------------------------------------------------------------------


@get(f"{PLANS}/{{plan_id:uuid}}/complete", include_in_schema=False, guards=[COORDINATOR])
async def complete_page(request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID]) -> Template:
    return page(request, "plan_complete.html", values={}, errors={}, **await _refused(request, plan_id))


@post(f"{PLANS}/{{plan_id:uuid}}/complete", include_in_schema=False, guards=[COORDINATOR])
async def complete(
    request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    """Close the plan with the outcome its fulfilled commitments add up to; then its report."""

    async def write() -> str:
        body = checked(CompleteIn, notes=text(data, "notes"), release_open=data.get("release_open") == "on")
        cmd = CompletePlan(plan_id=plan_id, notes=body.notes, release_open=body.release_open)
        await commitments.complete_plan(request.app.state.registry, await command(request), cmd)
        return f"{_board(plan_id)}/report"

    return await submitted(request, data, write, "plan_complete.html", lambda: _refused(request, plan_id))


@get(f"{PLANS}/{{plan_id:uuid}}/cancel", include_in_schema=False, guards=[COORDINATOR])
async def cancel_page(request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID]) -> Template:
    return page(request, "plan_cancel.html", values={}, errors={}, **await _refused(request, plan_id))


@post(f"{PLANS}/{{plan_id:uuid}}/cancel", include_in_schema=False, guards=[COORDINATOR])
async def cancel(
    request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def write() -> str:
        body = checked(ReasonIn, reason=text(data, "reason"))
        cmd = CancelPlan(plan_id=plan_id, reason=body.reason)
        await commitments.cancel_plan(request.app.state.registry, await command(request), cmd)
        return _board(plan_id)

    return await submitted(request, data, write, "plan_cancel.html", lambda: _refused(request, plan_id))


# This area's routes, in the order the pages' router takes them ("new" before the plan's id).
HANDLERS: list[ControllerRouterHandler] = [
    new_plan_page, draft_plan, new_slot_page, add_slot, edit_slot_page, revise_slot, remove_slot, publish,
    confirm_claim,
    complete_page, complete, cancel_page, cancel,
]  # fmt: skip
