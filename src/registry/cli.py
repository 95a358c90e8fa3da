"""The `registry` command: serve, demo, db migrate / status, audit verify / export / import, projections."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import io
import logging
import os
import signal
import stat
import sys
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import asyncpg
import click
import msgspec

from events import EventStore, IdempotencyKeyReused, MigrationError, ProjectionError
from events.projection import Difference, Projection
from events.runner import ProjectionRunner
from events.store import create_pool
from events.transfer import ImportReport, TransferError, export_log, import_log
from registry import database, schema
from registry.app import open_registry, session_settings
from registry.database import resolve_dsn
from registry.demo.board import Summary, print_summary, read_summary
from registry.demo.load import load_demo, load_if_empty
from registry.domain.errors import RegistryError
from registry.domain.values import Role
from registry.matching.config import MatchConfig
from registry.progress import Advance, counting_bytes, progress, tracking
from registry.read.projection import SCHEMA, read_model_projection, registry_codec
from registry.service import commands
from registry.service.contacts import erase_contact
from registry.service.context import Actor, Command
from registry.service.execute import Registry
from registry.settings import settings_from_env

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


def _as_application(dsn: str) -> dict[str, Any]:
    """Connection options for all but migrations: the CLI works as the application's role.

    A read model the CLI rebuilds is then the application's to keep, as one it built itself.
    """
    return {"server_settings": session_settings(settings_from_env(dsn))}


async def _migrate(dsn: str) -> list[str]:
    conn: asyncpg.Connection[Any] = await asyncpg.connect(dsn)
    try:
        return [f"{m.path.parent.parent.name}/{m.version:04d}_{m.name}" for m in await schema.migrate(conn)]
    finally:
        await conn.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--demo", is_flag=True, help="Load the Ouyang Road demo first (into an empty registry only).")
@data_dir_option
def serve(host: str, port: int, workers: int, demo: bool, data_dir: Path | None) -> None:
    """Migrate the database, then serve the HTTP API."""
    import uvicorn

    dsn = resolve_dsn(data_dir)
    _run(_migrate, data_dir)
    if demo:
        loaded = _as_coordinator(_demo_if_empty, data_dir)
        done = "loaded the Ouyang Road demo" if loaded else "not empty, the demo was not loaded"
        click.echo(f"registry: {done}", err=True)
    if not os.environ.get("DATABASE_URL"):
        # The embedded server's data directory keeps the registry's secret too (registry.secret).
        os.environ.setdefault("REGISTRY_SECRET_FILE", str(database.data_dir(data_dir) / "secret"))
    # Workers are separate processes: they find the database through the environment.
    os.environ["DATABASE_URL"] = dsn
    click.echo(f"registry: serving on http://{host}:{port} (API docs at /schema)", err=True)
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        "registry.app:app_from_env", factory=True, host=host, port=port, workers=workers,
        log_level="warning",
    )  # fmt: skip


def _exit_cleanly(signum: int, _: object) -> None:
    """SIGTERM, after uvicorn's graceful shutdown: exit as from Ctrl-C, exit handlers and all.

    uvicorn answers SIGTERM like SIGINT, then raises it again once it has shut down; with the
    default action the process would die there, and the embedded PostgreSQL it started, which
    its exit handler stops, would be left running.
    """
    raise SystemExit(0)


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

    async def work(dsn: str) -> list[tuple[str, str, str]]:
        conn: asyncpg.Connection[Any] = await asyncpg.connect(dsn)
        try:
            return [(f"{c}/{s.version:04d}", s.name, s.state) for c, s in await schema.status(conn)]
        finally:
            await conn.close()

    rows = _run(work, data_dir)
    for version, name, state in rows:
        click.echo(f"{version}_{name:<40} {state}")
    if any(state in ("changed", "missing") for _, _, state in rows):
        sys.exit(1)


def _as_coordinator(work: Callable[[Registry, Command], Coroutine[Any, Any, T]], directory: Path | None) -> T:
    """Run a use case on the registry as the coordinator at this terminal (the CLI's actor)."""

    async def run(dsn: str) -> T:
        await _migrate(dsn)
        settings = msgspec.structs.replace(settings_from_env(dsn), pool_min_size=1, pool_max_size=2)
        registry = await open_registry(settings)
        try:
            actor = Actor(subject=f"cli:{getpass.getuser()}", role=Role.COORDINATOR)
            return await work(registry, Command(actor=actor))
        finally:
            await registry.close()

    try:
        return _run(run, directory)
    except RegistryError as error:
        raise click.ClickException(str(error)) from None


async def _demo_if_empty(registry: Registry, _: Command) -> bool:
    return await load_if_empty(registry, MatchConfig()) is not None


async def _demo_writes(loading: Coroutine[Any, Any, T]) -> T:
    try:
        return await loading
    except IdempotencyKeyReused as error:
        raise click.ClickException(
            f"this database holds an earlier, different version of the demo ({error}); load it into "
            "an empty database"
        ) from None


@main.command()
@data_dir_option
def demo(data_dir: Path | None) -> None:
    """Load the Ouyang Road network and its activities; print the match board and the report.

    Idempotent: a second run writes nothing and prints the same numbers.
    """

    async def work(registry: Registry, _: Command) -> Summary:
        config = MatchConfig()
        allocation = await _demo_writes(load_demo(registry, config))
        return await read_summary(registry, allocation, config)

    print_summary(_as_coordinator(work, data_dir))


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

    async def work(registry: Registry, ctx: Command) -> tuple[uuid.UUID, str]:
        written, secret = await commands.issue_token(registry, ctx, Role(role), unit_id, label)
        return written.entity_id, secret

    token_id, secret = _as_coordinator(work, data_dir)
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
        store = await EventStore.connect(dsn, min_size=1, max_size=2, **_as_application(dsn))
        try:
            head, _ = await store.head()
            with progress("verifying", head) as advance:
                return await store.verify(progress=advance)
        finally:
            await store.close()

    report = _run(work, data_dir)
    click.echo(f"checked {report.checked} events; head {report.head_position} {report.head_hash}")
    if not report.ok:
        click.echo(f"BROKEN at position {report.first_bad_position}: {report.reason}")
        sys.exit(1)
    click.echo("ok")


@audit.command("export")
@click.option(
    "--after",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Export only the events after this position.",
)
@data_dir_option
def audit_export(after: int, data_dir: Path | None) -> None:
    """Write the log to standard output as NDJSON: a header line, then one event a line."""
    out = sys.stdout.buffer

    async def work(dsn: str) -> int | None:
        store = await EventStore.connect(dsn, min_size=1, max_size=2, **_as_application(dsn))
        try:
            head, _ = await store.head()
            written = -1  # the header is not an event
            with progress("exporting", max(head - after, 0)) as advance:
                async for line in export_log(store.pool, after):
                    out.write(line)
                    written += 1
                    if written % 1000 == 0:
                        advance(written)
                out.flush()
                advance(written)
            return written
        except BrokenPipeError:
            return None
        finally:
            await store.close()

    try:
        count = _run(work, data_dir)
    except TransferError as error:
        raise click.ClickException(str(error)) from None
    if count is None:
        # The reader went away (`| head`): stop quietly, as other Unix tools do, and keep the
        # interpreter from complaining when it flushes the closed pipe at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    click.echo(f"exported {count} events after position {after}", err=True)


@audit.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@data_dir_option
def audit_import(file: str, data_dir: Path | None) -> None:
    """Load an export (FILE, or - for standard input) into an empty log, re-verifying every line.

    Exit 1 naming the first line that is malformed or does not verify; nothing is loaded then.
    The read models are built afterwards.
    """

    async def work(dsn: str) -> tuple[ImportReport, int]:
        await _migrate(dsn)
        with _open_binary(file) as stream:
            pool = await create_pool(dsn, min_size=1, max_size=2, **_as_application(dsn))
            try:
                with progress("importing", _size(stream), unit="bytes") as advance:
                    report = await import_log(pool, counting_bytes(stream, advance))
            finally:
                await pool.close()
        try:
            return report, await _catch_up_read_models(dsn, report.head_position)
        except ProjectionError as error:
            raise click.ClickException(
                f"imported {report.events} events (head {report.head_position} {report.head_hash}), "
                f"but the read models could not be built: {error}"
            ) from None

    try:
        report, reached = _run(work, data_dir)
    except TransferError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"imported {report.events} events; head {report.head_position} {report.head_hash}")
    click.echo(f"read models built up to position {reached}")


