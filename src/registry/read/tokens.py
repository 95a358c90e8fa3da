"""The tokens as the coordinator's page lists them: label, role, unit, issued, revoked (never a secret)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from events.sql import query
from registry.read.views import TokenView

_token = msgspec.json.Decoder(TokenView)


async def list_tokens(pool: asyncpg.Pool[Any]) -> list[TokenView]:
    # A registry has tens of tokens (a liaison per unit, a few for the centre): no paging.
    return [_token.decode(row["doc"]) for row in await pool.fetch(query("registry/tokens-list"))]


async def get_token(pool: asyncpg.Pool[Any], token_id: uuid.UUID) -> TokenView | None:
    doc = await pool.fetchval(query("registry/tokens-get"), token_id)
    return _token.decode(doc) if doc is not None else None
