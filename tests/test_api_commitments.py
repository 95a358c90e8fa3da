"""Commitments through the API: dispatch and claim, both sides' answers, capacity held atomically."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api_fixtures import Api, need_body, offer_body, plan_body

MORNING = {"starts_at": "2026-10-17T09:00:00+08:00", "ends_at": "2026-10-17T12:00:00+08:00"}
AFTERNOON = {"starts_at": "2026-10-17T13:00:00+08:00", "ends_at": "2026-10-17T16:00:00+08:00"}
DAY = {"starts_at": "2026-10-17T08:00:00+08:00", "ends_at": "2026-10-17T18:00:00+08:00"}


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


async def offer(api: Api, unit: str = "own", **overrides: Any) -> dict[str, Any]:
    body = offer_body(**{"category": "repair.umbrella", "availability": [DAY], **overrides})
    return await ok(await api.post(f"/api/v1/units/{api.units[unit]}/offers", body), 201)


async def plan_with_slot(
    api: Api, quantity: int = 2, window: dict[str, str] = MORNING, category: str = "repair"
) -> tuple[dict[str, Any], dict[str, Any]]:
    plan = await ok(await api.post("/api/v1/plans", plan_body(**DAY)), 201)
    slot = await ok(
        await api.post(
            f"/api/v1/plans/{plan['id']}/slots", {"category": category, "quantity": quantity, **window}
        ),
        201,
    )
    await ok(await api.post(f"/api/v1/plans/{plan['id']}/publish"))
    return plan, slot


def to_slot(
    plan: dict[str, Any], slot: dict[str, Any], offered: dict[str, Any], quantity: int = 1
) -> dict[str, Any]:
    return {"offer_id": offered["id"], "quantity": quantity, "plan_id": plan["id"], "slot_id": slot["id"]}


async def test_dispatch_is_proposed_until_the_unit_confirms_then_fulfilled(api: Api) -> None:
    offered = await offer(api, capacity={"quantity": 5, "measure": "people"})
    plan, slot = await plan_with_slot(api, quantity=2)
    made = await ok(await api.post("/api/v1/commitments", to_slot(plan, slot, offered, 2)), 201)
    assert made["status"] == "proposed" and made["origin"] == "dispatch"
    assert (await api.get(f"/api/v1/offers/{offered['id']}")).json()["remaining"] == 3
    shown = (await api.get(f"/api/v1/plans/{plan['id']}")).json()
    assert shown["slots"][0]["committed"] == 2 and shown["status"] == "staffed"

    path = f"/api/v1/commitments/{made['id']}"
    assert (await api.post(f"{path}/confirm")).status_code == 403  # the centre cannot accept for the unit
    assert (await api.post(f"{path}/confirm", who="liaison_other")).status_code == 403
    assert (await ok(await api.post(f"{path}/confirm", who="liaison_own")))["status"] == "confirmed"
    done = await ok(
        await api.post(f"{path}/fulfil", {"people_served": 40, "volunteer_hours": 5.5}, who="liaison_own")
    )
    assert (done["status"], done["people_served"], done["volunteer_hours"]) == ("fulfilled", 40, 5.5)
    assert (await api.get(f"/api/v1/plans/{plan['id']}")).json()["slots"][0]["fulfilled"] == 2
    assert (await api.post(f"{path}/release")).status_code == 409  # fulfilled is final


async def test_a_claim_waits_for_the_centre(api: Api) -> None:
    offered = await offer(api)
    plan, slot = await plan_with_slot(api)
    claimed = await ok(
        await api.post("/api/v1/commitments", to_slot(plan, slot, offered), who="liaison_own"), 201
    )
    assert claimed["status"] == "claimed" and claimed["origin"] == "claim"
    path = f"/api/v1/commitments/{claimed['id']}"
    assert (await api.post(f"{path}/confirm", who="liaison_own")).status_code == 403
    assert (await ok(await api.post(f"{path}/confirm")))["status"] == "confirmed"


async def test_a_liaison_claims_only_with_its_own_units_offers(api: Api) -> None:
    offered = await offer(api)
    plan, slot = await plan_with_slot(api)
    response = await api.post("/api/v1/commitments", to_slot(plan, slot, offered), who="liaison_other")
    assert response.status_code == 403


async def test_a_draft_plan_can_be_dispatched_to_but_not_claimed(api: Api) -> None:
    offered = await offer(api)
    plan = await ok(await api.post("/api/v1/plans", plan_body(**DAY)), 201)
    slot = await ok(
        await api.post(f"/api/v1/plans/{plan['id']}/slots", {"category": "repair", "quantity": 1}), 201
    )
    claim = await api.post("/api/v1/commitments", to_slot(plan, slot, offered), who="liaison_own")
    assert claim.status_code == 409
    await ok(await api.post("/api/v1/commitments", to_slot(plan, slot, offered)), 201)


async def test_over_remaining_capacity_is_409_and_decline_and_release_give_it_back(api: Api) -> None:
    offered = await offer(api, capacity={"quantity": 3, "measure": "people"})
    plan, slot = await plan_with_slot(api, quantity=10)
    first = await ok(await api.post("/api/v1/commitments", to_slot(plan, slot, offered, 2)), 201)
    over = await api.post("/api/v1/commitments", to_slot(plan, slot, offered, 2))
    assert over.status_code == 409 and "1 left" in over.json()["detail"]
    await ok(
        await api.post(
            f"/api/v1/commitments/{first['id']}/decline", {"reason": "人手不够"}, who="liaison_own"
        )
    )
    assert (await api.get(f"/api/v1/offers/{offered['id']}")).json()["remaining"] == 3
    second = await ok(await api.post("/api/v1/commitments", to_slot(plan, slot, offered, 3)), 201)
    await ok(await api.post(f"/api/v1/commitments/{second['id']}/release"))
    assert (await api.get(f"/api/v1/offers/{offered['id']}")).json()["remaining"] == 3


async def test_more_than_a_slot_still_lacks_is_409(api: Api) -> None:
    offered = await offer(api)
    plan, slot = await plan_with_slot(api, quantity=2)
    response = await api.post("/api/v1/commitments", to_slot(plan, slot, offered, 3))
    assert response.status_code == 409 and "uncovered" in response.json()["detail"]


async def test_capacity_is_per_moment_two_windows_each_get_all_of_it(api: Api) -> None:
    offered = await offer(api, capacity={"quantity": 2, "measure": "people"})
    plan = await ok(await api.post("/api/v1/plans", plan_body(**DAY)), 201)
    slots = [
        await ok(
            await api.post(f"/api/v1/plans/{plan['id']}/slots", {"category": "repair", "quantity": 2, **w}),
            201,
        )
        for w in (MORNING, AFTERNOON, MORNING)
    ]
    await ok(await api.post("/api/v1/commitments", to_slot(plan, slots[0], offered, 2)), 201)
    await ok(await api.post("/api/v1/commitments", to_slot(plan, slots[1], offered, 2)), 201)
    clash = await api.post("/api/v1/commitments", to_slot(plan, slots[2], offered, 1))
    assert clash.status_code == 409


async def test_commitments_that_do_not_fit_are_409(api: Api) -> None:
    plan, slot = await plan_with_slot(api, category="repair")
    wrong_category = await offer(api, category="legal.consultation")
    wrong_place = await offer(api, service_area=["虹口区/嘉兴路街道"])
    wrong_time = await offer(api, availability=[AFTERNOON])
    paused = await offer(api)
    await ok(await api.post(f"/api/v1/offers/{paused['id']}/pause"))
    for offered in (wrong_category, wrong_place, wrong_time, paused):
        response = await api.post("/api/v1/commitments", to_slot(plan, slot, offered))
        assert response.status_code == 409, (offered["title"], response.text)


async def test_unknown_offer_plan_slot_or_need_is_404(api: Api) -> None:
    offered = await offer(api)
    plan, slot = await plan_with_slot(api)
    missing = "00000000-0000-4000-8000-000000000000"
    for body in (
        to_slot(plan, slot, {"id": missing}),
        {**to_slot(plan, slot, offered), "slot_id": missing},
        {**to_slot(plan, slot, offered), "plan_id": missing},
        {"offer_id": offered["id"], "quantity": 1, "need_id": missing},
    ):
        assert (await api.post("/api/v1/commitments", body)).status_code == 404, body
    assert (await api.post(f"/api/v1/commitments/{missing}/confirm")).status_code == 404


async def test_thirty_concurrent_claims_on_capacity_five_give_exactly_five(api: Api) -> None:
    offered = await offer(api, capacity={"quantity": 5, "measure": "people"})
    plan, slot = await plan_with_slot(api, quantity=30)
    claims = await asyncio.gather(
        *(api.post("/api/v1/commitments", to_slot(plan, slot, offered), who="liaison_own") for _ in range(30))
    )
    statuses = sorted(r.status_code for r in claims)
    assert statuses == [201] * 5 + [409] * 25, statuses
    assert (await api.get(f"/api/v1/offers/{offered['id']}")).json()["remaining"] == 0
    assert (await api.get(f"/api/v1/plans/{plan['id']}")).json()["slots"][0]["committed"] == 5
    listed = (await api.get("/api/v1/commitments", params={"offer_id": offered["id"]})).json()["items"]
    assert len(listed) == 5


async def test_withdrawing_an_offer_releases_its_open_commitments(api: Api) -> None:
    offered = await offer(api, capacity={"quantity": 4, "measure": "people"})
    plan, slot = await plan_with_slot(api, quantity=4)
    made = await ok(await api.post("/api/v1/commitments", to_slot(plan, slot, offered, 3)), 201)
    await ok(await api.post(f"/api/v1/offers/{offered['id']}/withdraw", who="liaison_own"))
    released = (await api.get(f"/api/v1/commitments/{made['id']}")).json()
    assert (released["status"], released["reason"]) == ("released", "offer withdrawn")
    assert (await api.get(f"/api/v1/plans/{plan['id']}")).json()["slots"][0]["committed"] == 0


async def test_cancelling_a_plan_releases_its_open_commitments(api: Api) -> None:
    offered = await offer(api)
    plan, slot = await plan_with_slot(api)
    made = await ok(await api.post("/api/v1/commitments", to_slot(plan, slot, offered)), 201)
    await ok(await api.post(f"/api/v1/plans/{plan['id']}/cancel"))
    assert (await api.get(f"/api/v1/commitments/{made['id']}")).json()["status"] == "released"
    assert (await api.get(f"/api/v1/offers/{offered['id']}")).json()["remaining"] == 30


async def test_a_need_moves_open_partially_met_met_as_commitments_are_confirmed(api: Api) -> None:
    need = await ok(
        await api.post(f"/api/v1/units/{api.units['other']}/needs", need_body(category="repair", **MORNING)),
        201,
    )
    offered = await offer(api)
    path = "/api/v1/commitments"
    first = await ok(
        await api.post(path, {"offer_id": offered["id"], "quantity": 4, "need_id": need["id"]}), 201
    )
    assert (await api.get(f"/api/v1/needs/{need['id']}")).json()["status"] == "open"
    await ok(await api.post(f"{path}/{first['id']}/confirm", who="liaison_own"))
    shown = (await api.get(f"/api/v1/needs/{need['id']}")).json()
    assert (shown["status"], shown["met_quantity"]) == ("partially_met", 4)
    second = await ok(
        await api.post(path, {"offer_id": offered["id"], "quantity": 6, "need_id": need["id"]}), 201
    )
    await ok(await api.post(f"{path}/{second['id']}/confirm", who="liaison_own"))
    assert (await api.get(f"/api/v1/needs/{need['id']}")).json()["status"] == "met"
    await ok(await api.post(f"{path}/{second['id']}/release", who="liaison_own"))
    assert (await api.get(f"/api/v1/needs/{need['id']}")).json()["status"] == "partially_met"


async def test_a_units_own_offer_cannot_meet_its_own_need(api: Api) -> None:
    need = await ok(
        await api.post(f"/api/v1/units/{api.units['own']}/needs", need_body(category="repair", **MORNING)),
        201,
    )
    offered = await offer(api)
    response = await api.post(
        "/api/v1/commitments", {"offer_id": offered["id"], "quantity": 1, "need_id": need["id"]}
    )
    assert response.status_code == 409


async def test_an_auditor_can_read_but_not_commit(api: Api) -> None:
    offered = await offer(api)
    plan, slot = await plan_with_slot(api)
    assert (
        await api.post("/api/v1/commitments", to_slot(plan, slot, offered), who="auditor")
    ).status_code == 403
    assert (await api.get("/api/v1/commitments", who="auditor")).status_code == 200


async def test_a_retried_dispatch_with_its_idempotency_key_writes_once(api: Api) -> None:
    offered = await offer(api, capacity={"quantity": 5, "measure": "people"})
    plan, slot = await plan_with_slot(api, quantity=5)
    key = {"Idempotency-Key": "dispatch-1"}
    first = await api.post("/api/v1/commitments", to_slot(plan, slot, offered, 2), headers=key)
    again = await api.post("/api/v1/commitments", to_slot(plan, slot, offered, 2), headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert first.headers["x-log-position"] == again.headers["x-log-position"]
    assert (await api.get(f"/api/v1/offers/{offered['id']}")).json()["remaining"] == 3
    other = await api.post("/api/v1/commitments", to_slot(plan, slot, offered, 1), headers=key)
    assert other.status_code == 422
