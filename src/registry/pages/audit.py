"""The auditor's pages: the timeline of events up to now (or "as of"), the chain's verify status; and
the units with their offers and needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from events.sql import query
from registry.domain.values import Role
from registry.edge.auth import COORDINATOR_OR_AUDITOR, EVERYONE
from registry.edge.http import read_pool
from registry.pages.plans import MANY, all_units, offers_of
from registry.pages.render import PAGES, as_of_position, page
from registry.read.queries import NeedFilter, list_needs
from registry.read.views import NeedView
from registry.service.context import Actor

EVENTS_SHOWN = 50
_needs = msgspec.json.Decoder(NeedView)


class Line(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    recorded_at: datetime
    type: str
    stream_id: str
    actor: str
    role: str


def _line(row: Any) -> Line:
    metadata = msgspec.json.decode(row["metadata"]) if row["metadata"] else {}
    return Line(
        position=row["position"], recorded_at=row["recorded_at"], type=row["type"],
        stream_id=row["stream_id"],
        actor=str(metadata.get("actor") or ""), role=str(metadata.get("role") or ""),
    )  # fmt: skip


@get(f"{PAGES}/timeline", include_in_schema=False, guards=[COORDINATOR_OR_AUDITOR])
async def timeline_page(request: Request[Actor, Any, Any]) -> Template:
    actor: Actor = request.user
    actor.require(Role.AUDITOR, Role.COORDINATOR)
    store = request.app.state.store
    head_position, head_hash = await store.head()
    as_of = await as_of_position(request)
    up_to = min(as_of, head_position) if as_of is not None else head_position
    rows = await request.app.state.registry.list_pool.fetch(
        query("registry/audit-events"), max(up_to - EVENTS_SHOWN, 0), up_to,
        None, None, None, None, None, None, EVENTS_SHOWN,
    )  # fmt: skip
    lines = [_line(row) for row in reversed(rows)]
    earlier = lines[-1].position - 1 if lines and lines[-1].position > 1 else None
    return page(
        request, "timeline.html", lines=lines, verify=await store.verify(),
        head_position=head_position, head_hash=head_hash, earlier=earlier,
    )  # fmt: skip


@get(f"{PAGES}/units", include_in_schema=False, guards=[EVERYONE])
async def units_page(request: Request[Actor, Any, Any]) -> Template:
    as_of = await as_of_position(request)
    units = await all_units(request, as_of)
    offers = await offers_of(request, None, as_of)
    found = await list_needs(await read_pool(request, as_of), NeedFilter(), as_of, 0, MANY)
    needs = [_needs.decode(doc) for doc in found.docs]
    return page(
        request, "units.html",
        units=[
            (u, [o for o in offers if o.unit_id == u.id], [n for n in needs if n.unit_id == u.id])
            for u in units
        ],
    )  # fmt: skip


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [timeline_page, units_page]
