"""Closing the registry never hangs: a connection that was never given back (a leak) holds a
graceful pool close for ever, so the close waits a bounded grace, then terminates the pools."""

from __future__ import annotations

import asyncio

from registry.app import open_registry
from registry.settings import Settings


async def test_a_connection_never_given_back_does_not_hold_the_close(database_dsn: str) -> None:
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=2))
    registry.runner.start()
    await registry.list_pool.acquire()  # a connection never given back
    # Without the grace, this waits for that connection for ever (the outer bound keeps it short).
    await asyncio.wait_for(registry.close(grace_seconds=0.5), 10)
    assert registry.list_pool.is_closing() and registry.store.pool.is_closing()
