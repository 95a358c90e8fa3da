"""The `registry` command: serve, db migrate / status, audit verify."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import click

from events import EventStore, MigrationError
from events.migrate import migrate, status
from registry.app import open_registry
from registry.database import resolve_dsn
from registry.domain.errors import RegistryError
from registry.domain.values import Role
from registry.service import commands
from registry.service.context import Actor, Command
from registry.settings import Settings

T = TypeVar("T")


def _run(work: Callable[[str], Coroutine[Any, Any, T]], directory: Path | None) -> T:
    """Resolve the database (starting the embedded one if needed) and run `work` on it."""
    dsn = resolve_dsn(directory)
    try:
        return asyncio.run(work(dsn))
    except MigrationError as error:
        raise click.ClickException(str(error)) from None
    except (OSError, asyncpg.PostgresError) as error:
        raise click.ClickException(f"database: {error}") from None


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the embedded PostgreSQL keeps its data (default ./.registry, or REGISTRY_DATA_DIR).",
)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool) -> None:
    """共建资源登记簿 — the co-building resource registry."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")


async def _migrate(dsn: str) -> list[str]:
    conn: asyncpg.Connection[Any] = await asyncpg.connect(dsn)
    try:
        return [f"{m.version:04d}_{m.name}" for m in await migrate(conn)]
    finally:
        await conn.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@data_dir_option
def serve(host: str, port: int, workers: int, data_dir: Path | None) -> None:
    """Migrate the database, then serve the HTTP API."""
    import uvicorn

    dsn = resolve_dsn(data_dir)
    _run(_migrate, data_dir)
    # Workers are separate processes: they find the database through the environment.
    os.environ["DATABASE_URL"] = dsn
    click.echo(f"registry: serving on http://{host}:{port} (API docs at /schema)", err=True)
    uvicorn.run(
        "registry.app:app_from_env", factory=True, host=host, port=port, workers=workers,
        log_level="warning",
    )  # fmt: skip


@main.group()
def db() -> None:
    """The database schema."""


@db.command("migrate")
@data_dir_option
def db_migrate(data_dir: Path | None) -> None:
    """Apply pending migrations."""
    applied = _run(_migrate, data_dir)
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"{len(applied)} migration(s) applied")


@db.command("status")
@data_dir_option
def db_status(data_dir: Path | None) -> None:
    """List migrations and whether each is applied, pending or changed."""

    async def work(dsn: str) -> list[tuple[int, str, str]]:
        conn: asyncpg.Connection[Any] = await asyncpg.connect(dsn)
        try:
            return [(s.version, s.name, s.state) for s in await status(conn)]
        finally:
            await conn.close()

    rows = _run(work, data_dir)
    for version, name, state in rows:
        click.echo(f"{version:04d}_{name:<40} {state}")
    if any(state in ("changed", "missing") for _, _, state in rows):
        sys.exit(1)


@main.group()
def token() -> None:
    """Bearer tokens."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_id", type=click.UUID, default=None, help="The unit a liaison acts for.")
@click.option("--label", default=None, help="Who or what the token is for.")
@data_dir_option
def token_create(role: str, unit_id: uuid.UUID | None, label: str | None, data_dir: Path | None) -> None:
    """Issue a token; its secret is printed alone on the last line (and never shown again)."""

    async def work(dsn: str) -> tuple[uuid.UUID, str]:
        await _migrate(dsn)
        registry = await open_registry(Settings(database_url=dsn, pool_min_size=1, pool_max_size=2))
        try:
            actor = Actor(subject=f"cli:{getpass.getuser()}", role=Role.COORDINATOR)
            written, secret = await commands.issue_token(
                registry, Command(actor=actor), Role(role), unit_id, label
            )
            return written.entity_id, secret
        finally:
            await registry.close()

    try:
        token_id, secret = _run(work, data_dir)
    except RegistryError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"token {token_id} ({role}{f', unit {unit_id}' if unit_id else ''})", err=True)
    click.echo(secret)


@main.group()
def audit() -> None:
    """Prove the log was not altered."""


@audit.command("verify")
@data_dir_option
def audit_verify(data_dir: Path | None) -> None:
    """Recompute the hash chain; exit 1 and name the first bad position if it is broken."""

    async def work(dsn: str) -> Any:
        store = await EventStore.connect(dsn, min_size=1, max_size=2)
        try:
            return await store.verify()
        finally:
            await store.close()

    report = _run(work, data_dir)
    click.echo(f"checked {report.checked} events; head {report.head_position} {report.head_hash}")
    if not report.ok:
        click.echo(f"BROKEN at position {report.first_bad_position}: {report.reason}")
        sys.exit(1)
    click.echo("ok")


if __name__ == "__main__":
    main()
