"""A generic, append-only, tamper-evident event store on PostgreSQL (asyncpg)."""

from events.codec import Codec, JsonCodec, TypedCodec, Upcasters
from events.errors import (
    DuplicateEventId,
    EventStoreError,
    IdempotencyKeyReused,
    MigrationError,
    ProjectionBehind,
    ProjectionError,
    WrongExpectedVersion,
)
from events.model import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    AppendResult,
    ExpectedVersion,
    Metadata,
    NewEvent,
    RecordedEvent,
    StreamAppend,
    StreamState,
    VerifyReport,
)
from events.store import EventStore

__all__ = [
    "ANY",
    "NO_STREAM",
    "STREAM_EXISTS",
    "AppendResult",
    "Codec",
    "DuplicateEventId",
    "EventStore",
    "EventStoreError",
    "ExpectedVersion",
    "IdempotencyKeyReused",
    "JsonCodec",
    "Metadata",
    "MigrationError",
    "NewEvent",
    "ProjectionBehind",
    "ProjectionError",
    "RecordedEvent",
    "StreamAppend",
    "StreamState",
    "TypedCodec",
    "Upcasters",
    "VerifyReport",
    "WrongExpectedVersion",
]
