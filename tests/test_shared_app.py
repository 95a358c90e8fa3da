"""The `api` tests share one app (tests/api_fixtures.py `shared_app`) and still see nothing of one
another: each starts it afresh on a database of its own that holds the cast alone, with a throttle
of its own; and a built app keeps nothing else a test could leave behind for the next one."""

from __future__ import annotations

import pytest

from registry.app import create_app
from registry.settings import Settings
from tests.api_fixtures import Api, unit_body


def test_a_built_app_keeps_no_state_but_the_auth_throttle() -> None:
    """Whatever else an app keeps is made when it starts; a key added here must be made afresh for
    each test by the `api` fixture too, as the throttle is."""
    app = create_app(Settings(database_url="postgresql://unused"))
    assert set(app.state.keys()) == {"auth_throttle"}


# Two runs of one test, one after the other on the shared app: the second (whichever it is) must
# find none of what the first wrote, and a throttle that counted none of its failures.
@pytest.mark.parametrize("run", ["first", "second"])
async def test_each_api_test_has_a_database_and_a_throttle_of_its_own(api: Api, run: str) -> None:
    units = (await api.get("/api/v1/units")).json()["items"]
    assert sorted(unit["id"] for unit in units) == sorted(str(unit_id) for unit_id in api.units.values())
    assert len(api.app.state.auth_throttle) == 0

    made = await api.post("/api/v1/units", unit_body(f"只在{run}里"))
    assert made.status_code == 201, made.text
    refused = await api.get("/api/v1/units", headers={"Authorization": "Bearer reg_not-a-token"})
    assert refused.status_code == 401
    assert len(api.app.state.auth_throttle) == 1
