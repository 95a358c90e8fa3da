"""The event store's errors: every failure a caller may want to handle has its own type."""

from __future__ import annotations


class EventStoreError(Exception):
    """Base of every error the event store raises on purpose."""


class WrongExpectedVersion(EventStoreError):
    """An append's expected version did not match the stream's actual version."""

    def __init__(self, stream_id: str, expected: object, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"Wrong expected version: {expected} (stream: {stream_id}, stream version: {actual})"
        )


class IdempotencyKeyReused(EventStoreError):
    """An idempotency key came back with a different request than the one it first carried."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used for a different append")


class DuplicateEventId(EventStoreError):
    """Some, but not all, of an append's event ids are already in the log."""

    def __init__(self, event_ids: list[str]) -> None:
        self.event_ids = event_ids
        super().__init__(f"event ids already recorded by another append: {', '.join(event_ids)}")


class MigrationError(EventStoreError):
    """A migration could not be applied, or an applied one no longer matches its file."""


class ProjectionError(EventStoreError):
    """A projection could not be brought up to date."""


class ProjectionBehind(ProjectionError):
    """A read model has not applied a position yet: it failed on the way, or took too long.

    What was appended is in the log; only reading it back through the read model must wait.
    """

    def __init__(self, position: int, reason: str) -> None:
        self.position = position
        self.reason = reason
        super().__init__(f"the read model has not applied position {position} yet: {reason}")
