"""The need list: needs raised by units."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, SkipValidation

from registry.api import examples
from registry.api.docs import described
from registry.api.params import (
    AsOf,
    CandidateLimit,
    CategoryParam,
    CursorParam,
    IdempotencyKey,
    IfMatch,
    Limit,
    Text,
    one,
    page_of,
)
from registry.api.request_checks import check_request
from registry.domain.need import CancelNeed, CloseNeed, RaiseNeed, SetNeedPeopleLimit
from registry.edge.auth import COORDINATOR, COORDINATOR_OR_LIAISON, READ_BY_ID, ReadById
from registry.edge.body import decode_body, decode_optional_body
from registry.edge.http import (
    apply_change,
    check_category,
    command,
    list_page,
    read_doc,
    read_pool,
    resolve_as_of,
    written_response,
)
from registry.edge.requests import END, NeedIn, PeopleLimitIn, ReasonIn
from registry.matching.board import NeedMatches, need_matches
from registry.matching.config import MatchConfig
from registry.read.board import read_need_board
from registry.read.queries import NeedFilter, list_needs
from registry.read.views import NeedView
from registry.service import commands, commitments
from registry.service.context import Actor

NeedStatus = Annotated[
    str | None, QueryParameter(pattern=rf"^(open|partially_met|met|closed|cancelled){END}")
]


class NeedController(Controller):
    path = "/api/v1"
    tags = ["needs"]
    before_request = staticmethod(check_request)

    @post(
        "/units/{unit_id:uuid}/needs",
        operation_id="raiseNeed",
        guards=[COORDINATOR_OR_LIAISON],
        responses=one(NeedView, 201),
        **described(
            "Raise a need",
            COORDINATOR_OR_LIAISON,
            changes="Records `need_raised`: a new open need on the unit's need list.",
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no unit with that id",
                409: "the need's id is taken",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit",
        ),
    )
    async def raise_need(
        self,
        request: Request[Actor, Any, Any],
        unit_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[NeedIn, examples.NEED]],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Raise a need on a unit's need list (its liaison, or a coordinator for residents)."""
        data = await decode_body(request, NeedIn)
        data.check()
        ctx = await command(request, idempotency_key=idempotency_key)
        cmd = RaiseNeed(
            need_id=ctx.new_id(),
            unit_id=unit_id,
            category=data.category,
            title=data.title,
            quantity=data.quantity,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            location=data.location,
            urgency=data.urgency,
            description=data.description,
            measure=data.measure,
        )
        written = await commands.raise_need(request.app.state.registry, ctx, cmd)
        return await written_response(request.app.state.registry, "needs", written, 201)

    @get(
        "/needs",
        operation_id="listNeeds",
        responses=page_of(NeedView),
        **described(
            "List needs",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Needs in the order "
                "raised; `category` includes its descendants."
            ),
            errors={400: "a filter, `cursor`, `limit` or `as_of` is not valid"},
        ),
    )
    async def list(
        self,
        request: Request[Actor, Any, Any],
        category: CategoryParam = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
        status: NeedStatus = None,
        q: Text = None,
        as_of: AsOf = None,
        limit: Limit = 50,
        cursor: CursorParam = None,
    ) -> Response[bytes]:
        """Needs in the order raised; `category` includes its descendants."""
        check_category(category)
        where = NeedFilter(category=category, unit_id=unit_id, status=status, q=q)
        return await list_page(request, list_needs, where, as_of, cursor, limit)

    @get(
        "/needs/{need_id:uuid}",
        operation_id="getNeed",
        responses=one(NeedView),
        opt={READ_BY_ID: ReadById("needs", "need_id")},
        **described(
            "Read a need",
            None,
            changes="Nothing: a read (`as_of` answers as of a past log position or time).",
            errors={
                400: "`as_of` is not a log position or time, or lies beyond the log's head",
                404: "no need with that id",
            },
        ),
    )
    async def read(
        self, request: Request[Actor, Any, Any], need_id: FromPath[uuid.UUID], as_of: AsOf = None
    ) -> Response[bytes]:
        """One need."""
        return await read_doc(request, "needs", need_id, as_of)

    @get(
        "/needs/{need_id:uuid}/matches",
        operation_id="needMatches",
        guards=[COORDINATOR_OR_LIAISON],
        responses=one(NeedMatches),
        **described(
            "Offers that could meet a need",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Other units' offers "
                "that pass every hard filter, ranked, each score with its factors."
            ),
            errors={
                400: "`as_of` is not a log position or time, or lies beyond the log's head",
                403: "a liaison of another unit than the needing one",
                404: "no need with that id",
            },
            who="a liaison only for its own unit's needs",
        ),
    )
    async def matches(
        self,
        request: Request[Actor, Any, Any],
        need_id: FromPath[uuid.UUID],
        as_of: AsOf = None,
        limit: CandidateLimit = 20,
    ) -> NeedMatches:
        """Other units' offers that could meet the need, ranked (a coordinator, or the needing unit)."""
        config: MatchConfig = request.app.state.settings.matching
        position = await resolve_as_of(request.app.state.store, as_of)
        pool = await read_pool(request, position)
        need, board = await read_need_board(
            pool, need_id, position, config, keep=limit, now=request.app.state.registry.clock()
        )
        request.user.require_unit(need.unit_id)
        return need_matches(need, board, config.weights, limit)

    @post(
        "/needs/{need_id:uuid}/people-served-limit",
        operation_id="setNeedPeopleLimit",
        guards=[COORDINATOR],
        status_code=200,
        responses=one(NeedView),
        **described(
            "Bound the people served for a need",
            COORDINATOR,
            changes=(
                "Records `need_people_limit_set`: the most people one commitment to the need may report "
                "serving (null: 100 per unit of its quantity)."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                404: "no need with that id",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def set_people_limit(
        self,
        request: Request[Actor, Any, Any],
        need_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[PeopleLimitIn, examples.PEOPLE_LIMIT]],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Bound the people one commitment to the need may report serving (null: 100 per unit of
        the need's quantity). Any state of the need: the bound holds for corrections too."""
        data = await decode_body(request, PeopleLimitIn)
        cmd = SetNeedPeopleLimit(need_id=need_id, people_served_limit=data.people_served_limit)
        return await apply_change(
            request, commands.set_need_people_limit, cmd, "needs", if_match, idempotency_key
        )

    @post(
        "/needs/{need_id:uuid}/close",
        operation_id="closeNeed",
        guards=[COORDINATOR_OR_LIAISON],
        status_code=200,
        responses=one(NeedView),
        **described(
            "Close a need",
            COORDINATOR_OR_LIAISON,
            changes="Records `need_closed`: the need takes no new commitments.",
            errors={
                403: "a liaison of another unit",
                404: "no need with that id",
                409: "the need is closed or cancelled already",
                412: "If-Match names a version the entity no longer has",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit's needs",
        ),
    )
    async def close(
        self,
        request: Request[Actor, Any, Any],
        need_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Close a need (it was met, or is no longer pursued)."""
        return await apply_change(
            request, commands.change_need, CloseNeed(need_id=need_id), "needs", if_match, idempotency_key
        )

    @post(
        "/needs/{need_id:uuid}/cancel",
        operation_id="cancelNeed",
        guards=[COORDINATOR_OR_LIAISON],
        status_code=200,
        responses=one(NeedView),
        **described(
            "Cancel a need",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `need_cancelled` (with the optional `reason`); its open commitments are released."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no need with that id",
                409: "the need is closed or cancelled already",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit's needs",
        ),
    )
    async def cancel(
        self,
        request: Request[Actor, Any, Any],
        need_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[ReasonIn | None, examples.REASON]] = None,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Cancel a need."""
        data = await decode_optional_body(request, ReasonIn)
        cmd = CancelNeed(need_id=need_id, reason=data.reason if data else None)
        return await apply_change(request, commitments.cancel_need, cmd, "needs", if_match, idempotency_key)
