"""Page sessions kept on the server: the cookie holds an opaque random id, the database its keyed hash.

A session is opened by signing in with a token and stands for that token's actor until sign-out,
the token's revocation, or its idle or absolute limit (Settings.session_idle_minutes,
session_max_hours), whichever comes first; each is judged on every request by one statement.
The hash is an HMAC with the registry's secret, so neither a copy of the table nor a guess
opens a session, and a new secret ends them all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from events.sql import query
from registry.domain.values import Role
from registry.service.context import Actor


class PageSessions:
    def __init__(self, pool: asyncpg.Pool[Any], secret: str, idle: timedelta, lifetime: timedelta) -> None:
        self._pool = pool
        self._key = secret.encode()
        self.idle = idle
        self.lifetime = lifetime

    def _hash(self, session_id: str) -> bytes:
        return hmac.new(self._key, session_id.encode(), hashlib.sha256).digest()

    async def open(self, token_id: uuid.UUID) -> str:
        """A new session for the token; returns the id the cookie carries (never stored)."""
        session_id = secrets.token_urlsafe(32)
        await self._pool.execute(
            query("registry/page-session-open"), self._hash(session_id), token_id, self.lifetime
        )
        return session_id

    async def actor(self, session_id: str) -> Actor | None:
        """Who the session stands for, if it is still open; its last use moves to now."""
        if not session_id or len(session_id) > 100:
            return None
        row = await self._pool.fetchrow(
            query("registry/page-session-touch"), self._hash(session_id), self.idle, self.lifetime
        )
        if row is None:
            return None
        return Actor(subject=f"token:{row['id']}", role=Role(row["role"]), unit_id=row["unit_id"])

    async def end(self, session_id: str) -> None:
        await self._pool.execute(query("registry/page-session-end"), self._hash(session_id))
