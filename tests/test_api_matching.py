"""Matching, allocation, fulfilment and reports through the API: the 点单 → 派单 → 接单 → 晒单 loop."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api_fixtures import Api, need_body, plan_body
from tests.test_api_commitments import AFTERNOON, DAY, MORNING, offer, ok

NEXT_DAY = {"starts_at": "2026-10-18T08:00:00+08:00", "ends_at": "2026-10-18T18:00:00+08:00"}
NEXT_MORNING = {"starts_at": "2026-10-18T09:00:00+08:00", "ends_at": "2026-10-18T12:00:00+08:00"}
FACTORS = (
    "category_fit",
    "time_coverage",
    "capacity_fit",
    "proximity",
    "reliability",
    "fairness",
    "reciprocity",
)


async def fair_with_slots(api: Api, *slots: dict[str, Any], window: dict[str, str] = DAY) -> dict[str, Any]:
    plan = await ok(await api.post("/api/v1/plans", plan_body(**window)), 201)
    for slot in slots:
        await ok(await api.post(f"/api/v1/plans/{plan['id']}/slots", slot), 201)
    await ok(await api.post(f"/api/v1/plans/{plan['id']}/publish"))
    return await ok(await api.get(f"/api/v1/plans/{plan['id']}"))


async def test_the_whole_loop_need_dispatched_accepted_fulfilled_reported_and_in_both_ledgers(
    api: Api,
) -> None:
    # 点单: the city-management squad needs crowd-guidance volunteers at the metro station.
    need = await ok(
        await api.post(
            f"/api/v1/units/{api.units['other']}/needs",
            need_body(category="volunteers", quantity=4, **MORNING),
            who="liaison_other",
        ),
        201,
    )
    volunteers = await offer(
        api,
        category="volunteers.crowd-guidance",
        title="青年志愿者",
        capacity={"quantity": 6, "measure": "people"},
    )
    own_need_offer = await offer(
        api, unit="other", category="volunteers.crowd-guidance", title="本单位志愿者"
    )
    matches = await ok(await api.get(f"/api/v1/needs/{need['id']}/matches", who="liaison_other"))
    offered = [c["offer_id"] for c in matches["candidates"]]
    assert volunteers["id"] in offered and own_need_offer["id"] not in offered  # not its own offer
    assert (await api.get(f"/api/v1/needs/{need['id']}/matches", who="liaison_own")).status_code == 403

    # 派单 → 接单 → 晒单
    made = await ok(
        await api.post(
            "/api/v1/commitments", {"offer_id": volunteers["id"], "quantity": 4, "need_id": need["id"]}
        ),
        201,
    )
    path = f"/api/v1/commitments/{made['id']}"
    await ok(await api.post(f"{path}/confirm", who="liaison_own"))
    assert (await api.get(f"/api/v1/needs/{need['id']}")).json()["status"] == "met"
    await ok(
        await api.post(f"{path}/fulfil", {"people_served": 120, "volunteer_hours": 12}, who="liaison_own")
    )

    given = await ok(await api.get(f"/api/v1/units/{api.units['own']}/ledger"))
    received = await ok(await api.get(f"/api/v1/units/{api.units['other']}/ledger", who="auditor"))
    assert given["given"] == {
        "items": 1, "quantity": 4, "volunteer_hours": 12.0, "people_served": 120,
        "reported_volunteer_hours": 12.0, "reported_people_served": 120, "corrections": 0,
    }  # fmt: skip
    assert given["balance"] == {"items": 1, "volunteer_hours": 12.0}
    assert received["received"]["volunteer_hours"] == 12.0 and received["balance"]["items"] == -1
    assert given["months"][0]["month"] == "2026-10"
    assert len(given["head_hash"]) == 64


async def test_a_fair_is_allocated_dispatched_accepted_fulfilled_reported_and_completed(api: Api) -> None:
    plan = await fair_with_slots(
        api,
        {"category": "repair.umbrella", "quantity": 2, **MORNING},
        {"category": "medical", "quantity": 1, **MORNING},
    )
    umbrellas = await offer(api, category="repair.umbrella", capacity={"quantity": 2, "measure": "people"})
    eyes = await offer(api, unit="other", category="medical.eye-screening")

    board = await ok(await api.get(f"/api/v1/plans/{plan['id']}/matches"))
    first = board["slots"][0]["candidates"][0]
    assert first["offer_id"] == umbrellas["id"]
    assert [f["name"] for f in first["factors"]] == list(FACTORS)
    assert all(set(f) == {"name", "value", "weight"} for f in first["factors"])

    preview = await ok(await api.post(f"/api/v1/plans/{plan['id']}/allocate", {"dry_run": True}))
    assert preview["unmet"] == [] and preview["allocation_id"] is None
    assert (await api.get(f"/api/v1/offers/{umbrellas['id']}")).json()["remaining"] == 2  # nothing written

    dispatched = await api.post(f"/api/v1/plans/{plan['id']}/allocate", {"dry_run": False})
    out = await ok(dispatched)
    assert int(dispatched.headers["x-log-position"]) > out["log_position"]
    assert sorted((a["offer_id"], a["quantity"]) for a in out["assignments"]) == sorted(
        [(umbrellas["id"], 2), (eyes["id"], 1)]
    )
    assert (await api.get(f"/api/v1/plans/{plan['id']}")).json()["status"] == "staffed"

    for assignment, who in zip(out["assignments"], ("liaison_own", "liaison_other"), strict=True):
        path = f"/api/v1/commitments/{assignment['commitment_id']}"
        shown = await ok(await api.get(path))
        assert shown["status"] == "proposed" and shown["allocation_id"] == out["allocation_id"]
        await ok(await api.post(f"{path}/confirm", who=who))
        await ok(await api.post(f"{path}/fulfil", {"people_served": 30, "volunteer_hours": 3}, who=who))

    report = await ok(await api.get(f"/api/v1/plans/{plan['id']}/report", who="auditor"))
    assert (report["service_items"], report["people_served"], report["units_involved"]) == (2, 60, 2)
    assert [line["fulfilled"] for line in report["slots"]] == [2, 1]
    assert report["slots"][0]["label_zh"] and len(report["head_hash"]) == 64

    completed = await ok(await api.post(f"/api/v1/plans/{plan['id']}/complete", {"notes": "圆满完成"}))
    assert completed["status"] == "completed"
    assert completed["outcome"]["people_served"] == 60 and completed["outcome"]["service_items"] == 2
    assert (await api.post(f"/api/v1/plans/{plan['id']}/allocate", {"dry_run": False})).status_code == 409


async def test_an_allocation_recomputed_as_of_its_recorded_position_is_the_same(api: Api) -> None:
    plan = await fair_with_slots(
        api,
        {"category": "repair", "quantity": 3, **MORNING},
        {"category": "repair", "quantity": 2, **AFTERNOON},
    )
    for capacity in (1, 2, 3):
        await offer(api, capacity={"quantity": capacity, "measure": "people"})
    out = await ok(await api.post(f"/api/v1/plans/{plan['id']}/allocate", {"dry_run": False}))
    # Later changes the recomputation must not see: another offer, and the dispatch itself.
    await offer(api, capacity={"quantity": 9, "measure": "people"})

    events = [e async for e in api.registry.store.read_stream(f"plan-{plan['id']}")]
    recorded = next(e.data for e in events if e.type == "plan_allocated")
    again = await ok(
        await api.post(
            f"/api/v1/plans/{plan['id']}/allocate",
            {"dry_run": True, "weights": recorded.weights},
            params={"as_of": str(recorded.read_position)},
        )
    )
    pairs = [(str(a.slot_id), str(a.offer_id), a.quantity) for a in recorded.assignments]
    assert [(a["slot_id"], a["offer_id"], a["quantity"]) for a in again["assignments"]] == pairs
    assert [(a["slot_id"], a["offer_id"], a["quantity"]) for a in out["assignments"]] == pairs
    assert recorded.solver in ("min_cost_flow", "cp_sat") and recorded.solver_version.startswith("ortools")
    now = await ok(await api.post(f"/api/v1/plans/{plan['id']}/allocate", {"dry_run": True}))
    assert now["assignments"] == []  # everything is covered now


async def test_infeasible_demand_comes_back_as_unmet(api: Api) -> None:
    slot = {"category": "legal.consultation", "quantity": 3, "measure": "sessions", **MORNING}
    plan = await fair_with_slots(api, slot)
    await offer(api, category="legal.consultation", capacity={"quantity": 1, "measure": "sessions"})
    out = await ok(await api.post(f"/api/v1/plans/{plan['id']}/allocate"))
    assert out["unmet"] == [{"slot_id": plan["slots"][0]["id"], "quantity": 2}]


async def test_matches_leave_out_paused_exhausted_and_unfit_offers(api: Api) -> None:
    plan = await fair_with_slots(api, {"category": "repair", "quantity": 5, **MORNING})
    slot = plan["slots"][0]
    fits = await offer(api)
    paused = await offer(api)
    await ok(await api.post(f"/api/v1/offers/{paused['id']}/pause"))
    exhausted = await offer(api, capacity={"quantity": 1, "measure": "people"})
    await ok(
        await api.post(
            "/api/v1/commitments",
            {"offer_id": exhausted["id"], "quantity": 1, "plan_id": plan["id"], "slot_id": slot["id"]},
        ),
        201,
    )
    afternoon_only = await offer(api, availability=[AFTERNOON])
    elsewhere = await offer(api, service_area=["虹口区/嘉兴路街道"])
    board = await ok(await api.get(f"/api/v1/plans/{plan['id']}/matches"))
    shown = {c["offer_id"] for c in board["slots"][0]["candidates"]}
    assert fits["id"] in shown
    assert not shown & {paused["id"], exhausted["id"], afternoon_only["id"], elsewhere["id"]}
    assert board["slots"][0]["uncovered"] == 4


async def test_matches_as_of_show_the_board_a_coordinator_saw(api: Api) -> None:
    plan = await fair_with_slots(api, {"category": "repair", "quantity": 1, **MORNING})
    first = await offer(api)
    seen = await ok(await api.get(f"/api/v1/plans/{plan['id']}/matches"))
    await offer(api, capacity={"quantity": 1, "measure": "people"})
    await ok(await api.post(f"/api/v1/offers/{first['id']}/withdraw"))
    again = await ok(
        await api.get(f"/api/v1/plans/{plan['id']}/matches", params={"as_of": seen["log_position"]})
    )
    assert again == seen
    now = await ok(await api.get(f"/api/v1/plans/{plan['id']}/matches"))
    assert first["id"] not in {c["offer_id"] for c in now["slots"][0]["candidates"]}


async def test_weights_are_only_for_dry_runs_and_as_of_only_for_dry_runs(api: Api) -> None:
    plan = await fair_with_slots(api, {"category": "repair", "quantity": 1, **MORNING})
    path = f"/api/v1/plans/{plan['id']}/allocate"
    assert (await api.post(path, {"dry_run": False, "weights": {"proximity": 1}})).status_code == 400
    assert (await api.post(path, {"dry_run": False}, params={"as_of": "1"})).status_code == 400
    assert (await api.post(path, {"dry_run": True, "weights": {"nearness": 1}})).status_code == 400
    assert (await api.post(path, {"dry_run": True, "weights": {"proximity": -1}})).status_code == 400


def factors_of(board: dict[str, Any], offer_id: str) -> dict[str, float]:
    candidate = next(c for c in board["slots"][0]["candidates"] if c["offer_id"] == offer_id)
    return {f["name"]: f["value"] for f in candidate["factors"]}


async def test_history_factors_come_from_the_units_commitments(api: Api) -> None:
    """Reliability, fairness and reciprocity, read from the log's commitments as of the board."""
    earlier = await fair_with_slots(api, {"category": "repair", "quantity": 9, **MORNING})
    slot = earlier["slots"][0]
    both_days = {"capacity": {"quantity": 9, "measure": "people"}, "availability": [DAY, NEXT_DAY]}
    own = await offer(api, **both_days)
    other = await offer(api, unit="other", **both_days)

    # The other unit's liaison confirms a dispatch, then does not turn up: a no-show.
    to_slot = {"plan_id": earlier["id"], "slot_id": slot["id"], "quantity": 1}
    missed = await ok(await api.post("/api/v1/commitments", {**to_slot, "offer_id": other["id"]}), 201)
    await ok(await api.post(f"/api/v1/commitments/{missed['id']}/confirm", who="liaison_other"))
    await ok(await api.post(f"/api/v1/commitments/{missed['id']}/no-show"))
    # The own unit is dispatched twice this month (still open): it is getting busy.
    for _ in range(2):
        await ok(await api.post("/api/v1/commitments", {**to_slot, "offer_id": own["id"]}), 201)
    # The other unit's need was met by the own unit in the weeks before: it received help.
    need = await ok(
        await api.post(f"/api/v1/units/{api.units['other']}/needs", need_body(category="repair", **MORNING)),
        201,
    )
    helped = await ok(
        await api.post("/api/v1/commitments", {"offer_id": own["id"], "quantity": 3, "need_id": need["id"]}),
        201,
    )
    await ok(await api.post(f"/api/v1/commitments/{helped['id']}/confirm", who="liaison_own"))

    later = await fair_with_slots(api, {"category": "repair", "quantity": 1, **NEXT_MORNING}, window=NEXT_DAY)
    board = await ok(await api.get(f"/api/v1/plans/{later['id']}/matches"))
    mine, theirs = factors_of(board, own["id"]), factors_of(board, other["id"])
    assert (mine["reliability"], theirs["reliability"]) == (0.5, round(1 / 3, 4))
    assert (mine["fairness"], theirs["fairness"]) == (0.7, 1.0)  # 3 commitments of 10 this month
    assert (mine["reciprocity"], theirs["reciprocity"]) == (0.0, 0.6)  # 3 received of 5


