"""HTTP plumbing shared by the routes: conditions, documents, cursors, "as of"."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable, Hashable
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.enums import MediaType

from events import EventStore
from registry.domain.errors import FieldError, InvalidInput, NotFound
from registry.edge.auth import CHECKPOINT, DOC_READ, DocRead
from registry.edge.page_cache import PageCache
from registry.edge.requests import category_problems, year_problems
from registry.read.queries import Doc, Page, Table, get_doc
from registry.read.replica import ReadSide
from registry.service.context import Actor, Command
from registry.service.execute import Registry, Written

C = TypeVar("C")
F = TypeVar("F")
MAX_POSITION = 2**63 - 1
_ETAG = re.compile(r'^(?:W/)?"(\d{1,9})"$')


def if_match_version(header: str | None) -> int | None:
    """The version an If-Match header names; None for no header or `*`."""
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header.strip())
    if match is None:
        raise InvalidInput([FieldError("If-Match", 'expected an entity tag like "3"')])
    return int(match[1])


async def command(
    request: Request[Actor, Any, Any],
    if_match: str | None = None,
    idempotency_key: str | None = None,
    fingerprinted: bytes | None = None,
) -> Command:
    """The conditions of a write: who, which version, which retry, what request.

    A retry is recognised by the hash of its method, path and body (or of `fingerprinted`, for a
    body holding personal data: the hash is kept for good, so it must not be of erasable data).
    """
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 100:
        raise InvalidInput([FieldError("Idempotency-Key", "1 to 100 characters")])
    fingerprint = None
    if idempotency_key is not None:  # only a retry is ever compared with its first request
        body = fingerprinted if fingerprinted is not None else await request.body()
        fingerprint = hashlib.sha256(
            request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
        ).digest()
    return Command(
        actor=request.user,
        request_id=request.headers.get("x-request-id"),
        correlation_id=request.headers.get("x-correlation-id"),
        if_match=if_match_version(if_match),
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
    )


def doc_response(doc: Doc, status_code: int = 200, position: int | None = None) -> Response[bytes]:
    headers = {"ETag": f'"{doc.version}"'}
    if position is not None:
        headers["X-Log-Position"] = str(position)
    return Response(doc.json.encode(), status_code=status_code, media_type=MediaType.JSON, headers=headers)


async def written_response(
    registry: Registry, table: Table, written: Written[Any], status_code: int = 200
) -> Response[bytes]:
    """The entity as the write left it (a retried request: as the first one left it): made by
    this process's leader just now (registry.read.fresh), else read from the read model."""
    store = registry.store
    position = written.position if written.position is not None else (await store.head())[0]
    doc = await registry.fresh.doc_at(table, written.entity_id, position)
    if doc is None:
        doc = await get_doc(store.pool, table, written.entity_id, position)
    if doc is None:
        raise NotFound(table.rstrip("s"), written.entity_id)
    return doc_response(doc, status_code, position)


async def apply_change(
    request: Request[Actor, Any, Any],
    change: Callable[[Registry, Command, C], Awaitable[Written[Any]]],
    cmd: C,
    table: Table,
    if_match: str | None = None,
    idempotency_key: str | None = None,
) -> Response[bytes]:
    """Run a change to an existing entity and answer with the entity as it left it."""
    ctx = await command(request, if_match=if_match, idempotency_key=idempotency_key)
    written = await change(request.app.state.registry, ctx, cmd)
    return await written_response(request.app.state.registry, table, written)


async def read_doc(
    request: Request[Any, Any, Any],
    table: Table,
    entity_id: uuid.UUID,
    as_of: str | None,
    seen: Callable[[str], str] | None = None,
) -> Response[bytes]:
    """A GET by id: the document authentication read with the token (routes marked READ_BY_ID,
    for a current or a position `as_of`), else read here; `seen` is what the caller may see of it."""
    store: EventStore = request.app.state.store
    read: DocRead | None = request.state.get(DOC_READ)
    if read is not None:
        if as_of is not None and int(as_of) > read.head:
            raise beyond_head(int(as_of), read.head)
        doc = read.doc
    else:
        doc = await get_doc(store.pool, table, entity_id, await resolve_as_of(store, as_of))
    if doc is None:
        raise NotFound(table.rstrip("s"), entity_id)
    if seen is not None:
        doc = Doc(seen(doc.json), doc.version)
    return doc_response(doc)


def beyond_head(position: int, head: int) -> InvalidInput:
    return InvalidInput([FieldError("as_of", f"position {position} is beyond the log's head, {head}")])


async def read_pool(request: Request[Any, Any, Any], position: int | None) -> asyncpg.Pool[Any]:
    """The pool read-model lists, boards and reports run on at `position` (None: current): the
    primary's, or a standby's once it has replayed that far (`registry.read.replica`)."""
    reads: ReadSide = request.app.state.registry.reads
    return await reads.pool_at(position)


