"""The offer list by availability, paged in the window index (offers-list-covering.sql).

A list asking for a window is found, filtered, ordered and cut to the page in `offer_windows`;
only the page's offers are read. Its answers are compared with offers-list.sql, the query that
reads every covering offer by id and filters and orders them in `offers` (what the list did
before, and still does for a text search): at every position of a history of revisions, pauses,
withdrawals and expiries, for each filter, whole and page by page.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any

import asyncpg
import pytest

from events.sql import query
from registry.domain.values import LOCAL_ZONE
from registry.read.asked import asked_time
from registry.read.queries import OfferFilter, Page, list_offers
from registry.read.views import expired_offer_doc
from registry.read.windows import week_span
from tests.api_fixtures import Api, offer_body, serving_api
from tests.clock import ManualClock

CATEGORIES = ["repair", "repair.umbrella", "repair.shoe", "medical.eye-screening"]
AREAS: list[list[str]] = [[], ["虹口区"], ["虹口区/欧阳路街道"], ["杨浦区"]]
MANY = 1_000


class History:
    """Offers made and changed through the API; the log positions after each write."""

    def __init__(self, api: Api, clock: ManualClock) -> None:
        self.api, self.clock = api, clock
        # A day some days ahead: every window and expiry is relative to the test's clock.
        self.day = (clock() + timedelta(days=4)).astimezone(LOCAL_ZONE).date()
        self.positions: list[int] = []
        self.offers: list[str] = []

    def at(self, days: int, hour: int) -> datetime:
        return datetime.combine(self.day + timedelta(days=days), time(hour), LOCAL_ZONE)

    def windows(self, rng: random.Random) -> list[dict[str, Any]]:
        one_off = [(0, 9, 12), (0, 9, 11), (1, 13, 17), (7, 9, 12)]
        choice = rng.randrange(3)
        found: list[dict[str, Any]] = []
        if choice != 1:
            days, start, end = rng.choice(one_off)
            found.append(
                {"starts_at": self.at(days, start).isoformat(), "ends_at": self.at(days, end).isoformat()}
            )
        if choice != 0:
            weekday = (self.day + timedelta(days=rng.choice([0, 0, 1]))).isoweekday()
            first = self.day - timedelta(days=rng.choice([0, 7]))
            found.append({
                "weekdays": sorted({weekday, rng.randint(1, 7)}),
                "start_time": f"{rng.choice([9, 10]):02d}:00:00", "end_time": "17:00:00",
                "from_date": first.isoformat(),
                "to_date": (first + timedelta(days=rng.choice([6, 14, 28]))).isoformat(),
            })  # fmt: skip
        return found

    def valid_until(self, rng: random.Random) -> str | None:
        return rng.choice([None, None, (self.day + timedelta(days=rng.choice([0, 3]))).isoformat()])

    def noted(self, response: Any) -> Any:
        assert response.status_code in (200, 201), response.text
        self.positions.append(int(response.headers["X-Log-Position"]))
        return response

    async def submit(self, rng: random.Random) -> None:
        unit = self.api.units[rng.choice(["own", "other"])]
        body = offer_body(
            category=rng.choice(CATEGORIES), availability=self.windows(rng), service_area=rng.choice(AREAS),
            valid_until=self.valid_until(rng), title=f"服务 {len(self.offers)}",
        )  # fmt: skip
        made = self.noted(await self.api.post(f"/api/v1/units/{unit}/offers", body))
        self.offers.append(made.json()["id"])

    async def change(self, rng: random.Random) -> None:
        path = f"/api/v1/offers/{rng.choice(self.offers)}"
        status = (await self.api.get(path)).json()["status"]
        if status == "withdrawn":
            return
        what = rng.choice(["category", "availability", "area", "until", "title", "pause", "withdraw"])
        if what == "pause":
            response = await self.api.post(f"{path}/{'resume' if status == 'paused' else 'pause'}")
        elif what == "withdraw":
            response = await self.api.post(f"{path}/withdraw")
        else:
            body = {
                "category": {"category": rng.choice(CATEGORIES)},
                "availability": {"availability": self.windows(rng)},
                "area": {"service_area": rng.choice(AREAS)},
                "until": {"valid_until": self.valid_until(rng)},
                "title": {"title": f"改名 {rng.randrange(100)}"},
            }[what]
            response = await self.api.patch(path, body)
        if response.status_code in (200, 201):
            self.noted(response)
        else:  # a rule said no (an expired offer cannot be resumed, say): nothing recorded
            assert response.status_code in (409, 422), response.text


@pytest.fixture
async def history(database_dsn: str) -> AsyncIterator[History]:
    clock = ManualClock()
    async with serving_api(database_dsn, clock) as api:
        made = History(api, clock)
        rng = random.Random(12)  # a fixed history: a failure can be replayed
        for _ in range(36):
            await made.submit(rng)
        for _ in range(40):
            await made.change(rng)
        yield made


async def reference(
    pool: asyncpg.Pool[Any], where: OfferFilter, as_of: int | None, after: int, limit: int
) -> Page:
    """The list by offers-list.sql: every covering offer read by id, filtered in `offers`."""
    start, end = where.available_from, where.available_to
    assert start is not None and end is not None
    asked = await asked_time(pool, as_of, where.now)
    rows = await pool.fetch(
        query("registry/offers-list"),
        as_of, after, where.category, *_bounds(where.category), where.unit_id, where.status, where.area,
        start, end, None, limit, *week_span(start, end), asked,
    )  # fmt: skip
    docs = [(expired_offer_doc(r["doc"], asked) or r["doc"]) if r["expired"] else r["doc"] for r in rows]
    return Page(docs, rows[-1]["created_position"] if len(rows) == limit else None)


def _bounds(category: str | None) -> tuple[str | None, str | None]:
    return (category + ".", category + "/") if category is not None else (None, None)


async def paged(pool: asyncpg.Pool[Any], where: OfferFilter, as_of: int | None, size: int) -> list[str]:
    """Every page of `size` by the cursor, one after another, joined."""
    docs: list[str] = []
    after = 0
    while True:
        page = await list_offers(pool, where, as_of, after, size)
        docs += page.docs
        if page.last is None:
            return docs
        assert page.last > after
        after = page.last


def filters(h: History, unit: uuid.UUID) -> list[OfferFilter]:
    asked: list[tuple[datetime, datetime]] = [
        (h.at(0, 10), h.at(0, 11)),  # one-off windows and the weekly runs of that weekday
        (h.at(7, 10), h.at(7, 11)),  # a week later: weekly runs that last, one one-off
        (h.at(1, 14), h.at(1, 16)),
        (h.at(0, 8), h.at(0, 10)),  # starts before every window: nothing covers it
    ]
    later = h.clock() + timedelta(days=6)  # past some offers' valid_until: those have expired
    found = []
    for start, end in asked:
        common = {"available_from": start, "available_to": end}
        found += [
            OfferFilter(**common),
            OfferFilter(**common, category="repair"),
            OfferFilter(**common, category="repair.shoe", status="active"),
            OfferFilter(**common, status="paused"),
            OfferFilter(**common, status="withdrawn"),
            OfferFilter(**common, status="expired", now=later),
            OfferFilter(**common, status="active", now=later),
            OfferFilter(**common, area="虹口区/欧阳路街道/虹仪居民区"),
            OfferFilter(**common, area="杨浦区", category="repair"),
            OfferFilter(**common, unit_id=unit, category="repair"),
        ]
    return found


async def test_the_list_by_availability_answers_as_offers_list_does_at_every_position(
    history: History,
) -> None:
    pool = history.api.registry.list_pool
    everything = 0
    for as_of in [*history.positions[::3], history.positions[-1], None]:
        for where in filters(history, history.api.units["own"]):
            expected = await reference(pool, where, as_of, 0, MANY)
            assert (await list_offers(pool, where, as_of, 0, MANY)).docs == expected.docs, (as_of, where)
            everything += len(expected.docs)
    assert everything > 500, "the history should give the filters something to find"


async def test_pages_by_the_cursor_are_complete_and_in_order(history: History) -> None:
    pool = history.api.registry.list_pool
    for as_of in [history.positions[len(history.positions) // 2], None]:
        for where in filters(history, history.api.units["own"])[:3]:
            whole = await reference(pool, where, as_of, 0, MANY)
            assert await paged(pool, where, as_of, 3) == whole.docs
            assert len(whole.docs) > 3 or where.category == "repair.shoe"
            # A page cut in the middle goes on right after its last offer.
            first = await list_offers(pool, where, as_of, 0, 2)
            if first.last is not None:
                rest = await reference(pool, where, as_of, first.last, MANY)
                assert first.docs + rest.docs == whole.docs


async def test_offer_windows_rows_carry_their_offer_s_created_position(history: History) -> None:
    pool = history.api.registry.list_pool
    # An offer's first row is valid from its submission: the position the list orders it by.
    rows = await pool.fetch(
        "SELECT w.offer_id, w.created_position, (SELECT min(valid_from) FROM registry_read.offers AS o"
        " WHERE o.id = w.offer_id) AS submitted FROM registry_read.offer_windows AS w"
    )
    assert len(rows) > 36
    assert all(r["created_position"] == r["submitted"] for r in rows)