async def test_a_retried_allocation_answers_as_the_first_did_and_dispatches_once(api: Api) -> None:
    plan = await fair_with_slots(api, {"category": "repair", "quantity": 2, **MORNING})
    await offer(api, capacity={"quantity": 2, "measure": "people"})
    key = {"Idempotency-Key": "allocate-fair"}
    path = f"/api/v1/plans/{plan['id']}/allocate"
    first = await api.post(path, {"dry_run": False}, headers=key)
    again = await api.post(path, {"dry_run": False}, headers=key)
    assert first.status_code == again.status_code == 200, again.text
    assert first.json() == again.json() and len(first.json()["assignments"]) == 1
    listed = await ok(await api.get("/api/v1/commitments", params={"plan_id": plan["id"]}))
    assert len(listed["items"]) == 1


async def test_an_allocation_racing_claims_never_over_commits(api: Api) -> None:
    plan = await fair_with_slots(api, {"category": "repair", "quantity": 6, **MORNING})
    slot = plan["slots"][0]
    scarce = await offer(api, capacity={"quantity": 3, "measure": "people"})
    claim = {"offer_id": scarce["id"], "quantity": 1, "plan_id": plan["id"], "slot_id": slot["id"]}
    responses = await asyncio.gather(
        api.post(f"/api/v1/plans/{plan['id']}/allocate", {"dry_run": False}),
        *(api.post("/api/v1/commitments", claim, who="liaison_own") for _ in range(4)),
    )
    assert all(r.status_code in (200, 201, 409) for r in responses), [r.text for r in responses]
    committed = await ok(await api.get("/api/v1/commitments", params={"offer_id": scarce["id"]}))
    assert sum(c["quantity"] for c in committed["items"]) == 3
    assert (await api.get(f"/api/v1/offers/{scarce['id']}")).json()["remaining"] == 0
    assert (await api.get(f"/api/v1/plans/{plan['id']}")).json()["slots"][0]["committed"] == 3


