"""The `registry` command on a real database: migrate, status, verify."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from click.testing import CliRunner

from registry.cli import main


@pytest.fixture
def cli(empty_database_dsn: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", empty_database_dsn)
    return CliRunner()


def test_db_migrate_then_status_shows_everything_applied(cli: CliRunner) -> None:
    before = cli.invoke(main, ["db", "status"])
    assert before.exit_code == 0
    assert "events/0001_event_store" in before.output and "registry/0001_btree_gist" in before.output
    assert "pending" in before.output
    migrated = cli.invoke(main, ["db", "migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert "applied events/0001_event_store" in migrated.output
    assert "applied registry/0001_btree_gist" in migrated.output
    after = cli.invoke(main, ["db", "status"])
    assert "pending" not in after.output and "applied" in after.output
    again = cli.invoke(main, ["db", "migrate"])
    assert "0 migration(s) applied" in again.output


def test_audit_verify_exits_1_and_names_the_bad_position(cli: CliRunner, empty_database_dsn: str) -> None:
    assert cli.invoke(main, ["db", "migrate"]).exit_code == 0

    async def write_and_tamper() -> None:
        from events import EventStore, NewEvent

        store = await EventStore.connect(empty_database_dsn)
        for i in range(5):
            await store.append("s", [NewEvent(type="t", data={"i": i})])
        await store.close()
        conn = await asyncpg.connect(empty_database_dsn)
        await conn.execute(
            "ALTER TABLE events DISABLE TRIGGER USER;"
            "UPDATE events SET data = '{\"i\":9}' WHERE position = 4;"
            "ALTER TABLE events ENABLE TRIGGER USER;"
        )
        await conn.close()

    ok = cli.invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "ok" in ok.output
    asyncio.run(write_and_tamper())
    broken = cli.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at position 4" in broken.output


def test_a_database_that_cannot_be_reached_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(main, ["db", "status"])
    assert result.exit_code == 1
    assert "database:" in result.output


def test_embedded_postgres_is_stopped_on_exit_and_its_data_reused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    command = [sys.executable, "-m", "registry.cli", "db", "migrate", "--data-dir", str(tmp_path / "data")]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert "applied events/0001_event_store" in first.stdout
    pgdata = tmp_path / "data" / "pg"
    assert (pgdata / "PG_VERSION").exists()
    assert not (pgdata / "postmaster.pid").exists(), "the embedded server was left running"
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert second.returncode == 0, second.stderr
    assert "0 migration(s) applied" in second.stdout


def test_token_create_prints_the_secret_alone_on_the_last_line(cli: CliRunner) -> None:
    result = cli.invoke(main, ["token", "create", "--role", "coordinator", "--label", "街道协调员"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("reg_") and " " not in secret and len(secret) > 30
    liaison = cli.invoke(main, ["token", "create", "--role", "liaison"])
    assert liaison.exit_code == 1
    assert "unit_id" in liaison.output
    unknown_unit = cli.invoke(main, ["token", "create", "--role", "liaison", "--unit", str(uuid.uuid4())])
    assert unknown_unit.exit_code == 1
    assert "no unit" in unknown_unit.output


def test_embedded_postgres_forgets_users_that_were_killed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A user killed without its exit handler must not keep the server running forever."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    command = [sys.executable, "-m", "registry.cli", "db", "migrate", "--data-dir", str(tmp_path / "data")]
    assert subprocess.run(command, env=env, capture_output=True, timeout=120, check=False).returncode == 0
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    users = tmp_path / "data" / "pg" / ".handle_pids.json"
    users.write_text(json.dumps([int(dead.stdout)]))  # as if that process had been SIGKILLed while using it
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists(), "a dead user kept the server running"
