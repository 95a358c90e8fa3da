"""Units: the list for everyone (search, filters, paging), a unit's page (profile, offers, needs,
commitments, ledger), and registering (coordinator) and editing (coordinator, or the unit's own
liaison) a unit — through the API's request types and the same service code."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from registry.domain.errors import FieldError, InvalidInput, NotFound
from registry.domain.unit import RegisterUnit, UpdateUnitProfile
from registry.domain.values import Role, UnitKind
from registry.edge.auth import COORDINATOR, COORDINATOR_OR_LIAISON, EVERYONE
from registry.edge.http import command, read_pool
from registry.edge.requests import AREA_PATTERN, LINE, UnitIn, UnitPatch
from registry.pages.choices import category_label
from registry.pages.forms import Form, checked, drawn_from, submitted, text
from registry.pages.i18n import lang_of, translator
from registry.pages.render import PAGES, as_of_position, page
from registry.read.queries import (
    CommitmentFilter,
    NeedFilter,
    OfferFilter,
    UnitFilter,
    get_doc,
    list_commitments,
    list_needs,
    list_offers,
    list_units,
)
from registry.read.reports import unit_ledger
from registry.read.views import CommitmentView, NeedView, OfferView, UnitView
from registry.service import commands
from registry.service.context import Actor

PAGE_SIZE = 20
# A unit's own lists on its page: a unit has a handful of offers and needs, a few hundred commitments.
OWN_SHOWN = 200
FIELDS = ("name", "short_name", "kind", "area", "address", "party_org", "description", "agreement_until")
REQUIRED = ("name", "kind", "area")

_unit = msgspec.json.Decoder(UnitView)
_offers = msgspec.json.Decoder(OfferView)
_needs = msgspec.json.Decoder(NeedView)
_commitments = msgspec.json.Decoder(CommitmentView)


def _kinds() -> list[str]:
    return [kind.value for kind in UnitKind]


def _filter(request: Request[Any, Any, Any]) -> tuple[UnitFilter, int]:
    """The list's search, filters and cursor from the query string; a bad one is a 422 naming it."""
    params = request.query_params
    kind = params.get("kind") or None
    if kind is not None and kind not in _kinds():
        raise InvalidInput([FieldError("kind", "not a unit kind")])
    after = params.get("after") or "0"
    if not after.isdigit() or int(after) > 2**63 - 1:
        raise InvalidInput([FieldError("after", "a log position is required")])
    area = (params.get("area") or "").strip().strip("/") or None
    q = (params.get("q") or "").strip() or None
    # The API's rules for the same parameters: one line of text, an area path.
    if q is not None and (len(q) > 100 or not re.search(LINE, q)):
        raise InvalidInput([FieldError("q", "one line of at most 100 characters")])
    if area is not None and (len(area) > 200 or not re.search(AREA_PATTERN, area)):
        raise InvalidInput([FieldError("area", "an area path: place names joined by /")])
    return UnitFilter(kind=kind, area=area, q=q), int(after)


@get(f"{PAGES}/units", include_in_schema=False, guards=[EVERYONE])
async def units_page(request: Request[Actor, Any, Any]) -> Template:
    as_of = await as_of_position(request)
    where, after = _filter(request)
    found = await list_units(await read_pool(request, as_of), where, as_of, after, PAGE_SIZE)
    more = None
    if found.last is not None:
        kept = {k: v for k, v in request.query_params.items() if k != "after" and v}
        more = f"{PAGES}/units?{urlencode({**kept, 'after': found.last})}"
    return page(
        request, "units.html", units=[_unit.decode(doc) for doc in found.docs], where=where,
        kinds=_kinds(), more=more, can_register=request.user.role == Role.COORDINATOR and as_of is None,
    )  # fmt: skip


async def _read_unit(request: Request[Any, Any, Any], unit_id: uuid.UUID, as_of: int | None) -> UnitView:
    doc = await get_doc(await read_pool(request, as_of), "units", unit_id, as_of)
    if doc is None:
        raise NotFound("unit", unit_id)
    return _unit.decode(doc.json)


def _may_edit(actor: Actor, unit_id: uuid.UUID) -> bool:
    return actor.role == Role.COORDINATOR or (actor.role == Role.LIAISON and actor.unit_id == unit_id)


