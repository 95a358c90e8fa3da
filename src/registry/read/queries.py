"""Reads of the read model: documents by id, and filtered pages, current or "as of" a position."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import asyncpg
import msgspec

from events.sql import query
from registry.domain.taxonomy import subtree_bounds
from registry.read.asked import asked_time
from registry.read.projection import READ_MODEL
from registry.read.views import expired_offer_doc
from registry.read.windows import week_span

Table = Literal["units", "offers", "needs", "plans", "commitments"]


class Doc(msgspec.Struct, frozen=True):
    """A stored JSON document (returned as it is) and the entity's version."""

    json: str
    version: int


class Page(msgspec.Struct, frozen=True):
    docs: list[str]
    # created_position of the last document, when more may follow.
    last: int | None


class UnitFilter(msgspec.Struct, frozen=True, kw_only=True):
    kind: str | None = None
    area: str | None = None
    q: str | None = None


class OfferFilter(msgspec.Struct, frozen=True, kw_only=True):
    category: str | None = None
    unit_id: uuid.UUID | None = None
    status: str | None = None
    area: str | None = None
    available_from: datetime | None = None
    available_to: datetime | None = None
    q: str | None = None
    # The time a current list asks about (expiry is derived from it; None: the wall clock).
    now: datetime | None = None


class NeedFilter(msgspec.Struct, frozen=True, kw_only=True):
    category: str | None = None
    unit_id: uuid.UUID | None = None
    status: str | None = None
    q: str | None = None


class PlanFilter(msgspec.Struct, frozen=True, kw_only=True):
    status: str | None = None
    area: str | None = None
    q: str | None = None
    # Plans with a slot of this category or of one below it (the pages' filter).
    category: str | None = None


class CommitmentFilter(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID | None = None
    offer_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    need_id: uuid.UUID | None = None
    status: str | None = None


async def get_doc(
    pool: asyncpg.Pool[Any], table: Table, entity_id: uuid.UUID, as_of: int | None
) -> Doc | None:
    row = await pool.fetchrow(query(f"registry/{table}-get"), entity_id, as_of)
    return Doc(row["doc"], row["version"]) if row is not None else None


async def get_doc_checking_token(
    pool: asyncpg.Pool[Any], table: Table, entity_id: uuid.UUID, as_of: int | None, secret_hash: str
) -> asyncpg.Record | None:
    """The current row of the token whose secret hashes to `secret_hash` (None: no such token)
    with, unless it is revoked, the entity's `doc` and `version` (NULL: no such entity then)."""
    row: asyncpg.Record | None = await pool.fetchrow(
        query(f"registry/{table}-get-checking-token"), entity_id, as_of, secret_hash
    )
    return row


def _category(code: str | None) -> tuple[str | None, str | None, str | None]:
    if code is None:
        return None, None, None
    low, high = subtree_bounds(code)
    return code, low, high


def _q(text: str | None) -> str | None:
    return text.lower() if text else None


def _page(rows: list[asyncpg.Record], limit: int) -> Page:
    last = rows[-1]["created_position"] if len(rows) == limit else None
    return Page([row["doc"] for row in rows], last)


async def list_units(
    pool: asyncpg.Pool[Any], where: UnitFilter, as_of: int | None, after: int, limit: int
) -> Page:
    rows = await pool.fetch(
        query("registry/units-list"), as_of, after, where.kind, where.area, _q(where.q), limit
    )
    return _page(rows, limit)


async def list_offers(
    pool: asyncpg.Pool[Any], where: OfferFilter, as_of: int | None, after: int, limit: int
) -> Page:
    start, end = where.available_from, where.available_to
    asked = await asked_time(pool, as_of, where.now)
    if start is not None and end is not None and start < end and not where.q:
        # Found and paged in the availability index itself; a text search (not in the index) or
        # an empty window (which every range holds, so one offer's rows would repeat) goes on.
        rows = await pool.fetch(
            query("registry/offers-list-covering"),
            as_of, after, *_category(where.category), where.unit_id, where.status, where.area,
            start, end, limit, *week_span(start, end), asked,
        )  # fmt: skip
    else:
        week = week_span(start, end) if start is not None and end is not None else (None, None)
        rows = await pool.fetch(
            query("registry/offers-list"),
            as_of, after, *_category(where.category), where.unit_id, where.status, where.area,
            start, end, _q(where.q), limit, *week, asked,
        )  # fmt: skip
    page = _page(rows, limit)
    # The stored document keeps the lifecycle status; the few expired by the time asked say so.
    docs = [
        (expired_offer_doc(doc, asked) or doc) if row["expired"] else doc
        for doc, row in zip(page.docs, rows, strict=True)
    ]
    return Page(docs, page.last)


async def next_offer_expiry(pool: asyncpg.Pool[Any], after: datetime) -> tuple[int | None, datetime | None]:
    """The read model's checkpoint, and the first time after `after` at which a current offer
    expires (None: none will), read together (registry.edge.page_cache)."""
    row = await pool.fetchrow(query("registry/offers-next-expiry"), READ_MODEL, after)
    assert row is not None  # one row, always
    return row["checkpoint"], row["next_expiry"]


async def list_needs(
    pool: asyncpg.Pool[Any], where: NeedFilter, as_of: int | None, after: int, limit: int
) -> Page:
    rows = await pool.fetch(
        query("registry/needs-list"),
        as_of, after, *_category(where.category), where.unit_id, where.status, _q(where.q), limit,
    )  # fmt: skip
    return _page(rows, limit)


async def list_plans(
    pool: asyncpg.Pool[Any], where: PlanFilter, as_of: int | None, after: int, limit: int
) -> Page:
    rows = await pool.fetch(
        query("registry/plans-list"),
        as_of, after, where.status, where.area, _q(where.q), limit, *_category(where.category),
    )  # fmt: skip
    return _page(rows, limit)


async def list_commitments(
    pool: asyncpg.Pool[Any], where: CommitmentFilter, as_of: int | None, after: int, limit: int
) -> Page:
    rows = await pool.fetch(
        query("registry/commitments-list"),
        as_of, after, where.unit_id, where.offer_id, where.plan_id, where.need_id, where.status, limit,
    )  # fmt: skip
    return _page(rows, limit)
