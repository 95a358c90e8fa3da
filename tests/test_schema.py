"""Each package migrates its own schema: the event store's sequence, then the registry's.

A database migrated before the split has one sequence through both (the registry's 0004-0006):
migrating it now takes the registry's rows back under their own numbers, applies only what is
new, and reports every migration applied.
"""

from __future__ import annotations

import hashlib

import asyncpg

from events import migrate as store
from registry import schema

OLD_RECORD = """
CREATE TABLE schema_migrations (
    version     integer     PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
# The one sequence that landed before the split: (old number, package, file).
OLD_SEQUENCE = [
    (1, store.MIGRATIONS, "0001_event_store.sql"),
    (2, store.MIGRATIONS, "0002_projection_schemas.sql"),
    (3, store.MIGRATIONS, "0003_append_in_fewer_round_trips.sql"),
    (4, schema.MIGRATIONS, "0001_btree_gist.sql"),
    (5, schema.MIGRATIONS, "0002_contacts.sql"),
    (6, schema.MIGRATIONS, "0003_application_role.sql"),
]


async def test_a_database_migrated_in_one_sequence_takes_the_registrys_back(empty_database_dsn: str) -> None:
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        await conn.execute(OLD_RECORD)
        for number, folder, file in OLD_SEQUENCE:
            text = (folder / file).read_bytes()
            await conn.execute(text.decode())
            name = file.removesuffix(".sql").split("_", 1)[1]
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                number, name, hashlib.sha256(text).hexdigest(),
            )  # fmt: skip
        applied = await schema.migrate(conn)
        assert [(m.path.parent.parent.name, m.name) for m in applied] == [
            ("events", "lone_append_in_one_statement"), ("events", "lone_event_in_one_statement"),
            ("events", "the_head_found_by_its_key"), ("registry", "page_sessions_and_secret"),
        ]  # fmt: skip
        report = await schema.status(conn)
        assert {s.state for _, s in report} == {"applied"} and len(report) == schema.count()
        rows = await conn.fetch("SELECT component, version, name FROM schema_migrations ORDER BY 1, 2")
        assert [tuple(r) for r in rows][3:] == [
            ("events", 4, "lone_append_in_one_statement"), ("events", 5, "lone_event_in_one_statement"),
            ("events", 6, "the_head_found_by_its_key"), ("registry", 1, "btree_gist"),
            ("registry", 2, "contacts"), ("registry", 3, "application_role"),
            ("registry", 4, "page_sessions_and_secret"),
        ]  # fmt: skip
        assert await schema.migrate(conn) == []
    finally:
        await conn.close()


async def test_the_event_store_migrates_alone_without_the_registry(empty_database_dsn: str) -> None:
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        applied = await store.migrate(conn)
        assert [m.version for m in applied] == [m.version for m in store.discover()]
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        assert "contacts" not in [t["tablename"] for t in tables]  # the registry's, not the store's
    finally:
        await conn.close()
