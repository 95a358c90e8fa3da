"""A liaison reading other units' commitments sees who gives what, how much and how it stands, but
not their free text: fulfilment notes and decline or release reasons are the parties' own."""

from __future__ import annotations

from typing import Any

from tests.api_fixtures import Api
from tests.test_api_validation import confirmed_commitment, dispatched_commitment

SEEN = ("id", "unit_id", "offer_id", "plan_id", "slot_id", "quantity", "status", "starts_at", "ends_at")


async def commitments_with_text(api: Api) -> tuple[str, str]:
    """A fulfilled commitment of the unit "own" with notes, and a declined one with a reason."""
    fulfilled = await confirmed_commitment(api)
    done = {"people_served": 12, "volunteer_hours": 3, "notes": "王阿姨需要复诊"}
    assert (
        await api.post(f"/api/v1/commitments/{fulfilled}/fulfil", done, who="liaison_own")
    ).status_code == 200
    declined = await dispatched_commitment(api)
    reason = {"reason": "医生家中有事"}
    assert (
        await api.post(f"/api/v1/commitments/{declined}/decline", reason, who="liaison_own")
    ).status_code == 200
    return fulfilled, declined


async def as_seen(api: Api, who: str, commitment_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The commitment as `who` reads it alone and in the list."""
    one = await api.get(f"/api/v1/commitments/{commitment_id}", who=who)
    assert one.status_code == 200, one.text
    listed = await api.get("/api/v1/commitments", params={"limit": 500}, who=who)
    item = next(c for c in listed.json()["items"] if c["id"] == commitment_id)
    return one.json(), item


async def test_another_units_liaison_sees_no_notes_or_reasons(api: Api) -> None:
    fulfilled, declined = await commitments_with_text(api)
    for commitment_id in (fulfilled, declined):
        full, _ = await as_seen(api, "coordinator", commitment_id)
        for seen in await as_seen(api, "liaison_other", commitment_id):
            assert seen["notes"] is None and seen["reason"] is None, seen
            assert {k: seen[k] for k in SEEN} == {k: full[k] for k in SEEN}
            assert seen["unit_id"] == str(api.units["own"])


async def test_the_parties_and_the_centre_see_the_text(api: Api) -> None:
    fulfilled, declined = await commitments_with_text(api)
    for who in ("liaison_own", "coordinator", "auditor"):
        for seen in await as_seen(api, who, fulfilled):
            assert seen["notes"] == "王阿姨需要复诊", who
        for seen in await as_seen(api, who, declined):
            assert seen["reason"] == "医生家中有事", who
