"""The auditor's timeline: the events up to now (or "as of"), each told in a sentence with who did
it (the token's unit and role, its label), and the chain's verify status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from events.sql import query
from registry.domain.events import Event
from registry.domain.values import Role
from registry.edge.auth import COORDINATOR_OR_AUDITOR
from registry.edge.http import read_pool
from registry.pages.i18n import lang_of, translator
from registry.pages.render import PAGES, as_of_position, page
from registry.pages.sentences import Teller, asked_by, category_of
from registry.read.names import names_of
from registry.read.projection import registry_codec
from registry.service.context import Actor

EVENTS_SHOWN = 50
_codec = registry_codec()


class Line(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    recorded_at: datetime
    type: str
    sentence: str
    # The category code the event is about, for the line's tooltip (the sentence has its label).
    category: str | None


def _decoded(row: Any) -> tuple[Event, str, str]:
    event, _ = _codec.decode(row["type"], row["schema_version"], row["data"])
    metadata = msgspec.json.decode(row["metadata"]) if row["metadata"] else {}
    return event, str(metadata.get("actor") or ""), str(metadata.get("role") or "")


@get(f"{PAGES}/timeline", include_in_schema=False, guards=[COORDINATOR_OR_AUDITOR])
async def timeline_page(request: Request[Actor, Any, Any]) -> Template:
    actor: Actor = request.user
    actor.require(Role.AUDITOR, Role.COORDINATOR)
    store = request.app.state.store
    head_position, head_hash = await store.head()
    as_of = await as_of_position(request)
    up_to = min(as_of, head_position) if as_of is not None else head_position
    rows = list(reversed(await request.app.state.registry.list_pool.fetch(
        query("registry/audit-events"), max(up_to - EVENTS_SHOWN, 0), up_to,
        None, None, None, None, None, None, EVENTS_SHOWN,
    )))  # fmt: skip
    decoded = [_decoded(row) for row in rows]
    names = await names_of(
        await read_pool(request, as_of), asked_by([(e, who) for e, who, _ in decoded]), as_of
    )
    lang = lang_of(request.cookies.get("lang"))
    teller = Teller(names, translator(lang), lang)
    lines = [
        Line(
            position=row["position"],
            recorded_at=row["recorded_at"],
            type=row["type"],
            sentence=teller.sentence(event, who, role),
            category=category_of(event, names),
        )
        for row, (event, who, role) in zip(rows, decoded, strict=True)
    ]
    earlier = lines[-1].position - 1 if lines and lines[-1].position > 1 else None
    return page(
        request, "timeline.html", lines=lines, verify=await store.verify(),
        head_position=head_position, head_hash=head_hash, earlier=earlier,
    )  # fmt: skip


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [timeline_page]
