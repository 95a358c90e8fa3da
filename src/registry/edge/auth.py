"""Bearer tokens: looked up by hash, compared in constant time, checked on every request.

Nothing is cached, so a revocation holds from the very next request. A GET by id (a route
with `opt={READ_BY_ID: ReadById(...)}`) checks the token in the statement that reads the
document: one round trip, not two. Failed attempts are counted per client address; an address
over its cap has its unknown tokens checked slowly and refused with 429 (registry.edge.throttle),
while a valid token is never refused.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable
from typing import Any, Literal

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from events.sql import query
from registry.domain.errors import Unauthenticated
from registry.domain.values import Role
from registry.edge.throttle import AuthThrottle, client_key
from registry.read.projection import READ_MODEL
from registry.read.queries import Doc, Table, get_doc_checking_token
from registry.service.commands import hash_secret
from registry.service.context import Actor
from registry.settings import Settings

# The longest log position `as_of` takes (the AsOf parameter's pattern).
MAX_AS_OF_DIGITS = 18
PUBLIC_PATHS = ["^/health$", "^/ready$", "^/metrics$", "^/schema"]


def auth_throttle(settings: Settings) -> AuthThrottle:
    """The failed-authentication counter of this process (kept in the app's state)."""
    return AuthThrottle(settings.auth_failure_limit, settings.auth_failure_window_seconds)


class ReadById(msgspec.Struct, frozen=True):
    """What a GET-by-id route reads (its `opt[READ_BY_ID]`): the table, and the path parameter
    that holds the id. Authentication reads the document in the statement that checks the token:
    one round trip instead of two, on the same current token row, so nothing is cached."""

    table: Table
    id_param: str


READ_BY_ID = "read_by_id"
# Where authentication leaves the document it read with the token, for the handler.
DOC_READ = "doc_read_with_token"
# A route marked `opt={READS_CHECKPOINT: True}` (a cached list) has the read model's checkpoint
# read in the token's statement and left in the request's state under this name.
READS_CHECKPOINT = "reads_checkpoint"
CHECKPOINT = "read_model_checkpoint"


class DocRead(msgspec.Struct, frozen=True):
    doc: Doc | None  # None: no such entity (then)
    head: int  # the log's head, read in the same statement (an `as_of` past it is refused)


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[Actor, uuid.UUID]:
    """The actor the request's bearer token stands for, and the token's id; Unauthenticated (or
    429 for an address over its cap) if there is none."""
    throttle: AuthThrottle = connection.app.state.auth_throttle
    client = client_key(connection.scope)
    header = connection.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        # No guess was made: a client that sent no token is told so, and not counted.
        raise Unauthenticated("an Authorization: Bearer <token> header is required")
    secret_hash = hash_secret(secret.strip())
    over_cap = throttle.retry_after(client) is not None
    if over_cap and not throttle.vouched(secret_hash):
        async with throttle.slowly(client):
            row = await _look_up(connection, secret_hash)
    else:
        row = await _look_up(connection, secret_hash)
    if row is None or row["revoked"] or not hmac.compare_digest(row["secret_hash"], secret_hash):
        throttle.failed(client)
        if over_cap:
            throttle.check(client)
        raise Unauthenticated("the token is unknown or revoked")
    throttle.vouch(secret_hash)
    actor = Actor(subject=f"token:{row['id']}", role=Role(row["role"]), unit_id=row["unit_id"])
    return actor, row["id"]


async def _look_up(connection: ASGIConnection[Any, Any, Any, Any], secret_hash: str) -> Any:
    """The token's current row; for a GET by id, with the document in the same statement, for a
    cached list with the read model's checkpoint."""
    pool = connection.app.state.store.pool
    opt = connection.route_handler.opt
    if opt.get(READS_CHECKPOINT):
        row = await pool.fetchrow(query("registry/token-by-secret-and-checkpoint"), secret_hash, READ_MODEL)
        if row is not None:
            connection.state[CHECKPOINT] = row["checkpoint"]
        return row
    read: ReadById | None = opt.get(READ_BY_ID)
    position = _as_of_position(connection.query_params.get("as_of"))
    if read is not None and position is not False:
        entity_id = connection.path_params[read.id_param]
        row = await get_doc_checking_token(pool, read.table, entity_id, position, secret_hash)
        if row is not None:
            doc = Doc(row["doc"], row["version"]) if row["doc"] is not None else None
            connection.state[DOC_READ] = DocRead(doc, row["head"])
        return row
    return await pool.fetchrow(query("registry/token-by-secret"), secret_hash)


def _as_of_position(as_of: str | None) -> int | None | Literal[False]:
    """`as_of` as the position a read by id takes (None: current); False when it is not one (a
    time needs a look-up first, and a bad value is the handler's to refuse, after this check)."""
    if as_of is None:
        return None
    if as_of.isascii() and as_of.isdigit() and len(as_of) <= MAX_AS_OF_DIGITS:
        return int(as_of)
    return False


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


class allow:  # lower case: used as a guard, like a function — `guards=[allow(Role.COORDINATOR)]`
    """A guard that lets only these roles through (403 for the others); `roles` says which, so a
    test can read every route's from the app (the pages' authorization matrix does)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = roles

    def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor: Actor = connection.user
        actor.require(*self.roles)  # the service's own check and wording ("an auditor may not …")


COORDINATOR = allow(Role.COORDINATOR)
COORDINATOR_OR_LIAISON = allow(Role.COORDINATOR, Role.LIAISON)
COORDINATOR_OR_AUDITOR = allow(Role.COORDINATOR, Role.AUDITOR)
EVERYONE = allow(Role.COORDINATOR, Role.LIAISON, Role.AUDITOR)
