"""The audit trail over HTTP: the log (filtered, paged, NDJSON), one stream's story, the chain check.

Expected answers are read straight from the events table, so the API is checked against the
stored bytes rather than against itself.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from registry.api.routes import audit
from registry.domain.values import Role
from registry.read import history
from tests.api_fixtures import Api, offer_body

EVENTS = "/api/v1/audit/events"
NDJSON = "application/x-ndjson"
DEFAULT_PAGE = 100


async def _stored(api: Api, where: str = "true", *args: Any) -> list[Any]:
    """The stored rows that match `where`, in position order (the test's own SQL, not the app's)."""
    return list(
        await api.registry.store.pool.fetch(
            "SELECT position, stream_id, type, data::text AS data, metadata::text AS metadata, "
            f"recorded_at, hash FROM events WHERE {where} ORDER BY position",
            *args,
        )
    )


async def _positions(api: Api, **params: Any) -> list[int]:
    response = await api.get(EVENTS, who="auditor", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return [item["position"] for item in response.json()["items"]]


async def _activity(api: Api) -> dict[str, str]:
    """An offer of the own unit (submitted, revised, paused by its liaison) and a unit profile edit."""
    made = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body(), who="liaison_own")
    assert made.status_code == 201, made.text
    offer = made.json()["id"]
    for method, path, body in (
        ("PATCH", f"/api/v1/offers/{offer}", {"title": "眼科义诊（修订）"}),
        ("POST", f"/api/v1/offers/{offer}/pause", None),
        ("PATCH", f"/api/v1/units/{api.units['own']}", {"description": "三级专科医院", "address": "欧阳路"}),
    ):
        response = await api.request(method, path, who="liaison_own", json=body)
        assert response.status_code == 200, response.text
    return {"offer": offer}


# -- the log, a page at a time ---------------------------------------------------------------------


async def test_events_page_embeds_the_stored_json_and_the_chain_hashes(api: Api) -> None:
    await _activity(api)
    response = await api.get(EVENTS, who="auditor", params={"limit": 1000})
    assert response.status_code == 200, response.text
    body = response.json()
    stored = await _stored(api)
    assert [item["position"] for item in body["items"]] == [row["position"] for row in stored]
    for item, row in zip(body["items"], stored, strict=True):
        # The stored text itself, not a re-encoding of it.
        assert f'"data":{row["data"]},"metadata":{row["metadata"]},' in response.text
        assert item["data"] == json.loads(row["data"]) and item["metadata"] == json.loads(row["metadata"])
        assert item["hash"] == bytes(row["hash"]).hex() and len(item["hash"]) == 64
        assert (item["stream_id"], item["type"]) == (row["stream_id"], row["type"])
    position, head_hash = await api.registry.store.head()
    assert (body["head_position"], body["head_hash"]) == (position, head_hash)
    assert response.headers["x-log-head-position"] == str(position)
    assert response.headers["x-log-head-hash"] == head_hash
    assert body["next_after"] is None


async def test_each_filter_narrows_the_log_as_the_stored_rows_say(api: Api) -> None:
    made = await _activity(api)
    offer_stream = f"offer-{made['offer']}"
    unit_stream = f"unit-{api.units['own']}"
    liaison = json.loads((await _stored(api, "type = 'offer_submitted'"))[0]["metadata"])["actor"]

    async def expect(where: str, *args: Any) -> list[int]:
        return [row["position"] for row in await _stored(api, where, *args)]

    assert await _positions(api, stream=offer_stream) == await expect("stream_id = $1", offer_stream)
    assert len(await _positions(api, stream=offer_stream)) == 3
    assert await _positions(api, stream=unit_stream) == await expect("stream_id = $1", unit_stream)
    assert await _positions(api, stream="offer-") == []  # exact, not a prefix
    assert await _positions(api, stream_prefix="unit-") == await expect("stream_id LIKE 'unit-%'")
    assert await _positions(api, type="offer_paused") == await expect("type = 'offer_paused'")
    both = await expect("type IN ('offer_paused', 'unit_registered')")
    assert await _positions(api, type=["offer_paused", "unit_registered"]) == both
    assert await _positions(api, type="offer_paused,unit_registered") == both
    assert await _positions(api, type="no_such_type") == []
    assert await _positions(api, actor=liaison) == await expect("metadata->>'actor' = $1", liaison)
    assert len(await _positions(api, actor=liaison)) == 4
    assert await _positions(api, actor=liaison, type="offer_revised") == await expect(
        "metadata->>'actor' = $1 AND type = 'offer_revised'", liaison
    )

    # Times: `since` inclusive, `until` exclusive, any offset.
    middle = (await _stored(api, "type = 'offer_revised'"))[0]["recorded_at"]
    local = middle.astimezone(ZoneInfo("Asia/Shanghai"))
    since = await _positions(api, since=local.isoformat())
    assert since == await expect("recorded_at >= $1", middle) and since
    until = await _positions(api, until=middle.isoformat())
    assert until == await expect("recorded_at < $1", middle) and until
    window = await _positions(
        api, since=middle.isoformat(), until=(middle + timedelta(microseconds=1)).isoformat()
    )
    assert window == await expect("recorded_at = $1", middle)


async def test_after_and_next_after_page_through_the_whole_log(api: Api) -> None:
    await _activity(api)
    everything = [row["position"] for row in await _stored(api)]
    seen: list[int] = []
    after = 0
    while True:
        page = (await api.get(EVENTS, who="auditor", params={"after": after, "limit": 2})).json()
        seen += [item["position"] for item in page["items"]]
        if page["next_after"] is None:
            assert len(page["items"]) < 2
            break
        assert page["next_after"] == page["items"][-1]["position"]
        after = page["next_after"]
    assert seen == everything
    assert await _positions(api, after=everything[-3]) == everything[-2:]


async def test_a_filtered_page_continues_after_its_last_match(api: Api) -> None:
    await _activity(api)
    await _activity(api)
    offers = [row["position"] for row in await _stored(api, "stream_id LIKE 'offer-%'")]
    first = (await api.get(EVENTS, who="auditor", params={"stream_prefix": "offer-", "limit": 4})).json()
    rest = await _positions(api, stream_prefix="offer-", after=first["next_after"])
    assert [item["position"] for item in first["items"]] + rest == offers


async def test_a_liaison_may_not_read_the_audit_trail(api: Api) -> None:
    for path in (EVENTS, f"/api/v1/audit/streams/unit-{api.units['own']}", "/api/v1/audit/verify"):
        assert (await api.get(path, who="liaison_own")).status_code == 403
        assert (await api.get(path, who="coordinator")).status_code == 200


# -- the log as NDJSON -----------------------------------------------------------------------------


async def _ndjson(api: Api, **params: Any) -> tuple[Any, list[dict[str, Any]]]:
    response = await api.get(EVENTS, who="auditor", params=params, headers={"Accept": NDJSON})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(NDJSON)
    assert response.text == "" or response.text.endswith("\n")
    return response, [json.loads(line) for line in response.text.splitlines()]


async def test_ndjson_streams_every_event_one_object_per_line(api: Api) -> None:
    await _activity(api)
    for _ in range(100):  # more than a page's default limit: the stream is not capped by it
        await api.token(Role.AUDITOR)
    stored = await _stored(api)
    assert len(stored) > DEFAULT_PAGE
    response, lines = await _ndjson(api)
    assert [line["position"] for line in lines] == [row["position"] for row in stored]
    page = (await api.get(EVENTS, who="auditor", params={"limit": 1000})).json()
    assert lines == page["items"]
    assert len((await api.get(EVENTS, who="auditor")).json()["items"]) == DEFAULT_PAGE
    for raw, row in zip(response.text.splitlines(), stored, strict=True):
        assert f'"data":{row["data"]},"metadata":{row["metadata"]},' in raw
    position, head_hash = await api.registry.store.head()
    assert response.headers["x-log-head-position"] == str(position)
    assert response.headers["x-log-head-hash"] == head_hash


async def test_ndjson_pages_through_the_log_in_bounded_queries(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(4):
        await _activity(api)
    everything = [row["position"] for row in await _stored(api)]
    queries: list[int] = []
    real_rows = history._rows

    async def counted(*args: Any) -> Any:
        rows = await real_rows(*args)
        queries.append(len(rows))
        return rows

    monkeypatch.setattr(audit, "NDJSON_PAGE_SIZE", 3)
    monkeypatch.setattr(history, "_rows", counted)
    _, lines = await _ndjson(api)
    assert [line["position"] for line in lines] == everything
    assert len(queries) == len(everything) // 3 + 1 and max(queries) == 3

    queries.clear()
    _, capped = await _ndjson(api, after=everything[1], limit=7)
    assert [line["position"] for line in capped] == everything[2:9]
    assert queries == [3, 3, 1]
    _, offers = await _ndjson(api, stream_prefix="offer-", type="offer_paused")
    assert [line["position"] for line in offers] == [
        row["position"] for row in await _stored(api, "type = 'offer_paused'")
    ]


async def test_ndjson_keeps_a_row_with_line_breaks_on_one_line(api: Api) -> None:
    await _tamper(api, 1, '{\n"name": "x"\r\n}')
    _, lines = await _ndjson(api, limit=2)
    assert lines[0]["position"] == 1 and lines[0]["data"] == {"name": "x"}
    assert lines[1]["position"] == 2


# -- one stream --------------------------------------------------------------------------------------


async def test_a_unit_stream_shows_exactly_the_patched_fields(api: Api) -> None:
    await _activity(api)
    stream = f"unit-{api.units['own']}"
    response = await api.get(f"/api/v1/audit/streams/{stream}", who="auditor")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stream_id"], body["kind"], body["id"], body["version"]) == (
        stream, "unit", str(api.units["own"]), 2,
    )  # fmt: skip
    registered, patched = body["events"]
    assert registered["type"] == "unit_registered" and registered["version"] == 1
    assert {"name", "kind", "area", "description", "status"} <= set(registered["changed"])
    assert registered["role"] == "coordinator" and registered["actor"].startswith("token:")
    assert patched["type"] == "unit_profile_updated"
    assert sorted(patched["changed"]) == ["address", "description"]
    assert patched["role"] == "liaison"
    stored = await _stored(api, "stream_id = $1", stream)
    assert [e["position"] for e in body["events"]] == [row["position"] for row in stored]
    assert f'"data":{stored[1]["data"]},' in response.text
    position, head_hash = await api.registry.store.head()
    assert (body["head_position"], body["head_hash"]) == (position, head_hash)


async def test_an_offer_stream_shows_a_revision_and_a_pause(api: Api) -> None:
    made = await _activity(api)
    body = (await api.get(f"/api/v1/audit/streams/offer-{made['offer']}", who="coordinator")).json()
    assert [(e["type"], e["changed"]) for e in body["events"][1:]] == [
        ("offer_revised", ["title"]),
        ("offer_paused", ["status"]),
    ]
    assert "capacity" in body["events"][0]["changed"]


@pytest.mark.parametrize(
    "stream",
    [
        "unit-0b1d7f7e-5a0c-4c1e-9a61-7a4b1f1e2c3d",  # well formed, no such stream
        "widget-0b1d7f7e-5a0c-4c1e-9a61-7a4b1f1e2c3d",
        "unit-abc",
        "unit-0B1D7F7E-5A0C-4C1E-9A61-7A4B1F1E2C3D",
        "unit",
        "和平眼科医院",
    ],
)
async def test_an_unknown_or_malformed_stream_is_404(api: Api, stream: str) -> None:
    response = await api.get(f"/api/v1/audit/streams/{stream}", who="auditor")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


# -- the chain check --------------------------------------------------------------------------------


async def _tamper(api: Api, position: int, data: str) -> None:
    """Rewrite a payload the way only a superuser could: with the guard triggers switched off.

    On a connection of its own: the application's role may not touch the triggers."""
    conn = await asyncpg.connect(api.app.state.settings.database_url)
    try:
        async with conn.transaction():
            await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
            await conn.execute("UPDATE events SET data = $2::json WHERE position = $1", position, data)
            await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")
    finally:
        await conn.close()


