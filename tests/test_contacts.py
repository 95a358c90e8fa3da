"""Contacts and their erasure (PIPL): names and phones never in the log, and gone everywhere after."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner

from events.transfer import export_log
from registry.cli import main
from tests.api_fixtures import Api

NAME, PHONE = "欧阳明华", "13800138000"


async def contact(api: Api, who: str = "liaison_own") -> dict[str, Any]:
    body = {"name": NAME, "phone": PHONE, "title": "联络员"}
    response = await api.post(f"/api/v1/units/{api.units['own']}/contacts", body, who=who)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def places_holding(dsn: str, *needles: str) -> list[str]:
    """Every table (log, read models, contacts) whose rows, as text, contain one of the needles."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT schemaname, tablename FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        found = []
        for table in tables:
            name = f'"{table["schemaname"]}"."{table["tablename"]}"'
            for needle in needles:
                if await conn.fetchval(
                    f"SELECT count(*) FROM {name} AS t WHERE t::text LIKE '%' || $1 || '%'", needle
                ):
                    found.append(f"{name}: {needle}")
        return found
    finally:
        await conn.close()


async def test_a_contacts_name_and_phone_are_never_in_the_log(api: Api, cast_database_dsn: str) -> None:
    made = await contact(api)
    assert (made["name"], made["phone"], made["title"], made["erased"]) == (NAME, PHONE, "联络员", False)
    assert await places_holding(cast_database_dsn, NAME, PHONE) == [
        '"public"."contacts": ' + NAME,
        '"public"."contacts": ' + PHONE,
    ]
    unit = (await api.get(f"/api/v1/units/{api.units['own']}")).json()
    assert unit["contacts"] == [{"id": made["id"], "title": "联络员", "erased": False}]


async def test_erasure_removes_name_and_phone_everywhere_and_history_still_verifies(
    api: Api, cast_database_dsn: str
) -> None:
    made = await contact(api)
    erased = await api.post(f"/api/v1/contacts/{made['id']}/erase")
    assert erased.status_code == 200, erased.text
    assert (erased.json()["name"], erased.json()["phone"], erased.json()["erased"]) == (
        "（已删除）",
        None,
        True,
    )

    assert await places_holding(cast_database_dsn, NAME, PHONE) == []
    exported = b"".join([line async for line in export_log(api.registry.store.pool)])
    assert exported.count(b"\n") > 3  # the header and the events
    assert NAME.encode() not in exported and PHONE.encode() not in exported
    assert (await api.registry.store.verify()).ok
    # History replays: the read model rebuilt from the log equals the live one, erasure included.
    assert await api.registry.runner.check(api.registry.runner.projections[0]) == []
    listed = (await api.get(f"/api/v1/units/{api.units['own']}/contacts")).json()
    assert listed == [erased.json()]
    types = [e.type async for e in api.registry.store.read_stream(f"unit-{api.units['own']}")]
    assert types[-2:] == ["contact_added", "contact_erased"]


async def test_contacts_are_for_the_centre_and_the_units_own_liaison(api: Api) -> None:
    made = await contact(api, who="coordinator")
    path = f"/api/v1/units/{api.units['own']}/contacts"
    assert (await api.get(path, who="liaison_own")).status_code == 200
    assert (await api.get(path, who="liaison_other")).status_code == 403
    assert (await api.get(path, who="auditor")).status_code == 403
    assert (await api.post(path, {"name": "某人"}, who="liaison_other")).status_code == 403
    assert (await api.post(f"/api/v1/contacts/{made['id']}/erase", who="liaison_own")).status_code == 403
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await api.post(f"/api/v1/contacts/{missing}/erase")).status_code == 404


async def test_bad_contact_input_is_400(api: Api) -> None:
    path = f"/api/v1/units/{api.units['own']}/contacts"
    for body, field in (
        ({"phone": PHONE}, "name"),
        ({"name": NAME, "phone": "call me"}, "phone"),
        ({"name": ""}, "name"),
    ):
        response = await api.post(path, body)
        assert response.status_code == 400, response.text
        assert field in [e["field"] for e in response.json()["errors"]]


async def test_a_retried_add_with_its_key_adds_one_contact(api: Api) -> None:
    path = f"/api/v1/units/{api.units['own']}/contacts"
    key = {"Idempotency-Key": "contact-1"}
    first = await api.post(path, {"name": NAME}, headers=key)
    again = await api.post(path, {"name": NAME}, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert len((await api.get(path)).json()) == 1
    reused = await api.post(path, {"name": NAME, "title": "书记"}, headers=key)
    assert reused.status_code == 422
    assert len((await api.get(path)).json()) == 1  # the first request's contact was not undone


async def test_no_hash_of_a_contacts_name_or_phone_is_kept(api: Api, cast_database_dsn: str) -> None:
    """Idempotency fingerprints are kept for good: one of a body with a phone in it would outlive
    erasure (and a phone number's hash is easily reversed)."""
    path = f"/api/v1/units/{api.units['own']}/contacts"
    body = {"name": NAME, "phone": PHONE}
    response = await api.post(path, body, headers={"Idempotency-Key": "contact-2"})
    assert response.status_code == 201, response.text
    sent = response.request.content
    digest = hashlib.sha256(b"POST " + path.encode() + b"\n" + sent).digest()
    conn = await asyncpg.connect(cast_database_dsn)
    try:
        kept = [
            bytes(row["fingerprint"])
            for row in await conn.fetch("SELECT fingerprint FROM events_idempotency")
        ]
    finally:
        await conn.close()
    assert kept and digest not in kept


async def test_registry_contacts_erase_erases_from_the_command_line(
    api: Api, cast_database_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await contact(api)
    monkeypatch.setenv("DATABASE_URL", cast_database_dsn)
    result = await asyncio.to_thread(CliRunner().invoke, main, ["contacts", "erase", made["id"]])
    assert result.exit_code == 0, result.output
    assert f"contact {made['id']} erased" in result.output
    assert await places_holding(cast_database_dsn, NAME, PHONE) == []
    again = await asyncio.to_thread(CliRunner().invoke, main, ["contacts", "erase", str(uuid.uuid4())])
    assert again.exit_code == 1 and "no contact" in again.output
