"""Allocating a plan from the pages: the solver's dry run shown first, then a button that dispatches
exactly that allocation.

The dry run's form carries a fingerprint of its assignments (slot, offer, quantity). The dispatch
solves again, as the API's does, but only after a fresh dry run gives the same fingerprint: if
anything changed meanwhile (an offer withdrawn, a unit's claim), the new dry run is shown instead,
to be looked at before anything is dispatched.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from registry.domain.errors import Conflict
from registry.edge.auth import COORDINATOR
from registry.edge.http import command
from registry.matching.config import MatchConfig
from registry.pages.forms import Form, submitted
from registry.pages.plan_forms import PLANS, plan_of
from registry.pages.plans import all_units, labels, offers_of
from registry.pages.render import page
from registry.service import allocations
from registry.service.allocations import AllocationOut


def fingerprint(allocation: AllocationOut) -> str:
    """What a dispatch must find again: each assignment's slot, offer and quantity, in order."""
    lines = sorted(f"{a.slot_id}/{a.offer_id}/{a.quantity}" for a in allocation.assignments)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


async def _dry_run(request: Request[Any, Any, Any], plan_id: uuid.UUID) -> dict[str, Any]:
    config: MatchConfig = request.app.state.settings.matching
    plan = await plan_of(request, plan_id)
    preview = await allocations.preview(request.app.state.registry, plan_id, None, config)
    return {
        "plan": plan, "preview": preview, "proposal": fingerprint(preview), "label": labels(request),
        "slots": {s.id: s for s in plan.slots},
        "units": {u.id: u for u in await all_units(request, None)},
        "offers": {o.id: o for o in await offers_of(request, None, None)},
    }  # fmt: skip


@get(f"{PLANS}/{{plan_id:uuid}}/allocate", include_in_schema=False, guards=[COORDINATOR])
async def dry_run_page(request: Request[Any, Any, Any], plan_id: FromPath[uuid.UUID]) -> Template:
    """试算: what the solver would dispatch now; nothing is written."""
    return page(request, "plan_allocate.html", values={}, errors={}, **await _dry_run(request, plan_id))


@post(f"{PLANS}/{{plan_id:uuid}}/allocate", include_in_schema=False, guards=[COORDINATOR])
async def dispatch_allocation(
    request: Request[Any, Any, Any], plan_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    """Dispatch the allocation the dry run showed, each assignment as a proposed commitment."""

    async def write() -> str:
        config: MatchConfig = request.app.state.settings.matching
        registry = request.app.state.registry
        now = await allocations.preview(registry, plan_id, None, config)
        if fingerprint(now) != data.get("proposal"):
            raise Conflict("the allocation changed since the dry run; look at the new one before dispatching")
        await allocations.dispatch(registry, await command(request), plan_id, config)
        return f"{PLANS}/{plan_id}"

    return await submitted(request, data, write, "plan_allocate.html", lambda: _dry_run(request, plan_id))


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [dry_run_page, dispatch_allocation]
