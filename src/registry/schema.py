"""The registry's database schema: the event store's migrations, then the registry's own.

Each package carries its own numbered sequence (`events/migrations/`, `registry/migrations/`)
and records it under its own component. Databases migrated before the split recorded one
sequence through both: the registry's rows of it (4, 5 and 6) are taken back under "registry"
(as 1, 2 and 3, the same files, so the same checksums) before anything else runs.
"""

from __future__ import annotations

from pathlib import Path

from events import migrate as store
from events.sql import Connection, query

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
COMPONENT = "registry"
# Before each package kept its own: (old number, new number, name) of the registry's migrations.
_RENUMBERED = [(4, 1, "btree_gist"), (5, 2, "contacts"), (6, 3, "application_role")]


async def migrate(conn: Connection) -> list[store.Migration]:
    """Apply what is pending, the store's first; returns what was applied now, in order."""
    await conn.execute(query("events/migration-lock"))
    try:
        await store.prepare_record(conn)
        for old, new, name in _RENUMBERED:
            await conn.execute(query("registry/migration-take-back"), old, new, name, COMPONENT)
        applied = await store.migrate(conn)
        return applied + await store.migrate(conn, MIGRATIONS, COMPONENT)
    finally:
        await conn.execute(query("events/migration-unlock"))


async def status(conn: Connection) -> list[tuple[str, store.MigrationStatus]]:
    """Every migration of the store and of the registry, with its component and state."""
    found = [(store.COMPONENT, s) for s in await store.status(conn)]
    return found + [(COMPONENT, s) for s in await store.status(conn, MIGRATIONS, COMPONENT)]


def count() -> int:
    """How many migration files the store and the registry ship."""
    return len(store.discover()) + len(store.discover(MIGRATIONS))
