"""Moving a log between databases: an NDJSON export, and an import that re-verifies every line.

The file is UTF-8 text, one JSON object per line, each line ending in a newline:

- line 1, the header: `format` ("events-ndjson"), `format_version` (1), `after` and `after_hash`
  (the position the export starts after and its hash, 0 and 64 zeros for a whole log),
  `head_position` and `head_hash` (the log's head when the export began: the last line's
  position and hash), `exported_at`;
- then one event a line in position order: `position`, `event_id`, `stream_id`, `version`,
  `type`, `schema_version`, `recorded_at` (RFC 3339 in UTC, to the microsecond), `data` and
  `metadata` (the stored JSON text, embedded as a JSON *string*: the hash covers those exact
  bytes, and re-encoding them as objects could change spacing, key order or escapes), `hash`
  (hex).

Every field the hash chain covers is in the line, so the file can be re-verified anywhere from
the genesis hash (or from `after_hash`). The header is what notices lines cut off the end; it
can be rewritten like any other line, so the head hash printed by an import is worth comparing
with one published earlier (reports print it).

Idempotency records are not exported: they belong to the requests that made the events, not to
the log.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import msgspec

from events.chain import GENESIS_HASH, chain, record_bytes
from events.errors import EventStoreError
from events.sql import Connection, query

FORMAT = "events-ndjson"
FORMAT_VERSION = 1
EXPORT_PAGE = 5000
IMPORT_BATCH = 2000

_Hash = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
# Canonical form only: the same id spelt another way is a changed line.
_Uuid = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
_Count = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]


class ExportHeader(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Line 1 of an export: what it holds and where the log's head stood."""

    format: str
    format_version: int
    after: Annotated[int, msgspec.Meta(ge=0)]
    after_hash: _Hash
    head_position: Annotated[int, msgspec.Meta(ge=0)]
    head_hash: _Hash
    exported_at: Annotated[datetime, msgspec.Meta(tz=True)]


class ExportedEvent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One stored event as a line of an export: every field its hash covers, as stored."""

    position: Annotated[int, msgspec.Meta(ge=1)]
    event_id: _Uuid
    stream_id: _Name
    version: _Count
    type: _Name
    schema_version: _Count
    recorded_at: Annotated[datetime, msgspec.Meta(tz=True)]
    data: str
    metadata: str
    hash: _Hash


class ImportReport(msgspec.Struct, frozen=True):
    """What an import loaded: the number of events and the head they end at."""

    events: int
    head_position: int
    head_hash: str


class TransferError(EventStoreError):
    """An export or import could not be made."""


class LogNotEmpty(TransferError):
    """An import was asked of a database whose log already has events."""

    def __init__(self, head_position: int) -> None:
        self.head_position = head_position
        super().__init__(
            f"the log already has {head_position} events: an import needs a database whose log is empty"
        )


class ImportRefused(TransferError):
    """A line of an import file is malformed or does not verify; nothing was loaded."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}")


_encoder = msgspec.json.Encoder()
_header_decoder = msgspec.json.Decoder(ExportHeader)
_event_decoder = msgspec.json.Decoder(ExportedEvent)
_json_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


# -- export ------------------------------------------------------------------------------------


async def export_log(
    pool: asyncpg.Pool[Any], after: int = 0, *, page_size: int = EXPORT_PAGE
) -> AsyncIterator[bytes]:
    """The log after `after` as lines of NDJSON: the header, then one event a line.

    Reads a page at a time up to the head as it stood when the export began: positions are
    gap-free and rows below the head are committed and never change, so the pages need no
    long-lived snapshot, and memory stays the same whatever the log's length.
    """
    head = await pool.fetchrow(query("events/head"))
    assert head is not None
    head_position: int = head["position"]
    if not 0 <= after <= head_position:
        raise TransferError(f"there is no position {after} to export after: the log ends at {head_position}")
    after_hash = GENESIS_HASH
    if after > 0:
        after_hash = await pool.fetchval(query("events/hash-at"), after)
    header = ExportHeader(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        after=after,
        after_hash=bytes(after_hash).hex(),
        head_position=head_position,
        head_hash=bytes(head["hash"]).hex(),
        exported_at=datetime.now(UTC),
    )
    yield _encoder.encode(header) + b"\n"
    position = after
    while position < head_position:
        rows = await pool.fetch(query("events/export-page"), position, head_position, page_size)
        if not rows:
            raise TransferError(f"the log has no position {position + 1}, yet its head is {head_position}")
        for row in rows:
            yield _encode_row(row)
        position = rows[-1][0]


