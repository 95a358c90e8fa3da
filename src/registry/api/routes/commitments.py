"""Commitments (认领 / 派单): dispatch or claim, confirm, decline, release, fulfil, no-show, and
the correction of a fulfilment (the centre corrects; the unit may request it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, SkipValidation

from registry.api import examples
from registry.api.docs import described
from registry.api.params import AsOf, CursorParam, IdempotencyKey, IfMatch, Limit, one, page_of
from registry.api.request_checks import check_request
from registry.domain.values import Role
from registry.edge.auth import COORDINATOR, COORDINATOR_OR_LIAISON, READ_BY_ID, ReadById, allow
from registry.edge.body import decode_body, decode_optional_body
from registry.edge.http import command, list_page, read_doc, written_response
from registry.edge.requests import (
    END,
    CommitmentIn,
    CorrectionIn,
    CorrectionRequestIn,
    FulfilmentIn,
    ReasonIn,
)
from registry.read.queries import CommitmentFilter, Page, list_commitments
from registry.read.views import CommitmentView, commitment_seen_by
from registry.service import commitments
from registry.service.commitments import MakeCommitment, Step
from registry.service.context import Actor

LIAISON = allow(Role.LIAISON)

CommitmentStatusParam = Annotated[
    str | None,
    QueryParameter(pattern=rf"^(proposed|claimed|confirmed|fulfilled|declined|released|no_show){END}"),
]
STEP_RESPONSES = one(CommitmentView)


async def _step(
    request: Request[Actor, Any, Any],
    commitment_id: uuid.UUID,
    decide: Step,
    if_match: str | None,
    idempotency_key: str | None,
) -> Response[bytes]:
    ctx = await command(request, if_match=if_match, idempotency_key=idempotency_key)
    written = await commitments.step(request.app.state.registry, ctx, commitment_id, decide)
    return await written_response(request.app.state.registry, "commitments", written)


async def _reasoned(
    request: Request[Actor, Any, Any],
    commitment_id: uuid.UUID,
    step_for: Callable[[str | None], Step],
    if_match: str | None,
    idempotency_key: str | None,
) -> Response[bytes]:
    """A step that takes an optional `{reason}` body."""
    data = await decode_optional_body(request, ReasonIn)
    decide = step_for(data.reason if data else None)
    return await _step(request, commitment_id, decide, if_match, idempotency_key)


class CommitmentController(Controller):
    path = "/api/v1/commitments"
    tags = ["commitments"]
    before_request = staticmethod(check_request)

    @post(
        "/",
        operation_id="makeCommitment",
        guards=[COORDINATOR_OR_LIAISON],
        responses=one(CommitmentView, 201),
        **described(
            "Dispatch or claim a commitment",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `commitment_proposed` (a coordinator dispatches) or `commitment_claimed` (the "
                "offer's unit's liaison claims), with `capacity_held` on the offer and `demand_covered` on "
                "the slot or need."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison claiming with another unit's offer",
                404: "no offer, plan, slot or need with that id",
                409: (
                    "the offer cannot fit: not active, another category or measure, not available for the "
                    "window, too little capacity left, or the slot or need is closed or covered"
                ),
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only with its own unit's offers",
        ),
    )
    async def make(
        self,
        request: Request[Actor, Any, Any],
        data: SkipValidation[Annotated[CommitmentIn, examples.COMMITMENT]],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Dispatch (a coordinator: `proposed`) or claim (the offer's unit's liaison: `claimed`).

        409 when the quantity is more than the offer has left in the window, or more than the
        slot or need still lacks, or the offer does not fit (category, time, place, status).
        """
        data = await decode_body(request, CommitmentIn)
        data.check()
        ctx = await command(request, idempotency_key=idempotency_key)
        cmd = MakeCommitment(
            commitment_id=ctx.new_id(), offer_id=data.offer_id, quantity=data.quantity,
            plan_id=data.plan_id, slot_id=data.slot_id, need_id=data.need_id,
        )  # fmt: skip
        written = await commitments.make_commitment(request.app.state.registry, ctx, cmd)
        return await written_response(request.app.state.registry, "commitments", written, 201)

    @post(
        "/{commitment_id:uuid}/confirm",
        operation_id="confirmCommitment",
        guards=[COORDINATOR_OR_LIAISON],
        status_code=200,
        responses=STEP_RESPONSES,
        **described(
            "Confirm a commitment",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `commitment_confirmed`: the other side accepts (the unit's liaison a dispatch, a "
                "coordinator a claim)."
            ),
            errors={
                403: "the side that made it, or a liaison of another unit",
                404: "no commitment with that id",
                409: "the commitment is not proposed or claimed, or its plan is closed",
                412: "If-Match names a version the entity no longer has",
                422: "this Idempotency-Key was used with a different request",
            },
            who="the liaison of the offering unit for a dispatch, a coordinator for a claim",
        ),
    )
    async def confirm(
        self,
        request: Request[Actor, Any, Any],
        commitment_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """The other side accepts: the unit's liaison a dispatch, a coordinator a claim."""
        return await _step(request, commitment_id, commitments.confirm, if_match, idempotency_key)

    @post(
        "/{commitment_id:uuid}/decline",
        operation_id="declineCommitment",
        guards=[COORDINATOR_OR_LIAISON],
        status_code=200,
        responses=STEP_RESPONSES,
        **described(
            "Decline a commitment",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `commitment_declined` (with the optional `reason`); the capacity it held returns "
                "(`capacity_freed`)."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no commitment with that id",
                409: "the commitment is not proposed or claimed",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit's commitments",
        ),
    )
    async def decline(
        self,
        request: Request[Actor, Any, Any],
        commitment_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[ReasonIn | None, examples.REASON]] = None,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Either side turns a proposed or claimed commitment down; its capacity returns."""
        return await _reasoned(request, commitment_id, commitments.declining, if_match, idempotency_key)

    @post(
        "/{commitment_id:uuid}/release",
        operation_id="releaseCommitment",
        guards=[COORDINATOR_OR_LIAISON],
        status_code=200,
        responses=STEP_RESPONSES,
        **described(
            "Release a commitment",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `commitment_released` (with the optional `reason`); the capacity it held returns "
                "(`capacity_freed`)."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no commitment with that id",
                409: "the commitment can no longer be released",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit's commitments",
        ),
    )
    async def release(
        self,
        request: Request[Actor, Any, Any],
        commitment_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[ReasonIn | None, examples.REASON]] = None,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Either side lets an open commitment go; its capacity returns."""
        return await _reasoned(request, commitment_id, commitments.releasing, if_match, idempotency_key)

    @post(
        "/{commitment_id:uuid}/fulfil",
        operation_id="fulfilCommitment",
        guards=[COORDINATOR_OR_LIAISON],
        status_code=200,
        responses=STEP_RESPONSES,
        **described(
            "Record a fulfilment",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `commitment_fulfilled`: what a confirmed commitment delivered (people served, "
                "volunteer hours), from its window's start on."
            ),
            errors={
                400: (
                    "the body or a parameter breaks a rule; `errors` names each field (figures over their "
                    "bounds)"
                ),
                403: "a liaison of another unit",
                404: "no commitment with that id",
                409: "the commitment is not confirmed, or its window has not started",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit's commitments",
        ),
    )
    async def fulfil(
        self,
        request: Request[Actor, Any, Any],
        commitment_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[FulfilmentIn, examples.FULFILMENT]],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Record what a confirmed commitment delivered (晒单): people served, volunteer hours.

        409 before the commitment's window starts, or once its plan is completed or cancelled;
        400 naming the field and its bound when volunteer hours exceed quantity × window hours
        (hours-measured offers: the quantity) or people served exceed the slot's or need's bound.
        """
        data = await decode_body(request, FulfilmentIn)
        decide = commitments.fulfilling(data.people_served, data.volunteer_hours, data.notes)
        return await _step(request, commitment_id, decide, if_match, idempotency_key)

    @post(
        "/{commitment_id:uuid}/correct",
        operation_id="correctFulfilment",
        guards=[COORDINATOR],
        status_code=200,
        responses=STEP_RESPONSES,
        **described(
            "Correct a fulfilment",
            COORDINATOR,
            changes="Records `fulfilment_corrected`: the figures, with the reason; reports follow.",
            errors={
                400: (
                    "the body or a parameter breaks a rule; `errors` names each field (figures over their "
                    "bounds)"
                ),
                404: "no commitment with that id",
                409: "the commitment is not fulfilled",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def correct(
        self,
        request: Request[Actor, Any, Any],
        commitment_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[CorrectionIn, examples.CORRECTION]],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Correct a fulfilment's figures, with the reason (`fulfilment_corrected`); the figures
        replaced stay in `corrections`, and reports, ledgers and `as_of` follow. Same bounds as
        fulfilling (400); allowed once the plan is completed, whose outcome follows."""
        data = await decode_body(request, CorrectionIn)
        data.check()
        decide = commitments.correcting(data.people_served, data.volunteer_hours, data.reason)
        return await _step(request, commitment_id, decide, if_match, idempotency_key)

    @post(
        "/{commitment_id:uuid}/request-correction",
        operation_id="requestCorrection",
        guards=[LIAISON],
        status_code=200,
        responses=STEP_RESPONSES,
        **described(
            "Ask for a fulfilment's correction",
            LIAISON,
            changes=(
                "Records `fulfilment_correction_requested`: shown in the commitment's `correction_requests` "
                "for the centre to act on."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no commitment with that id",
                409: "the commitment is not fulfilled",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="only the liaison of the offering unit",
        ),
    )
    async def request_correction(
        self,
        request: Request[Actor, Any, Any],
        commitment_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[CorrectionRequestIn, examples.CORRECTION_REQUEST]],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """The offering unit's liaison asks the centre to correct a fulfilment
        (`fulfilment_correction_requested`): open in `correction_requests` until a correction,
        and in the log for coordinators (`GET /audit/events?type=fulfilment_correction_requested`)."""
        data = await decode_body(request, CorrectionRequestIn)
        data.check()
        decide = commitments.requesting_correction(data.reason, data.people_served, data.volunteer_hours)
        return await _step(request, commitment_id, decide, if_match, idempotency_key)

    @post(
        "/{commitment_id:uuid}/no-show",
        operation_id="markNoShow",
        guards=[COORDINATOR],
        status_code=200,
        responses=one(CommitmentView),
        **described(
            "Mark a no-show",
            COORDINATOR,
            changes=(
                "Records `commitment_no_show`: a confirmed commitment was not honoured (counts against the "
                "unit's reliability)."
            ),
            errors={
                404: "no commitment with that id",
                409: "the commitment is not confirmed",
                412: "If-Match names a version the entity no longer has",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def no_show(
        self,
        request: Request[Actor, Any, Any],
        commitment_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """A confirmed commitment was not honoured (counts against the unit's reliability)."""
        return await _step(request, commitment_id, commitments.no_show, if_match, idempotency_key)

    @get(
        "/",
        operation_id="listCommitments",
        responses=page_of(CommitmentView),
        **described(
            "List commitments",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Commitments in the "
                "order made; `unit_id` is the offering unit (a liaison's inbox); another unit's liaison sees"
                " them without notes and reason."
            ),
            errors={400: "a filter, `cursor`, `limit` or `as_of` is not valid"},
        ),
    )
    async def list(
        self,
        request: Request[Actor, Any, Any],
        unit_id: FromQuery[uuid.UUID | None] = None,
        offer_id: FromQuery[uuid.UUID | None] = None,
        plan_id: FromQuery[uuid.UUID | None] = None,
        need_id: FromQuery[uuid.UUID | None] = None,
        status: CommitmentStatusParam = None,
        as_of: AsOf = None,
        limit: Limit = 50,
        cursor: CursorParam = None,
    ) -> Response[bytes]:
        """Commitments in the order made; `unit_id` is the offering unit (a liaison's inbox)."""
        where = CommitmentFilter(
            unit_id=unit_id, offer_id=offer_id, plan_id=plan_id, need_id=need_id, status=status
        )
        actor: Actor = request.user

        async def seen(pool: Any, where: CommitmentFilter, position: int | None, after: int, n: int) -> Page:
            page = await list_commitments(pool, where, position, after, n)
            shown = _seen_by(actor)
            return page if shown is None else Page([shown(doc) for doc in page.docs], page.last)

        return await list_page(request, seen, where, as_of, cursor, limit)

    @get(
        "/{commitment_id:uuid}",
        operation_id="getCommitment",
        responses=one(CommitmentView),
        opt={READ_BY_ID: ReadById("commitments", "commitment_id")},
        **described(
            "Read a commitment",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Another unit's liaison"
                " sees it without its notes and reason."
            ),
            errors={
                400: "`as_of` is not a log position or time, or lies beyond the log's head",
                404: "no commitment with that id",
            },
        ),
    )
    async def read(
        self, request: Request[Actor, Any, Any], commitment_id: FromPath[uuid.UUID], as_of: AsOf = None
    ) -> Response[bytes]:
        """One commitment (another unit's liaison sees it without its notes and reason)."""
        return await read_doc(request, "commitments", commitment_id, as_of, seen=_seen_by(request.user))


def _seen_by(actor: Actor) -> Callable[[str], str] | None:
    if actor.role != Role.LIAISON or actor.unit_id is None:
        return None
    unit_id = actor.unit_id
    return lambda doc: commitment_seen_by(doc, unit_id)
