"""Offers expire and measures matter, through the API.

Expiry is derived from the time asked (the registry's clock, which these tests move; or the
recorded time of an `as_of` position): no event marks it. Every date is built from the clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from registry.domain.values import LOCAL_ZONE, expiry
from tests.api_fixtures import need_body, offer_body, plan_body
from tests.test_api_fulfilment import Timed, ok, span, timed

__all__ = ["timed"]  # the fixture, shared with the fulfilment tests


class Fair(msgspec.Struct):
    plan: dict[str, Any]
    slot: dict[str, Any]
    day: datetime

    def to_slot(self, offer: dict[str, Any], quantity: int = 1) -> dict[str, Any]:
        return {
            "offer_id": offer["id"],
            "quantity": quantity,
            "plan_id": self.plan["id"],
            "slot_id": self.slot["id"],
        }


async def fair(t: Timed, **slot: Any) -> Fair:
    """A published plan nine days ahead with one repair slot of two (people unless `slot` says)."""
    day = (t.clock() + timedelta(days=9)).replace(minute=0, second=0, microsecond=0)
    plan = ok(await t.api.post("/api/v1/plans", plan_body(**span(day, 10))), 201)
    body = {"category": "repair", "quantity": 2, **span(day + timedelta(hours=1), 3), **slot}
    made = ok(await t.api.post(f"/api/v1/plans/{plan['id']}/slots", body), 201)
    ok(await t.api.post(f"/api/v1/plans/{plan['id']}/publish"))
    return Fair(plan, made, day)


async def offer(t: Timed, at: Fair, **overrides: Any) -> dict[str, Any]:
    """An offer of the own unit, available all that day."""
    body = offer_body(category="repair.umbrella", availability=[span(at.day, 10)], **overrides)
    return ok(await t.api.post(f"/api/v1/units/{t.api.units['own']}/offers", body), 201)


def local_day(moment: datetime, days: int = 0) -> date:
    return moment.astimezone(LOCAL_ZONE).date() + timedelta(days=days)


async def candidates(t: Timed, at: Fair, **params: str) -> list[str]:
    matches = ok(await t.api.get(f"/api/v1/plans/{at.plan['id']}/matches", params=params))
    return [c["offer_id"] for c in matches["slots"][0]["candidates"]]


async def listed(t: Timed, **params: str) -> dict[str, str]:
    page = ok(await t.api.get("/api/v1/offers", params=params))
    return {o["id"]: o["status"] for o in page["items"]}


async def head(t: Timed) -> str:
    """The log's last position, for an `as_of` read of the registry as it stands now."""
    return str(ok(await t.api.get("/api/v1/audit/events", params={"limit": "1"}))["head_position"])


# -- offers expire -------------------------------------------------------------------------------


async def test_an_offer_expires_at_the_end_of_its_valid_until_and_as_of_before_it_was_active(
    timed: Timed,
) -> None:
    t = timed
    at = await fair(t)
    last_day = local_day(t.clock(), 2)
    submitted = await t.api.post(
        f"/api/v1/units/{t.api.units['own']}/offers",
        offer_body(
            category="repair.umbrella", availability=[span(at.day, 10)], valid_until=last_day.isoformat()
        ),
    )
    made = ok(submitted, 201)
    position = submitted.headers["X-Log-Position"]
    path = f"/api/v1/offers/{made['id']}"
    ends = expiry(last_day)
    assert ends == datetime.combine(last_day + timedelta(days=1), datetime.min.time(), LOCAL_ZONE)

    t.clock.set(ends - timedelta(microseconds=1))  # the last moment of its last day
    assert ok(await t.api.get(path))["status"] == "active"

    t.clock.set(ends)
    assert ok(await t.api.get(path))["status"] == "expired"
    assert ok(await t.api.get(path, params={"as_of": position}))["status"] == "active"
    # No event marks it: the stream holds the submission only.
    history = ok(await t.api.get(f"/api/v1/audit/streams/offer-{made['id']}"))
    assert [e["type"] for e in history["events"]] == ["offer_submitted"]