def _encode_row(row: asyncpg.Record) -> bytes:
    position, event_id, stream_id, version, type_, schema_version, recorded_at, data, metadata, hash_ = row
    event = ExportedEvent(
        position=position, event_id=str(event_id), stream_id=stream_id, version=version, type=type_,
        schema_version=schema_version, recorded_at=recorded_at, data=data, metadata=metadata,
        hash=bytes(hash_).hex(),
    )  # fmt: skip
    return _encoder.encode(event) + b"\n"


# -- import ------------------------------------------------------------------------------------


class LogReader:
    """Checks an export line by line: header first, then each event against the chain so far.

    Needs no database, so a file can be verified on its own; `import_log` loads what it passes.
    Keeps the last version of each stream to check that versions run 1, 2, 3… within a stream.
    """

    def __init__(self) -> None:
        self.header: ExportHeader | None = None
        self.line = 0
        self.position = 0
        self.hash = GENESIS_HASH
        self._versions: dict[str, int] = {}

    def read(self, line: bytes) -> ExportedEvent | None:
        """Check the next line; returns its event (None for the header). Raises ImportRefused."""
        self.line += 1
        if self.header is None:
            self.header = self._read_header(line)
            return None
        event = self._decode(line)
        if event.position != self.position + 1:
            raise ImportRefused(
                self.line, f"position {event.position} where position {self.position + 1} was expected"
            )
        if event.position > self.header.head_position:
            raise ImportRefused(
                self.line,
                f"position {event.position} is past the head the header names ({self.header.head_position})",
            )
        previous = self._versions.get(event.stream_id, 0)
        if event.version != previous + 1:
            raise ImportRefused(
                self.line,
                f"stream {event.stream_id!r} goes from version {previous} to {event.version} "
                f"(position {event.position})",
            )
        record = record_bytes(
            event.position, uuid.UUID(event.event_id), event.stream_id, event.version, event.type,
            event.schema_version, event.recorded_at, event.data, event.metadata,
        )  # fmt: skip
        expected = chain(self.hash, record)
        if expected.hex() != event.hash:
            raise ImportRefused(self.line, f"the hash does not match (position {event.position})")
        self._versions[event.stream_id] = event.version
        self.position, self.hash = event.position, expected
        return event

    def finish(self) -> ExportHeader:
        """Check that the file held everything its header promised; returns the header."""
        if self.header is None:
            raise ImportRefused(1, "the file is empty: line 1 should be the export's header")
        if self.position != self.header.head_position:
            raise ImportRefused(
                self.line + 1,
                f"the file ends at position {self.position}, "
                f"but its header says the log runs to position {self.header.head_position}",
            )
        if self.hash.hex() != self.header.head_hash:
            raise ImportRefused(1, "the header's head hash is not the hash of the last event")
        return self.header

    def _read_header(self, line: bytes) -> ExportHeader:
        try:
            header = _header_decoder.decode(line)
        except (msgspec.DecodeError, UnicodeDecodeError) as error:
            raise ImportRefused(self.line, f"not the header of an event log export: {error}") from None
        if header.format != FORMAT or header.format_version != FORMAT_VERSION:
            raise ImportRefused(
                self.line,
                f"format {header.format!r} version {header.format_version}; "
                f"this reads {FORMAT!r} version {FORMAT_VERSION}",
            )
        if header.after != 0 or header.after_hash != GENESIS_HASH.hex():
            raise ImportRefused(
                self.line,
                f"the export starts after position {header.after} (made with --after); "
                "only a whole log can be imported",
            )
        return header

    def _decode(self, line: bytes) -> ExportedEvent:
        try:
            return _event_decoder.decode(line)
        except (msgspec.DecodeError, UnicodeDecodeError) as error:
            raise ImportRefused(self.line, f"malformed: {error}") from None


