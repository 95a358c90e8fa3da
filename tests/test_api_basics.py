"""The API's core paths: create, read, list, revise, with versions and log positions."""

from __future__ import annotations

from tests.api_fixtures import Api, offer_body


async def test_submit_offer_then_read_it_back(api: Api) -> None:
    unit = api.units["own"]
    created = await api.post(f"/api/v1/units/{unit}/offers", offer_body(), who="liaison_own")
    assert created.status_code == 201, created.text
    offer = created.json()
    assert offer["status"] == "active" and offer["remaining"] == 30 and offer["version"] == 1
    assert created.headers["etag"] == '"1"'
    assert int(created.headers["x-log-position"]) > 0
    read = await api.get(f"/api/v1/offers/{offer['id']}", who="auditor")
    assert read.status_code == 200
    assert read.json() == offer