async def test_expired_offers_are_listed_by_status_expired_and_not_as_active(timed: Timed) -> None:
    t = timed
    at = await fair(t)
    expiring = await offer(t, at, valid_until=local_day(t.clock(), 1).isoformat())
    lasting = await offer(t, at)
    before = await listed(t, status="active")
    assert before[expiring["id"]] == "active" and lasting["id"] in before

    t.clock.advance(timedelta(days=3))
    assert await listed(t, status="expired") == {expiring["id"]: "expired"}
    active = await listed(t, status="active")
    assert expiring["id"] not in active and active[lasting["id"]] == "active"
    assert (await listed(t))[expiring["id"]] == "expired"
    # The window filter reads the index: an expired offer is found there only as expired.
    window = {"available_from": at.slot["starts_at"], "available_to": at.slot["ends_at"]}
    assert await listed(t, status="expired", **window) == {expiring["id"]: "expired"}
    assert expiring["id"] not in await listed(t, status="active", **window)


async def test_as_of_a_position_before_expiry_lists_the_offer_as_active(timed: Timed) -> None:
    t = timed
    at = await fair(t)
    expiring = await offer(t, at, valid_until=local_day(t.clock(), 1).isoformat())
    submitted_at = await head(t)
    t.clock.advance(timedelta(days=3))
    assert (await listed(t, status="active", as_of=submitted_at))[expiring["id"]] == "active"
    assert expiring["id"] not in await listed(t, status="expired", as_of=submitted_at)


async def test_an_expired_offer_is_no_candidate_and_cannot_be_claimed_dispatched_or_allocated(
    timed: Timed,
) -> None:
    t = timed
    at = await fair(t)
    last_day = local_day(t.clock(), 1)
    expiring = await offer(t, at, valid_until=last_day.isoformat())
    assert await candidates(t, at) == [expiring["id"]]
    before = await head(t)

    t.clock.advance(timedelta(days=3))
    assert await candidates(t, at) == []
    assert await candidates(t, at, as_of=before) == [expiring["id"]]  # as it stood then
    for who in ("liaison_own", "coordinator"):
        refused = await t.api.post("/api/v1/commitments", at.to_slot(expiring), who=who)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == f"the offer expired: it was valid until {last_day.isoformat()}"
    allocated = ok(await t.api.post(f"/api/v1/plans/{at.plan['id']}/allocate", {"dry_run": True}))
    assert allocated["assignments"] == [] and allocated["unmet"][0]["quantity"] == 2

    # Valid again once its valid_until is moved on.
    revised = ok(
        await t.api.patch(
            f"/api/v1/offers/{expiring['id']}", {"valid_until": local_day(t.clock(), 5).isoformat()}
        )
    )
    assert revised["status"] == "active"
    ok(await t.api.post("/api/v1/commitments", at.to_slot(expiring)), 201)


# -- measures matter -----------------------------------------------------------------------------


