"""Units: register, list, read, update."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, SkipValidation

from registry.api import examples
from registry.api.docs import described
from registry.api.params import (
    AreaParam,
    AsOf,
    CursorParam,
    IdempotencyKey,
    IfMatch,
    Limit,
    Text,
    one,
    page_of,
)
from registry.api.request_checks import check_request
from registry.domain.unit import RegisterUnit, UpdateUnitProfile
from registry.domain.values import UnitKind
from registry.edge.auth import COORDINATOR, COORDINATOR_OR_LIAISON, READ_BY_ID, ReadById
from registry.edge.body import decode_body
from registry.edge.http import command, list_page, read_doc, read_pool, resolve_as_of, written_response
from registry.edge.requests import UnitIn, UnitPatch
from registry.read.queries import UnitFilter, list_units
from registry.read.reports import Ledger, unit_ledger
from registry.read.views import UnitView
from registry.service import commands
from registry.service.context import Actor


class UnitController(Controller):
    path = "/api/v1/units"
    tags = ["units"]
    before_request = staticmethod(check_request)

    @post(
        "/",
        operation_id="registerUnit",
        guards=[COORDINATOR],
        responses=one(UnitView, 201),
        **described(
            "Register a unit",
            COORDINATOR,
            changes=(
                "Records `unit_registered` (and `unit_name_claimed`): a new co-building unit, its name "
                "unique in its area."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                409: "another unit already has this name in this area",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def register(
        self,
        request: Request[Actor, Any, Any],
        data: SkipValidation[Annotated[UnitIn, examples.UNIT]],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Register a co-building unit (coordinator)."""
        data = await decode_body(request, UnitIn)
        data.check()
        ctx = await command(request, idempotency_key=idempotency_key)
        cmd = RegisterUnit(unit_id=ctx.new_id(), **_fields(data))
        written = await commands.register_unit(request.app.state.registry, ctx, cmd)
        return await written_response(request.app.state.registry, "units", written, 201)

    @get(
        "/",
        operation_id="listUnits",
        responses=page_of(UnitView),
        **described(
            "List units",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Units in registration "
                "order, filtered by `kind`, `area` (with the places under it) and text `q`."
            ),
            errors={400: "a filter, `cursor`, `limit` or `as_of` is not valid"},
        ),
    )
    async def list(
        self,
        request: Request[Actor, Any, Any],
        kind: FromQuery[UnitKind | None] = None,
        area: AreaParam = None,
        q: Text = None,
        as_of: AsOf = None,
        limit: Limit = 50,
        cursor: CursorParam = None,
    ) -> Response[bytes]:
        """Units in registration order, filtered by kind, area (and the places under it) and text."""
        where = UnitFilter(kind=kind.value if kind else None, area=area, q=q)
        return await list_page(request, list_units, where, as_of, cursor, limit)

    @get(
        "/{unit_id:uuid}",
        operation_id="getUnit",
        responses=one(UnitView),
        opt={READ_BY_ID: ReadById("units", "unit_id")},
        **described(
            "Read a unit",
            None,
            changes="Nothing: a read (`as_of` answers as of a past log position or time).",
            errors={
                400: "`as_of` is not a log position or time, or lies beyond the log's head",
                404: "no unit with that id",
            },
        ),
    )
    async def read(
        self, request: Request[Actor, Any, Any], unit_id: FromPath[uuid.UUID], as_of: AsOf = None
    ) -> Response[bytes]:
        """One unit."""
        return await read_doc(request, "units", unit_id, as_of)

    @get(
        "/{unit_id:uuid}/ledger",
        operation_id="unitLedger",
        responses=one(Ledger),
        **described(
            "A unit's ledger",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Given and received by "
                "month (items, quantity, volunteer hours, people served), and the balance."
            ),
            errors={
                400: "`as_of` is not a log position or time, or lies beyond the log's head",
                404: "no unit with that id",
            },
        ),
    )
    async def ledger(
        self, request: Request[Actor, Any, Any], unit_id: FromPath[uuid.UUID], as_of: AsOf = None
    ) -> Ledger:
        """Given and received by month (items, quantity, volunteer hours, people served), and the balance."""
        position = await resolve_as_of(request.app.state.store, as_of)
        return await unit_ledger(await read_pool(request, position), unit_id, position)

    @patch(
        "/{unit_id:uuid}",
        operation_id="updateUnit",
        guards=[COORDINATOR_OR_LIAISON],
        responses=one(UnitView),
        **described(
            "Update a unit's profile",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `unit_profile_updated` (a new name claims it in its area: `unit_name_claimed`, "
                "`unit_name_released`)."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no unit with that id",
                409: "another unit already has this name in this area",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
            },
            who="a liaison only for its own unit",
        ),
    )
    async def update(
        self,
        request: Request[Actor, Any, Any],
        unit_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[UnitPatch, examples.UNIT_PATCH]],
        if_match: IfMatch = None,
    ) -> Response[bytes]:
        """Update profile fields (coordinator, or the unit's own liaison)."""
        data = await decode_body(request, UnitPatch)
        data.check()
        ctx = await command(request, if_match=if_match)
        cmd = UpdateUnitProfile(unit_id=unit_id, **_fields(data))
        written = await commands.update_unit(request.app.state.registry, ctx, cmd)
        return await written_response(request.app.state.registry, "units", written)


def _fields(data: UnitIn | UnitPatch) -> dict[str, Any]:
    return msgspec.structs.asdict(data)
