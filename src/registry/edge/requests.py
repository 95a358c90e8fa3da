"""Request bodies: msgspec Structs that refuse unknown fields, with the rules msgspec cannot say.

Shape and ranges are msgspec's (a wrong type or length is a 400 naming the field); rules across
fields (start before end, a known category, one kind of availability window) are checked by
`problems()`, which names every offending field at once. One-line text is normalised as it is
decoded (`registry.domain.text`: NFC, trimmed) and refused by `check()` when blank, invisible or
holding a bidirectional control; the pages' forms decode into the same bodies.
"""

from __future__ import annotations

import functools
import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from registry.domain.errors import FieldError, InvalidInput
from registry.domain.offer import ReviseOffer, SubmitOffer
from registry.domain.plan import ReviseSlot
from registry.domain.taxonomy import is_known
from registry.domain.text import line_problem, normalise_line
from registry.domain.values import (
    MAX_RECURRENCE_DAYS,
    Capacity,
    Measure,
    OneOffWindow,
    Role,
    UnitKind,
    Urgency,
    WeeklyWindow,
    Window,
    merge_windows,
)
from registry.matching.scoring import Weights

# Text rules are regex patterns so that the OpenAPI document states them too. `END` ends the text:
# Python's `$` (which msgspec and Litestar use) also matches before a final newline, which would
# let "名称\n" through a one-line rule; a lookahead reads the same in JSON Schema's dialect.
END = r"(?![\s\S])"
# Never in any text: C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
# They are invisible or terminal escapes, and PostgreSQL refuses NUL in text and jsonb.
_NEVER = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Not in one line: tab, line breaks and the Unicode line and paragraph separators. A name, title or
# area with a line break prints as two lines in lists, pages and exports, and misleads.
_BREAKS = r"\t\n\r\u2028\u2029"
LINE = rf"^[^{_NEVER}{_BREAKS}]*{END}"
TEXT = rf"^[^{_NEVER}]*{END}"
_SEGMENT = rf"[^/{_NEVER}{_BREAKS}]+"
AREA_PATTERN = rf"^{_SEGMENT}(/{_SEGMENT})*{END}"
CATEGORY_PATTERN = rf"^[a-z0-9-]+(\.[a-z0-9-]+)*{END}"
ONE_LINE = {"description": "One line: no control characters, tabs or line breaks"}
MULTI_LINE = {"description": "Text: line breaks and tabs allowed, no other control characters"}
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=LINE, extra_json_schema=ONE_LINE)]
ShortText = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=LINE, extra_json_schema=ONE_LINE)
]
LongText = Annotated[str, msgspec.Meta(max_length=4000, pattern=TEXT, extra_json_schema=MULTI_LINE)]
Area = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=AREA_PATTERN)]
CategoryCode = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=CATEGORY_PATTERN)]
Moment = Annotated[datetime, msgspec.Meta(tz=True)]
PositiveQuantity = Annotated[int, msgspec.Meta(gt=0, le=1_000_000)]
Weekday = Annotated[int, msgspec.Meta(ge=1, le=7)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=LINE, extra_json_schema=ONE_LINE)]


