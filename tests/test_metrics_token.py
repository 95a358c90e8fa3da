"""/metrics can be kept to one scraper: with REGISTRY_METRICS_TOKEN set it answers only
`Authorization: Bearer <token>` (401 otherwise, naming the setting); unset, it is open as before."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from registry.app import create_app
from registry.settings import Settings, SettingsError, settings_from_env

TOKEN = "metrics-scraper-0123456789abcdef"


@pytest.fixture
async def guarded(database_dsn: str) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(
        create_app(Settings(database_url=database_dsn, metrics_token=TOKEN))
    ) as client:
        yield client


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789abcdef", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "],
)
async def test_metrics_with_a_token_set_refuse_any_other_authorization(
    guarded: AsyncTestClient,
    authorization: str | None,  # type: ignore[type-arg]
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    refused = await guarded.get("/metrics", headers=headers)
    assert refused.status_code == 401, refused.text
    assert refused.headers["www-authenticate"] == "Bearer"
    assert "REGISTRY_METRICS_TOKEN" in refused.json()["detail"]
    assert "registry_requests_total" not in refused.text


async def test_metrics_with_a_token_set_answer_it(guarded: AsyncTestClient) -> None:  # type: ignore[type-arg]
    answered = await guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answered.status_code == 200 and "registry_log_head_position" in answered.text
    assert (await guarded.get("/health")).status_code == 200  # only the metrics are kept


async def test_metrics_without_a_token_set_are_open(database_dsn: str) -> None:
    async with AsyncTestClient(create_app(Settings(database_url=database_dsn))) as client:
        assert (await client.get("/metrics")).status_code == 200


def test_the_token_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_METRICS_TOKEN", TOKEN)
    assert settings_from_env("postgresql://x/y").metrics_token == TOKEN
    monkeypatch.setenv("REGISTRY_METRICS_TOKEN", "")
    assert settings_from_env("postgresql://x/y").metrics_token is None
    for bad in ("short", "with a space in it 0123456789"):
        monkeypatch.setenv("REGISTRY_METRICS_TOKEN", bad)
        with pytest.raises(SettingsError, match="REGISTRY_METRICS_TOKEN"):
            settings_from_env("postgresql://x/y")