async def test_report_and_ledger_as_of_show_them_as_they_stood(api: Api) -> None:
    plan = await fair_with_slots(api, {"category": "repair", "quantity": 1, **MORNING})
    await offer(api)
    out = await ok(await api.post(f"/api/v1/plans/{plan['id']}/allocate", {"dry_run": False}))
    path = f"/api/v1/commitments/{out['assignments'][0]['commitment_id']}"
    await ok(await api.post(f"{path}/confirm", who="liaison_own"))
    before = await ok(await api.get(f"/api/v1/plans/{plan['id']}/report"))
    ledger_before = await ok(await api.get(f"/api/v1/units/{api.units['own']}/ledger"))
    await ok(await api.post(f"{path}/fulfil", {"people_served": 25, "volunteer_hours": 2}, who="liaison_own"))

    now = await ok(await api.get(f"/api/v1/plans/{plan['id']}/report"))
    assert (before["people_served"], now["people_served"]) == (0, 25)
    then = await ok(
        await api.get(f"/api/v1/plans/{plan['id']}/report", params={"as_of": before["log_position"]})
    )
    assert then == before
    ledger_then = await ok(
        await api.get(
            f"/api/v1/units/{api.units['own']}/ledger", params={"as_of": ledger_before["log_position"]}
        )
    )
    assert ledger_then == ledger_before and ledger_then["given"]["items"] == 0
    assert (await ok(await api.get(f"/api/v1/units/{api.units['own']}/ledger")))["given"]["items"] == 1
