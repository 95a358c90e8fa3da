"""The `registry` command: serve, db migrate / status, audit verify."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import click

from events import EventStore, MigrationError
from events.migrate import migrate, status
from registry.database import resolve_dsn

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
