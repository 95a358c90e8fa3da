"""The candidate query's cut, on random small registries: a board of each slot's best K is the first
K of the board of every candidate, and every candidate is what the domain's own rules find.

The query ranks in SQL and keeps per slot only what can reach the best K; these compare it with
ranking everything in Python (`keep=ALL`), and that with the hard filters applied to the offers'
states in Python.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from registry.domain.capacity import remaining_in
from registry.domain.offer import Offer
from registry.domain.values import LOCAL_ZONE, covers_window, serves
from registry.matching.config import MatchConfig
from registry.matching.scoring import Weights
from registry.read.board import ALL, Board, read_plan_board
from tests.api_fixtures import Api, plan_body, unit_body
from tests.test_api_commitments import ok

# Each example lives in weeks of its own, so the offers of earlier ones cover none of its slots.
EPOCHS = itertools.count()
FIRST_MONDAY = date(2027, 1, 4)
CATEGORIES = ["repair", "repair.umbrella", "repair.shoe", "legal", "legal.consultation"]
# Mostly people: a slot pairs only with offers of its own measure (the index's last key).
MEASURES = ["people", "people", "booths"]
AREAS: list[list[str]] = [[], ["虹口区"], ["虹口区/欧阳路街道"], ["浦东新区"]]
# Units beside the fixture's two (both in 虹口区/欧阳路街道, the plans' area), for proximity.
ELSEWHERE = {
    "near": "虹口区/欧阳路街道/虹仪居民区",
    "district": "虹口区/嘉兴路街道",
    "far": "浦东新区/陆家嘴街道",
}
_offer_state = msgspec.json.Decoder(Offer)


def at(day: date, hour: int) -> str:
    return datetime.combine(day, datetime.min.time(), LOCAL_ZONE).replace(hour=hour).isoformat()


@st.composite
def window(draw: st.DrawFn, monday: date) -> dict[str, Any]:
    """A one-off window on the Monday or Tuesday the slots are on, or a weekly one around them."""
    start = draw(st.integers(7, 12))
    end = start + draw(st.integers(2, 10))
    if draw(st.booleans()):
        day = monday + timedelta(days=draw(st.sampled_from([7, 8])))
        return {"starts_at": at(day, start), "ends_at": at(day, end)}
    return {
        "weekdays": sorted(draw(st.sets(st.integers(1, 3), min_size=1))),
        "start_time": f"{start:02}:00:00", "end_time": f"{end:02}:00:00",
        "from_date": (monday + timedelta(days=draw(st.integers(0, 8)))).isoformat(),
        "to_date": (monday + timedelta(days=draw(st.integers(8, 20)))).isoformat(),
    }  # fmt: skip


@st.composite
def registry_case(draw: st.DrawFn) -> dict[str, Any]:
    monday = FIRST_MONDAY + timedelta(weeks=10 * next(EPOCHS))
    offers = [
        {
            "unit": draw(st.sampled_from(["own", "other", *ELSEWHERE])),
            "category": draw(st.sampled_from(CATEGORIES)),
            "title": f"资源{i}",
            "capacity": {"quantity": draw(st.integers(1, 4)), "measure": draw(st.sampled_from(MEASURES))},
            "availability": draw(st.lists(window(monday), min_size=1, max_size=2)),
            "service_area": draw(st.sampled_from(AREAS)),
        }
        for i in range(draw(st.integers(4, 16)))
    ]
    slots = []
    for _ in range(draw(st.integers(1, 3))):
        day, start = monday + timedelta(days=draw(st.sampled_from([7, 8]))), draw(st.integers(8, 14))
        slots.append({
            "category": draw(st.sampled_from(["repair", "repair", "legal"])),
            "quantity": draw(st.integers(1, 4)), "measure": draw(st.sampled_from(MEASURES)),
            "starts_at": at(day, start), "ends_at": at(day, start + draw(st.integers(1, 3))),
        })  # fmt: skip
    weights = Weights(
        **{name: draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])) for name in Weights.__struct_fields__}
    )
    return {
        "monday": monday, "offers": offers, "slots": slots, "weights": weights,
        "keep": draw(st.integers(1, 3)), "dispatch": draw(st.booleans()),
    }  # fmt: skip


async def build(api: Api, case: dict[str, Any]) -> uuid.UUID:
    for name, area in ELSEWHERE.items():
        if name not in api.units:
            made = await ok(await api.post("/api/v1/units", unit_body(f"{name}单位", area)), 201)
            api.units[name] = uuid.UUID(made["id"])
    monday: date = case["monday"]
    for o in case["offers"]:
        body = {k: v for k, v in o.items() if k != "unit"}
        await ok(await api.post(f"/api/v1/units/{api.units[o['unit']]}/offers", body), 201)
    window = {"starts_at": at(monday + timedelta(days=7), 0), "ends_at": at(monday + timedelta(days=14), 0)}
    plan = await ok(await api.post("/api/v1/plans", plan_body(**window)), 201)
    for slot in case["slots"]:
        await ok(await api.post(f"/api/v1/plans/{plan['id']}/slots", slot), 201)
    await ok(await api.post(f"/api/v1/plans/{plan['id']}/publish"))
    return uuid.UUID(plan["id"])


async def hold_some(api: Api, plan_id: uuid.UUID, board: Board) -> None:
    """Dispatch all that is left of each slot's first candidate (up to what the slot wants): holds
    that leave it nothing in overlapping slots, and units with a record."""
    plan = await ok(await api.get(f"/api/v1/plans/{plan_id}"))
    for slot, found in zip(plan["slots"], board.demands, strict=True):
        if found.candidates:
            first = found.candidates[0]
            body = {"offer_id": str(first.offer.offer_id), "quantity": min(first.remaining, slot["quantity"]),
                    "plan_id": str(plan_id), "slot_id": slot["id"]}  # fmt: skip
            response = await api.post("/api/v1/commitments", body)
            assert response.status_code in (201, 409), response.text  # 409: an earlier slot took it


async def by_the_rules(api: Api, board: Board) -> list[set[uuid.UUID]]:
    """Every demand's candidates, from the offers' states and the domain's rules alone."""
    states = [
        _offer_state.decode(row["state"])
        for row in await api.registry.list_pool.fetch(
            "SELECT state FROM registry_read.offers WHERE valid_to IS NULL"
        )
    ]
    return [
        {
            o.id
            for o in states
            if o.status == "active"
            and o.capacity.measure == d.measure
            and (o.category == d.category or o.category.startswith(d.category + "."))
            and covers_window(o.availability, d.starts_at, d.ends_at)
            and serves(o.service_area, d.place)
            and remaining_in(o.capacity.quantity, o.holds, d.starts_at, d.ends_at) > 0
        }
        for d in (m.demand for m in board.demands)
    ]


