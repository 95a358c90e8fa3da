"""Bearer tokens: looked up by hash, compared in constant time, checked on every request.

Nothing is cached, so a revocation holds from the very next request. Failed attempts are
counted per client address, and a client that fails too often is refused for a while (429,
see registry.api.throttle) before its token is even looked up.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from events.sql import query
from registry.api.throttle import AuthThrottle, client_key
from registry.domain.errors import Unauthenticated
from registry.domain.values import Role
from registry.service.commands import hash_secret
from registry.service.context import Actor
from registry.settings import Settings

PUBLIC_PATHS = ["^/health$", "^/ready$", "^/metrics$", "^/schema"]


def auth_throttle(settings: Settings) -> AuthThrottle:
    """The failed-authentication counter of this process (kept in the app's state)."""
    return AuthThrottle(settings.auth_failure_limit, settings.auth_failure_window_seconds)


class BearerTokenAuth(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        throttle: AuthThrottle = connection.app.state.auth_throttle
        client = client_key(connection.scope)
        throttle.check(client)
        header = connection.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            # No guess was made: a client that sent no token is told so, and not counted.
            raise Unauthenticated("an Authorization: Bearer <token> header is required")
        secret_hash = hash_secret(secret.strip())
        row = await connection.app.state.store.pool.fetchrow(query("registry/token-by-secret"), secret_hash)
        if row is None or row["revoked"] or not hmac.compare_digest(row["secret_hash"], secret_hash):
            throttle.failed(client)
            raise Unauthenticated("the token is unknown or revoked")
        actor = Actor(subject=f"token:{row['id']}", role=Role(row["role"]), unit_id=row["unit_id"])
        return AuthenticationResult(user=actor, auth=row["id"])


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def allow(*roles: Role) -> Guard:
    """A guard that lets only these roles through (403 for the others)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor: Actor = connection.user
        actor.require(*roles)  # the service's own check and wording ("an auditor may not …")

    return guard


COORDINATOR = allow(Role.COORDINATOR)
COORDINATOR_OR_LIAISON = allow(Role.COORDINATOR, Role.LIAISON)
