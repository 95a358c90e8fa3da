"""Writing appends: many independent requests in one transaction, each succeeding or failing alone.

`write_batch` takes a connection in an open transaction; the caller owns that transaction (the
group-commit writer, or code that wants its own unit of work).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from events.chain import chain, record_bytes
from events.errors import (
    DuplicateEventId,
    EventStoreError,
    IdempotencyKeyReused,
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
    StreamAppend,
)
from events.sql import Connection, query

MAX_STREAM_ID = 200
_encoder = msgspec.json.Encoder()
_results_type = list[tuple[str, int, int]]
_results_decoder = msgspec.json.Decoder(_results_type)

Outcome = list[AppendResult] | EventStoreError


class IdempotentResult(msgspec.Struct, frozen=True):
    """An earlier append's fingerprint and, per stream, where it landed."""

    fingerprint: bytes
    streams: list[tuple[str, AppendResult]]


def decode_results(stored: str) -> list[tuple[str, AppendResult]]:
    return [(stream, AppendResult(p, v)) for stream, p, v in _results_decoder.decode(stored)]


class PreparedEvent(msgspec.Struct, frozen=True):
    event_id: uuid.UUID
    type: str
    schema_version: int
    data: str
    metadata: str


class PreparedStream(msgspec.Struct, frozen=True):
    stream_id: str
    expected_version: ExpectedVersion
    events: list[PreparedEvent]


class PreparedAppend(msgspec.Struct, frozen=True):
    """An append encoded ahead of time, so the log head is held only for the writing."""

    streams: list[PreparedStream]
    idempotency_key: str | None
    fingerprint: bytes
    ids_given: bool

    @property
    def event_count(self) -> int:
        return sum(len(s.events) for s in self.streams)

    @property
    def replay_key(self) -> str | None:
        """What recognises a retry: the idempotency key, else caller-given event ids."""
        if self.idempotency_key is not None:
            return self.idempotency_key
        if self.ids_given:
            return f"event-id:{self.streams[0].events[0].event_id}"
        return None


def prepare(
    appends: Sequence[StreamAppend], idempotency_key: str | None, fingerprint: bytes | None = None
) -> PreparedAppend:
    """Validate and encode an append; raises ValueError on input no append could accept.

    `fingerprint` names what makes a retry "the same request" when the caller knows better than
    the events do (an HTTP layer fingerprints the request it received); by default it is the
    streams, conditions, types and payloads.
    """
    if not appends:
        raise ValueError("an append needs at least one stream")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_STREAM_ID:
        raise ValueError("an idempotency key has 1 to 200 characters")
    _refuse_nul("an idempotency key", idempotency_key)
    seen: set[str] = set()
    streams: list[PreparedStream] = []
    ids_given = False
    for append in appends:
        _check_stream(append, seen)
        events = []
        for event in append.events:
            ids_given = ids_given or event.id is not None
            events.append(_prepare_event(event))
        streams.append(PreparedStream(append.stream_id, append.expected_version, events))
    # Only a retry can be compared with its first attempt: skip the hashing when none can happen.
    if fingerprint is None and (idempotency_key is not None or ids_given):
        fingerprint = _fingerprint(streams)
    return PreparedAppend(streams, idempotency_key, fingerprint or b"", ids_given)


def _check_stream(append: StreamAppend, seen: set[str]) -> None:
    if not 0 < len(append.stream_id) <= MAX_STREAM_ID:
        raise ValueError("a stream id has 1 to 200 characters")
    _refuse_nul("a stream id", append.stream_id)
    if append.stream_id in seen:
        raise ValueError(f"stream {append.stream_id!r} appears twice in one append")
    if not append.events:
        raise ValueError(f"no events to append to {append.stream_id!r}")
    expected = append.expected_version
    if isinstance(expected, int) and expected < 0:
        raise ValueError("an expected version is >= 0, ANY, NO_STREAM or STREAM_EXISTS")
    seen.add(append.stream_id)


def _prepare_event(event: NewEvent) -> PreparedEvent:
    if not event.type or len(event.type) > MAX_STREAM_ID:
        raise ValueError("an event type has 1 to 200 characters")
    if event.schema_version < 1:
        raise ValueError("a schema version is >= 1")
    _refuse_nul("an event type", event.type)
    metadata = event.metadata
    if not isinstance(metadata, Metadata):
        metadata = msgspec.convert(_as_dict(metadata), Metadata)
    _refuse_nul("the actor", metadata.actor)
    return PreparedEvent(
        event_id=event.id or uuid.uuid4(),
        type=event.type,
        schema_version=event.schema_version,
        data=_encoder.encode(event.data).decode(),
        metadata=_encoder.encode(metadata).decode(),
    )


def _refuse_nul(what: str, value: str | None) -> None:
    # PostgreSQL text cannot hold NUL: say so here rather than fail a whole batch in the database.
    if value is not None and "\x00" in value:
        raise ValueError(f"{what} must not contain a NUL character")


def _as_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(value)


def _fingerprint(streams: list[PreparedStream]) -> bytes:
    """What makes two appends the same request: streams, conditions, types and payloads."""
    shape = [
        (
            s.stream_id,
            str(s.expected_version),
            [(e.type, e.schema_version, e.data) for e in s.events],
        )
        for s in streams
    ]
    return hashlib.sha256(_encoder.encode(shape)).digest()


def _satisfied(expected: ExpectedVersion, actual: int) -> bool:
    if expected is ANY:
        return True
    if expected is NO_STREAM:
        return actual == 0
    if expected is STREAM_EXISTS:
        return actual > 0
    return expected == actual


