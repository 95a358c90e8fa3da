"""Offers in the pages: the list for everyone (search, filters, paging), an offer's page, and the
liaison's (or the centre's) forms to submit, revise, pause, resume and withdraw one.

Every form decodes into the API's request types (`OfferIn`, `OfferPatch`, `ReasonIn`) and runs
the API's service code, so the rules are the API's; the availability editor is
`registry.pages.availability`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from registry.domain.errors import FieldError, InvalidInput, NotFound
from registry.domain.offer import PauseOffer, ResumeOffer, WithdrawOffer
from registry.domain.taxonomy import is_known
from registry.domain.values import Role
from registry.edge.auth import COORDINATOR_OR_LIAISON, EVERYONE
from registry.edge.http import command, read_pool
from registry.edge.requests import OfferIn, OfferPatch, ReasonIn
from registry.pages import availability as editor
from registry.pages.choices import (
    category_label,
    category_options,
    measure_options,
    more_query,
    one_page,
    units_by_id,
)
from registry.pages.forms import Form, checked, drawn_from, submitted, text
from registry.pages.i18n import lang_of, translator
from registry.pages.render import PAGES, as_of_position, page
from registry.read.asked import asked_time
from registry.read.queries import OfferFilter, get_doc, list_offers
from registry.read.views import OfferView, expired_offer_doc
from registry.service import commands, commitments
from registry.service.context import Actor, Command
from registry.service.execute import Registry

OFFERS = f"{PAGES}/offers"
STATUSES = ("active", "paused", "withdrawn", "expired")
B = TypeVar("B", OfferIn, OfferPatch)
_offer = msgspec.json.Decoder(OfferView)


# -- reading ---------------------------------------------------------------------------------------


def can_change(actor: Actor | None, unit_id: uuid.UUID) -> bool:
    """Whether the page offers the forms that change the unit's entries (the service decides)."""
    if actor is None:
        return False
    return actor.role == Role.COORDINATOR or (actor.role == Role.LIAISON and actor.unit_id == unit_id)


async def read_offer(request: Request[Any, Any, Any], offer_id: uuid.UUID, as_of: int | None) -> OfferView:
    doc = await get_doc(await read_pool(request, as_of), "offers", offer_id, as_of)
    if doc is None:
        raise NotFound("offer", offer_id)
    asked = await asked_time(request.app.state.store.pool, as_of, request.app.state.registry.clock())
    return _offer.decode(expired_offer_doc(doc.json, asked) or doc.json)


def _filter(request: Request[Any, Any, Any]) -> tuple[OfferFilter, dict[str, str]]:
    """The list's filters from the query, and an error beside each filter that cannot be used."""
    params = request.query_params
    errors: dict[str, str] = {}
    t = translator(lang_of(request.cookies.get("lang")))
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
    start = editor.parse_local(params.get("available_from", ""))
    end = editor.parse_local(params.get("available_to", ""))
    for name, typed, moment in (
        ("available_from", params.get("available_from"), start),
        ("available_to", params.get("available_to"), end),
    ):
        if typed and moment is None:
            errors[name] = t("filter.bad_time")
    if (start is None) != (end is None) and not errors:
        errors["available_to"] = t("filter.window_both")
    if start is not None and end is not None and start >= end:
        errors["available_to"] = t("filter.window_order")
    if start is None or end is None or "available_to" in errors:
        start = end = None
    q = (params.get("q") or "").strip()[:200] or None
    where = OfferFilter(
        category=category, unit_id=unit_id, status=status, available_from=start, available_to=end,
        q=q, now=request.app.state.registry.clock(),
    )  # fmt: skip
    return where, errors


@get(OFFERS, include_in_schema=False, guards=[EVERYONE])
async def offers_page(request: Request[Actor, Any, Any]) -> Template:
    as_of = await as_of_position(request)
    lang = lang_of(request.cookies.get("lang"))
    where, errors = _filter(request)
    found = await one_page(request, list_offers, where, as_of)
    return page(
        request, "offers.html", status_code=422 if errors else 200,
        offers=[_offer.decode(doc) for doc in found.docs], more=more_query(request, found.last),
        units=await units_by_id(request, as_of), values=dict(request.query_params), errors=errors,
        categories=category_options(lang), label=lambda c: category_label(c, lang),
        status_options=[(s, translator(lang)(f"status.{s}")) for s in STATUSES],
        can_submit=as_of is None and request.user.role in (Role.COORDINATOR, Role.LIAISON),
    )  # fmt: skip


