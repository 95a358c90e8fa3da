"""A lone append: one request written by one statement, in an implicit transaction.

When the group-commit writer's batch holds a single request, a batch transaction costs BEGIN,
the head lock, the insert and COMMIT: four round trips where a bare INSERT has one. Here one call
of `events_append_one` (events/migrations/0004_lone_append_in_one_statement.sql; one event in
one statement since 0005_lone_event_in_one_statement.sql) locks the head, checks the conditions
and the key, chains the hashes with the database's sha256 over the record `events.chain`
defines, inserts, moves the head, keeps the key and notifies.

The commonest append, one event to one stream, is sent as the bare statement inside that
function (`events/append-one-event`: scalar parameters, prepared and cached by asyncpg per
connection): PL/pgSQL's call, its SPI and its ten arrays cost more than that statement's work.
When it writes nothing (a failed condition, a used key, a head moved meanwhile) the function
judges the request under the head lock, as before.
"""

from __future__ import annotations

from events.append import Outcome, PreparedAppend, decode_results
from events.errors import IdempotencyKeyReused, WrongExpectedVersion
from events.model import ANY, NO_STREAM, STREAM_EXISTS, AppendResult, ExpectedVersion
from events.sql import Connection, query

# How events_append_one spells the conditions that are not a version number.
_CONDITION_CODES = {ANY: -1, NO_STREAM: -2, STREAM_EXISTS: -3}
# Beyond this, a request is better written by the batch path: it hashes in Python, where a long
# append costs less than in PL/pgSQL, and one round trip more is nothing beside its rows.
MAX_LONE_EVENTS = 64


def can_write_alone(request: PreparedAppend) -> bool:
    """Whether `write_alone` can write this request: a retry recognised by caller-given event ids
    (and no idempotency key) needs the batch path's look-up of those ids."""
    no_id_replay = request.idempotency_key is not None or not request.ids_given
    return no_id_replay and request.event_count <= MAX_LONE_EVENTS


def _code(expected: ExpectedVersion) -> int:
    return expected if isinstance(expected, int) else _CONDITION_CODES[expected]


async def write_alone(conn: Connection, request: PreparedAppend) -> Outcome:
    """Append one request in one statement; `conn` must not be in a transaction (the statement's
    own implicit one commits it). The result, or the error its conditions call for."""
    if len(request.streams) == 1 and len(request.streams[0].events) == 1:
        written = await _write_one_event(conn, request)
        if written is not None:
            return written
    return await _write_by_function(conn, request)


async def _write_one_event(conn: Connection, request: PreparedAppend) -> Outcome | None:
    """The one event written as the snapshot saw the log, or None: nothing written, judge it
    under the lock."""
    stream = request.streams[0]
    event = stream.events[0]
    row = await conn.fetchrow(
        query("events/append-one-event"),
        stream.stream_id,
        _code(stream.expected_version),
        event.event_id,
        event.type,
        event.schema_version,
        event.data,
        event.metadata,
        request.idempotency_key,
        request.fingerprint,
    )
    if row is None:
        return None
    return [AppendResult(row["position"], row["version"])]


async def _write_by_function(conn: Connection, request: PreparedAppend) -> Outcome:
    stream_of_event: list[int] = []
    events = []
    for number, stream in enumerate(request.streams, start=1):
        stream_of_event += [number] * len(stream.events)
        events += stream.events
    row = await conn.fetchrow(
        query("events/append-one"),
        [s.stream_id for s in request.streams],
        [_code(s.expected_version) for s in request.streams],
        stream_of_event,
        [e.event_id for e in events],
        [e.type for e in events],
        [e.schema_version for e in events],
        [e.data for e in events],
        [e.metadata for e in events],
        request.idempotency_key,
        request.fingerprint,
    )
    assert row is not None, "events_append_one answers with one row"
    if row["earlier_result"] is not None:
        assert request.idempotency_key is not None, "only a key finds an earlier append"
        if bytes(row["earlier_fingerprint"]) != request.fingerprint:
            return IdempotencyKeyReused(request.idempotency_key)
        return [result for _, result in decode_results(row["earlier_result"])]
    if row["conflict"] is not None:
        stream = request.streams[row["conflict"] - 1]
        actual = row["stream_versions"][row["conflict"] - 1]
        return WrongExpectedVersion(stream.stream_id, stream.expected_version, actual)
    return [
        AppendResult(position, version)
        for position, version in zip(row["stream_positions"], row["stream_versions"], strict=True)
    ]
