"""The registry's errors. The domain raises these; one map in the API turns them into statuses."""

from __future__ import annotations

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""


class NotFound(RegistryError):
    def __init__(self, kind: str, entity_id: object) -> None:
        self.kind = kind
        super().__init__(f"no {kind} with id {entity_id}")


class Conflict(RegistryError):
    """A business rule refuses the command in the entity's current state."""


class Forbidden(RegistryError):
    """The actor may not do this (wrong role, or another unit's entity)."""


class Unauthenticated(RegistryError):
    """No valid token."""


class PreconditionFailed(RegistryError):
    """If-Match named a version the entity no longer has."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"If-Match expected version {expected}, the entity is at version {actual}")


class InvalidInput(RegistryError):
    """Input that parses but breaks a rule; names every offending field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