@get(f"{OFFERS}/{{offer_id:uuid}}", include_in_schema=False, guards=[EVERYONE])
async def offer_page(request: Request[Actor, Any, Any], offer_id: FromPath[uuid.UUID]) -> Template:
    as_of = await as_of_position(request)
    return page(request, "offer.html", **await _offer_context(request, offer_id, as_of))


async def _offer_context(
    request: Request[Any, Any, Any], offer_id: uuid.UUID, as_of: int | None
) -> dict[str, Any]:
    lang = lang_of(request.cookies.get("lang"))
    offer = await read_offer(request, offer_id, as_of)
    units = await units_by_id(request, as_of)
    return {
        "offer": offer, "unit": units.get(offer.unit_id), "label": lambda c: category_label(c, lang),
        "window_text": lambda w: editor.window_text(w, translator(lang)),
        "can_act": as_of is None and can_change(request.user, offer.unit_id) and offer.status != "withdrawn",
    }  # fmt: skip


# -- the form --------------------------------------------------------------------------------------


def _listed(value: str) -> list[str]:
    """A comma-separated field (service areas, tags) as a list; Chinese commas count too."""
    return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]


def whole(value: str) -> object:
    """A count typed in a form: an int when it is one, else the text (for the rules to name)."""
    return int(value) if value.strip().isdigit() and len(value.strip()) < 10 else (value.strip() or None)


def offer_body(type_: type[B], form: Mapping[str, str], rows: editor.Rows) -> B:
    """The form as the API's offer body, checked by its rules; errors named as the form's fields."""
    windows, origin = editor.body_of(rows)
    try:
        return checked(
            type_, category=text(form, "category"), title=text(form, "title"),
            description=text(form, "description"),
            capacity={"quantity": whole(form.get("capacity.quantity", "")),
                      "measure": form.get("capacity.measure", "")},
            availability=windows, service_area=_listed(form.get("service_area", "")),
            valid_until=text(form, "valid_until"), tags=_listed(form.get("tags", "")),
        )  # fmt: skip
    except InvalidInput as error:
        raise editor.mapped(error, origin) from None


def unit_of(actor: Actor, form: Mapping[str, str]) -> uuid.UUID:
    """The unit an offer or need is for: the liaison's own; the centre names one."""
    if actor.role == Role.LIAISON and actor.unit_id is not None:
        return actor.unit_id
    try:
        return uuid.UUID(form.get("unit_id", ""))
    except ValueError:
        raise InvalidInput([FieldError("unit_id", "an id is required")]) from None


async def _form_context(request: Request[Any, Any, Any], rows: editor.Rows, **more: Any) -> dict[str, Any]:
    lang = lang_of(request.cookies.get("lang"))
    actor: Actor = request.user
    units = await units_by_id(request, None) if actor.role == Role.COORDINATOR else {}
    return {
        "rows": rows, "categories": category_options(lang), "measures": measure_options(translator(lang)),
        "unit_options": [(str(u.id), u.name) for u in sorted(units.values(), key=lambda u: u.name)],
        "weekdays": editor.WEEKDAYS, **more,
    }  # fmt: skip


def _added(form: Mapping[str, str], rows: editor.Rows) -> dict[str, str]:
    """The form's values with a row added where asked (the editor's rows renumbered)."""
    kept = {k: v for k, v in form.items() if not k.startswith("availability[")}
    return {**kept, **editor.values_of(rows)}


