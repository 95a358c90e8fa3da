"""Needs in the pages: the list for everyone (search, filters, paging), a need's page, and the
liaison's (or the centre's) forms to raise, close and cancel one — through the API's request type
(`NeedIn`) and service code."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from registry.domain.errors import NotFound
from registry.domain.need import CancelNeed, CloseNeed, RaiseNeed
from registry.domain.taxonomy import is_known
from registry.domain.values import Role
from registry.edge.auth import COORDINATOR_OR_LIAISON, EVERYONE
from registry.edge.http import command, read_pool
from registry.edge.requests import NeedIn, ReasonIn
from registry.pages.availability import local_input, parse_local
from registry.pages.choices import (
    category_label,
    category_options,
    measure_options,
    more_query,
    one_page,
    units_by_id,
    urgency_options,
)
from registry.pages.forms import Form, checked, drawn_from, submitted, text
from registry.pages.i18n import lang_of, translator
from registry.pages.offers import Change, can_change, unit_of, whole
from registry.pages.render import PAGES, as_of_position, page
from registry.read.queries import NeedFilter, get_doc, list_needs
from registry.read.views import NeedView
from registry.service import commands, commitments
from registry.service.context import Actor, Command
from registry.service.execute import Registry

NEEDS = f"{PAGES}/needs"
STATUSES = ("open", "partially_met", "met", "closed", "cancelled")
_need = msgspec.json.Decoder(NeedView)


async def read_need(request: Request[Any, Any, Any], need_id: uuid.UUID, as_of: int | None) -> NeedView:
    doc = await get_doc(await read_pool(request, as_of), "needs", need_id, as_of)
    if doc is None:
        raise NotFound("need", need_id)
    return _need.decode(doc.json)


def _filter(request: Request[Any, Any, Any]) -> tuple[NeedFilter, dict[str, str]]:
    params = request.query_params
    t = translator(lang_of(request.cookies.get("lang")))
    errors: dict[str, str] = {}
    category = params.get("category") or None
    if category is not None and not is_known(category):
        errors["category"], category = t("filter.bad_category"), None
    unit_id = None
    if params.get("unit_id"):
        try:
            unit_id = uuid.UUID(params["unit_id"])
        except ValueError:
            errors["unit_id"] = t("filter.bad_unit")
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        errors["status"], status = t("filter.bad_status"), None
    q = (params.get("q") or "").strip()[:200] or None
    return NeedFilter(category=category, unit_id=unit_id, status=status, q=q), errors


@get(NEEDS, include_in_schema=False, guards=[EVERYONE])
async def needs_page(request: Request[Actor, Any, Any]) -> Template:
    as_of = await as_of_position(request)
    lang = lang_of(request.cookies.get("lang"))
    t = translator(lang)
    where, errors = _filter(request)
    found = await one_page(request, list_needs, where, as_of)
    return page(
        request, "needs.html", status_code=422 if errors else 200,
        needs=[_need.decode(doc) for doc in found.docs], more=more_query(request, found.last),
        units=await units_by_id(request, as_of), values=dict(request.query_params), errors=errors,
        categories=category_options(lang), status_options=[(s, t(f"status.{s}")) for s in STATUSES],
        label=lambda c: category_label(c, lang), local=local_input,
        can_raise=as_of is None and request.user.role in (Role.COORDINATOR, Role.LIAISON),
    )  # fmt: skip


async def _need_context(
    request: Request[Any, Any, Any], need_id: uuid.UUID, as_of: int | None
) -> dict[str, Any]:
    lang = lang_of(request.cookies.get("lang"))
    need = await read_need(request, need_id, as_of)
    units = await units_by_id(request, as_of)
    open_ = need.status in ("open", "partially_met")
    return {
        "need": need, "unit": units.get(need.unit_id), "label": lambda c: category_label(c, lang),
        "local": local_input, "can_act": as_of is None and open_ and can_change(request.user, need.unit_id),
    }  # fmt: skip


@get(f"{NEEDS}/{{need_id:uuid}}", include_in_schema=False, guards=[EVERYONE])
async def need_page(request: Request[Actor, Any, Any], need_id: FromPath[uuid.UUID]) -> Template:
    return page(request, "need.html", **await _need_context(request, need_id, await as_of_position(request)))


async def _form_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    lang = lang_of(request.cookies.get("lang"))
    t = translator(lang)
    actor: Actor = request.user
    units = await units_by_id(request, None) if actor.role == Role.COORDINATOR else {}
    return {
        "categories": category_options(lang), "measures": measure_options(t), "urgencies": urgency_options(t),
        "unit_options": [(str(u.id), u.name) for u in sorted(units.values(), key=lambda u: u.name)],
    }  # fmt: skip


@get(f"{NEEDS}/new", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def new_need(request: Request[Actor, Any, Any]) -> Template:
    values = {"measure": "people", "urgency": "normal", "quantity": "1"}
    return page(request, "need_form.html", values=values, errors={}, **await _form_context(request))


def need_body(form: Mapping[str, str]) -> NeedIn:
    """The form as the API's need body (times typed in Asia/Shanghai), checked by its rules."""
    starts, ends = form.get("starts_at", "").strip(), form.get("ends_at", "").strip()
    return checked(
        NeedIn, category=text(form, "category"), title=text(form, "title"),
        quantity=whole(form.get("quantity", "")),
        starts_at=_moment(starts), ends_at=_moment(ends), location=text(form, "location"),
        urgency=form.get("urgency") or "normal", description=text(form, "description"),
        measure=form.get("measure") or "people",
    )  # fmt: skip


