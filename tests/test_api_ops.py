"""Operations endpoints: liveness, readiness, metrics, the OpenAPI document."""

from __future__ import annotations

from tests.api_fixtures import Api, offer_body


async def test_health_and_ready_need_no_token(api: Api) -> None:
    assert (await api.get("/health", who="nobody")).json() == {"status": "ok"}
    ready = await api.get("/ready", who="nobody")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert (body["head_position"], body["head_hash"]) == (*(await api.registry.store.head()),)


async def test_ready_fails_while_the_read_model_lags_behind_the_log(api: Api) -> None:
    # A projection that cannot apply: its checkpoint row is locked by another transaction.
    async with api.registry.store.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT 1 FROM projection_checkpoints WHERE name = 'registry' FOR UPDATE")
        # Written straight to the log (not through the API), so nothing waits for the read model.
        from events import NewEvent

        await api.registry.store.append("unit-x", [NewEvent(type="noise", data={})])
        response = await api.get("/ready", who="nobody")
        assert response.status_code == 503
        assert response.headers["retry-after"]
    assert (await api.get("/ready", who="nobody")).status_code == 200


async def test_metrics_count_requests_by_route_and_status_and_show_log_head(api: Api) -> None:
    await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body())
    await api.get("/api/v1/offers/00000000-0000-4000-8000-000000000000")
    text = (await api.get("/metrics", who="nobody")).text
    assert "registry_requests_total" in text
    assert 'path="/api/v1/offers/{offer_id}"' in text and 'status_code="404"' in text
    assert "registry_request_duration_seconds_bucket" in text
    head, _ = await api.registry.store.head()
    assert f"registry_log_head_position {float(head)}" in text
    assert "registry_projection_lag_events 0.0" in text


async def test_metrics_count_a_refused_token_as_401_not_500(api: Api) -> None:
    refused = await api.get("/api/v1/offers", headers={"Authorization": "Bearer not-a-token"}, who="nobody")
    assert refused.status_code == 401
    text = (await api.get("/metrics", who="nobody")).text
    lines = [
        line
        for line in text.splitlines()
        if line.startswith("registry_requests_total{") and 'path="/api/v1/offers"' in line
    ]
    assert any('status_code="401"' in line for line in lines), lines
    assert not any('status_code="500"' in line for line in lines), lines


async def test_openapi_document_is_3_1_and_lists_the_contract(api: Api) -> None:
    document = (await api.get("/schema/openapi.json", who="nobody")).json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for path in (
        "/api/v1/units", "/api/v1/units/{unit_id}", "/api/v1/units/{unit_id}/offers", "/api/v1/offers",
        "/api/v1/offers/{offer_id}", "/api/v1/offers/{offer_id}/withdraw", "/api/v1/units/{unit_id}/needs",
        "/api/v1/needs", "/api/v1/needs/{need_id}", "/api/v1/plans", "/api/v1/plans/{plan_id}",
        "/api/v1/plans/{plan_id}/slots", "/api/v1/plans/{plan_id}/publish", "/api/v1/tokens",
        "/api/v1/tokens/{token_id}", "/api/v1/categories",
    ):  # fmt: skip
        assert path in paths, path
    submit = paths["/api/v1/units/{unit_id}/offers"]["post"]
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(submit["responses"])
