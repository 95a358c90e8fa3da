"""A plan's report, as a coordinator reads it after completing: service items run, people served,
volunteer hours, the units involved, a line per slot, and the log position and hash it stands for."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from registry.edge.auth import EVERYONE
from registry.edge.http import read_pool
from registry.pages.plan_forms import PLANS
from registry.pages.plans import all_units, labels
from registry.pages.render import as_of_position, page
from registry.read.reports import plan_report


@get(f"{PLANS}/{{plan_id:uuid}}/report", include_in_schema=False, guards=[EVERYONE])
async def report_page(request: Request[Any, Any, Any], plan_id: FromPath[uuid.UUID]) -> Template:
    # Everyone may read it, as the API's report (its figures are totals, no unit's free text).
    as_of = await as_of_position(request)
    report = await plan_report(await read_pool(request, as_of), plan_id, as_of)
    units = {u.id: u for u in await all_units(request, as_of)}
    return page(request, "report.html", report=report, units=units, label=labels(request))


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [report_page]
