"""Test databases: a real PostgreSQL, a fresh database per test cloned from a migrated template.

DATABASE_URL picks the server; without it, the embedded PostgreSQL in .registry-test/ is used.
Every run makes its own databases (named after the process) and drops them at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from events import EventStore
from registry.database import embedded_dsn, with_database
from registry.schema import migrate
from tests.api_fixtures import (  # noqa: F401 — fixtures for every module
    CastTemplate,
    SharedApp,
    _admin,
    api,
    cast_template,
    shared_app,
)
from tests.demo_fixture import demo_template  # noqa: F401 — for the page and browser modules

ROOT = Path(__file__).resolve().parents[1]
_counter = itertools.count()


@pytest.fixture(scope="session")
def server_dsn() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return embedded_dsn(Path(os.environ.get("REGISTRY_TEST_DATA_DIR", ROOT / ".registry-test")))


@pytest.fixture(scope="session")
def run_prefix() -> str:
    return f"regtest_{os.getpid()}"


@pytest.fixture(scope="session")
def template_database(server_dsn: str, run_prefix: str) -> Iterator[str]:
    name = f"{run_prefix}_template"
    _admin(server_dsn, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")

    async def apply() -> None:
        conn = await asyncpg.connect(with_database(server_dsn, name))
        try:
            await migrate(conn)
        finally:
            await conn.close()

    asyncio.run(apply())
    yield name
    _admin(server_dsn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Dropper:
    """Drops the tests' databases in the background, a few at once.

    PostgreSQL checkpoints at every DROP DATABASE and the DROP waits for it: on a server others
    write to, a second or more, which the next test need not wait for. Drops issued together share
    one checkpoint. A drop that fails fails the run at its end.
    """

    def __init__(self, server_dsn: str) -> None:
        self.server_dsn = server_dsn
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="drop-database")
        self.pending: list[Future[None]] = []

    def drop(self, name: str) -> None:
        statement = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        self.pending.append(self.pool.submit(_admin, self.server_dsn, statement))

    def finish(self) -> None:
        self.pool.shutdown(wait=True)
        for dropped in self.pending:
            dropped.result()


@pytest.fixture(scope="session")
def dropper(server_dsn: str) -> Iterator[Dropper]:
    dropper = Dropper(server_dsn)
    yield dropper
    dropper.finish()


def clone_of(server_dsn: str, template: str, run_prefix: str, dropper: Dropper) -> Iterator[str]:
    """A DSN for a fresh clone of the database `template`, dropped in the background after."""
    name = f"{run_prefix}_{next(_counter)}"
    _admin(server_dsn, f"CREATE DATABASE {name} TEMPLATE {template}")
    yield with_database(server_dsn, name)
    dropper.drop(name)


@pytest.fixture
def database_dsn(server_dsn: str, template_database: str, run_prefix: str, dropper: Dropper) -> Iterator[str]:
    """A DSN for a fresh, migrated database of this test alone."""
    yield from clone_of(server_dsn, template_database, run_prefix, dropper)


@pytest.fixture
def cast_database_dsn(
    server_dsn: str,
    cast_template: CastTemplate,  # noqa: F811 — the fixture imported above
    shared_app: SharedApp,  # noqa: F811 — the fixture imported above
    run_prefix: str,
    dropper: Dropper,
) -> Iterator[str]:
    """A DSN for a fresh database of this test alone that holds the cast (see `cast_template`),
    under the one name the shared app's settings give (see `shared_app`).

    Once the test is over, the database is renamed out of the way (no connection may remain: any
    left are ended, as DROP ... WITH (FORCE) ends them) and dropped in the background.
    """
    name = shared_app.database
    _admin(
        server_dsn,
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",  # left by a run that was killed
        f"CREATE DATABASE {name} TEMPLATE {cast_template.database}",
    )
    yield shared_app.settings.database_url
    retired = f"{run_prefix}_{next(_counter)}"
    _admin(
        server_dsn,
        f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '{name}'",
        f"ALTER DATABASE {name} RENAME TO {retired}",
    )
    dropper.drop(retired)


@pytest.fixture
def empty_database_dsn(server_dsn: str, run_prefix: str, dropper: Dropper) -> Iterator[str]:
    """A DSN for a fresh database with no schema at all."""
    name = f"{run_prefix}_{next(_counter)}"
    _admin(server_dsn, f"CREATE DATABASE {name}")
    yield with_database(server_dsn, name)
    dropper.drop(name)


@pytest.fixture
async def store(database_dsn: str) -> AsyncIterator[EventStore]:
    store = await EventStore.connect(database_dsn, max_size=20)
    yield store
    await store.close()
