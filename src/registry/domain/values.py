"""Value types shared by the domain's events: capacity, availability windows, areas."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
# A weekly window is expanded into dated occurrences; a bound keeps that finite and small.
MAX_RECURRENCE_DAYS = 400


class UnitKind(StrEnum):
    AGENCY = "agency"
    PUBLIC_INSTITUTION = "public_institution"
    ENTERPRISE = "enterprise"
    SOCIAL_ORGANIZATION = "social_organization"
    RESIDENTIAL_AREA = "residential_area"
    SERVICE_STATION = "service_station"


class Measure(StrEnum):
    PEOPLE = "people"
    HOURS = "hours"
    SESSIONS = "sessions"
    BOOTHS = "booths"
    SQUARE_METRES = "square_metres"
    ITEMS = "items"


class Role(StrEnum):
    COORDINATOR = "coordinator"
    LIAISON = "liaison"
    AUDITOR = "auditor"


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CommitmentStatus(StrEnum):
    PROPOSED = "proposed"  # dispatched by a coordinator, awaiting the unit
    CLAIMED = "claimed"  # claimed by the unit, awaiting a coordinator
    CONFIRMED = "confirmed"
    FULFILLED = "fulfilled"
    DECLINED = "declined"
    RELEASED = "released"
    NO_SHOW = "no_show"

    @property
    def holds_capacity(self) -> bool:
        """Whether the commitment still takes its quantity (fulfilled ones used it)."""
        return self in _HOLDING

    @property
    def is_open(self) -> bool:
        """Whether it can still change: confirmed, declined, released, fulfilled or marked."""
        return self in _OPEN


_OPEN = frozenset({CommitmentStatus.PROPOSED, CommitmentStatus.CLAIMED, CommitmentStatus.CONFIRMED})
_HOLDING = _OPEN | {CommitmentStatus.FULFILLED}


Quantity = Annotated[int, msgspec.Meta(gt=0, le=1_000_000)]


class Capacity(msgspec.Struct, frozen=True, kw_only=True):
    quantity: Quantity
    measure: Measure


class OneOffWindow(msgspec.Struct, frozen=True, kw_only=True, tag="one_off"):
    starts_at: datetime
    ends_at: datetime


class WeeklyWindow(msgspec.Struct, frozen=True, kw_only=True, tag="weekly"):
    """Every listed weekday (1 = Monday … 7 = Sunday) from start_time to end_time, local time."""

    weekdays: list[int]
    start_time: time
    end_time: time
    from_date: date
    to_date: date


Window = OneOffWindow | WeeklyWindow


def expiry(valid_until: date) -> datetime:
    """When an offer valid until `valid_until` expires: the end of that day, Asia/Shanghai (an
    offer is valid through its last day)."""
    return datetime.combine(valid_until + timedelta(days=1), time(), LOCAL_ZONE).astimezone(UTC)


def window_ranges(windows: Iterable[Window]) -> Iterator[tuple[datetime, datetime]]:
    """Concrete (start, end) instants covered by `windows`, weekly ones expanded day by day."""
    for window in windows:
        if isinstance(window, OneOffWindow):
            yield window.starts_at, window.ends_at
            continue
        day = window.from_date
        while day <= window.to_date:
            if day.isoweekday() in window.weekdays:
                start = datetime.combine(day, window.start_time, LOCAL_ZONE)
                end = datetime.combine(day, window.end_time, LOCAL_ZONE)
                yield start.astimezone(UTC), end.astimezone(UTC)
            day += timedelta(days=1)


def merge_windows(windows: Iterable[Window]) -> list[Window]:
    """`windows` with every pair whose union is itself one window made that one window (until no
    pair is left), so that no time is offered twice. One-off windows that overlap or touch become
    one; a window inside another (a one-off inside one day's weekly hours, a weekly window inside
    a wider one) is dropped; weekly windows merge when they differ in one dimension alone: the same
    weekdays and dates with overlapping or touching hours, the same weekdays and hours with
    overlapping or touching dates (within MAX_RECURRENCE_DAYS), or the same hours and dates on
    other weekdays. Windows that overlap in a shape no one window can state (hours and dates both
    different) stay as they are: availability is a set of instants, so that overlap is harmless."""
    merged: list[Window] = []
    for window in windows:
        while True:
            for i, kept in enumerate(merged):
                union = _union(kept, window)
                if union is not None:
                    del merged[i]
                    window = union
                    break
            else:
                break
        merged.append(window)
    return merged


def _union(a: Window, b: Window) -> Window | None:
    """The one window covering exactly what `a` and `b` cover, if there is one."""
    if isinstance(a, OneOffWindow) and isinstance(b, OneOffWindow):
        if a.starts_at <= b.ends_at and b.starts_at <= a.ends_at:
            return OneOffWindow(starts_at=min(a.starts_at, b.starts_at), ends_at=max(a.ends_at, b.ends_at))
        return None
    if isinstance(a, WeeklyWindow) and isinstance(b, WeeklyWindow):
        return _weekly_union(a, b)
    weekly, one_off = (a, b) if isinstance(a, WeeklyWindow) else (b, a)
    assert isinstance(weekly, WeeklyWindow) and isinstance(one_off, OneOffWindow)
    if _within(window_ranges([one_off]), weekly):
        return weekly
    if _within(window_ranges([weekly]), one_off):
        return one_off
    return None


def _within(ranges: Iterable[tuple[datetime, datetime]], window: Window) -> bool:
    return all(covers_window([window], start, end) for start, end in ranges)


def _weekly_union(a: WeeklyWindow, b: WeeklyWindow) -> WeeklyWindow | None:
    days_a, days_b = set(a.weekdays), set(b.weekdays)
    hours_a, hours_b = (a.start_time, a.end_time), (b.start_time, b.end_time)
    dates_a, dates_b = (a.from_date, a.to_date), (b.from_date, b.to_date)
    for inner, outer in ((a, b), (b, a)):
        if (
            set(inner.weekdays) <= set(outer.weekdays)
            and outer.start_time <= inner.start_time and inner.end_time <= outer.end_time
            and outer.from_date <= inner.from_date and inner.to_date <= outer.to_date
        ):  # fmt: skip
            return outer
    if days_a == days_b and dates_a == dates_b and a.start_time <= b.end_time and b.start_time <= a.end_time:
        return msgspec.structs.replace(
            a, start_time=min(a.start_time, b.start_time), end_time=max(a.end_time, b.end_time)
        )
    one_day = timedelta(days=1)
    dates_meet = a.from_date <= b.to_date + one_day and b.from_date <= a.to_date + one_day
    if days_a == days_b and hours_a == hours_b and dates_meet:
        from_date, to_date = min(a.from_date, b.from_date), max(a.to_date, b.to_date)
        if to_date - from_date <= timedelta(days=MAX_RECURRENCE_DAYS):
            return msgspec.structs.replace(a, from_date=from_date, to_date=to_date)
    if hours_a == hours_b and dates_a == dates_b:
        return msgspec.structs.replace(a, weekdays=sorted(days_a | days_b))
    return None


def covering_range(
    windows: Iterable[Window], starts_at: datetime, ends_at: datetime
) -> tuple[datetime, datetime] | None:
    """The availability range that covers all of [starts_at, ends_at), touching ranges merged."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(window_ranges(windows)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return next(((s, e) for s, e in merged if s <= starts_at and ends_at <= e), None)


