"""The values that cross the event store's boundary: what is appended, what is read back."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import msgspec


class StreamState(enum.Enum):
    """Expected versions that are conditions rather than numbers."""

    ANY = "any"
    NO_STREAM = "no_stream"
    STREAM_EXISTS = "stream_exists"


ANY = StreamState.ANY
NO_STREAM = StreamState.NO_STREAM
STREAM_EXISTS = StreamState.STREAM_EXISTS

ExpectedVersion: TypeAlias = int | StreamState


class Metadata(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Who did it and why: carried by every event, stored next to its payload."""

    actor: str | None = None
    role: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    request_id: str | None = None
    extra: dict[str, Any] = {}


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event to append. `data` is any msgspec-encodable value (a Struct or a dict)."""

    type: str
    data: Any
    metadata: Metadata | Mapping[str, Any] = Metadata()
    schema_version: int = 1
    # Given by a caller that wants retries recognised by event id; generated otherwise.
    id: uuid.UUID | None = None


class StreamAppend(msgspec.Struct, frozen=True):
    """One stream's share of an atomic multi-stream append."""

    stream_id: str
    events: Sequence[NewEvent]
    expected_version: ExpectedVersion = ANY


class AppendResult(msgspec.Struct, frozen=True):
    """Where an append landed: the log position of its last event and the stream's new version."""

    position: int
    version: int


_metadata_decoder = msgspec.json.Decoder(Metadata)


class RecordedEvent(msgspec.Struct, frozen=True):
    """An event as the log holds it. `data` is decoded (and upcast) by the store's codec.

    The metadata is kept as its stored JSON and decoded when asked for: a replay that never
    looks at it (most projections) does not pay for it.
    """

    position: int
    stream_id: str
    version: int
    type: str
    data: Any
    metadata_json: str
    recorded_at: datetime
    hash: bytes
    event_id: uuid.UUID
    schema_version: int

    @property
    def metadata(self) -> Metadata:
        return _metadata_decoder.decode(self.metadata_json)


class VerifyReport(msgspec.Struct, frozen=True):
    """The outcome of recomputing the hash chain."""

    ok: bool
    checked: int
    head_position: int
    head_hash: str
    first_bad_position: int | None = None
    reason: str | None = None
