"""A plan's report, as a coordinator reads it after completing: service items run, people served,
volunteer hours, the units involved, a line per slot, and the log position and hash it stands for."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from registry.edge.auth import EVERYONE
from registry.edge.http import read_pool
from registry.pages.plan_forms import PLANS
from registry.pages.plans import all_units, labels
from registry.pages.render import as_of_position, page
from registry.read.queries import get_doc
from registry.read.reports import plan_report
from registry.read.views import PlanView

_plans = msgspec.json.Decoder(PlanView)


@get(f"{PLANS}/{{plan_id:uuid}}/report", include_in_schema=False, guards=[EVERYONE])
async def report_page(request: Request[Any, Any, Any], plan_id: FromPath[uuid.UUID]) -> Template:
    # Everyone may read it, as the API's report (its figures are totals, no unit's free text) and
    # the plan's document.
    as_of = await as_of_position(request)
    pool = await read_pool(request, as_of)
    report = await plan_report(pool, plan_id, as_of)
    units = {u.id: u for u in await all_units(request, as_of)}
    # The coordinator's words on the outcome, as the plan's document holds them for every role.
    doc = await get_doc(pool, "plans", plan_id, as_of)
    outcome = _plans.decode(doc.json).outcome if doc is not None else None
    return page(
        request, "report.html", report=report, units=units, label=labels(request),
        outcome_notes=outcome.notes if outcome is not None else None,
    )  # fmt: skip


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [report_page]
