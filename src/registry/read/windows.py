"""Matching's exact availability index: an offer's availability as rows a GiST index answers exactly.

An offer's availability is the union of its windows' concrete ranges, touching ones merged (what
`offers.available` holds). A weekly window over three months is a dozen such ranges a weekday;
one row each would multiply the table. So ranges of the same length, exactly one week apart one
after another, are kept as one *run*: the span from the first's start to the last's end (`term`),
and where in the week each of them lies (`week`, microseconds since `REFERENCE_WEEK` modulo a
week). A demand window [s, e) lies inside one range of a run exactly when `term` contains it and
`week` contains [pos(s), pos(s) + (e - s)): within the term, the week position alone says which
occurrence. A run whose ranges cross the week's end also gets its `week` shifted back one week,
for windows that start after the crossing. A lone range gets an unbounded `week`: its term is it.

Why exactly: let a run's ranges be [T + kW, T + kW + D) for k = 0 … n-1 (W a week, D < W, else
they would touch and be one range), and w = pos(T). If [s, e) lies in the k-th, pos(s) is
w + (s - T - kW), less W when that passes the week's end (then the shifted row holds it); and the
term holds [s, e). Conversely, if w <= pos(s) and pos(s) + (e - s) <= w + D, the instant
O = s - (pos(s) - w) has O = T + kW for some whole k and [s, e) lies in [O, O + D); the term's
bounds T <= s and e <= T + (n-1)W + D leave only 0 <= k <= n-1, as D < W. Positions are plain
microsecond arithmetic on instants (no time zone), and PostgreSQL's timestamps are microseconds,
so the index is exact: no recheck, no false candidate (tests/test_offer_windows.py checks it
against the domain's `covering_range`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import asyncpg

from registry.domain.offer import Offer
from registry.domain.values import REFERENCE_WEEK, WEEK, Window, window_ranges
from registry.read.memo import IdentityMemo

MICROSECOND = timedelta(microseconds=1)
WEEK_US = WEEK // MICROSECOND


class Multirange(Sequence["asyncpg.Range[datetime]"]):
    """A `tstzmultirange` column's value: its ranges in order. asyncpg's COPY takes any sequence
    of ranges; a live page's JSON rows (registry.read.page_sql) need to tell it from an array."""

    __slots__ = ("ranges",)

    def __init__(self, ranges: Iterable[asyncpg.Range[datetime]]) -> None:
        self.ranges = tuple(ranges)

    def __getitem__(self, index: Any) -> Any:
        return self.ranges[index]

    def __len__(self) -> int:
        return len(self.ranges)

    def __iter__(self) -> Iterator[asyncpg.Range[datetime]]:
        return iter(self.ranges)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Multirange) and self.ranges == other.ranges

    def __hash__(self) -> int:
        return hash(self.ranges)

    def __repr__(self) -> str:
        return f"Multirange({list(self.ranges)!r})"


class WindowRow(NamedTuple):
    """One row of `offer_windows`, its columns in order after offer_id and created_position and
    before valid_from."""

    unit_id: uuid.UUID
    category: str
    status: str
    service_area: list[str]
    capacity: int
    # What the capacity counts: a demand pairs only with its own measure.
    measure: str
    # When the offer expires (None: never); whether it has is a question of the time asked.
    expires_at: datetime | None
    # The union of the holds' windows.
    held: Multirange
    term: asyncpg.Range[datetime]
    week: asyncpg.Range[int]
    # The length of one range of the run.
    span_seconds: float


def week_position(moment: datetime) -> int:
    """Microseconds from the start of the reference week to `moment`, modulo one week."""
    return ((moment - REFERENCE_WEEK) // MICROSECOND) % WEEK_US


def week_span(starts_at: datetime, ends_at: datetime) -> tuple[int, int]:
    """The bounds a demand window's `week` range takes (its end may pass one week)."""
    start = week_position(starts_at)
    return start, start + (ends_at - starts_at) // MICROSECOND


def merged_ranges(ranges: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The ranges' union as disjoint, non-touching ranges in order (a multirange's ranges)."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(ranges):
        if start >= end:
            continue  # empty: a multirange drops it
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def weekly_runs(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime, int]]:
    """Merged ranges grouped into runs: (first start, last end, how many), in order of start."""
    runs: list[list[Any]] = []
    open_runs: dict[tuple[int, timedelta], list[Any]] = {}
    for start, end in ranges:
        key = (week_position(start), end - start)
        run = open_runs.get(key)
        if run is not None and run[1] - key[1] + WEEK == start:
            run[1], run[2] = end, run[2] + 1
        else:
            run = [start, end, 1]
            runs.append(run)
            open_runs[key] = run
    return [(start, end, count) for start, end, count in runs]


def _weekly_runs_of(availability: list[Window], _: None) -> list[tuple[datetime, datetime, int]]:
    return weekly_runs(merged_ranges(window_ranges(availability)))


# Most of an offer's events (holds, pauses, a new title) keep its availability list, the same
# object, so a projection page expands each weekly window once rather than once per version.
_runs = IdentityMemo(_weekly_runs_of)


def offer_window_rows(state: Offer) -> list[WindowRow]:
    """The `offer_windows` rows an offer's state gives (the projection writes them as they are)."""
    rows: list[WindowRow] = []
    held = Multirange(
        asyncpg.Range(s, e) for s, e in merged_ranges((h.starts_at, h.ends_at) for h in state.holds)
    )
    common = (
        state.unit_id, state.category, state.status, state.service_area, state.capacity.quantity,
        state.capacity.measure.value, state.expires_at, held,
    )  # fmt: skip
    for first, last, count in _runs(state.availability, None):
        span = (last - first) if count == 1 else (last - first - (count - 1) * WEEK)
        term = asyncpg.Range(first, last)
        seconds = span.total_seconds()
        if count == 1:
            rows.append(WindowRow(*common, term, asyncpg.Range(None, None), seconds))
            continue
        start, end = week_span(first, first + span)
        rows.append(WindowRow(*common, term, asyncpg.Range(start, end), seconds))
        if end > WEEK_US:
            rows.append(WindowRow(*common, term, asyncpg.Range(start - WEEK_US, end - WEEK_US), seconds))
    return rows