class _Batch:
    """The rows and results of one transaction, built request by request."""

    def __init__(self, head_position: int, head_hash: bytes, now: datetime) -> None:
        self.position = head_position
        self.hash = head_hash
        self.now = now
        self.columns: tuple[list[Any], ...] = tuple([] for _ in range(10))
        self.keys: list[str] = []
        self.fingerprints: list[bytes] = []
        self.results: list[str] = []

    def add(self, request: PreparedAppend, versions: dict[str, int]) -> list[AppendResult]:
        results = []
        for stream in request.streams:
            version = versions[stream.stream_id]
            for event in stream.events:
                self.position += 1
                version += 1
                self._row(stream.stream_id, version, event)
            versions[stream.stream_id] = version
            results.append(AppendResult(self.position, version))
        if request.idempotency_key is not None:
            self.keys.append(request.idempotency_key)
            self.fingerprints.append(request.fingerprint)
            encoded = [
                (s.stream_id, r.position, r.version) for s, r in zip(request.streams, results, strict=True)
            ]
            self.results.append(_encoder.encode(encoded).decode())
        return results

    def _row(self, stream_id: str, version: int, event: PreparedEvent) -> None:
        record = record_bytes(
            self.position, event.event_id, stream_id, version, event.type,
            event.schema_version, self.now, event.data, event.metadata,
        )  # fmt: skip
        self.hash = chain(self.hash, record)
        row = (
            self.position, event.event_id, stream_id, version, event.type,
            event.schema_version, event.data, event.metadata, self.now, self.hash,
        )  # fmt: skip
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)


async def write_batch(conn: Connection, requests: Sequence[PreparedAppend]) -> list[Outcome]:
    """Append each request that its conditions allow; return a result or an error for each.

    Must run inside a transaction. Requests are judged in order, each against the log as the
    ones before it left it, so two requests to one stream in the same batch behave as two
    transactions would.
    """
    stream_ids = list({s.stream_id for r in requests for s in r.streams})
    rows = await conn.fetch(query("events/begin-append"), stream_ids)
    head_position: int = rows[0]["head_position"]
    batch = _Batch(head_position, bytes(rows[0]["head_hash"]), rows[0]["now"])
    versions = {row["stream_id"]: row["version"] for row in rows}
    replays = await _previous_results(conn, requests)
    outcomes: list[Outcome] = []
    batch_keys: dict[str, tuple[bytes, list[AppendResult]]] = {}
    for request in requests:
        outcomes.append(_judge(request, versions, replays, batch_keys, batch))
    if batch.position > head_position:
        if batch.keys:
            await conn.execute(
                query("events/insert-idempotency"), batch.keys, batch.fingerprints, batch.results, batch.now
            )
        moved = await conn.fetchval(query("events/insert-events"), *batch.columns, batch.position, batch.hash)
        assert moved is not None, "the head moves with the rows it covers"
    return outcomes


def _judge(
    request: PreparedAppend,
    versions: dict[str, int],
    replays: dict[str, tuple[bytes, list[AppendResult]] | EventStoreError],
    batch_keys: dict[str, tuple[bytes, list[AppendResult]]],
    batch: _Batch,
) -> Outcome:
    key = request.replay_key
    earlier = None if key is None else replays.get(key) or batch_keys.get(key)
    if earlier is not None:
        if isinstance(earlier, EventStoreError):
            return earlier
        fingerprint, results = earlier
        if fingerprint == request.fingerprint:
            return results
        if request.idempotency_key is None:
            return DuplicateEventId([str(e.event_id) for s in request.streams for e in s.events])
        return IdempotencyKeyReused(request.idempotency_key)
    for stream in request.streams:
        actual = versions[stream.stream_id]
        if not _satisfied(stream.expected_version, actual):
            return WrongExpectedVersion(stream.stream_id, stream.expected_version, actual)
    results = batch.add(request, versions)
    if key is not None:
        batch_keys[key] = (request.fingerprint, results)
    return results


async def _previous_results(
    conn: Connection, requests: Sequence[PreparedAppend]
) -> dict[str, tuple[bytes, list[AppendResult]] | EventStoreError]:
    """Results of earlier appends these requests repeat, by idempotency key or by event ids."""
    found: dict[str, tuple[bytes, list[AppendResult]] | EventStoreError] = {}
    keys = [r.idempotency_key for r in requests if r.idempotency_key is not None]
    if keys:
        for row in await conn.fetch(query("events/find-idempotency"), keys):
            stored = _results_decoder.decode(row["result"])
            found[row["key"]] = (
                bytes(row["fingerprint"]),
                [AppendResult(p, v) for _, p, v in stored],
            )
    given = [r for r in requests if r.ids_given and r.idempotency_key is None]
    if given:
        found.update(await _repeated_event_ids(conn, given))
    return found


async def _repeated_event_ids(
    conn: Connection, requests: Sequence[PreparedAppend]
) -> dict[str, tuple[bytes, list[AppendResult]] | EventStoreError]:
    """Requests whose given event ids are all recorded already are retries; partly is an error."""
    ids = [e.event_id for r in requests for s in r.streams for e in s.events]
    rows = await conn.fetch(query("events/find-event-ids"), ids)
    recorded = {row["event_id"]: row for row in rows}
    found: dict[str, tuple[bytes, list[AppendResult]] | EventStoreError] = {}
    for request in requests:
        key = request.replay_key
        assert key is not None, "only requests with given ids come here"
        request_ids = [e.event_id for s in request.streams for e in s.events]
        present = [i for i in request_ids if i in recorded]
        if not present:
            continue
        if len(present) < len(request_ids):
            found[key] = DuplicateEventId([str(i) for i in present])
            continue
        results = []
        for stream in request.streams:
            last = recorded[stream.events[-1].event_id]
            results.append(AppendResult(last["position"], last["version"]))
        found[key] = (request.fingerprint, results)
    return found
