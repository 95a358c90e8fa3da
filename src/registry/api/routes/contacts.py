"""Contacts: the people at a unit, whose names and phones are erasable (PIPL)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import MediaType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, SkipValidation

from registry.api import examples
from registry.api.docs import described
from registry.api.params import PROBLEMS, IdempotencyKey, one
from registry.api.request_checks import check_request
from registry.domain.errors import NotFound
from registry.edge.auth import COORDINATOR, COORDINATOR_OR_LIAISON
from registry.edge.body import decode_body
from registry.edge.http import command
from registry.edge.requests import ContactIn
from registry.service import contacts
from registry.service.aggregates import UNITS
from registry.service.contacts import Contact
from registry.service.context import Actor
from registry.service.execute import Registry, Written


async def _answer(registry: Registry, written: Written[Any], status_code: int) -> Response[bytes]:
    found = next(
        c for c in await contacts.contacts_of(registry.store.pool, written.state) if c.id == written.entity_id
    )
    headers = {"X-Log-Position": str(written.position)} if written.position is not None else {}
    return Response(
        msgspec.json.encode(found), status_code=status_code, media_type=MediaType.JSON, headers=headers
    )


class ContactController(Controller):
    path = "/api/v1"
    tags = ["contacts"]
    before_request = staticmethod(check_request)

    @post(
        "/units/{unit_id:uuid}/contacts",
        operation_id="addContact",
        guards=[COORDINATOR_OR_LIAISON],
        responses=one(Contact, 201),
        **described(
            "Add a contact",
            COORDINATOR_OR_LIAISON,
            changes="Records `contact_added`: a person to reach at the unit (name and phone, erasable).",
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                403: "a liaison of another unit",
                404: "no unit with that id",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
            who="a liaison only for its own unit",
        ),
    )
    async def add(
        self,
        request: Request[Actor, Any, Any],
        unit_id: FromPath[uuid.UUID],
        data: SkipValidation[Annotated[ContactIn, examples.CONTACT]],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Add a person to reach at the unit (its liaison, or a coordinator)."""
        data = await decode_body(request, ContactIn)
        data.check()
        # The name and phone stay out of the retry's fingerprint (kept for good, and a phone
        # number's hash is easily reversed): a retry with another name replays the first.
        ctx = await command(
            request, idempotency_key=idempotency_key, fingerprinted=(data.title or "").encode()
        )
        registry = request.app.state.registry
        written = await contacts.add_contact(registry, ctx, unit_id, data.name, data.phone, data.title)
        return await _answer(registry, written, 201)

    @get(
        "/units/{unit_id:uuid}/contacts",
        operation_id="listContacts",
        guards=[COORDINATOR_OR_LIAISON],
        responses={200: ResponseSpec(data_container=list[Contact], description="The contacts"), **PROBLEMS},
        **described(
            "List a unit's contacts",
            COORDINATOR_OR_LIAISON,
            changes="Nothing: a read of the unit's contacts with their names and phones.",
            errors={403: "a liaison of another unit", 404: "no unit with that id"},
            who="a liaison only for its own unit",
        ),
    )
    async def roster(self, request: Request[Actor, Any, Any], unit_id: FromPath[uuid.UUID]) -> list[Contact]:
        """A unit's contacts with their names and phones (a coordinator, or the unit's liaison)."""
        request.user.require_unit(unit_id)
        registry: Registry = request.app.state.registry
        state, _ = await registry.load(UNITS, unit_id)
        if state is None:
            raise NotFound("unit", unit_id)
        return await contacts.contacts_of(registry.store.pool, state)

    @post(
        "/contacts/{contact_id:uuid}/erase",
        operation_id="eraseContact",
        guards=[COORDINATOR],
        status_code=200,
        responses=one(Contact),
        **described(
            "Erase a contact",
            COORDINATOR,
            changes=(
                "Records `contact_erased`: the person's name and phone are erased for good; the log keeps "
                "only that it was done."
            ),
            errors={
                404: "no contact with that id",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def erase(
        self,
        request: Request[Actor, Any, Any],
        contact_id: FromPath[uuid.UUID],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        """Erase a person's name and phone for good; the log keeps only that it was done."""
        ctx = await command(request, idempotency_key=idempotency_key)
        registry = request.app.state.registry
        return await _answer(registry, await contacts.erase_contact(registry, ctx, contact_id), 200)