# No shrinking: each step replays API calls, and a failing example reads well enough as drawn.
@settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=registry_case())
async def test_the_best_k_cut_in_sql_is_the_first_k_of_every_candidate_ranked(
    api: Api, case: dict[str, Any]
) -> None:
    pool, config = api.registry.list_pool, MatchConfig(weights=case["weights"])
    plan_id = await build(api, case)
    if case["dispatch"]:
        await hold_some(api, plan_id, (await read_plan_board(pool, plan_id, None, config))[1])
    _, every = await read_plan_board(pool, plan_id, None, config, ALL)
    _, best = await read_plan_board(pool, plan_id, None, config, case["keep"])
    for all_of_them, cut in zip(every.demands, best.demands, strict=True):
        assert cut.candidates == all_of_them.candidates[: case["keep"]]
    expected = await by_the_rules(api, every)
    assert [{c.offer.offer_id for c in m.candidates} for m in every.demands] == expected


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=registry_case())
async def test_a_board_as_of_a_position_is_the_board_read_current_at_it(
    api: Api, case: dict[str, Any]
) -> None:
    """The as-of half of the query (every row version, its own indexes) answers what the current
    half answered when the registry stood there: before and after dispatches, pauses and revisions."""
    pool, config = api.registry.list_pool, MatchConfig(weights=case["weights"])
    plan_id = await build(api, case)
    then: list[Board] = []
    for change in ("none", "dispatch", "pause", "revise"):
        board = (await read_plan_board(pool, plan_id, None, config))[1]
        if change == "dispatch":
            await hold_some(api, plan_id, board)
        elif board.offers:
            offer_id = min(board.offers)
            if change == "pause":
                await ok(await api.post(f"/api/v1/offers/{offer_id}/pause"))
            else:
                capacity = (await ok(await api.get(f"/api/v1/offers/{offer_id}")))["capacity"]
                more = {"capacity": {**capacity, "quantity": capacity["quantity"] + 1}}
                await ok(await api.patch(f"/api/v1/offers/{offer_id}", more))
        then.append(board)
    for board in then:
        for keep in (ALL, case["keep"]):
            _, again = await read_plan_board(pool, plan_id, board.position, config, keep)
            cut = [msgspec.structs.replace(m, candidates=m.candidates[:keep]) for m in board.demands]
            assert again.demands == cut
            assert set(again.offers) <= set(board.offers)
