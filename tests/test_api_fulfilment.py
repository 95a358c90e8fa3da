"""Fulfilment through the API: believable (not before the window, within bounds), correctable
(the centre corrects, the unit may ask), and closed with its plan.

Time is the registry's clock, which these tests move: every date is built from it, never fixed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import msgspec
import pytest

from registry.domain.events import PlanCancelled, PlanCompleted
from registry.domain.values import Role
from registry.service.context import Actor, Command
from registry.service.execute import Registry
from registry.streams import stream_id
from tests.api_fixtures import Api, need_body, offer_body, plan_body, serving_api
from tests.clock import ManualClock


class Timed(msgspec.Struct):
    api: Api
    clock: ManualClock


@pytest.fixture
async def timed(database_dsn: str) -> AsyncIterator[Timed]:
    clock = ManualClock()
    async with serving_api(database_dsn, clock) as api:
        yield Timed(api, clock)


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def span(starts_at: datetime, hours: float) -> dict[str, str]:
    return {"starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=hours)).isoformat()}


class Setup(msgspec.Struct):
    plan: dict[str, Any]
    slot: dict[str, Any]
    offer: dict[str, Any]
    starts_at: datetime

    def to_slot(self, quantity: int) -> dict[str, Any]:
        plan, slot = self.plan["id"], self.slot["id"]
        return {"offer_id": self.offer["id"], "quantity": quantity, "plan_id": plan, "slot_id": slot}


async def published(
    t: Timed, slot_quantity: int = 2, hours: float = 3, expected_attendance: int | None = 200, **slot: Any
) -> Setup:
    """A plan nine days ahead, with one slot of `hours` and an offer of the own unit that fits it."""
    day = (t.clock() + timedelta(days=9)).replace(minute=0, second=0, microsecond=0)
    body = plan_body(**span(day, 10), expected_attendance=expected_attendance)
    plan = ok(await t.api.post("/api/v1/plans", body), 201)
    starts_at = day + timedelta(hours=1)
    slot_body = {"category": "repair", "quantity": slot_quantity, **span(starts_at, hours), **slot}
    made = ok(await t.api.post(f"/api/v1/plans/{plan['id']}/slots", slot_body), 201)
    ok(await t.api.post(f"/api/v1/plans/{plan['id']}/publish"))
    offered = offer_body(category="repair.umbrella", availability=[span(day, 10)])
    offer = ok(await t.api.post(f"/api/v1/units/{t.api.units['own']}/offers", offered), 201)
    return Setup(plan, made, offer, starts_at)


async def confirmed(t: Timed, setup: Setup, quantity: int = 2) -> str:
    """A commitment dispatched to the slot and accepted by the unit: its path."""
    made = ok(await t.api.post("/api/v1/commitments", setup.to_slot(quantity)), 201)
    path = f"/api/v1/commitments/{made['id']}"
    ok(await t.api.post(f"{path}/confirm", who="liaison_own"))
    return path


async def fulfilled(t: Timed, setup: Setup, people: int = 40, hours: float = 5, quantity: int = 2) -> str:
    path = await confirmed(t, setup, quantity)
    t.clock.set(setup.starts_at)
    ok(
        await t.api.post(
            f"{path}/fulfil", {"people_served": people, "volunteer_hours": hours}, who="liaison_own"
        )
    )
    return path


JSON = {"Content-Type": "application/json"}


def field_errors(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# -- believable ----------------------------------------------------------------------------------


async def test_fulfilment_before_the_window_starts_is_409_and_is_recorded_once_it_has(timed: Timed) -> None:
    t = timed
    setup = await published(t)
    path = await confirmed(t, setup)
    figures = {"people_served": 40, "volunteer_hours": 5}

    t.clock.set(setup.starts_at - timedelta(seconds=1))
    early = await t.api.post(f"{path}/fulfil", figures, who="liaison_own")
    assert early.status_code == 409 and "starts at" in early.json()["detail"], early.text
    assert ok(await t.api.get(path))["status"] == "confirmed"

    t.clock.set(setup.starts_at)
    assert ok(await t.api.post(f"{path}/fulfil", figures, who="liaison_own"))["status"] == "fulfilled"


async def test_volunteer_hours_over_quantity_times_window_hours_is_400_naming_the_bound(timed: Timed) -> None:
    t = timed
    setup = await published(t, hours=3)
    path = await confirmed(t, setup, quantity=2)
    t.clock.set(setup.starts_at + timedelta(hours=3))

    over = await t.api.post(
        f"{path}/fulfil", {"people_served": 40, "volunteer_hours": 6.5}, who="liaison_own"
    )
    assert field_errors(over) == {"volunteer_hours": "at most 6 (2 people × 3 hours)"}
    done = ok(
        await t.api.post(f"{path}/fulfil", {"people_served": 40, "volunteer_hours": 6}, who="liaison_own")
    )
    assert done["volunteer_hours"] == 6


async def test_people_served_over_the_expected_attendance_is_400_until_the_coordinator_raises_the_slots_bound(
    timed: Timed,
) -> None:
    t = timed
    setup = await published(t, expected_attendance=200)
    path = await confirmed(t, setup)
    t.clock.set(setup.starts_at)
    million = {"people_served": 1_000_000, "volunteer_hours": 100_000}
    assert set(field_errors(await t.api.post(f"{path}/fulfil", million, who="liaison_own"))) == {
        "people_served", "volunteer_hours",
    }  # fmt: skip
    over = await t.api.post(f"{path}/fulfil", {"people_served": 201, "volunteer_hours": 1}, who="liaison_own")
    assert field_errors(over) == {"people_served": "at most 200 (the plan's expected attendance)"}

    limit = f"/api/v1/plans/{setup.plan['id']}/slots/{setup.slot['id']}/people-served-limit"
    assert (await t.api.post(limit, {"people_served_limit": 500}, who="liaison_own")).status_code == 403
    plan = ok(await t.api.post(limit, {"people_served_limit": 500}))
    assert plan["slots"][0]["people_served_limit"] == 500
    ok(await t.api.post(f"{path}/fulfil", {"people_served": 450, "volunteer_hours": 1}, who="liaison_own"))


async def test_a_slot_bound_given_when_the_slot_is_added_holds(timed: Timed) -> None:
    t = timed
    setup = await published(t, people_served_limit=30)
    assert setup.slot["people_served_limit"] == 30
    path = await confirmed(t, setup)
    t.clock.set(setup.starts_at)
    over = await t.api.post(f"{path}/fulfil", {"people_served": 31, "volunteer_hours": 1}, who="liaison_own")
    assert field_errors(over) == {"people_served": "at most 30 (the slot's people_served_limit)"}


async def test_a_needs_bound_is_100_per_unit_of_its_quantity_unless_the_coordinator_sets_it(
    timed: Timed,
) -> None:
    t = timed
    api = t.api
    day = (t.clock() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    need = ok(
        await api.post(f"/api/v1/units/{api.units['other']}/needs", need_body(quantity=2, **span(day, 3))),
        201,
    )
    offered = offer_body(category="volunteers.crowd-guidance", availability=[span(day, 3)])
    offer = ok(await api.post(f"/api/v1/units/{api.units['own']}/offers", offered), 201)
    made = ok(
        await api.post(
            "/api/v1/commitments", {"offer_id": offer["id"], "quantity": 2, "need_id": need["id"]}
        ),
        201,
    )
    path = f"/api/v1/commitments/{made['id']}"
    ok(await api.post(f"{path}/confirm", who="liaison_own"))
    t.clock.set(day)

    over = await api.post(f"{path}/fulfil", {"people_served": 201, "volunteer_hours": 6}, who="liaison_own")
    assert field_errors(over) == {"people_served": "at most 200 (100 × the need's quantity 2)"}
    limit = f"/api/v1/needs/{need['id']}/people-served-limit"
    assert (await api.post(limit, {"people_served_limit": 300}, who="liaison_other")).status_code == 403
    assert ok(await api.post(limit, {"people_served_limit": 300}))["people_served_limit"] == 300
    ok(await api.post(f"{path}/fulfil", {"people_served": 250, "volunteer_hours": 6}, who="liaison_own"))


# -- correctable ---------------------------------------------------------------------------------


async def test_a_correction_shows_both_figures_in_the_commitment_report_ledger_as_of_and_history(
    timed: Timed,
) -> None:
    t = timed
    api = t.api
    setup = await published(t)
    path = await fulfilled(t, setup, people=40, hours=5)
    fulfilled_at = ok(await api.get(f"/api/v1/plans/{setup.plan['id']}/report"))["log_position"]

    corrected = ok(
        await api.post(f"{path}/correct", {"people_served": 30, "volunteer_hours": 4, "reason": "重复计数"})
    )
    assert (corrected["people_served"], corrected["volunteer_hours"]) == (30, 4)
    assert corrected["corrections"] == [
        {"people_served": 30, "volunteer_hours": 4.0, "reason": "重复计数",
         "previous_people_served": 40, "previous_volunteer_hours": 5.0},
    ]  # fmt: skip

    report = ok(await api.get(f"/api/v1/plans/{setup.plan['id']}/report"))
    assert (report["people_served"], report["volunteer_hours"], report["corrections"]) == (30, 4, 1)
    assert (report["reported_people_served"], report["reported_volunteer_hours"]) == (40, 5)
    line = report["slots"][0]
    assert (line["people_served"], line["reported_people_served"], line["corrections"]) == (30, 40, 1)
    was = ok(await api.get(f"/api/v1/plans/{setup.plan['id']}/report", params={"as_of": fulfilled_at}))
    assert (was["people_served"], was["corrections"]) == (40, 0)

    ledger = ok(await api.get(f"/api/v1/units/{api.units['own']}/ledger"))["given"]
    assert (ledger["people_served"], ledger["volunteer_hours"], ledger["corrections"]) == (30, 4, 1)
    assert (ledger["reported_people_served"], ledger["reported_volunteer_hours"]) == (40, 5)
    earlier = ok(await api.get(f"/api/v1/units/{api.units['own']}/ledger", params={"as_of": fulfilled_at}))
    assert (earlier["given"]["people_served"], earlier["given"]["corrections"]) == (40, 0)
    assert ok(await api.get(path, params={"as_of": fulfilled_at}))["people_served"] == 40

    history = ok(await api.get(f"/api/v1/audit/streams/commitment-{corrected['id']}", who="auditor"))
    fulfilment, correction = history["events"][-2:]
    assert (fulfilment["type"], fulfilment["data"]["people_served"]) == ("commitment_fulfilled", 40)
    assert (correction["type"], correction["data"]["people_served"]) == ("fulfilment_corrected", 30)
    assert correction["data"]["previous_people_served"] == 40 and correction["data"]["reason"] == "重复计数"
    assert {"people_served", "volunteer_hours", "corrections"} <= set(correction["changed"])
    assert correction["role"] == "coordinator"


async def test_a_correction_is_bounded_needs_a_reason_a_fulfilment_and_the_centre(timed: Timed) -> None:
    t = timed
    api = t.api
    setup = await published(t, slot_quantity=3, hours=3)
    pending = await confirmed(t, setup, quantity=1)
    path = await fulfilled(t, setup)
    fix = {"people_served": 30, "volunteer_hours": 4, "reason": "重复计数"}

    assert field_errors(await api.post(f"{path}/correct", {**fix, "volunteer_hours": 7})) == {
        "volunteer_hours": "at most 6 (2 people × 3 hours)"
    }
    assert set(field_errors(await api.post(f"{path}/correct", {**fix, "people_served": 201}))) == {
        "people_served"
    }
    assert set(field_errors(await api.post(f"{path}/correct", {**fix, "reason": " \n "}))) == {"reason"}
    assert set(
        field_errors(await api.post(f"{path}/correct", {"people_served": 30, "volunteer_hours": 4}))
    ) == {"reason"}
    assert (await api.post(f"{path}/correct", fix, who="liaison_own")).status_code == 403
    not_yet = await api.post(f"{pending}/correct", fix)
    assert not_yet.status_code == 409 and "only a fulfilled one" in not_yet.json()["detail"]
    assert ok(await api.get(path))["corrections"] == []


async def test_the_unit_requests_a_correction_that_the_coordinator_sees_and_a_correction_answers(
    timed: Timed,
) -> None:
    t = timed
    api = t.api
    setup = await published(t)
    path = await fulfilled(t, setup)
    ask = {"reason": "把家属也算进去了", "people_served": 25}

    assert (await api.post(f"{path}/request-correction", ask, who="liaison_other")).status_code == 403
    assert (await api.post(f"{path}/request-correction", ask)).status_code == 403
    refused = [
        (b'{"reason": "\\u0000"}', "reason"),
        (b'{"people_served": 1}', "reason"),
        (b'{"reason": "x", "volunteer_hours": 1e400}', "volunteer_hours"),
        (b'{"reason": "x", "people_served": -1}', "people_served"),
    ]
    for raw, named in refused:
        response = await api.post(f"{path}/request-correction", content=raw, headers=JSON, who="liaison_own")
        assert named in field_errors(response), raw
    over = await api.post(f"{path}/request-correction", {**ask, "people_served": 201}, who="liaison_own")
    assert set(field_errors(over)) == {"people_served"}
    asked = ok(await api.post(f"{path}/request-correction", ask, who="liaison_own"))
    assert asked["correction_requests"] == [
        {"reason": "把家属也算进去了", "people_served": 25, "volunteer_hours": None}
    ]
    assert asked["people_served"] == 40  # a request changes no figure

    seen = ok(await api.get("/api/v1/audit/events", params={"type": "fulfilment_correction_requested"}))
    assert [(e["stream_id"], e["data"]["people_served"]) for e in seen["items"]] == [
        (f"commitment-{asked['id']}", 25)
    ]
    answered = ok(
        await api.post(
            f"{path}/correct", {"people_served": 25, "volunteer_hours": 5, "reason": ask["reason"]}
        )
    )
    assert answered["correction_requests"] == [] and answered["people_served"] == 25


# -- a completed plan is closed ------------------------------------------------------------------


async def test_completing_with_open_commitments_is_409_naming_them_unless_they_are_released(
    timed: Timed,
) -> None:
    t = timed
    api = t.api
    setup = await published(t, slot_quantity=4)
    proposed = ok(await api.post("/api/v1/commitments", setup.to_slot(1)), 201)
    claimed = ok(await api.post("/api/v1/commitments", setup.to_slot(1), who="liaison_own"), 201)
    accepted = (await confirmed(t, setup, quantity=1)).rsplit("/", 1)[1]
    done = (await fulfilled(t, setup, people=10, hours=1, quantity=1)).rsplit("/", 1)[1]
    complete = f"/api/v1/plans/{setup.plan['id']}/complete"
    head = await api.registry.store.head()

    refused = await api.post(complete, {"notes": "结束"})
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    for commitment_id, status in (
        (proposed["id"], "proposed"),
        (claimed["id"], "claimed"),
        (accepted, "confirmed"),
    ):
        assert f"{commitment_id} ({status})" in detail
    assert done not in detail and "release_open" in detail
    assert await api.registry.store.head() == head

    closed = ok(await api.post(complete, {"notes": "结束", "release_open": True}))
    assert closed["status"] == "completed" and closed["outcome"]["people_served"] == 10
    for commitment_id in (proposed["id"], claimed["id"], accepted):
        released = ok(await api.get(f"/api/v1/commitments/{commitment_id}"))
        assert (released["status"], released["reason"]) == ("released", "plan completed")
    assert ok(await api.get(f"/api/v1/commitments/{done}"))["status"] == "fulfilled"
    assert (
        ok(await api.get(f"/api/v1/offers/{setup.offer['id']}"))["remaining"] == 29
    )  # the fulfilled 1 stays used
    assert [s["committed"] for s in closed["slots"]] == [1]


async def close_as_before_this_rule(registry: Registry, plan_id: str, closing: str) -> None:
    """Close a plan the way a registry before this rule could: with commitments still open."""
    plan = uuid.UUID(plan_id)
    event = (
        PlanCompleted(plan_id=plan, service_items=1, people_served=40, volunteer_hours=5, units_involved=1)
        if closing == "completed"
        else PlanCancelled(plan_id=plan, reason="旧数据")
    )
    ctx = Command(actor=Actor(subject="cli:test", role=Role.COORDINATOR))
    await registry.store.append(stream_id("plan", plan), [registry.new_event(event, ctx)])


@pytest.mark.parametrize("closing", ["completed", "cancelled"])
async def test_a_closed_plan_refuses_every_further_commitment_step_but_a_correction(
    timed: Timed, closing: str
) -> None:
    t = timed
    api = t.api
    setup = await published(t, slot_quantity=5)
    proposed = ok(await api.post("/api/v1/commitments", setup.to_slot(1)), 201)["id"]
    accepted = await confirmed(t, setup, quantity=1)
    done = await fulfilled(t, setup, people=40, hours=5)
    await close_as_before_this_rule(api.registry, setup.plan["id"], closing)

    steps = [
        (f"/api/v1/commitments/{proposed}/confirm", None, "liaison_own"),
        (f"/api/v1/commitments/{proposed}/decline", None, "liaison_own"),
        (f"{accepted}/fulfil", {"people_served": 1, "volunteer_hours": 1}, "liaison_own"),
        (f"{accepted}/release", None, "coordinator"),
        (f"{accepted}/no-show", None, "coordinator"),
        ("/api/v1/commitments", setup.to_slot(1), "coordinator"),
        ("/api/v1/commitments", setup.to_slot(1), "liaison_own"),
    ]
    for path, body, who in steps:
        response = await api.post(path, body, who=who)
        assert response.status_code == 409, (path, who, response.text)
    assert (
        f"the plan is {closing}"
        in (await api.post(f"{accepted}/fulfil", steps[2][1], who="liaison_own")).text
    )

    ok(await api.post(f"{done}/correct", {"people_served": 20, "volunteer_hours": 2, "reason": "核对签到表"}))
    plan = ok(await api.get(f"/api/v1/plans/{setup.plan['id']}"))
    report = ok(await api.get(f"/api/v1/plans/{setup.plan['id']}/report"))
    assert report["people_served"] == 20 and report["reported_people_served"] == 40
    if closing == "completed":
        # The outcome follows the correction: it equals the report.
        assert (plan["outcome"]["people_served"], plan["outcome"]["volunteer_hours"]) == (20, 2)
