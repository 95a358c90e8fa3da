"""The log as auditors read it: stored events page by page, and one stream's story field by field.

Payloads and metadata are passed on as the stored JSON text (`msgspec.Raw`), never decoded and
encoded again: the bytes an auditor gets are the bytes the hash chain covers. Every answer names
the log head it was read at, so it can be checked against a verified log.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, get_args

import asyncpg
import msgspec

from events.codec import Codec
from events.read import PAGE_SIZE, read_stream_page, to_event
from events.sql import Connection, query
from registry.domain import commitment, need, offer, plan, token, unit, unit_name
from registry.domain.events import Event
from registry.streams import Kind

_MAX_POSITION = 2**63 - 1
_encoder = msgspec.json.Encoder()

StoredJson = Annotated[Any, msgspec.Meta(description="The stored JSON, exactly as the log holds it")]


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event as the log stores it; `hash` is its link in the SHA-256 chain (hex)."""

    position: int
    event_id: uuid.UUID
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: StoredJson
    metadata: StoredJson
    recorded_at: datetime
    hash: str


class LogPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of the log, read in one snapshot whose head is `head_position` / `head_hash`.

    `next_after` is the `after` of the next page, or null when no more events up to the head
    match (to follow the log, ask again later with `after=head_position`).
    """

    items: list[AuditEvent]
    next_after: int | None
    head_position: int
    head_hash: str


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which events an auditor asks for; None means no restriction. `until` is exclusive."""

    stream: str | None = None
    stream_prefix: str | None = None
    types: Sequence[str] | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def _rows(
    conn: Connection | asyncpg.Pool[Any], after: int, up_to: int, where: AuditFilter, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        query("registry/audit-events"),
        after, up_to, where.stream, where.stream_prefix,
        list(where.types) if where.types is not None else None,
        where.since, where.until, where.actor, limit,
    )  # fmt: skip


def _audit_event(row: asyncpg.Record, one_line: bool = False) -> AuditEvent:
    position, event_id, stream_id, version, type_, schema_version, data, metadata, recorded_at, hash_ = row
    if one_line:
        data, metadata = _one_line(data), _one_line(metadata)
    return AuditEvent(
        position=position, event_id=event_id, stream_id=stream_id, version=version, type=type_,
        schema_version=schema_version, data=msgspec.Raw(data), metadata=msgspec.Raw(metadata),
        recorded_at=recorded_at, hash=bytes(hash_).hex(),
    )  # fmt: skip


def _one_line(stored: str) -> str:
    """Stored JSON on one line, for NDJSON framing.

    The store writes compact JSON, so this is the stored text itself. A row written by other
    means may hold line breaks, but only as whitespace between tokens (JSON strings cannot hold
    them raw), so a space in their place keeps the value.
    """
    if "\n" not in stored and "\r" not in stored:
        return stored
    return stored.replace("\r", " ").replace("\n", " ")


