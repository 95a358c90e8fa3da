"""Small helpers shared by the tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import asyncpg
import httpx

from events import NewEvent
from registry.app import open_registry
from registry.domain.values import Role
from registry.schema import migrate
from registry.service import commands
from registry.settings import Settings
from tests.api_fixtures import CLI

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]


def ev(n: int = 0, type_: str = "thing_happened") -> NewEvent:
    return NewEvent(type=type_, data={"n": n})


async def collect(iterator: AsyncIterator[T]) -> list[T]:
    return [item async for item in iterator]


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(
    process: subprocess.Popen[bytes], url: str, *, timeout: float = 30, log: Path | None = None
) -> None:
    """Return once `url` answers 200; fail at once if `process` exits first, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log is not None else ""
            raise RuntimeError(f"the registry exited with {process.returncode} while starting\n{tail}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() >= deadline:
            raise RuntimeError(f"the registry did not answer {url} in {timeout} s")
        time.sleep(0.1)


async def coordinator_token(dsn: str, label: str = "test") -> str:
    """A coordinator's token, issued straight into the database (as `registry token create` does)."""
    registry = await open_registry(Settings(database_url=dsn, pool_min_size=1, pool_max_size=2))
    try:
        _, secret = await commands.issue_token(registry, CLI, Role.COORDINATOR, None, label)
        return secret
    finally:
        await registry.close()


async def migrated(dsn: str) -> None:
    """Apply the migrations to the database at `dsn`, as its owner."""
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()


@contextmanager
def uvicorn_registry(
    dsn: str,
    factory: str = "registry.app:app_from_env",
    options: tuple[str, ...] = ("--log-level", "warning"),
    env: dict[str, str] | None = None,
    output: IO[bytes] | None = None,
) -> Iterator[str]:
    """The registry served by uvicorn on loopback, as in production; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1", "--port", str(port),
         *options],
        env={**os.environ, **(env or {}), "DATABASE_URL": dsn}, cwd=ROOT,
        stdout=output, stderr=subprocess.STDOUT if output is not None else None,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, f"{base}/health")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


async def refuse_rows(conn: Any, table: str, word: str, message: str) -> None:
    """Fault injection: `registry_read.<table>` refuses new rows whose search text holds `word`,
    as a handler bug would (`DROP TRIGGER refuse_<word> ON registry_read.<table>` ends it)."""
    await conn.execute(f"""
        CREATE FUNCTION registry_read.refuse_{word}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.search LIKE '%{word}%' THEN RAISE EXCEPTION '{message}'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_{word} BEFORE INSERT ON registry_read.{table}
            FOR EACH ROW EXECUTE FUNCTION registry_read.refuse_{word}();
    """)
