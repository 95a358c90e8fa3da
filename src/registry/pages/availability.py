"""The availability editor without script: a form's rows ↔ the API body's `availability` list.

The form shows one-off rows (start and end, `datetime-local` in Asia/Shanghai) and weekly rows
(weekday boxes, start and end time, from and to date), numbered in one sequence as the body's list
is: `availability[0].starts_at`, …, `availability[4].weekdays.3`. Rows left empty are not sent; the
rows sent are renumbered in the body, so an error the request type names at `availability[1]` is
mapped back to the row of the form it came from, and lands beside it. "Add a row" re-renders the
form with one more row of that kind and everything typed kept (renumbered the same way).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time

import msgspec

from registry.domain.errors import FieldError, InvalidInput
from registry.domain.values import LOCAL_ZONE, OneOffWindow, Window

# Empty rows a new form shows of each kind, and the most a form takes (the API takes 50 in all).
EMPTY_ROWS = 3
MAX_ROWS = 25
WEEKDAYS = range(1, 8)
ONE_OFF_FIELDS = ("starts_at", "ends_at")
WEEKLY_FIELDS = ("start_time", "end_time", "from_date", "to_date")
_INDEXED = re.compile(r"^availability\[(\d+)\](.*)$", re.DOTALL)


class Row(msgspec.Struct, kw_only=True):
    """One row of the editor as typed: its fields' text, and (weekly) the weekdays ticked."""

    kind: str  # "one_off" or "weekly"
    fields: dict[str, str] = {}
    weekdays: list[int] = []

    def is_empty(self) -> bool:
        return not self.weekdays and not any(v.strip() for v in self.fields.values())


class Rows(msgspec.Struct, kw_only=True):
    one_off: list[Row]
    weekly: list[Row]

    def all(self) -> list[Row]:
        return [*self.one_off, *self.weekly]


def _count(form: Mapping[str, str], name: str) -> int:
    try:
        return max(0, min(int(form.get(name, "")), MAX_ROWS))
    except ValueError:
        return EMPTY_ROWS


def rows_of(form: Mapping[str, str]) -> Rows:
    """The rows a submitted form holds (its hidden counts say how many of each kind it showed)."""
    one_off_count, weekly_count = _count(form, "one_off_rows"), _count(form, "weekly_rows")
    one_off = [
        Row(kind="one_off", fields={f: form.get(f"availability[{i}].{f}", "") for f in ONE_OFF_FIELDS})
        for i in range(one_off_count)
    ]
    weekly = []
    for j in range(weekly_count):
        i = one_off_count + j
        weekly.append(
            Row(
                kind="weekly",
                fields={f: form.get(f"availability[{i}].{f}", "") for f in WEEKLY_FIELDS},
                weekdays=[d for d in WEEKDAYS if form.get(f"availability[{i}].weekdays.{d}")],
            )
        )
    return Rows(one_off=one_off, weekly=weekly)


def with_row_added(rows: Rows, kind: str) -> Rows:
    if len(rows.all()) >= MAX_ROWS:
        return rows
    if kind == "weekly":
        return Rows(one_off=rows.one_off, weekly=[*rows.weekly, Row(kind="weekly")])
    return Rows(one_off=[*rows.one_off, Row(kind="one_off")], weekly=rows.weekly)


def empty_rows() -> Rows:
    return Rows(
        one_off=[Row(kind="one_off") for _ in range(EMPTY_ROWS)],
        weekly=[Row(kind="weekly") for _ in range(EMPTY_ROWS)],
    )


def values_of(rows: Rows) -> dict[str, str]:
    """The rows as form values, numbered as the form draws them (one-off rows first)."""
    values = {"one_off_rows": str(len(rows.one_off)), "weekly_rows": str(len(rows.weekly))}
    for i, row in enumerate(rows.all()):
        for name, value in row.fields.items():
            values[f"availability[{i}].{name}"] = value
        for d in row.weekdays:
            values[f"availability[{i}].weekdays.{d}"] = "on"
    return values


def error_keys(rows: Rows) -> dict[str, str]:
    """Keys errors may be placed under though no input carries them: a row, its weekday boxes."""
    keys = {}
    for i, row in enumerate(rows.all()):
        keys[f"availability[{i}]"] = ""
        if row.kind == "weekly":
            keys[f"availability[{i}].weekdays"] = ""
    return keys


