"""Recomputing the hash chain from the stored bytes to prove the log was not altered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from events.chain import GENESIS_HASH, chain, record_bytes
from events.model import VerifyReport
from events.sql import query

VERIFY_PAGE = 10_000


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
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchrow(query("events/head"))
        assert head is not None
        expected_hash = GENESIS_HASH
        position = 0
        while True:
            rows = await conn.fetch(query("events/verify-page"), position, page_size)
            for row in rows:
                bad = _check_row(row, position, expected_hash)
                if bad is not None:
                    return _report(head, position, expected_hash, position + 1, bad)
                position, expected_hash = row[0], row[9]
            if progress is not None:
                progress(position)
            if len(rows) < page_size:
                break
        if position != head["position"] or expected_hash != head["hash"]:
            return _report(
                head, position, expected_hash, position + 1,
                f"the head says position {head['position']}, the log ends at {position}",
            )  # fmt: skip
        return _report(head, position, expected_hash, None, None)


def _check_row(row: asyncpg.Record, previous_position: int, previous_hash: bytes) -> str | None:
    """What is wrong with this row, if anything. Runs once per event: columns by position."""
    position, event_id, stream_id, version, type_, schema_version, data, metadata, recorded_at, stored = row
    if position != previous_position + 1:
        return f"position {previous_position + 1} is missing (next stored is {position})"
    record = record_bytes(
        position, event_id, stream_id, version, type_, schema_version, recorded_at, data, metadata
    )
    if chain(previous_hash, record) != stored:
        return "the stored bytes do not match the hash chain"
    return None


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
