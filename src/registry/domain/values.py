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


def area_covers(service_area: str, place: str) -> bool:
    """Whether an area path (`虹口区/欧阳路街道`) includes a place (`虹口区/欧阳路街道/虹仪居民区`)."""
    return place == service_area or place.startswith(service_area + "/")
