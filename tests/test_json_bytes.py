"""The store's connections take a json value as UTF-8 bytes, as a JSON encoder gives it, or as str.

Whichever way it goes in (a parameter or a COPY), it is stored as the same text and read back as
the same str; the projection's rows rely on it (registry.read.fold passes msgspec's bytes).
"""

from __future__ import annotations

import msgspec

from events import EventStore

# Quotes, backslashes, escaped control characters, and text far from ASCII (no NUL: PostgreSQL
# text cannot hold it).
UNUSUAL = {
    "quote": 'say "hi"',
    "backslash": "C:\\path\\n not a newline",
    "controls": "tab\there\nnew line\r\x01",
    "unicode": "共建资源登记簿 — ünïcödé 🙂",
    "nothing": None,
    "nested": [{"a": "\\\\"}, [], {}],
}


async def test_json_given_as_bytes_reads_back_as_the_same_text_as_str(store: EventStore) -> None:
    encoded = msgspec.json.encode(UNUSUAL)
    text = encoded.decode()
    async with store.pool.acquire() as conn, conn.transaction():
        await conn.execute("CREATE TEMP TABLE docs (way text, doc json)")
        await conn.execute("INSERT INTO docs VALUES ('bytes', $1), ('str', $2)", encoded, text)
        await conn.copy_records_to_table(
            "docs", records=[("copy bytes", encoded), ("copy str", text)], columns=["way", "doc"]
        )
        rows = await conn.fetch("SELECT way, doc, doc::text AS stored FROM docs ORDER BY way")
    assert {r["way"] for r in rows} == {"bytes", "str", "copy bytes", "copy str"}
    for row in rows:
        assert row["doc"] == text
        assert row["stored"] == text
        assert msgspec.json.decode(row["doc"]) == UNUSUAL


async def test_a_null_json_value_stays_null(store: EventStore) -> None:
    async with store.pool.acquire() as conn:
        assert await conn.fetchval("SELECT $1::json IS NULL", None) is True
        assert await conn.fetchval("SELECT NULL::json") is None
