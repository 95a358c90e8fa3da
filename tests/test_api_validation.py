"""Every input rule refused with a 400 that names the offending field, and the other input statuses.

One table of bad inputs: each row is a request that breaks exactly one rule (in requests.py or a
route's query parameters and headers) and the field its RFC 9457 problem must name in
`errors[*].field`. Nested fields are named by path as the app does (`capacity.quantity`,
`availability[0].ends_at`). Then: malformed bodies (400), bodies over 1 MiB (413), ids that are not
UUIDs or name nothing (404), and the values at the edge of each range, which must be accepted.

The tests share one app and database; each makes the entities it needs.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from tests.api_fixtures import Api, cloned_database, need_body, offer_body, plan_body, serving_api, unit_body

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROBLEM_JSON = "application/problem+json"
NO_BODY = object()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(server_dsn: str, template_database: str, run_prefix: str) -> AsyncIterator[Api]:
    async with (
        cloned_database(server_dsn, template_database, f"{run_prefix}_validation") as dsn,
        serving_api(dsn) as api,
    ):
        yield api


# -- paths: {unit} is units["own"]; {offer}, {need} and {plan} are made afresh for each test --------

UNITS = "/api/v1/units"
UNIT = "/api/v1/units/{unit}"
OFFERS = "/api/v1/units/{unit}/offers"
OFFER = "/api/v1/offers/{offer}"
NEEDS = "/api/v1/units/{unit}/needs"
NEED = "/api/v1/needs/{need}"
PLANS = "/api/v1/plans"
PLAN = "/api/v1/plans/{plan}"
SLOTS = "/api/v1/plans/{plan}/slots"
TOKENS = "/api/v1/tokens"
COMMITMENTS = "/api/v1/commitments"
COMMITMENT = "/api/v1/commitments/{commitment}"
LISTS = ("/api/v1/units", "/api/v1/offers", "/api/v1/needs", "/api/v1/plans")


async def resolve(api: Api, path: str) -> str:
    """The path with its placeholders replaced by entities made for this test (as the coordinator)."""
    ids: dict[str, Any] = {"unit": api.units["own"]}
    made = {
        "offer": (f"/api/v1/units/{api.units['own']}/offers", offer_body()),
        "need": (f"/api/v1/units/{api.units['own']}/needs", need_body()),
        "plan": ("/api/v1/plans", plan_body()),
    }
    for name, (create, body) in made.items():
        if "{" + name + "}" in path:
            response = await api.post(create, body)
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
    if "{commitment}" in path:
        ids["commitment"] = await confirmed_commitment(api)
    return path.format(**ids)


async def dispatched_commitment(api: Api) -> str:
    """A dispatch of an own offer to a new published plan's slot, awaiting the unit (`proposed`)."""
    plan = (await api.post("/api/v1/plans", plan_body())).json()["id"]
    made_slot = (await api.post(f"/api/v1/plans/{plan}/slots", {"category": "medical", "quantity": 5})).json()
    await api.post(f"/api/v1/plans/{plan}/publish")
    window = {key: plan_body()[key] for key in ("starts_at", "ends_at")}
    offer = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body(availability=[window]))
    body = {"offer_id": offer.json()["id"], "quantity": 1, "plan_id": plan, "slot_id": made_slot["id"]}
    made = await api.post("/api/v1/commitments", body)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def confirmed_commitment(api: Api) -> str:
    """A dispatch accepted by the unit."""
    made = await dispatched_commitment(api)
    confirmed = await api.post(f"/api/v1/commitments/{made}/confirm", who="liaison_own")
    assert confirmed.status_code == 200, confirmed.text
    return made