class Body(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base of request bodies: unknown fields are refused, one-line text is normalised."""

    def __post_init__(self) -> None:
        # Run by every decode and convert (API bodies and page forms alike), after msgspec's checks.
        for name, is_area in one_line_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, str):
                msgspec.structs.force_setattr(self, name, _normalised(value, is_area))
            elif isinstance(value, list):
                msgspec.structs.force_setattr(self, name, [_normalised(v, is_area) for v in value])

    def problems(self) -> list[FieldError]:
        return []

    def check(self) -> None:
        # Years first: the other rules compare times, which can overflow far outside them.
        found = year_problems("", self) or text_problems("", self) + self.problems()
        if found:
            raise InvalidInput(found)


@functools.cache
def one_line_fields(cls: type[Body]) -> tuple[tuple[str, bool], ...]:
    """The fields of `cls` holding one-line text (or a list of it), each with whether it is an area."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    found = []
    for field in info.fields:
        patterns = {str_type.pattern for str_type in _str_types(field.type)}
        if patterns & {LINE, AREA_PATTERN}:
            found.append((field.name, AREA_PATTERN in patterns))
    return tuple(found)


def _str_types(info: msgspec.inspect.Type) -> list[msgspec.inspect.StrType]:
    if isinstance(info, msgspec.inspect.StrType):
        return [info]
    if isinstance(info, msgspec.inspect.Metadata):
        return _str_types(info.type)
    if isinstance(info, msgspec.inspect.UnionType):
        return [s for t in info.types for s in _str_types(t)]
    if isinstance(info, msgspec.inspect.ListType):
        return _str_types(info.item_type)
    return []


def _normalised(text: str, is_area: bool) -> str:
    # An area is a path: each of its places is a one-line name of its own.
    return "/".join(map(normalise_line, text.split("/"))) if is_area else normalise_line(text)


def _line_problems(field: str, value: object, is_area: bool) -> list[FieldError]:
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _line_problems(f"{field}[{i}]", item, is_area)]
    if not isinstance(value, str):
        return []
    problems = {line_problem(part) for part in (value.split("/") if is_area else [value])} - {None}
    return [FieldError(field, problem) for problem in sorted(p for p in problems if p is not None)]


def text_problems(field: str, body: Body) -> list[FieldError]:
    """Each one-line text in `body` (and the bodies within it) that cannot be taken, by path."""
    lines = dict(one_line_fields(type(body)))
    found = []
    for name in body.__struct_fields__:
        path, value = f"{field}.{name}" if field else name, getattr(body, name)
        if name in lines:
            found.extend(_line_problems(path, value, lines[name]))
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, Body):
                found.extend(text_problems(f"{path}[{i}]" if isinstance(value, list) else path, item))
    return found


# Times and dates are of activities planned and recorded now: years 2000 to 2099. That also keeps
# them far from datetime's limits (years 1 and 9999), where an offset's shift, a day-by-day
# expansion or a comparison across offsets overflows.
YEARS = range(2000, 2100)


def year_problems(field: str, value: object) -> list[FieldError]:
    """Each date or time in `value` (a request body, a list, or one value) outside YEARS, by path."""
    if isinstance(value, date):  # a datetime too: its year as written, whatever the offset
        return [] if value.year in YEARS else [FieldError(field, f"a year from {YEARS[0]} to {YEARS[-1]}")]
    if isinstance(value, Body):
        return [
            found
            for name in value.__struct_fields__
            for found in year_problems(f"{field}.{name}" if field else name, getattr(value, name))
        ]
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in year_problems(f"{field}[{i}]", item)]
    return []


def category_problems(field: str, code: str | UnsetType | None) -> list[FieldError]:
    if isinstance(code, str) and not is_known(code):
        return [FieldError(field, f"unknown category code {code!r} (see GET /api/v1/categories)")]
    return []


def _window(field: str, start: datetime | None, end: datetime | None) -> list[FieldError]:
    if start is not None and end is not None and start >= end:
        return [FieldError(field, "must be after starts_at")]
    return []


# -- units ---------------------------------------------------------------------------------------


class UnitIn(Body, frozen=True, kw_only=True):
    name: Name
    short_name: ShortText | None = None
    kind: UnitKind
    area: Area
    address: Name | None = None
    party_org: Name | None = None
    description: LongText | None = None
    agreement_until: date | None = None


class UnitPatch(Body, frozen=True, kw_only=True):
    name: Name | UnsetType = UNSET
    short_name: ShortText | None | UnsetType = UNSET
    kind: UnitKind | UnsetType = UNSET
    area: Area | UnsetType = UNSET
    address: Name | None | UnsetType = UNSET
    party_org: Name | None | UnsetType = UNSET
    description: LongText | None | UnsetType = UNSET
    agreement_until: date | None | UnsetType = UNSET


# -- offers --------------------------------------------------------------------------------------


class CapacityIn(Body, frozen=True, kw_only=True):
    quantity: PositiveQuantity
    measure: Measure

    def to_value(self) -> Capacity:
        return Capacity(quantity=self.quantity, measure=self.measure)