def _moment(typed: str) -> object:
    """A `datetime-local` value as a time with Shanghai's offset; the text as typed when it is
    none (the rules then name the field)."""
    if not typed:
        return None
    moment = parse_local(typed)
    return moment.isoformat() if moment is not None else typed


@post(NEEDS, include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def raise_need(request: Request[Actor, Any, Any], data: Form) -> Response[Any]:
    """提出需求: the form as the API's NeedIn, through the API's service code."""

    async def write() -> str:
        body = need_body(data)
        ctx = await command(request)
        cmd = RaiseNeed(
            need_id=ctx.new_id(), unit_id=unit_of(request.user, data), category=body.category,
            title=body.title, quantity=body.quantity, starts_at=body.starts_at, ends_at=body.ends_at,
            location=body.location, urgency=body.urgency, description=body.description,
            measure=body.measure,
        )  # fmt: skip
        written = await commands.raise_need(request.app.state.registry, ctx, cmd)
        return f"{NEEDS}/{written.entity_id}"

    async def context() -> dict[str, Any]:
        return await _form_context(request)

    return await submitted(request, {"unit_id": "", **data}, write, "need_form.html", context)


async def _change(
    request: Request[Actor, Any, Any], need_id: uuid.UUID, data: Mapping[str, str], change: Change
) -> Response[Any]:
    """Close or cancel from the need's page; a refusal is shown on it."""

    async def write() -> str:
        ctx = await command(request, if_match=drawn_from(data))
        await change(request.app.state.registry, ctx, data)
        return f"{NEEDS}/{need_id}"

    async def context() -> dict[str, Any]:
        return await _need_context(request, need_id, None)

    return await submitted(request, {"reason": "", **data}, write, "need.html", context)


@post(f"{NEEDS}/{{need_id:uuid}}/close", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def close_need(
    request: Request[Actor, Any, Any], need_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def close(registry: Registry, ctx: Command, _: Mapping[str, str]) -> object:
        return await commands.change_need(registry, ctx, CloseNeed(need_id=need_id))

    return await _change(request, need_id, data, close)


@post(f"{NEEDS}/{{need_id:uuid}}/cancel", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def cancel_need(
    request: Request[Actor, Any, Any], need_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def cancel(registry: Registry, ctx: Command, form: Mapping[str, str]) -> object:
        reason = checked(ReasonIn, reason=text(form, "reason")).reason
        return await commitments.cancel_need(registry, ctx, CancelNeed(need_id=need_id, reason=reason))

    return await _change(request, need_id, data, cancel)


# This area's routes, in the order the pages' router takes them ("new" before a need's id).
HANDLERS: list[ControllerRouterHandler] = [
    needs_page,
    new_need,
    raise_need,
    need_page,
    close_need,
    cancel_need,
]
