"""The HTTP skeleton: liveness and readiness against a real database."""

from __future__ import annotations

import asyncio
import gc

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


async def test_a_started_app_freezes_what_start_up_made_and_thaws_it_when_it_stops(database_dsn: str) -> None:
    """Start-up's objects stay out of full collections (the matches p99), and an app that stops
    gives them back to the collector (a process may open another)."""
    app = create_app(Settings(database_url=database_dsn))
    async with AsyncTestClient(app) as client:
        assert (await client.get("/health")).status_code == 200
        for _ in range(1200):  # the freeze follows CP-SAT's import, on a worker thread
            if gc.get_freeze_count() > 0:
                break
            await asyncio.sleep(0.05)
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