async def test_slots_and_needs_carry_a_measure_people_by_default(timed: Timed) -> None:
    t = timed
    at = await fair(t)
    booths = ok(await t.api.post(
        f"/api/v1/plans/{at.plan['id']}/slots",
        {"category": "repair", "quantity": 2, "measure": "booths", **span(at.day, 2)},
    ), 201)  # fmt: skip
    assert at.slot["measure"] == "people" and booths["measure"] == "booths"
    body = need_body(**span(at.day, 2))
    assert (
        ok(await t.api.post(f"/api/v1/units/{t.api.units['other']}/needs", body), 201)["measure"] == "people"
    )
    body = need_body(**span(at.day, 2), measure="sessions")
    assert (
        ok(await t.api.post(f"/api/v1/units/{t.api.units['other']}/needs", body), 201)["measure"]
        == "sessions"
    )
    wrong = await t.api.post(
        f"/api/v1/plans/{at.plan['id']}/slots", {"category": "repair", "quantity": 2, "measure": "furlongs"}
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "measure", wrong.text


async def test_a_booth_slot_is_filled_only_by_booths_in_matching_claims_and_allocation(timed: Timed) -> None:
    t = timed
    at = await fair(t, measure="booths")
    people = await offer(t, at, capacity={"quantity": 2, "measure": "people"})
    booths = await offer(t, at, capacity={"quantity": 2, "measure": "booths"})
    assert await candidates(t, at) == [booths["id"]]
    allocated = ok(await t.api.post(f"/api/v1/plans/{at.plan['id']}/allocate", {"dry_run": True}))
    assert [a["offer_id"] for a in allocated["assignments"]] == [booths["id"]]
    for who in ("liaison_own", "coordinator"):
        refused = await t.api.post("/api/v1/commitments", at.to_slot(people), who=who)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == (
            "the offer is measured in people and the slot in booths: only equal measures pair"
        )
    ok(await t.api.post("/api/v1/commitments", at.to_slot(booths, 2), who="liaison_own"), 201)


async def test_a_need_is_met_only_by_offers_of_its_measure(timed: Timed) -> None:
    t = timed
    at = await fair(t)
    need = ok(await t.api.post(
        f"/api/v1/units/{t.api.units['other']}/needs",
        need_body(category="repair", quantity=1, measure="sessions", **span(at.day + timedelta(hours=1), 2)),
    ), 201)  # fmt: skip
    people = await offer(t, at)
    sessions = await offer(t, at, capacity={"quantity": 1, "measure": "sessions"})
    matches = ok(await t.api.get(f"/api/v1/needs/{need['id']}/matches"))
    assert [c["offer_id"] for c in matches["candidates"]] == [sessions["id"]]
    refused = await t.api.post(
        "/api/v1/commitments", {"offer_id": people["id"], "quantity": 1, "need_id": need["id"]}
    )
    assert refused.status_code == 409
    assert (
        refused.json()["detail"]
        == "the offer is measured in people and the need in sessions: only equal measures pair"
    )
    ok(
        await t.api.post(
            "/api/v1/commitments", {"offer_id": sessions["id"], "quantity": 1, "need_id": need["id"]}
        ),
        201,
    )


async def test_an_offers_measure_changes_only_while_nothing_holds_it(timed: Timed) -> None:
    t = timed
    at = await fair(t)
    held = await offer(t, at, capacity={"quantity": 3, "measure": "people"})
    free = await offer(t, at, capacity={"quantity": 3, "measure": "people"})
    made = ok(await t.api.post("/api/v1/commitments", at.to_slot(held, 2)), 201)

    refused = await t.api.patch(
        f"/api/v1/offers/{held['id']}", {"capacity": {"quantity": 3, "measure": "booths"}}
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "the offer is measured in people and 1 commitments hold it; its measure cannot become booths "
        "(withdraw it and submit a new offer)"
    )
    lowered = await t.api.patch(
        f"/api/v1/offers/{held['id']}", {"capacity": {"quantity": 1, "measure": "people"}}
    )
    assert lowered.status_code == 409
    assert lowered.json()["detail"] == "capacity 1 is below the 2 already committed at one time"
    raised = ok(
        await t.api.patch(f"/api/v1/offers/{held['id']}", {"capacity": {"quantity": 5, "measure": "people"}})
    )
    assert raised["capacity"] == {"quantity": 5, "measure": "people"}
    changed = ok(
        await t.api.patch(f"/api/v1/offers/{free['id']}", {"capacity": {"quantity": 3, "measure": "booths"}})
    )
    assert changed["capacity"]["measure"] == "booths"

    # Released, the hold is gone and the measure may change.
    ok(await t.api.post(f"/api/v1/commitments/{made['id']}/release"))
    ok(await t.api.patch(f"/api/v1/offers/{held['id']}", {"capacity": {"quantity": 3, "measure": "booths"}}))
