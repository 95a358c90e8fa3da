"""A plan's slots revised and removed through the API (PATCH and DELETE …/slots/{slot_id}), as the
coordinator's pages do: the fields given change and the others are kept, and a slot that
commitments name keeps what they were made for."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from registry.domain.values import LOCAL_ZONE
from tests.api_fixtures import Api, offer_body, plan_body


def window(api: Api, start_hours: int, end_hours: int) -> dict[str, str]:
    """A window a week from the app's "now", between these hours of that day."""
    day = (api.registry.clock() + timedelta(days=7)).astimezone(LOCAL_ZONE)
    day = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "starts_at": (day + timedelta(hours=start_hours)).isoformat(),
        "ends_at": (day + timedelta(hours=end_hours)).isoformat(),
    }


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def plan_with_slot(api: Api, quantity: int = 3) -> tuple[str, dict[str, Any]]:
    plan = await ok(await api.post("/api/v1/plans", plan_body(**window(api, 8, 18))), 201)
    body = {"category": "repair.umbrella", "quantity": quantity, "measure": "booths", "notes": "入口"}
    slot = await ok(await api.post(f"/api/v1/plans/{plan['id']}/slots", body), 201)
    return f"/api/v1/plans/{plan['id']}", slot


async def slots_of(api: Api, plan: str) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in (await ok(await api.get(plan)))["slots"]}


async def committed(api: Api, quantity: int = 2) -> tuple[str, dict[str, Any]]:
    """A published plan's slot that a commitment of `quantity` names."""
    plan, slot = await plan_with_slot(api)
    await ok(await api.post(f"{plan}/publish"))
    body = offer_body(
        category="repair.umbrella",
        capacity={"quantity": 5, "measure": "booths"},
        availability=[window(api, 8, 18)],
    )
    offer = await ok(await api.post(f"/api/v1/units/{api.units['own']}/offers", body), 201)
    plan_id = plan.rsplit("/", 1)[1]
    commitment = {"offer_id": offer["id"], "quantity": quantity, "plan_id": plan_id, "slot_id": slot["id"]}
    await ok(await api.post("/api/v1/commitments", commitment), 201)
    return plan, slot


async def test_a_revision_changes_the_fields_given_and_keeps_the_others(api: Api) -> None:
    plan, slot = await plan_with_slot(api)
    path = f"{plan}/slots/{slot['id']}"

    revised = await api.patch(path, {"quantity": 5, "notes": "东侧入口"})
    body = await ok(revised)
    assert body["id"] == slot["id"] and (body["quantity"], body["notes"]) == (5, "东侧入口")
    assert revised.headers["etag"] == f'"{(await ok(await api.get(plan)))["version"]}"'
    shown = (await slots_of(api, plan))[slot["id"]]
    assert (shown["quantity"], shown["notes"]) == (5, "东侧入口")
    assert (shown["category"], shown["measure"]) == ("repair.umbrella", "booths")  # kept

    morning = window(api, 9, 11)
    await ok(await api.patch(path, {"category": "repair.shoe", **morning}))
    shown = (await slots_of(api, plan))[slot["id"]]
    assert shown["category"] == "repair.shoe" and shown["quantity"] == 5
    assert [shown["starts_at"], shown["ends_at"]] == [morning["starts_at"], morning["ends_at"]]


async def test_a_stale_if_match_is_412_and_changes_nothing(api: Api) -> None:
    plan, slot = await plan_with_slot(api)
    version = (await ok(await api.get(plan)))["version"]
    await ok(
        await api.patch(f"{plan}/slots/{slot['id']}", {"quantity": 4}, headers={"If-Match": f'"{version}"'})
    )

    stale = await api.patch(
        f"{plan}/slots/{slot['id']}", {"quantity": 9}, headers={"If-Match": f'"{version}"'}
    )
    assert stale.status_code == 412, stale.text
    gone = await api.request("DELETE", f"{plan}/slots/{slot['id']}", headers={"If-Match": f'"{version}"'})
    assert gone.status_code == 412, gone.text
    assert (await slots_of(api, plan))[slot["id"]]["quantity"] == 4


