"""What every benchmark shares: the PostgreSQL server and a fresh database per measurement."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg

from registry.database import with_database
from registry.schema import migrate

ROOT = Path(__file__).resolve().parents[1]
# The embedded server benchmarks use when DATABASE_URL is not set (kept apart from the tests').
DATA_DIR = ROOT / ".registry-bench"


class Server:
    """One PostgreSQL server; hands out a fresh database per measurement."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.prefix = f"bench_{os.getpid()}"
        self._count = 0

    async def admin(self, *statements: str) -> list[Any]:
        conn = await asyncpg.connect(self.dsn)
        try:
            return [await conn.fetch(statement) for statement in statements]
        finally:
            await conn.close()

    async def drop_leftovers(self) -> None:
        """Drop databases of earlier benchmark runs that died before cleaning up."""
        (rows,) = await self.admin("SELECT datname FROM pg_database WHERE datname LIKE 'bench_%'")
        for row in rows:
            pid = row["datname"].split("_")[1]
            if pid.isdigit() and not _alive(int(pid)):
                await self.admin(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')

    @contextlib.asynccontextmanager
    async def database(self, label: str, *, migrated: bool) -> AsyncIterator[str]:
        """A new, empty database (with our schema if `migrated`); dropped on exit."""
        self._count += 1
        name = f"{self.prefix}_{self._count}_{label}"
        await self.admin(f'CREATE DATABASE "{name}"')
        dsn = with_database(self.dsn, name)
        try:
            if migrated:
                conn = await asyncpg.connect(dsn)
                try:
                    await migrate(conn)
                finally:
                    await conn.close()
            yield dsn
        finally:
            await self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def settings(self) -> dict[str, str]:
        names = ["server_version", "fsync", "synchronous_commit", "shared_buffers", "max_wal_size"]
        rows = await self.admin(*(f"SHOW {name}" for name in names))
        return {name: found[0][0] for name, found in zip(names, rows, strict=True)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
