"""An API on a fresh database, with a token for each role, driven through Litestar's test client."""

from __future__ import annotations

import asyncio
import itertools
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry.app import create_app, open_registry
from registry.database import with_database
from registry.domain.values import Role
from registry.edge.auth import auth_throttle
from registry.service import commands
from registry.service.context import Actor, Clock, Command, wall_clock
from registry.service.execute import Registry
from registry.settings import Settings

CLI = Command(actor=Actor(subject="cli:test", role=Role.COORDINATOR))


class Api:
    """A test client with the tokens of the cast: a coordinator, an auditor, two units' liaisons."""

    def __init__(self, app: Litestar, client: AsyncTestClient[Litestar], registry: Registry) -> None:
        self.app = app
        self.client = client
        # The app runs on the test client's own event loop; the test's loop needs its own pool.
        self.registry = registry
        self.tokens: dict[str, str] = {}
        self.sessions: dict[str, str] = {}
        self.units: dict[str, uuid.UUID] = {}

    async def token(self, role: Role, unit_id: uuid.UUID | None = None) -> str:
        _, secret = await commands.issue_token(self.registry, CLI, role, unit_id, "test")
        return secret

    async def page_session(self, who: str) -> str:
        """A page session of `who`'s token, opened through the sign-in form (once per caller)."""
        if who not in self.sessions:
            form = await self.client.get("/pages/sign-in")
            found = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
            assert found is not None, form.text
            data = {"token": self.tokens[who], "_csrf_token": found.group(1)}
            opened = await self.client.post("/pages/sign-in", data=data, follow_redirects=False)
            assert opened.status_code == 303, opened.text
            self.sessions[who] = opened.cookies["registry_session"]
            # Each request names its caller's session itself: the jar keeps none.
            self.client.cookies.delete("registry_session", path="/pages")
        return self.sessions[who]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}

    async def request(self, method: str, path: str, who: str = "coordinator", **kw: Any) -> Any:
        headers = {**self.auth(who), **kw.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kw)

    async def get(self, path: str, who: str = "coordinator", **kw: Any) -> Any:
        return await self.request("GET", path, who, **kw)

    async def post(self, path: str, json: Any = None, who: str = "coordinator", **kw: Any) -> Any:
        return await self.request("POST", path, who, json=json, **kw)

    async def patch(self, path: str, json: Any = None, who: str = "coordinator", **kw: Any) -> Any:
        return await self.request("PATCH", path, who, json=json, **kw)


_UNIT_SERIAL = itertools.count(1)


def unit_body(name: str | None = None, area: str = "虹口区/欧阳路街道") -> dict[str, Any]:
    """A unit to register; by default a name no other unit of the test run has (names are unique
    in an area)."""
    if name is None:
        name = f"和平眼科医院 {next(_UNIT_SERIAL)}号"
    return {"name": name, "kind": "public_institution", "area": area}


def offer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "medical.eye-screening",
        "title": "眼科义诊",
        "capacity": {"quantity": 30, "measure": "people"},
        "availability": [{"starts_at": "2026-12-05T09:00:00+08:00", "ends_at": "2026-12-05T12:00:00+08:00"}],
    }
    body.update(overrides)
    return body


def need_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "volunteers.crowd-guidance",
        "title": "进博会客流引导志愿者",
        "quantity": 10,
        "starts_at": "2026-11-05T07:00:00+08:00",
        "ends_at": "2026-11-05T10:00:00+08:00",
    }
    body.update(overrides)
    return body


def plan_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "先锋上海·四季行动（秋收篇）",
        "venue": "欧阳路街道社区党群服务中心",
        "area": "虹口区/欧阳路街道",
        "starts_at": "2026-10-17T09:00:00+08:00",
        "ends_at": "2026-10-17T12:00:00+08:00",
        "expected_attendance": 200,
    }
    body.update(overrides)
    return body


async def run_statements(dsn: str, *statements: str) -> None:
    """Run `statements` on the server at `dsn`, one at a time (CREATE DATABASE needs no transaction)."""
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _admin(dsn: str, *statements: str) -> None:
    """`run_statements`, from code that is not in an event loop."""
    asyncio.run(run_statements(dsn, *statements))


