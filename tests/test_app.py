"""The HTTP skeleton: liveness and readiness against a real database."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from registry.app import create_app
from registry.settings import Settings


async def test_health_and_ready_answer(database_dsn: str) -> None:
    app = create_app(Settings(database_url=database_dsn))
    async with AsyncTestClient(app) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        ready = await client.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["head_position"] == 0
