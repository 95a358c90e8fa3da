"""The offer list's current pages are answered again from each process's page cache while the
read model's checkpoint and the clock leave them as they were: the same bytes and headers as a
page read afresh; a write (in any process), an offer's expiry or a clock set back makes a page
read afresh; the token is still checked on every request; the memory is bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from registry.app import create_app
from registry.domain.values import LOCAL_ZONE
from registry.edge.page_cache import PageCache
from registry.settings import Settings, settings_from_env
from tests.api_fixtures import Api, offer_body, serving_api
from tests.clock import ManualClock

LIST = "/api/v1/offers"
WINDOW = {"available_from": "2026-12-05T10:00:00+08:00", "available_to": "2026-12-05T11:00:00+08:00"}


def _lookups(result: str) -> float:
    return REGISTRY.get_sample_value("registry_list_cache_lookups_total", {"result": result}) or 0.0


async def _submit(api: Api, **overrides: Any) -> str:
    created = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body(**overrides))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _answer(response: Any) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in {"date"}}
    return response.status_code, response.content, headers


async def test_a_cached_page_is_the_same_answer_as_one_read_afresh(database_dsn: str) -> None:
    async with serving_api(database_dsn) as api:
        for i in range(5):
            await _submit(api, title=f"义诊 {i}")
        for params in ({}, WINDOW, {"limit": "2"}, {**WINDOW, "status": "active", "limit": "2"}):
            misses, hits = _lookups("miss"), _lookups("hit")
            fresh = await api.get(LIST, params=params)
            again = await api.get(LIST, params=params)
            assert (_lookups("miss"), _lookups("hit")) == (misses + 1, hits + 1)
            assert _answer(again) == _answer(fresh)
            # The next page, by the cursor, is cached on its own and joins on as read afresh.
            cursor = fresh.json()["next_cursor"]
            if cursor is not None:
                follow = {**params, "cursor": cursor}
                assert _answer(await api.get(LIST, params=follow)) == _answer(
                    await api.get(LIST, params=follow)
                )
        cached = await api.get(LIST, params=WINDOW)
        api.app.state.page_cache = PageCache(max_bytes=0)  # nothing kept: every page read afresh
        hits = _lookups("hit")
        assert _answer(await api.get(LIST, params=WINDOW)) == _answer(cached)
        assert _lookups("hit") == hits


async def test_a_write_in_another_process_is_seen_by_the_next_list(database_dsn: str) -> None:
    async with (
        serving_api(database_dsn) as api,
        AsyncTestClient(create_app(Settings(database_url=database_dsn))) as other,
    ):
        first = await _submit(api)
        assert _ids(await api.get(LIST)) == [first]
        assert _ids(await api.get(LIST)) == [first]  # now answered from the cache
        as_coordinator = api.auth("coordinator")
        body = offer_body(title="另一进程")
        created = await other.post(
            f"/api/v1/units/{api.units['own']}/offers", json=body, headers=as_coordinator
        )
        assert created.status_code == 201, created.text
        assert _ids(await api.get(LIST)) == [first, created.json()["id"]]
        paused = await other.post(f"/api/v1/offers/{first}/pause", headers=as_coordinator)
        assert paused.status_code == 200, paused.text
        assert _ids(await api.get(LIST, params={"status": "active"})) == [created.json()["id"]]


async def test_a_page_is_read_afresh_once_an_offer_expires(database_dsn: str) -> None:
    clock = ManualClock()
    async with serving_api(database_dsn, clock) as api:
        today = clock().astimezone(LOCAL_ZONE).date()
        soon = await _submit(api, valid_until=today.isoformat())
        later = await _submit(api, valid_until=(today + timedelta(days=30)).isoformat())
        never = await _submit(api)
        for _ in range(2):  # read, then answered from the cache
            assert _ids(await api.get(LIST, params={"status": "active"})) == [soon, later, never]
            assert [o["status"] for o in (await api.get(LIST)).json()["items"]] == ["active"] * 3
        # The end of `valid_until` in Shanghai: the first offer expires, and nothing else changed.
        end_of_today = datetime.combine(today + timedelta(days=1), datetime.min.time(), LOCAL_ZONE)
        clock.set(end_of_today.astimezone(UTC))
        assert _ids(await api.get(LIST, params={"status": "active"})) == [later, never]
        assert _ids(await api.get(LIST, params={"status": "expired"})) == [soon]
        assert [o["status"] for o in (await api.get(LIST)).json()["items"]] == ["expired", "active", "active"]
        # A clock set back before the time a page was read at does not reuse it either.
        clock.set(end_of_today.astimezone(UTC) - timedelta(seconds=1))
        assert _ids(await api.get(LIST, params={"status": "expired"})) == []


async def test_a_revoked_token_is_refused_on_the_next_list_even_when_the_page_is_cached(api: Api) -> None:
    await _submit(api)
    issued = await api.post("/api/v1/tokens", {"role": "auditor", "label": "soon revoked"})
    assert issued.status_code == 201, issued.text
    headers = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert (await api.client.get(LIST, headers=headers)).status_code == 200
    assert (await api.client.get(LIST, headers=headers)).status_code == 200
    hits = _lookups("hit")
    # Revoking is a write, so the page is read afresh; a revocation that moved no checkpoint
    # would be refused the same way, by the token's own statement.
    revoked = await api.request("DELETE", f"/api/v1/tokens/{issued.json()['id']}")
    assert revoked.status_code == 204, revoked.text
    assert (await api.client.get(LIST, headers=headers)).status_code == 401
    assert (await api.get(LIST, who="auditor")).status_code == 200
    assert (await api.get(LIST, who="auditor")).status_code == 200
    assert _lookups("hit") == hits + 1


async def test_an_as_of_page_is_not_cached(api: Api) -> None:
    await _submit(api)
    position = (await api.registry.store.head())[0]
    misses, hits = _lookups("miss"), _lookups("hit")
    for _ in range(2):
        assert len(_ids(await api.get(LIST, params={"as_of": str(position)}))) == 1
    assert (_lookups("miss"), _lookups("hit")) == (misses, hits)


NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_the_cache_keeps_its_pages_within_its_bytes_least_recently_used_first() -> None:
    cache = PageCache(max_bytes=250)
    for key in "abc":
        cache.put(key, 7, NOW, None, key.encode() * 100)
    assert len(cache) == 2 and cache.size == 200
    assert cache.get("a", 7, NOW) is None and cache.get("b", 7, NOW) == b"b" * 100
    cache.put("d", 7, NOW, None, b"d" * 100)  # "b" was used last: "c" goes
    assert cache.get("c", 7, NOW) is None and cache.get("b", 7, NOW) is not None
    cache.put("huge", 7, NOW, None, b"x" * 251)
    assert cache.get("huge", 7, NOW) is None and cache.size <= 250


def test_a_later_checkpoint_forgets_the_pages_of_earlier_ones() -> None:
    cache = PageCache()
    cache.put("a", 7, NOW, None, b"[]")
    assert cache.get("a", 8, NOW) is None
    cache.put("b", 8, NOW, None, b"[]")
    assert len(cache) == 1 and cache.get("a", 7, NOW) is None
    cache.put("a", 7, NOW, None, b"[]")  # read before the read model moved on: not kept
    assert len(cache) == 1


def test_a_page_holds_from_the_time_it_was_read_until_the_next_expiry() -> None:
    cache = PageCache()
    cache.put("a", 7, NOW, NOW + timedelta(hours=1), b"[]")
    assert cache.get("a", 7, NOW + timedelta(minutes=59)) == b"[]"
    assert cache.get("a", 7, NOW + timedelta(hours=1)) is None
    assert cache.get("a", 7, NOW - timedelta(seconds=1)) is None


def test_the_cache_size_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://localhost/x")
    assert settings_from_env().list_cache_bytes == 32 * 1024 * 1024
    monkeypatch.setenv("REGISTRY_LIST_CACHE_BYTES", "1048576")
    assert settings_from_env().list_cache_bytes == 1048576