async def resolve_as_of(store: EventStore, as_of: str | None) -> int | None:
    """`as_of` as a log position: given as one, or the last position at an RFC 3339 time.

    Only the past: a position beyond the log's head, or a time still to come, is a 400 naming
    the head. Either would answer with what is there now, and answer otherwise once more is
    written: an "as of" answer must never change.
    """
    if as_of is None:
        return None
    if as_of.isdigit():
        if int(as_of) > MAX_POSITION:
            raise InvalidInput([FieldError("as_of", "a log position is at most 2^63 - 1")])
        head, _ = await store.head()
        if int(as_of) > head:
            raise beyond_head(int(as_of), head)
        return int(as_of)
    try:
        moment = datetime.fromisoformat(as_of)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput([FieldError("as_of", "a log position or an RFC 3339 time with offset")])
    found = year_problems("as_of", moment)  # the pages pass `as_of` here unchecked by any pattern
    if found:
        raise InvalidInput(found)
    if moment > datetime.now(UTC):
        head, _ = await store.head()
        raise InvalidInput(
            [FieldError("as_of", f"{as_of} is in the future; the log's head is position {head}")]
        )
    return await store.position_at(moment)


class Cursor(msgspec.Struct, frozen=True, array_like=True):
    after: int
    as_of: int | None


def decode_cursor(cursor: str | None, as_of: int | None) -> tuple[int, int | None]:
    """Where a page starts, and the position it reads at (a cursor pins the first page's)."""
    if cursor is None:
        return 0, as_of
    try:
        decoded = msgspec.json.decode(base64.urlsafe_b64decode(cursor.encode() + b"=="), type=Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidInput([FieldError("cursor", "not a cursor this API returned")]) from None
    if not 0 <= decoded.after <= MAX_POSITION or not 0 <= (decoded.as_of or 0) <= MAX_POSITION:
        raise InvalidInput([FieldError("cursor", "not a cursor this API returned")])
    return decoded.after, decoded.as_of if decoded.as_of is not None else as_of


Lister = Callable[[Any, F, int | None, int, int], Awaitable[Page]]


class CachedAs(msgspec.Struct, frozen=True):
    """How a list's current pages are kept (registry.edge.page_cache): the key of the list and
    its filters, the time they ask about, and what reads how long an answer then holds (the
    checkpoint and the time the answer changes by itself, None: never)."""

    key: Hashable
    now: datetime
    holds: Callable[[asyncpg.Pool[Any], datetime], Awaitable[tuple[int | None, datetime | None]]]


async def list_page(
    request: Request[Actor, Any, Any],
    lister: Lister[F],
    where: F,
    as_of: str | None,
    cursor: str | None,
    limit: int,
    cached: CachedAs | None = None,
) -> Response[bytes]:
    """A page of a read-model list: the cursor's position and `as_of` resolved, run on the list
    pool; a current one of a `cached` list (its route marked READS_CHECKPOINT) answered from the
    page cache while it holds."""
    after, position = decode_cursor(cursor, await resolve_as_of(request.app.state.store, as_of))
    checkpoint: int | None = request.state.get(CHECKPOINT)
    # A standby's read model is not at the primary's checkpoint, which the token's statement read.
    if position is not None or request.app.state.registry.reads.is_replica:
        checkpoint = None
    cache: PageCache = request.app.state.page_cache
    key = None if cached is None else (cached.key, after, limit)
    if cached is not None and checkpoint is not None:
        body = cache.get(key, checkpoint, cached.now)
        if body is not None:
            return Response(body, media_type=MediaType.JSON)
    pool = await read_pool(request, position)
    response = page_response(await lister(pool, where, position, after, limit), position)
    if cached is not None and checkpoint is not None:
        # Kept only if the read model did not move while the page was read: then it is that state's.
        # Asked on the store's pool (the primary's, as `checkpoint` is): its plans are generic, where
        # the list pool would plan this two-subquery statement afresh every time, ~0.45 ms of
        # PostgreSQL's CPU under bench.load for a statement that runs in 0.05.
        still, valid_until = await cached.holds(request.app.state.store.pool, cached.now)
        if still == checkpoint:
            cache.put(key, checkpoint, cached.now, valid_until, response.content)
    return response


def page_response(page: Page, as_of: int | None) -> Response[bytes]:
    next_cursor = "null"
    if page.last is not None:
        raw = msgspec.json.encode(Cursor(page.last, as_of))
        next_cursor = '"' + base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + '"'
    body = '{"items":[' + ",".join(page.docs) + '],"next_cursor":' + next_cursor + "}"
    return Response(body.encode(), media_type=MediaType.JSON)


def check_window(start: datetime | None, end: datetime | None) -> None:
    """available_from and available_to: both or neither, with offsets, start before end."""
    if (start is None) != (end is None):
        raise InvalidInput([FieldError("available_to", "give available_from and available_to together")])
    if start is None or end is None:
        return
    for name, moment in (("available_from", start), ("available_to", end)):
        if moment.tzinfo is None:
            raise InvalidInput([FieldError(name, "an RFC 3339 time with offset")])
    if start >= end:
        raise InvalidInput([FieldError("available_to", "must be after available_from")])


def check_category(code: str | None) -> None:
    found = category_problems("category", code)
    if found:
        raise InvalidInput(found)
