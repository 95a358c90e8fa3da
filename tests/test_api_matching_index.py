"""Matching's exact availability index through the API: only offers whose own ranges cover a
slot are candidates (or listed for its window), however their windows' bounds fall, current and
as of a position."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api_fixtures import Api
from tests.test_api_commitments import offer, ok
from tests.test_api_matching import fair_with_slots

TUESDAY = {"starts_at": "2026-10-20T08:00:00+08:00", "ends_at": "2026-10-20T18:00:00+08:00"}
TEN_TO_ELEVEN = {"starts_at": "2026-10-20T10:00:00+08:00", "ends_at": "2026-10-20T11:00:00+08:00"}
HALF_NINE_TO_HALF_ELEVEN = {"starts_at": "2026-10-20T09:30:00+08:00", "ends_at": "2026-10-20T11:30:00+08:00"}


def weekly(weekdays: list[int], from_date: str, to_date: str) -> dict[str, Any]:
    return {"weekdays": weekdays, "start_time": "09:00:00", "end_time": "12:00:00",
            "from_date": from_date, "to_date": to_date}  # fmt: skip


def on_tuesday(start: str, end: str) -> dict[str, str]:
    return {"starts_at": f"2026-10-20T{start}:00+08:00", "ends_at": f"2026-10-20T{end}:00+08:00"}


async def offers_around_the_slots(api: Api) -> tuple[dict[str, str], dict[str, str]]:
    """Offers whose windows' bounds span Tuesday 2026-10-20 9:30-11:30 (named `bounding`), and
    offers whose ranges really cover it (`covering`), by title."""
    availabilities = {
        # Bounds only: Mondays and Wednesdays around it; 9-10 and 11-12 that day; Tuesdays with
        # that very one missing (the same week position, inside the run's overall span).
        "bounding_mon_wed": [weekly([1, 3], "2026-10-05", "2026-11-04")],
        "bounding_split": [on_tuesday("09:00", "10:00"), on_tuesday("11:00", "12:00")],
        "bounding_gap_week": [
            weekly([2], "2026-10-06", "2026-10-13"),
            weekly([2], "2026-10-27", "2026-11-03"),
        ],
        # Covering: two ranges that touch (merged), and every Tuesday.
        "covering_touching": [on_tuesday("09:00", "10:30"), on_tuesday("10:30", "12:00")],
        "covering_tuesdays": [weekly([2], "2026-10-06", "2026-11-03")],
    }
    made = {title: await offer(api, title=title, availability=a) for title, a in availabilities.items()}
    ids = {title: o["id"] for title, o in made.items()}
    return (
        {t: i for t, i in ids.items() if t.startswith("bounding")},
        {t: i for t, i in ids.items() if t.startswith("covering")},
    )


async def test_only_offers_whose_own_ranges_cover_a_slot_are_its_candidates(api: Api) -> None:
    _, covering = await offers_around_the_slots(api)
    plan = await fair_with_slots(
        api,
        {"category": "repair", "quantity": 1, **TEN_TO_ELEVEN},
        {"category": "repair", "quantity": 1, **HALF_NINE_TO_HALF_ELEVEN},
        window=TUESDAY,
    )
    matches = await ok(await api.get(f"/api/v1/plans/{plan['id']}/matches"))
    for slot in matches["slots"]:
        assert {c["offer_id"] for c in slot["candidates"]} == set(covering.values())
        coverage = {
            next(f["value"] for f in c["factors"] if f["name"] == "time_coverage") for c in slot["candidates"]
        }
        wanted = 1 / 3 if slot["starts_at"].endswith("10:00:00+08:00") else 2 / 3
        assert coverage == {round(wanted, 4)}  # the merged range 9-12, not one of its halves


async def test_an_offer_list_for_a_window_lists_only_offers_covering_it(api: Api) -> None:
    bounding, covering = await offers_around_the_slots(api)
    for window in (TEN_TO_ELEVEN, HALF_NINE_TO_HALF_ELEVEN):
        params = {"available_from": window["starts_at"], "available_to": window["ends_at"], "limit": 2}
        first = await ok(await api.get("/api/v1/offers", params=params))
        listed = [o["id"] for o in first["items"]]
        assert listed == list(covering.values())  # in submission order, one page of two
        assert not set(listed) & set(bounding.values())
        rest = await ok(await api.get("/api/v1/offers", params={**params, "cursor": first["next_cursor"]}))
        assert rest["items"] == []


async def test_a_revised_availability_leaves_the_board_as_of_before_it_as_it_was(api: Api) -> None:
    plan = await fair_with_slots(api, {"category": "repair", "quantity": 1, **TEN_TO_ELEVEN}, window=TUESDAY)
    moved = await offer(api, availability=[on_tuesday("09:00", "12:00")])
    seen = await ok(await api.get(f"/api/v1/plans/{plan['id']}/matches"))
    assert [c["offer_id"] for c in seen["slots"][0]["candidates"]] == [moved["id"]]

    await ok(
        await api.patch(f"/api/v1/offers/{moved['id']}", {"availability": [on_tuesday("13:00", "16:00")]})
    )
    now = await ok(await api.get(f"/api/v1/plans/{plan['id']}/matches"))
    assert now["slots"][0]["candidates"] == []
    then = {"as_of": seen["log_position"]}
    assert await ok(await api.get(f"/api/v1/plans/{plan['id']}/matches", params=then)) == seen
    listed = await ok(
        await api.get(
            "/api/v1/offers",
            params={
                **then,
                "available_from": TEN_TO_ELEVEN["starts_at"],
                "available_to": TEN_TO_ELEVEN["ends_at"],
            },
        )
    )
    assert [o["id"] for o in listed["items"]] == [moved["id"]]


async def test_an_offers_index_rows_are_versioned_and_rewritten_only_when_they_change(api: Api) -> None:
    made = await offer(api, availability=[on_tuesday("09:00", "12:00")])
    rows = "SELECT valid_from, valid_to FROM registry_read.offer_windows WHERE offer_id = $1"

    async def versions() -> list[tuple[int, int | None]]:
        found = await api.registry.list_pool.fetch(rows + " ORDER BY valid_from", uuid.UUID(made["id"]))
        return [(r["valid_from"], r["valid_to"]) for r in found]

    first = await versions()
    assert len(first) == 1 and first[0][1] is None
    await ok(await api.patch(f"/api/v1/offers/{made['id']}", {"title": "修伞（新）"}))
    assert await versions() == first  # a title is nothing the index holds

    moved = await api.patch(f"/api/v1/offers/{made['id']}", {"availability": [on_tuesday("13:00", "16:00")]})
    await ok(moved)
    position = int(moved.headers["X-Log-Position"])
    assert await versions() == [(first[0][0], position), (position, None)]
