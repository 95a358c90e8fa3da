"""Schema migrations: numbered SQL files applied in order, each in its own transaction.

A migration that has been applied is never edited: its checksum is recorded, and a changed file
is refused rather than silently skipped, since the databases it already ran on would differ
from the ones it runs on next. Each component numbers its own: the event store's are in
`events/migrations/` (component "events"); an application passes its own folder and name, and
runs them after the store's.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import asyncpg
import msgspec

from events.errors import MigrationError
from events.sql import Connection, query

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
COMPONENT = "events"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class Migration(msgspec.Struct, frozen=True):
    version: int
    name: str
    path: Path
    checksum: str


class MigrationStatus(msgspec.Struct, frozen=True):
    version: int
    name: str
    applied_at: datetime | None
    state: str  # "applied", "pending", "changed" (file differs from what ran) or "missing"


def discover(directory: Path = MIGRATIONS) -> list[Migration]:
    """The migration files of `directory`, in order; refuses names out of pattern or repeats."""
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: a migration is named NNNN_snake_case.sql")
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        migrations.append(Migration(int(match[1]), match[2], path, checksum))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number in {directory}")
    return migrations


async def prepare_record(conn: Connection) -> None:
    """Make (or bring up to date) the table that records applied migrations."""
    await conn.execute(query("events/migrations-table"))


async def migrate(
    conn: Connection, directory: Path = MIGRATIONS, component: str = COMPONENT
) -> list[Migration]:
    """Apply every pending migration of `component`; returns those applied now."""
    migrations = discover(directory)
    await conn.execute(query("events/migration-lock"))
    try:
        await prepare_record(conn)
        applied = await _applied(conn, component)
        _refuse_changed(migrations, applied)
        done = []
        for migration in migrations:
            if migration.version in applied:
                continue
            async with conn.transaction():
                await conn.execute(migration.path.read_text(encoding="utf-8"))
                await conn.execute(
                    query("events/migration-record"),
                    migration.version,
                    migration.name,
                    migration.checksum,
                    component,
                )
            done.append(migration)
        return done
    finally:
        await conn.execute(query("events/migration-unlock"))


async def status(
    conn: Connection, directory: Path = MIGRATIONS, component: str = COMPONENT
) -> list[MigrationStatus]:
    """Each migration of `component` known to the files or the database, with its state."""
    await prepare_record(conn)
    applied = await _applied(conn, component)
    files = {m.version: m for m in discover(directory)}
    report = []
    for version in sorted(files.keys() | applied.keys()):
        file, row = files.get(version), applied.get(version)
        if file is None:
            assert row is not None
            report.append(MigrationStatus(version, row["name"], row["applied_at"], "missing"))
        elif row is None:
            report.append(MigrationStatus(version, file.name, None, "pending"))
        else:
            state = "applied" if row["checksum"] == file.checksum else "changed"
            report.append(MigrationStatus(version, file.name, row["applied_at"], state))
    return report


async def _applied(conn: Connection, component: str) -> dict[int, asyncpg.Record]:
    return {row["version"]: row for row in await conn.fetch(query("events/migrations-applied"), component)}


def _refuse_changed(migrations: list[Migration], applied: dict[int, asyncpg.Record]) -> None:
    for migration in migrations:
        row = applied.get(migration.version)
        if row is not None and row["checksum"] != migration.checksum:
            raise MigrationError(
                f"migration {migration.path.name} was changed after it was applied "
                f"(applied checksum {row['checksum'][:12]}…, file now {migration.checksum[:12]}…); "
                "add a new migration instead of editing one that has run"
            )
