"""A GET by id checks the token in the statement that reads the document: one round trip, and
still nothing cached, so a revocation holds from the very next request; 401 still comes before
404 and before a bad `as_of`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from events.sql import query
from tests.api_fixtures import Api, offer_body

TABLES = ["units", "offers", "needs", "plans", "commitments"]
UNKNOWN_TOKEN = "reg_" + "x" * 43


def _registry_statements(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the registry's token and by-id queries the app's pool runs from now on."""
    names = {query(f"registry/{t}-get"): f"{t}-get" for t in TABLES}
    names |= {query(f"registry/{t}-get-checking-token"): f"{t}-get-checking-token" for t in TABLES}
    names[query("registry/token-by-secret")] = "token-by-secret"
    names[query("registry/token-by-secret-and-checkpoint")] = "token-by-secret-and-checkpoint"
    seen: list[str] = []
    pool = api.app.state.store.pool
    for method in ("fetchrow", "fetch", "fetchval"):
        original: Callable[..., Awaitable[Any]] = getattr(pool, method)

        def spy(sql: str, *args: Any, _original: Callable[..., Awaitable[Any]] = original, **kw: Any) -> Any:
            if sql in names:
                seen.append(names[sql])
            return _original(sql, *args, **kw)

        monkeypatch.setattr(pool, method, spy)
    return seen


async def _offer_id(api: Api) -> str:
    created = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body())
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_a_get_by_id_checks_the_token_and_reads_in_one_statement(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    offer_id = await _offer_id(api)
    seen = _registry_statements(api, monkeypatch)
    got = await api.get(f"/api/v1/offers/{offer_id}", who="auditor")
    assert got.status_code == 200, got.text
    assert got.json()["id"] == offer_id and got.headers["etag"] == '"1"'
    assert (await api.get(f"/api/v1/units/{api.units['own']}")).status_code == 200
    assert seen == ["offers-get-checking-token", "units-get-checking-token"]
    # A list still authenticates in the middleware; the offer list (cached) reads the read
    # model's checkpoint with the token.
    assert (await api.get("/api/v1/units")).status_code == 200
    assert seen[-1] == "token-by-secret"
    assert (await api.get("/api/v1/offers")).status_code == 200
    assert seen[-1] == "token-by-secret-and-checkpoint"


async def test_a_revoked_token_is_refused_on_the_very_next_get_by_id(api: Api) -> None:
    offer_id = await _offer_id(api)
    issued = await api.post("/api/v1/tokens", {"role": "auditor", "label": "soon revoked"})
    assert issued.status_code == 201, issued.text
    headers = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert (await api.client.get(f"/api/v1/offers/{offer_id}", headers=headers)).status_code == 200
    revoked = await api.request("DELETE", f"/api/v1/tokens/{issued.json()['id']}")
    assert revoked.status_code == 204, revoked.text
    refused = await api.client.get(f"/api/v1/offers/{offer_id}", headers=headers)
    assert refused.status_code == 401, refused.text
    by_time = await api.client.get(
        f"/api/v1/offers/{offer_id}", params={"as_of": "2030-01-01T00:00:00+08:00"}, headers=headers
    )
    assert by_time.status_code == 401, by_time.text


@pytest.mark.parametrize(
    "as_of", [None, "1", "99999999999999999999", "2030-01-01T00:00:00+08:00", "not-a-time"]
)
async def test_an_unknown_token_is_401_before_any_404_or_400(api: Api, as_of: str | None) -> None:
    params = {} if as_of is None else {"as_of": as_of}
    headers = {"Authorization": f"Bearer {UNKNOWN_TOKEN}"}
    for table in TABLES:
        got = await api.client.get(f"/api/v1/{table}/{uuid.uuid4()}", params=params, headers=headers)
        assert got.status_code == 401, (table, got.text)
        assert got.headers["content-type"].startswith("application/problem+json")


async def test_a_known_token_gets_404_for_an_unknown_id_and_400_for_a_bad_as_of(api: Api) -> None:
    for table in TABLES:
        assert (await api.get(f"/api/v1/{table}/{uuid.uuid4()}")).status_code == 404, table
        assert (await api.get(f"/api/v1/{table}/{uuid.uuid4()}?as_of=1")).status_code == 404, table
    offer_id = await _offer_id(api)
    assert (await api.get(f"/api/v1/offers/{offer_id}?as_of=not-a-time")).status_code == 400
    assert (await api.get(f"/api/v1/offers/{offer_id}?as_of=99999999999999999999")).status_code == 400
    # As of a position before the offer existed: not found then; after: found.
    position = int((await api.get(f"/api/v1/offers/{offer_id}")).headers.get("x-log-position", "0") or 0)
    assert (await api.get(f"/api/v1/offers/{offer_id}?as_of=1")).status_code == 404
    head = (await api.registry.store.head())[0]
    assert position == 0 and (await api.get(f"/api/v1/offers/{offer_id}?as_of={head}")).status_code == 200


async def test_a_liaison_may_read_any_unit_offer_by_id(api: Api) -> None:
    offer_id = await _offer_id(api)
    got = await api.get(f"/api/v1/offers/{offer_id}", who="liaison_other")
    assert got.status_code == 200, got.text
