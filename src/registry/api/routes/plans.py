"""Activity plans and their slots."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.enums import MediaType
from litestar.params import FromPath, QueryParameter, SkipValidation

from registry.api import examples
from registry.api.docs import described
from registry.api.params import (
    PROBLEMS,
    AreaParam,
    AsOf,
    CandidateLimit,
    CursorParam,
    IdempotencyKey,
    IfMatch,
    Limit,
    Text,
    one,
    page_of,
)
from registry.api.request_checks import check_request
from registry.domain.errors import NotFound
from registry.domain.plan import (
    AddSlot,
    CancelPlan,
    CompletePlan,
    DraftPlan,
    PublishPlan,
    RemoveSlot,
    SetSlotPeopleLimit,
)
from registry.edge.auth import COORDINATOR, READ_BY_ID, ReadById
from registry.edge.body import decode_body, decode_optional_body
from registry.edge.http import (
    apply_change,
    command,
    list_page,
    read_doc,
    read_pool,
    resolve_as_of,
    written_response,
)
from registry.edge.requests import (
    END,
    AllocateIn,
    CompleteIn,
    PeopleLimitIn,
    PlanIn,
    ReasonIn,
    SlotIn,
    SlotPatch,
)
from registry.matching.board import PlanMatches, plan_matches
from registry.matching.config import MatchConfig
from registry.read.board import read_plan_board
from registry.read.queries import PlanFilter, get_doc, list_plans
from registry.read.reports import PlanReport, plan_report
from registry.read.views import PlanView, SlotView
from registry.service import allocations, commands, commitments
from registry.service.allocations import AllocationOut
from registry.service.context import Actor
from registry.service.execute import Written

PlanStatus = Annotated[
    str | None, QueryParameter(pattern=rf"^(draft|published|staffed|completed|cancelled){END}")
]
_plan_doc = msgspec.json.Decoder(PlanView)


class PlanController(Controller):
    path = "/api/v1/plans"
    tags = ["plans"]
    before_request = staticmethod(check_request)

    @post(
        "/",
        operation_id="draftPlan",
        guards=[COORDINATOR],
        responses=one(PlanView, 201),
        **described(
            "Draft an activity plan",
            COORDINATOR,
            changes="Records `plan_drafted`: a new plan in `draft`.",
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                409: "the plan's id is taken",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def draft(
        self,
        request: Request[Actor, Any, Any],
        data: SkipValidation[Annotated[PlanIn, examples.PLAN]],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Draft an activity plan (coordinator)."""
        data = await decode_body(request, PlanIn)
        data.check()
        ctx = await command(request, idempotency_key=idempotency_key)
        cmd = DraftPlan(plan_id=ctx.new_id(), **msgspec.structs.asdict(data))
        written = await commands.change_plan(request.app.state.registry, ctx, cmd, creates=True)
        return await written_response(request.app.state.registry, "plans", written, 201)

    @post(
        "/{plan_id:uuid}/slots",
        operation_id="addSlot",
        guards=[COORDINATOR],
        responses=one(SlotView, 201),
        **described(
            "Add a slot to a plan",
            COORDINATOR,
            changes=(
                "Records `slot_added`: a slot (a booth or post) of a category, quantity and window within "
                "the plan's."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                404: "no plan with that id",
                409: "the plan is completed or cancelled, or the slot's window is not within the plan's",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def add_slot(
        self,
        request: Request[Actor, Any, Any],
        plan_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[SlotIn, examples.SLOT]],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Add a slot (a booth or post) to a draft or published plan."""
        data = await decode_body(request, SlotIn)
        data.check()
        ctx = await command(request, if_match=if_match, idempotency_key=idempotency_key)
        slot_id = ctx.new_id()
        cmd = AddSlot(plan_id=plan_id, slot_id=slot_id, **msgspec.structs.asdict(data))
        written = await commands.change_plan(request.app.state.registry, ctx, cmd)
        return await _slot_response(request, plan_id, slot_id, written, 201)

    @patch(
        "/{plan_id:uuid}/slots/{slot_id:uuid}",
        operation_id="reviseSlot",
        guards=[COORDINATOR],
        responses=one(SlotView),
        **described(
            "Revise a slot",
            COORDINATOR,
            changes=(
                "Records `slot_revised`: the fields given anew, the others kept. Once commitments name the "
                "slot, only its quantity (not below what they cover) and notes may change."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                404: "no plan or slot with that id",
                409: (
                    "the plan is completed or cancelled, the slot's window is not within the plan's, or "
                    "commitments name the slot and the change is to its category, measure or window, or "
                    "its quantity below what they cover"
                ),
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
            },
        ),
    )
    async def revise_slot(
        self,
        request: Request[Actor, Any, Any],
        plan_id: FromPath[uuid.UUID],
        slot_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[SlotPatch, examples.SLOT_PATCH]],
        if_match: IfMatch = None,
    ) -> Response[bytes]:
        """Revise a slot of a draft or published plan: the fields given, the others kept."""
        data = await decode_body(request, SlotPatch)
        data.check()
        ctx = await command(request, if_match=if_match)
        written = await commands.change_plan(
            request.app.state.registry, ctx, data.to_command(plan_id, slot_id)
        )
        return await _slot_response(request, plan_id, slot_id, written, 200)

    @delete(
        "/{plan_id:uuid}/slots/{slot_id:uuid}",
        operation_id="removeSlot",
        guards=[COORDINATOR],
        status_code=204,
        responses=PROBLEMS,
        **described(
            "Remove a slot",
            COORDINATOR,
            changes=(
                "Records `slot_removed`: the slot is gone from the plan. Only a slot no commitment ever "
                "named (for one that has any, lower its quantity instead)."
            ),
            errors={
                404: "no plan or slot with that id",
                409: "the plan is completed or cancelled, or commitments name the slot",
                412: "If-Match names a version the entity no longer has",
            },
        ),
    )
    async def remove_slot(
        self,
        request: Request[Actor, Any, Any],
        plan_id: FromPath[uuid.UUID],
        slot_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
    ) -> Response[None]:
        """Remove a slot no commitment ever named; the plan's new version is in the ETag."""
        ctx = await command(request, if_match=if_match)
        cmd = RemoveSlot(plan_id=plan_id, slot_id=slot_id)
        written = await commands.change_plan(request.app.state.registry, ctx, cmd)
        headers = {"X-Log-Position": str(written.position), "ETag": f'"{written.version}"'}
        return Response(None, status_code=204, headers=headers)

    @post(
        "/{plan_id:uuid}/slots/{slot_id:uuid}/people-served-limit",
        operation_id="setSlotPeopleLimit",
        guards=[COORDINATOR],
        status_code=200,
        responses=one(PlanView),
        **described(
            "Bound the people served for a slot",
            COORDINATOR,
            changes=(
                "Records `slot_people_limit_set`: the most people one commitment to the slot may report "
                "serving (null: the plan's expected attendance, else 100 per unit of the slot's quantity)."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                404: "no plan or slot with that id",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def set_people_limit(
        self,
        request: Request[Actor, Any, Any],
        plan_id: FromPath[uuid.UUID],
        slot_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[PeopleLimitIn, examples.PEOPLE_LIMIT]],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Bound the people one commitment to the slot may report serving (null: the plan's
        expected attendance, else 100 per unit of the slot's quantity). Any state of the plan:
        the bound holds for corrections too."""
        data = await decode_body(request, PeopleLimitIn)
        cmd = SetSlotPeopleLimit(
            plan_id=plan_id, slot_id=slot_id, people_served_limit=data.people_served_limit
        )
        return await apply_change(request, commands.change_plan, cmd, "plans", if_match, idempotency_key)

    @post(
        "/{plan_id:uuid}/publish",
        operation_id="publishPlan",
        guards=[COORDINATOR],
        status_code=200,
        responses=one(PlanView),
        **described(
            "Publish a plan",
            COORDINATOR,
            changes="Records `plan_published`: its slots are open for claims and matching.",
            errors={
                404: "no plan with that id",
                409: "the plan is not a draft",
                412: "If-Match names a version the entity no longer has",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def publish(
        self,
        request: Request[Actor, Any, Any],
        plan_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Publish a draft plan: its slots become open for claiming and matching."""
        return await apply_change(
            request, commands.change_plan, PublishPlan(plan_id=plan_id), "plans", if_match, idempotency_key
        )

    @post(
        "/{plan_id:uuid}/cancel",
        operation_id="cancelPlan",
        guards=[COORDINATOR],
        status_code=200,
        responses=one(PlanView),
        **described(
            "Cancel a plan",
            COORDINATOR,
            changes=(
                "Records `plan_cancelled` (with the optional `reason`); its open commitments are released."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                404: "no plan with that id",
                409: "the plan is completed or cancelled already",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def cancel(
        self,
        request: Request[Actor, Any, Any],
        plan_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[ReasonIn | None, examples.REASON]] = None,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Cancel a plan."""
        data = await decode_optional_body(request, ReasonIn)
        cmd = CancelPlan(plan_id=plan_id, reason=data.reason if data else None)
        return await apply_change(request, commitments.cancel_plan, cmd, "plans", if_match, idempotency_key)

    @get(
        "/{plan_id:uuid}/matches",
        operation_id="planMatches",
        guards=[COORDINATOR],
        responses=one(PlanMatches),
        **described(
            "Offers that could fill a plan's slots",
            COORDINATOR,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Per slot, the offers "
                "that pass every hard filter, ranked, each score with its factors."
            ),
            errors={
                400: "`as_of` is not a log position or time, or lies beyond the log's head",
                404: "no plan with that id",
            },
        ),
    )
    async def matches(
        self,
        request: Request[Actor, Any, Any],
        plan_id: FromPath[uuid.UUID],
        as_of: AsOf = None,
        limit: CandidateLimit = 20,
    ) -> PlanMatches:
        """Per slot, the offers that pass every hard filter, ranked, each score with its factors."""
        config: MatchConfig = request.app.state.settings.matching
        position = await resolve_as_of(request.app.state.store, as_of)
        pool = await read_pool(request, position)
        plan, board = await read_plan_board(
            pool, plan_id, position, config, keep=limit, now=request.app.state.registry.clock()
        )
        return plan_matches(plan, board, config.weights, limit)

    @post(
        "/{plan_id:uuid}/allocate",
        operation_id="allocatePlan",
        guards=[COORDINATOR],
        status_code=200,
        responses=one(AllocationOut, description="The solver's allocation"),
        **described(
            "Allocate a plan's slots",
            COORDINATOR,
            changes=(
                "A dry run (the default) changes nothing and shows the solver's assignments; `dry_run: "
                "false` records `plan_allocated` and dispatches each assignment (`commitment_proposed`)."
            ),
            errors={
                400: (
                    "the body or a parameter breaks a rule; `errors` names each field (weights only on a dry"
                    " run; `as_of` only on a dry run)"
                ),
                404: "no plan with that id",
                409: (
                    "the plan is completed or cancelled, or the registry kept changing while it was allocated"
                ),
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def allocate(
        self,
        request: Request[Actor, Any, Any],
        plan_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[AllocateIn | None, examples.ALLOCATE]] = None,
        as_of: AsOf = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Allocate every slot at once with OR-Tools; `dry_run: false` dispatches the assignments.

        A dry run may be computed `as_of` a past position: given the `log_position` and weights an
        allocation recorded, it gives the same assignments again.
        """
        data = await decode_optional_body(request, AllocateIn) or AllocateIn()
        data.check()
        position = await resolve_as_of(request.app.state.store, as_of)
        allocations.check_recompute(data.dry_run, position)
        config: MatchConfig = request.app.state.settings.matching
        registry = request.app.state.registry
        if data.dry_run:
            if data.weights is not None:
                config = msgspec.structs.replace(config, weights=data.weights)
            preview = await allocations.preview(registry, plan_id, position, config)
            return Response(msgspec.json.encode(preview), media_type=MediaType.JSON)
        ctx = await command(request, idempotency_key=idempotency_key)
        out, written_at = await allocations.dispatch(registry, ctx, plan_id, config)
        headers = {"X-Log-Position": str(written_at)} if written_at is not None else {}
        return Response(msgspec.json.encode(out), media_type=MediaType.JSON, headers=headers)

    @post(
        "/{plan_id:uuid}/complete",
        operation_id="completePlan",
        guards=[COORDINATOR],
        status_code=200,
        responses=one(PlanView),
        **described(
            "Complete a plan",
            COORDINATOR,
            changes=(
                "Records `plan_completed` with the outcome its fulfilled commitments add up to; with "
                "`release_open: true` its open commitments are released in the same append."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                404: "no plan with that id",
                409: (
                    "the plan is not published, or commitments are still open (named) without `release_open:"
                    " true`"
                ),
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def complete(
        self,
        request: Request[Actor, Any, Any],
        plan_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[CompleteIn | None, examples.COMPLETE]] = None,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Close a published plan with the outcome its fulfilled commitments add up to.

        409 naming them while commitments are proposed, claimed or confirmed, unless
        `release_open: true`, which releases them in the same append. A completed plan's
        commitments take no further step (409) but corrections, which its outcome follows.
        """
        data = await decode_optional_body(request, CompleteIn) or CompleteIn()
        cmd = CompletePlan(plan_id=plan_id, notes=data.notes, release_open=data.release_open)
        return await apply_change(request, commitments.complete_plan, cmd, "plans", if_match, idempotency_key)

    @get(
        "/{plan_id:uuid}/report",
        operation_id="planReport",
        responses=one(PlanReport),
        **described(
            "A plan's report",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Service items run, "
                "people served, units involved, per-slot lines, with the log's hash."
            ),
            errors={
                400: "`as_of` is not a log position or time, or lies beyond the log's head",
                404: "no plan with that id",
            },
        ),
    )
    async def report(
        self, request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], as_of: AsOf = None
    ) -> PlanReport:
        """Service items run, people served, units involved, per-slot lines, with the log's hash."""
        position = await resolve_as_of(request.app.state.store, as_of)
        return await plan_report(await read_pool(request, position), plan_id, position)

    @get(
        "/",
        operation_id="listPlans",
        responses=page_of(PlanView),
        **described(
            "List plans",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Plans in the order "
                "drafted, with their slots."
            ),
            errors={400: "a filter, `cursor`, `limit` or `as_of` is not valid"},
        ),
    )
    async def list(
        self,
        request: Request[Actor, Any, Any],
        status: PlanStatus = None,
        area: AreaParam = None,
        q: Text = None,
        as_of: AsOf = None,
        limit: Limit = 50,
        cursor: CursorParam = None,
    ) -> Response[bytes]:
        """Plans in the order drafted, with their slots."""
        where = PlanFilter(status=status, area=area, q=q)
        return await list_page(request, list_plans, where, as_of, cursor, limit)

    @get(
        "/{plan_id:uuid}",
        operation_id="getPlan",
        responses=one(PlanView),
        opt={READ_BY_ID: ReadById("plans", "plan_id")},
        **described(
            "Read a plan",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). With its slots and "
                "their committed and fulfilled quantities."
            ),
            errors={
                400: "`as_of` is not a log position or time, or lies beyond the log's head",
                404: "no plan with that id",
            },
        ),
    )
    async def read(
        self, request: Request[Actor, Any, Any], plan_id: FromPath[uuid.UUID], as_of: AsOf = None
    ) -> Response[bytes]:
        """One plan with its slots and their committed and fulfilled quantities."""
        return await read_doc(request, "plans", plan_id, as_of)


async def _slot_response(
    request: Request[Actor, Any, Any],
    plan_id: uuid.UUID,
    slot_id: uuid.UUID,
    written: Written[Any],
    status: int,
) -> Response[bytes]:
    """The slot as the plan's document holds it once written, with the plan's version as ETag."""
    doc = await get_doc(request.app.state.store.pool, "plans", plan_id, written.position)
    slot = next((s for s in _plan_doc.decode(doc.json).slots if s.id == slot_id), None) if doc else None
    if slot is None:
        raise NotFound("slot", slot_id)
    headers = {"X-Log-Position": str(written.position), "ETag": f'"{written.version}"'}
    return Response(msgspec.json.encode(slot), status_code=status, media_type=MediaType.JSON, headers=headers)
