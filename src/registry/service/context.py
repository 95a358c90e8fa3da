"""Who is acting, and the request's conditions: the context every command runs in."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from registry.domain.errors import Forbidden
from registry.domain.values import Role

# What "now" is for the rules that depend on it (a fulfilment not before its window): an aware
# datetime. The settings carry it, so tests move time instead of waiting for it.
Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


# Entity ids derived from idempotency keys live in this namespace.
_IDEMPOTENT_IDS = uuid.UUID("5b1c8c1e-3f4e-4d4a-9a53-2f6b0d1f7e01")


def _with_article(role: Role) -> str:
    """The role's name with its article as it is said: "an auditor", "a coordinator"."""
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """The authenticated caller: a token (or the CLI, with no token)."""

    subject: str
    role: Role
    unit_id: uuid.UUID | None = None

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = " or ".join(_with_article(role) for role in roles)
            raise Forbidden(f"{_with_article(self.role)} may not do this (only {allowed})")

    def require_unit(self, unit_id: uuid.UUID) -> None:
        """Coordinators act for every unit; a liaison only for its own; an auditor never."""
        if self.role == Role.COORDINATOR:
            return
        if self.role == Role.LIAISON and self.unit_id == unit_id:
            return
        if self.role == Role.LIAISON:
            raise Forbidden("a liaison acts only for its own unit, and this is another's")
        raise Forbidden(f"{_with_article(self.role)} may not act for a unit")


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """The conditions a write comes with."""

    actor: Actor
    request_id: str | None = None
    correlation_id: str | None = None
    if_match: int | None = None
    idempotency_key: str | None = None
    # What makes a retry "the same request": a hash of the HTTP method, path and body.
    fingerprint: bytes | None = None

    @property
    def scoped_key(self) -> str | None:
        """Idempotency keys are per caller: two tokens may use the same key independently."""
        if self.idempotency_key is None:
            return None
        return f"http:{self.actor.subject}:{self.idempotency_key}"

    def new_id(self) -> uuid.UUID:
        """A new entity's id: derived from the idempotency key, so a retry names the same entity."""
        key = self.scoped_key
        return uuid.uuid5(_IDEMPOTENT_IDS, key) if key is not None else uuid.uuid4()
