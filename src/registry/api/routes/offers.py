"""The resource list: offers submitted by units."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, QueryParameter, SkipValidation

from registry.api import examples
from registry.api.docs import described
from registry.api.params import (
    AreaParam,
    AsOf,
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
from registry.domain.errors import InvalidInput
from registry.domain.offer import PauseOffer, ResumeOffer, WithdrawOffer
from registry.edge.auth import COORDINATOR_OR_LIAISON, READ_BY_ID, READS_CHECKPOINT, ReadById
from registry.edge.body import decode_body, decode_optional_body
from registry.edge.http import (
    CachedAs,
    apply_change,
    check_category,
    check_window,
    command,
    list_page,
    read_doc,
    resolve_as_of,
    written_response,
)
from registry.edge.requests import END, OfferIn, OfferPatch, ReasonIn, year_problems
from registry.read.asked import asked_time
from registry.read.queries import OfferFilter, list_offers, next_offer_expiry
from registry.read.views import OfferView, expired_offer_doc
from registry.service import commands, commitments
from registry.service.context import Actor

OfferStatus = Annotated[str | None, QueryParameter(pattern=rf"^(active|paused|withdrawn|expired){END}")]


def as_shown_at(response: Response[bytes], at: datetime) -> Response[bytes]:
    """The offer's document as the time asked shows it (`expired` once valid_until has passed)."""
    expired = expired_offer_doc(response.content, at)
    if expired is not None:
        response.content = expired.encode()
    return response


