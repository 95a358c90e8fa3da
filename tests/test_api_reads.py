"""Reads: filters, text search in Chinese, category descendants, availability, pagination, "as of"."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import quote

from tests.api_fixtures import Api, need_body, offer_body, plan_body, unit_body


async def _offer(api: Api, unit: str = "own", **overrides: object) -> dict[str, object]:
    response = await api.post(f"/api/v1/units/{api.units[unit]}/offers", offer_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _ids(api: Api, path: str) -> list[str]:
    response = await api.get(path, who="auditor")
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_q_finds_units_by_part_of_a_chinese_name(api: Api) -> None:
    found = await api.get(f"/api/v1/units?q={quote('眼科')}")
    assert [u["name"] for u in found.json()["items"]] == ["和平眼科医院"]
    assert (await api.get(f"/api/v1/units?q={quote('中队')}")).json()["items"][0]["name"] == "城管欧阳中队"


async def test_units_filter_by_kind_and_area_including_places_under_it(api: Api) -> None:
    created = await api.post(
        "/api/v1/units",
        {**unit_body("虹仪居民区", "虹口区/欧阳路街道/虹仪居民区"), "kind": "residential_area"},
    )
    hongyi = created.json()["id"]
    assert await _ids(api, "/api/v1/units?kind=residential_area") == [hongyi]
    assert hongyi in await _ids(api, f"/api/v1/units?area={quote('虹口区/欧阳路街道')}")
    assert await _ids(api, f"/api/v1/units?area={quote('虹口区/欧阳路街道/虹仪居民区')}") == [hongyi]
    assert await _ids(api, f"/api/v1/units?area={quote('虹口区/欧阳')}") == []  # a prefix is not a parent


async def test_category_filter_includes_descendants(api: Api) -> None:
    umbrella = await _offer(api, category="repair.umbrella", title="修伞")
    shoe = await _offer(api, category="repair.shoe", title="修鞋")
    eye = await _offer(api, category="medical.eye-screening")
    assert await _ids(api, "/api/v1/offers?category=repair") == [umbrella["id"], shoe["id"]]
    assert await _ids(api, "/api/v1/offers?category=repair.shoe") == [shoe["id"]]
    assert await _ids(api, "/api/v1/offers?category=medical") == [eye["id"]]


async def test_availability_filter_finds_offers_whose_windows_cover_the_asked_window(api: Api) -> None:
    one_off = await _offer(api, title="一次")  # 2026-12-05 09:00-12:00 +08:00
    weekly = await _offer(
        api,
        title="每周",
        availability=[
            {"weekdays": [6, 7], "start_time": "09:00:00", "end_time": "17:00:00",
             "from_date": "2026-12-01", "to_date": "2027-02-28"},
        ],
    )  # fmt: skip

    def window(start: str, end: str) -> str:
        return f"/api/v1/offers?available_from={quote(start)}&available_to={quote(end)}"

    # Saturday 2026-12-05 10:00-11:00 local: both cover it.
    both = await _ids(api, window("2026-12-05T10:00:00+08:00", "2026-12-05T11:00:00+08:00"))
    assert both == [one_off["id"], weekly["id"]]
    # Saturday afternoon: only the weekly window.
    assert await _ids(api, window("2026-12-05T14:00:00+08:00", "2026-12-05T16:00:00+08:00")) == [weekly["id"]]
    # The same instant in UTC is the same window.
    assert await _ids(api, window("2026-12-05T06:00:00Z", "2026-12-05T08:00:00Z")) == [weekly["id"]]
    # A Friday: neither. Across the end of a window: neither.
    assert await _ids(api, window("2026-12-04T10:00:00+08:00", "2026-12-04T11:00:00+08:00")) == []
    assert await _ids(api, window("2026-12-05T16:00:00+08:00", "2026-12-05T18:00:00+08:00")) == []
    # After to_date: nothing.
    assert await _ids(api, window("2027-03-06T10:00:00+08:00", "2027-03-06T11:00:00+08:00")) == []


async def test_area_filter_keeps_offers_that_serve_the_place(api: Api) -> None:
    anywhere = await _offer(api, title="全区")
    street = await _offer(api, title="街道", service_area=["虹口区/欧阳路街道"])
    elsewhere = await _offer(api, title="外区", service_area=["杨浦区"])
    place = quote("虹口区/欧阳路街道/虹仪居民区")
    assert await _ids(api, f"/api/v1/offers?area={place}") == [anywhere["id"], street["id"]]
    assert await _ids(api, f"/api/v1/offers?area={quote('杨浦区/五角场街道')}") == [
        anywhere["id"],
        elsewhere["id"],
    ]


async def test_offers_filter_by_unit_and_status(api: Api) -> None:
    mine = await _offer(api)
    theirs = await _offer(api, unit="other")
    await api.post(f"/api/v1/offers/{theirs['id']}/pause")
    assert await _ids(api, f"/api/v1/offers?unit_id={api.units['own']}") == [mine["id"]]
    assert await _ids(api, "/api/v1/offers?status=paused") == [theirs["id"]]
    assert await _ids(api, "/api/v1/offers?status=active") == [mine["id"]]


async def test_cursor_pagination_walks_every_item_once(api: Api) -> None:
    created = [(await _offer(api, title=f"第{i}项"))["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "/api/v1/offers?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get(path)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert pages == 3


async def test_as_of_a_position_reads_the_old_title_after_a_revision(api: Api) -> None:
    offer = await _offer(api, title="眼科义诊")
    p = int((await api.get(f"/api/v1/offers/{offer['id']}")).headers["etag"].strip('"'))
    assert p == 1
    position = (await api.registry.store.head())[0]
    await api.patch(f"/api/v1/offers/{offer['id']}", {"title": "眼科筛查"})
    old = await api.get(f"/api/v1/offers/{offer['id']}?as_of={position}")
    assert (old.json()["title"], old.json()["version"], old.headers["etag"]) == ("眼科义诊", 1, '"1"')
    assert (await api.get(f"/api/v1/offers/{offer['id']}")).json()["title"] == "眼科筛查"
    listed = (await api.get(f"/api/v1/offers?as_of={position}")).json()["items"]
    assert [o["title"] for o in listed] == ["眼科义诊"]
    assert (await api.get(f"/api/v1/offers?q={quote('筛查')}&as_of={position}")).json()["items"] == []


async def test_as_of_a_time_reads_the_registry_as_it_stood_then(api: Api) -> None:
    offer = await _offer(api, title="旧")
    await asyncio.sleep(0.05)
    moment = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.05)
    await api.patch(f"/api/v1/offers/{offer['id']}", {"title": "新"})
    created_later = await _offer(api, title="后来")
    old = await api.get(f"/api/v1/offers/{offer['id']}?as_of={quote(moment)}")
    assert old.json()["title"] == "旧"
    assert await _ids(api, f"/api/v1/offers?as_of={quote(moment)}") == [offer["id"]]
    assert (await api.get(f"/api/v1/offers/{created_later['id']}?as_of={quote(moment)}")).status_code == 404


async def test_as_of_works_on_units_needs_and_plans(api: Api) -> None:
    unit = api.units["own"]
    need = (await api.post(f"/api/v1/units/{unit}/needs", need_body())).json()
    plan = (await api.post("/api/v1/plans", plan_body())).json()
    position = (await api.registry.store.head())[0]
    await api.patch(f"/api/v1/units/{unit}", {"address": "欧阳路 1 号"})
    await api.post(f"/api/v1/needs/{need['id']}/cancel")
    await api.post(f"/api/v1/plans/{plan['id']}/slots", {"category": "repair.umbrella", "quantity": 2})
    assert (await api.get(f"/api/v1/units/{unit}?as_of={position}")).json()["address"] is None
    assert (await api.get(f"/api/v1/needs/{need['id']}?as_of={position}")).json()["status"] == "open"
    assert (await api.get(f"/api/v1/plans/{plan['id']}?as_of={position}")).json()["slots"] == []
    assert len((await api.get(f"/api/v1/plans/{plan['id']}")).json()["slots"]) == 1
    assert (await api.get(f"/api/v1/needs?status=open&as_of={position}")).json()["items"][0]["id"] == need[
        "id"
    ]


async def test_unknown_ids_are_404(api: Api) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for path in ("units", "offers", "needs", "plans"):
        response = await api.get(f"/api/v1/{path}/{missing}")
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await api.patch(f"/api/v1/offers/{missing}", {"title": "x"})).status_code == 404
    assert (await api.post(f"/api/v1/units/{missing}/offers", offer_body())).status_code == 404


async def test_plan_with_slots_published_and_listed(api: Api) -> None:
    plan = (await api.post("/api/v1/plans", plan_body())).json()
    assert plan["status"] == "draft"
    slot = await api.post(
        f"/api/v1/plans/{plan['id']}/slots",
        {"category": "counseling.psychological", "quantity": 2, "notes": "摊位"},
    )
    assert slot.status_code == 201, slot.text
    assert (slot.json()["committed"], slot.json()["fulfilled"], slot.json()["quantity"]) == (0, 0, 2)
    published = await api.post(f"/api/v1/plans/{plan['id']}/publish")
    assert published.json()["status"] == "published"
    assert (await api.post(f"/api/v1/plans/{plan['id']}/publish")).status_code == 409
    listed = (await api.get("/api/v1/plans?status=published")).json()["items"]
    assert [p["slots"][0]["id"] for p in listed] == [slot.json()["id"]]
    outside = await api.post(
        f"/api/v1/plans/{plan['id']}/slots",
        {"category": "repair.shoe", "quantity": 1, "starts_at": "2026-10-18T09:00:00+08:00",
         "ends_at": "2026-10-18T10:00:00+08:00"},
    )  # fmt: skip
    assert outside.status_code == 409


async def test_categories_cover_the_newsletter(api: Api) -> None:
    categories = {c["code"]: c for c in (await api.get("/api/v1/categories", who="auditor")).json()}
    assert len(categories) >= 40
    for code in (
        "counseling.psychological", "legal.consultation", "legal.policy", "repair.small-appliance",
        "repair.clock", "repair.umbrella", "repair.zipper", "repair.shoe", "publicity.garbage-sorting",
        "publicity.anti-drug", "medical.eye-screening", "volunteers.crowd-guidance", "venue.meeting-room",
        "training.lecture",
    ):  # fmt: skip
        assert code in categories
        parent = categories[code]["parent"]
        assert parent in categories and code.startswith(parent + ".")
    assert categories["repair.umbrella"]["label_zh"] == "修伞"