class AvailabilityIn(Body, frozen=True, kw_only=True):
    """A one-off window (starts_at, ends_at) or a weekly one (weekdays, times, dates)."""

    starts_at: Moment | None = None
    ends_at: Moment | None = None
    weekdays: Annotated[list[Weekday], msgspec.Meta(min_length=1, max_length=7)] | None = None
    start_time: time | None = None
    end_time: time | None = None
    from_date: date | None = None
    to_date: date | None = None

    def problems_at(self, field: str) -> list[FieldError]:
        one_off = (self.starts_at, self.ends_at)
        weekly = (self.weekdays, self.start_time, self.end_time, self.from_date, self.to_date)
        if all(v is not None for v in one_off) and all(v is None for v in weekly):
            return _window(f"{field}.ends_at", self.starts_at, self.ends_at)
        if all(v is not None for v in weekly) and all(v is None for v in one_off):
            return self._weekly_problems(field)
        return [
            FieldError(
                field,
                "give either starts_at and ends_at, or weekdays, start_time, end_time, from_date and to_date",
            )
        ]

    def _weekly_problems(self, field: str) -> list[FieldError]:
        assert self.weekdays is not None and self.start_time is not None and self.end_time is not None
        assert self.from_date is not None and self.to_date is not None
        found = []
        if len(set(self.weekdays)) != len(self.weekdays):
            found.append(FieldError(f"{field}.weekdays", "each weekday once"))
        if self.start_time.tzinfo is not None or self.end_time.tzinfo is not None:
            found.append(FieldError(f"{field}.start_time", "local times (Asia/Shanghai), no offset"))
        elif self.start_time >= self.end_time:
            found.append(FieldError(f"{field}.end_time", "must be after start_time"))
        if self.from_date > self.to_date:
            found.append(FieldError(f"{field}.to_date", "must not be before from_date"))
        elif self.to_date - self.from_date > timedelta(days=MAX_RECURRENCE_DAYS):
            found.append(
                FieldError(f"{field}.to_date", f"at most {MAX_RECURRENCE_DAYS} days after from_date")
            )
        return found

    def to_value(self) -> Window:
        if self.starts_at is not None and self.ends_at is not None:
            return OneOffWindow(starts_at=self.starts_at, ends_at=self.ends_at)
        assert self.weekdays is not None and self.start_time is not None and self.end_time is not None
        assert self.from_date is not None and self.to_date is not None
        return WeeklyWindow(
            weekdays=sorted(self.weekdays), start_time=self.start_time, end_time=self.end_time,
            from_date=self.from_date, to_date=self.to_date,
        )  # fmt: skip


# At least one window: an offer available at no time can never be matched, claimed or held.
Availability = Annotated[list[AvailabilityIn], msgspec.Meta(min_length=1, max_length=50)]
ServiceArea = Annotated[list[Area], msgspec.Meta(max_length=20)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=20)]


def windows(availability: list[AvailabilityIn]) -> list[Window]:
    """The offer's windows, those that overlap or touch merged (`merge_windows`): no time twice."""
    return merge_windows(w.to_value() for w in availability)


def _availability_problems(availability: list[AvailabilityIn] | UnsetType) -> list[FieldError]:
    if isinstance(availability, UnsetType):
        return []
    return [p for i, w in enumerate(availability) for p in w.problems_at(f"availability[{i}]")]


class OfferIn(Body, frozen=True, kw_only=True):
    category: CategoryCode
    title: Name
    description: LongText | None = None
    capacity: CapacityIn
    availability: Availability
    service_area: ServiceArea = []
    valid_until: date | None = None
    tags: Tags = []

    def problems(self) -> list[FieldError]:
        return category_problems("category", self.category) + _availability_problems(self.availability)

    def to_command(self, offer_id: uuid.UUID, unit_id: uuid.UUID) -> SubmitOffer:
        return SubmitOffer(
            offer_id=offer_id, unit_id=unit_id, category=self.category, title=self.title,
            description=self.description, capacity=self.capacity.to_value(),
            availability=windows(self.availability), service_area=self.service_area,
            valid_until=self.valid_until, tags=self.tags,
        )  # fmt: skip