def case(
    id: str,
    method: str,
    path: str,
    field: str,
    *,
    json: Any = NO_BODY,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """A bad request and the field its problem must name."""
    return pytest.param(method, path, json, params or {}, headers or {}, field, id=id)


def cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def capacity(quantity: Any = 30, measure: Any = "people") -> dict[str, Any]:
    return {"quantity": quantity, "measure": measure}


def one_off(**overrides: Any) -> dict[str, Any]:
    return {"starts_at": "2026-12-05T09:00:00+08:00", "ends_at": "2026-12-05T12:00:00+08:00", **overrides}


def weekly(**overrides: Any) -> dict[str, Any]:
    window = {
        "weekdays": [2, 4],
        "start_time": "14:00:00",
        "end_time": "16:00:00",
        "from_date": "2026-09-01",
        "to_date": "2026-12-31",
    }
    window.update(overrides)
    return {k: v for k, v in window.items() if v is not None}


def without(body: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in fields}


def commitment(**overrides: Any) -> dict[str, Any]:
    return {"offer_id": A_UNIT, "quantity": 1, "plan_id": A_UNIT, "slot_id": A_UNIT, **overrides}


def slot(**overrides: Any) -> dict[str, Any]:
    return {"category": "medical.eye-screening", "quantity": 2, **overrides}


OFFER_LIST = "/api/v1/offers"
SEVEN = [1, 2, 3, 4, 5, 6, 7]
WHEN = {"available_from": "2026-12-05T10:00:00+08:00"}
A_UNIT = "00000000-0000-4000-8000-000000000001"

# fmt: off
BAD = [
    # -- lengths ---------------------------------------------------------------------------------------
    case("unit name empty", "POST", UNITS, "name", json=unit_body(name="")),
    case("unit name 201 chars", "POST", UNITS, "name", json=unit_body(name="名" * 201)),
    case("unit short_name 101", "POST", UNITS, "short_name", json={**unit_body(), "short_name": "x" * 101}),
    case("unit address empty", "POST", UNITS, "address", json={**unit_body(), "address": ""}),
    case("unit party_org 201", "POST", UNITS, "party_org", json={**unit_body(), "party_org": "党" * 201}),
    case("unit description 4001", "POST", UNITS, "description",
         json={**unit_body(), "description": "x" * 4001}),
    case("unit patch name empty", "PATCH", UNIT, "name", json={"name": ""}),
    case("unit patch description 4001", "PATCH", UNIT, "description", json={"description": "x" * 4001}),
    case("offer title empty", "POST", OFFERS, "title", json=offer_body(title="")),
    case("offer title 201", "POST", OFFERS, "title", json=offer_body(title="x" * 201)),
    case("offer description 4001", "POST", OFFERS, "description", json=offer_body(description="x" * 4001)),
    case("offer patch title 201", "PATCH", OFFER, "title", json={"title": "x" * 201}),
    case("offer tag empty", "POST", OFFERS, "tags[0]", json=offer_body(tags=[""])),
    case("offer tag 51", "POST", OFFERS, "tags[1]", json=offer_body(tags=["ok", "x" * 51])),
    case("offer 21 tags", "POST", OFFERS, "tags", json=offer_body(tags=[f"t{i}" for i in range(21)])),
    case("offer 21 service areas", "POST", OFFERS, "service_area",
         json=offer_body(service_area=[f"虹口区/街道{i}" for i in range(21)])),
    case("offer 51 windows", "POST", OFFERS, "availability", json=offer_body(availability=[one_off()] * 51)),
    case("offer no windows", "POST", OFFERS, "availability", json=offer_body(availability=[])),
    case("patch offer no windows", "PATCH", OFFER, "availability", json={"availability": []}),
    case("offer category 101", "POST", OFFERS, "category", json=offer_body(category="a" * 101)),
    case("need title 201", "POST", NEEDS, "title", json=need_body(title="x" * 201)),
    case("need description 4001", "POST", NEEDS, "description", json=need_body(description="x" * 4001)),
    case("need location empty", "POST", NEEDS, "location", json=need_body(location="")),
    case("plan title empty", "POST", PLANS, "title", json=plan_body(title="")),
    case("plan venue 201", "POST", PLANS, "venue", json=plan_body(venue="x" * 201)),
    case("plan series empty", "POST", PLANS, "series", json=plan_body(series="")),
    case("slot notes 4001", "POST", SLOTS, "notes", json=slot(notes="x" * 4001)),
    case("token label empty", "POST", TOKENS, "label", json={"role": "auditor", "label": ""}),
    case("token label 101", "POST", TOKENS, "label", json={"role": "auditor", "label": "x" * 101}),
    case("withdraw reason 4001", "POST", OFFER + "/withdraw", "reason", json={"reason": "x" * 4001}),
    case("need cancel reason 4001", "POST", NEED + "/cancel", "reason", json={"reason": "x" * 4001}),
    case("plan cancel reason 4001", "POST", PLAN + "/cancel", "reason", json={"reason": "x" * 4001}),
    case("units q empty", "GET", UNITS, "q", params={"q": ""}),
    case("offers q 101", "GET", OFFER_LIST, "q", params={"q": "x" * 101}),
    case("needs q 101", "GET", "/api/v1/needs", "q", params={"q": "x" * 101}),
    case("plans q 101", "GET", PLANS, "q", params={"q": "x" * 101}),
    case("units area empty", "GET", UNITS, "area", params={"area": ""}),
    case("offers area 201", "GET", OFFER_LIST, "area", params={"area": "x" * 201}),
    case("plans area 201", "GET", PLANS, "area", params={"area": "x" * 201}),
    # -- ranges ----------------------------------------------------------------------------------------
    case("offer quantity 0", "POST", OFFERS, "capacity.quantity", json=offer_body(capacity=capacity(0))),
    case("offer quantity -1", "POST", OFFERS, "capacity.quantity", json=offer_body(capacity=capacity(-1))),
    case("offer quantity 1000001", "POST", OFFERS, "capacity.quantity",
         json=offer_body(capacity=capacity(1_000_001))),
    case("offer quantity 10**30", "POST", OFFERS, "capacity.quantity",
         json=offer_body(capacity=capacity(10**30))),
    case("offer patch quantity 0", "PATCH", OFFER, "capacity.quantity", json={"capacity": capacity(0)}),
    case("need quantity 0", "POST", NEEDS, "quantity", json=need_body(quantity=0)),
    case("need quantity -5", "POST", NEEDS, "quantity", json=need_body(quantity=-5)),
    case("need quantity 1000001", "POST", NEEDS, "quantity", json=need_body(quantity=1_000_001)),
    case("slot quantity 0", "POST", SLOTS, "quantity", json=slot(quantity=0)),
    case("slot quantity 1000001", "POST", SLOTS, "quantity", json=slot(quantity=1_000_001)),
    case("expected_attendance -1", "POST", PLANS, "expected_attendance",
         json=plan_body(expected_attendance=-1)),
    case("expected_attendance 1000001", "POST", PLANS, "expected_attendance",
         json=plan_body(expected_attendance=1_000_001)),
    *[case(f"limit 0 {path}", "GET", path, "limit", params={"limit": 0}) for path in LISTS],
    *[case(f"limit 501 {path}", "GET", path, "limit", params={"limit": 501}) for path in LISTS],
    case("limit -1", "GET", UNITS, "limit", params={"limit": -1}),
    # -- enums -----------------------------------------------------------------------------------------
    case("unit kind", "POST", UNITS, "kind", json={**unit_body(), "kind": "school"}),
    case("unit kind in Chinese", "POST", UNITS, "kind", json={**unit_body(), "kind": "事业单位"}),
    case("unit patch kind", "PATCH", UNIT, "kind", json={"kind": "Agency"}),
    case("units list kind", "GET", UNITS, "kind", params={"kind": "school"}),
    case("offer measure", "POST", OFFERS, "capacity.measure",
         json=offer_body(capacity=capacity(measure="kg"))),
    case("offer patch measure", "PATCH", OFFER, "capacity.measure", json={"capacity": capacity(measure="L")}),
    case("token role", "POST", TOKENS, "role", json={"role": "admin"}),
    case("need urgency", "POST", NEEDS, "urgency", json=need_body(urgency="asap")),
    case("offers list status", "GET", OFFER_LIST, "status", params={"status": "deleted"}),
    case("needs list status", "GET", "/api/v1/needs", "status", params={"status": "done"}),
    case("plans list status", "GET", PLANS, "status", params={"status": "archived"}),
    # -- a start before its end ------------------------------------------------------------------------
    case("need ends before it starts", "POST", NEEDS, "ends_at",
         json=need_body(ends_at="2026-11-05T06:00:00+08:00")),
    case("need ends as it starts", "POST", NEEDS, "ends_at",
         json=need_body(ends_at="2026-11-05T07:00:00+08:00")),
    # 07:00+08:00 and 23:00Z the day before are the same instant.
    case("need ends as it starts, UTC", "POST", NEEDS, "ends_at",
         json=need_body(ends_at="2026-11-04T23:00:00Z")),
    case("plan ends before it starts", "POST", PLANS, "ends_at",
         json=plan_body(ends_at="2026-10-17T08:00:00+08:00")),
    case("plan ends as it starts", "POST", PLANS, "ends_at",
         json=plan_body(ends_at="2026-10-17T09:00:00+08:00")),
    case("slot ends before it starts", "POST", SLOTS, "ends_at",
         json=slot(starts_at="2026-10-17T11:00:00+08:00", ends_at="2026-10-17T10:00:00+08:00")),
    case("slot starts_at alone", "POST", SLOTS, "ends_at", json=slot(starts_at="2026-10-17T10:00:00+08:00")),
    case("slot ends_at alone", "POST", SLOTS, "ends_at", json=slot(ends_at="2026-10-17T10:00:00+08:00")),
    case("window ends before it starts", "POST", OFFERS, "availability[0].ends_at",
         json=offer_body(availability=[one_off(ends_at="2026-12-05T08:00:00+08:00")])),
    case("second window ends as it starts", "POST", OFFERS, "availability[1].ends_at",
         json=offer_body(availability=[one_off(), one_off(ends_at="2026-12-05T09:00:00+08:00")])),
    case("patch window ends before it starts", "PATCH", OFFER, "availability[0].ends_at",
         json={"availability": [one_off(ends_at="2026-12-05T08:00:00+08:00")]}),
    case("weekly end_time before start_time", "POST", OFFERS, "availability[0].end_time",
         json=offer_body(availability=[weekly(end_time="13:00:00")])),
    case("weekly end_time equals start_time", "POST", OFFERS, "availability[0].end_time",
         json=offer_body(availability=[weekly(end_time="14:00:00")])),
    case("weekly from_date after to_date", "POST", OFFERS, "availability[0].to_date",
         json=offer_body(availability=[weekly(from_date="2027-01-01")])),
    case("weekly window of 401 days", "POST", OFFERS, "availability[0].to_date",
         json=offer_body(availability=[weekly(from_date="2026-01-01", to_date="2027-02-06")])),
    case("available_to before available_from", "GET", OFFER_LIST, "available_to",
         params={**WHEN, "available_to": "2026-12-05T09:00:00+08:00"}),
    case("available_to equals available_from", "GET", OFFER_LIST, "available_to",
         params={**WHEN, "available_to": "2026-12-05T10:00:00+08:00"}),
    case("available_from without available_to", "GET", OFFER_LIST, "available_to", params=WHEN),
    case("available_to without available_from", "GET", OFFER_LIST, "available_to",
         params={"available_to": "2026-12-05T10:00:00+08:00"}),
    # -- weekdays 1..7, each once; a window either one-off or weekly, and whole ------------------------
    case("weekday 0", "POST", OFFERS, "availability[0].weekdays[0]",
         json=offer_body(availability=[weekly(weekdays=[0])])),
    case("weekday 8", "POST", OFFERS, "availability[0].weekdays[1]",
         json=offer_body(availability=[weekly(weekdays=[1, 8])])),
    case("weekday twice", "POST", OFFERS, "availability[0].weekdays",
         json=offer_body(availability=[weekly(weekdays=[3, 5, 3])])),
    case("no weekdays", "POST", OFFERS, "availability[0].weekdays",
         json=offer_body(availability=[weekly(weekdays=[])])),
    case("eight weekdays", "POST", OFFERS, "availability[0].weekdays",
         json=offer_body(availability=[weekly(weekdays=[*SEVEN, 1])])),
    case("weekly without to_date", "POST", OFFERS, "availability[0]",
         json=offer_body(availability=[weekly(to_date=None)])),
    case("weekly with weekdays and start_time only", "POST", OFFERS, "availability[0]",
         json=offer_body(availability=[{"weekdays": [1], "start_time": "09:00:00"}])),
    case("one-off with starts_at only", "POST", OFFERS, "availability[0]",
         json=offer_body(availability=[{"starts_at": "2026-12-05T09:00:00+08:00"}])),
    case("one-off and weekly mixed", "POST", OFFERS, "availability[0]",
         json=offer_body(availability=[{**weekly(), **one_off()}])),
    case("empty window", "POST", OFFERS, "availability[1]", json=offer_body(availability=[one_off(), {}])),
    case("weekly start_time with an offset", "POST", OFFERS, "availability[0].start_time",
         json=offer_body(availability=[weekly(start_time="14:00:00+08:00")])),
    # -- categories ------------------------------------------------------------------------------------
    case("offer category unknown", "POST", OFFERS, "category", json=offer_body(category="medical.dentistry")),
    case("offer patch category unknown", "PATCH", OFFER, "category", json={"category": "teleportation"}),
    case("need category unknown", "POST", NEEDS, "category", json=need_body(category="volunteers.astronaut")),
    case("slot category unknown", "POST", SLOTS, "category", json=slot(category="repair.spaceship")),
    case("category uppercase", "POST", OFFERS, "category", json=offer_body(category="Medical")),
    case("category empty segment", "POST", OFFERS, "category", json=offer_body(category="medical..eye")),
    case("category trailing dot", "POST", OFFERS, "category", json=offer_body(category="medical.")),
    case("category in Chinese", "POST", OFFERS, "category", json=offer_body(category="医疗")),
    case("category empty", "POST", OFFERS, "category", json=offer_body(category="")),
    case("need category with a slash", "POST", NEEDS, "category", json=need_body(category="repair/shoe")),
    case("slot category with a space", "POST", SLOTS, "category", json=slot(category=" repair")),
    case("patch category uppercase", "PATCH", OFFER, "category", json={"category": "REPAIR"}),
    case("offers list category badly shaped", "GET", OFFER_LIST, "category", params={"category": "Medical!"}),
    case("needs list category badly shaped", "GET", "/api/v1/needs", "category",
         params={"category": "repair/shoe"}),
    # -- unknown fields are refused ----------------------------------------------------------------------
    case("unit unknown field", "POST", UNITS, "website",
         json={**unit_body(), "website": "https://example.cn"}),
    case("unit patch unknown field", "PATCH", UNIT, "status", json={"status": "closed"}),
    case("offer unknown field", "POST", OFFERS, "remaining", json=offer_body(remaining=5)),
    case("offer patch unknown field", "PATCH", OFFER, "status", json={"status": "paused"}),
    case("capacity unknown field", "POST", OFFERS, "capacity.unit",
         json=offer_body(capacity={**capacity(), "unit": "人"})),
    case("window unknown field", "POST", OFFERS, "availability[0].timezone",
         json=offer_body(availability=[one_off(timezone="Asia/Shanghai")])),
    case("need unknown field", "POST", NEEDS, "met_quantity", json=need_body(met_quantity=3)),
    case("plan unknown field", "POST", PLANS, "status", json=plan_body(status="published")),
    case("slot unknown field", "POST", SLOTS, "committed", json=slot(committed=1)),
    case("token unknown field", "POST", TOKENS, "secret", json={"role": "auditor", "secret": "reg_x"}),
    case("withdraw unknown field", "POST", OFFER + "/withdraw", "why", json={"why": "x"}),
    case("need cancel unknown field", "POST", NEED + "/cancel", "why", json={"why": "x"}),
    case("plan cancel unknown field", "POST", PLAN + "/cancel", "why", json={"why": "x"}),
    # -- missing required fields, and null where a value is required ------------------------------------
    case("unit without kind", "POST", UNITS, "kind", json=without(unit_body(), "kind")),
    case("offer without capacity", "POST", OFFERS, "capacity", json=without(offer_body(), "capacity")),
    case("capacity without measure", "POST", OFFERS, "capacity.measure",
         json=offer_body(capacity={"quantity": 3})),
    case("need without starts_at", "POST", NEEDS, "starts_at", json=without(need_body(), "starts_at")),
    case("plan without venue", "POST", PLANS, "venue", json=without(plan_body(), "venue")),
    case("slot without quantity", "POST", SLOTS, "quantity", json={"category": "repair"}),
    case("token without role", "POST", TOKENS, "role", json={"label": "x"}),
    case("unit name null", "POST", UNITS, "name", json={**unit_body(), "name": None}),
    case("unit patch name null", "PATCH", UNIT, "name", json={"name": None}),
    case("offer patch title null", "PATCH", OFFER, "title", json={"title": None}),
    case("offer patch capacity null", "PATCH", OFFER, "capacity", json={"capacity": None}),
    # -- wrong types -----------------------------------------------------------------------------------
    case("offer quantity a string", "POST", OFFERS, "capacity.quantity",
         json=offer_body(capacity=capacity("30"))),
    case("need quantity a string", "POST", NEEDS, "quantity", json=need_body(quantity="10")),
    case("slot quantity a string", "POST", SLOTS, "quantity", json=slot(quantity="2")),
    case("expected_attendance a string", "POST", PLANS, "expected_attendance",
         json=plan_body(expected_attendance="200")),
    case("weekday a string", "POST", OFFERS, "availability[0].weekdays[0]",
         json=offer_body(availability=[weekly(weekdays=["2"])])),
    case("need starts_at a number", "POST", NEEDS, "starts_at", json=need_body(starts_at=1793833200)),
    case("offer quantity 1.5", "POST", OFFERS, "capacity.quantity", json=offer_body(capacity=capacity(1.5))),
    case("offer quantity true", "POST", OFFERS, "capacity.quantity",
         json=offer_body(capacity=capacity(True))),
    case("capacity a number", "POST", OFFERS, "capacity", json=offer_body(capacity=30)),
    case("availability an object", "POST", OFFERS, "availability", json=offer_body(availability=one_off())),
    case("tags a string", "POST", OFFERS, "tags", json=offer_body(tags="义诊")),
    case("service_area a string", "POST", OFFERS, "service_area", json=offer_body(service_area="虹口区")),
    case("title a number", "POST", OFFERS, "title", json=offer_body(title=123)),
    case("unit kind a number", "POST", UNITS, "kind", json={**unit_body(), "kind": 1}),
    case("need urgency a number", "POST", NEEDS, "urgency", json=need_body(urgency=3)),
    case("valid_until no such day", "POST", OFFERS, "valid_until", json=offer_body(valid_until="2026-02-30")),
    case("agreement_until a word", "PATCH", UNIT, "agreement_until", json={"agreement_until": "soon"}),
    case("need starts_at a date", "POST", NEEDS, "starts_at", json=need_body(starts_at="2026-11-05")),
    case("weekly from_date a datetime", "POST", OFFERS, "availability[0].from_date",
         json=offer_body(availability=[weekly(from_date="2026-09-01T00:00:00+08:00")])),
    case("token unit_id not a UUID", "POST", TOKENS, "unit_id", json={"role": "liaison", "unit_id": "和平"}),
    case("withdraw reason a number", "POST", OFFER + "/withdraw", "reason", json={"reason": 5}),
    case("limit a word", "GET", UNITS, "limit", params={"limit": "ten"}),
    case("offers unit_id not a UUID", "GET", OFFER_LIST, "unit_id", params={"unit_id": "own"}),
    case("needs unit_id not a UUID", "GET", "/api/v1/needs", "unit_id", params={"unit_id": "123"}),
    case("available_from a word", "GET", OFFER_LIST, "available_from",
         params={"available_from": "tomorrow", "available_to": "2026-12-05T10:00:00+08:00"}),
    # -- control characters and NUL in text --------------------------------------------------------------
    case("unit name NUL", "POST", UNITS, "name", json=unit_body(name="和平\x00医院")),
    case("unit description bell", "POST", UNITS, "description",
         json={**unit_body(), "description": "a\x07b"}),
    case("unit address escape", "POST", UNITS, "address", json={**unit_body(), "address": "\x1b[31m欧阳路"}),
    case("unit party_org DEL", "POST", UNITS, "party_org", json={**unit_body(), "party_org": "党支部\x7f"}),
    case("unit area NUL", "POST", UNITS, "area", json=unit_body(area="虹口区\x00")),
    case("unit area tab", "POST", UNITS, "area", json=unit_body(area="虹口区\t欧阳路街道")),
    case("offer title NUL", "POST", OFFERS, "title", json=offer_body(title="眼科\x00义诊")),
    case("offer description NUL", "POST", OFFERS, "description", json=offer_body(description="\x00")),
    case("offer tag NUL", "POST", OFFERS, "tags[0]", json=offer_body(tags=["\x00"])),
    case("service_area control", "POST", OFFERS, "service_area[0]",
         json=offer_body(service_area=["虹口区\x01"])),
    case("need location DEL", "POST", NEEDS, "location", json=need_body(location="\x7f")),
    case("plan venue NUL", "POST", PLANS, "venue", json=plan_body(venue="\x00")),
    case("plan series form feed", "POST", PLANS, "series", json=plan_body(series="四季\x0c行动")),
    case("slot notes NUL", "POST", SLOTS, "notes", json=slot(notes="a\x00")),
    case("token label NUL", "POST", TOKENS, "label", json={"role": "auditor", "label": "\x00"}),
    case("withdraw reason NUL", "POST", OFFER + "/withdraw", "reason", json={"reason": "\x00"}),
    case("unit name newline", "POST", UNITS, "name", json=unit_body(name="和平\n医院")),
    case("unit name trailing newline", "POST", UNITS, "name", json=unit_body(name="和平医院\n")),
    case("offer title tab", "POST", OFFERS, "title", json=offer_body(title="眼科\t义诊")),
    case("offer tag C1 control", "POST", OFFERS, "tags[0]", json=offer_body(tags=["\x85"])),
    case("unit area trailing newline", "POST", UNITS, "area", json=unit_body(area="虹口区\n")),
    case("plan venue line separator", "POST", PLANS, "venue", json=plan_body(venue="礼堂\u2028二楼")),
    case("units q NUL", "GET", UNITS, "q", params={"q": "和平\x00"}),
    case("units q newline", "GET", UNITS, "q", params={"q": "和平\n"}),
    case("offers q NUL", "GET", OFFER_LIST, "q", params={"q": "\x00"}),
    case("units area NUL", "GET", UNITS, "area", params={"area": "虹口区\x00"}),
    # -- area paths --------------------------------------------------------------------------------------
    case("unit area empty segment", "POST", UNITS, "area", json=unit_body(area="虹口区//虹仪居民区")),
    case("unit area leading slash", "POST", UNITS, "area", json=unit_body(area="/虹口区")),
    case("unit area trailing slash", "POST", UNITS, "area", json=unit_body(area="虹口区/")),
    case("unit area empty", "POST", UNITS, "area", json=unit_body(area="")),
    case("unit patch area empty segment", "PATCH", UNIT, "area", json={"area": "a//b"}),
    case("plan area empty segment", "POST", PLANS, "area", json=plan_body(area="a//b")),
    case("service_area empty segment", "POST", OFFERS, "service_area[1]",
         json=offer_body(service_area=["虹口区", "a//b"])),
    # -- times without an offset -------------------------------------------------------------------------
    case("need starts_at naive", "POST", NEEDS, "starts_at", json=need_body(starts_at="2026-11-05T07:00:00")),
    case("need ends_at naive", "POST", NEEDS, "ends_at", json=need_body(ends_at="2026-11-05T10:00:00")),
    case("plan starts_at naive", "POST", PLANS, "starts_at", json=plan_body(starts_at="2026-10-17T09:00:00")),
    case("plan ends_at naive", "POST", PLANS, "ends_at", json=plan_body(ends_at="2026-10-17T12:00:00")),
    case("slot starts_at naive", "POST", SLOTS, "starts_at",
         json=slot(starts_at="2026-10-17T09:00:00", ends_at="2026-10-17T10:00:00+08:00")),
    case("slot ends_at naive", "POST", SLOTS, "ends_at",
         json=slot(starts_at="2026-10-17T09:00:00+08:00", ends_at="2026-10-17T10:00:00")),
    case("window starts_at naive", "POST", OFFERS, "availability[0].starts_at",
         json=offer_body(availability=[one_off(starts_at="2026-12-05T09:00:00")])),
    case("window ends_at naive", "POST", OFFERS, "availability[0].ends_at",
         json=offer_body(availability=[one_off(ends_at="2026-12-05T12:00:00")])),
    case("available_from naive", "GET", OFFER_LIST, "available_from",
         params={"available_from": "2026-12-05T09:00:00", "available_to": "2026-12-05T10:00:00+08:00"}),
    case("available_to naive", "GET", OFFER_LIST, "available_to",
         params={"available_from": "2026-12-05T09:00:00+08:00", "available_to": "2026-12-05T10:00:00"}),
    # -- as_of -------------------------------------------------------------------------------------------
    *[case(f"as_of a word {path}", "GET", path, "as_of", params={"as_of": "yesterday"}) for path in LISTS],
    case("as_of naive", "GET", UNITS, "as_of", params={"as_of": "2026-01-01T00:00:00"}),
    case("as_of no such month", "GET", OFFER_LIST, "as_of", params={"as_of": "2026-13-01T00:00:00+08:00"}),
    case("as_of negative", "GET", "/api/v1/needs", "as_of", params={"as_of": "-1"}),
    case("as_of a fraction", "GET", PLANS, "as_of", params={"as_of": "1.5"}),
    case("as_of 19 digits", "GET", UNITS, "as_of", params={"as_of": "1" * 19}),
    case("one unit as_of naive", "GET", UNIT, "as_of", params={"as_of": "2026-01-01T00:00:00"}),
    case("one offer as_of a word", "GET", OFFER, "as_of", params={"as_of": "now"}),
    case("one need as_of naive", "GET", NEED, "as_of", params={"as_of": "2026-01-01T08:00"}),
    case("one plan as_of bad time", "GET", PLAN, "as_of", params={"as_of": "2026-01-01Tnoon+08:00"}),
    # -- cursor ------------------------------------------------------------------------------------------
    *[case(f"cursor garbage {path}", "GET", path, "cursor", params={"cursor": "!!nope!!"}) for path in LISTS],
    case("cursor not JSON", "GET", UNITS, "cursor", params={"cursor": cursor(b"page 2")}),
    case("cursor an object", "GET", UNITS, "cursor", params={"cursor": cursor(b'{"after": 1}')}),
    case("cursor too short", "GET", OFFER_LIST, "cursor", params={"cursor": cursor(b"[1]")}),
    case("cursor negative position", "GET", UNITS, "cursor", params={"cursor": cursor(b"[-1,null]")}),
    case("cursor 201 chars", "GET", UNITS, "cursor", params={"cursor": "A" * 201}),
    case("cursor position past bigint", "GET", UNITS, "cursor",
         params={"cursor": cursor(b"[18446744073709551615,null]")}),
    case("cursor as_of past bigint", "GET", "/api/v1/needs", "cursor",
         params={"cursor": cursor(b"[1,99999999999999999999]")}),
    case("cursor negative as_of", "GET", PLANS, "cursor", params={"cursor": cursor(b"[1,-5]")}),
    # -- If-Match and Idempotency-Key --------------------------------------------------------------------
    case("If-Match a word, unit patch", "PATCH", UNIT, "If-Match", json={"description": "x"},
         headers={"If-Match": "latest"}),
    case("If-Match unquoted, offer patch", "PATCH", OFFER, "If-Match", json={"title": "x"},
         headers={"If-Match": "1"}),
    case("If-Match negative, withdraw", "POST", OFFER + "/withdraw", "If-Match",
         headers={"If-Match": '"-1"'}),
    case("If-Match ten digits, pause", "POST", OFFER + "/pause", "If-Match",
         headers={"If-Match": '"1234567890"'}),
    case("If-Match weak word, resume", "POST", OFFER + "/resume", "If-Match", headers={"If-Match": 'W/"x"'}),
    case("If-Match a list, need close", "POST", NEED + "/close", "If-Match",
         headers={"If-Match": '"1", "2"'}),
    case("If-Match empty quotes, need cancel", "POST", NEED + "/cancel", "If-Match",
         headers={"If-Match": '""'}),
    case("If-Match a word, slot", "POST", SLOTS, "If-Match", json=slot(), headers={"If-Match": "abc"}),
    case("If-Match a word, publish", "POST", PLAN + "/publish", "If-Match", headers={"If-Match": "abc"}),
    case("If-Match a float, plan cancel", "POST", PLAN + "/cancel", "If-Match",
         headers={"If-Match": '"1.0"'}),
    case("Idempotency-Key 101, unit", "POST", UNITS, "Idempotency-Key", json=unit_body(),
         headers={"Idempotency-Key": "k" * 101}),
    case("Idempotency-Key empty, offer", "POST", OFFERS, "Idempotency-Key", json=offer_body(),
         headers={"Idempotency-Key": ""}),
    case("Idempotency-Key 101, need", "POST", NEEDS, "Idempotency-Key", json=need_body(),
         headers={"Idempotency-Key": "k" * 101}),
    case("Idempotency-Key 101, plan", "POST", PLANS, "Idempotency-Key", json=plan_body(),
         headers={"Idempotency-Key": "k" * 101}),
    case("Idempotency-Key 101, token", "POST", TOKENS, "Idempotency-Key", json={"role": "auditor"},
         headers={"Idempotency-Key": "k" * 101}),
    case("Idempotency-Key 101, withdraw", "POST", OFFER + "/withdraw", "Idempotency-Key",
         headers={"Idempotency-Key": "k" * 101}),
    # -- tokens: a liaison's is bound to a unit, no other is ---------------------------------------------
    case("liaison token without unit_id", "POST", TOKENS, "unit_id", json={"role": "liaison", "label": "x"}),
    case("liaison token, unit_id null", "POST", TOKENS, "unit_id", json={"role": "liaison", "unit_id": None}),
    case("auditor token with unit_id", "POST", TOKENS, "unit_id",
         json={"role": "auditor", "unit_id": A_UNIT}),
    case("coordinator token with unit_id", "POST", TOKENS, "unit_id",
         json={"role": "coordinator", "unit_id": A_UNIT}),
    # -- commitments, fulfilment, allocation, matches -----------------------------------------------------
    case("commitment without offer", "POST", COMMITMENTS, "offer_id", json=without(commitment(), "offer_id")),
    case("commitment offer not a uuid", "POST", COMMITMENTS, "offer_id", json=commitment(offer_id="x")),
    case("commitment quantity 0", "POST", COMMITMENTS, "quantity", json=commitment(quantity=0)),
    case("commitment quantity a string", "POST", COMMITMENTS, "quantity", json=commitment(quantity="1")),
    case("commitment quantity huge", "POST", COMMITMENTS, "quantity", json=commitment(quantity=10**20)),
    case("commitment to nothing", "POST", COMMITMENTS, "need_id", json={"offer_id": A_UNIT, "quantity": 1}),
    case("commitment plan without slot", "POST", COMMITMENTS, "need_id",
         json={"offer_id": A_UNIT, "quantity": 1, "plan_id": A_UNIT}),
    case("commitment to a slot and a need", "POST", COMMITMENTS, "need_id",
         json=commitment(need_id=A_UNIT)),
    case("commitment unknown field", "POST", COMMITMENTS, "unit_id", json=commitment(unit_id=A_UNIT)),
    case("fulfil people negative", "POST", COMMITMENT + "/fulfil", "people_served",
         json={"people_served": -1, "volunteer_hours": 1}),
    case("fulfil hours too many", "POST", COMMITMENT + "/fulfil", "volunteer_hours",
         json={"people_served": 1, "volunteer_hours": 100_001}),
    case("fulfil hours a string", "POST", COMMITMENT + "/fulfil", "volunteer_hours",
         json={"people_served": 1, "volunteer_hours": "3"}),
    case("fulfil without people", "POST", COMMITMENT + "/fulfil", "people_served",
         json={"volunteer_hours": 1}),
    case("decline reason a number", "POST", COMMITMENT + "/decline", "reason", json={"reason": 5}),
    case("allocate dry_run a string", "POST", PLAN + "/allocate", "dry_run", json={"dry_run": "no"}),
    case("allocate unknown weight", "POST", PLAN + "/allocate", "weights.nearness",
         json={"weights": {"nearness": 1}}),
    case("allocate negative weight", "POST", PLAN + "/allocate", "weights.proximity",
         json={"weights": {"proximity": -1}}),
    case("allocate weights on a dispatch", "POST", PLAN + "/allocate", "weights",
         json={"dry_run": False, "weights": {"proximity": 1}}),
    case("allocate as_of on a dispatch", "POST", PLAN + "/allocate", "as_of", json={"dry_run": False},
         params={"as_of": "1"}),
    case("plan matches limit 0", "GET", PLAN + "/matches", "limit", params={"limit": 0}),
    case("need matches limit 101", "GET", NEED + "/matches", "limit", params={"limit": 101}),
    case("report as_of a word", "GET", PLAN + "/report", "as_of", params={"as_of": "yesterday"}),
    case("ledger as_of no offset", "GET", UNIT + "/ledger", "as_of", params={"as_of": "2026-10-01T00:00:00"}),
    case("complete notes too long", "POST", PLAN + "/complete", "notes", json={"notes": "x" * 4001}),
    case("commitments status unknown", "GET", COMMITMENTS, "status", params={"status": "lost"}),
    # -- the audit log's filters --------------------------------------------------------------------------
    case("audit after negative", "GET", "/api/v1/audit/events", "after", params={"after": -1}),
    case("audit after a word", "GET", "/api/v1/audit/events", "after", params={"after": "first"}),
    case("audit after 2^63", "GET", "/api/v1/audit/events", "after", params={"after": 2**63}),
    case("audit limit 0", "GET", "/api/v1/audit/events", "limit", params={"limit": 0}),
    case("audit limit 1001", "GET", "/api/v1/audit/events", "limit", params={"limit": 1001}),
    case("audit since without offset", "GET", "/api/v1/audit/events", "since",
         params={"since": "2026-10-01T00:00:00"}),
    case("audit since a word", "GET", "/api/v1/audit/events", "since", params={"since": "yesterday"}),
    case("audit until without offset", "GET", "/api/v1/audit/events", "until",
         params={"until": "2026-10-01T08:00:00"}),
    case("audit until before since", "GET", "/api/v1/audit/events", "until",
         params={"since": "2026-10-02T00:00:00+08:00", "until": "2026-10-01T00:00:00+08:00"}),
    case("audit type empty", "GET", "/api/v1/audit/events", "type", params={"type": ""}),
    case("audit type list with a hole", "GET", "/api/v1/audit/events", "type",
         params={"type": "offer_paused,,unit_registered"}),
    case("audit type 201", "GET", "/api/v1/audit/events", "type", params={"type": "x" * 201}),
    case("audit stream empty", "GET", "/api/v1/audit/events", "stream", params={"stream": ""}),
    case("audit stream_prefix 201", "GET", "/api/v1/audit/events", "stream_prefix",
         params={"stream_prefix": "x" * 201}),
    case("audit actor 201", "GET", "/api/v1/audit/events", "actor", params={"actor": "x" * 201}),
]
# fmt: on


async def send(
    api: Api, method: str, path: str, json: Any, params: dict[str, Any], headers: dict[str, str]
) -> Any:
    body = {} if json is NO_BODY else {"json": json}
    return await api.request(method, path, params=params, headers=headers, **body)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"], body
    return body


@pytest.mark.parametrize(("method", "path", "json", "params", "headers", "field"), BAD)
async def test_bad_input_is_400_naming_the_field(
    shared: Api,
    method: str,
    path: str,
    json: Any,
    params: dict[str, Any],
    headers: dict[str, str],
    field: str,
) -> None:
    response = await send(shared, method, await resolve(shared, path), json, params, headers)
    body = problem(response, 400)
    assert body["errors"], body
    assert all(isinstance(e["field"], str) and isinstance(e["message"], str) for e in body["errors"]), body
    assert field in [e["field"] for e in body["errors"]], body


# -- malformed bodies --------------------------------------------------------------------------------

# fmt: off
MALFORMED = [
    pytest.param("POST", UNITS, b'{"name": "x",', id="units: truncated JSON"),
    pytest.param("POST", UNITS, b"{name: 'x'}", id="units: not JSON"),
    pytest.param("POST", UNITS, b"", id="units: empty body"),
    pytest.param("POST", UNITS, b"null", id="units: null"),
    pytest.param("POST", UNITS, b"[]", id="units: an array"),
    pytest.param("POST", UNITS, '"和平眼科医院"'.encode(), id="units: a string"),
    pytest.param("POST", UNITS, b'{"name": "\xff", "kind": "agency", "area": "a"}', id="units: not UTF-8"),
    pytest.param("PATCH", UNIT, b"{", id="unit patch: truncated"),
    pytest.param("POST", OFFERS, b'{"category": "repair",}', id="offers: trailing comma"),
    pytest.param("PATCH", OFFER, b"[1, 2]", id="offer patch: an array"),
    pytest.param("POST", OFFER + "/withdraw", b"{oops}", id="withdraw: not JSON"),
    pytest.param("POST", OFFER + "/withdraw", b"42", id="withdraw: a number"),
    pytest.param("POST", NEEDS, b"\x00\x01", id="needs: binary"),
    pytest.param("POST", NEED + "/cancel", b"[]", id="need cancel: an array"),
    pytest.param("POST", PLANS, b"{'title': 1}", id="plans: single quotes"),
    pytest.param("POST", SLOTS, b"true", id="slots: true"),
    pytest.param("POST", PLAN + "/cancel", b'{"reason":', id="plan cancel: truncated"),
    pytest.param("POST", TOKENS, b"role=auditor", id="tokens: a form"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "content"), MALFORMED)
async def test_malformed_body_is_400(shared: Api, method: str, path: str, content: bytes) -> None:
    response = await shared.request(
        method, await resolve(shared, path), content=content, headers={"Content-Type": "application/json"}
    )
    problem(response, 400)


# -- bodies over 1 MiB -------------------------------------------------------------------------------

MIB = 1024 * 1024
BIG = "x" * MIB

# fmt: off
OVERSIZED = [
    pytest.param("POST", UNITS, {**unit_body(), "description": BIG}, id="register unit"),
    pytest.param("PATCH", UNIT, {"description": BIG}, id="update unit"),
    pytest.param("POST", OFFERS, offer_body(description=BIG), id="submit offer"),
    pytest.param("PATCH", OFFER, {"description": BIG}, id="revise offer"),
    pytest.param("POST", OFFER + "/withdraw", {"reason": BIG}, id="withdraw offer"),
    pytest.param("POST", NEEDS, need_body(description=BIG), id="raise need"),
    pytest.param("POST", NEED + "/cancel", {"reason": BIG}, id="cancel need"),
    pytest.param("POST", PLANS, plan_body(title=BIG), id="draft plan"),
    pytest.param("POST", SLOTS, slot(notes=BIG), id="add slot"),
    pytest.param("POST", TOKENS, {"role": "auditor", "label": BIG}, id="issue token"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "json"), OVERSIZED)
async def test_body_over_1_mib_is_413(shared: Api, method: str, path: str, json: Any) -> None:
    response = await shared.request(method, await resolve(shared, path), json=json)
    problem(response, 413)


async def test_body_of_exactly_1_mib_is_read(shared: Api) -> None:
    head, tail = b'{"description": "', b'"}'
    body = head + b"x" * (MIB - len(head) - len(tail)) + tail
    assert len(body) == MIB
    response = await shared.request(
        "PATCH", await resolve(shared, UNIT), content=body, headers={"Content-Type": "application/json"}
    )
    # Read and judged: a description too long, not a body too large.
    assert [e["field"] for e in problem(response, 400)["errors"]] == ["description"]


# -- ids in paths ------------------------------------------------------------------------------------


def id_paths(id: str) -> Iterator[tuple[str, str, Any]]:
    """Every route with an id in its path, each with an acceptable body."""
    unit, offer = f"/api/v1/units/{id}", f"/api/v1/offers/{id}"
    need, plan = f"/api/v1/needs/{id}", f"/api/v1/plans/{id}"
    yield from (
        ("GET", unit, NO_BODY), ("PATCH", unit, {"description": "x"}),
        ("POST", f"{unit}/offers", offer_body()), ("POST", f"{unit}/needs", need_body()),
        ("GET", offer, NO_BODY), ("PATCH", offer, {"title": "x"}), ("POST", f"{offer}/withdraw", NO_BODY),
        ("POST", f"{offer}/pause", NO_BODY), ("POST", f"{offer}/resume", NO_BODY),
        ("GET", need, NO_BODY), ("POST", f"{need}/close", NO_BODY), ("POST", f"{need}/cancel", NO_BODY),
        ("GET", plan, NO_BODY), ("POST", f"{plan}/slots", slot()), ("POST", f"{plan}/publish", NO_BODY),
        ("POST", f"{plan}/cancel", NO_BODY), ("DELETE", f"/api/v1/tokens/{id}", NO_BODY),
        ("GET", f"{plan}/matches", NO_BODY), ("POST", f"{plan}/allocate", NO_BODY),
        ("POST", f"{plan}/complete", NO_BODY), ("GET", f"{plan}/report", NO_BODY),
        ("GET", f"{need}/matches", NO_BODY), ("GET", f"{unit}/ledger", NO_BODY),
        ("GET", f"/api/v1/commitments/{id}", NO_BODY),
        *(("POST", f"/api/v1/commitments/{id}/{step}", NO_BODY)
          for step in ("confirm", "decline", "release", "no-show")),
        ("POST", f"/api/v1/commitments/{id}/fulfil", {"people_served": 1, "volunteer_hours": 1}),
        ("GET", f"{unit}/contacts", NO_BODY), ("POST", f"{unit}/contacts", {"name": "王芳"}),
        ("POST", f"/api/v1/contacts/{id}/erase", NO_BODY),
    )  # fmt: skip


NOT_UUIDS = [
    "abc",
    "42",
    "0b1d7f7e-5a0c-4c1e-9a61-7a4b1f1e2c3g",
    "0b1d7f7e5a0c4c1e9a617a4b1f1e2c3",
    "和平眼科医院",
]
UNKNOWN = "0b1d7f7e-5a0c-4c1e-9a61-7a4b1f1e2c3d"


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [pytest.param(*row, id=f"{row[0]} {row[1]}") for bad in NOT_UUIDS for row in id_paths(bad)],
)
async def test_non_uuid_id_in_path_is_404(shared: Api, method: str, path: str, json: Any) -> None:
    problem(await send(shared, method, path, json, {}, {}), 404)