@get(f"{OFFERS}/new", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def new_offer(request: Request[Actor, Any, Any]) -> Template:
    rows = editor.empty_rows()
    values = {"capacity.measure": "people", **editor.values_of(rows)}
    unit = request.query_params.get("unit_id")
    if unit:
        values["unit_id"] = unit
    context = await _form_context(request, rows, action=OFFERS, offer=None)
    return page(request, "offer_form.html", values=values, errors={}, **context)


@post(OFFERS, include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def submit_offer(request: Request[Actor, Any, Any], data: Form) -> Response[Any]:
    """提交资源: the form as the API's OfferIn, through the API's service code."""
    rows = editor.rows_of(data)
    if data.get("add") in ("one_off", "weekly"):
        rows = editor.with_row_added(rows, data["add"])
        more = await _form_context(request, rows, action=OFFERS, offer=None)
        return page(request, "offer_form.html", values=_added(data, rows), errors={}, **more)

    async def write() -> str:
        body = offer_body(OfferIn, data, rows)
        ctx = await command(request)
        cmd = body.to_command(ctx.new_id(), unit_of(request.user, data))
        written = await commands.submit_offer(request.app.state.registry, ctx, cmd)
        return f"{OFFERS}/{written.entity_id}"

    async def context() -> dict[str, Any]:
        return await _form_context(request, rows, action=OFFERS, offer=None)

    form = {**editor.error_keys(rows), "availability": "", "unit_id": "", **data}
    return await submitted(request, form, write, "offer_form.html", context)


def _offer_values(offer: OfferView) -> tuple[dict[str, str], editor.Rows]:
    rows = editor.rows_from_windows(offer.availability)
    values = {
        "category": offer.category, "title": offer.title, "description": offer.description or "",
        "capacity.quantity": str(offer.capacity.quantity), "capacity.measure": offer.capacity.measure.value,
        "service_area": ", ".join(offer.service_area), "tags": ", ".join(offer.tags),
        "valid_until": offer.valid_until.isoformat() if offer.valid_until else "",
        "version": str(offer.version), **editor.values_of(rows),
    }  # fmt: skip
    return values, rows


@get(f"{OFFERS}/{{offer_id:uuid}}/edit", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def edit_offer(request: Request[Actor, Any, Any], offer_id: FromPath[uuid.UUID]) -> Template:
    offer = await read_offer(request, offer_id, None)
    request.user.require_unit(offer.unit_id)
    values, rows = _offer_values(offer)
    context = await _form_context(request, rows, action=f"{OFFERS}/{offer_id}", offer=offer)
    return page(request, "offer_form.html", values=values, errors={}, **context)


@post(f"{OFFERS}/{{offer_id:uuid}}", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def revise_offer(
    request: Request[Actor, Any, Any], offer_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    """修改资源: the whole form as the API's OfferPatch (every field given)."""
    offer = await read_offer(request, offer_id, None)
    rows = editor.rows_of(data)

    async def context() -> dict[str, Any]:
        return await _form_context(request, rows, action=f"{OFFERS}/{offer_id}", offer=offer)

    if data.get("add") in ("one_off", "weekly"):
        rows = editor.with_row_added(rows, data["add"])
        return page(request, "offer_form.html", values=_added(data, rows), errors={}, **await context())

    async def write() -> str:
        body = offer_body(OfferPatch, data, rows)
        ctx = await command(request, if_match=drawn_from(data))
        await commands.change_offer(request.app.state.registry, ctx, body.to_command(offer_id))
        return f"{OFFERS}/{offer_id}"

    form = {**editor.error_keys(rows), "availability": "", **data}
    return await submitted(request, form, write, "offer_form.html", context)


Change = Callable[[Registry, Command, Mapping[str, str]], Awaitable[object]]


async def _lifecycle(
    request: Request[Actor, Any, Any], offer_id: uuid.UUID, data: Mapping[str, str], change: Change
) -> Response[Any]:
    """Pause, resume or withdraw from the offer's page; a refusal is shown on it."""

    async def write() -> str:
        ctx = await command(request, if_match=drawn_from(data))
        await change(request.app.state.registry, ctx, data)
        return f"{OFFERS}/{offer_id}"

    async def context() -> dict[str, Any]:
        return await _offer_context(request, offer_id, None)

    return await submitted(request, {"reason": "", **data}, write, "offer.html", context)


@post(f"{OFFERS}/{{offer_id:uuid}}/pause", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def pause_offer(
    request: Request[Actor, Any, Any], offer_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def pause(registry: Registry, ctx: Command, _: Mapping[str, str]) -> object:
        return await commands.change_offer(registry, ctx, PauseOffer(offer_id=offer_id))

    return await _lifecycle(request, offer_id, data, pause)


@post(f"{OFFERS}/{{offer_id:uuid}}/resume", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def resume_offer(
    request: Request[Actor, Any, Any], offer_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def resume(registry: Registry, ctx: Command, _: Mapping[str, str]) -> object:
        return await commands.change_offer(registry, ctx, ResumeOffer(offer_id=offer_id))

    return await _lifecycle(request, offer_id, data, resume)


@post(f"{OFFERS}/{{offer_id:uuid}}/withdraw", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def withdraw_offer(
    request: Request[Actor, Any, Any], offer_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def withdraw(registry: Registry, ctx: Command, form: Mapping[str, str]) -> object:
        reason = checked(ReasonIn, reason=text(form, "reason")).reason
        return await commitments.withdraw_offer(
            registry, ctx, WithdrawOffer(offer_id=offer_id, reason=reason)
        )

    return await _lifecycle(request, offer_id, data, withdraw)


# This area's routes, in the order the pages' router takes them ("new" before an offer's id).
HANDLERS: list[ControllerRouterHandler] = [
    offers_page, new_offer, submit_offer, offer_page, edit_offer, revise_offer,
    pause_offer, resume_offer, withdraw_offer,
]  # fmt: skip
