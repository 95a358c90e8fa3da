"""Migrations: numbered files applied in order, each in a transaction, recorded with a checksum."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from events import MigrationError
from events.migrate import MIGRATIONS, discover, migrate, status


def _write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql, encoding="utf-8")


async def test_project_migrations_apply_to_an_empty_database_once(empty_database_dsn: str) -> None:
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        applied = await migrate(conn)
        assert [m.version for m in applied] == [m.version for m in discover(MIGRATIONS)]
        assert await migrate(conn) == []
        assert {s.state for s in await status(conn)} == {"applied"}
    finally:
        await conn.close()


async def test_migrations_run_in_order_and_status_shows_pending(
    empty_database_dsn: str, tmp_path: Path
) -> None:
    _write(tmp_path, "0001_first.sql", "CREATE TABLE a (x int);")
    _write(tmp_path, "0002_second.sql", "ALTER TABLE a ADD COLUMN y int;")
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        assert [m.name for m in await migrate(conn, tmp_path)] == ["first", "second"]
        _write(tmp_path, "0003_third.sql", "CREATE TABLE c (x int);")
        assert [(s.version, s.state) for s in await status(conn, tmp_path)] == [
            (1, "applied"), (2, "applied"), (3, "pending"),
        ]  # fmt: skip
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == [1, 2]
        assert all(len(r["checksum"]) == 64 for r in rows)
    finally:
        await conn.close()


async def test_a_changed_applied_migration_is_refused_with_a_clear_error(
    empty_database_dsn: str, tmp_path: Path
) -> None:
    _write(tmp_path, "0001_first.sql", "CREATE TABLE a (x int);")
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        await migrate(conn, tmp_path)
        _write(tmp_path, "0001_first.sql", "CREATE TABLE a (x bigint);")
        _write(tmp_path, "0002_second.sql", "CREATE TABLE b (x int);")
        with pytest.raises(MigrationError, match=r"0001_first\.sql was changed after it was applied"):
            await migrate(conn, tmp_path)
        assert await conn.fetchval("SELECT to_regclass('b')") is None
        assert [s.state for s in await status(conn, tmp_path)] == ["changed", "pending"]
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_half_applied(
    empty_database_dsn: str, tmp_path: Path
) -> None:
    _write(tmp_path, "0001_first.sql", "CREATE TABLE a (x int);")
    _write(tmp_path, "0002_broken.sql", "CREATE TABLE b (x int); SELECT no_such_function();")
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await migrate(conn, tmp_path)
        assert await conn.fetchval("SELECT to_regclass('b')") is None
        assert [s.state for s in await status(conn, tmp_path)] == ["applied", "pending"]
    finally:
        await conn.close()


def test_badly_named_migration_files_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "1_first.sql", "")
    with pytest.raises(MigrationError, match="NNNN_snake_case"):
        discover(tmp_path)


async def test_concurrent_migrators_apply_each_migration_once(empty_database_dsn: str) -> None:
    conns = [await asyncpg.connect(empty_database_dsn) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, 0, len(discover(MIGRATIONS))]
    finally:
        for c in conns:
            await c.close()
