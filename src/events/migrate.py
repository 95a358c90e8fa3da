"""Schema migrations: numbered SQL files applied in order, each in its own transaction.

A migration that has been applied is never edited: its checksum is recorded, and a changed file
is refused rather than silently skipped, since the databases it already ran on would differ
from the ones it runs on next.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import asyncpg
import msgspec

from events.errors import MigrationError
from events.sql import SQL_ROOT, Connection, query

MIGRATIONS = SQL_ROOT / "migrations"
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


async def migrate(conn: Connection, directory: Path = MIGRATIONS) -> list[Migration]:
    """Apply every pending migration; returns those applied now."""
    migrations = discover(directory)
    await conn.execute(query("events/migration-lock"))
    try:
        await conn.execute(query("events/migrations-table"))
        applied = {row["version"]: row for row in await conn.fetch(query("events/migrations-applied"))}
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
                )
            done.append(migration)
        return done
    finally:
        await conn.execute(query("events/migration-unlock"))


async def status(conn: Connection, directory: Path = MIGRATIONS) -> list[MigrationStatus]:
    """Each migration known to the files or the database, with its state."""
    await conn.execute(query("events/migrations-table"))
    applied = {row["version"]: row for row in await conn.fetch(query("events/migrations-applied"))}
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


def _refuse_changed(migrations: list[Migration], applied: dict[int, asyncpg.Record]) -> None:
    for migration in migrations:
        row = applied.get(migration.version)
        if row is not None and row["checksum"] != migration.checksum:
            raise MigrationError(
                f"migration {migration.path.name} was changed after it was applied "
                f"(applied checksum {row['checksum'][:12]}…, file now {migration.checksum[:12]}…); "
                "add a new migration instead of editing one that has run"
            )
