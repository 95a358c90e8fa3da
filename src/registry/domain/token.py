"""Token: a bearer credential with a role (and, for a liaison, a unit). issued → revoked."""

from __future__ import annotations

import uuid

import msgspec

from registry.domain.errors import Conflict, FieldError, InvalidInput
from registry.domain.events import Event, TokenIssued, TokenRevoked
from registry.domain.values import Role


class Token(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    role: Role
    unit_id: uuid.UUID | None
    label: str | None
    secret_hash: str
    revoked: bool = False


class IssueToken(msgspec.Struct, frozen=True, kw_only=True):
    token_id: uuid.UUID
    role: Role
    unit_id: uuid.UUID | None = None
    label: str | None = None
    secret_hash: str


class RevokeToken(msgspec.Struct, frozen=True, kw_only=True):
    token_id: uuid.UUID


def decide(state: Token | None, command: IssueToken | RevokeToken) -> list[Event]:
    if isinstance(command, IssueToken):
        if state is not None:
            raise Conflict(f"token {command.token_id} already exists")
        if (command.role == Role.LIAISON) != (command.unit_id is not None):
            raise InvalidInput(
                [FieldError("unit_id", "a liaison token needs a unit_id; other roles have none")]
            )
        return [TokenIssued(**msgspec.structs.asdict(command))]
    if state is None:
        raise Conflict(f"token {command.token_id} does not exist")
    # Revoking twice changes nothing: DELETE is idempotent.
    return [] if state.revoked else [TokenRevoked(token_id=state.id)]


def evolve(state: Token | None, event: Event) -> Token | None:
    if isinstance(event, TokenIssued):
        fields = msgspec.structs.asdict(event)
        return Token(id=fields.pop("token_id"), **fields)
    if isinstance(event, TokenRevoked) and state is not None:
        return msgspec.structs.replace(state, revoked=True)
    return state