@get(f"{PAGES}/units/{{unit_id:uuid}}", include_in_schema=False, guards=[EVERYONE])
async def unit_page(request: Request[Actor, Any, Any], unit_id: FromPath[uuid.UUID]) -> Template:
    as_of = await as_of_position(request)
    unit = await _read_unit(request, unit_id, as_of)
    pool = await read_pool(request, as_of)
    offers = await list_offers(pool, OfferFilter(unit_id=unit_id), as_of, 0, OWN_SHOWN)
    needs = await list_needs(pool, NeedFilter(unit_id=unit_id), as_of, 0, OWN_SHOWN)
    commitments = await list_commitments(pool, CommitmentFilter(unit_id=unit_id), as_of, 0, OWN_SHOWN)
    lang = lang_of(request.cookies.get("lang"))
    return page(
        request, "unit_page.html", unit=unit,
        offers=[_offers.decode(doc) for doc in offers.docs],
        needs=[_needs.decode(doc) for doc in needs.docs],
        commitments=[_commitments.decode(doc) for doc in commitments.docs],
        ledger=await unit_ledger(pool, unit_id, as_of),
        label=lambda code: category_label(code, lang),
        can_edit=_may_edit(request.user, unit_id) and as_of is None,
    )  # fmt: skip


# -- register ------------------------------------------------------------------------------------


async def _form_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    t = translator(lang_of(request.cookies.get("lang")))
    return {"kind_options": [(kind, t(f"units.kind.{kind}")) for kind in _kinds()]}


@get(f"{PAGES}/units/new", include_in_schema=False, guards=[COORDINATOR])
async def new_unit_page(request: Request[Actor, Any, Any]) -> Template:
    request.user.require(Role.COORDINATOR)
    return page(request, "unit_form.html", unit=None, **await _form_context(request))


def _fields(form: dict[str, str]) -> dict[str, Any]:
    """The profile fields the form sent: required ones as typed, optional ones None when empty.

    A field the form does not carry is left out (a patch leaves it alone)."""
    return {
        name: (form[name].strip() if name in REQUIRED else text(form, name))
        for name in FIELDS
        if name in form
    }


@post(f"{PAGES}/units", include_in_schema=False, guards=[COORDINATOR])
async def register_unit(request: Request[Actor, Any, Any], data: Form) -> Response[Any]:
    async def write() -> str:
        body = checked(UnitIn, **dict.fromkeys(REQUIRED, "") | _fields(data))
        ctx = await command(request)
        cmd = RegisterUnit(unit_id=ctx.new_id(), **msgspec.structs.asdict(body))
        await commands.register_unit(request.app.state.registry, ctx, cmd)
        return f"{PAGES}/units/{cmd.unit_id}"

    return await submitted(request, data, write, "unit_form.html", lambda: _form_context(request))


# -- edit ----------------------------------------------------------------------------------------


@get(f"{PAGES}/units/{{unit_id:uuid}}/edit", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def edit_unit_page(request: Request[Actor, Any, Any], unit_id: FromPath[uuid.UUID]) -> Template:
    unit = await _read_unit(request, unit_id, None)
    request.user.require_unit(unit.id)
    return page(request, "unit_form.html", unit=unit, **await _form_context(request))


@post(f"{PAGES}/units/{{unit_id:uuid}}/edit", include_in_schema=False, guards=[COORDINATOR_OR_LIAISON])
async def edit_unit(
    request: Request[Actor, Any, Any], unit_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def write() -> str:
        body = checked(UnitPatch, **_fields(data))
        ctx = await command(request, if_match=drawn_from(data))
        cmd = UpdateUnitProfile(unit_id=unit_id, **msgspec.structs.asdict(body))
        await commands.update_unit(request.app.state.registry, ctx, cmd)
        return f"{PAGES}/units/{unit_id}"

    async def context() -> dict[str, Any]:
        return {"unit": await _read_unit(request, unit_id, None), **await _form_context(request)}

    return await submitted(request, data, write, "unit_form.html", context)


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [
    units_page, new_unit_page, unit_page, register_unit, edit_unit_page, edit_unit,
]  # fmt: skip