def _local(text: str) -> str | None:
    """A `datetime-local` value as a time with Shanghai's offset (left for the rules to refuse
    when it is not a time)."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    return moment.isoformat()


def _clock(text: str) -> str | None:
    """A `time` input's value (09:00) as RFC 3339 takes it (09:00:00)."""
    text = text.strip()
    if not text:
        return None
    return f"{text}:00" if re.fullmatch(r"\d{2}:\d{2}", text) else text


def body_of(rows: Rows) -> tuple[list[dict[str, object]], list[int]]:
    """The body's `availability` list from the rows not left empty, and for each element the
    index of the form row it came from."""
    body: list[dict[str, object]] = []
    origin: list[int] = []
    for i, row in enumerate(rows.all()):
        if row.is_empty():
            continue
        if row.kind == "one_off":
            window: dict[str, object] = {
                "starts_at": _local(row.fields.get("starts_at", "")),
                "ends_at": _local(row.fields.get("ends_at", "")),
            }
        else:
            window = {
                "weekdays": row.weekdays or None,
                "start_time": _clock(row.fields.get("start_time", "")),
                "end_time": _clock(row.fields.get("end_time", "")),
                "from_date": row.fields.get("from_date", "").strip() or None,
                "to_date": row.fields.get("to_date", "").strip() or None,
            }
        body.append(window)
        origin.append(i)
    return body, origin


def mapped(error: InvalidInput, origin: list[int]) -> InvalidInput:
    """The request type's errors, each `availability[k]…` renamed to the form row it came from."""
    found = []
    for e in error.errors:
        match = _INDEXED.match(e.field)
        if match is not None and int(match[1]) < len(origin):
            rest = match[2]
            # "weekdays[0]" (one box's value) is about the row's boxes as a whole.
            rest = re.sub(r"^\.weekdays\[\d+\]$", ".weekdays", rest)
            found.append(FieldError(f"availability[{origin[int(match[1])]}]{rest}", e.message))
        else:
            found.append(e)
    return InvalidInput(found)


def rows_from_windows(windows: list[Window]) -> Rows:
    """An offer's windows as the editor's rows (for revising it), plus one empty row of each kind."""
    one_off, weekly = [], []
    for w in windows:
        if isinstance(w, OneOffWindow):
            one_off.append(
                Row(kind="one_off", fields={"starts_at": _typed(w.starts_at), "ends_at": _typed(w.ends_at)})
            )
        else:
            fields = {
                "start_time": _typed(w.start_time), "end_time": _typed(w.end_time),
                "from_date": w.from_date.isoformat(), "to_date": w.to_date.isoformat(),
            }  # fmt: skip
            weekly.append(Row(kind="weekly", fields=fields, weekdays=list(w.weekdays)))
    return Rows(one_off=[*one_off, Row(kind="one_off")], weekly=[*weekly, Row(kind="weekly")])


def _typed(value: datetime | time | date) -> str:
    """A value as its input shows it: local time to the minute."""
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value.isoformat()


def local_input(value: datetime | None) -> str:
    """A time as a `datetime-local` input shows it (Asia/Shanghai)."""
    return "" if value is None else _typed(value)


def parse_local(text: str) -> datetime | None:
    """A `datetime-local` value (or one with an offset) as an aware time; None when empty or not
    a time (a filter's bad value is named by the caller)."""
    moment = _local(text)
    if moment is None:
        return None
    try:
        return datetime.fromisoformat(moment)
    except ValueError:
        return None


def window_text(window: Window, t: Callable[..., str]) -> str:
    """A window as a reader is told it, in local time: "2026-12-10 09:00 – 12:00", or
    "每周一、三 09:00–12:00（2026-12-01 至 2027-02-28）"."""
    if isinstance(window, OneOffWindow):
        start, end = window.starts_at.astimezone(LOCAL_ZONE), window.ends_at.astimezone(LOCAL_ZONE)
        until = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
        return f"{start.strftime('%Y-%m-%d %H:%M')} – {until}"
    days = t("weekday.joiner").join(t(f"weekday.{d}") for d in window.weekdays)
    return t(
        "window.weekly", days=days, start=window.start_time.strftime("%H:%M"),
        end=window.end_time.strftime("%H:%M"), since=window.from_date.isoformat(),
        until=window.to_date.isoformat(),
    )  # fmt: skip