async def log_page(pool: asyncpg.Pool[Any], after: int, limit: int, where: AuditFilter) -> LogPage:
    """Up to `limit` events after `after` that match `where`, and the head they were read at."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchrow(query("events/head"))
        assert head is not None
        rows = await _rows(conn, after, head["position"], where, limit)
    items = [_audit_event(row) for row in rows]
    return LogPage(
        items=items,
        next_after=items[-1].position if len(items) == limit else None,
        head_position=head["position"],
        head_hash=bytes(head["hash"]).hex(),
    )


async def log_lines(
    pool: asyncpg.Pool[Any], after: int, up_to: int, limit: int | None, where: AuditFilter, page_size: int
) -> AsyncIterator[bytes]:
    """The matching events after `after` up to position `up_to` as NDJSON, one chunk per page.

    Each page is its own short query, so memory is bounded by the page size however long the
    log is. Rows up to a head once read never change, so pages need no common snapshot.
    """
    remaining = limit if limit is not None else _MAX_POSITION
    while remaining > 0:
        size = min(page_size, remaining)
        rows = await _rows(pool, after, up_to, where, size)
        if rows:
            yield _encoder.encode_lines([_audit_event(row, one_line=True) for row in rows])
        if len(rows) < size:
            return
        remaining -= len(rows)
        after = rows[-1]["position"]


# -- one stream ---------------------------------------------------------------------------------

# Each kind of stream folds with its domain's own evolve, as the write side and the read model do.
_EVOLVE: dict[str, Callable[[Any, Event], Any]] = {
    "unit": unit.evolve,
    "offer": offer.evolve,
    "need": need.evolve,
    "plan": plan.evolve,
    "token": token.evolve,
    "commitment": commitment.evolve,
    "unitname": unit_name.evolve,
}
assert set(_EVOLVE) == set(get_args(Kind)), "every kind of stream needs its fold"

_STREAM = re.compile(r"^([a-z]+)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


class StreamEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event of a stream, who recorded it, and the entity's fields it changed."""

    position: int
    version: int
    type: str
    event_id: uuid.UUID
    actor: str | None
    role: str | None
    recorded_at: datetime
    data: StoredJson
    metadata: StoredJson
    # Top-level fields of the entity whose value differs after the event (all of them at creation).
    changed: list[str]
    hash: str


class StreamHistory(msgspec.Struct, frozen=True, kw_only=True):
    """A stream's events in version order, read in one snapshot of the log at `head_position`."""

    stream_id: str
    kind: str
    id: uuid.UUID
    version: int
    events: list[StreamEvent]
    head_position: int
    head_hash: str


def parse_stream(stream: str) -> tuple[str, uuid.UUID] | None:
    """The kind and entity id of a `<kind>-<uuid>` stream id as the registry writes it, else None."""
    match = _STREAM.match(stream)
    if match is None or match[1] not in _EVOLVE:
        return None
    return match[1], uuid.UUID(match[2])


def changed_fields(before: msgspec.Struct | None, after: msgspec.Struct | None) -> list[str]:
    """The top-level fields whose value differs between two states (None: no entity)."""
    old = msgspec.structs.asdict(before) if before is not None else {}
    new = msgspec.structs.asdict(after) if after is not None else {}
    missing = object()
    names = list(new) + [name for name in old if name not in new]
    return [name for name in names if old.get(name, missing) != new.get(name, missing)]


async def stream_history(pool: asyncpg.Pool[Any], codec: Codec, stream: str) -> StreamHistory | None:
    """One stream's history, each event with what it changed; None for no such stream."""
    parsed = parse_stream(stream)
    if parsed is None:
        return None
    kind, entity_id = parsed
    evolve = _EVOLVE[kind]
    events: list[StreamEvent] = []
    state: Any = None
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchrow(query("events/head"))
        assert head is not None
        while True:
            from_version = events[-1].version + 1 if events else 1
            rows = await read_stream_page(conn, stream, from_version, None, PAGE_SIZE)
            for row in rows:
                recorded = to_event(row, codec)
                after = evolve(state, recorded.data)
                metadata = recorded.metadata
                events.append(
                    StreamEvent(
                        position=recorded.position, version=recorded.version, type=recorded.type,
                        event_id=recorded.event_id, actor=metadata.actor, role=metadata.role,
                        recorded_at=recorded.recorded_at, data=msgspec.Raw(row["data"]),
                        metadata=msgspec.Raw(recorded.metadata_json), changed=changed_fields(state, after),
                        hash=recorded.hash.hex(),
                    )
                )  # fmt: skip
                state = after
            if len(rows) < PAGE_SIZE:
                break
    if not events:
        return None
    return StreamHistory(
        stream_id=stream,
        kind=kind,
        id=entity_id,
        version=events[-1].version,
        events=events,
        head_position=head["position"],
        head_hash=bytes(head["hash"]).hex(),
    )
