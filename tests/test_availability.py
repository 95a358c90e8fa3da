"""An offer's availability: at least one window (400 otherwise, on submit and on revise), and
windows that overlap or touch merged as they are submitted, so that no time is offered twice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from registry.domain.values import (
    LOCAL_ZONE,
    OneOffWindow,
    WeeklyWindow,
    Window,
    merge_windows,
    window_ranges,
)
from tests.api_fixtures import Api, offer_body


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=LOCAL_ZONE)


def one_off(day: int, start: int, end: int) -> OneOffWindow:
    return OneOffWindow(starts_at=at(day, start), ends_at=at(day, end))


def weekly(days: list[int], start: int, end: int, first: date, last: date) -> WeeklyWindow:
    return WeeklyWindow(
        weekdays=days, start_time=time(start), end_time=time(end), from_date=first, to_date=last
    )


DEC, JAN = date(2026, 12, 1), date(2027, 1, 31)
FEB, MAR = date(2027, 2, 1), date(2027, 3, 31)

MERGED: list[tuple[str, list[Window], list[Window]]] = [
    ("overlapping one-offs", [one_off(5, 9, 12), one_off(5, 11, 14)], [one_off(5, 9, 14)]),
    ("touching one-offs", [one_off(5, 9, 12), one_off(5, 12, 14)], [one_off(5, 9, 14)]),
    ("a chain of three", [one_off(5, 9, 10), one_off(5, 13, 14), one_off(5, 10, 13)], [one_off(5, 9, 14)]),
    ("the same window twice", [one_off(5, 9, 12), one_off(5, 9, 12)], [one_off(5, 9, 12)]),
    ("weekly hours that overlap", [weekly([1], 9, 12, DEC, JAN), weekly([1], 11, 14, DEC, JAN)],
     [weekly([1], 9, 14, DEC, JAN)]),
    ("weekly dates that touch", [weekly([1, 3], 9, 12, DEC, JAN), weekly([1, 3], 9, 12, FEB, MAR)],
     [weekly([1, 3], 9, 12, DEC, MAR)]),
    ("weekly windows on other days", [weekly([1], 9, 12, DEC, JAN), weekly([3], 9, 12, DEC, JAN)],
     [weekly([1, 3], 9, 12, DEC, JAN)]),
    ("a weekly window inside another", [weekly([1], 10, 11, DEC, DEC), weekly([1, 2], 9, 12, DEC, JAN)],
     [weekly([1, 2], 9, 12, DEC, JAN)]),
    # 7 December 2026 is a Monday.
    ("a one-off inside a weekly day", [one_off(7, 10, 11), weekly([1], 9, 12, DEC, JAN)],
     [weekly([1], 9, 12, DEC, JAN)]),
    ("a weekly window inside a one-off",
     [OneOffWindow(starts_at=at(1, 0), ends_at=at(31, 0)), weekly([1], 9, 12, DEC, date(2026, 12, 28))],
     [OneOffWindow(starts_at=at(1, 0), ends_at=at(31, 0))]),
]  # fmt: skip

KEPT: list[tuple[str, list[Window]]] = [
    ("one-offs apart", [one_off(5, 9, 12), one_off(5, 13, 14)]),
    ("weekly hours and dates both different", [weekly([1], 9, 12, DEC, JAN), weekly([1], 11, 14, FEB, MAR)]),
    ("weekly hours apart", [weekly([1], 9, 10, DEC, JAN), weekly([1], 11, 14, DEC, JAN)]),
    ("a one-off outside the weekly hours", [one_off(7, 8, 11), weekly([1], 9, 12, DEC, JAN)]),
    ("dates that would span more than 400 days",
     [weekly([1], 9, 12, date(2026, 1, 1), date(2026, 12, 31)), weekly([1], 9, 12, date(2027, 1, 1), MAR)]),
]  # fmt: skip


@pytest.mark.parametrize(("given", "expected"), [(g, e) for _, g, e in MERGED], ids=[n for n, _, _ in MERGED])
def test_windows_whose_union_is_one_window_are_merged(given: list[Window], expected: list[Window]) -> None:
    assert merge_windows(given) == expected


@pytest.mark.parametrize("given", [g for _, g in KEPT], ids=[n for n, _ in KEPT])
def test_windows_no_one_window_can_state_are_kept(given: list[Window]) -> None:
    assert merge_windows(given) == given


def _same_instants(a: list[Window], b: list[Window]) -> bool:
    """Whether two lists cover the same instants (at a quarter-hour's grain)."""
    quarter = timedelta(minutes=15)

    def quarters(windows: list[Window]) -> set[datetime]:
        found = set()
        for start, end in window_ranges(windows):
            moment = start
            while moment < end:
                found.add(moment)
                moment += quarter
        return found

    return quarters(a) == quarters(b)


@pytest.mark.parametrize(("given", "expected"), [(g, e) for _, g, e in MERGED], ids=[n for n, _, _ in MERGED])
def test_a_merge_covers_the_same_instants(given: list[Window], expected: list[Window]) -> None:
    assert _same_instants(merge_windows(given), given)


# -- through the API -------------------------------------------------------------------------------


def api_window(day: int, start: int, end: int) -> dict[str, Any]:
    return {"starts_at": at(day, start).isoformat(), "ends_at": at(day, end).isoformat()}


async def test_an_offer_with_no_availability_is_400(api: Api) -> None:
    path = f"/api/v1/units/{api.units['own']}/offers"
    for body in (offer_body(availability=[]), {k: v for k, v in offer_body().items() if k != "availability"}):
        refused = await api.post(path, body)
        assert refused.status_code == 400, refused.text
        assert "availability" in [e["field"] for e in refused.json()["errors"]]


async def test_revising_availability_to_none_is_400(api: Api) -> None:
    made = (await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body())).json()
    refused = await api.patch(f"/api/v1/offers/{made['id']}", {"availability": []})
    assert refused.status_code == 400, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["availability"]


async def test_overlapping_windows_are_merged_on_submit_and_on_revise(api: Api) -> None:
    overlapping = [api_window(5, 9, 12), api_window(5, 11, 14), api_window(6, 9, 10)]
    made = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body(availability=overlapping))
    assert made.status_code == 201, made.text
    expected = [api_window(5, 9, 14), api_window(6, 9, 10)]
    assert [_instants(w) for w in made.json()["availability"]] == [_instants(w) for w in expected]
    touching = [api_window(7, 9, 12), api_window(7, 12, 15)]
    revised = await api.patch(f"/api/v1/offers/{made.json()['id']}", {"availability": touching})
    assert revised.status_code == 200, revised.text
    assert [_instants(w) for w in revised.json()["availability"]] == [_instants(api_window(7, 9, 15))]


def _instants(window: dict[str, Any]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(window["starts_at"]), datetime.fromisoformat(window["ends_at"])