class OfferPatch(Body, frozen=True, kw_only=True):
    category: CategoryCode | UnsetType = UNSET
    title: Name | UnsetType = UNSET
    description: LongText | None | UnsetType = UNSET
    capacity: CapacityIn | UnsetType = UNSET
    availability: Availability | UnsetType = UNSET
    service_area: ServiceArea | UnsetType = UNSET
    valid_until: date | None | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET

    def problems(self) -> list[FieldError]:
        return category_problems("category", self.category) + _availability_problems(self.availability)

    def to_command(self, offer_id: uuid.UUID) -> ReviseOffer:
        capacity = UNSET if isinstance(self.capacity, UnsetType) else self.capacity.to_value()
        availability = UNSET if isinstance(self.availability, UnsetType) else windows(self.availability)
        return ReviseOffer(
            offer_id=offer_id, category=self.category, title=self.title, description=self.description,
            capacity=capacity, availability=availability, service_area=self.service_area,
            valid_until=self.valid_until, tags=self.tags,
        )  # fmt: skip


class ReasonIn(Body, frozen=True, kw_only=True):
    reason: LongText | None = None


# -- needs ---------------------------------------------------------------------------------------


class NeedIn(Body, frozen=True, kw_only=True):
    category: CategoryCode
    title: Name
    quantity: PositiveQuantity
    starts_at: Moment
    ends_at: Moment
    location: Name | None = None
    urgency: Urgency = Urgency.NORMAL
    description: LongText | None = None
    # What the quantity counts; only offers of the same measure meet the need.
    measure: Measure = Measure.PEOPLE

    def problems(self) -> list[FieldError]:
        return category_problems("category", self.category) + _window("ends_at", self.starts_at, self.ends_at)


# -- plans ---------------------------------------------------------------------------------------


class PlanIn(Body, frozen=True, kw_only=True):
    title: Name
    series: Name | None = None
    venue: Name
    area: Area
    starts_at: Moment
    ends_at: Moment
    expected_attendance: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None

    def problems(self) -> list[FieldError]:
        return _window("ends_at", self.starts_at, self.ends_at)


class SlotIn(Body, frozen=True, kw_only=True):
    category: CategoryCode
    quantity: PositiveQuantity
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    notes: LongText | None = None
    # The most people one commitment to the slot may report serving (unset: the plan's expected
    # attendance, else 100 per unit of the slot's quantity).
    people_served_limit: People | None = None
    # What the quantity counts (2 booths are not 2 people); only offers of the same measure fill it.
    measure: Measure = Measure.PEOPLE

    def problems(self) -> list[FieldError]:
        found = category_problems("category", self.category) + _window(
            "ends_at", self.starts_at, self.ends_at
        )
        if (self.starts_at is None) != (self.ends_at is None):
            found.append(FieldError("ends_at", "give both starts_at and ends_at, or neither"))
        return found


class SlotPatch(Body, frozen=True, kw_only=True):
    """A slot's fields to change; those left out keep their value. `starts_at`/`ends_at` null: the
    plan's own start or end. The bound on people served has its own route (people-served-limit)."""

    category: CategoryCode | UnsetType = UNSET
    quantity: PositiveQuantity | UnsetType = UNSET
    starts_at: Moment | None | UnsetType = UNSET
    ends_at: Moment | None | UnsetType = UNSET
    notes: LongText | None | UnsetType = UNSET
    measure: Measure | UnsetType = UNSET

    def problems(self) -> list[FieldError]:
        starts = self.starts_at if isinstance(self.starts_at, datetime) else None
        ends = self.ends_at if isinstance(self.ends_at, datetime) else None
        return category_problems("category", self.category) + _window("ends_at", starts, ends)

    def to_command(self, plan_id: uuid.UUID, slot_id: uuid.UUID) -> ReviseSlot:
        return ReviseSlot(
            plan_id=plan_id, slot_id=slot_id, category=self.category, quantity=self.quantity,
            starts_at=self.starts_at, ends_at=self.ends_at, notes=self.notes, measure=self.measure,
        )  # fmt: skip


