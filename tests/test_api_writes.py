"""Writes: If-Match and ETag, concurrent PATCHes, Idempotency-Key, X-Log-Position, read-your-writes."""

from __future__ import annotations

import asyncio

from tests.api_fixtures import Api, offer_body
from tests.helpers import refuse_rows


async def _offer(api: Api, **overrides: object) -> dict[str, object]:
    response = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_patch_with_current_if_match_applies_and_bumps_the_version(api: Api) -> None:
    offer = await _offer(api)
    response = await api.patch(
        f"/api/v1/offers/{offer['id']}", {"title": "眼科筛查"}, who="liaison_own", headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "眼科筛查"
    assert response.headers["etag"] == '"2"'


async def test_patch_with_stale_if_match_is_412(api: Api) -> None:
    offer = await _offer(api)
    await api.patch(f"/api/v1/offers/{offer['id']}", {"title": "一"})
    stale = await api.patch(f"/api/v1/offers/{offer['id']}", {"title": "二"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert (await api.get(f"/api/v1/offers/{offer['id']}")).json()["title"] == "一"


async def test_two_concurrent_patches_with_the_same_if_match_one_200_one_412(api: Api) -> None:
    offer = await _offer(api)
    path = f"/api/v1/offers/{offer['id']}"
    responses = await asyncio.gather(
        api.patch(path, {"title": "甲"}, headers={"If-Match": '"1"'}),
        api.patch(path, {"title": "乙"}, headers={"If-Match": '"1"'}, who="liaison_own"),
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    winner = next(r for r in responses if r.status_code == 200).json()
    current = (await api.get(path)).json()
    assert current["title"] == winner["title"]
    assert current["version"] == 2


async def test_concurrent_patches_without_if_match_are_both_applied_not_lost(api: Api) -> None:
    offer = await _offer(api)
    path = f"/api/v1/offers/{offer['id']}"
    responses = await asyncio.gather(
        api.patch(path, {"title": "新标题"}), api.patch(path, {"tags": ["义诊"]})
    )
    assert [r.status_code for r in responses] == [200, 200]
    current = (await api.get(path)).json()
    assert (current["title"], current["tags"], current["version"]) == ("新标题", ["义诊"], 3)


async def test_idempotency_key_retry_returns_the_same_response_and_writes_one_event(api: Api) -> None:
    path = f"/api/v1/units/{api.units['own']}/offers"
    headers = {"Idempotency-Key": "offer-2026-autumn-fair"}
    first = await api.post(path, offer_body(), headers=headers)
    head_after_first = int(first.headers["x-log-position"])
    second = await api.post(path, offer_body(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["x-log-position"] == first.headers["x-log-position"]
    head, _ = await api.registry.store.head()
    assert head == head_after_first
    offers = (await api.get(f"/api/v1/offers?unit_id={api.units['own']}")).json()["items"]
    assert len(offers) == 1


async def test_idempotency_key_reused_with_another_body_is_422(api: Api) -> None:
    path = f"/api/v1/units/{api.units['own']}/offers"
    headers = {"Idempotency-Key": "k-1"}
    assert (await api.post(path, offer_body(), headers=headers)).status_code == 201
    other = await api.post(path, offer_body(title="另一个"), headers=headers)
    assert other.status_code == 422
    assert other.json()["status"] == 422


async def test_concurrent_retries_with_one_idempotency_key_create_one_entity(api: Api) -> None:
    path = f"/api/v1/units/{api.units['own']}/offers"
    headers = {"Idempotency-Key": "burst"}
    responses = await asyncio.gather(*(api.post(path, offer_body(), headers=headers) for _ in range(8)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len((await api.get(f"/api/v1/offers?unit_id={api.units['own']}")).json()["items"]) == 1


async def test_idempotency_keys_are_per_caller(api: Api) -> None:
    path = f"/api/v1/units/{api.units['own']}/offers"
    headers = {"Idempotency-Key": "same-key"}
    a = await api.post(path, offer_body(), headers=headers)
    b = await api.post(path, offer_body(), headers=headers, who="liaison_own")
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]


async def test_every_write_returns_its_log_position_and_a_following_read_sees_it(api: Api) -> None:
    offer = await _offer(api)
    for title in ("一", "二", "三"):
        written = await api.patch(f"/api/v1/offers/{offer['id']}", {"title": title})
        position = int(written.headers["x-log-position"])
        [event] = [e async for e in api.registry.store.read_all(after=position - 1, limit=1)]
        assert event.stream_id == f"offer-{offer['id']}"
        listed = await api.get(f"/api/v1/offers?q={title}", who="auditor")
        assert [o["id"] for o in listed.json()["items"]] == [offer["id"]]


async def test_a_patch_that_changes_nothing_writes_nothing(api: Api) -> None:
    offer = await _offer(api)
    head, _ = await api.registry.store.head()
    same = await api.patch(f"/api/v1/offers/{offer['id']}", {"title": offer["title"]})
    assert same.status_code == 200
    assert same.json()["version"] == 1
    assert (await api.registry.store.head())[0] == head


async def test_every_event_records_the_acting_token_and_role(api: Api) -> None:
    offer = await _offer(api)
    await api.patch(f"/api/v1/offers/{offer['id']}", {"title": "改"}, who="liaison_own")
    events = [e async for e in api.registry.store.read_stream(f"offer-{offer['id']}")]
    assert [(e.metadata.role, e.metadata.actor.startswith("token:")) for e in events] == [
        ("coordinator", True),
        ("liaison", True),
    ]
    assert events[0].metadata.actor != events[1].metadata.actor


async def test_illegal_transitions_are_409(api: Api) -> None:
    offer = await _offer(api)
    path = f"/api/v1/offers/{offer['id']}"
    assert (await api.post(f"{path}/resume")).status_code == 409  # not paused
    assert (await api.post(f"{path}/pause")).json()["status"] == "paused"
    assert (await api.post(f"{path}/withdraw", {"reason": "设备检修"})).json()["status"] == "withdrawn"
    for action in ("pause", "resume", "withdraw"):
        assert (await api.post(f"{path}/{action}")).status_code == 409
    assert (await api.patch(path, {"title": "x"})).status_code == 409


async def test_an_optional_body_may_be_left_out_or_sent_as_null(api: Api) -> None:
    """The OpenAPI document says these bodies are nullable: `null` means no body, as leaving it out does."""
    for body in (b"", b"null", b" null\n"):
        offer = await _offer(api)
        withdrawn = await api.post(
            f"/api/v1/offers/{offer['id']}/withdraw",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn", withdrawn.text


async def test_revoked_token_is_refused_on_the_next_request(api: Api) -> None:
    issued = await api.post("/api/v1/tokens", {"role": "auditor", "label": "纪检"})
    assert issued.status_code == 201
    api.tokens["temp"] = issued.json()["token"]
    assert (await api.get("/api/v1/units", who="temp")).status_code == 200
    assert (await api.request("DELETE", f"/api/v1/tokens/{issued.json()['id']}")).status_code == 204
    refused = await api.get("/api/v1/units", who="temp")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"


async def test_tokens_are_stored_only_as_hashes(api: Api) -> None:
    issued = await api.post("/api/v1/tokens", {"role": "coordinator"})
    secret = issued.json()["token"]
    pool = api.registry.store.pool
    in_log = await pool.fetchval("SELECT count(*) FROM events WHERE data::text LIKE '%' || $1 || '%'", secret)
    in_read_model = await pool.fetchval(
        "SELECT count(*) FROM registry_read.tokens WHERE doc::text LIKE '%' || $1 || '%' "
        "OR state::text LIKE '%' || $1 || '%'",
        secret,
    )
    assert (in_log, in_read_model) == (0, 0)


async def test_a_write_whose_projection_fails_is_a_503_that_names_its_recorded_position(api: Api) -> None:
    await refuse_rows(api.registry.store.pool, "offers", "boom", "read model refuses boom")
    response = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body(title="boom"))
    assert response.status_code == 503 and response.headers["Retry-After"]
    position = response.headers["X-Log-Position"]
    assert f"recorded at log position {position}" in response.json()["detail"]
    recorded = [e async for e in api.registry.store.read_all(types=["offer_submitted"])]
    assert [e.data.title for e in recorded] == ["boom"]
    await api.registry.store.pool.execute("DROP TRIGGER refuse_boom ON registry_read.offers")
    later = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body(title="fine"))
    assert later.status_code == 201
    listed = (await api.get(f"/api/v1/offers?unit_id={api.units['own']}")).json()["items"]
    assert sorted(o["title"] for o in listed) == ["boom", "fine"]
