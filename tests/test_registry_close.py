"""Closing the registry never hangs: a connection that was never given back (a leak) holds a
graceful pool close for ever, so the close waits a bounded grace, then terminates the pools."""

from __future__ import annotations

import asyncio
import logging

from registry.app import open_registry
from registry.settings import Settings


async def test_a_connection_never_given_back_does_not_hold_the_close(database_dsn: str) -> None:
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=2))
    registry.runner.start()
    await registry.list_pool.acquire()  # a connection never given back
    # Without the grace, this waits for that connection for ever (the outer bound keeps it short).
    await asyncio.wait_for(registry.close(grace_seconds=0.5), 10)
    assert registry.list_pool.is_closing() and registry.store.pool.is_closing()


async def test_a_close_that_runs_out_of_grace_names_the_connection_in_use_and_the_task_holding_it(
    database_dsn: str,
) -> None:
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=2))
    registry.runner.start()
    held = asyncio.Event()

    async def hold_a_connection() -> None:  # a leak: a task that never gives its connection back
        async with registry.list_pool.acquire():
            held.set()
            await asyncio.Event().wait()

    holder = asyncio.get_running_loop().create_task(hold_a_connection(), name="the-leak")
    await held.wait()
    warnings = _Recorder()
    logger = logging.getLogger("registry.service.execute")
    logger.addHandler(warnings)
    try:
        await asyncio.wait_for(registry.close(grace_seconds=0.5), 10)
    finally:
        logger.removeHandler(warnings)
        holder.cancel()
    [said] = warnings.messages
    assert "list pool: 1 of" in said and "write pool: 0 of" in said, said
    assert "task the-leak at" in said and "in hold_a_connection" in said, said
    assert "task registry-close at" in said, "where the close itself waits"


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