@contextmanager
def named_clone(server_dsn: str, template: str, name: str) -> Iterator[str]:
    """The database `name` made afresh as a clone of `template`: its DSN, and it is dropped after
    (any sessions left on it ended)."""
    _admin(server_dsn, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield with_database(server_dsn, name)
    finally:
        _admin(server_dsn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Cast(msgspec.Struct, frozen=True, kw_only=True):
    """The cast `serving_api` gives every test: tokens by who holds them, and the two units."""

    tokens: dict[str, str]
    units: dict[str, uuid.UUID]


async def _make_cast(api: Api) -> None:
    api.tokens["coordinator"] = await api.token(Role.COORDINATOR)
    api.tokens["auditor"] = await api.token(Role.AUDITOR)
    for name, unit_name in (("own", "和平眼科医院"), ("other", "城管欧阳中队")):
        response = await api.post("/api/v1/units", unit_body(unit_name))
        assert response.status_code == 201, response.text
        api.units[name] = uuid.UUID(response.json()["id"])
        api.tokens[f"liaison_{name}"] = await api.token(Role.LIAISON, api.units[name])


@asynccontextmanager
async def serving(app: Litestar, settings: Settings, cast: Cast | None = None) -> AsyncIterator[Api]:
    """`app` (made from `settings`) started under the test client, with the cast's tokens and
    units. With `cast`, the database holds that cast already (a clone of the cast template): the
    tokens and units are not made again."""
    registry = await open_registry(settings)
    try:
        async with AsyncTestClient(app) as client:
            api = Api(app, client, registry)
            if cast is None:
                await _make_cast(api)
            else:
                api.tokens.update(cast.tokens)
                api.units.update(cast.units)
            yield api
    finally:
        await registry.close()


@asynccontextmanager
async def serving_api(
    database_dsn: str, clock: Clock = wall_clock, cast: Cast | None = None
) -> AsyncIterator[Api]:
    """An app of its own on `database_dsn` (see `serving`); `clock` is its "now" (tests that
    depend on time pass one they move)."""
    settings = Settings(database_url=database_dsn, clock=clock)
    async with serving(create_app(settings), settings, cast) as api:
        yield api


@asynccontextmanager
async def cloned_database(server_dsn: str, template: str, name: str) -> AsyncIterator[str]:
    """A DSN for a migrated database cloned from `template`, dropped when the block ends.

    For fixtures wider than one test (the `database_dsn` fixture is per test)."""
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        await admin.close()
    try:
        yield with_database(server_dsn, name)
    finally:
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


class CastTemplate(msgspec.Struct, frozen=True, kw_only=True):
    database: str  # never connected to once made: PostgreSQL clones only an unused database
    cast: Cast


async def _cast_into(dsn: str) -> Cast:
    async with serving_api(dsn) as api:
        cast = Cast(tokens=dict(api.tokens), units=dict(api.units))
    # Start-up kept a secret in the database; each clone's app keeps its own, as on a new database.
    await run_statements(dsn, "DELETE FROM registry_secret")
    return cast


@pytest.fixture(scope="session")
def cast_template(server_dsn: str, template_database: str, run_prefix: str) -> Iterator[CastTemplate]:
    """A migrated database with the cast made in it through the API, once per run.

    Each `api` test clones it (as cheap as cloning the empty template) instead of issuing four
    tokens and registering two units through a fresh app: about 0.15 s a test, over a hundred
    and fifty tests. The clone is the database the test would have made: the same events in the
    same order, only recorded earlier, and nothing one test writes reaches another's clone.
    """
    name = f"{run_prefix}_cast_template"
    with named_clone(server_dsn, template_database, name) as dsn:
        cast = asyncio.run(_cast_into(dsn))
        yield CastTemplate(database=name, cast=cast)


class SharedApp(msgspec.Struct, frozen=True, kw_only=True):
    app: Litestar
    settings: Settings
    database: str  # the name in its settings: the same for every test (see cast_database_dsn)


@pytest.fixture(scope="session")
def shared_app(server_dsn: str, run_prefix: str) -> SharedApp:
    """The one app every `api` test starts: building an app costs about 0.2 s of CPU (Litestar
    parses every handler's signature), over a hundred and fifty tests.

    Each test starts it afresh (its start opens the registry, the page cache and sessions, the
    secret) on a database of that test alone, made under the name its settings give. What the app
    makes when it is built and keeps across starts is the auth throttle alone
    (`test_app.py` holds it to that); each test gets a fresh one.
    """
    name = f"{run_prefix}_api"
    settings = Settings(database_url=with_database(server_dsn, name))
    return SharedApp(app=create_app(settings), settings=settings, database=name)


@pytest.fixture
async def api(
    cast_database_dsn: str, cast_template: CastTemplate, shared_app: SharedApp
) -> AsyncIterator[Api]:
    """The app on a database of this test alone, holding the cast and nothing else."""
    assert cast_database_dsn == shared_app.settings.database_url
    shared_app.app.state.auth_throttle = auth_throttle(shared_app.settings)
    async with serving(shared_app.app, shared_app.settings, cast_template.cast) as api:
        yield api