# -- commitments ---------------------------------------------------------------------------------

Hours = Annotated[float, msgspec.Meta(ge=0, le=100_000)]
People = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class CommitmentIn(Body, frozen=True, kw_only=True):
    """An offer's quantity for a plan's slot (plan_id and slot_id) or for a need (need_id)."""

    offer_id: uuid.UUID
    quantity: PositiveQuantity
    plan_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    need_id: uuid.UUID | None = None

    def problems(self) -> list[FieldError]:
        slot = self.plan_id is not None and self.slot_id is not None
        only_need = self.need_id is not None and self.plan_id is None and self.slot_id is None
        if (slot and self.need_id is None) or only_need:
            return []
        return [FieldError("need_id", "give plan_id and slot_id, or need_id")]


class FulfilmentIn(Body, frozen=True, kw_only=True):
    people_served: People
    volunteer_hours: Hours
    notes: LongText | None = None


Reason = Annotated[
    str, msgspec.Meta(min_length=1, max_length=4000, pattern=TEXT, extra_json_schema=MULTI_LINE)
]


def _blank_reason(reason: str) -> list[FieldError]:
    # A correction's reason is what an auditor reads beside the changed figures: never empty.
    return [] if reason.strip() else [FieldError("reason", "must say why (not blank)")]


class CorrectionIn(Body, frozen=True, kw_only=True):
    """New figures for a fulfilment, and why (a coordinator)."""

    people_served: People
    volunteer_hours: Hours
    reason: Reason

    def problems(self) -> list[FieldError]:
        return _blank_reason(self.reason)


class CorrectionRequestIn(Body, frozen=True, kw_only=True):
    """The unit's request for a correction: why, and the figures it believes right (optional)."""

    reason: Reason
    people_served: People | None = None
    volunteer_hours: Hours | None = None

    def problems(self) -> list[FieldError]:
        return _blank_reason(self.reason)


class PeopleLimitIn(Body, frozen=True, kw_only=True):
    """A slot's or need's bound on people one commitment may report serving; null for the default."""

    people_served_limit: People | None


class AllocateIn(Body, frozen=True, kw_only=True):
    """`dry_run` (the default) only shows the allocation; false dispatches it. `weights` replace
    the configured ones for a dry run (to recompute a recorded allocation with its weights)."""

    dry_run: bool = True
    weights: Weights | None = None

    def problems(self) -> list[FieldError]:
        if self.weights is not None and not self.dry_run:
            return [FieldError("weights", "only a dry run takes weights; dispatches use the configured ones")]
        return []


class CompleteIn(Body, frozen=True, kw_only=True):
    notes: LongText | None = None
    # Release the proposed, claimed and confirmed commitments in the same append (else: 409).
    release_open: bool = False


# -- contacts ------------------------------------------------------------------------------------


Phone = Annotated[str, msgspec.Meta(min_length=3, max_length=30, pattern=rf"^\+?[0-9][0-9 -]*{END}")]


class ContactIn(Body, frozen=True, kw_only=True):
    """A person at the unit. `name` and `phone` are kept erasable, outside the log."""

    name: Name
    phone: Phone | None = None
    title: ShortText | None = None


# -- tokens --------------------------------------------------------------------------------------


class TokenIn(Body, frozen=True, kw_only=True):
    role: Role
    unit_id: uuid.UUID | None = None
    label: ShortText | None = None

    def problems(self) -> list[FieldError]:
        if self.role == Role.LIAISON and self.unit_id is None:
            return [FieldError("unit_id", "a liaison token is bound to a unit")]
        if self.role != Role.LIAISON and self.unit_id is not None:
            return [FieldError("unit_id", "only a liaison token is bound to a unit")]
        return []


class TokenOut(msgspec.Struct, frozen=True, kw_only=True):
    """A new token. `token` is the secret, shown only in this response."""

    id: uuid.UUID
    token: str | None
    role: Role
    unit_id: uuid.UUID | None
    label: str | None