class _Batch:
    """Rows waiting to be inserted, as the columns of `insert-events`, with their line numbers."""

    def __init__(self) -> None:
        self.columns: tuple[list[Any], ...] = tuple([] for _ in range(10))
        self.lines: list[int] = []
        self.hash = GENESIS_HASH

    def add(self, line: int, event: ExportedEvent, hash_: bytes) -> None:
        # The id goes as text: asyncpg parses it, and it was checked to be a canonical UUID.
        row = (
            event.position, event.event_id, event.stream_id, event.version, event.type,
            event.schema_version, event.data, event.metadata, event.recorded_at, hash_,
        )  # fmt: skip
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)
        self.lines.append(line)
        self.hash = hash_

    def __len__(self) -> int:
        return len(self.lines)


async def import_log(
    pool: asyncpg.Pool[Any],
    lines: Iterable[bytes] | AsyncIterable[bytes],
    *,
    batch_size: int = IMPORT_BATCH,
) -> ImportReport:
    """Verify an export line by line and load it into an empty log, with its positions and hashes.

    All of it is loaded in one transaction, or (on any refusal) nothing: the log cannot be
    emptied again once rows are in it, so a half-loaded file could never be undone. Rows go in
    batches, so memory stays small whatever the file's length. Raises LogNotEmpty, or
    ImportRefused naming the first line that is malformed or does not verify.
    """
    reader = LogReader()
    async with pool.acquire() as conn, conn.transaction():
        head = await conn.fetchrow(query("events/import-begin"))
        assert head is not None
        if head["position"] != 0:
            raise LogNotEmpty(head["position"])
        batch = _Batch()
        async for line in _each(lines):
            event = reader.read(line)
            if event is None:
                continue
            batch.add(reader.line, event, reader.hash)
            if len(batch) >= batch_size:
                await _insert(conn, batch)
                batch = _Batch()
        header = reader.finish()
        if len(batch):
            await _insert(conn, batch)
    return ImportReport(header.head_position, header.head_position, header.head_hash)


async def _each(lines: Iterable[bytes] | AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    if isinstance(lines, AsyncIterable):
        async for line in lines:
            yield line
    else:
        for line in lines:
            yield line


async def _insert(conn: Connection, batch: _Batch) -> None:
    last_position = batch.columns[0][-1]
    try:
        moved = await conn.fetchval(query("events/insert-events"), *batch.columns, last_position, batch.hash)
    except asyncpg.PostgresError as error:
        raise _refusal(batch, error) from error
    assert moved is not None, "the head moves with the rows it covers"


def _refusal(batch: _Batch, error: asyncpg.PostgresError) -> ImportRefused:
    """Name the line PostgreSQL refused, where the error allows; else the batch's lines."""
    detail = getattr(error, "detail", None) or ""
    if isinstance(error, asyncpg.UniqueViolationError):
        # The chain verified, yet an id repeats: the file was made to verify. Name the repeat.
        for index in reversed(range(len(batch))):
            if str(batch.columns[1][index]) in detail:
                return ImportRefused(batch.lines[index], f"event id {batch.columns[1][index]} appears twice")
    for index in range(len(batch)):
        for payload in (batch.columns[6][index], batch.columns[7][index]):
            try:
                _json_decoder.decode(payload)
            except msgspec.DecodeError as bad:
                return ImportRefused(batch.lines[index], f"data or metadata is not JSON: {bad}")
    said = f"{error} ({detail})" if detail else str(error)
    return ImportRefused(
        batch.lines[0], f"PostgreSQL refused lines {batch.lines[0]}–{batch.lines[-1]}: {said}"
    )
