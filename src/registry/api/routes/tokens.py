"""Tokens: issue and revoke."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, post
from litestar.params import FromPath, SkipValidation

from registry.api import examples
from registry.api.docs import described
from registry.api.params import PROBLEMS, IdempotencyKey, one
from registry.api.request_checks import check_request
from registry.edge.auth import COORDINATOR
from registry.edge.body import decode_body
from registry.edge.http import command
from registry.edge.requests import TokenIn, TokenOut
from registry.service import commands
from registry.service.context import Actor


class TokenController(Controller):
    path = "/api/v1/tokens"
    tags = ["tokens"]
    before_request = staticmethod(check_request)

    @post(
        "/",
        operation_id="issueToken",
        guards=[COORDINATOR],
        responses=one(TokenOut, 201, "The new token"),
        **described(
            "Issue a token",
            COORDINATOR,
            changes=(
                "Records `token_issued`: a new token for a role (a liaison's bound to its unit); its secret "
                "is in this response only."
            ),
            errors={
                400: "the body or a parameter breaks a rule; `errors` names each field",
                404: "no unit with that id",
                413: "the body is larger than 1 MiB",
                422: "this Idempotency-Key was used with a different request",
            },
        ),
    )
    async def issue(
        self,
        request: Request[Actor, Any, Any],
        data: SkipValidation[Annotated[TokenIn, examples.TOKEN]],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[TokenOut]:
        """Issue a token; its secret is in this response only (a retried request gets `token: null`)."""
        data = await decode_body(request, TokenIn)
        data.check()
        ctx = await command(request, idempotency_key=idempotency_key)
        written, secret = await commands.issue_token(
            request.app.state.registry, ctx, data.role, data.unit_id, data.label
        )
        replayed = written.position is not None and written.state.secret_hash != commands.hash_secret(secret)
        body = TokenOut(
            id=written.entity_id,
            token=None if replayed else secret,
            role=written.state.role,
            unit_id=written.state.unit_id,
            label=written.state.label,
        )
        return Response(body, status_code=201, headers={"X-Log-Position": str(written.position)})

    @delete(
        "/{token_id:uuid}",
        operation_id="revokeToken",
        guards=[COORDINATOR],
        status_code=204,
        responses=PROBLEMS,
        **described(
            "Revoke a token",
            COORDINATOR,
            changes="Records `token_revoked`: from the next request on, the token gets 401.",
            errors={404: "no token with that id", 409: "the token is revoked already"},
        ),
    )
    async def revoke(
        self, request: Request[Actor, Any, Any], token_id: FromPath[uuid.UUID]
    ) -> Response[None]:
        """Revoke a token: from the next request on, it gets 401."""
        ctx = await command(request)
        written = await commands.revoke_token(request.app.state.registry, ctx, token_id)
        position = (
            written.position if written.position is not None else (await request.app.state.store.head())[0]
        )
        return Response(None, status_code=204, headers={"X-Log-Position": str(position)})
