"""Access (docs/access.md): the database role, the throttle on token guessing, the pages' headers.

Every connection the registry opens assumes `registry_app` (registry/migrations/0003), which may append
to the log but never change it: the pools, the runner's leader connection, the listener, and the
CLI's for everything but migrations. The tests log in as the owner (a superuser) like the rest of
the suite, and also as a LOGIN role that is only a member of registry_app, as a deployment should,
and as a database owner that is no superuser.

Failed authentications are counted per client address (429 after too many); the test client has
one address, so these tests take it from a header of their own, and move a clock by hand.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.exceptions import TooManyRequestsException
from litestar.testing import AsyncTestClient

from events import EventStore
from events.migrate import migrate as store_migrate
from events.runner import ProjectionRunner
from registry import schema
from registry.app import create_app, open_registry
from registry.cli import main
from registry.database import with_database
from registry.domain.values import Role
from registry.edge.throttle import AuthThrottle, client_key
from registry.read.projection import SCHEMA, read_model_projection, registry_codec
from registry.service import commands
from registry.settings import Settings, SettingsError, settings_from_env
from tests.api_fixtures import CLI, Api, offer_body, serving_api, unit_body

APP_ROLE = "registry_app"

# What an application that went wrong (or was made to) might try; each must be refused by the
# privilege system itself, before the append-only triggers are even reached.
FORBIDDEN = [
    "UPDATE events SET data = '{}' WHERE position = 1",
    "DELETE FROM events WHERE position = 1",
    "TRUNCATE events",
    "ALTER TABLE events DISABLE TRIGGER USER",
    "ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete",
    "DROP TRIGGER events_no_update_or_delete ON events",
    "DROP TRIGGER events_no_truncate ON events",
    "DROP TABLE events",
    "UPDATE events_idempotency SET result = '[]'",
    "DELETE FROM events_idempotency",
    "TRUNCATE events_idempotency",
    "ALTER TABLE events_idempotency DISABLE TRIGGER USER",
    "DELETE FROM events_head",
    "CREATE OR REPLACE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$",
    "DROP SCHEMA public CASCADE",
    "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'x', 'x')",
]


def as_login(dsn: str, user: str) -> str:
    """The same database, logged in as `user` (trust authentication, as in the tests' servers)."""
    parts = urlsplit(dsn)
    host = parts.netloc.split("@", 1)[1] if "@" in parts.netloc else parts.netloc
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


async def fetchval(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


@pytest.mark.parametrize("statement", FORBIDDEN)
async def test_the_applications_own_pool_may_not_change_the_log(api: Api, statement: str) -> None:
    pool = api.registry.store.pool
    before = await api.registry.store.head()
    with pytest.raises(asyncpg.InsufficientPrivilegeError) as refused:
        await pool.execute(statement)
    # Refused for want of a privilege (42501 "permission denied" / "must be owner"), not by the
    # triggers, whose message says "append-only".
    assert "append-only" not in str(refused.value)
    assert refused.value.sqlstate == "42501"
    assert await api.registry.store.head() == before
    assert (await api.registry.store.verify()).ok


async def test_the_application_role_has_exactly_read_and_append_on_the_log(api: Api) -> None:
    pool = api.registry.store.pool
    rows = await pool.fetch(
        "SELECT t, p, has_table_privilege(current_user, t, p) AS granted"
        " FROM unnest(ARRAY['events', 'events_idempotency', 'events_head']) AS t,"
        " unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES']) AS p"
    )
    granted = {(r["t"], r["p"]) for r in rows if r["granted"]}
    assert granted == {
        ("events", "SELECT"), ("events", "INSERT"),
        ("events_idempotency", "SELECT"), ("events_idempotency", "INSERT"),
        # Every append locks the head row (FOR UPDATE) and moves it.
        ("events_head", "SELECT"), ("events_head", "UPDATE"),
    }  # fmt: skip
    owners = await pool.fetch(
        "SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class"
        " WHERE relname IN ('events', 'events_idempotency', 'events_head', 'contacts') ORDER BY 1"
    )
    assert {r["relname"]: r["owner"] == APP_ROLE for r in owners} == {
        "contacts": True, "events": False, "events_head": False, "events_idempotency": False,
    }  # fmt: skip


async def test_every_connection_of_the_application_works_as_its_role(api: Api) -> None:
    registry = api.registry
    for pool in (registry.store.pool, registry.list_pool):
        assert await pool.fetchval("SELECT current_user") == APP_ROLE
    # The runner leads on a connection of its own; the listener has another.
    single = await registry.store.connect_single()
    try:
        assert await single.fetchval("SELECT current_user") == APP_ROLE
    finally:
        await single.close()
    wakeup = registry.store.wakeup()
    try:
        await wakeup.ensure_listening()
        assert wakeup.connection is not None
        assert await wakeup.connection.fetchval("SELECT current_user") == APP_ROLE
    finally:
        await wakeup.close()
    # The read model is the application's own, so it can rebuild it when its DDL changes.
    owner = await registry.store.pool.fetchval(
        "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", SCHEMA
    )
    assert owner == APP_ROLE


def test_the_role_is_a_setting_and_a_bad_one_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGISTRY_DATABASE_ROLE", raising=False)
    assert settings_from_env("postgresql://x/y").database_role == APP_ROLE
    monkeypatch.setenv("REGISTRY_DATABASE_ROLE", "registry_reader")
    assert settings_from_env("postgresql://x/y").database_role == "registry_reader"
    for bad in ("", "Registry App", "x; DROP TABLE events", "a" * 64):
        monkeypatch.setenv("REGISTRY_DATABASE_ROLE", bad)
        with pytest.raises(SettingsError, match="REGISTRY_DATABASE_ROLE"):
            settings_from_env("postgresql://x/y")


async def test_a_role_the_login_cannot_become_stops_the_registry_from_starting(database_dsn: str) -> None:
    with pytest.raises(asyncpg.PostgresError, match="registry_nobody"):
        await open_registry(Settings(database_url=database_dsn, database_role="registry_nobody"))


@pytest.fixture
async def login_dsn(database_dsn: str, run_prefix: str) -> AsyncIterator[str]:
    """A LOGIN role that is a member of registry_app and nothing else, as a deployment has."""
    login = f"{run_prefix}_login_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_dsn)
    try:
        await admin.execute(f"CREATE ROLE {login} LOGIN IN ROLE {APP_ROLE}")
    finally:
        await admin.close()
    try:
        yield as_login(database_dsn, login)
    finally:
        admin = await asyncpg.connect(database_dsn)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", login
            )
            await admin.execute(f"DROP ROLE {login}")
        finally:
            await admin.close()


async def test_a_login_role_that_is_a_member_serves_writes_reads_projections_and_erasure(
    login_dsn: str, database_dsn: str
) -> None:
    async with serving_api(login_dsn) as api:
        # Writes, and reads of the read model the projection built (read-your-writes).
        unit = api.units["own"]
        offer = await api.post(f"/api/v1/units/{unit}/offers", offer_body(), who="liaison_own")
        assert offer.status_code == 201, offer.text
        listed = await api.get(f"/api/v1/offers?unit_id={unit}", who="auditor")
        assert [o["id"] for o in listed.json()["items"]] == [offer.json()["id"]]
        assert (await api.get("/api/v1/audit/verify", who="auditor")).json()["ok"] is True

        # Erasure rewrites the contacts table (VACUUM FULL): a new file, not a skipped warning.
        added = await api.post(f"/api/v1/units/{unit}/contacts", {"name": "欧阳明华", "phone": "13800138000"})
        assert added.status_code == 201, added.text
        file_before = await fetchval(database_dsn, "SELECT pg_relation_filenode('contacts')")
        erased = await api.post(f"/api/v1/contacts/{added.json()['id']}/erase")
        assert erased.status_code == 200, erased.text
        assert await fetchval(database_dsn, "SELECT pg_relation_filenode('contacts')") != file_before
        assert await fetchval(database_dsn, "SELECT count(*) FROM contacts WHERE name IS NOT NULL") == 0

        # The projection keeps up and a rebuild (new schema, swapped in by rename) equals it.
        runner = api.registry.runner
        assert await runner.check(runner.projections[0]) == []
        await runner.rebuild(runner.projections[0])
        again = await api.get(f"/api/v1/offers/{offer.json()['id']}")
        assert again.status_code == 200, again.text

        # Stepping out of the role (RESET ROLE) leaves the login with no more than the role has;
        # it cannot become the owner, nor have the owner's functions act for the owner.
        conn = await asyncpg.connect(login_dsn)
        try:
            owner = await conn.fetchval(
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'events'"
            )
            for statement in (
                "UPDATE events SET data = '{}' WHERE position = 1",
                "ALTER TABLE events DISABLE TRIGGER USER",
                f"SET ROLE {owner}",
                f"SELECT events_create_schema_owned_by('mine', '{owner}')",
                f"SET ROLE {APP_ROLE}; SELECT events_create_schema_owned_by('mine', '{owner}')",
                f"SET ROLE {APP_ROLE}; SELECT events_rename_schema_owned_by('public', 'mine', '{APP_ROLE}')",
                f"SET ROLE {APP_ROLE}; SELECT events_rename_schema('public', 'mine')",
            ):
                await conn.execute("RESET ROLE")
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(statement)
        finally:
            await conn.close()


async def test_a_rebuild_from_the_command_line_leaves_the_read_model_to_the_application(
    api: Api, cast_database_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI logs in as the owner (DATABASE_URL) but rebuilds as the application's role: a read
    # model it made as the owner would refuse the application's next write.
    monkeypatch.setenv("DATABASE_URL", cast_database_dsn)
    result = await asyncio.to_thread(CliRunner().invoke, main, ["projections", "rebuild"])
    assert result.exit_code == 0, result.output
    owner = await fetchval(
        cast_database_dsn, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", SCHEMA
    )
    assert owner == APP_ROLE
    written = await api.post("/api/v1/units", unit_body("重建之后"))
    assert written.status_code == 201, written.text


async def test_a_read_model_built_before_the_role_existed_is_handed_to_it(
    empty_database_dsn: str, tmp_path: Path
) -> None:
    # The database as it was before 0006, with a read model the owner built (as the application
    # did when it logged in as the owner).
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for path in sorted(schema.MIGRATIONS.glob("*.sql")):
        if path.name < "0003":  # the registry's before 0003_application_role
            shutil.copy(path, earlier / path.name)
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        await store_migrate(conn)
        await store_migrate(conn, earlier, schema.COMPONENT)
    finally:
        await conn.close()
    store = await EventStore.connect(empty_database_dsn, codec=registry_codec(), min_size=1, max_size=2)
    try:
        await ProjectionRunner(store, [read_model_projection()], name="registry").catch_up()
        await store.pool.execute(f"CREATE SCHEMA {SCHEMA}__check")  # a check that was interrupted
    finally:
        await store.close()

    conn = await asyncpg.connect(empty_database_dsn)
    try:
        assert next(m.name for m in await schema.migrate(conn)) == "application_role"  # and any after it
        owners = await conn.fetch(
            "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class"
            " WHERE relnamespace = $1::regnamespace AND relkind = 'r'",
            SCHEMA,
        )
        schemas = await conn.fetch(
            "SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace"
            " WHERE nspname LIKE 'registry\\_read%' ORDER BY 1"
        )
    finally:
        await conn.close()
    assert [r["owner"] for r in owners] == [APP_ROLE]
    assert [(r["nspname"], r["owner"]) for r in schemas] == [
        (SCHEMA, APP_ROLE),
        (f"{SCHEMA}__check", APP_ROLE),
    ]
    async with serving_api(empty_database_dsn) as api:
        written = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body())
        assert written.status_code == 201, written.text


async def test_an_owner_that_is_no_superuser_migrates_and_serves(server_dsn: str, run_prefix: str) -> None:
    """As on a managed server: the database's owner may not do all a superuser may. Giving a
    table away, making a schema for another role and the membership grants must work for it.

    PostgreSQL 16 and later let only a role's admin grant it; registry_app exists already (the
    template made it), so the migrator is given it as a DBA would (docs/access.md)."""
    owner = f"{run_prefix}_owner_{uuid.uuid4().hex[:8]}"
    database = f"{run_prefix}_owned_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f"CREATE ROLE {owner} LOGIN CREATEROLE IN ROLE {APP_ROLE}")
        await admin.execute(f"CREATE DATABASE {database} OWNER {owner}")
    finally:
        await admin.close()
    dsn = as_login(with_database(server_dsn, database), owner)
    try:
        conn = await asyncpg.connect(dsn)
        try:
            assert len(await schema.migrate(conn)) == schema.count()
            assert not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            assert (
                await conn.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'contacts'")
                == APP_ROLE
            )
            # It held CREATE on public only to be given contacts.
            assert not await conn.fetchval(f"SELECT has_schema_privilege('{APP_ROLE}', 'public', 'CREATE')")
        finally:
            await conn.close()
        async with serving_api(dsn) as api:
            written = await api.post(f"/api/v1/units/{api.units['own']}/offers", offer_body())
            assert written.status_code == 201, written.text
            assert (
                await api.registry.store.pool.fetchval(
                    "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", SCHEMA
                )
                == APP_ROLE
            )
    finally:
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            await admin.execute(f"DROP ROLE {owner}")
        finally:
            await admin.close()


def test_migrations_run_as_the_login_not_as_the_application(
    empty_database_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The application's role may not make tables; with a role nobody can become, anything that
    # assumed it would fail to connect.
    monkeypatch.setenv("DATABASE_URL", empty_database_dsn)
    monkeypatch.setenv("REGISTRY_DATABASE_ROLE", "registry_nobody")
    result = CliRunner().invoke(main, ["db", "migrate"])
    assert result.exit_code == 0, result.output
    assert f"{schema.count()} migration(s) applied" in result.output


# -- failed authentications are slowed ----------------------------------------------------------------

LIMIT = 3


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def from_test_client_header(app: Litestar) -> Any:
    """The app, with the client address taken from X-Test-Client (the test client has one address)."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope["headers"]).get(b"x-test-client")
            if given is not None:
                scope = {**scope, "client": (given.decode(), 50000)}
        await app(scope, receive, send)

    return asgi


class Throttled(msgspec.Struct):
    client: Any
    clock: Clock
    token: str
    app: Any


@pytest.fixture
async def throttled(database_dsn: str) -> AsyncIterator[Throttled]:
    settings = Settings(database_url=database_dsn, auth_failure_limit=LIMIT, auth_failure_window_seconds=60)
    registry = await open_registry(settings)
    try:
        _, token = await commands.issue_token(registry, CLI, Role.COORDINATOR, None, "throttle")
        app = create_app(settings)
        clock = Clock()
        app.state.auth_throttle.clock = clock
        app.state.auth_throttle.slow_seconds = 0.05  # the checks an address over its cap waits for
        async with AsyncTestClient(from_test_client_header(app)) as client:
            client.follow_redirects = False
            yield Throttled(client, clock, token, app)
    finally:
        await registry.close()


def bearer_from(address: str, secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "X-Test-Client": address}


async def test_repeated_bad_tokens_from_one_address_get_429_until_the_window_passes(
    throttled: Throttled,
) -> None:
    client, clock, good = throttled.client, throttled.clock, throttled.token
    bad = "reg_" + "x" * 43
    for _ in range(LIMIT):
        assert (await client.get("/api/v1/units", headers=bearer_from("192.0.2.1", bad))).status_code == 401
        clock.now += 1
    refused = await client.get("/api/v1/units", headers=bearer_from("192.0.2.1", bad))
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["status"] == 429 and refused.json()["title"] == "Too Many Requests"
    # Counted too: the oldest of the last three failures (2 s ago) leaves the window in 58 s.
    assert refused.headers["retry-after"] == "58"
    # A valid token from that address is never refused (an office behind one NAT with a guesser).
    assert (await client.get("/api/v1/units", headers=bearer_from("192.0.2.1", good))).status_code == 200
    # Still capped: the next bad one is 429, not another 401 to learn from.
    assert (await client.get("/api/v1/units", headers=bearer_from("192.0.2.1", bad))).status_code == 429

    # Another address is not affected, and its own bad tokens are still 401.
    assert (await client.get("/api/v1/units", headers=bearer_from("192.0.2.2", good))).status_code == 200
    assert (await client.get("/api/v1/units", headers=bearer_from("192.0.2.2", bad))).status_code == 401
    # Asking without any token is no guess: never counted, so never 429.
    for _ in range(LIMIT + 2):
        assert (await client.get("/api/v1/units", headers={"X-Test-Client": "192.0.2.3"})).status_code == 401

    clock.now += 57
    # Guessing on keeps the address over its cap: the window slides with its latest failures.
    assert (await client.get("/api/v1/units", headers=bearer_from("192.0.2.1", bad))).status_code == 429
    clock.now += 60
    # Every failure has left the window: a bad token is a plain 401 again.
    assert (await client.get("/api/v1/units", headers=bearer_from("192.0.2.1", bad))).status_code == 401


async def test_bad_tokens_on_a_get_by_id_count_too(throttled: Throttled) -> None:
    # A GET by id checks its token in the read's own statement: a failure there counts the same.
    client, good = throttled.client, throttled.token
    path = f"/api/v1/offers/{uuid.uuid4()}"
    for _ in range(LIMIT):
        assert (
            await client.get(path, headers=bearer_from("192.0.2.9", "reg_" + "y" * 43))
        ).status_code == 401
    assert (await client.get(path, headers=bearer_from("192.0.2.9", "reg_" + "y" * 43))).status_code == 429
    assert (await client.get(path, headers=bearer_from("192.0.2.9", good))).status_code == 404


async def test_repeated_bad_tokens_on_the_sign_in_form_get_429(throttled: Throttled) -> None:
    client, good = throttled.client, throttled.token
    here = {"X-Test-Client": "198.51.100.7"}

    async def sign_in(token: str, headers: dict[str, str]) -> Any:
        form = await client.get("/pages/sign-in", headers=headers)
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        return await client.post(
            "/pages/sign-in", data={"token": token, "_csrf_token": csrf.group(1)}, headers=headers
        )

    for _ in range(LIMIT):
        assert (await sign_in("not-a-token", here)).status_code == 401
    refused = await sign_in("still-not-a-token", here)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "登录失败次数过多" in refused.text and "60" in refused.text
    assert "registry_session" not in refused.headers.get("set-cookie", "")
    # A session opened elsewhere is a valid credential: the guesses made here do not refuse it.
    elsewhere = await sign_in(good, {"X-Test-Client": "198.51.100.8"})
    assert elsewhere.status_code == 303
    session = elsewhere.cookies["registry_session"]
    page = await client.get("/pages/plans", headers={**here, "Cookie": f"registry_session={session}"})
    assert page.status_code == 200
    # And the valid token signs in from the guesser's address too.
    assert (await sign_in(good, here)).status_code == 303


def test_the_throttle_remembers_a_bounded_number_of_addresses() -> None:
    clock = Clock()
    throttle = AuthThrottle(limit=2, window=60, capacity=100, clock=clock)
    for n in range(10_000):
        throttle.failed(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(throttle) == 100
    # The most recent ones are kept; the first were forgotten.
    assert throttle.retry_after("10.0.0.1") is None
    throttle.failed("10.0.39.15")  # 9999's address, failing a second time
    assert throttle.retry_after("10.0.39.15") == 60
    # Expired failures are dropped on the next look.
    clock.now += 60
    assert throttle.retry_after("10.0.39.15") is None
    assert len(throttle) == 99


def test_an_ipv6_client_counts_by_its_64_block_and_forwarded_for_is_not_read() -> None:
    one = client_key({"client": ("2001:db8:1:2::1", 1), "headers": []})
    assert one == client_key({"client": ("2001:db8:1:2:ffff::9", 2)}) == "2001:db8:1:2::/64"
    assert client_key({"client": ("2001:db8:1:3::1", 1)}) != one
    assert client_key({"client": ("203.0.113.9", 1)}) != client_key({"client": ("203.0.113.10", 1)})
    forwarded = {"client": ("203.0.113.9", 1), "headers": [(b"x-forwarded-for", b"192.0.2.50")]}
    assert client_key(forwarded) == "203.0.113.9"


# -- pages' security headers, on error pages too ------------------------------------------------------


def assert_secured(response: Any) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp, (response.status_code, csp)
    assert response.headers.get("x-frame-options") == "DENY"
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "same-origin"


async def test_every_page_answer_sends_the_security_headers_errors_included(throttled: Throttled) -> None:
    client, good = throttled.client, throttled.token
    here = {"X-Test-Client": "192.0.2.77"}
    form = await client.get("/pages/sign-in", headers=here)
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    opened = await client.post(
        "/pages/sign-in", data={"token": good, "_csrf_token": csrf.group(1)}, headers=here
    )
    signed_in = {**here, "Cookie": f"registry_session={opened.cookies['registry_session']}"}
    client.cookies.clear()  # each request below names its session itself, or none
    answers = {
        "the sign-in page": form,
        "a page": await client.get("/pages/plans", headers=signed_in),
        # Answered by the exception handlers, not by a page's handler:
        "a redirect to sign in": await client.get("/pages/plans", headers=here),
        "a 404 page": await client.get(f"/pages/plans/{uuid.uuid4()}", headers=signed_in),
    }
    # Asked for again: a request that sent no CSRF cookie (a Cookie header of its own) got a new one.
    csrf = re.search(
        r'name="_csrf_token" value="([^"]+)"', (await client.get("/pages/sign-in", headers=here)).text
    )
    assert csrf is not None
    for _ in range(LIMIT):
        await client.post("/pages/sign-in", data={"token": "bad", "_csrf_token": csrf.group(1)}, headers=here)
    answers["the sign-in form's 429"] = await client.post(
        "/pages/sign-in", data={"token": "bad again", "_csrf_token": csrf.group(1)}, headers=here
    )
    answers["a CSRF refusal"] = await client.post("/pages/sign-in", data={"token": good}, headers=here)
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "the sign-in page": 200, "a page": 200, "a redirect to sign in": 303, "a 404 page": 404,
        "a CSRF refusal": 403, "the sign-in form's 429": 429,
    }  # fmt: skip
    for response in answers.values():
        assert_secured(response)


async def test_an_address_over_its_cap_has_unknown_tokens_checked_one_at_a_time(throttled: Throttled) -> None:
    """A guesser's flood from one address: a few wait their turn (then 429), the rest get 429 at
    once, and a token this process has seen succeed goes straight through meanwhile."""
    client, good = throttled.client, throttled.token
    assert (await client.get("/api/v1/units", headers=bearer_from("192.0.2.50", good))).status_code == 200
    for _ in range(LIMIT):
        await client.get("/api/v1/units", headers=bearer_from("192.0.2.51", "reg_" + "z" * 43))
    # The test client serves one request at a time, so the flood goes straight to the throttle.
    throttle: AuthThrottle = throttled.app.state.auth_throttle
    refused = 0

    async def guess() -> None:
        nonlocal refused
        try:
            async with throttle.slowly("192.0.2.51"):
                await asyncio.sleep(0)
        except TooManyRequestsException:
            refused += 1

    await asyncio.gather(*(guess() for _ in range(10)))
    assert refused == 10 - throttle.slow_queue
    vouched = await client.get("/api/v1/units", headers=bearer_from("192.0.2.51", good))
    assert vouched.status_code == 200