async def test_verify_is_ok_on_a_fresh_log(api: Api) -> None:
    await _activity(api)
    report = (await api.get("/api/v1/audit/verify", who="auditor")).json()
    position, head_hash = await api.registry.store.head()
    assert report == {
        "ok": True, "checked": position, "head_position": position, "head_hash": head_hash,
        "first_bad_position": None, "reason": None,
    }  # fmt: skip


async def test_verify_names_the_first_altered_position(api: Api) -> None:
    await _activity(api)
    victim = (await _stored(api, "type = 'offer_revised'"))[0]["position"]
    await _tamper(api, victim, '{"title":"改过"}')
    report = (await api.get("/api/v1/audit/verify", who="coordinator")).json()
    assert report["ok"] is False
    assert report["first_bad_position"] == victim
    assert report["checked"] == victim - 1
    assert report["reason"]
    # The log answers with what is stored, tampered or not: that is what the auditor must see.
    altered = (await api.get(EVENTS, who="auditor", params={"after": victim - 1, "limit": 1})).json()
    assert altered["items"][0]["data"] == {"title": "改过"}


async def test_random_stream_ids_in_the_path_are_404_not_500(api: Api) -> None:
    for stream in (f"offer-{uuid.uuid4()}", f"commitment-{uuid.uuid4()}", "token-", "-"):
        assert (await api.get(f"/api/v1/audit/streams/{stream}", who="auditor")).status_code == 404
