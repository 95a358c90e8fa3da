"""Page sessions are sessions: an opaque id in the cookie, a keyed hash at rest, and an end.

Signing in opens a server-side session; the cookie carries a random id, the database only its
HMAC with the registry's secret. Sign-out ends it, revoking the token ends it, and so do its idle
and absolute limits (moved past here by ageing the row, as the database's clock judges them).
The secret is REGISTRY_SECRET, else a 0600 file in the data directory, else one the database
keeps for every process on it; never derived from anything.
"""

from __future__ import annotations

import asyncio
import re
import stat
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from registry import secret
from registry.app import create_app
from registry.domain.values import Role
from registry.service import commands
from registry.settings import Settings, SettingsError, settings_from_env
from tests.api_fixtures import CLI, Api

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def _plans(api: Api, session: str) -> int:
    response = await api.client.get(
        "/pages/plans", headers={"Cookie": f"registry_session={session}"}, follow_redirects=False
    )
    return int(response.status_code)


async def test_the_cookie_is_an_opaque_id_and_only_its_keyed_hash_is_stored(api: Api) -> None:
    session = await api.page_session("coordinator")
    token = api.tokens["coordinator"]
    assert session != token and token not in session
    assert await _plans(api, session) == 200
    rows = await api.registry.store.pool.fetch("SELECT * FROM page_sessions")
    stored = " ".join(str(value) for row in rows for value in row.values())
    assert len(rows) == 1 and session not in stored and token not in stored
    assert len(rows[0]["id_hash"]) == 32


async def test_sign_out_ends_the_session_for_good(api: Api) -> None:
    session = await api.page_session("coordinator")
    form = await api.client.get("/pages/plans", headers={"Cookie": f"registry_session={session}"})
    csrf = _CSRF.search(form.text)
    assert csrf is not None
    cookies = f"registry_session={session}; csrftoken={api.client.cookies.get('csrftoken')}"
    out = await api.client.post(
        "/pages/sign-out",
        data={"_csrf_token": csrf.group(1)},
        headers={"Cookie": cookies},
        follow_redirects=False,
    )
    assert out.status_code == 303
    assert await _plans(api, session) == 303  # to the sign-in page


async def test_revoking_the_token_ends_its_sessions(api: Api) -> None:
    issued, liaison = await commands.issue_token(api.registry, CLI, Role.LIAISON, api.units["own"], "手机")
    api.tokens["phone"] = liaison
    session = await api.page_session("phone")
    assert await _plans(api, session) == 200
    revoked = await api.request("DELETE", f"/api/v1/tokens/{issued.entity_id}")
    assert revoked.status_code == 204, revoked.text
    assert await _plans(api, session) == 303


@pytest.mark.parametrize(
    ("column", "age"),
    [("last_seen_at", "2 hours 1 minute"), ("created_at", "12 hours 1 minute")],
    ids=["idle", "absolute"],
)
async def test_a_session_idle_or_alive_past_its_limit_has_ended(api: Api, column: str, age: str) -> None:
    session = await api.page_session("coordinator")
    assert await _plans(api, session) == 200  # in use: the idle clock starts again
    await api.registry.store.pool.execute(
        f"UPDATE page_sessions SET {column} = now() - $1::text::interval", age
    )
    assert await _plans(api, session) == 303


async def test_a_session_just_inside_its_limits_is_open(api: Api) -> None:
    session = await api.page_session("coordinator")
    await api.registry.store.pool.execute(
        "UPDATE page_sessions SET last_seen_at = now() - interval '1 hour 59 minutes',"
        " created_at = now() - interval '11 hours 59 minutes'"
    )
    assert await _plans(api, session) == 200


async def test_without_a_setting_the_database_keeps_one_secret_for_every_process(database_dsn: str) -> None:
    pool = await asyncpg.create_pool(database_dsn, min_size=1, max_size=2)
    try:
        first = await secret.resolve(None, None, pool)
        assert len(first) >= secret.MINIMUM_LENGTH
        assert await secret.resolve(None, None, pool) == first  # a second process, a restart
        assert await secret.resolve("x" * 40, None, pool) == "x" * 40  # REGISTRY_SECRET wins
    finally:
        await pool.close()


async def test_a_process_starting_while_another_keeps_the_secret_gets_the_one_kept(database_dsn: str) -> None:
    """Two workers starting at once: the second's insert waits on the first's and must read its row.

    The first is held here mid-transaction; the second's keep waits on it, and once it commits the
    second must answer the first's secret, not nothing (its statement's snapshot predates the row).
    """
    pool = await asyncpg.create_pool(database_dsn, min_size=1, max_size=2)
    first = await asyncpg.connect(database_dsn)
    try:
        kept = "k" * 48
        async with first.transaction():
            await first.execute("INSERT INTO registry_secret (name, value) VALUES ('registry', $1)", kept)
            second = asyncio.ensure_future(secret.resolve(None, None, pool))
            await _until_one_waits_on_a_lock(first)
        assert await asyncio.wait_for(second, 10) == kept
    finally:
        await first.close()
        await pool.close()


async def _until_one_waits_on_a_lock(connection: asyncpg.Connection[Any]) -> None:
    for _ in range(500):
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second keep never waited on the first")


def test_the_data_directory_keeps_the_secret_in_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret"
    first = secret.from_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret.from_file(path) == first and len(first) >= secret.MINIMUM_LENGTH


def test_a_short_registry_secret_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_SECRET", "too-short")
    with pytest.raises(SettingsError, match="REGISTRY_SECRET"):
        settings_from_env("postgresql://x/y")


async def test_forms_signed_by_one_process_are_accepted_by_another_on_the_same_database(
    database_dsn: str,
) -> None:
    """Two apps (two workers, two hosts) on one database agree on the secret."""
    settings = Settings(database_url=database_dsn)
    first, second = create_app(settings), create_app(settings)
    async with AsyncTestClient(first) as one, AsyncTestClient(second) as other:
        form = await one.get("/pages/sign-in")
        csrf = _CSRF.search(form.text)
        assert csrf is not None
        cookie = one.cookies.get("csrftoken")
        posted = await other.post(
            "/pages/sign-in",
            data={"token": "not-a-token-" + uuid.uuid4().hex, "_csrf_token": csrf.group(1)},
            headers={"Cookie": f"csrftoken={cookie}"},
        )
        assert posted.status_code == 401  # past the CSRF check (403 otherwise), to the bad token