def covers_window(windows: Iterable[Window], starts_at: datetime, ends_at: datetime) -> bool:
    return covering_range(windows, starts_at, ends_at) is not None


def area_covers(service_area: str, place: str) -> bool:
    """Whether an area path (`虹口区/欧阳路街道`) includes a place (`虹口区/欧阳路街道/虹仪居民区`)."""
    return place == service_area or place.startswith(service_area + "/")


def serves(service_area: list[str], place: str | None) -> bool:
    """Whether an offer's service area includes a place; no service area (or no place) means yes."""
    return place is None or not service_area or any(area_covers(area, place) for area in service_area)


# The week every window is folded onto (a Monday, local time) for matching's coarse index.
REFERENCE_WEEK = datetime(2001, 1, 1, tzinfo=LOCAL_ZONE)
WEEK = timedelta(days=7)


def fold_to_week(starts_at: datetime, ends_at: datetime) -> list[tuple[datetime, datetime]]:
    """The window laid onto the reference week by weekday and time of day (one or two pieces).

    Folding keeps containment (a window inside an availability folds inside its fold), so an
    index on folded availability can rule offers out cheaply; the exact check follows.
    """
    if ends_at - starts_at >= WEEK:
        return [(REFERENCE_WEEK.astimezone(UTC), (REFERENCE_WEEK + WEEK).astimezone(UTC))]
    local = starts_at.astimezone(LOCAL_ZONE)
    into_week = timedelta(
        days=local.weekday(), hours=local.hour, minutes=local.minute,
        seconds=local.second, microseconds=local.microsecond,
    )  # fmt: skip
    start = REFERENCE_WEEK + into_week
    end = start + (ends_at - starts_at)
    week_end = REFERENCE_WEEK + WEEK
    pieces = [(start, end)] if end <= week_end else [(start, week_end), (REFERENCE_WEEK, end - WEEK)]
    return [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in pieces]
