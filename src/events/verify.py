"""Recomputing the hash chain from the stored bytes to prove the log was not altered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from events.chain import GENESIS_HASH, chain, encoded_record
from events.model import VerifyReport
from events.sql import query

VERIFY_PAGE = 2000
# Rows hashed between two looks at the socket: while Python hashes, the next page streams in, and
# PostgreSQL can only read ahead as far as the socket's buffer reaches unless it is drained.
_SLICE = 250


async def verify_log(
    pool: asyncpg.Pool[Any],
    page_size: int = VERIFY_PAGE,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Walk the whole log; name the first position whose row, order or hash is wrong.

    `progress`, if given, is called after each page with the number of events checked so far.

    Checks that positions run 1..N without holes, that each stored hash equals the one
    recomputed from the row's bytes and the hash before it, and that the head row agrees with
    the last event (so rows cut off the end are noticed too).
    """
    page = query("events/verify-page")
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchrow(query("events/head"))
        assert head is not None
        expected_hash = GENESIS_HASH
        position = 0
        # The next page is fetched while this one is hashed: the database and Python work at once.
        fetching = asyncio.ensure_future(conn.fetch(page, position, page_size))
        try:
            while True:
                rows = await fetching
                if len(rows) == page_size:
                    fetching = asyncio.ensure_future(conn.fetch(page, rows[-1][0], page_size))
                for start in range(0, len(rows), _SLICE):
                    checked, expected_hash, bad = _check_rows(rows, start, position, expected_hash)
                    if bad is not None:
                        return _report(head, checked, expected_hash, checked + 1, bad)
                    position = checked
                    await asyncio.sleep(0)  # let the next page's rows in
                if progress is not None:
                    progress(position)
                if len(rows) < page_size:
                    break
        finally:
            # The connection runs one query at a time: the transaction can only end after it.
            with contextlib.suppress(Exception):
                await fetching
        if position != head["position"] or expected_hash != head["hash"]:
            return _report(
                head, position, expected_hash, position + 1,
                f"the head says position {head['position']}, the log ends at {position}",
            )  # fmt: skip
        return _report(head, position, expected_hash, None, None)


def _check_rows(
    rows: Sequence[asyncpg.Record], start: int, position: int, expected_hash: bytes
) -> tuple[int, bytes, str | None]:
    """Check up to _SLICE rows from `start`, following on from `position` and its hash.

    Returns the last good position, its hash, and what is wrong with the row after it (None if
    nothing). Runs once per event: columns by position, in verify-page's order and encoding.
    """
    record, link = encoded_record, chain  # locals: looked up a million times
    for row in rows[start : start + _SLICE]:
        at, event_id, stream_id, version, type_, schema_version, recorded_at, data, metadata, stored = row
        if at != position + 1:
            return position, expected_hash, f"position {position + 1} is missing (next stored is {at})"
        hashed = link(expected_hash, record(
            b"%d" % at, str(event_id).encode(), stream_id.encode(), b"%d" % version, type_.encode(),
            b"%d" % schema_version, recorded_at.encode(), data, metadata,
        ))  # fmt: skip
        if hashed != stored:
            return position, expected_hash, "the stored bytes do not match the hash chain"
        position, expected_hash = at, hashed
    return position, expected_hash, None


def _report(
    head: asyncpg.Record, checked: int, last_hash: bytes, bad: int | None, reason: str | None
) -> VerifyReport:
    checked_count = checked if bad is None else bad - 1
    return VerifyReport(
        ok=bad is None,
        checked=checked_count,
        head_position=head["position"],
        head_hash=bytes(head["hash"]).hex(),
        first_bad_position=bad,
        reason=reason,
    )
