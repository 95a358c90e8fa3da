"""Matching's exact availability index, as arithmetic: a row matches a window exactly when the
offer's availability covers it, and says how long the covering range is.

`matches` below is what the index query asks of a row (term contains the window, week contains
its week positions); the oracle is the domain's own `covering_range`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.domain.offer import Offer
from registry.domain.values import (
    LOCAL_ZONE,
    WEEK,
    Capacity,
    Measure,
    OneOffWindow,
    WeeklyWindow,
    Window,
    covering_range,
)
from registry.read.windows import WindowRow, offer_window_rows, week_span

BASE = datetime(2026, 11, 30, tzinfo=LOCAL_ZONE)  # a Monday
HOUR = timedelta(hours=1)


def offer_with(windows: list[Window]) -> Offer:
    return Offer(
        id=uuid.UUID(int=1), unit_id=uuid.UUID(int=2), category="repair", title="便民维修",
        description=None, capacity=Capacity(quantity=3, measure=Measure.PEOPLE), availability=windows,
        service_area=[], valid_until=None, tags=[],
    )  # fmt: skip


def matches(row: WindowRow, starts_at: datetime, ends_at: datetime) -> bool:
    term, week = row.term, row.week
    start, end = week_span(starts_at, ends_at)
    in_term = term.lower <= starts_at and ends_at <= term.upper
    in_week = (week.lower is None or week.lower <= start) and (week.upper is None or end <= week.upper)
    return in_term and in_week


def covering(windows: list[Window], starts_at: datetime, ends_at: datetime) -> float | None:
    """The index's answer: the covering range's length, or None when no row matches."""
    found = [
        row.span_seconds for row in offer_window_rows(offer_with(windows)) if matches(row, starts_at, ends_at)
    ]
    assert len(found) <= 1, "ranges are disjoint: at most one row covers a window"
    return found[0] if found else None


def oracle(windows: list[Window], starts_at: datetime, ends_at: datetime) -> float | None:
    found = covering_range(windows, starts_at, ends_at)
    return (found[1] - found[0]).total_seconds() if found is not None else None


quarter_hours = st.integers(min_value=0, max_value=4 * 24 * 28).map(
    lambda n: BASE + n * timedelta(minutes=15)
)
lengths = st.integers(min_value=1, max_value=4 * 30).map(lambda n: n * timedelta(minutes=15))
one_off = st.builds(lambda s, d: OneOffWindow(starts_at=s, ends_at=s + d), quarter_hours, lengths)


@st.composite
def weekly(draw: st.DrawFn) -> WeeklyWindow:
    start = draw(st.integers(min_value=0, max_value=95))
    end = draw(st.integers(min_value=start + 1, max_value=96))
    first = draw(st.integers(min_value=0, max_value=20))
    return WeeklyWindow(
        weekdays=sorted(draw(st.sets(st.integers(min_value=1, max_value=7), min_size=1))),
        start_time=time(start // 4, start % 4 * 15),
        end_time=time(end // 4, end % 4 * 15) if end < 96 else time(23, 59, 59),
        from_date=date(2026, 11, 30) + timedelta(days=first),
        to_date=date(2026, 11, 30) + timedelta(days=first + draw(st.integers(min_value=0, max_value=40))),
    )


@st.composite
def weekly_one_offs(draw: st.DrawFn) -> list[Window]:
    """The same one-off window a few weeks running (crossing Sunday midnight when it likes)."""
    window = draw(one_off)
    return [
        OneOffWindow(starts_at=window.starts_at + k * WEEK, ends_at=window.ends_at + k * WEEK)
        for k in range(draw(st.integers(min_value=2, max_value=5)))
    ]


availabilities = st.lists(
    st.one_of(one_off.map(lambda w: [w]), weekly().map(lambda w: [w]), weekly_one_offs()), max_size=4
).map(lambda groups: [w for group in groups for w in group])
demands = st.tuples(quarter_hours, lengths.filter(lambda d: d <= 12 * HOUR))


@settings(max_examples=400, deadline=None)
@given(availabilities, st.lists(demands, min_size=1, max_size=8))
def test_a_row_matches_a_window_exactly_when_the_availability_covers_it(
    windows: list[Window], wanted: list[tuple[datetime, timedelta]]
) -> None:
    for starts_at, length in wanted:
        assert covering(windows, starts_at, starts_at + length) == oracle(
            windows, starts_at, starts_at + length
        )


@settings(max_examples=200, deadline=None)
@given(availabilities, st.data())
def test_every_window_inside_an_availability_range_is_found(
    windows: list[Window], data: st.DataObject
) -> None:
    """Windows drawn inside the offer's own ranges (random windows mostly miss them)."""
    rows = offer_window_rows(offer_with(windows))
    for row in rows:
        term, span = row.term, timedelta(seconds=row.span_seconds)
        occurrences = round((term.upper - term.lower - span) / WEEK) + 1
        first = term.lower + data.draw(st.integers(min_value=0, max_value=occurrences - 1)) * WEEK
        into = data.draw(st.integers(min_value=0, max_value=int(span.total_seconds()) - 1))
        length = data.draw(st.integers(min_value=1, max_value=int(span.total_seconds()) - into))
        starts_at = first + timedelta(seconds=into)
        ends_at = starts_at + timedelta(seconds=length)
        assert (
            covering(windows, starts_at, ends_at) == oracle(windows, starts_at, ends_at) == row.span_seconds
        )


def test_a_weekly_window_is_a_few_rows_however_long_its_term() -> None:
    year = WeeklyWindow(
        weekdays=[1, 3, 5], start_time=time(9), end_time=time(12),
        from_date=date(2026, 1, 5), to_date=date(2026, 12, 28),
    )  # fmt: skip
    assert len(offer_window_rows(offer_with([year]))) == 3


def test_a_gap_week_splits_a_run() -> None:
    """Mondays 9-12 in weeks 1-2 and 4-5: the Monday of week 3 has the same week position, inside the
    overall span, and no availability."""

    def mondays(first: date, last: date) -> WeeklyWindow:
        return WeeklyWindow(
            weekdays=[1], start_time=time(9), end_time=time(12), from_date=first, to_date=last
        )

    windows: list[Window] = [
        mondays(date(2026, 11, 30), date(2026, 12, 7)),
        mondays(date(2026, 12, 21), date(2026, 12, 28)),
    ]
    gap_monday = datetime(2026, 12, 14, 9, tzinfo=LOCAL_ZONE)
    assert covering(windows, gap_monday, gap_monday + HOUR) is None
    assert covering(windows, gap_monday + WEEK, gap_monday + WEEK + HOUR) == 3 * 3600


def test_a_run_crossing_the_end_of_the_week_is_found_on_both_sides_of_it() -> None:
    """Sunday 22:00 to Monday 02:00, three weeks running: Monday 01:00 lies before the run's week
    position, so the row shifted back one week is what finds it."""
    sunday = datetime(2026, 12, 6, 22, tzinfo=LOCAL_ZONE)
    windows: list[Window] = [
        OneOffWindow(starts_at=sunday + k * WEEK, ends_at=sunday + k * WEEK + 4 * HOUR) for k in range(3)
    ]
    for starts_at in (sunday + WEEK + HOUR, sunday + WEEK + 3 * HOUR):
        assert covering(windows, starts_at, starts_at + HOUR / 2) == 4 * 3600
    assert covering(windows, sunday + 3 * WEEK + HOUR, sunday + 3 * WEEK + 2 * HOUR) is None