@contextlib.contextmanager
def _open_binary(file: str) -> Iterator[BinaryIO]:
    if file == "-":
        yield sys.stdin.buffer
        return
    with open(file, "rb") as stream:
        yield stream


def _size(stream: BinaryIO) -> int | None:
    """The file's length, for the bar; None for a pipe."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, io.UnsupportedOperation):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _read_model_runner(store: EventStore, advance: Advance) -> tuple[ProjectionRunner, Projection]:
    """The registry's read-model projection (as `open_registry` runs it), reporting progress."""
    projection = tracking(read_model_projection(), advance)
    return ProjectionRunner(store, [projection], name="registry"), projection


async def _catch_up_read_models(dsn: str, head: int) -> int:
    store = await EventStore.connect(
        dsn, codec=registry_codec(), min_size=1, max_size=2, **_as_application(dsn)
    )
    try:
        with progress("building read models", head) as advance:
            runner, projection = _read_model_runner(store, advance)
            await runner.catch_up()
            advance(head)
        return (await runner.positions())[projection.name]
    finally:
        await store.close()


@main.group()
def projections() -> None:
    """The read models kept from the log."""


@projections.command("rebuild")
@click.option(
    "--check",
    is_flag=True,
    help="Compare a rebuild with the live read models instead; exit 1 on any difference.",
)
@data_dir_option
def projections_rebuild(check: bool, data_dir: Path | None) -> None:
    """Rebuild the read models from the whole log and swap them in (or, with --check, compare)."""

    async def work(dsn: str) -> tuple[int, list[Difference]]:
        store = await EventStore.connect(
            dsn, codec=registry_codec(), min_size=1, max_size=2, **_as_application(dsn)
        )
        try:
            live = ProjectionRunner(store, [read_model_projection()], name="registry")
            total = min((await live.positions()).values()) if check else (await store.head())[0]
            with progress("checking" if check else "rebuilding", total) as advance:
                runner, projection = _read_model_runner(store, advance)
                if check:
                    differences = await runner.check(projection)
                    advance(total)
                    return total, differences
                reached = await runner.rebuild(projection)
                advance(reached)
                return reached, []
        finally:
            await store.close()

    position, differences = _run(work, data_dir)
    if not check:
        click.echo(f"read models rebuilt up to position {position}")
        return
    for d in differences:
        click.echo(
            f"{SCHEMA}.{d.table}: {d.only_in_live} row(s) only in the live read model, "
            f"{d.only_in_rebuild} only in the rebuild"
        )
    if differences:
        click.echo(f"DIFFERENT: the read models do not match a rebuild up to position {position}")
        sys.exit(1)
    click.echo(f"ok: the read models match a rebuild up to position {position}")


@main.group()
def contacts() -> None:
    """People at the units (their names and phones are erasable)."""


@contacts.command("erase")
@click.argument("contact_id", type=click.UUID)
@data_dir_option
def contacts_erase(contact_id: uuid.UUID, data_dir: Path | None) -> None:
    """Erase a contact's name and phone for good (PIPL); the log records that it was done."""

    async def work(registry: Registry, ctx: Command) -> int | None:
        return (await erase_contact(registry, ctx, contact_id)).position

    position = _as_coordinator(work, data_dir)
    click.echo(f"contact {contact_id} erased (log position {position})")


if __name__ == "__main__":
    main()