@pytest.mark.parametrize(
    ("method", "path", "json"), [pytest.param(*row, id=f"{row[0]} {row[1]}") for row in id_paths(UNKNOWN)]
)
async def test_unknown_id_is_404(shared: Api, method: str, path: str, json: Any) -> None:
    problem(await send(shared, method, path, json, {}, {}), 404)


async def test_liaison_token_for_an_unknown_unit_is_404(shared: Api) -> None:
    problem(await shared.post(TOKENS, {"role": "liaison", "unit_id": UNKNOWN}), 404)


# -- values at the edge of each rule are accepted ----------------------------------------------------

# fmt: off
EDGES = [
    pytest.param("POST", UNITS, unit_body(name="名" * 200), 201, id="name 200 chars"),
    pytest.param("POST", UNITS, {**unit_body(), "description": "x" * 4000}, 201, id="description 4000"),
    pytest.param("POST", UNITS, {**unit_body(), "description": "一\n\t二"}, 201, id="tab and newline"),
    pytest.param("POST", UNITS, unit_body(area="虹口区/欧阳路街道/虹仪居民区"), 201, id="three-level area"),
    pytest.param("POST", OFFERS, offer_body(capacity=capacity(1)), 201, id="quantity 1"),
    pytest.param("POST", OFFERS, offer_body(capacity=capacity(1_000_000)), 201, id="quantity 1000000"),
    pytest.param("POST", OFFERS, offer_body(availability=[weekly(weekdays=SEVEN)]), 201, id="seven weekdays"),
    pytest.param("POST", OFFERS, offer_body(availability=[weekly(from_date="2026-01-01", to_date="2027-02-05")
                                                          ]), 201, id="weekly window of 400 days"),
    pytest.param("POST", OFFERS, offer_body(availability=[weekly(from_date="2026-09-01", to_date="2026-09-01")
                                                          ]), 201, id="weekly window of one day"),
    pytest.param("POST", OFFERS, offer_body(tags=[f"t{i}" for i in range(20)]), 201, id="20 tags"),
    pytest.param("POST", OFFERS, offer_body(availability=[offer_body()["availability"][0]] * 50), 201,
                 id="50 windows (the same one, merged)"),
    pytest.param("POST", OFFERS, offer_body(category="repair"), 201, id="a top-level category"),
    pytest.param("POST", NEEDS, need_body(urgency="urgent", ends_at="2026-11-05T07:00:01+08:00"), 201,
                 id="need of one second"),
    pytest.param("POST", PLANS, plan_body(expected_attendance=0), 201, id="expected_attendance 0"),
    pytest.param("POST", PLANS, plan_body(starts_at="2026-10-17T00:30:00Z"), 201, id="a UTC time"),
    pytest.param("POST", SLOTS, slot(quantity=1_000_000), 201, id="slot quantity 1000000"),
    pytest.param("POST", TOKENS, {"role": "auditor", "label": "x" * 100}, 201, id="label 100 chars"),
    pytest.param("GET", OFFER_LIST, {"limit": 1}, 200, id="limit 1"),
    pytest.param("GET", "/api/v1/needs", {"limit": 500}, 200, id="limit 500"),
    pytest.param("GET", PLANS, {"as_of": "2026-01-01T00:00:00+08:00"}, 200, id="as_of a time"),
    pytest.param("GET", UNITS, {"as_of": "1"}, 200, id="as_of a position"),
    pytest.param("GET", OFFER_LIST, {**WHEN, "available_to": "2026-12-05T10:00:01+08:00"}, 200,
                 id="available window"),
    pytest.param("PATCH", UNIT, {"description": "x" * 4000}, 200, id="patch description 4000"),
    pytest.param("POST", OFFER + "/withdraw", None, 200, id="withdraw with a null body"),
    pytest.param("POST", COMMITMENT + "/fulfil", {"people_served": 0, "volunteer_hours": 0}, 200,
                 id="fulfil with nothing to show"),
    # One person for plan_body's 3 hours, and its expected attendance (docs/matching.md).
    pytest.param("POST", COMMITMENT + "/fulfil", {"people_served": 200, "volunteer_hours": 3},
                 200, id="fulfil at the bounds"),
    pytest.param("POST", PLAN + "/allocate", None, 200, id="allocate with no body is a dry run"),
    pytest.param("POST", PLAN + "/allocate", {"weights": {"proximity": 0, "fairness": 100}}, 200,
                 id="weights at 0 and 100"),
    pytest.param("GET", PLAN + "/matches", {"limit": 100}, 200, id="matches limit 100"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "data", "status"), EDGES)
async def test_values_at_the_edge_are_accepted(
    shared: Api, method: str, path: str, data: Any, status: int
) -> None:
    resolved = await resolve(shared, path)
    if method == "GET":
        response = await shared.request(method, resolved, params=data)
    else:
        response = await shared.request(method, resolved, json=data)
    assert response.status_code == status, response.text