class OfferController(Controller):
    path = "/api/v1"
    tags = ["offers"]
    before_request = staticmethod(check_request)

    @post(
        "/units/{unit_id:uuid}/offers",
        operation_id="submitOffer",
        guards=[COORDINATOR_OR_LIAISON],
        responses=one(OfferView, 201),
        **described(
            "Submit an offer",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `offer_submitted`: a new active offer on the unit's resource list, its whole "
                "capacity remaining."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no unit with that id",
                409: "the offer's id is taken",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit",
        ),
    )
    async def submit(
        self,
        request: Request[Actor, Any, Any],
        unit_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[OfferIn, examples.OFFER]],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Submit an offer to a unit's resource list (its liaison, or a coordinator)."""
        data = await decode_body(request, OfferIn)
        data.check()
        ctx = await command(request, idempotency_key=idempotency_key)
        cmd = data.to_command(ctx.new_id(), unit_id)
        written = await commands.submit_offer(request.app.state.registry, ctx, cmd)
        response = await written_response(request.app.state.registry, "offers", written, 201)
        return as_shown_at(response, request.app.state.registry.clock())

    @get(
        "/offers",
        operation_id="listOffers",
        responses=page_of(OfferView),
        opt={READS_CHECKPOINT: True},
        **described(
            "List offers",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). Offers in submission "
                "order; `category` includes its descendants, `available_from`/`available_to` keep the offers"
                " available for that whole window, `status=expired` those past `valid_until`."
            ),
            errors={400: "a filter, `cursor`, `limit` or `as_of` is not valid"},
        ),
    )
    async def list(
        self,
        request: Request[Actor, Any, Any],
        category: CategoryParam = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
        status: OfferStatus = None,
        area: AreaParam = None,
        available_from: FromQuery[datetime | None] = None,
        available_to: FromQuery[datetime | None] = None,
        q: Text = None,
        as_of: AsOf = None,
        limit: Limit = 50,
        cursor: CursorParam = None,
    ) -> Response[bytes]:
        """Offers in submission order. `category` includes its descendants; `available_from` and
        `available_to` keep offers whose availability covers that whole window; `status=expired`
        the offers whose `valid_until` has passed at the time asked (now, or `as_of`'s)."""
        years = year_problems("available_from", available_from) + year_problems("available_to", available_to)
        if years:
            raise InvalidInput(years)
        check_window(available_from, available_to)
        check_category(category)
        now = request.app.state.registry.clock()
        where = OfferFilter(
            category=category,
            unit_id=unit_id,
            status=status,
            area=area,
            available_from=available_from,
            available_to=available_to,
            q=q,
            now=now,
        )
        # Cached by the filters alone: the time they ask about decides how long a page holds.
        cached = CachedAs(("offers", msgspec.structs.replace(where, now=None)), now, next_offer_expiry)
        return await list_page(request, list_offers, where, as_of, cursor, limit, cached)

    @get(
        "/offers/{offer_id:uuid}",
        operation_id="getOffer",
        responses=one(OfferView),
        opt={READ_BY_ID: ReadById("offers", "offer_id")},
        **described(
            "Read an offer",
            None,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). With what remains of "
                "its capacity; `status` is `expired` once `valid_until` has passed."
            ),
            errors={
                400: "`as_of` is not a log position or time, or lies beyond the log's head",
                404: "no offer with that id",
            },
        ),
    )
    async def read(
        self, request: Request[Actor, Any, Any], offer_id: FromPath[uuid.UUID], as_of: AsOf = None
    ) -> Response[bytes]:
        """One offer, with what remains of its capacity; `status` is `expired` once its
        `valid_until` has passed at the time asked (now, or `as_of`'s)."""
        response = await read_doc(request, "offers", offer_id, as_of)
        store = request.app.state.store
        position = await resolve_as_of(store, as_of)
        asked = await asked_time(store.pool, position, request.app.state.registry.clock())
        return as_shown_at(response, asked)

    @patch(
        "/offers/{offer_id:uuid}",
        operation_id="reviseOffer",
        guards=[COORDINATOR_OR_LIAISON],
        responses=one(OfferView),
        **described(
            "Revise an offer",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `offer_revised`: new fields of the offer; capacity held by commitments stays held."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no offer with that id",
                409: (
                    "the offer is withdrawn, or the new capacity is below what commitments hold, or its "
                    "measure changes while they hold it"
                ),
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
            },
            who="a liaison only for its own unit's offers",
        ),
    )
    async def revise(
        self,
        request: Request[Actor, Any, Any],
        offer_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[OfferPatch, examples.OFFER_PATCH]],
        if_match: IfMatch = None,
    ) -> Response[bytes]:
        """Revise an offer (the unit's liaison, or a coordinator)."""
        data = await decode_body(request, OfferPatch)
        data.check()
        cmd = data.to_command(offer_id)
        response = await apply_change(request, commands.change_offer, cmd, "offers", if_match)
        return as_shown_at(response, request.app.state.registry.clock())

    @post(
        "/offers/{offer_id:uuid}/withdraw",
        operation_id="withdrawOffer",
        guards=[COORDINATOR_OR_LIAISON],
        status_code=200,
        responses=one(OfferView),
        **described(
            "Withdraw an offer",
            COORDINATOR_OR_LIAISON,
            changes=(
                "Records `offer_withdrawn` (with the optional `reason`); its open commitments are released "
                "(`commitment_released`, `capacity_freed`)."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no offer with that id",
                409: "the offer is already withdrawn",
                412: "If-Match names a version the entity no longer has",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit's offers",
        ),
    )
    async def withdraw(
        self,
        request: Request[Actor, Any, Any],
        offer_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[ReasonIn | None, examples.REASON]] = None,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Withdraw an offer for good; its open commitments are released."""
        data = await decode_optional_body(request, ReasonIn)
        cmd = WithdrawOffer(offer_id=offer_id, reason=data.reason if data else None)
        return await apply_change(
            request, commitments.withdraw_offer, cmd, "offers", if_match, idempotency_key
        )

    @post(
        "/offers/{offer_id:uuid}/pause",
        operation_id="pauseOffer",
        guards=[COORDINATOR_OR_LIAISON],
        status_code=200,
        responses=one(OfferView),
        **described(
            "Pause an offer",
            COORDINATOR_OR_LIAISON,
            changes="Records `offer_paused`: the offer is not matched nor committed until resumed.",
            errors={
                403: "a liaison of another unit",
                404: "no offer with that id",
                409: "the offer is not active",
                412: "If-Match names a version the entity no longer has",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit's offers",
        ),
    )
    async def pause(
        self,
        request: Request[Actor, Any, Any],
        offer_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Pause an active offer: it is not matched until resumed."""
        response = await apply_change(
            request, commands.change_offer, PauseOffer(offer_id=offer_id), "offers", if_match, idempotency_key
        )
        return as_shown_at(response, request.app.state.registry.clock())

    @post(
        "/offers/{offer_id:uuid}/resume",
        operation_id="resumeOffer",
        guards=[COORDINATOR_OR_LIAISON],
        status_code=200,
        responses=one(OfferView),
        **described(
            "Resume an offer",
            COORDINATOR_OR_LIAISON,
            changes="Records `offer_resumed`: the offer is active again.",
            errors={
                403: "a liaison of another unit",
                404: "no offer with that id",
                409: "the offer is not paused",
                412: "If-Match names a version the entity no longer has",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit's offers",
        ),
    )
    async def resume(
        self,
        request: Request[Actor, Any, Any],
        offer_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Resume a paused offer."""
        response = await apply_change(
            request,
            commands.change_offer,
            ResumeOffer(offer_id=offer_id),
            "offers",
            if_match,
            idempotency_key,
        )
        return as_shown_at(response, request.app.state.registry.clock())