async def test_a_slot_commitments_name_keeps_what_they_were_made_for(api: Api) -> None:
    plan, slot = await committed(api, quantity=2)
    path = f"{plan}/slots/{slot['id']}"
    version = (await ok(await api.get(plan)))["version"]

    for change in ({"category": "repair.shoe"}, {"quantity": 1}):
        refused = await api.patch(path, change)
        assert refused.status_code == 409, (change, refused.text)
    removing = await api.request("DELETE", path)
    assert removing.status_code == 409, removing.text
    assert "cannot be removed" in removing.json()["detail"]
    assert (await ok(await api.get(plan)))["version"] == version  # nothing written

    # Its quantity down to what they cover, and its notes, still may change.
    kept = await ok(await api.patch(path, {"quantity": 2, "notes": "两个摊位"}))
    assert (kept["quantity"], kept["committed"], kept["notes"]) == (2, 2, "两个摊位")


async def test_an_unused_slot_is_removed(api: Api) -> None:
    plan, slot = await plan_with_slot(api)
    other = await ok(await api.post(f"{plan}/slots", {"category": "medical", "quantity": 1}), 201)

    removed = await api.request("DELETE", f"{plan}/slots/{slot['id']}")
    assert removed.status_code == 204, removed.text
    assert removed.headers["etag"] == f'"{(await ok(await api.get(plan)))["version"]}"'
    assert set(await slots_of(api, plan)) == {other["id"]}
    again = await api.request("DELETE", f"{plan}/slots/{slot['id']}")
    assert again.status_code == 404, again.text


async def test_an_unknown_slot_or_plan_is_404(api: Api) -> None:
    plan, _ = await plan_with_slot(api)
    nobody = uuid.uuid4()
    assert (await api.patch(f"{plan}/slots/{nobody}", {"quantity": 2})).status_code == 404
    assert (await api.request("DELETE", f"{plan}/slots/{nobody}")).status_code == 404
    unknown_plan = f"/api/v1/plans/{uuid.uuid4()}/slots/{nobody}"
    assert (await api.patch(unknown_plan, {"quantity": 2})).status_code == 404
    assert (await api.request("DELETE", unknown_plan)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"category": "no.such-category"}, "category"),
        ({"measure": "litres"}, "measure"),
        ({"people_served_limit": 10}, "people_served_limit"),  # its own route sets it
    ],
)
async def test_a_bad_body_is_400_naming_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    plan, slot = await plan_with_slot(api)
    refused = await api.patch(f"{plan}/slots/{slot['id']}", body)
    assert refused.status_code == 400, refused.text
    assert field in [e["field"] for e in refused.json()["errors"]], refused.json()


async def test_a_window_that_ends_before_it_starts_is_400(api: Api) -> None:
    plan, slot = await plan_with_slot(api)
    refused = await api.patch(f"{plan}/slots/{slot['id']}", window(api, 11, 10))
    assert refused.status_code == 400, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["ends_at"]


async def test_a_window_outside_the_plans_is_409(api: Api) -> None:
    plan, slot = await plan_with_slot(api)
    refused = await api.patch(f"{plan}/slots/{slot['id']}", window(api, 6, 9))
    assert refused.status_code == 409, refused.text


async def test_a_refusal_is_said_in_chinese_when_asked(api: Api) -> None:
    plan, slot = await committed(api, quantity=2)
    zh = {"Accept-Language": "zh-CN"}
    lower = await api.patch(f"{plan}/slots/{slot['id']}", {"quantity": 1}, headers=zh)
    assert lower.status_code == 409 and lower.json()["detail"] == "该岗位已有 2 被承接，数量不能少于此数"
    removing = await api.request("DELETE", f"{plan}/slots/{slot['id']}", headers=zh)
    assert removing.status_code == 409
    assert removing.json()["detail"] == "已有承诺指向该岗位，不能删除（可改为调整数量）"
